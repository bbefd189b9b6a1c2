//! The rules about worktrees: prunable_worktree, ghost_worktree, zombie_worktree,
//! branch_mismatch, worktree_conflict. A worktree belongs to the WO the inventory's
//! ownership rules name ([`crate::inventory::ownership`]); when its facts name more
//! than one WO it is a `worktree_conflict` for a person, never a ghost or a zombie.

use crate::error::shell_quote as q;
use crate::git::worktrees::{Head, Worktree};
use crate::inventory::{Inventory, WoMap};
use crate::model::finding::{Code, Finding, Remedy, Subject};
use crate::model::wo_id::WoId;
use crate::views::standing::Standing;

pub fn findings(inv: &Inventory, wos: &WoMap<'_>, out: &mut Vec<Finding>) {
    // The owners `wos` already resolved (resolving canonicalizes every WO's worktree path).
    let owners: Vec<(&Worktree, WoId)> = wos
        .iter()
        .flat_map(|(id, v)| v.worktrees().iter().map(move |w| (*w, id.clone())))
        .collect();
    for wt in inv.worktrees.iter().filter(|w| !w.is_main && !w.exists) {
        let id = owners
            .iter()
            .find(|(w, _)| w.admin_dir == wt.admin_dir)
            .map(|(_, id)| id.clone());
        out.push(prunable_worktree(inv, wos, wt, id.as_ref()));
    }
    for o in &wos.contested {
        out.push(worktree_conflict(o));
    }
    for (wt, id) in owners {
        if !wt.exists {
            continue;
        }
        let Some(view) = wos.get(&id) else { continue };
        if view.disputed().iter().any(|d| d.admin_dir == wt.admin_dir)
            || !Standing::of(inv, view).is_open()
        {
            continue;
        }
        let path = wt.path.to_string_lossy().into_owned();
        if !view.has_copy() && view.record.is_none() {
            out.push(
                Finding::new(
                    Code::GhostWorktree,
                    Some(id.as_str()),
                    format!("worktree {path} is for {id}, which has no YAML and no record"),
                    gc_remedy(),
                    vec![path],
                )
                .about(Subject {
                    worktree: Some(wt.path.clone()),
                    ..Subject::default()
                }),
            );
            continue;
        }
        let terminal = if view.has_copy() {
            !view.is_split_brain() && view.states().iter().all(|s| s.is_terminal())
        } else {
            view.record.is_some_and(|s| s.record.state.is_terminal())
        };
        let busy = view
            .record
            .is_some_and(|s| s.record.phase.in_flight() || !s.record.state.is_terminal());
        if terminal && !busy {
            let state = view.single_state().or(view.record.map(|s| s.record.state));
            out.push(
                Finding::new(
                    Code::ZombieWorktree,
                    Some(id.as_str()),
                    format!(
                        "worktree {path} is still there but {id} is {}",
                        state.map_or("closed", |s| s.as_str())
                    ),
                    gc_remedy(),
                    vec![path.clone()],
                )
                .about(Subject {
                    copies: view.files().iter().map(|f| inv.rel(f.rel_path())).collect(),
                    winner: state,
                    worktree: Some(wt.path.clone()),
                    ..Subject::default()
                }),
            );
        }
        if !terminal && let Some(f) = branch_mismatch(inv, &id, view, wt) {
            out.push(f);
        }
    }
}

fn gc_remedy() -> Remedy {
    Remedy::run(
        "git wo gc --apply",
        "removes it when it holds no work; git wo gc shows why it would keep it",
    )
}

/// `prunable_worktree`: worktree metadata whose directory is gone.
fn prunable_worktree(
    inv: &Inventory,
    wos: &WoMap<'_>,
    wt: &Worktree,
    id: Option<&WoId>,
) -> Finding {
    let blocked = id
        .and_then(|id| wos.get(id))
        .and_then(|v| Standing::of(inv, v).why_not(inv));
    let foreign_lock = wt
        .locked
        .as_deref()
        .is_some_and(|r| !r.starts_with("git-wo "));
    let half_made = inv.half_made.contains(&wt.admin_dir)
        && wt.locked.as_deref().is_some_and(|r| {
            crate::model::lock_reason::made_by_add_of(r, id.map_or(&wt.name, |i| i.as_str()))
        });
    let remedy = match (blocked, foreign_lock) {
        (Some(why), _) => Remedy::decide(why),
        (None, false) => Remedy::run("git wo gc --apply", "prunes it"),
        (None, true) if half_made => Remedy::run(
            "git wo gc --apply",
            "drops what a killed git worktree add left (no HEAD, git's own lock)",
        ),
        (None, true) => Remedy::run(
            format!(
                "git worktree unlock {} && git worktree prune",
                q(&wt.path.to_string_lossy())
            ),
            "someone other than git-wo locked it",
        ),
    };
    Finding::new(
        Code::PrunableWorktree,
        id.map(|i| i.as_str()),
        format!(
            "worktree metadata {} points at {}, which is gone",
            wt.admin_dir.display(),
            wt.path.display()
        ),
        remedy,
        vec![wt.path.to_string_lossy().into_owned()],
    )
    .about(Subject {
        worktree: Some(wt.path.clone()),
        ..Subject::default()
    })
}

/// `worktree_conflict`: the facts that tie a worktree to a WO name more than one WO.
fn worktree_conflict(o: &crate::inventory::ownership::Ownership<'_>) -> Finding {
    let path = o.worktree.path.to_string_lossy().into_owned();
    let rivals: Vec<String> = o
        .rivals
        .iter()
        .map(|c| format!("{} ({})", c.id, c.by.describe()))
        .collect();
    Finding::new(
        Code::WorktreeConflict,
        Some(o.owner.id.as_str()),
        format!(
            "worktree {path} is {}'s by {}, but {} name it too",
            o.owner.id,
            o.owner.by.describe(),
            rivals.join(", ")
        ),
        Remedy::decide(format!(
            "nothing removes or reassigns it meanwhile; look at its work (git -C {qp} status; git -C {qp} log -3), then correct the fact that is wrong (a YAML's worktree: or branch: field), and rerun git wo audit",
            qp = q(&path)
        )),
        vec![path],
    )
}

/// `branch_mismatch`: a WO worktree checked out on another branch than its WO's.
fn branch_mismatch(
    inv: &Inventory,
    id: &WoId,
    view: &crate::inventory::WoView<'_>,
    wt: &Worktree,
) -> Option<Finding> {
    let path = wt.path.to_string_lossy().into_owned();
    let qp = q(&path);
    let expected = inv.expected_branch(id, view);
    let (on, remedy) = match &wt.head {
        Head::Branch(b) if *b == expected => return None,
        Head::Branch(b) => (
            b.clone(),
            Remedy::run(format!("git -C {qp} switch -- {}", q(&expected)), ""),
        ),
        Head::Detached(sha) => (
            format!("a detached HEAD ({})", &sha[..sha.len().min(12)]),
            Remedy::run(format!("git -C {qp} switch -- {}", q(&expected)), ""),
        ),
        Head::Unknown => (
            "an unreadable HEAD".to_owned(),
            Remedy::decide(format!(
                "its HEAD cannot be read (a killed git worktree add leaves that): look at it (ls -la {qp}); if it holds nothing, git worktree remove --force {qp}"
            )),
        ),
    };
    Some(Finding::new(
        Code::BranchMismatch,
        Some(id.as_str()),
        format!("worktree {path} of {id} is on {on}, not {expected}"),
        remedy,
        vec![path],
    ))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::git::worktrees::{Head, Worktree};
    use crate::model::finding::Code;
    use crate::model::state::State;
    use crate::views::audit::audit;
    use crate::views::audit::test_support::{file, inv, of};

    fn worktree(path: &str, branch: &str) -> Worktree {
        Worktree {
            name: "x".into(),
            path: PathBuf::from(path),
            recorded: PathBuf::from(path),
            admin_dir: PathBuf::from(format!("/repo/.git/worktrees{path}")),
            head: Head::Branch(branch.into()),
            locked: None,
            exists: true,
            is_main: false,
        }
    }

    #[test]
    fn a_done_wo_whose_yaml_names_a_running_wos_worktree_is_a_conflict_not_a_zombie() {
        let mut i = inv(vec![
            file(
                State::Running,
                "WO-0001.yaml",
                "id: WO-0001\nstatus: running\nworktree: /wt/WO-0001\n",
            ),
            file(
                State::Done,
                "WO-0002.yaml",
                "id: WO-0002\nstatus: done\nworktree: /wt/WO-0001\n",
            ),
        ]);
        i.worktrees.push(worktree("/wt/WO-0001", "feat/wo-WO-0001"));
        let f = audit(&i);
        assert!(of(&f, Code::ZombieWorktree).is_empty(), "{f:?}");
        assert!(of(&f, Code::RunningWithoutWorktree).is_empty(), "{f:?}");
        assert_eq!(
            of(&f, Code::WorktreeConflict),
            vec![("WO-0001".into(), None)]
        );
    }

    #[test]
    fn the_worktree_of_a_wo_with_an_unreadable_running_copy_is_no_ghost() {
        let mut i = inv(vec![file(
            State::Running,
            "WO-0047.yaml",
            "<<<<<<< HEAD\nid: WO-0047\n",
        )]);
        i.worktrees.push(worktree("/wt/WO-0047", "feat/wo-WO-0047"));
        let f = audit(&i);
        assert!(of(&f, Code::GhostWorktree).is_empty(), "{f:?}");
        assert_eq!(of(&f, Code::InvalidYaml), vec![("WO-0047".into(), None)]);
        assert_eq!(f.len(), 1, "{f:?}");
    }

    #[test]
    fn a_clean_zombie_and_a_ghost_are_gcs() {
        let mut i = inv(vec![file(
            State::Done,
            "WO-0001.yaml",
            "id: WO-0001\nstatus: done\n",
        )]);
        i.worktrees.push(worktree("/wt/WO-0001", "feat/wo-WO-0001"));
        i.worktrees.push(worktree("/wt/WO-0002", "feat/wo-WO-0002"));
        let f = audit(&i);
        let gc = Some("git wo gc --apply".to_owned());
        assert_eq!(
            of(&f, Code::ZombieWorktree),
            vec![("WO-0001".into(), gc.clone())]
        );
        assert_eq!(of(&f, Code::GhostWorktree), vec![("WO-0002".into(), gc)]);
    }
}
