//! Work-order identifiers: `^WO-[A-Za-z0-9.-]+$`, and also safe as a ref name component
//! and a file stem (no `..`, no trailing `.` or `.lock`), so hostile ids like
//! `WO-../../x` or `WO-a.lock` never reach a path or a ref.

use std::fmt;

use serde::Serialize;

/// Longest id accepted; real ids are a dozen characters.
const MAX_LEN: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct WoId(String);

impl WoId {
    /// Validate `s` as a WO id; the error says why it is not one.
    pub fn parse(s: &str) -> Result<WoId, String> {
        let Some(rest) = s.strip_prefix("WO-") else {
            return Err(format!("`{}` does not start with `WO-`", printable(s)));
        };
        if rest.is_empty() {
            return Err("`WO-` has nothing after the prefix".into());
        }
        if s.len() > MAX_LEN {
            return Err(format!("id is longer than {MAX_LEN} characters"));
        }
        // Byte scans: ids are short, and a searcher's set-up cost more than the scan.
        let allowed = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
        if !rest.bytes().all(allowed)
            && let Some(c) = rest
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == '.' || *c == '-'))
        {
            return Err(format!(
                "`{}` contains `{}`: only letters, digits, `.` and `-` are allowed",
                printable(s),
                c.escape_default()
            ));
        }
        let dots = rest.as_bytes().windows(2).any(|w| w == b"..");
        if dots || rest.ends_with('.') || s.ends_with(".lock") {
            return Err(format!(
                "`{s}` is not usable as a file or ref name (`..`, trailing `.` or `.lock`)"
            ));
        }
        Ok(WoId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A `WoId` orders, compares and hashes as its text, so maps keyed by ids can be
/// looked up with a `&str`.
impl std::borrow::Borrow<str> for WoId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A bounded, escaped rendering of untrusted text for messages.
pub fn printable(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().take(80) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if s.chars().count() > 80 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_ids() {
        for id in [
            "WO-0018C",
            "WO-P2.1",
            "WO-0012.1",
            "WO-0020-formatter",
            "WO-0001",
        ] {
            assert!(WoId::parse(id).is_ok(), "{id}");
        }
    }

    #[test]
    fn rejects_hostile_ids() {
        for id in [
            "WO-../../x",
            "WO-a.lock",
            "WO-",
            "wo-1",
            "WO-a/b",
            "WO-a..b",
            "WO-a.",
            "WO-é",
            "WO-a b",
            "",
        ] {
            assert!(WoId::parse(id).is_err(), "{id}");
        }
        assert!(WoId::parse(&format!("WO-{}", "1".repeat(200))).is_err());
    }
}
