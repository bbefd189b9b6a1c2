//! `GIT_WO_TRACE=1`: how long each phase of a run took, on stderr, like git's
//! `GIT_TRACE_PERFORMANCE`. For finding where time goes; costs nothing when unset.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("GIT_WO_TRACE").is_some_and(|v| !v.is_empty() && v != "0"))
}

/// Prints `git-wo trace: <name> <ms>` when dropped, if tracing is on.
pub struct Phase {
    name: &'static str,
    start: Option<Instant>,
}

/// When the first phase started: each line says when its phase started, from then.
static ORIGIN: OnceLock<Instant> = OnceLock::new();

/// Start timing `name`.
pub fn phase(name: &'static str) -> Phase {
    let start = enabled().then(Instant::now);
    if let Some(t) = start {
        ORIGIN.get_or_init(|| t);
    }
    Phase { name, start }
}

/// `f`'s result, its run timed as the phase `name`.
pub fn timed<T>(name: &'static str, f: impl FnOnce() -> T) -> T {
    let _t = phase(name);
    f()
}

impl Drop for Phase {
    fn drop(&mut self) {
        if let Some(t) = self.start {
            let at = ORIGIN.get().map_or(0.0, |o| (t - *o).as_secs_f64() * 1e3);
            eprintln!(
                "git-wo trace: {:<24} {:>8.2} ms (at {at:>7.2} ms){}",
                self.name,
                t.elapsed().as_secs_f64() * 1e3,
                memory()
            );
        }
    }
}

/// `  rss <now> MiB, peak <peak> MiB` from `/proc/self/status` (Linux), else nothing.
fn memory() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let kib = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    let mib = |kib: u64| kib as f64 / 1024.0;
    match (kib("VmRSS:"), kib("VmHWM:")) {
        (Some(now), Some(peak)) => format!(
            "  rss {:.1} MiB (anon {:.1}, file {:.1}, shmem {:.1}), peak {:.1} MiB",
            mib(now),
            mib(kib("RssAnon:").unwrap_or(0)),
            mib(kib("RssFile:").unwrap_or(0)),
            mib(kib("RssShmem:").unwrap_or(0)),
            mib(peak)
        ),
        _ => String::new(),
    }
}
