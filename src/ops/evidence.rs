//! The Definition of Done at `finish` and the evidence bundle it leaves in the record.
//!
//! `finish --result done` runs the DoD's `required_checks` (from the `_ctx/dod`
//! catalog) after `verify.commands`, with the same runner and the same rules, then
//! checks its `required_artifacts`. Every finish writes `evidence/` into the record's
//! commit: `verify.log`, `diff.patch`, `verdict.json`, `handoff.md` and one `<check>.log`
//! per DoD check. Logs keep the last [`MAX_FILE`] bytes (each command its last
//! [`crate::ops::verify::KEPT_OUTPUT`] bytes), `diff.patch` its first [`MAX_FILE`].

use std::path::Path;

use anyhow::Result;
use chrono::{DateTime, Utc};
use gix::ObjectId;
use serde_json::json;
use serde_yaml::Value;

use crate::error::{WoError, shell_quote as q};
use crate::git::Repo;
use crate::inventory::Inventory;
use crate::model::dod::Dod;
use crate::model::order::OrderFile;
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::ops::verify::{Ran, Verify};

/// The most an evidence file holds: logs keep their tail, `diff.patch` its head.
pub const MAX_FILE: usize = 64 * 1024;

/// What git-wo writes itself (a DoD's `<check>.log` too).
pub const MADE: [&str; 4] = ["verify.log", "diff.patch", "verdict.json", "handoff.md"];

/// Commands run by this finish, in order: `verify.commands`, then each DoD check.
#[derive(Default)]
pub struct Log {
    pub verify: Vec<Ran>,
    /// (check name, its runs).
    pub checks: Vec<(String, Vec<Ran>)>,
}

/// What the DoD gate needs of a finish.
pub struct Gate<'a> {
    pub repo: &'a Repo,
    pub inv: &'a Inventory,
    pub id: &'a WoId,
    pub file: &'a OrderFile,
    pub dir: Option<&'a Path>,
    pub base: Option<&'a str>,
    pub tip: Option<&'a str>,
    /// `--result done` without `--skip-verification`: the DoD applies.
    pub applies: bool,
}

impl Gate<'_> {
    /// The WO's DoD: `None` when there is no catalog (or the DoD does not apply);
    /// `Err` (exit 1, nothing changed) when its `dod_id` names no entry.
    pub fn dod(&self) -> Result<Option<&Dod>> {
        let (id, catalog) = (self.id, &self.inv.dod);
        if !self.applies || !catalog.exists() {
            return Ok(None);
        }
        let path = q(&self.inv.rel(self.file.rel_path()));
        let Some(dod_id) = self.file.fields.dod_id().map(str::trim) else {
            return Err(WoError::failed(format!(
                "{id}: it has no dod_id, and _ctx/dod holds a catalog; nothing was changed"
            ))
            .fix(format!(
                "set dod_id: in {path} to one of: {}, then: git wo finish {id} --result done",
                catalog.ids().join(", ")
            ))
            .into());
        };
        if let Some(d) = catalog.get(dod_id) {
            return Ok(Some(d));
        }
        let shown = crate::model::wo_id::printable(dod_id);
        let bad: Vec<&str> = catalog.invalid().map(|(p, _)| p).collect();
        let (why, fix) = if bad.is_empty() {
            (
                format!(
                    "it names no entry of the _ctx/dod catalog (it has: {})",
                    catalog.ids().join(", ")
                ),
                format!(
                    "set dod_id: in {path} to one of: {}, or add {} to _ctx/dod/*.yaml; then: git wo finish {id} --result done",
                    catalog.ids().join(", "),
                    q(dod_id)
                ),
            )
        } else {
            (
                format!(
                    "it is in no readable catalog file, and {} cannot be read (invalid_dod)",
                    bad.join(", ")
                ),
                format!(
                    "fix {} (git wo lint says what is wrong), then: git wo finish {id} --result done",
                    bad.iter().map(|p| q(p)).collect::<Vec<_>>().join(" ")
                ),
            )
        };
        Err(WoError::failed(format!(
            "{id}: unknown_dod: dod_id {shown}: {why}; {id} is still running, nothing was changed"
        ))
        .fix(fix)
        .into())
    }

    /// Run the DoD's checks (after `verify.commands`), then check its artifacts.
    /// `Ok(true)` when checks ran and passed; `Err` (exit 1, the WO still running,
    /// nothing changed) on a failing check or a missing artifact.
    pub fn run(&self, dod: &Dod, timeout: std::time::Duration, log: &mut Log) -> Result<bool> {
        let id = self.id;
        let checks = &dod.required_checks;
        if !checks.is_empty() {
            let Some(dir) = self.dir else {
                return Err(WoError::failed(format!(
                    "{id}: its worktree is missing, the checks of {} cannot run; nothing was changed",
                    dod.id
                ))
                .fix(format!(
                    "git wo finish {id} --result done --skip-verification --reason 'worktree lost'"
                ))
                .into());
            };
            let runner = Verify {
                dir,
                id: id.as_str(),
                base: self.base,
                tip: self.tip,
                timeout,
            };
            for check in checks {
                let mut runs = Vec::new();
                let failed = runner.run_logged(&check.commands, &mut runs)?;
                log.checks.push((check.name.clone(), runs));
                if let Some(f) = failed {
                    let shown = q(&dir.to_string_lossy());
                    return Err(WoError::failed(format!(
                        "{id}: the {} check `{}` failed: `{}` (exit {}); {id} is still running, its worktree kept\n{}",
                        dod.id, check.name, f.command, f.status, f.tail
                    ))
                    .fix(format!(
                        "fix it in {shown}, then: git wo finish {id} --result done (or --result failed to record a failure)"
                    ))
                    .into());
                }
            }
        }
        let missing = self.missing_artifacts(dod)?;
        if !missing.is_empty() {
            let at = format!("_ctx/handoff/{id}/");
            let wt = self
                .dir
                .map(|d| format!(" in {}", q(&d.to_string_lossy())))
                .unwrap_or_default();
            return Err(WoError::failed(format!(
                "{id}: {} requires {} in {at} at the tip {}; missing: {}; {id} is still running, nothing was changed",
                dod.id,
                if missing.len() == 1 { "this artifact" } else { "these artifacts" },
                self.tip.map_or("(none)", |t| &t[..t.len().min(12)]),
                missing.join(", ")
            ))
            .fix(format!(
                "commit {}{wt}, then: git wo finish {id} --result done",
                missing
                    .iter()
                    .map(|m| q(&format!("{at}{m}")))
                    .collect::<Vec<_>>()
                    .join(" ")
            ))
            .into());
        }
        Ok(!checks.is_empty())
    }

    /// The required artifacts git-wo does not make that the tip lacks: each must be at
    /// `_ctx/handoff/<ID>/<name>` (a name with a `/` may also be that path).
    fn missing_artifacts(&self, dod: &Dod) -> Result<Vec<String>> {
        let made = made_names(dod);
        let tip = self.tip.and_then(|t| ObjectId::from_hex(t.as_bytes()).ok());
        let mut missing = Vec::new();
        for a in &dod.required_artifacts {
            if made.contains(a) {
                continue;
            }
            let found = match tip {
                None => false,
                Some(t) => {
                    self.repo
                        .file_at(t, &format!("_ctx/handoff/{}/{a}", self.id))?
                        || (a.contains('/') && self.repo.file_at(t, a)?)
                }
            };
            if !found {
                missing.push(a.clone());
            }
        }
        Ok(missing)
    }
}

/// The names of the files git-wo makes for `dod`.
fn made_names(dod: &Dod) -> Vec<String> {
    let mut v: Vec<String> = MADE.iter().map(|s| (*s).to_owned()).collect();
    v.extend(
        dod.required_checks
            .iter()
            .map(|c| format!("{}.log", c.name)),
    );
    v
}

/// What the bundle says about the finish.
pub struct Facts<'a> {
    pub repo: &'a Repo,
    pub id: &'a WoId,
    pub file: &'a OrderFile,
    pub dod: Option<&'a Dod>,
    pub verdict: State,
    /// yes / no / skipped.
    pub verified: &'a str,
    pub skip_reason: Option<&'a str>,
    pub forced_by: Option<&'a str>,
    pub failed_command: Option<&'a str>,
    pub base: Option<&'a str>,
    pub tip: Option<&'a str>,
    pub at: DateTime<Utc>,
}

/// Write the bundle's tree (the record commit's `evidence/`); nothing points at it yet.
pub fn write(facts: &Facts<'_>, log: &Log) -> Result<ObjectId> {
    let _t = crate::trace::phase("finish: evidence");
    let files = bundle(facts, log)?;
    facts.repo.write_flat_tree(&files)
}

/// The bundle's files: (name, bytes).
pub fn bundle(f: &Facts<'_>, log: &Log) -> Result<Vec<(String, Vec<u8>)>> {
    let root = &f.repo.control_root;
    let range = match (f.base, f.tip) {
        (Some(b), Some(t)) if b != t => Some((b, t)),
        _ => None,
    };
    let (diff, diff_cut) = match range {
        Some((b, t)) => crate::git::trees::git_bounded(
            root,
            &["diff", "--no-color", "--no-ext-diff", "--no-textconv", b, t],
            MAX_FILE,
        )?,
        None => (Vec::new(), false),
    };
    let mut diff = diff;
    if diff_cut {
        let (b, t) = range.unwrap_or_default();
        diff.extend(
            format!("\n# diff.patch: cut at {MAX_FILE} bytes; the whole: git diff {b} {t}\n")
                .as_bytes(),
        );
    }
    let list_max = 256 * 1024;
    let (names, _) = match range {
        Some((b, t)) => {
            crate::git::trees::git_bounded(root, &["diff", "--name-status", b, t], list_max)?
        }
        None => (Vec::new(), false),
    };
    let names = String::from_utf8_lossy(&names);
    let changed: Vec<&str> = names.lines().filter(|l| !l.is_empty()).collect();
    let (commits, _) = match range {
        Some((b, t)) => crate::git::trees::git_bounded(
            root,
            &[
                "log",
                "--no-color",
                "--no-decorate",
                "--format=%h %s",
                &format!("{b}..{t}"),
            ],
            list_max,
        )?,
        None => (Vec::new(), false),
    };
    let commits = String::from_utf8_lossy(&commits);
    let commits: Vec<&str> = commits.lines().collect();

    let mut files = vec![
        ("verify.log".to_owned(), render_log(f, &all_sections(log))),
        ("diff.patch".to_owned(), diff),
        ("verdict.json".to_owned(), verdict(f, log, changed.len())?),
        ("handoff.md".to_owned(), handoff(f, log, &commits, &changed)),
    ];
    for (name, runs) in &log.checks {
        let file = format!("{name}.log");
        if files.iter().any(|(n, _)| *n == file) {
            // A check named `verify`: its commands are in verify.log already.
            continue;
        }
        files.push((file, render_log(f, &[(format!("check {name}"), runs)])));
    }
    Ok(files)
}

fn all_sections(log: &Log) -> Vec<(String, &Vec<Ran>)> {
    let mut s = vec![("verify.commands".to_owned(), &log.verify)];
    s.extend(log.checks.iter().map(|(n, r)| (format!("check {n}"), r)));
    s
}

/// A log: each command, its exit, its duration, the tail of its output. The outputs
/// share [`MAX_FILE`] bytes, the last commands' first (headers are always kept).
fn render_log(f: &Facts<'_>, sections: &[(String, &Vec<Ran>)]) -> Vec<u8> {
    // How much of each command's output is kept: from the last command back.
    let mut budget = MAX_FILE;
    let mut keep: Vec<Vec<usize>> = sections.iter().map(|(_, r)| vec![0; r.len()]).collect();
    for (i, (_, runs)) in sections.iter().enumerate().rev() {
        for (j, r) in runs.iter().enumerate().rev() {
            let n = r.output.len().min(budget);
            keep[i][j] = n;
            budget -= n;
        }
    }
    let mut out = format!(
        "# git-wo finish of {} at {}: each command, its exit, its duration and the end of its output (a log keeps at most {MAX_FILE} bytes of output)\n",
        f.id,
        f.tip.unwrap_or("(no tip)")
    )
    .into_bytes();
    for (i, (title, runs)) in sections.iter().enumerate() {
        out.extend(format!("\n## {title}\n").as_bytes());
        if runs.is_empty() {
            out.extend(b"(nothing ran)\n");
        }
        for (j, r) in runs.iter().enumerate() {
            let kept = keep[i][j];
            let cut = r.cut + (r.output.len() - kept) as u64;
            let command: String = r.command.chars().take(2000).collect();
            out.extend(
                format!(
                    "\n$ {command}\n# exit {}, {:.3} s{}\n",
                    r.status,
                    r.duration.as_secs_f64(),
                    if cut > 0 {
                        format!(", first {cut} bytes of output cut")
                    } else {
                        String::new()
                    }
                )
                .as_bytes(),
            );
            let shown = &r.output[r.output.len() - kept..];
            out.extend(shown);
            if !shown.is_empty() && !shown.ends_with(b"\n") {
                out.push(b'\n');
            }
        }
    }
    out
}

fn passed(runs: &[Ran]) -> bool {
    runs.iter().all(|r| r.passed)
}

fn verdict(f: &Facts<'_>, log: &Log, files_changed: usize) -> Result<Vec<u8>> {
    let check = |n: &str| {
        log.checks
            .iter()
            .find(|(name, _)| name == n)
            .map(|(_, r)| passed(r))
    };
    let tests_passed = check("tests").or((!log.verify.is_empty()).then(|| passed(&log.verify)));
    let runs_json = |runs: &[Ran]| {
        runs.iter()
            .map(|r| {
                json!({
                    "command": r.command,
                    "exit": r.exit,
                    "status": r.status,
                    "duration_ms": u64::try_from(r.duration.as_millis()).unwrap_or(u64::MAX),
                })
            })
            .collect::<Vec<_>>()
    };
    let mut checks = vec![json!({
        "name": "verify.commands",
        "source": "verify",
        "passed": passed(&log.verify),
        "commands": runs_json(&log.verify),
    })];
    for (name, runs) in &log.checks {
        checks.push(json!({
            "name": name,
            "source": "dod",
            "passed": passed(runs),
            "commands": runs_json(runs),
        }));
    }
    let list = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::Sequence(s)) => s
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    };
    let scope = f.file.doc().and_then(|d| d.get("scope"));
    let v = json!({
        "wo_id": f.id.as_str(),
        "status": f.verdict.as_str(),
        "generated_at": f.at.to_rfc3339(),
        "tests_passed": tests_passed,
        "lint_passed": check("lint"),
        "verified": f.verified,
        "skip_verification_reason": f.skip_reason,
        "forced_by": f.forced_by,
        "failed_command": f.failed_command,
        "dod_id": f.file.fields.dod_id(),
        "base": f.base,
        "tip": f.tip,
        "checks": checks,
        "scope": {
            "allow": list(scope.and_then(|s| s.get("allow"))),
            "deny": list(scope.and_then(|s| s.get("deny"))),
            "files_changed": files_changed,
        },
    });
    let mut out = serde_json::to_vec_pretty(&v)?;
    out.push(b'\n');
    Ok(out)
}

fn handoff(f: &Facts<'_>, log: &Log, commits: &[&str], changed: &[&str]) -> Vec<u8> {
    const SHOWN: usize = 100;
    let mut s = format!("# Handoff: {}\n\n", f.id);
    s.push_str(&format!(
        "{}\n\n",
        f.file.fields.title().unwrap_or("(no title)")
    ));
    s.push_str(&format!(
        "- result: {} (verified: {})\n- base: {}\n- tip: {}\n- finished: {}\n",
        f.verdict,
        f.verified,
        f.base.unwrap_or("(none)"),
        f.tip.unwrap_or("(none)"),
        f.at.to_rfc3339()
    ));
    if let Some(d) = f.dod {
        s.push_str(&format!("- Definition of Done: {} ({})\n", d.id, d.title));
    }
    let mut list = |title: &str, items: &[&str], tick: bool| {
        s.push_str(&format!("\n## {title} ({})\n\n", items.len()));
        for i in items.iter().take(SHOWN) {
            if tick {
                s.push_str(&format!("- `{i}`\n"));
            } else {
                s.push_str(&format!("- {i}\n"));
            }
        }
        if items.len() > SHOWN {
            s.push_str(&format!("- … and {} more\n", items.len() - SHOWN));
        }
    };
    list("Commits", commits, false);
    list("Files changed", changed, true);
    s.push_str("\n## Checks\n\n");
    let mut any = false;
    for (title, runs) in all_sections(log) {
        for r in runs {
            any = true;
            s.push_str(&format!(
                "- {title}: `{}`: {} (exit {}, {:.1} s)\n",
                r.command,
                if r.passed { "passed" } else { "FAILED" },
                r.status,
                r.duration.as_secs_f64()
            ));
        }
    }
    if !any {
        s.push_str("- none ran\n");
    }
    s.push_str("\n## Exceptions\n\n");
    let mut ex = Vec::new();
    if let Some(r) = f.skip_reason {
        ex.push(format!("verification skipped: {r}"));
    }
    if let Some(who) = f.forced_by {
        ex.push(format!("finish forced by {who}"));
    }
    if let Some(c) = f.failed_command {
        ex.push(format!("failed: `{c}`"));
    }
    if ex.is_empty() {
        s.push_str("- none\n");
    }
    for e in ex {
        s.push_str(&format!("- {e}\n"));
    }
    s.into_bytes()
}

/// `wo.handoffDir`: copy the bundle of `tree` into `_ctx/handoff/<ID>/` of the control
/// checkout (for tools that read the original layout). Files there are replaced.
pub fn export(repo: &Repo, id: &WoId, tree: ObjectId) -> Result<std::path::PathBuf> {
    let dir = repo.control_root.join("_ctx/handoff").join(id.as_str());
    std::fs::create_dir_all(&dir).map_err(|e| {
        WoError::new(
            crate::error::Kind::Io,
            format!("{id}: cannot create {}: {e}", dir.display()),
        )
        .fix(format!(
            "git wo show {id} --evidence (the evidence is in the record)"
        ))
    })?;
    for (name, blob) in repo.tree_blobs(tree)? {
        let bytes = repo.blob(blob)?;
        let path = dir.join(&name);
        std::fs::write(&path, bytes).map_err(|e| {
            WoError::new(
                crate::error::Kind::Io,
                format!("{id}: cannot write {}: {e}", path.display()),
            )
            .fix(format!("git wo show {id} --evidence {name}"))
        })?;
    }
    Ok(dir)
}
