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

use std::sync::{Condvar, Mutex, MutexGuard};

/// Folders shared out between threads; each folder's listing is kept in its place.
pub(super) struct FolderShare<F, L> {
    queue: Mutex<Queue<F, L>>,
    changed: Condvar,
}

type Work<F, L> = (Vec<F>, fn(&F) -> L);

struct Queue<F, L> {
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
}

/// Closes the share when dropped: whatever way the lister leaves (an error, nothing to
/// list), a helper waiting for folders stops waiting.
pub(super) struct Closing<'s, F, L>(&'s FolderShare<F, L>);

impl<F, L> Drop for Closing<'_, F, L> {
    fn drop(&mut self) {
        self.0.lock().closed = true;
        self.0.changed.notify_all();
    }
}

impl<F, L> FolderShare<F, L> {
    fn lock(&self) -> MutexGuard<'_, Queue<F, L>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<F, L> Default for FolderShare<F, L> {
    fn default() -> Self {
        FolderShare {
            queue: Mutex::new(Queue {
                work: None,
                order: Vec::new(),
                next: 0,
                listed: Vec::new(),
                closed: false,
            }),
            changed: Condvar::new(),
        }
    }
}

impl<F: Clone, L> FolderShare<F, L> {
    /// The guard the lister holds until it has published its folders.
    pub(super) fn close_on_drop(&self) -> Closing<'_, F, L> {
        Closing(self)
    }

    /// List `folders` with `list`, taking them in the order of `sizes` (biggest first),
    /// with whoever [`help`](FolderShare::help)s; the listings in the order of `folders`.
    pub(super) fn list_all(
        &self,
        closing: Closing<'_, F, L>,
        folders: Vec<F>,
        sizes: &[u64],
        list: fn(&F) -> L,
    ) -> Vec<L> {
        let count = folders.len();
        let mut order: Vec<usize> = (0..count).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(sizes.get(i).copied().unwrap_or(0)));
        {
            let mut queue = self.lock();
            queue.work = Some((folders, list));
            queue.order = order;
            queue.listed = (0..count).map(|_| None).collect();
        }
        drop(closing);
        self.take_folders();
        let queue = self.lock();
        let mut queue = self
            .changed
            .wait_while(queue, |q| q.listed.iter().any(Option::is_none))
            .unwrap_or_else(|e| e.into_inner());
        queue.listed.drain(..).flatten().collect()
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
        loop {
            let mut queue = self.lock();
            let Some(&i) = queue.order.get(queue.next) else {
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
            let share = FolderShare::default();
            let out = std::thread::scope(|scope| {
                let helper = helped.then(|| scope.spawn(|| share.help()));
                let closing = share.close_on_drop();
                let out = share.list_all(closing, folders.clone(), &sizes, square);
                if let Some(h) = helper {
                    h.join().unwrap();
                }
                out
            });
            assert_eq!(out, [1, 4, 9, 16, 25, 36, 49, 64, 81]);
            // Taken biggest first (ties in the folders' order).
            assert_eq!(share.lock().order, [7, 1, 3, 4, 5, 0, 8, 2, 6]);
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
