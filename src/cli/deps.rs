//! `git wo deps`.

use anyhow::Result;

use super::Ctx;
use crate::cli::document::Document;
use crate::cli::{DepsArgs, GraphFormat};
use crate::error::{Exit, WoError};
use crate::inventory::{Depth, Inventory, Source};
use crate::model::wo_id::WoId;
use crate::views::deps::{Around, Node, around, render};

/// What the arguments ask for: the whole graph, drawn, or one WO's surroundings.
enum Asked {
    Graph(String),
    Around(Around),
}

fn asked(ctx: &Ctx, args: &DepsArgs) -> Result<Asked> {
    let inv = Inventory::gather(&ctx.repo, Source::WorkingTree, Depth::Fields)?;
    let Some(id) = &args.id else {
        let dot = args.format == Some(GraphFormat::Dot);
        return Ok(Asked::Graph(render(&inv, dot).trim_end().to_owned()));
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
    Ok(Asked::Around(around(&inv, id.as_str())))
}

/// What `deps --json` prints (and `git wo mcp`'s `deps` returns): one WO's document,
/// or the whole graph as Mermaid or DOT text (which is what it prints with `--json` too).
pub fn document(ctx: &Ctx, args: &DepsArgs) -> Result<Document> {
    match asked(ctx, args)? {
        Asked::Graph(text) => Ok(Document::Text(text)),
        Asked::Around(a) => Document::json(&a),
    }
}

pub fn run(ctx: &Ctx, args: &DepsArgs) -> Result<Exit> {
    if ctx.out.json || args.id.is_none() {
        document(ctx, args)?.print()?;
        return Ok(Exit::Ok);
    }
    let Asked::Around(a) = asked(ctx, args)? else {
        return Ok(Exit::Ok);
    };
    let id = &a.id;
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
