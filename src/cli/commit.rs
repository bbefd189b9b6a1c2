//! `git wo commit`.

use anyhow::Result;

use super::Ctx;
use crate::cli::CommitArgs;
use crate::error::Exit;

pub fn run(ctx: &Ctx, _args: &CommitArgs) -> Result<Exit> {
    let c = crate::ops::commit::commit(&ctx.repo)?;
    if ctx.out.json {
        ctx.out.json(&c)?;
        return Ok(Exit::Ok);
    }
    match (&c.commit, &c.subject) {
        (Some(commit), Some(subject)) => {
            ctx.out.line(format!(
                "committed {} {subject} ({} path(s); other staged changes left staged)",
                &commit[..12.min(commit.len())],
                c.paths.len()
            ));
        }
        _ => ctx.out.line(format!(
            "nothing to commit: no move is staged under {}",
            ctx.repo.jobs_rel()
        )),
    }
    Ok(Exit::Ok)
}

/// The line take and finish print about the moves they left staged in the control
/// checkout's index (with `wo.commit=false`), naming the command that commits them.
pub fn staged_note(ctx: &Ctx, id: &str) {
    if ctx.repo.config.commit || ctx.out.json || ctx.out.quiet {
        return;
    }
    let Ok(moves) = crate::ops::commit::staged_moves_of(&ctx.repo, id) else {
        return;
    };
    if moves.is_empty() {
        return;
    }
    let shown = crate::ops::commit::shown_all(&moves);
    ctx.out.line(format!(
        "  staged:   {} (in {}; commit it: git wo commit)",
        shown.join(", "),
        ctx.repo.control_root.display()
    ));
}
