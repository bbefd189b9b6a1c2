//! The main checkout a removed worktree belonged to, found from the path it had (the
//! shell's `$PWD` after `git wo finish` removed the folder the shell stands in). The
//! worktree's `.git` file and git's metadata about it are gone with it, so this looks
//! where worktrees go: `../<repo>.worktrees/<ID>` beside the checkout (the default),
//! a folder inside the checkout, or a folder beside it (`../.worktrees/<ID>`).

use std::path::{Path, PathBuf};

/// A main checkout: a folder with a `.git` directory (a linked worktree has a file).
fn is_main_checkout(dir: &Path) -> bool {
    dir.join(".git").is_dir()
}

/// The main checkout `gone` (a path that no longer exists) most likely belonged to.
pub fn main_checkout_of(gone: &Path) -> Option<PathBuf> {
    let left = gone.ancestors().skip(1).find(|a| a.is_dir())?;
    // A worktree folder inside the checkout (`wo.worktreeDir=.worktrees`).
    for dir in [Some(left), left.parent()].into_iter().flatten() {
        if is_main_checkout(dir) {
            return Some(dir.to_path_buf());
        }
    }
    let parent = left.parent()?;
    // The default, `../<repo>.worktrees`: the checkout is `<repo>` beside it.
    if let Some(repo) = left
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".worktrees"))
        .filter(|n| !n.is_empty())
        .map(|n| parent.join(n))
        .filter(|p| is_main_checkout(p))
    {
        return Some(repo);
    }
    // Any other folder beside the checkout (`../.worktrees`): the one checkout there.
    let mut beside = std::fs::read_dir(parent)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.as_path() != left && is_main_checkout(p));
    let one = beside.next()?;
    beside.next().is_none().then_some(one)
}
