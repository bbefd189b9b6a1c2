//! [`WoMap`]: every WO id with its [`WoView`], sorted by id, looked up by binary search.
//!
//! Built once per run from lists that are already sorted (the files grouped by id, the
//! records), so a plain sorted list serves where a `BTreeMap` cost, at 10,000 WOs, a
//! copy of every id, a second move of every view into tree nodes and the page faults
//! of both: most of `audit`'s own time.

use std::borrow::{Borrow, Cow};
use std::collections::BTreeMap;

use crate::inventory::wo_view::WoView;
use crate::model::wo_id::WoId;

/// The views by id, in id order. An id the files name is borrowed from them; only ids
/// known from a lock, a record or a worktree alone are owned.
#[derive(Debug, Default)]
pub struct WoMap<'a> {
    entries: Vec<(Cow<'a, WoId>, WoView<'a>)>,
    /// The worktrees whose facts name more than one WO, as ownership resolved them
    /// while the map was built (audit's `worktree_conflict` reads them from here).
    pub contested: Vec<crate::inventory::claims::Ownership<'a>>,
}

impl<'a> WoMap<'a> {
    /// The view of `id`.
    pub fn get<Q: Borrow<str> + ?Sized>(&self, id: &Q) -> Option<&WoView<'a>> {
        self.position(id.borrow()).map(|i| &self.entries[i].1)
    }

    pub fn contains_key<Q: Borrow<str> + ?Sized>(&self, id: &Q) -> bool {
        self.position(id.borrow()).is_some()
    }

    /// The ids and views in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&WoId, &WoView<'a>)> {
        self.entries.iter().map(|(id, v)| (id.as_ref(), v))
    }

    pub fn values(&self) -> impl Iterator<Item = &WoView<'a>> {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Keep only the WOs `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&WoId, &WoView<'a>) -> bool) {
        self.entries.retain(|(id, v)| keep(id, v));
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.entries
            .binary_search_by(|(k, _)| k.as_str().cmp(id))
            .ok()
    }
}

impl<'m, 'a> IntoIterator for &'m WoMap<'a> {
    type Item = (&'m WoId, &'m WoView<'a>);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'m, (Cow<'a, WoId>, WoView<'a>)>,
        fn(&'m (Cow<'a, WoId>, WoView<'a>)) -> (&'m WoId, &'m WoView<'a>),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(id, v)| (id.as_ref(), v))
    }
}

impl<'a> IntoIterator for WoMap<'a> {
    type Item = (WoId, WoView<'a>);
    type IntoIter = std::iter::Map<
        std::vec::IntoIter<(Cow<'a, WoId>, WoView<'a>)>,
        fn((Cow<'a, WoId>, WoView<'a>)) -> (WoId, WoView<'a>),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter().map(|(id, v)| (id.into_owned(), v))
    }
}

/// Builds a [`WoMap`]: first the sorted groups, then views reached by id, which land in
/// a side map when their id is new and are merged in once at the end.
#[derive(Debug, Default)]
pub struct WoMapBuilder<'a> {
    map: WoMap<'a>,
    extra: BTreeMap<WoId, WoView<'a>>,
    /// Where a walk in id order (see [`WoMapBuilder::walk`]) has got to.
    cursor: usize,
}

impl<'a> WoMapBuilder<'a> {
    /// Start from views already sorted by id, one per id.
    pub fn from_sorted(entries: Vec<(Cow<'a, WoId>, WoView<'a>)>) -> WoMapBuilder<'a> {
        debug_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
        WoMapBuilder {
            map: WoMap {
                entries,
                contested: Vec::new(),
            },
            ..WoMapBuilder::default()
        }
    }

    /// The view of an id the groups have, if they have it.
    pub fn existing(&mut self, id: &str) -> Option<&mut WoView<'a>> {
        let i = self.map.position(id)?;
        Some(&mut self.map.entries[i].1)
    }

    /// The view of `id`, made empty when there is none yet.
    pub fn entry(&mut self, id: &WoId) -> &mut WoView<'a> {
        match self.map.position(id.as_str()) {
            Some(i) => &mut self.map.entries[i].1,
            None => self.extra.entry(id.clone()).or_default(),
        }
    }

    /// Like [`WoMapBuilder::existing`] for ids given in ascending order: a walk along
    /// the groups instead of a search for each (records come sorted by id).
    pub fn walk(&mut self, id: &str) -> Option<&mut WoView<'a>> {
        let entries = &mut self.map.entries;
        while self.cursor < entries.len() && entries[self.cursor].0.as_str() < id {
            self.cursor += 1;
        }
        match entries.get_mut(self.cursor) {
            Some((k, v)) if k.as_str() == id => Some(v),
            _ => None,
        }
    }

    pub fn finish(self) -> WoMap<'a> {
        let WoMapBuilder { mut map, extra, .. } = self;
        if !extra.is_empty() {
            // Both sorted, no id in both: one merge.
            let groups = std::mem::take(&mut map.entries);
            let mut merged = Vec::with_capacity(groups.len() + extra.len());
            let mut extra = extra.into_iter().peekable();
            for (id, v) in groups {
                while let Some((e, _)) = extra.peek()
                    && *e < *id
                {
                    if let Some((e, ev)) = extra.next() {
                        merged.push((Cow::Owned(e), ev));
                    }
                }
                merged.push((id, v));
            }
            merged.extend(extra.map(|(e, ev)| (Cow::Owned(e), ev)));
            map.entries = merged;
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> WoId {
        WoId::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn views_added_by_id_merge_in_order() {
        let (a, c, e) = (id("WO-a"), id("WO-c"), id("WO-e"));
        let done = crate::model::order::OrderFile::in_folder(
            crate::model::state::State::Done,
            "WO-d.yaml",
            "id: WO-d\n",
        );
        let mut b = WoMapBuilder::from_sorted(vec![
            (Cow::Borrowed(&a), WoView::default()),
            (Cow::Borrowed(&c), WoView::default()),
            (Cow::Owned(e), WoView::default()),
        ]);
        assert!(b.existing("WO-c").is_some());
        assert!(b.existing("WO-b").is_none());
        b.entry(&id("WO-d")).files.push(&done);
        b.entry(&id("WO-0"));
        b.entry(&id("WO-z"));
        b.entry(&id("WO-d"));
        // A walk in order finds the groups, never the added ones.
        assert!(b.walk("WO-a").is_some());
        assert!(b.walk("WO-b").is_none());
        assert!(b.walk("WO-d").is_none());
        assert!(b.walk("WO-e").is_some());
        assert!(b.walk("WO-f").is_none());
        let map = b.finish();
        let ids: Vec<&str> = map.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(ids, ["WO-0", "WO-a", "WO-c", "WO-d", "WO-e", "WO-z"]);
        assert_eq!(map.len(), 6);
        assert!(map.get("WO-d").is_some_and(|v| v.states().len() == 1));
        assert!(map.contains_key(&id("WO-z")));
        assert!(map.get("WO-b").is_none());
        let mut map = map;
        map.retain(|k, _| k.as_str() != "WO-c");
        assert!(map.get("WO-c").is_none() && map.get("WO-e").is_some());
        let owned: Vec<WoId> = map.into_iter().map(|(k, _)| k).collect();
        assert_eq!(owned.len(), 5);
    }
}
