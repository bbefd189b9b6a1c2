//! `requeue`: a failed WO, a running WO whose lease expired, or an interrupted take goes
//! back to pending, keeping its branch, commits and worktree. The record moves first
//! (it is the truth), then the YAML, then the locks are released.

use anyhow::{Context, Result};
use chrono::Utc;
use serde::Serialize;

use crate::error::WoError;
use crate::git::Repo;
use crate::inventory::Inventory;
use crate::model::record::{Phase, Record};
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::ops::journal::{self, Journal, OrderYaml, Parent, Plan, RecordWrite, Recovery, Step};

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
    saving: Option<&crate::ops::quarantine::Saving>,
) -> Result<Requeued> {
    let inv = Inventory::for_change(repo, id)?;
    let wos = inv.wos();
    let view = crate::inventory::existing(&wos, id)?;
    if view.is_split_brain() {
        return Err(
            WoError::usage(format!("{id} is in split-brain; requeue would pick a side"))
                .fix("git wo audit")
                .into(),
        );
    }
    let file = view.files.first().copied().ok_or_else(|| {
        WoError::usage(format!("{id} has no YAML to requeue"))
            .fix(format!("git show refs/wo/orders/{id}:order.yaml"))
    })?;
    let from = file.folder;
    let record = view.record.map(|s| &s.record);
    // The holder whose live lease `--force` overrode.
    let mut overridden: Option<String> = None;
    let interrupted_take = record.is_some_and(|r| r.phase == Phase::Taking);
    match from {
        State::Failed => {}
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
        }
        State::Running => {
            let no_holder =
                unheld && view.lock.is_none() && record.is_none_or(|r| r.lock.is_none());
            if let Some(end) = inv
                .lease_end(view)
                .filter(|end| *end > inv.now && !no_holder)
            {
                let who = record
                    .and_then(|r| r.lock.as_ref().map(|l| l.owner.clone()))
                    .or_else(|| view.lock.and_then(|l| l.user.clone()))
                    .unwrap_or_else(|| "someone".into());
                if !force {
                    return Err(WoError::conflict(format!(
                        "{id} is held by {who}, {}",
                        crate::model::when::lease(end, inv.now)
                    ))
                    .fix(format!(
                        "the holder finishes it (git wo finish {id} --result failed); or, when the holder is gone or its worktree lost: git wo requeue {id} --force --reason {} (recorded)",
                        crate::error::shell_quote(reason)
                    ))
                    .into());
                }
                overridden = Some(who);
            }
        }
        State::Pending => {
            return Err(WoError::usage(format!("{id} is pending already"))
                .fix(format!("git wo take {id}"))
                .into());
        }
        State::Done => {
            return Err(WoError::usage(format!(
                "{id} is done; only failed or stale running WOs are requeued"
            ))
            .fix("create a new WO for follow-up work")
            .into());
        }
    }
    let now = Utc::now();
    let stamp = crate::model::when::shown(now);
    let edits: Vec<(String, String)> = vec![
        ("status".into(), "pending".into()),
        ("requeued_at".into(), stamp),
        ("requeue_reason".into(), reason.to_owned()),
    ];
    // The record's `order.yaml` is the YAML as the move will leave it.
    let text = journal::edited_yaml(id, &file.rel_path, &file.bytes, &edits)?;

    // The record first: it is the truth if we stop half-way.
    let mut steps = Vec::new();
    if let Some(stored) = view.record {
        steps.push(Step::Record(Box::new(RecordWrite {
            record: Record {
                state: State::Pending,
                phase: Phase::Idle,
                lock: None,
                result: None,
                note: Some(match &overridden {
                    Some(holder) => format!(
                        "requeued by {owner} with --force over {holder}'s live lease: {reason}"
                    ),
                    None => format!("requeued by {owner}: {reason}"),
                }),
                updated_at: now,
                ..stored.record.clone()
            },
            yaml: OrderYaml::Bytes(text.into_bytes()),
            action: "requeue",
            owner: owner.to_owned(),
            lines: vec![format!("[{id}] requeue: {reason}")],
            parent: Parent::Previous,
            fixed_time: false,
            evidence: None,
        })));
    }
    if let Some(s) = saving {
        steps.push(journal::save_before_place(
            s,
            id,
            &inv.jobs_rel,
            &file.rel_path,
            State::Pending,
        ));
    }
    steps.push(Step::PlaceYaml {
        from: file.rel_path.clone(),
        bytes: file.bytes.clone(),
        to: State::Pending,
        edits,
    });
    if let Some(s) = saving {
        steps.push(journal::save_before_unlock(s, id, &inv.jobs_rel));
    }
    steps.push(Step::RemoveLock);
    let mut worktree_kept = None;
    // An interrupted take killed inside `git worktree add`: the registration it left
    // half made (no HEAD) is taken apart when it holds nothing of anyone's; else kept,
    // and said why.
    let mut half_made_kept = Vec::new();
    let mut dropping = Vec::new();
    if interrupted_take {
        let commit = match record.and_then(|r| r.branch.as_deref()) {
            Some(b) => repo.branch_tip(b).ok().flatten(),
            None => None,
        };
        for w in view
            .worktrees
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
                Err(why) => {
                    half_made_kept.push(format!("{why} (fix: {})", journal::half_made_fix(w)))
                }
            }
        }
    }
    for w in view
        .worktrees
        .iter()
        .filter(|w| w.exists && !w.is_main && !dropping.contains(&w.admin_dir))
    {
        steps.push(Step::ReleaseWorktree {
            path: w.path.clone(),
            remove: false,
            force: false,
        });
        worktree_kept = Some(w.path.to_string_lossy().into_owned());
    }
    let plan = Plan {
        id: id.clone(),
        op,
        steps,
        recovery: Recovery::RollForward,
    };
    let applied = Journal::new(repo, &inv.jobs_rel, view.record).apply(&plan)?;
    let moved = applied.yaml.unwrap_or_else(|| file.rel_path.clone());
    let branch = record
        .and_then(|r| r.branch.clone())
        .or_else(|| file.branch());
    Ok(Requeued {
        schema: "git-wo.requeue.v1",
        id: id.to_string(),
        forced_over: overridden,
        from,
        yaml: moved.to_string_lossy().into_owned(),
        reason: reason.to_owned(),
        branch_kept: branch,
        worktree_kept,
        mirrored: crate::ops::mirror::mirror_new(repo, &inv, &wos, Some(id)).unwrap_or_default(),
        half_made_dropped: applied
            .half_made_dropped
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect(),
        half_made_kept,
    })
}
