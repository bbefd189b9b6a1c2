//! `status`: what this worktree is, how many WOs are in each state, and what to do
//! next; a pure function of the inventory and where the command runs.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::shell_quote;
use crate::inventory::Inventory;
use crate::inventory::here::{Here, HereKind};
use crate::model::state::State;
use crate::views::audit::audit_of;

#[derive(Debug, Serialize)]
pub struct Status {
    pub schema: &'static str,
    /// `control`, `wo` (a WO's worktree) or `other` (a linked worktree of no WO).
    pub worktree_kind: &'static str,
    pub worktree: String,
    pub wo: Option<String>,
    pub wo_state: Option<State>,
    pub holder: Option<String>,
    pub you_hold_it: bool,
    pub lease_expires_at: Option<String>,
    /// Whether that lease has ended (a stale lock); `None` when there is no lease.
    pub lease_expired: Option<bool>,
    /// The lease for people: `lease until …` or `lease expired at … (… ago)`.
    #[serde(skip)]
    pub lease_shown: Option<String>,
    pub counts: BTreeMap<String, usize>,
    pub findings: usize,
    pub next: Vec<String>,
}

pub fn status(inv: &Inventory, here: &Here) -> Status {
    let wos = inv.wos();
    let findings = audit_of(inv, &wos).len();
    let mut counts: BTreeMap<String, usize> = State::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), 0))
        .collect();
    for v in wos.values() {
        for s in &v.states {
            *counts.entry(s.as_str().to_owned()).or_insert(0) += 1;
        }
    }
    let mut next = Vec::new();
    let mut status = Status {
        schema: "git-wo.status.v1",
        worktree_kind: here.kind.as_str(),
        worktree: here.worktree.to_string_lossy().into_owned(),
        wo: here.wo.as_ref().map(|i| i.to_string()),
        wo_state: None,
        holder: None,
        you_hold_it: false,
        lease_expires_at: None,
        lease_expired: None,
        lease_shown: None,
        counts,
        findings,
        next: Vec::new(),
    };
    match here.wo.as_ref().and_then(|id| wos.get(id).map(|v| (id, v))) {
        Some((id, v)) => {
            let record = v.record.map(|s| &s.record);
            status.wo_state = v.single_state().or(record.map(|r| r.state));
            status.holder = record
                .and_then(|r| r.lock.as_ref().map(|l| l.owner.clone()))
                .or_else(|| v.lock.and_then(|l| l.user.clone()));
            status.you_hold_it = here.holds;
            let end = inv.lease_end(v);
            let expired = end.is_some_and(|end| end <= inv.now);
            status.lease_expires_at = end.map(crate::model::when::shown);
            status.lease_expired = end.map(|end| end <= inv.now);
            status.lease_shown = end.map(|end| crate::model::when::lease(end, inv.now));
            match (status.wo_state, status.you_hold_it) {
                (Some(State::Running), true) => {
                    if expired {
                        next.push(format!(
                            "your lease expired (anyone may --steal it now): git wo heartbeat {id}"
                        ));
                    }
                    next.push("commit your work here".to_owned());
                    next.push(format!(
                        "git wo finish {id} --result done   (or --result failed)"
                    ));
                }
                (Some(State::Running), false) => next.push(format!(
                    "{id} is held by {}{}: git wo show {id}",
                    status.holder.as_deref().unwrap_or("someone else"),
                    if expired { ", whose lease expired" } else { "" }
                )),
                (Some(s), _) if s.is_terminal() => next.push(format!(
                    "{id} is {s}: this worktree is a zombie; remove it when clean: git worktree remove -- {}",
                    shell_quote(&here.worktree.to_string_lossy())
                )),
                _ => next.push(format!("git wo show {id}")),
            }
        }
        None if here.kind == HereKind::Other => {
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
    if !inv.initialized {
        next.push("git wo init   (mirror the WOs into refs/wo/*)".to_owned());
    }
    status.next = next;
    status
}
