//! The facts that tie a worktree to a WO ([`ClaimBy`], strongest first), one WO a
//! fact names ([`Claim`]), and a worktree's resolved [`Ownership`]: its owner and
//! rivals. How they are resolved is [`super::ownership`]'s.

use serde::Serialize;

use crate::git::worktrees::Worktree;
use crate::model::wo_id::WoId;

/// The fact that ties a worktree to a WO, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimBy {
    /// The WO's record names the worktree's path.
    Record,
    /// The worktree is git-locked with git-wo's reason for the WO.
    LockReason,
    /// The worktree has the WO's branch checked out.
    Branch,
    /// The worktree's folder is named after the WO.
    FolderName,
    /// A YAML of the WO names the worktree's path in `worktree:`.
    YamlField,
}

impl ClaimBy {
    /// In words, for messages: "its record", "its git lock reason"…
    pub fn describe(self) -> &'static str {
        match self {
            ClaimBy::Record => "its record",
            ClaimBy::LockReason => "its git lock reason",
            ClaimBy::Branch => "the branch checked out",
            ClaimBy::FolderName => "its folder name",
            ClaimBy::YamlField => "a YAML's worktree: field",
        }
    }
}

/// One WO a fact about a worktree names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub id: WoId,
    pub by: ClaimBy,
}

/// A linked worktree and the WOs its facts name: `owner` by the precedence above,
/// `rivals` every other WO named (each by its strongest fact).
#[derive(Debug, Clone)]
pub struct Ownership<'a> {
    pub worktree: &'a Worktree,
    pub owner: Claim,
    pub rivals: Vec<Claim>,
}

impl Ownership<'_> {
    /// Whether the facts disagree on whose worktree it is.
    pub fn contested(&self) -> bool {
        !self.rivals.is_empty()
    }
}
