//! Work-order identifiers: `^WO-[A-Za-z0-9.-]+$`, and also safe as a ref name component
//! and a file stem (no `..`, no trailing `.` or `.lock`), so hostile ids like
//! `WO-../../x` or `WO-a.lock` never reach a path or a ref.

use std::fmt;

use serde::Serialize;

use crate::model::short_text::ShortText;

/// Longest id accepted; real ids are a dozen characters.
const MAX_LEN: usize = 128;

/// A valid WO id. Ids of up to [`INLINE`](crate::model::short_text::INLINE) bytes (every real one) are held in place
/// ([`ShortText`]): at 100,000 WOs an allocation for each file's id was 100,000 calls
/// to `malloc` and 3 MB of the peak. It compares, orders and hashes as its text.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WoId(ShortText);

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
        Ok(WoId::of_valid(s))
    }

    /// `s`, already validated, in place when it is short.
    fn of_valid(s: &str) -> WoId {
        WoId(ShortText::new(s))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Its first eight bytes as a number (zeros after a shorter id), for sorting many
    /// ids fast: ids whose keys differ are in the order of their keys; ids with the
    /// same key compare as text.
    pub fn prefix_key(&self) -> u64 {
        let bytes = self.as_str().as_bytes();
        let mut key = [0u8; 8];
        let n = bytes.len().min(8);
        key[..n].copy_from_slice(&bytes[..n]);
        u64::from_be_bytes(key)
    }
}

impl fmt::Debug for WoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for WoId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A `WoId` orders, compares and hashes as its text, so maps keyed by ids can be
/// looked up with a `&str`.
impl std::borrow::Borrow<str> for WoId {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for WoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
    use crate::model::short_text::INLINE;

    #[test]
    fn prefix_keys_never_order_two_ids_against_their_text() {
        let ids: Vec<WoId> = [
            "WO-1",
            "WO-10",
            "WO-1.1",
            "WO-1-x",
            "WO-0001",
            "WO-00010",
            "WO-0001A",
            "WO-00051",
            "WO-00052",
            "WO-0020-formatter",
            "WO-0020-formatted",
            "WO-P2.1",
            "WO-0018C",
            "WO-A",
            "WO-a",
            "WO-Z9",
            "WO-zz-longer-than-eight",
        ]
        .iter()
        .map(|s| WoId::parse(s).expect("valid"))
        .collect();
        for a in &ids {
            for b in &ids {
                let (ka, kb) = (a.prefix_key(), b.prefix_key());
                if ka < kb {
                    assert!(a < b, "{a:?} {b:?}");
                }
                if a < b {
                    assert!(ka <= kb, "{a:?} {b:?}");
                }
            }
        }
        // Most differ in their first eight bytes: their keys alone order them.
        let p = |s: &str| WoId::parse(s).expect("valid").prefix_key();
        assert!(p("WO-00051") < p("WO-00052"));
        assert_eq!(p("WO-0020-formatter"), p("WO-0020-formatted"));
    }

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

    #[test]
    fn short_and_long_ids_read_compare_and_hash_as_their_text() {
        use std::collections::hash_map::DefaultHasher;
        use std::hash::{Hash, Hasher};
        let hash = |h: &dyn Fn(&mut DefaultHasher)| {
            let mut s = DefaultHasher::new();
            h(&mut s);
            s.finish()
        };
        let short = "WO-0001";
        let edge = format!("WO-{}", "7".repeat(INLINE - 3));
        let long = format!("WO-{}", "7".repeat(INLINE - 2));
        let ids: Vec<WoId> = [short, &edge, &long]
            .iter()
            .map(|s| WoId::parse(s).expect("valid"))
            .collect();
        let inline: Vec<bool> = ids.iter().map(|id| id.0.is_inline()).collect();
        assert_eq!(inline, [true, true, false]);
        for (id, text) in ids.iter().zip([short, &edge, &long]) {
            assert_eq!(id.as_str(), text);
            assert_eq!(id.to_string(), text);
            assert_eq!(format!("{id:?}"), format!("{text:?}"));
            assert_eq!(
                serde_json::to_string(id).ok(),
                serde_json::to_string(text).ok()
            );
            assert_eq!(hash(&|s| id.hash(s)), hash(&|s| text.hash(s)));
        }
        // Orders as text across the two forms: "WO-0001" < "WO-77…7" (inline) < "WO-77…77" (heap).
        assert!(ids[1] < ids[2] && ids[0] < ids[1]);
        assert_eq!(ids[1].clone(), ids[1]);
        assert_ne!(ids[1], ids[2]);
    }
}
