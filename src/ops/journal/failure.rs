//! How a failing step is reported: a step's own error of git or the file system named
//! with its step and the command that goes on from there (a stale ref lock a killed
//! git left named first), and Ctrl-C between steps as an interruption (exit 130).

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::executor::Journal;
use super::liveness::in_flight_fix;
use super::plan::{Plan, Recovery, Step};
use crate::error::WoError;

impl Journal<'_> {
    /// An error of git or the file system in `step` (not one of git-wo's own, which
    /// say what they are): `<ID>: <op> step <step> failed: …`, keeping its kind, with
    /// the fix it had or the command that goes on from here.
    pub(super) fn step_failed(&self, plan: &Plan, step: &Step, e: anyhow::Error) -> anyhow::Error {
        if e.chain().any(|c| c.downcast_ref::<WoError>().is_some()) {
            return e;
        }
        let id = &plan.id;
        let w = crate::error::classify(&e);
        let inner = w
            .message
            .strip_prefix(&format!("{id}: "))
            .unwrap_or(&w.message);
        let phase_fix = self
            .current
            .as_ref()
            .and_then(|s| in_flight_fix(id, &s.record));
        let fix = match (plan.recovery, plan.op) {
            // Undone: try again once the cause is gone.
            (Recovery::Undo, op) => format!("fix the cause, then retry: git wo {op} {id}"),
            (Recovery::RollForward, "gc") => "fix the cause, then rerun: git wo gc --apply".into(),
            (Recovery::RollForward, "reconcile") => {
                "fix the cause, then rerun: git wo reconcile --apply".into()
            }
            (Recovery::RollForward, op) => phase_fix.map_or_else(
                || format!("fix the cause; git wo show {id} says where the {op} stopped"),
                |f| format!("fix the cause; then {f}"),
            ),
        };
        // A ref lock a killed git or git-wo left (git holds its own for milliseconds)
        // blocks every ref write: say which, and how to clear it, before the usual fix.
        let fix = match stale_ref_lock(&self.repo.common_dir, id.as_str()) {
            Some((path, age)) => format!(
                "{} is a lock left by a killed git or git-wo ({age}s old; it blocks every ref update): make sure no git or git-wo is running, then: rm -- {}; then {fix}",
                path.display(),
                crate::error::shell_quote(&path.to_string_lossy())
            ),
            None => fix,
        };
        WoError {
            kind: w.kind,
            message: format!("{id}: {} step {} failed: {inner}", plan.op, step.name()),
            fix: Some(fix),
        }
        .into()
    }
}

/// `Err` (exit 130) once Ctrl-C was pressed: the plan stops before its next step; a
/// take is undone by its recovery, a finish stays where its recorded phase says.
pub(super) fn interrupted(plan: &Plan, step: &Step) -> Result<()> {
    if !crate::interrupt::interrupted() {
        return Ok(());
    }
    let again = match plan.recovery {
        Recovery::Undo => format!("run it again: git wo {} {}", plan.op, plan.id),
        Recovery::RollForward => format!(
            "run the same command again: the {} goes on from where it stopped",
            plan.op
        ),
    };
    // SIGINT is also what the kernel sends when the `git` that ran git-wo dies.
    let cause = if crate::parent_death::parent_died() {
        "the git that ran it died"
    } else {
        "Ctrl-C"
    };
    Err(WoError::new(
        crate::error::Kind::Interrupted,
        format!(
            "{}: interrupted ({cause}) at the {} step of the {}",
            plan.id,
            step.name(),
            plan.op
        ),
    )
    .fix(again)
    .into())
}

/// The ref lock in the way of `id`'s ref writes, with its age in seconds, when one is
/// older than a second: `packed-refs.lock` (gix takes it for every checked update once
/// `packed-refs` exists), the record's or the notes ref's own `.lock`.
fn stale_ref_lock(common_dir: &Path, id: &str) -> Option<(PathBuf, u64)> {
    [
        common_dir.join("packed-refs.lock"),
        common_dir.join(format!("refs/wo/orders/{id}.lock")),
        common_dir.join("refs/notes/wo.lock"),
    ]
    .into_iter()
    .find_map(|p| {
        let age = std::fs::symlink_metadata(&p)
            .ok()?
            .modified()
            .ok()?
            .elapsed()
            .ok()?
            .as_secs();
        (age >= 1).then_some((p, age))
    })
}
