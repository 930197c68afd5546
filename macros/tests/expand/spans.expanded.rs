fn spans(
    text: &str,
) -> impl ::corio::__private::Coroutine<
    (),
    Yield = (usize, usize),
    Return = (),
> + ::corio::__private::Inspect + ::core::fmt::Debug + ::core::iter::FusedIterator<
    Item = (usize, usize),
> {
    static __CORIO_POINT_0: ::corio::__private::SuspendPoint = ::corio::__private::SuspendPoint {
        index: 0u32,
        kind: ::corio::__private::PointKind::Yield,
        file: ::core::file!(),
        line: 14u32,
        column: 13u32,
        source: "yield_!((start, i))",
    };
    #[derive(Clone)]
    #[allow(non_camel_case_types, dead_code, clippy::large_enum_variant)]
    enum __CorioFrame<T_text, T_bytes, T_i, __CorioR> {
        Start { text: T_text },
        Suspend0 { i: T_i, bytes: T_bytes },
        Running,
        Done(::core::option::Option<__CorioR>),
    }
    impl<T_text, T_bytes, T_i, __CorioR> ::corio::__private::Frame
    for __CorioFrame<T_text, T_bytes, T_i, __CorioR> {
        const NAME: &'static str = ::core::concat!(
            ::core::module_path!(), "::", "spans"
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
                #[allow(unreachable_code)]
                let (bytes, mut i) = '__corio_to1: {
                    match __corio_state {
                        __CorioFrame::Start { text: text } => {
                            ::corio::__private::cold(move || '__corio_to1: {
                                let text = text;
                                let bytes = text.as_bytes();
                                let mut i = 0;
                                {
                                    break '__corio_to1 (bytes, i);
                                }
                            })
                        }
                        __CorioFrame::Suspend0 { bytes: bytes, i: mut i } => {
                            let bytes = bytes;
                            let mut i = i;
                            {
                                break '__corio_to1 (bytes, i);
                            }
                        }
                        __CorioFrame::Running | __CorioFrame::Done(_) => {
                            *__corio_frame = __corio_state;
                            return ::corio::__private::Step(
                                ::core::option::Option::None,
                            );
                        }
                    }
                };
                '__corio_loop1: loop {
                    if i < bytes.len() {
                        while i < bytes.len() && bytes[i] == b' ' {
                            i += 1;
                        }
                        let start = i;
                        while i < bytes.len() && bytes[i] != b' ' {
                            i += 1;
                        }
                        if i > start {
                            let __corio_y: (usize, usize) = (start, i);
                            *__corio_frame = __CorioFrame::Suspend0 {
                                i: i,
                                bytes: bytes,
                            };
                            return ::corio::__private::Step::some(
                                ::corio::__private::CoroutineState::Yielded(__corio_y),
                            );
                        } else {
                            {
                                continue '__corio_loop1;
                            }
                        }
                    } else {
                        {
                            let __corio_ret: () = ();
                            *__corio_frame = __CorioFrame::Done(
                                ::core::option::Option::None,
                            );
                            return ::corio::__private::Step::some(
                                ::corio::__private::CoroutineState::Complete(__corio_ret),
                            );
                        }
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
                    bytes: __corio_v_bytes,
                    i: __corio_v_i,
                    ..
                } => {
                    __corio_out(
                        "bytes",
                        (&&::corio::__private::Probe(__corio_v_bytes)).__corio_debug(),
                    );
                    __corio_out(
                        "i",
                        (&&::corio::__private::Probe(__corio_v_i)).__corio_debug(),
                    );
                    ::corio::__private::Described::at(&__CORIO_POINT_0)
                }
                _ => ::corio::__private::Described::NONE,
            }
        },
    )
}
