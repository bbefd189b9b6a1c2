//! Git's own worktree metadata, read straight from `<common-dir>/worktrees/*` so that
//! entries gix or `git worktree list` would skip (missing directory, broken `gitdir`)
//! are still seen.

use std::fs;
use std::path::{Path, PathBuf};

use super::repo::CanonicalPaths;

/// What a worktree has checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    /// `refs/heads/<name>` (the short name is kept).
    Branch(String),
    Detached(String),
    Unknown,
}

#[derive(Debug, Clone)]
pub struct Worktree {
    /// Name of its admin dir under `<common-dir>/worktrees/` (empty for the main worktree).
    pub name: String,
    /// Its directory, canonical when it exists.
    pub path: PathBuf,
    /// Its directory as git's metadata records it (`gitdir`'s folder), before any
    /// link in it is resolved: where a link replaced the folder, `path` is the link's
    /// target and this is the link.
    pub recorded: PathBuf,
    pub is_main: bool,
    /// Whether the directory still exists (false: prunable metadata).
    pub exists: bool,
    pub head: Head,
    /// `git worktree lock` reason (`Some("")` when locked without one).
    pub locked: Option<String>,
    /// `<common-dir>/worktrees/<name>` (the common dir for the main worktree).
    pub admin_dir: PathBuf,
}

impl Worktree {
    pub fn branch(&self) -> Option<&str> {
        match &self.head {
            Head::Branch(b) => Some(b),
            _ => None,
        }
    }
}

/// The main worktree at `control_root` plus every linked worktree of `common_dir`.
pub fn list(common_dir: &Path, control_root: &Path) -> Vec<Worktree> {
    let mut out = vec![Worktree {
        name: String::new(),
        path: control_root.to_path_buf(),
        recorded: control_root.to_path_buf(),
        is_main: true,
        exists: control_root.is_dir(),
        head: read_head(common_dir),
        locked: None,
        admin_dir: common_dir.to_path_buf(),
    }];
    let Ok(entries) = fs::read_dir(common_dir.join("worktrees")) else {
        return out;
    };
    let mut paths = CanonicalPaths::default();
    let mut linked: Vec<Worktree> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| read_linked(&e.path(), &mut paths))
        .collect();
    linked.sort_by(|a, b| a.path.cmp(&b.path));
    out.extend(linked);
    out
}

fn read_linked(admin: &Path, paths: &mut CanonicalPaths) -> Worktree {
    let name = admin
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // `gitdir` holds the path of `<worktree>/.git`, absolute or relative to the admin dir.
    let dot_git = fs::read_to_string(admin.join("gitdir"))
        .ok()
        .map(|s| PathBuf::from(s.trim_end_matches(['\n', '\r'])))
        .map(|p| if p.is_absolute() { p } else { admin.join(p) });
    let dir = dot_git
        .as_ref()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    let exists =
        dir.as_ref().is_some_and(|d| d.is_dir()) && dot_git.as_ref().is_some_and(|g| g.exists());
    let path = match &dir {
        Some(d) if exists => paths.of(d),
        Some(d) => d.clone(),
        None => admin.to_path_buf(),
    };
    let recorded = dir.unwrap_or_else(|| admin.to_path_buf());
    let locked = fs::read_to_string(admin.join("locked"))
        .ok()
        .map(|s| s.trim().to_owned());
    Worktree {
        name,
        path,
        recorded,
        is_main: false,
        exists,
        head: read_head(admin),
        locked,
        admin_dir: admin.to_path_buf(),
    }
}

fn read_head(git_dir: &Path) -> Head {
    match fs::read_to_string(git_dir.join("HEAD")) {
        Ok(s) => {
            let s = s.trim();
            if let Some(r) = s.strip_prefix("ref:") {
                let r = r.trim();
                Head::Branch(r.strip_prefix("refs/heads/").unwrap_or(r).to_owned())
            } else if s.len() >= 40 && s.chars().all(|c| c.is_ascii_hexdigit()) {
                Head::Detached(s.to_owned())
            } else {
                Head::Unknown
            }
        }
        Err(_) => Head::Unknown,
    }
}
