//! Talking to a remote, through the `git` CLI (gix has no push): what the remote's
//! refs point at (`ls-remote`), fetching given refspecs, pushing a set of updates
//! atomically, each with `--force-with-lease=<ref>:<expected>`, and merging a fetched
//! notes ref with `cat_sort_uniq`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};
use gix::ObjectId;

use super::Repo;
use super::command::{command, failure};

/// One ref to push: `new` (`None`: delete) where the remote must hold `expect`
/// (`None`: must not exist).
#[derive(Debug, Clone)]
pub struct Update {
    pub name: String,
    pub new: Option<ObjectId>,
    pub expect: Option<ObjectId>,
}

/// How a push went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    /// Every update landed (or there was nothing to push).
    Done,
    /// The remote refused: someone moved one of these refs first (a stale lease), and
    /// with `--atomic` nothing landed.
    Rejected(Vec<String>),
}

/// [`command`], never waiting for a password or a host key on a terminal.
fn git_cmd(dir: &Path) -> Command {
    let mut c = command(dir);
    c.env("GIT_TERMINAL_PROMPT", "0");
    c
}

impl Repo {
    /// The refs of `remote` matching `patterns` (`refs/wo/*`, `refs/notes/wo`).
    pub fn ls_remote(&self, remote: &str, patterns: &[&str]) -> Result<BTreeMap<String, ObjectId>> {
        let mut args = vec!["ls-remote", "--", remote];
        args.extend_from_slice(patterns);
        let out = git_cmd(&self.control_root)
            .args(&args)
            .output()
            .context("running `git ls-remote` (is git installed?)")?;
        if !out.status.success() {
            return Err(failure(&args, &self.control_root, &out.stderr));
        }
        let mut refs = BTreeMap::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Some((oid, name)) = line.split_once('\t') else {
                continue;
            };
            if let Ok(oid) = ObjectId::from_hex(oid.as_bytes()) {
                refs.insert(name.to_owned(), oid);
            }
        }
        Ok(refs)
    }

    /// `git fetch <remote> <refspecs>` (no tags); nothing to do without refspecs.
    pub fn fetch(&self, remote: &str, refspecs: &[String]) -> Result<()> {
        if refspecs.is_empty() {
            return Ok(());
        }
        let mut args: Vec<&str> = vec![
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "--",
            remote,
        ];
        args.extend(refspecs.iter().map(String::as_str));
        let out = git_cmd(&self.control_root)
            .args(&args)
            .output()
            .context("running `git fetch`")?;
        if !out.status.success() {
            return Err(failure(&args, &self.control_root, &out.stderr));
        }
        Ok(())
    }

    /// Push `updates` to `remote` in one atomic push, each fenced by its lease.
    pub fn push_leased(&self, remote: &str, updates: &[Update]) -> Result<Pushed> {
        if updates.is_empty() {
            return Ok(Pushed::Done);
        }
        let mut args: Vec<String> = vec![
            "push".into(),
            "--atomic".into(),
            "--porcelain".into(),
            "--quiet".into(),
            "--no-verify".into(),
        ];
        for u in updates {
            let expect = u.expect.map(|e| e.to_string()).unwrap_or_default();
            args.push(format!("--force-with-lease={}:{expect}", u.name));
        }
        args.push("--".into());
        args.push(remote.into());
        for u in updates {
            let src = u.new.map(|n| n.to_string()).unwrap_or_default();
            args.push(format!("{src}:{}", u.name));
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = git_cmd(&self.control_root)
            .args(&argv)
            .output()
            .context("running `git push`")?;
        if out.status.success() {
            return Ok(Pushed::Done);
        }
        // `--porcelain`: `!\t<src>:<dst>\t[rejected] (stale info)` for each refused ref.
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let rejected: Vec<String> = stdout
            .lines()
            .filter(|l| l.starts_with('!'))
            .filter(|l| {
                l.contains("stale info")
                    || l.contains("fetch first")
                    || l.contains("non-fast-forward")
                    || l.contains("atomic")
            })
            .filter_map(|l| l.split('\t').nth(1))
            .filter_map(|spec| spec.rsplit_once(':').map(|(_, dst)| dst.to_owned()))
            .collect();
        if !rejected.is_empty() || stderr.contains("stale info") {
            return Ok(Pushed::Rejected(rejected));
        }
        Err(failure(
            &argv,
            &self.control_root,
            format!("{stdout}{stderr}").as_bytes(),
        ))
    }

    /// Push the local branch `branch` to the branch of the same name on `remote`, never
    /// forced, without the pre-push hook and without prompting; git's error when it fails.
    pub fn push_branch(&self, remote: &str, branch: &str) -> Result<()> {
        let spec = format!("refs/heads/{branch}:refs/heads/{branch}");
        let args = [
            "push",
            "--quiet",
            "--no-verify",
            "--",
            remote,
            spec.as_str(),
        ];
        let out = git_cmd(&self.control_root)
            .args(args)
            .output()
            .context("running `git push`")?;
        if !out.status.success() {
            return Err(failure(&args, &self.control_root, &out.stderr));
        }
        Ok(())
    }

    /// Merge the notes at `other` into `refs/notes/wo` with `cat_sort_uniq` (one line
    /// per marker, so the union is always right).
    pub fn merge_notes(&self, other: &str) -> Result<()> {
        let args = [
            "notes",
            "--ref=wo",
            "merge",
            "--quiet",
            "-s",
            "cat_sort_uniq",
            other,
        ];
        let out = git_cmd(&self.control_root)
            .args(args)
            .env("GIT_AUTHOR_NAME", "git-wo")
            .env("GIT_AUTHOR_EMAIL", "git-wo@localhost")
            .env("GIT_COMMITTER_NAME", "git-wo")
            .env("GIT_COMMITTER_EMAIL", "git-wo@localhost")
            .output()
            .context("running `git notes merge`")?;
        if !out.status.success() {
            return Err(failure(&args, &self.control_root, &out.stderr));
        }
        Ok(())
    }

    /// Whether `ancestor` is on the first-parent chain of `of` (or is it), looking
    /// back at most `limit` commits. A record's history is one such chain.
    pub fn first_parent_reaches(&self, of: ObjectId, ancestor: ObjectId, limit: usize) -> bool {
        let mut next = Some(of);
        for _ in 0..limit {
            let Some(c) = next else { return false };
            if c == ancestor {
                return true;
            }
            next = self
                .gix
                .find_commit(c)
                .ok()
                .and_then(|c| c.parent_ids().next().map(|p| p.detach()));
        }
        false
    }

    /// Whether `ancestor` is an ancestor of (or is) `of` (`git merge-base --is-ancestor`).
    pub fn is_ancestor(&self, ancestor: ObjectId, of: ObjectId) -> Result<bool> {
        let (a, b) = (ancestor.to_string(), of.to_string());
        let args = ["merge-base", "--is-ancestor", a.as_str(), b.as_str()];
        let out = git_cmd(&self.control_root)
            .args(args)
            .output()
            .context("running `git merge-base`")?;
        match out.status.code() {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => Err(failure(&args, &self.control_root, &out.stderr)),
        }
    }

    /// Whether the object `id` is in the local object database.
    pub fn has_object(&self, id: ObjectId) -> bool {
        self.gix.has_object(id)
    }
}
