//! Each scenario of `fixtures/scenario.sh` is built once per test process (again after
//! a minute) and copied for every test that asks for it (gitoxide's test tools do the same with their fixture
//! scripts): building `baseline` runs about a hundred git commands, copying it is one
//! `cp -a`.
//!
//! Per process, not across runs, and for a minute at most: the scenarios stamp locks
//! and `started_at` with the time they were built (an auditor judges staleness against
//! the wall clock), so a template older than [`MAX_AGE`] is built again. Templates live
//! inside `CARGO_TARGET_TMPDIR`; folders of processes that are gone are removed at
//! first use.
//!
//! A copy is the same repository at another path. git stores two absolute paths per
//! linked worktree (`.git/worktrees/<id>/gitdir` and the worktree's `.git` file); every
//! small file outside the object store, and every symlink, that names the template's
//! folder is rewritten to name the copy's. Committed files never hold such a path (the
//! scenarios write relative worktree paths), so the index and the objects stay valid.

use std::collections::HashMap;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Where this process keeps its templates.
fn process_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixtures");
        std::fs::create_dir_all(&base).expect("mkdir fixture cache");
        // Folders of processes that are gone (their pid is the folder's name).
        if let Ok(entries) = std::fs::read_dir(&base) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let gone = name
                    .parse::<u32>()
                    .is_ok_and(|pid| !Path::new(&format!("/proc/{pid}")).exists());
                if gone {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = base.join(std::process::id().to_string());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir fixture cache");
        dir
    })
}

/// One template per scenario and arguments, built by the first test that asks, and
/// when it was built.
type Slot = Arc<OnceLock<(PathBuf, Instant)>>;

/// A template older than this is built again. The scenarios stamp locks, leases and
/// worktrees with the time they were built, and every test must see them as recent as
/// a fresh build would (gc keeps a worktree touched in the last 10 minutes; a fixture's
/// running WOs hold live leases), however long the suite has been running.
const MAX_AGE: Duration = Duration::from_secs(60);

fn slot(key: &str) -> Slot {
    static SLOTS: OnceLock<Mutex<HashMap<String, Slot>>> = OnceLock::new();
    let slots = SLOTS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = slots.lock().unwrap_or_else(|e| e.into_inner());
    // A slot being built counts as fresh: the tests asking wait for it.
    let fresh = map
        .get(key)
        .is_some_and(|s| s.get().is_none_or(|(_, at)| at.elapsed() < MAX_AGE));
    if !fresh {
        map.insert(key.to_owned(), Slot::default());
    }
    map.entry(key.to_owned()).or_default().clone()
}

/// The template folder of `name args…`: `<dir>/repo` and its worktrees, as
/// `build(dir)` made them (a panic there fails the asking test, and the next test
/// asking tries again).
pub fn template(name: &str, args: &[&str], build: impl FnOnce(&Path)) -> PathBuf {
    let key = std::iter::once(name)
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    let slot = slot(&key);
    slot.get_or_init(|| {
        let n = {
            static NEXT: Mutex<u32> = Mutex::new(0);
            let mut n = NEXT.lock().unwrap_or_else(|e| e.into_inner());
            *n += 1;
            *n
        };
        let dir = process_dir().join(format!("{n}-{name}"));
        std::fs::create_dir_all(&dir).expect("mkdir template");
        // Physical path: scenario.sh writes `pwd -P` into git's worktree links.
        let dir = dir.canonicalize().expect("canonical template");
        build(&dir);
        (dir, Instant::now())
    })
    .0
    .clone()
}

/// Copy the template folder `from` into the (empty, existing) folder `to`, then
/// point every path that named `from` at `to`.
pub fn copy(from: &Path, to: &Path) {
    let to = to.canonicalize().expect("canonical copy dir");
    let out = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", from.display()))
        .arg(&to)
        .output()
        .expect("run cp");
    assert!(
        out.status.success(),
        "cp -a {}: {}",
        from.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let (old, new) = (from.as_os_str().as_bytes(), to.as_os_str().as_bytes());
    rewrite(&to, old, new);
}

/// Files up to this size are read for the template's path (git's worktree links are
/// one line).
const SMALL: u64 = 64 * 1024;

fn rewrite(dir: &Path, old: &[u8], new: &[u8]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let Ok(t) = e.file_type() else { continue };
        if t.is_symlink() {
            let Ok(target) = std::fs::read_link(&p) else {
                continue;
            };
            if let Some(moved) = replaced(target.as_os_str().as_bytes(), old, new) {
                std::fs::remove_file(&p).expect("remove symlink");
                let moved = std::ffi::OsString::from_vec(moved);
                std::os::unix::fs::symlink(moved, &p).expect("symlink");
            }
        } else if t.is_dir() {
            if e.file_name() != "objects" {
                rewrite(&p, old, new);
            }
        } else if t.is_file() && e.metadata().is_ok_and(|m| m.len() <= SMALL) {
            let Ok(bytes) = std::fs::read(&p) else {
                continue;
            };
            if let Some(moved) = replaced(&bytes, old, new) {
                let mtime = e.metadata().and_then(|m| m.modified()).ok();
                std::fs::write(&p, moved).expect("rewrite");
                if let Some(t) = mtime {
                    let f = std::fs::File::options().write(true).open(&p).expect("open");
                    f.set_modified(t).expect("keep mtime");
                }
            }
        }
    }
}

/// `bytes` with every `old` replaced by `new`, or `None` when it holds no `old`.
fn replaced(bytes: &[u8], old: &[u8], new: &[u8]) -> Option<Vec<u8>> {
    if old.is_empty() || !bytes.windows(old.len()).any(|w| w == old) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() + new.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(old) {
            out.extend_from_slice(new);
            i += old.len();
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}
