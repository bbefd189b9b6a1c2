//! The steps on the jobs dir's files: a YAML moved into its state folder with fields
//! set byte-preserving ([`edited_yaml`]), the `.lock` created, replaced or removed, a
//! missing YAML restored, a quarantined file put back. The moves themselves are the
//! crash-safe ones of [`crate::ops::jobs`]; every path touched is staged at the end.

use std::path::Path;

use anyhow::Result;

use super::executor::{Journal, Progress, Undo};
use crate::error::{WoError, shell_quote};
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::ops::quarantine;

impl Journal<'_> {
    /// [`Step::PlaceYaml`](super::Step::PlaceYaml): edited before anything moves, so a
    /// file that cannot be edited safely is refused with nothing changed.
    pub(super) fn place_yaml(
        &mut self,
        id: &WoId,
        from: &Path,
        bytes: &[u8],
        to: State,
        edits: &[(String, String)],
        p: &mut Progress,
    ) -> Result<()> {
        let text = edited_yaml(id, from, bytes, edits)?;
        let moved = self.jobs.move_to(from, to, id.as_str())?;
        if moved != from {
            p.undo.push(Undo::Yaml {
                now_at: moved.clone(),
                was_at: from.to_path_buf(),
                bytes: bytes.to_vec(),
            });
        }
        if text.as_bytes() != bytes {
            self.jobs.rewrite(&moved, text.as_bytes())?;
        }
        self.touched.extend([from.to_path_buf(), moved.clone()]);
        p.done.yaml = Some(moved);
        p.done.yaml_bytes = Some(text.into_bytes());
        Ok(())
    }

    /// [`Step::CreateLock`](super::Step::CreateLock): created `O_EXCL` (undone by its
    /// removal), or replaced.
    pub(super) fn create_lock(
        &mut self,
        id: &WoId,
        text: &str,
        replace: bool,
        p: &mut Progress,
    ) -> Result<()> {
        self.touched.push(self.jobs.lock_rel(id.as_str()));
        if replace {
            self.jobs.replace_lock(id.as_str(), text)?;
        } else {
            self.jobs.create_lock(id.as_str(), text)?;
            p.undo.push(Undo::LockFile);
        }
        Ok(())
    }

    /// [`Step::RemoveLock`](super::Step::RemoveLock).
    pub(super) fn remove_lock(&mut self, id: &WoId) -> Result<()> {
        self.touched.push(self.jobs.lock_rel(id.as_str()));
        self.jobs.remove_lock(id.as_str())
    }

    /// [`Step::RestoreYaml`](super::Step::RestoreYaml): `<to>/<ID>.yaml`, never
    /// overwritten.
    pub(super) fn restore_yaml(
        &mut self,
        id: &WoId,
        to: State,
        bytes: &[u8],
        p: &mut Progress,
    ) -> Result<()> {
        let rel = self.jobs.state_dir_rel(to).join(format!("{id}.yaml"));
        self.jobs.create_new(&rel, bytes)?;
        self.touched.push(rel.clone());
        p.done.yaml = Some(rel);
        p.done.yaml_bytes = Some(bytes.to_vec());
        Ok(())
    }

    /// [`Step::Unquarantine`](super::Step::Unquarantine): the file back where it came
    /// from; the version a repair wrote there, if any, set aside.
    pub(super) fn unquarantine(
        &mut self,
        item: &quarantine::Checked,
        aside: Option<&quarantine::Aside>,
        p: &mut Progress,
    ) -> Result<()> {
        if let Some(Some(moved)) = quarantine::restore(item, aside)? {
            self.touched.push(moved.clone());
            p.done.set_aside.push(moved);
        }
        if let Some(rel) = &item.rel {
            self.touched.push(rel.clone());
        }
        Ok(())
    }
}

/// The YAML at `from` (as `bytes`) with `edits` set, byte-preserving; bad input (exit
/// 2) when it is not UTF-8 or cannot be edited safely (see
/// [`edit_fields`](crate::model::yaml_edit::edit_fields)).
pub fn edited_yaml(
    id: &WoId,
    from: &Path,
    bytes: &[u8],
    edits: &[(String, String)],
) -> Result<String> {
    let current = std::str::from_utf8(bytes).map_err(|_| {
        WoError::usage(format!("{id}: {} is not UTF-8", from.display()))
            .fix(format!("git wo lint {id}"))
    })?;
    crate::model::yaml_edit::edit_fields(current, edits).map_err(|why| {
        WoError::usage(format!(
            "{id}: {} cannot be edited safely: {why}",
            from.display()
        ))
        .fix(format!(
            "rewrite {} in block style (`key: value` lines, one document), then git wo lint {id}",
            shell_quote(&from.to_string_lossy())
        ))
        .into()
    })
}
