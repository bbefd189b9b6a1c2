//! The line format of git-wo's caches: tab-separated fields on one line, text escaped
//! so that it holds no tab, newline or `\x1f`; an optional field is `-` (none) or `=`
//! and the escaped text. Parsing never trusts: anything malformed is `None`.

/// Replace the cache file `path` with `text` (a temp file renamed over it, so a reader
/// sees the old file or the new one). Best effort: a cache that cannot be written only
/// costs the next run some time.
pub fn write_file(path: &std::path::Path, text: &str) {
    use std::io::Write;
    if let Some(mut tmp) = temp_beside(path)
        && tmp.write_all(text.as_bytes()).is_ok()
    {
        let _ = tmp.persist(path);
    }
}

/// A temp file in `path`'s folder (made if missing) to be renamed to `path`. Its name
/// carries the writer (see `model::temp_name`): reconcile clears it when a kill left it.
pub fn temp_beside(path: &std::path::Path) -> Option<tempfile::NamedTempFile> {
    let dir = path.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    let prefix =
        crate::model::temp_name::wo_dir_prefix(std::process::id(), &crate::host::hostname());
    tempfile::Builder::new()
        .prefix(&prefix)
        .tempfile_in(dir)
        .ok()
}

/// Backslash-escape the characters that separate entries and fields.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

/// Whether `s` holds a character that [`escape_into`] escapes. Eight bytes at a time:
/// a word with no control character and no backslash needs no look at its bytes (a byte
/// scan was a sixth of taking a file from the parse cache, its path checked each time).
fn needs_escape(s: &str) -> bool {
    let (words, tail) = s.as_bytes().as_chunks::<8>();
    words
        .iter()
        .any(|w| control_or_backslash(w) != 0 && w.iter().copied().any(escaped))
        || tail.iter().copied().any(escaped)
}

/// Whether [`escape_into`] escapes the byte `b`.
fn escaped(b: u8) -> bool {
    matches!(b, b'\\' | b'\t' | b'\n' | b'\r' | b'\x1f')
}

/// The high bit of each byte of `word` that is a control character (under 0x20) or a
/// backslash, and no other bit: every byte [`escaped`] says is escaped is among them
/// (exact per byte, as [`bytes_equal`]).
fn control_or_backslash(word: &[u8; 8]) -> u64 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let w = u64::from_le_bytes(*word);
    // (A byte's low seven bits plus 0x60 reach its high bit from 0x20 on; one with its
    // high bit set is no control character.)
    let control = !(((w & LOW7) + 0x6060_6060_6060_6060) | w) & HIGH;
    control | bytes_equal(w, b'\\')
}

/// `s` escaped, borrowed when it needs no escaping (paths almost never do).
pub fn escape_cow(s: &str) -> std::borrow::Cow<'_, str> {
    if needs_escape(s) {
        std::borrow::Cow::Owned(escape(s))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Append `s` escaped to `out`.
pub fn escape_into(out: &mut String, s: &str) {
    if !needs_escape(s) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\x1f' => out.push_str("\\u"),
            c => out.push(c),
        }
    }
}

pub fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    unescape_into(&mut out, s).map(|()| out)
}

/// `s` unescaped, as a `T` made straight from `s` when nothing is escaped (a boxed or
/// short text costs no `String` in between then).
pub fn unescaped<T: for<'s> From<&'s str> + From<String>>(s: &str) -> Option<T> {
    if memchr::memchr(b'\\', s.as_bytes()).is_none() {
        return Some(T::from(s));
    }
    unescape(s).map(T::from)
}

/// Append `s` unescaped to `out`; `None` (with `out` partly written) if `s` is not
/// escaped text.
pub fn unescape_into(out: &mut String, s: &str) -> Option<()> {
    if memchr::memchr(b'\\', s.as_bytes()).is_none() {
        out.push_str(s);
        return Some(());
    }
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            '\\' => '\\',
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            'u' => '\x1f',
            _ => return None,
        });
    }
    Some(())
}

/// Whether `line` holds an escape (a backslash): looked for once a line, since nearly
/// none does, so that its texts are copied as they are ([`push_field`]).
pub fn holds_escape(line: &str) -> bool {
    memchr::memchr(b'\\', line.as_bytes()).is_some()
}

/// Append the text `v` to `out`: unescaped when its line `escaped` ([`holds_escape`]),
/// as it is otherwise; `None` as [`unescape_into`] says.
pub fn push_field(out: &mut String, v: &str, escaped: bool) -> Option<()> {
    if escaped {
        return unescape_into(out, v);
    }
    out.push_str(v);
    Some(())
}

/// A number as `str::parse` reads it, digits first (the caches' numbers are 19-digit
/// nanosecond times: the generic parser cost a tenth of decoding a line).
pub fn number<T: TryFrom<u64> + std::str::FromStr>(s: &str) -> Option<T> {
    let digits = s.as_bytes();
    if digits.is_empty() || digits.len() > 19 {
        return s.parse().ok();
    }
    // The digits before the last whole eights one by one, then eight at a time.
    let (head, eights) = digits.split_at(digits.len() % 8);
    let mut n: u64 = 0;
    for &b in head {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            // A sign, or not a number: as the standard parser has it.
            return s.parse().ok();
        }
        n = n * 10 + u64::from(d);
    }
    for eight in eights.as_chunks::<8>().0 {
        let Some(v) = eight_digits(eight) else {
            return s.parse().ok();
        };
        // (19 digits never overflow a u64.)
        n = n * 100_000_000 + v;
    }
    T::try_from(n).ok()
}

/// The value of eight ASCII digits (the first the most significant), `None` when one of
/// the bytes is not a digit. Eight at once: digit by digit, each a multiply waiting for
/// the one before, the caches' 19-digit times were a tenth of taking a file.
fn eight_digits(bytes: &[u8; 8]) -> Option<u64> {
    const NIBBLES: u64 = 0xf0f0_f0f0_f0f0_f0f0;
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let w = u64::from_le_bytes(*bytes);
    // Each byte 0x30..=0x39: its high nibble 3, and still 3 with 6 added (no carry
    // crosses a byte: a low nibble plus 6 is at most 0x15).
    if w & NIBBLES != ZEROS || (w + 0x0606_0606_0606_0606) & NIBBLES != ZEROS {
        return None;
    }
    // Pairs, then fours, then all eight, each step one multiply (the first digit is
    // the lowest byte).
    let d = w - ZEROS;
    let pairs = (d * 10 + (d >> 8)) & 0x00ff_00ff_00ff_00ff;
    let fours = (pairs * 100 + (pairs >> 16)) & 0x0000_ffff_0000_ffff;
    Some((fours * 10_000 + (fours >> 32)) & 0xffff_ffff)
}

/// Append `\t` and the field.
pub fn push(text: &mut String, field: &str) {
    text.push('\t');
    escape_into(text, field);
}

/// Append `\t` and an optional field.
pub fn push_opt(text: &mut String, field: Option<&str>) {
    text.push('\t');
    match field {
        None => text.push('-'),
        Some(s) => {
            text.push('=');
            escape_into(text, s);
        }
    }
}

/// Append a list of texts as [`TextList::parts`](crate::model::text_list::TextList::parts)
/// gives them, `\t<present>\t<ends>\t<texts>`: the bit set of the texts present, where
/// each present one ends in the text of all of them (comma-separated), and that text
/// (escaped). Read back with [`text_ends`], it is one copy of that text, not a text at
/// a time.
pub fn push_text_parts(text: &mut String, texts: &str, ends: &[u32], present: u16) {
    use std::fmt::Write as _;
    let _ = write!(text, "\t{present}\t");
    let mut comma = "";
    for (i, end) in ends.iter().enumerate() {
        if present & (1 << i) != 0 {
            let _ = write!(text, "{comma}{end}");
            comma = ",";
        }
    }
    text.push('\t');
    escape_into(text, texts);
}

/// The three parts [`push_text_parts`] wrote, read back: the texts (unescaped) with
/// `tail` after them, where each of the `N` ends, and which are present; `None` if
/// anything is off. The list made of them checks the rest (`TextList::of_parts`).
pub fn text_parts<const N: usize>(
    present: &str,
    ends: &str,
    texts: &str,
    tail: &str,
) -> Option<(String, [u32; N], u16)> {
    let present: u16 = number(present)?;
    // The buffer at its final size in one allocation (escaped text is never shorter
    // than what it stands for).
    let mut text = String::with_capacity(texts.len() + tail.len());
    push_field(&mut text, texts, holds_escape(texts))?;
    let ends = text_ends(ends.as_bytes(), present, text.len())?;
    text.push_str(tail);
    Some((text, ends, present))
}

/// Where each of `N` texts ends, from the comma-separated ends of the `present` ones
/// ([`push_text_parts`]; an absent text ends where the one before it does); `None`
/// unless there is one end for each present text, each of one to nine digits, and the
/// last is the end of the texts (`len`). (One pass over the bytes: a digit count and a
/// fold for each end cost twice this.)
fn text_ends<const N: usize>(digits: &[u8], present: u16, len: usize) -> Option<[u32; N]> {
    // (A bit for each text: sixteen at most.)
    if N > 16 {
        return None;
    }
    let mut listed = [0u32; N];
    let mut count = 0;
    let (mut value, mut width) = (0u32, 0);
    for &b in digits {
        if b == b',' {
            // (An empty end, as in `1,,2` or `,1`, is none.)
            if width == 0 {
                return None;
            }
            *listed.get_mut(count)? = value;
            count += 1;
            (value, width) = (0, 0);
        } else {
            let d = b.wrapping_sub(b'0');
            if d > 9 || width == 9 {
                return None;
            }
            value = value * 10 + u32::from(d);
            width += 1;
        }
    }
    if width > 0 {
        *listed.get_mut(count)? = value;
        count += 1;
    } else if !digits.is_empty() {
        // (A comma last.)
        return None;
    }
    if count != present.count_ones() as usize {
        return None;
    }
    let mut ends = [0u32; N];
    let (mut next, mut end) = (0, 0);
    for (i, slot) in ends.iter_mut().enumerate() {
        if present & (1 << i) != 0 {
            end = *listed.get(next)?;
            next += 1;
        }
        *slot = end;
    }
    (end as usize == len).then_some(ends)
}

/// Reads the fields of a line in order. (Eight bytes at a time, [`tab_bytes`]: a
/// `str::split` sets up its searcher for each field, a plain byte loop cost more than a
/// `memchr`, and a `memchr`'s set-up for each of a record's sixteen short fields was a
/// fifth of decoding the record cache.)
pub struct Fields<'a> {
    rest: Option<&'a str>,
}

impl<'a> Fields<'a> {
    pub fn new(line: &'a str) -> Fields<'a> {
        Fields { rest: Some(line) }
    }

    #[inline]
    fn next_part(&mut self) -> Option<&'a str> {
        let s = self.rest?;
        match first_tab(s.as_bytes()) {
            // A tab is one byte, so both sides are on char boundaries.
            Some(i) => {
                self.rest = Some(&s[i + 1..]);
                Some(&s[..i])
            }
            None => {
                self.rest = None;
                Some(s)
            }
        }
    }

    /// The next field, unescaped.
    pub fn text(&mut self) -> Option<String> {
        unescape(self.next_part()?)
    }

    /// The next field as it is (for numbers and names that need no escaping).
    pub fn raw(&mut self) -> Option<&'a str> {
        self.next_part()
    }

    /// The next optional field: `Some(None)` for `-`.
    pub fn opt(&mut self) -> Option<Option<String>> {
        let v = self.next_part()?;
        match v.strip_prefix('=') {
            Some(s) => Some(Some(unescape(s)?)),
            None if v == "-" => Some(None),
            None => None,
        }
    }

    /// Whether every field was read.
    pub fn done(mut self) -> bool {
        self.next_part().is_none()
    }
}

/// Where the first tab of `bytes` is.
#[inline]
fn first_tab(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    while let Some(word) = bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        let tabs = tab_bytes(word);
        if tabs != 0 {
            return Some(at + tabs.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    let tail = bytes.get(at..)?;
    tail.iter().position(|&b| b == b'\t').map(|i| at + i)
}

/// The high bit of each byte of `word` (eight bytes, little-endian) that is a tab, and
/// no other bit.
pub(super) fn tab_bytes(word: &[u8; 8]) -> u64 {
    bytes_equal(u64::from_le_bytes(*word), b'\t')
}

/// The low seven bits of each byte of a word.
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// The high bit of each byte of `word` that is `byte`, and no other bit: exact per byte
/// (no carry crosses from one byte to the next).
fn bytes_equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (u64::from(byte) * 0x0101_0101_0101_0101);
    !(((x & LOW7) + LOW7) | x | LOW7)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word test flags every byte that is escaped, whatever byte it is and wherever
    /// in the word; and a text needs escaping exactly when a byte scan says so.
    #[test]
    fn escaped_bytes_are_flagged_in_any_word() {
        for at in 0..8 {
            for b in 0..=255u8 {
                let mut word = *b"abcdefgh";
                word[at] = b;
                let flags = control_or_backslash(&word);
                let flagged = flags & (0x80 << (8 * at)) != 0;
                assert_eq!(flagged, b < 0x20 || b == b'\\', "{b:#x} at {at}");
                assert_eq!(flags & !(0x80 << (8 * at)), 0, "only {b:#x} at {at}");
                assert!(!escaped(b) || flagged, "{b:#x} escaped but not flagged");
            }
        }
        let scan = |s: &str| s.bytes().any(escaped);
        for len in 0..26 {
            for at in 0..len {
                for c in ['\\', '\t', '\n', '\r', '\x1f', '\x01', ' ', '/', 'é', '🦀'] {
                    let mut text: String = (0..len).map(|i| ['a', 'Z', '0', '-'][i % 4]).collect();
                    text.replace_range(at..at + 1, c.encode_utf8(&mut [0; 4]));
                    assert_eq!(needs_escape(&text), scan(&text), "{text:?}");
                }
            }
        }
    }

    /// The first tab is found wherever it is in a word of eight, in the tail after the
    /// last whole word, or not at all; other bytes (a 0x89, a 0x08, a 0x19) are not tabs.
    #[test]
    fn the_first_tab_is_found_wherever_it_is() {
        for len in 0..40 {
            for at in 0..=len {
                let mut bytes: Vec<u8> = (0..len)
                    .map(|i| [b'a', 0x89, 0x08, 0x19, 0xff][i % 5])
                    .collect();
                if at < len {
                    bytes[at] = b'\t';
                    if at + 3 < len {
                        bytes[at + 3] = b'\t';
                    }
                }
                let want = memchr::memchr(b'\t', &bytes);
                assert_eq!(first_tab(&bytes), want, "{len} {at}");
            }
        }
    }

    /// The ends of the present texts, spread over all of them; anything else is none.
    #[test]
    fn text_ends_are_read_exactly() {
        let three = 0b1011;
        let mut want = [9u32; 6];
        want[..4].copy_from_slice(&[3, 5, 5, 9]);
        assert_eq!(text_ends::<6>(b"3,5,9", three, 9), Some(want));
        assert_eq!(text_ends::<6>(b"", 0, 0), Some([0; 6]));
        for (bad, len) in [
            (&b"3,5"[..], 5),
            (b"3,5,9,9", 9),
            (b"3,5,9", 8),
            (b"3,,5,9", 9),
            (b",3,5,9", 9),
            (b"3,5,9,", 9),
            (b"3,5,+9", 9),
            (b"3,5,0000000009", 9),
            (b"3;5;9", 9),
        ] {
            assert_eq!(text_ends::<6>(bad, three, len), None, "{bad:?}");
        }
        assert_eq!(
            text_ends::<2>(b"3,5,9", three, 9),
            None,
            "more ends than texts"
        );
        assert_eq!(text_ends::<1>(b"000000009", 1, 9), Some([9]));
        let mut line = String::new();
        push_text_parts(&mut line, "a\tbcd", &[2, 2, 5, 5], 0b101);
        assert_eq!(line, "\t5\t2,5\ta\\tbcd");
    }

    #[test]
    fn numbers_read_as_the_standard_parser_reads_them() {
        for s in [
            "0",
            "7",
            "-7",
            "+7",
            "",
            "-",
            "12a",
            "1796340632458829036",
            "9223372036854775807",
            "9223372036854775808",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999",
            "-9223372036854775808",
            " 1",
        ] {
            assert_eq!(number::<u64>(s), s.parse::<u64>().ok(), "{s:?}");
            assert_eq!(number::<i64>(s), s.parse::<i64>().ok(), "{s:?}");
            assert_eq!(number::<u32>(s), s.parse::<u32>().ok(), "{s:?}");
        }
    }

    /// Numbers of every length up to 21 digits read as `str::parse` reads them, with a
    /// byte that is not a digit anywhere (the eight-at-a-time reading and the rest).
    #[test]
    fn numbers_of_every_length_read_as_the_standard_parser_reads_them() {
        let mut texts: Vec<String> = vec![
            "".into(),
            "+5".into(),
            "-1".into(),
            "0".into(),
            "00000000".into(),
            "9999999999999999999".into(),
            "18446744073709551615".into(),
            "18446744073709551616".into(),
            "1796401800978437161".into(),
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for len in 1..=21 {
            for _ in 0..40 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let digits: String = (0..len)
                    .map(|i| char::from(b'0' + ((x >> (i % 60)) % 10) as u8))
                    .collect();
                texts.push(digits.clone());
                for bad in [b'/', b':', b' ', b'a', 0x80 >> 1, b'0' - 1, b'9' + 1] {
                    let at = (x % len as u64) as usize;
                    let mut b = digits.clone().into_bytes();
                    b[at] = bad;
                    texts.push(String::from_utf8(b).expect("ASCII"));
                }
            }
        }
        for t in &texts {
            assert_eq!(number::<u64>(t), t.parse::<u64>().ok(), "{t:?} as u64");
            assert_eq!(number::<i64>(t), t.parse::<i64>().ok(), "{t:?} as i64");
            assert_eq!(number::<u16>(t), t.parse::<u16>().ok(), "{t:?} as u16");
        }
        for v in [0u64, 7, 12_345_678, 99_999_999, 100_000_000, u64::MAX / 10] {
            assert_eq!(number::<u64>(&v.to_string()), Some(v));
        }
    }

    #[test]
    fn fields_round_trip() {
        let mut line = "start".to_owned();
        push(&mut line, "a\tb\\c\nd\x1f");
        push_opt(&mut line, None);
        push_opt(&mut line, Some(""));
        push_opt(&mut line, Some("-"));
        let mut f = Fields::new(&line);
        assert_eq!(f.raw(), Some("start"));
        assert_eq!(f.text().as_deref(), Some("a\tb\\c\nd\x1f"));
        assert_eq!(f.opt(), Some(None));
        assert_eq!(f.opt(), Some(Some(String::new())));
        assert_eq!(f.opt(), Some(Some("-".into())));
        assert!(f.done());
        assert_eq!(Fields::new("x").opt(), None, "neither - nor =");
        assert_eq!(unescape("bad\\q"), None);
    }
}
