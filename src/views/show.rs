//! `show`: everything known about one WO (its row, record, `.lock`, worktrees,
//! history, markers and findings), a pure function of the inventory plus the record's
//! history and marker lines read for it.

use serde::Serialize;

use crate::git::worktrees::Worktree;
use crate::inventory::markers::MarkerLine;
use crate::inventory::record_history::HistoryEntry;
use crate::inventory::records::Stored;
use crate::inventory::{Inventory, WoView};
use crate::model::finding::Finding;
use crate::model::lockfile::LockFile;
use crate::model::wo_id::WoId;
use crate::views::audit::audit_of;
use crate::views::list::{Row, row};

/// What `show` prints.
pub struct Show<'a> {
    pub row: Row<'a>,
    pub record: Option<&'a Stored>,
    pub lock_file: Option<&'a LockFile>,
    pub worktrees: Vec<&'a Worktree>,
    pub history: Vec<HistoryEntry>,
    pub markers: Vec<MarkerLine>,
    pub findings: Vec<Finding>,
}

/// The view of `id`, or `None` when nothing at all is known about it (no YAML, no
/// record, no worktree).
pub fn show<'a>(
    inv: &'a Inventory,
    id: &WoId,
    history: Vec<HistoryEntry>,
    markers: Vec<MarkerLine>,
) -> Option<Show<'a>> {
    let wos = inv.wos();
    let view: &WoView<'a> = wos
        .get(id)
        .filter(|v| !v.files().is_empty() || v.record.is_some() || !v.worktrees().is_empty())?;
    let findings = audit_of(inv, &wos)
        .into_iter()
        .filter(|f| f.wo_id.as_deref() == Some(id.as_str()))
        .collect();
    Some(Show {
        row: row(inv, id, view),
        record: view.record,
        lock_file: view.lock(),
        worktrees: view.worktrees().to_vec(),
        history,
        markers,
        findings,
    })
}

/// The `--json` document.
#[derive(Serialize)]
pub struct ShowJson<'a> {
    pub schema: &'static str,
    pub wo: &'a Row<'a>,
    pub record: Option<&'a crate::model::record::Record>,
    pub record_commit: Option<String>,
    pub lock_file: Option<serde_json::Value>,
    pub worktrees: Vec<serde_json::Value>,
    pub history: &'a [HistoryEntry],
    pub markers: &'a [MarkerLine],
    pub findings: &'a [Finding],
}

impl Show<'_> {
    pub fn json<'s>(&'s self, inv: &Inventory) -> ShowJson<'s> {
        ShowJson {
            schema: "git-wo.show.v1",
            wo: &self.row,
            record: self.record.map(|s| &s.record),
            record_commit: self.record.map(|s| s.commit.to_string()),
            lock_file: self.lock_file.map(|l| {
                serde_json::json!({"path": inv.rel(&l.rel_path), "user": l.user, "pid": l.pid,
                    "host": l.host, "locked_at": l.locked_at.map(crate::model::when::shown)})
            }),
            worktrees: self
                .worktrees
                .iter()
                .map(|w| serde_json::json!({"path": w.path, "exists": w.exists, "branch": w.branch(), "locked": w.locked}))
                .collect(),
            history: &self.history,
            markers: &self.markers,
            findings: &self.findings,
        }
    }
}
