//! How git-wo asks the C allocator to give memory back.
//!
//! glibc's `malloc` serves a request over 128 KiB with a mapping of its own, and
//! unmaps it on `free`. But after the first such `free` it raises that threshold (up
//! to 32 MiB), and later big buffers come from the heap, where freeing them returns
//! nothing to the system. A read of 100,000 WOs frees several such buffers (a folder's
//! listing, a cache's lines) before it builds the next: with the sliding threshold
//! their pages stayed resident, about 10 MB of the peak. A fixed threshold keeps big
//! buffers mapped on their own, so a freed one is gone from the resident size.

/// The size from which a buffer gets a mapping of its own: glibc's default.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

/// Fix the allocator's mapping threshold (glibc on Linux; elsewhere nothing). Call
/// once, first thing in `main`, before other threads start.
pub fn give_back_big_buffers() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets a tunable of glibc's allocator; it is called before
    // any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
