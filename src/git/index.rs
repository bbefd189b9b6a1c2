//! The index as a commit is about to see it: the id a folder would have in the next
//! commit (from the cache tree, else hashed from the entries, nothing written), that
//! folder in `HEAD`, staging a few paths (`git update-index`, as `git mv` leaves them)
//! and committing exactly those paths (plumbing, so the user's other staged changes
//! and the hooks are left alone).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, Result};
use gix::ObjectId;

use super::Repo;

/// An index file read for its entries under one folder.
pub struct Staged {
    index: gix::index::File,
}

impl Staged {
    /// Read the index at `path` (a missing file is an empty index). SHA-1 only, like
    /// the rest of git-wo (gix is built with its `sha1` feature alone).
    pub fn read(path: &Path) -> Result<Staged> {
        let index = gix::index::File::at_or_default(
            path,
            gix::hash::Kind::Sha1,
            true,
            gix::index::decode::Options {
                // One thread: spawning more costs more than they save at this size.
                thread_limit: Some(1),
                ..Default::default()
            },
        )
        .with_context(|| format!("reading the index {}", path.display()))?;
        Ok(Staged { index })
    }

    /// The tree id `prefix` (a folder, `/`-separated, no trailing slash) would have in
    /// a commit of this index, or `None` when nothing is staged under it. `Err` when it
    /// has unmerged entries (no tree can be written).
    pub fn tree_of(&self, prefix: &str) -> Result<Option<ObjectId>> {
        if let Some(id) = self.cached_tree(prefix) {
            return Ok(Some(id));
        }
        let dir = format!("{prefix}/");
        let state = &*self.index;
        let mut items: Vec<(&[u8], u32, ObjectId)> = Vec::new();
        for e in state.entries() {
            let path: &[u8] = e.path(state).as_ref();
            let Some(rel) = path.strip_prefix(dir.as_bytes()) else {
                continue;
            };
            if e.stage_raw() != 0 {
                anyhow::bail!(
                    "{} has unmerged entries in the index (resolve the conflict first)",
                    String::from_utf8_lossy(path)
                );
            }
            if e.flags.contains(gix::index::entry::Flags::INTENT_TO_ADD) {
                continue;
            }
            items.push((rel, e.mode.bits(), e.id));
        }
        if items.is_empty() {
            return Ok(None);
        }
        items.sort_by(|a, b| a.0.cmp(b.0));
        Ok(Some(hash_tree(&items)?))
    }

    /// The cache tree's id for `prefix`, when git keeps it valid.
    fn cached_tree(&self, prefix: &str) -> Option<ObjectId> {
        let mut tree = self.index.tree()?;
        for part in prefix.split('/') {
            tree = tree
                .children
                .iter()
                .find(|c| c.name.as_slice() == part.as_bytes())?;
        }
        tree.num_entries.map(|_| tree.id)
    }

    /// The index as read.
    pub fn state(&self) -> &gix::index::State {
        &self.index
    }

    /// Whether `path` (relative to the top of the worktree) has an entry.
    pub fn tracks(&self, path: &str) -> bool {
        self.index.entry_by_path(path.into()).is_some()
    }
}

/// The id of the tree of `items` (path below the tree, mode bits, id), sorted by path
/// as the index sorts them, which is also the order of entries in git's trees.
fn hash_tree(items: &[(&[u8], u32, ObjectId)]) -> Result<ObjectId> {
    let mut data: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let (path, mode, id) = items[i];
        match path.iter().position(|b| *b == b'/') {
            None => {
                let mode = if mode & 0o170000 == 0o040000 {
                    0o40000
                } else {
                    mode
                };
                write!(data, "{mode:o} ")?;
                data.extend_from_slice(path);
                data.push(0);
                data.extend_from_slice(id.as_bytes());
                i += 1;
            }
            Some(slash) => {
                let name = &path[..slash];
                let mut sub: Vec<(&[u8], u32, ObjectId)> = Vec::new();
                while i < items.len()
                    && items[i].0.len() > slash
                    && items[i].0.starts_with(name)
                    && items[i].0[slash] == b'/'
                {
                    sub.push((&items[i].0[slash + 1..], items[i].1, items[i].2));
                    i += 1;
                }
                let sub_id = hash_tree(&sub)?;
                data.extend_from_slice(b"40000 ");
                data.extend_from_slice(name);
                data.push(0);
                data.extend_from_slice(sub_id.as_bytes());
            }
        }
    }
    Ok(gix::objs::compute_hash(
        gix::hash::Kind::Sha1,
        gix::objs::Kind::Tree,
        &data,
    )?)
}

impl Repo {
    /// The index of the control checkout. (Found without opening a repository there:
    /// that needs a current directory, which a finish run from the worktree it just
    /// removed no longer has.)
    pub fn control_index_path(&self) -> Result<PathBuf> {
        let dot_git = self.control_root.join(".git");
        if dot_git.is_dir() {
            return Ok(dot_git.join("index"));
        }
        Ok(gix::open(&self.control_root)?.index_path())
    }

    /// The tree id of `prefix` in the tree of commit `rev` (`None`: no such folder, or
    /// an unborn `HEAD`).
    pub fn tree_at(&self, rev: ObjectId, prefix: &str) -> Result<Option<ObjectId>> {
        let tree = self.gix.find_commit(rev)?.tree()?;
        Ok(tree
            .lookup_entry_by_path(prefix)?
            .filter(|e| e.mode().is_tree())
            .map(|e| e.oid().to_owned()))
    }

    /// The names of the entries of tree `tree`.
    pub fn names_in(&self, tree: ObjectId) -> Result<std::collections::HashSet<Vec<u8>>> {
        let tree = self.gix.find_tree(tree)?;
        let mut out = std::collections::HashSet::new();
        for e in tree.iter() {
            out.insert(e?.filename().to_vec());
        }
        Ok(out)
    }

    /// Whether `path` exists in the tree of commit `rev`.
    pub fn path_in(&self, rev: ObjectId, path: &str) -> Result<bool> {
        let tree = self.gix.find_commit(rev)?.tree()?;
        Ok(tree.lookup_entry_by_path(path)?.is_some())
    }

    /// The control checkout's `HEAD` commit, `None` when unborn.
    pub fn head_commit(&self) -> Option<ObjectId> {
        self.gix.head_id().ok().map(|id| id.detach())
    }

    /// The parents of commit `id`.
    pub fn parents(&self, id: ObjectId) -> Result<Vec<ObjectId>> {
        Ok(self
            .gix
            .find_commit(id)?
            .parent_ids()
            .map(|p| p.detach())
            .collect())
    }

    /// Stage `paths` (relative to the control checkout) as they are in the working
    /// tree: present ones added, missing ones removed from the index, every other entry
    /// left as it is. Waits a little for another git holding `index.lock`.
    pub fn stage(&self, paths: &[String]) -> Result<()> {
        if paths.is_empty() {
            return Ok(());
        }
        run_with_input(
            &self.control_root,
            &["update-index", "--add", "--remove", "-z", "--stdin"],
            &[],
            &nul_list(paths),
        )
        .map(|_| ())
    }

    /// Commit exactly `paths` as they are in the working tree on top of the control
    /// checkout's `HEAD` (a commit of its own, `message`), without running hooks or
    /// touching other staged changes; `HEAD`'s branch moves only if it still points
    /// where it did. Returns the new commit.
    pub fn commit_paths(&self, paths: &[String], message: &str) -> Result<ObjectId> {
        let root = self.control_root.clone();
        self.commit_built(message, |env| {
            run_with_input(
                &root,
                &["update-index", "--add", "--remove", "-z", "--stdin"],
                env,
                &nul_list(paths),
            )
            .map(|_| ())
        })
    }

    /// Commit exactly `paths` as the control checkout's index stages them (a path the
    /// index does not hold is removed), on top of `HEAD`, like [`Repo::commit_paths`]:
    /// no hook runs, every other staged change stays staged. The index itself is not
    /// written: those paths simply stop differing from the new `HEAD`.
    pub fn commit_staged_paths(&self, paths: &[String], message: &str) -> Result<ObjectId> {
        let root = self.control_root.clone();
        let index = Staged::read(&self.control_index_path()?)?;
        let state = &*index.index;
        let mut info = Vec::new();
        for p in paths {
            let entry = state
                .entry_by_path(p.as_bytes().into())
                .filter(|e| e.stage_raw() == 0);
            match entry {
                Some(e) => info
                    .extend_from_slice(format!("{:o} {} 0\t{p}", e.mode.bits(), e.id).as_bytes()),
                None => info.extend_from_slice(
                    format!("0 {} 0\t{p}", ObjectId::null(gix::hash::Kind::Sha1)).as_bytes(),
                ),
            }
            info.push(0);
        }
        self.commit_built(message, |env| {
            run_with_input(&root, &["update-index", "-z", "--index-info"], env, &info).map(|_| ())
        })
    }

    /// A commit of `HEAD`'s tree as changed by `fill` (given the environment that points
    /// git at a temporary index holding `HEAD`), then `HEAD` moved to it if it still
    /// points where it did.
    fn commit_built(
        &self,
        message: &str,
        fill: impl FnOnce(&[(&str, &str)]) -> Result<()>,
    ) -> Result<ObjectId> {
        let root = &self.control_root;
        let tmp = tempfile::Builder::new()
            .prefix("git-wo-index-")
            .tempdir_in(&self.common_dir)
            .context("creating a temporary index")?;
        let index = tmp.path().join("index");
        let index_s = index.to_string_lossy().into_owned();
        let env = [("GIT_INDEX_FILE", index_s.as_str())];
        let head = self.head_commit();
        match head {
            Some(h) => run_with_input(root, &["read-tree", &h.to_string()], &env, b"")?,
            None => run_with_input(root, &["read-tree", "--empty"], &env, b"")?,
        };
        fill(&env)?;
        let tree = run_with_input(root, &["write-tree"], &env, b"")?;
        let tree = tree.trim().to_owned();
        let mut args = vec!["commit-tree".to_owned(), tree];
        if let Some(h) = head {
            args.push("-p".into());
            args.push(h.to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let commit = run_with_input(root, &args, &[], message.as_bytes())?;
        let commit = commit.trim().to_owned();
        let old = head.map_or_else(|| "0".repeat(40), |h| h.to_string());
        let reflog = message.lines().next().unwrap_or("git wo");
        run_with_input(
            root,
            &["update-ref", "-m", reflog, "HEAD", &commit, &old],
            &[],
            b"",
        )?;
        ObjectId::from_hex(commit.as_bytes()).context("git commit-tree printed no commit id")
    }
}

/// The message of the newest entry of `HEAD`'s reflog in the git dir `git_dir`
/// (`commit: …`, `commit (amend): …`, `revert: …`, `rebase (pick): …`), if any.
pub fn last_head_reflog(git_dir: &Path) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(git_dir.join("logs/HEAD")).ok()?;
    let len = f.metadata().ok()?.len();
    let from = len.saturating_sub(8192);
    f.seek(SeekFrom::Start(from)).ok()?;
    let mut tail = Vec::new();
    f.read_to_end(&mut tail).ok()?;
    let text = String::from_utf8_lossy(&tail);
    let line = text.lines().rev().find(|l| !l.is_empty())?;
    Some(line.split_once('\t')?.1.to_owned())
}

fn nul_list(paths: &[String]) -> Vec<u8> {
    let mut input = Vec::new();
    for p in paths {
        input.extend_from_slice(p.as_bytes());
        input.push(0);
    }
    input
}

/// Run `git <args>` in `dir` with `input` on stdin, retrying for about two seconds
/// while another process holds `index.lock`. Its stdout, or git's error.
fn run_with_input(dir: &Path, args: &[&str], env: &[(&str, &str)], input: &[u8]) -> Result<String> {
    let mut wait = std::time::Duration::from_millis(20);
    let mut last = None;
    for _ in 0..8 {
        let mut cmd = super::command::command(dir);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("running `git {}` (is git installed?)", args.join(" ")))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(input)?;
        }
        let out = child.wait_with_output()?;
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        let locked = String::from_utf8_lossy(&out.stderr).contains("index.lock");
        last = Some(super::command::failure(args, dir, &out.stderr));
        if !locked {
            break;
        }
        std::thread::sleep(wait);
        wait *= 2;
    }
    Err(last.unwrap_or_else(|| anyhow::anyhow!("git {} failed", args.join(" "))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_hash_matches_git() {
        // `git mktree` of one blob `a` (empty blob) and a folder `d` holding `b`.
        let empty = ObjectId::from_hex(b"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391").unwrap();
        let items: Vec<(&[u8], u32, ObjectId)> =
            vec![(b"a", 0o100644, empty), (b"d/b", 0o100644, empty)];
        let d_items: Vec<(&[u8], u32, ObjectId)> = vec![(b"b", 0o100644, empty)];
        // Both ids as `git mktree` computes them.
        assert_eq!(
            hash_tree(&d_items).unwrap().to_string(),
            "4277b6e69d25e5efa77c455340557b384a4c018a"
        );
        assert_eq!(
            hash_tree(&items).unwrap().to_string(),
            "3ba83ecd24ffd3f6143bed4eb8286e0eb037767e"
        );
    }
}
