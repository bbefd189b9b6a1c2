//! [`Candidate`]: a file the listing of the state folders found, before it is taken
//! from the parse cache or read, and the [`Runs`] they are listed in (in a file of
//! their own so that the listing and the cache's takers can both name them without
//! naming each other).

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

/// Candidates in a run are at most this many (64 KiB of them).
const RUN: usize = 1024;

/// Listed candidates in runs of at most [`RUN`], in listing order (a folder's runs
/// together, the folders in state order): whoever takes them frees each run once it
/// is passed. In one list a folder's candidates were all held until its last one was
/// taken, beside the files made of them (at 100,000 WOs, 6 MB of the peak).
#[derive(Default)]
pub(super) struct Runs {
    runs: Vec<Vec<Candidate>>,
    /// How many more are expected (the room the next run is made with, up to [`RUN`]).
    expected: usize,
}

impl Runs {
    /// Expect `more` candidates.
    pub(super) fn reserve(&mut self, more: usize) {
        self.expected = self.expected.saturating_add(more);
    }

    pub(super) fn push(&mut self, c: Candidate) {
        let room = self.expected.clamp(1, RUN);
        self.expected = self.expected.saturating_sub(1);
        match self.runs.last_mut() {
            Some(run) if run.len() < RUN => run.push(c),
            _ => {
                let mut run = Vec::with_capacity(room);
                run.push(c);
                self.runs.push(run);
            }
        }
    }

    /// Those of `other` after these.
    pub(super) fn append(&mut self, other: Runs) {
        self.runs.extend(other.runs);
    }

    /// The runs, in order; none is empty.
    pub(super) fn into_runs(self) -> Vec<Vec<Candidate>> {
        self.runs
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::inventory) fn candidate(state: State, name: &str) -> Candidate {
        Candidate {
            rel_path: name.into(),
            state,
            archived: false,
            symlink: false,
            special: None,
            stat: None,
        }
    }

    #[test]
    fn runs_keep_listing_order_and_hold_at_most_a_run_each() {
        let mut runs = Runs::default();
        runs.reserve(5);
        for i in 0..2500 {
            runs.push(candidate(State::Pending, &format!("p/{i}")));
        }
        let mut more = Runs::default();
        more.push(candidate(State::Done, "d/0"));
        runs.append(more);
        let runs = runs.into_runs();
        let lens: Vec<usize> = runs.iter().map(Vec::len).collect();
        assert_eq!(lens, [RUN, RUN, 2500 - 2 * RUN, 1]);
        let names: Vec<&str> = runs.iter().flatten().map(|c| &*c.rel_path).collect();
        assert_eq!(names.len(), 2501);
        assert_eq!(
            (names[0], names[1024], names[2499], names[2500]),
            ("p/0", "p/1024", "p/2499", "d/0")
        );
        assert!(runs.iter().all(|r| !r.is_empty()));
    }
}
