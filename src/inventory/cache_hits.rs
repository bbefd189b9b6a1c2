//! The listed files that the parse cache knows, taken from it on two threads when the
//! listing is big: each takes the lines of its own state folders, from where the cache
//! file says they start ([`ParseCache::split_off`]). At 100,000 WOs decoding the cached
//! lines took as long as listing the folders, on one core while the other was idle.

use std::mem::MaybeUninit;

use super::candidate::{Candidate, Dirs};
use super::parse_cache::{KeptStamp, ParseCache};
use crate::model::folder_no::FolderNo;
use crate::model::order::OrderFile;
use crate::model::state::State;

/// Below this many files one thread takes them all (a thread costs more to start).
const SPLIT_FROM: usize = 4096;

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
    // Each slot is written once by the thread whose share it is in, in place: filling
    // the lists first with placeholders to overwrite cost 5 ms at 100,000 WOs, on one
    // core before the two threads started (14 MB written, then written again).
    let mut files: Vec<OrderFile> = Vec::with_capacity(count);
    let mut stamps: Vec<Option<KeptStamp>> = Vec::with_capacity(count);
    crate::heap::prefer_huge_pages(&mut files);
    crate::heap::prefer_huge_pages(&mut stamps);
    let two = crate::parallel::cores() > 1;
    let split = (two && count >= SPLIT_FROM)
        .then(|| half_way(&candidates, count))
        .flatten()
        .and_then(|(folder, before)| {
            let state = candidates[folder].first()?.state;
            Some((folder, before, cache.split_off(state)?))
        });
    let file_slots = &mut files.spare_capacity_mut()[..count];
    let stamp_slots = &mut stamps.spare_capacity_mut()[..count];
    let (written, misses, unused) =
        take_shares(cache, candidates, split, dirs, now, file_slots, stamp_slots);
    // (The shares are cut from the candidates the slots are counted from: each slot is
    // written, or this is a bug, and nothing unwritten may be read.)
    assert_eq!(
        written, count,
        "every listed file has its slot written once"
    );
    // SAFETY: the first `count` slots of both lists were each written (`take_run`
    // writes every slot of the share it is given and counts them; the two shares
    // cover `0..count`, checked just above), and both have room for `count`.
    unsafe {
        files.set_len(count);
        stamps.set_len(count);
    }
    Hits {
        files,
        stamps,
        misses,
        unused,
    }
}

/// [`take_run`] over all the candidates, or, `split` at a folder with the rest of the
/// cache, over each share on a thread of its own: how many slots were written, the
/// misses in order, and whether the cache held lines no candidate took.
fn take_shares(
    cache: &mut ParseCache,
    mut candidates: Vec<Vec<Candidate>>,
    split: Option<(usize, usize, ParseCache)>,
    dirs: &Dirs,
    now: std::time::SystemTime,
    file_slots: &mut [MaybeUninit<OrderFile>],
    stamp_slots: &mut [MaybeUninit<Option<KeptStamp>>],
) -> (usize, Vec<(usize, Candidate)>, bool) {
    let Some((folder, before, mut rest)) = split else {
        let (written, misses) = take_run(cache, candidates, dirs, now, file_slots, stamp_slots, 0);
        return (written, misses, !cache.is_empty());
    };
    let tail = candidates.split_off(folder);
    let (head_files, tail_files) = file_slots.split_at_mut(before);
    let (head_stamps, tail_stamps) = stamp_slots.split_at_mut(before);
    std::thread::scope(|scope| {
        let handle = crate::placement::spawn(scope, || {
            let _t = crate::trace::phase("jobs dir: files, 2nd half");
            let (written, misses) =
                take_run(&mut rest, tail, dirs, now, tail_files, tail_stamps, before);
            (written, misses, !rest.is_empty())
        });
        let (written, mut misses) =
            take_run(cache, candidates, dirs, now, head_files, head_stamps, 0);
        let unused = !cache.is_empty();
        let (more_written, more, rest_unused) = crate::parallel::join(handle);
        // (In order: the second thread's come after the first's.)
        misses.extend(more);
        (written + more_written, misses, unused || rest_unused)
    })
}

/// The run to start the second thread's share at, and how many files come before it:
/// the start of a state folder nearest half of `count` (a share starts where the cache
/// says a folder's lines start, never within a folder).
fn half_way(runs: &[Vec<Candidate>], count: usize) -> Option<(usize, usize)> {
    let mut before: usize = 0;
    let mut best: Option<(usize, usize)> = None;
    let off = |before: usize| before.abs_diff(count - before);
    let mut last = None;
    for (i, run) in runs.iter().enumerate() {
        let Some(state) = run.first().map(|c| c.state) else {
            continue;
        };
        let starts_folder = last.is_some_and(|l| l != state);
        if starts_folder && best.is_none_or(|(_, b)| off(before) < off(b)) {
            best = Some((i, before));
        }
        last = Some(state);
        before += run.len();
    }
    best
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::candidate::tests::candidate;

    fn runs(spec: &[(State, usize)]) -> Vec<Vec<Candidate>> {
        spec.iter()
            .map(|&(state, n)| (0..n).map(|i| candidate(state, &format!("{i}"))).collect())
            .collect()
    }

    #[test]
    fn the_second_share_starts_at_a_folder_never_within_one() {
        use State::{Done, Failed, Pending};
        // Two runs of one folder, then two folders: the folder start nearest half.
        let r = runs(&[(Pending, 3), (Pending, 3), (Done, 2), (Failed, 1)]);
        assert_eq!(half_way(&r, 9), Some((2, 6)));
        let r = runs(&[(Pending, 1), (Done, 3), (Done, 3), (Failed, 2)]);
        assert_eq!(half_way(&r, 9), Some((3, 7)));
        let r = runs(&[(Pending, 2), (Done, 3), (Done, 3), (Failed, 4)]);
        assert_eq!(half_way(&r, 12), Some((3, 8)));
        // One folder in many runs: no split.
        let r = runs(&[(Done, 4), (Done, 4)]);
        assert_eq!(half_way(&r, 8), None);
    }
}
