//! Refs and the commits behind them, as bytes and ids: list the refs under a prefix,
//! write a commit of a few files, compare-and-swap a ref, read a file of a commit,
//! walk a first-parent log. What the refs mean (records of WOs) is the inventory's.

use anyhow::{Context, Result};
use gix::ObjectId;
use gix::refs::Target;
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};

use super::Repo;
use crate::error::WoError;

/// What the ref must hold for a write to win.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Absent,
    At(ObjectId),
}

/// A ref under a prefix and what it points at (or why that could not be read).
#[derive(Debug, Clone)]
pub struct RefTarget {
    pub name: String,
    pub target: std::result::Result<ObjectId, String>,
}

/// One commit of a first-parent log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LogEntry {
    pub commit: String,
    /// Committer time, RFC 3339; the epoch for commits written with a fixed time.
    pub time: String,
    pub subject: String,
}

impl Repo {
    /// `git pack-refs` of the refs matching `pattern` (e.g. `refs/wo/*`): one
    /// `packed-refs` entry each instead of a loose file.
    pub fn pack_refs(&self, pattern: &str) -> Result<()> {
        super::command::git(&self.control_root, &["pack-refs", "--include", pattern]).map(|_| ())
    }

    /// Every ref whose name starts with `prefix`, in name order. A ref that cannot be
    /// read is listed with the error (its name is the prefix when even that is unknown).
    pub fn refs_under(&self, prefix: &str) -> Result<Vec<RefTarget>> {
        let mut out = Vec::new();
        let platform = self.gix.references()?;
        for r in platform.prefixed(prefix)? {
            let mut r = match r {
                Ok(r) => r,
                Err(e) => {
                    out.push(RefTarget {
                        name: prefix.to_owned(),
                        target: Err(e.to_string()),
                    });
                    continue;
                }
            };
            let name = r.name().as_bstr().to_string();
            // Direct refs need no peeling (which costs an object read).
            let target = match r.target().try_id() {
                Some(id) => Ok(id.to_owned()),
                None => r
                    .peel_to_id()
                    .map(|i| i.detach())
                    .map_err(|e| e.to_string()),
            };
            out.push(RefTarget { name, target });
        }
        Ok(out)
    }

    /// The object `name` points at after peeling, if the ref exists.
    pub fn ref_target(&self, name: &str) -> Result<Option<ObjectId>> {
        match self.gix.try_find_reference(name)? {
            None => Ok(None),
            Some(mut r) => Ok(Some(r.peel_to_id()?.detach())),
        }
    }

    /// The blob `name` at the top of the tree of `commit`, if there is one.
    pub fn file_in_commit(&self, commit: ObjectId, name: &str) -> Result<Option<Vec<u8>>> {
        super::repo::file_in_commit_of(&self.gix, commit, name)
    }

    /// Write a commit whose tree holds `files` (name, content) on `parent`, authored
    /// by git-wo. No ref moves.
    pub fn commit_files(
        &self,
        files: &[(&str, &[u8])],
        message: &str,
        parent: Option<ObjectId>,
        fixed_time: bool,
    ) -> Result<ObjectId> {
        self.commit_files_and_trees(files, &[], message, parent, fixed_time)
    }

    /// [`Repo::commit_files`] with folders too: (name, tree id) of trees already written.
    pub fn commit_files_and_trees(
        &self,
        files: &[(&str, &[u8])],
        trees: &[(&str, ObjectId)],
        message: &str,
        parent: Option<ObjectId>,
        fixed_time: bool,
    ) -> Result<ObjectId> {
        let mut entries = Vec::with_capacity(files.len() + trees.len());
        for (name, data) in files {
            entries.push(tree_entry(name, self.gix.write_blob(data)?.detach()));
        }
        for (name, tree) in trees {
            entries.push(gix::objs::tree::Entry {
                mode: gix::objs::tree::EntryKind::Tree.into(),
                filename: (*name).into(),
                oid: *tree,
            });
        }
        entries.sort_by(|a, b| a.filename.cmp(&b.filename));
        let tree_id = self
            .gix
            .write_object(&gix::objs::Tree { entries })?
            .detach();
        self.write_commit(message, tree_id, parent, fixed_time)
    }

    /// Write a commit object (no ref update), authored by git-wo.
    pub fn write_commit(
        &self,
        message: &str,
        tree: ObjectId,
        parent: Option<ObjectId>,
        fixed_time: bool,
    ) -> Result<ObjectId> {
        let time = if fixed_time {
            gix::date::Time::new(0, 0)
        } else {
            gix::date::Time::new(crate::clock::now().timestamp(), 0)
        };
        let mut buf = gix::date::parse::TimeBuf::default();
        let sig = signature(time, &mut buf);
        let id = self.gix.new_commit_as(sig, sig, message, tree, parent)?.id;
        Ok(id)
    }

    /// Compare-and-swap `name` from `expect` to `new`. A lost race is a [`WoError`] conflict.
    pub fn cas_ref(&self, name: &str, expect: Expect, new: ObjectId, message: &str) -> Result<()> {
        let expected = match expect {
            Expect::Absent => PreviousValue::MustNotExist,
            Expect::At(old) => PreviousValue::MustExistAndMatch(Target::Object(old)),
        };
        let edit = RefEdit {
            change: Change::Update {
                log: LogChange {
                    mode: RefLog::AndReference,
                    force_create_reflog: false,
                    message: message.into(),
                },
                expected,
                new: Target::Object(new),
            },
            name: name
                .try_into()
                .with_context(|| format!("`{name}` is not a valid ref name"))?,
            deref: false,
        };
        let mut buf = gix::date::parse::TimeBuf::default();
        let committer = signature(
            gix::date::Time::new(crate::clock::now().timestamp(), 0),
            &mut buf,
        );
        match self.gix.edit_references_as(Some(edit), Some(committer)) {
            Ok(_) => Ok(()),
            Err(e) => {
                // Decide whether we lost the race: read the ref as it is now.
                let now = self
                    .gix
                    .try_find_reference(name)
                    .ok()
                    .flatten()
                    .and_then(|mut r| r.peel_to_id().ok())
                    .map(|i| i.detach());
                let lost = match expect {
                    Expect::Absent => now.is_some(),
                    Expect::At(old) => now != Some(old),
                };
                // A `<ref>.lock` held by another writer means that writer is about to
                // move the ref: we lost too.
                let locked = self.common_dir.join(format!("{name}.lock")).exists();
                if lost || locked {
                    Err(WoError::conflict(format!(
                        "{name} changed under us (compare-and-swap lost: {e})"
                    ))
                    .into())
                } else {
                    Err(anyhow::Error::from(e).context(format!("updating {name}")))
                }
            }
        }
    }

    /// The whole message of commit `id`.
    pub fn commit_message(&self, id: ObjectId) -> Result<String> {
        let commit = self.gix.find_commit(id)?;
        Ok(commit.message_raw_sloppy().to_string())
    }

    /// The committer time of commit `id`.
    pub fn commit_time(&self, id: ObjectId) -> Option<chrono::DateTime<chrono::Utc>> {
        let t = self.gix.find_commit(id).ok()?.time().ok()?;
        chrono::DateTime::from_timestamp(t.seconds, 0)
    }

    /// First-parent log from `commit`, newest first, at most `limit` entries.
    pub fn first_parent_log(&self, commit: ObjectId, limit: usize) -> Result<Vec<LogEntry>> {
        let mut out = Vec::new();
        let mut next = Some(commit);
        while let Some(c) = next {
            if out.len() >= limit {
                break;
            }
            let commit = self.gix.find_commit(c)?;
            let subject = commit
                .message_raw_sloppy()
                .to_string()
                .lines()
                .next()
                .unwrap_or("")
                .to_owned();
            let time = commit.time()?;
            let when = chrono::DateTime::from_timestamp(time.seconds, 0)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default();
            out.push(LogEntry {
                commit: c.to_string(),
                time: when,
                subject,
            });
            next = commit.parent_ids().next().map(|p| p.detach());
        }
        Ok(out)
    }
}

/// git-wo's identity on record commits and reflog entries.
pub(super) fn signature(
    time: gix::date::Time,
    buf: &mut gix::date::parse::TimeBuf,
) -> gix::actor::SignatureRef<'_> {
    gix::actor::SignatureRef {
        name: "git-wo".into(),
        email: "git-wo@localhost".into(),
        time: time.to_str(buf),
    }
}

pub(super) fn tree_entry(name: &str, oid: ObjectId) -> gix::objs::tree::Entry {
    gix::objs::tree::Entry {
        mode: gix::objs::tree::EntryKind::Blob.into(),
        filename: name.into(),
        oid,
    }
}
