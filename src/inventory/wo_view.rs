//! [`WoView`]: everything known about one WO id, its copies readable or not, its
//! `.lock`, its record and the worktrees it owns. Built by the inventory
//! ([`super::Inventory::wos`]), read by every view.

use crate::git::worktrees::Worktree;
use crate::inventory::few::{Few, Rare};
use crate::inventory::stored::Stored;
use crate::model::lockfile::LockFile;
use crate::model::order::OrderFile;
use crate::model::state::{State, StateSet};

/// Everything known about one WO id.
#[derive(Debug, Default)]
pub struct WoView<'a> {
    /// Live files (valid, not archived).
    pub files: Few<&'a OrderFile>,
    /// Copies in a state folder that cannot be read as a WO (merge-conflict markers,
    /// no `id:`…), known by their stem (SPEC §1). They count as copies: in `states`,
    /// split-brain and duplicates; and no repair or removal acts on the WO while it
    /// has one.
    pub unreadable: Rare<&'a OrderFile>,
    /// Archived copies (archive subfolders, names not starting with `WO-`): only for
    /// duplicate detection.
    pub archived: Rare<&'a OrderFile>,
    pub lock: Option<&'a LockFile>,
    pub record: Option<&'a Stored>,
    /// The worktrees it owns (see [`super::ownership`]).
    pub worktrees: Rare<&'a Worktree>,
    /// Worktrees it owns or claims whose facts name another WO too: a person decides;
    /// no view removes them or counts them missing.
    pub disputed: Rare<&'a Worktree>,
}

// (One for every WO, 100,000 at a time: checked. The state folders were a field of
// their own, which padding made 8 bytes.)
const _: () = assert!(std::mem::size_of::<WoView<'static>>() <= 64);

impl WoView<'_> {
    /// The state folders its copies are in, readable or not.
    pub fn states(&self) -> StateSet {
        let mut set = StateSet::default();
        for f in self.files.iter().chain(self.unreadable.iter()) {
            set.insert(f.folder);
        }
        set
    }
    /// The one state of a WO that is not split-brain.
    pub fn single_state(&self) -> Option<State> {
        let states = self.states();
        (states.len() == 1).then(|| states.first()).flatten()
    }
    pub fn is_split_brain(&self) -> bool {
        self.states().len() > 1
    }
    /// The YAML file in `state`, if any.
    pub fn file_in(&self, state: State) -> Option<&OrderFile> {
        self.files.iter().copied().find(|f| f.folder == state)
    }
    /// Whether a copy cannot be read: nothing may repair, move or remove this WO.
    pub fn has_unreadable(&self) -> bool {
        !self.unreadable.is_empty()
    }
    /// Whether the WO has any copy in a state folder, readable or not.
    pub fn has_copy(&self) -> bool {
        !self.files.is_empty() || !self.unreadable.is_empty()
    }
}
