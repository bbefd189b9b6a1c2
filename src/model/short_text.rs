//! [`ShortText`]: an immutable string that holds up to [`INLINE`] bytes in place, the
//! size of a `String`. File names and ids of every real WO fit: at
//! 100,000 records an allocation for each was 100,000 calls to `malloc` and 3 MB of the
//! peak apiece. It compares, orders, hashes, prints and serializes as its text.

use std::fmt;
use std::ops::Deref;

/// The longest text held without an allocation: `ShortText` stays the size of a `String`.
pub const INLINE: usize = 22;

#[derive(Clone)]
pub struct ShortText(Repr);

// (No bigger than the `String` it replaces, and an `Option` of it neither.)
const _: () = assert!(std::mem::size_of::<ShortText>() <= 24);
const _: () = assert!(std::mem::size_of::<Option<ShortText>>() <= 24);

#[derive(Clone)]
enum Repr {
    /// `bytes[..len]`, a copy of a `&str`'s bytes.
    Inline {
        len: u8,
        bytes: [u8; INLINE],
    },
    Heap(Box<str>),
}

impl ShortText {
    pub fn new(s: &str) -> ShortText {
        match u8::try_from(s.len()) {
            Ok(len) if s.len() <= INLINE => {
                let mut bytes = [0u8; INLINE];
                bytes[..s.len()].copy_from_slice(s.as_bytes());
                ShortText(Repr::Inline { len, bytes })
            }
            _ => ShortText(Repr::Heap(s.into())),
        }
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline { len, bytes } => {
                let text = &bytes[..usize::from(*len)];
                // SAFETY: `text` is a copy of all the bytes of a `&str` (`new`), so it
                // is valid UTF-8.
                unsafe { std::str::from_utf8_unchecked(text) }
            }
            Repr::Heap(s) => s,
        }
    }

    /// Whether the text is held in place (no allocation).
    pub fn is_inline(&self) -> bool {
        matches!(self.0, Repr::Inline { .. })
    }
}

impl Default for ShortText {
    fn default() -> ShortText {
        ShortText::new("")
    }
}

impl Deref for ShortText {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for ShortText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for ShortText {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for ShortText {
    fn from(s: &str) -> ShortText {
        ShortText::new(s)
    }
}

impl From<String> for ShortText {
    fn from(s: String) -> ShortText {
        if s.len() <= INLINE {
            ShortText::new(&s)
        } else {
            ShortText(Repr::Heap(s.into_boxed_str()))
        }
    }
}

impl From<&String> for ShortText {
    fn from(s: &String) -> ShortText {
        ShortText::new(s)
    }
}

impl From<ShortText> for String {
    fn from(s: ShortText) -> String {
        match s.0 {
            Repr::Heap(b) => b.into_string(),
            Repr::Inline { .. } => s.as_str().to_owned(),
        }
    }
}

impl PartialEq for ShortText {
    fn eq(&self, other: &ShortText) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for ShortText {}

impl PartialEq<str> for ShortText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ShortText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for ShortText {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<ShortText> for String {
    fn eq(&self, other: &ShortText) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<ShortText> for str {
    fn eq(&self, other: &ShortText) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<ShortText> for &str {
    fn eq(&self, other: &ShortText) -> bool {
        *self == other.as_str()
    }
}

impl PartialOrd for ShortText {
    fn partial_cmp(&self, other: &ShortText) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ShortText {
    fn cmp(&self, other: &ShortText) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

/// Hashes as its text (`Borrow<str>` lookups need it).
impl std::hash::Hash for ShortText {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for ShortText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for ShortText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ShortText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ShortText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ShortText, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = ShortText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<ShortText, E> {
                Ok(ShortText::new(s))
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<ShortText, E> {
                Ok(ShortText::from(s))
            }
        }
        deserializer.deserialize_str(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_texts_read_compare_hash_and_serialize_as_their_text() {
        use std::collections::hash_map::DefaultHasher;
        use std::hash::{Hash, Hasher};
        let hash = |h: &dyn Fn(&mut DefaultHasher)| {
            let mut s = DefaultHasher::new();
            h(&mut s);
            s.finish()
        };
        let edge = format!("é{}", "7".repeat(INLINE - 2));
        let long = format!("é{}", "7".repeat(INLINE - 1));
        let texts = ["", "feat/wo-WO-0001", edge.as_str(), long.as_str()];
        let short: Vec<ShortText> = texts.iter().map(|s| ShortText::new(s)).collect();
        let inline: Vec<bool> = short.iter().map(ShortText::is_inline).collect();
        assert_eq!(inline, [true, true, true, false]);
        for (t, text) in short.iter().zip(texts) {
            assert_eq!(t.as_str(), text);
            assert_eq!(t, text);
            assert_eq!(t.to_string(), text);
            assert_eq!(format!("{t:?}"), format!("{text:?}"));
            assert_eq!(String::from(t.clone()), text);
            assert_eq!(&ShortText::from(text.to_owned()), t);
            let json = serde_json::to_string(t).ok();
            assert_eq!(json, serde_json::to_string(text).ok());
            let back: Option<ShortText> = json.and_then(|j| serde_json::from_str(&j).ok());
            assert_eq!(back.as_ref(), Some(t));
            assert_eq!(hash(&|s| t.hash(s)), hash(&|s| text.hash(s)));
        }
        // Orders as text across the two forms.
        assert!(short[0] < short[1] && short[1] < short[2] && short[2] < short[3]);
        assert_ne!(short[2], short[3]);
    }
}
