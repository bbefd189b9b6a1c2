//! One WO YAML file as found on disk (or in a tree): where it is, what it says, and
//! whether it is usable. Parsing never fails: problems are kept on the [`OrderFile`]
//! so that `audit` can report them as `invalid_yaml`.

use std::path::PathBuf;

use serde_yaml::Value;

use crate::model::folder_no::FolderNo;
use crate::model::nesting;
use crate::model::plain_yaml;
use crate::model::state::State;
use crate::model::text_list::{TextList, TextListBuilder};
use crate::model::wo_id::{WoId, printable};

/// Files larger than this are not parsed (a WO is a few hundred bytes).
pub const MAX_YAML_BYTES: u64 = 1024 * 1024;

/// Keys every WO must have (SPEC §1).
pub const REQUIRED_KEYS: [&str; 8] = [
    "version",
    "id",
    "epic_id",
    "title",
    "priority",
    "status",
    "dod_id",
    "execution",
];

/// The top-level fields of a WO that audit, check, list, show and status read: small
/// enough to keep in the parse cache. Scalars are rendered as text (numbers and
/// booleans too). Everything else (dependencies, verify commands, the keys lint
/// checks) is read from the mapping, which only a full read keeps.
///
/// The values share one buffer: at 10,000 WOs, six strings each were 60,000
/// allocations a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    /// The values in [`Field`] order, then (a file's) path.
    list: TextList<{ Field::COUNT }>,
}

// (The saving is the point: checked.)
const _: () = assert!(std::mem::size_of::<Fields>() <= 40);

/// One of the [`Fields`], in their fixed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Status,
    Title,
    Branch,
    Worktree,
    StartedAt,
    FinishedAt,
    DodId,
    /// `scope:` in [`crate::model::scope::Scope::encode`]'s form.
    Scope,
    Priority,
    EpicId,
    /// `dependencies:`, one id a line.
    Dependencies,
    /// `owner:`, `created_at:` and `closed_at:` (what the index other tools read shows).
    Owner,
    CreatedAt,
    ClosedAt,
}

impl Field {
    pub const COUNT: usize = 14;
    pub const ALL: [Field; Field::COUNT] = [
        Field::Status,
        Field::Title,
        Field::Branch,
        Field::Worktree,
        Field::StartedAt,
        Field::FinishedAt,
        Field::DodId,
        Field::Scope,
        Field::Priority,
        Field::EpicId,
        Field::Dependencies,
        Field::Owner,
        Field::CreatedAt,
        Field::ClosedAt,
    ];

    /// The YAML key.
    pub const fn key(self) -> &'static str {
        match self {
            Field::Status => "status",
            Field::Title => "title",
            Field::Branch => "branch",
            Field::Worktree => "worktree",
            Field::StartedAt => "started_at",
            Field::FinishedAt => "finished_at",
            Field::DodId => "dod_id",
            Field::Scope => "scope",
            Field::Priority => "priority",
            Field::EpicId => "epic_id",
            Field::Dependencies => "dependencies",
            Field::Owner => "owner",
            Field::CreatedAt => "created_at",
            Field::ClosedAt => "closed_at",
        }
    }
}

impl Fields {
    /// The fields `map` gives, with `tail` after them.
    fn of(map: &(impl TopLevel + ?Sized), tail: &str) -> Fields {
        let values = Field::ALL.map(|f| match f {
            Field::Scope => {
                crate::model::scope::Scope::from_yaml(map.value(f.key())).map(|s| s.encode().into())
            }
            Field::Dependencies => match map.value(f.key()) {
                Some(v @ Value::Sequence(_)) => Some(string_list(Some(v)).join("\n").into()),
                _ => None,
            },
            _ => map.value(f.key()).and_then(scalar),
        });
        Fields::new_with_tail(values.each_ref().map(|v| v.as_deref()), tail)
    }

    /// Fields with these values, in [`Field::ALL`] order.
    pub fn new(values: [Option<&str>; Field::COUNT]) -> Fields {
        Fields::new_with_tail(values, "")
    }

    /// [`Fields::new`] with `tail` after them (see [`Fields::tail`]).
    pub fn new_with_tail(values: [Option<&str>; Field::COUNT], tail: &str) -> Fields {
        let mut b = TextListBuilder::default();
        let size: usize = values.iter().flatten().map(|v| v.len()).sum();
        b.reserve(size + tail.len());
        for v in values {
            b.push(v);
        }
        b.finish_with_tail(tail)
            .map(|list| Fields { list })
            .unwrap_or_else(|| Fields::default().copied_with_tail(tail))
    }

    /// The text after the last field: a file's path, for the [`OrderFile`] these are
    /// the fields of (one buffer for both: a path of its own was a `PathBuf` and an
    /// allocation a file, 5 MB at 100,000 WOs); empty elsewhere.
    pub fn tail(&self) -> &str {
        self.list.tail()
    }

    /// These fields with `tail` after them (the same buffer when it is already there).
    pub fn with_tail(self, tail: &str) -> Fields {
        if self.tail() == tail {
            return self;
        }
        self.copied_with_tail(tail)
    }

    /// A copy of these fields with `tail` after them, in one allocation.
    pub fn copied_with_tail(&self, tail: &str) -> Fields {
        Fields {
            list: self.list.copied_with_tail(tail),
        }
    }

    pub fn get(&self, field: Field) -> Option<&str> {
        self.list.get(field as usize)
    }

    /// The values without the tail, where each ends, and which are present (a bit
    /// each, in [`Field::ALL`] order): what [`Fields::of_parts`] makes them from again.
    pub fn parts(&self) -> (&str, [u32; Field::COUNT], u16) {
        self.list.parts()
    }

    /// The fields whose buffer is `text` (the values, then the tail), as
    /// [`Fields::parts`] gave them; `None` when the parts describe no fields.
    pub fn of_parts(text: String, ends: [u32; Field::COUNT], present: u16) -> Option<Fields> {
        TextList::of_parts(text, ends, present).map(|list| Fields { list })
    }

    pub fn status(&self) -> Option<&str> {
        self.get(Field::Status)
    }
    pub fn title(&self) -> Option<&str> {
        self.get(Field::Title)
    }
    pub fn branch(&self) -> Option<&str> {
        self.get(Field::Branch)
    }
    pub fn worktree(&self) -> Option<&str> {
        self.get(Field::Worktree)
    }
    /// `priority:`, unless blank.
    pub fn priority(&self) -> Option<&str> {
        self.get(Field::Priority).filter(|s| !s.trim().is_empty())
    }
    /// `epic_id:`, unless blank.
    pub fn epic(&self) -> Option<&str> {
        self.get(Field::EpicId).filter(|s| !s.trim().is_empty())
    }
    pub fn started_at(&self) -> Option<&str> {
        self.get(Field::StartedAt)
    }
    pub fn finished_at(&self) -> Option<&str> {
        self.get(Field::FinishedAt)
    }
    pub fn dod_id(&self) -> Option<&str> {
        self.get(Field::DodId)
    }
}

/// A top-level mapping as a reader gives it: `serde_yaml`'s, or the values of
/// [`OrderFile::KEYS_READ`] that [`plain_yaml`] kept (looked up in a few, without
/// hashing).
pub trait TopLevel {
    fn value(&self, key: &str) -> Option<&Value>;
}

impl TopLevel for serde_yaml::Mapping {
    fn value(&self, key: &str) -> Option<&Value> {
        self.get(key)
    }
}

impl TopLevel for [(&str, Value)] {
    fn value(&self, key: &str) -> Option<&Value> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

#[derive(Debug, Clone)]
pub struct OrderFile {
    /// The state folder it lives in.
    pub folder: State,
    /// True for files in archive subfolders or whose name does not start with `WO-`:
    /// read for duplicate-id detection only, never live state.
    pub archived: bool,
    /// The WO's identity: the `id:` field, or the stem when `id` is unreadable.
    pub id: Option<WoId>,
    /// The fields the views read, taken from the mapping (or from the parse cache), and
    /// after them the file's name ([`OrderFile::dir_and_name`]).
    pub fields: Fields,
    /// The folder it is in, by number (see [`OrderFile::rel_path`]).
    dir: FolderNo,
    /// Why the file is not a usable WO, its parsed mapping and its bytes: what a file
    /// read for the views nearly never has, so one pointer (with its bytes beside it,
    /// and its time in 12 bytes, a file was 112 bytes).
    unusual: Option<Box<Unusual>>,
    /// Modification time (working-tree files only), in 8 bytes.
    modified: Modified,
}

// (One for every file of the jobs dir, 100,000 at a time: checked, as every byte of it
// is 100 KB of the peak there.)
const _: () = assert!(std::mem::size_of::<OrderFile>() <= 80);
// (And what a file read for an operation allocates beside it: checked.)
const _: () = assert!(std::mem::size_of::<Unusual>() <= 40);

/// What an [`OrderFile`] read for the views nearly never has.
#[derive(Debug, Clone, Default)]
struct Unusual {
    problem: Option<Box<str>>,
    /// (Boxed: a file read for an operation has bytes and no mapping, and a mapping in
    /// place would be 72 bytes of every such file.)
    doc: Option<Box<serde_yaml::Mapping>>,
    /// The bytes as read, kept for the operations ([`OrderFile::bytes`]).
    bytes: Box<[u8]>,
}

impl Unusual {
    fn is_empty(&self) -> bool {
        self.problem.is_none() && self.doc.is_none() && self.bytes.is_empty()
    }
}

/// A modification time as nanoseconds since the epoch, [`Modified::NONE`] for none:
/// half the size of an `Option<DateTime<Utc>>`. A time outside what an `i64` of
/// nanoseconds holds (before 1677, after 2262) is held as the nearest it holds, as the
/// parse cache's stamps hold them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Modified(i64);

impl Modified {
    const NONE: Modified = Modified(i64::MIN);

    fn of(t: Option<chrono::DateTime<chrono::Utc>>) -> Modified {
        let Some(t) = t else {
            return Modified::NONE;
        };
        let nanos = t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
            i64::MIN
        } else {
            i64::MAX
        });
        Modified(nanos.max(i64::MIN + 1))
    }

    fn get(self) -> Option<chrono::DateTime<chrono::Utc>> {
        (self != Modified::NONE).then(|| chrono::DateTime::from_timestamp_nanos(self.0))
    }
}

/// A path as text (the listing and the readers of trees name files in UTF-8 only).
fn path_text(path: PathBuf) -> String {
    path.into_os_string()
        .into_string()
        .unwrap_or_else(|p| p.to_string_lossy().into_owned())
}

impl OrderFile {
    /// Parse `bytes` read from `rel_path` in `folder`.
    pub fn parse(rel_path: PathBuf, folder: State, archived: bool, bytes: &[u8]) -> OrderFile {
        OrderFile::read(rel_path, folder, archived, bytes.to_vec(), true)
    }

    /// [`OrderFile::parse`] without keeping the mapping (`doc` is `None`): a file in the
    /// plain YAML [`plain_yaml`] reads is read by it, the rest by `serde_yaml`; either
    /// way the same id, problem and fields.
    pub fn parse_without_mapping(
        rel_path: PathBuf,
        folder: State,
        archived: bool,
        bytes: Vec<u8>,
    ) -> OrderFile {
        OrderFile::read(rel_path, folder, archived, bytes, false)
    }

    /// [`OrderFile::parse_without_mapping`] keeping no bytes either: what the views
    /// read, and no allocation for what they do not.
    pub fn parse_for_views(
        rel_path: PathBuf,
        folder: State,
        archived: bool,
        bytes: &[u8],
    ) -> OrderFile {
        OrderFile::read_from(rel_path, folder, archived, bytes, false)
    }

    /// The top-level keys [`OrderFile::said`] reads.
    pub const KEYS_READ: [&str; Field::COUNT + 1] = {
        let mut keys = ["id"; Field::COUNT + 1];
        let mut i = 0;
        while i < Field::COUNT {
            keys[i + 1] = Field::ALL[i].key();
            i += 1;
        }
        keys
    };

    fn read(
        rel_path: PathBuf,
        folder: State,
        archived: bool,
        bytes: Vec<u8>,
        keep_mapping: bool,
    ) -> OrderFile {
        let mut file = OrderFile::read_from(rel_path, folder, archived, &bytes, keep_mapping);
        file.set_bytes(bytes.into_boxed_slice());
        file
    }

    /// [`OrderFile::read`], keeping no bytes.
    fn read_from(
        rel_path: PathBuf,
        folder: State,
        archived: bool,
        bytes: &[u8],
        keep_mapping: bool,
    ) -> OrderFile {
        let rel = path_text(rel_path);
        let (dir, name) = FolderNo::split(&rel);
        let mut file = OrderFile {
            folder,
            archived,
            id: None,
            fields: Fields::default(),
            dir,
            unusual: None,
            modified: Modified::NONE,
        };
        // The plain reader first: what it reads nests far less than the limit below.
        if !keep_mapping && let Some(values) = plain_yaml::read(bytes, &OrderFile::KEYS_READ) {
            let problem;
            (file.id, problem, file.fields) = OrderFile::said(name, &values[..]);
            file.set_problem(problem);
            return file;
        }
        file.fields = Fields::default().with_tail(name);
        let rel_path = std::path::Path::new(name);
        // Refused before the parser sees it, in one linear pass: the parser's time
        // grows with the depth.
        if nesting::deeper_than(bytes, nesting::MAX_DEPTH) {
            file.id = OrderFile::stem_id(rel_path);
            file.set_problem(Some(
                format!(
                    "nested deeper than {} levels: not parsed",
                    nesting::MAX_DEPTH
                )
                .into(),
            ));
            return file;
        }
        let map = match serde_yaml::from_slice(bytes) {
            Ok(Value::Mapping(map)) => map,
            Ok(_) => {
                file.id = OrderFile::stem_id(rel_path);
                file.set_problem(Some("not a YAML mapping".into()));
                return file;
            }
            Err(e) => {
                file.id = OrderFile::stem_id(rel_path);
                file.set_problem(Some(
                    format!("unparsable YAML: {}", printable(&e.to_string())).into(),
                ));
                return file;
            }
        };
        let problem;
        (file.id, problem, file.fields) = OrderFile::said(name, &map);
        file.set_problem(problem);
        if keep_mapping {
            file.unusual.get_or_insert_default().doc = Some(Box::new(map));
        }
        file
    }

    /// The id, problem and fields (the name after them) `map` gives a file named
    /// `name`: the one place they are taken from a mapping, whichever reader read it.
    /// Reads only [`OrderFile::KEYS_READ`].
    fn said(
        name: &str,
        map: &(impl TopLevel + ?Sized),
    ) -> (Option<WoId>, Option<Box<str>>, Fields) {
        let rel_path = std::path::Path::new(name);
        let (id, problem) = match map.value("id") {
            Some(Value::String(s)) => match WoId::parse(s) {
                Ok(id) => (Some(id), None),
                Err(why) => (
                    OrderFile::stem_id(rel_path),
                    Some(format!("id is not a valid WO id: {why}").into()),
                ),
            },
            Some(_) => (
                OrderFile::stem_id(rel_path),
                Some("`id:` is not a string".into()),
            ),
            None => (OrderFile::stem_id(rel_path), Some("no `id:` key".into())),
        };
        (id, problem, Fields::of(map, name))
    }

    /// A file known from a cache: what it says, without its bytes. It is in `dir`, and
    /// its `fields` hold its name after them (see [`Fields::tail`]), as
    /// [`ParseCache::take`] gives them.
    ///
    /// [`ParseCache::take`]: crate::inventory::parse_cache::ParseCache::take
    pub fn of_fields(
        dir: FolderNo,
        folder: State,
        archived: bool,
        id: Option<WoId>,
        problem: Option<Box<str>>,
        fields: Fields,
    ) -> OrderFile {
        let mut file = OrderFile {
            folder,
            archived,
            id,
            fields,
            dir,
            unusual: None,
            modified: Modified::NONE,
        };
        file.set_problem(problem);
        file
    }

    /// Change what [`Unusual`] holds, keeping no empty one.
    fn edit_unusual(&mut self, edit: impl FnOnce(&mut Unusual)) {
        let u = self.unusual.get_or_insert_default();
        edit(u);
        if u.is_empty() {
            self.unusual = None;
        }
    }

    /// A file over [`MAX_YAML_BYTES`]: reported, never read.
    /// A file `<jobs>/<state>/<name>` holding `yaml`, for tests of views, which are
    /// pure functions of the inventory and are tested without git.
    #[cfg(test)]
    pub fn in_folder(state: State, name: &str, yaml: &str) -> OrderFile {
        let rel = PathBuf::from(format!("_ctx/jobs/{state}/{name}"));
        OrderFile::parse(rel, state, false, yaml.as_bytes())
    }

    pub fn too_large(rel_path: PathBuf, folder: State, archived: bool, size: u64) -> OrderFile {
        let why =
            format!("{size} bytes: larger than the {MAX_YAML_BYTES}-byte limit for a WO: not read");
        OrderFile::unreadable(rel_path, folder, archived, why)
    }

    /// The id a file's name gives it: its identity when its `id:` cannot be read.
    pub fn stem_id(rel_path: &std::path::Path) -> Option<WoId> {
        rel_path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| WoId::parse(s).ok())
    }

    /// A file that could not be read at all (too large, not a regular file…).
    pub fn unreadable(rel_path: PathBuf, folder: State, archived: bool, why: String) -> OrderFile {
        let id = OrderFile::stem_id(&rel_path);
        let rel = path_text(rel_path);
        let (dir, name) = FolderNo::split(&rel);
        OrderFile {
            folder,
            archived,
            id,
            unusual: Some(Box::new(Unusual {
                problem: Some(why.into()),
                ..Unusual::default()
            })),
            fields: Fields::default().with_tail(name),
            dir,
            modified: Modified::NONE,
        }
    }

    /// Why the file is not a usable WO (`invalid_yaml`), if it is not.
    pub fn problem(&self) -> Option<&str> {
        self.unusual.as_ref()?.problem.as_deref()
    }

    /// The parsed mapping, when the file was read in full (lint reads every key).
    pub fn doc(&self) -> Option<&serde_yaml::Mapping> {
        self.unusual.as_ref()?.doc.as_deref()
    }

    /// Say why the file is not a usable WO (`None`: it is one).
    pub fn set_problem(&mut self, problem: Option<Box<str>>) {
        if problem.is_some() || self.unusual.is_some() {
            self.edit_unusual(|u| u.problem = problem);
        }
    }

    /// The bytes as read (empty when the file could not be read, or was read for the
    /// views only): operations work on these, never on a second read of the file.
    pub fn bytes(&self) -> &[u8] {
        self.unusual.as_ref().map_or(&[], |u| &u.bytes)
    }

    fn set_bytes(&mut self, bytes: Box<[u8]>) {
        if !bytes.is_empty() || self.unusual.is_some() {
            self.edit_unusual(|u| u.bytes = bytes);
        }
    }

    /// Modification time (working-tree files only).
    pub fn modified(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.modified.get()
    }

    pub fn set_modified(&mut self, modified: Option<chrono::DateTime<chrono::Utc>>) {
        self.modified = Modified::of(modified);
    }

    /// [`OrderFile::set_modified`] from nanoseconds since the epoch (what the parse
    /// cache's stamps hold), without a date made of them and taken apart again.
    pub fn set_modified_ns(&mut self, ns: i64) {
        self.modified = Modified(ns.max(i64::MIN + 1));
    }

    /// The modification time as nanoseconds since the epoch, as held (what the parse
    /// cache's stamp of the file says, for a file it stamped).
    pub fn modified_ns(&self) -> Option<i64> {
        (self.modified != Modified::NONE).then_some(self.modified.0)
    }

    /// Path relative to the control checkout, e.g. `_ctx/jobs/running/WO-0042.yaml`.
    pub fn rel_path(&self) -> PathBuf {
        PathBuf::from(self.rel_text())
    }

    /// [`OrderFile::rel_path`] as text.
    pub fn rel_text(&self) -> String {
        self.dir.join(self.fields.tail())
    }

    /// The folder it is in, by number, and its name there (its path, split).
    pub fn dir_and_name(&self) -> (FolderNo, &str) {
        (self.dir, self.fields.tail())
    }

    /// The bytes as text, when they are UTF-8.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(self.bytes()).ok()
    }

    /// Usable live state: parsed, valid id, not archived.
    pub fn is_live(&self) -> bool {
        !self.archived && self.problem().is_none() && self.id.is_some()
    }

    /// A copy of its WO in a state folder, readable or not: not archived, and with an
    /// id (its `id:`, or its stem when that is unreadable). SPEC §1: an unreadable copy
    /// still counts in split-brain and duplicate checks.
    pub fn counts_as_copy(&self) -> bool {
        !self.archived && self.id.is_some()
    }

    /// `status:` as a state, or the raw text when it is not one.
    pub fn status(&self) -> Result<State, Option<String>> {
        match self.fields.status() {
            Some(s) => State::parse(s).ok_or_else(|| Some(s.to_owned())),
            None => Err(None),
        }
    }

    pub fn title(&self) -> String {
        self.fields.title().unwrap_or_default().to_owned()
    }

    pub fn branch(&self) -> Option<String> {
        self.fields.branch().map(str::to_owned)
    }

    pub fn worktree(&self) -> Option<String> {
        self.fields.worktree().map(str::to_owned)
    }

    /// `owner:` (cached).
    pub fn owner(&self) -> Option<String> {
        self.fields
            .get(Field::Owner)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned)
    }

    pub fn started_at(&self) -> Option<String> {
        self.fields.started_at().map(str::to_owned)
    }

    pub fn finished_at(&self) -> Option<String> {
        self.fields.finished_at().map(str::to_owned)
    }

    /// `scope:` when it names a glob (at every depth: it is one of the [`Fields`]);
    /// `None`: every path is in scope.
    pub fn scope(&self) -> Option<crate::model::scope::Scope> {
        crate::model::scope::Scope::decode(self.fields.get(Field::Scope)?)
    }

    /// `dependencies:` as strings (read in full only: empty otherwise).
    /// `dependencies:` (from the mapping when read in full, else from the cached fields).
    pub fn dependencies(&self) -> Vec<String> {
        match &self.doc() {
            Some(d) => string_list(d.get("dependencies")),
            None => self
                .fields
                .get(Field::Dependencies)
                .map(|t| {
                    t.lines()
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// `priority:` (cached).
    pub fn priority(&self) -> Option<String> {
        self.fields.priority().map(str::to_owned)
    }

    /// `epic_id:` (cached).
    pub fn epic(&self) -> Option<String> {
        self.fields.epic().map(str::to_owned)
    }

    /// `verify.commands` (read in full only: empty otherwise).
    pub fn verify_commands(&self) -> Vec<String> {
        let verify = self.doc().and_then(|d| d.get("verify"));
        string_list(verify.and_then(|v| v.get("commands")))
    }
}

fn scalar(v: &Value) -> Option<std::borrow::Cow<'_, str>> {
    match v {
        Value::String(s) => Some(s.as_str().into()),
        Value::Number(n) => Some(n.to_string().into()),
        Value::Bool(b) => Some(b.to_string().into()),
        _ => None,
    }
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(scalar)
            .map(|s| s.into_owned())
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> OrderFile {
        OrderFile::parse(
            "_ctx/jobs/pending/WO-0001.yaml".into(),
            State::Pending,
            false,
            text.as_bytes(),
        )
    }

    #[test]
    fn fields_read_back_whatever_the_size_of_their_text() {
        let long = "t".repeat(70_000);
        for title in ["short", long.as_str()] {
            let mut values: [Option<&str>; Field::COUNT] = [None; Field::COUNT];
            values[Field::Status as usize] = Some("pending");
            values[Field::Title as usize] = Some(title);
            values[Field::ClosedAt as usize] = Some("2026-12-04");
            let f = Fields::new(values);
            let short = f.list.is_short();
            assert_eq!(short, title.len() < 65_536);
            for field in Field::ALL {
                assert_eq!(f.get(field), values[field as usize], "{field:?}");
            }
            assert_eq!(f.clone(), Fields::new(values));
        }
        assert_eq!(Fields::new([None; Field::COUNT]), Fields::default());
    }

    #[test]
    fn bytes_are_kept_for_operations_and_dropped_for_views() {
        let yaml = "id: WO-0001\nstatus: pending\n";
        let rel = PathBuf::from("_ctx/jobs/pending/WO-0001.yaml");
        let file = OrderFile::parse_without_mapping(
            rel.clone(),
            State::Pending,
            false,
            yaml.as_bytes().to_vec(),
        );
        assert_eq!(file.bytes(), yaml.as_bytes());
        assert_eq!(file.text(), Some(yaml));
        let views = OrderFile::parse_for_views(rel.clone(), State::Pending, false, yaml.as_bytes());
        assert!(views.bytes().is_empty());
        // Nothing unusual is left: no allocation of its own.
        assert!(views.unusual.is_none());
        assert_eq!(views.fields.status(), Some("pending"));
        // A problem and the bytes are held together, and the problem without them.
        let bad =
            OrderFile::parse_without_mapping(rel.clone(), State::Pending, false, b"- a\n".to_vec());
        assert_eq!(bad.problem(), Some("not a YAML mapping"));
        assert_eq!(bad.bytes(), b"- a\n");
        let bad = OrderFile::parse_for_views(rel, State::Pending, false, b"- a\n");
        assert_eq!(bad.problem(), Some("not a YAML mapping"));
        assert!(bad.bytes().is_empty());
    }

    #[test]
    fn a_modification_time_reads_back_as_set_to_the_nanosecond() {
        let mut file = parse("id: WO-0001\n");
        assert_eq!(file.modified(), None);
        for nanos in [0, 1, -1, 1_796_360_504_195_667_857, i64::MAX] {
            let t = chrono::DateTime::from_timestamp_nanos(nanos);
            file.set_modified(Some(t));
            assert_eq!(file.modified(), Some(t), "{nanos}");
        }
        // Outside what an i64 of nanoseconds holds: the nearest it holds, never none.
        // (Year 3000, then year 1600.)
        let far = chrono::DateTime::from_timestamp(32_503_680_000, 0);
        assert!(far.is_some());
        file.set_modified(far);
        assert_eq!(
            file.modified(),
            Some(chrono::DateTime::from_timestamp_nanos(i64::MAX))
        );
        let early = chrono::DateTime::from_timestamp(-11_676_096_000, 0);
        assert!(early.is_some());
        file.set_modified(early);
        assert_eq!(
            file.modified(),
            Some(chrono::DateTime::from_timestamp_nanos(i64::MIN + 1))
        );
        // From nanoseconds (the parse cache's stamps), as from the date they make.
        let mut by_date = parse("id: WO-0001\n");
        for nanos in [0, 1, -1, 1_796_360_504_195_667_857, i64::MAX, i64::MIN] {
            file.set_modified_ns(nanos);
            by_date.set_modified(Some(chrono::DateTime::from_timestamp_nanos(nanos)));
            assert_eq!(file.modified_ns(), by_date.modified_ns(), "{nanos}");
            assert_ne!(file.modified(), None, "{nanos}");
        }
        file.set_modified(None);
        assert_eq!(file.modified(), None);
    }

    #[test]
    fn a_files_name_follows_its_fields_and_its_folder_is_a_number() {
        let mut values: [Option<&str>; Field::COUNT] = [None; Field::COUNT];
        values[Field::Status as usize] = Some("pending");
        values[Field::ClosedAt as usize] = Some("2026-12-04");
        let bare = Fields::new(values);
        assert_eq!(bare.tail(), "");
        let path = "_ctx/jobs/pending/WO-0001.yaml";
        let with = bare.clone().with_tail(path);
        assert_eq!(with.tail(), path);
        for field in Field::ALL {
            assert_eq!(with.get(field), values[field as usize], "{field:?}");
        }
        assert_eq!(Fields::new_with_tail(values, path), with);
        assert_eq!(with.copied_with_tail("x").tail(), "x");
        // Already there: the same buffer, not a copy.
        let at = with.tail().as_ptr();
        assert_eq!(with.with_tail(path).tail().as_ptr(), at);
        let file = OrderFile::in_folder(State::Done, "WO-0007.yaml", "id: WO-0007\nclosed_at: x\n");
        assert_eq!(
            file.rel_path(),
            std::path::Path::new("_ctx/jobs/done/WO-0007.yaml")
        );
        assert_eq!(file.fields.get(Field::ClosedAt), Some("x"));
        let bad = OrderFile::in_folder(State::Done, "WO-0008.yaml", "id: [\n");
        assert_eq!(
            bad.rel_path(),
            std::path::Path::new("_ctx/jobs/done/WO-0008.yaml")
        );
        let gone = OrderFile::unreadable("a/WO-0009.yaml".into(), State::Done, false, "x".into());
        assert_eq!(gone.rel_path(), std::path::Path::new("a/WO-0009.yaml"));
        // Only the name is in the buffer; the folder is a number, the same for all.
        for f in [&file, &bad] {
            let (dir, name) = f.dir_and_name();
            assert_eq!((dir.dir(), f.fields.tail()), ("_ctx/jobs/done", name));
        }
        assert_eq!(file.dir_and_name().0, bad.dir_and_name().0);
        let top = OrderFile::unreadable("WO-0010.yaml".into(), State::Done, false, "x".into());
        assert_eq!(
            (top.rel_text(), top.fields.tail()),
            ("WO-0010.yaml".into(), "WO-0010.yaml")
        );
    }

    #[test]
    fn keys_read_are_the_id_and_the_fields() {
        let mut keys = vec!["id"];
        keys.extend(Field::ALL.map(Field::key));
        assert_eq!(OrderFile::KEYS_READ.to_vec(), keys);
    }

    #[test]
    fn identity_is_the_id_field() {
        let f = OrderFile::parse(
            "_ctx/jobs/done/WO-0008_job.yaml".into(),
            State::Done,
            false,
            b"id: WO-0008\nstatus: done\n",
        );
        assert_eq!(f.id.as_ref().map(|i| i.as_str()), Some("WO-0008"));
        assert!(f.is_live());
    }

    #[test]
    fn stem_is_the_fallback() {
        let f = parse("id: [unclosed");
        assert_eq!(f.id.as_ref().map(|i| i.as_str()), Some("WO-0001"));
        assert!(f.problem().unwrap_or("").contains("unparsable"));
        assert!(!f.is_live());
    }

    #[test]
    fn hostile_ids_are_problems() {
        for bad in ["WO-../../x", "WO-a.lock", "WO-"] {
            let f = parse(&format!("id: '{bad}'\nstatus: pending\n"));
            assert!(f.problem().is_some(), "{bad}");
            // The hostile id is never the WO's identity; the file's stem is (SPEC §1).
            assert_eq!(f.id.as_ref().map(|i| i.as_str()), Some("WO-0001"), "{bad}");
            assert!(!f.is_live());
        }
        assert!(parse("- a\n- b\n").problem().unwrap().contains("mapping"));
        assert!(
            OrderFile::parse("x".into(), State::Done, false, b"title: \xff\xfe\n")
                .problem()
                .is_some()
        );
    }

    #[test]
    fn fields() {
        let f = parse(
            "id: WO-0001\nversion: 1\nstatus: pending\ndependencies: [WO-0002]\nverify:\n  commands: [\"true\"]\n",
        );
        assert_eq!(f.fields.title(), None);
        let all = Fields::new([
            Some("running"),
            Some(""),
            None,
            Some("../wt"),
            None,
            Some("x"),
            Some("DOD-A"),
            None,
            Some("P1"),
            None,
            Some("WO-0002\nWO-0003"),
            Some("alice"),
            None,
            Some("2026-01-01T00:00:00Z"),
        ]);
        assert_eq!(all.status(), Some("running"));
        assert_eq!(all.title(), Some(""));
        assert_eq!(all.branch(), None);
        assert_eq!(all.worktree(), Some("../wt"));
        assert_eq!(all.started_at(), None);
        assert_eq!(all.finished_at(), Some("x"));
        assert_eq!(all.dod_id(), Some("DOD-A"));
        assert_eq!(all.get(Field::Priority), Some("P1"));
        assert_eq!(all.get(Field::Owner), Some("alice"));
        assert_eq!(all.get(Field::ClosedAt), Some("2026-01-01T00:00:00Z"));
        assert_eq!(Fields::new([None; Field::COUNT]), Fields::default());
        assert_eq!(f.status(), Ok(State::Pending));
        assert_eq!(f.dependencies(), vec!["WO-0002".to_string()]);
        assert_eq!(f.verify_commands(), vec!["true".to_string()]);
    }
}
