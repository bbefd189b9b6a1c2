//! Markers: one-line git notes under `refs/notes/wo` (SPEC §2), append-only so that
//! `cat_sort_uniq` merges are always right. Readable with `git log --notes=wo`.

use anyhow::Result;
use gix::ObjectId;

use super::Repo;
use super::refs::Expect;
use crate::error::WoError;

pub const NOTES_REF: &str = "refs/notes/wo";

/// How often an append retries after losing the compare-and-swap to a concurrent writer.
const APPEND_ATTEMPTS: usize = 20;

/// A note: the object it annotates and its lines.
#[derive(Debug, Clone)]
pub struct Note {
    pub target: String,
    pub lines: Vec<String>,
}

impl Repo {
    /// Every note under `refs/notes/wo` (flat or fanned-out trees).
    pub fn read_notes(&self) -> Result<Vec<Note>> {
        let Some(mut r) = self.gix.try_find_reference(NOTES_REF)? else {
            return Ok(Vec::new());
        };
        let commit = self.gix.find_commit(r.peel_to_id()?.detach())?;
        let mut out = Vec::new();
        self.collect_notes(commit.tree_id()?.detach(), String::new(), &mut out)?;
        Ok(out)
    }

    fn collect_notes(&self, tree: ObjectId, prefix: String, out: &mut Vec<Note>) -> Result<()> {
        for (target, blob) in self.note_blobs(tree, prefix)? {
            let blob = self.gix.find_blob(blob)?;
            let lines = String::from_utf8_lossy(&blob.data)
                .lines()
                .map(str::to_owned)
                .collect();
            out.push(Note { target, lines });
        }
        Ok(())
    }

    /// (annotated object, note blob) for every note in the notes tree `tree`.
    fn note_blobs(&self, tree: ObjectId, prefix: String) -> Result<Vec<(String, ObjectId)>> {
        let mut out = Vec::new();
        let tree = self.gix.find_tree(tree)?;
        for entry in tree.iter() {
            let entry = entry?;
            let name = format!("{prefix}{}", entry.filename());
            if entry.mode().is_tree() {
                if name.len() < 40 {
                    out.extend(self.note_blobs(entry.oid().to_owned(), name)?);
                }
            } else if name.len() == 40 && name.chars().all(|c| c.is_ascii_hexdigit()) {
                out.push((name, entry.oid().to_owned()));
            }
        }
        Ok(out)
    }

    /// The commit `refs/notes/wo` points at, if it exists.
    pub fn notes_tip(&self) -> Result<Option<ObjectId>> {
        self.ref_target(NOTES_REF)
    }

    /// (annotated object, note blob) for every note in the notes commit `tip`.
    pub fn notes_in(&self, tip: ObjectId) -> Result<Vec<(String, ObjectId)>> {
        let tree = self.gix.find_commit(tip)?.tree_id()?.detach();
        self.note_blobs(tree, String::new())
    }

    /// The bytes of blob `oid`.
    pub fn blob(&self, oid: ObjectId) -> Result<Vec<u8>> {
        Ok(self.gix.find_blob(oid)?.data.clone())
    }

    /// Append `line` to the note of `target` unless it is already there.
    /// Retries when a concurrent writer moved `refs/notes/wo` first.
    pub fn append_marker(&self, target: ObjectId, line: &str) -> Result<()> {
        let hex = target.to_string();
        for _ in 0..APPEND_ATTEMPTS {
            let current = match self.gix.try_find_reference(NOTES_REF)? {
                Some(mut r) => Some(r.peel_to_id()?.detach()),
                None => None,
            };
            let base_tree = match current {
                Some(c) => self.gix.find_commit(c)?.tree_id()?.detach(),
                None => ObjectId::empty_tree(self.gix.object_hash()),
            };
            let mut editor = self.gix.edit_tree(base_tree)?;
            let fanned = format!("{}/{}", &hex[..2], &hex[2..]);
            let (path, old): (String, Option<ObjectId>) = if let Some(e) = editor.get(hex.as_str())
            {
                (hex.clone(), Some(e.oid().to_owned()))
            } else if let Some(e) = editor.get(fanned.as_str()) {
                (fanned, Some(e.oid().to_owned()))
            } else {
                (hex.clone(), None)
            };
            let mut text = match old {
                Some(oid) => String::from_utf8_lossy(&self.gix.find_blob(oid)?.data).into_owned(),
                None => String::new(),
            };
            if text.lines().any(|l| l == line) {
                return Ok(());
            }
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(line);
            text.push('\n');
            let blob = self.gix.write_blob(text.as_bytes())?.detach();
            editor.upsert(path.as_str(), gix::objs::tree::EntryKind::Blob, blob)?;
            let tree = editor.write()?.detach();
            let message = format!("Notes added by 'git wo'\n\n{line}\n");
            let commit = self.write_commit(&message, tree, current, false)?;
            let expect = current.map_or(Expect::Absent, Expect::At);
            match self.cas_ref(NOTES_REF, expect, commit, "git wo: marker") {
                Ok(()) => return Ok(()),
                Err(e) if e.downcast_ref::<WoError>().is_some() => continue,
                Err(e) => return Err(e),
            }
        }
        Err(WoError::conflict(format!(
            "{NOTES_REF} kept changing under us; the marker `{line}` was not written"
        ))
        .into())
    }
}
