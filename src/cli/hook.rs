//! `git wo hook <name> [args]`: what the installed shims run. Problems go to stderr,
//! one line each; the exit code is git's verdict (pre-commit and commit-msg: 1
//! refuses the commit; post-commit and post-checkout never fail).

use std::path::PathBuf;

use anyhow::Result;

use super::Ctx;
use crate::cli::{HookArgs, HookName};
use crate::error::{Exit, WoError};
use crate::ops::hooks::{commit_msg, post_checkout, post_commit, pre_commit};

pub fn run(ctx: &Ctx, args: &HookArgs) -> Result<Exit> {
    match args.name {
        HookName::PreCommit => pre(ctx),
        HookName::CommitMsg => {
            let file = args.args.first().map(PathBuf::from).ok_or_else(|| {
                WoError::usage("commit-msg needs the message file git passes it")
                    .fix("git wo hook commit-msg .git/COMMIT_EDITMSG")
            })?;
            msg(ctx, &file)
        }
        HookName::PostCommit => {
            match post_commit::run(&ctx.repo) {
                Ok(p) => {
                    for m in &p.markers {
                        if !ctx.out.quiet {
                            eprintln!("git wo: recorded {m} (see git log --notes=wo -1)");
                        }
                    }
                }
                Err(e) => eprintln!(
                    "git wo: post-commit: {e:#} (the commit is made; nothing else changed)"
                ),
            }
            Ok(Exit::Ok)
        }
        HookName::PostCheckout => {
            let branch = args.args.get(2).is_none_or(|f| f == "1");
            if let Some(w) = post_checkout::run(&ctx.repo, branch) {
                eprintln!("{w}");
            }
            Ok(Exit::Ok)
        }
    }
}

fn pre(ctx: &Ctx) -> Result<Exit> {
    let p = pre_commit::run(&ctx.repo)?;
    let exit = if p.verdict.passed {
        Exit::Ok
    } else {
        Exit::Findings
    };
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({
            "schema": "git-wo.hook.v1",
            "hook": "pre-commit",
            "how": p.how.as_str(),
            "passed": p.verdict.passed,
            "failures": p.verdict.failures,
            "notes": p.verdict.notes,
            "warnings": p.verdict.warnings,
            "closures": p.verdict.closures,
        }))?;
        return Ok(exit);
    }
    for w in &p.verdict.warnings {
        eprintln!("{w}");
    }
    if p.verdict.passed {
        return Ok(Exit::Ok);
    }
    for f in p.verdict.failures.iter().chain(&p.verdict.notes) {
        eprintln!("{f}");
    }
    if p.how == pre_commit::How::Scope {
        eprintln!(
            "git wo: commit refused: {} staged path(s) outside this WO's scope (unstage them or change the scope, then commit again)",
            p.verdict.failures.len()
        );
        return Ok(Exit::Findings);
    }
    eprintln!(
        "git wo: commit refused: {} problem(s) in what is staged under {} (run the fixes above, then commit again; git wo check --staged shows them again)",
        p.verdict.failures.len(),
        ctx.repo.jobs_rel()
    );
    Ok(Exit::Findings)
}

fn msg(ctx: &Ctx, file: &std::path::Path) -> Result<Exit> {
    let m = commit_msg::run(&ctx.repo, file)?;
    if !m.refused() {
        if let Some(t) = m.token
            && !m.closures.is_empty()
            && !ctx.out.quiet
        {
            eprintln!(
                "git wo: {} manual closure(s) allowed by {t}; a bypass marker goes on the commit",
                m.closures.len()
            );
            for c in &m.closures {
                eprintln!(
                    "note: {}'s record still says {}: to make them agree, git wo reconcile --apply (moves the YAML back), then git wo finish {} --result {} --force",
                    c.id,
                    c.record.as_deref().unwrap_or("nothing (no record)"),
                    c.id,
                    c.folder
                );
            }
        }
        return Ok(Exit::Ok);
    }
    for c in &m.closures {
        eprintln!("{}", c.line());
    }
    eprintln!(
        "git wo: commit refused: WOs moved to done/ or failed/ by hand. Your message is kept in {}.",
        file.display()
    );
    Ok(Exit::Findings)
}
