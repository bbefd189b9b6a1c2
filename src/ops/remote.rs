//! The remote helpers that `git wo sync` and the journal's publication both use, below
//! both (this file imports neither the journal nor a command): the tracking ref of a
//! fetched record, fetching one, whether a record fetched from a remote is a record
//! of its WO, whether a local record may replace the remote's, and the error of a
//! remote that cannot be reached. The `git` calls themselves are [`crate::git::remote`]'s.

use anyhow::Result;
use gix::ObjectId;

use crate::error::WoError;
use crate::git::Repo;
use crate::inventory::records::{self, Stored};
use crate::model::wo_id::WoId;
use crate::ops::transition::last_transition;

/// Whether `there`, fetched from a remote as `name` (`refs/wo/orders/<id>`), is a
/// record of `id`: a valid WO id, a commit whose `record.json` parses, naming the same
/// id. The reason when it is not.
pub fn check_remote_record(repo: &Repo, id: &str, there: ObjectId) -> Result<Stored, String> {
    WoId::parse(id).map_err(|why| format!("`{id}` is not a WO id: {why}"))?;
    let stored = records::at(repo, there).map_err(|e| format!("{e:#}"))?;
    if stored.record.id() != id {
        return Err(format!(
            "its record.json is the record of {:?}, not of {id}",
            stored.record.id()
        ));
    }
    Ok(stored)
}

/// A remote that cannot be reached: say how to check it.
pub fn unreachable_remote(e: anyhow::Error, remote: &str) -> anyhow::Error {
    WoError::new(
        crate::error::Kind::Git,
        format!(
            "cannot reach the remote {remote}: {}",
            crate::error::classify(&e).message
        ),
    )
    .fix(format!(
        "git remote -v (is {} right and reachable?), then run the command again",
        crate::error::shell_quote(remote)
    ))
    .into()
}

/// Fetch `name` from `remote` into `refs/remotes/<remote>/wo/...`.
pub fn fetch_record(repo: &Repo, remote: &str, name: &str) -> Result<()> {
    let tracking = tracking_ref(remote, name);
    repo.fetch(remote, &[format!("+{name}:{tracking}")])
}

/// `refs/wo/orders/<ID>` as fetched from `remote`: `refs/remotes/<remote>/wo/orders/<ID>`.
pub fn tracking_ref(remote: &str, name: &str) -> String {
    format!(
        "refs/remotes/{remote}/{}",
        name.strip_prefix("refs/").unwrap_or(name)
    )
}

/// Whether the local record `local` may replace the remote's `theirs`: it descends
/// from it, or from the transition `theirs` renews (a renewal replaces the previous
/// renewal, so it is no ancestor). `theirs` is fetched when it is not here.
pub fn supersedes(
    repo: &Repo,
    remote: &str,
    name: &str,
    local: ObjectId,
    theirs: ObjectId,
) -> Result<bool> {
    if !repo.has_object(theirs) {
        fetch_record(repo, remote, name)?;
        if !repo.has_object(theirs) {
            return Ok(false);
        }
    }
    if repo.first_parent_reaches(local, theirs, 10_000) {
        return Ok(true);
    }
    Ok(match last_transition(repo, theirs)? {
        Some(t) if t != theirs => repo.first_parent_reaches(local, t, 10_000),
        _ => false,
    })
}
