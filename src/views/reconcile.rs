//! The plan of `git wo reconcile` (SPEC §7), a pure function of the inventory: for each
//! WO, the repairs that bring it to one state, one file and the locks that state needs.
//!
//! The truth is the record when there is one; without one, the precedence rules of
//! [`winning_state`]. Every repair is `safe` (reversible, removes nothing: surplus copies
//! and stray locks go to quarantine) or `unsafe` (needs `--force`). What a WO will look
//! like after its repairs is what the later rules look at, so that one `--apply` leaves
//! nothing for a second one to do.

use std::path::PathBuf;

use serde::Serialize;

use crate::inventory::{Inventory, WoView};
use crate::model::finding::Code;
use crate::model::order::OrderFile;
use crate::model::record::Phase;
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::views::precedence::winning_state;
use crate::views::standing::Standing;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Safety {
    /// Reversible and removes nothing: done by `--apply`.
    Safe,
    /// Needs `--force`.
    Unsafe,
}

/// One typed repair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Repair {
    /// Move a surplus copy or a stray `.lock` file into quarantine.
    Quarantine { path: PathBuf },
    /// Move the YAML into `to`'s folder (when elsewhere) and set `status: <to>`.
    Place { path: PathBuf, to: State },
    /// Write `running/<ID>.lock` for the record's holder, or (no record) for the
    /// owner the YAML names: its worktree is live.
    CreateLock,
    /// A running WO with no lock and no live worktree goes back to pending (requeue's
    /// own plan: the record first, when there is one).
    Requeue { path: PathBuf },
    /// Write the missing YAML from the record's `order.yaml`.
    RestoreYaml { to: State },
    /// Import the YAML into a record (an initialised repository).
    CreateRecord,
    /// Roll an interrupted take back: pending again, branch and worktree kept.
    RollBackTake,
    /// Complete an interrupted finish with the verdict its record holds.
    CompleteFinish,
    /// Write git's lock of the WO's worktree again with the record's token.
    Relock { worktree: PathBuf, token: u64 },
}

/// A planned repair of one WO.
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    pub wo_id: WoId,
    pub code: Code,
    /// What will be done, in words.
    pub action: String,
    pub safety: Safety,
    pub paths: Vec<String>,
    pub repair: Repair,
}

/// Every repair the inventory calls for, WO by WO (in id order; within a WO, in the
/// order they are applied: surplus copies out, the keeper placed, locks, record).
pub fn plan(inv: &Inventory) -> Vec<Action> {
    let mut out = Vec::new();
    for (id, view) in &inv.wos() {
        wo_plan(inv, id, view, &mut out);
    }
    out
}

fn wo_plan(inv: &Inventory, id: &WoId, v: &WoView<'_>, out: &mut Vec<Action>) {
    // A WO with an unreadable copy, or held in another clone, is no repair's (audit
    // says what a person does instead).
    if !Standing::of(inv, v).is_open() {
        return;
    }
    let rel = |p: &std::path::Path| inv.rel(p);
    let mut push = |code: Code, repair: Repair, safety: Safety, action: String, paths| {
        out.push(Action {
            wo_id: id.clone(),
            code,
            action,
            safety,
            paths,
            repair,
        });
    };
    let record = v.record.map(|s| &s.record);

    // An interrupted transition first: finishing it (or rolling it back) is what puts
    // the files right. One still in progress is left alone.
    if let Some(r) = record.filter(|r| r.phase.in_flight()) {
        if inv.interrupted(id, v) {
            let (repair, what) = if r.phase == Phase::Taking {
                (
                    Repair::RollBackTake,
                    format!(
                        "roll the interrupted take (token {}) back: {id} pending again, its branch and worktree kept",
                        r.token
                    ),
                )
            } else {
                let verdict = r.result.as_ref().map_or(State::Done, |o| o.verdict);
                (
                    Repair::CompleteFinish,
                    format!(
                        "complete the interrupted finish (token {}): {id} {verdict}",
                        r.token
                    ),
                )
            };
            push(
                Code::InterruptedTransition,
                repair,
                Safety::Safe,
                what,
                vec![crate::inventory::records::ref_name(id.as_str())],
            );
        }
        return;
    }

    // The state the WO ends in; none for an id that has only a lock (or only a
    // worktree, which is gc's).
    let target = record.map(|r| r.state).or_else(|| winning_state(inv, v));
    if v.files.is_empty() {
        if let Some(r) = record {
            push(
                Code::OrphanRecord,
                Repair::RestoreYaml { to: r.state },
                Safety::Safe,
                format!(
                    "restore {}/{}/{id}.yaml from the record's order.yaml",
                    inv.jobs_rel, r.state
                ),
                vec![format!("{}/{}/{id}.yaml", inv.jobs_rel, r.state)],
            );
        }
    } else if let Some(target) = target {
        let keeper = keeper(id, v, target);
        let split = v.is_split_brain();
        for f in v.files.iter().filter(|f| f.rel_path != keeper.rel_path) {
            let (code, why) = if f.folder != keeper.folder {
                (
                    Code::SplitBrain,
                    format!("{} wins over {}", target, f.folder),
                )
            } else {
                (
                    Code::DuplicateYaml,
                    format!("a second file of {id}; {} is kept", rel(&keeper.rel_path)),
                )
            };
            push(
                code,
                Repair::Quarantine {
                    path: f.rel_path.clone(),
                },
                Safety::Safe,
                format!("quarantine {} ({why})", rel(&f.rel_path)),
                vec![rel(&f.rel_path)],
            );
        }
        let status_ok = keeper.status() == Ok(target);
        if keeper.folder != target || !status_ok {
            let code = if keeper.folder != target {
                if split {
                    Code::SplitBrain
                } else {
                    Code::StateMismatch
                }
            } else {
                Code::StatusMismatch
            };
            let what = if keeper.folder != target {
                format!(
                    "move {} to {}/{}/ and set status: {target} (the record is the truth)",
                    rel(&keeper.rel_path),
                    inv.jobs_rel,
                    target
                )
            } else {
                format!("set status: {target} in {}", rel(&keeper.rel_path))
            };
            push(
                code,
                Repair::Place {
                    path: keeper.rel_path.clone(),
                    to: target,
                },
                Safety::Safe,
                what,
                vec![rel(&keeper.rel_path)],
            );
        }
    }

    // Locks, as the state needs them.
    if target == Some(State::Running) {
        lock_mismatch(inv, id, v, &mut push);
        if v.lock.is_none() {
            let live_worktree = v.worktrees.iter().any(|w| w.exists);
            match record.and_then(|r| r.lock.as_ref()) {
                Some(l) if !l.expired(inv.now) => push(
                    Code::RunningWithoutLock,
                    Repair::CreateLock,
                    Safety::Safe,
                    format!(
                        "recreate {}/running/{id}.lock for its holder {}",
                        inv.jobs_rel, l.owner
                    ),
                    vec![format!("{}/running/{id}.lock", inv.jobs_rel)],
                ),
                // A lease that expired is a stale lock: gc releases it.
                Some(_) => {}
                None if live_worktree => push(
                    Code::RunningWithoutLock,
                    Repair::CreateLock,
                    Safety::Safe,
                    format!(
                        "create {}/running/{id}.lock: its worktree is live",
                        inv.jobs_rel
                    ),
                    vec![format!("{}/running/{id}.lock", inv.jobs_rel)],
                ),
                None => {
                    let path = v
                        .file_in(State::Running)
                        .map(|f| f.rel_path.clone())
                        .unwrap_or_default();
                    push(
                        Code::RunningWithoutLock,
                        Repair::Requeue { path: path.clone() },
                        Safety::Unsafe,
                        format!("requeue {id} to pending: no lock, no live worktree"),
                        vec![rel(&path)],
                    );
                }
            }
        }
    } else if let Some(lock) = v.lock {
        let why = match target {
            Some(state) => format!("{id} is {state}"),
            None => format!("{id} has no YAML and no record"),
        };
        push(
            Code::LockWithoutRunning,
            Repair::Quarantine {
                path: lock.rel_path.clone(),
            },
            Safety::Safe,
            format!("quarantine {} ({why})", rel(&lock.rel_path)),
            vec![rel(&lock.rel_path)],
        );
    }

    if record.is_none() && inv.initialized && !v.files.is_empty() {
        push(
            Code::Unmirrored,
            Repair::CreateRecord,
            Safety::Safe,
            format!("create the record refs/wo/orders/{id} from its YAML"),
            vec![crate::inventory::records::ref_name(id.as_str())],
        );
    }
}

/// A `.lock` file or git worktree lock that names another holder than the record's
/// live lock: the record is the truth. The `.lock` goes to quarantine and is written
/// again; git's lock gets the record's token.
fn lock_mismatch(
    inv: &Inventory,
    id: &WoId,
    v: &WoView<'_>,
    push: &mut impl FnMut(Code, Repair, Safety, String, Vec<String>),
) {
    let Some(r) = v.record.map(|s| &s.record) else {
        return;
    };
    let Some(lease) = r.live_lock(inv.now) else {
        return;
    };
    if let Some(lock) = v.lock
        && lock.user.as_deref().is_some_and(|u| u != lease.owner)
    {
        let path = inv.rel(&lock.rel_path);
        push(
            Code::LockMismatch,
            Repair::Quarantine {
                path: lock.rel_path.clone(),
            },
            Safety::Safe,
            format!(
                "quarantine {path} (it names {}; the record's holder is {})",
                lock.user.as_deref().unwrap_or("?"),
                lease.owner
            ),
            vec![path.clone()],
        );
        push(
            Code::LockMismatch,
            Repair::CreateLock,
            Safety::Safe,
            format!("write {path} again for the record's holder {}", lease.owner),
            vec![path],
        );
    }
    for wt in &v.worktrees {
        let named = wt
            .locked
            .as_deref()
            .and_then(crate::model::lock_reason::parse)
            .filter(|(wid, _)| wid == id.as_str())
            .and_then(|(_, t)| t);
        if let Some(t) = named
            && t != r.token
        {
            let path = wt.path.to_string_lossy().into_owned();
            push(
                Code::LockMismatch,
                Repair::Relock {
                    worktree: wt.path.clone(),
                    token: r.token,
                },
                Safety::Safe,
                format!(
                    "lock worktree {path} again with the record's token {} (it has {t})",
                    r.token
                ),
                vec![path],
            );
        }
    }
}

/// The copy that stays: one in the target folder, `<ID>.yaml` (or `.yml`) before other
/// names; with none there (a record whose state no copy has), the copy the precedence
/// rules pick.
fn keeper<'a>(id: &WoId, v: &WoView<'a>, target: State) -> &'a OrderFile {
    let canonical = |f: &&OrderFile| {
        f.rel_path
            .file_stem()
            .is_some_and(|s| s.to_str() == Some(id.as_str()))
    };
    let in_target: Vec<&OrderFile> = v
        .files
        .iter()
        .copied()
        .filter(|f| f.folder == target)
        .collect();
    if let Some(f) = in_target
        .iter()
        .copied()
        .find(canonical)
        .or(in_target.first().copied())
    {
        return f;
    }
    let order = [State::Done, State::Failed, State::Running, State::Pending];
    order
        .iter()
        .find_map(|s| v.files.iter().copied().find(|f| f.folder == *s))
        .unwrap_or(v.files[0])
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::order::OrderFile;

    fn file(state: State, name: &str, yaml: &str) -> OrderFile {
        OrderFile::in_folder(state, name, yaml)
    }

    #[test]
    fn split_brain_keeps_the_winner_and_quarantines_the_rest() {
        let files = vec![
            file(
                State::Pending,
                "WO-0001.yaml",
                "id: WO-0001\nstatus: pending\n",
            ),
            file(State::Done, "WO-0001.yaml", "id: WO-0001\nstatus: done\n"),
            file(
                State::Done,
                "WO-0002.yaml",
                "id: WO-0002\nstatus: running\n",
            ),
            file(State::Done, "WO-0003.yaml", "id: WO-0003\nstatus: done\n"),
            file(
                State::Done,
                "WO-0003_copy.yaml",
                "id: WO-0003\nstatus: done\n",
            ),
        ];
        let inv = Inventory::from_files(Path::new("/repo"), files, chrono::Utc::now());
        let plan = plan(&inv);
        let repairs: Vec<(&str, &Repair)> =
            plan.iter().map(|a| (a.wo_id.as_str(), &a.repair)).collect();
        assert_eq!(
            repairs,
            vec![
                (
                    "WO-0001",
                    &Repair::Quarantine {
                        path: "_ctx/jobs/pending/WO-0001.yaml".into()
                    }
                ),
                (
                    "WO-0002",
                    &Repair::Place {
                        path: "_ctx/jobs/done/WO-0002.yaml".into(),
                        to: State::Done
                    }
                ),
                (
                    "WO-0003",
                    &Repair::Quarantine {
                        path: "_ctx/jobs/done/WO-0003_copy.yaml".into()
                    }
                ),
            ]
        );
        assert!(plan.iter().all(|a| a.safety == Safety::Safe));
    }

    #[test]
    fn a_running_wo_with_nothing_live_needs_force() {
        let files = vec![file(
            State::Running,
            "WO-0001.yaml",
            "id: WO-0001\nstatus: running\n",
        )];
        let inv = Inventory::from_files(Path::new("/repo"), files, chrono::Utc::now());
        let plan = plan(&inv);
        assert_eq!(plan.len(), 1);
        assert_eq!(plan[0].safety, Safety::Unsafe);
        assert!(matches!(plan[0].repair, Repair::Requeue { .. }));
    }
}
