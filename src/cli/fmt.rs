//! `git wo fmt`.

use anyhow::Result;

use super::Ctx;
use crate::cli::FmtArgs;
use crate::error::{Exit, WoError, shell_quote};
use crate::model::wo_id::WoId;
use crate::ops::fmt::{Selection, fmt};

pub fn run(ctx: &Ctx, args: &FmtArgs) -> Result<Exit> {
    let only = select(ctx, &args.ids)?;
    let f = fmt(&ctx.repo, &only, args.check)?;
    let out_of_order = args.check && !f.reordered.is_empty();
    let exit = if out_of_order {
        Exit::Findings
    } else {
        Exit::Ok
    };
    if ctx.out.json {
        ctx.out.json(&f)?;
        return Ok(exit);
    }
    let fix_for = |id: Option<&str>, path: &str| match id {
        Some(id) => format!("git wo fmt {id}"),
        None => format!("fix {} by hand", shell_quote(path)),
    };
    for s in &f.skipped {
        if !ctx.out.quiet {
            let fix = if s.why.contains("while fmt ran") {
                fix_for(s.wo_id.as_deref(), &s.path)
            } else {
                match &s.wo_id {
                    Some(id) => format!("git wo lint {id}"),
                    None => format!("git wo lint ({} has no usable id)", shell_quote(&s.path)),
                }
            };
            eprintln!(
                "warning: {}: {}: not reordered: {} (fix: {fix})",
                s.wo_id.as_deref().unwrap_or("-"),
                s.path,
                s.why
            );
        }
    }
    if args.check {
        for r in &f.reordered {
            crate::cli::output::print_line(&format!(
                "{}: {}: top-level keys out of order (fix: {})",
                r.path,
                r.wo_id.as_deref().unwrap_or("-"),
                fix_for(r.wo_id.as_deref(), &r.path)
            ));
        }
        ctx.out.line(format!(
            "{} of {} file(s) out of order",
            f.reordered.len(),
            f.checked
        ));
        return Ok(exit);
    }
    for r in &f.reordered {
        let how = if f.committed.is_some() && f.staged.contains(&r.path) {
            " (committed)"
        } else if f.staged.contains(&r.path) {
            " (staged)"
        } else {
            ""
        };
        ctx.out.line(format!("reordered {}{how}", r.path));
    }
    ctx.out.line(format!(
        "{} of {} file(s) reordered",
        f.reordered.len(),
        f.checked
    ));
    Ok(exit)
}

/// Ids, and paths of WO files (what a pre-commit hook passes: a word with a `/`, a
/// `.yaml`/`.yml` ending, or naming a file that exists), relative to the current
/// directory. A path that names no
/// live WO file of the control checkout is left out.
fn select(ctx: &Ctx, args: &[String]) -> Result<Selection> {
    let mut only = Selection {
        everything: args.is_empty(),
        ..Selection::default()
    };
    let root = std::fs::canonicalize(&ctx.repo.control_root)
        .unwrap_or_else(|_| ctx.repo.control_root.clone());
    for a in args {
        let is_path = a.contains('/')
            || a.ends_with(".yaml")
            || a.ends_with(".yml")
            || std::path::Path::new(a).exists();
        if !is_path {
            let id = WoId::parse(a)
                .map_err(|why| WoError::usage(format!("not a WO id: {why}")).fix("git wo list"))?;
            only.ids.push(id);
            continue;
        }
        let Ok(abs) = std::fs::canonicalize(a) else {
            continue;
        };
        // (A file of a linked worktree's own `_ctx/jobs` is a snapshot on a branch,
        // not live state: left out like any other path that names no live WO file.)
        if let Ok(rel) = abs.strip_prefix(&root) {
            only.paths.push(rel.to_path_buf());
        }
    }
    Ok(only)
}
