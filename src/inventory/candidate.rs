//! [`Candidate`]: a file the listing of the state folders found, before it is taken
//! from the parse cache or read (in a file of its own so that the listing and the
//! cache's takers can both name it without naming each other).

use super::parse_cache::Stamp;
use crate::model::state::State;

/// A file found in a state folder, to be read. Held for every file of the jobs dir
/// until the cache or a read has turned it into an [`OrderFile`]: 64 bytes (88 before:
/// 2.4 MB of the peak at 100,000 WOs).
///
/// [`OrderFile`]: crate::model::order::OrderFile
pub(super) struct Candidate {
    /// Relative to the checkout (text: names that are not UTF-8 are never listed), at
    /// its exact size.
    pub(super) rel_path: Box<str>,
    pub(super) state: State,
    pub(super) archived: bool,
    pub(super) symlink: bool,
    /// Its type when it is neither a regular file nor a symlink (a FIFO, a socket…):
    /// never opened.
    pub(super) special: Option<std::fs::FileType>,
    /// The file's stamp from `lstat`, when the parse cache is consulted.
    pub(super) stat: Option<Stamp>,
}

// (The saving is the point: checked.)
#[cfg(unix)]
const _: () = assert!(std::mem::size_of::<Candidate>() <= 64);
