//! The repository-wide lock of `gc` (`<git-common-dir>/wo/repo.lock`): one remover at
//! a time, and every removal checked again while it is held, so there is no gap
//! between the check and the act. Created with `O_EXCL`; released on drop.
//!
//! A lock nothing holds is taken over (see [`crate::model::repo_lock`]): one left by a
//! process that died on this host, or one that names no holder and is older than a
//! short grace (a kill between creating and writing it). Any other is a conflict
//! (exit 3); a `repo.lock` that is not a regular file is never read or removed.
//!
//! Taking over is a rename of the stale file aside, then a check that the file moved
//! is the one judged stale (same inode): when another process took it over first and
//! wrote its own lock meanwhile, that lock is put back and this one waits its turn.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::error::{WoError, shell_quote};
use crate::inventory::read_repo_lock;

pub use crate::model::repo_lock::FILE;

#[derive(Debug)]
pub struct RepoLock {
    path: PathBuf,
}

impl RepoLock {
    /// Take the lock for `op` (e.g. `gc`).
    pub fn acquire(wo_dir: &Path, op: &str) -> Result<RepoLock> {
        fs::create_dir_all(wo_dir).with_context(|| format!("creating {}", wo_dir.display()))?;
        let path = wo_dir.join(FILE);
        let host = crate::host::hostname();
        for _ in 0..3 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    let lock = RepoLock { path };
                    writeln!(f, "pid {}\nhost {host}\nop {op}", std::process::id())?;
                    f.sync_all()?;
                    return Ok(lock);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    // Its inode first: what is judged below is this file.
                    let Ok(ino) = fs::symlink_metadata(&path).map(|m| m.ino()) else {
                        continue; // released meanwhile
                    };
                    let Some(found) = read_repo_lock(wo_dir) else {
                        continue;
                    };
                    let shown = shell_quote(&path.to_string_lossy());
                    if let Some(what) = found.not_a_file {
                        return Err(WoError::usage(format!(
                            "the repository lock {} is {what}, not a lock file; git wo never reads or removes it",
                            path.display()
                        ))
                        .fix(format!("look at it, then move it away: mv -- {shown} /tmp/"))
                        .into());
                    }
                    if let Some(why) = &found.stale {
                        take_over(&path, ino, why)?;
                        continue;
                    }
                    return Err(WoError::conflict(format!(
                        "{} holds the repository lock {} ({})",
                        found.holder.op.as_deref().unwrap_or("another git wo"),
                        path.display(),
                        found.holder.shown(),
                    ))
                    .fix(format!(
                        "wait for it to end; if no git wo is running anywhere: rm -- {shown}"
                    ))
                    .into());
                }
                Err(e) => {
                    return Err(
                        anyhow::Error::from(e).context(format!("creating {}", path.display()))
                    );
                }
            }
        }
        Err(WoError::conflict(format!(
            "could not take the repository lock {}: other processes keep taking it",
            path.display()
        ))
        .fix("wait for them to end, then rerun")
        .into())
    }
}

/// Move the stale lock at `path` (inode `ino`) out of the way. When the file moved is
/// not that one (another process replaced it meanwhile), it is put back if its place
/// is still free.
fn take_over(path: &Path, ino: u64, why: &str) -> Result<()> {
    let aside = path.with_file_name(format!("{FILE}.stale-{}", std::process::id()));
    match fs::rename(path, &aside) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(anyhow::Error::from(e).context(format!(
                "taking over the stale repository lock {} ({why})",
                path.display()
            )));
        }
    }
    let moved = fs::symlink_metadata(&aside).map(|m| m.ino()).ok();
    if moved != Some(ino) {
        // Someone else's live lock: back where it was (a link never replaces a file).
        if fs::hard_link(&aside, path).is_ok() {
            let _ = fs::remove_file(&aside);
        }
        return Ok(());
    }
    eprintln!(
        "git wo: took over the stale repository lock {} ({why})",
        path.display()
    );
    let _ = fs::remove_file(&aside);
    Ok(())
}

impl Drop for RepoLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}
