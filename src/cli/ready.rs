//! `git wo ready`.

use anyhow::Result;

use super::Ctx;
use crate::cli::ReadyArgs;
use crate::error::Exit;
use crate::inventory::{Depth, Inventory, Source};
use crate::views::ready::{Filters, Queue, queue};

/// The queue as `--json` prints it (and `git wo mcp`'s `ready` returns it): filtered,
/// cut to `--limit`, the waiting WOs only with `--blocked`.
pub fn queue_of(ctx: &Ctx, args: &ReadyArgs) -> Result<Queue> {
    let inv = Inventory::gather(&ctx.repo, Source::WorkingTree, Depth::Fields)?;
    super::note_missing_jobs_dir(ctx);
    let mut q = queue(
        &inv,
        &Filters {
            priority: args.priority.clone(),
            epic: args.epic.clone(),
        },
    );
    if let Some(n) = args.limit {
        q.ready.truncate(n);
    }
    if !args.blocked {
        q.blocked.clear();
    }
    Ok(q)
}

pub fn run(ctx: &Ctx, args: &ReadyArgs) -> Result<Exit> {
    let q = queue_of(ctx, args)?;
    if ctx.out.json {
        return ctx.out.json(&q).map(|_| Exit::Ok);
    }
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    if args.porcelain {
        for w in &q.ready {
            crate::cli::output::print_line(&format!(
                "{}\t{}\t{}\t{}",
                w.id,
                w.priority.as_deref().map_or("-".into(), clean),
                w.unblocks,
                clean(&w.title)
            ));
        }
        return Ok(Exit::Ok);
    }
    if q.ready.is_empty() && !ctx.out.quiet {
        ctx.out
            .line("nothing ready: no pending WO has all its dependencies done");
    }
    for w in &q.ready {
        let unblocks = match w.unblocks {
            0 => String::new(),
            n => format!("  (unblocks {n})"),
        };
        ctx.out.line(format!(
            "{:<14} {:<4} {}{unblocks}",
            w.id,
            w.priority.as_deref().unwrap_or("-"),
            w.title
        ));
    }
    for b in &q.blocked {
        let waits: Vec<String> = b
            .waits_for
            .iter()
            .map(|w| match w.state {
                Some(s) => format!("{} ({s})", w.id),
                None => format!("{} (does not exist)", w.id),
            })
            .collect();
        ctx.out.line(format!(
            "{:<14} waits  {}  for {}",
            b.id,
            b.title,
            waits.join(", ")
        ));
    }
    Ok(Exit::Ok)
}
