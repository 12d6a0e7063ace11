//! HTTP/1.1 for upstream calls, on one connection at a time: the request goes out in one
//! write, the answer's head is parsed with `httparse`, and the body is read straight off the
//! connection by whoever reads the answer (the chat stream's own task).
//!
//! This replaces hyper's pooled client for one reason: what an open stream costs. hyper gives
//! each client connection a task, a dispatch channel whose first block holds 32 requests
//! (9 KB), an 8 KB write buffer kept for the connection's life and its read buffer: about
//! 27 KB per upstream connection (heaptrack, 1,000 concurrent chat streams), half of all the
//! memory a chat stream holds. Here a connection in use holds its socket and one read buffer
//! of [`READ_SIZE`]; chunks reach the reader without a hop through another task.
//!
//! Framing follows RFC 9112 §6.3: no body for `HEAD`, 1xx, 204 and 304; `Transfer-Encoding`
//! ending in `chunked`; else `Content-Length`; else the body runs to the end of the connection
//! (which then is not reused). Interim 1xx answers are skipped.

use std::io;

use bytes::{Buf, Bytes, BytesMut};
use http::header::{CONNECTION, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Bytes read from a connection at a time. An answer's chunks are a few hundred bytes; a
/// backlog stays in the kernel's socket buffer and is read a few KB at a time.
pub(crate) const READ_SIZE: usize = 4 * 1024;
/// Largest answer head (status line and headers) accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Most headers accepted in an answer.
const MAX_HEADERS: usize = 128;
/// Longest chunk-size or trailer line accepted.
const MAX_LINE: usize = 4 * 1024;

/// A protocol error: the peer sent something that is not HTTP/1.1 as expected.
fn invalid(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// The request's bytes: head and body, for one write.
pub(crate) fn encode_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Vec<u8> {
    let target = uri
        .path_and_query()
        .map(|p| p.as_str())
        .filter(|p| !p.is_empty())
        .unwrap_or("/");
    let mut out = Vec::with_capacity(256 + body.len());
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    if !headers.contains_key(HOST) {
        out.extend_from_slice(b"host: ");
        out.extend_from_slice(host_header(uri).as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    for (name, value) in headers {
        if name == CONTENT_LENGTH || name == TRANSFER_ENCODING {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    // As hyper sent: a length for any body, and for the methods that carry one even when empty.
    if !body.is_empty() || [Method::POST, Method::PUT, Method::PATCH].contains(method) {
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// `Host`: the URI's host, with its port unless it is the scheme's default.
fn host_header(uri: &Uri) -> String {
    let host = uri.host().unwrap_or_default();
    let default = if uri.scheme_str() == Some("https") {
        443
    } else {
        80
    };
    match uri.port_u16() {
        Some(port) if port != default => format!("{host}:{port}"),
        _ => host.to_owned(),
    }
}

/// An answer's head.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    /// How its body ends.
    pub(crate) framing: Framing,
    /// Whether the connection may carry another request once the body is read.
    pub(crate) reusable: bool,
}

/// How a body's end is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body.
    Empty,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Up to the end of the connection.
    Close,
}

/// Why an exchange failed, and whether the request can be sent again on another connection.
#[derive(Debug)]
pub(crate) struct Failed {
    pub(crate) error: io::Error,
    /// Nothing of an answer arrived: the connection was gone before the request reached a
    /// server that read it (an idle connection the server had closed).
    pub(crate) before_answer: bool,
}

impl Failed {
    fn new(error: io::Error, before_answer: bool) -> Self {
        Self {
            error,
            before_answer,
        }
    }
}

/// Sends `request` on `io` and reads the answer's head into `buf`, which keeps whatever of
/// the body came with it.
pub(crate) async fn exchange<T: AsyncRead + AsyncWrite + Unpin>(
    io: &mut T,
    request: &[u8],
    method: &Method,
    buf: &mut BytesMut,
) -> Result<Head, Failed> {
    async {
        io.write_all(request).await?;
        io.flush().await
    }
    .await
    .map_err(|e| Failed::new(e, true))?;
    loop {
        if let Some(head) = parse_head(buf, method).map_err(|e| Failed::new(e, false))? {
            return Ok(head);
        }
        if buf.len() >= MAX_HEAD {
            return Err(Failed::new(
                invalid("the answer's head is too large"),
                false,
            ));
        }
        let before_answer = buf.is_empty();
        buf.reserve(READ_SIZE);
        match io.read_buf(buf).await {
            Ok(0) => {
                let eof = io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the connection closed before an answer arrived",
                );
                return Err(Failed::new(eof, before_answer));
            }
            Ok(_) => {}
            Err(e) => return Err(Failed::new(e, before_answer)),
        }
    }
}

/// The head at the start of `buf` once it is complete (consumed from `buf`), skipping interim
/// 1xx answers; `None` while more bytes are needed.
fn parse_head(buf: &mut BytesMut, method: &Method) -> io::Result<Option<Head>> {
    loop {
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Response::new(&mut slots);
        let len = match parsed.parse(buf) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(e) => return Err(invalid(format!("invalid answer head: {e}"))),
        };
        let code = parsed.code.unwrap_or_default();
        let status =
            StatusCode::from_u16(code).map_err(|_| invalid(format!("invalid status {code}")))?;
        let http11 = parsed.version == Some(1);
        let mut headers = HeaderMap::with_capacity(parsed.headers.len());
        for h in parsed.headers.iter() {
            let name = HeaderName::from_bytes(h.name.as_bytes())
                .map_err(|_| invalid(format!("invalid header name {:?}", h.name)))?;
            let value = HeaderValue::from_bytes(h.value)
                .map_err(|_| invalid(format!("invalid value for header {name}")))?;
            headers.append(name, value);
        }
        buf.advance(len);
        if status == StatusCode::SWITCHING_PROTOCOLS {
            return Err(invalid("the server switched protocols unasked"));
        }
        if status.is_informational() {
            continue;
        }
        let (framing, delimited) = framing(&headers, status, method)?;
        let connection = |token: &str| {
            headers.get_all(CONNECTION).iter().any(|v| {
                v.to_str()
                    .is_ok_and(|s| s.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
            })
        };
        let reusable = delimited
            && if http11 {
                !connection("close")
            } else {
                connection("keep-alive")
            };
        return Ok(Some(Head {
            status,
            headers,
            framing,
            reusable,
        }));
    }
}

/// The body's framing, and whether its end is known without closing the connection.
fn framing(
    headers: &HeaderMap,
    status: StatusCode,
    method: &Method,
) -> io::Result<(Framing, bool)> {
    if method == Method::HEAD
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        return Ok((Framing::Empty, true));
    }
    if headers.contains_key(TRANSFER_ENCODING) {
        let last = headers
            .get_all(TRANSFER_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|t| !t.is_empty());
        return Ok(match last {
            Some(t) if t.eq_ignore_ascii_case("chunked") => (Framing::Chunked, true),
            _ => (Framing::Close, false),
        });
    }
    let mut length = None;
    for value in headers.get_all(CONTENT_LENGTH) {
        for part in value.to_str().unwrap_or("x").split(',') {
            let n: u64 = part
                .trim()
                .parse()
                .map_err(|_| invalid("invalid Content-Length"))?;
            if length.is_some_and(|l| l != n) {
                return Err(invalid("conflicting Content-Length values"));
            }
            length = Some(n);
        }
    }
    Ok(match length {
        Some(n) => (Framing::Length(n), true),
        None => (Framing::Close, false),
    })
}

/// Where a body decoder is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// This many bytes of a `Content-Length` body are still to come.
    Length(u64),
    /// A chunk-size line is next.
    ChunkSize,
    /// This many bytes of the current chunk are still to come.
    ChunkData(u64),
    /// The CRLF after a chunk's data is next.
    ChunkEnd,
    /// Trailer lines, up to an empty line.
    Trailers,
    /// Everything up to the end of the connection.
    Close,
    /// The body is complete.
    Done,
}

/// Takes a body's bytes out of the connection's read buffer as they arrive.
#[derive(Debug)]
pub(crate) struct Decoder(State);

impl Decoder {
    pub(crate) fn new(framing: Framing) -> Self {
        Self(match framing {
            Framing::Empty | Framing::Length(0) => State::Done,
            Framing::Length(n) => State::Length(n),
            Framing::Chunked => State::ChunkSize,
            Framing::Close => State::Close,
        })
    }

    /// Whether the body is complete.
    pub(crate) fn is_done(&self) -> bool {
        self.0 == State::Done
    }

    /// The next piece of body in `buf` (taken out of it); `None` when `buf` holds no more
    /// (or the body is complete).
    pub(crate) fn decode(&mut self, buf: &mut BytesMut) -> io::Result<Option<Bytes>> {
        loop {
            match self.0 {
                State::Done => return Ok(None),
                State::Length(left) | State::ChunkData(left) => {
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                    let rest = left - take as u64;
                    self.0 = match self.0 {
                        State::Length(_) if rest == 0 => State::Done,
                        State::Length(_) => State::Length(rest),
                        _ if rest == 0 => State::ChunkEnd,
                        _ => State::ChunkData(rest),
                    };
                    return Ok(Some(buf.split_to(take).freeze()));
                }
                State::Close => {
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    return Ok(Some(buf.split().freeze()));
                }
                State::ChunkSize => {
                    let Some(line) = take_line(buf)? else {
                        return Ok(None);
                    };
                    let digits = line[..].split(|b| *b == b';').next().unwrap_or_default();
                    let digits = std::str::from_utf8(digits)
                        .map_err(|_| invalid("invalid chunk size"))?
                        .trim();
                    let size = u64::from_str_radix(digits, 16)
                        .map_err(|_| invalid(format!("invalid chunk size {digits:?}")))?;
                    self.0 = if size == 0 {
                        State::Trailers
                    } else {
                        State::ChunkData(size)
                    };
                }
                State::ChunkEnd => {
                    let Some(line) = take_line(buf)? else {
                        return Ok(None);
                    };
                    if !line.is_empty() {
                        return Err(invalid("a chunk is longer than its size"));
                    }
                    self.0 = State::ChunkSize;
                }
                State::Trailers => {
                    let Some(line) = take_line(buf)? else {
                        return Ok(None);
                    };
                    if line.is_empty() {
                        self.0 = State::Done;
                    }
                }
            }
        }
    }

    /// The connection reached its end: fine only where that ends the body.
    pub(crate) fn at_eof(&mut self) -> io::Result<()> {
        match self.0 {
            State::Done => Ok(()),
            State::Close => {
                self.0 = State::Done;
                Ok(())
            }
            _ => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the connection closed before the body was complete",
            )),
        }
    }
}

/// A line (without its CRLF or bare LF) taken from the front of `buf`, once it is all there.
fn take_line(buf: &mut BytesMut) -> io::Result<Option<BytesMut>> {
    let Some(end) = buf.iter().position(|b| *b == b'\n') else {
        if buf.len() > MAX_LINE {
            return Err(invalid("a chunk-size or trailer line is too long"));
        }
        return Ok(None);
    };
    let mut line = buf.split_to(end + 1);
    line.truncate(end);
    if line.last() == Some(&b'\r') {
        line.truncate(end - 1);
    }
    Ok(Some(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(raw: &str, method: &Method) -> io::Result<Option<Head>> {
        parse_head(&mut BytesMut::from(raw), method)
    }

    /// Decodes `body` fed in pieces of `step` bytes, as reads would deliver it.
    fn decode_in_steps(framing: Framing, body: &[u8], step: usize) -> io::Result<(Vec<u8>, bool)> {
        let mut decoder = Decoder::new(framing);
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for piece in body.chunks(step) {
            buf.extend_from_slice(piece);
            while let Some(data) = decoder.decode(&mut buf)? {
                out.extend_from_slice(&data);
            }
        }
        Ok((out, decoder.is_done()))
    }

    #[test]
    fn a_request_is_written_with_host_and_length() {
        let uri: Uri = "http://127.0.0.1:8080/v1/chat/completions?x=1"
            .parse()
            .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("Bearer k"));
        let out = encode_request(&Method::POST, &uri, &headers, b"{}");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "POST /v1/chat/completions?x=1 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\n\
             authorization: Bearer k\r\ncontent-length: 2\r\n\r\n{}"
        );
        let uri: Uri = "https://api.openai.com".parse().unwrap();
        let out = encode_request(&Method::GET, &uri, &HeaderMap::new(), b"");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "GET / HTTP/1.1\r\nhost: api.openai.com\r\n\r\n"
        );
    }

    #[test]
    fn chunked_bodies_decode_however_the_reads_split_them() {
        let body = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nx-trailer: 1\r\n\r\n";
        for step in 1..=body.len() {
            let (out, done) = decode_in_steps(Framing::Chunked, body, step).unwrap();
            assert_eq!(out, b"hello, world", "step {step}");
            assert!(done, "step {step}");
        }
        let (out, done) = decode_in_steps(Framing::Chunked, b"3\nabc\n0\n\n", 2).unwrap();
        assert_eq!((out.as_slice(), done), (&b"abc"[..], true));
    }

    #[test]
    fn malformed_chunks_are_errors() {
        assert!(decode_in_steps(Framing::Chunked, b"zz\r\nab\r\n", 4).is_err());
        assert!(decode_in_steps(Framing::Chunked, b"2\r\nabc\r\n", 4).is_err());
        let long = vec![b'1'; MAX_LINE + 2];
        assert!(decode_in_steps(Framing::Chunked, &long, 64).is_err());
    }

    #[test]
    fn length_bodies_stop_at_their_length_and_close_bodies_at_the_end() {
        let (out, done) = decode_in_steps(Framing::Length(5), b"hello", 2).unwrap();
        assert_eq!((out.as_slice(), done), (&b"hello"[..], true));
        let mut short = Decoder::new(Framing::Length(10));
        short.decode(&mut BytesMut::from("hello")).unwrap();
        assert!(short.at_eof().is_err());
        let mut close = Decoder::new(Framing::Close);
        let (out, done) = decode_in_steps(Framing::Close, b"all of it", 3).unwrap();
        assert_eq!((out.as_slice(), done), (&b"all of it"[..], false));
        assert!(close.at_eof().is_ok() && close.is_done());
    }

    #[test]
    fn heads_give_status_headers_and_framing() {
        let h = head(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n",
            &Method::POST,
        )
        .unwrap()
        .unwrap();
        assert_eq!(h.status, StatusCode::OK);
        assert_eq!(h.headers["content-type"], "text/event-stream");
        assert_eq!((h.framing, h.reusable), (Framing::Chunked, true));

        let h = head(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Too Many\r\nContent-Length: 2\r\nConnection: close\r\n\r\n",
            &Method::POST,
        )
        .unwrap()
        .unwrap();
        assert_eq!(h.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!((h.framing, h.reusable), (Framing::Length(2), false));

        let h = head("HTTP/1.0 200 OK\r\n\r\n", &Method::GET)
            .unwrap()
            .unwrap();
        assert_eq!((h.framing, h.reusable), (Framing::Close, false));
        let h = head(
            "HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n",
            &Method::HEAD,
        )
        .unwrap()
        .unwrap();
        assert_eq!(h.framing, Framing::Empty);
        assert!(
            head("HTTP/1.1 200 OK\r\ncontent-type: x\r\n", &Method::GET)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn bad_heads_are_errors() {
        for raw in [
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
            "HTTP/1.1 101 Switching\r\n\r\n",
            "SMTP ready\r\n\r\n",
        ] {
            assert!(head(raw, &Method::GET).is_err(), "{raw:?}");
        }
    }
}
