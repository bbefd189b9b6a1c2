//! The holder's session: a random 128-bit id kept in the WO worktree's private git dir
//! (`<common-dir>/worktrees/<name>/wo-session`).
//!
//! Who holds a WO takes two facts: the session file of the worktree a process runs in
//! proves it is the same take (same WO, session and token as the record's lock), and
//! the acting identity ("you": `wo.owner`, else `user.name`, else the login name; see
//! [`Config::you`](crate::model::config::Config::you)) proves it is the same person
//! (the lease's owner). Standing in someone else's worktree makes nobody the holder:
//! another identity there acts only with `--force`, recorded as an override.

use std::fs;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};

pub const FILE: &str = "wo-session";

/// What a worktree remembers about its WO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub session: String,
    pub token: u64,
}

impl Session {
    pub fn read(git_dir: &Path) -> Option<Session> {
        let text = fs::read_to_string(git_dir.join(FILE)).ok()?;
        let mut parts = text.split_whitespace();
        Some(Session {
            id: parts.next()?.to_owned(),
            session: parts.next()?.to_owned(),
            token: parts.next()?.parse().ok()?,
        })
    }

    pub fn write(&self, git_dir: &Path) -> Result<()> {
        let path = git_dir.join(FILE);
        fs::write(
            &path,
            format!("{} {} {}\n", self.id, self.session, self.token),
        )
        .with_context(|| format!("writing {}", path.display()))
    }
}

/// A fresh random 128-bit hex session id.
pub fn new_session_id() -> String {
    let mut bytes = [0u8; 16];
    let filled = fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok();
    if !filled {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let mixed = t ^ (u128::from(std::process::id()) << 64);
        bytes = mixed.to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether the process acting as `you` in the worktree whose private git dir is
/// `git_dir` holds `record`'s lock: same WO, same session and token, and `you` is the
/// lease's owner. `Err(token)` when the worktree's take was superseded (an older
/// token: the lock was lost).
pub fn holds(
    git_dir: &Path,
    record: &crate::model::record::Record,
    you: &str,
) -> Result<bool, u64> {
    let Some(s) = Session::read(git_dir) else {
        return Ok(false);
    };
    let Some(lock) = &record.lock else {
        return Ok(false);
    };
    if s.id != record.id() {
        return Ok(false);
    }
    if s.session == lock.session && s.token == record.token {
        return Ok(lock.owner == you);
    }
    if s.token < record.token {
        Err(s.token)
    } else {
        Ok(false)
    }
}
