//! A content-addressed cache of what git-wo reads from objects on every run: the
//! record of each record commit, and the intent ids of each note blob. Keys are object
//! ids, whose content never changes, so an entry is never stale; it only may be
//! missing. Kept in `<git-common-dir>/wo/object-cache`, one line per object:
//! `r <commit> <record json>` or `n <blob> <id> <id>…`. Losing or corrupting the file
//! costs time, never correctness: unreadable lines are ignored and re-read from git.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use gix::ObjectId;

use crate::model::record::Record;

pub const FILE: &str = "object-cache";

#[derive(Default)]
pub struct ObjectCache {
    path: PathBuf,
    records: HashMap<ObjectId, String>,
    notes: HashMap<ObjectId, Vec<String>>,
    /// Keys used in this run: what a rewrite keeps.
    used_records: Vec<ObjectId>,
    used_notes: Vec<ObjectId>,
    dirty: bool,
}

impl ObjectCache {
    pub fn load(wo_dir: &Path) -> ObjectCache {
        let path = wo_dir.join(FILE);
        let mut cache = ObjectCache {
            path,
            ..Default::default()
        };
        let Ok(text) = std::fs::read_to_string(&cache.path) else {
            return cache;
        };
        for line in text.lines() {
            let mut parts = line.splitn(3, ' ');
            let (Some(kind), Some(hex), rest) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            let Ok(oid) = ObjectId::from_hex(hex.as_bytes()) else {
                continue;
            };
            match kind {
                "r" => {
                    if let Some(json) = rest {
                        cache.records.insert(oid, json.to_owned());
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

    /// The record of `commit`, if cached and readable.
    pub fn record(&mut self, commit: ObjectId) -> Option<Record> {
        let record = serde_json::from_str(self.records.get(&commit)?).ok()?;
        self.used_records.push(commit);
        Some(record)
    }

    pub fn put_record(&mut self, commit: ObjectId, record: &Record) {
        if let Ok(json) = serde_json::to_string(record) {
            self.records.insert(commit, json);
            self.used_records.push(commit);
            self.dirty = true;
        }
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

    /// Rewrite the file with the entries used in this run, if anything new was read.
    /// Best effort: a failure to write only costs the next run some time.
    pub fn save(&self) {
        if !self.dirty {
            return;
        }
        let mut text = String::new();
        for oid in &self.used_records {
            if let Some(json) = self.records.get(oid) {
                text.push_str(&format!("r {oid} {json}\n"));
            }
        }
        for oid in &self.used_notes {
            if let Some(ids) = self.notes.get(oid) {
                text.push_str(&format!("n {oid} {}\n", ids.join(" ")));
            }
        }
        let Some(dir) = self.path.parent() else {
            return;
        };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        if let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir)
            && tmp.write_all(text.as_bytes()).is_ok()
        {
            let _ = tmp.persist(&self.path);
        }
    }
}
