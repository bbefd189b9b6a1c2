//! Which WO the current worktree belongs to, for commands whose id is optional.

use anyhow::Result;

use crate::error::WoError;
use crate::git::Repo;
use crate::git::worktrees::{self, Worktree};
/// Where callers found them before; read in [`crate::inventory::clone_id`].
pub use crate::inventory::clone_id::{CLONE_ID_FILE, clone_id};
use crate::model::session::Session;
use crate::model::wo_id::WoId;

/// The WO of the worktree the command runs in: its session file, else its lock reason
/// or directory name.
pub fn current_wo(repo: &Repo) -> Option<WoId> {
    wo_among(repo, None)
}

/// [`current_wo`], with the worktrees an inventory read already when `known` (reading
/// them again cost `status` 0.8 ms at 10,000 WOs with 50 worktrees).
fn wo_among(repo: &Repo, known: Option<&[Worktree]>) -> Option<WoId> {
    if let Some(s) = Session::read(&repo.current_git_dir) {
        return WoId::parse(&s.id).ok();
    }
    let here = repo.current_worktree.as_ref()?;
    let listed;
    let all = match known {
        Some(known) => known,
        None => {
            listed = worktrees::list(&repo.common_dir, &repo.control_root);
            &listed
        }
    };
    let wt = all.iter().find(|w| !w.is_main && &w.path == here)?;
    wt.locked
        .as_deref()
        .and_then(crate::model::lock_reason::parse)
        .and_then(|(id, _)| WoId::parse(&id).ok())
        .or_else(|| {
            wt.path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| WoId::parse(n).ok())
        })
}

/// `explicit` parsed, or the current worktree's WO; `command` names the command for the fix.
pub fn id_or_here(repo: &Repo, explicit: Option<&str>, command: &str) -> Result<WoId> {
    match explicit {
        Some(s) => Ok(WoId::parse(s)
            .map_err(|why| WoError::usage(format!("not a WO id: {why}")).fix("git wo list"))?),
        None => current_wo(repo).ok_or_else(|| {
            WoError::usage(format!(
                "no WO id given and {} is not a WO worktree",
                repo.current_worktree
                    .as_deref()
                    .unwrap_or(&repo.control_root)
                    .display()
            ))
            .fix(format!("git wo {command} <ID> (see git wo list)"))
            .into()
        }),
    }
}

/// Where a command runs: the worktree, what kind it is, its WO, and whether the
/// session in it holds that WO.
#[derive(Debug, Clone)]
pub struct Here {
    pub worktree: std::path::PathBuf,
    pub kind: HereKind,
    pub wo: Option<WoId>,
    /// You hold the WO here: the session file of this worktree is the record's (same
    /// session, same token) and you (`Config::you`) are the lease's owner.
    pub holds: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HereKind {
    /// The control checkout (the main worktree).
    Control,
    /// A WO's worktree.
    Wo,
    /// A linked worktree of no WO.
    Other,
}

impl HereKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HereKind::Control => "control",
            HereKind::Wo => "wo",
            HereKind::Other => "other",
        }
    }
}

/// Read where the command runs; `inv` supplies the WO's record for `holds`.
pub fn here(repo: &Repo, inv: &super::Inventory) -> Here {
    let worktree = repo
        .current_worktree
        .clone()
        .unwrap_or_else(|| repo.control_root.clone());
    let control = worktree == repo.control_root;
    // (No WO to find in the control checkout: looking read every linked worktree's
    // metadata again, at 10,000 WOs with 50 worktrees 0.8 ms of a `status` there, for
    // an answer set aside.)
    let wo = if control {
        None
    } else {
        wo_among(repo, Some(&inv.worktrees))
    };
    let you = repo.config.you().0;
    let holds = wo
        .as_ref()
        .and_then(|id| inv.records.get(id.as_str()))
        .is_some_and(|s| {
            crate::model::session::holds(&repo.current_git_dir, &s.record, &you) == Ok(true)
        });
    let kind = match (control, &wo) {
        (true, _) => HereKind::Control,
        (false, Some(_)) => HereKind::Wo,
        (false, None) => HereKind::Other,
    };
    Here {
        worktree,
        kind,
        wo,
        holds,
    }
}

/// The running copy of `id`'s YAML (read in full): `running/<ID>.yaml` or `.yml` when
/// its `id:` says so, else found by a gathered inventory (a file named otherwise).
/// `None`: `id` has no readable running copy.
pub fn running_order(repo: &Repo, id: &WoId) -> Result<Option<crate::model::order::OrderFile>> {
    use crate::model::order::{MAX_YAML_BYTES, OrderFile};
    use crate::model::state::State;
    let jobs_rel = repo.jobs_rel();
    for ext in ["yaml", "yml"] {
        let rel = std::path::PathBuf::from(format!("{jobs_rel}/running/{id}.{ext}"));
        let Some(bytes) = crate::regular::bytes(&repo.control_root.join(&rel), MAX_YAML_BYTES)
        else {
            continue;
        };
        let file = OrderFile::parse(rel, State::Running, false, &bytes);
        if file.is_live() && file.id.as_ref() == Some(id) {
            return Ok(Some(file));
        }
    }
    let inv = super::Inventory::gather(repo, super::Source::WorkingTree, super::Depth::Fields)?;
    Ok(inv
        .files
        .into_iter()
        .find(|f| f.folder == State::Running && f.is_live() && f.id.as_ref() == Some(id)))
}
