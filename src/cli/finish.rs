//! `git wo finish`.

use anyhow::Result;

use super::Ctx;
use crate::cli::{FinishArgs, Verdict};
use crate::error::{Exit, WoError};
use crate::model::state::State;
use crate::ops::branch_push::BranchPush;
use crate::ops::finish::{FinishOptions, FinishOutcome, finish};

/// Finish the WO: the outcome `--json` prints, and `git wo mcp`'s `finish` returns
/// (its exit status: [`exit_of`]).
pub fn finished(ctx: &Ctx, args: &FinishArgs) -> Result<FinishOutcome> {
    let id = crate::inventory::here::id_or_here(&ctx.repo, args.id.as_deref(), "finish")?;
    let reason = args
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let skip_reason = match (args.skip_verification, reason) {
        (true, Some(r)) => Some(r.to_owned()),
        (true, None) => {
            return Err(WoError::usage("--skip-verification needs --reason TEXT")
                .fix(format!(
                    "git wo finish {id} --result done --skip-verification --reason \"why\""
                ))
                .into());
        }
        (false, _) => None,
    };
    let scope_exception = match (args.allow_out_of_scope, reason) {
        (true, Some(r)) => Some(r.to_owned()),
        (true, None) => {
            return Err(WoError::usage("--allow-out-of-scope needs --reason TEXT")
                .fix(format!(
                    "git wo finish {id} --result done --allow-out-of-scope --reason \"why\""
                ))
                .into());
        }
        (false, _) => None,
    };
    if args.reason.is_some() && !args.skip_verification && !args.allow_out_of_scope {
        return Err(WoError::usage(
            "--reason goes with --skip-verification or --allow-out-of-scope",
        )
        .fix(format!("git wo finish {id} --result done"))
        .into());
    }
    let opts = FinishOptions {
        id,
        owner: crate::cli::owner::resolve(&ctx.repo, None),
        verdict: match args.result {
            Verdict::Done => State::Done,
            Verdict::Failed => State::Failed,
        },
        skip_reason,
        scope_exception,
        keep_worktree: args.keep_worktree,
        force: args.force,
        allow_empty: args.allow_empty,
        remote: args
            .remote
            .clone()
            .or_else(|| ctx.repo.config.remote.clone()),
        saving: None,
    };
    finish(&ctx.repo, &opts)
}

/// Exit 1 when the verdict is not the one asked for, or when work is left behind.
pub fn exit_of(f: &FinishOutcome) -> Exit {
    if f.verdict == f.requested && !f.work_left() {
        Exit::Ok
    } else {
        Exit::Findings
    }
}

/// After a finish, its branch pushed to the remote (`--remote`, `wo.remote`; not with
/// `wo.pushBranches=false`): what `git wo finish` and `git wo mcp`'s `finish` both do.
/// The finish is done by then: a failed push is only ever a warning.
pub fn push_branch(ctx: &Ctx, args: &FinishArgs, f: &FinishOutcome) -> Option<BranchPush> {
    let remote = args
        .remote
        .clone()
        .or_else(|| ctx.repo.config.remote.clone());
    crate::ops::branch_push::after_finish(&ctx.repo, &f.id, remote.as_deref())
}

pub fn run(ctx: &Ctx, args: &FinishArgs) -> Result<Exit> {
    let f = finished(ctx, args)?;
    let pushed = push_branch(ctx, args, &f);
    if f.worktree_removed {
        let inside = f.worktree.as_ref().is_some_and(|w| {
            std::env::current_dir().map_or(true, |d| d.starts_with(w) || !d.exists())
        });
        if inside {
            crate::cli::shell_init::cd_to(&ctx.repo.control_root);
        }
    }
    if ctx.out.json {
        ctx.out.json(&f)?;
    } else {
        let out = &ctx.out;
        out.line(format!(
            "finished {}: {} (verified={}){}",
            f.id,
            f.verdict,
            f.verified,
            if f.forced { " [forced]" } else { "" }
        ));
        if let Some(cmd) = &f.failed_command {
            out.line(format!(
                "  verification failed: `{cmd}`, so the verdict is failed"
            ));
        }
        out.line(format!("  yaml:     {}", f.yaml));
        crate::cli::commit::staged_note(ctx, &f.id);
        if let Some(p) = pushed.as_ref().filter(|p| p.pushed) {
            out.line(format!("  branch:   {} pushed to {}", p.branch, p.remote));
        }
        if let Some(w) = &f.worktree {
            if f.worktree_removed {
                out.line(format!("  worktree: {w} removed"));
                // The shell may stand in the directory that is gone now.
                let inside =
                    std::env::current_dir().map_or(true, |d| d.starts_with(w) || !d.exists());
                if inside {
                    out.line(format!(
                        "next: cd {}",
                        crate::error::shell_quote(&ctx.repo.control_root.to_string_lossy())
                    ));
                }
            } else {
                out.line(format!(
                    "  worktree: {w} kept: {}",
                    f.worktree_kept_because.join("; ")
                ));
                if f.work_left() {
                    out.line(format!(
                        "work left: commit (or move away) what is listed, then remove the worktree: git worktree remove -- {} (git refuses while anything is left)",
                        crate::error::shell_quote(w)
                    ));
                }
            }
        }
    }
    if let Some(w) = pushed.as_ref().and_then(|p| p.warning.as_ref()) {
        eprintln!("warning: {w}");
    }
    Ok(exit_of(&f))
}
