//! The record of a WO: `record.json` in the tree of `refs/wo/orders/<ID>` (SPEC §2).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::record_texts::{RecordTexts, Text};
use crate::model::short_text::ShortText;
use crate::model::state::State;

pub const RECORD_SCHEMA: &str = "git-wo.record.v1";

/// The `schema` a record names: [`RECORD_SCHEMA`] held as nothing, any other text (a
/// record written by another version) behind one pointer. A `Cow<'static, str>` was 24
/// bytes in every record, 1.6 MB at 100,000 records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
// (A boxed `Box<str>` on purpose: one word, where a `Box<str>` is two.)
#[allow(clippy::redundant_allocation)]
pub struct Schema(Option<Box<Box<str>>>);

// (The saving is the point: checked.)
const _: () = assert!(std::mem::size_of::<Schema>() == 8);

impl Schema {
    pub fn as_str(&self) -> &str {
        self.0.as_deref().map_or(RECORD_SCHEMA, |s| s)
    }
}

impl From<&str> for Schema {
    fn from(s: &str) -> Schema {
        Schema((s != RECORD_SCHEMA).then(|| Box::new(Box::from(s))))
    }
}

impl std::ops::Deref for Schema {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Schema {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Schema {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Schema, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(Schema::from(s.as_ref()))
    }
}

/// A transition in flight, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Idle,
    Taking,
    Active,
    Finishing,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Taking => "taking",
            Phase::Active => "active",
            Phase::Finishing => "finishing",
        }
    }
    /// Taking or finishing: a transition that has not completed.
    pub fn in_flight(self) -> bool {
        matches!(self, Phase::Taking | Phase::Finishing)
    }
}

/// Who holds a WO, and until when (the lease).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub owner: String,
    /// Random 128-bit hex: identifies the holding session (kept in the worktree's git dir).
    pub session: String,
    pub host: String,
    pub pid: u32,
    pub acquired_at: DateTime<Utc>,
    pub renewed_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The clone the holder works in (`<git-common-dir>/wo/clone-id`), so that other
    /// clones of a shared remote know its worktree is not theirs to miss.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clone: Option<String>,
}

impl Lease {
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }

    /// `alice, lease until …` (or `lease expired at … (… ago)`), as messages name a
    /// holder.
    pub fn shown(&self, now: DateTime<Utc>) -> String {
        format!(
            "{}, {}",
            self.owner,
            crate::model::when::lease(self.expires_at, now)
        )
    }

    /// Whether the holder's process ran on this host and is dead.
    pub fn process_dead_here(&self) -> bool {
        self.host == crate::host::hostname() && !crate::host::pid_alive(self.pid)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub verdict: State,
    pub verified: bool,
    pub skip_verification_reason: Option<String>,
    /// `--allow-out-of-scope --reason`: the branch left the WO's scope, and why that
    /// was accepted (absent from records written before scopes were checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_exception: Option<String>,
    pub tip: Option<String>,
    pub finished_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RecordWire", into = "RecordWire")]
pub struct Record {
    /// Always [`RECORD_SCHEMA`] as written by git-wo (held as nothing then).
    pub schema: Schema,
    pub state: State,
    pub phase: Phase,
    /// Fencing token: increases at every take.
    pub token: u64,
    /// The id, title, branch, worktree, base and note, in one buffer (see the
    /// accessors: [`Record::id`], [`Record::title`]…).
    pub texts: RecordTexts,
    /// Boxed, as is `result`: most records have neither, and inline the two were half
    /// of every record's size (at 100,000 records, 21 MB).
    pub lock: Option<Box<Lease>>,
    pub result: Option<Box<Outcome>>,
    pub updated_at: DateTime<Utc>,
}

/// A [`Record`] as `record.json` holds it (the same keys, in the same order).
#[derive(Serialize, Deserialize)]
struct RecordWire {
    schema: Schema,
    id: ShortText,
    state: State,
    phase: Phase,
    token: u64,
    #[serde(default)]
    title: String,
    branch: Option<String>,
    worktree: Option<String>,
    base: Option<String>,
    lock: Option<Box<Lease>>,
    result: Option<Box<Outcome>>,
    updated_at: DateTime<Utc>,
    /// Free-form notes of the last transition (requeue reason, steal, override…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

impl From<RecordWire> for Record {
    fn from(w: RecordWire) -> Record {
        Record {
            schema: w.schema,
            state: w.state,
            phase: w.phase,
            token: w.token,
            texts: RecordTexts::new([
                Some(&w.id),
                Some(&w.title),
                w.branch.as_deref(),
                w.worktree.as_deref(),
                w.base.as_deref(),
                w.note.as_deref(),
            ]),
            lock: w.lock,
            result: w.result,
            updated_at: w.updated_at,
        }
    }
}

impl From<Record> for RecordWire {
    fn from(r: Record) -> RecordWire {
        let owned = |t: Text| r.texts.get(t).map(str::to_owned);
        let id = r.id().into();
        RecordWire {
            title: owned(Text::Title).unwrap_or_default(),
            branch: owned(Text::Branch),
            worktree: owned(Text::Worktree),
            base: owned(Text::Base),
            note: owned(Text::Note),
            schema: r.schema,
            id,
            state: r.state,
            phase: r.phase,
            token: r.token,
            lock: r.lock,
            result: r.result,
            updated_at: r.updated_at,
        }
    }
}

impl Record {
    /// The record of a WO nobody has taken yet.
    pub fn new(id: &str, state: State, title: &str, now: DateTime<Utc>) -> Record {
        let texts = RecordTexts::new([Some(id), Some(title), None, None, None, None]);
        Record::of_texts(texts, state, now)
    }

    /// [`Record::new`] with all its texts given at once (the id among them).
    pub fn of_texts(texts: RecordTexts, state: State, now: DateTime<Utc>) -> Record {
        Record {
            schema: Schema::default(),
            state,
            phase: Phase::Idle,
            token: 0,
            texts,
            lock: None,
            result: None,
            updated_at: now,
        }
    }

    pub fn id(&self) -> &str {
        self.texts.get(Text::Id).unwrap_or_default()
    }
    pub fn title(&self) -> &str {
        self.texts.get(Text::Title).unwrap_or_default()
    }
    pub fn branch(&self) -> Option<&str> {
        self.texts.get(Text::Branch)
    }
    pub fn worktree(&self) -> Option<&str> {
        self.texts.get(Text::Worktree)
    }
    pub fn base(&self) -> Option<&str> {
        self.texts.get(Text::Base)
    }
    /// Free-form notes of the last transition (requeue reason, steal, override…).
    pub fn note(&self) -> Option<&str> {
        self.texts.get(Text::Note)
    }

    /// This record with `t` set to `value`.
    pub fn with(mut self, t: Text, value: Option<&str>) -> Record {
        self.texts = self.texts.with(t, value);
        self
    }

    /// A lock whose lease has not expired.
    pub fn live_lock(&self, now: DateTime<Utc>) -> Option<&Lease> {
        self.lock.as_deref().filter(|l| !l.expired(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_json_keeps_its_keys_and_their_order() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let bare = Record::new("WO-0001", State::Pending, "Fix \"it\"", at);
        let json = serde_json::to_string(&bare).unwrap_or_default();
        assert_eq!(
            json,
            "{\"schema\":\"git-wo.record.v1\",\"id\":\"WO-0001\",\"state\":\"pending\",\
             \"phase\":\"idle\",\"token\":0,\"title\":\"Fix \\\"it\\\"\",\"branch\":null,\
             \"worktree\":null,\"base\":null,\"lock\":null,\"result\":null,\
             \"updated_at\":\"2023-11-14T22:13:20Z\"}"
        );
        let full = Record {
            schema: Schema::from("git-wo.record.v0"),
            ..bare
                .with(Text::Branch, Some("feat/wo-WO-0001"))
                .with(Text::Worktree, Some(""))
                .with(Text::Base, Some("abc"))
                .with(Text::Note, Some("requeued"))
        };
        let json = serde_json::to_string(&full).unwrap_or_default();
        assert!(
            json.starts_with("{\"schema\":\"git-wo.record.v0\",\"id\""),
            "{json}"
        );
        assert!(
            json.contains(
                "\"branch\":\"feat/wo-WO-0001\",\"worktree\":\"\",\"base\":\"abc\",\"lock\""
            ),
            "{json}"
        );
        assert!(json.ends_with(",\"note\":\"requeued\"}"), "{json}");
        let back: Record = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, full);
        // A record without a title or a note reads as one with an empty title.
        let old = json.replace(",\"title\":\"Fix \\\"it\\\"\"", "");
        let back: Record = serde_json::from_str(&old).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((back.title(), back.note()), ("", Some("requeued")));
    }
}
