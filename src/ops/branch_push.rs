//! After a finish, the WO's branch goes to the remote too (`wo.pushBranches`, on
//! whenever a remote is set: `wo.remote` or `--remote`), so that the result marker
//! `git wo sync` carries to the other clones names a commit they can fetch. The finish
//! is done by then: a push that fails is a warning naming the command to run, never a
//! failed finish.

use serde::Serialize;

use crate::git::Repo;

/// What happened to the branch.
#[derive(Debug, Clone, Serialize)]
pub struct BranchPush {
    pub branch: String,
    pub remote: String,
    pub pushed: bool,
    /// Why it was not pushed, with the command that pushes it.
    pub warning: Option<String>,
}

/// Push `id`'s branch to `remote` when branches are pushed; `None` when they are not
/// (no remote, `wo.pushBranches=false`, or the branch does not exist here).
pub fn after_finish(repo: &Repo, id: &str, remote: Option<&str>) -> Option<BranchPush> {
    let remote = remote?;
    if repo.config.push_branches == Some(false) {
        return None;
    }
    let branch = crate::inventory::records::read(repo, id)
        .ok()
        .flatten()
        .and_then(|s| s.record.branch().map(String::from))
        .unwrap_or_else(|| repo.config.branch_of(id));
    repo.branch_tip(&branch).ok().flatten()?;
    let q = crate::error::shell_quote;
    // git's reason, on one line, without its hints (the warning says what to run).
    let why = repo.push_branch(remote, &branch).err().map(|e| {
        crate::error::classify(&e)
            .message
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("hint:"))
            .collect::<Vec<_>>()
            .join(" ")
    });
    let warning = why.map(|why| {
        format!(
            "{id}: finished, but its branch {branch} was not pushed to {remote}: {why} (push it: git push {} {}; or git config wo.pushBranches false)",
            q(remote),
            q(&branch)
        )
    });
    Some(BranchPush {
        pushed: warning.is_none(),
        warning,
        branch,
        remote: remote.to_owned(),
    })
}
