//! [`Candidate`]: a file the listing of the state folders found, before it is taken
//! from the parse cache or read (in a file of its own so that the listing and the
//! cache's takers can both name it without naming each other).

use super::parse_cache::Stamp;
use crate::model::state::State;

/// A file found in a state folder, to be read.
pub(super) struct Candidate {
    /// Relative to the checkout (text: names that are not UTF-8 are never listed).
    pub(super) rel_path: String,
    pub(super) state: State,
    pub(super) archived: bool,
    pub(super) symlink: bool,
    /// What it is when it is neither a regular file nor a symlink (a FIFO, a
    /// socket…): never opened.
    pub(super) special: Option<&'static str>,
    /// The file's stamp from `lstat`, when the parse cache is consulted.
    pub(super) stat: Option<Stamp>,
}
