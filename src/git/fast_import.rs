//! Writing many small commits at once: a `git fast-import` process (one per core for
//! thousands of commits) streams every blob, tree and commit into a pack instead of
//! three loose objects each, and a single ref transaction puts every new ref straight
//! into `packed-refs`. For imports of thousands of records, where one object file and
//! one ref file per object would cost seconds.
//!
//! The commits are exactly the ones [`Repo::commit_files`] would write (same author,
//! committer, time, message and tree), so their ids are the same either way.

use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::{Context, Result};
use gix::ObjectId;
use gix::refs::transaction::{Change, PreviousValue, RefEdit};

use super::Repo;
use crate::error::{GitFailure, WoError};

/// A root commit to write: its two files (name, content) and message, with git-wo's
/// identity at time zero (the deterministic import time).
#[derive(Debug, Clone)]
pub struct RootCommit {
    pub files: [(&'static str, Vec<u8>); 2],
    pub message: String,
}

/// The ref fast-import process `part` moves while it writes; deleted when it is done.
fn scratch_ref(part: usize) -> String {
    format!("refs/wo-import/{}-{part}", std::process::id())
}

/// Fewer commits than this go to one fast-import process.
const SPLIT_AT: usize = 2048;

/// Most fast-import processes run at once.
const MAX_PARTS: usize = 4;

impl Repo {
    /// Write `commits` into a few packs and return their ids, in order. A big import is
    /// split between one `git fast-import` per core (each single-threaded, and most of
    /// an import's time), each writing a pack of its own.
    pub fn import_root_commits(&self, commits: &[RootCommit]) -> Result<Vec<ObjectId>> {
        if commits.is_empty() {
            return Ok(Vec::new());
        }
        let cores = crate::parallel::cores();
        let parts = (commits.len() / SPLIT_AT).clamp(1, cores.clamp(1, MAX_PARTS));
        let size = commits.len().div_ceil(parts);
        let common_dir = &self.common_dir;
        let results: Vec<Result<Vec<ObjectId>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = commits
                .chunks(size)
                .enumerate()
                .map(|(part, chunk)| scope.spawn(move || import_part(common_dir, chunk, part)))
                .collect();
            handles.into_iter().map(crate::parallel::join).collect()
        });
        // A scratch ref only ever names the last commit of its part: dropped whatever
        // happened.
        for part in 0..results.len() {
            let _ = self.delete_ref_if_present(&scratch_ref(part));
        }
        let mut ids = Vec::with_capacity(commits.len());
        for r in results {
            ids.extend(r?);
        }
        Ok(ids)
    }

    /// Create the refs `(name, target)`, none of which may exist yet, by adding them to
    /// `packed-refs` under its lock (git's protocol for rewriting that file), with no
    /// file per ref. Returns the names that were not created by this call: those that
    /// existed already (loose or packed) and those a concurrent writer created as loose
    /// refs meanwhile, whose loose value wins. A held `packed-refs.lock` is a conflict.
    pub fn create_refs_packed(&self, refs: &[(String, ObjectId)]) -> Result<Vec<String>> {
        if self.common_dir.join("reftable").is_dir() {
            return Err(WoError::conflict(
                "refs are stored in a reftable: no packed-refs file to extend",
            )
            .into());
        }
        let packed = self.common_dir.join("packed-refs");
        let lock_path = self.common_dir.join("packed-refs.lock");
        let mut lock = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lock_path)
        {
            Ok(f) => LockFile {
                path: lock_path.clone(),
                file: Some(f),
            },
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(WoError::conflict(format!(
                    "{} exists: another git process is rewriting packed-refs",
                    lock_path.display()
                ))
                .into());
            }
            Err(e) => {
                return Err(
                    anyhow::Error::from(e).context(format!("creating {}", lock_path.display()))
                );
            }
        };
        let current = match std::fs::read(&packed) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                return Err(anyhow::Error::from(e).context(format!("reading {}", packed.display())));
            }
        };
        let mut file = PackedRefs::parse(&current).with_context(|| {
            format!(
                "{} is not a packed-refs file git-wo can extend",
                packed.display()
            )
        })?;
        let mut skipped = Vec::new();
        let mut added = Vec::new();
        for (name, target) in refs {
            let loose = self.common_dir.join(name);
            if file.contains(name) || loose.exists() || file.has_prefix_of_or_under(name) {
                skipped.push(name.clone());
            } else {
                added.push((name.clone(), *target));
            }
        }
        file.add(&added);
        {
            let out = lock.file.as_mut().context("packed-refs.lock is open")?;
            out.write_all(&file.render())
                .and_then(|_| out.sync_all())
                .with_context(|| format!("writing {}", lock_path.display()))?;
        }
        lock.commit(&packed)?;
        // A loose ref created meanwhile shadows the packed one: that writer won.
        for (name, _) in &added {
            if self.common_dir.join(name).exists() {
                skipped.push(name.clone());
            }
        }
        Ok(skipped)
    }

    /// Delete `name` if it exists (no expectation on its value).
    fn delete_ref_if_present(&self, name: &str) -> Result<()> {
        if self.gix.try_find_reference(name)?.is_none() {
            return Ok(());
        }
        let edit = RefEdit {
            change: Change::Delete {
                expected: PreviousValue::Any,
                log: gix::refs::transaction::RefLog::AndReference,
            },
            name: name.try_into()?,
            deref: false,
        };
        self.gix.edit_reference(edit)?;
        Ok(())
    }
}

/// Write `commits` into one pack with one fast-import process (part `part` of an
/// import), leaving its scratch ref for the caller to delete.
fn import_part(
    common_dir: &std::path::Path,
    commits: &[RootCommit],
    part: usize,
) -> Result<Vec<ObjectId>> {
    let marks = tempfile::NamedTempFile::new_in(common_dir)
        .context("creating a marks file for git fast-import")?;
    let marks_arg = format!("--export-marks={}", marks.path().display());
    // Records are a few hundred bytes: deflating them saves ~12 % of the pack and
    // costs half of fast-import's time, so they are stored (level 0).
    let mut child = Command::new("git")
        .arg("--git-dir")
        .arg(common_dir)
        .args(["-c", "pack.compression=0"])
        .args(["fast-import", "--quiet", "--done", &marks_arg])
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        // fast-import sets up and frees a zlib stream per object; with glibc's default
        // heap trimming that is a `brk` pair per object (160,000 for 10,000 WOs, 5 s on
        // a small VM). Keeping 64 MiB of heap slack makes it 6× faster; other C
        // libraries ignore these.
        .env("MALLOC_TOP_PAD_", "67108864")
        .env("MALLOC_TRIM_THRESHOLD_", "268435456")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("running `git fast-import` (is git installed?)")?;
    let scratch = scratch_ref(part);
    let stream = stream(commits, &scratch);
    let written = match child.stdin.take() {
        Some(mut stdin) => stdin.write_all(&stream),
        None => Ok(()),
    };
    let out = child
        .wait_with_output()
        .context("waiting for git fast-import")?;
    if !out.status.success() {
        return Err(GitFailure {
            command: "fast-import".into(),
            dir: common_dir.display().to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        }
        .into());
    }
    written.context("writing to git fast-import")?;
    let text = std::fs::read_to_string(marks.path()).context("reading fast-import's marks")?;
    let mut ids = vec![None; commits.len()];
    for line in text.lines() {
        let Some((mark, hex)) = line.split_once(' ') else {
            continue;
        };
        let Some(n) = mark.strip_prefix(':').and_then(|m| m.parse::<usize>().ok()) else {
            continue;
        };
        // Marks: 3k+1 and 3k+2 are the blobs of commit k, 3k+3 the commit.
        if n % 3 == 0 && n / 3 >= 1 && n / 3 <= commits.len() {
            ids[n / 3 - 1] = Some(ObjectId::from_hex(hex.as_bytes())?);
        }
    }
    ids.into_iter()
        .enumerate()
        .map(|(i, id)| id.with_context(|| format!("fast-import wrote no commit {}", i + 1)))
        .collect()
}

/// The fast-import stream: for commit k (from 0), blobs `:3k+1`, `:3k+2` and the
/// commit `:3k+3`, each made a root commit by a `reset` of the scratch ref.
fn stream(commits: &[RootCommit], scratch: &str) -> Vec<u8> {
    let mut s = Vec::with_capacity(commits.len() * 1024);
    for (k, c) in commits.iter().enumerate() {
        let base = 3 * k;
        let mut files: Vec<(&str, usize)> = Vec::with_capacity(c.files.len());
        for (i, (name, data)) in c.files.iter().enumerate() {
            let mark = base + 1 + i;
            let _ = write!(s, "blob\nmark :{mark}\ndata {}\n", data.len());
            s.extend_from_slice(data);
            s.push(b'\n');
            files.push((name, mark));
        }
        let _ = write!(
            s,
            "reset {scratch}\ncommit {scratch}\nmark :{}\nauthor git-wo <git-wo@localhost> 0 +0000\ncommitter git-wo <git-wo@localhost> 0 +0000\ndata {}\n",
            base + 3,
            c.message.len()
        );
        s.extend_from_slice(c.message.as_bytes());
        s.push(b'\n');
        for (name, mark) in files {
            let _ = writeln!(s, "M 100644 :{mark} {name}");
        }
        s.push(b'\n');
    }
    s.extend_from_slice(b"done\n");
    s
}

/// `packed-refs.lock`, removed unless committed.
struct LockFile {
    path: std::path::PathBuf,
    file: Option<std::fs::File>,
}

impl LockFile {
    /// Close the lock and rename it onto `target`.
    fn commit(mut self, target: &std::path::Path) -> Result<()> {
        drop(self.file.take());
        std::fs::rename(&self.path, target)
            .with_context(|| format!("renaming {} to {}", self.path.display(), target.display()))?;
        self.path = std::path::PathBuf::new();
        Ok(())
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The lines of a `packed-refs` file: its header and one entry per ref (the ref line and
/// the `^<peeled>` line that may follow it), kept as bytes.
#[derive(Debug, Default)]
struct PackedRefs {
    header: Option<Vec<u8>>,
    entries: Vec<(Vec<u8>, Vec<u8>)>,
    sorted: bool,
}

const PACKED_HEADER: &[u8] = b"# pack-refs with: peeled fully-peeled sorted \n";

impl PackedRefs {
    fn parse(bytes: &[u8]) -> Result<PackedRefs> {
        let mut out = PackedRefs {
            sorted: true,
            ..PackedRefs::default()
        };
        for line in bytes.split_inclusive(|b| *b == b'\n') {
            if line.starts_with(b"#") {
                if out.header.is_some() || !out.entries.is_empty() {
                    anyhow::bail!("a second header line");
                }
                let traits = String::from_utf8_lossy(line);
                out.sorted = traits.split_whitespace().any(|t| t == "sorted");
                out.header = Some(line.to_vec());
            } else if line.starts_with(b"^") {
                let Some(last) = out.entries.last_mut() else {
                    anyhow::bail!("a peeled line before any ref");
                };
                last.1.extend_from_slice(line);
            } else if line.trim_ascii().is_empty() {
                continue;
            } else {
                let text = std::str::from_utf8(line).context("a ref line that is not UTF-8")?;
                let Some((_, name)) = text.trim_end().split_once(' ') else {
                    anyhow::bail!("a ref line without a name: {text:?}");
                };
                let mut full = line.to_vec();
                if !full.ends_with(b"\n") {
                    full.push(b'\n');
                }
                out.entries.push((name.as_bytes().to_vec(), full));
            }
        }
        Ok(out)
    }

    fn contains(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    fn find(&self, name: &str) -> std::result::Result<usize, usize> {
        if self.sorted {
            self.entries
                .binary_search_by(|(n, _)| n.as_slice().cmp(name.as_bytes()))
        } else {
            self.entries
                .iter()
                .position(|(n, _)| n == name.as_bytes())
                .ok_or(self.entries.len())
        }
    }

    /// Whether a packed ref is a directory prefix of `name` or lies under it (which
    /// would make the two names clash as files).
    fn has_prefix_of_or_under(&self, name: &str) -> bool {
        let under = format!("{name}/");
        let mut prefix = String::new();
        for part in name.split('/') {
            if !prefix.is_empty() && self.contains(&prefix) {
                return true;
            }
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
        }
        let start = match self.find(&under) {
            Ok(i) | Err(i) => i,
        };
        self.sorted
            && self
                .entries
                .get(start)
                .is_some_and(|(n, _)| n.starts_with(under.as_bytes()))
            || !self.sorted
                && self
                    .entries
                    .iter()
                    .any(|(n, _)| n.starts_with(under.as_bytes()))
    }

    fn add(&mut self, refs: &[(String, ObjectId)]) {
        for (name, id) in refs {
            self.entries.push((
                name.as_bytes().to_vec(),
                format!("{id} {name}\n").into_bytes(),
            ));
        }
        self.entries.sort_by(|a, b| a.0.cmp(&b.0));
        self.sorted = true;
    }

    /// The file: the header (made to say `sorted`, which it now is) and the entries.
    fn render(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(64 + self.entries.iter().map(|e| e.1.len()).sum::<usize>());
        match &self.header {
            Some(h) => {
                let text = String::from_utf8_lossy(h);
                let mut traits: Vec<&str> = text
                    .trim_start_matches('#')
                    .trim()
                    .trim_start_matches("pack-refs with:")
                    .split_whitespace()
                    .collect();
                if !traits.contains(&"sorted") {
                    traits.push("sorted");
                }
                out.extend_from_slice(
                    format!("# pack-refs with: {} \n", traits.join(" ")).as_bytes(),
                );
            }
            None => out.extend_from_slice(PACKED_HEADER),
        }
        for (_, e) in &self.entries {
            out.extend_from_slice(e);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: &str = "1111111111111111111111111111111111111111";
    const PEEL: &str = "2222222222222222222222222222222222222222";

    #[test]
    fn packed_refs_merge_keeps_peeled_lines_and_sorts() {
        let text = format!(
            "# pack-refs with: peeled fully-peeled sorted \n{TAG} refs/tags/v1\n^{PEEL}\n{TAG} refs/wo/orders/WO-9\n"
        );
        let mut p = PackedRefs::parse(text.as_bytes()).expect("parses");
        assert!(p.contains("refs/wo/orders/WO-9"));
        assert!(!p.contains("refs/wo/orders/WO-1"));
        assert!(p.has_prefix_of_or_under("refs/tags/v1/x"));
        assert!(p.has_prefix_of_or_under("refs/wo"));
        assert!(!p.has_prefix_of_or_under("refs/wo/orders/WO-1"));
        let id = ObjectId::from_hex(PEEL.as_bytes()).expect("hex");
        p.add(&[
            ("refs/wo/orders/WO-1".into(), id),
            ("refs/heads/a".into(), id),
        ]);
        let out = String::from_utf8(p.render()).expect("utf8");
        let names: Vec<&str> = out
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with('^'))
            .filter_map(|l| l.split_once(' ').map(|(_, n)| n))
            .collect();
        assert_eq!(
            names,
            [
                "refs/heads/a",
                "refs/tags/v1",
                "refs/wo/orders/WO-1",
                "refs/wo/orders/WO-9"
            ]
        );
        assert!(out.contains(&format!("refs/tags/v1\n^{PEEL}\n")), "{out}");
        assert!(out.starts_with("# pack-refs with: peeled fully-peeled sorted \n"));
    }

    #[test]
    fn damaged_packed_refs_are_refused() {
        assert!(PackedRefs::parse(format!("^{PEEL}\n").as_bytes()).is_err());
        assert!(PackedRefs::parse(b"nonameline\n").is_err());
        assert!(PackedRefs::parse(b"# a\n# b\n").is_err());
        let p = PackedRefs::parse(b"").expect("empty is fine");
        assert_eq!(p.render(), PACKED_HEADER);
    }
}
