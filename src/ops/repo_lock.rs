//! The repository-wide lock of `gc` (`<git-common-dir>/wo/repo.lock`): one remover at
//! a time, and every removal checked again while it is held, so there is no gap
//! between the check and the act. Created with `O_EXCL`; released on drop. A lock left
//! by a process that died on this host is taken over; any other is a conflict (exit 3).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::error::{WoError, shell_quote};

pub const FILE: &str = "repo.lock";

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
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    writeln!(f, "pid {}\nhost {host}\nop {op}", std::process::id())?;
                    f.sync_all()?;
                    return Ok(RepoLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = fs::read_to_string(&path).unwrap_or_default();
                    let field = |k: &str| {
                        text.lines()
                            .find_map(|l| l.strip_prefix(k).map(|v| v.trim().to_owned()))
                    };
                    let pid = field("pid ").and_then(|p| p.parse::<u32>().ok());
                    let dead = field("host ").as_deref() == Some(host.as_str())
                        && pid.is_some_and(|p| !crate::host::pid_alive(p));
                    if dead {
                        let _ = fs::remove_file(&path);
                        continue;
                    }
                    return Err(WoError::conflict(format!(
                        "{} holds the repository lock {} (pid {} on {})",
                        field("op ").unwrap_or_else(|| "another git wo".into()),
                        path.display(),
                        pid.map_or("?".into(), |p| p.to_string()),
                        field("host ").unwrap_or_else(|| "?".into()),
                    ))
                    .fix(format!(
                        "wait for it to end; if no git wo is running anywhere: rm -- {}",
                        shell_quote(&path.to_string_lossy())
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
        anyhow::bail!("could not take the repository lock {}", path.display())
    }
}

impl Drop for RepoLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}
