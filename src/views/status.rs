//! `status`: what this worktree is, how many WOs are in each state, and what to do
//! next; a pure function of the inventory and where the command runs.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::shell_quote;
use crate::inventory::here::{Here, HereKind};
use crate::inventory::{Inventory, WoMap, WoView};
use crate::model::state::State;
use crate::model::wo_id::WoId;
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
        counts: counts(&wos),
        findings,
        next: Vec::new(),
    };
    let mut next = match here.wo.as_ref().and_then(|id| wos.get(id).map(|v| (id, v))) {
        Some((id, v)) => {
            set_holding(&mut status, inv, here, v);
            next_in_worktree(&status, id, here)
        }
        None if here.kind == HereKind::Other => vec!["this worktree belongs to no WO".to_owned()],
        None => wos
            .iter()
            .find(|(_, v)| v.single_state() == Some(State::Pending))
            .map(|(id, _)| format!("git wo take {id}"))
            .into_iter()
            .collect(),
    };
    if findings > 0 {
        next.push(format!("git wo audit   ({findings} finding(s))"));
    }
    if !inv.initialized {
        next.push("git wo init   (mirror the WOs into refs/wo/*)".to_owned());
    }
    status.next = next;
    status
}

/// How many WOs have a copy in each state folder (every state, zeros included). (By
/// state first: a map keyed by owned names cost a string for each of 100,000 WOs.)
fn counts(wos: &WoMap<'_>) -> BTreeMap<String, usize> {
    let mut by_state = [0usize; State::ALL.len()];
    for v in wos.values() {
        for (n, s) in by_state.iter_mut().zip(&State::ALL) {
            *n += usize::from(v.states().contains(s));
        }
    }
    State::ALL
        .iter()
        .zip(by_state)
        .map(|(s, n)| (s.as_str().to_owned(), n))
        .collect()
}

/// The state, holder and lease of the WO whose worktree this is.
fn set_holding(status: &mut Status, inv: &Inventory, here: &Here, v: &WoView<'_>) {
    let record = v.record.map(|s| &s.record);
    status.wo_state = v.single_state().or(record.map(|r| r.state));
    status.holder = record
        .and_then(|r| r.lock.as_ref().map(|l| l.owner.clone()))
        .or_else(|| v.lock().and_then(|l| l.user.clone()));
    status.you_hold_it = here.holds;
    let end = inv.lease_end(v);
    status.lease_expires_at = end.map(crate::model::when::shown);
    status.lease_expired = end.map(|end| end <= inv.now);
    status.lease_shown = end.map(|end| crate::model::when::lease(end, inv.now));
}

/// What to do next in the worktree of `id`, by its state and who holds it.
fn next_in_worktree(status: &Status, id: &WoId, here: &Here) -> Vec<String> {
    let expired = status.lease_expired == Some(true);
    match (status.wo_state, status.you_hold_it) {
        (Some(State::Running), true) => {
            let mut next = Vec::new();
            if expired {
                next.push(format!(
                    "your lease expired (anyone may --steal it now): git wo heartbeat {id}"
                ));
            }
            next.push("commit your work here".to_owned());
            next.push(format!(
                "git wo finish {id} --result done   (or --result failed)"
            ));
            next
        }
        (Some(State::Running), false) => vec![format!(
            "{id} is held by {}{}: git wo show {id}",
            status.holder.as_deref().unwrap_or("someone else"),
            if expired { ", whose lease expired" } else { "" }
        )],
        (Some(s), _) if s.is_terminal() => vec![format!(
            "{id} is {s}: this worktree is a zombie; remove it when clean: git worktree remove -- {}",
            shell_quote(&here.worktree.to_string_lossy())
        )],
        _ => vec![format!("git wo show {id}")],
    }
}
