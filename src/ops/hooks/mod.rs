//! The hooks (SPEC §5): installing the shims, and what each hook does when git runs
//! it (`git wo hook <name>`).
//!
//! The gate applies to commits in the control checkout, whose jobs dir is the live
//! state; a linked worktree's copy of the jobs dir is an old snapshot on a branch, so
//! commits there are only stamped (for the bypass check), not gated; in a WO's worktree
//! whose WO has a `scope`, pre-commit checks the staged paths against it.

pub mod closure;
pub mod commit_msg;
pub mod install;
pub mod post_checkout;
pub mod post_commit;
pub mod pre_commit;
pub mod stamp;
pub mod verdict_cache;

use std::path::PathBuf;

use anyhow::Result;
use gix::ObjectId;

use crate::git::Repo;
use crate::git::index::Staged;

/// Where a commit in progress is made from, as the hook sees it.
pub struct CommitSite {
    /// The index being committed: `$GIT_INDEX_FILE`, else the worktree's index.
    pub index: PathBuf,
    /// `HEAD` of the worktree committing (`None`: unborn).
    pub head: Option<ObjectId>,
    /// Whether it is the control checkout (the gate applies).
    pub control: bool,
    /// The private git dir of that worktree (where the stamp is kept).
    pub git_dir: PathBuf,
}

impl CommitSite {
    pub fn here(repo: &Repo) -> Result<CommitSite> {
        let control = match &repo.current_worktree {
            Some(wt) => wt == &repo.control_root,
            None => false,
        };
        let head = match (&repo.current_worktree, control) {
            (Some(wt), false) => repo.worktree_head(wt),
            _ => repo.head_commit(),
        };
        let index = match std::env::var_os("GIT_INDEX_FILE").filter(|v| !v.is_empty()) {
            Some(p) => {
                let p = PathBuf::from(p);
                if p.is_absolute() {
                    p
                } else {
                    std::env::current_dir()?.join(p)
                }
            }
            None => match (&repo.current_worktree, control) {
                (Some(wt), false) => gix::open(wt)?.index_path(),
                _ => repo.control_index_path()?,
            },
        };
        Ok(CommitSite {
            index,
            head,
            control,
            git_dir: repo.current_git_dir.clone(),
        })
    }

    /// The staged jobs tree and `HEAD`'s: equal when the commit does not touch the
    /// jobs dir.
    pub fn jobs_trees(&self, repo: &Repo) -> Result<(Option<ObjectId>, Option<ObjectId>)> {
        let jobs = repo.jobs_rel();
        let t = crate::trace::phase("pre-commit: staged tree");
        let staged = match crate::git::cache_tree::cached_tree_id(&self.index, &jobs) {
            Some(id) => Some(id),
            None => Staged::read(&self.index)?.tree_of(&jobs)?,
        };
        drop(t);
        let _t = crate::trace::phase("pre-commit: HEAD tree");
        let head = match self.head {
            Some(h) => repo.tree_at(h, &jobs)?,
            None => None,
        };
        Ok((staged, head))
    }
}
