//! `.lock` files in `_ctx/jobs/running/` (compatibility with the existing tooling).
//!
//! Two formats are read: the four-line one git-wo writes
//! (`Locked by git-wo at <RFC 3339>`, `PID:`, `User:`, `Hostname:`) and a lone `<ID>` line.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::model::wo_id::WoId;

#[derive(Debug, Clone)]
pub struct LockFile {
    pub id: WoId,
    /// Relative to the control checkout.
    pub rel_path: PathBuf,
    pub locked_at: Option<DateTime<Utc>>,
    pub pid: Option<u32>,
    pub user: Option<String>,
    pub host: Option<String>,
    /// File modification time, used when the content has no timestamp.
    pub modified: Option<DateTime<Utc>>,
}

impl LockFile {
    pub fn parse(
        id: WoId,
        rel_path: PathBuf,
        text: &str,
        modified: Option<DateTime<Utc>>,
    ) -> LockFile {
        let mut lock = LockFile {
            id,
            rel_path,
            locked_at: None,
            pid: None,
            user: None,
            host: None,
            modified,
        };
        for line in text.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("Locked by ") {
                if let Some((_, ts)) = rest.rsplit_once(" at ") {
                    lock.locked_at = DateTime::parse_from_rfc3339(ts.trim())
                        .ok()
                        .map(|t| t.with_timezone(&Utc));
                }
            } else if let Some(pid) = line.strip_prefix("PID:") {
                lock.pid = pid.trim().parse().ok();
            } else if let Some(user) = line.strip_prefix("User:") {
                lock.user = Some(user.trim().to_owned());
            } else if let Some(host) = line.strip_prefix("Hostname:") {
                lock.host = Some(host.trim().to_owned());
            }
        }
        lock
    }

    /// When the lock was taken: its stamp, else the file's mtime.
    pub fn since(&self) -> Option<DateTime<Utc>> {
        self.locked_at.or(self.modified)
    }

    /// The text git-wo writes.
    pub fn render(at: DateTime<Utc>, pid: u32, user: &str, host: &str) -> String {
        format!(
            "Locked by git-wo at {}\nPID: {pid}\nUser: {user}\nHostname: {host}\n",
            at.to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
        )
    }
}

/// Classify a `*.lock` file name in `running/`: `Some(id)` when it is the lock of `id`,
/// `None` when it is another tool's temp file (`<ID>.<random>.lock`) or not a WO lock.
/// `is_known` tells whether an id names a WO (ids may contain dots: `WO-P2.1.lock`).
pub fn classify_lock_name(name: &str, is_known: impl Fn(&str) -> bool) -> Option<WoId> {
    let stem = name.strip_suffix(".lock")?;
    if is_known(stem) {
        return WoId::parse(stem).ok();
    }
    // `<known id>.<suffix>` is a temp file of another tool.
    let mut cut = stem.len();
    while let Some(dot) = stem[..cut].rfind('.') {
        if is_known(&stem[..dot]) {
            return None;
        }
        cut = dot;
    }
    WoId::parse(stem).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_formats() {
        let id = WoId::parse("WO-0042").unwrap();
        let full = "Locked by git-wo at 2026-02-18T15:19:29.501441+00:00\nPID: 38542\nUser: felipe\nHostname: box.local\n";
        let l = LockFile::parse(id.clone(), "x".into(), full, None);
        assert_eq!(l.pid, Some(38542));
        assert_eq!(l.user.as_deref(), Some("felipe"));
        assert_eq!(l.host.as_deref(), Some("box.local"));
        assert!(l.locked_at.is_some());
        let lone = LockFile::parse(id, "x".into(), "WO-0042\n", None);
        assert!(lone.locked_at.is_none() && lone.user.is_none());
    }

    #[test]
    fn render_roundtrips() {
        let at = crate::clock::now();
        let text = LockFile::render(at, 7, "alice", "box");
        let l = LockFile::parse(WoId::parse("WO-1").unwrap(), "x".into(), &text, None);
        assert_eq!(
            l.locked_at.map(|t| t.timestamp_micros()),
            Some(at.timestamp_micros())
        );
    }

    #[test]
    fn temp_files_are_not_locks() {
        let known = |s: &str| s == "WO-0001" || s == "WO-P2.1";
        assert_eq!(
            classify_lock_name("WO-0001.lock", known).unwrap().as_str(),
            "WO-0001"
        );
        assert_eq!(
            classify_lock_name("WO-P2.1.lock", known).unwrap().as_str(),
            "WO-P2.1"
        );
        assert!(classify_lock_name("WO-0001.abc123.lock", known).is_none());
        assert!(classify_lock_name("WO-P2.1.x9.lock", known).is_none());
        assert_eq!(
            classify_lock_name("WO-0099.lock", known).unwrap().as_str(),
            "WO-0099"
        );
        assert!(classify_lock_name("notes.lock", known).is_none());
    }
}
