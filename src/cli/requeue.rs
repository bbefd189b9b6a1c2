//! `git wo requeue`.

use anyhow::Result;

use super::Ctx;
use crate::cli::RequeueArgs;
use crate::error::{Exit, WoError};
use crate::model::wo_id::WoId;
use crate::ops::requeue::Requeued;

/// Requeue the WO: what `--json` prints, and `git wo mcp`'s `requeue` returns.
pub fn requeued(ctx: &Ctx, args: &RequeueArgs) -> Result<Requeued> {
    let id = WoId::parse(&args.id)
        .map_err(|why| WoError::usage(format!("not a WO id: {why}")).fix("git wo list"))?;
    if args.reason.trim().is_empty() {
        return Err(WoError::usage("--reason must say why")
            .fix(format!("git wo requeue {id} --reason \"…\""))
            .into());
    }
    let owner = crate::cli::owner::resolve(&ctx.repo, None);
    crate::ops::requeue::requeue(&ctx.repo, &id, args.reason.trim(), &owner, args.force)
}

pub fn run(ctx: &Ctx, args: &RequeueArgs) -> Result<Exit> {
    let r = requeued(ctx, args)?;
    if ctx.out.json {
        ctx.out.json(&r)?;
    } else {
        ctx.out.line(format!(
            "requeued {} ({} -> pending): {}",
            r.id, r.from, r.reason
        ));
        if let Some(h) = &r.forced_over {
            ctx.out
                .line(format!("  forced over:   {h}'s live lease (recorded)"));
        }
        if let Some(b) = &r.branch_kept {
            ctx.out.line(format!("  branch kept:   {b}"));
        }
        if let Some(w) = &r.worktree_kept {
            ctx.out.line(format!("  worktree kept: {w}"));
        }
    }
    Ok(Exit::Ok)
}
