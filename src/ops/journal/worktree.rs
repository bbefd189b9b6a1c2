//! The steps on branches and worktrees: a take's branch created (never moved) and its
//! worktree added or reused (git-locked, a half-done checkout repaired on a resume),
//! the holder's session written, a worktree released (unlocked, removed when the
//! caller found it safe), a half-made registration a killed `git worktree add` left
//! taken apart ([`half_made_droppable`]), and a commit kept reachable before its
//! worktree goes.

use std::path::Path;

use anyhow::{Context, Result};
use gix::ObjectId;

use super::executor::{Journal, Progress, Undo};
use super::plan::Applied;
use crate::error::{WoError, shell_quote};
use crate::git::Repo;
use crate::git::refs::Expect;
use crate::git::worktrees::{self, Head, Worktree};
use crate::model::session::{self, Session};
use crate::model::wo_id::WoId;

impl Journal<'_> {
    /// [`Step::CreateBranch`](super::Step::CreateBranch): an existing branch is never
    /// touched; one created here is deleted by an undo (if still where it was made).
    pub(super) fn create_branch(
        &mut self,
        name: &str,
        at: ObjectId,
        p: &mut Progress,
    ) -> Result<()> {
        let repo = self.repo;
        if repo.branch_tip(name)?.is_none() {
            repo.create_branch(name, at)?;
            p.undo.push(Undo::Branch {
                name: name.to_owned(),
                at,
            });
            p.done.branch_created = true;
        }
        Ok(())
    }

    /// Add (or reuse) the worktree of a take.
    pub(super) fn add_worktree(
        &self,
        id: &WoId,
        path: &Path,
        branch: &str,
        reason: &str,
        repair: bool,
        undo: &mut Vec<Undo>,
    ) -> Result<(Worktree, bool)> {
        let repo = self.repo;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let shown = shell_quote(&path.to_string_lossy());
        match find_worktree(repo, path) {
            Some(wt) if wt.exists => {
                if wt.head != Head::Branch(branch.to_owned()) {
                    return Err(WoError::failed(format!(
                        "{id}: worktree {} exists but is not on {branch}",
                        path.display()
                    ))
                    .fix(format!("git -C {shown} switch -- {}", shell_quote(branch)))
                    .into());
                }
                repo.lock_worktree(&wt, reason)?;
                if !repair {
                    return Ok((wt, false));
                }
                repo.repair_checkout(&wt).map_err(|e| {
                    anyhow::Error::from(
                        WoError::failed(format!(
                            "{id}: worktree {} has an incomplete checkout and holds changes: {e:#}",
                            path.display()
                        ))
                        .fix(format!("git -C {shown} status (keep what you need, then git -C {shown} reset --hard)")),
                    )
                })?;
                Ok((wt, false))
            }
            Some(_) => Err(WoError::failed(format!(
                "{id}: {} is registered but missing (prunable)",
                path.display()
            ))
            .fix("git worktree prune")
            .into()),
            None => {
                if std::fs::symlink_metadata(path).is_ok() {
                    return Err(WoError::usage(format!(
                        "{id}: {} exists and is not a worktree of this repository",
                        path.display()
                    ))
                    .fix(format!(
                        "move {shown} away, or set another folder: git config wo.worktreeDir <dir>"
                    ))
                    .into());
                }
                if let Some(u) = repo.add_worktree(path, branch, reason)? {
                    eprintln!(
                        "git wo: warning: {id}: waited {:.1} s for {} (held by another `git worktree add` in this repository, which may hang in a hook) and added {} without it",
                        u.waited.as_secs_f64(),
                        u.lock.display(),
                        path.display()
                    );
                }
                undo.push(Undo::Worktree {
                    path: path.to_path_buf(),
                });
                let wt = find_worktree(repo, path)
                    .with_context(|| format!("{id}: git did not register {}", path.display()))?;
                Ok((wt, true))
            }
        }
    }
}

/// [`Step::WriteSession`](super::Step::WriteSession): into the worktree's private git
/// dir.
pub(super) fn write_session(repo: &Repo, id: &WoId, path: &Path, session: &Session) -> Result<()> {
    let wt = find_worktree(repo, path)
        .with_context(|| format!("{id}: {} is not a registered worktree", path.display()))?;
    session.write(&wt.admin_dir)?;
    Ok(())
}

/// [`Step::ReleaseWorktree`](super::Step::ReleaseWorktree): git-wo's git lock dropped;
/// the worktree removed (`remove`), else its session file.
pub(super) fn release_worktree(
    repo: &Repo,
    path: &Path,
    remove: bool,
    force: bool,
    done: &mut Applied,
) -> Result<()> {
    let Some(wt) = find_worktree(repo, path) else {
        return Ok(());
    };
    if wt
        .locked
        .as_deref()
        .is_some_and(|r| r.starts_with("git-wo "))
    {
        repo.unlock_worktree(&wt)?;
    }
    if remove && wt.exists {
        // `git worktree remove` deletes the admin dir (and the session file in it)
        // last: a crash before leaves the holder's session in place, so a plain rerun
        // by the holder still works.
        if force {
            repo.force_remove_worktree(&wt.path)?;
        } else {
            repo.remove_worktree(&wt.path)?;
        }
        done.worktree_removed = true;
    } else {
        let _ = std::fs::remove_file(wt.admin_dir.join(session::FILE));
    }
    Ok(())
}

/// [`Step::DropHalfMade`](super::Step::DropHalfMade): checked again right before.
pub(super) fn drop_half_made(
    repo: &Repo,
    id: &WoId,
    path: &Path,
    commit: Option<ObjectId>,
    done: &mut Applied,
) -> Result<()> {
    if let Some(wt) = find_worktree(repo, path) {
        if let Err(why) = half_made_droppable(repo, id, &wt, commit) {
            return Err(WoError::failed(format!("{id}: {why}"))
                .fix(half_made_fix(&wt))
                .into());
        }
        repo.drop_half_made(&wt)?;
        done.half_made_dropped.push(wt.path.clone());
    }
    Ok(())
}

/// [`Step::SaveCommit`](super::Step::SaveCommit): a ref already at `at` is left as it
/// is; one elsewhere is an error.
pub(super) fn save_commit(repo: &Repo, op: &str, name: &str, at: ObjectId) -> Result<()> {
    match repo.ref_target(name)? {
        Some(now) if now == at => {}
        Some(now) => anyhow::bail!("{name} exists and points at {now}, not at {at}"),
        None => repo.cas_ref(name, Expect::Absent, at, &format!("git wo: {op}"))?,
    }
    Ok(())
}

/// The linked worktree registered at `path`, if any.
pub fn find_worktree(repo: &Repo, path: &Path) -> Option<Worktree> {
    let path = crate::git::repo::canonical(path);
    worktrees::list(&repo.common_dir, &repo.control_root)
        .into_iter()
        .find(|w| !w.is_main && w.path == path)
}

/// How long (seconds) a half-made worktree registration must have been left alone
/// before it is taken apart: `git worktree add` writes `HEAD` right after the files a
/// kill leaves, so a live add is past that state within this.
pub const HALF_MADE_QUIET: u64 = 10;

/// Whether the half-made worktree `wt` may be taken apart for `id`: `Err(why)` names
/// what keeps it (a lock that is not its take's, recent writes, files not in the
/// branch's tree).
pub fn half_made_droppable(
    repo: &Repo,
    id: &WoId,
    wt: &Worktree,
    commit: Option<ObjectId>,
) -> std::result::Result<(), String> {
    use crate::git::half_made;
    let shown = wt.path.display();
    if !half_made::is_half_made(wt) {
        return Err(format!(
            "worktree {shown} has a HEAD now: it is not half made"
        ));
    }
    let lock = wt.locked.as_deref().unwrap_or("");
    if !crate::model::lock_reason::made_by_add_of(lock, id.as_str()) {
        return Err(format!(
            "the half-made worktree {shown} is locked by someone else ({lock:?})"
        ));
    }
    let quiet = half_made::quiet_for(wt);
    if quiet < HALF_MADE_QUIET {
        return Err(format!(
            "the half-made worktree {shown} was written {quiet}s ago: a git worktree add may still run"
        ));
    }
    let strangers = repo
        .half_made_strangers(wt, commit)
        .map_err(|e| format!("the half-made worktree {shown} cannot be read: {e:#}"))?;
    if !strangers.is_empty() {
        let names: Vec<String> = strangers
            .iter()
            .take(5)
            .map(|p| crate::error::escaped(p.as_os_str()))
            .collect();
        return Err(format!(
            "the half-made worktree {shown} holds {} file(s) that are not in its branch's tree, so it was kept: {}",
            strangers.len(),
            names.join(", ")
        ));
    }
    Ok(())
}

/// What a person runs about a half-made worktree git-wo keeps.
pub fn half_made_fix(wt: &Worktree) -> String {
    let p = shell_quote(&wt.path.to_string_lossy());
    format!(
        "look at it (ls -la {p}); move away what you need, then: git worktree unlock {p}; git worktree remove --force {p}"
    )
}
