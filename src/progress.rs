//! A progress line on stderr, like git's (`Reading WOs: 45% (4500/10000)`), for work that
//! takes more than about half a second. Only on a terminal, never with `--quiet`, and
//! drawn by a thread of its own so the work itself only bumps an atomic counter.
//! `GIT_WO_PROGRESS_DELAY_MS` (test-only) changes the half second.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

static QUIET: AtomicBool = AtomicBool::new(false);
/// One line at a time: work on another thread that starts a line meanwhile gets none.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// `--quiet`: no progress at all.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

fn delay() -> Duration {
    crate::clock::millis_from_env("GIT_WO_PROGRESS_DELAY_MS", Duration::from_millis(500))
}

struct Shared {
    label: &'static str,
    total: usize,
    done: AtomicUsize,
    stop: AtomicBool,
}

/// A running progress line; dropping it ends the line (`…, done.`) if it was shown.
pub struct Progress {
    shared: Option<Arc<Shared>>,
    drawer: Option<JoinHandle<()>>,
}

/// Start a progress line for `total` units of `label`.
pub fn start(label: &'static str, total: usize) -> Progress {
    let none = Progress {
        shared: None,
        drawer: None,
    };
    if total == 0 || QUIET.load(Ordering::Relaxed) || !std::io::stderr().is_terminal() {
        return none;
    }
    if ACTIVE
        .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return none;
    }
    let shared = Arc::new(Shared {
        label,
        total,
        done: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
    });
    let s = Arc::clone(&shared);
    let wait = delay();
    let drawer = std::thread::Builder::new()
        .name("progress".into())
        .spawn(move || draw(&s, wait))
        .ok();
    Progress {
        shared: Some(shared),
        drawer,
    }
}

fn line(s: &Shared, done: usize) -> String {
    let done = done.min(s.total);
    let pct = (done * 100).checked_div(s.total).unwrap_or(100);
    format!("\r{}: {pct:3}% ({done}/{})", s.label, s.total)
}

fn draw(s: &Shared, wait: Duration) {
    let start = Instant::now();
    let mut shown = false;
    let mut err = std::io::stderr();
    loop {
        let stop = s.stop.load(Ordering::Acquire);
        if shown || start.elapsed() >= wait {
            shown = true;
            if stop {
                let _ = writeln!(err, "{}, done.", line(s, s.total));
                return;
            }
            let _ = write!(err, "{}", line(s, s.done.load(Ordering::Relaxed)));
            let _ = err.flush();
        } else if stop {
            // Done before it was worth showing.
            return;
        }
        std::thread::park_timeout(
            Duration::from_millis(100).min(wait.max(Duration::from_millis(1))),
        );
    }
}

impl Progress {
    /// `n` more units done (from any thread).
    pub fn add(&self, n: usize) {
        if let Some(s) = &self.shared {
            s.done.fetch_add(n, Ordering::Relaxed);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(s) = &self.shared {
            s.stop.store(true, Ordering::Release);
        }
        if let Some(d) = self.drawer.take() {
            d.thread().unpark();
            let _ = d.join();
        }
        if self.shared.is_some() {
            ACTIVE.store(false, Ordering::Release);
        }
    }
}
