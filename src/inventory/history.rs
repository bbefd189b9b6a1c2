//! What happened, for the KPIs (SPEC §9): the transitions in the records' histories
//! (`wo: <action> <ID>` commits, with their time) and the `[wo] bypass:` markers, dated
//! by the commit they annotate.

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::git::Repo;
use crate::inventory::records::{self, PREFIX};

/// One transition of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub id: String,
    /// claim, steal, take, finishing, finish, requeue, heartbeat, import…
    pub action: String,
    pub at: DateTime<Utc>,
    /// For finishes: verification was skipped (`--skip-verification`).
    pub skipped_verification: bool,
    /// For finishes: the branch left the WO's scope (`--allow-out-of-scope`).
    pub scope_exception: bool,
}

/// One marker line with the time of the commit it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dated {
    pub line: String,
    pub at: DateTime<Utc>,
}

/// How far back a record's history is read: transitions, not heartbeats, are kept,
/// so a WO has a handful.
const HISTORY_LIMIT: usize = 256;

/// Every transition at or after `since`, oldest first.
pub fn transitions(repo: &Repo, since: DateTime<Utc>) -> Result<Vec<Transition>> {
    let mut out = Vec::new();
    for r in repo.refs_under(PREFIX)? {
        let Ok(tip) = r.target else { continue };
        let id = r.name.strip_prefix(PREFIX).unwrap_or(&r.name).to_owned();
        for e in repo.first_parent_log(tip, HISTORY_LIMIT)? {
            let Ok(at) = DateTime::parse_from_rfc3339(&e.time) else {
                continue;
            };
            let at = at.with_timezone(&Utc);
            if at < since {
                break;
            }
            let Some(action) = e
                .subject
                .strip_prefix("wo: ")
                .and_then(|s| s.split_whitespace().next())
            else {
                continue;
            };
            let result = (action == "finish")
                .then(|| gix::ObjectId::from_hex(e.commit.as_bytes()).ok())
                .flatten()
                .and_then(|c| records::at(repo, c).ok())
                .and_then(|s| s.record.result);
            out.push(Transition {
                id: id.clone(),
                action: action.to_owned(),
                at,
                skipped_verification: result
                    .as_ref()
                    .is_some_and(|o| o.skip_verification_reason.is_some()),
                scope_exception: result.as_ref().is_some_and(|o| o.scope_exception.is_some()),
            });
        }
    }
    out.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    Ok(out)
}

/// The `[wo] bypass:` lines in `refs/notes/wo` on commits made at or after `since`.
pub fn bypasses(repo: &Repo, since: DateTime<Utc>) -> Result<Vec<Dated>> {
    let mut out = Vec::new();
    for note in repo.read_notes()? {
        let lines: Vec<&String> = note
            .lines
            .iter()
            .filter(|l| l.starts_with("[wo] bypass:"))
            .collect();
        if lines.is_empty() {
            continue;
        }
        let Some(at) = gix::ObjectId::from_hex(note.target.as_bytes())
            .ok()
            .and_then(|c| repo.commit_time(c))
        else {
            continue;
        };
        if at < since {
            continue;
        }
        out.extend(lines.into_iter().map(|l| Dated {
            line: l.clone(),
            at,
        }));
    }
    out.sort_by(|a, b| (a.at, &a.line).cmp(&(b.at, &b.line)));
    Ok(out)
}
