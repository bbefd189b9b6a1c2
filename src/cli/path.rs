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
    let Some(wt) = view.worktrees().iter().find(|w| w.exists) else {
        return Err(no_worktree(&inv, &id, view).into());
    };
    crate::cli::shell_init::cd_to(&wt.path);
    if ctx.out.json {
        ctx.out
            .json(&json!({"schema": "git-wo.path.v1", "wo": id.as_str(), "path": wt.path}))?;
    } else {
        crate::cli::output::print_line(&wt.path.to_string_lossy());
    }
    Ok(Exit::Ok)
}

/// Why `id` has no worktree, and what to run instead: a closed WO's work is on its
/// branch (finish removed the worktree), a pending one gets a worktree from take.
fn no_worktree(
    inv: &Inventory,
    id: &crate::model::wo_id::WoId,
    view: &crate::inventory::WoView<'_>,
) -> WoError {
    use crate::model::state::State;
    let state = view
        .record
        .map(|s| s.record.state)
        .or_else(|| view.single_state());
    let branch = crate::error::shell_quote(&inv.expected_branch(id, view));
    match state {
        Some(s @ (State::Done | State::Failed)) => WoError::failed(format!(
            "{id} is {s}: a {s} WO has no worktree (finish removed it); its work is on its branch {branch}"
        ))
        .fix(match s {
            State::Done => format!(
                "git log {branch} (or git switch {branch}, or git worktree add <dir> {branch} to look at it)"
            ),
            _ => format!(
                "git log {branch}; to work on it again: git wo requeue {id} --reason <why>, then git wo take {id}"
            ),
        }),
        Some(State::Running) => WoError::failed(format!(
            "{id} is running but its worktree is missing (its branch is {branch})"
        ))
        .fix(format!("git wo show {id} (git wo audit says how to repair it)")),
        _ => WoError::failed(format!("{id} has no worktree: it is not taken")).fix(format!(
            "git wo take {id} (gives it a worktree on branch {branch}), or git wo show {id}"
        )),
    }
}
