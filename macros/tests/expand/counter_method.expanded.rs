fn count(
    &self,
    n: u32,
) -> impl ::corio::__private::Coroutine<
    (),
    Yield = u32,
    Return = u32,
> + ::corio::__private::Inspect + ::core::fmt::Debug + ::core::iter::FusedIterator<
    Item = u32,
> + ::core::clone::Clone {
    static __CORIO_POINT_0: ::corio::__private::SuspendPoint = ::corio::__private::SuspendPoint {
        index: 0u32,
        kind: ::corio::__private::PointKind::Yield,
        file: ::core::file!(),
        line: 5u32,
        column: 9u32,
        source: "yield_!(i * __corio_self.step)",
    };
    #[derive(Clone)]
    #[allow(non_camel_case_types, dead_code, clippy::large_enum_variant)]
    enum __CorioFrame<T___corio_self, T_n, T_i, __CorioR> {
        Start { n: T_n, __corio_self: T___corio_self },
        Suspend0 { i: T_i, n: T_n, __corio_self: T___corio_self },
        Running,
        Done(::core::option::Option<__CorioR>),
    }
    impl<T___corio_self, T_n, T_i, __CorioR> ::corio::__private::Frame
    for __CorioFrame<T___corio_self, T_n, T_i, __CorioR> {
        const NAME: &'static str = ::core::concat!(
            ::core::module_path!(), "::", "count"
        );
        type Return = __CorioR;
        const ASYNC: bool = false;
        const METHOD: bool = true;
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
        __CorioFrame::Start {
            __corio_self: self,
            n: n,
        },
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
        |__corio_frame, __corio_arg: ()| {
            use ::corio::__private::{BoxedKind as _, InPlaceKind as _};
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
                    __CorioFrame::Start { __corio_self: __corio_self, n: n } => {
                        #[allow(unreachable_code)]
                        let (mut i,) = '__corio_to1: {
                            #[allow(unreachable_code)]
                            let (__corio_self, n, mut i) = '__corio_to2: {
                                let __corio_self = __corio_self;
                                let n = n;
                                let mut i = 0;
                                {
                                    break '__corio_to2 (__corio_self, n, i);
                                }
                            };
                            '__corio_loop2: loop {
                                if i < n {
                                    let __corio_y: u32 = i * __corio_self.step;
                                    *__corio_frame = __CorioFrame::Suspend0 {
                                        i: i,
                                        n: n,
                                        __corio_self: __corio_self,
                                    };
                                    return ::corio::__private::Step::some(
                                        ::corio::__private::CoroutineState::Yielded(__corio_y),
                                    );
                                } else {
                                    {
                                        break '__corio_to1 (i,);
                                    }
                                }
                            }
                        };
                        {
                            let __corio_ret: u32 = i;
                            *__corio_frame = __CorioFrame::Done(
                                ::core::option::Option::None,
                            );
                            return ::corio::__private::Step::some(
                                ::corio::__private::CoroutineState::Complete(__corio_ret),
                            );
                        }
                    }
                    __CorioFrame::Suspend0 {
                        __corio_self: __corio_self,
                        n: n,
                        i: mut i,
                    } => {
                        #[allow(unreachable_code)]
                        let (mut i,) = '__corio_to1: {
                            #[allow(unreachable_code)]
                            let (__corio_self, n, mut i) = '__corio_to2: {
                                let __corio_self = __corio_self;
                                let n = n;
                                let mut i = i;
                                i += 1;
                                {
                                    break '__corio_to2 (__corio_self, n, i);
                                }
                            };
                            '__corio_loop2: loop {
                                if i < n {
                                    let __corio_y: u32 = i * __corio_self.step;
                                    *__corio_frame = __CorioFrame::Suspend0 {
                                        i: i,
                                        n: n,
                                        __corio_self: __corio_self,
                                    };
                                    return ::corio::__private::Step::some(
                                        ::corio::__private::CoroutineState::Yielded(__corio_y),
                                    );
                                } else {
                                    {
                                        break '__corio_to1 (i,);
                                    }
                                }
                            }
                        };
                        {
                            let __corio_ret: u32 = i;
                            *__corio_frame = __CorioFrame::Done(
                                ::core::option::Option::None,
                            );
                            return ::corio::__private::Step::some(
                                ::corio::__private::CoroutineState::Complete(__corio_ret),
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
            let mut __corio_described = match __corio_frame {
                __CorioFrame::Start {
                    __corio_self: __corio_v___corio_self,
                    n: __corio_v_n,
                    ..
                } => {
                    __corio_out(
                        "self",
                        (&&::corio::__private::Probe(__corio_v___corio_self))
                            .__corio_debug(),
                    );
                    __corio_out(
                        "n",
                        (&&::corio::__private::Probe(__corio_v_n)).__corio_debug(),
                    );
                    ::corio::__private::Described::NONE
                }
                __CorioFrame::Suspend0 {
                    __corio_self: __corio_v___corio_self,
                    n: __corio_v_n,
                    i: __corio_v_i,
                    ..
                } => {
                    __corio_out(
                        "self",
                        (&&::corio::__private::Probe(__corio_v___corio_self))
                            .__corio_debug(),
                    );
                    __corio_out(
                        "n",
                        (&&::corio::__private::Probe(__corio_v_n)).__corio_debug(),
                    );
                    __corio_out(
                        "i",
                        (&&::corio::__private::Probe(__corio_v_i)).__corio_debug(),
                    );
                    ::corio::__private::Described::at(&__CORIO_POINT_0)
                }
                _ => ::corio::__private::Described::NONE,
            };
            __corio_described.name = ::core::option::Option::Some(
                ::corio::__private::method_name::<Self>("count"),
            );
            __corio_described
        },
    )
}
