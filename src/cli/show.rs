//! `git wo show <ID>`.

use anyhow::Result;

use super::Ctx;
use crate::cli::{ShowArgs, paint};
use crate::error::{Exit, WoError};
use crate::inventory::{Depth, Inventory, Source, marker_copies, markers, record_history, records};
use crate::model::wo_id::WoId;
use crate::views::show::show;

pub fn run(ctx: &Ctx, args: &ShowArgs) -> Result<Exit> {
    let id = WoId::parse(&args.id)
        .map_err(|why| WoError::usage(format!("not a WO id: {why}")).fix("git wo list"))?;
    if let Some(file) = &args.evidence {
        return evidence(ctx, &id, file);
    }
    let inv = Inventory::gather(&ctx.repo, Source::WorkingTree, Depth::Fields)?;
    inv.refuse_bad_record(&id)?;
    let history = record_history::history(&ctx.repo, id.as_str(), 50)?;
    let branch_tip = inv
        .wos()
        .get(&id)
        .map(|v| inv.expected_branch(&id, v))
        .and_then(|b| ctx.repo.branch_tip(&b).ok().flatten());
    let markers = marker_copies::one_each(
        &ctx.repo,
        markers::lines_of(&ctx.repo, id.as_str())?,
        branch_tip,
    );
    let Some(view) = show(&inv, &id, history, markers) else {
        let fix = match crate::views::near::nearest(&inv, id.as_str()) {
            Some(near) => format!("did you mean {near}? git wo show {near} (or git wo list)"),
            None => "git wo list".to_owned(),
        };
        return Err(WoError::usage(format!(
            "{id}: no YAML in {}, no record, no worktree",
            inv.jobs_rel
        ))
        .fix(fix)
        .into());
    };
    if ctx.out.json {
        ctx.out.json(&view.json(&inv))?;
        return Ok(Exit::Ok);
    }
    let out = &ctx.out;
    let r = &view.row;
    let states: Vec<String> = r
        .states
        .iter()
        .map(|s| paint::state(out, *s, s.as_str()))
        .collect();
    out.line(format!(
        "{}  {}",
        paint::priority(out, r.priority.as_deref(), id.as_str()),
        paint::heading(out, &r.title)
    ));
    out.line(format!("  state:    {}", states.join(" + ")));
    for f in &r.files {
        out.line(format!("  file:     {f}"));
    }
    match view.record.map(|s| &s.record) {
        Some(rec) => {
            out.line(format!(
                "  record:   {} phase {} token {}",
                paint::state(out, rec.state, rec.state.as_str()),
                rec.phase.as_str(),
                rec.token
            ));
            if let Some(l) = &rec.lock {
                let lease = crate::model::when::lease(l.expires_at, inv.now);
                out.line(format!(
                    "  lock:     {} on {} (pid {}), {}",
                    l.owner,
                    l.host,
                    l.pid,
                    if l.expires_at <= inv.now {
                        paint::expired(out, &lease)
                    } else {
                        lease
                    }
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
    if let Some(l) = view.lock_file {
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
    if !view.history.is_empty() {
        out.line(format!("  {}", paint::heading(out, "history:")));
        for h in &view.history {
            // Imports are dated at the epoch (deterministic imports): say what they are.
            let e = &h.entry;
            let when = if e.time.starts_with("1970-01-01T00:00:00") {
                "imported".to_owned()
            } else {
                e.time.clone()
            };
            let mut who = match &h.by {
                Some(by) => format!("  by {by}"),
                None => String::new(),
            };
            if let Some(holder) = &h.released_lease_of {
                who.push_str(&format!(", released {holder}'s lease"));
            }
            out.line(format!(
                "    {} {when:<25} {}{who}",
                &e.commit[..12.min(e.commit.len())],
                e.subject
            ));
        }
    }
    if !view.markers.is_empty() {
        out.line(format!("  {}", paint::heading(out, "markers:")));
        for m in &view.markers {
            match &m.rewritten_from {
                Some(old) => out.line(format!(
                    "    {}  (the note moved here from {} by a rebase or amend)",
                    m.line,
                    &old[..12.min(old.len())]
                )),
                None => out.line(format!("    {}", m.line)),
            }
        }
    }
    if !view.findings.is_empty() {
        out.line(format!("  {}", paint::heading(out, "findings:")));
        for f in &view.findings {
            out.finding(f);
        }
    }
    Ok(Exit::Ok)
}

/// `show <ID> --evidence [FILE]`: the files of its latest finish's evidence, or one.
fn evidence(ctx: &Ctx, id: &WoId, file: &str) -> Result<Exit> {
    let Some((commit, files)) = records::evidence(&ctx.repo, id.as_str())? else {
        return Err(WoError::usage(format!(
            "{id}: its record holds no evidence (git wo finish writes it)"
        ))
        .fix(format!("git wo show {id}"))
        .into());
    };
    if file.is_empty() {
        if ctx.out.json {
            let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
            ctx.out.json(&serde_json::json!({
                "schema": "git-wo.evidence.v1",
                "id": id.as_str(),
                "commit": commit.to_string(),
                "files": names,
            }))?;
        } else {
            for (name, _) in &files {
                ctx.out.line(name.clone());
            }
        }
        return Ok(Exit::Ok);
    }
    let Some((_, blob)) = files.iter().find(|(n, _)| n == file) else {
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        return Err(WoError::usage(format!(
            "{id}: its evidence has no {} (it has: {})",
            crate::model::wo_id::printable(file),
            names.join(", ")
        ))
        .fix(format!("git wo show {id} --evidence"))
        .into());
    };
    let bytes = ctx.repo.blob(*blob)?;
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(&bytes)?;
    out.flush()?;
    Ok(Exit::Ok)
}
