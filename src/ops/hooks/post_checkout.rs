//! `git wo hook post-checkout <old> <new> <branch-flag>`: inside a WO worktree, warn
//! when the branch checked out is not the WO's, and renew the holder's lease. Never
//! fails.

use crate::git::Repo;
use crate::git::worktrees::{self, Head};

/// The warning to print, if any.
pub fn run(repo: &Repo, branch_checkout: bool) -> Option<String> {
    let here = repo.current_worktree.as_ref()?;
    if here == &repo.control_root {
        return None;
    }
    let id = crate::inventory::here::current_wo(repo)?;
    crate::ops::heartbeat::auto_renew(repo, false);
    if !branch_checkout {
        return None;
    }
    let expected = crate::inventory::records::read(repo, id.as_str())
        .ok()
        .flatten()
        .and_then(|s| s.record.branch().map(String::from))
        .unwrap_or_else(|| repo.config.branch_of(id.as_str()));
    let wt = worktrees::list(&repo.common_dir, &repo.control_root)
        .into_iter()
        .find(|w| &w.path == here)?;
    let shown = match &wt.head {
        Head::Branch(b) if *b == expected => return None,
        Head::Branch(b) => b.clone(),
        Head::Detached(sha) => format!("a detached HEAD ({})", &sha[..sha.len().min(12)]),
        Head::Unknown => return None,
    };
    Some(format!(
        "git wo: this worktree belongs to {id}, whose branch is {expected}, but {shown} is checked out; its commits will not be on the WO's branch (fix: git checkout {})",
        crate::error::shell_quote(&expected)
    ))
}
