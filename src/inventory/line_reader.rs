//! [`LineReader`]: a cache file read a line at a time, each line handed out as text
//! borrowed from one buffer. `BufRead::read_line` copied every line into a `String` of
//! its own and found its end a byte at a time: at 10,000 WOs those two were a tenth of
//! the instructions of a warm `audit` (both caches are read this way). Here a line's
//! end is found with `memchr`, its bytes are checked to be UTF-8 once, where they lie,
//! and only a line cut by the end of the buffer is moved (to its start).

use std::io::{ErrorKind, Read};
use std::ops::Range;

pub struct LineReader<R> {
    source: R,
    buf: Vec<u8>,
    /// The bytes not handed out yet: `buf[at..filled]`.
    at: usize,
    filled: usize,
    /// Where to look for the next newline: `buf[at..scanned]` holds none.
    scanned: usize,
    /// The source has no more bytes.
    eof: bool,
    /// The current line in `buf` (empty when there is none). Its bytes were found to be
    /// UTF-8 when it was read, and `buf` is changed only after it is emptied.
    current: Range<usize>,
}

impl<R: Read> LineReader<R> {
    /// Reading `source` through a buffer of `capacity` bytes (it grows for a longer
    /// line).
    pub fn with_capacity(capacity: usize, source: R) -> LineReader<R> {
        LineReader {
            source,
            buf: vec![0; capacity.max(1)],
            at: 0,
            filled: 0,
            scanned: 0,
            eof: false,
            current: 0..0,
        }
    }

    /// Move to the next line: `Some(n)`, the bytes it took with its newline, when there
    /// is one (read it with [`LineReader::line`]), `None` at the end. A line that is
    /// not UTF-8 is an `InvalidData` error (and passed); so is a failed read. After an
    /// error or at the end there is no current line. The last line may lack its
    /// newline, as with `read_line`.
    pub fn next_line(&mut self) -> std::io::Result<Option<usize>> {
        self.current = 0..0;
        let Some((line, taken)) = self.next_bytes()? else {
            return Ok(None);
        };
        // (ASCII, as the caches' lines nearly all are, is UTF-8: see `ascii`.)
        let bytes = &self.buf[line.clone()];
        if !ascii(bytes)
            && let Err(e) = std::str::from_utf8(bytes)
        {
            return Err(std::io::Error::new(ErrorKind::InvalidData, e));
        }
        self.current = line;
        Ok(Some(taken))
    }

    /// The current line, without its newline ("" when there is none).
    pub fn line(&self) -> &str {
        let bytes = self.buf.get(self.current.clone()).unwrap_or_default();
        debug_assert!(std::str::from_utf8(bytes).is_ok());
        // SAFETY: `current` is set only to a range of `buf` that `from_utf8` accepted
        // (in `next_line`, just before), and is emptied before anything writes to or
        // moves the bytes of `buf` (`next_line` empties it first; nothing else changes
        // `buf`); an empty range is "".
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }

    /// Append up to `limit` more bytes to `out`: what is buffered first, then the rest
    /// from the source. There is no current line after.
    pub fn read_rest(&mut self, limit: u64, out: &mut Vec<u8>) -> std::io::Result<()> {
        self.current = 0..0;
        let buffered = &self.buf[self.at..self.filled];
        let from_buffer = buffered
            .len()
            .min(usize::try_from(limit).unwrap_or(usize::MAX));
        out.extend_from_slice(&buffered[..from_buffer]);
        self.at += from_buffer;
        self.scanned = self.scanned.max(self.at);
        let left = limit - from_buffer as u64;
        if left > 0 && !self.eof {
            (&mut self.source).take(left).read_to_end(out)?;
        }
        Ok(())
    }

    /// The next line's bytes (without its newline) and how many bytes it took.
    fn next_bytes(&mut self) -> std::io::Result<Option<(Range<usize>, usize)>> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.scanned..self.filled]) {
                let (start, newline) = (self.at, self.scanned + i);
                self.at = newline + 1;
                self.scanned = self.at;
                return Ok(Some((start..newline, newline + 1 - start)));
            }
            self.scanned = self.filled;
            if self.eof {
                if self.at == self.filled {
                    return Ok(None);
                }
                let start = self.at;
                self.at = self.filled;
                return Ok(Some((start..self.filled, self.filled - start)));
            }
            self.fill()?;
        }
    }

    /// Read more from the source after the unread bytes, moved to the buffer's start
    /// (the buffer doubled when they fill it).
    fn fill(&mut self) -> std::io::Result<()> {
        if self.at > 0 {
            self.buf.copy_within(self.at..self.filled, 0);
            self.filled -= self.at;
            self.scanned -= self.at;
            self.at = 0;
        }
        if self.filled == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.source.read(&mut self.buf[self.filled..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            return Ok(());
        }
    }
}

/// Whether `bytes` are all ASCII: their bytes ORed together sixteen at a time (which
/// compiles to one vector OR each), the high bit looked at once. At 10,000 WOs
/// `from_utf8` spent 4.0M instructions checking the caches' lines, `is_ascii` more.
fn ascii(bytes: &[u8]) -> bool {
    let (chunks, rest) = bytes.as_chunks::<16>();
    let mut all = [0u8; 16];
    for chunk in chunks {
        for (a, b) in all.iter_mut().zip(chunk) {
            *a |= b;
        }
    }
    let all = all.iter().chain(rest).fold(0, |a, b| a | b);
    all < 0x80
}

#[cfg(test)]
mod tests {
    use std::io::BufRead;

    use super::*;

    /// A source that gives at most `step` bytes a read, to cut lines at every place.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(out.len()).min(self.bytes.len());
            out[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    /// Every line as `read_line` gives it (newline taken off) with the bytes it took,
    /// until the end or the first error.
    fn as_read_line_reads(bytes: &[u8]) -> (Vec<(String, usize)>, bool) {
        let mut reader = std::io::BufReader::new(bytes);
        let mut out = Vec::new();
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) => return (out, false),
                Ok(n) => {
                    if line.ends_with('\n') {
                        line.pop();
                    }
                    out.push((line, n));
                }
                Err(_) => return (out, true),
            }
        }
    }

    fn as_read(bytes: &[u8], capacity: usize, step: usize) -> (Vec<(String, usize)>, bool) {
        let mut reader = LineReader::with_capacity(capacity, Trickle { bytes, step });
        let mut out = Vec::new();
        loop {
            match reader.next_line() {
                Ok(None) => return (out, false),
                Ok(Some(n)) => out.push((reader.line().to_owned(), n)),
                Err(_) => {
                    assert_eq!(reader.line(), "", "no line after an error");
                    return (out, true);
                }
            }
        }
    }

    /// `ascii` says what `is_ascii` says, whatever the length and wherever the one
    /// byte over 0x7f is.
    #[test]
    fn ascii_agrees_with_is_ascii() {
        for len in 0..70 {
            let clean = vec![b'a'; len];
            assert!(ascii(&clean), "{len}");
            for at in 0..len {
                for high in [0x80u8, 0xc3, 0xff] {
                    let mut bytes = clean.clone();
                    bytes[at] = high;
                    assert_eq!(ascii(&bytes), bytes.is_ascii(), "{len} {at} {high}");
                    assert!(!ascii(&bytes));
                }
            }
        }
    }

    #[test]
    fn lines_are_what_read_line_gives_at_every_buffer_size_and_cut() {
        let texts: [&[u8]; 9] = [
            b"",
            b"\n",
            b"one",
            b"one\n",
            b"one\ntwo\n\nfour without newline",
            b"a\tb\r\nc\n",
            "wide é à ü\nline ✓ two\n".as_bytes(),
            b"good\nbad \xff line\nnever read\n",
            b"cut \xc3",
        ];
        for text in texts {
            let want = as_read_line_reads(text);
            for capacity in [1, 2, 3, 5, 8, 64] {
                for step in [1, 2, 7, 100] {
                    assert_eq!(
                        as_read(text, capacity, step),
                        want,
                        "{:?} through {capacity} bytes, {step} a read",
                        String::from_utf8_lossy(text)
                    );
                }
            }
        }
    }

    #[test]
    fn the_rest_is_what_is_buffered_then_the_source_up_to_the_limit() {
        let text = b"head\nsecond line\nthird\n";
        for capacity in [1, 4, 64] {
            for limit in [0, 3, 12, 18, 100] {
                let mut reader = LineReader::with_capacity(
                    capacity,
                    Trickle {
                        bytes: text,
                        step: 5,
                    },
                );
                assert_eq!(reader.next_line().ok().flatten(), Some(5));
                assert_eq!(reader.line(), "head");
                let mut out = b">".to_vec();
                assert!(reader.read_rest(limit, &mut out).is_ok());
                let rest = &text[5..];
                let want = &rest[..rest.len().min(limit as usize)];
                assert_eq!(&out[1..], want, "capacity {capacity}, limit {limit}");
                assert_eq!(reader.line(), "");
            }
        }
    }
}
