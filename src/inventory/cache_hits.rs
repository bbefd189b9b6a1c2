//! The listed files that the parse cache knows, taken from it.
//!
//! A warm run of the working tree takes them folder by folder ([`Early`]), each folder
//! from its own lines of the cache (the file says where each folder's lines start,
//! [`ParseCache::split_at_folders`]), as soon as the folder and those before it are
//! listed (see [`super::folder_share`]): the thread that ends its listing first starts
//! taking while the other still lists. At 100,000 WOs decoding the cached lines took as
//! long as listing the folders; at 10,000 the take, once split between two threads
//! after the listing, started only once both had ended, then waited for a thread of its
//! own to start. A cache that does not say where the folders start is taken whole, on
//! one thread ([`take`]).

use std::mem::MaybeUninit;

use super::candidate::{Candidate, Dirs, Runs};
use super::parse_cache::{KeptStamp, ParseCache};
use crate::model::folder_no::FolderNo;
use crate::model::order::OrderFile;
use crate::model::state::State;

/// What the cache gave: a file or a placeholder for each candidate (in order), the
/// stamps of the hits, the candidates to read (with their place), and whether the cache
/// held lines no candidate took. A cache with no lines gives no files and no stamps:
/// every candidate is to read, in order.
pub(super) struct Hits {
    pub files: Vec<OrderFile>,
    pub stamps: Vec<Option<KeptStamp>>,
    pub misses: Vec<(usize, Candidate)>,
    pub unused: bool,
}

/// Take `candidates` from `cache`, all on this thread: for a cache not split at the
/// folders (one that does not say where their lines start).
pub(super) fn take(
    cache: &mut ParseCache,
    candidates: Vec<Vec<Candidate>>,
    dirs: &Dirs,
    now: std::time::SystemTime,
) -> Hits {
    if !cache.holds_lines() {
        // Nothing to take (a cold run): every candidate is a miss, and no file waits
        // in a placeholder (at 100,000 WOs, 20 MB written only to be overwritten).
        let misses = candidates.into_iter().flatten().enumerate().collect();
        return Hits {
            files: Vec::new(),
            stamps: Vec::new(),
            misses,
            // (A damaged file holds no line, but is still to be rewritten.)
            unused: !cache.is_empty(),
        };
    }
    let count: usize = candidates.iter().map(Vec::len).sum();
    let mut files: Vec<OrderFile> = Vec::with_capacity(count);
    let mut stamps: Vec<Option<KeptStamp>> = Vec::with_capacity(count);
    crate::heap::prefer_huge_pages(&mut files);
    crate::heap::prefer_huge_pages(&mut stamps);
    let misses = take_onto(&mut files, &mut stamps, cache, candidates, dirs, now);
    Hits {
        files,
        stamps,
        misses,
        unused: !cache.is_empty(),
    }
}

/// The files and stamps of a warm take made folder by folder ([`FolderTake`]): made
/// before the listing, with room for as many files as the state folders hold entries
/// (estimated from their sizes; room never written is never resident). The folders'
/// shares are written in place, each by the thread that takes it.
pub(super) struct Early {
    files: Vec<OrderFile>,
    stamps: Vec<Option<KeptStamp>>,
}

/// One state folder's share of an [`Early`] take: its lines of the parse cache, and
/// the room its files go in.
pub(super) struct FolderTake {
    cache: ParseCache,
    files: *mut MaybeUninit<OrderFile>,
    stamps: *mut MaybeUninit<Option<KeptStamp>>,
    room: usize,
    now: std::time::SystemTime,
}

// SAFETY: a `FolderTake` writes only the slots of its own share (see
// [`FolderTake::take`]), which no other share overlaps and nothing reads until every
// share is done; the buffers outlive it ([`Early::finish`] takes them back after).
unsafe impl Send for FolderTake {}

/// What a [`FolderTake`] gave: the slots it wrote, its misses (numbered among all the
/// files, their folders numbered in the folder's own listing), whether its lines held
/// some no file took, and whether it was left untaken (its files did not fit).
#[derive(Default)]
pub(super) struct Taken {
    pub written: usize,
    pub misses: Vec<(usize, Candidate)>,
    pub unused: bool,
    pub left: bool,
}

impl Early {
    /// Room for `room` files, and a share of it for each of `caches` (a state folder's
    /// lines each, in the folders' order).
    pub(super) fn new(
        room: usize,
        caches: Vec<ParseCache>,
        now: std::time::SystemTime,
    ) -> (Early, Vec<FolderTake>) {
        let mut early = Early {
            files: Vec::with_capacity(room),
            stamps: Vec::with_capacity(room),
        };
        let files = early.files.spare_capacity_mut().as_mut_ptr();
        let stamps = early.stamps.spare_capacity_mut().as_mut_ptr();
        let takes = caches
            .into_iter()
            .map(|cache| FolderTake {
                cache,
                files,
                stamps,
                room,
                now,
            })
            .collect();
        (early, takes)
    }

    /// The take made whole: the shares taken ([`Taken`], in order, their misses'
    /// folders numbered in `dirs`) kept in place, and those left untaken (`left`: their
    /// folders' candidates, numbered in `dirs`, in order, from the first left on) taken
    /// now, on this thread. Each share's cache is given back, in order: the first is
    /// the one the file was loaded into.
    pub(super) fn finish(
        mut self,
        takes: Vec<FolderTake>,
        taken: Vec<Taken>,
        left: Vec<Vec<Vec<Candidate>>>,
        dirs: &Dirs,
    ) -> (Hits, Vec<ParseCache>) {
        // (What follows holds only if the shares left untaken are the last ones, one
        // list of candidates each: checked, as nothing unwritten may be read.)
        let untaken = taken.iter().skip_while(|t| !t.left);
        assert!(
            untaken.clone().all(|t| t.left) && untaken.count() == left.len(),
            "only the last shares are left untaken, each with its candidates"
        );
        let written: usize = taken.iter().map(|t| t.written).sum();
        let mut misses = Vec::new();
        let mut unused = false;
        for t in taken {
            misses.extend(t.misses);
            unused |= t.unused;
        }
        // SAFETY: the shares taken cover `0..written`: each wrote every slot of its
        // share, the shares one after the other from 0, and a share left untaken is
        // followed only by shares left untaken (they start further on, and did not fit
        // either).
        unsafe {
            self.files.set_len(written);
            self.stamps.set_len(written);
        }
        let skipped = takes.len().saturating_sub(left.len());
        let _t = (!left.is_empty()).then(|| crate::trace::phase("jobs dir: take what did not fit"));
        let mut left = left.into_iter();
        let mut caches = Vec::with_capacity(takes.len());
        for (i, mut take) in takes.into_iter().enumerate() {
            if i >= skipped
                && let Some(candidates) = left.next()
            {
                let (files, stamps) = (&mut self.files, &mut self.stamps);
                let cache = &mut take.cache;
                misses.extend(take_onto(files, stamps, cache, candidates, dirs, take.now));
                unused |= !take.cache.is_empty();
            }
            caches.push(take.cache);
        }
        let hits = Hits {
            files: self.files,
            stamps: self.stamps,
            misses,
            unused,
        };
        (hits, caches)
    }
}

impl FolderTake {
    /// Take the candidates of `runs` (a folder's listing), whose slots start at `first`,
    /// from this share's lines; left in `runs`, untaken, when they do not fit the room.
    pub(super) fn take(&mut self, runs: &mut Runs, first: usize) -> Taken {
        let count = runs.len();
        if first.checked_add(count).is_none_or(|end| end > self.room) {
            return Taken {
                left: true,
                ..Taken::default()
            };
        }
        let _t = crate::trace::phase("jobs dir: take a folder");
        let candidates = runs.take_runs();
        // SAFETY: `first..first + count` lies within the room both buffers were made
        // with (checked just above); each folder's share starts where the shares of the
        // folders before it end, so no two overlap, and no slot is read until every
        // share is done (`Early::finish`).
        let (files, stamps) = unsafe {
            (
                std::slice::from_raw_parts_mut(self.files.add(first), count),
                std::slice::from_raw_parts_mut(self.stamps.add(first), count),
            )
        };
        crate::heap::prefer_huge_pages_in(files);
        crate::heap::prefer_huge_pages_in(stamps);
        let (written, misses) = take_run(
            &mut self.cache,
            candidates,
            runs.dirs(),
            self.now,
            files,
            stamps,
            first,
        );
        assert_eq!(
            written, count,
            "every listed file has its slot written once"
        );
        Taken {
            written,
            misses,
            unused: !self.cache.is_empty(),
            left: false,
        }
    }
}

/// Take `candidates` from `cache` onto the ends of `files` and `stamps` (room made for
/// them if need be), each slot written once, in place: filling the lists first with
/// placeholders to overwrite cost 5 ms at 100,000 WOs (14 MB written, then written
/// again). The misses, numbered from where the lists ended.
fn take_onto(
    files: &mut Vec<OrderFile>,
    stamps: &mut Vec<Option<KeptStamp>>,
    cache: &mut ParseCache,
    candidates: Vec<Vec<Candidate>>,
    dirs: &Dirs,
    now: std::time::SystemTime,
) -> Vec<(usize, Candidate)> {
    let at = files.len();
    assert_eq!(at, stamps.len(), "a stamp slot for every file slot");
    let count: usize = candidates.iter().map(Vec::len).sum();
    files.reserve_exact(count);
    stamps.reserve_exact(count);
    let file_slots = &mut files.spare_capacity_mut()[..count];
    let stamp_slots = &mut stamps.spare_capacity_mut()[..count];
    let (written, misses) = take_run(cache, candidates, dirs, now, file_slots, stamp_slots, at);
    // (Each slot is written, or this is a bug, and nothing unwritten may be read.)
    assert_eq!(
        written, count,
        "every listed file has its slot written once"
    );
    // SAFETY: the `count` slots after the first `at` of both lists were each written
    // (`take_run` writes every slot it is given and counts them, checked just above),
    // and both have room for them.
    unsafe {
        files.set_len(at + count);
        stamps.set_len(at + count);
    }
    misses
}

/// Take `candidates` from `cache` into `files` and `stamps` (as long as they), writing
/// every slot once (a placeholder and no stamp for a miss); how many slots it wrote,
/// and the misses, numbered from `first`.
fn take_run(
    cache: &mut ParseCache,
    candidates: Vec<Vec<Candidate>>,
    dirs: &Dirs,
    now: std::time::SystemTime,
    files: &mut [MaybeUninit<OrderFile>],
    stamps: &mut [MaybeUninit<Option<KeptStamp>>],
    first: usize,
) -> (usize, Vec<(usize, Candidate)>) {
    let mut misses = Vec::new();
    let mut written = 0;
    let slots = files.iter_mut().zip(stamps.iter_mut());
    // Each path written into one buffer (a candidate holds its name and its folder's
    // number).
    let mut path = String::new();
    for (k, (c, (file, stamp_slot))) in candidates.into_iter().flatten().zip(slots).enumerate() {
        c.path_into(dirs, &mut path);
        let (dir, name) = c.folder_and_tail(dirs, &path);
        let hit = c
            .stat
            .and_then(|s| Some((s, cache.take(&path, name, s, now)?)));
        match hit {
            Some((stamp, p)) => {
                // (The parse cache built the fields with the name after them.)
                debug_assert_eq!(p.fields.tail(), name);
                let mut f =
                    OrderFile::of_fields(dir, c.state, c.archived, p.id, p.problem, p.fields);
                f.set_modified_ns(stamp.mtime_ns);
                file.write(f);
                stamp_slot.write(Some(KeptStamp::of(stamp)));
            }
            None => {
                file.write(placeholder());
                stamp_slot.write(None);
                misses.push((first + k, c));
            }
        }
        written += 1;
    }
    (written, misses)
}

/// What stands in a miss's place until it is read.
fn placeholder() -> OrderFile {
    OrderFile::of_fields(
        FolderNo::NONE,
        State::Pending,
        false,
        None,
        None,
        Default::default(),
    )
}
