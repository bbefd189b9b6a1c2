//! [`Few`]: the list of a WO's live files in its [`super::WoView`], one per WO: at
//! 100,000 WOs a `Vec` for each of a view's five lists was 120 bytes a WO, plus an
//! allocation for the one file nearly every WO has. It holds none or one in place, and
//! reads as a slice. (The lists nearly always empty share one allocation in the view.)

use std::ops::Deref;

/// A list that is nearly always one item (a WO's live files): none or one without an
/// allocation; more behind one pointer, so that a list of references is two words (a
/// `Vec` is three: 0.8 MB of the map of 100,000 WOs).
#[derive(Debug, Clone, Default)]
// (A boxed `Vec` on purpose: two words in every view, where a `Vec` is three.)
#[allow(clippy::box_collection)]
pub enum Few<T> {
    #[default]
    Zero,
    One([T; 1]),
    Many(Box<Vec<T>>),
}

// (Two words for a list of references: checked, as the saving is the point.)
const _: () = assert!(std::mem::size_of::<Few<&u8>>() <= 16);

impl<T> Few<T> {
    pub fn push(&mut self, item: T) {
        match std::mem::take(self) {
            Few::Zero => *self = Few::One([item]),
            Few::One([first]) => *self = Few::Many(Box::new(vec![first, item])),
            Few::Many(mut all) => {
                all.push(item);
                *self = Few::Many(all);
            }
        }
    }
}

impl<T> Deref for Few<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            Few::Zero => &[],
            Few::One(one) => one,
            Few::Many(all) => all,
        }
    }
}

impl<'s, T> IntoIterator for &'s Few<T> {
    type Item = &'s T;
    type IntoIter = std::slice::Iter<'s, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_their_items_in_order() {
        let mut few = Few::default();
        assert!(few.is_empty());
        for i in 0..4 {
            few.push(i);
            let want: Vec<i32> = (0..=i).collect();
            assert_eq!(&*few, &want[..]);
        }
        assert_eq!((&few).into_iter().count(), 4);
        assert!(std::mem::size_of::<Few<&u8>>() <= std::mem::size_of::<Vec<&u8>>());
    }
}
