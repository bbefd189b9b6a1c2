//! One inventory, many views: every fact the views need (WO files, `.lock` files,
//! records, markers, worktrees, verdicts) gathered once into plain data. `audit`,
//! `check`, `lint`, `list` and the lifecycle commands are functions of it.

pub mod backlog;
mod cache_hits;
mod candidate;
pub mod claims;
pub mod clone_id;
pub mod dod;
mod folder_share;
pub mod here;
pub mod history;
pub mod holder;
pub mod hooks;
pub mod line_format;
mod line_reader;
pub mod marker_copies;
pub mod markers;
pub mod object_cache;
pub mod ownership;
pub mod parse_cache;
mod prefetch;
pub mod record_cache;
pub mod record_history;
pub mod records;
pub mod ref_or_box;
pub mod scope;
pub mod stored;
pub mod streamed_file;
pub mod sync_conflicts;
pub mod wo_map;
pub mod wo_view;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};

use crate::error::WoError;
use crate::folder_entries::{EntryType, FolderEntries};
use crate::git::Repo;
use crate::git::repo::CanonicalPaths;
use crate::git::tree_source::{BlobEntry, Content, SourceFile};
use crate::git::worktrees::{self, Worktree};
use crate::model::folder_no::FolderNo;
use crate::model::lockfile::{LockFile, classify_lock_name};
use crate::model::order::{MAX_YAML_BYTES, OrderFile};
use crate::model::repo_lock::Holder as RepoLockHolder;
use crate::model::short_text::ShortText;
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::regular::Regular;
use cache_hits::{Early, FolderTake, Taken};
use candidate::{Candidate, Dirs, Runs};
use folder_share::{Closing, FolderShare, Then};
use parse_cache::{BlobCache, BlobUse, KeptStamp, ParseCache, Parsed, Stamp};
use prefetch::Prefetch;
use records::{Records, Unreadable};
pub use wo_map::WoMap;
use wo_map::WoMapBuilder;
pub use wo_view::WoView;

/// How much of each WO file a command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// The [`Fields`](crate::model::order::Fields) the views read, from the parse cache
    /// where the file is unchanged: audit, check, list, show, status.
    Fields,
    /// Every file read, its bytes and mapping kept: lint and every state change.
    Full,
    /// Every file read, its bytes kept but not its mapping: `init`, which imports
    /// every WO's bytes (at 100,000 WOs the mappings were most of a gigabyte).
    Bytes,
}

/// Where the WO YAML files are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    WorkingTree,
    /// The index of the control checkout (what is about to be committed).
    Index,
    /// The index file a commit in progress is made from (`GIT_INDEX_FILE` in a hook).
    IndexFile(PathBuf),
    /// A commit or tree.
    Tree(String),
}

#[derive(Debug)]
pub struct Inventory {
    pub control_root: PathBuf,
    pub common_dir: PathBuf,
    /// The jobs dir relative to the control checkout (`_ctx/jobs`).
    pub jobs_rel: String,
    pub git_head: Option<String>,
    pub now: DateTime<Utc>,
    pub lease: Duration,
    pub branch_prefix: String,
    pub initialized: bool,
    pub source: Source,
    /// Every YAML file found in the state folders, archives and unusable ones included.
    pub files: Vec<OrderFile>,
    pub locks: Vec<LockFile>,
    /// `running/<ID>.lock` paths that are a directory or a symlink: (id, path, what).
    pub odd_locks: Vec<OddLock>,
    /// What a killed process leaves: git-wo temp files (in state folders and in
    /// `<git-common-dir>/wo/`) whose writer is gone, and git ref locks (`refs/**.lock`,
    /// `packed-refs.lock`) older than a minute.
    pub leftovers: Vec<Leftover>,
    /// When the youngest temp file or ref lock not yet a leftover becomes one (a
    /// minute after it was last modified): views cached over time end there.
    pub leftovers_due: Option<DateTime<Utc>>,
    pub records: Records,
    pub bad_records: Vec<Unreadable>,
    pub worktrees: Vec<Worktree>,
    /// The admin dirs of worktree registrations a killed `git worktree add` left half
    /// made (no `HEAD`; see [`crate::git::half_made`]).
    pub half_made: BTreeSet<PathBuf>,
    /// Ids with an `[ID] intent:` marker.
    pub intent_marked: BTreeSet<String>,
    /// Ids whose `_ctx/logs/<ID>/verdict.json` says FAIL.
    pub fail_verdicts: BTreeSet<String>,
    /// Ids whose in-flight transition belongs to a dead process on this host.
    pub dead_transitions: BTreeSet<String>,
    /// The hooks as installed.
    pub hooks: hooks::HookFacts,
    /// This clone's id (see [`clone_id::clone_id`]).
    pub clone_id: Option<String>,
    /// `<git-common-dir>/wo/repo.lock`, when there is one (`stale_repo_lock`).
    pub repo_lock: Option<RepoLockFile>,
    /// The Definition of Done catalog (`_ctx/dod/`), empty when there is none.
    pub dod: crate::model::dod::Catalog,
    /// The backlog (`_ctx/backlog/backlog.yaml`), for the epic check.
    pub backlog: crate::model::backlog::Backlog,
    /// By id: what the branch of a running WO with a scope changes (`out_of_scope`).
    pub branch_changes: std::collections::BTreeMap<String, scope::BranchChanges>,
    /// What the last `git wo sync` found diverged and nobody resolved since
    /// ([`sync_conflicts::standing`]).
    pub sync_conflicts: Vec<crate::model::sync_conflict::SyncConflict>,
}

/// A file a killed process left (`leftover_file`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Leftover {
    /// Relative to the control checkout (a state folder's), or absolute (in the git dir).
    pub path: PathBuf,
    pub kind: LeftoverKind,
    /// Why it counts as left behind: whose it was and that its writer is gone, or its age.
    pub why: String,
    /// Seconds since it was last modified.
    pub age_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LeftoverKind {
    /// git-wo's own temp file: reconcile moves it to quarantine.
    Temp,
    /// A lock git itself takes to update a ref: a person removes it.
    RefLock,
    /// A ref lock only git-wo takes, its holder gone: a lock of a ref under `refs/wo/`
    /// or `refs/notes/wo` (no other tool writes those), or an empty `packed-refs.lock`
    /// (the lock gix holds, with nothing written, while a compare-and-swap update
    /// reads `packed-refs`; git's own writers fill it at once). Older than a minute,
    /// where a live holder takes milliseconds: reconcile moves it to quarantine, which
    /// loses nothing (the file holds no ref value, or only the value of an update that
    /// never landed).
    OwnRefLock,
}

/// How long ago `secs` seconds is, in words.
pub fn age_words(secs: u64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

/// `<git-common-dir>/wo/repo.lock` as found: who holds it, and whether anyone can.
#[derive(Debug, Clone)]
pub struct RepoLockFile {
    pub path: PathBuf,
    pub holder: RepoLockHolder,
    /// What it is when it is not a regular file (never read, never taken over).
    pub not_a_file: Option<&'static str>,
    /// Why nothing holds it, when nothing does (see [`RepoLockHolder::stale`]).
    pub stale: Option<String>,
}

/// Read the repository lock in `wo_dir` (`None`: there is none). Only a regular file
/// is read; whether its holder lives is judged here, on this host.
pub fn read_repo_lock(wo_dir: &Path) -> Option<RepoLockFile> {
    let path = wo_dir.join(crate::model::repo_lock::FILE);
    let (holder, not_a_file, modified) = match crate::regular::read(&path, 4096) {
        Ok(Regular::Bytes(b, meta)) => (
            RepoLockHolder::parse(&String::from_utf8_lossy(&b)),
            None,
            meta.modified().ok(),
        ),
        Ok(Regular::TooLarge(_, meta)) => (RepoLockHolder::default(), None, meta.modified().ok()),
        Ok(Regular::Not(what)) => (RepoLockHolder::default(), Some(what), None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(_) => (
            RepoLockHolder::default(),
            None,
            fs::symlink_metadata(&path).and_then(|m| m.modified()).ok(),
        ),
    };
    let stale = match (not_a_file, modified) {
        (None, Some(t)) => {
            let age = std::time::SystemTime::now()
                .duration_since(t)
                .unwrap_or_default();
            holder.stale(age, &crate::host::hostname(), crate::host::pid_alive)
        }
        _ => None,
    };
    Some(RepoLockFile {
        path,
        holder,
        not_a_file,
        stale,
    })
}

/// The facts [`Inventory::gather_git`] reads: everything that does not depend on the
/// WO files, read while another thread lists and reads them.
struct GitFacts {
    records: Records,
    bad_records: Vec<Unreadable>,
    ref_leftovers: (Vec<Leftover>, Option<DateTime<Utc>>),
    worktrees: Vec<Worktree>,
    half_made: BTreeSet<PathBuf>,
    intent_marked: BTreeSet<String>,
    git_head: Option<String>,
    hooks: hooks::HookFacts,
    clone_id: Option<String>,
    repo_lock: Option<RepoLockFile>,
    dod: crate::model::dod::Catalog,
    backlog: crate::model::backlog::Backlog,
}

/// The facts drawn from the WO files and the repository facts together, once both
/// are read.
struct Derived {
    locks: Vec<LockFile>,
    odd_locks: Vec<OddLock>,
    leftovers: Vec<Leftover>,
    leftovers_due: Option<DateTime<Utc>>,
    fail_verdicts: BTreeSet<String>,
    dead_transitions: BTreeSet<String>,
    branch_changes: std::collections::BTreeMap<String, scope::BranchChanges>,
    sync_conflicts: Vec<crate::model::sync_conflict::SyncConflict>,
}

impl Inventory {
    /// Gather everything. `source` says where WO YAML is read from; locks, records,
    /// worktrees and markers always come from the repository as it is now. `depth`
    /// says whether every file is read in full or known from the parse cache.
    pub fn gather(repo: &Repo, source: Source, depth: Depth) -> Result<Inventory> {
        let _t = crate::trace::phase("gather");
        let now = crate::clock::now();
        let jobs_rel = repo.jobs_rel();
        let (files, facts) = Self::read_files_and_facts(repo, &source, &jobs_rel, depth, now);
        let (files, others) = files?;
        let GitFacts {
            records,
            bad_records,
            ref_leftovers,
            worktrees,
            half_made,
            intent_marked,
            git_head,
            hooks,
            clone_id,
            repo_lock,
            dod,
            backlog,
        } = facts?;
        let Derived {
            locks,
            odd_locks,
            leftovers,
            leftovers_due,
            fail_verdicts,
            dead_transitions,
            branch_changes,
            sync_conflicts,
        } = crate::trace::timed("gather: derive", || {
            derive(
                repo,
                &jobs_rel,
                now,
                (&files, &others),
                &records,
                ref_leftovers,
            )
        });
        Ok(Inventory {
            control_root: repo.control_root.clone(),
            common_dir: repo.common_dir.clone(),
            jobs_rel,
            git_head,
            now,
            lease: repo.config.lease,
            branch_prefix: repo.config.branch_prefix.clone(),
            initialized: repo.config.initialized,
            source,
            files,
            locks,
            odd_locks,
            leftovers,
            leftovers_due,
            records,
            bad_records,
            worktrees,
            half_made,
            intent_marked,
            fail_verdicts,
            dead_transitions,
            hooks,
            clone_id,
            repo_lock,
            dod,
            backlog,
            branch_changes,
            sync_conflicts,
        })
    }

    /// The jobs dir's files and the repository's facts. The working tree's files are
    /// read on a thread of their own while this one reads records, markers, worktrees
    /// and the rest of the repository's facts.
    fn read_files_and_facts(
        repo: &Repo,
        source: &Source,
        jobs_rel: &str,
        depth: Depth,
        now: DateTime<Utc>,
    ) -> (Result<JobsDirFiles>, Result<GitFacts>) {
        let root = repo.control_root.clone();
        let wo_dir = repo.wo_dir();
        let warm_read = *source == Source::WorkingTree && depth == Depth::Fields;
        let prefetched = PREFETCH
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .and_then(|p| p.adopt(&prefetch::Place::new(&root, jobs_rel, &wo_dir), warm_read));
        if let Some(prefetched) = prefetched {
            let facts = Self::gather_git(repo, now);
            prefetched.shared.help();
            return (prefetched.join(), facts);
        }
        // (The folders still to list when the facts are read are listed here too.)
        let share = ListingShare::default();
        std::thread::scope(|scope| {
            let on_disk = (*source == Source::WorkingTree).then(|| {
                crate::placement::spawn(scope, || {
                    read_jobs_dir(&root, jobs_rel, &wo_dir, depth, &share, None)
                })
            });
            let facts = Self::gather_git(repo, now);
            let files = match on_disk {
                Some(handle) => {
                    share.help();
                    crate::parallel::join(handle)
                }
                None => read_source(repo, source, jobs_rel, depth),
            };
            (files, facts)
        })
    }

    /// What comes from the repository rather than the jobs dir.
    fn gather_git(repo: &Repo, now: DateTime<Utc>) -> Result<GitFacts> {
        let _t = crate::trace::phase("gather: git");
        let mut cache = crate::inventory::object_cache::ObjectCache::load(&repo.wo_dir());
        let t = crate::trace::phase("gather: records");
        let (stored, bad_records) = records::read_all(repo)?;
        let records = Records::new(stored);
        drop(t);
        let t = crate::trace::phase("gather: leftovers");
        let (mut found, ref_due) = read_ref_leftovers(&repo.common_dir, now);
        let (wo_found, wo_due) = wo_dir_leftovers(&repo.wo_dir(), now);
        found.extend(wo_found);
        let ref_leftovers = (found, earliest(ref_due, wo_due));
        drop(t);
        let t = crate::trace::phase("gather: worktrees");
        let worktrees = worktrees::list(&repo.common_dir, &repo.control_root);
        let half_made = worktrees
            .iter()
            .filter(|w| w.head == worktrees::Head::Unknown)
            .filter(|w| crate::git::half_made::is_half_made(w))
            .map(|w| w.admin_dir.clone())
            .collect();
        drop(t);
        let t = crate::trace::phase("gather: markers");
        let intent_marked = markers::intent_ids(repo, &mut cache)?;
        drop(t);
        cache.save();
        let _t = crate::trace::phase("gather: the rest");
        Ok(GitFacts {
            records,
            bad_records,
            ref_leftovers,
            worktrees,
            half_made,
            intent_marked,
            git_head: repo.head_sha(),
            hooks: hooks::HookFacts::read(repo),
            clone_id: clone_id::clone_id(&repo.common_dir),
            repo_lock: read_repo_lock(&repo.wo_dir()),
            dod: dod::read(&repo.control_root),
            backlog: backlog::read(&repo.control_root),
        })
    }

    /// An inventory of just these files, with no git behind it: for views tested as
    /// the pure functions they are. Add records, locks or worktrees by setting fields.
    pub fn from_files(control_root: &Path, files: Vec<OrderFile>, now: DateTime<Utc>) -> Inventory {
        Inventory {
            control_root: control_root.to_path_buf(),
            common_dir: control_root.join(".git"),
            jobs_rel: "_ctx/jobs".into(),
            git_head: None,
            now,
            lease: Duration::hours(2),
            branch_prefix: "feat/wo-".into(),
            initialized: false,
            source: Source::WorkingTree,
            files,
            locks: Vec::new(),
            odd_locks: Vec::new(),
            leftovers: Vec::new(),
            leftovers_due: None,
            records: Records::default(),
            bad_records: Vec::new(),
            worktrees: Vec::new(),
            half_made: BTreeSet::new(),
            intent_marked: BTreeSet::new(),
            fail_verdicts: BTreeSet::new(),
            dead_transitions: BTreeSet::new(),
            hooks: hooks::HookFacts::default(),
            clone_id: None,
            repo_lock: None,
            dod: crate::model::dod::Catalog::default(),
            backlog: crate::model::backlog::Backlog::Absent,
            branch_changes: Default::default(),
            sync_conflicts: Vec::new(),
        }
    }

    /// The inventory a state change of `id` starts from (finish, requeue): every file
    /// read in full; `Err` with nothing changed when `id`'s record cannot be read or its
    /// `.lock` path is a folder or a link.
    pub fn for_change(repo: &Repo, id: &WoId) -> Result<Inventory> {
        let inv = Inventory::gather(repo, Source::WorkingTree, Depth::Full)?;
        inv.refuse_bad_record(id)?;
        inv.refuse_odd_lock(id)?;
        Ok(inv)
    }

    /// `Err(invalid_record)` when `id`'s record ref cannot be read.
    pub fn refuse_bad_record(&self, id: &WoId) -> Result<()> {
        let name = crate::inventory::records::ref_name(id.as_str());
        match self.bad_records.iter().find(|b| b.ref_name == name) {
            Some(bad) => Err(WoError::bad_record(id.as_str(), &bad.why).into()),
            None => Ok(()),
        }
    }

    /// `Err` (bad input, nothing changed) when `id`'s `.lock` path is a directory or a
    /// symlink: no command deletes or follows it.
    pub fn refuse_odd_lock(&self, id: &WoId) -> Result<()> {
        match self.odd_locks.iter().find(|(i, _, _)| i == id) {
            Some((_, path, what)) => {
                let path = self.rel(path);
                Err(WoError::usage(format!(
                    "{id}: {path} is {what}, not a lock file; nothing was changed"
                ))
                .fix(format!(
                    "look at it, then move it out of the jobs dir: mv -- {} /tmp/",
                    crate::error::shell_quote(&path)
                ))
                .into())
            }
            None => Ok(()),
        }
    }

    /// Every id named by a WO file (archives included) or a record.
    pub fn known_ids(&self) -> BTreeSet<&str> {
        ids_named(&self.files, &self.records)
    }

    /// Every WO id with its facts: live files, lock, record, worktrees.
    pub fn wos(&self) -> WoMap<'_> {
        let (live, archived) = self.copies_by_id();
        let (groups, fileless) = self.views_of_copies(live);
        let mut map = WoMapBuilder::from_sorted(groups);
        for f in archived {
            if let Some(v) = f.id.as_ref().and_then(|id| map.existing(id.as_str())) {
                v.push_archived(f);
            }
        }
        for l in &self.locks {
            map.entry(&l.id).set_lock(l);
        }
        for s in fileless {
            if let Ok(id) = WoId::parse(s.record.id()) {
                map.entry(&id).record = Some(s);
            }
        }
        let mut contested = Vec::new();
        for o in self.ownerships() {
            let v = map.entry(&o.owner.id);
            v.push_worktree(o.worktree);
            if o.contested() {
                v.push_disputed(o.worktree);
                for r in &o.rivals {
                    map.entry(&r.id).push_disputed(o.worktree);
                }
                contested.push(o);
            }
        }
        let mut map = map.finish();
        map.contested = contested;
        map
    }

    /// The places in `files` of the copies (readable or not, not archived), in id order
    /// (a stable sort: a WO's copies stay in listing order, and listings are sorted, so
    /// this is mostly a merge of runs); and the readable archived copies.
    fn copies_by_id(&self) -> (Vec<u32>, Vec<&OrderFile>) {
        // (Places, not references: half the size, and the list is alive beside the
        // views at the peak of a run.) Sorted by each id's first eight bytes, which most
        // ids differ in, as a number: a comparison of two numbers instead of two texts
        // (at 100,000 WOs the sort took 3 ms, most of it comparing ids through their
        // files). The numbers are dropped before the views are made.
        let id_at = |i: u32| self.files.get(i as usize).and_then(|f| f.id.as_ref());
        let mut live: Vec<u32> = Vec::new();
        let mut archived: Vec<&OrderFile> = Vec::new();
        let keys: Vec<u64> = self
            .files
            .iter()
            .zip(0u32..)
            .map(|(f, i)| match &f.id {
                _ if f.archived && f.problem().is_none() => {
                    archived.push(f);
                    0
                }
                _ if f.archived => 0,
                Some(id) => {
                    live.push(i);
                    id.prefix_key()
                }
                None => 0,
            })
            .collect();
        let key = |i: u32| keys.get(i as usize).copied().unwrap_or(0);
        live.sort_by(|&a, &b| key(a).cmp(&key(b)).then_with(|| id_at(a).cmp(&id_at(b))));
        (live, archived)
    }

    /// One view for each id of the copies at `live` (in id order), holding them and the
    /// record of its id; and the records of ids with no copy.
    fn views_of_copies(&self, live: Vec<u32>) -> (Vec<WoView<'_>>, Vec<&stored::Stored>) {
        let mut views: Vec<WoView<'_>> = Vec::with_capacity(live.len());
        let mut last: Option<&WoId> = None;
        let copies = live.into_iter().filter_map(|i| {
            let f = self.files.get(i as usize)?;
            Some((f.id.as_ref()?, f))
        });
        // Records come sorted by id, as the views do: each meets its view as the view is
        // made (a second walk along the views took 2 ms at 100,000 WOs).
        let mut records = self.records.values().peekable();
        let mut fileless: Vec<&stored::Stored> = Vec::new();
        for (id, f) in copies {
            if last != Some(id) {
                let mut v = WoView::default();
                // (Each record's id read and compared once, not twice: at 100,000 WOs
                // a quarter fewer instructions making the views, 3% less time.)
                while let Some(s) = records.peek() {
                    match s.record.id().cmp(id.as_str()) {
                        std::cmp::Ordering::Less => fileless.push(s),
                        std::cmp::Ordering::Equal => {
                            v.record = records.next();
                            break;
                        }
                        std::cmp::Ordering::Greater => break,
                    }
                    records.next();
                }
                views.push(v);
                last = Some(id);
            }
            let Some(v) = views.last_mut() else {
                continue;
            };
            if f.is_live() {
                v.push_file(f);
            } else {
                v.push_unreadable(f);
            }
        }
        fileless.extend(records);
        (views, fileless)
    }

    /// A path as recorded in a YAML or record (relative to the control checkout), canonical.
    pub fn resolve(&self, recorded: &str) -> PathBuf {
        self.resolve_in(recorded, &mut CanonicalPaths::default())
    }

    /// [`Inventory::resolve`] for many paths, each folder canonicalized once.
    fn resolve_in(&self, recorded: &str, paths: &mut CanonicalPaths) -> PathBuf {
        let p = Path::new(recorded);
        if p.is_absolute() {
            paths.of(p)
        } else {
            paths.of(&self.control_root.join(p))
        }
    }

    /// The branch a WO's worktree should be on.
    pub fn expected_branch(&self, id: &WoId, view: &WoView<'_>) -> String {
        view.record
            .and_then(|s| s.record.branch().map(str::to_owned))
            .or_else(|| view.files().iter().find_map(|f| f.branch()))
            .unwrap_or_else(|| format!("{}{id}", self.branch_prefix))
    }

    /// When a running WO's lease ends: the record's lease, else the `.lock` stamp plus
    /// the default lease, else the YAML's `started_at` plus the lease.
    /// Whether `record` is held, with a live lease, by a take made in another clone of
    /// the shared remote: its worktree and `.lock` are there, and its YAML move
    /// reaches this clone with the next `git pull`.
    pub fn held_elsewhere(&self, record: &crate::model::record::Record) -> bool {
        record
            .live_lock(self.now)
            .and_then(|l| l.clone.as_deref())
            .is_some_and(|c| Some(c) != self.clone_id.as_deref())
    }

    pub fn lease_end(&self, view: &WoView<'_>) -> Option<DateTime<Utc>> {
        if let Some(lock) = view.record.and_then(|s| s.record.lock.as_ref()) {
            return Some(lock.expires_at);
        }
        if let Some(since) = view.lock().and_then(|l| l.since()) {
            return Some(since + self.lease);
        }
        view.file_in(State::Running)
            .and_then(|f| f.started_at())
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|t| t.with_timezone(&Utc) + self.lease)
    }

    /// Whether `view`'s record is mid-transition (taking, finishing) with nobody carrying
    /// it on: its lease expired, or the process that ran it on this host is gone.
    pub fn interrupted(&self, id: &WoId, view: &WoView<'_>) -> bool {
        view.record.is_some_and(|s| s.record.phase.in_flight())
            && (self.lease_end(view).is_none_or(|end| end <= self.now)
                || self.dead_transitions.contains(id.as_str()))
    }

    /// Path of a file relative to the control checkout, as text.
    pub fn rel(&self, p: impl AsRef<Path>) -> String {
        p.as_ref().to_string_lossy().into_owned()
    }

    /// A usage error naming the first of `ids` that has no live file (a command
    /// asked to look at WOs by id: lint, fmt).
    pub fn require_live(&self, ids: &[WoId]) -> Result<()> {
        for id in ids {
            if !self
                .files
                .iter()
                .any(|f| f.id.as_ref() == Some(id) && !f.archived)
            {
                return Err(
                    WoError::usage(format!("{id}: no YAML in {}", self.jobs_rel))
                        .fix("git wo list")
                        .into(),
                );
            }
        }
        Ok(())
    }
}

/// `id`'s facts in `wos` for a state change, or a usage error when it has neither a
/// YAML nor a record, or has a copy that cannot be read ([`refuse_unreadable`]).
pub fn existing<'m, 'a>(wos: &'m WoMap<'a>, id: &WoId) -> Result<&'m WoView<'a>> {
    let view = wos.get(id).ok_or_else(|| {
        anyhow::Error::from(WoError::usage(format!("{id}: no YAML, no record")).fix("git wo list"))
    })?;
    refuse_unreadable(id, view)?;
    Ok(view)
}

/// `Err` (bad input, exit 2, nothing changed) when `view` has a copy that cannot be
/// read: no state change acts on a WO while it has one (SPEC §1), so nobody takes,
/// finishes or requeues a WO whose running copy is, say, mid-merge.
pub fn refuse_unreadable(id: &WoId, view: &WoView<'_>) -> Result<()> {
    let Some(first) = view.unreadable().first() else {
        return Ok(());
    };
    let paths: Vec<String> = view
        .unreadable()
        .iter()
        .map(|f| f.rel_path().to_string_lossy().into_owned())
        .collect();
    Err(WoError::usage(format!(
        "{id}: {} cannot be read ({}); nothing acts on {id} until it can",
        paths.join(", "),
        first.problem().unwrap_or("invalid")
    ))
    .fix(format!(
        "fix {} by hand (resolve its conflict markers; it needs a valid id:), then: git wo lint {id}",
        paths
            .iter()
            .map(|p| crate::error::shell_quote(p))
            .collect::<Vec<_>>()
            .join(" ")
    ))
    .into())
}

/// Every id named by a WO file (archives included) or a record.
fn ids_named<'a>(files: &'a [OrderFile], records: &'a Records) -> BTreeSet<&'a str> {
    files
        .iter()
        .filter_map(|f| f.id.as_ref().map(|i| i.as_str()))
        .chain(records.keys())
        .collect()
}

/// The WO files of an index or a tree (`source` other than the working tree), and
/// the other entries of the working tree's state folders.
fn read_source(repo: &Repo, source: &Source, jobs_rel: &str, depth: Depth) -> Result<JobsDirFiles> {
    let root = &repo.control_root;
    let entries = match source {
        Source::WorkingTree => return Ok((Vec::new(), Vec::new())),
        Source::Index => repo.index_entries(jobs_rel)?,
        Source::IndexFile(path) => repo.index_file_entries(path, jobs_rel)?,
        Source::Tree(rev) => repo
            .tree_entries(rev, jobs_rel)
            .map_err(|e| crate::error::with_fix(e, "git wo check --tree HEAD"))?,
    };
    Ok((
        from_blobs(repo, entries, jobs_rel, depth),
        list_others(root, jobs_rel),
    ))
}

/// What the WO files and the repository's facts say together: the `.lock` files,
/// what killed processes left, FAIL verdicts of running WOs, transitions whose process
/// died here, what running WOs' branches change, and sync's standing conflicts.
fn derive(
    repo: &Repo,
    jobs_rel: &str,
    now: DateTime<Utc>,
    (files, others): (&[OrderFile], &[Other]),
    records: &Records,
    (ref_leftovers, refs_due): (Vec<Leftover>, Option<DateTime<Utc>>),
) -> Derived {
    // Whether an id is named by a file or a record, for the `.lock` files (a few):
    // the files' ids are sorted only when there is a lock to look up.
    let file_ids = std::cell::OnceCell::new();
    let known = |id: &str| {
        records.get(id).is_some()
            || file_ids
                .get_or_init(|| {
                    let mut ids: Vec<&str> = files
                        .iter()
                        .filter_map(|f| f.id.as_ref().map(|i| i.as_str()))
                        .collect();
                    ids.sort_unstable();
                    ids
                })
                .binary_search(&id)
                .is_ok()
    };
    let (locks, odd_locks) = read_locks(&repo.control_root, jobs_rel, &known, others);
    let (mut leftovers, jobs_due) = jobs_leftovers(&repo.control_root, others, now);
    leftovers.extend(ref_leftovers);
    let leftovers_due = earliest(jobs_due, refs_due);
    leftovers.sort();
    let running: BTreeSet<&str> = files
        .iter()
        .filter(|f| f.folder == State::Running && f.is_live())
        .filter_map(|f| f.id.as_ref().map(|i| i.as_str()))
        .collect();
    let logs = repo.control_root.join("_ctx/logs");
    let with_logs = log_folders(&logs);
    let fail_verdicts = running
        .iter()
        .filter(|id| {
            with_logs
                .as_ref()
                .is_none_or(|l| l.contains(std::ffi::OsStr::new(id)))
        })
        .filter(|id| verdict_is_fail(&logs.join(id).join("verdict.json")))
        .map(|s| s.to_string())
        .collect();
    let dead_transitions = records
        .values()
        .filter(|s| s.record.phase.in_flight())
        .filter(|s| {
            s.record
                .lock
                .as_deref()
                .is_some_and(crate::model::record::Lease::process_dead_here)
        })
        .map(|s| s.record.id().to_string())
        .collect();
    Derived {
        locks,
        odd_locks,
        leftovers,
        leftovers_due,
        fail_verdicts,
        dead_transitions,
        branch_changes: scope::gather(repo, files, records),
        sync_conflicts: sync_conflicts::standing(repo, records),
    }
}

/// The names in `logs` (`_ctx/logs`), listed once, so that a running WO with no log
/// folder (most of them) costs no open of its `verdict.json` (at 10,000 WOs the 50
/// opens were 0.1 ms with one core idle): empty when there is no such folder, `None`
/// (each verdict looked for) when it cannot be listed.
fn log_folders(logs: &Path) -> Option<BTreeSet<std::ffi::OsString>> {
    match fs::read_dir(logs) {
        // (A name that could not be read: each verdict looked for.)
        Ok(entries) => entries
            .map(|e| e.map(|e| e.file_name()))
            .collect::<std::io::Result<_>>()
            .ok(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(BTreeSet::new()),
        Err(_) => None,
    }
}

/// Whether `_ctx/logs/<ID>/verdict.json` says FAIL. Only a regular file is read (a
/// FIFO there would block forever).
fn verdict_is_fail(path: &Path) -> bool {
    let Some(bytes) = crate::regular::bytes(path, MAX_YAML_BYTES) else {
        return false;
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return false;
    };
    ["verdict", "status", "result"]
        .iter()
        .filter_map(|k| v.get(k).and_then(|x| x.as_str()))
        .any(|s| s.eq_ignore_ascii_case("fail") || s.eq_ignore_ascii_case("failed"))
}

/// Whether the jobs dir exists; `Err` (bad input, exit 2) when it, or one of its state
/// folders, is a file or a symlink: git-wo never follows state out of the checkout.
pub fn check_jobs_dir(root: &Path, jobs_rel: &str) -> Result<bool> {
    let jobs = root.join(jobs_rel);
    match fs::symlink_metadata(&jobs) {
        Err(_) => return Ok(false),
        Ok(m) if m.file_type().is_symlink() || !m.is_dir() => {
            return Err(WoError::usage(format!(
                "{} is not a directory (it is a {})",
                jobs.display(),
                if m.file_type().is_symlink() { "symlink" } else { "file" }
            ))
            .fix(format!("move it away and create the folders: mkdir -p {jobs_rel}/{{pending,running,done,failed}}"))
            .into());
        }
        Ok(_) => {}
    }
    for state in State::ALL {
        let dir = jobs.join(state.as_str());
        match fs::symlink_metadata(&dir) {
            Err(_) => continue,
            Ok(m) if m.file_type().is_symlink() => {
                return Err(WoError::usage(format!(
                    "state folder {} is a symlink; git-wo does not follow state folders out of the checkout",
                    dir.display()
                ))
                .fix(format!("replace the link with a real folder: {jobs_rel}/{state}"))
                .into());
            }
            Ok(m) if !m.is_dir() => {
                return Err(WoError::usage(format!(
                    "state folder {} is not a directory",
                    dir.display()
                ))
                .fix(format!(
                    "mkdir -p {jobs_rel}/{state} (after moving the file away)"
                ))
                .into());
            }
            Ok(_) => {}
        }
    }
    Ok(true)
}

/// The jobs dir's read started before the repository was opened, until a gathering
/// adopts it or turns it down.
static PREFETCH: std::sync::Mutex<Option<Prefetch<ListingShare, Result<JobsDirFiles>>>> =
    std::sync::Mutex::new(None);

/// Start a warm read of the jobs dir of the current folder's main checkout before the
/// repository is opened: the next gathering adopts it when the repository is that
/// checkout's, and turns it down otherwise (see `inventory/prefetch.rs`). Once a process.
pub fn prefetch_jobs_dir() {
    let mut slot = PREFETCH.lock().unwrap_or_else(|e| e.into_inner());
    if slot.is_none() {
        *slot = Prefetch::start(
            |place, share, handoff| {
                let prefetch::Place {
                    root,
                    jobs_rel,
                    wo_dir,
                } = place;
                read_jobs_dir(root, jobs_rel, wo_dir, Depth::Fields, share, Some(handoff))
            },
            || Ok((Vec::new(), Vec::new())),
        );
    }
}

/// Read the four state folders of the working tree. A jobs dir that is a file or a
/// symlinked state folder is refused (exit 2): git-wo never follows state out of the repo.
/// The folders are listed with whoever [`FolderShare::help`]s.
///
/// With a `prefetch`, nothing is written until the gathering adopts it, and nothing
/// more is done once it turns it down (see [`prefetch`]).
fn read_jobs_dir(
    root: &Path,
    jobs_rel: &str,
    wo_dir: &Path,
    depth: Depth,
    share: &ListingShare,
    prefetch: Option<&prefetch::Handoff>,
) -> Result<JobsDirFiles> {
    // (However this returns, a helper waiting for folders to list stops waiting.)
    let closing = share.close_on_drop();
    if !check_jobs_dir(root, jobs_rel)? {
        return Ok((Vec::new(), Vec::new()));
    }
    let jobs = root.join(jobs_rel);
    let cache = {
        let _t = crate::trace::phase("parse cache: load");
        match depth {
            Depth::Fields => ParseCache::load(wo_dir),
            Depth::Full | Depth::Bytes => ParseCache::at(wo_dir),
        }
    };
    // A stat is only worth its cost where a cached line can match it: with no cache
    // (a cold run) each file's stamp comes from the fstat of its read instead (at
    // 100,000 WOs, 100,000 `statx` calls fewer).
    let stat = depth == Depth::Fields && cache.holds_lines();
    let (listed, others) = {
        let _t = crate::trace::phase("jobs dir: list+stat");
        if prefetch.is_some_and(prefetch::Handoff::turned_down) {
            return Ok((Vec::new(), Vec::new()));
        }
        list_jobs_dir(root, jobs_rel, &jobs, stat, share, closing, cache)?
    };
    // (Reading what the cache did not hold and rewriting it are the adopter's.)
    if prefetch.is_some_and(|p| !p.adopted()) {
        return Ok((Vec::new(), Vec::new()));
    }
    // (Tests hold a run here to move a listed file away before it is read.)
    crate::failpoint::hit("inventory:after-listing");
    let _t = crate::trace::phase("jobs dir: files");
    Ok((read_candidates(root, listed, depth), others))
}

/// The state folders' WO files as listed: taken from the parse cache already, folder by
/// folder as the listing ended (a warm run), or still to take.
enum JobsListing {
    Taken {
        hits: cache_hits::Hits,
        cache: ParseCache,
        dirs: Dirs,
        now: std::time::SystemTime,
    },
    ToTake {
        cache: ParseCache,
        candidates: Runs,
    },
}

/// What a read of the jobs dir gives: its WO files, and the entries other readers want.
type JobsDirFiles = (Vec<OrderFile>, Vec<Other>);

/// A state folder to list, with what its lister needs to know.
#[derive(Clone)]
struct Folder {
    root: PathBuf,
    rel: String,
    state: State,
    /// Whether each WO file is stat'ed (see [`read_jobs_dir`]).
    stat: bool,
}

/// A state folder's candidates and the entries other readers want.
type Listing = Result<(Runs, Vec<Other>)>;

/// The folders of a listing, shared between threads, each taken from the parse cache
/// once listed in a warm run.
type ListingShare = FolderShare<Folder, Listing, FolderTake>;

/// A warm run's second step of a folder's listing: its files taken from the cache.
impl Then<Listing> for FolderTake {
    type Out = Taken;

    fn places(listing: &Listing) -> usize {
        listing.as_ref().map_or(0, |(runs, _)| runs.len())
    }

    fn run(&mut self, listing: &mut Listing, first: usize) -> Taken {
        match listing {
            Ok((runs, _)) => self.take(runs, first),
            Err(_) => Taken::default(),
        }
    }
}

impl Folder {
    fn list(&self) -> Listing {
        let _t = crate::trace::phase(match self.state {
            State::Pending => "jobs dir: list pending",
            State::Running => "jobs dir: list running",
            State::Done => "jobs dir: list done",
            State::Failed => "jobs dir: list failed",
        });
        let (mut out, mut others) = (Runs::default(), Vec::new());
        let (root, rel) = (&self.root, &self.rel);
        list_state_folder(
            root,
            rel,
            self.state,
            false,
            0,
            self.stat,
            &mut out,
            &mut others,
        )
        .map(|_| (out, others))
    }
}

/// Every WO file candidate in the state folders, each stat'ed when `stat` (relative to
/// the open folder: no path walk per file), the folders shared out with `share`'s
/// helpers, biggest first (by the size of each folder's directory file). Listing and
/// stat'ing are most of a warm run. When `stat` (a warm run), each folder's files are
/// taken from `cache` as soon as it and the folders before it are listed.
fn list_jobs_dir(
    root: &Path,
    jobs_rel: &str,
    jobs: &Path,
    stat: bool,
    share: &ListingShare,
    closing: Closing<'_, Folder, Listing, FolderTake>,
    mut cache: ParseCache,
) -> Result<(JobsListing, Vec<Other>)> {
    let (folders, sizes): (Vec<Folder>, Vec<u64>) = State::ALL
        .iter()
        .filter_map(|&state| {
            let meta = fs::metadata(jobs.join(state.as_str())).ok()?;
            let folder = Folder {
                root: root.to_path_buf(),
                // (As `Path::join` would: no leading `/` for an empty jobs dir.)
                rel: match jobs_rel {
                    "" => state.to_string(),
                    jobs => format!("{jobs}/{state}"),
                },
                state,
                stat,
            };
            meta.is_dir().then_some((folder, meta.len()))
        })
        .unzip();
    let now = std::time::SystemTime::now();
    let early = match stat {
        true => early_take(&folders, &sizes, &mut cache, now),
        false => None,
    };
    let (early, takes) = early.map_or((None, Vec::new()), |(e, t)| (Some(e), t));
    // On more than two cores, up to two more threads take folders from the start.
    let more = crate::parallel::cores()
        .saturating_sub(2)
        .min(folders.len().saturating_sub(2))
        .min(2);
    let listed = std::thread::scope(|scope| {
        for _ in 0..more {
            crate::placement::spawn(scope, || {
                let _t = crate::trace::phase("jobs dir: a third lister");
                share.help()
            });
        }
        share.list_all(closing, folders, &sizes, Folder::list, takes)
    });
    match early {
        Some(early) => taken_as_listed(early, listed, now),
        None => {
            // (Kept in runs, in state order: joining them would copy every candidate
            // once more.)
            let (mut candidates, mut others) = (Runs::default(), Vec::new());
            for l in listed.listings {
                let (c, o) = l?;
                candidates.append(c);
                others.extend(o);
            }
            Ok((JobsListing::ToTake { cache, candidates }, others))
        }
    }
}

/// A warm run's take as the listing ends: each of `folders`' lines of `cache` apart
/// (the cache as loaded goes with the first), and room for as many files as folders of
/// `sizes` can hold; `None` (the cache left whole) when there is no folder or the file
/// does not say where a folder's lines start.
fn early_take(
    folders: &[Folder],
    sizes: &[u64],
    cache: &mut ParseCache,
    now: std::time::SystemTime,
) -> Option<(Early, Vec<FolderTake>)> {
    if folders.is_empty() {
        return None;
    }
    let states: Vec<State> = folders.iter().map(|f| f.state).collect();
    let rest = cache.split_at_folders(&states)?;
    let room = sizes.iter().map(|&size| entries_hint(size)).sum();
    let caches = std::iter::once(std::mem::take(cache)).chain(rest);
    Some(Early::new(room, caches.collect(), now))
}

/// The files of an [`Early`] take once every folder is listed: the folders numbered one
/// after the other, and the misses and the candidates left untaken with them.
fn taken_as_listed(
    early: Early,
    listed: folder_share::Listed<Listing, FolderTake>,
    now: std::time::SystemTime,
) -> Result<(JobsListing, Vec<Other>)> {
    let (mut candidates, mut others) = (Runs::default(), Vec::new());
    let mut left = Vec::new();
    let mut taken = Vec::with_capacity(listed.outs.len());
    for (l, mut t) in listed.listings.into_iter().zip(listed.outs) {
        let (runs, o) = l?;
        // (A folder taken has no runs left; one left untaken keeps its own, renumbered
        // by the append and taken straight back out.)
        let shift = candidates.append(runs);
        for (_, c) in &mut t.misses {
            c.shift_dir(shift);
        }
        let untaken = candidates.take_runs();
        if t.left {
            left.push(untaken);
        }
        others.extend(o);
        taken.push(t);
    }
    let (_, dirs) = candidates.into_parts();
    let (hits, caches) = early.finish(listed.then, taken, left, &dirs);
    // (The first folder's share held the cache as loaded, the one that is saved.)
    let cache = caches.into_iter().next().unwrap_or_default();
    Ok((
        JobsListing::Taken {
            hits,
            cache,
            dirs,
            now,
        },
        others,
    ))
}

/// How many entries to make room for when listing a folder of `size` bytes: that over
/// the smallest entry a file system stores (ext4: 12 bytes), so a big folder is listed
/// without regrowing (and copying) its list. Room never used costs no memory that is
/// touched.
fn entries_hint(size: u64) -> usize {
    usize::try_from(size / 12).unwrap_or(0).clamp(16, 1 << 20)
}

/// Deepest archive subfolder level read.
const MAX_ARCHIVE_DEPTH: usize = 4;

/// Whether a file named `name` in a state folder (or, `in_subfolder`, below one) is a WO
/// file: `None` if it is not YAML, else whether it is an archive (a subfolder, or a name
/// not starting with `WO-`), read for duplicate detection only.
fn wo_file_kind(name: &str, in_subfolder: bool) -> Option<bool> {
    (name.ends_with(".yaml") || name.ends_with(".yml"))
        .then(|| in_subfolder || !name.starts_with("WO-"))
}

/// A non-YAML entry directly in a state folder that other readers look for: a
/// `.lock` (in `running/`) or a git-wo temp file. Kept from the listing so that nothing
/// lists the folders twice.
#[derive(Debug, Clone)]
struct Other {
    rel_path: PathBuf,
    file_type: EntryType,
    /// A `.lock` file of `running/`, read by the thread that listed the folder: at
    /// 10,000 WOs reading the 50 locks once both threads were done was 0.3 ms with one
    /// core idle. `None`: read when the locks are (see [`read_locks`]).
    lock: Option<LockRead>,
}

/// The most of a `.lock` file that is read.
const LOCK_MAX_BYTES: u64 = 64 * 1024;

/// What a `.lock` file held when it was read.
#[derive(Debug, Clone)]
enum LockRead {
    /// Its text (lossily UTF-8; empty when it could not be read) and its mtime.
    Text(String, Option<DateTime<Utc>>),
    /// Over [`LOCK_MAX_BYTES`]: not read.
    TooLarge,
    /// Not a regular file (any more): what it is.
    Not(&'static str),
}

/// Read the `.lock` file at `path`; only a regular file is read (one that became a FIFO
/// since it was listed too).
fn read_lock_file(path: &Path) -> LockRead {
    match crate::regular::read(path, LOCK_MAX_BYTES) {
        Ok(Regular::Bytes(b, meta)) => LockRead::Text(
            String::from_utf8_lossy(&b).into_owned(),
            meta.modified().ok().map(DateTime::<Utc>::from),
        ),
        Ok(Regular::TooLarge(_, _)) => LockRead::TooLarge,
        Ok(Regular::Not(what)) => LockRead::Not(what),
        Err(_) => LockRead::Text(String::new(), None),
    }
}

/// List one state folder (or, `depth` > 0, an archive subfolder of it) into `out`, and
/// the entries other readers want into `others`.
#[allow(clippy::too_many_arguments)]
fn list_state_folder(
    root: &Path,
    rel: &str,
    state: State,
    archived: bool,
    depth: usize,
    stat: bool,
    out: &mut Runs,
    others: &mut Vec<Other>,
) -> Result<()> {
    let entries = FolderEntries::open(&root.join(rel))?;
    let here = out.dir(rel);
    let (mut files, mut rest) = listed_candidates(entries, here, state, archived, stat);
    // Names in one folder are unique and share the prefix: name order is path order.
    files.sort_unstable_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
    rest.sort_unstable_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    out.reserve(files.len());
    let path_of = |name: &str| format!("{rel}/{name}");
    // The files and the subfolders' candidates in path order: each subfolder's after the
    // files whose names sort before its own. Without a subfolder to read (the usual
    // case) the files are pushed as they are.
    let subfolders = depth < MAX_ARCHIVE_DEPTH && rest.iter().any(|(_, ft)| ft.is_dir());
    let mut files = match subfolders {
        true => files,
        false => {
            out.push_sorted(files);
            Vec::new()
        }
    }
    .into_iter()
    .peekable();
    for (name, ft) in rest {
        let name = name.as_str();
        if ft.is_dir() {
            let rel_path = path_of(name);
            if depth < MAX_ARCHIVE_DEPTH {
                while let Some(c) = files.next_if(|c| c.name.as_str() < name) {
                    out.push(c);
                }
                list_state_folder(root, &rel_path, state, true, depth + 1, stat, out, others)?;
            }
            if depth == 0 && name.ends_with(".lock") {
                others.push(Other {
                    rel_path: rel_path.into(),
                    file_type: ft,
                    lock: None,
                });
            }
            continue;
        }
        if depth == 0 && (name.ends_with(".lock") || name.starts_with(".git-wo-")) {
            let rel_path = PathBuf::from(path_of(name));
            let lock = (state == State::Running && ft.is_file() && name.ends_with(".lock"))
                .then(|| read_lock_file(&root.join(&rel_path)));
            others.push(Other {
                rel_path,
                file_type: ft,
                lock,
            });
        }
    }
    for c in files {
        out.push(c);
    }
    Ok(())
}

/// A folder's WO files straight as candidates (each stat'ed when `stat`), and its other
/// entries (subfolders, `.lock` files: few), both in listing order. Each name is held
/// in place when short (a WO's always is): no allocation per file, the folder numbered
/// (`here`) once for all of them. Sorted, the candidates are the folder's run as they
/// are: a list of the entries sorted first was one more copy of each, and 64 bytes a
/// file more at the peak of the listing.
fn listed_candidates(
    mut entries: FolderEntries,
    here: u32,
    state: State,
    archived: bool,
    stat: bool,
) -> (Vec<Candidate>, Vec<(ShortText, EntryType)>) {
    let mut files: Vec<Candidate> = Vec::with_capacity(entries_hint(entries.size().unwrap_or(0)));
    let mut rest: Vec<(ShortText, EntryType)> = Vec::new();
    while let Some(e) = entries.next_entry() {
        let Ok(name) = e.name().to_str() else {
            continue;
        };
        let Some(ft) = e.entry_type() else { continue };
        let kind = (!ft.is_dir())
            .then(|| wo_file_kind(name, archived))
            .flatten();
        let Some(archived) = kind else {
            rest.push((name.into(), ft));
            continue;
        };
        let stamp = (stat && ft.is_file())
            .then(|| e.lstat().ok())
            .flatten()
            .and_then(|st| Stamp::of_stat(&st));
        files.push(Candidate {
            dir: here,
            name: name.into(),
            state,
            archived,
            file_type: ft,
            stat: stamp,
        });
    }
    (files, rest)
}

/// Read and parse every candidate in parallel, keeping their order. With
/// [`Depth::Fields`] a file whose stat matches the parse cache is not read at all; either
/// way the cache is rewritten when anything changed.
fn read_candidates(root: &Path, listed: JobsListing, depth: Depth) -> Vec<OrderFile> {
    // Take what the cache knows (by the stat of the listing), read the rest in parallel.
    let (cache, hits, dirs, now) = match listed {
        JobsListing::Taken {
            hits,
            cache,
            dirs,
            now,
        } => (cache, hits, dirs, now),
        JobsListing::ToTake {
            mut cache,
            candidates,
        } => {
            let (candidates, dirs) = candidates.into_parts();
            let now = std::time::SystemTime::now();
            let hits = cache_hits::take(&mut cache, candidates, &dirs, now);
            (cache, hits, dirs, now)
        }
    };
    let cache_hits::Hits {
        mut files,
        mut stamps,
        misses,
        unused,
    } = hits;
    let changed = !misses.is_empty() || unused;
    // Nothing came from the cache: the files are the reads, in order.
    let all_read = files.is_empty();
    if all_read {
        files.reserve_exact(misses.len());
        stamps.reserve_exact(misses.len());
    }
    let progress = crate::progress::start("Reading WOs", misses.len());
    let read = crate::parallel::map_in_chunks(
        misses,
        || (),
        |_, (slot, c)| {
            let read = read_candidate(root, &dirs, c, depth);
            progress.add(1);
            (slot, read)
        },
    );
    drop(progress);
    // Files gone between the listing and the read (a concurrent take moved them) are
    // not there: no copy, not an unreadable one.
    let mut gone = Vec::new();
    for (slot, read) in read {
        match read {
            Some((file, stamp)) if all_read => {
                files.push(file);
                stamps.push(stamp.map(KeptStamp::of));
            }
            Some((file, stamp)) => {
                files[slot] = file;
                stamps[slot] = stamp.map(KeptStamp::of);
            }
            None if all_read => {}
            None => gone.push(slot),
        }
    }
    if changed {
        let _t = crate::trace::phase("parse cache: save");
        cache.save(
            now,
            files
                .iter()
                .zip(&stamps)
                .filter_map(|(f, s)| Some((f, s.as_ref()?.with_mtime(f.modified_ns()?)))),
        );
    }
    if !gone.is_empty() {
        let mut slot = 0;
        files.retain(|_| {
            slot += 1;
            !gone.contains(&(slot - 1))
        });
    }
    files
}

/// Read one candidate: the [`OrderFile`], and the stamp it was read at (for the cache);
/// `None` when it is gone since the listing.
fn read_candidate(
    root: &Path,
    dirs: &Dirs,
    c: Candidate,
    depth: Depth,
) -> Option<(OrderFile, Option<Stamp>)> {
    let rel_path = PathBuf::from(c.path(dirs));
    let (symlink, special) = (c.symlink(), c.special());
    let Candidate {
        state, archived, ..
    } = c;
    if symlink {
        let why = "a symlink: not followed".into();
        return Some((OrderFile::unreadable(rel_path, state, archived, why), None));
    }
    if let Some(ft) = special {
        let what = ft.what();
        let why = format!("{what}, not a regular file: not read");
        return Some((OrderFile::unreadable(rel_path, state, archived, why), None));
    }
    // One open, one fstat, one read per file; a file that became a FIFO since the
    // listing is caught by the fstat of the open file.
    let (mut file, meta) = match crate::regular::read(&root.join(&rel_path), MAX_YAML_BYTES) {
        Ok(Regular::Bytes(bytes, meta)) => {
            (parse_at(depth, rel_path, state, archived, bytes), meta)
        }
        Ok(Regular::TooLarge(size, meta)) => {
            (OrderFile::too_large(rel_path, state, archived, size), meta)
        }
        Ok(Regular::Not(what)) => {
            let why = format!("{what}, not a regular file: not read");
            return Some((OrderFile::unreadable(rel_path, state, archived, why), None));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            let why = format!("unreadable: {e}");
            return Some((OrderFile::unreadable(rel_path, state, archived, why), None));
        }
    };
    file.set_modified(meta.modified().ok().map(DateTime::<Utc>::from));
    Some((file, Stamp::of(&meta)))
}

/// A WO file read from a blob at `depth`, and the blob cache's entry for it (none
/// when the blob could not be read: it is read again next time).
fn parse_blob(
    b: SourceFile,
    state: State,
    archived: bool,
    depth: Depth,
) -> (OrderFile, Option<BlobUse>) {
    let rel = PathBuf::from(&b.entry.path);
    let (file, cacheable) = match b.content {
        Content::Bytes(bytes) => (parse_at(depth, rel, state, archived, bytes), true),
        Content::TooLarge(size) => (OrderFile::too_large(rel, state, archived, size), true),
        Content::Unreadable(why) => (
            OrderFile::unreadable(rel, state, archived, format!("unreadable: {why}")),
            false,
        ),
    };
    let entry = cacheable.then(|| BlobUse::Read(b.entry.oid, parsed_of(&file)));
    (file, entry)
}

/// The file `bytes` holds, keeping what `depth` asks for: the mapping only for
/// [`Depth::Full`], the bytes not for [`Depth::Fields`] (plain files are then read by
/// the fast reader).
fn parse_at(depth: Depth, rel: PathBuf, state: State, archived: bool, bytes: Vec<u8>) -> OrderFile {
    match depth {
        Depth::Full => OrderFile::parse(rel, state, archived, &bytes),
        Depth::Bytes => OrderFile::parse_without_mapping(rel, state, archived, bytes),
        Depth::Fields => OrderFile::parse_for_views(rel, state, archived, &bytes),
    }
}

fn parsed_of(file: &OrderFile) -> Parsed {
    Parsed {
        id: file.id.clone(),
        problem: file.problem().map(Into::into),
        fields: file.fields.clone(),
    }
}

/// WO files from the blobs of the index or a tree, parsed in parallel. With
/// [`Depth::Fields`], blobs in the blob cache are not read.
fn from_blobs(repo: &Repo, blobs: Vec<BlobEntry>, jobs_rel: &str, depth: Depth) -> Vec<OrderFile> {
    let prefix = format!("{jobs_rel}/");
    let wanted: Vec<(BlobEntry, State, bool)> = blobs
        .into_iter()
        .filter_map(|b| {
            let rest = b.path.strip_prefix(&prefix)?;
            let mut parts = rest.split('/');
            let state = parts.next().and_then(State::parse)?;
            let tail: Vec<&str> = parts.collect();
            let archived = wo_file_kind(tail.last()?, tail.len() > 1)?;
            Some((b, state, archived))
        })
        .collect();
    let cache = BlobCache::load(&repo.wo_dir());
    let mut files: Vec<Option<OrderFile>> = Vec::with_capacity(wanted.len());
    let mut to_read = Vec::new();
    let mut where_to = Vec::new();
    let mut used: Vec<BlobUse> = Vec::with_capacity(wanted.len());
    for (b, state, archived) in wanted {
        match cache.get(&b.oid).filter(|_| depth == Depth::Fields) {
            Some(p) => {
                let rel = PathBuf::from(&b.path);
                // Keyed by content: the id of a file that cannot be read comes from its
                // name, which another file with the same bytes does not share.
                let id = match &p.problem {
                    Some(_) => OrderFile::stem_id(&rel),
                    None => p.id.clone(),
                };
                let (dir, name) = FolderNo::split(&b.path);
                files.push(Some(OrderFile::of_fields(
                    dir,
                    state,
                    archived,
                    id,
                    p.problem.clone(),
                    p.fields.copied_with_tail(name),
                )));
                used.push(BlobUse::Cached(b.oid));
            }
            None => {
                where_to.push((files.len(), state, archived));
                files.push(None);
                to_read.push(b);
            }
        }
    }
    let read = repo.read_blobs(to_read, MAX_YAML_BYTES);
    let parsed = crate::parallel::map(
        read.into_iter().zip(where_to).collect(),
        || (),
        |_, (b, (slot, state, archived)): (SourceFile, (usize, State, bool))| {
            let (file, entry) = parse_blob(b, state, archived, depth);
            (slot, file, entry)
        },
    );
    for (slot, file, entry) in parsed {
        files[slot] = Some(file);
        used.extend(entry);
    }
    cache.save(&used);
    files.into_iter().flatten().collect()
}

/// The earlier of two optional times.
pub fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whether `p` was last modified more than a minute before `now`; if not, when it
/// will have been (`None` for a path that cannot be read).
fn older_than_a_minute(p: &Path, now: DateTime<Utc>) -> Result<(), Option<DateTime<Utc>>> {
    let due = fs::symlink_metadata(p)
        .and_then(|m| m.modified())
        .map(|t| DateTime::<Utc>::from(t) + chrono::Duration::seconds(60));
    match due {
        Ok(due) if now > due => Ok(()),
        Ok(due) => Err(Some(due)),
        Err(_) => Err(None),
    }
}

/// The `.lock` and `.git-wo-*` entries of the state folders, listed afresh (when the
/// files themselves came from the index or a tree).
fn list_others(root: &Path, jobs_rel: &str) -> Vec<Other> {
    let mut out = Vec::new();
    for state in State::ALL {
        let rel = PathBuf::from(jobs_rel).join(state.as_str());
        let Ok(mut entries) = FolderEntries::open(&root.join(&rel)) else {
            continue;
        };
        while let Some(e) = entries.next_entry() {
            let (Ok(name), Some(file_type)) = (e.name().to_str(), e.entry_type()) else {
                continue;
            };
            if name.ends_with(".lock") || name.starts_with(".git-wo-") {
                out.push(Other {
                    rel_path: rel.join(name),
                    file_type,
                    lock: None,
                });
            }
        }
    }
    out
}

/// Whether the git-wo temp file `path` (named `name`) is left behind, and why: its
/// name carries its writer, a process of this host that is gone (a live one's is never
/// a leftover); else (an older name, another host) it has not been touched for a
/// minute. `Err(due)`: not (yet), and when age alone would make it one.
fn temp_left(
    path: &Path,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(String, u64), Option<DateTime<Utc>>> {
    let modified = fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .map(DateTime::<Utc>::from)
        .map_err(|_| None)?;
    let age = (now - modified).num_seconds().max(0) as u64;
    let here = crate::host::hostname();
    if let Some((pid, host)) = crate::model::temp_name::writer(name)
        && crate::model::temp_name::is_host(&host, &here)
    {
        if crate::host::pid_alive(pid) {
            // Looked at again in a minute (the gate's verdicts are cached over time).
            return Err(Some(now.max(modified) + chrono::Duration::seconds(60)));
        }
        return Ok((format!("its writer, process {pid} on {host}, is gone"), age));
    }
    match older_than_a_minute(path, now) {
        Ok(()) => Ok((
            format!("untouched for {} (its writer is gone)", age_words(age)),
            age,
        )),
        Err(due) => Err(due),
    }
}

/// git-wo temp files (`.git-wo-*.tmp`) in the state folders whose writer is gone (see
/// [`temp_left`]), and when the youngest of the others will be one.
fn jobs_leftovers(
    root: &Path,
    others: &[Other],
    now: DateTime<Utc>,
) -> (Vec<Leftover>, Option<DateTime<Utc>>) {
    let (mut old, mut due) = (Vec::new(), None);
    for o in others {
        let name = o
            .rel_path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("");
        if !crate::model::temp_name::is_jobs_temp(name) || !o.file_type.is_file() {
            continue;
        }
        match temp_left(&root.join(&o.rel_path), name, now) {
            Ok((why, age_secs)) => old.push(Leftover {
                path: o.rel_path.clone(),
                kind: LeftoverKind::Temp,
                why,
                age_secs,
            }),
            Err(d) => due = earliest(due, d),
        }
    }
    (old, due)
}

/// git-wo's temp files in `<git-common-dir>/wo/` (`.tmp*`: its caches, written by
/// rename) whose writer is gone, and when the youngest of the others will be one.
fn wo_dir_leftovers(wo_dir: &Path, now: DateTime<Utc>) -> (Vec<Leftover>, Option<DateTime<Utc>>) {
    let (mut old, mut due) = (Vec::new(), None);
    let Ok(entries) = fs::read_dir(wo_dir) else {
        return (old, due);
    };
    for e in entries.flatten() {
        let (Ok(name), Ok(t)) = (e.file_name().into_string(), e.file_type()) else {
            continue;
        };
        if !crate::model::temp_name::is_wo_dir_temp(&name) || !t.is_file() {
            continue;
        }
        match temp_left(&e.path(), &name, now) {
            Ok((why, age_secs)) => old.push(Leftover {
                path: e.path(),
                kind: LeftoverKind::Temp,
                why,
                age_secs,
            }),
            Err(d) => due = earliest(due, d),
        }
    }
    (old, due)
}

/// Ref locks under `<common-dir>/refs` (plus `packed-refs.lock`) older than a minute,
/// and when the youngest of the others will be.
fn read_ref_leftovers(
    common_dir: &Path,
    now: DateTime<Utc>,
) -> (Vec<Leftover>, Option<DateTime<Utc>>) {
    let mut out = Vec::new();
    let mut due: Option<DateTime<Utc>> = None;
    let mut found = |p: PathBuf, due: &mut Option<DateTime<Utc>>| match older_than_a_minute(&p, now)
    {
        Ok(()) => {
            let age_secs = fs::symlink_metadata(&p)
                .and_then(|m| m.modified())
                .map(|t| (now - DateTime::<Utc>::from(t)).num_seconds().max(0) as u64)
                .unwrap_or(0);
            let kind = if own_ref_lock(common_dir, &p) {
                LeftoverKind::OwnRefLock
            } else {
                LeftoverKind::RefLock
            };
            out.push(Leftover {
                path: p,
                kind,
                why: format!("{} old", age_words(age_secs)),
                age_secs,
            });
        }
        Err(d) => *due = earliest(*due, d),
    };
    let mut stack = vec![common_dir.join("refs")];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "lock") {
                found(p, &mut due);
            }
        }
    }
    found(common_dir.join("packed-refs.lock"), &mut due);
    (out, due)
}

/// A ref lock only git-wo takes (see [`LeftoverKind::OwnRefLock`]): under
/// `refs/wo/`, `refs/notes/wo.lock`, or an empty regular `packed-refs.lock`.
fn own_ref_lock(common_dir: &Path, lock: &Path) -> bool {
    let Ok(meta) = fs::symlink_metadata(lock) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    if lock == common_dir.join("packed-refs.lock") {
        return meta.len() == 0;
    }
    is_own_ref_lock_path(common_dir, lock)
}

/// Where a ref lock only git-wo takes lives: `packed-refs.lock`, a `.lock` under
/// `refs/wo/`, or `refs/notes/wo.lock` (by path alone; see [`LeftoverKind::OwnRefLock`]
/// for when such a lock counts as git-wo's).
pub fn is_own_ref_lock_path(common_dir: &Path, lock: &Path) -> bool {
    let refs = common_dir.join("refs");
    let plain = lock.components().all(|c| {
        matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::RootDir
        )
    });
    plain
        && lock.extension().is_some_and(|x| x == "lock")
        && (lock == common_dir.join("packed-refs.lock")
            || lock.starts_with(refs.join("wo"))
            || lock == refs.join("notes").join("wo.lock"))
}

/// A `.lock` path in `running/` that is not a regular file: (id, path, what it is).
/// Never followed.
pub type OddLock = (WoId, PathBuf, &'static str);

/// `.lock` entries directly in `running/`, in one pass: the regular files parsed (other
/// tools' temp files are skipped), and those that are a directory, a symlink or
/// something else, never followed.
fn read_locks(
    root: &Path,
    jobs_rel: &str,
    known: &dyn Fn(&str) -> bool,
    others: &[Other],
) -> (Vec<LockFile>, Vec<OddLock>) {
    let rel_dir = PathBuf::from(jobs_rel).join("running");
    let (mut locks, mut odd) = (Vec::new(), Vec::new());
    for o in others
        .iter()
        .filter(|o| o.rel_path.parent() == Some(rel_dir.as_path()))
    {
        let t = o.file_type;
        let Some(name) = o
            .rel_path
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_owned)
        else {
            continue;
        };
        let Some(id) = classify_lock_name(&name, known) else {
            continue;
        };
        if !t.is_file() {
            odd.push((id, rel_dir.join(&name), t.what()));
            continue;
        }
        // (Read by the listing, or now.)
        let fresh;
        let read = match &o.lock {
            Some(read) => read,
            None => {
                fresh = read_lock_file(&root.join(&o.rel_path));
                &fresh
            }
        };
        match read {
            LockRead::Text(text, modified) => {
                locks.push(LockFile::parse(id, rel_dir.join(&name), text, *modified));
            }
            LockRead::TooLarge => locks.push(LockFile::parse(id, rel_dir.join(&name), "", None)),
            LockRead::Not(what) => odd.push((id, rel_dir.join(&name), *what)),
        }
    }
    locks.sort_by(|a, b| a.id.cmp(&b.id));
    odd.sort();
    (locks, odd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::stored::Stored;
    use crate::model::record::Record;

    fn stored(id: &str) -> Stored {
        Stored {
            record: Record::new(id, State::Pending, "t", crate::clock::now()),
            commit: gix::ObjectId::null(gix::hash::Kind::Sha1),
        }
    }

    /// A lock read by the listing is the one used; one it did not read is read then;
    /// one that is no regular file is odd, whichever read it.
    #[test]
    fn locks_read_by_the_listing_are_used_and_the_others_read_then() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let running = dir.path().join("_ctx/jobs/running");
        fs::create_dir_all(&running).expect("mkdir");
        let on_disk = "PID: 7\nUser: disk\n";
        for id in ["WO-0001", "WO-0002", "WO-0003"] {
            fs::write(running.join(format!("{id}.lock")), on_disk).expect("write");
        }
        let file_type = EntryType::File;
        let other = |id: &str, lock: Option<LockRead>| Other {
            rel_path: PathBuf::from(format!("_ctx/jobs/running/{id}.lock")),
            file_type,
            lock,
        };
        let listed = LockRead::Text("PID: 9\nUser: listed\n".into(), None);
        let others = [
            other("WO-0001", Some(listed)),
            other("WO-0002", None),
            other("WO-0003", Some(LockRead::Not("a FIFO"))),
        ];
        let (locks, odd) = read_locks(dir.path(), "_ctx/jobs", &|_| true, &others);
        let users: Vec<_> = locks
            .iter()
            .map(|l| (l.id.as_str(), l.user.as_deref()))
            .collect();
        assert_eq!(
            users,
            [("WO-0001", Some("listed")), ("WO-0002", Some("disk"))]
        );
        assert_eq!(odd.len(), 1);
        assert_eq!((odd[0].0.as_str(), odd[0].2), ("WO-0003", "a FIFO"));
        // The listing of running/ reads its locks; another folder's are left.
        fs::create_dir_all(dir.path().join("_ctx/jobs/done")).expect("mkdir");
        fs::write(dir.path().join("_ctx/jobs/done/WO-0004.lock"), on_disk).expect("write");
        for (state, read) in [(State::Running, true), (State::Done, false)] {
            let (mut runs, mut listed) = (Runs::default(), Vec::new());
            let rel = format!("_ctx/jobs/{state}");
            list_state_folder(
                dir.path(),
                &rel,
                state,
                false,
                0,
                false,
                &mut runs,
                &mut listed,
            )
            .expect("listed");
            assert!(!listed.is_empty());
            for o in &listed {
                let text = match &o.lock {
                    Some(LockRead::Text(text, _)) => Some(text.as_str()),
                    _ => None,
                };
                assert_eq!(text, read.then_some(on_disk), "{state}: {o:?}");
            }
        }
    }

    /// A folder's candidates come in path order, each subfolder's after the files whose
    /// names sort before its own, whatever order the folder lists them in; a folder
    /// without a subfolder to read is one run, as listed, up to [`candidate`]'s
    /// `WHOLE`, and a bigger one is runs of 1,024.
    #[test]
    fn a_folder_is_listed_in_path_order_and_a_small_one_is_one_run() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let done = dir.path().join("jobs/done");
        for sub in ["0-old", "WO-0002-archive", "zz"] {
            fs::create_dir_all(done.join(sub)).expect("mkdir");
        }
        for file in [
            "WO-0003.yaml",
            "0-old/x.yaml",
            "WO-0001.yaml",
            "zz/WO-0009.yaml",
            "WO-0002-archive/WO-0002.yaml",
            "notes.txt",
        ] {
            fs::write(done.join(file), "id: x\n").expect("write");
        }
        let list = |rel: &str, state| {
            let (mut runs, mut others) = (Runs::default(), Vec::new());
            list_state_folder(
                dir.path(),
                rel,
                state,
                false,
                0,
                true,
                &mut runs,
                &mut others,
            )
            .expect("listed");
            runs.into_parts()
        };
        let (runs, dirs) = list("jobs/done", State::Done);
        let paths: Vec<String> = runs.iter().flatten().map(|c| c.path(&dirs)).collect();
        assert_eq!(
            paths,
            [
                "jobs/done/0-old/x.yaml",
                "jobs/done/WO-0001.yaml",
                "jobs/done/WO-0002-archive/WO-0002.yaml",
                "jobs/done/WO-0003.yaml",
                "jobs/done/zz/WO-0009.yaml",
            ]
        );
        let archived: Vec<bool> = runs.iter().flatten().map(|c| c.archived).collect();
        assert_eq!(archived, [true, false, true, false, true]);
        assert!(runs.iter().flatten().all(|c| c.stat.is_some()));
        // No subfolder: one run, however the folder lists its files.
        let pending = dir.path().join("jobs/pending");
        fs::create_dir_all(&pending).expect("mkdir");
        for i in (0..1500).rev() {
            fs::write(pending.join(format!("WO-{i:05}.yaml")), "").expect("write");
        }
        let (runs, dirs) = list("jobs/pending", State::Pending);
        assert_eq!(runs.iter().map(Vec::len).collect::<Vec<_>>(), [1500]);
        let names: Vec<String> = runs.iter().flatten().map(|c| c.path(&dirs)).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        // Over `WHOLE`: runs of 1,024, freed as they are taken.
        let failed = dir.path().join("jobs/failed");
        fs::create_dir_all(&failed).expect("mkdir");
        for i in 0..8 * 1024 + 1 {
            fs::write(failed.join(format!("WO-{i:05}.yaml")), "").expect("write");
        }
        let (runs, _) = list("jobs/failed", State::Failed);
        let lens: Vec<usize> = runs.iter().map(Vec::len).collect();
        assert_eq!(lens.len(), 9, "{lens:?}");
        assert!(
            lens[..8].iter().all(|&n| n == 1024) && lens[8] == 1,
            "{lens:?}"
        );
    }

    /// The log folders are listed once; a folder that cannot be listed leaves each
    /// verdict to be looked for.
    #[test]
    fn log_folders_are_listed_once_or_left_to_each_verdict() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let logs = dir.path().join("_ctx/logs");
        assert_eq!(log_folders(&logs), Some(BTreeSet::new()), "no logs at all");
        fs::create_dir_all(logs.join("WO-0001")).expect("mkdir");
        fs::write(logs.join("notes.txt"), "").expect("write");
        let names = log_folders(&logs).expect("listed");
        assert!(names.contains(std::ffi::OsStr::new("WO-0001")));
        assert!(names.contains(std::ffi::OsStr::new("notes.txt")));
        assert_eq!(names.len(), 2);
        let file = dir.path().join("a-file");
        fs::write(&file, "").expect("write");
        assert_eq!(
            log_folders(&file),
            None,
            "not a folder: each verdict looked for"
        );
    }

    #[test]
    fn each_record_meets_its_wos_view_with_files_or_without() {
        let file = |state: State, id: &str| {
            OrderFile::in_folder(state, &format!("{id}.yaml"), &format!("id: {id}\n"))
        };
        let mut inv = Inventory::from_files(
            Path::new("/repo"),
            vec![
                file(State::Pending, "WO-0002"),
                file(State::Pending, "WO-0005"),
                file(State::Done, "WO-0003"),
                // An unreadable copy: its view is named by its stem.
                OrderFile::in_folder(State::Failed, "WO-0007.yaml", "<<<<<<< ours\n"),
            ],
            crate::clock::now(),
        );
        // Before the first view, between views, on each view, after the last, one with
        // no valid id: every valid one lands on the view of its id, made when missing.
        inv.records = Records::new(
            [
                "WO-0001",
                "WO-0002",
                "WO-0003",
                "WO-0004",
                "WO-0007",
                "WO-0009",
                "not-an-id",
            ]
            .into_iter()
            .map(stored)
            .collect(),
        );
        let wos = inv.wos();
        let with_record: Vec<(&str, usize, Option<&str>)> = wos
            .iter()
            .map(|(id, v)| {
                let record = v.record.map(|s| s.record.id());
                (id.as_str(), v.files().len() + v.unreadable().len(), record)
            })
            .collect();
        assert_eq!(
            with_record,
            [
                ("WO-0001", 0, Some("WO-0001")),
                ("WO-0002", 1, Some("WO-0002")),
                ("WO-0003", 1, Some("WO-0003")),
                ("WO-0004", 0, Some("WO-0004")),
                ("WO-0005", 1, None),
                ("WO-0007", 1, Some("WO-0007")),
                ("WO-0009", 0, Some("WO-0009")),
            ]
        );
    }
}
