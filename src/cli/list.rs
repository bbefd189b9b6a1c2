//! `git wo list`.

use anyhow::Result;
use serde_json::json;

use super::Ctx;
use crate::cli::{ListArgs, StateArg, paint};
use crate::error::Exit;
use crate::inventory::{Depth, Inventory, Source};
use crate::model::state::State;
use crate::views::list::{Row, rows};

pub fn run(ctx: &Ctx, args: &ListArgs) -> Result<Exit> {
    let inv = Inventory::gather(&ctx.repo, Source::WorkingTree, Depth::Fields)?;
    super::note_missing_jobs_dir(ctx);
    let want = args.state.map(|s| match s {
        StateArg::Pending => State::Pending,
        StateArg::Running => State::Running,
        StateArg::Done => State::Done,
        StateArg::Failed => State::Failed,
    });
    let holder = if args.mine {
        Some(crate::cli::owner::resolve(&ctx.repo, None))
    } else {
        args.owner.clone()
    };
    let rows: Vec<Row> = rows(&inv, want)
        .into_iter()
        .filter(|r| holder.is_none() || r.holder == holder)
        .collect();
    if ctx.out.json {
        return ctx
            .out
            .json(&json!({"schema": "git-wo.list.v1", "wos": rows}))
            .map(|_| Exit::Ok);
    }
    if args.porcelain {
        for r in &rows {
            let field = |v: Option<&str>| -> String {
                v.filter(|s| !s.is_empty())
                    .map(|s| s.replace(['\t', '\n', '\r'], " "))
                    .unwrap_or_else(|| "-".to_owned())
            };
            let states: Vec<&str> = r.states.iter().map(|s| s.as_str()).collect();
            crate::cli::output::print_line(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}",
                r.id,
                field(Some(&states.join("+"))),
                field(r.holder.as_deref()),
                field(r.lease_expires_at.as_deref()),
                field(r.phase),
                field(Some(&r.title)),
            ));
        }
        return Ok(Exit::Ok);
    }
    let out = &ctx.out;
    for r in &rows {
        let states: Vec<&str> = r.states.iter().map(|s| s.as_str()).collect();
        let mut extra = Vec::new();
        if let Some(h) = &r.holder {
            extra.push(format!("held by {h}"));
        }
        if let Some(l) = &r.lease_shown {
            extra.push(if r.lease_expired == Some(true) {
                paint::expired(out, l)
            } else {
                l.clone()
            });
        }
        if let Some(p) = r.phase.filter(|p| *p != "idle" && *p != "active") {
            extra.push(format!("phase {p}"));
        }
        let extra = if extra.is_empty() {
            String::new()
        } else {
            format!("  ({})", extra.join(", "))
        };
        // The id in its priority's colour, the state in its own (a split brain's in
        // the colour of each).
        let id = paint::padded(&r.id, 14, |t| {
            paint::priority(out, r.priority.as_deref(), t)
        });
        let painted: Vec<String> = r
            .states
            .iter()
            .map(|s| paint::state(out, *s, s.as_str()))
            .collect();
        let pad = 16usize.saturating_sub(states.join("+").chars().count());
        ctx.out.line(format!(
            "{id} {}{} {}{extra}",
            painted.join("+"),
            " ".repeat(pad),
            r.title
        ));
    }
    Ok(Exit::Ok)
}
