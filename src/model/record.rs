//! The record of a WO: `record.json` in the tree of `refs/wo/orders/<ID>` (SPEC §2).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
pub struct Record {
    /// Always [`RECORD_SCHEMA`] as written by git-wo (held as nothing then).
    pub schema: Schema,
    /// Ids, branch names and worktree paths are [`ShortText`] (held in place when
    /// short), the title, base and note boxed: at 100,000 records the `String`s were
    /// 7 MB of the peak.
    pub id: ShortText,
    pub state: State,
    pub phase: Phase,
    /// Fencing token: increases at every take.
    pub token: u64,
    #[serde(default)]
    pub title: Box<str>,
    pub branch: Option<ShortText>,
    pub worktree: Option<ShortText>,
    pub base: Option<Box<str>>,
    /// Boxed, as is `result`: most records have neither, and inline the two were half
    /// of every record's size (at 100,000 records, 21 MB).
    pub lock: Option<Box<Lease>>,
    pub result: Option<Box<Outcome>>,
    pub updated_at: DateTime<Utc>,
    /// Free-form notes of the last transition (requeue reason, steal, override…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Box<str>>,
}

impl Record {
    /// The record of a WO nobody has taken yet.
    pub fn new(id: &str, state: State, title: &str, now: DateTime<Utc>) -> Record {
        Record {
            schema: Schema::default(),
            id: id.into(),
            state,
            phase: Phase::Idle,
            token: 0,
            title: title.into(),
            branch: None,
            worktree: None,
            base: None,
            lock: None,
            result: None,
            updated_at: now,
            note: None,
        }
    }

    /// A lock whose lease has not expired.
    pub fn live_lock(&self, now: DateTime<Utc>) -> Option<&Lease> {
        self.lock.as_deref().filter(|l| !l.expired(now))
    }
}
