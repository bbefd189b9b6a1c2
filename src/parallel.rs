//! Order-preserving parallel map over a few scoped threads, for the per-file work that
//! runs 10,000 times in big jobs dirs (reading, inflating, parsing).

/// Threads used at most (the machines this runs on are small; the work is I/O-bound).
const MAX_THREADS: usize = 4;

/// Below this many items one thread is faster than starting more.
const MIN_PARALLEL: usize = 256;

/// How many threads can run at once here (at least 1). Asked of the system once a
/// process: each asking reads the cgroup's CPU quota from `/proc` and `/sys` (five
/// system calls), and a run asked it three times. For tests only, `GIT_WO_CORES`
/// (git-wo(1)) says how many to act for, so that what a machine with more cores (or
/// one) runs is tested on any.
pub fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| {
        acted_for(std::env::var("GIT_WO_CORES").ok().as_deref())
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    })
}

/// The number of cores `GIT_WO_CORES` asks to act for: a whole number from 1 to 64.
fn acted_for(value: Option<&str>) -> Option<usize> {
    value?.parse().ok().filter(|n| (1..=64).contains(n))
}

/// `items.map(f)` in order, on up to [`MAX_THREADS`] threads; each thread first builds
/// its own state with `init` (e.g. a thread-local repository handle).
pub fn map<T, U, S>(
    items: Vec<T>,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, T) -> U + Sync,
) -> Vec<U>
where
    T: Send,
    U: Send,
{
    map_in_chunks(items, init, f).into_vec()
}

/// [`map`], its results left in one list per thread: iterating them frees each list
/// once it is passed, where [`map`] copies them all into one list first (at 100,000
/// records, 24 MB more at the peak of a cold read).
pub fn map_in_chunks<T, U, S>(
    items: Vec<T>,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, T) -> U + Sync,
) -> Chunks<U>
where
    T: Send,
    U: Send,
{
    let threads = cores().clamp(1, MAX_THREADS);
    if threads == 1 || items.len() < MIN_PARALLEL {
        let mut state = init();
        return Chunks(vec![items.into_iter().map(|t| f(&mut state, t)).collect()]);
    }
    let chunk = items.len().div_ceil(threads);
    let mut chunks: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut it = items.into_iter().peekable();
    while it.peek().is_some() {
        chunks.push(it.by_ref().take(chunk).collect());
    }
    let (init, f) = (&init, &f);
    let run = move |c: Vec<T>| {
        let mut state = init();
        c.into_iter().map(|t| f(&mut state, t)).collect::<Vec<U>>()
    };
    // The first chunk on this thread, the others each on a thread of its own, started
    // on another core (see [`crate::placement`]).
    let mut chunks = chunks.into_iter();
    let first = chunks.next().unwrap_or_default();
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .map(|c| {
                crate::placement::spawn(scope, move || {
                    let _t = crate::trace::phase("parallel: a chunk");
                    run(c)
                })
            })
            .collect();
        let mut out = Vec::with_capacity(handles.len() + 1);
        out.push(run(first));
        out.extend(handles.into_iter().map(join));
        Chunks(out)
    })
}

/// The results of [`map_in_chunks`], in order: one list per thread.
pub struct Chunks<U>(Vec<Vec<U>>);

impl<U> Chunks<U> {
    /// How many results there are.
    pub fn len(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(Vec::is_empty)
    }

    /// The results in one list: the only one as it is, or all gathered at their final
    /// size (collecting them grew the list by doubling).
    pub fn into_vec(mut self) -> Vec<U> {
        if self.0.len() == 1 {
            return self.0.pop().unwrap_or_default();
        }
        let mut out = Vec::with_capacity(self.len());
        out.extend(self);
        out
    }
}

impl<U> IntoIterator for Chunks<U> {
    type Item = U;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Vec<U>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter().flatten()
    }
}

/// The result of a scoped thread; a panic in it goes on in the caller, as if the work
/// had run there.
pub fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    match handle.join() {
        Ok(out) => out,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cores_acted_for_are_a_whole_number_from_1_to_64() {
        assert_eq!(acted_for(Some("4")), Some(4));
        assert_eq!(acted_for(Some("1")), Some(1));
        assert_eq!(acted_for(Some("64")), Some(64));
        for bad in ["0", "65", "-1", "", "two", " 2", "2.0"] {
            assert_eq!(acted_for(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(acted_for(None), None);
    }

    #[test]
    fn keeps_order_and_runs_init_per_thread() {
        let items: Vec<usize> = (0..5000).collect();
        let out = super::map(items, || 10, |s, x| x * *s);
        assert_eq!(out.len(), 5000);
        assert!(out.iter().enumerate().all(|(i, v)| *v == i * 10));
        assert_eq!(super::map(vec![1, 2], || (), |_, x| x + 1), vec![2, 3]);
        let chunks = super::map_in_chunks((0..5000).collect(), || 2, |s, x: usize| x * *s);
        assert_eq!(chunks.len(), 5000);
        assert!(chunks.into_iter().enumerate().all(|(i, v)| v == i * 2));
    }
}
