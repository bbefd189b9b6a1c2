//! Quarantine: where `reconcile` and `gc` put what they take away, so that nothing is
//! ever deleted (SPEC §7). One folder per run, `<git-common-dir>/wo/quarantine/<stamp>/`,
//! holding each file under its path relative to the control checkout (`files/…`) and a
//! `manifest.jsonl`: one JSON line per file saying where it came from, for which WO and
//! why. `git wo reconcile --restore <stamp>` puts the files back.
//!
//! Crash safety: the manifest line is written (and synced) before the file moves, so a
//! kill between the two leaves a line whose file is still in place, which a restore
//! skips; a file is never in quarantine without its line.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::error::{WoError, shell_quote};
use crate::ops::jobs::sync_dir;

pub const MANIFEST: &str = "manifest.jsonl";

/// One quarantined file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    pub wo_id: String,
    /// Where it was, relative to the control checkout (or absolute when outside it).
    pub from: String,
    /// Where it is now, relative to the quarantine folder.
    pub stored: String,
    /// The finding code that sent it here.
    pub code: String,
    pub reason: String,
    pub bytes: u64,
    pub at: String,
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
    let dest = dir.join(&entry.stored);
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
    let dest = dir.join(&entry.stored);
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

/// The entries of the quarantine folder `dir`.
pub fn manifest(dir: &Path) -> Result<Vec<Entry>> {
    let path = dir.join(MANIFEST);
    let text = fs::read_to_string(&path).map_err(|e| {
        anyhow::Error::from(WoError::usage(format!("{}: {e}", path.display())).fix(
            "ls \"$(git rev-parse --git-common-dir)/wo/quarantine\" (the folders you can restore)",
        ))
    })?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l).with_context(|| format!("a bad line in {}", path.display()))
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

/// Put one entry back: `Ok(true)` when restored, `Ok(false)` when its file is not in
/// quarantine (restored before). Never overwrites: a file at the original path is an
/// error naming both.
pub fn restore(control_root: &Path, dir: &Path, entry: &Entry) -> Result<bool> {
    let stored = dir.join(&entry.stored);
    if fs::symlink_metadata(&stored).is_err() {
        return Ok(false);
    }
    let dest = control_root.join(&entry.from);
    if fs::symlink_metadata(&dest).is_ok() {
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
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)?;
    }
    move_file(&stored, &dest)
        .with_context(|| format!("{}: restoring it from quarantine", entry.wo_id))?;
    Ok(true)
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
        };
        put(&root, &dir, Path::new(&entry.from), &entry).unwrap();
        assert!(!root.join(&entry.from).exists());
        assert_eq!(manifest(&dir).unwrap(), vec![entry.clone()]);
        assert!(restore(&root, &dir, &entry).unwrap());
        assert_eq!(fs::read(root.join(&entry.from)).unwrap(), b"id: WO-1\n");
        assert!(!restore(&root, &dir, &entry).unwrap(), "restored once");
    }
}
