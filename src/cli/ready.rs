//! `git wo ready`.

use std::fmt::Write as _;

use anyhow::Result;

use super::Ctx;
use crate::cli::ReadyArgs;
use crate::cli::stream::{Lines, push_one_line, push_padded};
use crate::error::Exit;
use crate::inventory::{Depth, Inventory, Source};
use crate::views::ready::{Filters, Queue, queue};

/// What `f` makes of the queue as `--json` prints it (and `git wo mcp`'s `ready`
/// returns it): filtered, cut to `--limit`, the waiting WOs only with `--blocked`. (The
/// queue borrows its text from the inventory, which lives only as long as this call.)
pub fn with_queue<T>(ctx: &Ctx, args: &ReadyArgs, f: impl FnOnce(&Queue<'_>) -> T) -> Result<T> {
    let inv = Inventory::gather(&ctx.repo, Source::WorkingTree, Depth::Fields)?;
    Ok(queue_of(ctx, args, &inv, f))
}

/// [`with_queue`] of an inventory gathered already.
fn queue_of<T>(ctx: &Ctx, args: &ReadyArgs, inv: &Inventory, f: impl FnOnce(&Queue<'_>) -> T) -> T {
    super::note_missing_jobs_dir(ctx);
    let q_phase = crate::trace::phase("ready: queue");
    let mut q = queue(
        inv,
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
    drop(q_phase);
    let _t = crate::trace::phase("ready: print");
    f(&q)
}

pub fn run(ctx: &Ctx, args: &ReadyArgs) -> Result<Exit> {
    let inv = Inventory::gather(&ctx.repo, Source::WorkingTree, Depth::Fields)?;
    let exit = queue_of(ctx, args, &inv, |q| print(ctx, args, q));
    super::keep_until_exit(inv);
    exit
}

fn print(ctx: &Ctx, args: &ReadyArgs, q: &Queue<'_>) -> Result<Exit> {
    if ctx.out.json {
        return ctx.out.json(q).map(|_| Exit::Ok);
    }
    // Through one buffer: a line per ready WO (at 100,000 WOs, half of them) was a
    // write of its own. Each line is made in one string and written whole.
    let mut out = Lines::stdout();
    let mut line = String::new();
    if args.porcelain {
        for w in &q.ready {
            line.clear();
            line.push_str(w.id);
            line.push('\t');
            push_one_line(&mut line, w.priority().unwrap_or("-"));
            line.push('\t');
            let _ = write!(line, "{}", w.unblocks);
            line.push('\t');
            push_one_line(&mut line, w.title());
            out.text(&line);
        }
        out.finish();
        return Ok(Exit::Ok);
    }
    if ctx.out.quiet {
        return Ok(Exit::Ok);
    }
    if q.ready.is_empty() {
        out.text("nothing ready: no pending WO has all its dependencies done");
    }
    for w in &q.ready {
        line.clear();
        push_padded(&mut line, w.id, 14);
        line.push(' ');
        push_padded(&mut line, w.priority().unwrap_or("-"), 4);
        line.push(' ');
        line.push_str(w.title());
        if w.unblocks > 0 {
            let _ = write!(line, "  (unblocks {})", w.unblocks);
        }
        out.text(&line);
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
        out.line(format_args!(
            "{:<14} waits  {}  for {}",
            b.id,
            b.title,
            waits.join(", ")
        ));
    }
    out.finish();
    Ok(Exit::Ok)
}
