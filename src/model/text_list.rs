//! [`TextList`]: `N` texts, each present or not, in one buffer, and where each ends.
//!
//! A file's fields and a record's texts are held this way, one of each for every WO,
//! 100,000 at a time: one allocation instead of one a text, and where each text ends in
//! two bytes when the buffer is under 64 KiB (every real WO), four behind a pointer
//! when it is not. Whatever follows the last text in the buffer is its tail (a file
//! keeps its path there).

/// `N` texts (up to 16) in one buffer, then a tail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextList<const N: usize> {
    /// Boxed: no spare capacity.
    text: Box<str>,
    ends: Ends<N>,
}

/// Where each text ends in the buffer (it starts where the one before ends), and a bit
/// set for each text present (an absent one is empty in the buffer). Short whenever
/// every end fits, so that equal lists compare equal.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ends<const N: usize> {
    Short([u16; N], u16),
    Long(Box<([u32; N], u16)>),
}

impl<const N: usize> Default for Ends<N> {
    fn default() -> Ends<N> {
        Ends::Short([0; N], 0)
    }
}

impl<const N: usize> Ends<N> {
    fn of(ends: [u32; N], present: u16) -> Ends<N> {
        if ends.iter().all(|e| u16::try_from(*e).is_ok()) {
            Ends::Short(ends.map(|e| u16::try_from(e).unwrap_or(u16::MAX)), present)
        } else {
            Ends::Long(Box::new((ends, present)))
        }
    }

    /// Where text `i` ends (0 for none).
    fn end(&self, i: usize) -> usize {
        match self {
            Ends::Short(e, _) => e.get(i).map_or(0, |e| usize::from(*e)),
            Ends::Long(b) => b.0.get(i).map_or(0, |e| *e as usize),
        }
    }

    fn present(&self, i: usize) -> bool {
        let bits = match self {
            Ends::Short(_, p) => *p,
            Ends::Long(b) => b.1,
        };
        i < N && bits & (1 << i) != 0
    }
}

impl<const N: usize> TextList<N> {
    /// Text `i`, when present.
    pub fn get(&self, i: usize) -> Option<&str> {
        if !self.ends.present(i) {
            return None;
        }
        let start = i.checked_sub(1).map_or(0, |p| self.ends.end(p));
        self.text.get(start..self.ends.end(i))
    }

    /// What follows the last text.
    pub fn tail(&self) -> &str {
        self.text
            .get(self.ends.end(N.saturating_sub(1))..)
            .unwrap_or_default()
    }

    /// A copy with `tail` after the texts, in one allocation.
    pub fn copied_with_tail(&self, tail: &str) -> TextList<N> {
        let end = self.ends.end(N.saturating_sub(1));
        let mut text = String::with_capacity(end + tail.len());
        text.push_str(self.text.get(..end).unwrap_or_default());
        text.push_str(tail);
        TextList {
            text: text.into_boxed_str(),
            ends: self.ends.clone(),
        }
    }

    /// Whether it is in the short form (its ends in two bytes each).
    #[cfg(test)]
    pub fn is_short(&self) -> bool {
        matches!(self.ends, Ends::Short(..))
    }
}

/// Builds a [`TextList`] one text at a time, in order; a text may be written into
/// [`TextListBuilder::buffer`] piecewise (the caches unescape into it).
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

    /// The buffer the next text is being written to.
    pub fn buffer(&mut self) -> &mut String {
        &mut self.text
    }

    /// End the next text: what was written to the buffer since the last one, present
    /// or not.
    pub fn end(&mut self, present: bool) {
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
        (self.next == N && N <= 16 && fits).then(|| TextList {
            text: self.text.into_boxed_str(),
            ends: Ends::of(self.ends, self.present),
        })
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
}
