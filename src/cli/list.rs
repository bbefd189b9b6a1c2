//! `git wo list`.

use anyhow::Result;
use serde::Serialize;

use super::Ctx;
use crate::cli::output::Out;
use crate::cli::stream::{Lines, pad, push_one_line};
use crate::cli::{ListArgs, StateArg, paint};
use crate::error::Exit;
use crate::inventory::{Depth, Inventory, Source};
use crate::model::state::State;
use crate::views::list::{Row, SortedRow, each_row};

pub fn run(ctx: &Ctx, args: &ListArgs) -> Result<Exit> {
    let inv = Inventory::gather(&ctx.repo, Source::WorkingTree, Depth::Fields)?;
    let exit = listed(ctx, args, &inv);
    super::keep_until_exit(inv);
    exit
}

fn listed(ctx: &Ctx, args: &ListArgs, inv: &Inventory) -> Result<Exit> {
    super::note_missing_jobs_dir(ctx);
    let _t = crate::trace::phase("list: rows");
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
    let keep = |r: &Row| holder.is_none() || r.holder == holder.as_deref();
    if ctx.out.json {
        let wos = RowsJson {
            inv,
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
        porcelain(inv, want, &keep);
        return Ok(Exit::Ok);
    }
    if ctx.out.quiet {
        return Ok(Exit::Ok);
    }
    human(&ctx.out, inv, want, &keep);
    Ok(Exit::Ok)
}

/// `--porcelain`: one tab-separated line a WO, `-` for an empty field.
fn porcelain(inv: &Inventory, want: Option<State>, keep: &dyn Fn(&Row) -> bool) {
    let mut out = Lines::stdout();
    // (Each line made in one buffer, as `ready --porcelain` makes its own.)
    let mut line = String::new();
    let field = |line: &mut String, v: Option<&str>| {
        line.push('\t');
        match v.filter(|s| !s.is_empty()) {
            Some(s) => push_one_line(line, s),
            None => line.push('-'),
        }
    };
    each_row(inv, want, |r| {
        if !keep(&r) {
            return;
        }
        let states: Vec<&str> = r.states.iter().map(|s| s.as_str()).collect();
        line.clear();
        line.push_str(r.id.as_str());
        field(&mut line, Some(&states.join("+")));
        field(&mut line, r.holder);
        field(&mut line, r.lease_expires_at.as_deref());
        field(&mut line, r.phase);
        field(&mut line, Some(r.title));
        out.text(&line);
    });
    out.finish();
}

/// The text listing: id and state in their colours, the title, then who holds it,
/// its lease and an unusual phase.
fn human(paint_out: &Out, inv: &Inventory, want: Option<State>, keep: &dyn Fn(&Row) -> bool) {
    let mut out = Lines::stdout();
    // Each line made in one buffer and written whole, each part only when it shows
    // (at 100,000 WOs the joined, padded and painted copies of every row, and the
    // formatter's padding a space at a time, were most of list's own time).
    let mut line = String::new();
    each_row(inv, want, |r| {
        if !keep(&r) {
            return;
        }
        line.clear();
        // The id in its priority's colour, the state in its own (a split brain's in
        // the colour of each).
        let id = r.id.as_str();
        painted(&mut line, paint_out.color, id, || {
            paint::priority(paint_out, r.priority, id)
        });
        pad(&mut line, 14usize.saturating_sub(id.chars().count()));
        line.push(' ');
        let mut shown = 0;
        for (i, s) in r.states.iter().enumerate() {
            if i > 0 {
                line.push('+');
                shown += 1;
            }
            painted(&mut line, paint_out.color, s.as_str(), || {
                paint::state(paint_out, s, s.as_str())
            });
            shown += s.as_str().len();
        }
        pad(&mut line, 16usize.saturating_sub(shown));
        line.push(' ');
        line.push_str(r.title);
        let mut parts = 0;
        let mut part = |line: &mut String| {
            line.push_str(if parts == 0 { "  (" } else { ", " });
            parts += 1;
        };
        if let Some(h) = r.holder {
            part(&mut line);
            line.push_str("held by ");
            line.push_str(h);
        }
        if let Some(l) = &r.lease_shown {
            part(&mut line);
            if r.lease_expired == Some(true) {
                painted(&mut line, paint_out.color, l, || {
                    paint::expired(paint_out, l)
                });
            } else {
                line.push_str(l);
            }
        }
        if let Some(p) = r.phase.filter(|p| *p != "idle" && *p != "active") {
            part(&mut line);
            line.push_str("phase ");
            line.push_str(p);
        }
        if parts > 0 {
            line.push(')');
        }
        out.text(&line);
    });
    out.finish();
}

/// `text` as `paint` colours it, or as it is when colour is off (every painter gives
/// the text unchanged then): no copy of it.
fn painted(line: &mut String, color: bool, text: &str, paint: impl FnOnce() -> String) {
    if color {
        line.push_str(&paint());
    } else {
        line.push_str(text);
    }
}

/// `{"schema": …, "wos": [rows]}`, the keys in the order a JSON object sorts them.
#[derive(Serialize)]
struct ListJson<'a> {
    schema: &'static str,
    wos: RowsJson<'a>,
}

/// The rows as a JSON array, each built, written and dropped in turn, its keys sorted
/// ([`SortedRow`]).
struct RowsJson<'a> {
    inv: &'a Inventory,
    want: Option<State>,
    keep: &'a dyn Fn(&Row) -> bool,
}

impl Serialize for RowsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(None)?;
        let mut failed = None;
        each_row(self.inv, self.want, |r| {
            if failed.is_some() || !(self.keep)(&r) {
                return;
            }
            if let Err(e) = seq.serialize_element(&SortedRow(&r)) {
                failed = Some(e);
            }
        });
        match failed {
            Some(e) => Err(e),
            None => seq.end(),
        }
    }
}
