//! This clone's id (`<git-common-dir>/wo/clone-id`, random, created once), put on the
//! leases it takes so that other clones of a shared remote know a WO is worked on
//! elsewhere (SPEC §10): its worktree is not theirs to miss.

use crate::git::Repo;
use crate::inventory::here::{CLONE_ID_FILE, clone_id};

/// The id, created when there is none yet (exclusively: two first takes agree on one).
pub fn ensure(repo: &Repo) -> Option<String> {
    if let Some(id) = clone_id(&repo.common_dir) {
        return Some(id);
    }
    let path = repo.common_dir.join(CLONE_ID_FILE);
    std::fs::create_dir_all(path.parent()?).ok()?;
    let id = crate::model::session::new_session_id();
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(mut f) => {
            std::io::Write::write_all(&mut f, format!("{id}\n").as_bytes()).ok()?;
            Some(id)
        }
        Err(_) => clone_id(&repo.common_dir),
    }
}
