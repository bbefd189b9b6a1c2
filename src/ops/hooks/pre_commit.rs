//! `git wo hook pre-commit`: when the commit touches the jobs dir (the staged jobs
//! tree differs from `HEAD`'s) or `wo.gate.always` says so, the gate of SPEC §5 on the
//! **staged** tree plus worktree health; otherwise nothing but a read of the index.
//! Either way a passing gate leaves the stamp post-commit checks.

use anyhow::Result;
use gix::ObjectId;

use super::CommitSite;
use super::closure::{self, Closure};
use super::stamp::GateStamp;
use super::verdict_cache::{self, Verdict};
use crate::git::Repo;
use crate::inventory::{Depth, Inventory, Source};
use crate::model::finding::Code;
use crate::views::audit::audit;
use crate::views::check::{self, gate};

/// How the verdict was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// Nothing under the jobs dir is staged: no gate needed.
    Untouched,
    /// A commit in a linked worktree: its jobs dir is not live state.
    LinkedWorktree,
    /// A commit in a WO's worktree whose YAML has a scope: the staged paths were
    /// checked against it.
    Scope,
    /// The whole verdict came from the cache.
    Cached,
    /// The gate ran.
    Checked,
}

impl How {
    pub fn as_str(self) -> &'static str {
        match self {
            How::Untouched => "untouched",
            How::LinkedWorktree => "linked_worktree",
            How::Scope => "scope",
            How::Cached => "cached",
            How::Checked => "checked",
        }
    }
}

#[derive(Debug)]
pub struct PreCommit {
    pub how: How,
    pub verdict: Verdict,
}

pub fn run(repo: &Repo) -> Result<PreCommit> {
    let t = crate::trace::phase("pre-commit: jobs trees");
    let site = CommitSite::here(repo)?;
    let (staged, head_jobs) = site.jobs_trees(repo)?;
    drop(t);
    let _t = crate::trace::phase("pre-commit: verdict");
    let (how, verdict) = if !site.control {
        match scope_verdict(repo, &site)? {
            Some(v) => (How::Scope, v),
            None => (How::LinkedWorktree, Verdict::pass()),
        }
    } else if staged == head_jobs && !repo.config.gate_always {
        (How::Untouched, Verdict::pass())
    } else {
        gate_staged(repo, &site, staged)?
    };
    if verdict.passed {
        let stamp = GateStamp {
            head: site.head.map(|h| h.to_string()),
            jobs_tree: staged.map(|t| t.to_string()),
            at: Some(crate::clock::now()),
            msg_at: None,
            closures: verdict.closures.clone(),
            bypasses: Vec::new(),
        };
        // A stamp that cannot be written only costs a bypass marker later.
        let _ = stamp.write(&site.git_dir);
    } else {
        GateStamp::remove(&site.git_dir);
    }
    Ok(PreCommit { how, verdict })
}

impl Verdict {
    fn pass() -> Verdict {
        Verdict {
            passed: true,
            failures: Vec::new(),
            notes: Vec::new(),
            warnings: Vec::new(),
            closures: Vec::new(),
        }
    }
}

/// A commit in a linked worktree that is a WO's (its session, git lock reason or
/// folder name says which): every staged path (a rename's both sides) against `HEAD`
/// must be inside the WO's scope. `None`: no WO's worktree, or its WO has no scope.
fn scope_verdict(repo: &Repo, site: &CommitSite) -> Result<Option<Verdict>> {
    let Some(id) = crate::inventory::here::current_wo(repo) else {
        return Ok(None);
    };
    let Some(wt) = repo.current_worktree.as_deref() else {
        return Ok(None);
    };
    let Some(file) = crate::inventory::here::running_order(repo, &id)? else {
        return Ok(None);
    };
    let Some(m) = crate::ops::scope::matcher(&file, id.as_str(), "git commit")? else {
        return Ok(None);
    };
    let t = crate::trace::phase("pre-commit: staged paths");
    let changed = crate::git::diff::staged(wt, &site.index, site.head)?;
    drop(t);
    let outside = crate::ops::scope::outside(&m, &changed);
    let yaml = crate::error::shell_quote(&file.rel_path().to_string_lossy());
    let mut verdict = Verdict::pass();
    verdict.passed = outside.is_empty();
    verdict.failures = outside
        .iter()
        .map(|v| {
            format!(
                "out_of_scope {id}: {} is outside {id}'s scope: {} (fix: git restore --staged -- {})",
                v.path,
                v.why.rule(),
                crate::error::shell_quote(&v.path)
            )
        })
        .collect();
    if !verdict.passed {
        verdict.notes.push(format!(
            "or, if {id} needs these paths, change its scope (scope.allow / scope.deny) in {yaml} in the control checkout {}",
            crate::error::shell_quote(&repo.control_root.to_string_lossy())
        ));
    }
    Ok(Some(verdict))
}

/// The gate on the staged jobs tree: from the verdict cache when every input is
/// unchanged, else from a fresh inventory (then cached).
fn gate_staged(repo: &Repo, site: &CommitSite, staged: Option<ObjectId>) -> Result<(How, Verdict)> {
    let fail_on = check::fail_on(repo.config.gate_fail_on.as_deref())?;
    let key = cache_key(repo, site, staged, &fail_on);
    if let Some(v) = key.as_deref().and_then(|k| verdict_cache::lookup(repo, k)) {
        return Ok((How::Cached, v));
    }
    let inv = Inventory::gather(repo, Source::IndexFile(site.index.clone()), Depth::Fields)?;
    let closures = closure::find(repo, &inv, site.head)?;
    let findings = audit(&inv)
        .into_iter()
        .filter(|f| !deferred(f.code, f.wo_id.as_deref(), &closures))
        .collect();
    let staged_ids = staged_wos(
        repo,
        &inv,
        &Source::IndexFile(site.index.clone()),
        site.head,
    )?;
    let result = gate(&inv, findings, &fail_on, &check::Scope::Staged(&staged_ids));
    let notes = if result.passed() {
        Vec::new()
    } else {
        unstaged_fix(repo, &result.failures)?.into_iter().collect()
    };
    let verdict = Verdict {
        passed: result.passed(),
        failures: result.failures.iter().map(check::line).collect(),
        notes,
        warnings: result
            .not_staged
            .iter()
            .map(check::unstaged_line)
            .chain(
                result
                    .warnings
                    .iter()
                    .filter(|w| w.code == Code::RunningWithoutLock)
                    .map(check::old_lockless_line),
            )
            .collect(),
        closures,
    };
    let in_flight = inv.records.values().any(|s| s.record.phase.in_flight());
    if let Some(k) = key.as_deref()
        && !in_flight
    {
        let deps = verdict_cache::deps(repo, &inv);
        verdict_cache::store(repo, k, &deps, check::verdict_expires(&inv), &verdict);
    }
    Ok((How::Checked, verdict))
}

/// The WOs whose files `source` (the index a commit is made from) stages: every path
/// under the jobs dir whose blob differs from `HEAD`'s, named by its file's stem
/// (`WO-1.yaml`, `WO-1.lock`) and, for a WO file, by the id it says.
pub fn staged_wos(
    repo: &Repo,
    inv: &Inventory,
    source: &Source,
    head: Option<ObjectId>,
) -> Result<std::collections::BTreeSet<String>> {
    let jobs = repo.jobs_rel();
    let staged = match source {
        Source::IndexFile(path) => repo.index_file_entries(path, &jobs)?,
        _ => repo.index_entries(&jobs)?,
    };
    let at_head = match head {
        Some(h) => repo.tree_entries(&h.to_string(), &jobs)?,
        None => Vec::new(),
    };
    let key = |e: &crate::git::tree_source::BlobEntry| (e.path.clone(), e.oid);
    let before: std::collections::BTreeSet<_> = at_head.iter().map(key).collect();
    let after: std::collections::BTreeSet<_> = staged.iter().map(key).collect();
    let mut ids = std::collections::BTreeSet::new();
    for (path, _) in before.symmetric_difference(&after) {
        let p = std::path::Path::new(path);
        if let Some(id) = crate::model::order::OrderFile::stem_id(p) {
            ids.insert(id.to_string());
        }
        if let Some(id) = inv
            .files
            .iter()
            .find(|f| f.rel_path() == p)
            .and_then(|f| f.id.as_ref())
        {
            ids.insert(id.to_string());
        }
    }
    Ok(ids)
}

/// When the working tree has none of the staged tree's problems for some WOs (a move
/// made but not staged, e.g. by a take killed before it staged it), the line that
/// says so, with the command that stages exactly those WOs' files.
fn unstaged_fix(
    repo: &Repo,
    failures: &[crate::model::finding::Finding],
) -> Result<Option<String>> {
    let ids: std::collections::BTreeSet<&str> =
        failures.iter().filter_map(|f| f.wo_id.as_deref()).collect();
    if ids.is_empty() {
        return Ok(None);
    }
    let wt = Inventory::gather(repo, Source::WorkingTree, Depth::Fields)?;
    let wt_findings = audit(&wt);
    let fine: Vec<&str> = ids
        .into_iter()
        .filter(|id| {
            !wt_findings.iter().any(|f| {
                f.wo_id.as_deref() == Some(id) && failures.iter().any(|g| g.code == f.code)
            })
        })
        .collect();
    if fine.is_empty() {
        return Ok(None);
    }
    let mut paths: std::collections::BTreeSet<String> = failures
        .iter()
        .filter(|f| f.wo_id.as_deref().is_some_and(|id| fine.contains(&id)))
        .flat_map(|f| f.paths.iter().cloned())
        .filter(|p| p.starts_with(&wt.jobs_rel))
        .collect();
    paths.extend(
        wt.files
            .iter()
            .filter(|f| f.id.as_ref().is_some_and(|id| fine.contains(&id.as_str())))
            .map(|f| f.rel_path().to_string_lossy().into_owned()),
    );
    let quoted: Vec<String> = paths.iter().map(|p| crate::error::shell_quote(p)).collect();
    Ok(Some(format!(
        "not staged {}: the working tree is already right for it; stage it (fix: git add -A -- {})",
        fine.join(", "),
        quoted.join(" ")
    )))
}

/// A finding a manual closure causes by itself: commit-msg decides on it.
fn deferred(code: Code, id: Option<&str>, closures: &[Closure]) -> bool {
    closure::DEFERRED.contains(&code) && id.is_some_and(|id| closures.iter().any(|c| c.id == id))
}

/// Everything the verdict depends on that is not a file's `stat` (see
/// [`verdict_cache`]); `None` when the record refs cannot be keyed.
fn cache_key(
    repo: &Repo,
    site: &CommitSite,
    staged: Option<ObjectId>,
    fail_on: &std::collections::BTreeSet<Code>,
) -> Option<String> {
    let refs =
        crate::inventory::record_cache::refs_key(&repo.common_dir, std::time::SystemTime::now())?;
    let codes: Vec<&str> = fail_on.iter().map(|c| c.as_str()).collect();
    Some(format!(
        "jobs={} head={} index={} fail_on={} refs={refs} path={} config={:?}",
        staged.map_or_else(|| "-".into(), |t| t.to_string()),
        site.head.map_or_else(|| "-".into(), |t| t.to_string()),
        site.index.display(),
        codes.join(","),
        std::env::var("PATH").unwrap_or_default(),
        repo.config,
    ))
}
