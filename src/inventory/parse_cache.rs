//! What each WO YAML said when it was last parsed, so that a run reads and parses only
//! the files that changed. Two caches, both under `<git-common-dir>/wo/`:
//!
//! - `parse-cache`, for the working tree, keyed like git's index: the path and the
//!   file's size, mtime, ctime and inode. A file whose mtime is within [`RACY`] of the
//!   moment it is looked up or stored is always re-read (git's "racy" rule), so an edit
//!   that keeps the size and lands in the same timestamp tick is never missed.
//! - `blob-cache`, for `--staged` and `--tree`: keyed by blob id, whose content never
//!   changes, so an entry can only be missing, never stale.
//!
//! Each holds only [`Fields`], the id and the problem: what the views read. A file with
//! the wrong header, a line that does not parse, or an unreadable file is ignored and
//! rebuilt, never trusted. Losing the caches costs time, never correctness.
//! `GIT_WO_NO_CACHE=1` turns both off (the tests compare output with and without).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::inventory::line_format;
use crate::model::order::{Field, Fields, FieldsBuilder, OrderFile};
use crate::model::wo_id::WoId;

pub const PARSE_FILE: &str = "parse-cache";
pub const BLOB_FILE: &str = "blob-cache";

/// The first line of a cache file: a file from another format or version is foreign.
const HEADER: &str = concat!("git-wo parse-cache 7 ", env!("CARGO_PKG_VERSION"));

/// How close to "now" an mtime makes a file racy (never trusted from, or put in, the cache).
pub const RACY: std::time::Duration = std::time::Duration::from_secs(2);

/// The racy window in force: [`RACY`], or `GIT_WO_RACY_MS` (test-only: lets the tests
/// of the caches wait a fraction of a second instead of two for files to settle).
pub fn racy_window() -> std::time::Duration {
    static WINDOW: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();
    *WINDOW.get_or_init(|| {
        std::env::var("GIT_WO_RACY_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(RACY, std::time::Duration::from_millis)
    })
}

/// The stat data a working-tree entry is keyed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub ino: u64,
}

impl Stamp {
    #[cfg(unix)]
    pub fn of(meta: &std::fs::Metadata) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        Some(Stamp {
            size: meta.len(),
            mtime_ns: meta
                .mtime()
                .saturating_mul(1_000_000_000)
                .saturating_add(meta.mtime_nsec()),
            ctime_ns: meta
                .ctime()
                .saturating_mul(1_000_000_000)
                .saturating_add(meta.ctime_nsec()),
            ino: meta.ino(),
        })
    }

    /// No stable inode and ctime here: no working-tree cache.
    #[cfg(not(unix))]
    pub fn of(_meta: &std::fs::Metadata) -> Option<Stamp> {
        None
    }

    /// Whether the file changed too recently, as seen at `now`, to be trusted.
    pub fn racy(&self, now: std::time::SystemTime) -> bool {
        let now_ns = now
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i64);
        let newest = self.mtime_ns.max(self.ctime_ns);
        now_ns.saturating_sub(newest) < racy_window().as_nanos() as i64
    }
}

/// What a file said: its id, why it is unusable (if it is), and its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub id: Option<WoId>,
    pub problem: Option<String>,
    pub fields: Fields,
}

/// Whether caches are in use at all (`GIT_WO_NO_CACHE` unset or empty or `0`).
pub fn enabled() -> bool {
    std::env::var_os("GIT_WO_NO_CACHE").is_none_or(|v| v.is_empty() || v == "0")
}

/// The working-tree cache. Entries are kept in file order, which is the order the jobs
/// dir is listed in, so an unchanged dir is matched by walking both lists together; a
/// path index is built only when they part.
///
/// While the walk and the file agree, the file is read a line at a time and nothing of
/// it is kept (at 100,000 WOs, 18 MB); where they part, the rest of the file is loaded
/// and an entry is only where its line is in it. A line is decoded when its file is
/// looked up (decoding every line up front held 320 bytes an entry). Each path is
/// looked up once, in listing order.
#[derive(Debug, Default)]
pub struct ParseCache {
    path: Option<PathBuf>,
    /// The file, read along the walk until it parts from the listing.
    stream: Option<Stream>,
    /// Lines the walk passed without taking them (changed, racy or damaged).
    passed: usize,
    /// The rest of the file once the walk parted: entries are ranges of it.
    text: String,
    entries: Vec<Entry>,
    cursor: usize,
    /// Entry numbers sorted by their (escaped) path, built on the first miss of the walk.
    index: Option<Vec<u32>>,
    /// Entries not taken yet.
    left: usize,
}

/// The cache file read a line at a time.
#[derive(Debug)]
struct Stream {
    reader: std::io::BufReader<std::fs::File>,
    /// The next entry's line (without its newline), when `has_line`.
    line: String,
    has_line: bool,
    /// A read failed (not UTF-8…): what was read stays valid, the file is rewritten.
    damaged: bool,
}

impl Stream {
    /// Move to the next line that can be an entry (one with a tab after its path).
    fn advance(&mut self) {
        use std::io::BufRead;
        loop {
            self.line.clear();
            match self.reader.read_line(&mut self.line) {
                Ok(0) => {
                    self.has_line = false;
                    return;
                }
                Ok(_) => {
                    if self.line.ends_with('\n') {
                        self.line.pop();
                    }
                    if self.line.contains('\t') {
                        self.has_line = true;
                        return;
                    }
                }
                Err(_) => {
                    self.damaged = true;
                    self.has_line = false;
                    return;
                }
            }
        }
    }

    /// The path of the current line, as written.
    fn key(&self) -> &str {
        self.line.split_once('\t').map_or("", |(k, _)| k)
    }
}

/// One line of the file: its path (as written, escaped) is `text[start..start + key_len]`,
/// the rest of the line runs to `end`.
#[derive(Debug, Clone, Copy)]
struct Entry {
    start: u32,
    key_len: u32,
    end: u32,
    taken: bool,
}

impl ParseCache {
    fn key(&self, e: &Entry) -> &str {
        let start = e.start as usize;
        self.text
            .get(start..start + e.key_len as usize)
            .unwrap_or("")
    }

    /// The line of `e` after its path (`\t<size>…`).
    fn rest(&self, e: &Entry) -> &str {
        let start = e.start as usize + e.key_len as usize;
        self.text.get(start..e.end as usize).unwrap_or("")
    }

    /// The entry whose path, as written, is `key`.
    fn find(&mut self, key: &str) -> Option<usize> {
        if let Some(e) = self.entries.get(self.cursor)
            && self.key(e) == key
        {
            return Some(self.cursor);
        }
        if self.index.is_none() {
            let mut index: Vec<u32> = (0..self.entries.len() as u32).collect();
            index.sort_by(|&a, &b| {
                self.key(&self.entries[a as usize])
                    .cmp(self.key(&self.entries[b as usize]))
            });
            self.index = Some(index);
        }
        let index = self.index.as_ref()?;
        // Of equal paths (a hand-edited file), the last line wins, as a map would have it.
        let after = index.partition_point(|&i| self.key(&self.entries[i as usize]) <= key);
        let i = *index.get(after.checked_sub(1)?)? as usize;
        (self.key(&self.entries[i]) == key).then_some(i)
    }
}

impl ParseCache {
    /// Load `<wo_dir>/parse-cache`; a missing or foreign file gives an empty cache.
    /// With caches off, the cache is empty and [`ParseCache::save`] writes nothing.
    pub fn load(wo_dir: &Path) -> ParseCache {
        if !enabled() {
            return ParseCache::default();
        }
        let path = wo_dir.join(PARSE_FILE);
        let mut cache = ParseCache {
            path: Some(path.clone()),
            ..ParseCache::default()
        };
        let Ok(file) = std::fs::File::open(&path) else {
            return cache;
        };
        let mut stream = Stream {
            reader: std::io::BufReader::with_capacity(1 << 16, file),
            line: String::new(),
            has_line: false,
            damaged: false,
        };
        use std::io::BufRead;
        match stream.reader.read_line(&mut stream.line) {
            Ok(_) if stream.line.strip_suffix('\n') == Some(HEADER) => {
                stream.advance();
                cache.stream = Some(stream);
            }
            // A foreign, empty or unreadable file: an empty cache.
            _ => {}
        }
        cache
    }

    /// The walk parted from the file: load the rest of it (the current line on).
    fn part(&mut self) {
        let Some(mut stream) = self.stream.take() else {
            return;
        };
        let mut text = format!("{HEADER}\n");
        if stream.has_line {
            text.push_str(&stream.line);
            text.push('\n');
        }
        use std::io::Read;
        if stream.reader.read_to_string(&mut text).is_err() {
            // (What was read of a bad file is dropped, and the file rewritten.)
            self.passed += 1;
            text.truncate(HEADER.len() + 1);
        }
        if stream.damaged {
            self.passed += 1;
        }
        let loaded = ParseCache::of_text(PathBuf::new(), text);
        self.text = loaded.text;
        self.entries = loaded.entries;
        self.left = loaded.left;
        self.cursor = 0;
        self.index = None;
    }

    /// The cache that the file `path` holding `text` gives.
    fn of_text(path: PathBuf, text: String) -> ParseCache {
        let mut entries = Vec::new();
        // Offsets are kept as u32: a bigger file (over 20 million WOs) is not used.
        let header = text.split_once('\n').map(|(h, _)| h);
        if header == Some(HEADER) && u32::try_from(text.len()).is_ok() {
            let body = HEADER.len() + 1;
            entries.reserve(text.len() / 100);
            let mut start = body;
            for line in text[body..].split_terminator('\n') {
                let end = start + line.len();
                // (`lines()` would take a `\r` off a line's end; a path never ends in one,
                // escaped, and a line that ends in one fails to decode.)
                if let Some(key_len) = line.bytes().position(|b| b == b'\t') {
                    entries.push(Entry {
                        start: start as u32,
                        key_len: key_len as u32,
                        end: end as u32,
                        taken: false,
                    });
                }
                start = end + 1;
            }
        }
        ParseCache {
            path: Some(path),
            left: entries.len(),
            text,
            entries,
            cursor: 0,
            index: None,
            ..ParseCache::default()
        }
    }

    /// An empty cache that [`ParseCache::save`] writes to `<wo_dir>/parse-cache`: for
    /// runs that read every file anyway.
    pub fn at(wo_dir: &Path) -> ParseCache {
        ParseCache {
            path: enabled().then(|| wo_dir.join(PARSE_FILE)),
            ..ParseCache::default()
        }
    }

    /// Take the entry for `rel` out of the cache if its stamp is `stamp` and the file
    /// is not racy.
    pub fn take(&mut self, rel: &str, stamp: Stamp, now: std::time::SystemTime) -> Option<Parsed> {
        let key = line_format::escape_cow(rel);
        if let Some(stream) = &mut self.stream {
            if stream.has_line && stream.key() == key {
                let rest = &stream.line[key.len()..];
                let taken = parse_stamped(rest)
                    .filter(|(cached, _)| *cached == stamp && !stamp.racy(now))
                    .map(|(_, parsed)| parsed);
                stream.advance();
                if taken.is_none() {
                    self.passed += 1;
                }
                return taken;
            }
            self.part();
        }
        let at = self.find(&key)?;
        self.cursor = at + 1;
        let entry = self.entries[at];
        if entry.taken {
            return None;
        }
        let (cached, parsed) = parse_stamped(self.rest(&entry))?;
        if cached != stamp || stamp.racy(now) {
            return None;
        }
        self.entries[at].taken = true;
        self.left -= 1;
        Some(parsed)
    }

    /// Whether every cached entry was taken (nothing in the cache went unused).
    pub fn is_empty(&self) -> bool {
        let walked = self
            .stream
            .as_ref()
            .is_none_or(|s| !s.has_line && !s.damaged);
        walked && self.passed == 0 && self.left == 0
    }

    /// Write the cache for exactly these files, each with the stamp it was read at,
    /// leaving out racy ones. Best effort: a failure costs the next run some time,
    /// never correctness.
    pub fn save<'f>(
        &self,
        now: std::time::SystemTime,
        files: impl Iterator<Item = (&'f OrderFile, Stamp)>,
    ) {
        let Some(path) = &self.path else { return };
        let mut text = String::with_capacity(1 << 16);
        text.push_str(HEADER);
        text.push('\n');
        for (file, stamp) in files {
            if stamp.racy(now) {
                continue;
            }
            let Some(rel) = file.rel_path.to_str() else {
                continue;
            };
            line_format::escape_into(&mut text, rel);
            let _ = write!(
                text,
                "\t{}\t{}\t{}\t{}",
                stamp.size, stamp.mtime_ns, stamp.ctime_ns, stamp.ino
            );
            push_parsed(
                &mut text,
                file.id.as_ref(),
                file.problem.as_ref(),
                &file.fields,
            );
            text.push('\n');
        }
        line_format::write_file(path, &text);
    }
}

/// The blob-id cache for files read from the index or a tree.
#[derive(Debug, Default)]
pub struct BlobCache {
    path: Option<PathBuf>,
    entries: HashMap<String, Parsed>,
}

impl BlobCache {
    pub fn load(wo_dir: &Path) -> BlobCache {
        if !enabled() {
            return BlobCache::default();
        }
        let path = wo_dir.join(BLOB_FILE);
        let mut entries = HashMap::new();
        if let Ok(text) = std::fs::read_to_string(&path) {
            let mut lines = text.lines();
            if lines.next() == Some(HEADER) {
                for line in lines {
                    let Some((oid, rest)) = line.split_once('\t') else {
                        continue;
                    };
                    let valid_oid = oid.len() >= 40 && oid.bytes().all(|b| b.is_ascii_hexdigit());
                    if let (true, Some(parsed)) = (valid_oid, parse_parsed(rest)) {
                        entries.insert(oid.to_owned(), parsed);
                    }
                }
            }
        }
        BlobCache {
            path: Some(path),
            entries,
        }
    }

    pub fn get(&self, oid: &str) -> Option<&Parsed> {
        self.entries.get(oid)
    }

    /// Write the entries of the blobs used in this run, unless nothing changed.
    pub fn save(&self, used: &[(String, Parsed)]) {
        let Some(path) = &self.path else { return };
        let same = used.len() == self.entries.len()
            && used
                .iter()
                .all(|(oid, p)| self.entries.get(oid).is_some_and(|q| q == p));
        if same {
            return;
        }
        let mut text = String::with_capacity(64 + used.len() * 160);
        text.push_str(HEADER);
        text.push('\n');
        for (oid, parsed) in used {
            text.push_str(oid);
            push_parsed(
                &mut text,
                parsed.id.as_ref(),
                parsed.problem.as_ref(),
                &parsed.fields,
            );
            text.push('\n');
        }
        line_format::write_file(path, &text);
    }
}

/// `\t<size>\t<mtime>\t<ctime>\t<ino>\t<parsed…>`: a line after its path.
fn parse_stamped(rest: &str) -> Option<(Stamp, Parsed)> {
    let mut parts = line_format::Fields::new(rest.strip_prefix('\t')?);
    let size = parts.raw()?.parse().ok()?;
    let mtime_ns = parts.raw()?.parse().ok()?;
    let ctime_ns = parts.raw()?.parse().ok()?;
    let ino = parts.raw()?.parse().ok()?;
    let parsed = parse_parsed(parts.rest()?)?;
    Some((
        Stamp {
            size,
            mtime_ns,
            ctime_ns,
            ino,
        },
        parsed,
    ))
}

/// The nine fields of a [`Parsed`], tab-separated: id, problem, status, title, branch,
/// worktree, started_at, finished_at, dod_id, scope, priority, epic_id, dependencies,
/// owner, created_at, closed_at, each optional (see [`line_format`]).
fn push_parsed(text: &mut String, id: Option<&WoId>, problem: Option<&String>, f: &Fields) {
    line_format::push_opt(text, id.map(|i| i.as_str()));
    line_format::push_opt(text, problem.map(String::as_str));
    for field in Field::ALL {
        line_format::push_opt(text, f.get(field));
    }
}

fn parse_parsed(rest: &str) -> Option<Parsed> {
    let mut f = line_format::Fields::new(rest);
    // An id is never escaped: a field holding an escape is no id, and the entry is off.
    let id = match f.opt_raw()? {
        Some(s) => Some(WoId::parse(s).ok()?),
        None => None,
    };
    let problem = f.opt()?;
    let mut fields = FieldsBuilder::default();
    for _ in Field::ALL {
        match f.opt_raw()? {
            Some(v) => {
                line_format::unescape_into(fields.buffer(), v)?;
                fields.end(true);
            }
            None => fields.end(false),
        }
    }
    let parsed = Parsed {
        id,
        problem,
        fields: fields.finish()?,
    };
    f.done().then_some(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::line_format::{escape, unescape};

    fn sample() -> Parsed {
        Parsed {
            id: WoId::parse("WO-0042").ok(),
            problem: None,
            fields: Fields::new([
                Some("running"),
                Some("tabs\there, new\nline, back\\slash, \x1f unit, -dash, =eq"),
                Some(""),
                None,
                Some("2026-01-01T00:00:00Z"),
                None,
                Some("DOD-STD"),
                Some("+src/**\n-src/secret/**"),
                Some("P0"),
                Some("E-7"),
                Some("WO-0001\nWO-0002"),
                Some("alice"),
                None,
                Some("2026-01-02T00:00:00Z"),
            ]),
        }
    }

    #[test]
    fn entries_round_trip() {
        let p = sample();
        let mut text = String::new();
        push_parsed(&mut text, p.id.as_ref(), p.problem.as_ref(), &p.fields);
        assert!(!text.contains('\n'));
        assert_eq!(parse_parsed(&text[1..]), Some(p));
        let line = format!("{}\t10\t11\t12\t13{text}", escape("_ctx/jobs/a\tb.yaml"));
        let (rel, rest) = line.split_once('\t').expect("a path");
        let (stamp, _) = parse_stamped(&line[rel.len()..]).expect("parses");
        assert!(rest.starts_with("10\t"));
        assert_eq!(unescape(rel).as_deref(), Some("_ctx/jobs/a\tb.yaml"));
        assert_eq!((stamp.size, stamp.mtime_ns, stamp.ino), (10, 11, 13));
    }

    #[test]
    fn damaged_entries_are_ignored() {
        let mut text = String::new();
        let p = sample();
        push_parsed(&mut text, p.id.as_ref(), p.problem.as_ref(), &p.fields);
        for bad in [
            text[1..].replace("=running", "running"),
            format!("{}\textra", &text[1..]),
            text[1..].replace("WO-0042", "WO-../x"),
            "-\t-".to_owned(),
            text[1..].replace("\\t", "\\q"),
        ] {
            assert_eq!(parse_parsed(&bad), None, "{bad:?}");
        }
        assert!(parse_stamped("\tnot-a-number\t1\t1\t1\t-").is_none());
    }

    #[test]
    fn racy_files_are_not_trusted() {
        let now = std::time::SystemTime::now();
        let ns = now
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i64);
        let fresh = Stamp {
            size: 1,
            mtime_ns: ns - 1_000_000_000,
            ctime_ns: ns - 1_000_000_000,
            ino: 1,
        };
        let old = Stamp {
            mtime_ns: ns - 10_000_000_000,
            ctime_ns: ns - 10_000_000_000,
            ..fresh
        };
        assert!(fresh.racy(now));
        assert!(!old.racy(now));
        let p = sample();
        let mut text = format!("{HEADER}\n");
        for (rel, s) in [("f", fresh), ("g", old)] {
            let _ = write!(
                text,
                "{rel}\t{}\t{}\t{}\t{}",
                s.size, s.mtime_ns, s.ctime_ns, s.ino
            );
            push_parsed(&mut text, p.id.as_ref(), p.problem.as_ref(), &p.fields);
            text.push('\n');
        }
        // Read along the walk: each path looked up once, in file order.
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::write(dir.path().join(PARSE_FILE), &text).expect("written");
        let mut walked = ParseCache::load(dir.path());
        assert!(walked.take("f", fresh, now).is_none(), "racy");
        assert!(walked.take("g", old, now).is_some());
        assert!(!walked.is_empty(), "the racy entry stays until rewritten");
        let mut walked = ParseCache::load(dir.path());
        let changed = Stamp { size: 2, ..old };
        assert!(
            walked.take("e", old, now).is_none(),
            "not in the file: parts"
        );
        assert!(walked.take("g", changed, now).is_none());
        assert!(walked.take("f", fresh, now).is_none());
        assert!(!walked.is_empty());
        // Loaded: looked up in any order.
        let mut cache = ParseCache::of_text(PathBuf::from("unused"), text);
        assert!(cache.take("f", fresh, now).is_none());
        let changed = Stamp { size: 2, ..old };
        assert!(cache.take("g", changed, now).is_none());
        assert!(cache.take("g", old, now).is_some());
        assert!(cache.take("g", old, now).is_none(), "taken once");
        assert!(!cache.is_empty(), "the racy entry stays until rewritten");
        assert!(cache.take("nope", old, now).is_none());
    }
}
