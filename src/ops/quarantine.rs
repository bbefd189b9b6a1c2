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
    let stored = dir.join(entry.stored_path().map_err(anyhow::Error::msg)?);
    if fs::symlink_metadata(&stored).is_err() {
        return Ok(false);
    }
    let dest = control_root.join(entry.from_path().map_err(anyhow::Error::msg)?);
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
            ..Entry::default()
        };
        put(&root, &dir, Path::new(&entry.from), &entry).unwrap();
        assert!(!root.join(&entry.from).exists());
        assert_eq!(manifest(&dir).unwrap(), vec![entry.clone()]);
        assert!(restore(&root, &dir, &entry).unwrap());
        assert_eq!(fs::read(root.join(&entry.from)).unwrap(), b"id: WO-1\n");
        assert!(!restore(&root, &dir, &entry).unwrap(), "restored once");
    }
}
