//! `requeue`: a failed WO, a running WO whose lease expired, or an interrupted take goes
//! back to pending, keeping its branch, commits and worktree. The record moves first
//! (it is the truth), then the YAML, then the locks are released.
//!
//! The phases: gather the WO's one copy ([`one_copy`]), decide whether it may go back
//! ([`Request::decide`]), plan the steps ([`Request::plan`]), apply them through the
//! journal, report ([`Request::report`]).

use anyhow::{Context, Result};
use chrono::Utc;
use serde::Serialize;

use crate::error::WoError;
use crate::git::Repo;
use crate::inventory::records::Stored;
use crate::inventory::{Inventory, WoView};
use crate::model::order::OrderFile;
use crate::model::record::{Phase, Record};
use crate::model::record_texts::Text;
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::ops::journal::{
    self, Applied, Journal, OrderYaml, Parent, Plan, RecordWrite, Recovery, Step,
};
use crate::ops::quarantine::Saving;

#[derive(Debug, Serialize)]
pub struct Requeued {
    pub schema: &'static str,
    pub id: String,
    pub from: State,
    /// The holder whose live lease `--force` overrode.
    pub forced_over: Option<String>,
    pub yaml: String,
    pub reason: String,
    pub branch_kept: Option<String>,
    pub worktree_kept: Option<String>,
    /// WOs added since init that this requeue mirrored into records on the way.
    pub mirrored: Vec<String>,
    /// Half-made worktrees (a take killed inside `git worktree add`) taken apart.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub half_made_dropped: Vec<String>,
    /// Half-made worktrees kept, each with why and its fix.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub half_made_kept: Vec<String>,
}

/// `force`: requeue a running WO whose lease still runs (its worktree lost, its holder
/// gone), recorded as an override naming the holder.
pub fn requeue(repo: &Repo, id: &WoId, reason: &str, owner: &str, force: bool) -> Result<Requeued> {
    requeue_as(repo, id, reason, owner, "requeue", false, force, None)
}

/// [`requeue`] on behalf of another command (`reconcile`, `gc`): `op` names it in
/// failpoints and messages. `unheld`: the caller has found the WO held by nobody (no
/// record lock, no `.lock` file, no live worktree: `reconcile --force`), so the YAML's
/// `started_at` does not count as a lease; a record lock always does. `saving`: a
/// repair's run, which saves the YAML and the `.lock` to its quarantine before it
/// rewrites or deletes them (so `reconcile --restore` undoes it).
#[allow(clippy::too_many_arguments)]
pub fn requeue_as(
    repo: &Repo,
    id: &WoId,
    reason: &str,
    owner: &str,
    op: &'static str,
    unheld: bool,
    force: bool,
    saving: Option<&Saving>,
) -> Result<Requeued> {
    let req = Request {
        id,
        reason,
        owner,
        op,
        unheld,
        force,
        saving,
    };
    let inv = Inventory::for_change(repo, id)?;
    let wos = inv.wos();
    let view = crate::inventory::existing(&wos, id)?;
    let file = one_copy(id, view)?;
    let overridden = req.decide(&inv, view, file.folder)?;
    let (plan, kept) = req.plan(repo, &inv, view, file, overridden.as_deref())?;
    let applied = Journal::new(repo, &inv.jobs_rel, view.record).apply(&plan)?;
    // Best effort: WOs added since init are mirrored on the way.
    let mirrored = crate::ops::mirror::mirror_new(repo, &inv, &wos, Some(id)).unwrap_or_default();
    Ok(req.report(file, overridden, kept, applied, mirrored))
}

/// What a requeue was asked to do, and by whom.
struct Request<'a> {
    id: &'a WoId,
    reason: &'a str,
    owner: &'a str,
    op: &'static str,
    unheld: bool,
    force: bool,
    saving: Option<&'a Saving>,
}

/// What a requeue keeps: the branch, the WO's own worktree (released), and the
/// half-made ones it could not take apart, each with why and its fix.
#[derive(Default)]
struct Kept {
    branch: Option<String>,
    worktree: Option<String>,
    half_made: Vec<String>,
}

/// Gather: the WO's one copy. A split-brain WO would make the requeue pick a side.
fn one_copy<'a>(id: &WoId, view: &WoView<'a>) -> Result<&'a OrderFile> {
    if view.is_split_brain() {
        return Err(
            WoError::usage(format!("{id} is in split-brain; requeue would pick a side"))
                .fix("git wo audit")
                .into(),
        );
    }
    let file = view.files().first().copied().ok_or_else(|| {
        WoError::usage(format!("{id} has no YAML to requeue"))
            .fix(format!("git show refs/wo/orders/{id}:order.yaml"))
    })?;
    Ok(file)
}

impl Request<'_> {
    /// Decide, by the folder the copy is in: failed goes back; an interrupted take once
    /// its process is gone; running when no live lease holds it ([`Self::running`]);
    /// pending and done refuse. Returns the holder whose live lease `--force` overrode.
    fn decide(&self, inv: &Inventory, view: &WoView<'_>, from: State) -> Result<Option<String>> {
        let id = self.id;
        let record = view.record.map(|s| &s.record);
        let interrupted_take = record.is_some_and(|r| r.phase == Phase::Taking);
        match from {
            State::Failed => Ok(None),
            State::Running | State::Pending if interrupted_take => {
                let r = record.context("no record")?;
                let dead = inv.dead_transitions.contains(id.as_str());
                if r.live_lock(inv.now).is_some() && !dead {
                    return Err(
                        WoError::conflict(format!("{id}: its take is still in progress"))
                            .fix(format!("git wo show {id}"))
                            .into(),
                    );
                }
                Ok(None)
            }
            State::Running => self.running(inv, view),
            State::Pending => Err(WoError::usage(format!("{id} is pending already"))
                .fix(format!("git wo take {id}"))
                .into()),
            State::Done => Err(WoError::usage(format!(
                "{id} is done; only failed or stale running WOs are requeued"
            ))
            .fix("create a new WO for follow-up work")
            .into()),
        }
    }

    /// A running WO: a live lease (the record's, else the `.lock`'s or the YAML's
    /// `started_at`, unless the caller found it unheld) refuses without `--force`;
    /// with it, the holder is returned to be recorded.
    fn running(&self, inv: &Inventory, view: &WoView<'_>) -> Result<Option<String>> {
        let id = self.id;
        let record = view.record.map(|s| &s.record);
        let no_holder =
            self.unheld && view.lock().is_none() && record.is_none_or(|r| r.lock.is_none());
        let Some(end) = inv
            .lease_end(view)
            .filter(|end| *end > inv.now && !no_holder)
        else {
            return Ok(None);
        };
        let who = record
            .and_then(|r| r.lock.as_ref().map(|l| l.owner.clone()))
            .or_else(|| view.lock().and_then(|l| l.user.clone()))
            .unwrap_or_else(|| "someone".into());
        if self.force {
            return Ok(Some(who));
        }
        Err(WoError::conflict(format!(
            "{id} is held by {who}, {}",
            crate::model::when::lease(end, inv.now)
        ))
        .fix(format!(
            "the holder finishes it (git wo finish {id} --result failed); or, when the holder is gone or its worktree lost: git wo requeue {id} --force --reason {} (recorded)",
            crate::error::shell_quote(self.reason)
        ))
        .into())
    }

    /// Plan: the record first (it is the truth if we stop half-way), the YAML back to
    /// pending with the requeue's fields (saved first by a repair), the `.lock`
    /// removed, then the worktrees ([`Self::worktrees`]).
    fn plan(
        &self,
        repo: &Repo,
        inv: &Inventory,
        view: &WoView<'_>,
        file: &OrderFile,
        overridden: Option<&str>,
    ) -> Result<(Plan, Kept)> {
        let (id, jobs_rel) = (self.id, &inv.jobs_rel);
        let now = crate::clock::now();
        let stamp = crate::model::when::shown(now);
        let edits: Vec<(String, String)> = vec![
            ("status".into(), "pending".into()),
            ("requeued_at".into(), stamp),
            ("requeue_reason".into(), self.reason.to_owned()),
        ];
        // The record's `order.yaml` is the YAML as the move will leave it.
        let text = journal::edited_yaml(id, &file.rel_path(), file.bytes(), &edits)?;
        let mut steps = Vec::new();
        if let Some(stored) = view.record {
            steps.push(self.record_step(stored, text.into_bytes(), overridden, now));
        }
        if let Some(s) = self.saving {
            steps.push(journal::save_before_place(
                s,
                id,
                jobs_rel,
                &file.rel_path(),
                State::Pending,
            ));
        }
        steps.push(Step::PlaceYaml {
            from: file.rel_path().to_path_buf(),
            bytes: file.bytes().to_vec(),
            to: State::Pending,
            edits,
        });
        if let Some(s) = self.saving {
            steps.push(journal::save_before_unlock(s, id, jobs_rel));
        }
        steps.push(Step::RemoveLock);
        let mut kept = self.worktrees(repo, inv, view, &mut steps);
        kept.branch = view
            .record
            .and_then(|s| s.record.branch().map(str::to_owned))
            .or_else(|| file.branch());
        let plan = Plan {
            id: id.clone(),
            op: self.op,
            steps,
            recovery: Recovery::RollForward,
        };
        Ok((plan, kept))
    }

    /// The record back to pending and idle, lock cleared, the requeue (and a `--force`
    /// over a live lease) in its note and message.
    fn record_step(
        &self,
        stored: &Stored,
        yaml: Vec<u8>,
        overridden: Option<&str>,
        now: chrono::DateTime<Utc>,
    ) -> Step {
        let (id, owner, reason) = (self.id, self.owner, self.reason);
        let note = match overridden {
            Some(holder) => {
                format!("requeued by {owner} with --force over {holder}'s live lease: {reason}")
            }
            None => format!("requeued by {owner}: {reason}"),
        };
        Step::Record(Box::new(RecordWrite {
            record: Record {
                state: State::Pending,
                phase: Phase::Idle,
                lock: None,
                result: None,
                updated_at: now,
                ..stored.record.clone()
            }
            .with(Text::Note, Some(&note)),
            yaml: OrderYaml::Bytes(yaml),
            action: "requeue",
            owner: owner.to_owned(),
            lines: vec![format!("[{id}] requeue: {reason}")],
            parent: Parent::Previous,
            fixed_time: false,
            evidence: None,
        }))
    }

    /// The worktrees: an interrupted take killed inside `git worktree add` left a
    /// registration half made (no HEAD), taken apart when it holds nothing of anyone's,
    /// else kept and said why; every other worktree of the WO is released and kept.
    fn worktrees(
        &self,
        repo: &Repo,
        inv: &Inventory,
        view: &WoView<'_>,
        steps: &mut Vec<Step>,
    ) -> Kept {
        let id = self.id;
        let record = view.record.map(|s| &s.record);
        let mut kept = Kept::default();
        let mut dropping = Vec::new();
        if record.is_some_and(|r| r.phase == Phase::Taking) {
            let commit = match record.and_then(|r| r.branch()) {
                Some(b) => repo.branch_tip(b).ok().flatten(),
                None => None,
            };
            for w in view
                .worktrees()
                .iter()
                .filter(|w| inv.half_made.contains(&w.admin_dir))
            {
                match journal::half_made_droppable(repo, id, w, commit) {
                    Ok(()) => {
                        dropping.push(w.admin_dir.clone());
                        steps.push(Step::DropHalfMade {
                            path: w.path.clone(),
                            commit,
                        });
                    }
                    Err(why) => kept
                        .half_made
                        .push(format!("{why} (fix: {})", journal::half_made_fix(w))),
                }
            }
        }
        for w in view
            .worktrees()
            .iter()
            .filter(|w| w.exists && !w.is_main && !dropping.contains(&w.admin_dir))
        {
            steps.push(Step::ReleaseWorktree {
                path: w.path.clone(),
                remove: false,
                force: false,
            });
            kept.worktree = Some(w.path.to_string_lossy().into_owned());
        }
        kept
    }

    /// Report: where the YAML is now, what was kept.
    fn report(
        &self,
        file: &OrderFile,
        overridden: Option<String>,
        kept: Kept,
        applied: Applied,
        mirrored: Vec<String>,
    ) -> Requeued {
        let moved = applied
            .yaml
            .unwrap_or_else(|| file.rel_path().to_path_buf());
        Requeued {
            schema: "git-wo.requeue.v1",
            id: self.id.to_string(),
            forced_over: overridden,
            from: file.folder,
            yaml: moved.to_string_lossy().into_owned(),
            reason: self.reason.to_owned(),
            branch_kept: kept.branch,
            worktree_kept: kept.worktree,
            mirrored,
            half_made_dropped: applied
                .half_made_dropped
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect(),
            half_made_kept: kept.half_made,
        }
    }
}
