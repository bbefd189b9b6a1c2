//! Writing a record transition: the commit message (`wo: <action> <ID>` with marker
//! lines and `WO-Action:`/`WO-Owner:`/`WO-Token:` trailers) and the compare-and-swap.

use anyhow::{Result, anyhow};
use gix::ObjectId;

use crate::error::WoError;
use crate::git::Repo;
use crate::git::refs::Expect;
use crate::inventory::records::{EVIDENCE_DIR, ORDER_FILE, RECORD_FILE, Stored, ref_name};
use crate::model::record::Record;

/// Commit `record` (with `yaml` as `order.yaml`) on `parent`, winning only if the ref
/// still holds `prev`. `parent` is `prev` for a transition; a lease renewal replaces
/// the previous renewal, so its parent is the last transition. `lines` are marker
/// lines for the message body; `fixed_time` makes imports deterministic. Called only
/// by the journal's record step.
#[allow(clippy::too_many_arguments)]
pub fn commit_with_parent(
    repo: &Repo,
    prev: Option<&Stored>,
    parent: Option<gix::ObjectId>,
    record: &Record,
    yaml: &[u8],
    action: &str,
    owner: &str,
    lines: &[String],
    fixed_time: bool,
    evidence: Option<gix::ObjectId>,
) -> Result<Stored> {
    let message = message(action, record.id(), owner, record.token, lines);
    let expect = prev.map_or(Expect::Absent, |p| Expect::At(p.commit));
    let json = serde_json::to_vec_pretty(record)?;
    let files: [(&str, &[u8]); 2] = [(ORDER_FILE, yaml), (RECORD_FILE, &json)];
    let trees: Vec<(&str, gix::ObjectId)> =
        evidence.map(|t| (EVIDENCE_DIR, t)).into_iter().collect();
    let commit = repo.commit_files_and_trees(&files, &trees, &message, parent, fixed_time)?;
    repo.cas_ref(&ref_name(record.id()), expect, commit, &message)
        .map_err(|e| match e.downcast::<WoError>() {
            Ok(w) => anyhow!(
                WoError::conflict(format!("{}: {}", record.id(), w.message)).fix(format!(
                    "git wo show {} (someone changed it first; look, then retry)",
                    record.id()
                ))
            ),
            Err(e) => e,
        })?;
    Ok(Stored {
        record: record.clone(),
        commit,
    })
}

pub fn message(action: &str, id: &str, owner: &str, token: u64, lines: &[String]) -> String {
    let mut m = format!("wo: {action} {id}\n\n");
    for l in lines {
        m.push_str(l);
        m.push('\n');
    }
    if !lines.is_empty() {
        m.push('\n');
    }
    m.push_str(&format!(
        "WO-Action: {action}\nWO-Owner: {owner}\nWO-Token: {token}\n"
    ));
    m
}

/// The action of a lease renewal (`wo: heartbeat <ID>`): a renewal replaces the
/// previous renewal, so its parent is the last transition ([`last_transition`]).
pub const RENEWAL: &str = "heartbeat";

/// The commit a renewal builds on: the last transition, skipping a renewal.
pub fn last_transition(repo: &Repo, at: ObjectId) -> Result<Option<ObjectId>> {
    let commit = repo.gix.find_commit(at)?;
    let is_renewal = commit
        .message_raw_sloppy()
        .starts_with(format!("wo: {RENEWAL} ").as_bytes());
    Ok(if is_renewal {
        commit.parent_ids().next().map(|p| p.detach())
    } else {
        Some(at)
    })
}
