//! The pre-commit gate's whole verdict, kept so that a repeated gate on the same staged
//! jobs tree costs a few `stat`s. The key is every input the gate reads: the staged
//! jobs tree and `HEAD` (what is new in `done/`), the failing codes and every `wo.*`
//! setting, the record refs (`packed-refs` and `refs/wo/orders`), the notes ref,
//! and the `stat` of each file and folder the inventory looked at: the state folders
//! and every `.lock` in `running/`, git's worktree metadata and the worktrees
//! themselves, the branch refs of running WOs (what `out_of_scope` diffs), the DoD
//! catalog and the backlog, the verdict files of running WOs, and the hooks. A
//! verdict is valid until the earliest moment time alone could change it (a lease
//! ending, a lockless WO turning 24 h old, a temp file becoming a leftover); none is
//! kept while a take or finish is in flight, or when an input changed too recently to
//! be trusted.
//! Kept in `<git-common-dir>/wo/gate-cache`; `GIT_WO_NO_CACHE=1` turns it off.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::git::Repo;
use crate::inventory::Inventory;
use crate::inventory::parse_cache::{Stamp, enabled};
use crate::model::hook_shim::SHIMS;

pub const FILE: &str = "gate-cache";

const HEADER: &str = concat!("git-wo gate-cache 1 ", env!("CARGO_PKG_VERSION"));

/// What the gate concluded, as it is printed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Verdict {
    pub passed: bool,
    /// One line per problem (code, WO, message, fix).
    pub failures: Vec<String>,
    /// What to do about them, beyond each line's fix.
    pub notes: Vec<String>,
    pub warnings: Vec<String>,
    /// Manual closures left to the commit-msg hook.
    pub closures: Vec<super::closure::Closure>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    header: String,
    key: String,
    valid_until: Option<DateTime<Utc>>,
    /// (path, stat) of every file and folder the verdict depends on.
    deps: Vec<(PathBuf, String)>,
    verdict: Verdict,
}

/// The verdict cached for `key`, when every input is as it was and time has not run out.
pub fn lookup(repo: &Repo, key: &str) -> Option<Verdict> {
    if !enabled() {
        return None;
    }
    let text = std::fs::read(repo.wo_dir().join(FILE)).ok()?;
    let entry: Entry = serde_json::from_slice(&text).ok()?;
    if entry.header != HEADER || entry.key != key {
        return None;
    }
    if entry.valid_until.is_some_and(|t| crate::clock::now() >= t) {
        return None;
    }
    let now = std::time::SystemTime::now();
    for (path, was) in &entry.deps {
        if stat(path, now)? != *was {
            return None;
        }
    }
    Some(entry.verdict)
}

/// Keep `verdict` for `key`, unless an input is too fresh to be trusted.
pub fn store(
    repo: &Repo,
    key: &str,
    deps: &[PathBuf],
    valid_until: Option<DateTime<Utc>>,
    verdict: &Verdict,
) {
    if !enabled() {
        return;
    }
    let now = std::time::SystemTime::now();
    let mut stamped = Vec::with_capacity(deps.len());
    for p in deps {
        let Some(s) = stat(p, now) else { return };
        stamped.push((p.clone(), s));
    }
    let entry = Entry {
        header: HEADER.to_owned(),
        key: key.to_owned(),
        valid_until,
        deps: stamped,
        verdict: verdict.clone(),
    };
    if let Ok(text) = serde_json::to_string(&entry) {
        crate::inventory::line_format::write_file(&repo.wo_dir().join(FILE), &text);
    }
}

/// The `stat` of `p` as text (`-` when it does not exist), `None` when it changed too
/// recently to be trusted or cannot be read.
fn stat(p: &Path, now: std::time::SystemTime) -> Option<String> {
    match std::fs::symlink_metadata(p) {
        Ok(m) => {
            let s = Stamp::of(&m)?;
            (!s.racy(now)).then(|| format!("{}:{}:{}:{}", s.size, s.mtime_ns, s.ctime_ns, s.ino))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some("-".into()),
        Err(_) => None,
    }
}

/// The files and folders the gate's inventory read, whose `stat` keys the verdict.
pub fn deps(repo: &Repo, inv: &Inventory) -> Vec<PathBuf> {
    let root = &repo.control_root;
    let jobs = repo.jobs_dir();
    let mut out = vec![jobs.clone()];
    for state in crate::model::state::State::ALL {
        out.push(jobs.join(state.as_str()));
    }
    out.extend(inv.locks.iter().map(|l| root.join(&l.rel_path)));
    out.extend(inv.odd_locks.iter().map(|(_, p, _)| root.join(p)));
    out.push(repo.common_dir.join("worktrees"));
    out.push(repo.common_dir.join("HEAD"));
    for wt in inv.worktrees.iter().filter(|w| !w.is_main) {
        out.push(wt.admin_dir.clone());
        out.extend(["gitdir", "HEAD", "locked"].map(|f| wt.admin_dir.join(f)));
        out.push(wt.path.clone());
        out.push(wt.path.join(".git"));
    }
    // The DoD catalog and the backlog (`unknown_dod`, `invalid_dod`, `unknown_epic`):
    // their folders (a file added or removed) and each file read.
    let dod = root.join(crate::inventory::dod::DOD_DIR);
    out.push(dod.clone());
    out.extend(inv.dod.files.iter().map(|f| root.join(&f.path)));
    let backlog = root.join(crate::inventory::backlog::BACKLOG_FILE);
    out.extend(backlog.parent().map(Path::to_path_buf));
    out.push(backlog);
    let logs = root.join("_ctx/logs");
    out.push(logs.clone());
    for f in inv
        .files
        .iter()
        .filter(|f| f.folder == crate::model::state::State::Running)
    {
        if let Some(id) = &f.id {
            out.push(logs.join(id.as_str()));
            out.push(logs.join(id.as_str()).join("verdict.json"));
        }
    }
    // The branches of running WOs: what they change is `out_of_scope`'s input. A
    // branch can move with nothing else here changing (a push into it, `update-ref`);
    // a packed one is in the record refs' key (`packed-refs`).
    let heads = repo.common_dir.join("refs/heads");
    for s in inv.records.values() {
        if let (crate::model::state::State::Running, Some(branch)) =
            (s.record.state, s.record.branch())
        {
            out.push(heads.join(branch));
        }
    }
    let hooks = repo.hooks_dir();
    out.push(hooks.path.clone());
    for (name, _) in SHIMS {
        out.push(hooks.hook(name));
    }
    out.push(repo.common_dir.join("refs/notes/wo"));
    out.push(repo.wo_dir().join(crate::model::sync_conflict::FILE));
    out.push(repo.common_dir.join(crate::inventory::here::CLONE_ID_FILE));
    out.sort();
    out.dedup();
    out
}
