//! [`FolderShare`]: the state folders of a warm run's listing, shared out one by one,
//! biggest first, between the thread that reads the jobs dir and the one that reads
//! the repository's facts, once that one is done.
//!
//! A warm run's read is two jobs side by side: listing the jobs dir (a `getdents` for
//! the names and an `lstat` a file, most of the run) and reading the records,
//! worktrees and markers. The listing used to be split by size between two listers
//! before it started, beside the facts' thread: three threads on two cores, and when
//! the facts were done their core had nothing to take. Now the facts' thread takes the
//! folders still waiting when it is done, so both threads list to the end. A folder is
//! listed and stat'ed by one thread, entry after entry: an `lstat` right after its
//! entry is read finds the file's kernel data still in the CPU's cache (with every
//! file stat'ed after the whole listing, shared run by run, a run at 100,000 WOs took
//! 4% more CPU time than this, and 10% more than before).
//!
//! A listing can be followed by a second step ([`Then`]) that needs to know where the
//! folder's files go among all of them: run for each folder in the folders' order, as
//! soon as it and every folder before it are listed, by whichever thread has nothing
//! left to list. A warm run takes each folder's files from the parse cache this way:
//! the thread that ends its listing first starts taking while the other still lists,
//! where the take used to wait for both, and then for a thread of its own to start.

use std::sync::{Condvar, Mutex, MutexGuard};

/// Folders shared out between threads; each folder's listing is kept in its place.
pub(super) struct FolderShare<F, L, P: Then<L> = ()> {
    queue: Mutex<Queue<F, L, P>>,
    changed: Condvar,
}

/// A step run for each folder's listing once it and the listings of every folder
/// before it are made, in the folders' order (each knows where its places start).
pub(super) trait Then<L>: Send {
    type Out: Send;
    /// How many places `listing` fills.
    fn places(listing: &L) -> usize;
    /// Run the step for `listing`, whose places start at `first`.
    fn run(&mut self, listing: &mut L, first: usize) -> Self::Out;
}

/// No second step.
impl<L> Then<L> for () {
    type Out = ();
    fn places(_: &L) -> usize {
        0
    }
    fn run(&mut self, _: &mut L, _: usize) {}
}

type Work<F, L> = (Vec<F>, fn(&F) -> L);

struct Queue<F, L, P: Then<L>> {
    /// The folders to list, in the order they are given back in, and how to list one.
    work: Option<Work<F, L>>,
    /// The folders' places, in the order they are taken (biggest first).
    order: Vec<usize>,
    /// The next of `order` to take.
    next: usize,
    /// Each folder's listing once made.
    listed: Vec<Option<L>>,
    /// No folder will be published any more (a helper stops waiting for some).
    closed: bool,
    /// Each folder's second step (none: no second step), taken out while it runs.
    then: Vec<Option<P>>,
    /// Each second step's outcome once run.
    outs: Vec<Option<P::Out>>,
    /// The folder whose second step is next, and where its places start.
    next_then: usize,
    next_first: usize,
    /// A listing or a second step panicked: nobody waits for what it was to give.
    broken: bool,
}

/// Closes the share when dropped: whatever way the lister leaves (an error, nothing to
/// list), a helper waiting for folders stops waiting.
pub(super) struct Closing<'s, F, L, P: Then<L> = ()>(&'s FolderShare<F, L, P>);

impl<F, L, P: Then<L>> Drop for Closing<'_, F, L, P> {
    fn drop(&mut self) {
        self.0.lock().closed = true;
        self.0.changed.notify_all();
    }
}

impl<F, L, P: Then<L>> FolderShare<F, L, P> {
    fn lock(&self) -> MutexGuard<'_, Queue<F, L, P>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Marks the share broken when a thread unwinds through a listing or a second step, so
/// that the threads waiting for its outcome stop waiting (the lister then panics too)
/// instead of waiting for ever.
struct Unwinding<'s, F, L, P: Then<L>>(&'s FolderShare<F, L, P>);

impl<F, L, P: Then<L>> Drop for Unwinding<'_, F, L, P> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.lock().broken = true;
            self.0.changed.notify_all();
        }
    }
}

impl<F, L, P: Then<L>> Default for FolderShare<F, L, P> {
    fn default() -> Self {
        FolderShare {
            queue: Mutex::new(Queue {
                work: None,
                order: Vec::new(),
                next: 0,
                listed: Vec::new(),
                closed: false,
                then: Vec::new(),
                outs: Vec::new(),
                next_then: 0,
                next_first: 0,
                broken: false,
            }),
            changed: Condvar::new(),
        }
    }
}

/// What [`FolderShare::list_all`] gives back: each folder's listing, and, when there
/// was a second step, each one's step and outcome, all in the folders' order.
pub(super) struct Listed<L, P: Then<L>> {
    pub(super) listings: Vec<L>,
    pub(super) then: Vec<P>,
    pub(super) outs: Vec<P::Out>,
}

impl<F: Clone, L, P: Then<L>> FolderShare<F, L, P> {
    /// The guard the lister holds until it has published its folders.
    pub(super) fn close_on_drop(&self) -> Closing<'_, F, L, P> {
        Closing(self)
    }

    /// List `folders` with `list`, taking them in the order of `sizes` (biggest first),
    /// with whoever [`help`](FolderShare::help)s, then run `then` (one for each folder,
    /// or none) in the folders' order; all of it given back in the folders' order.
    pub(super) fn list_all(
        &self,
        closing: Closing<'_, F, L, P>,
        folders: Vec<F>,
        sizes: &[u64],
        list: fn(&F) -> L,
        then: Vec<P>,
    ) -> Listed<L, P> {
        let count = folders.len();
        let mut order: Vec<usize> = (0..count).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(sizes.get(i).copied().unwrap_or(0)));
        // (A folder with no second step would be given back without its outcome.)
        assert!(
            then.is_empty() || then.len() == count,
            "a second step for every folder or for none"
        );
        let then: Vec<Option<P>> = then.into_iter().map(Some).collect();
        {
            let mut queue = self.lock();
            queue.work = Some((folders, list));
            queue.order = order;
            queue.listed = (0..count).map(|_| None).collect();
            queue.outs = then.iter().map(|_| None).collect();
            queue.then = then;
        }
        drop(closing);
        self.take_folders();
        let queue = self.lock();
        // (A listing is taken out of its place while its second step runs.)
        let mut queue = self
            .changed
            .wait_while(queue, |q| !q.broken && q.listed.iter().any(Option::is_none))
            .unwrap_or_else(|e| e.into_inner());
        assert!(
            !queue.broken,
            "a folder's listing or second step panicked on another thread"
        );
        Listed {
            listings: queue.listed.drain(..).flatten().collect(),
            then: queue.then.drain(..).flatten().collect(),
            outs: queue.outs.drain(..).flatten().collect(),
        }
    }

    /// Wait until the lister publishes its folders (or will not), then list those
    /// still waiting, one after the other.
    pub(super) fn help(&self) {
        {
            let queue = self.lock();
            let _published = self
                .changed
                .wait_while(queue, |q| !q.closed)
                .unwrap_or_else(|e| e.into_inner());
        }
        self.take_folders();
    }

    fn take_folders(&self) {
        let _unwinding = Unwinding(self);
        loop {
            let mut queue = self.lock();
            let Some(&i) = queue.order.get(queue.next) else {
                drop(queue);
                self.run_thens();
                return;
            };
            queue.next += 1;
            let Some((folder, list)) = queue
                .work
                .as_ref()
                .and_then(|(folders, list)| Some((folders.get(i)?.clone(), *list)))
            else {
                return;
            };
            drop(queue);
            let listing = list(&folder);
            if let Some(slot) = self.lock().listed.get_mut(i) {
                *slot = Some(listing);
            }
            self.changed.notify_all();
        }
    }

    /// Run the second steps still to run, in the folders' order, each once its folder
    /// is listed (waiting for the listing another thread still makes).
    fn run_thens(&self) {
        let mut queue = self.lock();
        loop {
            let i = queue.next_then;
            if i >= queue.then.len() {
                return;
            }
            if queue.broken {
                return;
            }
            if queue.listed.get(i).is_some_and(Option::is_none) {
                queue = self.changed.wait(queue).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            let step = queue.then.get_mut(i).and_then(Option::take);
            let listing = queue.listed.get_mut(i).and_then(Option::take);
            let (Some(mut step), Some(mut listing)) = (step, listing) else {
                unreachable!("a folder's step and listing stay in place until the step runs");
            };
            let first = queue.next_first;
            queue.next_first += P::places(&listing);
            queue.next_then += 1;
            drop(queue);
            let out = step.run(&mut listing, first);
            queue = self.lock();
            let q = &mut *queue;
            if let (Some(l), Some(t), Some(o)) =
                (q.listed.get_mut(i), q.then.get_mut(i), q.outs.get_mut(i))
            {
                (*l, *t, *o) = (Some(listing), Some(step), Some(out));
            }
            self.changed.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FolderShare;

    fn square(n: &u64) -> u64 {
        // (Long enough that a helper takes some.)
        std::thread::sleep(std::time::Duration::from_millis(2));
        n * n
    }

    /// Every folder is listed once, with a helper or without, and the listings come
    /// back in the folders' order whatever order they were taken in.
    #[test]
    fn each_folder_is_listed_once_and_given_back_in_its_place() {
        let folders: Vec<u64> = (1..=9).collect();
        let sizes: Vec<u64> = vec![5, 90, 1, 40, 40, 7, 0, 100, 3];
        for helped in [false, true] {
            let share: FolderShare<u64, u64> = FolderShare::default();
            let out = std::thread::scope(|scope| {
                let helper = helped.then(|| scope.spawn(|| share.help()));
                let closing = share.close_on_drop();
                let out = share.list_all(closing, folders.clone(), &sizes, square, Vec::new());
                if let Some(h) = helper {
                    h.join().unwrap();
                }
                out
            });
            assert_eq!(out.listings, [1, 4, 9, 16, 25, 36, 49, 64, 81]);
            assert!(out.then.is_empty() && out.outs.is_empty());
            // Taken biggest first (ties in the folders' order).
            assert_eq!(share.lock().order, [7, 1, 3, 4, 5, 0, 8, 2, 6]);
        }
    }

    /// A second step that counts its listing's places, records where they started and
    /// doubles the listing in place.
    struct Count {
        first: Option<usize>,
    }

    impl super::Then<u64> for Count {
        type Out = (usize, u64);
        fn places(listing: &u64) -> usize {
            *listing as usize
        }
        fn run(&mut self, listing: &mut u64, first: usize) -> (usize, u64) {
            assert!(self.first.is_none(), "run once");
            self.first = Some(first);
            std::thread::sleep(std::time::Duration::from_millis(1));
            *listing *= 2;
            (first, *listing)
        }
    }

    /// Each folder's second step runs once, after its listing, with its places starting
    /// after all the folders' before it, whoever lists and runs what.
    #[test]
    fn second_steps_run_once_each_with_the_places_of_the_folders_before() {
        let folders: Vec<u64> = (1..=7).collect();
        let sizes: Vec<u64> = vec![1, 50, 2, 40, 3, 30, 0];
        for helped in [false, true] {
            let share: FolderShare<u64, u64, Count> = FolderShare::default();
            let steps = folders.iter().map(|_| Count { first: None }).collect();
            let out = std::thread::scope(|scope| {
                let helper = helped.then(|| scope.spawn(|| share.help()));
                let closing = share.close_on_drop();
                let out = share.list_all(closing, folders.clone(), &sizes, square, steps);
                if let Some(h) = helper {
                    h.join().unwrap();
                }
                out
            });
            // Listings of 1, 4, 9… places, each doubled by its step.
            assert_eq!(out.listings, [2, 8, 18, 32, 50, 72, 98]);
            let firsts = [0, 1, 5, 14, 30, 55, 91];
            let outs: Vec<(usize, u64)> = firsts.iter().copied().zip(out.listings).collect();
            assert_eq!(out.outs, outs);
            let ran: Vec<Option<usize>> = out.then.iter().map(|c| c.first).collect();
            assert_eq!(ran, firsts.map(Some));
        }
    }

    /// A second step that panics, on the lister's thread or on a helper's, ends the
    /// listing with a panic: no thread waits for ever for its outcome.
    #[test]
    fn a_second_step_that_panics_fails_the_listing_instead_of_hanging_it() {
        /// Fails on any thread but `lister`'s (which takes its time, so that a helper
        /// runs some), or on `lister`'s for the fourth folder when there is no helper.
        struct Fails {
            lister: std::thread::ThreadId,
            helped: bool,
        }
        impl super::Then<u64> for Fails {
            type Out = ();
            fn places(_: &u64) -> usize {
                1
            }
            fn run(&mut self, listing: &mut u64, _: usize) {
                let on_lister = std::thread::current().id() == self.lister;
                assert!(on_lister, "a helper's step fails");
                assert!(
                    self.helped || *listing != 16,
                    "the fourth folder's step fails"
                );
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
        let folders: Vec<u64> = (1..=6).collect();
        let sizes: Vec<u64> = vec![1; 6];
        for helped in [false, true] {
            let share: FolderShare<u64, u64, Fails> = FolderShare::default();
            let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                std::thread::scope(|scope| {
                    let helper = helped.then(|| scope.spawn(|| share.help()));
                    let closing = share.close_on_drop();
                    let lister = std::thread::current().id();
                    let steps = folders.iter().map(|_| Fails { lister, helped }).collect();
                    share.list_all(closing, folders.clone(), &sizes, square, steps);
                    if let Some(h) = helper {
                        let _ = h.join();
                    }
                })
            }));
            assert!(ran.is_err(), "helped: {helped}");
        }
    }

    /// A helper that waits for folders stops waiting when the lister leaves without
    /// publishing any.
    #[test]
    fn a_helper_stops_waiting_when_the_lister_gives_up() {
        let share: FolderShare<u64, u64> = FolderShare::default();
        std::thread::scope(|scope| {
            let helper = scope.spawn(|| share.help());
            let closing = share.close_on_drop();
            std::thread::sleep(std::time::Duration::from_millis(20));
            drop(closing);
            helper.join().unwrap();
        });
        assert!(share.lock().work.is_none());
    }
}
