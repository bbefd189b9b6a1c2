//! The ready queue: pending WOs whose every dependency is done, in the order work
//! should be picked (priority, P0 first; then how many WOs each unblocks; then id),
//! and the pending WOs that wait, with what they wait for. A pure function of the
//! inventory (dependencies, priority and epic are among the cached fields).

use serde::Serialize;

use crate::inventory::{Inventory, WoMap, WoView};
use crate::model::order::OrderFile;
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::views::standing::Standing;

/// A WO that can be taken now. Its text is borrowed from the inventory (at 100,000
/// WOs, half of them ready, owned copies were 15 MB of the peak), its title, priority
/// and epic read from its file when shown (a row holding the four texts was 80 bytes,
/// this one is 40).
#[derive(Debug, Clone)]
pub struct ReadyWo<'a> {
    file: &'a OrderFile,
    pub id: &'a str,
    /// Pending WOs that list this one as a dependency.
    pub unblocks: usize,
    /// Its place by priority, read once ([`rank`]): the queue's first sort key, and
    /// whether the priority's text breaks ties (one that is not `P<n>`).
    rank: (u32, bool),
}

impl<'a> ReadyWo<'a> {
    pub fn title(&self) -> &'a str {
        self.file.fields.title().unwrap_or_default()
    }
    pub fn priority(&self) -> Option<&'a str> {
        self.file.fields.priority()
    }
    pub fn epic(&self) -> Option<&'a str> {
        self.file.fields.epic()
    }
}

/// As `git-wo.ready.v1` has it: id, title, priority, epic, unblocks.
impl Serialize for ReadyWo<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut row = s.serialize_struct("ReadyWo", 5)?;
        row.serialize_field("id", self.id)?;
        row.serialize_field("title", self.title())?;
        row.serialize_field("priority", &self.priority())?;
        row.serialize_field("epic", &self.epic())?;
        row.serialize_field("unblocks", &self.unblocks)?;
        row.end()
    }
}

// (One for every ready WO, 50,000 at a time at 100,000 WOs: checked.)
const _: () = assert!(std::mem::size_of::<ReadyWo<'static>>() <= 40);

impl ReadyWo<'_> {
    /// Where it goes in the queue against `other`: priority, then how many it unblocks
    /// (most first), then id. Compared field by field, the priority's text only where
    /// it breaks a tie (the queue's sort compares 50,000 rows at 100,000 WOs, and a
    /// key of four parts cost a text comparison and a call each time even when both
    /// texts were empty). (Sorting with a cached key copied every row's key aside:
    /// 2.8 MB with 50,000 ready WOs.)
    fn order(&self, other: &Self) -> std::cmp::Ordering {
        let text = |w: &Self| match w.rank {
            (_, true) => w.priority().unwrap_or_default(),
            (_, false) => "",
        };
        self.rank
            .0
            .cmp(&other.rank.0)
            .then_with(|| match (self.rank.1, other.rank.1) {
                (false, false) => std::cmp::Ordering::Equal,
                _ => text(self).cmp(text(other)),
            })
            .then_with(|| other.unblocks.cmp(&self.unblocks))
            .then_with(|| self.id.cmp(other.id))
    }
}

/// A pending WO that cannot be taken yet, and why.
#[derive(Debug, Clone, Serialize)]
pub struct BlockedWo<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub waits_for: Vec<Waiting>,
}

/// One dependency that is not done: its id and state, or `None` when it exists nowhere.
#[derive(Debug, Clone, Serialize)]
pub struct Waiting {
    pub id: String,
    pub state: Option<State>,
}

#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub priority: Option<String>,
    pub epic: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Queue<'a> {
    pub schema: &'static str,
    pub ready: Vec<ReadyWo<'a>>,
    pub blocked: Vec<BlockedWo<'a>>,
}

/// The state a dependency is in: its one folder, else (no YAML) its record's.
pub fn dependency_state(wos: &WoMap<'_>, dep: &str) -> Option<State> {
    let id = WoId::parse(dep).ok()?;
    let v = wos.get(&id)?;
    v.single_state()
        .or_else(|| v.record.filter(|_| !v.has_copy()).map(|s| s.record.state))
}

/// Whether a dependency is done: its one folder is `done/`, or it has no readable YAML
/// and its record says done. Take's check and the queue both read it.
pub fn dependency_done(wos: &WoMap<'_>, dep: &str) -> bool {
    WoId::parse(dep)
        .ok()
        .and_then(|d| wos.get(&d))
        .is_some_and(|v| {
            v.single_state() == Some(State::Done)
                || (v.files().is_empty() && v.record.is_some_and(|s| s.record.state == State::Done))
        })
}

/// Whether `v` is a pending WO that nothing holds and nothing blocks from being taken
/// (its dependencies aside): one readable copy in `pending/`, a record (if any) that
/// says pending too, and repairs' standing open.
fn takeable(inv: &Inventory, v: &WoView<'_>) -> bool {
    v.single_state() == Some(State::Pending)
        && v.files().len() == 1
        && v.record
            .is_none_or(|s| s.record.state == State::Pending && !s.record.phase.in_flight())
        && Standing::of(inv, v).is_open()
}

/// The queue, with `filters` applied to the ready list.
pub fn queue<'a>(inv: &'a Inventory, filters: &Filters) -> Queue<'a> {
    let wos = inv.wos();
    let mut ready = Vec::new();
    let mut blocked = Vec::new();
    // How many pending WOs name each id as a dependency.
    let mut unblocks: std::collections::HashMap<String, usize> = Default::default();
    for (_, v) in &wos {
        if v.single_state() == Some(State::Pending)
            && let Some(f) = v.files().first()
        {
            for d in f.dependencies() {
                *unblocks.entry(d).or_default() += 1;
            }
        }
    }
    for (_, v) in &wos {
        if !takeable(inv, v) {
            continue;
        }
        // (A live file always has its id: borrowed from the file, which outlives `wos`.)
        let Some((f, id)) = v.files().first().and_then(|f| Some((*f, f.id.as_ref()?))) else {
            continue;
        };
        let id = id.as_str();
        let title = f.fields.title().unwrap_or_default();
        let waits_for: Vec<Waiting> = f
            .dependencies()
            .into_iter()
            .filter(|d| !dependency_done(&wos, d))
            .map(|d| Waiting {
                state: dependency_state(&wos, &d),
                id: d,
            })
            .collect();
        if !waits_for.is_empty() {
            blocked.push(BlockedWo {
                id,
                title,
                waits_for,
            });
            continue;
        }
        let w = ReadyWo {
            file: f,
            id,
            unblocks: unblocks.get(id).copied().unwrap_or(0),
            rank: rank(f.fields.priority()),
        };
        let wanted = filters
            .priority
            .as_deref()
            .is_none_or(|p| w.priority().is_some_and(|x| x.eq_ignore_ascii_case(p)))
            && filters.epic.as_deref().is_none_or(|e| w.epic() == Some(e));
        if wanted {
            ready.push(w);
        }
    }
    // Each WO's rank read once (sorting compared them over and over); ids are unique.
    ready.sort_unstable_by(ReadyWo::order);
    Queue {
        schema: "git-wo.ready.v1",
        ready,
        blocked,
    }
}

/// P0 first, then P1, P2…; anything else after them, in text order (`true`: the text
/// breaks ties); none last.
fn rank(priority: Option<&str>) -> (u32, bool) {
    match priority {
        Some(p) => match p
            .strip_prefix(['P', 'p'])
            .and_then(|n| n.parse::<u32>().ok())
        {
            Some(n) => (n, false),
            None => (u32::MAX - 1, true),
        },
        None => (u32::MAX, false),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::order::OrderFile;

    fn wo(state: State, id: &str, extra: &str) -> OrderFile {
        OrderFile::in_folder(
            state,
            &format!("{id}.yaml"),
            &format!("id: {id}\nstatus: {state}\ntitle: t {id}\n{extra}"),
        )
    }

    #[test]
    fn priority_then_what_it_unblocks_then_id_and_the_blocked_say_why() {
        let files = vec![
            wo(State::Pending, "WO-0001", "priority: P2\n"),
            wo(State::Pending, "WO-0002", "priority: P0\n"),
            wo(State::Pending, "WO-0003", "priority: P2\n"),
            wo(
                State::Pending,
                "WO-0004",
                "priority: P1\ndependencies: [WO-0003, WO-0005, WO-0009]\n",
            ),
            wo(State::Done, "WO-0005", "priority: P1\n"),
            wo(State::Running, "WO-0006", "priority: P0\n"),
        ];
        let inv = Inventory::from_files(Path::new("/repo"), files, crate::clock::now());
        let q = queue(&inv, &Filters::default());
        let ids: Vec<&str> = q.ready.iter().map(|w| w.id).collect();
        // WO-0003 unblocks WO-0004: before WO-0001, same priority.
        assert_eq!(ids, vec!["WO-0002", "WO-0003", "WO-0001"]);
        assert_eq!(q.blocked.len(), 1);
        let waits: Vec<(&str, Option<State>)> = q.blocked[0]
            .waits_for
            .iter()
            .map(|w| (w.id.as_str(), w.state))
            .collect();
        assert_eq!(
            waits,
            vec![("WO-0003", Some(State::Pending)), ("WO-0009", None)]
        );
        let p2 = queue(
            &inv,
            &Filters {
                priority: Some("p2".into()),
                epic: None,
            },
        );
        assert_eq!(p2.ready.len(), 2);
    }

    #[test]
    fn priorities_that_are_not_p_n_come_after_them_in_text_order_and_none_last() {
        let files = vec![
            wo(State::Pending, "WO-0001", ""),
            wo(State::Pending, "WO-0002", "priority: urgent\n"),
            wo(State::Pending, "WO-0003", "priority: P10\n"),
            wo(State::Pending, "WO-0004", "priority: high\n"),
            wo(State::Pending, "WO-0005", "priority: p1\n"),
            wo(State::Pending, "WO-0006", "priority: high\n"),
            wo(State::Pending, "WO-0007", "priority: P4294967294\n"),
        ];
        let inv = Inventory::from_files(Path::new("/repo"), files, crate::clock::now());
        let ids: Vec<&str> = queue(&inv, &Filters::default())
            .ready
            .iter()
            .map(|w| w.id)
            .collect();
        assert_eq!(
            ids,
            vec![
                "WO-0005", "WO-0003", "WO-0007", "WO-0004", "WO-0006", "WO-0002", "WO-0001"
            ]
        );
    }
}
