//! The plan: what an operation hands the executor. A [`Plan`] is the WO, the command
//! and a list of typed [`Step`]s, with the [`Recovery`] to use when one fails;
//! [`Applied`] is what the executor reports back for the command's output. Building a
//! plan reads nothing and changes nothing.

use std::path::PathBuf;

use gix::ObjectId;

use crate::git::worktrees::Worktree;
use crate::model::record::Record;
use crate::model::session::Session;
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::ops::quarantine;

/// Which commit a record write gets as its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    /// The commit the ref is at: a transition.
    Previous,
    /// A lease renewal: the last transition, skipping a renewal it replaces.
    LastTransition,
}

/// Where the `order.yaml` of a record write comes from.
#[derive(Debug, Clone)]
pub enum OrderYaml {
    /// These bytes.
    Bytes(Vec<u8>),
    /// The YAML file as the plan left it so far (after its [`Step::PlaceYaml`]).
    Placed,
    /// The `order.yaml` of the commit the ref is at.
    Unchanged,
}

/// One record transition.
#[derive(Debug, Clone)]
pub struct RecordWrite {
    pub record: Record,
    pub yaml: OrderYaml,
    /// `wo: <action> <ID>`; also the failpoint name after it (`<op>:after-<action>`).
    pub action: &'static str,
    pub owner: String,
    /// Marker lines for the commit message.
    pub lines: Vec<String>,
    pub parent: Parent,
    /// Deterministic imports: fixed author, committer and date.
    pub fixed_time: bool,
    /// The `evidence/` folder of the commit (a finish's, see `ops::evidence`).
    pub evidence: Option<ObjectId>,
}

/// A typed step of a plan.
#[derive(Debug, Clone)]
pub enum Step {
    /// Compare-and-swap the record.
    Record(Box<RecordWrite>),
    /// Create `name` at `at` unless it exists (an existing branch is never touched).
    CreateBranch { name: String, at: ObjectId },
    /// Add the worktree at `path` on `branch`, git-locked with `reason`; reuse it when
    /// it is registered there on that branch and its checkout is complete.
    AddWorktree {
        path: PathBuf,
        branch: String,
        reason: String,
        /// Resuming an interrupted take: complete a half-done checkout of a reused
        /// worktree (missing files restored, nothing overwritten) or refuse it.
        repair: bool,
    },
    /// Write the holder's session file into the worktree's private git dir.
    WriteSession { path: PathBuf, session: Session },
    /// Move the YAML at `from` (relative to the control checkout) into `to`'s folder,
    /// then set top-level scalar fields (byte-preserving). Destructive: fenced.
    PlaceYaml {
        from: PathBuf,
        /// The file's bytes as the inventory read them.
        bytes: Vec<u8>,
        to: State,
        edits: Vec<(String, String)>,
    },
    /// Create `running/<ID>.lock` with `O_EXCL`, or overwrite it (`replace`: fenced).
    CreateLock { text: String, replace: bool },
    /// Remove `running/<ID>.lock`. Destructive: fenced.
    RemoveLock,
    /// Append a marker line to the note of `target` (and the session log).
    Marker { target: ObjectId, line: String },
    /// Release the worktree at `path`: remove it (`remove`, after the caller checked
    /// it is safe) or keep it; either way drop git-wo's git lock and the session file.
    /// Destructive: fenced. `force`: remove with `git worktree remove --force`: a
    /// removal that was killed half-way (only deleted tracked files remain, see
    /// [`Removal::deleted_only`](crate::git::worktree_ops::Removal)), or `gc --force`
    /// after what it would lose was copied to quarantine.
    ReleaseWorktree {
        path: PathBuf,
        remove: bool,
        force: bool,
    },
    /// Take apart the worktree registration at `path` a killed `git worktree add` of
    /// `id`'s take left half made (see [`crate::git::half_made`]): checked again right
    /// before, it must still have no `HEAD`, a lock that take's add writes, nothing
    /// written for [`HALF_MADE_QUIET`](super::worktree::HALF_MADE_QUIET) seconds, and
    /// nothing in its folder but paths of `commit`'s tree (the branch the take checked
    /// out) and its `.git` file.
    /// Destructive: fenced.
    DropHalfMade {
        path: PathBuf,
        commit: Option<ObjectId>,
    },
    /// Keep `at` reachable: create the ref `name` there (gc's `refs/wo/rescue/<ID>/…`
    /// for commits only a worktree's HEAD reflog reaches, before the worktree goes); a
    /// ref already there is left as it is, one elsewhere is an error.
    SaveCommit { name: String, at: ObjectId },
    /// Move a file (a surplus copy, a stray lock; relative to the control checkout)
    /// into the quarantine folder `dir`, recorded in its manifest. Destructive: fenced.
    Quarantine {
        from: PathBuf,
        dir: PathBuf,
        entry: Box<quarantine::Entry>,
    },
    /// Copy a file (relative to the control checkout) into the quarantine folder `dir`
    /// before a repair rewrites or deletes it, recorded in its manifest (see
    /// [`quarantine::Saving`]); nothing when the file is not there. Repairs only
    /// (reconcile, gc): a user's own take, finish or requeue does not save.
    Save {
        from: PathBuf,
        dir: PathBuf,
        entry: Box<quarantine::Entry>,
    },
    /// Write a missing YAML, `<to>/<ID>.yaml`, from these bytes (a record's
    /// `order.yaml`); never overwrites.
    RestoreYaml { to: State, bytes: Vec<u8> },
    /// Put a quarantined file back where it came from; never overwrites (a saved
    /// copy's new version, which the repair wrote, is first moved into `aside`).
    /// Destructive: fenced.
    Unquarantine {
        item: Box<quarantine::Checked>,
        aside: Option<quarantine::Aside>,
    },
    /// Publish the record as the journal last wrote it to `remote` (SPEC §10): pushed
    /// with `--force-with-lease` on the value the remote holds, which must be an
    /// ancestor of it (or a renewal of one). Losing is a conflict naming the remote's
    /// holder; `required: false` turns a failure into a warning (`git wo sync` later).
    Publish { remote: String, required: bool },
    /// Set the record ref to `commit`, a record fetched from a remote that is ahead
    /// (compare-and-swap on the fence).
    Adopt { commit: ObjectId },
}

impl Step {
    /// The name used in failpoints: `<op>:after-<name>`.
    pub fn name(&self) -> &'static str {
        match self {
            Step::Record(w) => w.action,
            Step::CreateBranch { .. } => "branch",
            Step::AddWorktree { .. } => "worktree",
            Step::WriteSession { .. } => "session",
            Step::PlaceYaml { .. } => "move",
            Step::CreateLock { .. } => "lockfile",
            Step::RemoveLock => "unlock",
            Step::Marker { .. } => "marker",
            Step::ReleaseWorktree { .. } => "release",
            Step::SaveCommit { .. } => "rescue",
            Step::Quarantine { .. } => "quarantine",
            Step::Save { .. } => "save",
            Step::DropHalfMade { .. } => "drop-worktree",
            Step::RestoreYaml { .. } => "restore",
            Step::Unquarantine { .. } => "unquarantine",
            Step::Publish { .. } => "publish",
            Step::Adopt { .. } => "adopt",
        }
    }

    /// Steps that delete, move, overwrite or unlock: checked against the fence first.
    pub fn destructive(&self) -> bool {
        matches!(
            self,
            Step::PlaceYaml { .. }
                | Step::Adopt { .. }
                | Step::RemoveLock
                | Step::ReleaseWorktree { .. }
                | Step::Quarantine { .. }
                | Step::Unquarantine { .. }
                | Step::DropHalfMade { .. }
                | Step::CreateLock { replace: true, .. }
        )
    }
}

/// What to do when a step fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Undo every step done so far, newest first, and put the record back.
    Undo,
    /// Leave things as they are: the recorded phase tells a rerun where to go on.
    RollForward,
}

/// A state change to apply.
#[derive(Debug, Clone)]
pub struct Plan {
    pub id: WoId,
    /// The command, for failpoints and messages.
    pub op: &'static str,
    pub steps: Vec<Step>,
    pub recovery: Recovery,
}

/// What an applied plan did, for the command's report.
#[derive(Debug, Default, Clone)]
pub struct Applied {
    pub branch_created: bool,
    pub worktree_created: bool,
    /// The worktree a step added or reused.
    pub worktree: Option<Worktree>,
    /// Where the YAML is now.
    pub yaml: Option<PathBuf>,
    /// The YAML's bytes as placed.
    pub yaml_bytes: Option<Vec<u8>>,
    pub worktree_removed: bool,
    /// Files a restore moved aside (the versions a repair wrote).
    pub set_aside: Vec<PathBuf>,
    /// Half-made worktrees a rollback took apart.
    pub half_made_dropped: Vec<PathBuf>,
}
