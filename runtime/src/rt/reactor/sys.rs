//! The system calls that std does not wrap: a non-blocking TCP `connect`, the listen
//! backlog, `send` with `MSG_NOSIGNAL`, and (Linux) `epoll_wait` on the poller's own epoll
//! descriptor. Every `unsafe` block says why it is sound.

#![allow(unsafe_code)]

use std::io;
use std::mem;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Starts a non-blocking connect to `addr`: the returned socket is non-blocking and the
/// connection is established, or in progress (wait until it is writable, then read
/// `SO_ERROR` with `take_error`).
pub(crate) fn connect_tcp(addr: &SocketAddr) -> io::Result<std::net::TcpStream> {
    let domain = match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let ty = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let ty = libc::SOCK_STREAM;
    // SAFETY: `socket` has no memory-safety preconditions; the result is checked below.
    let fd = unsafe { libc::socket(domain, ty, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let stream = std::net::TcpStream::from(fd);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    stream.set_nonblocking(true)?;

    // SAFETY: an all-zero `sockaddr_storage` is a valid value of this plain C struct.
    let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            // SAFETY: `sockaddr_storage` is larger than and suitably aligned for
            // `sockaddr_in`; the reference does not outlive `storage`.
            let sin = unsafe { &mut *(&raw mut storage).cast::<libc::sockaddr_in>() };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = a.port().to_be();
            sin.sin_addr = libc::in_addr {
                s_addr: u32::from_ne_bytes(a.ip().octets()),
            };
            mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            // SAFETY: as above, for `sockaddr_in6`.
            let sin6 = unsafe { &mut *(&raw mut storage).cast::<libc::sockaddr_in6>() };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = a.port().to_be();
            sin6.sin6_addr = libc::in6_addr {
                s6_addr: a.ip().octets(),
            };
            sin6.sin6_flowinfo = a.flowinfo();
            sin6.sin6_scope_id = a.scope_id();
            mem::size_of::<libc::sockaddr_in6>()
        }
    };
    // SAFETY: `storage` holds an initialised address of `len` bytes that outlives the call.
    let rc = unsafe {
        libc::connect(
            stream.as_raw_fd(),
            (&raw const storage).cast::<libc::sockaddr>(),
            len as libc::socklen_t,
        )
    };
    if rc == 0 {
        return Ok(stream);
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EINPROGRESS) {
        Ok(stream)
    } else {
        Err(err)
    }
}

/// Sets the accept backlog of a listening socket (Linux clamps it to `net.core.somaxconn`):
/// std listens with 128, too few for a burst of thousands of connections.
pub(crate) fn listen(fd: std::os::fd::BorrowedFd<'_>, backlog: i32) -> io::Result<()> {
    // SAFETY: `fd` is a valid open socket for the duration of the call.
    let rc = unsafe { libc::listen(fd.as_raw_fd(), backlog) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `send(2)` with `MSG_NOSIGNAL` where the platform has it: a write to a socket whose peer is
/// gone fails with `EPIPE` instead of raising `SIGPIPE`, whatever the process does with that
/// signal (std's TCP writes already do this; its Unix-socket writes use plain `write`).
pub(crate) fn send(fd: std::os::fd::BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let flags = libc::MSG_NOSIGNAL;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let flags = 0;
    // SAFETY: `buf` is valid for reads of `buf.len()` bytes and `fd` is open during the call.
    let n = unsafe { libc::send(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len(), flags) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n.unsigned_abs())
    }
}

/// `sendmsg(2)` of the buffers `bufs`, in order, as one write, with `MSG_NOSIGNAL` where the
/// platform has it (as [`send`]): a peer that has gone away gives `EPIPE`, never `SIGPIPE`,
/// which std's `write_vectored` (a plain `writev`) would raise in a program that does not
/// ignore it. At most `IOV_MAX` (1024) buffers go in one call; the caller sees a short write.
pub(crate) fn send_vectored(
    fd: std::os::fd::BorrowedFd<'_>,
    bufs: &[io::IoSlice<'_>],
) -> io::Result<usize> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let flags = libc::MSG_NOSIGNAL;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let flags = 0;
    let bufs = &bufs[..bufs.len().min(1024)];
    // SAFETY: an all-zero `msghdr` is valid (no address, no control data, no buffers).
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    // `IoSlice` is guaranteed ABI-compatible with `iovec` on Unix; sendmsg only reads them.
    msg.msg_iov = bufs.as_ptr().cast_mut().cast::<libc::iovec>();
    // The field's type differs between platforms (`size_t` or `c_int`); 1024 fits both.
    msg.msg_iovlen = bufs.len() as _;
    // SAFETY: `msg` points at `bufs.len()` valid `iovec`s, each valid for reads of its length
    // for the duration of the call, and `fd` is open during the call.
    let n = unsafe { libc::sendmsg(fd.as_raw_fd(), &raw const msg, flags) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n.unsigned_abs())
    }
}

/// One entry of an `epoll_wait` result: `events` holds the `EPOLL*` flags and `u64` the data
/// word of the registration (polling puts the source's key there).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) type EpollEvent = libc::epoll_event;

/// `epoll_wait(2)`: waits up to `timeout_ms` milliseconds (-1: no limit, 0: do not block) for
/// events of the epoll instance `epoll`, and replaces the contents of `events` with them (at
/// most `events.capacity()`, which must not be zero). A signal ends the wait early with an
/// error of kind `Interrupted`.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn epoll_wait(
    epoll: std::os::fd::BorrowedFd<'_>,
    events: &mut Vec<EpollEvent>,
    timeout_ms: i32,
) -> io::Result<usize> {
    events.clear();
    let max = i32::try_from(events.capacity()).unwrap_or(i32::MAX);
    assert!(max > 0, "epoll_wait needs room for at least one event");
    // SAFETY: `epoll` is open for the duration of the call, and the pointer is valid for
    // writes of `max` entries (`max <= capacity`), which bounds what the kernel writes.
    // `epoll_event` is plain data, so the kernel may fill it with any bytes.
    let n = unsafe { libc::epoll_wait(epoll.as_raw_fd(), events.as_mut_ptr(), max, timeout_ms) };
    let Ok(n) = usize::try_from(n) else {
        return Err(io::Error::last_os_error());
    };
    // SAFETY: the kernel initialised the first `n` entries, and `n <= max <= capacity`.
    unsafe { events.set_len(n) };
    Ok(n)
}

/// Adds `fd` to the epoll instance `epoll` with key `key`, as polling's `add_with_mode(…,
/// Event::all(key), PollMode::Edge)` does (the same flags, the key in the data word), plus
/// `EPOLLRDHUP`: the peer's end of stream is then reported as such, which polling's interest
/// leaves out. The reactor needs it to forget read readiness after a short read (see
/// `IoSource::read_was_short`). One `epoll_ctl`, where polling's add and a modify were two.
/// polling deletes the registration (`Poller::delete`) by descriptor, so it needs no record
/// of this one; the caller must delete it before `fd` is closed, as with polling's add.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn epoll_add_rdhup(
    epoll: std::os::fd::BorrowedFd<'_>,
    fd: std::os::fd::BorrowedFd<'_>,
    key: usize,
) -> io::Result<()> {
    let mut event = libc::epoll_event {
        // polling's read and write interests, edge-triggered, plus the peer's half close.
        events: (libc::EPOLLIN
            | libc::EPOLLPRI
            | libc::EPOLLOUT
            | libc::EPOLLHUP
            | libc::EPOLLERR
            | libc::EPOLLRDHUP
            | libc::EPOLLET) as u32,
        u64: key as u64,
    };
    // SAFETY: both descriptors are open for the duration of the call and `event` is a valid,
    // initialised `epoll_event` the kernel only reads.
    let res = unsafe {
        libc::epoll_ctl(
            epoll.as_raw_fd(),
            libc::EPOLL_CTL_ADD,
            fd.as_raw_fd(),
            &raw mut event,
        )
    };
    if res < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The addresses of socket `fd` for a task dump: `" (127.0.0.1:7000, peer 127.0.0.1:53412)"`,
/// `" (127.0.0.1:7000)"` for a listener or an unconnected UDP socket, `" (/tmp/app.sock)"` for
/// a Unix socket; empty for a descriptor that is not a socket (or no longer open). Only
/// called when a dump is rendered, so the two system calls cost nothing on the hot path.
pub(crate) fn describe_socket(fd: i32) -> String {
    let Some(local) = socket_name(fd, false) else {
        return String::new();
    };
    match socket_name(fd, true) {
        Some(peer) => format!(" ({local}, peer {peer})"),
        None => format!(" ({local})"),
    }
}

/// `getsockname` (or `getpeername`) of `fd`, rendered.
fn socket_name(fd: i32, peer: bool) -> Option<String> {
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

    // SAFETY: an all-zero `sockaddr_storage` is a valid value of this plain C struct.
    let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let mut len = mem::size_of_val(&storage) as libc::socklen_t;
    let ptr = (&raw mut storage).cast::<libc::sockaddr>();
    // SAFETY: `ptr` and `len` describe `storage`, which outlives the call, and the kernel
    // writes at most `len` bytes there. The descriptor is only a number to these calls: one
    // that is stale or not a socket makes them fail, which is checked.
    let rc = unsafe {
        if peer {
            libc::getpeername(fd, ptr, &mut len)
        } else {
            libc::getsockname(fd, ptr, &mut len)
        }
    };
    if rc != 0 {
        return None;
    }
    match i32::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the kernel wrote a `sockaddr_in`; `sockaddr_storage`
            // is larger than and suitably aligned for one.
            let sin = unsafe { &*(&raw const storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Some(SocketAddrV4::new(ip, u16::from_be(sin.sin_port)).to_string())
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for `sockaddr_in6`.
            let sin6 = unsafe { &*(&raw const storage).cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            let port = u16::from_be(sin6.sin6_port);
            let addr = SocketAddrV6::new(ip, port, sin6.sin6_flowinfo, sin6.sin6_scope_id);
            Some(addr.to_string())
        }
        libc::AF_UNIX => {
            // SAFETY: as above, for `sockaddr_un`.
            let sun = unsafe { &*(&raw const storage).cast::<libc::sockaddr_un>() };
            let offset = mem::offset_of!(libc::sockaddr_un, sun_path);
            let n = (len as usize)
                .saturating_sub(offset)
                .min(sun.sun_path.len());
            let path: Vec<u8> = sun.sun_path[..n].iter().map(|&c| c as u8).collect();
            Some(match path.split_first() {
                None => "unnamed".to_owned(),
                // Linux's abstract namespace: a name that starts with a NUL byte.
                Some((0, name)) => format!("@{}", String::from_utf8_lossy(name)),
                Some(_) => {
                    let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
                    String::from_utf8_lossy(&path[..end]).into_owned()
                }
            })
        }
        _ => None,
    }
}

/// A descriptor known only through `AsRawFd` (what `corio::io::AsyncFd` accepts), made
/// registrable with the poller, which asks for a `BorrowedFd`.
pub(crate) struct RawFdSource<T>(pub(crate) T);

impl<T: std::os::fd::AsRawFd> std::os::fd::AsFd for RawFdSource<T> {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        // SAFETY: `AsyncFd::new` requires (and documents) that `T` keeps its descriptor open
        // for as long as `T` lives, which is what `AsRawFd` implementors such as std's files
        // and sockets do; the `BorrowedFd` cannot outlive `&self`, hence `T`.
        unsafe { std::os::fd::BorrowedFd::borrow_raw(self.0.as_raw_fd()) }
    }
}

#[cfg(test)]
mod tests {
    use super::describe_socket;
    use std::os::fd::AsRawFd;

    #[test]
    fn sockets_are_described_by_their_addresses() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        assert_eq!(describe_socket(listener.as_raw_fd()), format!(" ({addr})"));
        let client = std::net::TcpStream::connect(addr).unwrap();
        let (server, peer) = listener.accept().unwrap();
        assert_eq!(
            describe_socket(server.as_raw_fd()),
            format!(" ({addr}, peer {peer})")
        );
        assert_eq!(client.local_addr().unwrap(), peer);

        let dir = std::env::temp_dir().join(format!("corio-describe-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let unix = std::os::unix::net::UnixListener::bind(&dir).unwrap();
        assert_eq!(
            describe_socket(unix.as_raw_fd()),
            format!(" ({})", dir.display())
        );
        drop(unix);
        std::fs::remove_file(&dir).unwrap();
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        assert_eq!(describe_socket(a.as_raw_fd()), " (unnamed, peer unnamed)");
    }

    #[test]
    fn other_descriptors_are_not_described() {
        let file = std::fs::File::open("/dev/null").unwrap();
        assert_eq!(describe_socket(file.as_raw_fd()), "");
        assert_eq!(describe_socket(-1), "");
    }
}
