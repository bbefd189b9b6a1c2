//! A record's history for people (`git wo show`): each transition with who made it
//! (its `WO-Owner:` trailer) and, for a requeue or a steal, whose lease it ended (the
//! holder in the record before it).

use anyhow::Result;
use serde::Serialize;

use crate::git::Repo;
use crate::git::refs::LogEntry;
use crate::inventory::records;

/// One transition of a record, newest first in a history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    #[serde(flatten)]
    pub entry: LogEntry,
    /// Who made it: the commit's `WO-Owner:` trailer.
    pub by: Option<String>,
    /// A requeue or steal: the holder whose lease it ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub released_lease_of: Option<String>,
}

impl HistoryEntry {
    /// The action of a `wo: <action> <ID>` subject.
    pub fn action(&self) -> Option<&str> {
        self.entry
            .subject
            .strip_prefix("wo: ")
            .and_then(|s| s.split_whitespace().next())
    }
}

/// The last `limit` transitions of `id`'s record, newest first, with who made each.
pub fn history(repo: &Repo, id: &str, limit: usize) -> Result<Vec<HistoryEntry>> {
    // One more than shown: the record before the oldest one shown says whose lease a
    // requeue there ended.
    let log = records::history(repo, id, limit + 1)?;
    let mut out = Vec::with_capacity(log.len().min(limit));
    for (i, entry) in log.iter().enumerate().take(limit) {
        let commit = gix::ObjectId::from_hex(entry.commit.as_bytes()).ok();
        let by = commit
            .and_then(|c| repo.commit_message(c).ok())
            .and_then(|m| trailer(&m, "WO-Owner"));
        let mut h = HistoryEntry {
            entry: entry.clone(),
            by,
            released_lease_of: None,
        };
        if matches!(h.action(), Some("requeue" | "steal")) {
            h.released_lease_of = log
                .get(i + 1)
                .and_then(|prev| gix::ObjectId::from_hex(prev.commit.as_bytes()).ok())
                .and_then(|c| records::at(repo, c).ok())
                .and_then(|s| s.record.lock.map(|l| l.owner));
        }
        out.push(h);
    }
    Ok(out)
}

/// The value of the last `key:` trailer line of a commit message.
fn trailer(message: &str, key: &str) -> Option<String> {
    let prefix = format!("{key}:");
    message
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    #[test]
    fn trailers() {
        let m = "wo: take WO-1\n\nWO-Action: take\nWO-Owner: alice\nWO-Token: 1\n";
        assert_eq!(super::trailer(m, "WO-Owner").as_deref(), Some("alice"));
        assert_eq!(super::trailer(m, "WO-Nope"), None);
    }
}
