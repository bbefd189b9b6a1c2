//! How times are shown to people and in JSON views: RFC 3339, UTC, to the second
//! (`2026-12-01T10:30:00Z`). Records keep full precision; nobody needs to read it.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn shown(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A lease ending at `expires_at`, as of `now`: `lease until <time>` while it runs,
/// `lease expired at <time> (<how long> ago)` once `expires_at <= now` (SPEC §2: an
/// expired lease is a stale lock, and every message that names a lease says so).
pub fn lease(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if expires_at <= now {
        format!(
            "lease expired at {} ({} ago)",
            shown(expires_at),
            span(now - expires_at)
        )
    } else {
        format!("lease until {}", shown(expires_at))
    }
}

/// A duration, rounded down to its largest unit: `42s`, `5m`, `3h`, `2d`.
pub fn span(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn to_the_second() {
        let t = chrono::DateTime::from_timestamp(1_796_000_000, 123_456_789).unwrap_or_default();
        assert_eq!(super::shown(t), "2026-11-30T00:53:20Z");
    }

    #[test]
    fn leases_say_whether_they_expired() {
        let t = chrono::DateTime::from_timestamp(1_796_000_000, 0).unwrap_or_default();
        let later = t + chrono::Duration::minutes(5);
        assert_eq!(super::lease(later, t), "lease until 2026-11-30T00:58:20Z");
        assert_eq!(
            super::lease(t, later),
            "lease expired at 2026-11-30T00:53:20Z (5m ago)"
        );
        assert_eq!(
            super::lease(t, t),
            "lease expired at 2026-11-30T00:53:20Z (0s ago)"
        );
        assert_eq!(super::span(chrono::Duration::hours(50)), "2d");
    }
}
