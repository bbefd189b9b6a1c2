//! The plan of `git wo reconcile` (SPEC §7), a pure function of the inventory: for each
//! WO, the repairs that bring it to one state, one file and the locks that state needs.
//!
//! The truth is the record when there is one; without one, the precedence rules of
//! [`winning_state`]. Every repair is `safe` (reversible, removes nothing: surplus copies
//! and stray locks go to quarantine) or `unsafe` (needs `--force`). What a WO will look
//! like after its repairs is what the later rules look at, so that one `--apply` leaves
//! nothing for a second one to do.

use crate::inventory::Inventory;
use crate::views::precedence::target_state;
use crate::views::standing::Standing;

mod copies;
mod locks;
mod records;
mod repair;
mod transition;
mod wo;

pub use repair::{Action, Repair, Safety};
use wo::Wo;

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
    use crate::model::state::State;

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
        let inv = Inventory::from_files(Path::new("/repo"), files, crate::clock::now());
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
        let inv = Inventory::from_files(Path::new("/repo"), files, crate::clock::now());
        let plan = plan(&inv);
        assert_eq!(plan.len(), 1);
        assert_eq!(plan[0].safety, Safety::Unsafe);
        assert!(matches!(plan[0].repair, Repair::Requeue { .. }));
    }
}
