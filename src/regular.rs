//! Reading files that must be regular files: a WO YAML, a `.lock`, a verdict, a lock
//! of git-wo's own. Anything else found at such a path (a FIFO, a socket, a device, a
//! directory) is never read: opening a FIFO for reading waits for a writer, forever.
//!
//! The file is opened with `O_NONBLOCK` (a FIFO opens at once, with no writer) and its
//! type checked with `fstat` on the open file, so a file swapped for a FIFO between a
//! listing and the read is caught too.

use crate::folder_entries::EntryType;
use std::fs::{self, File, Metadata};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// What was found at a path.
#[derive(Debug)]
pub enum Regular {
    /// A regular file's bytes (at most the limit) and its metadata.
    Bytes(Vec<u8>, Metadata),
    /// A regular file larger than the limit, not read: its size.
    TooLarge(u64, Metadata),
    /// Not a regular file (what it is, e.g. "a FIFO"): not read.
    Not(&'static str),
}

/// Read `path` (links followed) if it is a regular file of at most `max` bytes.
pub fn read(path: &Path, max: u64) -> std::io::Result<Regular> {
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(Regular::Not(EntryType::of(&meta).what()));
    }
    if meta.len() > max {
        return Ok(Regular::TooLarge(meta.len(), meta));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // Bounded even if the file grows between the fstat and the read.
    read_at_most(file, max, &mut bytes)?;
    if bytes.len() as u64 > max {
        return Ok(Regular::TooLarge(bytes.len() as u64, meta));
    }
    Ok(Regular::Bytes(bytes, meta))
}

/// The bytes of `path` when it is a regular file of at most `max` bytes; `None` for
/// anything else (missing, unreadable, too large, not a regular file).
pub fn bytes(path: &Path, max: u64) -> Option<Vec<u8>> {
    match read(path, max) {
        Ok(Regular::Bytes(b, _)) => Some(b),
        _ => None,
    }
}

fn read_at_most(file: File, max: u64, out: &mut Vec<u8>) -> std::io::Result<()> {
    file.take(max.saturating_add(1))
        .read_to_end(out)
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_named_not_read() {
        let tmp = tempfile::tempdir().unwrap();
        let fifo = tmp.path().join("f");
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(ok.success());
        assert!(matches!(read(&fifo, 10).unwrap(), Regular::Not("a FIFO")));
        assert!(matches!(
            read(tmp.path(), 10).unwrap(),
            Regular::Not("a directory")
        ));
        let file = tmp.path().join("x");
        fs::write(&file, b"12345").unwrap();
        assert!(matches!(read(&file, 4).unwrap(), Regular::TooLarge(5, _)));
        assert_eq!(bytes(&file, 5).unwrap(), b"12345");
    }
}
