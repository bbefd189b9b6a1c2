//! [`Candidate`]: a file the listing of the state folders found, before it is taken
//! from the parse cache or read, and the [`Runs`] they are listed in (in a file of
//! their own so that the listing and the cache's takers can both name them without
//! naming each other).

use super::parse_cache::Stamp;
use crate::folder_entries::EntryType;
use crate::model::folder_no::{FolderNo, push_path};
use crate::model::short_text::ShortText;
use crate::model::state::State;

/// A file found in a state folder, to be read. Held for every file of the jobs dir
/// until the cache or a read has turned it into an [`OrderFile`]. Its name is held in
/// place and its folder by number (see [`Runs::dir`]): a path of its own was an
/// allocation a file in the listing and a free in the taking, 100,000 of each at
/// 100,000 WOs.
///
/// [`OrderFile`]: crate::model::order::OrderFile
pub(super) struct Candidate {
    /// Its folder, relative to the checkout: a number [`Runs::dir`] gave.
    pub(super) dir: u32,
    /// Its name in that folder (text: names that are not UTF-8 are never listed).
    pub(super) name: ShortText,
    pub(super) state: State,
    pub(super) archived: bool,
    /// Its type as listed: a symlink is never followed, and what is neither a regular
    /// file nor a symlink (a FIFO, a socket…) never opened.
    pub(super) file_type: EntryType,
    /// The file's stamp from `lstat`, when the parse cache is consulted.
    pub(super) stat: Option<Stamp>,
}

// (The saving is the point: checked. A folder's candidates are listed into one list,
// sorted, before they are runs: 64 bytes a file at the peak of a 100,000-WO listing.)
#[cfg(unix)]
const _: () = assert!(std::mem::size_of::<Candidate>() <= 64);

impl Candidate {
    pub(super) fn symlink(&self) -> bool {
        self.file_type.is_symlink()
    }

    /// Its type when it is neither a regular file nor a symlink: never opened.
    pub(super) fn special(&self) -> Option<EntryType> {
        (!self.file_type.is_file() && !self.symlink()).then_some(self.file_type)
    }

    /// Its path relative to the checkout, written into `out` (cleared first).
    pub(super) fn path_into(&self, dirs: &Dirs, out: &mut String) {
        out.clear();
        let dir = dirs.0.get(self.dir as usize).map_or("", |(d, _)| d);
        push_path(out, dir, &self.name);
    }

    /// Its folder's number and what its fields are to end with, given its `path`
    /// ([`Candidate::path_into`]): its name, or the whole path when its folder has no
    /// number (as [`FolderNo::split`] would say, without splitting the path again).
    pub(super) fn folder_and_tail<'p>(&'p self, dirs: &Dirs, path: &'p str) -> (FolderNo, &'p str) {
        match dirs.0.get(self.dir as usize).map(|(_, no)| *no) {
            Some(no) if no != FolderNo::NONE => (no, &self.name),
            _ => (FolderNo::NONE, path),
        }
    }

    /// The same candidate, its folder numbered `shift` further on (its folders put
    /// after others).
    pub(super) fn shift_dir(&mut self, shift: u32) {
        self.dir = self.dir.saturating_add(shift);
    }

    /// Its path relative to the checkout.
    pub(super) fn path(&self, dirs: &Dirs) -> String {
        let mut out = String::new();
        self.path_into(dirs, &mut out);
        out
    }
}

/// The folders candidates are in, relative to the checkout, by number, each with its
/// number for the process (see [`FolderNo`]), taken once for all its files.
#[derive(Debug, Default)]
pub(super) struct Dirs(Vec<(Box<str>, FolderNo)>);

/// Candidates pushed one by one go in runs of at most this many (64 KiB of them); a
/// small folder's are one run ([`WHOLE`]). A full run gets a
/// mapping of its own ([`crate::heap::own_mapping`]): the listers make them, and the
/// cache's takers on two threads free them while they make the files, and freed memory
/// is reused only by the thread whose heap it came from (at 100,000 WOs, a taker on a
/// thread of its own grew its heap by 3 MB beside the runs the other had freed).
const RUN: usize = 1024;

/// A folder's candidates up to this many are kept as one run, as they were listed
/// (at 10,000 WOs, each folder: 590 KiB at most); a bigger folder's are split into runs
/// of [`RUN`], freed as they are taken.
const WHOLE: usize = 8 * RUN;

/// Listed candidates in runs, in listing order (a folder's runs together, the folders
/// in state order): whoever takes them frees each run once it is passed. A big
/// folder's are runs of at most [`RUN`]: in one list its candidates were all held until
/// its last one was taken, beside the files made of them (at 100,000 WOs, 6 MB of the
/// peak). A folder of at most [`WHOLE`] is one run, the list it was sorted in.
#[derive(Default)]
pub(super) struct Runs {
    runs: Vec<Vec<Candidate>>,
    dirs: Dirs,
    /// How many more are expected (the room the next run is made with, up to [`RUN`]).
    expected: usize,
}

impl Runs {
    /// The number of the folder `rel` (relative to the checkout), for the candidates
    /// in it.
    pub(super) fn dir(&mut self, rel: &str) -> u32 {
        self.dirs.0.push((rel.into(), FolderNo::of(rel)));
        u32::try_from(self.dirs.0.len() - 1).unwrap_or(u32::MAX)
    }

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
                let room = match room {
                    RUN => crate::heap::own_mapping::<Candidate>(RUN),
                    room => room,
                };
                let mut run = Vec::with_capacity(room);
                run.push(c);
                self.runs.push(run);
            }
        }
    }

    /// How many candidates the runs hold.
    pub(super) fn len(&self) -> usize {
        self.runs.iter().map(Vec::len).sum()
    }

    /// The runs, taken out (the folders stay, for the candidates taken).
    pub(super) fn take_runs(&mut self) -> Vec<Vec<Candidate>> {
        std::mem::take(&mut self.runs)
    }

    /// The folders the candidates are in.
    pub(super) fn dirs(&self) -> &Dirs {
        &self.dirs
    }

    /// Those of `other` after these (their folders renumbered after these'); what was
    /// added to `other`'s folder numbers.
    pub(super) fn append(&mut self, other: Runs) -> u32 {
        let shift = u32::try_from(self.dirs.0.len()).unwrap_or(u32::MAX);
        self.dirs.0.extend(other.dirs.0);
        for mut run in other.runs {
            for c in &mut run {
                c.shift_dir(shift);
            }
            self.runs.push(run);
        }
        shift
    }

    /// Push `sorted`, a folder's candidates in order: as one run, taken as it is (no
    /// copy), when there are at most [`WHOLE`] and the last run is full (or there is
    /// none); otherwise one by one, in runs of [`RUN`].
    pub(super) fn push_sorted(&mut self, sorted: Vec<Candidate>) {
        let whole = sorted.len() <= WHOLE && self.runs.last().is_none_or(|r| r.len() >= RUN);
        if whole && !sorted.is_empty() {
            self.expected = self.expected.saturating_sub(sorted.len());
            self.runs.push(sorted);
            return;
        }
        for c in sorted {
            self.push(c);
        }
    }

    /// The runs, in order (none is empty), and the folders their candidates are in.
    pub(super) fn into_parts(self) -> (Vec<Vec<Candidate>>, Dirs) {
        (self.runs, self.dirs)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::inventory) fn candidate(state: State, name: &str) -> Candidate {
        Candidate {
            dir: 0,
            name: name.into(),
            state,
            archived: false,
            file_type: EntryType::File,
            stat: None,
        }
    }

    #[test]
    fn runs_keep_listing_order_and_hold_at_most_a_run_each() {
        let mut runs = Runs::default();
        runs.reserve(5);
        let p = runs.dir("jobs/pending");
        for i in 0..2500 {
            runs.push(Candidate {
                dir: p,
                ..candidate(State::Pending, &format!("{i}"))
            });
        }
        let mut more = Runs::default();
        more.dir("jobs/done");
        let a = more.dir("jobs/done/archive");
        more.push(Candidate {
            dir: a,
            ..candidate(State::Done, "0")
        });
        assert_eq!(runs.len(), 2500);
        assert_eq!(runs.append(more), 1);
        assert_eq!(runs.len(), 2501);
        let (runs, dirs) = runs.into_parts();
        let lens: Vec<usize> = runs.iter().map(Vec::len).collect();
        assert_eq!(lens, [RUN, RUN, 2500 - 2 * RUN, 1]);
        let names: Vec<String> = runs.iter().flatten().map(|c| c.path(&dirs)).collect();
        assert_eq!(names.len(), 2501);
        assert_eq!(
            [&names[0], &names[1024], &names[2499], &names[2500]],
            [
                "jobs/pending/0",
                "jobs/pending/1024",
                "jobs/pending/2499",
                "jobs/done/archive/0"
            ]
        );
        assert!(runs.iter().all(|r| !r.is_empty()));
        // Each one's folder number and tail, as splitting its path would give them.
        for c in runs.iter().flatten() {
            let path = c.path(&dirs);
            assert_eq!(
                c.folder_and_tail(&dirs, &path),
                FolderNo::split(&path),
                "{path}"
            );
        }
    }
}
