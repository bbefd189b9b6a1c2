//! `git wo take`.

use anyhow::Result;

use super::Ctx;
use crate::cli::TakeArgs;
use crate::error::{Exit, WoError};
use crate::model::config::parse_duration;
use crate::model::wo_id::WoId;
use crate::ops::take::{TakeOptions, TakeOutcome, take};

/// Take the WO (or, with `--next`, the first ready one): the outcome `--json` prints,
/// and `git wo mcp`'s `take` returns.
pub fn taken(ctx: &Ctx, args: &TakeArgs) -> Result<TakeOutcome> {
    let id = match &args.id {
        Some(id) => WoId::parse(id)
            .map_err(|why| WoError::usage(format!("not a WO id: {why}")).fix("git wo list"))?,
        // Filled in by take_next, candidate by candidate.
        None => WoId::parse("WO-next").map_err(|why| WoError::usage(why.to_string()))?,
    };
    let lease = match &args.lease {
        Some(l) => parse_duration(l)
            .map_err(|e| WoError::usage(format!("--lease: {e}")).fix("--lease 2h"))?,
        None => ctx.repo.config.lease,
    };
    let (owner, source) = crate::cli::owner::resolve_with_source(&ctx.repo, args.owner.as_deref())?;
    if source == crate::cli::owner::Source::Login && !ctx.out.quiet {
        eprintln!("{}", crate::cli::owner::login_note(&owner));
    }
    let opts = TakeOptions {
        id,
        owner,
        base: args.base.clone(),
        lease,
        steal: args.steal,
        resume: args.resume,
        force: args.force,
        remote: args
            .remote
            .clone()
            .or_else(|| ctx.repo.config.remote.clone()),
    };
    if args.next {
        crate::ops::take::take_next(
            &ctx.repo,
            &opts,
            &crate::views::ready::Filters {
                priority: args.priority.clone(),
                epic: args.epic.clone(),
            },
        )
    } else {
        take(&ctx.repo, &opts)
    }
}

pub fn run(ctx: &Ctx, args: &TakeArgs) -> Result<Exit> {
    let t = taken(ctx, args)?;
    crate::cli::shell_init::cd_to(&t.worktree);
    if args.porcelain && !ctx.out.json {
        crate::cli::output::print_line(&format!("{}\t{}", t.id, t.worktree.display()));
        return Ok(Exit::Ok);
    }
    if ctx.out.json {
        ctx.out.json(&t)?;
    } else {
        let out = &ctx.out;
        let verb = if t.resumed {
            "resumed"
        } else if t.stolen_from.is_some() {
            "stole"
        } else {
            "took"
        };
        out.line(format!(
            "{verb} {} as {} (token {}), lease until {}",
            t.id,
            t.owner,
            t.token,
            crate::model::when::shown(t.lease_expires_at)
        ));
        if let Some(from) = &t.stolen_from {
            out.line(format!("  previous holder: {from} (lease expired)"));
        }
        if t.forced {
            out.line(format!(
                "  leftovers: {} (kept, taken with --force; recorded)",
                t.leftovers.join("; ")
            ));
        }
        out.line(format!(
            "  branch:   {} ({})",
            t.branch,
            if t.branch_created { "new" } else { "reused" }
        ));
        out.line(format!(
            "  worktree: {} ({})",
            t.worktree.display(),
            if t.worktree_created { "new" } else { "reused" }
        ));
        out.line(format!("  yaml:     {}", t.yaml.display()));
        crate::cli::commit::staged_note(ctx, &t.id);
        if !t.mirrored.is_empty() {
            out.line(format!(
                "  also mirrored {} WO(s) added since init: {}",
                t.mirrored.len(),
                t.mirrored.join(", ")
            ));
        }
        out.line(format!(
            "next: cd {} && work, commit, then git wo finish {} --result done",
            t.worktree.display(),
            t.id
        ));
    }
    Ok(Exit::Ok)
}
