//! The rules about a running WO: running_without_lock, stale_lock,
//! running_without_worktree, fail_but_running. They apply to a split-brain WO's
//! running copy too (the original auditor counts it); the fix then resolves the
//! split-brain first, and the next audit says what is left.

use super::wo::Wo;
use crate::error::shell_quote as q;
use crate::model::finding::{Code, Finding, Remedy};
use crate::model::state::State;
use crate::views::lock_need::LockNeed;

fn running(wo: &Wo<'_, '_>) -> bool {
    wo.v.states().contains(&State::Running)
}

fn in_flight(wo: &Wo<'_, '_>) -> bool {
    wo.v.record.is_some_and(|s| s.record.phase.in_flight())
}

/// Whether a lease (the record's, the `.lock` file's stamp or the YAML's `started_at`)
/// still runs: commands that take the WO from its holder need `--force` then.
fn lease_runs(wo: &Wo<'_, '_>) -> bool {
    wo.inv.lease_end(wo.v).is_some_and(|end| end > wo.inv.now)
}

/// The split-brain comes first: reconcile resolves it, and the next audit says what is
/// left of this finding.
fn split_first(wo: &Wo<'_, '_>) -> Option<Remedy> {
    wo.v.is_split_brain().then(|| {
        Remedy::run(
            "git wo reconcile --apply",
            "resolves the split-brain first; then rerun git wo audit",
        )
    })
}

/// `running_without_lock`: a running copy with no `.lock` file and no live record lock.
/// What fixes it is [`LockNeed`]'s decision, which reconcile's plan reads too.
pub fn running_without_lock(wo: &Wo<'_, '_>) -> Option<Finding> {
    let (id, v) = (wo.id, wo.v);
    if !running(wo) || v.lock().is_some() || in_flight(wo) || wo.inv.holder(v).is_live() {
        return None;
    }
    let remedy = match split_first(wo) {
        Some(r) => r,
        None => match LockNeed::of(wo.inv, v, true)? {
            LockNeed::Release => Remedy::run(
                "git wo gc --apply",
                format!(
                    "its lease expired: releases it, pending again, branch kept; or git wo take {id} --steal"
                ),
            ),
            LockNeed::CreateForWorktree => Remedy::run(
                "git wo reconcile --apply",
                "its worktree is live: recreates the lock",
            ),
            LockNeed::Requeue => Remedy::run(
                "git wo reconcile --apply --force",
                format!(
                    "no live worktree: requeues it; or git wo requeue {id} --reason {}",
                    q("no lock, no worktree")
                ),
            ),
            LockNeed::RecreateFor(_) | LockNeed::RewriteFor(_) => return None,
        },
    };
    Some(Finding::new(
        Code::RunningWithoutLock,
        Some(id.as_str()),
        format!("{id} is running but has no .lock file and no live record lock"),
        remedy,
        wo.running_paths(),
    ))
}

/// `stale_lock`: a running WO whose lease expired.
pub fn stale_lock(wo: &Wo<'_, '_>) -> Option<Finding> {
    let (inv, id, v) = (wo.inv, wo.id, wo.v);
    let end = inv.lease_end(v)?;
    if !running(wo) || end > inv.now || in_flight(wo) {
        return None;
    }
    let mut paths: Vec<String> = v.lock().map(|l| inv.rel(&l.rel_path)).into_iter().collect();
    paths.extend(wo.paths(v.files()));
    let remedy = split_first(wo).unwrap_or_else(|| {
        Remedy::run(
            "git wo gc --apply",
            format!("releases it: pending again, branch kept; or git wo take {id} --steal"),
        )
    });
    Some(Finding::new(
        Code::StaleLock,
        Some(id.as_str()),
        format!("{id}'s lease expired at {}", crate::model::when::shown(end)),
        remedy,
        paths,
    ))
}

/// `running_without_worktree`: a running WO with no worktree, unless a transition is in
/// flight, or a worktree it names is disputed (`worktree_conflict` says so).
pub fn running_without_worktree(wo: &Wo<'_, '_>) -> Option<Finding> {
    let (id, v) = (wo.id, wo.v);
    if !running(wo)
        || in_flight(wo)
        || !v.disputed().is_empty()
        || v.worktrees().iter().any(|w| w.exists)
    {
        return None;
    }
    let reason = q("worktree lost");
    let remedy = split_first(wo).unwrap_or_else(|| {
        if lease_runs(wo) {
            Remedy::run(
                format!("git wo requeue {id} --force --reason {reason}"),
                "its lease still runs: --force takes it from its holder, recorded; the branch is kept",
            )
        } else {
            Remedy::run(
                format!("git wo requeue {id} --reason {reason}"),
                "pending again; the branch is kept",
            )
        }
    });
    Some(Finding::new(
        Code::RunningWithoutWorktree,
        Some(id.as_str()),
        format!("{id} is running but its worktree is missing"),
        remedy,
        wo.running_paths(),
    ))
}

/// `fail_but_running`: `_ctx/logs/<ID>/verdict.json` says FAIL and the WO still runs.
pub fn fail_but_running(wo: &Wo<'_, '_>) -> Option<Finding> {
    let (inv, id) = (wo.inv, wo.id);
    if !running(wo) || !inv.fail_verdicts.contains(id.as_str()) {
        return None;
    }
    let remedy = split_first(wo).unwrap_or_else(|| {
        if inv.holder(wo.v).is_live() {
            Remedy::run(
                format!("git wo finish {id} --result failed --force"),
                "its holder's lease runs: --force finishes it for them, recorded",
            )
        } else {
            Remedy::run(format!("git wo finish {id} --result failed"), "")
        }
    });
    Some(Finding::new(
        Code::FailButRunning,
        Some(id.as_str()),
        format!("_ctx/logs/{id}/verdict.json says FAIL but {id} is still running"),
        remedy,
        vec![format!("_ctx/logs/{id}/verdict.json")],
    ))
}

#[cfg(test)]
mod tests {
    use crate::model::finding::Code;
    use crate::model::state::State;
    use crate::views::audit::audit;
    use crate::views::audit::test_support::{file, inv, of};

    #[test]
    fn a_lockless_running_wo_without_worktree_needs_force() {
        let inv = inv(vec![file(
            State::Running,
            "WO-0001.yaml",
            "id: WO-0001\nstatus: running\n",
        )]);
        let f = audit(&inv);
        assert_eq!(
            of(&f, Code::RunningWithoutLock),
            vec![(
                "WO-0001".into(),
                Some("git wo reconcile --apply --force".into())
            )]
        );
        assert_eq!(
            of(&f, Code::RunningWithoutWorktree),
            vec![(
                "WO-0001".into(),
                Some("git wo requeue WO-0001 --reason 'worktree lost'".into())
            )]
        );
    }

    #[test]
    fn a_young_running_wo_without_worktree_is_requeued_with_force() {
        let started = crate::clock::now().to_rfc3339();
        let inv = inv(vec![file(
            State::Running,
            "WO-0001.yaml",
            &format!("id: WO-0001\nstatus: running\nstarted_at: '{started}'\n"),
        )]);
        assert_eq!(
            of(&audit(&inv), Code::RunningWithoutWorktree),
            vec![(
                "WO-0001".into(),
                Some("git wo requeue WO-0001 --force --reason 'worktree lost'".into())
            )]
        );
    }

    #[test]
    fn the_running_rules_of_a_split_brain_wo_resolve_it_first() {
        let inv = inv(vec![
            file(
                State::Running,
                "WO-0001.yaml",
                "id: WO-0001\nstatus: running\n",
            ),
            file(
                State::Pending,
                "WO-0001.yaml",
                "id: WO-0001\nstatus: pending\n",
            ),
        ]);
        let f = audit(&inv);
        for code in [Code::RunningWithoutLock, Code::RunningWithoutWorktree] {
            assert_eq!(
                of(&f, code),
                vec![("WO-0001".into(), Some("git wo reconcile --apply".into()))]
            );
        }
    }
}
