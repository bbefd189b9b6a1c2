//! Manual closures (SPEC §5): a WO file staged as new in `done/` or `failed/` whose
//! record is not finished, i.e. moved there by hand instead of `git wo finish`. The
//! pre-commit gate leaves them (and the findings they cause) to the commit-msg hook,
//! which refuses them unless the message's first line says `[emergency]` or
//! `[bypass]`; an allowed one is recorded as a bypass marker on the commit.

use std::collections::HashSet;

use anyhow::Result;
use gix::ObjectId;
use serde::{Deserialize, Serialize};

use crate::git::Repo;
use crate::inventory::Inventory;
use crate::model::finding::Code;
use crate::model::state::State;

/// Findings a manual closure causes by itself, left to commit-msg's verdict.
pub const DEFERRED: [Code; 5] = [
    Code::StateMismatch,
    Code::ZombieWorktree,
    Code::LockWithoutRunning,
    Code::LockMismatch,
    Code::StaleLock,
];

/// The tokens that let a manual closure through.
pub const TOKENS: [&str; 2] = ["[emergency]", "[bypass]"];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Closure {
    pub id: String,
    /// The staged file, relative to the control checkout.
    pub path: String,
    /// done or failed.
    pub folder: String,
    /// The record's state (`None`: no record).
    pub record: Option<String>,
}

impl Closure {
    /// The refusal line: code, WO, what, and the fix.
    pub fn line(&self) -> String {
        let rec = self.record.as_deref().unwrap_or("missing");
        let back = self.path.replacen(
            &format!("/{}/", self.folder),
            &format!("/{}/", self.record.as_deref().unwrap_or("pending")),
            1,
        );
        // Finish closes a running WO; a pending one (or one without a record) is taken first.
        let take = if self.record.as_deref() == Some("running") {
            String::new()
        } else {
            format!("git wo take {} && ", self.id)
        };
        format!(
            "manual_closure {}: {} is staged as {} but its record is {rec}, not finished (fix: git mv -- {} {} && {take}git wo finish {} --result {}; or put [emergency] in the message's first line)",
            self.id,
            self.path,
            self.folder,
            crate::error::shell_quote(&self.path),
            crate::error::shell_quote(&back),
            self.id,
            self.folder
        )
    }

    /// The marker text recorded when `token` let it through.
    pub fn bypass(&self, token: &str) -> String {
        let rec = self.record.as_deref().unwrap_or("no record");
        format!(
            "manual closure of {} to {} (record: {rec}) allowed by {token}",
            self.id, self.folder
        )
    }
}

/// The manual closures staged in `inv` (read from the index) on top of `head`.
pub fn find(repo: &Repo, inv: &Inventory, head: Option<ObjectId>) -> Result<Vec<Closure>> {
    let mut out = Vec::new();
    for folder in [State::Done, State::Failed] {
        let candidates: Vec<_> = inv
            .files
            .iter()
            .filter(|f| f.is_live() && f.folder == folder)
            .filter_map(|f| f.id.as_ref().map(|id| (f, id)))
            .filter(|(_, id)| {
                inv.records
                    .get(id.as_str())
                    .is_none_or(|s| !s.record.state.is_terminal())
            })
            .collect();
        if candidates.is_empty() {
            continue;
        }
        let dir = format!("{}/{}", inv.jobs_rel, folder.as_str());
        let in_head: HashSet<Vec<u8>> = match head {
            Some(h) => match repo.tree_at(h, &dir)? {
                Some(tree) => repo.names_in(tree)?,
                None => HashSet::new(),
            },
            None => HashSet::new(),
        };
        for (f, id) in candidates {
            let name = f
                .rel_path()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if in_head.contains(name.as_bytes()) {
                continue;
            }
            out.push(Closure {
                id: id.to_string(),
                path: f.rel_path().to_string_lossy().into_owned(),
                folder: folder.as_str().to_owned(),
                record: inv
                    .records
                    .get(id.as_str())
                    .map(|s| s.record.state.as_str().to_owned()),
            });
        }
    }
    Ok(out)
}

/// The token in the first line of a commit message, if any (comment lines skipped).
pub fn token_in(message: &str) -> Option<&'static str> {
    let first = message
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?
        .to_ascii_lowercase();
    TOKENS.into_iter().find(|t| first.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_count_in_the_first_line_only() {
        assert_eq!(
            token_in("fix: close WO-1 [emergency]\n"),
            Some("[emergency]")
        );
        assert_eq!(token_in("# comment\n\n[BYPASS] close\n"), Some("[bypass]"));
        assert_eq!(token_in("close WO-1\n\n[emergency]\n"), None);
        assert_eq!(token_in(""), None);
    }
}
