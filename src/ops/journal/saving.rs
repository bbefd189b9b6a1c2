//! A repair's copies: reconcile and gc save a file into their quarantine folder before
//! a step rewrites or deletes it ([`Step::Save`]), so that nothing a person wrote is
//! lost to a repair. A user's own take, finish or requeue saves nothing.

use std::path::{Path, PathBuf};

use super::plan::Step;
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::ops::quarantine;

/// A repair's copy of `from` before it changes it (see [`Step::Save`]); `edited_to`:
/// where the repair leaves its new version (none: it deletes it).
pub fn save_step(
    saving: &quarantine::Saving,
    id: &WoId,
    from: &Path,
    edited_to: Option<&Path>,
) -> Step {
    Step::Save {
        from: from.to_path_buf(),
        dir: saving.dir.clone(),
        entry: Box::new(saving.entry(id.as_str(), from, edited_to)),
    }
}

/// A repair's copies before a [`Step::PlaceYaml`] of `from` into `to`'s folder.
pub fn save_before_place(
    saving: &quarantine::Saving,
    id: &WoId,
    jobs_rel: &str,
    from: &Path,
    to: State,
) -> Step {
    let name = from.file_name().unwrap_or_default();
    let placed = PathBuf::from(jobs_rel).join(to.as_str()).join(name);
    save_step(saving, id, from, Some(&placed))
}

/// A repair's copy before a [`Step::RemoveLock`].
pub fn save_before_unlock(saving: &quarantine::Saving, id: &WoId, jobs_rel: &str) -> Step {
    let lock = PathBuf::from(jobs_rel)
        .join(State::Running.as_str())
        .join(format!("{id}.lock"));
    save_step(saving, id, &lock, None)
}
