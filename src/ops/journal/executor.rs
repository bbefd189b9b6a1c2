//! The executor's state: what a [`Journal`] holds while it applies a plan (the record
//! it last saw or wrote, which is the fence; the paths it touched) and the
//! [`Progress`] of one run (what it did, what to undo). The loop that runs the steps
//! is [`super::apply`]; what each kind of step does is in the file of its concept.

use std::path::PathBuf;

use gix::ObjectId;

use super::plan::Applied;
use crate::git::Repo;
use crate::inventory::records::Stored;
use crate::ops::jobs::Jobs;

/// The executor.
pub struct Journal<'a> {
    pub(super) repo: &'a Repo,
    pub(super) jobs: Jobs,
    /// The record as the journal last saw or wrote it: its commit is the fence, what
    /// the record ref must still hold for the journal to go on.
    pub(super) current: Option<Stored>,
    /// Paths (relative to the control checkout) the steps moved, created or removed.
    pub(super) touched: Vec<PathBuf>,
}

/// What the steps of one [`Journal::apply`] did so far: the report, and what to undo.
#[derive(Default)]
pub(super) struct Progress {
    pub done: Applied,
    pub undo: Vec<Undo>,
}

impl<'a> Journal<'a> {
    /// A journal for a WO whose record is `stored` (as the inventory read it).
    pub fn new(repo: &'a Repo, jobs_rel: &str, stored: Option<&Stored>) -> Journal<'a> {
        Journal {
            repo,
            jobs: Jobs::new(&repo.control_root, jobs_rel),
            current: stored.cloned(),
            touched: Vec::new(),
        }
    }
}

/// What a step created, to undo newest first.
pub(super) enum Undo {
    Record {
        prev: Option<ObjectId>,
    },
    Branch {
        name: String,
        at: ObjectId,
    },
    Worktree {
        path: PathBuf,
    },
    Yaml {
        now_at: PathBuf,
        was_at: PathBuf,
        bytes: Vec<u8>,
    },
    LockFile,
    /// Put the remote's record back to `prev` (`None`: delete it) where it still
    /// holds `now`.
    Published {
        remote: String,
        now: ObjectId,
        prev: Option<ObjectId>,
    },
}
