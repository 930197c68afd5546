fn ticks(
    n: u32,
) -> impl ::corio::__private::Stream<
    Item = u32,
> + ::corio::__private::Inspect + ::core::marker::Unpin + ::core::fmt::Debug {
    static __CORIO_POINT_0: ::corio::__private::SuspendPoint = ::corio::__private::SuspendPoint {
        index: 0u32,
        kind: ::corio::__private::PointKind::Await,
        file: ::core::file!(),
        line: 4u32,
        column: 17u32,
        source: "next_tick(i).await",
    };
    static __CORIO_POINT_1: ::corio::__private::SuspendPoint = ::corio::__private::SuspendPoint {
        index: 1u32,
        kind: ::corio::__private::PointKind::Yield,
        file: ::core::file!(),
        line: 5u32,
        column: 9u32,
        source: "yield_!(v)",
    };
    #[derive(Clone)]
    #[allow(non_camel_case_types, dead_code, clippy::large_enum_variant)]
    enum __CorioFrame<T_n, T___corio_iter1, T___corio_fut0, __CorioR> {
        Start { n: T_n },
        Suspend0 { __corio_fut0: T___corio_fut0, __corio_iter1: T___corio_iter1 },
        Suspend1 { __corio_iter1: T___corio_iter1 },
        Running,
        Done(::core::option::Option<__CorioR>),
    }
    impl<T_n, T___corio_iter1, T___corio_fut0, __CorioR> ::corio::__private::Frame
    for __CorioFrame<T_n, T___corio_iter1, T___corio_fut0, __CorioR> {
        const NAME: &'static str = ::core::concat!(
            ::core::module_path!(), "::", "ticks"
        );
        type Return = __CorioR;
        const ASYNC: bool = true;
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
    ::corio::__private::stream(
        __CorioFrame::Start { n: n },
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
        |__corio_frame, __corio_cx: &mut ::core::task::Context<'_>| {
            use ::corio::__private::{BoxedKind as _, InPlaceKind as _};
            if !::core::matches!(
                * __corio_frame, __CorioFrame::Start { .. } | __CorioFrame::Suspend0 { ..
                } | __CorioFrame::Suspend1 { .. }
            ) {
                return ::corio::__private::Step(::core::option::Option::None);
            }
            let mut __corio_early0 = ::core::option::Option::None;
            match __corio_frame {
                __CorioFrame::Suspend0 { __corio_fut0: __corio_awaited, .. } => {
                    match ::core::future::Future::poll(
                        ::core::pin::Pin::new(__corio_awaited),
                        __corio_cx,
                    ) {
                        ::core::task::Poll::Ready(__corio_value) => {
                            __corio_early0 = ::core::option::Option::Some(__corio_value);
                        }
                        ::core::task::Poll::Pending => {
                            return ::corio::__private::Step::some(
                                ::core::task::Poll::Pending,
                            );
                        }
                    }
                }
                _ => {}
            }
            let mut __corio_state = ::core::mem::replace(
                __corio_frame,
                __CorioFrame::Running,
            );
            '__corio_dispatch: loop {
                match __corio_state {
                    __CorioFrame::Start { n: n } => {
                        #[allow(unreachable_code)]
                        let (mut __corio_iter1,) = '__corio_to1: {
                            let n = n;
                            {
                                let mut __corio_iter1 = ::core::iter::IntoIterator::into_iter(
                                    0..n,
                                );
                                {
                                    break '__corio_to1 (__corio_iter1,);
                                }
                            }
                        };
                        '__corio_loop1: loop {
                            match ::core::iter::Iterator::next(&mut __corio_iter1) {
                                ::core::option::Option::Some(i) => {
                                    let mut __corio_fut0 = {
                                        let __corio_into = ::core::future::IntoFuture::into_future(
                                            next_tick(i),
                                        );
                                        (&__corio_into).__corio_await_kind().store(__corio_into)
                                    };
                                    {
                                        let __corio_poll = ::core::future::Future::poll(
                                            ::core::pin::Pin::new(&mut __corio_fut0),
                                            __corio_cx,
                                        );
                                        match __corio_poll {
                                            ::core::task::Poll::Ready(__corio_value) => {
                                                let __corio_ready = __corio_value;
                                                ::core::mem::drop(__corio_fut0);
                                                let v = __corio_ready;
                                                let __corio_y: u32 = v;
                                                *__corio_frame = __CorioFrame::Suspend1 {
                                                    __corio_iter1: __corio_iter1,
                                                };
                                                return ::corio::__private::Step::some(
                                                    ::core::task::Poll::Ready(
                                                        ::core::option::Option::Some(__corio_y),
                                                    ),
                                                );
                                            }
                                            ::core::task::Poll::Pending => {
                                                *__corio_frame = __CorioFrame::Suspend0 {
                                                    __corio_fut0: __corio_fut0,
                                                    __corio_iter1: __corio_iter1,
                                                };
                                                return ::corio::__private::Step::some(
                                                    ::core::task::Poll::Pending,
                                                );
                                            }
                                        }
                                    }
                                }
                                ::core::option::Option::None => {
                                    let __corio_ret: () = ();
                                    *__corio_frame = __CorioFrame::Done(
                                        ::core::option::Option::None,
                                    );
                                    return ::corio::__private::Step::some(
                                        ::core::task::Poll::Ready(::core::option::Option::None),
                                    );
                                }
                            }
                        }
                    }
                    __CorioFrame::Suspend0 {
                        __corio_iter1: mut __corio_iter1,
                        __corio_fut0: mut __corio_fut0,
                    } => {
                        let __corio_ready = match __corio_early0.take() {
                            ::core::option::Option::Some(__corio_value) => __corio_value,
                            ::core::option::Option::None => {
                                match ::core::future::Future::poll(
                                    ::core::pin::Pin::new(&mut __corio_fut0),
                                    __corio_cx,
                                ) {
                                    ::core::task::Poll::Ready(__corio_value) => __corio_value,
                                    ::core::task::Poll::Pending => {
                                        *__corio_frame = __CorioFrame::Suspend0 {
                                            __corio_fut0: __corio_fut0,
                                            __corio_iter1: __corio_iter1,
                                        };
                                        return ::corio::__private::Step::some(
                                            ::core::task::Poll::Pending,
                                        );
                                    }
                                }
                            }
                        };
                        ::core::mem::drop(__corio_fut0);
                        let v = __corio_ready;
                        let __corio_y: u32 = v;
                        *__corio_frame = __CorioFrame::Suspend1 {
                            __corio_iter1: __corio_iter1,
                        };
                        return ::corio::__private::Step::some(
                            ::core::task::Poll::Ready(
                                ::core::option::Option::Some(__corio_y),
                            ),
                        );
                    }
                    __CorioFrame::Suspend1 { __corio_iter1: mut __corio_iter1 } => {
                        #[allow(unreachable_code)]
                        let (mut __corio_iter1,) = '__corio_to1: {
                            let mut __corio_iter1 = __corio_iter1;
                            {
                                break '__corio_to1 (__corio_iter1,);
                            }
                        };
                        '__corio_loop1: loop {
                            match ::core::iter::Iterator::next(&mut __corio_iter1) {
                                ::core::option::Option::Some(i) => {
                                    let mut __corio_fut0 = {
                                        let __corio_into = ::core::future::IntoFuture::into_future(
                                            next_tick(i),
                                        );
                                        (&__corio_into).__corio_await_kind().store(__corio_into)
                                    };
                                    {
                                        let __corio_poll = ::core::future::Future::poll(
                                            ::core::pin::Pin::new(&mut __corio_fut0),
                                            __corio_cx,
                                        );
                                        match __corio_poll {
                                            ::core::task::Poll::Ready(__corio_value) => {
                                                let __corio_ready = __corio_value;
                                                ::core::mem::drop(__corio_fut0);
                                                let v = __corio_ready;
                                                let __corio_y: u32 = v;
                                                *__corio_frame = __CorioFrame::Suspend1 {
                                                    __corio_iter1: __corio_iter1,
                                                };
                                                return ::corio::__private::Step::some(
                                                    ::core::task::Poll::Ready(
                                                        ::core::option::Option::Some(__corio_y),
                                                    ),
                                                );
                                            }
                                            ::core::task::Poll::Pending => {
                                                *__corio_frame = __CorioFrame::Suspend0 {
                                                    __corio_fut0: __corio_fut0,
                                                    __corio_iter1: __corio_iter1,
                                                };
                                                return ::corio::__private::Step::some(
                                                    ::core::task::Poll::Pending,
                                                );
                                            }
                                        }
                                    }
                                }
                                ::core::option::Option::None => {
                                    let __corio_ret: () = ();
                                    *__corio_frame = __CorioFrame::Done(
                                        ::core::option::Option::None,
                                    );
                                    return ::corio::__private::Step::some(
                                        ::core::task::Poll::Ready(::core::option::Option::None),
                                    );
                                }
                            }
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
                __CorioFrame::Start { n: __corio_v_n, .. } => {
                    __corio_out(
                        "n",
                        (&&::corio::__private::Probe(__corio_v_n)).__corio_debug(),
                    );
                    ::corio::__private::Described::NONE
                }
                __CorioFrame::Suspend0 { __corio_fut0: __corio_awaited, .. } => {
                    ::corio::__private::Described::awaiting(
                        &__CORIO_POINT_0,
                        (&&::corio::__private::Probe(__corio_awaited)).__corio_inspect(),
                    )
                }
                __CorioFrame::Suspend1 { .. } => {
                    ::corio::__private::Described::at(&__CORIO_POINT_1)
                }
                _ => ::corio::__private::Described::NONE,
            }
        },
    )
}
