//! `git wo index`, and keeping the index fresh with `wo.index=true`.

use anyhow::Result;
use serde_json::json;

use super::Ctx;
use crate::cli::{Command, HookName, IndexArgs};
use crate::error::Exit;
use crate::ops::wo_index::{refresh, write};

pub fn run(ctx: &Ctx, _args: &IndexArgs) -> Result<Exit> {
    let w = write(&ctx.repo, false)?;
    let rel = crate::views::wo_index::INDEX_FILE;
    if ctx.out.json {
        ctx.out.json(&json!({
            "schema": "git-wo.index.v1",
            "path": rel,
            "work_orders": w.index.work_orders.len(),
            "errors": w.index.errors,
        }))?;
        return Ok(Exit::Ok);
    }
    ctx.out.line(format!(
        "wrote {rel}: {} work order(s), {} error(s)",
        w.index.work_orders.len(),
        w.index.errors.len()
    ));
    for e in &w.index.errors {
        ctx.out.line(format!("  {e} (fix: git wo lint)"));
    }
    Ok(Exit::Ok)
}

/// After `command` ran: with `wo.index=true`, refresh the index when it changed state
/// or is the post-commit or post-checkout hook.
pub fn after(ctx: &Ctx, command: &Command) {
    let refreshes = match command {
        Command::Hook(h) => matches!(h.name, HookName::PostCommit | HookName::PostCheckout),
        Command::Index(_) => false,
        c => c.changes_state(),
    };
    if refreshes {
        refresh(&ctx.repo);
    }
}
