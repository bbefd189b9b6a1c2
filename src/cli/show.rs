//! `git wo show <ID>`.

use anyhow::Result;

use super::Ctx;
use crate::cli::document::Document;
use crate::cli::{ShowArgs, paint};
use crate::error::{Exit, WoError};
use crate::inventory::{Depth, Inventory, Source, marker_copies, markers, record_history, records};
use crate::model::wo_id::WoId;
use crate::views::show::{Show, show};

fn id_of(args: &ShowArgs) -> Result<WoId> {
    Ok(WoId::parse(&args.id)
        .map_err(|why| WoError::usage(format!("not a WO id: {why}")).fix("git wo list"))?)
}

/// Call `f` with the view of `id` (an error when nothing is known about it).
fn with_view<R>(ctx: &Ctx, id: &WoId, f: impl FnOnce(&Inventory, &Show) -> R) -> Result<R> {
    let inv = Inventory::gather(&ctx.repo, Source::WorkingTree, Depth::Fields)?;
    inv.refuse_bad_record(id)?;
    let history = record_history::history(&ctx.repo, id.as_str(), 50)?;
    let branch_tip = inv
        .wos()
        .get(id)
        .map(|v| inv.expected_branch(id, v))
        .and_then(|b| ctx.repo.branch_tip(&b).ok().flatten());
    let markers = marker_copies::one_each(
        &ctx.repo,
        markers::lines_of(&ctx.repo, id.as_str())?,
        branch_tip,
    );
    let Some(view) = show(&inv, id, history, markers) else {
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
    Ok(f(&inv, &view))
}

/// What `show --json` prints (and `git wo mcp`'s `show` returns): the WO's document,
/// the list of its evidence files (`--evidence`), or one of them as it is
/// (`--evidence FILE`).
pub fn document(ctx: &Ctx, args: &ShowArgs) -> Result<Document> {
    let id = id_of(args)?;
    match args.evidence.as_deref() {
        Some("") => {
            let (commit, files) = evidence_of(ctx, &id)?;
            let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
            Document::json(&serde_json::json!({
                "schema": "git-wo.evidence.v1",
                "id": id.as_str(),
                "commit": commit.to_string(),
                "files": names,
            }))
        }
        Some(file) => evidence_file(ctx, &id, file).map(Document::Bytes),
        None => with_view(ctx, &id, |inv, view| Document::json(&view.json(inv)))?,
    }
}

pub fn run(ctx: &Ctx, args: &ShowArgs) -> Result<Exit> {
    let id = id_of(args)?;
    if ctx.out.json || args.evidence.as_deref().is_some_and(|f| !f.is_empty()) {
        document(ctx, args)?.print()?;
        return Ok(Exit::Ok);
    }
    if args.evidence.is_some() {
        for (name, _) in evidence_of(ctx, &id)?.1 {
            ctx.out.line(name);
        }
        return Ok(Exit::Ok);
    }
    with_view(ctx, &id, |inv, view| render(ctx, &id, inv, view))?;
    Ok(Exit::Ok)
}

fn render(ctx: &Ctx, id: &WoId, inv: &Inventory, view: &Show) {
    let out = &ctx.out;
    let r = &view.row;
    let states: Vec<String> = r
        .states
        .iter()
        .map(|s| paint::state(out, s, s.as_str()))
        .collect();
    out.line(format!(
        "{}  {}",
        paint::priority(out, r.priority, id.as_str()),
        paint::heading(out, r.title)
    ));
    out.line(format!("  state:    {}", states.join(" + ")));
    for f in r.files.as_slice() {
        out.line(format!("  file:     {}", f.rel_text()));
    }
    record(out, inv, view);
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
    history(out, view);
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
}

/// The record's lines: state, phase and token, the lease, the branch, the result.
fn record(out: &crate::cli::output::Out, inv: &Inventory, view: &Show) {
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
            if let Some(b) = &rec.branch() {
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
}

/// The record's history, newest first, each entry with who did it.
fn history(out: &crate::cli::output::Out, view: &Show) {
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
}

/// The evidence of `id`'s latest finish: its commit and files.
fn evidence_of(ctx: &Ctx, id: &WoId) -> Result<(gix::ObjectId, records::EvidenceFiles)> {
    let Some(found) = records::evidence(&ctx.repo, id.as_str())? else {
        return Err(WoError::usage(format!(
            "{id}: its record holds no evidence (git wo finish writes it)"
        ))
        .fix(format!("git wo show {id}"))
        .into());
    };
    Ok(found)
}

/// `show <ID> --evidence FILE`: that file of its latest finish's evidence.
fn evidence_file(ctx: &Ctx, id: &WoId, file: &str) -> Result<Vec<u8>> {
    let (_, files) = evidence_of(ctx, id)?;
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
    ctx.repo.blob(*blob)
}
