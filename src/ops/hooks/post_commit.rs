//! `git wo hook post-commit`: the stamp comparison of SPEC §5. A commit that the gate
//! hooks did not stamp got past them (`git commit --no-verify`) and gets a
//! `[wo] bypass:` marker; so does each manual closure commit-msg allowed. Inside a WO
//! worktree the holder's lease is renewed. Never fails the commit (it is made).

use anyhow::Result;
use chrono::Duration;
use gix::ObjectId;

use super::CommitSite;
use super::stamp::GateStamp;
use crate::git::Repo;
use crate::git::hooks_dir::HookFile;
use crate::model::hook_shim::is_shim;

/// How old a stamp may be and still belong to the commit being made (an editor open
/// on the message for a long time is fine).
fn stamp_lifetime() -> Duration {
    Duration::hours(12)
}

#[derive(Debug, Default)]
pub struct PostCommit {
    pub commit: Option<ObjectId>,
    /// The marker lines written.
    pub markers: Vec<String>,
}

pub fn run(repo: &Repo) -> Result<PostCommit> {
    crate::ops::heartbeat::auto_renew(repo, false);
    let site = CommitSite::here(repo)?;
    let stamp = GateStamp::read(&site.git_dir);
    GateStamp::remove(&site.git_dir);
    let Some(commit) = site.head else {
        return Ok(PostCommit::default());
    };
    // Only `git commit` runs pre-commit: the commits a revert, cherry-pick, rebase or
    // am makes (their reflog entry says so) never do.
    let by_commit = match crate::git::index::last_head_reflog(&site.git_dir) {
        Some(msg) => msg.starts_with("commit"),
        None => ![
            "rebase-merge",
            "rebase-apply",
            "sequencer",
            "CHERRY_PICK_HEAD",
            "REVERT_HEAD",
        ]
        .iter()
        .any(|f| site.git_dir.join(f).exists()),
    };
    if !by_commit {
        return Ok(PostCommit {
            commit: Some(commit),
            markers: Vec::new(),
        });
    }
    let parents = repo.parents(commit)?;
    let jobs = repo.jobs_rel();
    let jobs_tree = repo.tree_at(commit, &jobs)?;
    let on_top = stamp
        .as_ref()
        .is_some_and(|s| made_on(repo, s, &parents).unwrap_or(false));
    let verified = on_top
        && stamp
            .as_ref()
            .is_some_and(|s| stamped(repo, s, jobs_tree).unwrap_or(false));
    let mut markers = Vec::new();
    if !verified {
        let parent_jobs = match parents.first() {
            Some(p) => repo.tree_at(*p, &jobs)?,
            None => None,
        };
        let touched = if parent_jobs != jobs_tree {
            format!(", and it changes {jobs}")
        } else {
            String::new()
        };
        markers.push(format!(
            "[wo] bypass: pre-commit gate skipped (git commit --no-verify){touched}"
        ));
    }
    if let Some(s) = &stamp
        && on_top
    {
        markers.extend(s.bypasses.iter().map(|b| format!("[wo] bypass: {b}")));
    }
    for line in &markers {
        crate::ops::journal::write_marker(repo, commit, line)?;
    }
    Ok(PostCommit {
        commit: Some(commit),
        markers,
    })
}

/// Whether the commit with `parents` is the one `stamp` was made for: on top of the
/// commit it names, or (`--amend`) on a commit with the same parents.
fn made_on(repo: &Repo, stamp: &GateStamp, parents: &[ObjectId]) -> Result<bool> {
    Ok(match &stamp.head {
        None => parents.is_empty(),
        Some(h) => {
            parents.first().map(|p| p.to_string()).as_deref() == Some(h.as_str())
                || ObjectId::from_hex(h.as_bytes())
                    .ok()
                    .map(|h| repo.parents(h))
                    .transpose()?
                    .is_some_and(|hp| hp == parents)
        }
    })
}

/// Whether `stamp` says the gate hooks passed this commit: pre-commit on the jobs
/// tree it has, recently, and, when the commit-msg shim is installed, commit-msg too.
fn stamped(repo: &Repo, stamp: &GateStamp, jobs_tree: Option<ObjectId>) -> Result<bool> {
    let Some(at) = stamp.at else { return Ok(false) };
    if crate::clock::now() - at > stamp_lifetime()
        || stamp.jobs_tree != jobs_tree.map(|t| t.to_string())
    {
        return Ok(false);
    }
    let msg_hook = matches!(
        HookFile::read(&repo.hooks_dir().hook("commit-msg")),
        HookFile::File { bytes, executable: true } if is_shim(&bytes)
    );
    Ok(!msg_hook || stamp.msg_at.is_some_and(|t| t >= at))
}
