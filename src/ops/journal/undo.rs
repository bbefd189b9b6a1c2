//! Recovery. A take undoes what it did, newest first ([`Recovery::Undo`]): each step
//! that creates something leaves an [`Undo`], and every undo that deletes or moves is
//! fenced, so nothing is touched once the record is someone else's. Finish and requeue
//! undo nothing ([`Recovery::RollForward`]): the phase they recorded tells a rerun
//! where to go on, and every step is idempotent, so the rerun runs the same plan.
//!
//! [`Recovery::Undo`]: super::Recovery::Undo
//! [`Recovery::RollForward`]: super::Recovery::RollForward

use std::path::Path;

use super::executor::{Journal, Undo};
use super::plan::{Plan, Step};
use super::worktree::find_worktree;
use crate::error::WoError;
use crate::git::refs::Expect;
use crate::inventory::records;
use crate::model::state::State;

impl Journal<'_> {
    /// Undo newest first; returns what could not be undone. Each undo that deletes or
    /// moves is fenced: once the record is no longer ours, nothing more is touched.
    pub(super) fn undo_all(&mut self, plan: &Plan, undo: Vec<Undo>) -> Vec<String> {
        let (repo, id) = (self.repo, &plan.id);
        let mut problems = Vec::new();
        for step in undo.into_iter().rev() {
            if !matches!(step, Undo::Record { .. })
                && let Err(e) = self.ensure_fence(plan)
            {
                problems.push(format!("{e:#}"));
                return problems;
            }
            let r = match step {
                Undo::LockFile => self.jobs.remove_lock(id.as_str()),
                Undo::Yaml {
                    now_at,
                    was_at,
                    bytes,
                } => {
                    let to = state_of_folder(&was_at).unwrap_or(State::Pending);
                    self.jobs
                        .move_to(&now_at, to, id.as_str())
                        .and_then(|back| {
                            if back == was_at {
                                self.jobs.rewrite(&back, &bytes)
                            } else {
                                Ok(())
                            }
                        })
                }
                Undo::Worktree { path } => match find_worktree(repo, &path) {
                    Some(wt) => repo
                        .unlock_worktree(&wt)
                        .and_then(|_| repo.remove_worktree(&path)),
                    None => Ok(()),
                },
                Undo::Branch { name, at } => repo.delete_branch_if_at(&name, at),
                Undo::Published { remote, now, prev } => {
                    let update = crate::git::remote::Update {
                        name: records::ref_name(id.as_str()),
                        new: prev,
                        expect: Some(now),
                    };
                    repo.push_leased(&remote, &[update]).map(|_| ())
                }
                Undo::Record { prev } => {
                    let name = records::ref_name(id.as_str());
                    match (self.fence(), prev) {
                        (Some(ours), Some(p)) => {
                            repo.cas_ref(&name, Expect::At(ours), p, "git wo: undo")
                        }
                        (Some(ours), None) => repo.delete_ref_if_at(&name, ours),
                        (None, _) => Ok(()),
                    }
                }
            };
            if let Err(e) = r {
                problems.push(format!("{e:#}"));
            }
        }
        problems
    }
}

/// The error of a plan that was undone: the step's failure, what could not be undone,
/// and the command to retry.
pub(super) fn undone(
    plan: &Plan,
    step: &Step,
    e: anyhow::Error,
    problems: &[String],
) -> anyhow::Error {
    let id = &plan.id;
    let mut w = match e.downcast_ref::<WoError>() {
        Some(w) => w.clone(),
        None => crate::error::classify(&e),
    };
    let inner = w
        .message
        .strip_prefix(&format!("{id}: "))
        .unwrap_or(&w.message)
        .to_owned();
    // A step's own failure (see `Journal::step_failed`) names the step.
    let step_failed = format!("{} step {} failed: ", plan.op, step.name());
    w.message = match inner.strip_prefix(&step_failed) {
        Some(cause) => format!(
            "{id}: {} step {} failed and was undone: {cause}",
            plan.op,
            step.name()
        ),
        None => format!("{id}: {} failed and was undone: {inner}", plan.op),
    };
    for p in problems {
        w.message.push_str(&format!("\n  undo problem: {p}"));
    }
    if w.fix.is_none() {
        w.fix = Some(format!("git wo audit; then retry: git wo {} {id}", plan.op));
    }
    w.into()
}

/// The state whose folder holds `rel` (`…/<state>/<file>`).
fn state_of_folder(rel: &Path) -> Option<State> {
    let folder = rel.parent()?.file_name()?.to_str()?;
    State::ALL.into_iter().find(|s| s.as_str() == folder)
}
