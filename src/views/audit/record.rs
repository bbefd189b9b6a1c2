//! The rules about a WO's record: state_mismatch, orphan_record,
//! interrupted_transition, missing_intent_marker, unmirrored.

use super::wo::{Wo, quoted};
use crate::error::shell_quote as q;
use crate::inventory::records::ref_name;
use crate::model::finding::{Code, Finding, Remedy};
use crate::model::record::Phase;
use crate::model::state::State;

/// `state_mismatch`: the record's state is not the YAML's folder (no transition in
/// flight; a WO another clone holds is that clone's, see [`super::Standing`]).
pub fn state_mismatch(wo: &Wo<'_, '_>) -> Option<Finding> {
    let (inv, id, v) = (wo.inv, wo.id, wo.v);
    let r = &v.record?.record;
    let state = v.single_state()?;
    if state == r.state || r.phase.in_flight() {
        return None;
    }
    Some(Finding::new(
        Code::StateMismatch,
        Some(id.as_str()),
        format!("record says {id} is {}, its YAML is in {state}/", r.state),
        Remedy::run(
            "git wo reconcile --apply",
            format!(
                "the record is the truth: moves {} to {}/{}/",
                quoted(&wo.paths(v.files())),
                inv.jobs_rel,
                r.state
            ),
        ),
        wo.paths(v.files()),
    ))
}

/// `orphan_record`: a record with no copy at all.
pub fn orphan_record(wo: &Wo<'_, '_>) -> Option<Finding> {
    let (inv, id, v) = (wo.inv, wo.id, wo.v);
    let r = &v.record?.record;
    if v.has_copy() || r.phase.in_flight() {
        return None;
    }
    let name = ref_name(id.as_str());
    Some(Finding::new(
        Code::OrphanRecord,
        Some(id.as_str()),
        format!("{id} has a record ({}) but no YAML", r.state),
        Remedy::run(
            "git wo reconcile --apply",
            format!(
                "restores {}/{}/{id}.yaml from {name}",
                inv.jobs_rel, r.state
            ),
        ),
        vec![name],
    ))
}

/// `interrupted_transition`: a take or finish in flight that nobody carries on.
pub fn interrupted_transition(wo: &Wo<'_, '_>) -> Option<Finding> {
    let (inv, id, v) = (wo.inv, wo.id, wo.v);
    let r = &v.record?.record;
    if !inv.interrupted(id, v) {
        return None;
    }
    let expired = inv.lease_end(v).is_none_or(|end| end <= inv.now);
    let (what, remedy) = match r.phase {
        Phase::Taking => (
            "take",
            Remedy::run(
                "git wo reconcile --apply",
                format!(
                    "rolls it back: pending again, branch and worktree kept; or its owner resumes it: git wo take {id} --resume"
                ),
            ),
        ),
        _ => (
            "finish",
            Remedy::run(
                "git wo reconcile --apply",
                format!("completes it with the recorded verdict; or: git wo finish {id}"),
            ),
        ),
    };
    Some(Finding::new(
        Code::InterruptedTransition,
        Some(id.as_str()),
        format!(
            "{id}: a {what} (token {}) was interrupted{}",
            r.token,
            if expired {
                ": its lease expired"
            } else {
                ": its process is gone"
            }
        ),
        remedy,
        vec![ref_name(id.as_str())],
    ))
}

/// `missing_intent_marker`: a WO taken by git-wo (and not requeued) with no intent
/// marker.
pub fn missing_intent_marker(wo: &Wo<'_, '_>) -> Option<Finding> {
    let (inv, id, v) = (wo.inv, wo.id, wo.v);
    let r = &v.record?.record;
    // A requeued WO (pending again) is not "taken" any more: its interrupted take may
    // never have reached the marker.
    if r.token == 0
        || r.phase == Phase::Taking
        || r.state == State::Pending
        || inv.intent_marked.contains(id.as_str())
    {
        return None;
    }
    let marker = q(&crate::model::marker::intent(id.as_str(), r.title()));
    let remedy = match &r.base() {
        Some(base) => Remedy::run(
            format!("git notes --ref=wo append -m {marker} {}", q(base)),
            "on the commit its branch starts from",
        ),
        None => Remedy::decide(format!(
            "its record names no base commit: find the commit its branch starts from, then: git notes --ref=wo append -m {marker} <commit>"
        )),
    };
    Some(Finding::new(
        Code::MissingIntentMarker,
        Some(id.as_str()),
        format!("{id} was taken by git-wo but has no intent marker"),
        remedy,
        vec![ref_name(id.as_str())],
    ))
}

/// `unmirrored`: in an initialised repository, a WO with a YAML and no record.
pub fn unmirrored(wo: &Wo<'_, '_>) -> Option<Finding> {
    let (inv, id, v) = (wo.inv, wo.id, wo.v);
    if v.record.is_some() || !inv.initialized || v.files().is_empty() {
        return None;
    }
    Some(Finding::new(
        Code::Unmirrored,
        Some(id.as_str()),
        format!("{id} has no record under refs/wo/orders"),
        Remedy::run(
            "git wo reconcile --apply",
            "imports missing records; git wo init does too, safe to rerun",
        ),
        wo.paths(v.files()),
    ))
}

#[cfg(test)]
mod tests {
    use crate::model::finding::Code;
    use crate::model::state::State;
    use crate::views::audit::audit;
    use crate::views::audit::test_support::{file, inv, of};

    #[test]
    fn an_unmirrored_wo_is_reported_only_once_initialised() {
        let files = vec![file(
            State::Pending,
            "WO-0001.yaml",
            "id: WO-0001\nstatus: pending\n",
        )];
        let mut i = inv(files.clone());
        assert!(of(&audit(&i), Code::Unmirrored).is_empty());
        i.initialized = true;
        assert_eq!(
            of(&audit(&i), Code::Unmirrored),
            vec![("WO-0001".into(), Some("git wo reconcile --apply".into()))]
        );
    }
}
