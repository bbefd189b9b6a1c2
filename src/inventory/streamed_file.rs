//! [`StreamedFile`]: a cache file written as [`super::line_format::write_file`] writes
//! one (a temp file beside it, renamed over it), its text pushed a line at a time and
//! handed to the file every [`FLUSH_AT`] bytes. The caches of 100,000 WOs are 12 and
//! 20 MB: built whole, each was that much more memory (and page faults) at the end of
//! a cold run, when every file and record is held too.

use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// How much text is gathered before it is written.
const FLUSH_AT: usize = 1 << 16;

pub struct StreamedFile {
    path: PathBuf,
    /// `None` once a write failed: nothing more is written, and the file is not put
    /// in place (best effort: a missing cache costs the next run time, never
    /// correctness).
    tmp: Option<tempfile::NamedTempFile>,
    buf: String,
    /// Bytes written to `tmp` so far.
    written: u64,
}

impl StreamedFile {
    /// A file to be put at `path`; `None` when its folder or temp file cannot be made.
    pub fn create(path: &Path) -> Option<StreamedFile> {
        let tmp = super::line_format::temp_beside(path)?;
        Some(StreamedFile {
            path: path.to_path_buf(),
            tmp: Some(tmp),
            buf: String::with_capacity(FLUSH_AT + FLUSH_AT / 4),
            written: 0,
        })
    }

    /// The text being gathered: push to it, then call [`StreamedFile::pushed`].
    pub fn text(&mut self) -> &mut String {
        &mut self.buf
    }

    /// Write what was gathered when there is enough of it.
    pub fn pushed(&mut self) {
        if self.buf.len() >= FLUSH_AT {
            self.flush();
        }
    }

    /// Where the next byte pushed will be in the file.
    pub fn position(&self) -> u64 {
        self.written + self.buf.len() as u64
    }

    /// Write `bytes` over the start of the file (a header of a fixed size, written
    /// first as a placeholder, filled in once the rest is known).
    pub fn overwrite_start(&mut self, bytes: &[u8]) {
        self.flush();
        let ok = self.tmp.as_mut().is_some_and(|tmp| {
            let f = tmp.as_file_mut();
            f.seek(SeekFrom::Start(0)).is_ok()
                && f.write_all(bytes).is_ok()
                && f.seek(SeekFrom::End(0)).is_ok()
        });
        if !ok {
            self.tmp = None;
        }
    }

    /// Write the rest and put the file in place.
    pub fn finish(mut self) {
        self.flush();
        if let Some(tmp) = self.tmp.take() {
            let _ = tmp.persist(&self.path);
        }
    }

    fn flush(&mut self) {
        if let Some(tmp) = &mut self.tmp {
            if tmp.write_all(self.buf.as_bytes()).is_ok() {
                self.written += self.buf.len() as u64;
            } else {
                self.tmp = None;
            }
        }
        self.buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_pushed_past_the_flush_size_and_a_rewritten_header_land_in_place() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("sub/cache");
        let mut out = StreamedFile::create(&path).expect("created");
        out.text().push_str("HEAD-0\n");
        out.pushed();
        let mut expected = String::from("HEAD-9\n");
        for i in 0..20_000 {
            let line = format!("line {i}\n");
            expected.push_str(&line);
            out.text().push_str(&line);
            out.pushed();
        }
        assert_eq!(out.position(), expected.len() as u64);
        out.overwrite_start(b"HEAD-9");
        out.text().push_str("end\n");
        expected.push_str("end\n");
        assert!(!path.exists(), "not in place before finish");
        out.finish();
        assert_eq!(std::fs::read_to_string(&path).ok(), Some(expected));
        // Only the file: no temp file left beside it.
        let names = std::fs::read_dir(dir.path().join("sub")).map_or(0, |d| d.count());
        assert_eq!(names, 1);
    }
}
