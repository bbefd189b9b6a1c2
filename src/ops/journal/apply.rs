//! The executor's loop: [`Journal::apply`] runs a plan's steps in order. Before each
//! one it checks for Ctrl-C and, for a destructive step, the fence ([`super::fence`]);
//! after each one it hits the failpoint `<op>:after-<step>`. On an error it recovers
//! as the plan says ([`super::undo`]); after the last step it stages what moved
//! ([`super::staging`]). What each kind of step does is in the file of its concept:
//! records ([`super::record`]), jobs-dir files ([`super::files`]), worktrees
//! ([`super::worktree`]), markers ([`super::marker`]), remotes ([`super::publish`]).

use anyhow::Result;

use super::executor::{Journal, Progress};
use super::failure::interrupted;
use super::marker::write_marker;
use super::plan::{Applied, Plan, Recovery, Step};
use super::undo::undone;
use super::worktree::{drop_half_made, release_worktree, save_commit, write_session};
use crate::failpoint;
use crate::ops::quarantine;

impl Journal<'_> {
    /// Apply `plan`. On an error, recover as the plan says; the error keeps its kind.
    pub fn apply(&mut self, plan: &Plan) -> Result<Applied> {
        let mut progress = Progress::default();
        for step in &plan.steps {
            let result = interrupted(plan, step)
                .and_then(|_| self.check_fence(plan, step))
                .and_then(|_| {
                    self.run(plan, step, &mut progress)
                        .map_err(|e| self.step_failed(plan, step, e))
                })
                // Ctrl-C during a step (which may have failed because its git child
                // got the signal too) counts as an interruption of it.
                .and_then(|_| interrupted(plan, step));
            if let Err(e) = result {
                if plan.recovery == Recovery::Undo && !progress.undo.is_empty() {
                    // Every undo that deletes or moves is fenced, so this is safe even
                    // when the error is that someone else took over.
                    let problems = self.undo_all(plan, std::mem::take(&mut progress.undo));
                    return Err(undone(plan, step, e, &problems));
                }
                return Err(e);
            }
            failpoint::hit(&format!("{}:after-{}", plan.op, step.name()));
        }
        self.stage(plan);
        failpoint::hit(&format!("{}:after-stage", plan.op));
        Ok(progress.done)
    }

    /// Do one step, in the file of its concept.
    fn run(&mut self, plan: &Plan, step: &Step, p: &mut Progress) -> Result<()> {
        let (repo, id) = (self.repo, &plan.id);
        match step {
            Step::Record(w) => self.write_record(id, w, p)?,
            Step::CreateBranch { name, at } => self.create_branch(name, *at, p)?,
            Step::AddWorktree {
                path,
                branch,
                reason,
                repair,
            } => {
                let (wt, created) =
                    self.add_worktree(id, path, branch, reason, *repair, &mut p.undo)?;
                p.done.worktree_created = created;
                p.done.worktree = Some(wt);
            }
            Step::WriteSession { path, session } => write_session(repo, id, path, session)?,
            Step::PlaceYaml {
                from,
                bytes,
                to,
                edits,
            } => self.place_yaml(id, from, bytes, *to, edits, p)?,
            Step::CreateLock { text, replace } => self.create_lock(id, text, *replace, p)?,
            Step::RemoveLock => self.remove_lock(id)?,
            Step::Marker { target, line } => write_marker(repo, *target, line)?,
            Step::ReleaseWorktree {
                path,
                remove,
                force,
            } => release_worktree(repo, path, *remove, *force, &mut p.done)?,
            Step::SaveCommit { name, at } => save_commit(repo, plan.op, name, *at)?,
            Step::Quarantine { from, dir, entry } => {
                quarantine::put(&repo.control_root, dir, from, entry)?;
                self.touched.push(from.clone());
            }
            Step::RestoreYaml { to, bytes } => self.restore_yaml(id, *to, bytes, p)?,
            Step::DropHalfMade { path, commit } => {
                drop_half_made(repo, id, path, *commit, &mut p.done)?
            }
            Step::Save { from, dir, entry } => {
                quarantine::save(&repo.control_root, dir, from, entry)?;
            }
            Step::Unquarantine { item, aside } => self.unquarantine(item, aside.as_ref(), p)?,
            Step::Publish { remote, required } => self.publish_step(plan, remote, *required, p)?,
            Step::Adopt { commit } => self.adopt(plan, *commit)?,
        }
        Ok(())
    }
}
