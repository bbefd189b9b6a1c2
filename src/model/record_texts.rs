//! [`RecordTexts`]: a record's id, title, branch, worktree, base and note, in one buffer
//! (a [`TextList`]).
//!
//! A record is held for every WO, 100,000 at a time: as three in-place [`ShortText`]s, a
//! boxed title and two boxed options the six texts were 120 bytes of every record and
//! up to three allocations; here they are 24 bytes and one allocation.
//!
//! [`ShortText`]: crate::model::short_text::ShortText

use crate::model::text_list::{TextList, TextListBuilder};

/// One of a record's [`RecordTexts`], in their order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    Id,
    Title,
    Branch,
    Worktree,
    Base,
    Note,
}

impl Text {
    pub const COUNT: usize = 6;
}

/// A record's id, title, branch, worktree, base and note: each present or not, one
/// after the other.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RecordTexts(TextList<{ Text::COUNT }>);

// (The saving is the point: checked.)
const _: () = assert!(std::mem::size_of::<RecordTexts>() <= 24);

impl RecordTexts {
    /// The texts with these values, in [`Text`] order.
    pub fn new(values: [Option<&str>; Text::COUNT]) -> RecordTexts {
        let mut b = TextListBuilder::default();
        b.reserve(values.iter().flatten().map(|v| v.len()).sum());
        for v in values {
            b.push(v);
        }
        b.finish().map(RecordTexts).unwrap_or_default()
    }

    /// The texts one after the other, where each ends, and which are present (a bit
    /// each, in [`Text`] order): what [`RecordTexts::of_parts`] makes them from again.
    pub fn parts(&self) -> (&str, [u32; Text::COUNT], u16) {
        self.0.parts()
    }

    /// The texts whose buffer is `text`, as [`RecordTexts::parts`] gave them; `None`
    /// when the parts describe no texts, or `text` holds more than they do.
    pub fn of_parts(text: String, ends: [u32; Text::COUNT], present: u16) -> Option<RecordTexts> {
        let whole = ends.last().is_some_and(|&end| end as usize == text.len());
        whole
            .then(|| TextList::of_parts(text, ends, present))
            .flatten()
            .map(RecordTexts)
    }

    /// The text `t`, when present.
    pub fn get(&self, t: Text) -> Option<&str> {
        self.0.get(t as usize)
    }

    /// These texts with `t` set to `value`.
    pub fn with(&self, t: Text, value: Option<&str>) -> RecordTexts {
        let mut values = self.values();
        values[t as usize] = value;
        RecordTexts::new(values)
    }

    /// The values, in [`Text`] order.
    pub fn values(&self) -> [Option<&str>; Text::COUNT] {
        [
            Text::Id,
            Text::Title,
            Text::Branch,
            Text::Worktree,
            Text::Base,
            Text::Note,
        ]
        .map(|t| self.get(t))
    }
}

impl std::fmt::Debug for RecordTexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordTexts")
            .field("id", &self.get(Text::Id))
            .field("title", &self.get(Text::Title))
            .field("branch", &self.get(Text::Branch))
            .field("worktree", &self.get(Text::Worktree))
            .field("base", &self.get(Text::Base))
            .field("note", &self.get(Text::Note))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_read_back_as_given_whatever_their_size() {
        let long = "t".repeat(70_000);
        for title in ["", "Fix the uploader", long.as_str()] {
            let values = [
                Some("WO-0001"),
                Some(title),
                Some("feat/wo-WO-0001"),
                None,
                Some(""),
                Some("tabs\there"),
            ];
            let t = RecordTexts::new(values);
            assert_eq!(t.values(), values);
            assert_eq!(t.0.is_short(), title.len() < 60_000);
            assert_eq!(t.clone(), RecordTexts::new(values));
            let moved = t.with(Text::Worktree, Some("../wt"));
            assert_eq!(moved.get(Text::Worktree), Some("../wt"));
            assert_eq!(moved.get(Text::Note), Some("tabs\there"));
            assert_eq!(moved.with(Text::Worktree, None), t);
        }
        assert_eq!(
            RecordTexts::new([None; Text::COUNT]),
            RecordTexts::default()
        );
        // Made again from their parts; a text after the last is no record's.
        let t = RecordTexts::new([Some("WO-1"), Some("é"), None, None, Some(""), None]);
        let (text, ends, present) = t.parts();
        assert_eq!(
            RecordTexts::of_parts(text.to_owned(), ends, present),
            Some(t.clone())
        );
        assert_eq!(
            RecordTexts::of_parts(format!("{text}x"), ends, present),
            None
        );
        assert_eq!(RecordTexts::default().get(Text::Title), None);
    }
}
