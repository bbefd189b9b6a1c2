//! A worktree registration a killed `git worktree add` left half made: git wrote the
//! admin dir (`gitdir`, `commondir`, `locked`, maybe `HEAD.lock`) and the folder's
//! `.git` file, but no `HEAD` (and so no checkout that git could finish). git itself
//! neither finishes nor prunes it (it is locked), and it names no branch. This module
//! reads such a registration and takes it apart; whether to (whose it is) is decided
//! above.

use std::collections::BTreeSet;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use gix::ObjectId;

use super::Repo;
use super::command::{failure, git_output};
use super::worktrees::Worktree;

/// Whether `wt`'s admin dir has no `HEAD`: what only an unfinished `git worktree add`
/// leaves.
pub fn is_half_made(wt: &Worktree) -> bool {
    !wt.is_main && std::fs::symlink_metadata(wt.admin_dir.join("HEAD")).is_err()
}

/// Seconds since the newest file of `wt`'s admin dir was written (git writes nothing
/// there after a kill).
pub fn quiet_for(wt: &Worktree) -> u64 {
    let newest = std::fs::read_dir(&wt.admin_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.metadata().and_then(|m| m.modified()).ok())
        .max();
    newest
        .and_then(|t| std::time::SystemTime::now().duration_since(t).ok())
        .map_or(0, |d| d.as_secs())
}

impl Repo {
    /// What the folder of the half-made `wt` holds that a checkout of `commit` would
    /// not have written: any path not in its tree (with no commit, every file), and
    /// a `.git` that is not the file pointing at `wt`'s admin dir. Empty: it holds
    /// nothing of anyone's.
    pub fn half_made_strangers(
        &self,
        wt: &Worktree,
        commit: Option<ObjectId>,
    ) -> Result<Vec<PathBuf>> {
        let tree: BTreeSet<Vec<u8>> = match commit {
            Some(c) => {
                let c = c.to_string();
                let args = [
                    "ls-tree",
                    "-r",
                    "-z",
                    "--name-only",
                    "--full-tree",
                    c.as_str(),
                ];
                let out = git_output(&self.control_root, &args)?;
                if !out.status.success() {
                    return Err(failure(&args, &self.control_root, &out.stderr));
                }
                out.stdout
                    .split(|b| *b == 0)
                    .filter(|s| !s.is_empty())
                    .map(<[u8]>::to_vec)
                    .collect()
            }
            None => BTreeSet::new(),
        };
        let mut strangers = Vec::new();
        if std::fs::symlink_metadata(&wt.path).is_err() {
            return Ok(strangers);
        }
        let dot_git = wt.path.join(".git");
        match std::fs::symlink_metadata(&dot_git) {
            Err(_) => {}
            Ok(m) if m.is_file() => {
                let text = crate::regular::bytes(&dot_git, 4096).unwrap_or_default();
                let text = String::from_utf8_lossy(&text);
                let named = text.trim().strip_prefix("gitdir:").map(str::trim);
                let ours = named.is_some_and(|n| {
                    super::repo::canonical(Path::new(n)) == super::repo::canonical(&wt.admin_dir)
                });
                if !ours {
                    strangers.push(PathBuf::from(".git"));
                }
            }
            Ok(_) => strangers.push(PathBuf::from(".git")),
        }
        let mut stack = vec![PathBuf::new()];
        while let Some(rel) = stack.pop() {
            let entries = std::fs::read_dir(wt.path.join(&rel))
                .with_context(|| format!("reading {}", wt.path.join(&rel).display()))?;
            for e in entries {
                let e = e?;
                let child = rel.join(e.file_name());
                if child == Path::new(".git") {
                    continue;
                }
                let t = e.file_type()?;
                if t.is_dir() {
                    stack.push(child);
                } else if !(t.is_file() || t.is_symlink())
                    || !tree.contains(child.as_os_str().as_bytes())
                {
                    strangers.push(child);
                }
            }
        }
        strangers.sort();
        Ok(strangers)
    }

    /// Take the half-made `wt` apart: the files a checkout wrote in its folder, its
    /// `.git` file and the folder, then its admin dir (the caller checked, right before,
    /// that [`Repo::half_made_strangers`] is empty). A kill half-way leaves either the
    /// same registration with fewer files or metadata whose folder is gone (prunable).
    pub fn drop_half_made(&self, wt: &Worktree) -> Result<()> {
        let admin = &wt.admin_dir;
        if !admin.starts_with(self.common_dir.join("worktrees")) {
            anyhow::bail!(
                "{} is not a worktree admin dir of this repository",
                admin.display()
            );
        }
        if let Ok(entries) = std::fs::read_dir(&wt.path) {
            for e in entries.flatten() {
                if e.file_name() == ".git" {
                    continue;
                }
                let p = e.path();
                let r = if e.file_type().is_ok_and(|t| t.is_dir()) {
                    std::fs::remove_dir_all(&p)
                } else {
                    std::fs::remove_file(&p)
                };
                r.with_context(|| format!("removing {}", p.display()))?;
            }
            let dot_git = wt.path.join(".git");
            if std::fs::symlink_metadata(&dot_git).is_ok() {
                std::fs::remove_file(&dot_git)
                    .with_context(|| format!("removing {}", dot_git.display()))?;
            }
            std::fs::remove_dir(&wt.path)
                .with_context(|| format!("removing the folder {}", wt.path.display()))?;
        }
        std::fs::remove_dir_all(admin)
            .with_context(|| format!("removing the worktree metadata {}", admin.display()))
    }
}
