//! `git wo lint`.

use anyhow::Result;
use serde_json::json;

use super::Ctx;
use crate::cli::LintArgs;
use crate::error::{Exit, WoError};
use crate::inventory::{Depth, Inventory, Source};
use crate::model::wo_id::WoId;
use crate::views::lint::lint;

pub fn run(ctx: &Ctx, args: &LintArgs) -> Result<Exit> {
    let ids = args
        .ids
        .iter()
        .map(|s| {
            WoId::parse(s)
                .map_err(|why| WoError::usage(format!("not a WO id: {why}")).fix("git wo list"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let inv = Inventory::gather(&ctx.repo, Source::WorkingTree, Depth::Full)?;
    inv.require_live(&ids)?;
    let (checked, problems) = lint(&inv, &ids);
    if ctx.out.json {
        ctx.out
            .json(&json!({"schema": "git-wo.lint.v1", "checked": checked, "problems": problems}))?;
    } else {
        for p in &problems {
            crate::cli::output::print_line(&format!(
                "{}: {}: {} (fix: {})",
                p.path,
                p.wo_id.as_deref().unwrap_or("-"),
                p.problem,
                p.fix
            ));
        }
        ctx.out.line(format!(
            "{checked} file(s) checked, {} problem(s)",
            problems.len()
        ));
    }
    Ok(if problems.is_empty() {
        Exit::Ok
    } else {
        Exit::Findings
    })
}
