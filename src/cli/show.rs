//! `git wo show <ID>`.

use anyhow::Result;
use serde_json::json;

use super::Ctx;
use crate::cli::ShowArgs;
use crate::error::{Exit, WoError};
use crate::inventory::{Inventory, Source};
use crate::model::wo_id::WoId;
use crate::views::list::row;

pub fn run(ctx: &Ctx, args: &ShowArgs) -> Result<Exit> {
    let id = WoId::parse(&args.id)
        .map_err(|why| WoError::usage(format!("not a WO id: {why}")).fix("git wo list"))?;
    let inv = Inventory::gather(&ctx.repo, Source::WorkingTree)?;
    inv.refuse_bad_record(&id)?;
    let wos = inv.wos();
    let Some(view) = wos
        .get(&id)
        .filter(|v| !v.files.is_empty() || v.record.is_some() || !v.worktrees.is_empty())
    else {
        return Err(WoError::usage(format!(
            "{id}: no YAML in {}, no record, no worktree",
            inv.jobs_rel
        ))
        .fix("git wo list")
        .into());
    };
    let r = row(&inv, &id, view);
    let history = ctx.repo.record_history(id.as_str(), 50)?;
    let tag = format!("[{id}] ");
    let markers: Vec<serde_json::Value> = ctx
        .repo
        .read_notes()?
        .into_iter()
        .flat_map(|n| {
            let target = n.target;
            n.lines
                .into_iter()
                .filter(|l| l.starts_with(&tag))
                .map(move |l| json!({"object": target, "line": l}))
        })
        .collect();
    let findings: Vec<_> = crate::views::audit::audit(&inv)
        .into_iter()
        .filter(|f| f.wo_id.as_deref() == Some(id.as_str()))
        .collect();
    let lock_file = view.lock.map(|l| {
        json!({"path": inv.rel(&l.rel_path), "user": l.user, "pid": l.pid, "host": l.host,
               "locked_at": l.locked_at.map(|t| t.to_rfc3339())})
    });
    let worktrees: Vec<_> = view
        .worktrees
        .iter()
        .map(|w| json!({"path": w.path, "exists": w.exists, "branch": w.branch(), "locked": w.locked}))
        .collect();
    if ctx.out.json {
        ctx.out.json(&json!({
            "schema": "git-wo.show.v1", "wo": r, "record": view.record.map(|s| &s.record),
            "record_commit": view.record.map(|s| s.commit.to_string()), "lock_file": lock_file,
            "worktrees": worktrees, "history": history, "markers": markers, "findings": findings,
        }))?;
        return Ok(Exit::Ok);
    }
    let out = &ctx.out;
    let states: Vec<&str> = r.states.iter().map(|s| s.as_str()).collect();
    out.line(format!("{id}  {}", r.title));
    out.line(format!("  state:    {}", states.join(" + ")));
    for f in &r.files {
        out.line(format!("  file:     {f}"));
    }
    match view.record.map(|s| &s.record) {
        Some(rec) => {
            out.line(format!(
                "  record:   {} phase {} token {}",
                rec.state,
                rec.phase.as_str(),
                rec.token
            ));
            if let Some(l) = &rec.lock {
                out.line(format!(
                    "  lock:     {} on {} (pid {}), lease until {}{}",
                    l.owner,
                    l.host,
                    l.pid,
                    l.expires_at.to_rfc3339(),
                    if l.expired(inv.now) { " (expired)" } else { "" }
                ));
            }
            if let Some(b) = &rec.branch {
                out.line(format!("  branch:   {b}"));
            }
            if let Some(res) = &rec.result {
                out.line(format!(
                    "  result:   {} verified={}",
                    res.verdict, res.verified
                ));
            }
        }
        None => out.line("  record:   none (run git wo init to mirror it)"),
    }
    if let Some(l) = view.lock {
        out.line(format!(
            "  .lock:    {} (user {})",
            inv.rel(&l.rel_path),
            l.user.as_deref().unwrap_or("?")
        ));
    }
    for w in &view.worktrees {
        out.line(format!(
            "  worktree: {}{}{}",
            w.path.display(),
            w.branch().map(|b| format!(" on {b}")).unwrap_or_default(),
            if w.exists { "" } else { " (missing)" }
        ));
    }
    if !history.is_empty() {
        out.line("  history:");
        for h in &history {
            out.line(format!(
                "    {} {} {}",
                &h.commit[..12.min(h.commit.len())],
                h.time,
                h.subject
            ));
        }
    }
    if !markers.is_empty() {
        out.line("  markers:");
        for m in &markers {
            out.line(format!("    {}", m["line"].as_str().unwrap_or("")));
        }
    }
    if !findings.is_empty() {
        out.line("  findings:");
        for f in &findings {
            out.finding(f);
        }
    }
    Ok(Exit::Ok)
}
