//! Holder liveness: whether the process that holds a record's lease is gone (the
//! rule `take --resume`, a rerun of a finish, audit and reconcile all act on), and what
//! carries on a transition a record shows in flight.

use crate::error::shell_quote;
use crate::model::record::{Phase, Record};
use crate::model::state::State;
use crate::model::wo_id::WoId;

/// Whether the process that holds `record`'s lease is gone: the lease expired, or it
/// ran on this host and its pid is dead.
pub fn holder_gone(record: &Record, now: chrono::DateTime<chrono::Utc>) -> bool {
    match &record.lock {
        None => true,
        Some(l) => l.expired(now) || l.process_dead_here(),
    }
}

/// What carries on a transition left in flight (`record.phase` taking or finishing),
/// for the fix line of every command that refuses because of it: a take is rolled
/// forward by its owner (`take --resume`) or back by `reconcile --apply`; a finish is
/// completed by rerunning `finish` with the verdict it recorded (its owner, or anyone
/// with `--force`) or by `reconcile --apply`. `None` when nothing is in flight.
pub fn in_flight_fix(id: &WoId, record: &Record) -> Option<String> {
    let owner = record
        .lock
        .as_ref()
        .map(|l| shell_quote(&l.owner))
        .unwrap_or_else(|| "its owner".to_owned());
    match record.phase {
        Phase::Taking => Some(format!(
            "wait for it; if it crashed: git wo take {id} --resume (as {owner}), or git wo reconcile --apply (rolls the take back)"
        )),
        Phase::Finishing => {
            let verdict = record.result.as_ref().map_or(State::Done, |o| o.verdict);
            Some(format!(
                "wait for it; if it crashed: git wo finish {id} --result {verdict} (as {owner}, else add --force), or git wo reconcile --apply (completes it)"
            ))
        }
        Phase::Idle | Phase::Active => None,
    }
}

/// The name of the transition in flight: `take` or `finish`.
pub fn in_flight_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Taking => "take",
        Phase::Finishing => "finish",
        Phase::Idle | Phase::Active => "transition",
    }
}
