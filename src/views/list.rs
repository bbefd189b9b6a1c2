//! `list`: one row per WO (files, record, holder, lease, worktree), a pure function of
//! the inventory.

use std::borrow::Cow;

use serde::Serialize;

use crate::inventory::{Inventory, WoView};
use crate::model::order::OrderFile;
use crate::model::state::{State, StateSet};
use crate::model::wo_id::WoId;

/// One WO in a listing. Its texts are borrowed from the inventory, its id and states
/// held in place, and its files' paths made only when written (`list` prints none):
/// at 100,000 WOs the copies (title, holder, paths, priority) were most of `list`'s
/// own time, and then the three allocations a row left (id, states, paths).
#[derive(Debug, Serialize)]
pub struct Row<'a> {
    pub id: WoId,
    #[serde(serialize_with = "states_as_list")]
    pub states: StateSet,
    pub title: &'a str,
    pub phase: Option<&'static str>,
    pub token: Option<u64>,
    pub holder: Option<&'a str>,
    pub lease_expires_at: Option<String>,
    /// Whether that lease has ended (`expires_at <= now`): a stale lock. `None` when
    /// there is no lease.
    pub lease_expired: Option<bool>,
    /// The lease for people: `lease until …` or `lease expired at … (… ago)`.
    #[serde(skip)]
    pub lease_shown: Option<String>,
    pub worktree: Option<Cow<'a, str>>,
    #[serde(serialize_with = "paths_of")]
    pub files: RowFiles<'a>,
    /// `priority:` of its YAML (for colour; not in the JSON, whose shape is kept).
    #[serde(skip)]
    pub priority: Option<&'a str>,
}

/// A row's files: the one file nearly every WO has held in place, more in a list (a
/// list for every row was 100,000 allocations of `list` at 100,000 WOs, and it prints
/// no file).
#[derive(Debug)]
pub enum RowFiles<'a> {
    One(&'a OrderFile),
    Many(Vec<&'a OrderFile>),
}

impl<'a> RowFiles<'a> {
    fn of(files: &[&'a OrderFile]) -> RowFiles<'a> {
        match files {
            [one] => RowFiles::One(one),
            more => RowFiles::Many(more.to_vec()),
        }
    }

    pub fn as_slice(&self) -> &[&'a OrderFile] {
        match self {
            RowFiles::One(one) => std::slice::from_ref(one),
            RowFiles::Many(more) => more,
        }
    }
}

pub fn row<'a>(inv: &Inventory, id: &WoId, v: &WoView<'a>) -> Row<'a> {
    let record = v.record.map(|s| &s.record);
    let first = v.files().first().copied();
    let title = first
        .and_then(|f| f.fields.title())
        .filter(|t| !t.is_empty())
        .or_else(|| record.map(|r| r.title()))
        .unwrap_or_default();
    let holder = record
        .and_then(|r| r.lock.as_ref().map(|l| l.owner.as_str()))
        .or_else(|| v.lock().and_then(|l| l.user.as_deref()));
    let states = if v.states().is_empty() {
        let mut one = StateSet::default();
        if let Some(r) = record {
            one.insert(r.state);
        }
        one
    } else {
        v.states()
    };
    let lease = if states.contains(&State::Running) {
        inv.lease_end(v)
    } else {
        None
    };
    Row {
        id: id.clone(),
        states,
        title,
        phase: record.map(|r| r.phase.as_str()),
        token: record.map(|r| r.token),
        holder,
        lease_expires_at: lease.map(crate::model::when::shown),
        lease_expired: lease.map(|end| end <= inv.now),
        lease_shown: lease.map(|end| crate::model::when::lease(end, inv.now)),
        worktree: v
            .worktrees()
            .iter()
            .find(|w| w.exists)
            .map(|w| w.path.to_string_lossy()),
        files: RowFiles::of(v.files()),
        priority: first.and_then(|f| {
            f.fields
                .get(crate::model::order::Field::Priority)
                .filter(|s| !s.trim().is_empty())
        }),
    }
}

/// Every WO with a file or a record, optionally only those with a copy in `state`.
pub fn rows(inv: &Inventory, state: Option<State>) -> Vec<Row<'_>> {
    let mut out = Vec::new();
    each_row(inv, state, |r| out.push(r));
    out
}

/// [`rows`] one at a time, in id order, none kept: what `list` prints as it goes (at
/// 100,000 WOs the rows built first were most of its memory).
pub fn each_row<'a>(inv: &'a Inventory, state: Option<State>, mut each: impl FnMut(Row<'a>)) {
    for (id, v) in &inv.wos() {
        if v.files().is_empty() && v.record.is_none() {
            continue;
        }
        let r = row(inv, id, v);
        if state.is_none_or(|s| r.states.contains(&s)) {
            each(r);
        }
    }
}

/// A row as `list --json` writes it: its keys in sorted order, as the JSON object made
/// from it sorts them (what `list --json` always printed), but written straight from the
/// row. Made into a `serde_json::Value` first, each row cost a map and about twenty
/// texts and lists, at 100,000 WOs half of `list --json`'s own time. (`show --json`
/// writes a row's keys in the order of its fields.)
pub struct SortedRow<'r, 'a>(pub &'r Row<'a>);

impl Serialize for SortedRow<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let r = self.0;
        let mut m = s.serialize_struct("Row", 10)?;
        m.serialize_field("files", &Files(&r.files))?;
        m.serialize_field("holder", &r.holder)?;
        m.serialize_field("id", &r.id)?;
        m.serialize_field("lease_expired", &r.lease_expired)?;
        m.serialize_field("lease_expires_at", &r.lease_expires_at)?;
        m.serialize_field("phase", &r.phase)?;
        m.serialize_field("states", &States(&r.states))?;
        m.serialize_field("title", &r.title)?;
        m.serialize_field("token", &r.token)?;
        m.serialize_field("worktree", &r.worktree)?;
        m.end()
    }
}

/// [`states_as_list`] as a value of its own.
struct States<'s>(&'s StateSet);

impl Serialize for States<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        states_as_list(self.0, s)
    }
}

/// [`paths_of`] as a value of its own.
struct Files<'f, 'a>(&'f RowFiles<'a>);

impl Serialize for Files<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        paths_of(self.0, s)
    }
}

/// A row's states as the list of their names, in state order.
fn states_as_list<S: serde::Serializer>(states: &StateSet, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(states.iter())
}

/// A row's files as the list of their paths.
fn paths_of<S: serde::Serializer>(files: &RowFiles<'_>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(files.as_slice().iter().map(|f| f.rel_text()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::folder_no::FolderNo;
    use crate::model::order::Fields;

    fn file(rel: &str) -> OrderFile {
        let (dir, name) = FolderNo::split(rel);
        OrderFile::of_fields(
            dir,
            State::Running,
            false,
            WoId::parse("WO-7").ok(),
            None,
            Fields::default().copied_with_tail(name),
        )
    }

    /// A row written straight prints what the JSON object made from it prints (keys
    /// sorted): with every field set, with none, and with several files. A field added
    /// to `Row` but not to `SortedRow` fails here.
    #[test]
    fn a_sorted_row_prints_as_its_json_object() {
        let (a, b) = (
            file("_ctx/jobs/running/WO-7.yaml"),
            file("_ctx/jobs/done/WO-7.yaml"),
        );
        let mut states = StateSet::default();
        states.insert(State::Running);
        states.insert(State::Done);
        let full = Row {
            id: WoId::parse("WO-7").expect("an id"),
            states,
            title: "a \"title\"\twith\nodd text",
            phase: Some("active"),
            token: Some(3),
            holder: Some("alice"),
            lease_expires_at: Some("2026-12-04T18:30:03Z".into()),
            lease_expired: Some(true),
            lease_shown: Some("not in the JSON".into()),
            worktree: Some(Cow::Borrowed("/w/WO-7")),
            files: RowFiles::Many(vec![&a, &b]),
            priority: Some("P1"),
        };
        let bare = Row {
            id: WoId::parse("WO-8").expect("an id"),
            states: StateSet::default(),
            title: "",
            phase: None,
            token: None,
            holder: None,
            lease_expires_at: None,
            lease_expired: None,
            lease_shown: None,
            worktree: None,
            files: RowFiles::One(&a),
            priority: None,
        };
        for row in [&full, &bare] {
            let straight = serde_json::to_string_pretty(&SortedRow(row)).expect("written");
            let object = serde_json::to_value(row).expect("a value");
            assert_eq!(
                straight,
                serde_json::to_string_pretty(&object).expect("written")
            );
        }
    }
}
