//! What a running WO's `.lock` file needs: the one decision audit's lock findings and
//! reconcile's lock repairs both read, so that a finding whose fix is reconcile is
//! always one reconcile has a repair for (and gc's, when the lease ran out).

use crate::inventory::holder::Holder;
use crate::inventory::{Inventory, WoView};
use crate::model::record::Lease;

/// The `.lock` file a running WO should have, when it has none or a wrong one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockNeed<'a> {
    /// The record holds a live lease: write the `.lock` file for its holder (safe).
    RecreateFor(&'a Lease),
    /// The `.lock` file names another user than the record's live holder: quarantine
    /// it and write it again for the holder (safe).
    RewriteFor(&'a Lease),
    /// The record's lease ran out: a stale lock, gc releases it.
    Release,
    /// No lock in a record, but the worktree is live: create one for the owner the YAML
    /// names (safe).
    CreateForWorktree,
    /// No lock, no live worktree: requeue it (unsafe: `--force`).
    Requeue,
}

impl<'a> LockNeed<'a> {
    /// What `view`'s `.lock` file needs, if anything: `None` when it is right, or when
    /// the WO is not running, or a transition is in flight (that transition's repair
    /// comes first).
    pub fn of(inv: &Inventory, view: &WoView<'a>, running: bool) -> Option<LockNeed<'a>> {
        let record = view.record.map(|s| &s.record);
        if !running || record.is_some_and(|r| r.phase.in_flight()) {
            return None;
        }
        let holder = inv.holder(view);
        match (view.lock(), holder) {
            (Some(file), Holder::Here(lease) | Holder::Gone(lease)) => file
                .user
                .as_deref()
                .is_some_and(|u| u != lease.owner)
                .then_some(LockNeed::RewriteFor(lease)),
            (Some(_), _) => None,
            (None, Holder::Here(lease) | Holder::Gone(lease)) => Some(LockNeed::RecreateFor(lease)),
            (None, Holder::Expired(_)) => Some(LockNeed::Release),
            // Another clone's: not this clone's to mirror (see Standing).
            (None, Holder::Elsewhere(_)) => None,
            (None, Holder::Free) if view.worktrees().iter().any(|w| w.exists) => {
                Some(LockNeed::CreateForWorktree)
            }
            (None, Holder::Free) => Some(LockNeed::Requeue),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::git::worktrees::{Head, Worktree};
    use crate::model::order::OrderFile;
    use crate::model::state::State;

    fn running(with_worktree: bool) -> Option<&'static str> {
        let files = vec![OrderFile::in_folder(
            State::Running,
            "WO-0001.yaml",
            "id: WO-0001\nstatus: running\n",
        )];
        let mut inv = Inventory::from_files(Path::new("/repo"), files, crate::clock::now());
        if with_worktree {
            inv.worktrees.push(Worktree {
                name: "WO-0001".into(),
                path: PathBuf::from("/wt/WO-0001"),
                recorded: PathBuf::from("/wt/WO-0001"),
                admin_dir: PathBuf::from("/repo/.git/worktrees/WO-0001"),
                head: Head::Branch("feat/wo-WO-0001".into()),
                locked: None,
                exists: true,
                is_main: false,
            });
        }
        let wos = inv.wos();
        let view = wos.get("WO-0001")?;
        LockNeed::of(&inv, view, true).map(|n| match n {
            LockNeed::RecreateFor(_) => "recreate",
            LockNeed::RewriteFor(_) => "rewrite",
            LockNeed::Release => "release",
            LockNeed::CreateForWorktree => "create",
            LockNeed::Requeue => "requeue",
        })
    }

    #[test]
    fn a_lockless_running_wo_gets_a_lock_when_its_worktree_lives_else_is_requeued() {
        assert_eq!(running(true), Some("create"));
        assert_eq!(running(false), Some("requeue"));
    }
}
