//! The holder's session: a random 128-bit id kept in the WO worktree's private git dir
//! (`<common-dir>/worktrees/<name>/wo-session`), so any process running inside that
//! worktree is the holder, and nobody else is.

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

/// Whether the process (running in the worktree whose private git dir is `git_dir`) holds
/// `record`'s lock: same WO, same session. `Err(token)` when it held it under an older
/// token (it has lost the lock).
pub fn holds(git_dir: &Path, record: &crate::model::record::Record) -> Result<bool, u64> {
    let Some(s) = Session::read(git_dir) else {
        return Ok(false);
    };
    let Some(lock) = &record.lock else {
        return Ok(false);
    };
    if s.id != record.id {
        return Ok(false);
    }
    if s.session == lock.session && s.token == record.token {
        return Ok(true);
    }
    if s.token < record.token {
        Err(s.token)
    } else {
        Ok(false)
    }
}
