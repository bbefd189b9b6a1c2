//! A read of the jobs dir started before the command line is parsed and the
//! repository opened: those are about 0.7 ms of every run's start, on one core, while
//! the other waits (at 10,000 WOs a warm `audit` is 15 ms).
//!
//! [`Prefetch::start`] runs the read on a thread of its own, for the checkout found
//! from the current folder as git finds one: the nearest folder upward with a `.git`
//! entry, here only when that entry is a folder (a main checkout) and no `GIT_DIR`-like
//! variable says otherwise. The inventory starts it with the first part of its warm
//! read of the working tree (`prefetch_jobs_dir`: the parse cache loaded, the state
//! folders listed, their files taken from the cache).
//!
//! The gathering [`Prefetch::adopt`]s it when the repository, once opened, names the
//! same checkout, jobs dir and git-wo dir (canonical) for that same read; anything
//! else turns it down. Until it is adopted a prefetch writes nothing: the read waits
//! for the verdict ([`Handoff::adopted`]) before anything could be rewritten, so a
//! prefetch turned down (`wo.root` or `wo.jobsDir` set, a command that failed) only
//! read files.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use crate::git::repo::canonical;
use crate::model::config::DEFAULT_JOBS_DIR;

/// What a prefetch lists: the checkout and its jobs dir, with the parse cache of the
/// git-wo dir.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Place {
    pub(super) root: PathBuf,
    pub(super) jobs_rel: String,
    pub(super) wo_dir: PathBuf,
}

impl Place {
    /// The place of a read of `root`'s `jobs_rel` with the parse cache of `wo_dir`.
    pub(super) fn new(root: &Path, jobs_rel: &str, wo_dir: &Path) -> Place {
        Place {
            root: root.to_path_buf(),
            jobs_rel: jobs_rel.to_owned(),
            wo_dir: wo_dir.to_path_buf(),
        }
    }

    /// The main checkout the current folder is in, with the default jobs dir.
    fn main_checkout_here() -> Option<Place> {
        let cwd = std::env::current_dir().ok()?;
        // The nearest `.git` entry upward, of whatever kind, as git's discovery stops
        // there.
        let (root, dot_git) = cwd.ancestors().find_map(|dir| {
            let dot_git = dir.join(".git");
            let meta = std::fs::symlink_metadata(&dot_git).ok()?;
            Some((dir, meta.is_dir().then_some(dot_git)))
        })?;
        Some(Place {
            root: canonical(root),
            jobs_rel: DEFAULT_JOBS_DIR.to_owned(),
            wo_dir: canonical(&dot_git?).join("wo"),
        })
    }
}

/// What the gathering said of a prefetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    NotYet,
    Adopted,
    TurnedDown,
}

/// Between the prefetching thread and the gathering: where the thread lists (once it
/// knows, `Some(None)` when nowhere) and what the gathering said.
pub(super) struct Handoff {
    stage: Mutex<(Option<Option<Place>>, Verdict)>,
    changed: Condvar,
}

impl Handoff {
    fn new() -> Handoff {
        Handoff {
            stage: Mutex::new((None, Verdict::NotYet)),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, (Option<Option<Place>>, Verdict)> {
        self.stage.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Say where the thread lists.
    fn found(&self, place: Option<Place>) {
        self.lock().0 = Some(place);
        self.changed.notify_all();
    }

    /// Whether the thread lists `want` (`None`: it lists nothing), once it knows.
    fn lists(&self, want: &Place) -> Option<bool> {
        let stage = self.lock();
        let stage = self
            .changed
            .wait_while(stage, |(place, _)| place.is_none())
            .unwrap_or_else(|e| e.into_inner());
        stage.0.as_ref().and_then(Option::as_ref).map(|p| p == want)
    }

    fn decide(&self, verdict: Verdict) {
        self.lock().1 = verdict;
        self.changed.notify_all();
    }

    /// Whether the gathering turned the prefetch down already.
    pub(super) fn turned_down(&self) -> bool {
        self.lock().1 == Verdict::TurnedDown
    }

    /// Whether the gathering adopts the prefetch, once it has said.
    pub(super) fn adopted(&self) -> bool {
        let stage = self.lock();
        let stage = self
            .changed
            .wait_while(stage, |(_, verdict)| *verdict == Verdict::NotYet)
            .unwrap_or_else(|e| e.into_inner());
        stage.1 == Verdict::Adopted
    }
}

/// Variables that point git elsewhere than the current folder's checkout (the hooks
/// run with them): with any set, nothing is prefetched.
const ELSEWHERE: [&str; 3] = ["GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR"];

/// `GIT_WO_NO_PREFETCH=1`, for tests only: nothing is prefetched (the output is the
/// same either way).
const OFF: &str = "GIT_WO_NO_PREFETCH";

/// A prefetch under way: a read giving `T` on a thread of its own, with `S` shared
/// with whoever adopts it (to help it along).
pub(super) struct Prefetch<S, T> {
    handoff: Arc<Handoff>,
    shared: Arc<S>,
    handle: JoinHandle<T>,
}

impl<S, T> Prefetch<S, T>
where
    S: Default + Send + Sync + 'static,
    T: Send + 'static,
{
    /// Start `read` of the current folder's main checkout on a thread of its own
    /// (`nothing` when there is none, or one core); `None` when a variable says the
    /// checkout is another.
    pub(super) fn start(read: fn(&Place, &S, &Handoff) -> T, nothing: fn() -> T) -> Option<Self> {
        let off = std::env::var_os(OFF).is_some_and(|v| v != "0");
        if off || ELSEWHERE.iter().any(|v| std::env::var_os(v).is_some()) {
            return None;
        }
        let handoff = Arc::new(Handoff::new());
        let shared = Arc::new(S::default());
        let (here, with) = (Arc::clone(&handoff), Arc::clone(&shared));
        let handle = crate::placement::spawn_detached(move || {
            // (On one core a prefetch would only take turns with the parsing: none
            // is made.)
            let place = (crate::parallel::cores() > 1)
                .then(Place::main_checkout_here)
                .flatten();
            here.found(place.clone());
            match place {
                Some(place) => read(&place, &with, &here),
                None => nothing(),
            }
        });
        Some(Prefetch {
            handoff,
            shared,
            handle,
        })
    }

    /// The prefetch, when it reads `want` and the read is `wanted`; otherwise it is
    /// turned down.
    pub(super) fn adopt(self, want: &Place, wanted: bool) -> Option<Adopted<S, T>> {
        match self.handoff.lists(want) {
            Some(true) if wanted => {
                let _t = crate::trace::phase("prefetch: adopted");
                self.handoff.decide(Verdict::Adopted);
                Some(Adopted {
                    shared: self.shared,
                    handle: self.handle,
                })
            }
            Some(_) => {
                self.turn_down();
                None
            }
            // (Its thread found no main checkout, and has ended.)
            None => None,
        }
    }

    /// What it read is dropped unused; its thread ends on its own, not waited for.
    pub(super) fn turn_down(self) {
        let _t = crate::trace::phase("prefetch: turned down");
        self.handoff.decide(Verdict::TurnedDown);
    }
}

/// A prefetch adopted.
pub(super) struct Adopted<S, T> {
    pub(super) shared: Arc<S>,
    handle: JoinHandle<T>,
}

impl<S, T> Adopted<S, T> {
    /// What the read gave.
    pub(super) fn join(self) -> T {
        match self.handle.join() {
            Ok(out) => out,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}
