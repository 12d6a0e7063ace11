//! An incremental decoder for `text/event-stream` bodies, as the WHATWG spec reads them:
//! frames end at a blank line (`\n\n`, `\r\n\r\n` or `\r\r`), `data:` lines join with `\n`,
//! lines starting with `:` are comments, one optional space after the colon is dropped.

/// One dispatched event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frame {
    /// The `event:` field; empty when absent (the `message` type).
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// Whether the frame had any `data:` line (comment-only frames have none).
    pub has_data: bool,
}

/// Feeds bytes in, gets whole frames out. Partial lines (and partial UTF-8) wait for the
/// next chunk.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    current: Frame,
}

/// Buffer capacity kept between chunks (a partial line rarely needs more; thousands of streams
/// each holding a read's worth added up to tens of MB).
const SHRINK_ABOVE: usize = 4 * 1024;

/// Longest line accepted; an upstream sending more without a line break is broken.
pub const MAX_LINE: usize = 4 * 1024 * 1024;

impl Decoder {
    /// Appends a chunk and returns the frames it completed. Errs when one line grows past
    /// [`MAX_LINE`].
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<Frame>, String> {
        // Lines are read in place (the buffer is set aside while `line` updates the frame),
        // not copied out one allocation per line.
        let mut buf = std::mem::take(&mut self.buf);
        buf.extend_from_slice(chunk);
        let mut frames = Vec::new();
        let mut start = 0;
        while let Some(rel) = buf[start..].iter().position(|b| *b == b'\n' || *b == b'\r') {
            let end = start + rel;
            // A `\r` at the very end may be the first half of `\r\n`: wait for more.
            if buf[end] == b'\r' && end + 1 == buf.len() {
                break;
            }
            let skip = if buf[end] == b'\r' && buf.get(end + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
            if let Some(frame) = self.line(&String::from_utf8_lossy(&buf[start..end])) {
                frames.push(frame);
            }
            start = end + skip;
        }
        buf.drain(..start);
        self.buf = buf;
        // A burst can grow the buffer to a whole socket read; a stream lives for minutes and
        // thousands run at once, so give the memory back once it is drained.
        if self.buf.capacity() > SHRINK_ABOVE && self.buf.len() < SHRINK_ABOVE / 4 {
            self.buf.shrink_to(SHRINK_ABOVE / 4);
        }
        if self.buf.len() > MAX_LINE {
            return Err(format!("a line longer than {MAX_LINE} bytes"));
        }
        Ok(frames)
    }

    /// Whatever is left when the body ends: an unterminated last frame is dispatched, as
    /// browsers do not, so callers decide whether it counts.
    pub fn finish(&mut self) -> Option<Frame> {
        if !self.buf.is_empty() {
            let line = String::from_utf8_lossy(&std::mem::take(&mut self.buf)).into_owned();
            self.line(&line);
        }
        let frame = std::mem::take(&mut self.current);
        (frame.has_data || !frame.event.is_empty()).then_some(frame)
    }

    fn line(&mut self, line: &str) -> Option<Frame> {
        if line.is_empty() {
            let frame = std::mem::take(&mut self.current);
            return (frame.has_data || !frame.event.is_empty()).then_some(frame);
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.current.event = value.to_owned(),
            "data" => {
                if self.current.has_data {
                    self.current.data.push('\n');
                }
                self.current.data.push_str(value);
                self.current.has_data = true;
            }
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(chunks: &[&[u8]]) -> Vec<Frame> {
        let mut d = Decoder::default();
        let mut out = Vec::new();
        for c in chunks {
            out.extend(d.push(c).unwrap());
        }
        out.extend(d.finish());
        out
    }

    #[test]
    fn frames_across_chunk_borders_and_line_endings() {
        let frames = all(&[
            b"event: a\ndata: {\"x\"",
            b":1}\n\n: comment\n\ndata: one\r",
            b"\ndata: two\r\n\r\ndata:tight\r\r",
        ]);
        assert_eq!(
            frames,
            vec![
                Frame {
                    event: "a".into(),
                    data: "{\"x\":1}".into(),
                    has_data: true
                },
                Frame {
                    event: String::new(),
                    data: "one\ntwo".into(),
                    has_data: true
                },
                Frame {
                    event: String::new(),
                    data: "tight".into(),
                    has_data: true
                },
            ]
        );
    }

    #[test]
    fn unterminated_tail_is_returned_by_finish() {
        let frames = all(&[b"data: [DONE]"]);
        assert_eq!(frames[0].data, "[DONE]");
    }

    #[test]
    fn split_utf8_survives() {
        let text = "data: h\u{e9}llo\n\n".as_bytes();
        let frames = all(&[&text[..8], &text[8..]]);
        assert_eq!(frames[0].data, "h\u{e9}llo");
    }
}
