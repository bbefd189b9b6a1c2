//! `finish` (SPEC §4): run by the holder (or `--force`): verify, phase finishing, YAML
//! to done/failed with the finish fields, `.lock` removed, result marker, worktree
//! unlocked and removed when safe, record idle. Finishing is what stops zombies from
//! being born. A crash leaves phase `finishing`; rerunning finish rolls it forward.

use std::process::{Command, Stdio};

use anyhow::{Context, Result};
use chrono::Utc;
use serde::Serialize;

use crate::error::WoError;
use crate::failpoint;
use crate::git::Repo;
use crate::git::worktrees::Worktree;
use crate::inventory::{Inventory, Source};
use crate::model::marker;
use crate::model::record::{Outcome, Phase, Record};
use crate::model::session::holds;
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::model::yaml_edit::set_scalar;
use crate::ops::jobs::Jobs;
use crate::ops::transition;

#[derive(Debug, Clone)]
pub struct FinishOptions {
    pub id: WoId,
    pub owner: String,
    pub verdict: State,
    pub skip_reason: Option<String>,
    pub keep_worktree: bool,
    pub force: bool,
}

#[derive(Debug, Serialize)]
pub struct FinishOutcome {
    pub schema: &'static str,
    pub id: String,
    pub requested: State,
    pub verdict: State,
    /// yes / no / skipped.
    pub verified: &'static str,
    pub failed_command: Option<String>,
    pub tip: Option<String>,
    pub yaml: String,
    pub worktree: Option<String>,
    pub worktree_removed: bool,
    pub worktree_kept_because: Vec<String>,
    pub forced: bool,
}

pub fn finish(repo: &Repo, opts: &FinishOptions) -> Result<FinishOutcome> {
    let id = &opts.id;
    let inv = Inventory::gather(repo, Source::WorkingTree)?;
    let wos = inv.wos();
    let view = wos
        .get(id)
        .ok_or_else(|| WoError::usage(format!("{id}: no YAML, no record")).fix("git wo list"))?;
    let Some(stored) = view.record.cloned() else {
        return Err(
            WoError::usage(format!("{id} has no record: it was not taken with git wo"))
                .fix(format!(
                    "git wo init (imports it), then: git wo finish {id} --force --result …"
                ))
                .into(),
        );
    };
    let r = &stored.record;
    if r.state != State::Running {
        return Err(WoError::usage(format!("{id} is {}, not running", r.state))
            .fix(format!("git wo show {id}"))
            .into());
    }
    if r.phase == Phase::Taking {
        return Err(WoError::usage(format!("{id}: its take was interrupted"))
            .fix(format!("git wo take {id} --resume"))
            .into());
    }
    match holds(&repo.current_git_dir, r) {
        Ok(true) => {}
        Err(old) => {
            return Err(WoError::conflict(format!(
                "{id}: you held it with token {old}, but it was taken again (token {}) by {}",
                r.token,
                r.lock.as_ref().map_or("someone", |l| l.owner.as_str())
            ))
            .fix(format!(
                "git wo show {id} (your lock is gone; talk to the new holder)"
            ))
            .into());
        }
        Ok(false) if opts.force => {}
        Ok(false) => {
            let holder = r.lock.as_ref().map_or_else(
                || "nobody".to_owned(),
                |l| format!("{} until {}", l.owner, l.expires_at.to_rfc3339()),
            );
            return Err(WoError::conflict(format!("{id} is held by {holder}; only the holder finishes it")).fix(format!(
                "run it inside the WO's worktree, or: git wo finish {id} --result … --force (recorded)"
            ))
            .into());
        }
    }
    let forced = opts.force && holds(&repo.current_git_dir, r) != Ok(true);
    let jobs = Jobs::new(&repo.control_root, &inv.jobs_rel);
    let wt: Option<Worktree> = view
        .worktrees
        .iter()
        .find(|w| w.exists)
        .map(|w| (*w).clone());
    let file = view
        .files
        .first()
        .copied()
        .with_context(|| format!("{id}: no YAML file"))?;
    let tip = wt
        .as_ref()
        .and_then(|w| repo.worktree_head(&w.path))
        .or_else(|| {
            r.branch
                .as_deref()
                .and_then(|b| repo.branch_tip(b).ok().flatten())
        });

    // (1) Verify, unless resuming a finish whose verdict is already recorded.
    let (stored, outcome, failed_command) = if r.phase == Phase::Finishing {
        let outcome = r.result.clone().context("finishing record has no result")?;
        (stored.clone(), outcome, None)
    } else {
        let (verdict, verified, failed_command) = match &opts.skip_reason {
            Some(_) => (opts.verdict, None, None),
            None => {
                let commands = file.verify_commands();
                let dir = wt.as_ref().map(|w| w.path.clone());
                match (commands.is_empty(), dir) {
                    (true, _) => (opts.verdict, Some(false), None),
                    (false, None) => {
                        return Err(WoError::failed(format!("{id}: its worktree is missing, verify.commands cannot run"))
                            .fix(format!("git wo finish {id} --result {} --skip-verification --reason \"worktree lost\"", opts.verdict))
                            .into());
                    }
                    (false, Some(dir)) => match run_verify(&commands, &dir)? {
                        None => (opts.verdict, Some(true), None),
                        Some(cmd) => (State::Failed, Some(false), Some(cmd)),
                    },
                }
            }
        };
        failpoint::hit("finish:after-verify");
        let now = Utc::now();
        let outcome = Outcome {
            verdict,
            verified: verified == Some(true),
            skip_verification_reason: opts.skip_reason.clone(),
            tip: tip.map(|t| t.to_string()),
            finished_at: now,
        };
        // (2) Phase finishing: the verdict is recorded before anything moves.
        let finishing = Record {
            phase: Phase::Finishing,
            result: Some(outcome.clone()),
            note: forced.then(|| format!("finish forced by {}", opts.owner)),
            updated_at: now,
            ..r.clone()
        };
        let original = std::fs::read(jobs.abs(&file.rel_path))?;
        let s = transition::commit(
            repo,
            Some(&stored),
            &finishing,
            &original,
            "finishing",
            &opts.owner,
            &[],
        )?;
        failpoint::hit("finish:after-phase");
        (s, outcome, failed_command)
    };
    let verified_word = match (&outcome.skip_verification_reason, outcome.verified) {
        (Some(_), _) => "skipped",
        (None, true) => "yes",
        (None, false) => "no",
    };

    // (3) YAML to done/failed with the finish fields; `.lock` removed.
    let stamp = outcome
        .finished_at
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let target = outcome.verdict;
    let moved = if file.folder == target {
        file.rel_path.clone()
    } else {
        jobs.move_to(&file.rel_path, target, id.as_str())?
    };
    let current = std::fs::read_to_string(jobs.abs(&moved))?;
    let mut text = set_scalar(&current, "status", target.as_str());
    text = set_scalar(&text, "result", target.as_str());
    text = set_scalar(&text, "finished_at", &stamp);
    text = set_scalar(&text, "closed_at", &stamp);
    if let Some(t) = &outcome.tip {
        text = set_scalar(&text, "verified_at_sha", t);
    }
    if let Some(reason) = &outcome.skip_verification_reason {
        text = set_scalar(&text, "skip_verification_reason", reason);
    }
    if text != current {
        jobs.rewrite(&moved, text.as_bytes())?;
    }
    jobs.remove_lock(id.as_str())?;
    failpoint::hit("finish:after-move");

    // (4) Result marker on the branch tip.
    let result_line = outcome
        .tip
        .as_ref()
        .map(|t| marker::result(id.as_str(), target, verified_of(verified_word), t));
    if let (Some(line), Some(t)) = (&result_line, tip) {
        marker::write(repo, t, line)?;
    }
    failpoint::hit("finish:after-marker");

    // (5) Worktree: unlock and remove when safe, else keep and say why.
    let mut kept_because = Vec::new();
    let mut removed = false;
    if let Some(w) = &wt {
        if opts.keep_worktree {
            kept_because.push("--keep-worktree".to_owned());
        } else {
            let disposable = |p: &str| repo.config.is_disposable(p);
            kept_because = repo.removal_blockers(w, &disposable);
            if kept_because.is_empty() {
                let _ = std::fs::remove_file(w.admin_dir.join(crate::model::session::FILE));
                match repo
                    .unlock_worktree(w)
                    .and_then(|_| repo.remove_worktree(&w.path))
                {
                    Ok(()) => removed = true,
                    Err(e) => kept_because.push(format!("git worktree remove failed: {e:#}")),
                }
            }
        }
        if !removed {
            // Kept: release git-wo's lock so gc may judge it later; the work stays.
            if w.locked
                .as_deref()
                .is_some_and(|r| r.starts_with("git-wo "))
            {
                let _ = repo.unlock_worktree(w);
            }
            let _ = std::fs::remove_file(w.admin_dir.join(crate::model::session::FILE));
        }
    }
    failpoint::hit("finish:after-worktree");

    // (6) Record idle, lock cleared.
    let lines: Vec<String> = result_line.iter().cloned().collect();
    let idle = Record {
        state: target,
        phase: Phase::Idle,
        lock: None,
        result: Some(outcome.clone()),
        updated_at: Utc::now(),
        ..stored.record.clone()
    };
    transition::commit(
        repo,
        Some(&stored),
        &idle,
        text.as_bytes(),
        "finish",
        &opts.owner,
        &lines,
    )?;

    Ok(FinishOutcome {
        schema: "git-wo.finish.v1",
        id: id.to_string(),
        requested: opts.verdict,
        verdict: target,
        verified: verified_word,
        failed_command,
        tip: outcome.tip.clone(),
        yaml: moved.to_string_lossy().into_owned(),
        worktree: wt.as_ref().map(|w| w.path.to_string_lossy().into_owned()),
        worktree_removed: removed,
        worktree_kept_because: kept_because,
        forced,
    })
}

fn verified_of(word: &str) -> Option<bool> {
    match word {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// Run each command with `sh -c` in `dir`, output to stderr. Returns the first failing one.
fn run_verify(commands: &[String], dir: &std::path::Path) -> Result<Option<String>> {
    for cmd in commands {
        eprintln!("git wo: verify: {cmd}");
        let status = Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(std::io::stderr())
            .status()
            .with_context(|| format!("running verify command `{cmd}`"))?;
        if !status.success() {
            return Ok(Some(cmd.clone()));
        }
    }
    Ok(None)
}
