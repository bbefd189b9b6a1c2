//! [`RecordTexts`]: a record's id, title, branch, worktree, base and note, in one buffer.
//!
//! A record is held for every WO, 100,000 at a time: as three in-place [`ShortText`]s, a
//! boxed title and two boxed options the six texts were 120 bytes of every record and
//! up to three allocations; here they are 32 bytes and one allocation.
//!
//! [`ShortText`]: crate::model::short_text::ShortText

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

/// A record's id, title, branch, worktree, base and note: each present or not (an absent
/// text is empty in the buffer), one after the other.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RecordTexts {
    text: Box<str>,
    ends: Ends,
}

/// Where each text but the last ends (the last ends where the buffer does), and which
/// are present: in two bytes each when the buffer is under 64 KiB, behind a pointer
/// when it is not. (Short whenever they fit, so that equal texts compare equal.)
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ends {
    Short([u16; Text::COUNT - 1], u8),
    Long(Box<([u32; Text::COUNT - 1], u8)>),
}

impl Default for Ends {
    fn default() -> Ends {
        Ends::Short([0; Text::COUNT - 1], 0)
    }
}

// (The saving is the point: checked.)
const _: () = assert!(std::mem::size_of::<RecordTexts>() <= 32);

impl RecordTexts {
    /// The texts with these values, in [`Text`] order.
    pub fn new(values: [Option<&str>; Text::COUNT]) -> RecordTexts {
        RecordTexts::built(values, |buf, v| {
            buf.push_str(v);
            Some(())
        })
        .unwrap_or_default()
    }

    /// The texts whose values `push` writes from these (the record cache unescapes its
    /// fields into the buffer); `None` when `push` fails on one.
    pub fn built(
        values: [Option<&str>; Text::COUNT],
        mut push: impl FnMut(&mut String, &str) -> Option<()>,
    ) -> Option<RecordTexts> {
        // At its final size (an escaped text is never shorter than what it stands for).
        let mut text = String::with_capacity(values.iter().flatten().map(|v| v.len()).sum());
        let mut ends = [0u32; Text::COUNT - 1];
        let mut present = 0u8;
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                push(&mut text, v)?;
                present |= 1 << i;
            }
            if let Some(end) = ends.get_mut(i) {
                *end = u32::try_from(text.len()).ok()?;
            }
        }
        let ends = if text.len() <= usize::from(u16::MAX) {
            Ends::Short(ends.map(|e| u16::try_from(e).unwrap_or(u16::MAX)), present)
        } else {
            Ends::Long(Box::new((ends, present)))
        };
        Some(RecordTexts {
            text: text.into_boxed_str(),
            ends,
        })
    }

    /// The text `t`, when present.
    pub fn get(&self, t: Text) -> Option<&str> {
        let i = t as usize;
        let (end_of, present) = match &self.ends {
            Ends::Short(e, p) => (e.get(i).map(|e| usize::from(*e)), *p),
            Ends::Long(b) => (b.0.get(i).map(|e| *e as usize), b.1),
        };
        if present & (1 << i) == 0 {
            return None;
        }
        let start = match i.checked_sub(1) {
            Some(p) => match &self.ends {
                Ends::Short(e, _) => usize::from(e[p]),
                Ends::Long(b) => b.0[p] as usize,
            },
            None => 0,
        };
        self.text.get(start..end_of.unwrap_or(self.text.len()))
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
            assert_eq!(matches!(t.ends, Ends::Short(..)), title.len() < 60_000);
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
        assert_eq!(RecordTexts::default().get(Text::Title), None);
    }
}
