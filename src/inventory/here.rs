//! Which WO the current worktree belongs to, for commands whose id is optional.

use anyhow::Result;

use crate::error::WoError;
use crate::git::Repo;
use crate::git::worktrees;
use crate::model::session::Session;
use crate::model::wo_id::WoId;

/// The WO of the worktree the command runs in: its session file, else its lock reason
/// or directory name.
pub fn current_wo(repo: &Repo) -> Option<WoId> {
    if let Some(s) = Session::read(&repo.current_git_dir) {
        return WoId::parse(&s.id).ok();
    }
    let here = repo.current_worktree.as_ref()?;
    let wt = worktrees::list(&repo.common_dir, &repo.control_root)
        .into_iter()
        .find(|w| !w.is_main && &w.path == here)?;
    wt.locked
        .as_deref()
        .and_then(worktrees::parse_lock_reason)
        .and_then(|(id, _)| WoId::parse(&id).ok())
        .or_else(|| {
            wt.path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| WoId::parse(n).ok())
        })
}

/// `explicit` parsed, or the current worktree's WO; `command` names the command for the fix.
pub fn id_or_here(repo: &Repo, explicit: Option<&str>, command: &str) -> Result<WoId> {
    match explicit {
        Some(s) => Ok(WoId::parse(s)
            .map_err(|why| WoError::usage(format!("not a WO id: {why}")).fix("git wo list"))?),
        None => current_wo(repo).ok_or_else(|| {
            WoError::usage(format!(
                "no WO id given and {} is not a WO worktree",
                repo.current_worktree
                    .as_deref()
                    .unwrap_or(&repo.control_root)
                    .display()
            ))
            .fix(format!("git wo {command} <ID> (see git wo list)"))
            .into()
        }),
    }
}
