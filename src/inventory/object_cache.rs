//! A content-addressed cache of what git-wo reads from objects on every run: the
//! record of each record commit, and the intent ids of each note blob. Keys are object
//! ids, whose content never changes, so an entry is never stale; it only may be
//! missing. Kept in `<git-common-dir>/wo/object-cache` after a header line, one line
//! per object: `r <commit>` and the record's fields (see [`line_format`]; times as
//! nanoseconds), or `n <blob> <id> <id>…`. Records are decoded as the file loads, so a
//! run takes them without parsing JSON. Losing or corrupting the file costs time, never
//! correctness: a foreign header or an unreadable line is ignored and re-read from git.
//! `GIT_WO_NO_CACHE=1` turns it off.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use gix::ObjectId;

use chrono::{DateTime, Utc};

use crate::inventory::line_format::{self, Fields};
use crate::inventory::records::Stored;
use crate::model::record::{Lease, Outcome, Phase, Record};
use crate::model::state::State;

pub const FILE: &str = "object-cache";

/// The first line: a file of another format or version is foreign and ignored.
const HEADER: &str = concat!("git-wo object-cache 2 ", env!("CARGO_PKG_VERSION"));

#[derive(Default)]
pub struct ObjectCache {
    /// `None`: caching is off.
    path: Option<PathBuf>,
    records: HashMap<ObjectId, Record>,
    notes: HashMap<ObjectId, Vec<String>>,
    /// Keys used in this run: what a rewrite keeps.
    used_records: Vec<ObjectId>,
    used_notes: Vec<ObjectId>,
    dirty: bool,
}

impl ObjectCache {
    pub fn load(wo_dir: &Path) -> ObjectCache {
        if !crate::inventory::parse_cache::enabled() {
            return ObjectCache::default();
        }
        let path = wo_dir.join(FILE);
        let mut cache = ObjectCache {
            path: Some(path.clone()),
            ..Default::default()
        };
        let Ok(text) = std::fs::read_to_string(&path) else {
            return cache;
        };
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return cache;
        }
        cache.records.reserve(text.len() / 200);
        for line in lines {
            let mut parts = line.splitn(3, ' ');
            let (Some(kind), Some(hex), rest) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            let Ok(oid) = ObjectId::from_hex(hex.as_bytes()) else {
                continue;
            };
            match kind {
                "r" => {
                    if let Some(record) = rest.and_then(decode_record) {
                        cache.records.insert(oid, record);
                    }
                }
                "n" => {
                    let ids = rest
                        .unwrap_or("")
                        .split_whitespace()
                        .map(str::to_owned)
                        .collect();
                    cache.notes.insert(oid, ids);
                }
                _ => {}
            }
        }
        cache
    }

    /// The record of `commit`, if cached, taken out of the cache (a run reads each
    /// commit once); [`ObjectCache::save`] gets it back from the inventory.
    pub fn take_record(&mut self, commit: ObjectId) -> Option<Record> {
        let record = self.records.remove(&commit)?;
        self.used_records.push(commit);
        Some(record)
    }

    /// A record read from git: the next save writes it.
    pub fn put_record(&mut self, commit: ObjectId) {
        self.used_records.push(commit);
        self.dirty = true;
    }

    /// The ids with an intent marker in note blob `blob`, if cached.
    pub fn note(&mut self, blob: ObjectId) -> Option<Vec<String>> {
        let ids = self.notes.get(&blob)?.clone();
        self.used_notes.push(blob);
        Some(ids)
    }

    pub fn put_note(&mut self, blob: ObjectId, ids: Vec<String>) {
        self.notes.insert(blob, ids);
        self.used_notes.push(blob);
        self.dirty = true;
    }

    /// Rewrite the file with the entries used in this run (`records` are the records
    /// as the run read them), if anything new was read or something cached went unused.
    /// Best effort: a failure to write only costs the next run some time.
    pub fn save(&self, records: &std::collections::BTreeMap<String, Stored>) {
        let Some(path) = &self.path else { return };
        if !self.dirty && self.records.is_empty() && self.notes.len() == self.used_notes.len() {
            return;
        }
        let by_commit: HashMap<ObjectId, &Record> =
            records.values().map(|s| (s.commit, &s.record)).collect();
        let mut text = String::with_capacity(64 + self.used_records.len() * 256);
        text.push_str(HEADER);
        text.push('\n');
        for oid in &self.used_records {
            if let Some(r) = by_commit.get(oid) {
                text.push_str(&format!("r {oid} "));
                encode_record(&mut text, r);
                text.push('\n');
            }
        }
        for oid in &self.used_notes {
            if let Some(ids) = self.notes.get(oid) {
                text.push_str(&format!("n {oid} {}\n", ids.join(" ")));
            }
        }
        let Some(dir) = path.parent() else {
            return;
        };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        if let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir)
            && tmp.write_all(text.as_bytes()).is_ok()
        {
            let _ = tmp.persist(path);
        }
    }
}

fn push_time(text: &mut String, t: DateTime<Utc>) {
    text.push('\t');
    match t.timestamp_nanos_opt() {
        Some(n) => text.push_str(&n.to_string()),
        None => text.push('?'),
    }
}

fn time(f: &mut Fields<'_>) -> Option<DateTime<Utc>> {
    Some(DateTime::from_timestamp_nanos(f.raw()?.parse().ok()?))
}

fn phase(s: &str) -> Option<Phase> {
    Some(match s {
        "idle" => Phase::Idle,
        "taking" => Phase::Taking,
        "active" => Phase::Active,
        "finishing" => Phase::Finishing,
        _ => return None,
    })
}

/// A record as one line of fields (after the `r <commit> ` prefix).
pub fn encode_record(text: &mut String, r: &Record) {
    text.push_str(&line_format::escape(&r.schema));
    line_format::push(text, &r.id);
    line_format::push(text, r.state.as_str());
    line_format::push(text, r.phase.as_str());
    line_format::push(text, &r.token.to_string());
    line_format::push(text, &r.title);
    line_format::push_opt(text, r.branch.as_deref());
    line_format::push_opt(text, r.worktree.as_deref());
    line_format::push_opt(text, r.base.as_deref());
    match &r.lock {
        None => text.push_str("\t-"),
        Some(l) => {
            text.push_str("\tL");
            line_format::push(text, &l.owner);
            line_format::push(text, &l.session);
            line_format::push(text, &l.host);
            line_format::push(text, &l.pid.to_string());
            push_time(text, l.acquired_at);
            push_time(text, l.renewed_at);
            push_time(text, l.expires_at);
        }
    }
    match &r.result {
        None => text.push_str("\t-"),
        Some(o) => {
            text.push_str("\tR");
            line_format::push(text, o.verdict.as_str());
            line_format::push(text, if o.verified { "1" } else { "0" });
            line_format::push_opt(text, o.skip_verification_reason.as_deref());
            line_format::push_opt(text, o.tip.as_deref());
            push_time(text, o.finished_at);
        }
    }
    push_time(text, r.updated_at);
    line_format::push_opt(text, r.note.as_deref());
}

/// The record of a line written by [`encode_record`]; `None` if anything is off.
pub fn decode_record(line: &str) -> Option<Record> {
    let mut f = Fields::new(line);
    let schema = f.text()?;
    let id = f.text()?;
    let state = State::parse(f.raw()?)?;
    let phase = phase(f.raw()?)?;
    let token = f.raw()?.parse().ok()?;
    let title = f.text()?;
    let branch = f.opt()?;
    let worktree = f.opt()?;
    let base = f.opt()?;
    let lock = match f.raw()? {
        "-" => None,
        "L" => Some(Lease {
            owner: f.text()?,
            session: f.text()?,
            host: f.text()?,
            pid: f.raw()?.parse().ok()?,
            acquired_at: time(&mut f)?,
            renewed_at: time(&mut f)?,
            expires_at: time(&mut f)?,
        }),
        _ => return None,
    };
    let result = match f.raw()? {
        "-" => None,
        "R" => Some(Outcome {
            verdict: State::parse(f.raw()?)?,
            verified: match f.raw()? {
                "1" => true,
                "0" => false,
                _ => return None,
            },
            skip_verification_reason: f.opt()?,
            tip: f.opt()?,
            finished_at: time(&mut f)?,
        }),
        _ => return None,
    };
    let updated_at = time(&mut f)?;
    let note = f.opt()?;
    let record = Record {
        schema,
        id,
        state,
        phase,
        token,
        title,
        branch,
        worktree,
        base,
        lock,
        result,
        updated_at,
        note,
    };
    f.done().then_some(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 123_456_789).unwrap_or_default()
    }

    #[test]
    fn records_round_trip() {
        let mut full = Record::new("WO-0042", State::Done, "tab\there, new\nline", t(10));
        full.phase = Phase::Finishing;
        full.token = 7;
        full.branch = Some("feat/wo-WO-0042".into());
        full.worktree = Some(String::new());
        full.base = Some("abc".into());
        full.lock = Some(Lease {
            owner: "ana\\".into(),
            session: "s".into(),
            host: "h".into(),
            pid: 42,
            acquired_at: t(1),
            renewed_at: t(2),
            expires_at: t(3),
        });
        full.result = Some(Outcome {
            verdict: State::Failed,
            verified: true,
            skip_verification_reason: Some("-".into()),
            tip: None,
            finished_at: t(4),
        });
        full.note = Some("=note".into());
        let bare = Record::new("WO-1", State::Pending, "", t(0));
        for r in [full, bare] {
            let mut line = String::new();
            encode_record(&mut line, &r);
            assert!(!line.contains('\n'));
            assert_eq!(decode_record(&line), Some(r.clone()));
            // Damage is never trusted.
            assert_eq!(decode_record(&format!("{line}\textra")), None);
            let bad_state = line.replacen(&format!("\t{}\t", r.state.as_str()), "\tnostate\t", 1);
            assert_ne!(bad_state, line);
            assert_eq!(decode_record(&bad_state), None);
            let short = line.rsplit_once('\t').map_or("", |(head, _)| head);
            assert_eq!(decode_record(short), None, "a missing field");
        }
    }
}
