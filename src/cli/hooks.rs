//! `git wo install-hooks` and `git wo uninstall-hooks`.

use anyhow::Result;

use super::Ctx;
use crate::cli::InstallHooksArgs;
use crate::error::Exit;
use crate::ops::hooks::install::{self, HooksReport};

pub fn install(ctx: &Ctx, args: &InstallHooksArgs) -> Result<Exit> {
    let report = install::install(&ctx.repo, args.force)?;
    show(ctx, &report)
}

pub fn uninstall(ctx: &Ctx) -> Result<Exit> {
    let report = install::uninstall(&ctx.repo)?;
    show(ctx, &report)
}

fn show(ctx: &Ctx, report: &HooksReport) -> Result<Exit> {
    if ctx.out.json {
        ctx.out.json(report)?;
    } else {
        render(ctx, report);
    }
    Ok(Exit::Ok)
}

/// The report as text: one line per hook, warnings on stderr.
pub fn render(ctx: &Ctx, report: &HooksReport) {
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    for h in &report.hooks {
        let mut line = format!("{}: {} ({})", h.hook, h.action.replace('_', " "), h.path);
        if let Some(k) = &h.kept {
            line.push_str(&match h.action {
                "restored" => format!(", put back from {k}"),
                _ => format!(", your hook kept as {k} and run first"),
            });
        }
        if let Some(q) = &h.quarantined {
            line.push_str(&format!(", the older one moved to {q}"));
        }
        ctx.out.line(line);
    }
}
