//! `net::lookup_host` and `TcpStream::connect` with host names (issue 18): the resolver's
//! answers checked against std's blocking `ToSocketAddrs` (the oracle), unknown hosts, and a
//! connect that falls through to the address that accepts. Everything stays on 127.0.0.1 and
//! names from `/etc/hosts`; each test is bounded in time.

use std::io::{self, ErrorKind};
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use corio::net::{TcpListener, TcpStream, lookup_host};

const LIMIT: Duration = Duration::from_secs(30);

fn run<T>(fut: impl Future<Output = T> + 'static) -> T {
    corio::run(async move { corio::timeout(LIMIT, fut).await.expect("test timed out") })
}

fn sorted(mut v: Vec<SocketAddr>) -> Vec<SocketAddr> {
    v.sort();
    v.dedup();
    v
}

#[corio::coroutine]
async fn resolve_in_coroutine(host: String) -> io::Result<Vec<SocketAddr>> {
    let addrs = lookup_host(host).await?;
    Ok(addrs)
}

#[test]
fn lookup_host_agrees_with_std_from_a_coroutine() {
    let expected = sorted("localhost:4242".to_socket_addrs().unwrap().collect());
    let got = run(resolve_in_coroutine("localhost:4242".into())).unwrap();
    assert_eq!(sorted(got), expected);
}

#[test]
fn numeric_addresses_need_no_resolver() {
    let got = run(async { lookup_host("[::1]:9").await }).unwrap();
    assert_eq!(got, ["[::1]:9".parse::<SocketAddr>().unwrap()]);
}

#[test]
fn an_unknown_host_is_an_error_that_names_it() {
    let err = run(lookup_host("no-such-host.invalid:80")).unwrap_err();
    assert!(
        err.to_string().contains("no-such-host.invalid"),
        "unclear message: {err}"
    );
    let err = run(TcpStream::connect("no-such-host.invalid:80")).unwrap_err();
    assert!(err.to_string().contains("no-such-host.invalid"), "{err}");
}

#[test]
fn a_host_without_a_port_is_invalid_input() {
    let err = run(lookup_host("localhost")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}

#[corio::coroutine]
async fn connect_by_name(port: u16) -> io::Result<SocketAddr> {
    let stream = TcpStream::connect(("localhost", port)).await?;
    let peer = stream.peer_addr()?;
    Ok(peer)
}

#[test]
fn connect_resolves_a_host_name_from_a_coroutine() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let peer = connect_by_name(port).await?;
        assert_eq!(peer, listener.local_addr()?);
        let (_server, from) = listener.accept().await?;
        assert!(from.ip().is_loopback());
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn connect_tries_each_address_in_turn() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        // A port nobody listens on: bind one, then close it.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let addrs = [closed, listener.local_addr()?];
        let stream = TcpStream::connect(&addrs[..]).await?;
        assert_eq!(stream.peer_addr()?, listener.local_addr()?);
        // All refused: the last error comes back.
        let err = TcpStream::connect([closed, closed]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        io::Result::Ok(())
    })
    .unwrap();
}
