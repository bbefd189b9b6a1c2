//! `git wo list`.

use anyhow::Result;
use serde::Serialize;

use super::Ctx;
use crate::cli::stream::Lines;
use crate::cli::{ListArgs, StateArg, paint};
use crate::error::Exit;
use crate::inventory::{Depth, Inventory, Source};
use crate::model::state::State;
use crate::views::list::{Row, each_row};

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
    let keep = |r: &Row| holder.is_none() || r.holder == holder;
    if ctx.out.json {
        let wos = RowsJson {
            inv: &inv,
            want,
            keep: &keep,
        };
        let listing = ListJson {
            schema: "git-wo.list.v1",
            wos,
        };
        let mut out = Lines::stdout();
        out.json(&listing);
        out.finish();
        return Ok(Exit::Ok);
    }
    if args.porcelain {
        let mut out = Lines::stdout();
        each_row(&inv, want, |r| {
            if !keep(&r) {
                return;
            }
            let field = |v: Option<&str>| -> String {
                v.filter(|s| !s.is_empty())
                    .map(|s| s.replace(['\t', '\n', '\r'], " "))
                    .unwrap_or_else(|| "-".to_owned())
            };
            let states: Vec<&str> = r.states.iter().map(|s| s.as_str()).collect();
            out.line(format_args!(
                "{}\t{}\t{}\t{}\t{}\t{}",
                r.id,
                field(Some(&states.join("+"))),
                field(r.holder.as_deref()),
                field(r.lease_expires_at.as_deref()),
                field(r.phase),
                field(Some(&r.title)),
            ));
        });
        out.finish();
        return Ok(Exit::Ok);
    }
    if ctx.out.quiet {
        return Ok(Exit::Ok);
    }
    let paint_out = &ctx.out;
    let mut out = Lines::stdout();
    each_row(&inv, want, |r| {
        if !keep(&r) {
            return;
        }
        let states: Vec<&str> = r.states.iter().map(|s| s.as_str()).collect();
        let mut extra = Vec::new();
        if let Some(h) = &r.holder {
            extra.push(format!("held by {h}"));
        }
        if let Some(l) = &r.lease_shown {
            extra.push(if r.lease_expired == Some(true) {
                paint::expired(paint_out, l)
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
            paint::priority(paint_out, r.priority.as_deref(), t)
        });
        let painted: Vec<String> = r
            .states
            .iter()
            .map(|s| paint::state(paint_out, *s, s.as_str()))
            .collect();
        let pad = 16usize.saturating_sub(states.join("+").chars().count());
        out.line(format_args!(
            "{id} {}{} {}{extra}",
            painted.join("+"),
            " ".repeat(pad),
            r.title
        ));
    });
    out.finish();
    Ok(Exit::Ok)
}

/// `{"schema": …, "wos": [rows]}`, the keys in the order a JSON object sorts them.
#[derive(Serialize)]
struct ListJson<'a> {
    schema: &'static str,
    wos: RowsJson<'a>,
}

/// The rows as a JSON array, each built, written and dropped in turn. A row is
/// written as the JSON object it makes (its keys sorted, as `list --json` always
/// printed them).
struct RowsJson<'a> {
    inv: &'a Inventory,
    want: Option<State>,
    keep: &'a dyn Fn(&Row) -> bool,
}

impl Serialize for RowsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = s.serialize_seq(None)?;
        let mut failed = None;
        each_row(self.inv, self.want, |r| {
            if failed.is_some() || !(self.keep)(&r) {
                return;
            }
            let written = serde_json::to_value(&r)
                .map_err(S::Error::custom)
                .and_then(|v| seq.serialize_element(&v));
            if let Err(e) = written {
                failed = Some(e);
            }
        });
        match failed {
            Some(e) => Err(e),
            None => seq.end(),
        }
    }
}
