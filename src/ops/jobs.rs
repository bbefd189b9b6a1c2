//! Crash-safe changes to the jobs dir (SPEC §1): a state change first `rename(2)`s the
//! file into the new folder unchanged (the WO is never in two folders), then rewrites
//! its fields via a temp file + rename in that folder, fsyncing the directories.
//! `.lock` files are created with `O_EXCL`.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::error::WoError;
use crate::model::state::State;

/// The jobs dir of a control checkout.
pub struct Jobs {
    pub root: PathBuf,
    /// Relative to `root`, e.g. `_ctx/jobs`.
    pub rel: String,
}

impl Jobs {
    pub fn new(root: &Path, rel: &str) -> Jobs {
        Jobs {
            root: root.to_path_buf(),
            rel: rel.to_owned(),
        }
    }

    pub fn abs(&self, rel_path: &Path) -> PathBuf {
        self.root.join(rel_path)
    }

    pub fn state_dir_rel(&self, state: State) -> PathBuf {
        PathBuf::from(&self.rel).join(state.as_str())
    }

    pub fn lock_rel(&self, id: &str) -> PathBuf {
        self.state_dir_rel(State::Running)
            .join(format!("{id}.lock"))
    }

    /// Create the four state folders if missing.
    pub fn ensure_dirs(&self) -> Result<()> {
        for s in State::ALL {
            let d = self.root.join(self.state_dir_rel(s));
            fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
        }
        Ok(())
    }

    /// Write an empty `.gitkeep` in each state folder that has none (git tracks no
    /// empty folder: without them a clone gets no jobs dir). The paths written,
    /// relative to the checkout.
    pub fn write_gitkeeps(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for s in State::ALL {
            let rel = self.state_dir_rel(s).join(".gitkeep");
            let abs = self.root.join(&rel);
            if fs::symlink_metadata(&abs).is_ok() {
                continue;
            }
            fs::write(&abs, b"").with_context(|| format!("writing {}", abs.display()))?;
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
        Ok(out)
    }

    /// Move `rel_path` into the `to` folder under the same name (step 1 of a state
    /// change). Refuses to overwrite. Returns the new relative path.
    pub fn move_to(&self, rel_path: &Path, to: State, id: &str) -> Result<PathBuf> {
        let name = rel_path.file_name().context("WO path has no file name")?;
        let new_rel = self.state_dir_rel(to).join(name);
        if new_rel == rel_path {
            return Ok(new_rel);
        }
        let from = self.abs(rel_path);
        let dest = self.abs(&new_rel);
        fs::create_dir_all(dest.parent().context("no parent")?)?;
        if fs::symlink_metadata(&dest).is_ok() {
            return Err(WoError::failed(format!(
                "{id}: {} already exists; refusing to overwrite it with {}",
                new_rel.display(),
                rel_path.display()
            ))
            .fix("git wo audit (a second copy of this WO: resolve it first)")
            .into());
        }
        fs::rename(&from, &dest)
            .with_context(|| format!("{id}: moving {} to {}", from.display(), dest.display()))?;
        sync_dir(dest.parent())?;
        sync_dir(from.parent())?;
        Ok(new_rel)
    }

    /// Replace the contents of `rel_path` atomically (temp file + rename in its folder).
    pub fn rewrite(&self, rel_path: &Path, bytes: &[u8]) -> Result<()> {
        let path = self.abs(rel_path);
        let dir = path.parent().context("no parent")?;
        let tmp = synced_temp(dir, bytes)?;
        if let Ok(meta) = fs::metadata(&path) {
            let _ = fs::set_permissions(tmp.path(), meta.permissions());
        }
        tmp.persist(&path)
            .map_err(|e| e.error)
            .with_context(|| format!("replacing {}", path.display()))?;
        sync_dir(Some(dir))
    }

    /// Create `rel_path` with `bytes` (temp file, then a link that fails when the name
    /// is taken): a file already there, even an identical one, is never overwritten;
    /// an identical one is not an error (a rerun).
    pub fn create_new(&self, rel_path: &Path, bytes: &[u8]) -> Result<()> {
        let path = self.abs(rel_path);
        let dir = path.parent().context("no parent")?;
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        if fs::symlink_metadata(&path).is_ok() {
            // (Read only when a regular file: a FIFO there would block.)
            if crate::regular::bytes(&path, bytes.len() as u64).is_some_and(|b| b == bytes) {
                return Ok(());
            }
            return Err(WoError::failed(format!(
                "{} exists already; refusing to overwrite it",
                rel_path.display()
            ))
            .fix("git wo audit")
            .into());
        }
        let tmp = synced_temp(dir, bytes)?;
        tmp.persist_noclobber(&path)
            .map_err(|e| e.error)
            .with_context(|| format!("creating {}", path.display()))?;
        sync_dir(Some(dir))
    }

    /// Create `running/<ID>.lock` exclusively. Fails (conflict) if it exists.
    pub fn create_lock(&self, id: &str, text: &str) -> Result<()> {
        let path = self.abs(&self.lock_rel(id));
        fs::create_dir_all(path.parent().context("no parent")?)?;
        let mut f = match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(WoError::conflict(format!(
                    "{id}: {} already exists (another holder?)",
                    path.display()
                ))
                .fix(format!("git wo show {id}"))
                .into());
            }
            Err(e) => {
                return Err(anyhow::Error::from(e).context(format!("creating {}", path.display())));
            }
        };
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        sync_dir(path.parent())
    }

    /// Replace the `.lock` file's contents (a steal or an adoption).
    pub fn replace_lock(&self, id: &str, text: &str) -> Result<()> {
        self.rewrite(&self.lock_rel(id), text.as_bytes())
    }

    /// Remove `running/<ID>.lock` if present.
    pub fn remove_lock(&self, id: &str) -> Result<()> {
        let path = self.abs(&self.lock_rel(id));
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(path.parent()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(anyhow::Error::from(e).context(format!("removing {}", path.display()))),
        }
    }

    /// Whether anything (a file, a directory, a link, even a dangling one) is at the
    /// `.lock` path: never follows a link.
    pub fn lock_present(&self, id: &str) -> bool {
        fs::symlink_metadata(self.abs(&self.lock_rel(id))).is_ok()
    }

    /// Replace the contents of `rel_path` with `bytes` only while it still holds
    /// `expected`, and never create it: a file a state change moved away meanwhile is
    /// not written back (that would leave its WO in two folders), and one edited
    /// meanwhile is left as it is. On Linux the new file is swapped in with
    /// `renameat2(RENAME_EXCHANGE)`, which fails when the name is gone, and the bytes
    /// swapped out are checked (swapped back when they are not `expected`); where the
    /// file system cannot exchange, the file is compared right before a plain rename.
    pub fn replace_if_same(
        &self,
        rel_path: &Path,
        expected: &[u8],
        bytes: &[u8],
    ) -> Result<Replaced> {
        let path = self.abs(rel_path);
        let dir = path.parent().context("no parent")?;
        match fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Replaced::Gone),
            Ok(meta) if !meta.file_type().is_file() => return Ok(Replaced::NotAFile),
            _ => {}
        }
        // What is at `p` now, compared with `expected`: `Yes` when it holds it.
        let holds = |p: &Path| match crate::regular::read(p, expected.len() as u64) {
            Ok(crate::regular::Regular::Bytes(b, _)) if b == expected => Replaced::Yes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Replaced::Gone,
            _ => Replaced::Changed,
        };
        match holds(&path) {
            Replaced::Yes => {}
            other => return Ok(other),
        }
        let tmp = synced_temp(dir, bytes)?;
        if let Ok(meta) = fs::metadata(&path) {
            let _ = fs::set_permissions(tmp.path(), meta.permissions());
        }
        match exchange(tmp.path(), &path) {
            Ok(()) => {
                // The temp name now holds what was there.
                let out = if holds(tmp.path()) == Replaced::Yes {
                    Replaced::Yes
                } else if let Err(e) = exchange(tmp.path(), &path) {
                    // Keep the edited version where it is, and say where.
                    let kept = tmp.path().to_path_buf();
                    let _ = tmp.keep();
                    return Err(anyhow::Error::from(e).context(format!(
                        "{} was edited while it was rewritten; its edited version is {}",
                        path.display(),
                        kept.display()
                    )));
                } else {
                    Replaced::Changed
                };
                drop(tmp);
                sync_dir(Some(dir))?;
                Ok(out)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Replaced::Gone),
            Err(_) => {
                // No exchange here: compare, then rename.
                match holds(&path) {
                    Replaced::Yes => {}
                    other => return Ok(other),
                }
                tmp.persist(&path)
                    .map_err(|e| e.error)
                    .with_context(|| format!("replacing {}", path.display()))?;
                sync_dir(Some(dir))?;
                Ok(Replaced::Yes)
            }
        }
    }
}

/// What [`Jobs::replace_if_same`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replaced {
    /// The file held what was expected and now holds the new bytes.
    Yes,
    /// The file is gone (a state change moved it meanwhile): nothing was written.
    Gone,
    /// The file holds something else (edited meanwhile): it was left as it is.
    Changed,
    /// A symlink or anything else that is not a regular file: never replaced.
    NotAFile,
}

/// Swap the files at `a` and `b` atomically; `NotFound` when either is gone.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: two valid NUL-terminated paths; renameat2 reads them and nothing else.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// No atomic exchange: the caller compares, then renames.
#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// A git-wo temp file in `dir` holding `bytes`, synced: what a rename or link then
/// puts in place.
fn synced_temp(dir: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile> {
    // The name carries the writer, so a file a killed command left is told from one
    // being written (see `model::temp_name`).
    let prefix = crate::model::temp_name::jobs_prefix(std::process::id(), &crate::host::hostname());
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temp file in {}", dir.display()))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    Ok(tmp)
}

/// `fsync` a folder (best effort: a folder that cannot be opened is skipped), so a
/// rename in it survives a crash.
pub fn sync_dir(dir: Option<&Path>) -> Result<()> {
    if let Some(d) = dir
        && let Ok(f) = File::open(d)
    {
        let _ = f.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_if_same_never_writes_back_a_moved_or_edited_file() {
        let tmp = tempfile::tempdir().unwrap();
        let jobs = Jobs::new(tmp.path(), "_ctx/jobs");
        jobs.ensure_dirs().unwrap();
        let rel = PathBuf::from("_ctx/jobs/pending/WO-1.yaml");
        let abs = tmp.path().join(&rel);
        fs::write(&abs, "id: WO-1\nversion: 1\n").unwrap();
        let new = b"version: 1\nid: WO-1\n";
        // Edited since it was read: left as it is.
        let r = jobs.replace_if_same(&rel, b"id: WO-1\n", new).unwrap();
        assert_eq!(r, Replaced::Changed);
        assert_eq!(fs::read(&abs).unwrap(), b"id: WO-1\nversion: 1\n");
        // As read: replaced.
        let r = jobs
            .replace_if_same(&rel, b"id: WO-1\nversion: 1\n", new)
            .unwrap();
        assert_eq!(r, Replaced::Yes);
        assert_eq!(fs::read(&abs).unwrap(), new);
        // Moved away (a take renamed it into running/): not created again.
        let moved = tmp.path().join("_ctx/jobs/running/WO-1.yaml");
        fs::rename(&abs, &moved).unwrap();
        let r = jobs.replace_if_same(&rel, new, b"x: 1\n").unwrap();
        assert_eq!(r, Replaced::Gone);
        assert!(!abs.exists());
        // A symlink where the file was: never replaced (nor followed).
        let target = tmp.path().join("elsewhere.yaml");
        fs::write(&target, "id: WO-1\nversion: 1\n").unwrap();
        std::os::unix::fs::symlink(&target, &abs).unwrap();
        let r = jobs
            .replace_if_same(&rel, b"id: WO-1\nversion: 1\n", new)
            .unwrap();
        assert_eq!(r, Replaced::NotAFile);
        assert!(fs::symlink_metadata(&abs).unwrap().file_type().is_symlink());
        fs::remove_file(&abs).unwrap();
        // No temp file left anywhere.
        for dir in ["pending", "running"] {
            let names: Vec<_> = fs::read_dir(tmp.path().join("_ctx/jobs").join(dir))
                .unwrap()
                .flatten()
                .map(|e| e.file_name())
                .collect();
            assert!(names.len() <= 1, "{names:?}");
        }
    }
}
