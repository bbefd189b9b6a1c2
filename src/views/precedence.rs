//! Which copy of a split-brain WO is the truth (SPEC §7): a record when there is one;
//! otherwise terminal beats running beats pending, done vs failed goes to the later
//! `finished_at`, and pending vs running goes to running only when a lock or worktree
//! is live.

use crate::inventory::{Inventory, WoView};
use crate::model::state::State;

/// The state a WO ends in after its repairs: its record's when it has one (the record
/// is the truth), else the precedence rules' ([`winning_state`]). Audit's hints and
/// reconcile's plan both read it.
pub fn target_state(inv: &Inventory, view: &WoView<'_>) -> Option<State> {
    view.record
        .map(|s| s.record.state)
        .or_else(|| winning_state(inv, view))
}

pub fn winning_state(inv: &Inventory, view: &WoView<'_>) -> Option<State> {
    if let Some(s) = view.record
        && view.states().contains(&s.record.state)
    {
        return Some(s.record.state);
    }
    let has = |s: State| view.states().contains(&s);
    if has(State::Done) && has(State::Failed) {
        let finished = |s: State| {
            view.file_in(s)
                .and_then(|f| f.finished_at())
                .unwrap_or_default()
        };
        // RFC 3339 stamps in one zone compare as text; ties go to done.
        return Some(if finished(State::Failed) > finished(State::Done) {
            State::Failed
        } else {
            State::Done
        });
    }
    if has(State::Done) {
        return Some(State::Done);
    }
    if has(State::Failed) {
        return Some(State::Failed);
    }
    if has(State::Running) && has(State::Pending) {
        let live_lock = view.lock().is_some()
            || view
                .record
                .and_then(|s| s.record.live_lock(inv.now))
                .is_some();
        let live_worktree = view.worktrees().iter().any(|w| w.exists);
        return Some(if live_lock || live_worktree {
            State::Running
        } else {
            State::Pending
        });
    }
    view.states().first()
}
