//! The time git-wo reads: now, as the system clock says it.
//!
//! Test-only: `GIT_WO_CLOCK_SKEW=<seconds>` (an integer, negative allowed) moves every
//! time git-wo reads by that many seconds, so a test can let a lease expire or a
//! renewal fall due without sleeping. It moves the times of leases, records, stamps
//! and markers; the age of a file (its mtime against the system clock: the caches'
//! racy window, a stale lock file) keeps the real clock, since the file system does.

use std::sync::OnceLock;

use chrono::{DateTime, TimeDelta, Utc};

pub const SKEW_ENV: &str = "GIT_WO_CLOCK_SKEW";

/// Now, moved by `GIT_WO_CLOCK_SKEW` if a test set it.
pub fn now() -> DateTime<Utc> {
    Utc::now() + skew()
}

/// The duration a test sets, in ms, through the test-only variable `name` (git-wo(1)):
/// `default` when it is unset or not a whole number.
pub fn millis_from_env(name: &str, default: std::time::Duration) -> std::time::Duration {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(default, std::time::Duration::from_millis)
}

/// The skew, read once per process; an unreadable value is no skew.
fn skew() -> TimeDelta {
    static SKEW: OnceLock<TimeDelta> = OnceLock::new();
    *SKEW.get_or_init(|| {
        std::env::var(SKEW_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<i64>().ok())
            .and_then(TimeDelta::try_seconds)
            .unwrap_or_default()
    })
}
