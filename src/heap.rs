//! How git-wo asks the C allocator to give memory back, and the kernel for huge pages.
//!
//! glibc's `malloc` serves a request over 128 KiB with a mapping of its own, and
//! unmaps it on `free`. But after the first such `free` it raises that threshold (up
//! to 32 MiB), and later big buffers come from the heap, where freeing them returns
//! nothing to the system. A read of 100,000 WOs frees several such buffers (a folder's
//! listing, a cache's lines) before it builds the next: with the sliding threshold
//! their pages stayed resident, about 10 MB of the peak. A fixed threshold keeps big
//! buffers mapped on their own, so a freed one is gone from the resident size.
//!
//! The biggest buffers of a read (the records, the list of files) are written whole as
//! soon as they are made, a page fault every 4 KiB: asked for huge pages, each 2 MiB of
//! them is one fault.
//!
//! A thread's own heap starts small and grows as it is used, an `mprotect` each time,
//! which takes the process's address-space lock for writing: it waits for the other
//! thread's page faults, and they for it. Started with room to spare ([`TOP_PAD`]), the
//! heaps of a warm read grow far less often.

/// The size from which a buffer gets a mapping of its own: glibc's default.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

/// The room glibc makes beyond what is asked for when it makes a thread's heap or grows
/// the main one (`M_TOP_PAD`; 128 KiB by default). At 10,000 WOs a warm `audit` made 217
/// `mprotect` calls with the default and 46 with this, and ran 0.93–0.97× as long
/// (paired, 40 to 60 runs). Room never written is never resident, but free memory up to
/// the pad is kept in each heap: at 100,000 WOs the peak grew by 0.2–0.4 MiB with this,
/// by 0.7 MiB with 1 MiB and by 5 MiB with 8 MiB.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TOP_PAD: libc::c_int = 512 * 1024;

/// Set the allocator's mapping threshold and top pad (glibc on Linux; elsewhere
/// nothing). Call once, first thing in `main`, before other threads start.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets a tunable of glibc's allocator; it is called before
    // any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TOP_PAD, TOP_PAD);
    }
}

/// Room for at least `items` of `T` in a buffer that gets a mapping of its own (as
/// many as take glibc's mapping threshold, if that is more): given back to the system
/// when it is freed, never left in the heap of the thread that made it, where only that
/// thread's allocations reuse it. Room never written is never resident.
pub fn own_mapping<T>(items: usize) -> usize {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let size = std::mem::size_of::<T>().max(1);
        items.max((MMAP_THRESHOLD as usize).div_ceil(size))
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    items
}

/// Ask the kernel to back the 2 MiB-aligned stretches of `v`'s allocation with huge
/// pages (Linux, where transparent huge pages are given on request, as here by default),
/// and whether it was asked: not for a buffer under two huge pages, nor elsewhere. Call
/// before the buffer is written: each stretch is then one page fault, not 512 (at
/// 100,000 WOs a warm `audit` took 11,300 page faults, 8,200 with the records and the
/// list of files advised). The resident size is the same: the buffers are written whole.
pub fn prefer_huge_pages<T>(v: &mut Vec<T>) -> bool {
    let len = v.capacity().saturating_mul(std::mem::size_of::<T>());
    prefer_huge_pages_at(v.as_mut_ptr() as usize, len)
}

/// The same for the stretches within `slots` (a share of a buffer made with room to
/// spare, about to be written): a huge page that reached beyond them would make memory
/// resident that may never be written.
pub fn prefer_huge_pages_in<T>(slots: &mut [T]) -> bool {
    prefer_huge_pages_at(slots.as_mut_ptr() as usize, std::mem::size_of_val(slots))
}

/// Advise huge pages for the 2 MiB-aligned stretches of the `len` bytes at `start`.
fn prefer_huge_pages_at(start: usize, len: usize) -> bool {
    #[cfg(target_os = "linux")]
    {
        let from = start.next_multiple_of(HUGE);
        let to = start.saturating_add(len) / HUGE * HUGE;
        if len < 2 * HUGE || to <= from {
            return false;
        }
        // SAFETY: the range lies inside memory the caller holds (a buffer's allocation
        // or a slice of it); MADV_HUGEPAGE only changes how the kernel backs it with
        // pages, never what it holds.
        unsafe { libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (start, len);
        false
    }
}

/// A transparent huge page.
#[cfg(target_os = "linux")]
const HUGE: usize = 2 << 20;

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The address range at the head of a line of `/proc/self/maps` or `smaps`
    /// (`<start>-<end> …`), if the line starts with one.
    fn range_of(line: &str) -> Option<std::ops::Range<usize>> {
        let (range, _) = line.split_once(' ')?;
        let (a, b) = range.split_once('-')?;
        Some(usize::from_str_radix(a, 16).ok()?..usize::from_str_radix(b, 16).ok()?)
    }

    /// The `VmFlags` of the mapping of this process that holds `addr`.
    fn flags_at(addr: usize) -> Option<String> {
        let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
        let mut inside = false;
        for line in smaps.lines() {
            if let Some(range) = range_of(line) {
                inside = range.contains(&addr);
            } else if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
                return Some(flags.to_owned());
            }
        }
        None
    }

    /// The size of the mapping of this process that holds `addr`.
    fn mapping_size_at(addr: usize) -> Option<usize> {
        let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
        maps.lines()
            .filter_map(range_of)
            .find(|r| r.contains(&addr))
            .map(|r| r.len())
    }

    /// Once the allocator is tuned, a new thread's heap starts with the pad's room. Run
    /// in a process of its own (this test binary again, with this test alone): `mallopt`
    /// must not be called while other threads allocate.
    #[cfg(target_env = "gnu")]
    #[test]
    fn a_new_threads_heap_starts_with_room_to_spare() {
        const ALONE: &str = "GIT_WO_HEAP_TEST_ALONE";
        if std::env::var_os(ALONE).is_none() {
            let exe = std::env::current_exe().expect("the test binary");
            let name = "heap::tests::a_new_threads_heap_starts_with_room_to_spare";
            let out = std::process::Command::new(exe)
                .args(["--exact", name, "--test-threads=1"])
                .env(ALONE, "1")
                .output()
                .expect("the test binary runs");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && stdout.contains("1 passed"),
                "{stdout}"
            );
            return;
        }
        tune_allocator();
        // Four threads at once: a thread may get the heap of one that ended (the test
        // harness's), but not all four.
        let together = std::sync::Barrier::new(4);
        let rooms: Vec<Option<usize>> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        // (Not a few bytes: those can come from a cache of the main
                        // heap's.)
                        let first = vec![7u8; 1000];
                        together.wait();
                        mapping_size_at(first.as_ptr() as usize)
                    })
                })
                .collect();
            threads.into_iter().map(crate::parallel::join).collect()
        });
        let most = rooms.iter().flatten().max().copied().unwrap_or(0);
        assert!(
            most >= TOP_PAD as usize,
            "the new threads' heaps start with {rooms:?} bytes"
        );
    }

    #[test]
    fn a_big_buffer_is_advised_and_a_small_one_left_alone() {
        let mut small: Vec<u64> = Vec::with_capacity(1000);
        assert!(!prefer_huge_pages(&mut small));
        let mut big: Vec<u64> = Vec::with_capacity(1 << 20);
        assert!(prefer_huge_pages(&mut big), "madvise refused");
        let inside = (big.as_ptr() as usize).next_multiple_of(HUGE);
        let flags = flags_at(inside).unwrap_or_default();
        assert!(
            flags.split_whitespace().any(|f| f == "hg"),
            "no huge page advice on the buffer: {flags}"
        );
        // Written and read back as any buffer.
        big.extend(0..1 << 20);
        assert_eq!((big[0], big[(1 << 20) - 1]), (0, (1 << 20) - 1));
    }

    /// Of a share of a buffer, only the huge pages wholly inside the share are advised.
    #[test]
    fn a_share_is_advised_only_within_itself() {
        let mut big: Vec<u64> = Vec::with_capacity(3 << 20);
        let spare = big.spare_capacity_mut();
        let base = spare.as_ptr() as usize;
        // From a quarter of a huge page past the first aligned one, for five of them.
        let first = (base.next_multiple_of(HUGE) - base + HUGE / 4) / 8;
        let share = &mut spare[first..first + 5 * HUGE / 8];
        let (start, end) = (share.as_ptr() as usize, share.as_ptr() as usize + 5 * HUGE);
        assert!(prefer_huge_pages_in(share), "madvise refused");
        let advised = |addr: usize| {
            flags_at(addr)
                .unwrap_or_default()
                .split_whitespace()
                .any(|f| f == "hg")
        };
        let (from, to) = (start.next_multiple_of(HUGE), end / HUGE * HUGE);
        assert_eq!(to - from, 4 * HUGE);
        assert!(advised(from) && advised(to - 1), "inside the share");
        assert!(!advised(from - 1) && !advised(to), "outside the share");
        assert!(
            !prefer_huge_pages_in(&mut spare[..HUGE / 8]),
            "one huge page"
        );
    }
}
