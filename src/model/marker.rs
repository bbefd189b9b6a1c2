//! Marker lines (SPEC §2): `[WO-0042] intent: <title>` and
//! `[WO-0042] result: <done|failed> verified=<yes|no|skipped> tip=<sha>`, written as
//! notes in `refs/notes/wo` and, with `wo.sessionLog`, appended to a session log.

use std::fs::OpenOptions;
use std::io::Write;

use anyhow::{Context, Result};
use gix::ObjectId;

use crate::git::Repo;
use crate::model::state::State;

pub fn intent(id: &str, title: &str) -> String {
    let title: String = title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("[{id}] intent: {}", title.trim())
}

/// `verified`: Some(true) yes, Some(false) no, None skipped.
pub fn result(id: &str, verdict: State, verified: Option<bool>, tip: &str) -> String {
    let v = match verified {
        Some(true) => "yes",
        Some(false) => "no",
        None => "skipped",
    };
    format!("[{id}] result: {verdict} verified={v} tip={tip}")
}

/// Write `line` as a note on `target` and to the session log if configured.
pub fn write(repo: &Repo, target: ObjectId, line: &str) -> Result<()> {
    repo.append_marker(target, line)?;
    if let Some(log) = &repo.config.session_log {
        let path = repo.control_root.join(log);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("appending to the session log {}", path.display()))?;
        writeln!(f, "{line}")?;
    }
    Ok(())
}
