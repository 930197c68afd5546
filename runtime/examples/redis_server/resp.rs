//! RESP2 requests in, RESP2 replies out.
//!
//! [`parse`] finds one complete request at the start of a buffer: a multibulk array
//! (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`, what client libraries send) or an inline command
//! (`PING\r\n`, what telnet and redis-benchmark's `ping_inline` send). A request's arguments
//! are byte ranges into the buffer, kept in a vector the connection reuses, so parsing
//! allocates nothing per command. The limits and error texts are Redis 7's.

use std::ops::Range;

/// Largest bulk string a request may declare (Redis's `proto-max-bulk-len`).
pub(crate) const MAX_BULK_LEN: usize = 512 * 1024 * 1024;
/// Longest inline request, and longest `*`/`$` header line, before the client is refused.
pub(crate) const MAX_INLINE_LEN: usize = 64 * 1024;

/// The arguments of one request: ranges into the read buffer (multibulk) or into
/// `inline` (inline requests, whose quoted arguments are unescaped).
#[derive(Debug, Default)]
pub(crate) struct Request {
    spans: Vec<Range<usize>>,
    inline: Vec<u8>,
    is_inline: bool,
    /// A multibulk request cut short: where its next argument starts and how many are
    /// still to come. The next [`parse`] of the same buffer goes on from there, so a
    /// request of many arguments arriving over many reads is scanned once, not once per read.
    partial: Option<(usize, i64)>,
}

/// What [`parse`] found at the start of the buffer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// A whole request of this many bytes; its arguments are in the `Request`.
    Request(usize),
    /// A request with no arguments (`*0`, `*-1`, an empty inline line) of this many bytes:
    /// Redis skips it without a reply.
    Empty(usize),
    /// The request is not complete; `usize` is the buffer length at which trying again
    /// can succeed (a lower bound), so that a large value arriving in pieces is not
    /// re-scanned on every read.
    Incomplete(usize),
    /// The bytes are not RESP: reply `-ERR Protocol error: …` and close the connection.
    Error(String),
}

impl Request {
    /// The arguments, borrowed from `buf` (the buffer given to [`parse`]).
    pub(crate) fn argv<'a>(&'a self, buf: &'a [u8]) -> Argv<'a> {
        Argv {
            spans: &self.spans,
            data: if self.is_inline { &self.inline } else { buf },
        }
    }
}

/// A request's arguments; `argv.get(0)` is the command name.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Argv<'a> {
    spans: &'a [Range<usize>],
    data: &'a [u8],
}

impl<'a> Argv<'a> {
    /// How many arguments, the command name included.
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    /// Argument `i`.
    pub(crate) fn get(&self, i: usize) -> &'a [u8] {
        &self.data[self.spans[i].clone()]
    }

    /// Arguments `from..`, in order.
    pub(crate) fn iter_from(&self, from: usize) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        let data = self.data;
        self.spans[from..].iter().map(move |r| &data[r.clone()])
    }
}

impl Argv<'_> {
    /// The arguments copied out of the read buffer (a command queued by `MULTI`).
    pub(crate) fn to_owned_argv(self) -> OwnedArgv {
        let mut data = Vec::new();
        let mut spans = Vec::with_capacity(self.len());
        for arg in self.iter_from(0) {
            spans.push(data.len()..data.len() + arg.len());
            data.extend_from_slice(arg);
        }
        OwnedArgv { spans, data }
    }
}

/// A request's arguments that own their bytes.
#[derive(Debug, Clone)]
pub(crate) struct OwnedArgv {
    spans: Vec<Range<usize>>,
    data: Vec<u8>,
}

impl OwnedArgv {
    /// The arguments, borrowed.
    pub(crate) fn argv(&self) -> Argv<'_> {
        Argv {
            spans: &self.spans,
            data: &self.data,
        }
    }
}

/// Parses one request at the start of `buf` into `req`.
///
/// After `Incomplete`, call it again with the same bytes at the start of `buf` (and more
/// after them), with the same `req`: it resumes where it stopped.
pub(crate) fn parse(buf: &[u8], req: &mut Request) -> Parsed {
    if let Some((pos, left)) = req.partial.take() {
        return parse_args(buf, req, pos, left);
    }
    req.spans.clear();
    match buf.first() {
        None => Parsed::Incomplete(1),
        Some(b'*') => parse_multibulk(buf, req),
        Some(_) => parse_inline(buf, req),
    }
}

/// Finds `\r\n` from `from`; the index of the `\r`.
fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(i) = memchr(b'\r', &buf[at..]) {
        let i = at + i;
        if buf.get(i + 1) == Some(&b'\n') {
            return Some(i);
        }
        if i + 1 >= buf.len() {
            return None;
        }
        at = i + 1;
    }
    None
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

fn protocol_error(what: &str) -> Parsed {
    Parsed::Error(format!("Protocol error: {what}"))
}

fn parse_multibulk(buf: &[u8], req: &mut Request) -> Parsed {
    req.is_inline = false;
    let Some(eol) = find_crlf(buf, 1) else {
        if buf.len() > MAX_INLINE_LEN {
            return protocol_error("too big mbulk count string");
        }
        return Parsed::Incomplete(buf.len() + 1);
    };
    let count = match parse_i64(&buf[1..eol]) {
        Some(n) if n <= i64::from(i32::MAX) => n,
        _ => return protocol_error("invalid multibulk length"),
    };
    let pos = eol + 2;
    if count <= 0 {
        return Parsed::Empty(pos);
    }
    parse_args(buf, req, pos, count)
}

/// Parses the `left` bulk strings of a multibulk request from `pos` on.
fn parse_args(buf: &[u8], req: &mut Request, mut pos: usize, mut left: i64) -> Parsed {
    let incomplete = |req: &mut Request, pos, left, need| {
        req.partial = Some((pos, left));
        Parsed::Incomplete(need)
    };
    while left > 0 {
        match buf.get(pos) {
            None => return incomplete(req, pos, left, pos + 1),
            Some(b'$') => {}
            Some(&c) => {
                return protocol_error(&format!("expected '$', got '{}'", c as char));
            }
        }
        let Some(eol) = find_crlf(buf, pos + 1) else {
            if buf.len() - pos > MAX_INLINE_LEN {
                return protocol_error("too big bulk count string");
            }
            return incomplete(req, pos, left, buf.len() + 1);
        };
        let len = match parse_i64(&buf[pos + 1..eol]) {
            Some(n) if (0..=MAX_BULK_LEN as i64).contains(&n) => n as usize,
            _ => return protocol_error("invalid bulk length"),
        };
        let start = eol + 2;
        // Redis skips the two bytes after the payload without looking at them.
        let end = start + len + 2;
        if buf.len() < end {
            return incomplete(req, pos, left, end);
        }
        req.spans.push(start..start + len);
        pos = end;
        left -= 1;
    }
    Parsed::Request(pos)
}

fn parse_inline(buf: &[u8], req: &mut Request) -> Parsed {
    req.is_inline = true;
    let Some(nl) = memchr(b'\n', buf) else {
        if buf.len() > MAX_INLINE_LEN {
            return protocol_error("too big inline request");
        }
        return Parsed::Incomplete(buf.len() + 1);
    };
    let mut line = &buf[..nl];
    if let [rest @ .., b'\r'] = line {
        line = rest;
    }
    req.inline.clear();
    if split_args(line, &mut req.inline, &mut req.spans).is_err() {
        return protocol_error("unbalanced quotes in request");
    }
    if req.spans.is_empty() {
        Parsed::Empty(nl + 1)
    } else {
        Parsed::Request(nl + 1)
    }
}

/// Splits an inline line into arguments as Redis's `sdssplitargs` does: blanks separate,
/// `"…"` takes C escapes (`\n`, `\xHH`, …), `'…'` takes only `\'`; a closing quote must be
/// followed by a blank or the end.
fn split_args(line: &[u8], out: &mut Vec<u8>, spans: &mut Vec<Range<usize>>) -> Result<(), ()> {
    let mut i = 0;
    loop {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == line.len() {
            return Ok(());
        }
        let start = out.len();
        let (mut in_dq, mut in_sq) = (false, false);
        loop {
            if in_dq {
                match line.get(i) {
                    None => return Err(()),
                    Some(b'\\')
                        if line.get(i + 1) == Some(&b'x')
                            && line.get(i + 2).and_then(|&c| hex(c)).is_some()
                            && line.get(i + 3).and_then(|&c| hex(c)).is_some() =>
                    {
                        out.push(
                            hex(line[i + 2]).unwrap_or(0) * 16 + hex(line[i + 3]).unwrap_or(0),
                        );
                        i += 3;
                    }
                    Some(b'\\') if i + 1 < line.len() => {
                        i += 1;
                        out.push(match line[i] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 8,
                            b'a' => 7,
                            c => c,
                        });
                    }
                    Some(b'"') => {
                        if line.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
                            return Err(());
                        }
                        i += 1;
                        break;
                    }
                    Some(&c) => out.push(c),
                }
            } else if in_sq {
                match line.get(i) {
                    None => return Err(()),
                    Some(b'\\') if line.get(i + 1) == Some(&b'\'') => {
                        i += 1;
                        out.push(b'\'');
                    }
                    Some(b'\'') => {
                        if line.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
                            return Err(());
                        }
                        i += 1;
                        break;
                    }
                    Some(&c) => out.push(c),
                }
            } else {
                match line.get(i) {
                    None => break,
                    Some(c) if c.is_ascii_whitespace() => break,
                    Some(b'"') => in_dq = true,
                    Some(b'\'') => in_sq = true,
                    Some(&c) => out.push(c),
                }
            }
            i += 1;
        }
        spans.push(start..out.len());
    }
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Parses an integer the way Redis's `string2ll` does: optional `-`, no `+`, no leading
/// zeros, no blanks, within `i64`.
pub(crate) fn parse_i64(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    match digits {
        [] => return None,
        [b'0'] if !neg => return Some(0),
        [b'0', ..] => return None,
        _ => {}
    }
    let mut v: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        let d = i64::from(d - b'0');
        v = v.checked_mul(10)?;
        v = if neg {
            v.checked_sub(d)?
        } else {
            v.checked_add(d)?
        };
    }
    Some(v)
}

/// Appends RESP2 replies to a connection's output buffer.
pub(crate) trait Reply {
    /// `+s\r\n`.
    fn simple(&mut self, s: &str);
    /// `-msg\r\n` (`msg` starts with the error code, e.g. `ERR …`).
    fn error(&mut self, msg: &str);
    /// `:n\r\n`.
    fn int(&mut self, n: i64);
    /// `$len\r\nbytes\r\n`.
    fn bulk(&mut self, bytes: &[u8]);
    /// `$-1\r\n`, the nil reply.
    fn nil(&mut self);
    /// `*-1\r\n`, the nil array.
    fn nil_array(&mut self);
    /// `*n\r\n`: the header of an array whose `n` elements follow.
    fn array(&mut self, n: usize);
}

impl Reply for Vec<u8> {
    fn simple(&mut self, s: &str) {
        self.push(b'+');
        self.extend_from_slice(s.as_bytes());
        self.extend_from_slice(b"\r\n");
    }

    fn error(&mut self, msg: &str) {
        self.push(b'-');
        // A reply line must not contain a line break (Redis replaces them with blanks).
        self.extend(
            msg.bytes()
                .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
        self.extend_from_slice(b"\r\n");
    }

    fn int(&mut self, n: i64) {
        self.push(b':');
        push_int(self, n);
        self.extend_from_slice(b"\r\n");
    }

    fn bulk(&mut self, bytes: &[u8]) {
        self.push(b'$');
        push_int(self, bytes.len() as i64);
        self.extend_from_slice(b"\r\n");
        self.extend_from_slice(bytes);
        self.extend_from_slice(b"\r\n");
    }

    fn nil(&mut self) {
        self.extend_from_slice(b"$-1\r\n");
    }

    fn nil_array(&mut self) {
        self.extend_from_slice(b"*-1\r\n");
    }

    fn array(&mut self, n: usize) {
        self.push(b'*');
        push_int(self, n as i64);
        self.extend_from_slice(b"\r\n");
    }
}

/// Appends the decimal digits of `n`, without allocating.
pub(crate) fn push_int(out: &mut Vec<u8>, n: i64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(buf: &[u8]) -> (Parsed, Vec<Vec<u8>>) {
        let mut req = Request::default();
        let p = parse(buf, &mut req);
        let argv = req.argv(buf);
        let v = if matches!(p, Parsed::Request(_)) {
            argv.iter_from(0).map(<[u8]>::to_vec).collect()
        } else {
            Vec::new()
        };
        (p, v)
    }

    #[test]
    fn multibulk_and_partial_frames() {
        let frame = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        assert_eq!(
            args(frame),
            (
                Parsed::Request(frame.len()),
                vec![b"GET".to_vec(), b"k".to_vec()]
            )
        );
        for cut in 0..frame.len() {
            assert!(
                matches!(args(&frame[..cut]).0, Parsed::Incomplete(n) if n > cut && n <= frame.len())
            );
        }
        // Fed byte by byte to one Request, it resumes and ends with the same arguments.
        let mut req = Request::default();
        for cut in 0..frame.len() {
            assert!(matches!(
                parse(&frame[..cut], &mut req),
                Parsed::Incomplete(_)
            ));
        }
        assert_eq!(parse(frame, &mut req), Parsed::Request(frame.len()));
        let argv = req.argv(frame);
        assert_eq!(
            (argv.len(), argv.get(0), argv.get(1)),
            (2, &b"GET"[..], &b"k"[..])
        );
    }

    #[test]
    fn inline_quotes_and_escapes() {
        let line = b"SET \"a b\\x41\\n\" 'it\\'s'\r\n";
        let (p, v) = args(line);
        assert_eq!(p, Parsed::Request(line.len()));
        assert_eq!(
            v,
            vec![b"SET".to_vec(), b"a bA\n".to_vec(), b"it's".to_vec()]
        );
        assert!(matches!(args(b"GET \"open\r\n").0, Parsed::Error(_)));
        assert!(matches!(args(b"GET \"a\"b\r\n").0, Parsed::Error(_)));
        assert_eq!(args(b"  \r\n").0, Parsed::Empty(4));
    }

    #[test]
    fn limits_are_checked_before_the_payload_arrives() {
        let (p, _) = args(b"*1\r\n$536870913\r\n");
        assert_eq!(
            p,
            Parsed::Error("Protocol error: invalid bulk length".into())
        );
        let (p, _) = args(b"*1\r\n$536870912\r\n");
        assert_eq!(p, Parsed::Incomplete(16 + 536870912 + 2));
        assert!(
            matches!(args(b"*1\r\n+x\r\n").0, Parsed::Error(e) if e.contains("expected '$', got '+'"))
        );
        assert!(
            matches!(args(b"*x\r\n").0, Parsed::Error(e) if e.contains("invalid multibulk length"))
        );
        assert!(
            matches!(args(&[b'A'; MAX_INLINE_LEN + 1]).0, Parsed::Error(e) if e.contains("too big inline"))
        );
    }

    #[test]
    fn integers_as_redis_reads_them() {
        assert_eq!(parse_i64(b"-42"), Some(-42));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"+1",
            b"01",
            b"-0",
            b" 1",
            b"9223372036854775808",
            b"1.5",
        ] {
            assert_eq!(parse_i64(bad), None, "{bad:?}");
        }
        let mut out = Vec::new();
        push_int(&mut out, i64::MIN);
        assert_eq!(out, b"-9223372036854775808");
    }
}
