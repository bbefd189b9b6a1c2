//! When the `git` of `git wo …` dies (killed, even with `kill -9`), git-wo would go on
//! alone, reparented, halfway through a state change nobody waits for. A state change
//! asks the kernel (Linux `PR_SET_PDEATHSIG`) for a SIGINT when its parent dies, and
//! takes it as Ctrl-C ([`crate::interrupt`]): the journal stops before its next step,
//! a take is undone, a finish stays resumable, exit 130.
//!
//! The parent may die before the request is made: [`parent`] is read first thing, and
//! [`watch`] compares it with the parent after the request (a reparented process has a
//! new one), so that death is not missed either.

use std::sync::atomic::{AtomicI32, Ordering};

/// The parent [`watch`] was given (0: not watching).
static WATCHED: AtomicI32 = AtomicI32::new(0);

/// Whether the parent [`watch`] was given has died (this process was reparented):
/// an interruption is then the parent's death, not a Ctrl-C.
pub fn parent_died() -> bool {
    let watched = WATCHED.load(Ordering::SeqCst);
    watched != 0 && parent() != watched
}

/// The parent process id, as the process starts.
pub fn parent() -> i32 {
    // SAFETY: getppid has no preconditions and cannot fail.
    unsafe { libc::getppid() }
}

/// Get a SIGINT when the parent dies (the Ctrl-C handler must be installed first);
/// `parent` is what [`parent`] returned at start. Elsewhere than Linux, nothing.
pub fn watch(parent: i32) {
    WATCHED.store(parent, Ordering::SeqCst);
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl(PR_SET_PDEATHSIG, signal) only records the signal to send.
        let set = unsafe {
            libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGINT as libc::c_ulong,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
            )
        };
        // The parent died before the request: nothing will signal it now.
        if set == 0 && self::parent() != parent {
            // SAFETY: raise only delivers SIGINT to this process, whose handler is
            // async-signal-safe (an atomic store).
            unsafe {
                libc::raise(libc::SIGINT);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = parent;
}
