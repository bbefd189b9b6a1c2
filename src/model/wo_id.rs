//! Work-order identifiers: `^WO-[A-Za-z0-9.-]+$`, and also safe as a ref name component
//! and a file stem (no `..`, no trailing `.` or `.lock`), so hostile ids like
//! `WO-../../x` or `WO-a.lock` never reach a path or a ref.

use std::fmt;

use serde::Serialize;

/// Longest id accepted; real ids are a dozen characters.
const MAX_LEN: usize = 128;

/// A valid WO id. Ids of up to [`INLINE`] bytes (every real one) are held in place:
/// at 100,000 WOs an allocation for each file's id was 100,000 calls to `malloc` and
/// 3 MB of the peak. It compares, orders and hashes as its text.
#[derive(Clone)]
pub struct WoId(Repr);

/// The longest id held in place: "WO-" and twelve more.
pub const INLINE: usize = 15;

// (Held in every file read, 100,000 at a time: 16 bytes, where a `ShortText` was 24 and
// a `String` is; an `Option` of it neither bigger.)
const _: () = assert!(std::mem::size_of::<WoId>() == 16);
const _: () = assert!(std::mem::size_of::<Option<WoId>>() == 16);

/// An id's text: in place with its length in the last byte, or (a longer one) behind
/// one pointer. The length's 240 impossible values tell the two apart, so neither a tag
/// nor the `Option` adds a byte.
#[derive(Clone)]
enum Repr {
    Inline([u8; INLINE], Len),
    Heap(Box<Box<str>>),
}

/// The length of an id held in place: 0 to [`INLINE`].
#[derive(Clone, Copy)]
#[repr(u8)]
enum Len {
    L0,
    L1,
    L2,
    L3,
    L4,
    L5,
    L6,
    L7,
    L8,
    L9,
    L10,
    L11,
    L12,
    L13,
    L14,
    L15,
}

impl Len {
    const ALL: [Len; INLINE + 1] = [
        Len::L0,
        Len::L1,
        Len::L2,
        Len::L3,
        Len::L4,
        Len::L5,
        Len::L6,
        Len::L7,
        Len::L8,
        Len::L9,
        Len::L10,
        Len::L11,
        Len::L12,
        Len::L13,
        Len::L14,
        Len::L15,
    ];
}

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
        match Len::ALL.get(s.len()) {
            Some(&len) => {
                let mut bytes = [0u8; INLINE];
                bytes[..s.len()].copy_from_slice(s.as_bytes());
                WoId(Repr::Inline(bytes, len))
            }
            None => WoId(Repr::Heap(Box::new(s.into()))),
        }
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline(bytes, len) => {
                let text = &bytes[..*len as usize];
                // SAFETY: `text` is a copy of all the bytes of a `&str` (`of_valid`), so
                // it is valid UTF-8.
                unsafe { std::str::from_utf8_unchecked(text) }
            }
            Repr::Heap(s) => s,
        }
    }

    /// Whether the id is held in place (no allocation).
    #[cfg(test)]
    fn is_inline(&self) -> bool {
        matches!(self.0, Repr::Inline(..))
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

impl PartialEq for WoId {
    fn eq(&self, other: &WoId) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for WoId {}

impl PartialOrd for WoId {
    fn partial_cmp(&self, other: &WoId) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for WoId {
    fn cmp(&self, other: &WoId) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for WoId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
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
        let inline: Vec<bool> = ids.iter().map(|id| id.is_inline()).collect();
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
