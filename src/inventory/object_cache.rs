//! A content-addressed cache of the intent ids in `refs/notes/wo`: of each note blob,
//! and of the whole notes commit last seen. Keys are object ids, whose content never
//! changes, so an entry is never stale; it only may be missing. Kept in
//! `<git-common-dir>/wo/object-cache` after a header line, one line per object:
//! `n <blob> <count> <id> <id>…` or `t <notes commit> <count> <id> <id>…`; a line whose
//! count is not its number of ids (cut short, edited) is not trusted. Losing or corrupting the file costs time,
//! never correctness: a foreign header or an unreadable line is ignored and re-read
//! from git. `GIT_WO_NO_CACHE=1` turns it off. (Records have their own cache,
//! [`record_cache`](crate::inventory::record_cache).)

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use gix::ObjectId;

pub const FILE: &str = "object-cache";

/// The first line: a file of another format or version is foreign and ignored.
const HEADER: &str = concat!("git-wo object-cache 4 ", env!("CARGO_PKG_VERSION"));

#[derive(Default)]
pub struct ObjectCache {
    /// `None`: caching is off.
    path: Option<PathBuf>,
    notes: HashMap<ObjectId, Vec<String>>,
    /// Intent ids of whole notes commits (the last one written is kept).
    tips: HashMap<ObjectId, Vec<String>>,
    /// The notes commit answered from `tips`: nothing else was read.
    tip_hit: bool,
    new_tip: Option<(ObjectId, Vec<String>)>,
    /// Keys used in this run: what a rewrite keeps.
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
            // Foreign or old: rewrite it, so that it is not read again for nothing.
            cache.dirty = true;
            return cache;
        }
        for line in lines {
            let mut parts = line.splitn(3, ' ');
            let (Some(kind @ ("n" | "t")), Some(hex), rest) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let Ok(oid) = ObjectId::from_hex(hex.as_bytes()) else {
                continue;
            };
            let mut words = rest.unwrap_or("").split_whitespace();
            let Some(count) = words.next().and_then(|c| c.parse::<usize>().ok()) else {
                continue;
            };
            let ids: Vec<String> = words.map(str::to_owned).collect();
            if ids.len() != count
                || ids
                    .iter()
                    .any(|i| crate::model::wo_id::WoId::parse(i).is_err())
            {
                continue;
            }
            if kind == "t" {
                cache.tips.insert(oid, ids);
            } else {
                cache.notes.insert(oid, ids);
            }
        }
        cache
    }

    /// The intent ids of the notes commit `tip`, if it is the one cached.
    pub fn tip(&mut self, tip: ObjectId) -> Option<Vec<String>> {
        let ids = self.tips.get(&tip)?.clone();
        self.tip_hit = true;
        Some(ids)
    }

    /// The intent ids of the notes commit `tip`, read from its blobs.
    pub fn put_tip(&mut self, tip: ObjectId, ids: Vec<String>) {
        self.new_tip = Some((tip, ids));
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

    /// Rewrite the file with the entries used in this run, if anything new was read
    /// or something cached went unused. Best effort: a failure to write only costs the
    /// next run some time.
    pub fn save(&self) {
        let Some(path) = &self.path else { return };
        if self.tip_hit || !self.dirty && self.notes.len() == self.used_notes.len() {
            return;
        }
        let mut text = String::with_capacity(64 + self.used_notes.len() * 64);
        text.push_str(HEADER);
        text.push('\n');
        for oid in &self.used_notes {
            if let Some(ids) = self.notes.get(oid) {
                text.push_str(&format!("n {oid} {} {}\n", ids.len(), ids.join(" ")));
            }
        }
        if let Some((tip, ids)) = &self.new_tip {
            text.push_str(&format!("t {tip} {} {}\n", ids.len(), ids.join(" ")));
        }
        crate::inventory::line_format::write_file(path, &text);
    }
}
