//! The plan of `git wo reconcile` (SPEC §7), a pure function of the inventory: for each
//! WO, the repairs that bring it to one state, one file and the locks that state needs.
//!
//! The truth is the record when there is one; without one, the precedence rules of
//! [`winning_state`]. Every repair is `safe` (reversible, removes nothing: surplus copies
//! and stray locks go to quarantine) or `unsafe` (needs `--force`). What a WO will look
//! like after its repairs is what the later rules look at, so that one `--apply` leaves
//! nothing for a second one to do.

use std::path::PathBuf;

use serde::Serialize;

use crate::inventory::{Inventory, WoView};
use crate::model::finding::Code;
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::views::precedence::target_state;
use crate::views::standing::Standing;

mod copies;
mod locks;
mod records;
mod transition;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Safety {
    /// Reversible and removes nothing: done by `--apply`.
    Safe,
    /// Needs `--force`.
    Unsafe,
}

/// One typed repair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Repair {
    /// Move a surplus copy or a stray `.lock` file into quarantine.
    Quarantine { path: PathBuf },
    /// Move the YAML into `to`'s folder (when elsewhere) and set `status: <to>`.
    Place { path: PathBuf, to: State },
    /// Write `running/<ID>.lock` for the record's holder, or (no record) for the
    /// owner the YAML names: its worktree is live.
    CreateLock,
    /// A running WO with no lock and no live worktree goes back to pending (requeue's
    /// own plan: the record first, when there is one).
    Requeue { path: PathBuf },
    /// Write the missing YAML from the record's `order.yaml`.
    RestoreYaml { to: State },
    /// Import the YAML into a record (an initialised repository).
    CreateRecord,
    /// Roll an interrupted take back: pending again, branch and worktree kept.
    RollBackTake,
    /// Complete an interrupted finish with the verdict its record holds.
    CompleteFinish,
    /// Write git's lock of the WO's worktree again with the record's token.
    Relock { worktree: PathBuf, token: u64 },
}

/// A planned repair of one WO.
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    pub wo_id: WoId,
    pub code: Code,
    /// What will be done, in words.
    pub action: String,
    pub safety: Safety,
    pub paths: Vec<String>,
    pub repair: Repair,
}

/// Every repair the inventory calls for, WO by WO (in id order; within a WO, in the
/// order they are applied: surplus copies out, the keeper placed, locks, record).
pub fn plan(inv: &Inventory) -> Vec<Action> {
    let mut out = Vec::new();
    for (id, view) in &inv.wos() {
        let wo = Wo { inv, id, v: view };
        wo_plan(&wo, &mut out);
    }
    out
}

/// One WO as the rules see it.
pub(crate) struct Wo<'i, 'a> {
    pub inv: &'i Inventory,
    pub id: &'i WoId,
    pub v: &'i WoView<'a>,
}

impl Wo<'_, '_> {
    fn action(
        &self,
        code: Code,
        repair: Repair,
        safety: Safety,
        action: String,
        paths: Vec<String>,
    ) -> Action {
        Action {
            wo_id: self.id.clone(),
            code,
            action,
            safety,
            paths,
            repair,
        }
    }
    fn rel(&self, p: &std::path::Path) -> String {
        self.inv.rel(p)
    }
}

/// The rules, in the order their repairs apply.
fn wo_plan(wo: &Wo<'_, '_>, out: &mut Vec<Action>) {
    // A WO with an unreadable copy, or held in another clone, is no repair's (audit
    // says what a person does instead).
    if !Standing::of(wo.inv, wo.v).is_open() {
        return;
    }
    // An interrupted transition first: finishing it (or rolling it back) is what puts
    // the files right. One still in progress is left alone.
    if wo.v.record.is_some_and(|s| s.record.phase.in_flight()) {
        out.extend(transition::interrupted(wo));
        return;
    }
    // The state the WO ends in; none for an id that has only a lock (or only a
    // worktree, which is gc's).
    let target = target_state(wo.inv, wo.v);
    out.extend(copies::restore_yaml(wo));
    out.extend(copies::one_copy_in_place(wo, target));
    out.extend(locks::lock_file(wo, target));
    out.extend(records::create_record(wo));
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::order::OrderFile;

    fn file(state: State, name: &str, yaml: &str) -> OrderFile {
        OrderFile::in_folder(state, name, yaml)
    }

    #[test]
    fn split_brain_keeps_the_winner_and_quarantines_the_rest() {
        let files = vec![
            file(
                State::Pending,
                "WO-0001.yaml",
                "id: WO-0001\nstatus: pending\n",
            ),
            file(State::Done, "WO-0001.yaml", "id: WO-0001\nstatus: done\n"),
            file(
                State::Done,
                "WO-0002.yaml",
                "id: WO-0002\nstatus: running\n",
            ),
            file(State::Done, "WO-0003.yaml", "id: WO-0003\nstatus: done\n"),
            file(
                State::Done,
                "WO-0003_copy.yaml",
                "id: WO-0003\nstatus: done\n",
            ),
        ];
        let inv = Inventory::from_files(Path::new("/repo"), files, chrono::Utc::now());
        let plan = plan(&inv);
        let repairs: Vec<(&str, &Repair)> =
            plan.iter().map(|a| (a.wo_id.as_str(), &a.repair)).collect();
        assert_eq!(
            repairs,
            vec![
                (
                    "WO-0001",
                    &Repair::Quarantine {
                        path: "_ctx/jobs/pending/WO-0001.yaml".into()
                    }
                ),
                (
                    "WO-0002",
                    &Repair::Place {
                        path: "_ctx/jobs/done/WO-0002.yaml".into(),
                        to: State::Done
                    }
                ),
                (
                    "WO-0003",
                    &Repair::Quarantine {
                        path: "_ctx/jobs/done/WO-0003_copy.yaml".into()
                    }
                ),
            ]
        );
        assert!(plan.iter().all(|a| a.safety == Safety::Safe));
    }

    #[test]
    fn a_running_wo_with_nothing_live_needs_force() {
        let files = vec![file(
            State::Running,
            "WO-0001.yaml",
            "id: WO-0001\nstatus: running\n",
        )];
        let inv = Inventory::from_files(Path::new("/repo"), files, chrono::Utc::now());
        let plan = plan(&inv);
        assert_eq!(plan.len(), 1);
        assert_eq!(plan[0].safety, Safety::Unsafe);
        assert!(matches!(plan[0].repair, Repair::Requeue { .. }));
    }
}
