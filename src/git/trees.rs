//! Trees of a few files beside a record's `record.json` and `order.yaml` (the evidence
//! folder of a finish), reading them back, looking a path up in a commit, and the
//! bounded `git diff`/`git log` text of a range.

use std::io::Read;
use std::path::Path;
use std::process::Stdio;

use anyhow::{Context, Result};
use gix::ObjectId;

use super::Repo;
use super::refs::tree_entry;

impl Repo {
    /// Write a flat tree of `files` (name, content); no commit, no ref.
    pub fn write_flat_tree(&self, files: &[(String, Vec<u8>)]) -> Result<ObjectId> {
        let mut entries = Vec::with_capacity(files.len());
        for (name, data) in files {
            entries.push(tree_entry(name, self.gix.write_blob(data)?.detach()));
        }
        entries.sort_by(|a, b| a.filename.cmp(&b.filename));
        Ok(self
            .gix
            .write_object(&gix::objs::Tree { entries })?
            .detach())
    }

    /// The tree `name` at the top of the tree of `commit`, if there is one.
    pub fn subtree_in_commit(&self, commit: ObjectId, name: &str) -> Result<Option<ObjectId>> {
        let tree = self.gix.find_commit(commit)?.tree()?;
        Ok(tree
            .find_entry(name)
            .filter(|e| e.mode().is_tree())
            .map(|e| e.oid().to_owned()))
    }

    /// The blobs directly in `tree`: (name, id), in tree order.
    pub fn tree_blobs(&self, tree: ObjectId) -> Result<Vec<(String, ObjectId)>> {
        let tree = self.gix.find_tree(tree)?;
        let mut out = Vec::new();
        for e in tree.iter() {
            let e = e?;
            if e.mode().is_blob() {
                out.push((e.filename().to_string(), e.oid().to_owned()));
            }
        }
        Ok(out)
    }

    /// Whether `path` (`a/b/c`) is a file in the tree of `commit`.
    pub fn file_at(&self, commit: ObjectId, path: &str) -> Result<bool> {
        let tree = self.gix.find_commit(commit)?.tree()?;
        Ok(tree
            .lookup_entry_by_path(path)?
            .is_some_and(|e| e.mode().is_blob()))
    }
}

/// The first `max` bytes of the output of `git <args>` in `dir`, and whether there was
/// more (git is stopped then, its output unread). Fails when git fails.
pub fn git_bounded(dir: &Path, args: &[&str], max: usize) -> Result<(Vec<u8>, bool)> {
    let mut child = super::command::command(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running `git {}` (is git installed?)", args.join(" ")))?;
    let mut out = Vec::new();
    let more = match child.stdout.take() {
        Some(stdout) => {
            stdout
                .take(max as u64 + 1)
                .read_to_end(&mut out)
                .with_context(|| format!("reading `git {}`", args.join(" ")))?;
            out.len() > max
        }
        None => false,
    };
    if more {
        out.truncate(max);
        let _ = child.kill();
        let _ = child.wait();
        return Ok((out, true));
    }
    let mut err = Vec::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_end(&mut err);
    }
    let status = child.wait().context("waiting for git")?;
    if !status.success() {
        return Err(super::command::failure(args, dir, &err));
    }
    Ok((out, false))
}
