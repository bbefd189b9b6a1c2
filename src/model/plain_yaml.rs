//! A strict reader of the plain YAML nearly every WO file is written in, for the reads
//! that keep only a WO's [`Fields`](crate::model::order::Fields) (audit, list, status,
//! `init`): at 100,000 WOs the general parser was most of a cold run.
//!
//! It reads a top-level block mapping whose keys are words, whose values are plain or
//! quoted scalars on one line, flow sequences of such scalars on one line, block
//! sequences of them, or nested block mappings of the same, with blank lines and
//! comments in between. It gives the values of the keys asked for exactly as
//! `serde_yaml` gives them, and says "not sure" (`None`) for anything else: anchors,
//! tags, aliases, block and multi-line scalars, flow mappings, document markers and
//! directives, tabs, `\r`, a byte-order mark, characters YAML does not print, odd
//! indentation, duplicate keys, escapes other than `\\` and `\"`, and plain scalars
//! YAML could read as something it does not replicate (floats, `0x…`, leading zeros,
//! signs). The caller then asks `serde_yaml`: this reader only ever saves time.
//!
//! `tests/plain_yaml.rs` holds it to that against `serde_yaml`, on every YAML text the
//! suite uses and on generated variants.

use serde_yaml::{Mapping, Value};

/// Nested block collections followed below the top-level mapping.
const MAX_LEVELS: usize = 8;

/// Longest key read (YAML refuses implicit keys over 1024 characters).
const MAX_KEY_LEN: usize = 128;

/// The keys in `keep` of the top-level mapping of `bytes` with their values (in full),
/// in the order they are written, or `None` when the text is outside what this reader
/// is sure of.
pub fn read<'a>(bytes: &'a [u8], keep: &[&str]) -> Option<Vec<(&'a str, Value)>> {
    let text = std::str::from_utf8(bytes).ok()?;
    if !all_printable(text) {
        return None;
    }
    let mut lines = Vec::with_capacity(32);
    // (Split with the SIMD search: `str::split` on a char was a tenth of this reader.)
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len()));
    for end in ends {
        // A newline is one byte: both sides are on char boundaries.
        let raw = text.get(start..end)?;
        start = end + 1;
        let body = raw.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        lines.push(Line {
            indent: raw.len() - body.len(),
            text: body,
        });
    }
    if lines.first()?.indent != 0 {
        return None;
    }
    let mut reader = Reader { lines, pos: 0 };
    let mut kept = Vec::with_capacity(keep.len());
    reader.entries(0, Keep::Top(keep), 0, &mut |key, value| {
        kept.push((key, value))
    })?;
    // Everything read, back at the top: a dedent below column 0 cannot happen.
    (reader.pos == reader.lines.len()).then_some(kept)
}

/// Whether every character is one YAML prints (libyaml refuses the others) and none
/// is a tab, `\r`, a byte-order mark or a line break other than `\n`.
fn all_printable(text: &str) -> bool {
    if text.is_ascii() {
        // Folded without an early exit, so that it runs over many bytes at a time.
        return text.bytes().fold(true, |ok, b| {
            ok & ((b == b'\n') | ((b' '..=b'~').contains(&b)))
        });
    }
    text.chars().all(|c| match c {
        '\n' | ' '..='~' => true,
        '\u{2028}' | '\u{2029}' | '\u{FEFF}' => false,
        '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'.. => true,
        _ => false,
    })
}

/// A line that is not blank and not a comment.
struct Line<'a> {
    indent: usize,
    /// The line after its indentation.
    text: &'a str,
}

/// Which values a mapping builds.
#[derive(Clone, Copy)]
enum Keep<'k> {
    /// The top level: the values of these keys.
    Top(&'k [&'k str]),
    /// Every value (below a kept key).
    All,
    /// None: the text is only checked.
    Nothing,
}

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
}

impl<'a> Reader<'a> {
    /// The block mapping whose keys are at column `indent`, starting at the current
    /// line. `Some(None)`: read, not built.
    fn mapping(&mut self, indent: usize, keep: Keep, level: usize) -> Option<Option<Mapping>> {
        let mut map = match keep {
            Keep::Nothing => None,
            Keep::Top(_) | Keep::All => Some(Mapping::new()),
        };
        self.entries(indent, keep, level, &mut |key, value| {
            if let Some(map) = map.as_mut() {
                map.insert(Value::String(key.to_owned()), value);
            }
        })?;
        Some(map)
    }

    /// The entries of the block mapping whose keys are at column `indent`, starting at
    /// the current line: each kept one handed to `kept`.
    fn entries(
        &mut self,
        indent: usize,
        keep: Keep,
        level: usize,
        kept: &mut dyn FnMut(&'a str, Value),
    ) -> Option<()> {
        let mut keys: Vec<&str> = Vec::with_capacity(24);
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent < indent {
                break;
            }
            if line.indent > indent {
                return None; // a continuation line or odd indentation
            }
            self.pos += 1;
            let (key, rest) = key_of(line.text)?;
            if keys.contains(&key) {
                return None; // serde_yaml refuses duplicate keys
            }
            keys.push(key);
            let wanted = match keep {
                Keep::Top(names) => names.contains(&key),
                Keep::All => true,
                Keep::Nothing => false,
            };
            let value = if rest.is_empty() || rest.starts_with('#') {
                self.nested(indent, wanted, level)?
            } else {
                inline(rest, wanted)?
            };
            if let Some(value) = value {
                kept(key, value);
            }
        }
        Some(())
    }

    /// The value of a key (at column `indent`) with nothing after its colon: the block
    /// collection on the lines below, indented deeper, or null.
    fn nested(&mut self, indent: usize, kept: bool, level: usize) -> Option<Option<Value>> {
        let Some(next) = self.lines.get(self.pos).filter(|l| l.indent > indent) else {
            return Some(kept.then_some(Value::Null));
        };
        if level + 1 > MAX_LEVELS {
            return None;
        }
        let column = next.indent;
        if next.text == "-" || next.text.starts_with("- ") {
            return self.sequence(column, kept);
        }
        let keep = if kept { Keep::All } else { Keep::Nothing };
        Some(self.mapping(column, keep, level + 1)?.map(Value::Mapping))
    }

    /// The block sequence whose `- ` are at column `indent`, of scalars and flow
    /// sequences.
    fn sequence(&mut self, indent: usize, kept: bool) -> Option<Option<Value>> {
        let mut items = kept.then(Vec::new);
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent < indent {
                break;
            }
            if line.indent > indent {
                return None;
            }
            self.pos += 1;
            let item = line.text.strip_prefix("- ")?.trim_start_matches(' ');
            if item.is_empty() || item.starts_with('#') {
                return None; // a null item, or a collection on the lines below
            }
            let value = inline(item, kept)?;
            if let (Some(items), Some(value)) = (items.as_mut(), value) {
                items.push(value);
            }
        }
        Some(items.map(Value::Sequence))
    }
}

/// `key: rest` or `key:` (rest empty): the key (a word) and what follows the blanks
/// after its colon.
fn key_of(text: &str) -> Option<(&str, &str)> {
    let b = text.as_bytes();
    let len = b
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-'))?;
    let first = *b.first()?;
    if !(first.is_ascii_alphabetic() || first == b'_') || len > MAX_KEY_LEN {
        return None;
    }
    let key = &text[..len];
    if is_null(key) || is_bool(key).is_some() {
        return None; // not a string key
    }
    let rest = text[len..].strip_prefix(':')?;
    if rest.is_empty() {
        return Some((key, rest));
    }
    // `key:value` is one plain scalar, not a key and a value.
    let rest = rest.strip_prefix(' ')?;
    Some((key, rest.trim_start_matches(' ')))
}

/// A value written on the key's (or the `- `'s) line; `Some(None)`: fine, not built.
fn inline(text: &str, kept: bool) -> Option<Option<Value>> {
    let first = *text.as_bytes().first()?;
    let (value, rest) = match first {
        b'"' => {
            let (s, rest) = double_quoted(&text[1..])?;
            (kept.then_some(Value::String(s)), rest)
        }
        b'\'' => {
            let (s, rest) = single_quoted(&text[1..])?;
            (kept.then_some(Value::String(s)), rest)
        }
        b'[' => flow_sequence(&text[1..], kept)?,
        _ if starts_other_token(first) => return None,
        _ => {
            // Up to a comment (` #`); `a: b` is a mapping where a scalar was expected,
            // which serde_yaml refuses.
            let b = text.as_bytes();
            let mut end = b.len();
            for (i, c) in b.iter().enumerate() {
                match c {
                    b'#' if i > 0 && b[i - 1] == b' ' => {
                        end = i - 1;
                        break;
                    }
                    b':' if b.get(i + 1).is_none_or(|n| *n == b' ') => return None,
                    _ => {}
                }
            }
            let plain = text[..end].trim_end_matches(' ');
            if plain.ends_with(':') {
                return None;
            }
            return plain_scalar(plain, kept);
        }
    };
    end_of_line(rest).then_some(value)
}

/// Whether a scalar cannot start with `b` as a plain one (or this reader does not read
/// what it starts: flow mappings, anchors, aliases, tags, block scalars, directives).
fn starts_other_token(b: u8) -> bool {
    matches!(
        b,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

/// What follows a closed scalar or sequence: nothing, or blanks and a comment.
fn end_of_line(rest: &str) -> bool {
    rest.is_empty() || {
        let after = rest.trim_start_matches(' ');
        rest.starts_with(' ') && (after.is_empty() || after.starts_with('#'))
    }
}

/// `"…"` after its opening quote, on one line: the text and what follows the quote.
fn double_quoted(text: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut rest = text;
    loop {
        let at = rest.find(['"', '\\'])?;
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if rest.as_bytes()[at] == b'"' {
            return Some((out, after));
        }
        match after.as_bytes().first()? {
            c @ (b'"' | b'\\') => out.push(char::from(*c)),
            _ => return None,
        }
        rest = &after[1..];
    }
}

/// `'…'` after its opening quote, on one line (`''` is a quote).
fn single_quoted(text: &str) -> Option<(String, &str)> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let q = rest.find('\'')?;
        out.push_str(&rest[..q]);
        rest = &rest[q + 1..];
        match rest.strip_prefix('\'') {
            Some(after) => {
                out.push('\'');
                rest = after;
            }
            None => return Some((out, rest)),
        }
    }
}

/// `[a, "b", 'c']` after its `[`, on one line: the sequence and what follows the `]`.
fn flow_sequence(text: &str, kept: bool) -> Option<(Option<Value>, &str)> {
    let mut items = kept.then(Vec::new);
    let mut rest = text.trim_start_matches(' ');
    if let Some(after) = rest.strip_prefix(']') {
        return Some((items.map(Value::Sequence), after));
    }
    loop {
        let first = *rest.as_bytes().first()?;
        let (value, after) = match first {
            b'"' => {
                let (s, after) = double_quoted(&rest[1..])?;
                (Value::String(s), after)
            }
            b'\'' => {
                let (s, after) = single_quoted(&rest[1..])?;
                (Value::String(s), after)
            }
            _ if starts_other_token(first) => return None,
            _ => {
                let end = rest.find([',', ']']).unwrap_or(rest.len());
                let plain = rest[..end].trim_end_matches(' ');
                // Flow indicators, quotes, comments and colons inside a flow scalar
                // follow rules this reader does not replicate.
                if plain.contains(['[', ']', '{', '}', '#', ':', '\'', '"']) {
                    return None;
                }
                let value = plain_scalar(plain, kept)?.unwrap_or(Value::Null);
                (value, &rest[end..])
            }
        };
        if let Some(items) = items.as_mut() {
            items.push(value);
        }
        let after = after.trim_start_matches(' ');
        if let Some(next) = after.strip_prefix(',') {
            rest = next.trim_start_matches(' ');
            if rest.is_empty() || rest.starts_with([',', ']']) {
                return None; // an empty item, a trailing comma, or a line break
            }
        } else {
            let after = after.strip_prefix(']')?;
            return Some((items.map(Value::Sequence), after));
        }
    }
}

fn is_null(s: &str) -> bool {
    matches!(s, "null" | "Null" | "NULL" | "~")
}

fn is_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// What serde_yaml makes of the plain scalar `s` (one line, trimmed, not empty):
/// null, a boolean, a plain decimal integer or a string (`Some(None)` when not
/// `kept`); `None` for the rest (floats, other integer forms, leading zeros, signs,
/// integers too big for 64 bits, which serde_yaml refuses), kept or not.
fn plain_scalar(s: &str, kept: bool) -> Option<Option<Value>> {
    let b = s.as_bytes();
    let value = || -> Option<Value> {
        if is_null(s) {
            return Some(Value::Null);
        }
        if let Some(b) = is_bool(s) {
            return Some(Value::Bool(b));
        }
        if b.iter().all(u8::is_ascii_digit) {
            return s.parse::<u64>().ok().map(|n| Value::Number(n.into()));
        }
        Some(Value::String(s.to_owned()))
    };
    let first = *b.first()?;
    // Every number serde_yaml reads starts with a digit, `.`, `+` or `-` (Rust's
    // `inf`/`nan` are not finite, which it refuses: they stay strings).
    let sure = if matches!(first, b'0'..=b'9' | b'.' | b'+' | b'-') {
        let digits = b.iter().all(u8::is_ascii_digit);
        // A character no number syntax has (`:`, `/`, `_`, a space…), or a date.
        let number_char = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'+' | b'-');
        (digits && b.len() <= 18 && (first != b'0' || b.len() == 1))
            || (!digits && !b.iter().all(number_char))
            || is_date(b)
    } else {
        true
    };
    if !sure {
        return None;
    }
    Some(if kept { Some(value()?) } else { None })
}

/// `YYYY-MM-DD`: a string to serde_yaml (it has no timestamp type).
fn is_date(b: &[u8]) -> bool {
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}
