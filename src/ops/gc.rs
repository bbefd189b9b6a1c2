//! `gc` (SPEC §8): remove zombie and ghost worktrees when that loses nothing, release
//! stale locks (the WO goes back to pending, its branch kept), prune worktree metadata
//! whose directory is gone; with `--apply`, also pack `refs/wo/*` and rebuild git-wo's
//! caches. Every decision is in the report with its reasons, and the report is appended
//! to `<git-common-dir>/wo/gc.log` (one JSON line per run).
//!
//! `--apply` holds the repository lock ([`RepoLock`]) throughout, and checks each
//! candidate again right before removing it: the inventory is gathered anew, the
//! candidate must still be one, its worktree must still pass every rule, and the
//! removal itself is a journal step fenced by the WO's record. `git worktree remove`
//! (without `--force`) is the last guard: git refuses a dirty tree itself.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::Duration;
use serde::Serialize;

use crate::git::Repo;
use crate::git::worktrees::Worktree;
use crate::inventory::{Depth, Inventory, Source};
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::ops::journal::{Journal, Plan, Recovery, Step};
use crate::ops::quarantine::{self, Entry};
use crate::ops::repo_lock::RepoLock;
use crate::views::gc::{Candidate, Kind, candidates};

pub const LOG: &str = "gc.log";

#[derive(Debug, Clone)]
pub struct GcOptions {
    pub apply: bool,
    /// Override the dirty, untracked, ignored, reflog-only and min-age rules (what would be lost is
    /// copied to quarantine first).
    pub force: bool,
    /// A worktree touched more recently than this is kept.
    pub min_age: Duration,
    pub owner: String,
    /// Where to append the JSON line (default `<git-common-dir>/wo/gc.log`).
    pub log: Option<PathBuf>,
    /// How the report spells a command to run gc again with the options of this run.
    pub rerun: Rerun,
}

/// `git wo gc` as the user ran it (`--root DIR`, `--min-age`, `--log`): every command
/// the report prints repeats these, so that running it acts on the same plan.
#[derive(Debug, Clone, Default)]
pub struct Rerun {
    /// `--root DIR`, as given (shell-quoted when printed).
    pub root: Option<String>,
    /// `--min-age`, as given.
    pub min_age: Option<String>,
    /// `--log PATH`, as given.
    pub log: Option<String>,
}

impl Rerun {
    /// `git wo[ --root DIR] gc <extra>[ --min-age …][ --log …]`.
    pub fn command(&self, extra: &str) -> String {
        let q = crate::error::shell_quote;
        let mut c = String::from("git wo");
        if let Some(r) = &self.root {
            c.push_str(&format!(" --root {}", q(r)));
        }
        c.push_str(" gc");
        if !extra.is_empty() {
            c.push(' ');
            c.push_str(extra);
        }
        if let Some(m) = &self.min_age {
            c.push_str(&format!(" --min-age {}", q(m)));
        }
        if let Some(l) = &self.log {
            c.push_str(&format!(" --log {}", q(l)));
        }
        c
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct GcAction {
    #[serde(rename = "type")]
    pub kind: Kind,
    pub wo_id: Option<String>,
    pub path: Option<String>,
    pub wo_state: Option<State>,
    pub is_dirty: bool,
    pub action: Decision,
    pub reasons: Vec<String>,
    pub message: String,
    /// Commits only the worktree's HEAD reflog reached, saved under refs by a forced
    /// removal (`refs/wo/rescue/<ID>/<short id>`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rescued: Vec<Rescued>,
}

/// A commit gc kept reachable before removing the worktree whose reflog held it.
#[derive(Debug, Clone, Serialize)]
pub struct Rescued {
    pub commit: String,
    #[serde(rename = "ref")]
    pub name: String,
}

/// Where gc keeps a commit only the HEAD reflog of `id`'s worktree reaches.
pub fn rescue_ref(id: &str, commit: &gix::ObjectId) -> String {
    format!("refs/wo/rescue/{id}/{}", commit.to_hex_with_len(12))
}

/// What gc did, or (a dry run) would do, with a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    WouldRemove,
    WouldKeep,
    Removed,
    Kept,
    Failed,
    /// A stale lock.
    WouldRelease,
    Released,
    /// Prunable metadata.
    WouldPrune,
    Pruned,
}

impl Decision {
    /// Its name in the report and the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::WouldRemove => "would_remove",
            Decision::WouldKeep => "would_keep",
            Decision::Removed => "removed",
            Decision::Kept => "kept",
            Decision::Failed => "failed",
            Decision::WouldRelease => "would_release",
            Decision::Released => "released",
            Decision::WouldPrune => "would_prune",
            Decision::Pruned => "pruned",
        }
    }
}

impl Serialize for Decision {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct GcSummary {
    pub zombies_found: usize,
    pub ghosts_found: usize,
    pub zombies_removed: usize,
    pub ghosts_removed: usize,
    pub zombies_skipped_dirty: usize,
    pub stale_locks_found: usize,
    pub stale_locks_released: usize,
    pub prunable_found: usize,
    pub prunable_pruned: usize,
    /// Kept (`--apply`) or would be kept (a dry run).
    pub kept: usize,
    /// A dry run: zombie and ghost worktrees it would remove, stale locks it would
    /// release, metadata it would prune.
    pub zombies_would_remove: usize,
    pub ghosts_would_remove: usize,
    pub would_release: usize,
    pub would_prune: usize,
    pub errors_count: usize,
    /// Bytes freed by packing `refs/wo/*` and rebuilding the caches (`--apply`).
    pub bytes_reclaimed: u64,
}

#[derive(Debug, Serialize)]
pub struct GcReport {
    pub schema: &'static str,
    pub dry_run: bool,
    pub at: String,
    pub summary: GcSummary,
    pub actions: Vec<GcAction>,
    pub errors: Vec<String>,
    /// The quarantine folder that holds what forced removals would have lost.
    pub quarantine: Option<String>,
}

impl GcReport {
    /// Whether `--apply` would act on anything this dry run found (not everything
    /// would be kept).
    pub fn would_act(&self) -> bool {
        let s = &self.summary;
        s.zombies_would_remove + s.ghosts_would_remove + s.would_release + s.would_prune > 0
    }

    /// A dry run found something; an apply left something (kept or failed).
    pub fn work_left(&self) -> bool {
        if self.dry_run {
            !self.actions.is_empty()
        } else {
            self.summary.kept + self.summary.errors_count > 0
        }
    }
}

/// `git wo gc`: judge every candidate ([`judge_all`]; with `--apply`, act on it), prune
/// the metadata of gone worktrees in one `git worktree prune` ([`prune_all`]), compact
/// (`--apply`), count ([`GcSummary::count`]), report, and log the report.
pub fn gc(repo: &Repo, opts: &GcOptions) -> Result<GcReport> {
    let _lock = if opts.apply {
        Some(RepoLock::acquire(&repo.wo_dir(), "git wo gc")?)
    } else {
        None
    };
    let now = crate::clock::now();
    let stamp = quarantine::new_stamp(now);
    let qdir = quarantine::root(&repo.wo_dir()).join(&stamp);
    let inv = Inventory::gather(repo, Source::WorkingTree, Depth::Fields)?;
    let (mut actions, mut errors, prune) = judge_all(repo, &inv, opts, &qdir);
    prune_all(repo, &mut actions, prune, &mut errors);
    let mut summary = GcSummary::default();
    if opts.apply {
        match compact(repo) {
            Ok(freed) => summary.bytes_reclaimed = freed,
            Err(e) => errors.push(format!("packing refs/wo/* and the caches: {e:#}")),
        }
    }
    summary.count(&actions);
    summary.errors_count = errors.len();
    let used = qdir.join(quarantine::MANIFEST).exists();
    let mut report = GcReport {
        schema: "git-wo.gc.v1",
        dry_run: !opts.apply,
        at: crate::model::when::shown(now),
        summary,
        actions,
        errors,
        quarantine: used.then_some(stamp),
    };
    // What was done is reported even when the log cannot be written.
    if let Err(e) = append_log(repo, opts, &report) {
        report.errors.push(format!("{e:#}"));
        report.summary.errors_count = report.errors.len();
    }
    Ok(report)
}

/// Each candidate, by kind: a zombie or ghost worktree ([`worktree`]), a stale lock
/// ([`stale_lock`]), gone metadata ([`prunable`]). The actions, the errors, and the
/// actions whose outcome the one prune of this run decides.
fn judge_all(
    repo: &Repo,
    inv: &Inventory,
    opts: &GcOptions,
    qdir: &Path,
) -> (Vec<GcAction>, Vec<String>, Vec<usize>) {
    let mut actions = Vec::new();
    let mut errors = Vec::new();
    let mut prune = Vec::new();
    for c in candidates(inv) {
        let a = match c.kind {
            Kind::Zombie | Kind::Ghost => worktree(repo, inv, &c, opts, qdir),
            Kind::StaleLock => stale_lock(repo, &c, opts, qdir),
            Kind::Prunable => {
                let (a, to_prune) = prunable(repo, inv, &c, opts);
                if to_prune {
                    prune.push(actions.len());
                }
                a
            }
        };
        if a.action == Decision::Failed {
            errors.push(a.message.clone());
        }
        actions.push(a);
    }
    (actions, errors, prune)
}

/// One `git worktree prune` for the actions `prune`; each is pruned when its
/// registration is gone after it, else failed with why.
fn prune_all(repo: &Repo, actions: &mut [GcAction], prune: Vec<usize>, errors: &mut Vec<String>) {
    if prune.is_empty() {
        return;
    }
    let result = repo.prune_worktrees();
    let after = crate::git::worktrees::list(&repo.common_dir, &repo.control_root);
    for n in prune {
        let a = &mut actions[n];
        let gone = !after
            .iter()
            .any(|w| Some(crate::error::escaped(w.path.as_os_str())) == a.path);
        if gone {
            a.action = Decision::Pruned;
            a.message = "metadata pruned (git worktree prune)".into();
        } else {
            a.action = Decision::Failed;
            a.message = match &result {
                Err(e) => format!("git worktree prune failed: {e:#}"),
                Ok(()) => "git worktree prune kept it".into(),
            };
            errors.push(a.message.clone());
        }
    }
}

impl GcSummary {
    /// Count the actions by kind and outcome.
    fn count(&mut self, actions: &[GcAction]) {
        for a in actions {
            let removed = a.action == Decision::Removed;
            match a.kind {
                Kind::Zombie => {
                    self.zombies_found += 1;
                    self.zombies_removed += removed as usize;
                    self.zombies_skipped_dirty += (a.is_dirty
                        && matches!(a.action, Decision::WouldKeep | Decision::Kept))
                        as usize;
                }
                Kind::Ghost => {
                    self.ghosts_found += 1;
                    self.ghosts_removed += removed as usize;
                }
                Kind::StaleLock => {
                    self.stale_locks_found += 1;
                    self.stale_locks_released += (a.action == Decision::Released) as usize;
                }
                Kind::Prunable => {
                    self.prunable_found += 1;
                    self.prunable_pruned += (a.action == Decision::Pruned) as usize;
                }
            }
            self.kept += matches!(a.action, Decision::Kept | Decision::WouldKeep) as usize;
            let would_remove = (a.action == Decision::WouldRemove) as usize;
            match a.kind {
                Kind::Zombie => self.zombies_would_remove += would_remove,
                Kind::Ghost => self.ghosts_would_remove += would_remove,
                _ => {}
            }
            self.would_release += (a.action == Decision::WouldRelease) as usize;
            self.would_prune += (a.action == Decision::WouldPrune) as usize;
        }
    }
}

/// The action of a candidate, as decided.
fn action(c: &Candidate, action: Decision, reasons: Vec<String>, message: String) -> GcAction {
    GcAction {
        kind: c.kind,
        wo_id: c.wo_id.clone(),
        path: c
            .path
            .as_ref()
            .map(|p| crate::error::escaped(p.as_os_str())),
        wo_state: c.wo_state,
        is_dirty: false,
        action,
        reasons,
        message,
        rescued: Vec::new(),
    }
}

/// The worktree registered at `path`.
fn find(inv: &Inventory, path: &Path) -> Option<Worktree> {
    inv.worktrees.iter().find(|w| w.path == path).cloned()
}

/// A zombie or ghost worktree: every rule ([`decide`]); with `--apply`, under the lock
/// and right before the removal, on a fresh inventory ([`recheck`]), then what a
/// forced removal would lose saved, and the removal ([`removal_plan`]).
fn worktree(
    repo: &Repo,
    inv: &Inventory,
    c: &Candidate,
    opts: &GcOptions,
    qdir: &Path,
) -> GcAction {
    let Some(path) = &c.path else {
        return action(c, Decision::Failed, vec![], "no path".into());
    };
    if !opts.apply {
        return match find(inv, path) {
            Some(wt) => decide(repo, c, &wt, opts).0,
            None => action(
                c,
                Decision::Failed,
                vec![],
                format!("{} is not registered", path.display()),
            ),
        };
    }
    let (fresh, wt) = match recheck(repo, c, path) {
        Ok(found) => found,
        Err(a) => return *a,
    };
    let (mut a, removal) = decide(repo, c, &wt, opts);
    if a.action == Decision::WouldKeep {
        a.action = Decision::Kept;
        return a;
    }
    let Some(id) = c.wo_id.as_deref().and_then(|i| WoId::parse(i).ok()) else {
        return action(c, Decision::Failed, vec![], "no WO id".into());
    };
    let forced = !removal.at_risk.is_empty();
    let mut saved = 0;
    if forced {
        // What the removal would lose goes to quarantine first.
        match save(&wt, c, &removal.at_risk, qdir) {
            Ok(n) => saved = n,
            Err(e) => {
                return action(
                    c,
                    Decision::Failed,
                    a.reasons.clone(),
                    format!("saving its files to quarantine failed, so it was kept: {e:#}"),
                );
            }
        }
    }
    let (plan, rescued) = removal_plan(&id, &wt, &removal, forced);
    match Journal::new(repo, &fresh.jobs_rel, fresh.records.get(id.as_str())).apply(&plan) {
        Ok(_) => {
            a.action = Decision::Removed;
            a.message = removed_message(forced, saved, &rescued);
            a.rescued = rescued;
            a
        }
        Err(e) => {
            a.action = Decision::Failed;
            a.message = format!("{}", crate::error::classify(&e));
            a
        }
    }
}

/// Right before a removal: the inventory gathered anew, the candidate still one, its
/// worktree still registered. Else the action that keeps (or fails) it.
fn recheck(
    repo: &Repo,
    c: &Candidate,
    path: &Path,
) -> std::result::Result<(Inventory, Worktree), Box<GcAction>> {
    let kept = |why: &str| action(c, Decision::Kept, vec![why.into()], format!("kept: {why}"));
    let fresh = match Inventory::gather(repo, Source::WorkingTree, Depth::Fields) {
        Ok(f) => f,
        Err(e) => {
            let failed = action(c, Decision::Failed, vec![], format!("{e:#}"));
            return Err(Box::new(failed));
        }
    };
    if !candidates(&fresh).contains(c) {
        return Err(Box::new(kept(
            "it changed meanwhile and is no longer a candidate",
        )));
    }
    let Some(wt) = find(&fresh, path) else {
        return Err(Box::new(kept("it was removed meanwhile")));
    };
    Ok((fresh, wt))
}

/// The removal as a journal plan: commits only its HEAD reflog reaches get a ref first
/// (the removal deletes the reflog), then the worktree goes. The refs it keeps.
fn removal_plan(
    id: &WoId,
    wt: &Worktree,
    removal: &crate::git::worktree_ops::Removal,
    forced: bool,
) -> (Plan, Vec<Rescued>) {
    let rescued: Vec<Rescued> = removal
        .reflog_only
        .iter()
        .map(|c| Rescued {
            commit: c.to_string(),
            name: rescue_ref(id.as_str(), c),
        })
        .collect();
    let mut steps: Vec<Step> = removal
        .reflog_only
        .iter()
        .map(|c| Step::SaveCommit {
            name: rescue_ref(id.as_str(), c),
            at: *c,
        })
        .collect();
    steps.push(Step::ReleaseWorktree {
        path: wt.path.clone(),
        remove: true,
        // git removes a worktree with submodules only when forced; they were checked.
        force: forced || removal.submodules,
    });
    let plan = Plan {
        id: id.clone(),
        op: "gc",
        steps,
        recovery: Recovery::RollForward,
    };
    (plan, rescued)
}

/// What a removal says: forced (how many files went to quarantine) or not, and the
/// refs that keep what only its reflog reached.
fn removed_message(forced: bool, saved: usize, rescued: &[Rescued]) -> String {
    let mut message = if forced {
        format!("removed with --force; {saved} file(s) it held are in quarantine")
    } else {
        "removed; its branch is kept".into()
    };
    if !rescued.is_empty() {
        let names: Vec<&str> = rescued.iter().map(|r| r.name.as_str()).collect();
        message.push_str(&format!(
            "; commit(s) only its HEAD reflog reached are kept as {} (e.g. git branch <name> {})",
            names.join(", "),
            names[0]
        ));
    }
    message
}

/// What keeps a worktree: `hard` reasons nothing overrides, `soft` ones `--force` does
/// (touched recently, work in it, commits only its reflog reaches), and which soft
/// ones there are.
struct Blockers {
    hard: Vec<String>,
    soft: Vec<String>,
    dirty: bool,
    commits: bool,
}

/// Check one worktree: its age against `--min-age`, then git's removal check (its
/// blockers taken out of the returned [`Removal`](crate::git::worktree_ops::Removal)).
fn blockers(
    repo: &Repo,
    wt: &Worktree,
    opts: &GcOptions,
) -> (Blockers, crate::git::worktree_ops::Removal) {
    let mut b = Blockers {
        hard: Vec::new(),
        soft: Vec::new(),
        dirty: false,
        commits: false,
    };
    if let Some(t) = repo.worktree_touched(wt, &[crate::model::session::FILE]) {
        let age = std::time::SystemTime::now()
            .duration_since(t)
            .unwrap_or_default();
        let min = opts.min_age.to_std().unwrap_or_default();
        if age < min {
            b.soft.push(format!(
                "touched {}s ago (under --min-age {}s)",
                age.as_secs(),
                min.as_secs()
            ));
        }
    }
    let disposable = |p: &str| repo.config.is_disposable(p);
    let mut removal = repo.removal_check(wt, &disposable);
    for blocker in std::mem::take(&mut removal.blockers) {
        if blocker.forcible {
            b.dirty |= !blocker.commits;
            b.commits |= blocker.commits;
            b.soft.push(blocker.text);
        } else {
            b.hard.push(blocker.text);
        }
    }
    (b, removal)
}

/// The verdict on one worktree: `would_remove` or `would_keep` with every reason, and
/// what the check found (its blockers taken out): the files a forced removal would
/// lose, the commits only its HEAD reflog reaches, whether it holds submodules.
fn decide(
    repo: &Repo,
    c: &Candidate,
    wt: &Worktree,
    opts: &GcOptions,
) -> (GcAction, crate::git::worktree_ops::Removal) {
    let (b, removal) = blockers(repo, wt, opts);
    let keep = !b.hard.is_empty() || (!b.soft.is_empty() && !opts.force);
    let only_forcible = b.hard.is_empty();
    let overridden = !keep && !b.soft.is_empty();
    let mut reasons = b.hard;
    reasons.extend(b.soft);
    let what = match c.kind {
        Kind::Ghost => "its WO has no YAML and no record",
        _ => "its WO is closed",
    };
    let message = if keep {
        let fix = kept_fix(c, opts, only_forcible, b.dirty, b.commits);
        format!("kept: {}{fix}", reasons.join("; "))
    } else if overridden {
        format!("{what}; --force overrides: {}", reasons.join("; "))
    } else {
        format!("{what}; clean, its commits are on a branch")
    };
    let decision = if keep {
        Decision::WouldKeep
    } else {
        Decision::WouldRemove
    };
    let mut a = action(c, decision, reasons, message);
    a.is_dirty = b.dirty;
    if overridden {
        // Reasons overridden by --force stay in the report.
        a.reasons.insert(0, "--force".into());
    }
    (a, removal)
}

/// What to do about a worktree kept for forcible reasons only: work in it, commits
/// only its reflog reaches, or else only its age. Nothing for a hard reason. Every
/// command repeats this run's options.
fn kept_fix(
    c: &Candidate,
    opts: &GcOptions,
    only_forcible: bool,
    dirty: bool,
    commits: bool,
) -> String {
    let forced = opts.rerun.command("--apply --force");
    match (only_forcible, dirty, commits) {
        (false, _, _) => String::new(),
        (true, true, _) => format!(
            " (commit or move the work, then rerun; or {forced}, which copies it to quarantine first)"
        ),
        (true, false, true) => format!(
            " (put them on a branch, git branch <name> <commit>, then rerun; or {forced}, which keeps them under refs/wo/rescue/{}/ first)",
            c.wo_id.as_deref().unwrap_or("<ID>")
        ),
        (true, false, false) => later(opts),
    }
}

/// ` (rerun later, or pass --min-age 0: <the command>)`, with this run's options.
fn later(opts: &GcOptions) -> String {
    format!(" ({})", later_text(opts))
}

fn later_text(opts: &GcOptions) -> String {
    let now = Rerun {
        min_age: Some("0".into()),
        ..opts.rerun.clone()
    };
    format!(
        "rerun later, or pass --min-age 0: {}",
        now.command(if opts.apply { "--apply" } else { "" })
    )
}

/// Copy the files of `wt` a forced removal would lose into the quarantine folder,
/// names byte for byte (see [`Entry`]); how many.
fn save(wt: &Worktree, c: &Candidate, at_risk: &[PathBuf], qdir: &Path) -> Result<usize> {
    let name = c.wo_id.clone().unwrap_or_else(|| wt.name.clone());
    let mut saved = 0;
    for rel in at_risk {
        let from = wt.path.join(rel);
        for file in files_under(&from) {
            let Ok(meta) = std::fs::symlink_metadata(&file) else {
                continue;
            };
            let Ok(inside) = file.strip_prefix(&wt.path) else {
                continue;
            };
            let mut entry = Entry {
                wo_id: name.clone(),
                code: match c.kind {
                    Kind::Ghost => "ghost_worktree",
                    _ => "zombie_worktree",
                }
                .into(),
                reason: "gc --force removed the worktree that held it".into(),
                bytes: meta.len(),
                at: crate::model::when::shown(crate::clock::now()),
                ..Entry::default()
            };
            entry.set_from(&file);
            entry.set_stored(&Path::new("worktrees").join(&name).join(inside));
            entry.set_worktree(&wt.path);
            quarantine::copy_in(qdir, &file, &entry)?;
            saved += 1;
        }
    }
    Ok(saved)
}

/// `path` itself when it is a file (or a link), else every file below it.
fn files_under(path: &Path) -> Vec<PathBuf> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Vec::new();
    };
    if !meta.is_dir() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(path) {
        for e in entries.flatten() {
            out.extend(files_under(&e.path()));
        }
    }
    out
}

/// A stale lock: the WO goes back to pending (branch and worktree kept); the YAML and
/// `.lock` as they were are in this run's quarantine first.
fn stale_lock(repo: &Repo, c: &Candidate, opts: &GcOptions, qdir: &Path) -> GcAction {
    let Some(id) = c.wo_id.as_deref().and_then(|i| WoId::parse(i).ok()) else {
        return action(c, Decision::Failed, vec![], "no WO id".into());
    };
    if !opts.apply {
        return action(
            c,
            Decision::WouldRelease,
            vec!["its lease expired".into()],
            format!("{id} goes back to pending; its branch and worktree are kept"),
        );
    }
    match crate::ops::requeue::requeue_as(
        repo,
        &id,
        "stale lock released by git wo gc (lease expired)",
        &opts.owner,
        "gc",
        false,
        false,
        // The running YAML and the `.lock` are saved first: `reconcile --restore`
        // gives them back.
        Some(&quarantine::Saving {
            dir: qdir.to_path_buf(),
            code: "stale_lock".into(),
            reason: "saved by git wo gc before it released the stale lock".into(),
        }),
    ) {
        Ok(r) => action(
            c,
            Decision::Released,
            vec!["its lease expired".into()],
            format!(
                "{id} is pending again{}",
                r.branch_kept
                    .map(|b| format!("; branch {b} kept"))
                    .unwrap_or_default()
            ),
        ),
        Err(e) => action(
            c,
            Decision::Failed,
            vec!["its lease expired".into()],
            format!("{}", crate::error::classify(&e)),
        ),
    }
}

/// Worktree metadata whose directory is gone: pruned, unless someone else locked it
/// (a half-made registration a killed take left is [`half_made`]'s). `true`: to be
/// pruned by the one `git worktree prune` of this run, whose result decides the action.
fn prunable(repo: &Repo, inv: &Inventory, c: &Candidate, opts: &GcOptions) -> (GcAction, bool) {
    let wt = c.path.as_ref().and_then(|p| find(inv, p));
    // A registration a killed `git worktree add` of a take left (no HEAD, git's
    // "initializing" lock or the take's own): git-wo's to drop.
    let half = wt.as_ref().filter(|w| {
        let id = c.wo_id.as_deref().unwrap_or(&w.name);
        inv.half_made.contains(&w.admin_dir)
            && w.locked
                .as_deref()
                .is_some_and(|r| crate::model::lock_reason::made_by_add_of(r, id))
    });
    if let Some(w) = half {
        return (half_made(repo, c, w, opts), false);
    }
    let foreign = wt
        .as_ref()
        .and_then(|w| w.locked.clone())
        .filter(|r| !r.starts_with("git-wo "));
    if let Some(reason) = foreign {
        let a = action(
            c,
            if opts.apply {
                Decision::Kept
            } else {
                Decision::WouldKeep
            },
            vec![format!(
                "locked by someone else ({reason:?}): maybe on removable media"
            )],
            "kept: its lock is not git-wo's".into(),
        );
        return (a, false);
    }
    let a = action(
        c,
        Decision::WouldPrune,
        vec!["its directory is gone".into()],
        "git worktree prune".into(),
    );
    if !opts.apply {
        return (a, false);
    }
    if let Some(w) = wt.filter(|w| w.locked.is_some())
        && let Err(e) = repo.unlock_worktree(&w)
    {
        let failed = action(
            c,
            Decision::Failed,
            vec![],
            format!("unlocking it failed: {e:#}"),
        );
        return (failed, false);
    }
    (a, true)
}

/// A half-made registration: dropped once left alone for `--min-age` (and at least
/// [`HALF_MADE_QUIET`](crate::ops::journal::HALF_MADE_QUIET) seconds), else kept.
fn half_made(repo: &Repo, c: &Candidate, w: &Worktree, opts: &GcOptions) -> GcAction {
    let quiet = crate::git::half_made::quiet_for(w);
    let min = opts.min_age.num_seconds().max(0) as u64;
    let why = "a killed git worktree add left it half made (no HEAD)".to_owned();
    if quiet < min.max(crate::ops::journal::HALF_MADE_QUIET) {
        return action(
            c,
            if opts.apply {
                Decision::Kept
            } else {
                Decision::WouldKeep
            },
            vec![
                why,
                format!("written {quiet}s ago (under --min-age {min}s)"),
            ],
            format!("kept: {}", later_text(opts)),
        );
    }
    if !opts.apply {
        return action(
            c,
            Decision::WouldPrune,
            vec![why],
            "its metadata would be dropped".into(),
        );
    }
    match repo.drop_half_made(w) {
        Ok(()) => action(c, Decision::Pruned, vec![why], "metadata dropped".into()),
        Err(e) => action(c, Decision::Failed, vec![why], format!("{e:#}")),
    }
}

/// Pack `refs/wo/*` and rebuild git-wo's caches (they then hold only what the refs and
/// files of now need); the bytes freed.
fn compact(repo: &Repo) -> Result<u64> {
    let wo_dir = repo.wo_dir();
    let caches = [
        crate::inventory::parse_cache::PARSE_FILE,
        crate::inventory::parse_cache::BLOB_FILE,
        crate::inventory::record_cache::FILE,
        crate::inventory::object_cache::FILE,
    ];
    let size = |repo: &Repo| -> u64 {
        let refs = dir_size(&repo.common_dir.join("refs").join("wo"));
        let packed = file_size(&repo.common_dir.join("packed-refs"));
        let cached: u64 = caches.iter().map(|c| file_size(&wo_dir.join(c))).sum();
        refs + packed + cached
    };
    let before = size(repo);
    repo.pack_refs("refs/wo/*")?;
    for c in caches {
        match std::fs::remove_file(wo_dir.join(c)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(anyhow::Error::from(e).context(format!("removing the cache {c}"))),
        }
    }
    // The next views rebuild them; this one does at once, from what exists now.
    Inventory::gather(repo, Source::WorkingTree, Depth::Fields)?;
    Ok(before.saturating_sub(size(repo)))
}

fn file_size(p: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).map(|m| m.blocks() * 512).unwrap_or(0)
}

/// The space a folder's files take, in whole file-system blocks (a loose ref of 41
/// bytes takes a block).
fn dir_size(p: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(p) {
        for e in entries.flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => total += dir_size(&e.path()),
                Ok(m) => total += m.blocks() * 512,
                Err(_) => {}
            }
        }
    }
    total
}

/// Append the report as one JSON line to the log.
fn append_log(repo: &Repo, opts: &GcOptions, report: &GcReport) -> Result<()> {
    let path = opts.log.clone().unwrap_or_else(|| repo.wo_dir().join(LOG));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("appending to the gc log {}", path.display()))?;
    let mut line = serde_json::to_string(report)?;
    line.push('\n');
    f.write_all(line.as_bytes())?;
    Ok(())
}
