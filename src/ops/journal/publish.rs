//! Publication to a remote (SPEC §10): a plan's [`Step::Publish`] pushes the record as
//! the journal last wrote it with `--force-with-lease` on the value the remote holds,
//! which it must supersede ([`supersedes`]); losing there is a conflict naming the
//! remote's holder. [`Step::Adopt`] sets the record ref to one fetched from a remote
//! that is ahead. The remote helpers both this and `git wo sync` use are in
//! [`crate::ops::remote`].
//!
//! [`Step::Publish`]: super::Step::Publish
//! [`Step::Adopt`]: super::Step::Adopt

use anyhow::Result;
use gix::ObjectId;

use super::executor::{Journal, Progress, Undo};
use super::fence::lost_to;
use super::plan::{Plan, Step};
use crate::error::WoError;
use crate::git::Repo;
use crate::git::refs::Expect;
use crate::git::remote::{Pushed, Update};
use crate::inventory::records;
use crate::ops::remote::{check_remote_record, fetch_record, supersedes, unreachable_remote};

/// The publish step for `remote`, if there is one.
pub fn publish(remote: Option<&str>, required: bool) -> Option<Step> {
    remote.map(|r| Step::Publish {
        remote: r.to_owned(),
        required,
    })
}

impl Journal<'_> {
    /// [`Step::Publish`](super::Step::Publish): pushed, and undone (put back on the
    /// remote) if the plan is; `required: false` turns a failure into a warning.
    pub(super) fn publish_step(
        &mut self,
        plan: &Plan,
        remote: &str,
        required: bool,
        p: &mut Progress,
    ) -> Result<()> {
        let id = &plan.id;
        match self.publish(plan, remote) {
            Ok(Some((now, prev))) => p.undo.push(Undo::Published {
                remote: remote.to_owned(),
                now,
                prev,
            }),
            Ok(None) => {}
            Err(e) if !required => eprintln!(
                "warning: {id}: the record was not published to {remote}: {} (fix: git wo sync {remote})",
                crate::error::classify(&e)
            ),
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// [`Step::Adopt`](super::Step::Adopt): validated before the ref moves, so a commit
    /// that holds no record of this WO never becomes its record here.
    pub(super) fn adopt(&mut self, plan: &Plan, commit: ObjectId) -> Result<()> {
        let (repo, id) = (self.repo, &plan.id);
        let adopted = check_remote_record(repo, id.as_str(), commit).map_err(|why| {
            WoError::invalid_record(format!(
                "{id}: the record fetched for it ({}) is not a record: {why}; nothing was changed",
                &commit.to_string()[..12]
            ))
            .fix(format!(
                "git log -p {commit} (look at it); have it repaired where it came from"
            ))
        })?;
        let name = records::ref_name(id.as_str());
        let expect = self.fence().map_or(Expect::Absent, Expect::At);
        repo.cas_ref(&name, expect, commit, &format!("git wo: {}", plan.op))
            .map_err(|e| lost_to(repo, id, e))?;
        self.current = Some(adopted);
        Ok(())
    }

    /// Push the record to `remote` unless it holds it already: (pushed, what the
    /// remote held before) when it did push.
    fn publish(&self, plan: &Plan, remote: &str) -> Result<Option<(ObjectId, Option<ObjectId>)>> {
        let (repo, id) = (self.repo, &plan.id);
        let name = records::ref_name(id.as_str());
        let Some(local) = self.fence() else {
            return Ok(None);
        };
        let theirs = repo
            .ls_remote(remote, &[&name])
            .map_err(|e| unreachable_remote(e, remote))?
            .get(&name)
            .copied();
        if theirs == Some(local) {
            return Ok(None);
        }
        if let Some(r) = theirs
            && !supersedes(repo, remote, &name, local, r)?
        {
            return Err(remote_holder(repo, remote, plan, r));
        }
        let update = Update {
            name: name.clone(),
            new: Some(local),
            expect: theirs,
        };
        match repo.push_leased(remote, &[update])? {
            Pushed::Done => Ok(Some((local, theirs))),
            Pushed::Rejected(_) => {
                let now = repo.ls_remote(remote, &[&name])?.get(&name).copied();
                match now {
                    Some(r) => {
                        let _ = fetch_record(repo, remote, &name);
                        Err(remote_holder(repo, remote, plan, r))
                    }
                    None => Err(WoError::conflict(format!(
                        "{id}: {remote} refused the record (someone pushed it meanwhile)"
                    ))
                    .fix(format!("git wo sync {remote}, then git wo show {id}"))
                    .into()),
                }
            }
        }
    }
}

/// The conflict of a record the remote holds that is not ours to replace, naming its
/// holder.
fn remote_holder(repo: &Repo, remote: &str, plan: &Plan, theirs: ObjectId) -> anyhow::Error {
    let id = &plan.id;
    let who = records::at(repo, theirs)
        .ok()
        .map(|s| {
            let r = &s.record;
            match &r.lock {
                Some(l) => format!(
                    "{} by {} on {} (token {})",
                    r.state, l.owner, l.host, r.token
                ),
                None => format!("{} (token {})", r.state, r.token),
            }
        })
        .unwrap_or_else(|| "changed".into());
    let (what, then) = if plan.op == "take" {
        ("lost the race on", "take another WO")
    } else {
        (
            "someone else moved the record on",
            "nothing more was changed here",
        )
    };
    WoError::conflict(format!("{id}: {what} {remote}: the record there is {who}"))
        .fix(format!(
            "git wo sync {remote}, then git wo show {id} ({then})"
        ))
        .into()
}
