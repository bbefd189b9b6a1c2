//! The few things run through the `git` CLI: writing config, adding, locking and
//! removing worktrees, creating branches, `status` of a worktree, and the
//! `worktree list --porcelain` snapshot. Everything else goes through gix.

use std::path::Path;
use std::process::{Command, Output};

use anyhow::{Context, Result};

use crate::error::GitFailure;

/// `git -C <dir>`, with none of the `GIT_DIR`, `GIT_WORK_TREE`, `GIT_INDEX_FILE` a hook
/// or a caller's environment may carry (they would point git elsewhere).
pub fn command(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C")
        .arg(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    c
}

/// The error of `git <args>` in `dir` that exited non-zero with `stderr`.
pub fn failure(args: &[&str], dir: &Path, stderr: &[u8]) -> anyhow::Error {
    GitFailure {
        command: args.join(" "),
        dir: dir.display().to_string(),
        stderr: String::from_utf8_lossy(stderr).trim().to_owned(),
    }
    .into()
}

/// Run `git <args>` in `dir`; fail with git's stderr when it exits non-zero.
pub fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = git_output(dir, args)?;
    if !out.status.success() {
        return Err(failure(args, dir, &out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Run `git <args>` in `dir` and return its output whatever its exit status.
pub fn git_output(dir: &Path, args: &[&str]) -> Result<Output> {
    command(dir)
        .args(args)
        .output()
        .with_context(|| format!("running `git {}` (is git installed?)", args.join(" ")))
}
