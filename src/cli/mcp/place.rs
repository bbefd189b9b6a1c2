//! Where a call runs: the repository is discovered for every call, as a command run
//! from the server's working directory (or `--root`) would discover it; once that
//! directory is gone (the server stood in a WO worktree that `finish` removed), from
//! the control checkout found at start.
//!
//! `heartbeat` and `finish` act as the WO's holder, which the CLI recognises by the
//! worktree it runs in (its session file, see [`crate::model::session`]): with an id,
//! they run as `cd "$(git wo path ID)" && git wo heartbeat ID` would, in the worktree
//! whose session is that WO's. The acting identity (`wo.owner`, else `user.name`)
//! must still be the lease's owner, and the journal still fences by the record's token.

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::{Ctx, GlobalArgs};
use crate::git::Repo;
use crate::model::session::Session;

pub struct Place {
    pub global: GlobalArgs,
    /// The server's working directory at start.
    pub cwd: PathBuf,
    /// The control checkout found at start.
    pub control_root: PathBuf,
}

impl Place {
    /// The context of a command run here; `renew` renews the lease of the WO whose
    /// worktree this is, as every CLI command but heartbeat, finish and hook does.
    pub fn ctx(&self, renew: bool) -> Result<Ctx> {
        let dir = if self.cwd.is_dir() {
            &self.cwd
        } else {
            &self.control_root
        };
        let global = GlobalArgs {
            json: true,
            no_pager: true,
            ..self.global.clone()
        };
        let ctx = Ctx::at(dir, &global)?;
        if renew {
            crate::ops::heartbeat::auto_renew(&ctx.repo, true);
        }
        Ok(ctx)
    }

    /// The context of a command run by `id`'s holder: in the worktree whose session
    /// is `id`'s when there is one (see the module doc), else here.
    pub fn ctx_of_holder(&self, id: Option<&str>) -> Result<Ctx> {
        let mut ctx = self.ctx(false)?;
        if let Some(id) = id {
            stand_in_worktree_of(&mut ctx.repo, id);
        }
        Ok(ctx)
    }
}

/// Make `id`'s worktree (the one whose session file names it) the one `repo` runs in.
fn stand_in_worktree_of(repo: &mut Repo, id: &str) {
    let found = crate::git::worktrees::list(&repo.common_dir, &repo.control_root)
        .into_iter()
        .find(|w| {
            !w.is_main && w.exists && Session::read(&w.admin_dir).is_some_and(|s| s.id == id)
        });
    if let Some(w) = found {
        repo.current_worktree = Some(w.path);
        repo.current_git_dir = w.admin_dir;
    }
}
