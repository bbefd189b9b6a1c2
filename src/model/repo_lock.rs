//! `<git-common-dir>/wo/repo.lock`, the repository-wide lock of `gc`: what its holder
//! wrote (`pid <n>`, `host <name>`, `op <what>`, one per line) and when nothing holds
//! it any more (`stale_repo_lock`).
//!
//! Stale: a holder on this host whose process is gone, or a lock that names no holder
//! (empty or unreadable: a kill between creating and writing it) and is older than
//! [`GRACE_SECS`] (younger, its creator may still be writing it). A holder on another
//! host is never judged from here.

/// The lock's file name in `<git-common-dir>/wo`.
pub const FILE: &str = "repo.lock";

/// How long a lock that names no holder may be being written.
pub const GRACE_SECS: u64 = 10;

/// What a `repo.lock` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holder {
    pub pid: Option<u32>,
    pub host: Option<String>,
    pub op: Option<String>,
}

impl Holder {
    pub fn parse(text: &str) -> Holder {
        let field = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(k).map(|v| v.trim().to_owned()))
                .filter(|v| !v.is_empty())
        };
        Holder {
            pid: field("pid ").and_then(|p| p.parse().ok()),
            host: field("host "),
            op: field("op "),
        }
    }

    /// "pid 42 on box" (`?` for what it does not say).
    pub fn shown(&self) -> String {
        format!(
            "pid {} on {}",
            self.pid.map_or("?".into(), |p| p.to_string()),
            self.host.as_deref().unwrap_or("?")
        )
    }

    /// Why nothing holds the lock any more, or `None` when someone may: `age` is the
    /// time since the file was last written, `alive` says whether a pid of this host
    /// runs.
    pub fn stale(
        &self,
        age: std::time::Duration,
        this_host: &str,
        alive: impl Fn(u32) -> bool,
    ) -> Option<String> {
        match (self.pid, self.host.as_deref()) {
            (Some(pid), Some(host)) if host == this_host => {
                (!alive(pid)).then(|| format!("its holder, pid {pid} on this host, is gone"))
            }
            (Some(_), Some(_)) => None,
            _ if age.as_secs() >= GRACE_SECS => Some(format!(
                "it names no holder (empty or unreadable: its creator was killed before writing it) and is {}s old",
                age.as_secs()
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn stale_only_when_nothing_can_hold_it() {
        let dead = |_| false;
        let alive = |_| true;
        let mine = Holder::parse("pid 7\nhost box\nop git wo gc\n");
        assert_eq!(mine.pid, Some(7));
        assert!(mine.stale(Duration::ZERO, "box", dead).is_some());
        assert!(mine.stale(Duration::from_secs(999), "box", alive).is_none());
        assert!(
            mine.stale(Duration::from_secs(999), "other", dead)
                .is_none()
        );
        let empty = Holder::parse("");
        assert!(empty.stale(Duration::from_secs(1), "box", dead).is_none());
        assert!(empty.stale(Duration::from_secs(60), "box", alive).is_some());
        assert_eq!(empty.shown(), "pid ? on ?");
        let half = Holder::parse("pid 7\n");
        assert!(half.stale(Duration::from_secs(60), "box", alive).is_some());
    }
}
