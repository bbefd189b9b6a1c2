//! Fencing: before every step that moves, deletes, overwrites or unlocks (and before
//! every such undo), the record ref must still hold the commit this journal last wrote
//! or started from: same token, same phase. Otherwise another operation has taken
//! over, and the journal stops (exit 3) changing nothing more. A compare-and-swap that
//! loses says who holds the record now.

use anyhow::Result;
use gix::ObjectId;

use super::executor::Journal;
use super::plan::{Plan, Step};
use crate::error::WoError;
use crate::git::Repo;
use crate::inventory::records;
use crate::model::wo_id::WoId;

impl Journal<'_> {
    /// The commit the record ref must hold (`None`: no record) for the journal to go on.
    pub(super) fn fence(&self) -> Option<ObjectId> {
        self.current.as_ref().map(|s| s.commit)
    }

    /// Before a destructive step: the record must still be where this journal left it.
    pub(super) fn check_fence(&self, plan: &Plan, step: &Step) -> Result<()> {
        if !step.destructive() {
            return Ok(());
        }
        self.ensure_fence(plan)
    }

    /// The fence, checked now (before a destructive step, or an undo).
    pub(super) fn ensure_fence(&self, plan: &Plan) -> Result<()> {
        let id = &plan.id;
        let now = records::read(self.repo, id.as_str()).map_err(|e| invalid_record(id, &e))?;
        if now.as_ref().map(|s| s.commit) == self.fence() {
            return Ok(());
        }
        let was = self
            .current
            .as_ref()
            .map(|s| format!("token {} phase {}", s.record.token, s.record.phase.as_str()))
            .unwrap_or_else(|| "no record".into());
        let is = now
            .as_ref()
            .map(|s| {
                let who = s
                    .record
                    .lock
                    .as_ref()
                    .map(|l| format!(", held by {}", l.owner))
                    .unwrap_or_default();
                format!(
                    "token {} phase {}{who}",
                    s.record.token,
                    s.record.phase.as_str()
                )
            })
            .unwrap_or_else(|| "no record".into());
        Err(WoError::conflict(format!(
            "{id}: the record changed under this {} ({was} → {is}); stopped, nothing more was changed",
            plan.op
        ))
        .fix(format!("git wo show {id}"))
        .into())
    }
}

/// A lost compare-and-swap names who holds the record now.
pub(super) fn lost_to(repo: &Repo, id: &WoId, e: anyhow::Error) -> anyhow::Error {
    let Some(w) = e.downcast_ref::<WoError>() else {
        return e;
    };
    if w.kind != crate::error::Kind::Conflict {
        return e;
    }
    let now = match crate::inventory::records::read(repo, id.as_str()) {
        Ok(Some(s)) => s,
        _ => return e,
    };
    let who = match &now.record.lock {
        Some(l) => format!(
            "{} on {} holds it now (token {}, {})",
            l.owner,
            l.host,
            now.record.token,
            crate::model::when::lease(l.expires_at, crate::clock::now())
        ),
        None => format!(
            "it is {} now (token {})",
            now.record.state, now.record.token
        ),
    };
    WoError::conflict(format!("{id}: someone else changed it first: {who}"))
        .fix(format!("git wo show {id}"))
        .into()
}

/// A record ref that cannot be read is `invalid_record`, with its fix.
pub fn invalid_record(id: &WoId, e: &anyhow::Error) -> anyhow::Error {
    WoError::bad_record(id.as_str(), &format!("{e:#}")).into()
}
