//! Writing the index other tools read (`_ctx/index/wo_worktrees.json`, see
//! [`crate::views::wo_index`]): the view of a fresh inventory, written atomically (a
//! synced temp file in `_ctx/index/`, renamed over the old one), so a reader never
//! sees half a file. With `wo.index=true` it is kept fresh after every state change
//! and by the post-commit and post-checkout hooks ([`refresh`]), which rewrite it only
//! when something but `generated_at` changed.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::git::Repo;
use crate::git::worktrees::Head;
use crate::inventory::{Depth, Inventory, Source};
use crate::views::wo_index::{Facts, INDEX_FILE, WoIndex, index};

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    pub index: WoIndex,
    /// False when the file already said the same (only `generated_at` differed).
    pub written: bool,
}

/// The index of the repository as it is now.
pub fn build(repo: &Repo) -> Result<WoIndex> {
    // Every field it shows is a cached one: a warm run reads no unchanged YAML.
    let inv = Inventory::gather(repo, Source::WorkingTree, Depth::Fields)?;
    let mut facts = Facts {
        worktree_dir: repo.worktree_dir(),
        ..Facts::default()
    };
    for w in inv.worktrees.iter().filter(|w| w.exists) {
        if let Head::Branch(b) = &w.head
            && let Ok(Some(tip)) = repo.branch_tip(b)
        {
            facts.branch_tips.insert(b.clone(), tip.to_string());
        }
    }
    Ok(index(&inv, &facts))
}

/// Build and write the index; with `only_if_changed`, leave a file that says the same
/// apart from `generated_at` as it is.
pub fn write(repo: &Repo, only_if_changed: bool) -> Result<Written> {
    let ix = build(repo)?;
    let path = repo.control_root.join(INDEX_FILE);
    let dir = path.parent().context("the index path has no folder")?;
    if only_if_changed && same_but_time(&path, &ix) {
        return Ok(Written {
            path,
            index: ix,
            written: false,
        });
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut text = serde_json::to_string_pretty(&ix)?;
    text.push('\n');
    let mut tmp = tempfile::Builder::new()
        .prefix(".wo_worktrees.")
        .suffix(".tmp")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .tempfile_in(dir)
        .with_context(|| format!("creating a temp file in {}", dir.display()))?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(&path)
        .map_err(|e| e.error)
        .with_context(|| format!("replacing {}", path.display()))?;
    crate::ops::jobs::sync_dir(Some(dir))?;
    Ok(Written {
        path,
        index: ix,
        written: true,
    })
}

/// Whether the file at `path` is this index but for `generated_at`.
fn same_but_time(path: &std::path::Path, ix: &WoIndex) -> bool {
    let Some(bytes) = crate::regular::bytes(path, 64 * 1024 * 1024) else {
        return false;
    };
    let Ok(mut old) = serde_json::from_slice::<WoIndex>(&bytes) else {
        return false;
    };
    old.generated_at.clone_from(&ix.generated_at);
    &old == ix
}

/// With `wo.index=true`: bring the index up to date (after a state change, from the
/// post-commit and post-checkout hooks). Never fails: a problem is a warning.
pub fn refresh(repo: &Repo) {
    if !repo.config.index {
        return;
    }
    if let Err(e) = write(repo, true) {
        eprintln!(
            "warning: wo.index: {INDEX_FILE} could not be brought up to date: {e:#} (fix: git wo index)"
        );
    }
}
