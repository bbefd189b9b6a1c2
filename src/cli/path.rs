//! `git wo path [<ID>]`: the WO's worktree, for `cd "$(git wo path WO-0042)"`.

use anyhow::Result;
use serde_json::json;

use super::Ctx;
use crate::cli::PathArgs;
use crate::error::{Exit, WoError};
use crate::inventory::{Depth, Inventory, Source};

pub fn run(ctx: &Ctx, args: &PathArgs) -> Result<Exit> {
    let id = crate::inventory::here::id_or_here(&ctx.repo, args.id.as_deref(), "path")?;
    let inv = Inventory::gather(&ctx.repo, Source::WorkingTree, Depth::Fields)?;
    let wos = inv.wos();
    let Some(view) = wos.get(&id) else {
        let fix = match crate::views::near::nearest(&inv, id.as_str()) {
            Some(near) => format!("did you mean {near}? git wo path {near} (or git wo list)"),
            None => "git wo list".to_owned(),
        };
        return Err(
            WoError::usage(format!("{id} does not exist (no YAML, no record)"))
                .fix(fix)
                .into(),
        );
    };
    let Some(wt) = view.worktrees.iter().find(|w| w.exists) else {
        return Err(WoError::failed(format!("{id} has no worktree"))
            .fix(format!(
                "git wo take {id} (a pending WO gets one), or git wo show {id}"
            ))
            .into());
    };
    if ctx.out.json {
        ctx.out
            .json(&json!({"schema": "git-wo.path.v1", "wo": id.as_str(), "path": wt.path}))?;
    } else {
        crate::cli::output::print_line(&wt.path.to_string_lossy());
    }
    Ok(Exit::Ok)
}
