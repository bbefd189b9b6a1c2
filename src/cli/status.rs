//! `git wo status`: what this worktree is and what to do next.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Serialize;

use super::Ctx;
use crate::error::Exit;
use crate::inventory::{Inventory, Source};
use crate::model::session::holds;
use crate::model::state::State;
use crate::views::audit::audit;

#[derive(Debug, Serialize)]
struct Status {
    schema: &'static str,
    /// `control`, `wo` (a WO's worktree) or `other` (a linked worktree of no WO).
    worktree_kind: &'static str,
    worktree: String,
    wo: Option<String>,
    wo_state: Option<State>,
    holder: Option<String>,
    you_hold_it: bool,
    lease_expires_at: Option<String>,
    counts: BTreeMap<String, usize>,
    findings: usize,
    next: Vec<String>,
}

pub fn run(ctx: &Ctx) -> Result<Exit> {
    let repo = &ctx.repo;
    let inv = Inventory::gather(repo, Source::WorkingTree)?;
    let wos = inv.wos();
    let findings = audit(&inv).len();
    let mut counts: BTreeMap<String, usize> = State::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), 0))
        .collect();
    for v in wos.values() {
        for s in &v.states {
            *counts.entry(s.as_str().to_owned()).or_insert(0) += 1;
        }
    }
    let here = repo
        .current_worktree
        .clone()
        .unwrap_or_else(|| repo.control_root.clone());
    let wo = crate::inventory::here::current_wo(repo).filter(|_| here != repo.control_root);
    let mut next = Vec::new();
    let mut status = Status {
        schema: "git-wo.status.v1",
        worktree_kind: if here == repo.control_root {
            "control"
        } else if wo.is_some() {
            "wo"
        } else {
            "other"
        },
        worktree: here.to_string_lossy().into_owned(),
        wo: wo.as_ref().map(|i| i.to_string()),
        wo_state: None,
        holder: None,
        you_hold_it: false,
        lease_expires_at: None,
        counts,
        findings,
        next: Vec::new(),
    };
    match wo.as_ref().and_then(|id| wos.get(id).map(|v| (id, v))) {
        Some((id, v)) => {
            let record = v.record.map(|s| &s.record);
            status.wo_state = v.single_state().or(record.map(|r| r.state));
            status.holder = record
                .and_then(|r| r.lock.as_ref().map(|l| l.owner.clone()))
                .or_else(|| v.lock.and_then(|l| l.user.clone()));
            status.you_hold_it =
                record.is_some_and(|r| holds(&repo.current_git_dir, r) == Ok(true));
            status.lease_expires_at = inv.lease_end(v).map(|t| t.to_rfc3339());
            match (status.wo_state, status.you_hold_it) {
                (Some(State::Running), true) => {
                    next.push("commit your work here".to_owned());
                    next.push(format!("git wo finish {id} --result done   (or --result failed)"));
                }
                (Some(State::Running), false) => next.push(format!("{id} is held by {}: git wo show {id}", status.holder.clone().unwrap_or_else(|| "someone else".into()))),
                (Some(s), _) if s.is_terminal() => next.push(format!("{id} is {s}: this worktree is a zombie; remove it when clean: git worktree remove -- {}", crate::error::shell_quote(&here.to_string_lossy()))),
                _ => next.push(format!("git wo show {id}")),
            }
        }
        None if status.worktree_kind == "other" => {
            next.push("this worktree belongs to no WO".to_owned())
        }
        None => {
            let pending = wos
                .iter()
                .find(|(_, v)| v.single_state() == Some(State::Pending))
                .map(|(id, _)| id.to_string());
            if let Some(id) = pending {
                next.push(format!("git wo take {id}"));
            }
        }
    }
    if findings > 0 {
        next.push(format!("git wo audit   ({findings} finding(s))"));
    }
    if !repo.config.initialized {
        next.push("git wo init   (mirror the WOs into refs/wo/*)".to_owned());
    }
    status.next = next;
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
                    ", held by you ({h}) until {}",
                    status.lease_expires_at.clone().unwrap_or_default()
                ),
                (Some(h), false) => format!(", held by {h}"),
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
