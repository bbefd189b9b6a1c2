//! How times are shown to people and in JSON views: RFC 3339, UTC, to the second
//! (`2026-12-01T10:30:00Z`). Records keep full precision; nobody needs to read it.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn shown(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    #[test]
    fn to_the_second() {
        let t = chrono::DateTime::from_timestamp(1_796_000_000, 123_456_789).unwrap_or_default();
        assert_eq!(super::shown(t), "2026-11-30T00:53:20Z");
    }
}
