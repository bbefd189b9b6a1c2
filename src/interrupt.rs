//! Ctrl-C (SIGINT) during a state change: instead of dying between two steps, the
//! process notes it, the journal stops before the next step (a take is undone, a
//! finish stays where it is, for a plain rerun to go on), and the command exits 130
//! saying it was interrupted. A second Ctrl-C is no different: the undo runs to its end.
//! Commands that change nothing keep the default (Ctrl-C ends them at once).

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
mod sys {
    pub const SIGINT: i32 = 2;
    unsafe extern "C" {
        /// `signal(2)` of the C library: the handler is a function address.
        pub fn signal(signum: i32, handler: usize) -> usize;
    }
}

#[cfg(unix)]
extern "C" fn on_sigint(_: i32) {
    // Only an atomic store: async-signal-safe.
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Catch Ctrl-C from now on (for the commands that change state).
pub fn catch() {
    #[cfg(unix)]
    // SAFETY: installs a handler that only stores to an atomic, which is
    // async-signal-safe; `signal` is the C library's and takes a function address.
    unsafe {
        sys::signal(sys::SIGINT, on_sigint as extern "C" fn(i32) as usize);
    }
}

/// Forget an earlier Ctrl-C: `git wo mcp` lets one stop the call it arrives in, then
/// serves the next.
pub fn clear() {
    INTERRUPTED.store(false, Ordering::SeqCst);
}

/// Whether Ctrl-C was pressed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
