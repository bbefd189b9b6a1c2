//! The `sync_conflict`s the last `git wo sync` left in `<git-common-dir>/wo/` that still
//! stand: the local record is still the commit sync saw, and so is the remote's as
//! fetched. Once either moved (`git update-ref` to keep theirs, a push to keep yours,
//! a later sync) the conflict is over.

use crate::git::Repo;
use crate::inventory::records::Records;
use crate::model::sync_conflict::{FILE, SyncConflict, SyncConflicts};

/// The conflicts of the last sync that nobody resolved since.
pub fn standing(repo: &Repo, records: &Records) -> Vec<SyncConflict> {
    let path = repo.wo_dir().join(FILE);
    let Ok(crate::regular::Regular::Bytes(bytes, _)) = crate::regular::read(&path, 1 << 20) else {
        return Vec::new();
    };
    let Some(file) = SyncConflicts::parse(&bytes) else {
        return Vec::new();
    };
    file.conflicts
        .into_iter()
        .filter(|c| {
            let here = records.get(&c.wo_id).map(|s| s.commit.to_string());
            let there = repo
                .ref_target(&format!("refs/remotes/{}/wo/orders/{}", c.remote, c.wo_id))
                .ok()
                .flatten()
                .map(|o| o.to_string());
            here.as_deref() == Some(c.local.as_str()) && there.as_deref() == Some(c.theirs.as_str())
        })
        .collect()
}
