fn say_after(
    delay: Duration,
    what: &'static str,
) -> impl ::core::future::Future<
    Output = usize,
> + ::corio::__private::Inspect + ::core::marker::Unpin + ::core::fmt::Debug {
    static __CORIO_POINT_0: ::corio::__private::SuspendPoint = ::corio::__private::SuspendPoint {
        index: 0u32,
        kind: ::corio::__private::PointKind::Await,
        file: ::core::file!(),
        line: 3u32,
        column: 5u32,
        source: "sleep(delay).await",
    };
    #[derive(Clone)]
    #[allow(non_camel_case_types, dead_code, clippy::large_enum_variant)]
    enum __CorioFrame<T_delay, T_what, T___corio_fut0, __CorioR> {
        Start { what: T_what, delay: T_delay },
        Suspend0 { __corio_fut0: T___corio_fut0, what: T_what },
        Running,
        Done(::core::option::Option<__CorioR>),
    }
    impl<T_delay, T_what, T___corio_fut0, __CorioR> ::corio::__private::Frame
    for __CorioFrame<T_delay, T_what, T___corio_fut0, __CorioR> {
        const NAME: &'static str = ::core::concat!(
            ::core::module_path!(), "::", "say_after"
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
    ::corio::__private::future(
        __CorioFrame::Start {
            delay: delay,
            what: what,
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
        |__corio_frame, __corio_cx: &mut ::core::task::Context<'_>| {
            use ::corio::__private::{BoxedKind as _, InPlaceKind as _};
            if !::core::matches!(
                * __corio_frame, __CorioFrame::Start { .. } | __CorioFrame::Suspend0 { ..
                }
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
                    __CorioFrame::Start { delay: delay, what: what } => {
                        let mut __corio_fut0 = {
                            let __corio_into = ::core::future::IntoFuture::into_future(
                                sleep(delay),
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
                                    println!("{what}");
                                    {
                                        let __corio_ret: usize = what.len();
                                        *__corio_frame = __CorioFrame::Done(
                                            ::core::option::Option::None,
                                        );
                                        return ::corio::__private::Step::some(
                                            ::core::task::Poll::Ready(__corio_ret),
                                        );
                                    }
                                }
                                ::core::task::Poll::Pending => {
                                    *__corio_frame = __CorioFrame::Suspend0 {
                                        __corio_fut0: __corio_fut0,
                                        what: what,
                                    };
                                    return ::corio::__private::Step::some(
                                        ::core::task::Poll::Pending,
                                    );
                                }
                            }
                        }
                    }
                    __CorioFrame::Suspend0 {
                        what: what,
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
                                            what: what,
                                        };
                                        return ::corio::__private::Step::some(
                                            ::core::task::Poll::Pending,
                                        );
                                    }
                                }
                            }
                        };
                        ::core::mem::drop(__corio_fut0);
                        println!("{what}");
                        {
                            let __corio_ret: usize = what.len();
                            *__corio_frame = __CorioFrame::Done(
                                ::core::option::Option::None,
                            );
                            return ::corio::__private::Step::some(
                                ::core::task::Poll::Ready(__corio_ret),
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
                __CorioFrame::Start {
                    delay: __corio_v_delay,
                    what: __corio_v_what,
                    ..
                } => {
                    __corio_out(
                        "delay",
                        (&&::corio::__private::Probe(__corio_v_delay)).__corio_debug(),
                    );
                    __corio_out(
                        "what",
                        (&&::corio::__private::Probe(__corio_v_what)).__corio_debug(),
                    );
                    ::corio::__private::Described::NONE
                }
                __CorioFrame::Suspend0 {
                    __corio_fut0: __corio_awaited,
                    what: __corio_v_what,
                    ..
                } => {
                    __corio_out(
                        "what",
                        (&&::corio::__private::Probe(__corio_v_what)).__corio_debug(),
                    );
                    ::corio::__private::Described::awaiting(
                        &__CORIO_POINT_0,
                        (&&::corio::__private::Probe(__corio_awaited)).__corio_inspect(),
                    )
                }
                _ => ::corio::__private::Described::NONE,
            }
        },
    )
}
