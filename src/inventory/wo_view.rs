//! [`WoView`]: everything known about one WO id, its copies readable or not, its
//! `.lock`, its record and the worktrees it owns. Built by the inventory
//! ([`super::Inventory::wos`]), read by every view.

use crate::git::worktrees::Worktree;
use crate::inventory::ref_or_box::RefOrBox;
use crate::inventory::stored::Stored;
use crate::model::lockfile::LockFile;
use crate::model::order::OrderFile;
use crate::model::state::{State, StateSet};

/// Everything known about one WO id. What nearly every WO lacks (a second live copy,
/// unreadable and archived copies, a `.lock`, worktrees) shares one allocation, made
/// when first set, in the word that otherwise holds its one live file: a view is 16
/// bytes, where a pointer for each made it 72 (at 100,000 WOs, 5.6 MB of the peak of
/// `audit`, `status` and `list`).
#[derive(Debug, Default)]
pub struct WoView<'a> {
    /// Its one live file, or what nearly every WO lacks (see [`WoView::files`]).
    slot: RefOrBox<'a, OrderFile, Unusual<'a>>,
    pub record: Option<&'a Stored>,
}

/// The lists of a [`WoView`] that are nearly always empty.
#[derive(Debug, Default)]
struct Unusual<'a> {
    /// Its live files (once this is made, all of them: the one before included).
    files: Vec<&'a OrderFile>,
    lock: Option<&'a LockFile>,
    unreadable: Vec<&'a OrderFile>,
    archived: Vec<&'a OrderFile>,
    worktrees: Vec<&'a Worktree>,
    disputed: Vec<&'a Worktree>,
}

// (One for every WO, 100,000 at a time: checked.)
const _: () = assert!(std::mem::size_of::<WoView<'static>>() <= 16);

impl<'a> WoView<'a> {
    /// Its live files (valid, not archived), in listing order.
    pub fn files(&self) -> &[&'a OrderFile] {
        match (self.slot.as_ref(), self.slot.as_box()) {
            (Some(one), _) => std::slice::from_ref(one),
            (_, Some(u)) => &u.files,
            _ => &[],
        }
    }
    pub fn push_file(&mut self, f: &'a OrderFile) {
        if self.slot.is_none() {
            self.slot = RefOrBox::of_ref(f);
            return;
        }
        self.unusual().files.push(f);
    }
    /// Its `.lock` file in `running/`, if it has one.
    pub fn lock(&self) -> Option<&'a LockFile> {
        self.slot.as_box()?.lock
    }
    pub fn set_lock(&mut self, lock: &'a LockFile) {
        self.unusual().lock = Some(lock);
    }
    /// Copies in a state folder that cannot be read as a WO (merge-conflict markers,
    /// no `id:`…), known by their stem (SPEC §1). They count as copies: in `states`,
    /// split-brain and duplicates; and no repair or removal acts on the WO while it
    /// has one.
    pub fn unreadable(&self) -> &[&'a OrderFile] {
        self.slot.as_box().map_or(&[], |u| &u.unreadable)
    }
    /// Archived copies (archive subfolders, names not starting with `WO-`): only for
    /// duplicate detection.
    pub fn archived(&self) -> &[&'a OrderFile] {
        self.slot.as_box().map_or(&[], |u| &u.archived)
    }
    /// The worktrees it owns (see [`super::ownership`]).
    pub fn worktrees(&self) -> &[&'a Worktree] {
        self.slot.as_box().map_or(&[], |u| &u.worktrees)
    }
    /// Worktrees it owns or claims whose facts name another WO too: a person decides;
    /// no view removes them or counts them missing.
    pub fn disputed(&self) -> &[&'a Worktree] {
        self.slot.as_box().map_or(&[], |u| &u.disputed)
    }
    pub fn push_unreadable(&mut self, f: &'a OrderFile) {
        self.unusual().unreadable.push(f);
    }
    pub fn push_archived(&mut self, f: &'a OrderFile) {
        self.unusual().archived.push(f);
    }
    pub fn push_worktree(&mut self, w: &'a Worktree) {
        self.unusual().worktrees.push(w);
    }
    pub fn push_disputed(&mut self, w: &'a Worktree) {
        self.unusual().disputed.push(w);
    }
    /// What nearly every WO lacks, made when first needed (its one live file, if it
    /// has one, moved into its list of files).
    fn unusual(&mut self) -> &mut Unusual<'a> {
        self.slot.boxed_or(|one| Unusual {
            files: one.into_iter().collect(),
            ..Unusual::default()
        })
    }
}

impl WoView<'_> {
    /// The state folders its copies are in, readable or not.
    pub fn states(&self) -> StateSet {
        let mut set = StateSet::default();
        for f in self.files().iter().chain(self.unreadable()) {
            set.insert(f.folder);
        }
        set
    }
    /// The one state of a WO that is not split-brain.
    pub fn single_state(&self) -> Option<State> {
        let states = self.states();
        (states.len() == 1).then(|| states.first()).flatten()
    }
    pub fn is_split_brain(&self) -> bool {
        self.states().len() > 1
    }
    /// The YAML file in `state`, if any.
    pub fn file_in(&self, state: State) -> Option<&OrderFile> {
        self.files().iter().copied().find(|f| f.folder == state)
    }
    /// Whether a copy cannot be read: nothing may repair, move or remove this WO.
    pub fn has_unreadable(&self) -> bool {
        !self.unreadable().is_empty()
    }
    /// Whether the WO has any copy in a state folder, readable or not.
    pub fn has_copy(&self) -> bool {
        !self.files().is_empty() || !self.unreadable().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::worktrees::Head;
    use std::path::PathBuf;

    fn worktree(name: &str) -> Worktree {
        Worktree {
            name: name.into(),
            path: PathBuf::from(format!("/wt/{name}")),
            recorded: PathBuf::from(format!("/wt/{name}")),
            admin_dir: PathBuf::from(format!("/repo/.git/worktrees/{name}")),
            head: Head::Branch(format!("feat/wo-{name}")),
            locked: None,
            exists: true,
            is_main: false,
        }
    }

    #[test]
    fn live_files_read_back_in_order_one_in_place_more_beside() {
        let files: Vec<OrderFile> = [State::Pending, State::Running, State::Done]
            .into_iter()
            .map(|s| OrderFile::in_folder(s, "WO-1.yaml", "id: WO-1\n"))
            .collect();
        let folders = |v: &WoView<'_>| v.files().iter().map(|f| f.folder).collect::<Vec<_>>();
        let mut v = WoView::default();
        assert!(v.files().is_empty() && !v.has_copy());
        v.push_file(&files[0]);
        assert_eq!(folders(&v), [State::Pending]);
        assert!(v.slot.as_box().is_none(), "one file needs no allocation");
        v.push_file(&files[1]);
        v.push_file(&files[2]);
        assert_eq!(folders(&v), [State::Pending, State::Running, State::Done]);
        assert!(v.is_split_brain());
        assert_eq!(
            v.file_in(State::Running).map(|f| f.folder),
            Some(State::Running)
        );
    }

    #[test]
    fn the_unusual_lists_read_back_what_was_pushed_each_on_its_own() {
        let (a, b) = (worktree("a"), worktree("b"));
        let bad = OrderFile::in_folder(State::Done, "WO-1.yaml", "<<<<<<< ours\n");
        let old = OrderFile::in_folder(State::Done, "old/WO-1.yaml", "id: WO-1\n");
        let mut v = WoView::default();
        assert!(
            v.slot.as_box().is_none(),
            "nothing allocated for a usual WO"
        );
        assert!(v.unreadable().is_empty() && v.worktrees().is_empty());
        v.push_worktree(&a);
        v.push_worktree(&b);
        v.push_disputed(&b);
        v.push_unreadable(&bad);
        v.push_archived(&old);
        let names = |l: &[&Worktree]| l.iter().map(|w| w.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(v.worktrees()), ["a", "b"]);
        assert_eq!(names(v.disputed()), ["b"]);
        assert_eq!(v.unreadable().len(), 1);
        assert_eq!(v.archived()[0].rel_path(), old.rel_path());
        assert!(v.has_unreadable() && v.has_copy());
        assert_eq!(v.states().first(), Some(State::Done));
    }
}
