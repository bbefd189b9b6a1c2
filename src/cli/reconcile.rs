//! `git wo reconcile`.

use anyhow::Result;

use super::Ctx;
use crate::cli::ReconcileArgs;
use crate::error::{Exit, WoError};
use crate::ops::reconcile::{ReconcileOptions, Reconciled, reconcile, restore};

pub fn run(ctx: &Ctx, args: &ReconcileArgs) -> Result<Exit> {
    if args.force && !args.apply {
        return Err(
            WoError::usage("--force only goes with --apply: nothing was changed")
                .fix("git wo reconcile --apply --force (or git wo reconcile to see the plan)")
                .into(),
        );
    }
    if let Some(stamp) = &args.restore {
        return run_restore(ctx, args, stamp);
    }
    let r = reconcile(
        &ctx.repo,
        &ReconcileOptions {
            apply: args.apply,
            force: args.force,
            owner: crate::cli::owner::resolve(&ctx.repo, None),
        },
    )?;
    if let Some(path) = &args.json_path {
        crate::cli::output::write_json(path, &r)?;
    }
    if ctx.out.json {
        ctx.out.json(&r)?;
    } else {
        render(ctx, &r);
    }
    Ok(if r.work_left() {
        Exit::Findings
    } else {
        Exit::Ok
    })
}

/// `--restore STAMP`: put a quarantine's files back, and say what happened.
fn run_restore(ctx: &Ctx, args: &ReconcileArgs, stamp: &str) -> Result<Exit> {
    let r = restore(&ctx.repo, stamp)?;
    if let Some(path) = &args.json_path {
        crate::cli::output::write_json(path, &r)?;
    }
    if ctx.out.json {
        ctx.out.json(&r)?;
    } else {
        for p in &r.restored {
            ctx.out.line(format!("restored {p}"));
        }
        for p in &r.already_back {
            ctx.out.line(format!("already back: {p}"));
        }
        if let Some(q) = &r.set_aside_in {
            for p in &r.set_aside {
                ctx.out
                    .line(format!("set aside (what the repair wrote): {p}"));
            }
            ctx.out.line(format!(
                "set aside, not deleted: {} (undo this restore: git wo reconcile --restore {q})",
                crate::ops::reconcile::quarantine_path(&ctx.repo, q).display()
            ));
        }
        for f in &r.failed {
            eprintln!("git wo: {f}");
        }
        ctx.out.line(format!(
            "{} restored, {} already back, {} failed (run git wo audit)",
            r.restored.len(),
            r.already_back.len(),
            r.failed.len()
        ));
    }
    Ok(if r.failed.is_empty() {
        Exit::Ok
    } else {
        Exit::Findings
    })
}

/// The plan (or what was applied) as text: the repository lock, leftovers, each
/// repair with its safety and outcome, the summary and where the quarantine is.
fn render(ctx: &Ctx, r: &Reconciled) {
    if let Some(l) = &r.repo_lock {
        ctx.out.line(format!(
            "{:<10} stale_repo_lock safe   release {} ({})  [{}]",
            "-", l.path, l.why, l.outcome
        ));
    }
    for l in &r.leftovers {
        match &l.fix {
            Some(fix) => ctx.out.line(format!(
                "{:<10} leftover_file left to you: {} ({}): {fix}",
                "-", l.path, l.why
            )),
            None => ctx.out.line(format!(
                "{:<10} leftover_file safe   move {} to quarantine ({})  [{}]",
                "-", l.path, l.why, l.outcome
            )),
        }
    }
    if r.actions.is_empty() {
        if r.repo_lock.is_none() && r.leftovers.is_empty() {
            ctx.out.line("nothing to reconcile");
        }
        if !r.dry_run
            && let Some(q) = &r.quarantine
        {
            ctx.out.line(format!(
                "moved aside, not deleted: {} (undo: git wo reconcile --restore {q})",
                crate::ops::reconcile::quarantine_path(&ctx.repo, q).display()
            ));
        }
    } else {
        let w = r
            .actions
            .iter()
            .map(|a| a.action.code.as_str().len())
            .max()
            .unwrap_or(0);
        for a in &r.actions {
            let safety = match a.action.safety {
                crate::views::reconcile::Safety::Safe => "safe  ",
                crate::views::reconcile::Safety::Unsafe => "UNSAFE",
            };
            ctx.out.line(format!(
                "{:<10} {:<w$} {safety} {}  [{}]",
                a.action.wo_id.as_str(),
                a.action.code.as_str(),
                a.action.action,
                a.outcome
            ));
        }
        let s = &r.summary;
        if r.dry_run {
            ctx.out.line(format!(
                "{} repairs planned ({} safe, {} unsafe). Apply the safe ones: git wo reconcile --apply{}",
                s.planned,
                s.safe,
                s.unsafe_,
                if s.unsafe_ > 0 {
                    " (unsafe ones too: --apply --force)"
                } else {
                    ""
                }
            ));
        } else {
            ctx.out.line(format!(
                "{} applied, {} skipped, {} failed",
                s.applied, s.skipped, s.failed
            ));
            if let Some(q) = &r.quarantine {
                ctx.out.line(format!(
                    "moved aside, not deleted: {} (undo: git wo reconcile --restore {q})",
                    crate::ops::reconcile::quarantine_path(&ctx.repo, q).display()
                ));
            }
        }
    }
}
