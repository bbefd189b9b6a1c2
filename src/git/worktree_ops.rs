//! Changing worktrees and branches: add (git-locked from birth), lock, unlock, remove,
//! and the safety checks that decide whether a worktree may be removed (SPEC §8).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use gix::ObjectId;
use gix::refs::Target;
use gix::refs::transaction::{Change, PreviousValue, RefEdit, RefLog};

use super::Repo;
use super::command::{git, git_output};
use super::refs::Expect;
use super::worktrees::{Head, Worktree};
use crate::error::{WoError, escaped};

/// Worktrees are added one at a time in a repository: `git worktree add` reads the
/// admin folder of every other worktree, and fails on one that another `git worktree
/// add` is still making ("failed to read .git/worktrees/<name>/commondir"), which eight
/// agents running `take --next` at once met. An advisory lock (`flock`) on
/// `<git-common-dir>/wo/worktree-add.lock`: the kernel releases it when its holder
/// ends, however it ends, so it is never left stale. Best effort: where the file cannot
/// be made or locked, the add goes ahead unserialized, as before; and an add that has
/// waited [`AddLock::WAIT`] for it (another add hangs, say in a `post-checkout` hook)
/// goes ahead without it, saying so ([`Unserialized`]).
struct AddLock {
    #[cfg(unix)]
    _file: Option<std::fs::File>,
}

/// A worktree added without the lock that serializes adds, after waiting this long for
/// it: held all that time by another `git worktree add` in the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unserialized {
    pub lock: PathBuf,
    pub waited: std::time::Duration,
}

impl AddLock {
    const FILE: &str = "worktree-add.lock";

    /// How long an add waits for another: a checkout of a big tree takes seconds, not
    /// a minute. `GIT_WO_WORKTREE_ADD_WAIT_MS` (test-only) sets it.
    const WAIT: std::time::Duration = std::time::Duration::from_secs(60);

    fn wait() -> std::time::Duration {
        crate::clock::millis_from_env("GIT_WO_WORKTREE_ADD_WAIT_MS", Self::WAIT)
    }

    /// The lock, or (`Err`) what the add goes ahead without, having waited it out.
    fn take(wo_dir: &Path) -> Result<AddLock, Unserialized> {
        #[cfg(unix)]
        {
            let lock = wo_dir.join(Self::FILE);
            let file = std::fs::create_dir_all(wo_dir).and_then(|()| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&lock)
            });
            let Ok(file) = file else {
                return Ok(AddLock { _file: None });
            };
            let (start, wait) = (std::time::Instant::now(), Self::wait());
            let mut pause = std::time::Duration::from_millis(2);
            loop {
                match try_flock(&file) {
                    Some(true) => return Ok(AddLock { _file: Some(file) }),
                    Some(false) if start.elapsed() < wait => {
                        std::thread::sleep(pause.min(wait.saturating_sub(start.elapsed())));
                        pause = (pause * 2).min(std::time::Duration::from_millis(50));
                    }
                    Some(false) => {
                        let waited = start.elapsed();
                        return Err(Unserialized { lock, waited });
                    }
                    None => return Ok(AddLock { _file: None }),
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = wo_dir;
            Ok(AddLock {})
        }
    }
}

/// Take the exclusive lock on `file` without waiting: whether it was taken, or `None`
/// when it cannot be had at all (not a busy lock).
#[cfg(unix)]
fn try_flock(file: &std::fs::File) -> Option<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: `flock` on a descriptor this `File` owns and keeps open; with LOCK_NB it
    // returns at once and touches no memory.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Some(true);
    }
    (std::io::Error::last_os_error().raw_os_error() == Some(libc::EWOULDBLOCK)).then_some(false)
}

impl Repo {
    /// `refs/heads/<branch>`'s commit, if the branch exists.
    pub fn branch_tip(&self, branch: &str) -> Result<Option<ObjectId>> {
        match self
            .gix
            .try_find_reference(format!("refs/heads/{branch}").as_str())?
        {
            Some(mut r) => Ok(Some(r.peel_to_id()?.detach())),
            None => Ok(None),
        }
    }

    /// Create `refs/heads/<branch>` at `at`; fails if it exists.
    pub fn create_branch(&self, branch: &str, at: ObjectId) -> Result<()> {
        self.cas_ref(
            &format!("refs/heads/{branch}"),
            Expect::Absent,
            at,
            "git wo: take: create branch",
        )
    }

    /// Delete `refs/heads/<branch>` only if it still points at `at` (undo of a take
    /// that created it: a branch that existed before, or that moved, is never deleted).
    pub fn delete_branch_if_at(&self, branch: &str, at: ObjectId) -> Result<()> {
        self.delete_ref_if_at(&format!("refs/heads/{branch}"), at)
    }

    /// Delete a ref if it still holds `at` (undo of what a take created).
    pub fn delete_ref_if_at(&self, name: &str, at: ObjectId) -> Result<()> {
        let edit = RefEdit {
            change: Change::Delete {
                expected: PreviousValue::MustExistAndMatch(Target::Object(at)),
                log: RefLog::AndReference,
            },
            name: name
                .try_into()
                .with_context(|| format!("`{name}` is not a valid ref name"))?,
            deref: false,
        };
        self.gix
            .edit_reference(edit)
            .map(|_| ())
            .with_context(|| format!("deleting {name}"))
    }

    /// A revision as a commit id.
    pub fn resolve_commit(&self, rev: &str) -> Result<ObjectId> {
        let id = self
            .gix
            .rev_parse_single(rev)
            .map_err(|_| WoError::usage(format!("`{rev}` is not a revision of this repository")))?;
        Ok(id.object()?.peel_to_commit()?.id)
    }

    /// `git worktree add --lock --reason <reason> <path> <branch>`, one at a time in the
    /// repository ([`AddLock`]); what it went ahead without, when it waited out another.
    pub fn add_worktree(
        &self,
        path: &Path,
        branch: &str,
        reason: &str,
    ) -> Result<Option<Unserialized>> {
        let p = path.to_string_lossy();
        let (_one_at_a_time, unserialized) = match AddLock::take(&self.wo_dir()) {
            Ok(lock) => (Some(lock), None),
            Err(u) => (None, Some(u)),
        };
        git(
            &self.control_root,
            &[
                "worktree", "add", "--lock", "--reason", reason, "--", &p, branch,
            ],
        )?;
        Ok(unserialized)
    }

    /// Lock (or re-lock with a new reason) a worktree.
    pub fn lock_worktree(&self, wt: &Worktree, reason: &str) -> Result<()> {
        let p = wt.path.to_string_lossy();
        if wt.locked.is_some() {
            std::fs::write(wt.admin_dir.join("locked"), reason)
                .with_context(|| format!("rewriting the lock reason of {p}"))?;
            return Ok(());
        }
        git(
            &self.control_root,
            &["worktree", "lock", "--reason", reason, "--", &p],
        )
        .map(|_| ())
    }

    pub fn unlock_worktree(&self, wt: &Worktree) -> Result<()> {
        if wt.locked.is_none() {
            return Ok(());
        }
        let p = wt.path.to_string_lossy();
        git(&self.control_root, &["worktree", "unlock", "--", &p]).map(|_| ())
    }

    /// `git worktree remove` (never `--force`: git itself refuses dirty trees too).
    pub fn remove_worktree(&self, path: &Path) -> Result<()> {
        let p = path.to_string_lossy();
        git(&self.control_root, &["worktree", "remove", "--", &p]).map(|_| ())
    }

    /// Complete an interrupted checkout of `wt` (a kill -9 during `git worktree add`
    /// leaves files missing and their deletions staged): the index is reset to HEAD and
    /// missing files are written from it; no existing file is overwritten. Fails, having
    /// changed nothing but the index, when tracked files differ from HEAD afterwards.
    pub fn repair_checkout(&self, wt: &Worktree) -> Result<()> {
        let changed = |wt: &Worktree| status_entries(&wt.path, &["--untracked-files=no"]);
        let before = changed(wt)?;
        if before.is_empty() {
            return Ok(());
        }
        // Only deletions (staged or not) are the mark of an unfinished checkout.
        if before.iter().all(StatusEntry::is_deletion) {
            git(&wt.path, &["reset", "-q"])?;
            let _ = git_output(&wt.path, &["checkout-index", "-a", "-q"]);
        }
        let after = changed(wt)?;
        if after.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = after
            .iter()
            .take(3)
            .map(|e| escaped(e.path.as_os_str()))
            .collect();
        anyhow::bail!(
            "{} tracked file(s) differ from HEAD (e.g. {})",
            after.len(),
            names.join(", ")
        )
    }

    /// `git worktree remove --force`: only for a worktree whose every change is a
    /// deleted tracked file (what a removal killed half-way leaves; the content is in
    /// HEAD's commit, see [`Removal::deleted_only`]), or whose changes the caller has
    /// saved elsewhere first.
    pub fn force_remove_worktree(&self, path: &Path) -> Result<()> {
        let p = path.to_string_lossy();
        git(
            &self.control_root,
            &["worktree", "remove", "--force", "--", &p],
        )
        .map(|_| ())
    }

    /// `git worktree prune`: drop the metadata of worktrees whose directory is gone
    /// (git itself keeps locked ones).
    pub fn prune_worktrees(&self) -> Result<()> {
        git(&self.control_root, &["worktree", "prune"]).map(|_| ())
    }

    /// When the worktree was last touched: the newest modification time of its
    /// directory, its `HEAD`, its HEAD reflog and the files `also` of its admin dir
    /// (commits, checkouts, files created or removed at its top, and whatever the
    /// caller writes there). The index is left out: `git status` rewrites it.
    pub fn worktree_touched(&self, wt: &Worktree, also: &[&str]) -> Option<std::time::SystemTime> {
        [
            wt.path.clone(),
            wt.admin_dir.join("HEAD"),
            wt.admin_dir.join("logs").join("HEAD"),
        ]
        .into_iter()
        .chain(also.iter().map(|f| wt.admin_dir.join(f)))
        .filter_map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .max()
    }

    /// The symlink on the way to `wt`, if any: its directory, or a folder between the
    /// worktree folder (`wo.worktreeDir`; the directory's parent for a worktree
    /// elsewhere) and it. Links above the worktree folder (`/tmp` on some systems) are
    /// the user's layout and are not looked at.
    pub fn link_in_path(&self, wt: &Worktree) -> Option<std::path::PathBuf> {
        if wt.is_main {
            return None;
        }
        let root = self.worktree_root();
        let bases = [super::repo::canonical(&root), lexical(&root)];
        let recorded = lexical(&wt.recorded);
        let base = bases
            .iter()
            .find(|b| recorded.starts_with(b) && recorded != **b)
            .cloned()
            .or_else(|| recorded.parent().map(Path::to_path_buf))?;
        recorded
            .ancestors()
            .take_while(|p| *p != base)
            .find(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()))
            .map(Path::to_path_buf)
    }

    /// HEAD of the worktree at `path`.
    pub fn worktree_head(&self, path: &Path) -> Option<ObjectId> {
        let repo = gix::open(path).ok()?;
        repo.head_id().ok().map(|i| i.detach())
    }

    /// What `git status` shows in the worktree at `path`: modified or staged files,
    /// untracked files (every one, whatever `status.showUntrackedFiles` says) and, with
    /// `ignored`, ignored ones. The one reading of a worktree's uncommitted work, for
    /// [`Repo::removal_check`] and for a take that reuses a worktree.
    pub fn worktree_changes(&self, path: &Path, ignored: bool) -> Result<Changes> {
        let mut args = vec!["--untracked-files=all", "--no-renames"];
        if ignored {
            args.push("--ignored=matching");
        }
        let entries = status_entries(path, &args)?;
        let mut c = Changes {
            deleted_only: !entries.is_empty() && entries.iter().all(StatusEntry::is_deletion),
            ..Changes::default()
        };
        for StatusEntry { code, path } in entries {
            match &code {
                b"??" => c.untracked.push(path),
                b"!!" => c.ignored.push(path),
                _ => c.changed.push(path),
            }
        }
        Ok(c)
    }

    /// Why removing `wt` would lose something, if anything: modified, staged or
    /// untracked files (whatever `status.showUntrackedFiles` says), an operation in
    /// progress, commits reachable from no branch, tag or remote ref, a submodule whose
    /// work exists nowhere else, a lock that is not git-wo's. No blockers means safe. Ignored files are allowed when
    /// `disposable(path)`.
    pub fn removal_check(&self, wt: &Worktree, disposable: &dyn Fn(&str) -> bool) -> Removal {
        let mut r = Removal::default();
        if !wt.exists {
            return r;
        }
        self.refused_outright(wt, &mut r.blockers);
        self.uncommitted(wt, disposable, &mut r);
        // Submodules: their git dirs (under the worktree's private git dir, or the
        // common one) may hold the only copy of their commits.
        let (work, submodules) = submodule_work(&wt.path, &wt.admin_dir);
        for (which, w) in work {
            r.blockers
                .push(Blocker::hard(format!("submodule {which} {w}")));
        }
        r.submodules = submodules;
        hidden_edits(&wt.path, &mut r);
        self.unreachable_head(wt, &mut r.blockers);
        self.reflog_blockers(wt, &mut r);
        r
    }

    /// What no flag overrides: a link on the way to the worktree, a lock that is not
    /// git-wo's, an operation in progress.
    fn refused_outright(&self, wt: &Worktree, why: &mut Vec<Blocker>) {
        if let Some(link) = self.link_in_path(wt) {
            // `git worktree remove` would empty the folder the link points at.
            why.push(Blocker::hard(format!(
                "{} is a symlink; git-wo never removes through a link (the folder it points at, {}, is kept)",
                link.display(),
                wt.path.display()
            )));
        }
        if let Some(reason) = &wt.locked
            && !reason.starts_with("git-wo ")
        {
            why.push(Blocker::hard(format!(
                "locked by someone else ({reason:?})"
            )));
        }
        for (file, what) in [
            ("rebase-merge", "a rebase"),
            ("rebase-apply", "a rebase or am"),
            ("MERGE_HEAD", "a merge"),
            ("CHERRY_PICK_HEAD", "a cherry-pick"),
            ("REVERT_HEAD", "a revert"),
            ("BISECT_LOG", "a bisect"),
        ] {
            if wt.admin_dir.join(file).exists() {
                why.push(Blocker::hard(format!("{what} is in progress")));
            }
        }
    }

    /// What `git status` shows: modified, staged, untracked and ignored files (ignored
    /// ones allowed when `disposable`, unless a repository nested in them holds work).
    fn uncommitted(&self, wt: &Worktree, disposable: &dyn Fn(&str) -> bool, r: &mut Removal) {
        let Changes {
            changed,
            untracked,
            ignored: all_ignored,
            deleted_only,
        } = match self.worktree_changes(&wt.path, true) {
            Ok(c) => c,
            Err(e) => {
                r.blockers
                    .push(Blocker::hard(format!("git status failed: {e:#}")));
                return;
            }
        };
        r.deleted_only = deleted_only;
        let (disposable_dirs, ignored): (Vec<PathBuf>, Vec<PathBuf>) = all_ignored
            .into_iter()
            .partition(|p| disposable(&p.to_string_lossy()));
        r.blockers.extend(
            Changes::describe(&changed, &untracked)
                .into_iter()
                .map(Blocker::work),
        );
        if !ignored.is_empty() {
            r.blockers.push(Blocker::work(format!(
                "{} ignored file(s) that are not build output (e.g. {})",
                ignored.len(),
                escaped(ignored[0].as_os_str())
            )));
        }
        r.at_risk.extend(changed);
        r.at_risk.extend(untracked);
        r.at_risk.extend(ignored);
        for d in &disposable_dirs {
            for nested in nested_repositories(&wt.path.join(d)) {
                if let Some(w) = nested_work(&nested) {
                    r.blockers.push(Blocker::hard(format!(
                        "nested repository {} {w}",
                        nested.strip_prefix(&wt.path).unwrap_or(&nested).display()
                    )));
                }
            }
        }
    }

    /// A HEAD that is not a branch's and that no branch, tag or remote ref contains
    /// (or that cannot be read).
    fn unreachable_head(&self, wt: &Worktree, why: &mut Vec<Blocker>) {
        let head = match &wt.head {
            Head::Branch(b) => self.branch_tip(b).ok().flatten(),
            Head::Detached(sha) => ObjectId::from_hex(sha.as_bytes()).ok(),
            Head::Unknown => None,
        };
        match (&wt.head, head) {
            (Head::Branch(_), Some(_)) => {}
            (_, Some(sha)) => {
                let s = sha.to_string();
                let contained = git(
                    &self.control_root,
                    &[
                        "for-each-ref",
                        "--count=1",
                        "--contains",
                        &s,
                        "refs/heads",
                        "refs/tags",
                        "refs/remotes",
                    ],
                )
                .map(|o| !o.trim().is_empty())
                .unwrap_or(false);
                if !contained {
                    why.push(Blocker::hard(format!(
                        "HEAD {} is on no branch, tag or remote ref",
                        &s[..12]
                    )));
                }
            }
            (_, None) => why.push(Blocker::hard("HEAD cannot be read".into())),
        }
    }

    /// Commits only the worktree's HEAD reflog reaches (a blocker `--force` may
    /// override: they are saved first).
    fn reflog_blockers(&self, wt: &Worktree, r: &mut Removal) {
        match self.reflog_only(wt) {
            Ok(tips) if tips.is_empty() => {}
            Ok(tips) => {
                let mut named: Vec<String> = tips
                    .iter()
                    .take(5)
                    .map(|c| c.to_hex_with_len(12).to_string())
                    .collect();
                if tips.len() > 5 {
                    named.push("…".into());
                }
                r.blockers.push(Blocker {
                    text: format!(
                        "{} commit(s) that only its HEAD reflog reaches (work on a detached HEAD, or commits left behind): {}",
                        tips.len(),
                        named.join(", ")
                    ),
                    forcible: true,
                    commits: true,
                });
                r.reflog_only = tips;
            }
            Err(e) => r.blockers.push(Blocker::hard(format!(
                "its HEAD reflog could not be checked: {e:#}"
            ))),
        }
    }

    /// The commits of `wt`'s HEAD reflog (`<admin dir>/logs/HEAD`, which its removal
    /// deletes) that no ref reaches, reduced to the ones no other of them reaches (a ref
    /// on each keeps them all). Commits that are gone already are not counted.
    pub fn reflog_only(&self, wt: &Worktree) -> Result<Vec<ObjectId>> {
        const MAX_REFLOG: u64 = 64 << 20;
        let path = wt.admin_dir.join("logs").join("HEAD");
        if std::fs::symlink_metadata(&path).is_err() {
            return Ok(Vec::new());
        }
        let bytes = match crate::regular::read(&path, MAX_REFLOG)
            .with_context(|| format!("reading {}", path.display()))?
        {
            crate::regular::Regular::Bytes(b, _) => b,
            _ => anyhow::bail!("{} is not a regular file of at most 64 MiB", path.display()),
        };
        let mut ids: Vec<ObjectId> = Vec::new();
        for line in bytes.split(|b| *b == b'\n') {
            for field in line.split(|b| *b == b' ').take(2) {
                if let Ok(id) = ObjectId::from_hex(field)
                    && !id.is_null()
                    && !ids.contains(&id)
                    && self.gix.find_commit(id).is_ok()
                {
                    ids.push(id);
                }
            }
        }
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let hex: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        let mut args: Vec<&str> = vec!["rev-list"];
        args.extend(hex.iter().map(String::as_str));
        args.extend(["--not", "--all"]);
        let unreached: Vec<String> = git(&self.control_root, &args)?
            .lines()
            .map(str::to_owned)
            .collect();
        let only: Vec<&String> = hex.iter().filter(|h| unreached.contains(h)).collect();
        if only.len() < 2 {
            return Ok(only
                .iter()
                .filter_map(|h| ObjectId::from_hex(h.as_bytes()).ok())
                .collect());
        }
        let mut args: Vec<&str> = vec!["merge-base", "--independent"];
        args.extend(only.iter().map(|h| h.as_str()));
        let tips = git(&self.control_root, &args)?;
        // In reflog order, oldest first.
        Ok(only
            .iter()
            .filter(|h| tips.lines().any(|l| l == h.as_str()))
            .filter_map(|h| ObjectId::from_hex(h.as_bytes()).ok())
            .collect())
    }
}

/// A worktree's uncommitted work, as [`Repo::worktree_changes`] read it (paths
/// relative to the worktree; folders end in `/`).
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// Modified or staged tracked files (deletions included), as git lists them (bytes).
    pub changed: Vec<PathBuf>,
    pub untracked: Vec<PathBuf>,
    /// Only when asked for.
    pub ignored: Vec<PathBuf>,
    /// Every entry is a deleted tracked file (see [`Removal::deleted_only`]).
    pub deleted_only: bool,
}

impl Changes {
    /// No modified, staged or untracked file (ignored files do not count).
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty() && self.untracked.is_empty()
    }

    /// `N modified or staged file(s): a, b` and `N untracked file(s): c`, a few
    /// files named each (names that are not UTF-8 escaped), so that the user knows
    /// what to commit.
    pub fn describe(changed: &[PathBuf], untracked: &[PathBuf]) -> Vec<String> {
        let named = |files: &[PathBuf]| -> String {
            let mut shown: Vec<String> = files
                .iter()
                .take(5)
                .map(|f| escaped(f.as_os_str()))
                .collect();
            if files.len() > 5 {
                shown.push("…".into());
            }
            shown.join(", ")
        };
        let mut out = Vec::new();
        if !changed.is_empty() {
            out.push(format!(
                "{} modified or staged file(s): {}",
                changed.len(),
                named(changed)
            ));
        }
        if !untracked.is_empty() {
            out.push(format!(
                "{} untracked file(s): {}",
                untracked.len(),
                named(untracked)
            ));
        }
        out
    }
}

/// One reason to keep a worktree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocker {
    pub text: String,
    /// Files that `gc --force` may override (modified, staged, untracked, ignored,
    /// hidden by assume-unchanged): a forced removal copies them to quarantine first.
    /// Not: someone else's lock, an operation in progress, unreachable commits.
    pub forcible: bool,
    /// Commits only the HEAD reflog reaches ([`Removal::reflog_only`]): a forced
    /// removal saves them under refs first (not files; forcible too).
    pub commits: bool,
}

impl Blocker {
    fn work(text: String) -> Blocker {
        Blocker {
            text,
            forcible: true,
            commits: false,
        }
    }
    fn hard(text: String) -> Blocker {
        Blocker {
            text,
            forcible: false,
            commits: false,
        }
    }
}

/// What [`Repo::removal_check`] found.
#[derive(Debug, Clone, Default)]
pub struct Removal {
    /// Why the worktree must be kept; empty: removing it loses nothing.
    pub blockers: Vec<Blocker>,
    /// The files a removal would lose (relative to the worktree; folders end in `/`),
    /// as the bytes git listed: names that are not UTF-8 are kept exactly.
    pub at_risk: Vec<PathBuf>,
    /// Every entry `git status` lists is a deleted tracked file (no other change, no
    /// untracked or ignored file). With no other blocker (`blockers.len() == 1`) that is
    /// what a killed `git worktree remove` leaves: the content is in HEAD's commit.
    pub deleted_only: bool,
    /// Commits of the worktree's HEAD reflog that no ref reaches (only the tips: each
    /// reaches the others), oldest first: its removal would delete the reflog.
    pub reflog_only: Vec<ObjectId>,
    /// It holds submodules (checked out, or their git dirs in its private git dir).
    /// git refuses to remove such a worktree without `--force`; with no blocker, every
    /// one of them was checked to hold nothing of its own, so a removal forces.
    pub submodules: bool,
}

/// One entry of `git status --porcelain=v1 -z`.
struct StatusEntry {
    /// The two-letter status, e.g. `b" M"`, `b"??"`, `b"!!"`.
    code: [u8; 2],
    /// As git listed it (`-z`: unquoted bytes).
    path: PathBuf,
}

impl StatusEntry {
    /// A tracked file deleted in the index, the worktree or both.
    fn is_deletion(&self) -> bool {
        self.code.iter().all(|c| *c == b'D' || *c == b' ')
    }
}

/// `git status --porcelain=v1 -z <extra>` in `dir`, parsed.
fn status_entries(dir: &Path, extra: &[&str]) -> Result<Vec<StatusEntry>> {
    let mut args = vec!["status", "--porcelain=v1", "-z"];
    args.extend_from_slice(extra);
    let out = git_output(dir, &args)?;
    if !out.status.success() {
        return Err(crate::error::GitFailure {
            command: args.join(" "),
            dir: dir.display().to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        }
        .into());
    }
    Ok(out
        .stdout
        .split(|b| *b == 0)
        .filter(|e| e.len() > 3)
        .map(|e| StatusEntry {
            code: [e[0], e[1]],
            path: path_of(&e[3..]),
        })
        .collect())
}

/// Git repositories nested under `dir` (not following links), up to a bound on the
/// number of entries looked at.
fn nested_repositories(dir: &Path) -> Vec<std::path::PathBuf> {
    const MAX_ENTRIES: usize = 200_000;
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut seen = 0;
    while let Some(d) = stack.pop() {
        if std::fs::symlink_metadata(d.join(".git")).is_ok() {
            found.push(d);
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                return found;
            }
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(e.path());
            }
        }
    }
    found
}

/// What a nested repository holds that exists nowhere else, if anything: uncommitted
/// changes, or commits on no remote-tracking ref.
fn nested_work(repo: &Path) -> Option<String> {
    let dirty = git_output(repo, &["status", "--porcelain"])
        .map(|o| !o.status.success() || !o.stdout.is_empty())
        .unwrap_or(true);
    if dirty {
        return Some("has uncommitted changes".into());
    }
    unpushed(repo, &[])
}

/// Whether the repository at `dir` (a checkout, or with `--git-dir=.` a git dir) has
/// commits that no remote-tracking ref reaches: its HEAD, or a local branch tip.
fn unpushed(dir: &Path, prefix: &[&str]) -> Option<String> {
    let run = |args: &[&str]| {
        let all: Vec<&str> = prefix.iter().chain(args).copied().collect();
        git_output(dir, &all)
    };
    let has_head = run(&["rev-parse", "--verify", "-q", "HEAD"]).is_ok_and(|o| o.status.success());
    let head: &[&str] = if has_head { &["HEAD"] } else { &[] };
    let args: Vec<&str> = ["rev-list", "-1"]
        .into_iter()
        .chain(head.iter().copied())
        .chain(["--branches", "--not", "--remotes"])
        .collect();
    let unpushed = run(&args)
        .map(|o| !o.status.success() || !o.stdout.is_empty())
        .unwrap_or(true);
    unpushed.then(|| "has commits on no remote".into())
}

/// How deep submodules of submodules are looked at.
const MAX_SUBMODULE_DEPTH: usize = 8;

/// The submodules of the checkout at `root` (and theirs, recursively) and the
/// submodule git dirs kept in `admin_dir/modules/` (a deinitialised submodule's stays
/// there) that hold work existing nowhere else (see [`nested_work`]): (which, what).
/// Removing the worktree deletes that private git dir, and with it such commits.
/// Also whether there is any submodule at all.
fn submodule_work(root: &Path, admin_dir: &Path) -> (Vec<(String, String)>, bool) {
    let mut out = Vec::new();
    let mut any = false;
    let mut seen_git_dirs = Vec::new();
    let mut stack = vec![(root.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        for rel in gitlinks(&dir) {
            any = true;
            let sub = dir.join(&rel);
            let Ok(meta) = std::fs::symlink_metadata(sub.join(".git")) else {
                continue; // not checked out
            };
            if meta.is_file()
                && let Some(g) = gitfile_target(&sub)
            {
                seen_git_dirs.push(super::repo::canonical(&g));
            }
            let shown = escaped(sub.strip_prefix(root).unwrap_or(&sub).as_os_str());
            if let Some(w) = nested_work(&sub) {
                out.push((shown, w));
            }
            if depth < MAX_SUBMODULE_DEPTH {
                stack.push((sub, depth + 1));
            }
        }
    }
    let modules = admin_dir.join("modules");
    any |= modules.exists();
    for g in module_git_dirs(&modules) {
        if seen_git_dirs.contains(&super::repo::canonical(&g)) {
            continue;
        }
        if let Some(w) = unpushed(&g, &["--git-dir=."]) {
            let name = escaped(g.strip_prefix(&modules).unwrap_or(&g).as_os_str());
            out.push((
                format!(
                    "{name} (not checked out; its git dir {} is removed with the worktree)",
                    escaped(g.as_os_str())
                ),
                w,
            ));
        }
    }
    (out, any)
}

/// The paths of the submodules (gitlinks) in the index of the checkout at `dir`.
fn gitlinks(dir: &Path) -> Vec<PathBuf> {
    let Ok(out) = git_output(dir, &["ls-files", "-s", "-z"]) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = out
        .stdout
        .split(|b| *b == 0)
        .filter(|e| e.starts_with(b"160000 "))
        .filter_map(|e| {
            e.iter()
                .position(|b| *b == b'\t')
                .map(|t| path_of(&e[t + 1..]))
        })
        .collect();
    found.dedup();
    found
}

/// Where the `.git` file of the checkout `sub` points (`gitdir: <path>`).
fn gitfile_target(sub: &Path) -> Option<PathBuf> {
    let bytes = crate::regular::bytes(&sub.join(".git"), 64 * 1024)?;
    let rest = bytes.strip_prefix(b"gitdir: ")?;
    let target = path_of(rest.strip_suffix(b"\n").unwrap_or(rest));
    Some(if target.is_absolute() {
        target
    } else {
        sub.join(target)
    })
}

/// The git dirs below `modules` (a submodule named `a/b` is at `modules/a/b`; its own
/// submodules in its `modules/`).
fn module_git_dirs(modules: &Path) -> Vec<PathBuf> {
    const MAX_ENTRIES: usize = 10_000;
    let mut found = Vec::new();
    let mut stack = vec![modules.to_path_buf()];
    let mut seen = 0;
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                return found;
            }
            if !e.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let p = e.path();
            if p.join("HEAD").is_file() && p.join("objects").is_dir() {
                stack.push(p.join("modules"));
                found.push(p);
            } else {
                stack.push(p);
            }
        }
    }
    found
}

/// `p` with `.` and `..` resolved lexically (no link is followed).
pub fn lexical(p: &Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A path git printed (`-z`), byte for byte.
fn path_of(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

/// Edits git does not show: files marked assume-unchanged or skip-worktree.
fn hidden_edits(worktree: &Path, r: &mut Removal) {
    let Ok(out) = git_output(worktree, &["ls-files", "-v", "-z"]) else {
        return;
    };
    let hidden: Vec<PathBuf> = out
        .stdout
        .split(|b| *b == 0)
        .filter(|e| e.len() > 2 && (e[0].is_ascii_lowercase() || e[0] == b'S'))
        .map(|e| path_of(&e[2..]))
        .collect();
    if !hidden.is_empty() {
        r.blockers.push(Blocker::work(format!(
            "{} file(s) marked assume-unchanged or skip-worktree, whose edits git does not show (e.g. {})",
            hidden.len(),
            escaped(hidden[0].as_os_str())
        )));
        r.at_risk.extend(hidden);
    }
}
