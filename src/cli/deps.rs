//! `git wo deps`.

use anyhow::Result;

use super::Ctx;
use crate::cli::{DepsArgs, GraphFormat};
use crate::error::{Exit, WoError};
use crate::inventory::{Depth, Inventory, Source};
use crate::model::wo_id::WoId;
use crate::views::deps::{Node, around, render};

pub fn run(ctx: &Ctx, args: &DepsArgs) -> Result<Exit> {
    let inv = Inventory::gather(&ctx.repo, Source::WorkingTree, Depth::Fields)?;
    let Some(id) = &args.id else {
        let dot = args.format == Some(GraphFormat::Dot);
        crate::cli::output::print_line(render(&inv, dot).trim_end());
        return Ok(Exit::Ok);
    };
    if args.format.is_some() {
        return Err(WoError::usage("--format draws the whole graph: give no id")
            .fix("git wo deps --format mermaid")
            .into());
    }
    let id = WoId::parse(id)
        .map_err(|why| WoError::usage(format!("not a WO id: {why}")).fix("git wo list"))?;
    if !inv.known_ids().contains(id.as_str()) {
        return Err(WoError::usage(format!("{id}: no YAML, no record"))
            .fix("git wo list")
            .into());
    }
    let a = around(&inv, id.as_str());
    if ctx.out.json {
        return ctx.out.json(&a).map(|_| Exit::Ok);
    }
    let shown = |n: &Node| {
        format!(
            "{} ({})",
            n.id,
            n.state.map_or("does not exist", |s| s.as_str())
        )
    };
    ctx.out.line(format!(
        "{id} ({})",
        a.state.map_or("in no one state", |s| s.as_str())
    ));
    let list = |v: &[Node]| {
        if v.is_empty() {
            "nothing".to_owned()
        } else {
            v.iter().map(shown).collect::<Vec<_>>().join(", ")
        }
    };
    ctx.out.line(format!("  waits for: {}", list(&a.waits_for)));
    ctx.out.line(format!("  blocks:    {}", list(&a.blocks)));
    Ok(Exit::Ok)
}
