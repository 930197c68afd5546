fn tokens<'a>(
    text: &'a str,
) -> impl ::corio::__private::Coroutine<
    (),
    Yield = &'a str,
    Return = (),
> + ::corio::__private::Inspect + ::core::fmt::Debug + ::core::iter::FusedIterator<
    Item = &'a str,
> {
    static __CORIO_POINT_0: ::corio::__private::SuspendPoint = ::corio::__private::SuspendPoint {
        index: 0u32,
        kind: ::corio::__private::PointKind::Yield,
        file: ::core::file!(),
        line: 10u32,
        column: 9u32,
        source: "yield_!(&rest[..end])",
    };
    #[derive(Clone)]
    #[allow(non_camel_case_types, dead_code, clippy::large_enum_variant)]
    enum __CorioFrame<T_text, T_rest, T_end, __CorioR> {
        Start { text: T_text },
        Suspend0 { end: T_end, rest: T_rest },
        Loop1 { rest: T_rest },
        Running,
        Done(::core::option::Option<__CorioR>),
    }
    impl<T_text, T_rest, T_end, __CorioR> ::corio::__private::Frame
    for __CorioFrame<T_text, T_rest, T_end, __CorioR> {
        const NAME: &'static str = ::core::concat!(
            ::core::module_path!(), "::", "tokens"
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
        __CorioFrame::Start { text: text },
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
                    __CorioFrame::Start { text: text } => {
                        let mut rest = text;
                        {
                            __corio_state = __CorioFrame::Loop1 { rest: rest };
                            continue '__corio_dispatch;
                        }
                    }
                    __CorioFrame::Loop1 { rest: mut rest } => {
                        '__corio_loop1: loop {
                            rest = rest
                                .trim_start_matches(|c: char| !c.is_alphanumeric());
                            if rest.is_empty() {
                                {
                                    let __corio_ret: () = ();
                                    *__corio_frame = __CorioFrame::Done(
                                        ::core::option::Option::None,
                                    );
                                    return ::corio::__private::Step::some(
                                        ::corio::__private::CoroutineState::Complete(__corio_ret),
                                    );
                                };
                            }
                            let end = rest
                                .find(|c: char| !c.is_alphanumeric())
                                .unwrap_or(rest.len());
                            let __corio_y: &'a str = &rest[..end];
                            *__corio_frame = __CorioFrame::Suspend0 {
                                end: end,
                                rest: rest,
                            };
                            return ::corio::__private::Step::some(
                                ::corio::__private::CoroutineState::Yielded(__corio_y),
                            );
                        }
                    }
                    __CorioFrame::Suspend0 { rest: mut rest, end: end } => {
                        rest = &rest[end..];
                        {
                            __corio_state = __CorioFrame::Loop1 { rest: rest };
                            continue '__corio_dispatch;
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
                __CorioFrame::Start { text: __corio_v_text, .. } => {
                    __corio_out(
                        "text",
                        (&&::corio::__private::Probe(__corio_v_text)).__corio_debug(),
                    );
                    ::corio::__private::Described::NONE
                }
                __CorioFrame::Suspend0 {
                    rest: __corio_v_rest,
                    end: __corio_v_end,
                    ..
                } => {
                    __corio_out(
                        "rest",
                        (&&::corio::__private::Probe(__corio_v_rest)).__corio_debug(),
                    );
                    __corio_out(
                        "end",
                        (&&::corio::__private::Probe(__corio_v_end)).__corio_debug(),
                    );
                    ::corio::__private::Described::at(&__CORIO_POINT_0)
                }
                _ => ::corio::__private::Described::NONE,
            }
        },
    )
}
