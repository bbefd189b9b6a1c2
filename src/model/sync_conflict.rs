//! What the last `git wo sync` found diverged: `<git-common-dir>/wo/sync-conflicts.json`,
//! written by every sync (removed when it finds none), so that `git wo audit` reports a
//! `sync_conflict` until someone resolves it (the local record or the remote's moves).

use serde::{Deserialize, Serialize};

/// The file, in `<git-common-dir>/wo/`.
pub const FILE: &str = "sync-conflicts.json";

/// One record that moved on both here and on the remote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncConflict {
    pub wo_id: String,
    /// The remote it diverged from.
    pub remote: String,
    /// The local record's commit when sync found it.
    pub local: String,
    /// The remote's record commit (fetched into `refs/remotes/<remote>/wo/orders/<ID>`).
    pub theirs: String,
    pub message: String,
    pub hint: String,
}

/// The file's contents.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SyncConflicts {
    pub schema: String,
    pub at: String,
    pub conflicts: Vec<SyncConflict>,
}

impl SyncConflicts {
    pub const SCHEMA: &'static str = "git-wo.sync-conflicts.v1";

    /// Parse the file; `None` when it is not one (a damaged file is ignored: the next
    /// sync writes it anew).
    pub fn parse(bytes: &[u8]) -> Option<SyncConflicts> {
        serde_json::from_slice::<SyncConflicts>(bytes)
            .ok()
            .filter(|c| c.schema == Self::SCHEMA)
    }
}
