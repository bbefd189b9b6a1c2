//! `reconcile`: apply the plan of [`crate::views::reconcile`]. Each WO's repairs become
//! one journal plan (fenced by its record, as every state change is); an interrupted
//! take is rolled back by `requeue`'s plan and an interrupted finish completed by
//! `finish`'s, each on behalf of reconcile; missing records are imported last, from
//! the YAML as the repairs left it. Nothing is deleted: what goes goes to quarantine.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::Utc;
use serde::Serialize;

use crate::error::{Kind, WoError};
use crate::git::Repo;
use crate::inventory::{Depth, Inventory, Source};
use crate::model::lockfile::LockFile;
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::ops::journal::{Journal, Plan, Recovery, Step};
use crate::ops::quarantine::{self, Entry};
use crate::views::reconcile::{Action, Repair, Safety};

#[derive(Debug, Clone)]
pub struct ReconcileOptions {
    /// Apply the safe repairs (else: plan only).
    pub apply: bool,
    /// Also apply the unsafe ones.
    pub force: bool,
    /// Who acts (recorded in transitions and reasons).
    pub owner: String,
}

/// One action of the plan, with what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct ActionReport {
    #[serde(flatten)]
    pub action: Action,
    /// `planned`, `needs --force`, `applied`, `skipped: …` or `failed: …`.
    pub outcome: String,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
    pub planned: usize,
    pub safe: usize,
    #[serde(rename = "unsafe")]
    pub unsafe_: usize,
    pub applied: usize,
    pub skipped: usize,
    pub failed: usize,
}

#[derive(Debug, Serialize)]
pub struct Reconciled {
    pub schema: &'static str,
    pub dry_run: bool,
    /// The quarantine folder of this run (`--restore` takes its name), if it was used.
    pub quarantine: Option<String>,
    pub actions: Vec<ActionReport>,
    pub summary: Summary,
}

impl Reconciled {
    /// Something is left to do: planned (a dry run), skipped or failed.
    pub fn work_left(&self) -> bool {
        if self.dry_run {
            !self.actions.is_empty()
        } else {
            self.summary.skipped + self.summary.failed > 0
        }
    }
}

pub fn reconcile(repo: &Repo, opts: &ReconcileOptions) -> Result<Reconciled> {
    let inv = Inventory::gather(repo, Source::WorkingTree, Depth::Full)?;
    let actions = crate::views::reconcile::plan(&inv);
    let mut reports: Vec<ActionReport> = actions
        .into_iter()
        .map(|a| {
            let outcome = match (opts.apply, a.safety, opts.force) {
                (false, Safety::Safe, _) => "planned",
                (false, Safety::Unsafe, _) => "planned (unsafe: needs --force)",
                (true, Safety::Unsafe, false) => "skipped: unsafe, needs --apply --force",
                (true, _, _) => "pending",
            };
            ActionReport {
                action: a,
                outcome: outcome.to_owned(),
            }
        })
        .collect();
    let now = Utc::now();
    let stamp = quarantine::new_stamp(now);
    let qdir = quarantine::root(&repo.wo_dir()).join(&stamp);
    if opts.apply {
        let mut i = 0;
        while i < reports.len() {
            let id = reports[i].action.wo_id.clone();
            let end = i + reports[i..]
                .iter()
                .take_while(|r| r.action.wo_id == id)
                .count();
            apply_wo(repo, &inv, &id, &mut reports[i..end], &qdir, opts);
            i = end;
        }
        import_missing(repo, &mut reports)?;
    }
    let mut summary = Summary {
        planned: reports.len(),
        ..Summary::default()
    };
    for r in &reports {
        match r.action.safety {
            Safety::Safe => summary.safe += 1,
            Safety::Unsafe => summary.unsafe_ += 1,
        }
        if r.outcome == "applied" {
            summary.applied += 1;
        } else if r.outcome.starts_with("skipped") {
            summary.skipped += 1;
        } else if r.outcome.starts_with("failed") {
            summary.failed += 1;
        }
    }
    let used = qdir.join(quarantine::MANIFEST).exists();
    Ok(Reconciled {
        schema: "git-wo.reconcile.v1",
        dry_run: !opts.apply,
        quarantine: used.then_some(stamp),
        actions: reports,
        summary,
    })
}

/// Apply the repairs of one WO (`reports`, all `pending` or skipped); each gets its outcome.
fn apply_wo(
    repo: &Repo,
    inv: &Inventory,
    id: &WoId,
    reports: &mut [ActionReport],
    qdir: &Path,
    opts: &ReconcileOptions,
) {
    let todo = |r: &ActionReport| r.outcome == "pending";
    let has_record = inv.records.contains_key(id.as_str());
    // With a record, a requeue moves the record first: requeue's own plan, after the
    // file repairs (it refuses a WO in more than one state).
    let by_requeue = |r: &Repair| has_record && matches!(r, Repair::Requeue { .. });
    // Transitions in flight are completed by the operation they belong to (the plan
    // holds nothing else for such a WO).
    for r in reports.iter_mut().filter(|r| todo(r)) {
        let result = match r.action.repair {
            Repair::RollBackTake => crate::ops::requeue::requeue_as(
                repo,
                id,
                "interrupted take rolled back by git wo reconcile",
                &opts.owner,
                "reconcile",
                false,
            )
            .map(|_| ()),
            Repair::CompleteFinish => complete_finish(repo, inv, id, opts),
            _ => continue,
        };
        r.outcome = outcome_of(result);
    }
    let record = inv.records.get(id.as_str());
    let mut steps = Vec::new();
    let mut in_plan = Vec::new();
    for (n, r) in reports.iter().enumerate() {
        if !todo(r) || r.action.repair == Repair::CreateRecord || by_requeue(&r.action.repair) {
            continue;
        }
        match step_of(repo, inv, id, &r.action, qdir, opts) {
            Ok(step) => {
                steps.push(step);
                in_plan.push(n);
            }
            Err(e) => {
                // Nothing of this WO is applied when one of its steps cannot be built.
                let text = format!("failed: {}", crate::error::classify(&e));
                for r in reports.iter_mut().filter(|r| todo(r)) {
                    r.outcome = text.clone();
                }
                return;
            }
        }
    }
    if !steps.is_empty() {
        let plan = Plan {
            id: id.clone(),
            op: "reconcile",
            steps,
            recovery: Recovery::RollForward,
        };
        let result = Journal::new(repo, &inv.jobs_rel, record)
            .apply(&plan)
            .map(|_| ());
        let outcome = outcome_of(result);
        for n in in_plan {
            reports[n].outcome = outcome.clone();
        }
    }
    for r in reports
        .iter_mut()
        .filter(|r| todo(r) && by_requeue(&r.action.repair))
    {
        r.outcome = outcome_of(
            crate::ops::requeue::requeue_as(
                repo,
                id,
                "no lock, no live worktree (git wo reconcile --force)",
                &opts.owner,
                "reconcile",
                true,
            )
            .map(|_| ()),
        );
    }
}

fn outcome_of(result: Result<()>) -> String {
    match result {
        Ok(()) => "applied".to_owned(),
        Err(e) => {
            let w = crate::error::classify(&e);
            if w.kind == Kind::Conflict {
                format!("skipped: {w}")
            } else {
                format!("failed: {w}")
            }
        }
    }
}

/// The journal step of one repair.
fn step_of(
    repo: &Repo,
    inv: &Inventory,
    id: &WoId,
    a: &Action,
    qdir: &Path,
    opts: &ReconcileOptions,
) -> Result<Step> {
    let file_at = |path: &Path| {
        inv.files
            .iter()
            .find(|f| f.rel_path == path)
            .ok_or_else(|| anyhow::anyhow!("{id}: {} is not in the inventory", path.display()))
    };
    Ok(match &a.repair {
        Repair::Quarantine { path } => {
            let bytes = std::fs::symlink_metadata(repo.control_root.join(path))
                .map(|m| m.len())
                .unwrap_or(0);
            Step::Quarantine {
                from: path.clone(),
                dir: qdir.to_path_buf(),
                entry: Entry {
                    wo_id: id.to_string(),
                    from: path.to_string_lossy().into_owned(),
                    stored: Path::new("files").join(path).to_string_lossy().into_owned(),
                    code: a.code.as_str().to_owned(),
                    reason: a.action.clone(),
                    bytes,
                    at: crate::model::when::shown(Utc::now()),
                },
            }
        }
        Repair::Place { path, to } => {
            let f = file_at(path)?;
            Step::PlaceYaml {
                from: path.clone(),
                bytes: f.bytes.clone(),
                to: *to,
                edits: vec![("status".into(), to.as_str().into())],
            }
        }
        Repair::Requeue { path } => {
            let f = file_at(path)?;
            Step::PlaceYaml {
                from: path.clone(),
                bytes: f.bytes.clone(),
                to: State::Pending,
                edits: vec![
                    ("status".into(), "pending".into()),
                    ("requeued_at".into(), crate::model::when::shown(Utc::now())),
                    (
                        "requeue_reason".into(),
                        "no lock, no live worktree (git wo reconcile --force)".into(),
                    ),
                ],
            }
        }
        Repair::CreateLock => {
            let text = match inv
                .records
                .get(id.as_str())
                .and_then(|s| s.record.lock.as_ref())
            {
                Some(l) => LockFile::render(l.acquired_at, l.pid, &l.owner, &l.host),
                None => {
                    let owner = inv
                        .files
                        .iter()
                        .filter(|f| f.is_live() && f.id.as_ref() == Some(id))
                        .find_map(|f| f.owner())
                        .unwrap_or_else(|| opts.owner.clone());
                    LockFile::render(
                        Utc::now(),
                        std::process::id(),
                        &owner,
                        &crate::host::hostname(),
                    )
                }
            };
            Step::CreateLock {
                text,
                replace: false,
            }
        }
        Repair::RestoreYaml { to } => {
            let stored = inv
                .records
                .get(id.as_str())
                .ok_or_else(|| anyhow::anyhow!("{id}: no record"))?;
            let bytes = crate::inventory::records::order_yaml_at(repo, stored.commit)?
                .filter(|b| !b.is_empty())
                .ok_or_else(|| {
                    WoError::failed(format!("{id}: its record holds no order.yaml")).fix(format!(
                        "git log refs/wo/orders/{id} (find a commit that has it)"
                    ))
                })?;
            Step::RestoreYaml { to: *to, bytes }
        }
        Repair::CreateRecord | Repair::RollBackTake | Repair::CompleteFinish => {
            anyhow::bail!("{id}: not a journal step")
        }
    })
}

/// Complete an interrupted finish with the verdict its record holds.
fn complete_finish(repo: &Repo, inv: &Inventory, id: &WoId, opts: &ReconcileOptions) -> Result<()> {
    let verdict = inv
        .records
        .get(id.as_str())
        .and_then(|s| s.record.result.as_ref())
        .map_or(State::Done, |o| o.verdict);
    crate::ops::finish::finish(
        repo,
        &crate::ops::finish::FinishOptions {
            id: id.clone(),
            owner: opts.owner.clone(),
            verdict,
            skip_reason: None,
            keep_worktree: false,
            force: true,
            allow_empty: true,
        },
    )
    .map(|_| ())
}

/// Import the WOs whose `CreateRecord` is pending, from the YAML as it is now.
fn import_missing(repo: &Repo, reports: &mut [ActionReport]) -> Result<()> {
    let wanted: BTreeSet<WoId> = reports
        .iter()
        .filter(|r| r.outcome == "pending" && r.action.repair == Repair::CreateRecord)
        .map(|r| r.action.wo_id.clone())
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let inv = Inventory::gather(repo, Source::WorkingTree, Depth::Full)?;
    let wos = inv.wos();
    let only: std::collections::BTreeMap<_, _> = wos
        .into_iter()
        .filter(|(id, _)| wanted.contains(id))
        .collect();
    let done: BTreeSet<String> = crate::ops::init::mirror_new(repo, &inv, &only, None)
        .unwrap_or_default()
        .into_iter()
        .collect();
    for r in reports
        .iter_mut()
        .filter(|r| r.outcome == "pending" && r.action.repair == Repair::CreateRecord)
    {
        r.outcome = if done.contains(r.action.wo_id.as_str()) {
            "applied".into()
        } else {
            "skipped: still in more than one state, or someone else created it".into()
        };
    }
    Ok(())
}

/// What `--restore` did with each file.
#[derive(Debug, Serialize)]
pub struct Restored {
    pub schema: &'static str,
    pub quarantine: String,
    pub restored: Vec<String>,
    pub already_back: Vec<String>,
    pub failed: Vec<String>,
}

/// Put every file of the quarantine folder `stamp` back (never overwriting).
pub fn restore(repo: &Repo, stamp: &str) -> Result<Restored> {
    let dir = quarantine::folder(&repo.wo_dir(), stamp)?;
    let entries = quarantine::manifest(&dir)?;
    let inv = Inventory::gather(repo, Source::WorkingTree, Depth::Fields)?;
    let mut out = Restored {
        schema: "git-wo.reconcile-restore.v1",
        quarantine: stamp.to_owned(),
        restored: Vec::new(),
        already_back: Vec::new(),
        failed: Vec::new(),
    };
    for e in entries {
        let stored = dir.join(&e.stored);
        if std::fs::symlink_metadata(&stored).is_err() {
            out.already_back.push(e.from.clone());
            continue;
        }
        let Ok(id) = WoId::parse(&e.wo_id) else {
            out.failed
                .push(format!("{}: not a WO id in the manifest", e.wo_id));
            continue;
        };
        let plan = Plan {
            id: id.clone(),
            op: "restore",
            steps: vec![Step::Unquarantine {
                dir: dir.clone(),
                entry: e.clone(),
            }],
            recovery: Recovery::RollForward,
        };
        match Journal::new(repo, &inv.jobs_rel, inv.records.get(id.as_str())).apply(&plan) {
            Ok(_) => out.restored.push(e.from.clone()),
            Err(err) => out.failed.push(format!("{}", crate::error::classify(&err))),
        }
    }
    Ok(out)
}

/// The quarantine folder of a run, for messages.
pub fn quarantine_path(repo: &Repo, stamp: &str) -> PathBuf {
    quarantine::root(&repo.wo_dir()).join(stamp)
}
