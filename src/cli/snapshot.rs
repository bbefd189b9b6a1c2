//! `git wo snapshot --dir DIR`: the plan's Phase 0 baseline freeze.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::json;

use super::Ctx;
use crate::cli::SnapshotArgs;
use crate::error::Exit;
use crate::git::command::git;
use crate::inventory::{Inventory, Source};
use crate::model::state::State;
use crate::views::audit::{audit, report};
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

pub fn run(ctx: &Ctx, args: &SnapshotArgs) -> Result<Exit> {
    let dir = &args.dir;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let repo = &ctx.repo;
    let root = &repo.control_root;
    let inv = Inventory::gather(repo, Source::WorkingTree)?;
    let findings = audit(&inv);

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
    write(dir, "refs.txt", wo_refs(ctx)?)?;

    let gate_result = gate(
        &inv,
        findings.clone(),
        &DEFAULT_FAIL_ON.into_iter().collect(),
    );
    let rep = report(&inv, findings);
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

    if ctx.out.json {
        ctx.out.json(&json!({"schema": "git-wo.snapshot.v1", "dir": dir, "files": FILES,
                             "findings": rep.summary.total_findings, "gate_passed": gate_result.passed()}))?;
    } else {
        ctx.out.line(format!(
            "baseline written to {}: {}",
            dir.display(),
            FILES.join(", ")
        ));
        ctx.out.line(format!(
            "{} findings; gate {}",
            rep.summary.total_findings,
            if gate_result.passed() {
                "passes"
            } else {
                "fails"
            }
        ));
    }
    Ok(Exit::Ok)
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

/// `<sha> <ref>` for HEAD, every record and the notes ref.
fn wo_refs(ctx: &Ctx) -> Result<String> {
    let mut out = String::new();
    let platform = ctx.repo.gix.references()?;
    for prefix in ["refs/wo/", "refs/notes/wo"] {
        for r in platform.prefixed(prefix)? {
            let Ok(mut r) = r else { continue };
            let name = r.name().as_bstr().to_string();
            if let Ok(id) = r.peel_to_id() {
                let _ = writeln!(out, "{id} {name}");
            }
        }
    }
    Ok(out)
}
