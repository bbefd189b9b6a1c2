//! The candidates of `git wo gc` (SPEC §8), a pure function of the inventory: zombie
//! and ghost worktrees, prunable worktree metadata and stale locks, exactly as audit
//! reports them. Whether a worktree may go is not decided here: that needs git (its
//! status, its commits) and is checked again, under the repository lock, right before
//! anything is removed ([`crate::ops::gc`]).

use std::path::PathBuf;

use serde::Serialize;

use crate::inventory::Inventory;
use crate::model::finding::Code;
use crate::model::state::State;

/// The fix of the findings that are gc's.
pub const GC: &str = "git wo gc --apply";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Zombie,
    Ghost,
    Prunable,
    StaleLock,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Zombie => "zombie",
            Kind::Ghost => "ghost",
            Kind::Prunable => "prunable",
            Kind::StaleLock => "stale_lock",
        }
    }
}

/// In the JSON report as [`Kind::as_str`] names it.
impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub kind: Kind,
    pub wo_id: Option<String>,
    /// The worktree (zombie, ghost, prunable).
    pub path: Option<PathBuf>,
    /// The WO's state (zombie: done or failed; stale lock: running).
    pub wo_state: Option<State>,
}

/// Every candidate, in a stable order (kind, then WO, then path): exactly the findings
/// audit sends to gc (their fix is `git wo gc --apply`). Audit sends none about a WO
/// mid-transition or still running by its record (an interrupted transition is
/// reconcile's, and a finish in flight removes its worktree itself), none about a WO
/// with an unreadable copy or held in another clone, and none about a worktree whose
/// owner is disputed.
pub fn candidates(inv: &Inventory) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = crate::views::audit::audit(inv)
        .into_iter()
        .filter(|f| f.fix.as_deref() == Some(GC))
        .filter_map(|f| {
            let kind = match f.code {
                Code::ZombieWorktree => Kind::Zombie,
                Code::GhostWorktree => Kind::Ghost,
                Code::PrunableWorktree => Kind::Prunable,
                Code::StaleLock => Kind::StaleLock,
                _ => return None,
            };
            Some(Candidate {
                kind,
                wo_id: f.wo_id,
                path: f.subject.worktree,
                wo_state: match kind {
                    Kind::StaleLock => Some(State::Running),
                    _ => f.subject.winner,
                },
            })
        })
        .collect();
    out.sort_by(|a, b| (a.kind, &a.wo_id, &a.path).cmp(&(b.kind, &b.wo_id, &b.path)));
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::git::worktrees::{Head, Worktree};
    use crate::model::order::OrderFile;

    #[test]
    fn a_worktree_of_a_done_wo_and_one_of_no_wo_are_candidates() {
        let file = OrderFile::in_folder(State::Done, "WO-0001.yaml", "id: WO-0001\nstatus: done\n");
        let mut inv = Inventory::from_files(Path::new("/repo"), vec![file], crate::clock::now());
        for id in ["WO-0001", "WO-0002"] {
            inv.worktrees.push(Worktree {
                name: id.into(),
                path: PathBuf::from(format!("/wt/{id}")),
                recorded: PathBuf::from(format!("/wt/{id}")),
                admin_dir: PathBuf::from(format!("/repo/.git/worktrees/{id}")),
                head: Head::Branch(format!("feat/wo-{id}")),
                locked: None,
                exists: true,
                is_main: false,
            });
        }
        let c = candidates(&inv);
        let kinds: Vec<(Kind, Option<&str>)> =
            c.iter().map(|c| (c.kind, c.wo_id.as_deref())).collect();
        assert_eq!(
            kinds,
            vec![
                (Kind::Zombie, Some("WO-0001")),
                (Kind::Ghost, Some("WO-0002"))
            ]
        );
        assert_eq!(c[0].wo_state, Some(State::Done));
    }
}
