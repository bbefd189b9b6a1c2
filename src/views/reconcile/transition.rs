//! An interrupted transition (take or finish) is rolled back or completed: what puts
//! the WO's files right. One still in progress is left alone.

use super::repair::{Action, Repair, Safety};
use super::wo::Wo;
use crate::inventory::records::ref_name;
use crate::model::finding::Code;
use crate::model::record::Phase;
use crate::model::state::State;

/// `interrupted_transition`: the same test as audit's ([`crate::inventory::Inventory::interrupted`]).
pub fn interrupted(wo: &Wo<'_, '_>) -> Option<Action> {
    let (inv, id, v) = (wo.inv, wo.id, wo.v);
    let r = &v.record?.record;
    if !r.phase.in_flight() || !inv.interrupted(id, v) {
        return None;
    }
    let (repair, what) = if r.phase == Phase::Taking {
        (
            Repair::RollBackTake,
            format!(
                "roll the interrupted take (token {}) back: {id} pending again, its branch and worktree kept",
                r.token
            ),
        )
    } else {
        let verdict = r.result.as_ref().map_or(State::Done, |o| o.verdict);
        (
            Repair::CompleteFinish,
            format!(
                "complete the interrupted finish (token {}): {id} {verdict}",
                r.token
            ),
        )
    };
    Some(wo.action(
        Code::InterruptedTransition,
        repair,
        Safety::Safe,
        what,
        vec![ref_name(id.as_str())],
    ))
}
