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

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::inventory::line_format;
use crate::inventory::line_reader::LineReader;
use crate::inventory::streamed_file::StreamedFile;
use crate::model::order::{Fields, OrderFile};
use crate::model::state::State;
use crate::model::wo_id::WoId;

pub const PARSE_FILE: &str = "parse-cache";
pub const BLOB_FILE: &str = "blob-cache";

/// The first line of a cache file: a file from another format or version is foreign.
///
/// The header of `parse-cache` goes on with `\t<state>\t<offset>` for each state folder:
/// where the folder's lines start, counted from the line after the header (`-` when not
/// known; right-aligned in a fixed width), so that two threads can each take the lines
/// of their own folders (see [`ParseCache::split_off`]).
const HEADER: &str = concat!("git-wo parse-cache 10 ", env!("CARGO_PKG_VERSION"));

/// How close to "now" an mtime makes a file racy (never trusted from, or put in, the cache).
pub const RACY: std::time::Duration = std::time::Duration::from_secs(2);

/// The racy window in force: [`RACY`], or `GIT_WO_RACY_MS` (test-only: lets the tests
/// of the caches wait a fraction of a second instead of two for files to settle).
pub fn racy_window() -> std::time::Duration {
    static WINDOW: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();
    *WINDOW.get_or_init(|| crate::clock::millis_from_env("GIT_WO_RACY_MS", RACY))
}

/// The stat data a working-tree entry is keyed on. The inode is never 0 (a file that
/// reports 0 has no stamp, and is read every run): so an `Option<Stamp>` is no bigger
/// than a stamp (at 100,000 WOs, two lists of them were 1.6 MB bigger).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub ino: std::num::NonZeroU64,
}

// (The saving is the point: checked.)
const _: () = assert!(std::mem::size_of::<Option<Stamp>>() == std::mem::size_of::<Stamp>());

impl Stamp {
    #[cfg(unix)]
    pub fn of(meta: &std::fs::Metadata) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        Stamp::of_times(
            meta.len(),
            (meta.mtime(), meta.mtime_nsec()),
            (meta.ctime(), meta.ctime_nsec()),
            meta.ino(),
        )
    }

    /// The stamp of an `lstat`, as [`Stamp::of`] makes it of the same file's metadata.
    pub fn of_stat(st: &libc::stat) -> Option<Stamp> {
        Stamp::of_times(
            u64::try_from(st.st_size).ok()?,
            (st.st_mtime, st.st_mtime_nsec),
            (st.st_ctime, st.st_ctime_nsec),
            st.st_ino,
        )
    }

    /// A file's size, its mtime and ctime (seconds and nanoseconds), and its inode: no
    /// stamp for an inode of 0.
    fn of_times(size: u64, mtime: (i64, i64), ctime: (i64, i64), ino: u64) -> Option<Stamp> {
        let ns = |(secs, nsec): (i64, i64)| secs.saturating_mul(1_000_000_000).saturating_add(nsec);
        Some(Stamp {
            size,
            mtime_ns: ns(mtime),
            ctime_ns: ns(ctime),
            ino: std::num::NonZeroU64::new(ino)?,
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

/// A [`Stamp`] without its mtime, which the file it was taken for holds
/// ([`OrderFile::modified_ns`]): what is kept of each file's stamp in case the cache is
/// saved. 24 bytes, not 32: at 100,000 WOs 0.8 MB less at the peak of the files' read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeptStamp {
    size: u64,
    ctime_ns: i64,
    ino: std::num::NonZeroU64,
}

// (The saving is the point: checked.)
const _: () = assert!(std::mem::size_of::<Option<KeptStamp>>() == 24);

impl KeptStamp {
    pub fn of(s: Stamp) -> KeptStamp {
        KeptStamp {
            size: s.size,
            ctime_ns: s.ctime_ns,
            ino: s.ino,
        }
    }

    /// The whole stamp again, with the mtime the file holds.
    pub fn with_mtime(self, mtime_ns: i64) -> Stamp {
        Stamp {
            size: self.size,
            mtime_ns,
            ctime_ns: self.ctime_ns,
            ino: self.ino,
        }
    }
}

/// What a file said: its id, why it is unusable (if it is), and its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub id: Option<WoId>,
    pub problem: Option<Box<str>>,
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
    /// Where each state folder's lines start in the file (bytes from its start).
    segments: Vec<(State, u64)>,
}

/// The cache file read a line at a time.
struct Stream {
    reader: LineReader<std::fs::File>,
    /// Whether the reader's current line is the next entry's line.
    has_line: bool,
    /// Where its path ends: its first tab.
    key_len: usize,
    /// A read failed (not UTF-8…): what was read stays valid, the file is rewritten.
    damaged: bool,
    /// Where the next line starts in the file, and where this stream's lines end
    /// (another stream takes the lines from there on).
    next: u64,
    end: u64,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("line", &self.line())
            .field("has_line", &self.has_line)
            .field("damaged", &self.damaged)
            .field("next", &self.next)
            .field("end", &self.end)
            .finish()
    }
}

impl Stream {
    fn of(file: std::fs::File, next: u64, end: u64) -> Stream {
        Stream {
            reader: LineReader::with_capacity(1 << 16, file),
            has_line: false,
            key_len: 0,
            damaged: false,
            next,
            end,
        }
    }

    /// Move to the next line that can be an entry (one with a tab after its path).
    fn advance(&mut self) {
        self.has_line = false;
        while self.next < self.end {
            match self.reader.next_line() {
                Ok(None) => return,
                Ok(Some(n)) => {
                    self.next += n as u64;
                    if let Some(tab) = memchr::memchr(b'\t', self.reader.line().as_bytes()) {
                        self.key_len = tab;
                        self.has_line = true;
                        return;
                    }
                }
                Err(_) => {
                    self.damaged = true;
                    return;
                }
            }
        }
    }

    /// The next entry's line (without its newline), "" when there is none.
    fn line(&self) -> &str {
        if self.has_line {
            self.reader.line()
        } else {
            ""
        }
    }

    /// The path of the current line, as written.
    fn key(&self) -> &str {
        self.line().get(..self.key_len).unwrap_or("")
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
        let mut stream = Stream::of(file, 0, u64::MAX);
        let header = match stream.reader.next_line() {
            // (Only a header with its newline: the lines follow it.)
            Ok(Some(n)) if n > stream.reader.line().len() => Some((stream.reader.line(), n as u64)),
            _ => None,
        };
        // A foreign, empty or unreadable file: an empty cache.
        let Some((segments, body)) = header.and_then(|(h, n)| Some((segments_of(h)?, n))) else {
            return cache;
        };
        cache.segments = segments.into_iter().map(|(s, at)| (s, at + body)).collect();
        stream.next = body;
        stream.advance();
        cache.stream = Some(stream);
        cache
    }

    /// A cache for the lines of `state`'s folder and those after it, which this one
    /// then no longer serves; `None` (this one serving them all) when the file does
    /// not say where they start or this cache was used already. Lines are only ever
    /// taken on a match of their path and stamp, so a wrong offset costs reads, never
    /// a wrong entry.
    pub fn split_off(&mut self, state: State) -> Option<ParseCache> {
        let at = self.segments.iter().find(|(s, _)| *s == state)?.1;
        let stream = self.stream.as_mut()?;
        // Only before the first take, and where the current line ends before the offset.
        if !stream.has_line || self.passed > 0 || at < stream.next || at >= stream.end {
            return None;
        }
        use std::io::{Read, Seek};
        let mut file = std::fs::File::open(self.path.as_ref()?).ok()?;
        // The offset must be a line's start: the byte before it ends a line.
        file.seek(std::io::SeekFrom::Start(at - 1)).ok()?;
        let mut before = [0u8; 1];
        file.read_exact(&mut before).ok()?;
        if before != *b"\n" {
            return None;
        }
        let mut rest = Stream::of(file, at, stream.end);
        stream.end = at;
        rest.advance();
        Some(ParseCache {
            path: None,
            stream: Some(rest),
            ..ParseCache::default()
        })
    }

    /// A cache for the lines of each of `states` but the first, in order, which this
    /// one then no longer serves (a state with no lines in the file gets a cache with
    /// none); `None` when the file does not say where one's lines start or this cache
    /// was used already (what was split off before that is then served by no cache:
    /// its files are read).
    pub fn split_at_folders(&mut self, states: &[State]) -> Option<Vec<ParseCache>> {
        if self.segments.is_empty() {
            return None;
        }
        let mut pieces = Vec::with_capacity(states.len().saturating_sub(1));
        for &state in states.iter().skip(1).rev() {
            pieces.push(match self.segments.iter().any(|(s, _)| *s == state) {
                true => self.split_off(state)?,
                false => ParseCache::default(),
            });
        }
        pieces.reverse();
        Some(pieces)
    }

    /// The walk parted from the file: load the rest of it (the current line on).
    fn part(&mut self) {
        let Some(mut stream) = self.stream.take() else {
            return;
        };
        let mut bytes = format!("{HEADER}\n").into_bytes();
        if stream.has_line {
            bytes.extend_from_slice(stream.line().as_bytes());
            bytes.push(b'\n');
        }
        let left = stream.end.saturating_sub(stream.next);
        let text = match stream.reader.read_rest(left, &mut bytes) {
            Ok(()) => String::from_utf8(bytes).ok(),
            Err(_) => None,
        };
        let text = text.unwrap_or_else(|| {
            // (What was read of a bad file is dropped, and the file rewritten.)
            self.passed += 1;
            format!("{HEADER}\n")
        });
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
    /// is not racy: its fields with `tail` after them (the file's name).
    pub fn take(
        &mut self,
        rel: &str,
        tail: &str,
        stamp: Stamp,
        now: std::time::SystemTime,
    ) -> Option<Parsed> {
        let key = line_format::escape_cow(rel);
        if let Some(stream) = &mut self.stream {
            if stream.has_line && stream.key() == key {
                let rest = &stream.line()[key.len()..];
                let taken = parse_stamped(rest, tail)
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
        let (cached, parsed) = parse_stamped(self.rest(&entry), tail)?;
        if cached != stamp || stamp.racy(now) {
            return None;
        }
        self.entries[at].taken = true;
        self.left -= 1;
        Some(parsed)
    }

    /// Whether the cache holds any line to take (a cache file was found and has one).
    pub fn holds_lines(&self) -> bool {
        self.stream.as_ref().is_some_and(|s| s.has_line) || self.left > 0
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
        let Some(mut out) = StreamedFile::create(path) else {
            return;
        };
        // The header is written last, over a placeholder of its size: the offsets are
        // known once the lines are written (a line at a time, never all in memory).
        const FOLDERS: usize = State::ALL.len();
        out.text().push_str(&header(&[None; FOLDERS]));
        let body = out.position();
        let mut starts: [Option<u64>; FOLDERS] = [None; FOLDERS];
        let mut one_run = [true; FOLDERS];
        let mut last = None;
        let mut rel = String::new();
        for (file, stamp) in files {
            if stamp.racy(now) {
                continue;
            }
            // (Its path, written into one buffer: a file keeps its folder by number.)
            let (no, name) = file.dir_and_name();
            rel.clear();
            crate::model::folder_no::push_path(&mut rel, no.dir(), name);
            if last != Some(file.folder) {
                last = Some(file.folder);
                // A folder whose lines are not all in one run (never, as the files are
                // listed) gets no offset: its lines are then all served by one stream.
                if let Some(i) = State::ALL.iter().position(|s| *s == file.folder) {
                    if starts[i].is_some() {
                        one_run[i] = false;
                    } else {
                        starts[i] = Some(out.position() - body);
                    }
                }
            }
            push_file_line(
                out.text(),
                &rel,
                &stamp,
                file.id.as_ref(),
                file.problem(),
                &file.fields,
            );
            out.pushed();
        }
        let offsets = std::array::from_fn::<_, FOLDERS, _>(|i| starts[i].filter(|_| one_run[i]));
        out.overwrite_start(header(&offsets).as_bytes());
        out.finish();
    }
}

/// The header of a `parse-cache`: each state folder with where its lines start (`-`:
/// not known), each offset right-aligned in [`OFFSET_WIDTH`] so that the header has
/// one size whatever the offsets are.
fn header(offsets: &[Option<u64>]) -> String {
    let mut header = String::from(HEADER);
    for (state, at) in State::ALL.iter().zip(offsets) {
        let at = at.map_or_else(|| "-".to_owned(), |n| n.to_string());
        let _ = write!(header, "\t{state}\t{at:>OFFSET_WIDTH$}");
    }
    header.push('\n');
    header
}

/// The width of an offset in the header: any `u64`.
const OFFSET_WIDTH: usize = 20;

/// The state folders' offsets in a `parse-cache` header (`None`: not a header of this
/// format and version).
fn segments_of(header: &str) -> Option<Vec<(State, u64)>> {
    let rest = header.strip_prefix(HEADER)?;
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let parts: Vec<&str> = rest.strip_prefix('\t')?.split('\t').collect();
    if !parts.len().is_multiple_of(2) {
        return None;
    }
    let mut segments = Vec::new();
    for p in parts.chunks_exact(2) {
        let state = State::parse(p[0])?;
        match p[1].trim_start_matches(' ') {
            "-" => {}
            at => segments.push((state, at.parse().ok()?)),
        }
    }
    Some(segments)
}

/// The blob-id cache for files read from the index or a tree. Keyed by the blob's id as
/// it is (with the hash table gix keeps object ids in), not by its hex text: at 100,000
/// WOs the texts were 100,000 allocations, each hashed in full.
#[derive(Debug, Default)]
pub struct BlobCache {
    path: Option<PathBuf>,
    entries: gix::hashtable::HashMap<gix::ObjectId, Parsed>,
}

/// A blob a run used: taken from the cache, or read (and what it said).
#[derive(Debug)]
pub enum BlobUse {
    Cached(gix::ObjectId),
    Read(gix::ObjectId, Parsed),
}

impl BlobCache {
    pub fn load(wo_dir: &Path) -> BlobCache {
        if !enabled() {
            return BlobCache::default();
        }
        let path = wo_dir.join(BLOB_FILE);
        let mut entries = gix::hashtable::HashMap::default();
        if let Ok(text) = std::fs::read_to_string(&path) {
            let mut lines = text.lines();
            if lines.next() == Some(HEADER) {
                entries.reserve(text.len() / 128);
                for line in lines {
                    let Some((oid, rest)) = line.split_once('\t') else {
                        continue;
                    };
                    let oid = gix::ObjectId::from_hex(oid.as_bytes());
                    if let (Ok(oid), Some(parsed)) = (oid, parse_parsed(rest)) {
                        entries.insert(oid, parsed);
                    }
                }
            }
        }
        BlobCache {
            path: Some(path),
            entries,
        }
    }

    pub fn get(&self, oid: &gix::ObjectId) -> Option<&Parsed> {
        self.entries.get(oid)
    }

    /// Write the entries of the blobs used in this run, unless nothing changed: every
    /// blob was taken from the cache or read as the cache had it, and the cache holds no
    /// other.
    pub fn save(&self, used: &[BlobUse]) {
        let Some(path) = &self.path else { return };
        let same = used.len() == self.entries.len()
            && used.iter().all(|u| match u {
                BlobUse::Cached(_) => true,
                BlobUse::Read(oid, p) => self.entries.get(oid) == Some(p),
            });
        if same {
            return;
        }
        let mut text = String::with_capacity(64 + used.len() * 160);
        text.push_str(HEADER);
        text.push('\n');
        for u in used {
            let (oid, parsed) = match u {
                BlobUse::Cached(oid) => match self.entries.get(oid) {
                    Some(p) => (oid, p),
                    None => continue,
                },
                BlobUse::Read(oid, p) => (oid, p),
            };
            let _ = write!(text, "{oid}");
            push_parsed(
                &mut text,
                parsed.id.as_ref(),
                parsed.problem.as_deref(),
                &parsed.fields,
            );
            text.push('\n');
        }
        line_format::write_file(path, &text);
    }
}

/// `\t<size>\t<mtime>\t<ctime>\t<ino>\t<parsed…>`: a line after its path.
/// The fields get `tail` after them (see [`Fields::tail`]): the path of the file they
/// are taken for, in the same buffer.
fn parse_stamped(rest: &str, tail: &str) -> Option<(Stamp, Parsed)> {
    let parts: [&str; STAMP_PARTS + PARSED_PARTS] = split_exact(rest.strip_prefix('\t')?)?;
    let (stamp, parsed) = parts.split_at(STAMP_PARTS);
    let stamp = Stamp {
        size: parts_num(stamp[0])?,
        mtime_ns: parts_num(stamp[1])?,
        ctime_ns: parts_num(stamp[2])?,
        ino: std::num::NonZeroU64::new(parts_num(stamp[3])?)?,
    };
    Some((stamp, parsed_of_parts(parsed, tail)?))
}

fn parts_num<T: TryFrom<u64> + std::str::FromStr>(s: &str) -> Option<T> {
    line_format::number(s)
}

/// The stamp's four numbers before the [`Parsed`] on a working-tree line.
const STAMP_PARTS: usize = 4;
/// A [`Parsed`] on a line: its id, its problem, and the fields as [`Fields::parts`]
/// gives them (which are present, where each ends, their text).
const PARSED_PARTS: usize = 2 + 3;

/// The `N` tab-separated parts of `line`, or `None` when it has more or fewer. (Eight
/// bytes at a time: splitting field by field cost a search set-up each, and a byte
/// loop or a `memchr` a tab was most of decoding 100,000 cached files.)
fn split_exact<const N: usize>(line: &str) -> Option<[&str; N]> {
    let mut parts = [""; N];
    let mut n = 0;
    let mut start = 0;
    let mut cut = |i: usize| -> Option<()> {
        // A tab is one byte: both sides are on char boundaries.
        *parts.get_mut(n)? = line.get(start..i)?;
        n += 1;
        start = i + 1;
        Some(())
    };
    let (words, tail) = line.as_bytes().as_chunks::<8>();
    for (k, word) in words.iter().enumerate() {
        let mut tabs = line_format::tab_bytes(word);
        while tabs != 0 {
            cut(k * 8 + tabs.trailing_zeros() as usize / 8)?;
            tabs &= tabs - 1;
        }
    }
    let at = words.len() * 8;
    for (i, &b) in tail.iter().enumerate() {
        if b == b'\t' {
            cut(at + i)?;
        }
    }
    *parts.get_mut(n)? = line.get(start..)?;
    (n + 1 == N).then_some(parts)
}

/// An optional field as written: `Some(None)` for `-`, `None` when it is neither.
fn opt_part(v: &str) -> Option<Option<&str>> {
    match v.as_bytes().first() {
        Some(b'=') => Some(v.get(1..)),
        Some(b'-') if v.len() == 1 => Some(None),
        _ => None,
    }
}

/// One line of the working-tree cache: the path (escaped), its stamp, what it said.
fn push_file_line(
    text: &mut String,
    rel: &str,
    stamp: &Stamp,
    id: Option<&WoId>,
    problem: Option<&str>,
    fields: &Fields,
) {
    line_format::escape_into(text, rel);
    let _ = write!(
        text,
        "\t{}\t{}\t{}\t{}",
        stamp.size, stamp.mtime_ns, stamp.ctime_ns, stamp.ino
    );
    push_parsed(text, id, problem, fields);
    text.push('\n');
}

/// `\t<id>\t<problem>\t<present>\t<ends>\t<values>`: a [`Parsed`] on a line, the id and
/// the problem optional (see [`line_format`]), then its fields as [`Fields::parts`]
/// gives them ([`line_format::push_text_parts`]: the values copied whole when the line
/// is taken, not value by value, which was most of the cost of taking 100,000 files).
fn push_parsed(text: &mut String, id: Option<&WoId>, problem: Option<&str>, f: &Fields) {
    line_format::push_opt(text, id.map(|i| i.as_str()));
    line_format::push_opt(text, problem);
    let (values, ends, present) = f.parts();
    line_format::push_text_parts(text, values, &ends, present);
}

fn parse_parsed(rest: &str) -> Option<Parsed> {
    let parts: [&str; PARSED_PARTS] = split_exact(rest)?;
    parsed_of_parts(&parts, "")
}

/// The [`Parsed`] of a line's [`PARSED_PARTS`] parts, its fields with `tail` after
/// them.
fn parsed_of_parts(parts: &[&str], tail: &str) -> Option<Parsed> {
    let [id, problem, present, ends, values] = parts else {
        return None;
    };
    // An id is never escaped: a field holding an escape is no id, and the entry is off.
    let id = match opt_part(id)? {
        Some(s) => Some(WoId::parse(s).ok()?),
        None => None,
    };
    let problem = match opt_part(problem)? {
        Some(s) => Some(line_format::unescaped(s)?),
        None => None,
    };
    let (text, ends, present) = line_format::text_parts(present, ends, values, tail)?;
    Some(Parsed {
        id,
        problem,
        fields: Fields::of_parts(text, ends, present)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::line_format::{escape, unescape};

    #[test]
    fn a_listing_stamps_a_file_as_its_metadata_does() {
        use crate::folder_entries::FolderEntries;
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::write(dir.path().join("WO-0001.yaml"), "id: WO-0001\n").expect("write");
        let mut entries = FolderEntries::open(dir.path()).expect("open");
        let e = entries.next_entry().expect("the file");
        let listed = Stamp::of_stat(&e.lstat().expect("lstat"));
        let meta = std::fs::symlink_metadata(dir.path().join("WO-0001.yaml")).expect("stat");
        assert_eq!(listed, Stamp::of(&meta));
        assert!(listed.is_some_and(|s| s.size == 12 && s.mtime_ns > 0));
    }

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

    /// The blob cache holds what a run used, keyed by blob id, and is rewritten only when
    /// that changed (a rewrite replaces the file: a new inode); a line whose id is not
    /// an object id is ignored.
    #[cfg(unix)]
    #[test]
    fn the_blob_cache_keeps_what_a_run_used_and_is_rewritten_only_when_that_changed() {
        use std::os::unix::fs::MetadataExt;
        let oid = |b: &str| gix::ObjectId::from_hex(b.repeat(20).as_bytes()).expect("an id");
        let (one, two) = (oid("01"), oid("02"));
        let p = sample();
        let dir = tempfile::tempdir().expect("a temp dir");
        let file = dir.path().join(BLOB_FILE);
        let inode = || std::fs::metadata(&file).map(|m| m.ino()).ok();
        let cache = BlobCache::load(dir.path());
        assert!(cache.get(&one).is_none());
        cache.save(&[BlobUse::Read(one, p.clone()), BlobUse::Read(two, p.clone())]);
        let cache = BlobCache::load(dir.path());
        assert_eq!((cache.get(&one), cache.get(&two)), (Some(&p), Some(&p)));
        let written = inode();
        assert!(written.is_some());
        // The same blobs, taken from the cache or read as it had them: left as it is.
        cache.save(&[BlobUse::Cached(one), BlobUse::Read(two, p.clone())]);
        assert_eq!(inode(), written, "nothing changed");
        // One blob fewer: written again, with the other only.
        cache.save(&[BlobUse::Cached(two)]);
        assert_ne!(inode(), written);
        let cache = BlobCache::load(dir.path());
        assert_eq!((cache.get(&one), cache.get(&two)), (None, Some(&p)));
        // Lines whose id is not an object id's hex.
        let text = std::fs::read_to_string(&file).expect("saved");
        let line = text.lines().nth(1).expect("a line");
        let rest = line.split_once('\t').map(|(_, r)| r).expect("a tab");
        let bad = [
            "xyz".to_owned(),
            "01".repeat(19),
            format!("{}0", "01".repeat(20)),
        ];
        let more: String = bad.iter().map(|b| format!("{b}\t{rest}\n")).collect();
        std::fs::write(&file, format!("{text}{more}")).expect("written");
        let cache = BlobCache::load(dir.path());
        assert_eq!(cache.entries.len(), 1, "only the good line");
    }

    #[test]
    fn entries_round_trip() {
        let p = sample();
        let mut text = String::new();
        push_parsed(&mut text, p.id.as_ref(), p.problem.as_deref(), &p.fields);
        assert!(!text.contains('\n'));
        assert_eq!(parse_parsed(&text[1..]), Some(p));
        let line = format!("{}\t10\t11\t12\t13{text}", escape("_ctx/jobs/a\tb.yaml"));
        let (rel, rest) = line.split_once('\t').expect("a path");
        let (stamp, _) = parse_stamped(&line[rel.len()..], "").expect("parses");
        assert!(rest.starts_with("10\t"));
        assert_eq!(unescape(rel).as_deref(), Some("_ctx/jobs/a\tb.yaml"));
        assert_eq!((stamp.size, stamp.mtime_ns, stamp.ino.get()), (10, 11, 13));
    }

    #[test]
    fn lines_split_at_every_tab_and_nowhere_else() {
        // Tabs at every position of an 8-byte word, next to bytes one off a tab.
        let line = "a\tb\x08\t\n\tccccccc\t\t\x0b\u{e9}\t0123456789abcdef\t\t";
        let want: Vec<&str> = line.split('\t').collect();
        assert_eq!(split_exact::<9>(line).map(Vec::from), Some(want));
        assert_eq!(split_exact::<8>(line), None, "one part more");
        assert_eq!(split_exact::<10>(line), None, "one part fewer");
        for len in 0..20 {
            let s: String = (0..len)
                .map(|i| if i % 3 == 1 { '\t' } else { 'x' })
                .collect();
            let want: Vec<&str> = s.split('\t').collect();
            let got: Option<[&str; 8]> = split_exact(&s);
            assert_eq!(got.is_some(), want.len() == 8, "{s:?}");
            if let Some(got) = got {
                assert_eq!(Vec::from(got), want);
            }
        }
    }

    /// The stamp of a one-byte file, inode `ino + 1`, last changed 10 s before `now`: never
    /// racy.
    fn settled_stamp(now: std::time::SystemTime, ino: u64) -> Stamp {
        let ns = now
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i64);
        Stamp {
            size: 1,
            mtime_ns: ns - 10_000_000_000,
            ctime_ns: ns - 10_000_000_000,
            ino: std::num::NonZeroU64::MIN.saturating_add(ino),
        }
    }

    #[test]
    fn a_saved_cache_says_where_each_folder_starts_and_splits_there() {
        let now = std::time::SystemTime::now();
        let stamp = |ino| settled_stamp(now, ino);
        let p = sample();
        // Enough lines that the file is written in several pieces.
        let files: Vec<(OrderFile, Stamp)> = (0..3000u64)
            .map(|i| {
                let state = if i < 1000 {
                    State::Pending
                } else {
                    State::Done
                };
                let rel = format!("_ctx/jobs/{state}/WO-{i:05}.yaml");
                let (dir, name) = crate::model::folder_no::FolderNo::split(&rel);
                let f = OrderFile::of_fields(
                    dir,
                    state,
                    false,
                    p.id.clone(),
                    None,
                    p.fields.copied_with_tail(name),
                );
                (f, stamp(i))
            })
            .collect();
        let dir = tempfile::tempdir().expect("a temp dir");
        ParseCache::at(dir.path()).save(now, files.iter().map(|(f, s)| (f, *s)));
        let text = std::fs::read_to_string(dir.path().join(PARSE_FILE)).expect("saved");
        let (head_line, body) = text.split_once('\n').expect("a header");
        let done_at = body.find("_ctx/jobs/done/").expect("done lines");
        let pad = |v: &str| format!("{v:>OFFSET_WIDTH$}");
        assert_eq!(
            head_line,
            format!(
                "{HEADER}\tpending\t{}\trunning\t{}\tdone\t{}\tfailed\t{}",
                pad("0"),
                pad("-"),
                pad(&done_at.to_string()),
                pad("-")
            )
        );
        let mut head = ParseCache::load(dir.path());
        let mut tail = head.split_off(State::Done).expect("split at done/");
        for (i, (f, s)) in files.iter().enumerate() {
            let rel = f.rel_text();
            let cache = if i < 1000 { &mut head } else { &mut tail };
            assert!(cache.take(&rel, &rel, *s, now).is_some(), "{rel}");
        }
        assert!(head.is_empty() && tail.is_empty());
        assert!(
            ParseCache::load(dir.path())
                .split_off(State::Running)
                .is_none()
        );
    }

    /// A cache split at every listed folder: each piece serves its folder's lines
    /// alone, a folder with no lines gets a piece with none, and a file that does not
    /// say where folders start is not split.
    #[test]
    fn a_cache_splits_at_every_folder_listed() {
        let now = std::time::SystemTime::now();
        let stamp = |ino| settled_stamp(now, ino);
        let p = sample();
        let states = [State::Pending, State::Done, State::Failed];
        let files: Vec<(OrderFile, Stamp)> = (0..30u64)
            .map(|i| {
                let state = states[(i / 10) as usize];
                let rel = format!("_ctx/jobs/{state}/WO-{i:05}.yaml");
                let (dir, name) = crate::model::folder_no::FolderNo::split(&rel);
                let fields = p.fields.copied_with_tail(name);
                let f = OrderFile::of_fields(dir, state, false, p.id.clone(), None, fields);
                (f, stamp(i))
            })
            .collect();
        let dir = tempfile::tempdir().expect("a temp dir");
        ParseCache::at(dir.path()).save(now, files.iter().map(|(f, s)| (f, *s)));
        let mut head = ParseCache::load(dir.path());
        // (Running has no lines: its piece holds none.)
        let listed = [State::Pending, State::Running, State::Done, State::Failed];
        let mut pieces = head.split_at_folders(&listed).expect("split");
        assert_eq!(pieces.len(), 3);
        assert!(!pieces[0].holds_lines() && pieces[1].holds_lines());
        for (i, (f, s)) in files.iter().enumerate() {
            let rel = f.rel_text();
            let cache = match i / 10 {
                0 => &mut head,
                1 => &mut pieces[1],
                _ => &mut pieces[2],
            };
            assert!(cache.take(&rel, &rel, *s, now).is_some(), "{rel}");
        }
        assert!(head.is_empty() && pieces.iter().all(ParseCache::is_empty));
        // Without done/ listed, its lines are the first piece's after pending's.
        let mut head = ParseCache::load(dir.path());
        let pieces = head
            .split_at_folders(&[State::Pending, State::Failed])
            .expect("split");
        assert_eq!(pieces.len(), 1);
        for (f, s) in &files[..20] {
            let rel = f.rel_text();
            assert!(head.take(&rel, &rel, *s, now).is_some(), "{rel}");
        }
        // A header that says nothing of the folders: no split.
        let text = std::fs::read_to_string(dir.path().join(PARSE_FILE)).expect("saved");
        let body = text.split_once('\n').expect("a header").1;
        std::fs::write(dir.path().join(PARSE_FILE), format!("{HEADER}\n{body}")).expect("write");
        let mut plain = ParseCache::load(dir.path());
        assert!(plain.holds_lines());
        assert!(plain.split_at_folders(&listed).is_none());
    }

    #[test]
    fn two_streams_share_the_file_at_a_folder() {
        let now = std::time::SystemTime::now();
        let stamp = |ino| settled_stamp(now, ino);
        let p = sample();
        let mut body = String::new();
        let mut at = Vec::new();
        for (i, rel) in ["p/a", "p/b", "d/a", "d/b", "d/c"].iter().enumerate() {
            at.push(body.len());
            let s = stamp(i as u64);
            push_file_line(
                &mut body,
                rel,
                &s,
                p.id.as_ref(),
                p.problem.as_deref(),
                &p.fields,
            );
        }
        let dir = tempfile::tempdir().expect("a temp dir");
        let write = |done_at: usize| {
            let text = format!("{HEADER}\tpending\t0\tdone\t{done_at}\n{body}");
            std::fs::write(dir.path().join(PARSE_FILE), text).expect("written");
        };
        write(at[2]);
        let mut head = ParseCache::load(dir.path());
        let mut tail = head.split_off(State::Done).expect("split at done/");
        assert!(head.split_off(State::Done).is_none(), "split once");
        assert!(tail.take("d/a", "d/a", stamp(2), now).is_some());
        assert!(head.take("p/a", "p/a", stamp(0), now).is_some());
        assert!(head.take("p/b", "p/b", stamp(1), now).is_some());
        assert!(head.is_empty(), "the head ends where done/ starts");
        assert!(
            head.take("d/b", "d/b", stamp(3), now).is_none(),
            "not the head's"
        );
        assert!(tail.take("d/b", "d/b", stamp(3), now).is_some());
        assert!(!tail.is_empty(), "d/c not taken");
        assert!(tail.take("d/c", "d/c", stamp(4), now).is_some());
        assert!(tail.is_empty());
        // An offset that is not a line's start, or past the first line: no split.
        write(at[2] + 1);
        assert!(
            ParseCache::load(dir.path())
                .split_off(State::Done)
                .is_none()
        );
        write(at[2]);
        let mut used = ParseCache::load(dir.path());
        assert!(
            used.take("p/a", "p/a", stamp(9), now).is_none(),
            "a stale line passed"
        );
        assert!(used.split_off(State::Done).is_none());
        assert!(
            ParseCache::load(dir.path())
                .split_off(State::Failed)
                .is_none()
        );
        // A header that is not this version's: no cache at all.
        std::fs::write(
            dir.path().join(PARSE_FILE),
            format!("{HEADER}\tdone\n{body}"),
        )
        .expect("written");
        assert!(
            ParseCache::load(dir.path())
                .take("p/a", "p/a", stamp(0), now)
                .is_none()
        );
    }

    #[test]
    fn damaged_entries_are_ignored() {
        let mut text = String::new();
        let p = sample();
        push_parsed(&mut text, p.id.as_ref(), p.problem.as_deref(), &p.fields);
        let good = &text[1..];
        assert_eq!(parse_parsed(good).as_ref(), Some(&p));
        let (present, ends) = match good.split('\t').collect::<Vec<_>>()[..] {
            [_, _, present, ends, _] => (present, ends),
            _ => panic!("five parts: {good:?}"),
        };
        let part =
            |old: &str, new: &str| good.replacen(&format!("\t{old}\t"), &format!("\t{new}\t"), 1);
        let (first, rest) = ends.split_once(',').expect("two ends");
        let (head, last) = ends.rsplit_once(',').expect("two ends");
        let last: usize = last.parse().expect("an end");
        for bad in [
            format!("{good}\textra"),
            good.replace("WO-0042", "WO-../x"),
            "-\t-".to_owned(),
            good.replace("\\t", "\\q"),
            // A bit past the fields, or one fewer or more than there are ends.
            part(
                present,
                &(present.parse::<u16>().expect("bits") | 1 << 14).to_string(),
            ),
            part(
                present,
                &(present.parse::<u16>().expect("bits") & !1).to_string(),
            ),
            part(present, "x"),
            part(ends, head),
            part(ends, &format!("{ends},{last}")),
            part(ends, &format!("{ends},")),
            part(ends, ""),
            // The last end not the text's, or the ends out of order.
            part(ends, &format!("{head},{}", last - 1)),
            part(ends, &format!("{rest},{first}")),
        ] {
            assert_ne!(bad, good);
            assert_eq!(parse_parsed(&bad), None, "{bad:?}");
        }
        assert!(parse_stamped("\tnot-a-number\t1\t1\t1\t-", "").is_none());
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
            ino: std::num::NonZeroU64::MIN,
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
            push_file_line(
                &mut text,
                rel,
                &s,
                p.id.as_ref(),
                p.problem.as_deref(),
                &p.fields,
            );
        }
        // Read along the walk: each path looked up once, in file order.
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::write(dir.path().join(PARSE_FILE), &text).expect("written");
        let mut walked = ParseCache::load(dir.path());
        assert!(walked.take("f", "f", fresh, now).is_none(), "racy");
        assert!(walked.take("g", "g", old, now).is_some());
        assert!(!walked.is_empty(), "the racy entry stays until rewritten");
        let mut walked = ParseCache::load(dir.path());
        let changed = Stamp { size: 2, ..old };
        assert!(
            walked.take("e", "e", old, now).is_none(),
            "not in the file: parts"
        );
        assert!(walked.take("g", "g", changed, now).is_none());
        assert!(walked.take("f", "f", fresh, now).is_none());
        assert!(!walked.is_empty());
        // Loaded: looked up in any order.
        let mut cache = ParseCache::of_text(PathBuf::from("unused"), text);
        assert!(cache.take("f", "f", fresh, now).is_none());
        let changed = Stamp { size: 2, ..old };
        assert!(cache.take("g", "g", changed, now).is_none());
        assert!(cache.take("g", "g", old, now).is_some());
        assert!(cache.take("g", "g", old, now).is_none(), "taken once");
        assert!(!cache.is_empty(), "the racy entry stays until rewritten");
        assert!(cache.take("nope", "nope", old, now).is_none());
    }

    #[test]
    fn a_line_whose_inode_is_0_is_never_taken() {
        // (No file has inode 0: a stamp with it is none, so the line is not read.)
        let stamp = settled_stamp(std::time::SystemTime::now(), 41);
        let p = sample();
        let mut line = String::new();
        let (id, problem) = (p.id.as_ref(), p.problem.as_deref());
        push_file_line(&mut line, "g", &stamp, id, problem, &p.fields);
        let rest = line
            .trim_end_matches('\n')
            .strip_prefix('g')
            .unwrap_or_default();
        assert!(parse_stamped(rest, "").is_some_and(|(s, _)| s == stamp));
        let zeroed = rest.replacen("\t42\t", "\t0\t", 1);
        assert_ne!(zeroed, rest);
        assert!(parse_stamped(&zeroed, "").is_none());
    }
}
