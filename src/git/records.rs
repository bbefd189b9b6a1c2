//! Records: `refs/wo/orders/<ID>` → a commit per transition whose tree holds
//! `record.json` and `order.yaml`. Every write is one compare-and-swap ref update.

use anyhow::{Context, Result, anyhow};
use gix::ObjectId;
use gix::refs::Target;
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};

use super::Repo;
use crate::error::WoError;
use crate::inventory::object_cache::ObjectCache;
use crate::model::record::Record;

pub const PREFIX: &str = "refs/wo/orders/";

/// A record as stored: the record and the commit that holds it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub record: Record,
    pub commit: ObjectId,
}

/// What the ref must hold for a write to win.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Absent,
    At(ObjectId),
}

/// One commit of a record's history.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HistoryEntry {
    pub commit: String,
    pub time: String,
    pub subject: String,
}

/// A record that could not be read.
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub ref_name: String,
    pub why: String,
}

pub fn ref_name(id: &str) -> String {
    format!("{PREFIX}{id}")
}

impl Repo {
    /// Every record, plus the refs under the prefix that could not be read.
    pub fn read_records(&self, cache: &mut ObjectCache) -> Result<(Vec<Stored>, Vec<Unreadable>)> {
        let mut ok = Vec::new();
        let mut bad = Vec::new();
        let platform = self.gix.references()?;
        for r in platform.prefixed(PREFIX)? {
            let mut r = match r {
                Ok(r) => r,
                Err(e) => {
                    bad.push(Unreadable {
                        ref_name: PREFIX.into(),
                        why: e.to_string(),
                    });
                    continue;
                }
            };
            let name = r.name().as_bstr().to_string();
            // Records point straight at commits: no need to peel (which costs an object read).
            let target = match r.target().try_id() {
                Some(id) => Ok(id.to_owned()),
                None => r
                    .peel_to_id()
                    .map(|i| i.detach())
                    .map_err(anyhow::Error::from),
            };
            if let Ok(commit) = &target {
                let expected_id = name.strip_prefix(PREFIX).unwrap_or_default();
                if let Some(record) = cache.record(*commit).filter(|r| r.id == expected_id) {
                    ok.push(Stored {
                        record,
                        commit: *commit,
                    });
                    continue;
                }
            }
            match target.and_then(|id| self.record_at(id)) {
                Ok(s) => {
                    cache.put_record(s.commit, &s.record);
                    ok.push(s)
                }
                Err(e) => bad.push(Unreadable {
                    ref_name: name,
                    why: format!("{e:#}"),
                }),
            }
        }
        Ok((ok, bad))
    }

    /// The record of `id`, if it has one.
    pub fn read_record(&self, id: &str) -> Result<Option<Stored>> {
        match self.gix.try_find_reference(ref_name(id).as_str())? {
            None => Ok(None),
            Some(mut r) => {
                let commit = r.peel_to_id()?.detach();
                self.record_at(commit).map(Some)
            }
        }
    }

    /// The record stored in `commit`.
    pub fn record_at(&self, commit: ObjectId) -> Result<Stored> {
        let data = self
            .file_in_commit(commit, "record.json")?
            .context("commit has no record.json")?;
        let record: Record =
            serde_json::from_slice(&data).context("record.json is not a git-wo.record.v1")?;
        Ok(Stored { record, commit })
    }

    /// `order.yaml` (the WO's YAML as of that transition) of a record commit.
    pub fn order_yaml_at(&self, commit: ObjectId) -> Result<Option<Vec<u8>>> {
        self.file_in_commit(commit, "order.yaml")
    }

    fn file_in_commit(&self, commit: ObjectId, name: &str) -> Result<Option<Vec<u8>>> {
        let tree = self.gix.find_commit(commit)?.tree()?;
        let Some(entry) = tree.find_entry(name) else {
            return Ok(None);
        };
        let oid = entry.oid().to_owned();
        Ok(Some(self.gix.find_blob(oid)?.data.clone()))
    }

    /// Write a transition: a commit with `record.json` and `order.yaml` whose parent is
    /// `parent`, and a ref update that only wins if the ref is still `expect`.
    /// Loses with exit 3 when someone else moved the ref first.
    pub fn write_record(
        &self,
        record: &Record,
        order_yaml: &[u8],
        message: &str,
        parent: Option<ObjectId>,
        expect: Expect,
        fixed_time: bool,
    ) -> Result<ObjectId> {
        let json = serde_json::to_vec_pretty(record)?;
        let record_blob = self.gix.write_blob(&json)?.detach();
        let order_blob = self.gix.write_blob(order_yaml)?.detach();
        let tree = gix::objs::Tree {
            entries: vec![
                tree_entry("order.yaml", order_blob),
                tree_entry("record.json", record_blob),
            ],
        };
        let tree_id = self.gix.write_object(&tree)?.detach();
        let commit = self.write_commit(message, tree_id, parent, fixed_time)?;
        self.cas_ref(&ref_name(&record.id), expect, commit, message)
            .map_err(|e| match e.downcast::<WoError>() {
                Ok(w) => anyhow!(
                    WoError::conflict(format!("{}: {}", record.id, w.message)).fix(format!(
                        "git wo show {} (someone changed it first; look, then retry)",
                        record.id
                    ))
                ),
                Err(e) => e,
            })?;
        Ok(commit)
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
            gix::date::Time::new(chrono::Utc::now().timestamp(), 0)
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
            gix::date::Time::new(chrono::Utc::now().timestamp(), 0),
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

    /// First-parent history of a record, newest first.
    pub fn record_history(&self, id: &str, limit: usize) -> Result<Vec<HistoryEntry>> {
        let Some(stored) = self.read_record(id)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        let mut next = Some(stored.commit);
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
            out.push(HistoryEntry {
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
fn signature(
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
