//! The vocabulary of reconcile's plan: a typed [`Repair`], how safe it is
//! ([`Safety`]), and an [`Action`]: one planned repair of one WO, with its code, words
//! and paths.

use std::path::PathBuf;

use serde::Serialize;

use crate::model::finding::Code;
use crate::model::state::State;
use crate::model::wo_id::WoId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Safety {
    /// Reversible and removes nothing: done by `--apply`.
    Safe,
    /// Needs `--force`.
    Unsafe,
}

/// One typed repair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Repair {
    /// Move a surplus copy or a stray `.lock` file into quarantine.
    Quarantine { path: PathBuf },
    /// Move the YAML into `to`'s folder (when elsewhere) and set `status: <to>`.
    Place { path: PathBuf, to: State },
    /// Write `running/<ID>.lock` for the record's holder, or (no record) for the
    /// owner the YAML names: its worktree is live.
    CreateLock,
    /// A running WO with no lock and no live worktree goes back to pending (requeue's
    /// own plan: the record first, when there is one).
    Requeue { path: PathBuf },
    /// Write the missing YAML from the record's `order.yaml`.
    RestoreYaml { to: State },
    /// Import the YAML into a record (an initialised repository).
    CreateRecord,
    /// Roll an interrupted take back: pending again, branch and worktree kept.
    RollBackTake,
    /// Complete an interrupted finish with the verdict its record holds.
    CompleteFinish,
    /// Write git's lock of the WO's worktree again with the record's token.
    Relock { worktree: PathBuf, token: u64 },
}

/// A planned repair of one WO.
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    pub wo_id: WoId,
    pub code: Code,
    /// What will be done, in words.
    pub action: String,
    pub safety: Safety,
    pub paths: Vec<String>,
    pub repair: Repair,
}
