//! Test-only crash injection: `GIT_WO_FAILPOINT=<command>:<step>` makes the process
//! abort (no unwinding, no undo, like `kill -9`) when it reaches that step, so crash
//! tests can stop a real process at every step of take and finish.
//!
//! Steps: `take:after-claim`, `take:after-branch`, `take:after-worktree`,
//! `take:after-move`, `take:after-lockfile`, `take:after-marker`,
//! `finish:after-verify`, `finish:after-phase`, `finish:after-move`,
//! `finish:after-marker`, `finish:after-worktree`.

pub const ENV: &str = "GIT_WO_FAILPOINT";

/// Abort here if the environment names this step.
pub fn hit(step: &str) {
    if std::env::var(ENV).is_ok_and(|v| v == step) {
        eprintln!("git wo: failpoint {step} reached, aborting");
        std::process::abort();
    }
}
