//! `reconcile`: apply the plan of [`crate::views::reconcile`]. Each WO's repairs become
//! one journal plan (fenced by its record, as every state change is); an interrupted
//! take is rolled back by `requeue`'s plan and an interrupted finish completed by
//! `finish`'s, each on behalf of reconcile; missing records are imported last, from
//! the YAML as the repairs left it. Nothing is deleted: what goes goes to quarantine.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use crate::error::{Kind, WoError};
use crate::git::Repo;
use crate::inventory::{Depth, Inventory, Source};
use crate::model::lockfile::LockFile;
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::ops::journal::{Journal, Plan, Recovery, Step};
use crate::ops::quarantine::{self, Entry, Saving};
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

/// What became of one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Planned,
    PlannedUnsafe,
    /// To be applied: never left in a finished report.
    Pending,
    Applied,
    /// Not done, and why (an unsafe repair without `--force`, or someone else first).
    Skipped(String),
    Failed(String),
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Planned => f.write_str("planned"),
            Outcome::PlannedUnsafe => f.write_str("planned (unsafe: needs --force)"),
            Outcome::Pending => f.write_str("pending"),
            Outcome::Applied => f.write_str("applied"),
            Outcome::Skipped(why) => write!(f, "skipped: {why}"),
            Outcome::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

/// In the JSON, as the text it displays as.
impl Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One action of the plan, with what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct ActionReport {
    #[serde(flatten)]
    pub action: Action,
    pub outcome: Outcome,
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
    /// gc's repository lock when nothing holds it (`stale_repo_lock`, e.g. after a gc
    /// was killed): released (safe: no process holds it), or a dry run's plan to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo_lock: Option<RepoLockRepair>,
    /// Files killed commands left (`leftover_file`): git-wo's own temp files, whose
    /// writer is gone, are moved to this run's quarantine (a dry run's plan to); git ref
    /// locks are listed with their age and the command a person runs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub leftovers: Vec<LeftoverRepair>,
}

/// What became of a leftover file.
#[derive(Debug, Clone, Serialize)]
pub struct LeftoverRepair {
    pub path: String,
    /// `temp_file` (git-wo's own: moved to quarantine) or `ref_lock` (a person's).
    pub kind: &'static str,
    /// Why it is left behind (its writer gone, its age).
    pub why: String,
    pub outcome: Outcome,
    /// For a ref lock: what a person runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl LeftoverRepair {
    /// git-wo's own leftover not (yet) moved: work a run has left (a git ref lock,
    /// skipped for a person, is not).
    fn left(&self) -> bool {
        matches!(self.outcome, Outcome::Planned | Outcome::Failed(_))
    }
}

/// What became of a stale repository lock.
#[derive(Debug, Clone, Serialize)]
pub struct RepoLockRepair {
    pub path: String,
    /// Why nothing holds it.
    pub why: String,
    pub outcome: Outcome,
}

impl Reconciled {
    /// Something is left to do: planned (a dry run), skipped or failed.
    pub fn work_left(&self) -> bool {
        let lock_left = self
            .repo_lock
            .as_ref()
            .is_some_and(|l| l.outcome != Outcome::Applied);
        let temp_left = self.leftovers.iter().any(LeftoverRepair::left);
        if self.dry_run {
            !self.actions.is_empty() || lock_left || temp_left
        } else {
            self.summary.skipped + self.summary.failed > 0 || lock_left || temp_left
        }
    }
}

pub fn reconcile(repo: &Repo, opts: &ReconcileOptions) -> Result<Reconciled> {
    // The plan reads only the fields views read (the parse cache serves them); the
    // repairs need every file's bytes.
    let depth = if opts.apply {
        Depth::Full
    } else {
        Depth::Fields
    };
    let inv = Inventory::gather(repo, Source::WorkingTree, depth)?;
    let actions = crate::views::reconcile::plan(&inv);
    let mut reports: Vec<ActionReport> = actions
        .into_iter()
        .map(|a| {
            let outcome = match (opts.apply, a.safety, opts.force) {
                (false, Safety::Safe, _) => Outcome::Planned,
                (false, Safety::Unsafe, _) => Outcome::PlannedUnsafe,
                (true, Safety::Unsafe, false) => {
                    Outcome::Skipped("unsafe, needs --apply --force".into())
                }
                (true, _, _) => Outcome::Pending,
            };
            ActionReport { action: a, outcome }
        })
        .collect();
    let now = crate::clock::now();
    let stamp = quarantine::new_stamp(now);
    let qdir = quarantine::root(&repo.wo_dir()).join(&stamp);
    // Before the repairs: a ref lock a killed git-wo left would fail each of them.
    let leftovers = leftovers(repo, &inv, opts.apply, &qdir);
    if opts.apply {
        // The plan lists each WO's repairs together.
        for one_wo in reports.chunk_by_mut(|a, b| a.action.wo_id == b.action.wo_id) {
            let id = one_wo[0].action.wo_id.clone();
            apply_wo(repo, &inv, &id, one_wo, &qdir, opts);
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
        match r.outcome {
            Outcome::Applied => summary.applied += 1,
            Outcome::Skipped(_) => summary.skipped += 1,
            Outcome::Failed(_) => summary.failed += 1,
            Outcome::Planned | Outcome::PlannedUnsafe | Outcome::Pending => {}
        }
    }
    let used = qdir.join(quarantine::MANIFEST).exists();
    Ok(Reconciled {
        schema: "git-wo.reconcile.v1",
        dry_run: !opts.apply,
        quarantine: used.then_some(stamp),
        actions: reports,
        summary,
        repo_lock: stale_repo_lock(repo, &inv, opts.apply),
        leftovers,
    })
}

/// Where a leftover of `<git-common-dir>/wo/` is kept in a quarantine folder.
pub const WO_DIR_STORED: &str = "git-common-dir/wo";

/// Where a ref lock of `<git-common-dir>` (`packed-refs.lock`, `refs/wo/….lock`) is
/// kept in a quarantine folder.
pub const COMMON_DIR_STORED: &str = "git-common-dir";

/// The leftovers of killed commands: git-wo's own temp files (their writer gone) are
/// moved to the quarantine folder `qdir` with `apply` (never deleted: a restore puts
/// them back); a git ref lock is listed for a person, with its age and the command.
fn leftovers(repo: &Repo, inv: &Inventory, apply: bool, qdir: &Path) -> Vec<LeftoverRepair> {
    use crate::inventory::LeftoverKind;
    let mut out = Vec::new();
    for l in &inv.leftovers {
        let shown = inv.rel(&l.path);
        if l.kind == LeftoverKind::RefLock {
            out.push(LeftoverRepair {
                path: shown,
                kind: "ref_lock",
                why: l.why.clone(),
                outcome: Outcome::Skipped(
                    "a git ref lock, not git-wo's: a person removes it".into(),
                ),
                fix: Some(format!(
                    "make sure no git or git-wo is running, then: rm -- {}",
                    crate::error::shell_quote(&l.path.to_string_lossy())
                )),
            });
            continue;
        }
        let (kind, reason) = match l.kind {
            LeftoverKind::OwnRefLock => ("ref_lock", "a ref lock a killed git-wo left"),
            _ => ("temp_file", "a temp file a killed git-wo left"),
        };
        let outcome = if !apply {
            Outcome::Planned
        } else {
            let stored = match (
                l.path.strip_prefix(repo.wo_dir()),
                l.path.strip_prefix(&repo.common_dir),
            ) {
                (Ok(inside), _) if l.path.is_absolute() => {
                    Path::new("files").join(WO_DIR_STORED).join(inside)
                }
                (_, Ok(inside)) if l.path.is_absolute() => {
                    Path::new("files").join(COMMON_DIR_STORED).join(inside)
                }
                _ => Path::new("files").join(&l.path),
            };
            let mut entry = Entry {
                code: "leftover_file".into(),
                reason: format!("{reason}: {}", l.why),
                bytes: std::fs::symlink_metadata(repo.control_root.join(&l.path))
                    .map(|m| m.len())
                    .unwrap_or(0),
                at: crate::model::when::shown(crate::clock::now()),
                ..Entry::default()
            };
            entry.set_from(&l.path);
            entry.set_stored(&stored);
            match quarantine::put(&repo.control_root, qdir, &l.path, &entry) {
                Ok(()) => Outcome::Applied,
                Err(e) => Outcome::Failed(format!("{e:#}")),
            }
        };
        out.push(LeftoverRepair {
            path: shown,
            kind,
            why: l.why.clone(),
            outcome,
            fix: None,
        });
    }
    out
}

/// Release gc's repository lock when nothing holds it: taking it (which takes a stale
/// lock over, see [`RepoLock`](crate::ops::repo_lock::RepoLock)) and letting it go.
/// A lock that is not a regular file is left to a person (audit says so).
fn stale_repo_lock(repo: &Repo, inv: &Inventory, apply: bool) -> Option<RepoLockRepair> {
    let lock = inv.repo_lock.as_ref().filter(|l| l.not_a_file.is_none())?;
    let why = lock.stale.clone()?;
    let outcome = if !apply {
        Outcome::Planned
    } else {
        match crate::ops::repo_lock::RepoLock::acquire(&repo.wo_dir(), "git wo reconcile") {
            Ok(taken) => {
                drop(taken);
                Outcome::Applied
            }
            Err(e) => Outcome::Skipped(crate::error::classify(&e).to_string()),
        }
    };
    Some(RepoLockRepair {
        path: lock.path.to_string_lossy().into_owned(),
        why,
        outcome,
    })
}

/// Apply the repairs of one WO (`reports`, each pending or skipped); each gets its
/// outcome. The file repairs are one journal plan; a transition in flight is completed
/// by the operation it belongs to, and a requeue is requeue's own plan (it moves the
/// record first, when there is one), run after the file repairs: it refuses a WO in
/// more than one state. In that order: [`WoRepairs::transitions`],
/// [`WoRepairs::files`], [`WoRepairs::relocks`], [`WoRepairs::requeues`].
fn apply_wo(
    repo: &Repo,
    inv: &Inventory,
    id: &WoId,
    reports: &mut [ActionReport],
    qdir: &Path,
    opts: &ReconcileOptions,
) {
    let wo = WoRepairs {
        repo,
        inv,
        id,
        qdir,
        opts,
    };
    wo.transitions(reports);
    if wo.files(reports).is_err() {
        return;
    }
    wo.relocks(reports);
    wo.requeues(reports);
}

/// The repairs of one WO being applied.
struct WoRepairs<'a> {
    repo: &'a Repo,
    inv: &'a Inventory,
    id: &'a WoId,
    qdir: &'a Path,
    opts: &'a ReconcileOptions,
}

/// A repair still to do.
fn todo(r: &ActionReport) -> bool {
    r.outcome == Outcome::Pending
}

impl WoRepairs<'_> {
    /// What a repair saves into this run's quarantine before it changes a file.
    fn saving(&self, code: &str) -> Saving {
        Saving {
            dir: self.qdir.to_path_buf(),
            code: code.to_owned(),
            reason: "saved by git wo reconcile before it changed it".into(),
        }
    }

    /// Requeue's own plan on reconcile's behalf. Rolled back, but a half-made worktree
    /// (a kill inside `git worktree add`) was kept: it holds someone's files, or may
    /// still be written. Not all done.
    fn requeue(&self, reason: &str, unheld: bool, code: &str) -> Result<()> {
        let id = self.id;
        let r = crate::ops::requeue::requeue_as(
            self.repo,
            id,
            reason,
            &self.opts.owner,
            "reconcile",
            unheld,
            false,
            Some(&self.saving(code)),
        )?;
        if !r.half_made_kept.is_empty() {
            return Err(anyhow::Error::from(WoError::failed(format!(
                "{id}: rolled back to pending, but {}",
                r.half_made_kept.join("; ")
            ))));
        }
        Ok(())
    }

    /// A transition in flight: an interrupted take rolled back, an interrupted finish
    /// completed. The plan holds nothing else for such a WO.
    fn transitions(&self, reports: &mut [ActionReport]) {
        for r in reports.iter_mut().filter(|r| todo(r)) {
            let code = r.action.code.as_str();
            let result = match r.action.repair {
                Repair::RollBackTake => self.requeue(
                    "interrupted take rolled back by git wo reconcile",
                    false,
                    code,
                ),
                Repair::CompleteFinish => {
                    complete_finish(self.repo, self.inv, self.id, self.opts, self.saving(code))
                }
                _ => continue,
            };
            r.outcome = outcome_of(result);
        }
    }

    /// The file repairs, as one journal plan. `Err`: a step could not be built, and
    /// nothing of this WO is applied (every repair still to do failed).
    fn files(&self, reports: &mut [ActionReport]) -> std::result::Result<(), ()> {
        let (inv, id) = (self.inv, self.id);
        let mut steps = Vec::new();
        let mut in_plan = Vec::new();
        for (n, r) in reports.iter().enumerate() {
            if !todo(r) || !is_file_repair(&r.action.repair) {
                continue;
            }
            match step_of(self.repo, inv, id, &r.action, self.qdir, self.opts) {
                Ok(step) => {
                    // What a repair rewrites is saved first (a move to quarantine, a
                    // lock or YAML created where none was, change nothing that was).
                    if let Step::PlaceYaml { from, to, .. } = &step {
                        let saving = self.saving(r.action.code.as_str());
                        steps.push(crate::ops::journal::save_before_place(
                            &saving,
                            id,
                            &inv.jobs_rel,
                            from,
                            *to,
                        ));
                    }
                    steps.push(step);
                    in_plan.push(n);
                }
                Err(e) => {
                    let failed = Outcome::Failed(crate::error::classify(&e).to_string());
                    for r in reports.iter_mut().filter(|r| todo(r)) {
                        r.outcome = failed.clone();
                    }
                    return Err(());
                }
            }
        }
        if steps.is_empty() {
            return Ok(());
        }
        let plan = Plan {
            id: id.clone(),
            op: "reconcile",
            steps,
            recovery: Recovery::RollForward,
        };
        let result = Journal::new(self.repo, &inv.jobs_rel, inv.records.get(id.as_str()))
            .apply(&plan)
            .map(|_| ());
        let outcome = outcome_of(result);
        for n in in_plan {
            reports[n].outcome = outcome.clone();
        }
        Ok(())
    }

    /// git's lock of the WO's worktree written again with the record's token.
    fn relocks(&self, reports: &mut [ActionReport]) {
        let id = self.id;
        for r in reports.iter_mut().filter(|r| todo(r)) {
            let Repair::Relock { worktree, token } = &r.action.repair else {
                continue;
            };
            let result = match self.inv.worktrees.iter().find(|w| &w.path == worktree) {
                Some(wt) => self
                    .repo
                    .lock_worktree(wt, &crate::model::lock_reason::format(id.as_str(), *token)),
                None => Err(anyhow::anyhow!(
                    "{id}: worktree {} is not registered any more",
                    worktree.display()
                )),
            };
            r.outcome = outcome_of(result);
        }
    }

    /// A running WO with no lock and no live worktree back to pending (`--force`).
    fn requeues(&self, reports: &mut [ActionReport]) {
        for r in reports
            .iter_mut()
            .filter(|r| todo(r) && matches!(r.action.repair, Repair::Requeue { .. }))
        {
            r.outcome = outcome_of(self.requeue(
                "no lock, no live worktree (git wo reconcile --force)",
                true,
                r.action.code.as_str(),
            ));
        }
    }
}

/// A repair that is a step of the WO's journal plan.
fn is_file_repair(r: &Repair) -> bool {
    matches!(
        r,
        Repair::Quarantine { .. }
            | Repair::Place { .. }
            | Repair::CreateLock
            | Repair::RestoreYaml { .. }
    )
}

/// A repair's outcome from its result: a lost race (someone else changed it first)
/// skips it, anything else fails it.
fn outcome_of(result: Result<()>) -> Outcome {
    match result {
        Ok(()) => Outcome::Applied,
        Err(e) => {
            let w = crate::error::classify(&e);
            if w.kind == Kind::Conflict {
                Outcome::Skipped(w.to_string())
            } else {
                Outcome::Failed(w.to_string())
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
    Ok(match &a.repair {
        Repair::Quarantine { path } => quarantine_step(repo, id, a, path, qdir),
        Repair::Place { path, to } => {
            let f = inv
                .files
                .iter()
                .find(|f| f.rel_path() == *path)
                .ok_or_else(|| {
                    anyhow::anyhow!("{id}: {} is not in the inventory", path.display())
                })?;
            Step::PlaceYaml {
                from: path.clone(),
                bytes: f.bytes().to_vec(),
                to: *to,
                edits: vec![("status".into(), to.as_str().into())],
            }
        }
        Repair::CreateLock => Step::CreateLock {
            text: lock_text(inv, id, opts),
            replace: false,
        },
        Repair::RestoreYaml { to } => Step::RestoreYaml {
            to: *to,
            bytes: record_yaml(repo, inv, id)?,
        },
        Repair::Requeue { .. }
        | Repair::CreateRecord
        | Repair::RollBackTake
        | Repair::CompleteFinish
        | Repair::Relock { .. } => anyhow::bail!("{id}: not a journal step"),
    })
}

/// A surplus copy or a stray `.lock` into this run's quarantine, with its manifest
/// entry.
fn quarantine_step(repo: &Repo, id: &WoId, a: &Action, path: &Path, qdir: &Path) -> Step {
    let bytes = std::fs::symlink_metadata(repo.control_root.join(path))
        .map(|m| m.len())
        .unwrap_or(0);
    let mut entry = Entry {
        wo_id: id.to_string(),
        code: a.code.as_str().to_owned(),
        reason: a.action.clone(),
        bytes,
        at: crate::model::when::shown(crate::clock::now()),
        ..Entry::default()
    };
    entry.set_from(path);
    entry.set_stored(&Path::new("files").join(path));
    Step::Quarantine {
        from: path.to_path_buf(),
        dir: qdir.to_path_buf(),
        entry: Box::new(entry),
    }
}

/// The `.lock` of the record's holder, or (no record) of the owner the YAML names
/// (else the one reconciling), now, from this process.
fn lock_text(inv: &Inventory, id: &WoId, opts: &ReconcileOptions) -> String {
    match inv
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
                crate::clock::now(),
                std::process::id(),
                &owner,
                &crate::host::hostname(),
            )
        }
    }
}

/// The missing YAML's bytes: the record's `order.yaml`.
fn record_yaml(repo: &Repo, inv: &Inventory, id: &WoId) -> Result<Vec<u8>> {
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
    Ok(bytes)
}

/// Complete an interrupted finish with the verdict its record holds.
fn complete_finish(
    repo: &Repo,
    inv: &Inventory,
    id: &WoId,
    opts: &ReconcileOptions,
    saving: Saving,
) -> Result<()> {
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
            scope_exception: None,
            keep_worktree: false,
            force: true,
            allow_empty: true,
            remote: repo.config.remote.clone(),
            saving: Some(saving),
        },
    )
    .map(|_| ())
}

/// Import the WOs whose `CreateRecord` is pending, from the YAML as it is now.
fn import_missing(repo: &Repo, reports: &mut [ActionReport]) -> Result<()> {
    let wanted: BTreeSet<WoId> = reports
        .iter()
        .filter(|r| r.outcome == Outcome::Pending && r.action.repair == Repair::CreateRecord)
        .map(|r| r.action.wo_id.clone())
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let inv = Inventory::gather(repo, Source::WorkingTree, Depth::Full)?;
    let mut only = inv.wos();
    only.retain(|id, _| wanted.contains(id));
    // Created on the way already: a requeue or finish of this run mirrors the WOs added
    // since init as it goes.
    let already: BTreeSet<String> = wanted
        .iter()
        .filter(|id| inv.records.get(id.as_str()).is_some())
        .map(|id| id.to_string())
        .collect();
    let (done, failure): (BTreeSet<String>, Option<String>) =
        match crate::ops::mirror::mirror_new(repo, &inv, &only, None) {
            Ok(done) => (done.into_iter().chain(already).collect(), None),
            Err(e) => (already, Some(crate::error::classify(&e).to_string())),
        };
    for r in reports
        .iter_mut()
        .filter(|r| r.outcome == Outcome::Pending && r.action.repair == Repair::CreateRecord)
    {
        r.outcome = match (&failure, done.contains(r.action.wo_id.as_str())) {
            (_, true) => Outcome::Applied,
            (Some(why), false) => Outcome::Failed(why.clone()),
            (None, false) => {
                Outcome::Skipped("still in more than one state, or someone else created it".into())
            }
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
    /// The versions repairs wrote of files put back, moved aside (never overwritten).
    pub set_aside: Vec<String>,
    /// The quarantine folder holding them (`--restore` of it undoes this restore).
    pub set_aside_in: Option<String>,
}

/// Put every file of the quarantine folder `stamp` back (never overwriting), newest
/// first, so that a run is undone in the reverse order it was done. A file a repair
/// rewrote (saved first, see [`quarantine::Saving`]) comes back after the version the
/// repair wrote is moved aside into a quarantine folder of this restore's own.
pub fn restore(repo: &Repo, stamp: &str) -> Result<Restored> {
    let dir = quarantine::folder(&repo.wo_dir(), stamp)?;
    let entries = quarantine::manifest_lines(&dir)?;
    // Every entry is checked before anything moves: one that points outside where
    // git-wo quarantines from refuses the whole restore.
    let checked = quarantine::check_all(&dir, stamp, entries, &bounds(repo))?;
    let aside_stamp = quarantine::new_stamp(crate::clock::now());
    let aside = quarantine::Aside {
        dir: quarantine::root(&repo.wo_dir()).join(&aside_stamp),
        control_root: repo.control_root.clone(),
        restoring: stamp.to_owned(),
    };
    let mut out = Restored {
        schema: "git-wo.reconcile-restore.v1",
        quarantine: stamp.to_owned(),
        restored: Vec::new(),
        already_back: Vec::new(),
        failed: Vec::new(),
        set_aside: Vec::new(),
        set_aside_in: None,
    };
    for item in checked.into_iter().rev() {
        restore_one(repo, &item, &aside, &mut out);
    }
    if aside.dir.join(quarantine::MANIFEST).exists() {
        out.set_aside_in = Some(aside_stamp);
    }
    Ok(out)
}

/// Where git-wo quarantines from: a restore puts nothing back elsewhere.
fn bounds(repo: &Repo) -> quarantine::Bounds {
    quarantine::Bounds {
        control_root: repo.control_root.clone(),
        jobs_rel: repo.jobs_rel(),
        common_dir: repo.common_dir.clone(),
        wo_dir: repo.wo_dir(),
        worktree_root: repo.worktree_root(),
        hooks_dir: repo.hooks_dir().path,
        kept_hooks: crate::model::hook_shim::SHIMS
            .iter()
            .map(|(name, _)| format!("{name}{}", crate::model::hook_shim::KEPT_SUFFIX))
            .collect(),
    }
}

/// Put one quarantined file back, and say how it went in `out`. A WO's file goes
/// through the journal, fenced by the record as it is now (none: no record must appear
/// meanwhile); another file (a hook `install-hooks --force` replaced, a leftover
/// reconcile cleared) is put back unless something is in its place.
fn restore_one(
    repo: &Repo,
    item: &quarantine::Checked,
    aside: &quarantine::Aside,
    out: &mut Restored,
) {
    let e = &item.entry;
    if std::fs::symlink_metadata(&item.stored).is_err() {
        out.already_back.push(e.from.clone());
        return;
    }
    if e.wo_id.is_empty() {
        match quarantine::restore(item, None) {
            Ok(Some(_)) => out.restored.push(e.from.clone()),
            Ok(None) => out.already_back.push(e.from.clone()),
            Err(err) => out.failed.push(format!("{}: {err:#}", e.from)),
        }
        return;
    }
    let Ok(id) = WoId::parse(&e.wo_id) else {
        out.failed
            .push(format!("{}: not a WO id in the manifest", e.wo_id));
        return;
    };
    let plan = Plan {
        id: id.clone(),
        op: "restore",
        steps: vec![Step::Unquarantine {
            item: Box::new(item.clone()),
            aside: Some(aside.clone()),
        }],
        recovery: Recovery::RollForward,
    };
    let applied = crate::inventory::records::read(repo, id.as_str())
        .map_err(|err| crate::ops::journal::invalid_record(&id, &err))
        .and_then(|record| Journal::new(repo, &repo.jobs_rel(), record.as_ref()).apply(&plan));
    match applied {
        Ok(done) => {
            out.restored.push(e.from.clone());
            out.set_aside.extend(
                done.set_aside
                    .iter()
                    .map(|p| p.to_string_lossy().into_owned()),
            );
        }
        Err(err) => out.failed.push(crate::error::classify(&err).to_string()),
    }
}

/// The quarantine folder of a run, for messages.
pub fn quarantine_path(repo: &Repo, stamp: &str) -> PathBuf {
    quarantine::root(&repo.wo_dir()).join(stamp)
}
