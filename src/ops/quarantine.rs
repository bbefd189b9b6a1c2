//! Quarantine: where `reconcile` and `gc` put what they take away, so that nothing is
//! ever deleted (SPEC §7). One folder per run, `<git-common-dir>/wo/quarantine/<stamp>/`,
//! holding each file under its path relative to the control checkout (`files/…`) and a
//! `manifest.jsonl`: one JSON line per file saying where it came from, for which WO and
//! why. `git wo reconcile --restore <stamp>` puts the files back.
//!
//! Crash safety: the manifest line is written (and synced) before the file moves, so a
//! kill between the two leaves a line whose file is still in place, which a restore
//! skips; a file is never in quarantine without its line.
//!
//! A repair that rewrites or deletes a file (a `status:` fixed, a stale lock released,
//! an interrupted take rolled back) first **saves** it: its bytes are copied to
//! `saved/…` with a line that names where the repair left the file's new version
//! (`edited_to`; none when it was deleted). A restore undoes a run newest line first;
//! for a saved file it moves the version the repair wrote aside (into a quarantine
//! folder of the restore's own, so that nothing is overwritten and the restore itself
//! can be undone) and puts the saved bytes back where they were.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::error::{WoError, shell_quote};
use crate::git::worktree_ops::lexical;
use crate::ops::jobs::sync_dir;

pub const MANIFEST: &str = "manifest.jsonl";

/// One quarantined file.
///
/// Paths are bytes: a path that is UTF-8 is its JSON string; one that is not is
/// written escaped (`bad\xff.txt`, for people) with its exact bytes in hex beside it
/// (`from_bytes`, `stored_bytes`, `worktree_bytes`), which is what a restore uses.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    pub wo_id: String,
    /// Where it was, relative to the control checkout (or absolute when outside it).
    pub from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_bytes: Option<String>,
    /// Where it is now, relative to the quarantine folder.
    pub stored: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_bytes: Option<String>,
    /// gc: the worktree (absolute) the file was in; `from` is inside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worktree: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worktree_bytes: Option<String>,
    /// A saved copy (the file stayed where it was, to be rewritten or deleted by the
    /// repair): where the repair left its new version, relative to the control
    /// checkout (none: deleted). A restore moves that version aside first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_to_bytes: Option<String>,
    /// `true` for a saved copy (see `edited_to`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub saved: bool,
    /// The finding code that sent it here.
    pub code: String,
    pub reason: String,
    pub bytes: u64,
    pub at: String,
}

impl Entry {
    pub fn set_from(&mut self, p: &Path) {
        (self.from, self.from_bytes) = encode(p);
    }
    pub fn set_stored(&mut self, p: &Path) {
        (self.stored, self.stored_bytes) = encode(p);
    }
    pub fn set_worktree(&mut self, p: &Path) {
        let (text, bytes) = encode(p);
        self.worktree = Some(text);
        self.worktree_bytes = bytes;
    }
    pub fn set_edited_to(&mut self, p: &Path) {
        let (text, bytes) = encode(p);
        self.edited_to = Some(text);
        self.edited_to_bytes = bytes;
    }
    /// A saved copy's new version, byte for byte.
    pub fn edited_to_path(&self) -> Option<Result<PathBuf, String>> {
        let text = self.edited_to.as_deref()?;
        Some(decode(text, self.edited_to_bytes.as_deref()))
    }
    /// Where it was, byte for byte.
    pub fn from_path(&self) -> Result<PathBuf, String> {
        decode(&self.from, self.from_bytes.as_deref())
    }
    /// Where it is, relative to the quarantine folder, byte for byte.
    pub fn stored_path(&self) -> Result<PathBuf, String> {
        decode(&self.stored, self.stored_bytes.as_deref())
    }
    /// gc's entries: the worktree the file was in.
    pub fn worktree_path(&self) -> Option<Result<PathBuf, String>> {
        let text = self.worktree.as_deref()?;
        Some(decode(text, self.worktree_bytes.as_deref()))
    }
}

/// A path as manifest text: itself when UTF-8, else escaped plus its bytes in hex.
fn encode(p: &Path) -> (String, Option<String>) {
    use std::os::unix::ffi::OsStrExt;
    match p.to_str() {
        Some(s) => (s.to_owned(), None),
        None => {
            let hex = p
                .as_os_str()
                .as_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            (crate::error::escaped(p.as_os_str()), Some(hex))
        }
    }
}

/// The path a manifest names: the hex bytes when there are, else the text.
fn decode(text: &str, hex: Option<&str>) -> Result<PathBuf, String> {
    use std::os::unix::ffi::OsStringExt;
    let Some(hex) = hex else {
        return Ok(PathBuf::from(text));
    };
    let digits = hex.as_bytes();
    if digits.len() % 2 != 0 {
        return Err(format!("the hex bytes of {text:?} have an odd length"));
    }
    let bytes = digits
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| format!("the bytes of {text:?} are not hex"))?;
    Ok(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
}

/// The quarantine root of a repository.
pub fn root(wo_dir: &Path) -> PathBuf {
    wo_dir.join("quarantine")
}

/// A fresh folder name for a run: UTC time to the second, then the pid (two runs in
/// one second never share a folder).
pub fn new_stamp(now: chrono::DateTime<chrono::Utc>) -> String {
    format!("{}-{}", now.format("%Y%m%dT%H%M%SZ"), std::process::id())
}

/// Move `from` (relative to `control_root`, or absolute) into the quarantine folder
/// `dir`, after recording it in the manifest. A file already gone is not an error
/// (a rerun after a crash).
pub fn put(control_root: &Path, dir: &Path, from: &Path, entry: &Entry) -> Result<()> {
    let src = control_root.join(from);
    if fs::symlink_metadata(&src).is_err() {
        return Ok(());
    }
    let dest = dir.join(entry.stored_path().map_err(anyhow::Error::msg)?);
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("creating the quarantine folder {}", parent.display()))?;
    }
    if fs::symlink_metadata(&dest).is_ok() {
        anyhow::bail!(
            "{}: {} is in quarantine already; refusing to overwrite it",
            entry.wo_id,
            dest.display()
        );
    }
    append_line(&dir.join(MANIFEST), entry)?;
    move_file(&src, &dest).with_context(|| format!("{}: moving it into quarantine", entry.wo_id))
}

/// Copy `from` (absolute) into quarantine: what a forced removal of a worktree would
/// lose is kept here first.
pub fn copy_in(dir: &Path, from: &Path, entry: &Entry) -> Result<()> {
    let dest = dir.join(entry.stored_path().map_err(anyhow::Error::msg)?);
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)?;
    }
    append_line(&dir.join(MANIFEST), entry)?;
    let meta = fs::symlink_metadata(from)?;
    if meta.file_type().is_symlink() {
        let target = fs::read_link(from)?;
        std::os::unix::fs::symlink(target, &dest)?;
    } else {
        fs::copy(from, &dest).with_context(|| format!("copying {}", from.display()))?;
        fs::File::open(&dest)?.sync_all()?;
    }
    Ok(())
}

/// Where a repair run saves what it is about to rewrite or delete: its quarantine
/// folder, and the finding code and reason its manifest lines carry. Only repairs
/// (reconcile, gc) save; a user's own take, finish or requeue does not.
#[derive(Debug, Clone)]
pub struct Saving {
    pub dir: PathBuf,
    pub code: String,
    pub reason: String,
}

impl Saving {
    /// The manifest entry of a copy of `from` (relative to the control checkout) made
    /// before the repair rewrites it (its new version at `edited_to`) or deletes it.
    pub fn entry(&self, wo_id: &str, from: &Path, edited_to: Option<&Path>) -> Entry {
        let mut entry = Entry {
            wo_id: wo_id.to_owned(),
            code: self.code.clone(),
            reason: self.reason.clone(),
            saved: true,
            at: crate::model::when::shown(crate::clock::now()),
            ..Entry::default()
        };
        entry.set_from(from);
        entry.set_stored(&Path::new(SAVED).join(from));
        if let Some(to) = edited_to {
            entry.set_edited_to(to);
        }
        entry
    }
}

/// Where saved copies go in a quarantine folder.
pub const SAVED: &str = "saved";

/// Copy `from` (relative to `control_root`) into the quarantine folder `dir` as
/// `entry` says (see [`Saving`]), after recording it in the manifest; a name already
/// used in this folder (the same file saved twice in one run) gets a `.N` suffix.
/// `Ok(false)` when there is no file (nothing to save: a rerun, or a lock already
/// gone). A file that is neither regular nor a link is never read: an error.
pub fn save(control_root: &Path, dir: &Path, from: &Path, entry: &Entry) -> Result<bool> {
    let src = control_root.join(from);
    let Ok(meta) = fs::symlink_metadata(&src) else {
        return Ok(false);
    };
    let kind = meta.file_type();
    if !kind.is_file() && !kind.is_symlink() {
        anyhow::bail!(
            "{}: {} is {}, not a file; it was not saved, so it is not changed",
            entry.wo_id,
            src.display(),
            crate::folder_entries::EntryType::of(&meta).what()
        );
    }
    let mut entry = entry.clone();
    let stored = free_name(dir, &entry.stored_path().map_err(anyhow::Error::msg)?);
    entry.set_stored(&stored);
    let dest = dir.join(stored);
    entry.bytes = meta.len();
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("creating the quarantine folder {}", parent.display()))?;
    }
    append_line(&dir.join(MANIFEST), &entry)?;
    if kind.is_symlink() {
        std::os::unix::fs::symlink(fs::read_link(&src)?, &dest)?;
    } else {
        fs::copy(&src, &dest).with_context(|| {
            format!("{}: saving {} into quarantine", entry.wo_id, src.display())
        })?;
        fs::File::open(&dest)?.sync_all()?;
    }
    sync_dir(dest.parent())?;
    Ok(true)
}

/// `stored` (relative to the quarantine folder `dir`), or `stored.N` with the first
/// `N` that names nothing yet.
fn free_name(dir: &Path, stored: &Path) -> PathBuf {
    let mut n = 0;
    loop {
        let candidate = if n == 0 {
            stored.to_path_buf()
        } else {
            let mut s = stored.as_os_str().to_owned();
            s.push(format!(".{n}"));
            PathBuf::from(s)
        };
        if fs::symlink_metadata(dir.join(&candidate)).is_err() {
            return candidate;
        }
        n += 1;
    }
}

/// The entries of the quarantine folder `dir`.
pub fn manifest(dir: &Path) -> Result<Vec<Entry>> {
    Ok(manifest_lines(dir)?.into_iter().map(|(_, e)| e).collect())
}

/// The entries of the quarantine folder `dir`, each with its line number (from 1).
pub fn manifest_lines(dir: &Path) -> Result<Vec<(usize, Entry)>> {
    let path = dir.join(MANIFEST);
    let bytes = match crate::regular::read(&path, 256 * 1024 * 1024) {
        Ok(crate::regular::Regular::Bytes(b, _)) => b,
        Ok(_) => {
            return Err(WoError::usage(format!(
                "{} is not a regular file of a sane size",
                path.display()
            ))
            .fix(format!(
                "look at it: ls -l -- {}",
                shell_quote(&path.to_string_lossy())
            ))
            .into());
        }
        Err(e) => {
            return Err(WoError::usage(format!("{}: {e}", path.display()))
                .fix("ls \"$(git rev-parse --git-common-dir)/wo/quarantine\" (the folders you can restore)")
                .into());
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            serde_json::from_str(l).map(|e| (n + 1, e)).map_err(|e| {
                WoError::usage(format!(
                    "{}:{}: not a manifest entry ({e}); nothing was restored",
                    path.display(),
                    n + 1
                ))
                .fix(format!(
                    "look at it (less -- {}), fix or delete that line, then rerun",
                    shell_quote(&path.to_string_lossy())
                ))
                .into()
            })
        })
        .collect()
}

/// Where a restore may write: every manifest entry is checked against these before
/// anything moves (a manifest is a file anyone with write access to the git dir may
/// have written).
#[derive(Debug, Clone)]
pub struct Bounds {
    pub control_root: PathBuf,
    /// The jobs dir, relative to the control checkout (`wo.jobsDir`).
    pub jobs_rel: String,
    pub common_dir: PathBuf,
    /// `<git-common-dir>/wo`: the temp files reconcile clears from there go back there.
    pub wo_dir: PathBuf,
    /// The worktree folder (`wo.worktreeDir`, resolved).
    pub worktree_root: PathBuf,
    /// The hooks folder, and the names install-hooks keeps older hooks under there.
    pub hooks_dir: PathBuf,
    pub kept_hooks: Vec<String>,
}

/// A manifest entry checked against the [`Bounds`]: its file, and where it goes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Its line in the manifest (from 1).
    pub line: usize,
    pub entry: Entry,
    /// The file in quarantine (absolute).
    pub stored: PathBuf,
    /// Where it goes back (absolute).
    pub dest: PathBuf,
    /// `dest` relative to the control checkout, when inside it (what a restore stages).
    pub rel: Option<PathBuf>,
    /// A saved copy's new version (absolute), which a restore moves aside first.
    pub edited: Option<PathBuf>,
    /// `edited` relative to the control checkout.
    pub edited_rel: Option<PathBuf>,
}

/// Where a restore moves aside the version a repair wrote of a file it puts back: a
/// quarantine folder of the restore's own (so `--restore` of it undoes the restore).
#[derive(Debug, Clone)]
pub struct Aside {
    pub dir: PathBuf,
    /// The control checkout (what `edited_rel` is relative to).
    pub control_root: PathBuf,
    /// The folder being restored, for the manifest's reason.
    pub restoring: String,
}

/// Check every entry of the quarantine folder `dir` (named `stamp`) against `b`: each
/// `stored` is a plain path under `files/` or `worktrees/` of the folder (no `..`, not
/// absolute, no link on the way); each `from` is inside a state folder of the jobs
/// dir, inside the worktree gc recorded for its own entries, or the kept hook
/// install-hooks recorded. One bad entry refuses the whole restore (exit 2) before
/// anything moves, naming every bad entry.
pub fn check_all(
    dir: &Path,
    stamp: &str,
    entries: Vec<(usize, Entry)>,
    b: &Bounds,
) -> Result<Vec<Checked>> {
    let manifest = dir.join(MANIFEST);
    let fix = format!(
        "look at the manifest (less -- {}); move back by hand what you need, or delete the bad lines and rerun: git wo reconcile --restore {}",
        shell_quote(&manifest.to_string_lossy()),
        shell_quote(stamp)
    );
    if fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(WoError::usage(format!(
            "the quarantine folder {} is a symlink; nothing was restored",
            dir.display()
        ))
        .fix(fix)
        .into());
    }
    let mut bad = Vec::new();
    let mut ok = Vec::new();
    for (line, entry) in entries {
        match check(dir, line, entry, b) {
            Ok(c) => ok.push(c),
            Err(why) => bad.push(format!("{MANIFEST}:{line}: {why}")),
        }
    }
    if bad.is_empty() {
        return Ok(ok);
    }
    Err(WoError::usage(format!(
        "{}: {} entr{} would restore outside where git-wo quarantines from; nothing was restored:\n  {}",
        manifest.display(),
        bad.len(),
        if bad.len() == 1 { "y" } else { "ies" },
        bad.join("\n  ")
    ))
    .fix(fix)
    .into())
}

/// One entry: where its file is ([`stored_of`]) and where it goes back
/// ([`Origin::dest`], by what quarantined it), and where a repair's edit of it is
/// ([`edited_of`]); or why it must not.
fn check(dir: &Path, line: usize, entry: Entry, b: &Bounds) -> Result<Checked, String> {
    let (stored_rel, stored) = stored_of(dir, &entry)?;
    let from = entry.from_path()?;
    let origin = Origin::of(&entry, &from);
    let edit_allowed = !(is_gc(&entry, &from) || is_hook(&entry));
    let dest = origin.dest(&entry, from, &stored_rel, b)?;
    let (edited, edited_rel) = edited_of(&entry, edit_allowed, b)?;
    let rel = dest
        .strip_prefix(&b.control_root)
        .ok()
        .map(Path::to_path_buf);
    Ok(Checked {
        line,
        entry,
        stored,
        dest,
        rel,
        edited,
        edited_rel,
    })
}

/// Where an entry's file is kept: a plain path under `files/`, `saved/` or
/// `worktrees/` of the quarantine folder, through no symlink. (relative, absolute).
fn stored_of(dir: &Path, entry: &Entry) -> Result<(PathBuf, PathBuf), String> {
    let stored_rel = entry.stored_path()?;
    let plain = is_plain_relative(&stored_rel);
    let mut parts = stored_rel.components();
    let top = parts.next().map(|c| c.as_os_str());
    let under = matches!(top, Some(t) if t == "files" || t == "worktrees" || t == SAVED)
        && parts.next().is_some();
    if !plain || !under {
        return Err(format!(
            "stored `{}` is not a plain path under files/, saved/ or worktrees/ of the quarantine folder",
            shown(&entry.stored)
        ));
    }
    let stored = dir.join(&stored_rel);
    if let Some(link) = link_between(dir, &stored) {
        return Err(format!(
            "stored `{}` goes through the symlink {}",
            shown(&entry.stored),
            link.display()
        ));
    }
    Ok((stored_rel, stored))
}

/// What quarantined a file, which bounds where it may go back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// A temp file of git-wo's caches that reconcile cleared.
    Leftover,
    /// A file of a worktree gc removed.
    Gc,
    /// A hook `install-hooks --force` replaced.
    Hook,
    /// A file of the jobs dir (a repair's).
    Jobs,
}

/// An entry gc wrote: it names a worktree, or has a worktree finding's code and an
/// absolute `from`.
fn is_gc(entry: &Entry, from: &Path) -> bool {
    entry.worktree.is_some()
        || (matches!(entry.code.as_str(), "zombie_worktree" | "ghost_worktree")
            && from.is_absolute())
}

/// An entry install-hooks wrote.
fn is_hook(entry: &Entry) -> bool {
    entry.wo_id.is_empty() && entry.code == "install_hooks"
}

impl Origin {
    /// What quarantined the entry's file, tried in this order.
    fn of(entry: &Entry, from: &Path) -> Origin {
        let is_leftover = entry.wo_id.is_empty() && entry.code == "leftover_file";
        if is_leftover && from.is_absolute() {
            Origin::Leftover
        } else if is_gc(entry, from) {
            Origin::Gc
        } else if is_hook(entry) {
            Origin::Hook
        } else {
            Origin::Jobs
        }
    }

    /// Where `from` goes back, checked against the bounds of its origin.
    fn dest(
        self,
        entry: &Entry,
        from: PathBuf,
        stored_rel: &Path,
        b: &Bounds,
    ) -> Result<PathBuf, String> {
        let from_shown = shown(&entry.from);
        match self {
            Origin::Leftover => {
                // A temp file of git-wo's caches, directly in `<git-common-dir>/wo/`,
                // or a ref lock a killed git-wo left in `<git-common-dir>`.
                let name = from.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let in_wo_dir = from.parent().is_some_and(|p| same_dir(p, &b.wo_dir));
                let temp = in_wo_dir && crate::model::temp_name::is_wo_dir_temp(name);
                let ref_lock = crate::inventory::is_own_ref_lock_path(&b.common_dir, &from)
                    && link_between(&b.common_dir, &from).is_none();
                if !is_plain_absolute(&from) || !(temp || ref_lock) {
                    return Err(format!(
                        "from `{from_shown}` is not a temp file of {} nor a ref lock of git-wo's",
                        b.wo_dir.display()
                    ));
                }
                Ok(from)
            }
            Origin::Gc => gc_dest(entry, from, stored_rel, b),
            Origin::Hook => {
                let name = from.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let in_hooks = from.parent().is_some_and(|p| same_dir(p, &b.hooks_dir));
                if !is_plain_absolute(&from) || !in_hooks || !b.kept_hooks.iter().any(|k| k == name)
                {
                    return Err(format!(
                        "from `{from_shown}` is not a hook install-hooks keeps aside in {}",
                        b.hooks_dir.display()
                    ));
                }
                Ok(from)
            }
            Origin::Jobs => in_jobs_dir(&from, &format!("from `{from_shown}`"), b),
        }
    }
}

/// A file of a worktree gc removed goes back inside that worktree (the one the entry
/// names, else the one its stored path says), through no symlink.
fn gc_dest(entry: &Entry, from: PathBuf, stored_rel: &Path, b: &Bounds) -> Result<PathBuf, String> {
    let from_shown = shown(&entry.from);
    let wt = match entry.worktree_path() {
        Some(w) => w?,
        None => derived_worktree(&from, stored_rel).ok_or_else(|| {
            format!("from `{from_shown}` is not where its stored path says it was")
        })?,
    };
    check_worktree(&wt, b).map_err(|why| format!("from `{from_shown}`: {why}"))?;
    if !is_plain_absolute(&from) || !from.starts_with(&wt) || from == wt {
        return Err(format!(
            "from `{from_shown}` is not inside the worktree {} it names",
            wt.display()
        ));
    }
    if let Some(link) = wt.parent().and_then(|p| link_between(p, &from)) {
        return Err(format!(
            "from `{from_shown}` goes through the symlink {}",
            link.display()
        ));
    }
    Ok(from)
}

/// Where a repair left its edit of a saved file (`edit_allowed`: not a file of a
/// worktree or a hook, which are never saved before an edit). (absolute, relative).
fn edited_of(
    entry: &Entry,
    edit_allowed: bool,
    b: &Bounds,
) -> Result<(Option<PathBuf>, Option<PathBuf>), String> {
    let edited_rel = match entry.edited_to_path() {
        Some(Ok(p)) => Some(p),
        _ => None,
    };
    let edited = match entry.edited_to_path() {
        None => None,
        Some(_) if !edit_allowed => {
            return Err(format!(
                "from `{}`: only files of the jobs dir are saved before an edit",
                shown(&entry.from)
            ));
        }
        Some(p) => {
            let p = p?;
            Some(in_jobs_dir(
                &p,
                &format!("edited_to `{}`", shown(&p.to_string_lossy())),
                b,
            )?)
        }
    };
    Ok((edited, edited_rel))
}

/// `rel` (relative to the control checkout) as a path inside a state folder of the
/// jobs dir, reached through no link: its absolute path.
fn in_jobs_dir(rel: &Path, what: &str, b: &Bounds) -> Result<PathBuf, String> {
    let jobs: Vec<_> = Path::new(&b.jobs_rel).components().collect();
    let parts: Vec<_> = rel.components().collect();
    let inside = is_plain_relative(rel)
        && parts.len() >= jobs.len() + 2
        && parts[..jobs.len()] == jobs[..]
        && parts[jobs.len()]
            .as_os_str()
            .to_str()
            .is_some_and(|s| crate::model::state::State::parse(s).is_some());
    if !inside {
        return Err(format!(
            "{what} is outside the jobs dir's state folders ({}/{{pending,running,done,failed}}/)",
            if b.jobs_rel.is_empty() {
                "."
            } else {
                &b.jobs_rel
            }
        ));
    }
    let dest = b.control_root.join(rel);
    if let Some(link) = link_between(&b.control_root, &dest) {
        return Err(format!(
            "{what} goes through the symlink {}",
            link.display()
        ));
    }
    Ok(dest)
}

/// gc's entries written before they named their worktree: `stored` is
/// `worktrees/<name>/<inside>` and `from` is `<worktree>/<inside>`.
fn derived_worktree(from: &Path, stored_rel: &Path) -> Option<PathBuf> {
    let inside: PathBuf = stored_rel.components().skip(2).collect();
    if inside.as_os_str().is_empty() || !from.ends_with(&inside) {
        return None;
    }
    let mut wt = from.to_path_buf();
    for _ in inside.components() {
        wt.pop();
    }
    Some(wt)
}

/// Whether a worktree a manifest names is one gc may have removed: absolute and plain,
/// not the file system's root, not the checkout or the git dir or a folder holding
/// them, not inside the git dir, and inside the checkout only in the worktree folder.
fn check_worktree(wt: &Path, b: &Bounds) -> Result<(), String> {
    if !is_plain_absolute(wt) || wt.parent().is_none() {
        return Err(format!(
            "the worktree {} is not a plain absolute path",
            wt.display()
        ));
    }
    let forms = |p: &Path| [lexical(p), crate::git::repo::canonical(p)];
    for root in forms(&b.control_root).iter().chain(&forms(&b.common_dir)) {
        if root.starts_with(wt) {
            return Err(format!(
                "the worktree {} holds the repository",
                wt.display()
            ));
        }
    }
    if forms(&b.common_dir).iter().any(|d| wt.starts_with(d)) {
        return Err(format!(
            "the worktree {} is inside the git dir",
            wt.display()
        ));
    }
    let in_checkout = forms(&b.control_root).iter().any(|r| wt.starts_with(r));
    let in_worktree_root = forms(&b.worktree_root).iter().any(|r| wt.starts_with(r));
    if in_checkout && !in_worktree_root {
        return Err(format!(
            "the worktree {} is inside the checkout but not in the worktree folder {}",
            wt.display(),
            b.worktree_root.display()
        ));
    }
    Ok(())
}

/// Only plain names (no `..`, `.`, root): a path that stays below where it is joined.
fn is_plain_relative(p: &Path) -> bool {
    p.components().next().is_some() && p.components().all(|c| matches!(c, Component::Normal(_)))
}

/// The root, then only plain names.
fn is_plain_absolute(p: &Path) -> bool {
    let mut c = p.components();
    c.next() == Some(Component::RootDir) && c.all(|c| matches!(c, Component::Normal(_)))
}

fn same_dir(a: &Path, b: &Path) -> bool {
    lexical(a) == lexical(b) || crate::git::repo::canonical(a) == crate::git::repo::canonical(b)
}

/// The first symlink among the existing folders from below `base` down to `path`'s
/// folder (`path` itself may be a link: it is moved, never followed).
fn link_between(base: &Path, path: &Path) -> Option<PathBuf> {
    let rest = path.strip_prefix(base).ok()?;
    let mut at = base.to_path_buf();
    let parts: Vec<_> = rest.components().collect();
    for c in parts.iter().take(parts.len().saturating_sub(1)) {
        at.push(c.as_os_str());
        match fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => return Some(at),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

/// Manifest text for a message: control characters escaped.
fn shown(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// The quarantine folder named `stamp`, or a usage error listing the ones there are.
pub fn folder(wo_dir: &Path, stamp: &str) -> Result<PathBuf> {
    let root = root(wo_dir);
    let ok = !stamp.is_empty()
        && !stamp.contains('/')
        && stamp != "."
        && stamp != ".."
        && root.join(stamp).join(MANIFEST).is_file();
    if ok {
        return Ok(root.join(stamp));
    }
    let mut known: Vec<String> = fs::read_dir(&root)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().join(MANIFEST).is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    known.sort();
    Err(WoError::usage(format!(
        "no quarantine folder {} in {}",
        shell_quote(stamp),
        root.display()
    ))
    .fix(match known.last() {
        Some(last) => format!(
            "git wo reconcile --restore {} (folders: {})",
            shell_quote(last),
            known.join(", ")
        ),
        None => "nothing was ever quarantined: there is nothing to restore".to_owned(),
    })
    .into())
}

/// Put one checked entry back (see [`check_all`]): `Ok(Some(aside))` when restored
/// (`aside`: where the version a repair wrote went, relative to the control checkout),
/// `Ok(None)` when its file is not in quarantine (restored before). Never overwrites: a
/// file at the original path is an error naming both, except a saved copy's own new
/// version, which is first moved into `aside`'s folder (refused without one).
pub fn restore(item: &Checked, aside: Option<&Aside>) -> Result<Option<Option<PathBuf>>> {
    let (stored, dest, entry) = (&item.stored, &item.dest, &item.entry);
    if fs::symlink_metadata(stored).is_err() {
        return Ok(None);
    }
    let dest_taken = fs::symlink_metadata(dest).is_ok();
    let edited = item
        .edited
        .as_ref()
        .zip(item.edited_rel.as_ref())
        .filter(|(abs, _)| fs::symlink_metadata(abs).is_ok());
    if dest_taken && edited.is_none_or(|(abs, _)| abs != dest) {
        return Err(WoError::failed(format!(
            "{}: {} exists again; {} stays in quarantine",
            entry.wo_id,
            entry.from,
            stored.display()
        ))
        .fix(format!(
            "compare them: diff -- {} {}",
            shell_quote(&dest.to_string_lossy()),
            shell_quote(&stored.to_string_lossy())
        ))
        .into());
    }
    let mut set_aside = None;
    if let Some((abs, rel)) = edited {
        let Some(a) = aside else {
            anyhow::bail!(
                "{}: {} holds what the repair wrote; refusing to overwrite it",
                entry.wo_id,
                abs.display()
            );
        };
        let mut e = Entry {
            wo_id: entry.wo_id.clone(),
            code: "restore".into(),
            reason: format!(
                "the version a repair wrote, moved aside by git wo reconcile --restore {}",
                a.restoring
            ),
            bytes: fs::symlink_metadata(abs).map(|m| m.len()).unwrap_or(0),
            at: crate::model::when::shown(crate::clock::now()),
            ..Entry::default()
        };
        e.set_from(rel);
        e.set_stored(&free_name(&a.dir, &Path::new("files").join(rel)));
        put(&a.control_root, &a.dir, rel, &e)?;
        set_aside = Some(rel.clone());
    }
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)?;
    }
    move_file(stored, dest)
        .with_context(|| format!("{}: restoring it from quarantine", entry.wo_id))?;
    Ok(Some(set_aside))
}

/// `rename(2)` `src` to `dest`; across file systems (a symlinked folder), copy, sync,
/// then remove. Both folders are synced.
fn move_file(src: &Path, dest: &Path) -> Result<()> {
    match fs::rename(src, dest) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => {
            fs::copy(src, dest).with_context(|| format!("copying {}", src.display()))?;
            fs::File::open(dest)?.sync_all()?;
            fs::remove_file(src).with_context(|| format!("removing {}", src.display()))?;
        }
        Err(e) => {
            return Err(anyhow::Error::from(e).context(format!(
                "moving {} to {}",
                src.display(),
                dest.display()
            )));
        }
    }
    sync_dir(dest.parent())?;
    sync_dir(src.parent())
}

fn append_line(path: &Path, entry: &Entry) -> Result<()> {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    let mut line = serde_json::to_string(entry)?;
    line.push('\n');
    f.write_all(line.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_goes_in_and_comes_back_byte_for_byte() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("repo");
        fs::create_dir_all(root.join("_ctx/jobs/pending")).unwrap();
        fs::write(root.join("_ctx/jobs/pending/WO-1.yaml"), b"id: WO-1\n").unwrap();
        let dir = tmp.path().join("q/1");
        let entry = Entry {
            wo_id: "WO-1".into(),
            from: "_ctx/jobs/pending/WO-1.yaml".into(),
            stored: "files/_ctx/jobs/pending/WO-1.yaml".into(),
            code: "split_brain".into(),
            reason: "surplus".into(),
            bytes: 9,
            at: "now".into(),
            ..Entry::default()
        };
        put(&root, &dir, Path::new(&entry.from), &entry).unwrap();
        assert!(!root.join(&entry.from).exists());
        assert_eq!(manifest(&dir).unwrap(), vec![entry.clone()]);
        let bounds = Bounds {
            control_root: root.clone(),
            jobs_rel: "_ctx/jobs".into(),
            common_dir: root.join(".git"),
            wo_dir: root.join(".git/wo"),
            worktree_root: tmp.path().join("wt"),
            hooks_dir: root.join(".git/hooks"),
            kept_hooks: vec![],
        };
        let checked = check_all(&dir, "1", manifest_lines(&dir).unwrap(), &bounds).unwrap();
        assert_eq!(restore(&checked[0], None).unwrap(), Some(None));
        assert_eq!(fs::read(root.join(&entry.from)).unwrap(), b"id: WO-1\n");
        assert!(
            restore(&checked[0], None).unwrap().is_none(),
            "restored once"
        );
    }
    /// A leftover entry goes back only to git-wo's own places: a temp file of
    /// `<git-common-dir>/wo`, or a ref lock only git-wo takes; never a lock of another
    /// ref, nor a ref file itself.
    #[test]
    fn a_leftover_goes_back_only_to_git_wo_s_own_places() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("repo");
        let git = root.join(".git");
        fs::create_dir_all(git.join("wo")).unwrap();
        let dir = tmp.path().join("q/1");
        fs::create_dir_all(dir.join("files/x")).unwrap();
        fs::write(dir.join("files/x/f"), b"").unwrap();
        let bounds = Bounds {
            control_root: root.clone(),
            jobs_rel: "_ctx/jobs".into(),
            common_dir: git.clone(),
            wo_dir: git.join("wo"),
            worktree_root: tmp.path().join("wt"),
            hooks_dir: git.join("hooks"),
            kept_hooks: vec![],
        };
        let entry = |from: &Path| Entry {
            from: from.to_string_lossy().into_owned(),
            stored: "files/x/f".into(),
            code: "leftover_file".into(),
            ..Entry::default()
        };
        for ok in [
            "packed-refs.lock",
            "refs/wo/orders/WO-1.lock",
            "refs/notes/wo.lock",
        ] {
            assert!(
                check(&dir, 1, entry(&git.join(ok)), &bounds).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "refs/heads/main.lock",
            "packed-refs",
            "refs/wo/orders/WO-1",
            "refs/wo/../heads/main.lock",
            "hooks/pre-commit.lock",
        ] {
            assert!(
                check(&dir, 1, entry(&git.join(bad)), &bounds).is_err(),
                "{bad}"
            );
        }
    }
}
