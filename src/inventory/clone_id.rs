//! This clone's id, as read: which clone of a shared remote this is
//! (`<git-common-dir>/wo/clone-id`). `ops::clone_id` creates it on the first take.

/// `<git-common-dir>/wo/clone-id`: which clone of a shared remote this is (written by
/// the first take here). `None` before that.
pub fn clone_id(common_dir: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(common_dir.join(CLONE_ID_FILE)).ok()?;
    let id = text.trim();
    (!id.is_empty()).then(|| id.to_owned())
}

/// Where [`clone_id`] is kept, below the common dir.
pub const CLONE_ID_FILE: &str = "wo/clone-id";
