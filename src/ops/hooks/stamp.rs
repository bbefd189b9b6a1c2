//! The stamp the gate hooks leave for post-commit (SPEC §5): what pre-commit verified
//! (the commit it was on top of, the staged jobs tree), when commit-msg passed, and
//! the bypasses commit-msg allowed. A commit post-commit finds no matching stamp for
//! got past the gate (`--no-verify`). One per worktree, in its private git dir.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct GateStamp {
    /// `HEAD` when pre-commit ran (`None`: unborn).
    pub head: Option<String>,
    /// The staged jobs tree it verified (`None`: no jobs dir staged).
    pub jobs_tree: Option<String>,
    pub at: Option<DateTime<Utc>>,
    /// When commit-msg passed the message.
    pub msg_at: Option<DateTime<Utc>>,
    /// Manual closures pre-commit left to commit-msg.
    pub closures: Vec<super::closure::Closure>,
    /// `[wo] bypass:` texts commit-msg allowed, for post-commit to record.
    pub bypasses: Vec<String>,
}

const FILE: &str = "wo/gate-stamp";

fn path(git_dir: &Path) -> PathBuf {
    git_dir.join(FILE)
}

impl GateStamp {
    pub fn read(git_dir: &Path) -> Option<GateStamp> {
        let bytes = std::fs::read(path(git_dir)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    pub fn write(&self, git_dir: &Path) -> std::io::Result<()> {
        let p = path(git_dir);
        if let Some(dir) = p.parent()
            && !dir.is_dir()
        {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        // One commit at a time per worktree (git holds its index.lock): a fixed temp
        // name is enough, then a rename so a reader never sees half a stamp.
        let tmp = p.with_extension("tmp");
        std::fs::write(&tmp, &text)?;
        std::fs::rename(&tmp, &p)
    }

    pub fn remove(git_dir: &Path) {
        let _ = std::fs::remove_file(path(git_dir));
    }
}
