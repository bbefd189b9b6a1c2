//! `git wo snapshot --dir DIR`: the plan's Phase 0 baseline freeze: the files that
//! record HEAD, worktrees, the jobs folders, the refs, the audit and the gate as they
//! are now.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

use crate::git::Repo;
use crate::git::command::git;
use crate::inventory::{Depth, Inventory, Source};
use crate::model::state::State;
use crate::views::audit::audit_report;
use crate::views::check::{DEFAULT_FAIL_ON, gate};

pub const FILES: [&str; 7] = [
    "head.txt",
    "branch.txt",
    "worktrees.txt",
    "jobs_inventory.txt",
    "refs.txt",
    "wo_audit.json",
    "integrity_check.txt",
];

/// What a snapshot wrote.
#[derive(Debug)]
pub struct Snapshot {
    pub total_findings: usize,
    pub gate_passed: bool,
}

/// Write the baseline files ([`FILES`]) into `dir`, creating it.
pub fn snapshot(repo: &Repo, dir: &Path) -> Result<Snapshot> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let root = &repo.control_root;
    let inv = Inventory::gather(repo, Source::WorkingTree, Depth::Fields)?;
    let rep = audit_report(&inv);

    write(
        dir,
        "head.txt",
        format!("{}\n", inv.git_head.clone().unwrap_or_default()),
    )?;
    let branch =
        git(root, &["rev-parse", "--abbrev-ref", "HEAD"]).unwrap_or_else(|_| "HEAD\n".into());
    write(dir, "branch.txt", branch)?;
    write(
        dir,
        "worktrees.txt",
        git(root, &["worktree", "list", "--porcelain"])?,
    )?;
    write(dir, "jobs_inventory.txt", jobs_listing(&repo.jobs_dir())?)?;
    write(dir, "refs.txt", wo_refs(repo)?)?;

    let gate_result = gate(
        &inv,
        rep.findings.clone(),
        &DEFAULT_FAIL_ON.into_iter().collect(),
        &crate::views::check::Scope::All,
    );
    write(
        dir,
        "wo_audit.json",
        serde_json::to_string_pretty(&rep)? + "\n",
    )?;
    let mut integrity = String::new();
    for f in &gate_result.failures {
        let _ = writeln!(
            integrity,
            "{} {}: {} (fix: {})",
            f.code,
            f.wo_id.as_deref().unwrap_or("-"),
            f.message,
            f.hint
        );
    }
    let _ = writeln!(
        integrity,
        "git wo check: {} (exit {})",
        if gate_result.passed() { "ok" } else { "FAILED" },
        if gate_result.passed() { 0 } else { 1 }
    );
    write(dir, "integrity_check.txt", integrity)?;

    Ok(Snapshot {
        total_findings: rep.summary.total_findings,
        gate_passed: gate_result.passed(),
    })
}

fn write(dir: &Path, name: &str, text: String) -> Result<()> {
    let path = dir.join(name);
    fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}

/// `ls -la`-like listing of each state folder: mode, size, mtime, name.
fn jobs_listing(jobs: &Path) -> Result<String> {
    let mut out = String::new();
    for state in State::ALL {
        let dir = jobs.join(state.as_str());
        let _ = writeln!(out, "{}:", dir.display());
        let Ok(entries) = fs::read_dir(&dir) else {
            let _ = writeln!(out, "(missing)\n");
            continue;
        };
        let mut rows: Vec<(String, String)> = entries
            .filter_map(|e| e.ok())
            .map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let meta = e.metadata().ok();
                let kind = match e.file_type() {
                    Ok(t) if t.is_dir() => 'd',
                    Ok(t) if t.is_symlink() => 'l',
                    _ => '-',
                };
                let size = meta.as_ref().map_or(0, |m| m.len());
                let mtime = meta
                    .and_then(|m| m.modified().ok())
                    .map(|t| {
                        chrono::DateTime::<chrono::Utc>::from(t)
                            .format("%Y-%m-%dT%H:%M:%SZ")
                            .to_string()
                    })
                    .unwrap_or_default();
                (name.clone(), format!("{kind} {size:>10} {mtime} {name}"))
            })
            .collect();
        rows.sort();
        let _ = writeln!(out, "total {}", rows.len());
        for (_, line) in rows {
            let _ = writeln!(out, "{line}");
        }
        out.push('\n');
    }
    Ok(out)
}

/// `<sha> <ref>` for every record and the notes ref.
fn wo_refs(repo: &Repo) -> Result<String> {
    let mut out = String::new();
    for prefix in ["refs/wo/", "refs/notes/wo"] {
        for r in repo.refs_under(prefix)? {
            if let Ok(id) = r.target {
                let _ = writeln!(out, "{id} {}", r.name);
            }
        }
    }
    Ok(out)
}
