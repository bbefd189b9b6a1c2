//! Records: `refs/wo/orders/<ID>` → a commit per transition whose tree holds
//! `record.json` and `order.yaml` (SPEC §2). Reading them is here; writing them is the
//! journal's (`ops::transition`).

use anyhow::{Context, Result};
use gix::ObjectId;

use crate::git::Repo;
use crate::git::refs::LogEntry;
use crate::inventory::record_cache::{self, RecordCache};
pub use crate::inventory::stored::Stored;
use crate::model::record::Record;

pub const PREFIX: &str = "refs/wo/orders/";
pub const RECORD_FILE: &str = "record.json";
pub const ORDER_FILE: &str = "order.yaml";
/// The folder of a finish's evidence bundle (`verify.log`, `diff.patch`, …).
pub const EVIDENCE_DIR: &str = "evidence";

/// A record that could not be read.
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub ref_name: String,
    pub why: String,
}

/// Every readable record, sorted by id: looked up by binary search. (A map keyed by a
/// copy of each id cost 10,000 allocations and two moves of every record per run.)
#[derive(Debug, Clone, Default)]
pub struct Records(Vec<Stored>);

impl Records {
    /// The records of `stored`, in any order; of two with the same id the later wins.
    pub fn new(mut stored: Vec<Stored>) -> Records {
        if !stored.is_sorted_by(|a, b| a.record.id() < b.record.id()) {
            // Stable, so that "later wins" below keeps its meaning.
            stored.sort_by(|a, b| a.record.id().cmp(b.record.id()));
            let mut kept: Vec<Stored> = Vec::with_capacity(stored.len());
            for s in stored {
                match kept.last_mut() {
                    Some(last) if last.record.id() == s.record.id() => *last = s,
                    _ => kept.push(s),
                }
            }
            stored = kept;
        }
        Records(stored)
    }

    /// The record of `id`.
    pub fn get(&self, id: &str) -> Option<&Stored> {
        self.0
            .binary_search_by(|s| s.record.id().cmp(id))
            .ok()
            .and_then(|i| self.0.get(i))
    }

    /// The records in id order.
    pub fn values(&self) -> std::slice::Iter<'_, Stored> {
        self.0.iter()
    }

    /// The ids in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|s| s.record.id())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub fn ref_name(id: &str) -> String {
    format!("{PREFIX}{id}")
}

/// Every record, plus the refs under the prefix that could not be read. Records come
/// from the record cache when the refs have not moved, and records whose commit is in
/// it cost no object read when they have.
pub fn read_all(repo: &Repo) -> Result<(Vec<Stored>, Vec<Unreadable>)> {
    let mut cache = RecordCache::load(&repo.wo_dir());
    // The key is taken before the refs are listed: a change while listing makes it stale.
    let key = record_cache::refs_key(&repo.common_dir, std::time::SystemTime::now());
    if let Some(records) = cache.hit(key.as_deref()) {
        return Ok((records, Vec::new()));
    }
    let mut known = cache.by_commit();
    let refs = repo.refs_under(PREFIX)?;
    let progress = crate::progress::start("Reading records", refs.len());
    // What the cache knows is taken in ref order, the rest read in parallel (in ref
    // order too); the two are merged by place, so that records and unreadable refs keep
    // the order of the refs. (A slot for every ref was one more copy of every record.)
    let count = refs.len();
    let mut known_here: Vec<(usize, Result<Stored, Unreadable>)> = Vec::new();
    let mut to_read = Vec::new();
    for (slot, r) in refs.into_iter().enumerate() {
        let expected_id = r.name.strip_prefix(PREFIX).unwrap_or_default();
        if let Ok(commit) = &r.target
            && let Some(record) = known.remove(commit).filter(|rec| rec.id() == expected_id)
        {
            progress.add(1);
            let commit = *commit;
            known_here.push((slot, Ok(Stored { record, commit })));
            continue;
        }
        match r.target {
            Ok(commit) => to_read.push(((slot, r.name), commit)),
            Err(why) => {
                progress.add(1);
                let ref_name = r.name;
                known_here.push((slot, Err(Unreadable { ref_name, why })));
            }
        }
    }
    let read = repo.map_files_in_commits(to_read, RECORD_FILE, |(slot, ref_name), commit, data| {
        progress.add(1);
        let read = stored_of(commit, data).map_err(|e| Unreadable {
            ref_name,
            why: format!("{e:#}"),
        });
        (slot, read)
    });
    drop(progress);
    let mut ok = Vec::with_capacity(count);
    let mut bad = Vec::new();
    for read in in_place_order(known_here, read) {
        match read {
            Ok(s) => ok.push(s),
            Err(u) => bad.push(u),
        }
    }
    // An unreadable ref is read again next time: never cache a list that lacks it.
    cache.save(key.as_deref().filter(|_| bad.is_empty()), &ok);
    Ok((ok, bad))
}

/// The items of two lists each in place order, merged in place order.
fn in_place_order<T>(
    a: Vec<(usize, T)>,
    b: impl IntoIterator<Item = (usize, T)>,
) -> impl Iterator<Item = T> {
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    std::iter::from_fn(move || {
        let a_first = match (a.peek(), b.peek()) {
            (Some((i, _)), Some((j, _))) => i < j,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if a_first { a.next() } else { b.next() }.map(|(_, t)| t)
    })
}

/// The record of `id`, if it has one.
pub fn read(repo: &Repo, id: &str) -> Result<Option<Stored>> {
    match repo.ref_target(&ref_name(id))? {
        None => Ok(None),
        Some(commit) => at(repo, commit).map(Some),
    }
}

/// The record stored in `commit`.
pub fn at(repo: &Repo, commit: ObjectId) -> Result<Stored> {
    stored_of(commit, repo.file_in_commit(commit, RECORD_FILE))
}

/// The record of `commit` from its `record.json` as read (`None`: it has none).
fn stored_of(commit: ObjectId, data: Result<Option<Vec<u8>>>) -> Result<Stored> {
    let data = data?.context("commit has no record.json")?;
    let record: Record =
        serde_json::from_slice(&data).context("record.json is not a git-wo.record.v1")?;
    Ok(Stored { record, commit })
}

/// `order.yaml` (the WO's YAML as of that transition) of a record commit.
pub fn order_yaml_at(repo: &Repo, commit: ObjectId) -> Result<Option<Vec<u8>>> {
    repo.file_in_commit(commit, ORDER_FILE)
}

/// The record's transitions, newest first.
pub fn history(repo: &Repo, id: &str, limit: usize) -> Result<Vec<LogEntry>> {
    match repo.ref_target(&ref_name(id))? {
        None => Ok(Vec::new()),
        Some(commit) => repo.first_parent_log(commit, limit),
    }
}

/// The files of an evidence folder: (name, blob).
pub type EvidenceFiles = Vec<(String, ObjectId)>;

/// The evidence of `id`'s latest finish: the commit that holds it and its files
/// (name, blob), from the record's newest transition back (a later take or requeue
/// writes none). `None` when no transition holds any.
pub fn evidence(repo: &Repo, id: &str) -> Result<Option<(ObjectId, EvidenceFiles)>> {
    let Some(tip) = repo.ref_target(&ref_name(id))? else {
        return Ok(None);
    };
    for entry in repo.first_parent_log(tip, 1000)? {
        let commit = ObjectId::from_hex(entry.commit.as_bytes())
            .with_context(|| format!("{id}: record commit {}", entry.commit))?;
        if let Some(tree) = repo.subtree_in_commit(commit, EVIDENCE_DIR)? {
            return Ok(Some((commit, repo.tree_blobs(tree)?)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_lists_merge_in_place_order() {
        let known = vec![(0, "a"), (3, "d"), (4, "e")];
        let read = vec![(1, "b"), (2, "c"), (5, "f")];
        let all: Vec<&str> = super::in_place_order(known, read).collect();
        assert_eq!(all, ["a", "b", "c", "d", "e", "f"]);
        let only_read: Vec<&str> = super::in_place_order(Vec::new(), vec![(0, "x")]).collect();
        assert_eq!(only_read, ["x"]);
        let only_known: Vec<&str> = super::in_place_order(vec![(0, "y")], Vec::new()).collect();
        assert_eq!(only_known, ["y"]);
    }
}
