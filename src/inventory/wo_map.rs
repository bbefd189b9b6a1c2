//! [`WoMap`]: every WO id with its [`WoView`], sorted by id, looked up by binary search.
//!
//! Built once per run from lists that are already sorted (the files grouped by id, the
//! records), so a plain sorted list serves where a `BTreeMap` cost, at 10,000 WOs, a
//! copy of every id, a second move of every view into tree nodes and the page faults
//! of both: most of `audit`'s own time. A view with a copy holds no id of its own: its
//! id is its copy's (a key beside each view was 24 bytes a WO, 2.4 MB of the peak at
//! 100,000 WOs); only the few known from a lock, a record or a worktree alone keep one.

use std::borrow::Borrow;
use std::collections::BTreeMap;

use crate::inventory::wo_view::WoView;
use crate::model::wo_id::WoId;

/// The views in id order.
#[derive(Debug, Default)]
pub struct WoMap<'a> {
    views: Vec<WoView<'a>>,
    /// The ids of the views with no copy to take theirs from, by place, in order.
    owned: Vec<(usize, WoId)>,
    /// The worktrees whose facts name more than one WO, as ownership resolved them
    /// while the map was built (audit's `worktree_conflict` reads them from here).
    pub contested: Vec<crate::inventory::claims::Ownership<'a>>,
}

/// The id of a view's copies (all of a view's copies have the same id), if it has one.
fn copy_id<'v>(v: &'v WoView<'_>) -> Option<&'v WoId> {
    let first = v.files().first().or_else(|| v.unreadable().first())?;
    first.id.as_ref()
}

impl<'a> WoMap<'a> {
    /// The view of `id`.
    pub fn get<Q: Borrow<str> + ?Sized>(&self, id: &Q) -> Option<&WoView<'a>> {
        self.position(id.borrow()).map(|i| &self.views[i])
    }

    pub fn contains_key<Q: Borrow<str> + ?Sized>(&self, id: &Q) -> bool {
        self.position(id.borrow()).is_some()
    }

    /// The ids and views in id order.
    pub fn iter(&self) -> Iter<'_, 'a> {
        self.range(0..self.views.len())
    }

    /// The ids and views from the `range.start`-th to before the `range.end`-th, in
    /// id order (to share a walk of the map out between threads).
    pub fn range(&self, range: std::ops::Range<usize>) -> Iter<'_, 'a> {
        let end = range.end.min(self.views.len());
        Iter {
            map: self,
            at: range.start.min(end),
            end,
        }
    }

    pub fn values(&self) -> impl Iterator<Item = &WoView<'a>> {
        self.views.iter()
    }

    pub fn len(&self) -> usize {
        self.views.len()
    }

    pub fn is_empty(&self) -> bool {
        self.views.is_empty()
    }

    /// Keep only the WOs `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&WoId, &WoView<'a>) -> bool) {
        let kept: Vec<bool> = self.iter().map(|(id, v)| keep(id, v)).collect();
        let mut owned = std::mem::take(&mut self.owned).into_iter().peekable();
        let mut place = 0;
        for (i, keep) in kept.iter().enumerate() {
            if let Some((_, id)) = owned.next_if(|(at, _)| *at == i)
                && *keep
            {
                self.owned.push((place, id));
            }
            place += usize::from(*keep);
        }
        let mut i = 0;
        self.views.retain(|_| {
            i += 1;
            kept[i - 1]
        });
    }

    /// The id of the view at `i`.
    fn id_at(&self, i: usize) -> Option<&WoId> {
        match self.owned.binary_search_by_key(&i, |(at, _)| *at) {
            Ok(k) => Some(&self.owned[k].1),
            Err(_) => copy_id(self.views.get(i)?),
        }
    }

    fn position(&self, id: &str) -> Option<usize> {
        // (A binary search by hand: the ids are not beside the views.)
        let (mut lo, mut hi) = (0, self.views.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.id_at(mid).map(|k| k.as_str().cmp(id))? {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }
}

/// The ids and views of a [`WoMap`], in id order.
pub struct Iter<'m, 'a> {
    map: &'m WoMap<'a>,
    at: usize,
    end: usize,
}

impl<'m, 'a> Iterator for Iter<'m, 'a> {
    type Item = (&'m WoId, &'m WoView<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        while self.at < self.end {
            let i = self.at;
            self.at += 1;
            // (Every view has an id by construction: see `WoMapBuilder::finish`.)
            if let Some(id) = self.map.id_at(i) {
                return Some((id, &self.map.views[i]));
            }
        }
        None
    }
}

impl<'m, 'a> IntoIterator for &'m WoMap<'a> {
    type Item = (&'m WoId, &'m WoView<'a>);
    type IntoIter = Iter<'m, 'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a> IntoIterator for WoMap<'a> {
    type Item = (WoId, WoView<'a>);
    type IntoIter = std::vec::IntoIter<(WoId, WoView<'a>)>;
    fn into_iter(self) -> Self::IntoIter {
        let ids: Vec<Option<WoId>> = (0..self.views.len())
            .map(|i| self.id_at(i).cloned())
            .collect();
        let pairs: Vec<(WoId, WoView<'a>)> = ids
            .into_iter()
            .zip(self.views)
            .filter_map(|(id, v)| Some((id?, v)))
            .collect();
        pairs.into_iter()
    }
}

/// Builds a [`WoMap`]: first the sorted groups, then views reached by id, which land in
/// a side map when their id is new and are merged in once at the end.
#[derive(Debug, Default)]
pub struct WoMapBuilder<'a> {
    map: WoMap<'a>,
    extra: BTreeMap<WoId, WoView<'a>>,
}

impl<'a> WoMapBuilder<'a> {
    /// Start from views already sorted by id, one per id, each with a copy (whose id is
    /// the view's).
    pub fn from_sorted(views: Vec<WoView<'a>>) -> WoMapBuilder<'a> {
        debug_assert!(views.iter().all(|v| copy_id(v).is_some()));
        debug_assert!(views.windows(2).all(|w| copy_id(&w[0]) < copy_id(&w[1])));
        WoMapBuilder {
            map: WoMap {
                views,
                ..WoMap::default()
            },
            ..WoMapBuilder::default()
        }
    }

    /// The view of an id the groups have, if they have it.
    pub fn existing(&mut self, id: &str) -> Option<&mut WoView<'a>> {
        let i = self.map.position(id)?;
        Some(&mut self.map.views[i])
    }

    /// The view of `id`, made empty when there is none yet.
    pub fn entry(&mut self, id: &WoId) -> &mut WoView<'a> {
        match self.map.position(id.as_str()) {
            Some(i) => &mut self.map.views[i],
            None => self.extra.entry(id.clone()).or_default(),
        }
    }

    /// The map; the views added by id get the ids they were added by.
    pub fn finish(self) -> WoMap<'a> {
        let WoMapBuilder { mut map, extra, .. } = self;
        if !extra.is_empty() {
            // Both sorted, no id in both: one merge.
            let groups = std::mem::take(&mut map.views);
            let mut merged = Vec::with_capacity(groups.len() + extra.len());
            let mut extra = extra.into_iter().peekable();
            for v in groups {
                while let Some((e, ev)) =
                    extra.next_if(|(e, _)| copy_id(&v).is_some_and(|id| e < id))
                {
                    map.owned.push((merged.len(), e));
                    merged.push(ev);
                }
                merged.push(v);
            }
            for (e, ev) in extra {
                map.owned.push((merged.len(), e));
                merged.push(ev);
            }
            map.views = merged;
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::order::OrderFile;
    use crate::model::state::State;

    fn id(s: &str) -> WoId {
        WoId::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn copy(state: State, id: &str) -> OrderFile {
        OrderFile::in_folder(state, &format!("{id}.yaml"), &format!("id: {id}\n"))
    }

    fn view<'a>(f: &'a OrderFile) -> WoView<'a> {
        let mut v = WoView::default();
        v.push_file(f);
        v
    }

    #[test]
    fn views_added_by_id_merge_in_order() {
        let (a, c, e) = (
            copy(State::Pending, "WO-a"),
            copy(State::Pending, "WO-c"),
            copy(State::Done, "WO-e"),
        );
        let unreadable = OrderFile::in_folder(State::Failed, "WO-f.yaml", "<<<<<<< ours\n");
        // (Made before the views that borrow it: a view frees what it holds when
        // dropped, so what it borrows must outlive it.)
        let held = crate::model::lockfile::LockFile::parse(
            id("WO-d"),
            "_ctx/jobs/running/WO-d.lock".into(),
            "user: a\n",
            None,
        );
        let mut f = WoView::default();
        f.push_unreadable(&unreadable);
        let mut b = WoMapBuilder::from_sorted(vec![view(&a), view(&c), view(&e), f]);
        assert!(b.existing("WO-c").is_some());
        assert!(b.existing("WO-b").is_none());
        b.entry(&id("WO-d")).set_lock(&held);
        b.entry(&id("WO-0"));
        b.entry(&id("WO-z"));
        assert!(b.entry(&id("WO-d")).lock().is_some(), "the same view again");
        assert!(
            b.existing("WO-f").is_some(),
            "an unreadable copy names its view"
        );
        let map = b.finish();
        let ids: Vec<&str> = map.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            ids,
            ["WO-0", "WO-a", "WO-c", "WO-d", "WO-e", "WO-f", "WO-z"]
        );
        assert_eq!(map.len(), 7);
        // Ranges share the walk out: together, the whole map in order.
        let part = |r: std::ops::Range<usize>| -> Vec<&str> {
            map.range(r).map(|(k, _)| k.as_str()).collect()
        };
        assert_eq!(part(0..3), ["WO-0", "WO-a", "WO-c"]);
        assert_eq!(part(3..99), ["WO-d", "WO-e", "WO-f", "WO-z"]);
        assert!(part(9..12).is_empty());
        #[allow(clippy::reversed_empty_ranges)]
        let backwards = 5..2;
        assert!(part(backwards).is_empty());
        assert!(map.get("WO-d").is_some_and(|v| v.lock().is_some()));
        assert!(
            map.get("WO-e")
                .is_some_and(|v| v.states().first() == Some(State::Done))
        );
        assert!(map.contains_key(&id("WO-z")) && map.contains_key("WO-0"));
        assert!(map.get("WO-b").is_none() && map.get("WO-zz").is_none());
        let mut map = map;
        map.retain(|k, _| !matches!(k.as_str(), "WO-c" | "WO-0"));
        let ids: Vec<&str> = map.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(ids, ["WO-a", "WO-d", "WO-e", "WO-f", "WO-z"]);
        assert!(map.get("WO-c").is_none() && map.get("WO-d").is_some_and(|v| v.lock().is_some()));
        let owned: Vec<String> = map.into_iter().map(|(k, _)| k.to_string()).collect();
        assert_eq!(owned, ["WO-a", "WO-d", "WO-e", "WO-f", "WO-z"]);
    }
}
