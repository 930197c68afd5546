//! `lookup_host`: DNS resolution on the blocking pool, and the address argument of
//! `TcpStream::connect`.
//!
//! The system resolver (`getaddrinfo`, behind std's `ToSocketAddrs`) blocks, so a host name is
//! resolved on [`spawn_blocking`](crate::spawn_blocking)'s pool and the loop keeps running;
//! an address that is already numeric (`"127.0.0.1:80"`, `("::1", 80)`, a `SocketAddr`) is
//! parsed on the spot and never leaves the loop's thread.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::Blocking;

/// Resolves `host` (`"name:port"`, or any numeric address) to its socket addresses, without
/// blocking the loop: asyncio's `loop.getaddrinfo`.
///
/// A numeric address is parsed at once; a name goes to the system resolver on the blocking
/// pool (as asyncio does with its default executor). The addresses come back in the
/// resolver's order, which is the order to try them in.
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let addrs = corio::net::lookup_host("localhost:8080").await?;
///     assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 8080));
///     let numeric = corio::net::lookup_host("127.0.0.1:80").await?;
///     assert_eq!(numeric, ["127.0.0.1:80".parse().unwrap()]);
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
///
/// # Errors
///
/// `InvalidInput` when `host` has no port (`"example.com"`), or the resolver's error, with the
/// name in the message, when the name does not resolve (an unknown host), and `NotFound` when
/// it resolves to no address.
pub fn lookup_host(host: impl Into<String>) -> LookupHost {
    let host = host.into();
    if let Ok(addr) = host.parse::<SocketAddr>() {
        return LookupHost::ready(Ok(vec![addr]));
    }
    LookupHost::lookup(host)
}

/// The future of [`lookup_host`]: the resolved addresses.
///
/// It is `'static` and `Unpin`, so a `#[corio::coroutine]` can keep it across an await.
/// Dropping it does not stop a lookup already running on the pool; the result is discarded.
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let pending: corio::net::LookupHost = corio::net::lookup_host("[::1]:53");
///     assert_eq!(pending.await?[0].port(), 53);
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct LookupHost {
    state: LookupState,
}

enum LookupState {
    Ready(Option<io::Result<Vec<SocketAddr>>>),
    Pool(Blocking<io::Result<Vec<SocketAddr>>>),
}

impl LookupHost {
    fn ready(res: io::Result<Vec<SocketAddr>>) -> Self {
        Self {
            state: LookupState::Ready(Some(res)),
        }
    }

    fn lookup(host: String) -> Self {
        let job = crate::spawn_blocking(move || resolve_blocking(&host));
        Self {
            state: LookupState::Pool(job),
        }
    }
}

/// What runs on the pool: std's resolver, with the name in the error.
fn resolve_blocking(host: &str) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs(host)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot resolve `{host}`: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("`{host}` resolved to no address"),
        ));
    }
    Ok(addrs)
}

impl fmt::Debug for LookupHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            LookupState::Ready(_) => "ready",
            LookupState::Pool(_) => "resolving on the blocking pool",
        };
        f.debug_struct("LookupHost").field("state", &state).finish()
    }
}

impl Future for LookupHost {
    type Output = io::Result<Vec<SocketAddr>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.state {
            LookupState::Ready(res) => {
                Poll::Ready(res.take().expect("LookupHost polled after it completed"))
            }
            LookupState::Pool(job) => Pin::new(job).poll(cx),
        }
    }
}

/// Addresses that [`TcpStream::connect`](crate::net::TcpStream::connect) accepts: what std's
/// `ToSocketAddrs` accepts, resolved without blocking the loop.
///
/// Implemented for `SocketAddr` (and its V4/V6 forms), `(IpAddr, u16)` (and the V4/V6 forms),
/// `str` and `String` (`"host:port"`), `(&str, u16)` and `(String, u16)`, slices of
/// `SocketAddr`, and references to any of these. A numeric address is used as is; a host name
/// is resolved with [`lookup_host`]. The trait is sealed: its method is private to corio.
///
/// # Examples
///
/// ```
/// use corio::net::{TcpListener, TcpStream};
///
/// corio::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let port = listener.local_addr()?.port();
///     // A host name: resolved on the blocking pool, then each address is tried in turn.
///     TcpStream::connect(("localhost", port)).await?;
///     TcpStream::connect(format!("127.0.0.1:{port}")).await?;
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub trait ToSocketAddrs: sealed::Resolve {}

impl<T: sealed::Resolve + ?Sized> ToSocketAddrs for T {}

pub(crate) mod sealed {
    use super::*;

    /// What an address argument turns into when `connect` is called.
    #[derive(Debug)]
    pub enum Addrs {
        /// Numeric: no lookup needed (or an error found while parsing).
        Ready(io::Result<Vec<SocketAddr>>),
        /// A `"host:port"` string for [`lookup_host`].
        Lookup(String),
    }

    impl Addrs {
        /// The addresses, looked up on the pool when needed.
        pub(crate) async fn resolve(self) -> io::Result<Vec<SocketAddr>> {
            match self {
                Addrs::Ready(res) => res,
                Addrs::Lookup(host) => lookup_host(host).await,
            }
        }
    }

    /// The private half of [`ToSocketAddrs`](super::ToSocketAddrs).
    pub trait Resolve {
        /// Parses the address, or says which name to look up.
        fn to_addrs(&self) -> Addrs;
    }

    impl Resolve for SocketAddr {
        fn to_addrs(&self) -> Addrs {
            Addrs::Ready(Ok(vec![*self]))
        }
    }

    impl Resolve for SocketAddrV4 {
        fn to_addrs(&self) -> Addrs {
            SocketAddr::V4(*self).to_addrs()
        }
    }

    impl Resolve for SocketAddrV6 {
        fn to_addrs(&self) -> Addrs {
            SocketAddr::V6(*self).to_addrs()
        }
    }

    impl Resolve for (IpAddr, u16) {
        fn to_addrs(&self) -> Addrs {
            SocketAddr::from(*self).to_addrs()
        }
    }

    impl Resolve for (Ipv4Addr, u16) {
        fn to_addrs(&self) -> Addrs {
            SocketAddr::from(*self).to_addrs()
        }
    }

    impl Resolve for (Ipv6Addr, u16) {
        fn to_addrs(&self) -> Addrs {
            SocketAddr::from(*self).to_addrs()
        }
    }

    impl Resolve for str {
        fn to_addrs(&self) -> Addrs {
            match self.parse::<SocketAddr>() {
                Ok(addr) => addr.to_addrs(),
                Err(_) => Addrs::Lookup(self.to_owned()),
            }
        }
    }

    impl Resolve for String {
        fn to_addrs(&self) -> Addrs {
            self.as_str().to_addrs()
        }
    }

    impl Resolve for (&str, u16) {
        fn to_addrs(&self) -> Addrs {
            let (host, port) = *self;
            match host.parse::<IpAddr>() {
                Ok(ip) => (ip, port).to_addrs(),
                // A bare IPv6 host needs brackets in "host:port" form; names do not.
                Err(_) => Addrs::Lookup(format!("{host}:{port}")),
            }
        }
    }

    impl Resolve for (String, u16) {
        fn to_addrs(&self) -> Addrs {
            (self.0.as_str(), self.1).to_addrs()
        }
    }

    impl Resolve for [SocketAddr] {
        fn to_addrs(&self) -> Addrs {
            Addrs::Ready(Ok(self.to_vec()))
        }
    }

    impl<const N: usize> Resolve for [SocketAddr; N] {
        fn to_addrs(&self) -> Addrs {
            self[..].to_addrs()
        }
    }

    impl<T: Resolve + ?Sized> Resolve for &T {
        fn to_addrs(&self) -> Addrs {
            (**self).to_addrs()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sealed::{Addrs, Resolve};
    use super::*;

    #[test]
    fn numeric_addresses_are_parsed_without_a_lookup() {
        for addrs in [
            "127.0.0.1:80".to_addrs(),
            ("127.0.0.1", 80).to_addrs(),
            (Ipv4Addr::LOCALHOST, 80).to_addrs(),
        ] {
            match addrs {
                Addrs::Ready(Ok(v)) => assert_eq!(v, ["127.0.0.1:80".parse().unwrap()]),
                other => panic!("expected a parsed address, got {other:?}"),
            }
        }
        match ("::1", 80).to_addrs() {
            Addrs::Ready(Ok(v)) => assert_eq!(v, ["[::1]:80".parse().unwrap()]),
            other => panic!("expected a parsed address, got {other:?}"),
        }
    }

    #[test]
    fn names_are_left_for_the_pool() {
        match ("localhost", 80).to_addrs() {
            Addrs::Lookup(host) => assert_eq!(host, "localhost:80"),
            other => panic!("expected a lookup, got {other:?}"),
        }
        match String::from("example.invalid:1").to_addrs() {
            Addrs::Lookup(host) => assert_eq!(host, "example.invalid:1"),
            other => panic!("expected a lookup, got {other:?}"),
        }
    }

    #[test]
    fn resolver_errors_name_the_host() {
        let err = resolve_blocking("no-such-host.invalid:80").unwrap_err();
        assert!(err.to_string().contains("no-such-host.invalid:80"), "{err}");
        let err = resolve_blocking("localhost").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    }
}
