//! Test-only crash injection: `GIT_WO_FAILPOINT=<command>:<step>` makes the process
//! abort (no unwinding, no undo, like `kill -9`) when it reaches that step, so crash
//! tests can stop a real process at every step of take and finish.
//!
//! The journal ([`crate::ops::journal`]) hits `<command>:after-<step>` after every
//! step of a plan. Steps of take: `claim` (or `steal`, `resume`), `branch`,
//! `worktree`, `session`, `move`, `lockfile`, `marker`, `take`. Of finish: `verify`
//! (before the plan), `finishing` (or, on a rerun of a crashed one,
//! `resume-finishing`), `move`, `unlock`, `marker`, `release`, `finish`.
//! Of requeue: `requeue`, `move`, `unlock`, `release`. Of heartbeat: `heartbeat`,
//! `lockfile`. Of reconcile: `quarantine`, `move`, `lockfile`, `restore`, and
//! requeue's steps (`reconcile:after-requeue`…) when it rolls an interrupted take back;
//! the records it imports hit `mirror:after-import`. Of gc: `release` (a worktree
//! removed), and requeue's steps (`gc:after-requeue`…) when it releases a stale lock.
//! After a plan's last step every command hits `<command>:after-stage` once its YAML
//! moves are staged (a crash at its last step, e.g. `take:after-take`, leaves them
//! unstaged). Every command that reads the jobs dir hits `inventory:after-listing`
//! between the listing of the state folders and the read of the files listed.
//!
//! Test-only pause: `GIT_WO_PAUSE=<command>:<step>:<millis>` (e.g.
//! `take:after-worktree:30000`) makes the process sleep up to `<millis>` ms when it
//! reaches that step, so a test can hold a real, live process in the middle of an
//! operation and act on the repository meanwhile. On reaching the step it prints
//! `git wo: paused at <step> (pid <pid>)` on stderr, and `git wo: resumed at <step>`
//! when it goes on. If `GIT_WO_PAUSE_RELEASE=<path>` is also set, the pause ends
//! early as soon as that path exists (the test creates it to let the process go on),
//! so tests need not guess how long to wait. A failpoint at the same step wins:
//! the process aborts without pausing.

use std::path::PathBuf;
use std::time::{Duration, Instant};

pub const ENV: &str = "GIT_WO_FAILPOINT";
/// `<command>:<step>:<millis>`: sleep at that step.
pub const PAUSE_ENV: &str = "GIT_WO_PAUSE";
/// A path whose existence ends a pause early.
pub const RELEASE_ENV: &str = "GIT_WO_PAUSE_RELEASE";

/// Abort here if the environment names this step; pause here if `GIT_WO_PAUSE` does.
pub fn hit(step: &str) {
    if std::env::var(ENV).is_ok_and(|v| v == step) {
        eprintln!("git wo: failpoint {step} reached, aborting");
        std::process::abort();
    }
    pause(step);
}

/// Sleep at `step` when `GIT_WO_PAUSE` names it (see the module doc).
fn pause(step: &str) {
    let Ok(spec) = std::env::var(PAUSE_ENV) else {
        return;
    };
    let Some((at, millis)) = spec.rsplit_once(':') else {
        return;
    };
    if at != step {
        return;
    }
    let Ok(ms) = millis.trim().parse::<u64>() else {
        return;
    };
    let release = std::env::var_os(RELEASE_ENV).map(PathBuf::from);
    eprintln!("git wo: paused at {step} (pid {})", std::process::id());
    let deadline = Instant::now() + Duration::from_millis(ms);
    loop {
        if release.as_ref().is_some_and(|p| p.exists()) || crate::interrupt::interrupted() {
            break;
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(10)));
    }
    eprintln!("git wo: resumed at {step}");
}
