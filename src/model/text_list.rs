//! [`TextList`]: `N` texts, each present or not, in one buffer, and where each ends.
//!
//! A file's fields and a record's texts are held this way, one of each for every WO,
//! 100,000 at a time: one allocation instead of one a text, and where each text ends in
//! two bytes when the buffer is under 64 KiB (every real WO), four behind a pointer
//! when it is not. Whatever follows the last text in the buffer is its tail (a file
//! keeps its name there).
//!
//! The buffer is held by a thin pointer, its length beside the ends: a `Box<str>` is
//! two words, and the second, in every file and every record, was 1.6 MB at 100,000
//! WOs. That takes the one `unsafe` of this file: owning a buffer through a pointer.

use std::ptr::NonNull;

/// `N` texts (up to 16) in one buffer, then a tail.
pub struct TextList<const N: usize> {
    /// Short form: the first byte of the buffer, a `Box<[u8]>` of `len` bytes of UTF-8
    /// (dangling when empty). Long form: a `Box<Long<N>>`.
    ptr: NonNull<u8>,
    /// Short form: where each text ends in the buffer (it starts where the one before
    /// ends; 0 for none). Long form: unused (zero).
    ends: [u16; N],
    /// A bit set for each text present (an absent one is empty in the buffer).
    present: u16,
    /// Short form: the buffer's length. [`LONG`]: the long form.
    len: u16,
}

/// [`TextList::len`] of the long form.
const LONG: u16 = u16::MAX;

// (The saving is the point: checked, for a file's fields and a record's texts.)
const _: () = assert!(std::mem::size_of::<TextList<14>>() <= 40);
const _: () = assert!(std::mem::size_of::<TextList<6>>() <= 24);

/// A list whose buffer or an end does not fit in the short form's `u16`s. Short
/// whenever everything fits, so that equal lists compare equal.
struct Long<const N: usize> {
    text: Box<str>,
    ends: [u32; N],
}

// SAFETY (both): a `TextList` owns its buffer (or its `Long`) alone, as a `Box` would,
// and hands out only shared borrows of it through `&self`.
unsafe impl<const N: usize> Send for TextList<N> {}
unsafe impl<const N: usize> Sync for TextList<N> {}

impl<const N: usize> TextList<N> {
    /// The list of `text` with these ends, in the short form when everything fits.
    fn of(text: String, ends: [u32; N], present: u16) -> TextList<N> {
        // (Every end is within the buffer, so a short length nearly always means
        // short ends: each is checked all the same.)
        let mut short = [0u16; N];
        let mut fits = text.len() < usize::from(LONG);
        for (s, e) in short.iter_mut().zip(ends) {
            match u16::try_from(e) {
                Ok(e) => *s = e,
                Err(_) => fits = false,
            }
        }
        match u16::try_from(text.len()).ok().filter(|_| fits) {
            Some(len) => {
                let buffer: Box<[u8]> = text.into_bytes().into_boxed_slice();
                TextList {
                    ptr: NonNull::from(Box::leak(buffer)).cast(),
                    ends: short,
                    present,
                    len,
                }
            }
            _ => {
                let long = Box::new(Long {
                    text: text.into_boxed_str(),
                    ends,
                });
                TextList {
                    ptr: NonNull::from(Box::leak(long)).cast(),
                    ends: [0; N],
                    present,
                    len: LONG,
                }
            }
        }
    }

    /// The long form's buffer and ends, when it is in the long form.
    fn long(&self) -> Option<&Long<N>> {
        // SAFETY: in the long form `ptr` came from `Box::leak` of a `Long<N>`
        // (`of`), which this list owns until it is dropped.
        (self.len == LONG).then(|| unsafe { self.ptr.cast::<Long<N>>().as_ref() })
    }

    /// The whole buffer: the texts, then the tail.
    fn text(&self) -> &str {
        if let Some(long) = self.long() {
            return &long.text;
        }
        // SAFETY: in the short form `ptr` came from `Box::leak` of a `Box<[u8]>` of
        // `len` bytes, all of a `String` (`of`), owned by this list until it is dropped.
        unsafe {
            let bytes = std::slice::from_raw_parts(self.ptr.as_ptr(), usize::from(self.len));
            std::str::from_utf8_unchecked(bytes)
        }
    }

    /// Where text `i` ends (0 for none).
    fn end(&self, i: usize) -> usize {
        match self.long() {
            Some(long) => long.ends.get(i).map_or(0, |e| *e as usize),
            None => self.ends.get(i).map_or(0, |e| usize::from(*e)),
        }
    }

    fn all_ends(&self) -> [u32; N] {
        std::array::from_fn(|i| u32::try_from(self.end(i)).unwrap_or(u32::MAX))
    }

    /// Text `i`, when present.
    pub fn get(&self, i: usize) -> Option<&str> {
        if i >= N || self.present & (1 << i) == 0 {
            return None;
        }
        let start = i.checked_sub(1).map_or(0, |p| self.end(p));
        self.text().get(start..self.end(i))
    }

    /// What follows the last text.
    pub fn tail(&self) -> &str {
        self.text()
            .get(self.end(N.saturating_sub(1))..)
            .unwrap_or_default()
    }

    /// A copy with `tail` after the texts, in one allocation.
    pub fn copied_with_tail(&self, tail: &str) -> TextList<N> {
        let end = self.end(N.saturating_sub(1));
        let mut text = String::with_capacity(end + tail.len());
        text.push_str(self.text().get(..end).unwrap_or_default());
        text.push_str(tail);
        TextList::of(text, self.all_ends(), self.present)
    }

    /// The texts without the tail, where each ends, and which are present (a bit
    /// each): what [`TextList::of_parts`] makes the list from again.
    pub fn parts(&self) -> (&str, [u32; N], u16) {
        let end = self.end(N.saturating_sub(1));
        let texts = self.text().get(..end).unwrap_or_default();
        (texts, self.all_ends(), self.present)
    }

    /// The list whose buffer is `text` (its texts, then the tail), its texts ending at
    /// `ends` and present as `present` says ([`TextList::parts`]); `None` unless that
    /// describes a list: no bit past the `N` texts, the ends in order, each on a
    /// character boundary within `text`, and an absent text empty. (The caches keep a
    /// list this way: its buffer copied whole, not text by text.)
    pub fn of_parts(text: String, ends: [u32; N], present: u16) -> Option<TextList<N>> {
        if N > 16 || (N < 16 && present >> N != 0) || u32::try_from(text.len()).is_err() {
            return None;
        }
        let mut start = 0;
        for (i, &end) in ends.iter().enumerate() {
            let at = end as usize;
            let present = present & (1 << i) != 0;
            if at < start || (!present && at != start) || !text.is_char_boundary(at) {
                return None;
            }
            start = at;
        }
        Some(TextList::of(text, ends, present))
    }

    /// Whether it is in the short form (its ends in two bytes each).
    #[cfg(test)]
    pub fn is_short(&self) -> bool {
        self.len != LONG
    }
}

impl<const N: usize> Drop for TextList<N> {
    fn drop(&mut self) {
        if self.len == LONG {
            // SAFETY: the long form's `Box<Long<N>>`, owned by this list (`of`) and
            // never used again.
            drop(unsafe { Box::from_raw(self.ptr.cast::<Long<N>>().as_ptr()) });
        } else {
            let raw = std::ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), usize::from(self.len));
            // SAFETY: the short form's `Box<[u8]>` of `len` bytes, owned by this list
            // (`of`) and never used again.
            drop(unsafe { Box::from_raw(raw) });
        }
    }
}

impl<const N: usize> Default for TextList<N> {
    fn default() -> TextList<N> {
        TextList::of(String::new(), [0; N], 0)
    }
}

impl<const N: usize> Clone for TextList<N> {
    fn clone(&self) -> TextList<N> {
        TextList::of(self.text().to_owned(), self.all_ends(), self.present)
    }
}

impl<const N: usize> PartialEq for TextList<N> {
    fn eq(&self, other: &TextList<N>) -> bool {
        self.present == other.present
            && self.all_ends() == other.all_ends()
            && self.text() == other.text()
    }
}

impl<const N: usize> Eq for TextList<N> {}

impl<const N: usize> std::fmt::Debug for TextList<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextList")
            .field("text", &self.text())
            .field("ends", &self.all_ends())
            .field("present", &self.present)
            .finish()
    }
}

/// Builds a [`TextList`] one text at a time, in order.
#[derive(Debug)]
pub struct TextListBuilder<const N: usize> {
    text: String,
    ends: [u32; N],
    present: u16,
    next: usize,
}

impl<const N: usize> Default for TextListBuilder<N> {
    fn default() -> TextListBuilder<N> {
        TextListBuilder {
            text: String::new(),
            ends: [0; N],
            present: 0,
            next: 0,
        }
    }
}

impl<const N: usize> TextListBuilder<N> {
    /// The next text (`None`: absent).
    pub fn push(&mut self, value: Option<&str>) {
        if let Some(v) = value {
            self.text.push_str(v);
        }
        self.end(value.is_some());
    }

    /// Room for `more` bytes of text (and tail) in one allocation: a buffer made at its
    /// final size is boxed without a reallocation.
    pub fn reserve(&mut self, more: usize) {
        self.text.reserve_exact(more);
    }

    /// End the next text: what was written to the buffer since the last one, present
    /// or not.
    fn end(&mut self, present: bool) {
        if let Some(end) = self.ends.get_mut(self.next) {
            *end = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
            if present {
                self.present |= 1 << self.next;
            }
        }
        self.next += 1;
    }

    /// The list with `tail` after the texts, when exactly `N` were pushed and they fit.
    pub fn finish_with_tail(mut self, tail: &str) -> Option<TextList<N>> {
        if self.next != N {
            return None;
        }
        self.text.push_str(tail);
        self.finish()
    }

    /// The list, when exactly `N` texts were pushed and they fit.
    pub fn finish(self) -> Option<TextList<N>> {
        let fits = u32::try_from(self.text.len()).is_ok();
        (self.next == N && N <= 16 && fits)
            .then(|| TextList::of(self.text, self.ends, self.present))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(values: [Option<&str>; 3], tail: &str) -> Option<TextList<3>> {
        let mut b = TextListBuilder::<3>::default();
        for v in values {
            b.push(v);
        }
        b.finish_with_tail(tail)
    }

    #[test]
    fn texts_and_tail_read_back_whatever_their_size() {
        let long = "t".repeat(70_000);
        for first in ["", "a", long.as_str()] {
            let values = [Some(first), None, Some("c")];
            let Some(l) = list(values, "tail") else {
                panic!("three texts were pushed")
            };
            assert_eq!(
                [l.get(0), l.get(1), l.get(2), l.get(3)],
                [Some(first), None, Some("c"), None]
            );
            assert_eq!(l.tail(), "tail");
            assert_eq!(l.is_short(), first.len() < 65_536);
            let other = l.copied_with_tail("x");
            assert_eq!(
                (other.get(0), other.get(2), other.tail()),
                (Some(first), Some("c"), "x")
            );
            assert_eq!(list(values, "tail"), Some(l));
        }
        assert!(list([None; 3], "").is_some_and(|l| l == TextList::default()));
        let mut short = TextListBuilder::<3>::default();
        short.push(Some("a"));
        assert!(short.finish().is_none(), "one text of three");
    }

    /// A list made again from its parts is the list; parts that describe none are
    /// refused.
    #[test]
    fn a_list_is_made_again_from_its_parts_and_only_from_parts_of_one() {
        let long = "é".repeat(40_000);
        for first in ["", "ab", "é", long.as_str()] {
            for values in [[Some(first), None, Some("c")], [None, Some(first), None]] {
                let Some(l) = list(values, "tail") else {
                    panic!("three texts were pushed")
                };
                let (texts, ends, present) = l.parts();
                let again = TextList::of_parts(format!("{texts}tail"), ends, present);
                assert_eq!(again.as_ref(), Some(&l));
                assert_eq!(again.map(|a| a.tail().to_owned()).as_deref(), Some("tail"));
            }
        }
        let good = |ends, present| TextList::<3>::of_parts("aébc".into(), ends, present);
        assert!(good([1, 3, 4], 0b111).is_some());
        assert!(
            good([1, 1, 4], 0b101).is_some(),
            "an absent text in the middle"
        );
        assert!(good([1, 3, 5], 0b111).is_some(), "the tail is what is left");
        for (ends, present, why) in [
            ([1, 3, 4], 0b1111, "a bit past the texts"),
            ([3, 1, 4], 0b111, "ends out of order"),
            ([1, 2, 4], 0b111, "an end within a character"),
            ([1, 3, 6], 0b111, "an end past the buffer"),
            ([1, 3, 4], 0b101, "an absent text that is not empty"),
        ] {
            assert!(good(ends, present).is_none(), "{why}");
        }
    }

    #[test]
    fn a_copy_is_its_own_in_every_form() {
        let long = "é".repeat(40_000);
        for first in ["", "ab", long.as_str()] {
            let Some(l) = list([Some(first), None, Some("c")], "tail") else {
                panic!("three texts were pushed")
            };
            let copy = l.clone();
            assert_eq!(copy, l);
            assert_eq!(copy.is_short(), l.is_short());
            let retailed = copy.copied_with_tail("");
            drop(copy);
            assert_eq!((retailed.get(0), retailed.tail()), (Some(first), ""));
            assert_ne!(retailed, l, "another tail");
            // (Sent to another thread, and dropped there.)
            let third = std::thread::spawn(move || retailed.get(2).map(str::to_owned)).join();
            assert_eq!(third.ok().flatten().as_deref(), Some("c"));
            assert!(format!("{l:?}").contains("tail"));
        }
        let empty = TextList::<2>::default();
        assert_eq!(
            (empty.clone(), empty.get(0), empty.tail()),
            (TextList::default(), None, "")
        );
    }
}
