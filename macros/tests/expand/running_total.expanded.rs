fn running_total() -> impl ::corio::__private::Coroutine<
    i64,
    Yield = i64,
    Return = i64,
> + ::corio::__private::Inspect + ::core::fmt::Debug {
    static __CORIO_POINT_0: ::corio::__private::SuspendPoint = ::corio::__private::SuspendPoint {
        index: 0u32,
        kind: ::corio::__private::PointKind::Yield,
        file: ::core::file!(),
        line: 5u32,
        column: 17u32,
        source: "yield_!(total)",
    };
    #[derive(Clone)]
    #[allow(non_camel_case_types, dead_code, clippy::large_enum_variant)]
    enum __CorioFrame<T_total, __CorioR> {
        Start {},
        Suspend0 { total: T_total },
        Running,
        Done(::core::option::Option<__CorioR>),
    }
    impl<T_total, __CorioR> ::corio::__private::Frame
    for __CorioFrame<T_total, __CorioR> {
        const NAME: &'static str = ::core::concat!(
            ::core::module_path!(), "::", "running_total"
        );
        type Return = __CorioR;
        const ASYNC: bool = false;
        #[inline]
        fn status(&self) -> ::corio::__private::Status {
            match self {
                Self::Start { .. } => ::corio::__private::Status::Created,
                Self::Running => ::corio::__private::Status::Running,
                Self::Done(_) => ::corio::__private::Status::Closed,
                #[allow(unreachable_patterns)]
                _ => ::corio::__private::Status::Suspended,
            }
        }
        #[inline]
        fn done(ret: ::core::option::Option<__CorioR>) -> Self {
            Self::Done(ret)
        }
        fn take_return(&mut self) -> ::core::option::Option<__CorioR> {
            match self {
                Self::Done(ret) => ret.take(),
                _ => ::core::option::Option::None,
            }
        }
    }
    ::corio::__private::generator(
        __CorioFrame::Start {},
        #[allow(
            unused_mut,
            unused_variables,
            unused_assignments,
            unreachable_code,
            unused_imports,
            unused_labels,
            unused_unsafe,
            clippy::all
        )]
        |__corio_frame, __corio_arg: i64| {
            use ::corio::__private::{BoxedKind as _, InPlaceKind as _};
            let mut __corio_arg = ::core::option::Option::Some(__corio_arg);
            if !::core::matches!(
                * __corio_frame, __CorioFrame::Start { .. } | __CorioFrame::Suspend0 { ..
                }
            ) {
                return ::corio::__private::Step(::core::option::Option::None);
            }
            let mut __corio_state = ::core::mem::replace(
                __corio_frame,
                __CorioFrame::Running,
            );
            '__corio_dispatch: loop {
                match __corio_state {
                    __CorioFrame::Start {} => {
                        #[allow(unreachable_code)]
                        let (mut total,) = '__corio_to2: {
                            let mut total = 0;
                            {
                                break '__corio_to2 (total,);
                            }
                        };
                        '__corio_loop2: loop {
                            let __corio_y: i64 = total;
                            *__corio_frame = __CorioFrame::Suspend0 {
                                total: total,
                            };
                            return ::corio::__private::Step::some(
                                ::corio::__private::CoroutineState::Yielded(__corio_y),
                            );
                        }
                    }
                    __CorioFrame::Suspend0 { total: mut total } => {
                        #[allow(unreachable_code)]
                        let (mut total,) = '__corio_to2: {
                            let mut total = total;
                            let x = match __corio_arg.take() {
                                ::core::option::Option::Some(arg) => arg,
                                ::core::option::Option::None => ::core::unreachable!(),
                            };
                            if x == 0 {
                                {
                                    let __corio_ret: i64 = total;
                                    *__corio_frame = __CorioFrame::Done(
                                        ::core::option::Option::None,
                                    );
                                    return ::corio::__private::Step::some(
                                        ::corio::__private::CoroutineState::Complete(__corio_ret),
                                    );
                                };
                            }
                            total += x;
                            {
                                break '__corio_to2 (total,);
                            }
                        };
                        '__corio_loop2: loop {
                            let __corio_y: i64 = total;
                            *__corio_frame = __CorioFrame::Suspend0 {
                                total: total,
                            };
                            return ::corio::__private::Step::some(
                                ::corio::__private::CoroutineState::Yielded(__corio_y),
                            );
                        }
                    }
                    __CorioFrame::Running | __CorioFrame::Done(_) => {
                        *__corio_frame = __corio_state;
                        return ::corio::__private::Step(::core::option::Option::None);
                    }
                }
            }
        },
        #[allow(unused_imports, unused_variables, clippy::all)]
        |__corio_frame, __corio_out| {
            use ::corio::__private::{
                NoInspect as _, RenderDebug as _, RenderName as _, ViaInspect as _,
            };
            match __corio_frame {
                __CorioFrame::Start { .. } => ::corio::__private::Described::NONE,
                __CorioFrame::Suspend0 { total: __corio_v_total, .. } => {
                    __corio_out(
                        "total",
                        (&&::corio::__private::Probe(__corio_v_total)).__corio_debug(),
                    );
                    ::corio::__private::Described::at(&__CORIO_POINT_0)
                }
                _ => ::corio::__private::Described::NONE,
            }
        },
    )
}
