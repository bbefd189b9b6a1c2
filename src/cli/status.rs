//! `git wo status`: what this worktree is and what to do next.

use anyhow::Result;

use super::Ctx;
use crate::error::Exit;
use crate::inventory::here::here;
use crate::inventory::{Depth, Inventory, Source};
use crate::views::status::status;

pub fn run(ctx: &Ctx) -> Result<Exit> {
    let inv = Inventory::gather(&ctx.repo, Source::WorkingTree, Depth::Fields)?;
    let exit = shown(ctx, &inv);
    super::keep_until_exit(inv);
    exit
}

fn shown(ctx: &Ctx, inv: &Inventory) -> Result<Exit> {
    let status = {
        let _t = crate::trace::phase("status: view");
        status(inv, &here(&ctx.repo, inv))
    };
    if ctx.out.json {
        ctx.out.json(&status)?;
        return Ok(Exit::Ok);
    }
    let out = &ctx.out;
    match (&status.wo, status.worktree_kind) {
        (Some(id), _) => out.line(format!(
            "worktree of {id} ({}){}",
            status.wo_state.map_or("unknown", |s| s.as_str()),
            match (&status.holder, status.you_hold_it) {
                (Some(h), true) => format!(
                    ", held by you ({h}){}",
                    status
                        .lease_shown
                        .as_ref()
                        .map(|l| format!(", {l}"))
                        .unwrap_or_default()
                ),
                (Some(h), false) => format!(
                    ", held by {h}{}",
                    status
                        .lease_shown
                        .as_ref()
                        .map(|l| format!(", {l}"))
                        .unwrap_or_default()
                ),
                (None, _) => String::new(),
            }
        )),
        (None, "control") => out.line(format!("control checkout {}", status.worktree)),
        _ => out.line(format!("linked worktree {} (no WO)", status.worktree)),
    }
    let counts: Vec<String> = status
        .counts
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    out.line(format!(
        "WOs: {}; findings: {}",
        counts.join(", "),
        status.findings
    ));
    for n in &status.next {
        out.line(format!("next: {n}"));
    }
    Ok(Exit::Ok)
}
