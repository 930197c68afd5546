//! Owned buffers for socket I/O: [`IoBuf`], [`IoBufMut`] and [`Slice`].
//!
//! A coroutine cannot lend one of its own locals across a suspension point, so corio's
//! sockets take buffers by value and hand them back with the result, as tokio-uring and monoio
//! do: `let (res, buf) = stream.read(buf).await;`. The buffer stays valid whatever happens to
//! the future: dropping it mid-read drops the buffer with it.
//!
//! A write sends the buffer's initialised bytes ([`IoBuf::as_bytes`]). A read fills the
//! buffer from its start, up to its capacity ([`IoBufMut::bytes_total`]), and then extends the
//! initialised length to cover what it wrote: a `Vec::with_capacity(4096)` comes back with
//! `len() == n`, a `vec![0; 4096]` keeps its length and holds the data in `buf[..n]`.
//! [`IoBuf::slice`] restricts either operation to a range of a buffer.

use std::fmt;
use std::ops::{Bound, RangeBounds};

/// A buffer that a write can send: owned, `'static`, and handed back when the write is done.
///
/// Implemented for `Vec<u8>`, `Box<[u8]>`, `[u8; N]`, `String`, `&'static [u8]`,
/// `&'static [u8; N]` (byte-string literals), `&'static str`, and [`Slice`].
///
/// # Examples
///
/// ```
/// use corio::net::IoBuf;
///
/// let buf = b"hello world".to_vec();
/// assert_eq!(buf.as_bytes(), b"hello world");
/// let tail = buf.slice(6..);
/// assert_eq!(tail.as_bytes(), b"world");
/// assert_eq!(tail.into_inner().len(), 11);
/// ```
pub trait IoBuf: Unpin + 'static {
    /// The initialised bytes: what a write sends.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::IoBuf;
    ///
    /// assert_eq!(IoBuf::as_bytes(&vec![1u8, 2]), [1, 2]);
    /// ```
    fn as_bytes(&self) -> &[u8];

    /// The number of initialised bytes, `as_bytes().len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::IoBuf;
    ///
    /// assert_eq!(Vec::<u8>::with_capacity(8).bytes_init(), 0);
    /// ```
    fn bytes_init(&self) -> usize {
        self.as_bytes().len()
    }

    /// A view of `range` of this buffer that owns the buffer; [`Slice::into_inner`] gives it
    /// back.
    ///
    /// For a write the range must lie within the initialised bytes, for a read within the
    /// capacity.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::IoBuf;
    ///
    /// let s = vec![1u8, 2, 3, 4].slice(1..3);
    /// assert_eq!(s.as_bytes(), [2, 3]);
    /// ```
    ///
    /// # Panics
    ///
    /// Panics when the range ends before it starts or goes past the buffer's capacity.
    fn slice(self, range: impl RangeBounds<usize>) -> Slice<Self>
    where
        Self: Sized,
    {
        let total = capacity_of(&self);
        let begin = match range.start_bound() {
            Bound::Included(&n) => n,
            Bound::Excluded(&n) => n + 1,
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(&n) => n + 1,
            Bound::Excluded(&n) => n,
            Bound::Unbounded => self.bytes_init(),
        };
        assert!(
            begin <= end && end <= total,
            "slice {begin}..{end} out of bounds of a buffer of capacity {total}"
        );
        Slice {
            buf: self,
            begin,
            end,
            prior: 0,
        }
    }

    #[doc(hidden)]
    fn capacity_hint(&self) -> usize {
        self.bytes_init()
    }
}

/// A buffer that a read can fill: it exposes its whole capacity.
///
/// # Examples
///
/// ```
/// use corio::net::{IoBuf, IoBufMut};
///
/// let mut buf = Vec::with_capacity(4);
/// buf.as_mut_bytes()[..2].copy_from_slice(b"hi");
/// buf.set_init(2);
/// assert_eq!(buf, b"hi");
/// ```
pub trait IoBufMut: IoBuf {
    /// How many bytes a read may write: the capacity.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::IoBufMut;
    ///
    /// assert_eq!(Vec::<u8>::with_capacity(16).bytes_total(), 16);
    /// ```
    fn bytes_total(&self) -> usize;

    /// The region a read fills: `bytes_total()` bytes from the start of the buffer.
    ///
    /// A `Vec` zero-fills its spare capacity for this, and [`set_init`](IoBufMut::set_init)
    /// sets its length again afterwards; call the two in that order.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::IoBufMut;
    ///
    /// let mut b: Box<[u8]> = Box::new([0; 3]);
    /// b.as_mut_bytes().copy_from_slice(b"abc");
    /// assert_eq!(&*b, b"abc");
    /// ```
    fn as_mut_bytes(&mut self) -> &mut [u8];

    /// Records that the first `n` bytes of [`as_mut_bytes`](IoBufMut::as_mut_bytes) are now
    /// initialised; `n` is at least what [`bytes_init`](IoBuf::bytes_init) was before.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::{IoBuf, IoBufMut};
    ///
    /// let mut v = Vec::with_capacity(8);
    /// v.as_mut_bytes()[0] = 7;
    /// v.set_init(1);
    /// assert_eq!(v.bytes_init(), 1);
    /// ```
    fn set_init(&mut self, n: usize);
}

fn capacity_of<B: IoBuf>(buf: &B) -> usize {
    buf.capacity_hint()
}

impl IoBuf for Vec<u8> {
    fn as_bytes(&self) -> &[u8] {
        self
    }

    fn capacity_hint(&self) -> usize {
        self.capacity()
    }
}

impl IoBufMut for Vec<u8> {
    fn bytes_total(&self) -> usize {
        self.capacity()
    }

    fn as_mut_bytes(&mut self) -> &mut [u8] {
        let cap = self.capacity();
        self.resize(cap, 0);
        self
    }

    fn set_init(&mut self, n: usize) {
        self.truncate(n);
    }
}

impl IoBuf for Box<[u8]> {
    fn as_bytes(&self) -> &[u8] {
        self
    }
}

impl IoBufMut for Box<[u8]> {
    fn bytes_total(&self) -> usize {
        self.len()
    }

    fn as_mut_bytes(&mut self) -> &mut [u8] {
        self
    }

    fn set_init(&mut self, _n: usize) {}
}

impl IoBuf for String {
    fn as_bytes(&self) -> &[u8] {
        str::as_bytes(self)
    }
}

impl IoBuf for &'static [u8] {
    fn as_bytes(&self) -> &[u8] {
        self
    }
}

impl IoBuf for &'static str {
    fn as_bytes(&self) -> &[u8] {
        str::as_bytes(self)
    }
}

impl<const N: usize> IoBuf for &'static [u8; N] {
    fn as_bytes(&self) -> &[u8] {
        *self
    }
}

impl<const N: usize> IoBuf for [u8; N] {
    fn as_bytes(&self) -> &[u8] {
        self
    }
}

impl<const N: usize> IoBufMut for [u8; N] {
    fn bytes_total(&self) -> usize {
        N
    }

    fn as_mut_bytes(&mut self) -> &mut [u8] {
        self
    }

    fn set_init(&mut self, _n: usize) {}
}

/// A range of an owned buffer, made by [`IoBuf::slice`]; reads and writes see only the range.
///
/// # Examples
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use corio::net::IoBuf;
/// use corio::net::{TcpListener, TcpStream};
///
/// corio::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let client = TcpStream::connect(listener.local_addr()?).await?;
///     let (server, _) = listener.accept().await?;
///     // Send only "world".
///     let (res, slice) = client.write_all(b"hello world".to_vec().slice(6..)).await;
///     res?;
///     assert_eq!(slice.into_inner().len(), 11);
///     // Read into the second half of a buffer.
///     let (res, slice) = server.read_exact(vec![b'-'; 10].slice(5..)).await;
///     res?;
///     assert_eq!(slice.into_inner(), b"-----world");
///     Ok(())
/// })
/// # }
/// ```
pub struct Slice<B> {
    buf: B,
    begin: usize,
    end: usize,
    /// The inner buffer's initialised length when `as_mut_bytes` was last called.
    prior: usize,
}

impl<B: fmt::Debug> fmt::Debug for Slice<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slice")
            .field("buf", &self.buf)
            .field("range", &(self.begin..self.end))
            .finish()
    }
}

impl<B> Slice<B> {
    /// The start of the range in the inner buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::IoBuf;
    ///
    /// assert_eq!(vec![0u8; 8].slice(2..5).begin(), 2);
    /// ```
    pub fn begin(&self) -> usize {
        self.begin
    }

    /// The end of the range (exclusive) in the inner buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::IoBuf;
    ///
    /// assert_eq!(vec![0u8; 8].slice(2..5).end(), 5);
    /// ```
    pub fn end(&self) -> usize {
        self.end
    }

    /// The inner buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::IoBuf;
    ///
    /// assert_eq!(vec![1u8, 2].slice(1..).get_ref(), &[1, 2]);
    /// ```
    pub fn get_ref(&self) -> &B {
        &self.buf
    }

    /// Gives the whole buffer back.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::IoBuf;
    ///
    /// assert_eq!(vec![1u8, 2, 3].slice(..1).into_inner(), [1, 2, 3]);
    /// ```
    pub fn into_inner(self) -> B {
        self.buf
    }
}

impl<B: IoBuf> IoBuf for Slice<B> {
    fn as_bytes(&self) -> &[u8] {
        let bytes = self.buf.as_bytes();
        &bytes[self.begin.min(bytes.len())..self.end.min(bytes.len())]
    }

    fn capacity_hint(&self) -> usize {
        self.end - self.begin
    }
}

impl<B: IoBufMut> IoBufMut for Slice<B> {
    fn bytes_total(&self) -> usize {
        self.end - self.begin
    }

    fn as_mut_bytes(&mut self) -> &mut [u8] {
        self.prior = self.buf.bytes_init();
        &mut self.buf.as_mut_bytes()[self.begin..self.end]
    }

    fn set_init(&mut self, n: usize) {
        self.buf.set_init(self.prior.max(self.begin + n));
    }
}

/// Reads into `buf` with `read`, keeping the buffer's initialised length consistent.
pub(crate) fn read_into<B: IoBufMut>(
    buf: &mut B,
    read: impl FnOnce(&mut [u8]) -> std::io::Result<usize>,
) -> std::io::Result<usize> {
    let init = buf.bytes_init();
    let res = read(buf.as_mut_bytes());
    let n = *res.as_ref().unwrap_or(&0);
    buf.set_init(init.max(n));
    res
}

#[cfg(test)]
mod tests {
    use super::{IoBuf, IoBufMut, read_into};

    #[test]
    fn vec_reads_fill_capacity_and_keep_longer_lengths() {
        let mut v = Vec::with_capacity(8);
        let n = read_into(&mut v, |b| {
            b[..3].copy_from_slice(b"abc");
            Ok(3)
        })
        .unwrap();
        assert_eq!((n, v.as_slice()), (3, &b"abc"[..]));
        let mut v = vec![b'x'; 6];
        read_into(&mut v, |b| {
            b[0] = b'y';
            Ok(1)
        })
        .unwrap();
        assert_eq!(v, b"yxxxxx");
        let err = read_into(&mut v, |_| Err(std::io::ErrorKind::WouldBlock.into()));
        assert!(err.is_err());
        assert_eq!(v, b"yxxxxx");
    }

    #[test]
    fn slice_reads_do_not_truncate_the_inner_buffer() {
        let mut s = vec![b'.'; 8].slice(2..4);
        read_into(&mut s, |b| {
            b.copy_from_slice(b"ab");
            Ok(2)
        })
        .unwrap();
        assert_eq!(s.into_inner(), b"..ab....");
        let mut s = Vec::with_capacity(8).slice(0..8);
        read_into(&mut s, |b| {
            b[..2].copy_from_slice(b"hi");
            Ok(2)
        })
        .unwrap();
        assert_eq!(s.as_bytes(), b"hi");
        assert_eq!(s.bytes_total(), 8);
    }
}
