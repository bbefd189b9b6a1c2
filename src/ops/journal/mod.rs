//! The journal: the one way state changes. An operation (take, finish, requeue,
//! heartbeat, init, reconcile, gc, sync) computes a [`Plan`], a list of typed
//! [`Step`]s, from the inventory; [`Journal::apply`] runs it. The library owns the
//! transaction; the command only decides and reports.
//!
//! How the files fit, in the order a plan meets them:
//!
//! - [`plan`]: the [`Plan`], its [`Step`]s, the [`Recovery`] and what was [`Applied`];
//!   pure data, built by the operation.
//! - [`executor`]: the [`Journal`] (the record it last wrote: the fence) and the
//!   progress of a run (what was done, what to undo).
//! - [`apply`]: [`Journal::apply`], the loop: Ctrl-C check, fence check, the step,
//!   the failpoint `<op>:after-<step>`; on an error, recovery. Each step is done by
//!   the file of its concept:
//!   - [`record`]: record transitions by compare-and-swap from the commit the journal
//!     wrote (or started from) last; the record's phase (`taking`, `finishing`) is how
//!     a crash is found and resumed;
//!   - [`files`]: the YAML moved and edited byte-preserving, the `.lock`, a restored
//!     YAML, a quarantined file put back;
//!   - [`worktree`]: branch, worktree, session file, release, half-made registrations,
//!     rescue refs;
//!   - [`marker`]: marker lines on notes (and the session log);
//!   - [`publish`]: the record pushed to, or adopted from, a remote.
//! - [`fence`]: before every step that deletes, moves, overwrites or unlocks, the
//!   record ref must still be the journal's commit (same token, same phase); if not,
//!   another operation has taken over: stop with exit 3, changing nothing more.
//! - [`undo`]: on an error a take undoes what it did, newest first
//!   ([`Recovery::Undo`]); finish and requeue leave the recorded phase for a rerun to
//!   roll forward ([`Recovery::RollForward`]). Every step is idempotent, so a resume
//!   reruns a plan from its start.
//! - [`failure`]: how a failed or interrupted step is reported (kind kept, step named,
//!   the command that goes on).
//! - [`staging`]: after the last step, the files moved are staged (and committed with
//!   `wo.commit`).
//! - [`liveness`]: whether a holder's process is gone, and what carries on a
//!   transition left in flight: the rule the commands refuse or resume by.
//! - [`imports`]: many import plans at once (one pack, one `packed-refs` rewrite).
//! - [`saving`]: the copies a repair saves to quarantine before it changes a file.
//!
//! The files import each other only downwards (no cycle, `tests/layers.rs`); none
//! imports a command. Remote helpers shared with `git wo sync` are in
//! [`crate::ops::remote`], the record commit itself in [`crate::ops::transition`].

mod apply;
mod executor;
mod failure;
mod fence;
mod files;
mod imports;
mod liveness;
mod marker;
mod plan;
mod publish;
mod record;
mod saving;
mod staging;
mod undo;
mod worktree;

pub use executor::Journal;
pub use fence::invalid_record;
pub use files::edited_yaml;
pub use imports::apply_imports;
pub use liveness::{holder_gone, in_flight_fix, in_flight_name};
pub use marker::write_marker;
pub use plan::{Applied, OrderYaml, Parent, Plan, RecordWrite, Recovery, Step};
pub use publish::publish;
pub use saving::{save_before_place, save_before_unlock, save_step};
pub use worktree::{HALF_MADE_QUIET, find_worktree, half_made_droppable, half_made_fix};
