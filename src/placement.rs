//! Where a new thread starts: on another core than the thread that starts it, which
//! goes on working.
//!
//! Linux may queue a new thread on its creator's core and leave it waiting there while
//! the creator runs, even when another core is idle: on the 2-core VMs git-wo was
//! measured on, a thread started by a busy thread ran its first instruction 1.9 ms later on
//! average (up to 3.7 ms), with the other core idle all that time; at 10,000 WOs a
//! warm run is 20 ms. So the creator yields until the new thread has run and moved
//! itself off the creator's core (the cores it may use, minus the creator's, then all
//! of them again): it starts within about 30 µs and the two run side by side from
//! there. Elsewhere (one core, another system) a thread is just started.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a creator yields at most for its new thread to move away.
const WAIT_AT_MOST: Duration = Duration::from_millis(1);

/// Start `f` on a thread of `scope`, on another core than this thread's when there is
/// one; this thread goes on once the new one has moved (at most 1 ms later).
pub fn spawn<'scope, 'env, T, F>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    f: F,
) -> std::thread::ScopedJoinHandle<'scope, T>
where
    F: FnOnce() -> T + Send + 'scope,
    T: Send + 'scope,
{
    let move_off = MoveOff::here();
    let handle = scope.spawn(move_off.first(f));
    move_off.wait();
    handle
}

/// [`spawn`] for a thread that outlives its caller: joined through the handle, or
/// ended with the process.
pub fn spawn_detached<T, F>(f: F) -> std::thread::JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let move_off = MoveOff::here();
    let handle = std::thread::spawn(move_off.first(f));
    move_off.wait();
    handle
}

/// A new thread's move off its creator's core, and the creator's wait for it.
struct MoveOff {
    /// `None` when there is no other core to move to.
    from: Option<Cores>,
    moved: Arc<AtomicBool>,
}

impl MoveOff {
    fn here() -> MoveOff {
        MoveOff {
            from: Cores::here(),
            moved: Arc::new(AtomicBool::new(false)),
        }
    }

    /// `f`, run once the thread has moved.
    fn first<T, F: FnOnce() -> T>(&self, f: F) -> impl FnOnce() -> T + use<T, F> {
        let (from, signal) = (self.from, Arc::clone(&self.moved));
        move || {
            if let Some(from) = from {
                from.move_off();
            }
            signal.store(true, Ordering::Release);
            f()
        }
    }

    /// Wait until the new thread has moved (at most [`WAIT_AT_MOST`]).
    fn wait(&self) {
        if self.from.is_none() {
            return;
        }
        let start = Instant::now();
        while !self.moved.load(Ordering::Acquire) && start.elapsed() < WAIT_AT_MOST {
            // (Lets the new thread run here, if here is where it waits, without leaving
            // this core: a thread that blocks is woken on its waker's core.)
            std::thread::yield_now();
        }
    }
}

/// The cores this process may run on and the one the creating thread is on.
#[derive(Clone, Copy)]
struct Cores {
    #[cfg(target_os = "linux")]
    allowed: libc::cpu_set_t,
    #[cfg(target_os = "linux")]
    creator: usize,
}

impl Cores {
    /// The creator's cores, when there is another one to move to.
    #[cfg(target_os = "linux")]
    fn here() -> Option<Cores> {
        // SAFETY: `sched_getaffinity` writes at most `size_of::<cpu_set_t>()` bytes
        // into the set it is given; `sched_getcpu` takes nothing. Both only read
        // the calling thread's state.
        let (allowed, creator) = unsafe {
            let mut allowed: libc::cpu_set_t = std::mem::zeroed();
            let size = std::mem::size_of::<libc::cpu_set_t>();
            if libc::sched_getaffinity(0, size, &mut allowed) != 0 {
                return None;
            }
            (allowed, libc::sched_getcpu())
        };
        let creator = usize::try_from(creator).ok()?;
        // SAFETY: `CPU_COUNT` only reads the set.
        let count = unsafe { libc::CPU_COUNT(&allowed) };
        (count > 1).then_some(Cores { allowed, creator })
    }

    #[cfg(not(target_os = "linux"))]
    fn here() -> Option<Cores> {
        None
    }

    /// Move the calling thread off the creator's core (if it is there), then allow it
    /// every core again: it stays where it moved until the scheduler moves it.
    #[cfg(target_os = "linux")]
    fn move_off(&self) {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: as in `here`; `sched_setaffinity` only reads the set it is given.
        unsafe {
            if usize::try_from(libc::sched_getcpu()).ok() != Some(self.creator) {
                return;
            }
            let mut elsewhere = self.allowed;
            libc::CPU_CLR(self.creator, &mut elsewhere);
            if libc::sched_setaffinity(0, size, &elsewhere) == 0 {
                libc::sched_setaffinity(0, size, &self.allowed);
            }
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn move_off(&self) {}
}

#[cfg(test)]
mod tests {
    /// The work runs and gives its result, and the thread ends up allowed every core
    /// the process may use (none is taken from it for good).
    #[test]
    fn the_thread_runs_its_work_with_every_core_allowed() {
        let before = allowed_here();
        let (out, on_thread) = std::thread::scope(|scope| {
            let h = super::spawn(scope, || (6 * 7, allowed_here()));
            crate::parallel::join(h)
        });
        assert_eq!(out, 42);
        assert_eq!(on_thread, before);
        // Many at once, each with its own result.
        let outs: Vec<usize> = std::thread::scope(|scope| {
            let hs: Vec<_> = (0..8).map(|i| super::spawn(scope, move || i * 2)).collect();
            hs.into_iter().map(crate::parallel::join).collect()
        });
        assert_eq!(outs, [0, 2, 4, 6, 8, 10, 12, 14]);
    }

    /// A thread on its creator's core leaves it, and is allowed every core again.
    #[cfg(target_os = "linux")]
    #[test]
    fn moving_off_leaves_the_creators_core_and_keeps_every_core_allowed() {
        let before = allowed_here();
        let Some(cores) = super::Cores::here() else {
            // One core allowed: nowhere to move (and `spawn` just starts the thread).
            assert_eq!(before.len(), 1);
            return;
        };
        cores.move_off();
        // SAFETY: as in `Cores::here`.
        let now = unsafe { libc::sched_getcpu() };
        assert_ne!(usize::try_from(now).ok(), Some(cores.creator));
        assert_eq!(allowed_here(), before);
    }

    #[cfg(target_os = "linux")]
    fn allowed_here() -> Vec<usize> {
        // SAFETY: as in `Cores::here`.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            assert_eq!(
                libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set),
                0
            );
            (0..libc::CPU_SETSIZE as usize)
                .filter(|&i| libc::CPU_ISSET(i, &set))
                .collect()
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn allowed_here() -> Vec<usize> {
        Vec::new()
    }
}
