//! Markers (SPEC §5): a [`Step::Marker`](super::Step::Marker) appends its line to the
//! note of a commit (`refs/notes/wo`, one line per marker, so a rerun adds nothing) and
//! to the session log when `wo.sessionLog` is set.

use std::fs::OpenOptions;
use std::io::Write;

use anyhow::{Context, Result};
use gix::ObjectId;

use crate::git::Repo;

/// Write `line` as a note on `target` and to the session log if configured.
pub fn write_marker(repo: &Repo, target: ObjectId, line: &str) -> Result<()> {
    repo.append_marker(target, line)
        .map_err(|e| crate::error::with_fix(e, "retry the command: markers are idempotent"))?;
    if let Some(log) = &repo.config.session_log {
        let path = repo.control_root.join(log);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let already = std::fs::read_to_string(&path)
            .map(|t| t.lines().any(|l| l == line))
            .unwrap_or(false);
        if !already {
            let mut f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .with_context(|| format!("appending to the session log {}", path.display()))?;
            writeln!(f, "{line}")?;
        }
    }
    Ok(())
}
