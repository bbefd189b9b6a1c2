//! `git wo gc`.

use anyhow::Result;

use super::Ctx;
use crate::cli::GcArgs;
use crate::error::{Exit, WoError};
use crate::ops::gc::{GcOptions, GcReport, Rerun, gc};

pub fn run(ctx: &Ctx, args: &GcArgs) -> Result<Exit> {
    if args.force && !args.apply {
        return Err(
            WoError::usage("--force only goes with --apply: nothing was changed")
                .fix("git wo gc --apply --force (or git wo gc to see what it would do)")
                .into(),
        );
    }
    let min_age = min_age(args.min_age.as_deref())?;
    let rerun = Rerun {
        root: ctx
            .global
            .root
            .as_ref()
            .map(|r| r.to_string_lossy().into_owned()),
        min_age: args.min_age.clone(),
        log: args.log.as_ref().map(|l| l.to_string_lossy().into_owned()),
    };
    let r = gc(
        &ctx.repo,
        &GcOptions {
            apply: args.apply,
            force: args.force,
            min_age,
            owner: crate::cli::owner::resolve(&ctx.repo, None),
            log: args.log.clone(),
            rerun: rerun.clone(),
        },
    )?;
    if let Some(path) = &args.json_path {
        crate::cli::output::write_json(path, &r)?;
    }
    if ctx.out.json {
        ctx.out.json(&r)?;
    } else if args.format == crate::cli::ReportFormat::Markdown {
        ctx.out
            .line(crate::cli::markdown::gc(&r, &rerun).trim_end());
    } else if r.actions.is_empty() {
        ctx.out.line("nothing to collect");
    } else {
        render(ctx, &r, &rerun);
    }
    for e in &r.errors {
        eprintln!("git wo: gc: {e}");
    }
    Ok(if r.work_left() {
        Exit::Findings
    } else {
        Exit::Ok
    })
}

/// `--min-age`: a duration (`0` too); 10 minutes when not given.
fn min_age(text: Option<&str>) -> Result<chrono::Duration> {
    Ok(match text {
        Some(text) if text.trim() == "0" => chrono::Duration::zero(),
        Some(text) => crate::model::config::parse_duration(text).map_err(|why| {
            WoError::usage(format!("--min-age {text}: {why}")).fix("git wo gc --min-age 10m")
        })?,
        None => chrono::Duration::minutes(10),
    })
}

/// What gc did (or, in a dry run, would do) as text: each action and its message,
/// the summary, what to run next, and where the saved files are.
fn render(ctx: &Ctx, r: &GcReport, rerun: &Rerun) {
    for a in &r.actions {
        let what = a
            .path
            .clone()
            .or_else(|| a.wo_id.clone())
            .unwrap_or_default();
        ctx.out.line(format!(
            "{:<13} {:<10} {:<10} {what}",
            a.action.as_str(),
            a.kind.as_str(),
            a.wo_id.as_deref().unwrap_or("-"),
        ));
        ctx.out.line(format!("    {}", a.message));
    }
    let s = &r.summary;
    if r.dry_run {
        ctx.out.line(format!(
            "zombies {}/{} would be removed, ghosts {}/{} would be removed, stale locks {}/{} would be released, prunable {}/{} would be pruned, {} would be kept, {} errors",
            s.zombies_would_remove,
            s.zombies_found,
            s.ghosts_would_remove,
            s.ghosts_found,
            s.would_release,
            s.stale_locks_found,
            s.would_prune,
            s.prunable_found,
            s.kept,
            s.errors_count
        ));
    } else {
        ctx.out.line(format!(
            "zombies {}/{} removed, ghosts {}/{} removed, stale locks {}/{} released, prunable {}/{} pruned, {} kept, {} errors",
            s.zombies_removed,
            s.zombies_found,
            s.ghosts_removed,
            s.ghosts_found,
            s.stale_locks_released,
            s.stale_locks_found,
            s.prunable_pruned,
            s.prunable_found,
            s.kept,
            s.errors_count
        ));
    }
    if r.dry_run && r.would_act() {
        ctx.out.line(format!(
            "dry run: nothing changed. Apply: {}",
            rerun.command("--apply")
        ));
    } else if r.dry_run {
        ctx.out.line(
            "dry run: nothing changed; everything found would be kept (the reasons are above)",
        );
    } else if s.bytes_reclaimed > 0 {
        ctx.out.line(format!(
            "packed refs/wo/* and rebuilt the caches: {} KiB reclaimed",
            s.bytes_reclaimed / 1024
        ));
    }
    if let Some(q) = &r.quarantine {
        ctx.out.line(format!(
            "saved first, not lost (files of force-removed worktrees, YAML and .lock of released locks): {} (undo: git wo reconcile --restore {q})",
            crate::ops::reconcile::quarantine_path(&ctx.repo, q).display()
        ));
    }
}
