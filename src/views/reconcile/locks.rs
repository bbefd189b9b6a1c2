//! The locks the target state needs: a running WO gets its `.lock` file (as
//! [`LockNeed`] decides, the same decision audit's lock findings read) and git's
//! worktree lock with the record's token; any other WO's `.lock` goes to quarantine.

use super::repair::{Action, Repair, Safety};
use super::wo::Wo;
use crate::model::finding::Code;
use crate::model::state::State;
use crate::views::lock_need::LockNeed;

pub fn lock_file(wo: &Wo<'_, '_>, target: Option<State>) -> Vec<Action> {
    if target != Some(State::Running) {
        return stray_lock(wo, target).into_iter().collect();
    }
    let mut out = running_lock(wo);
    out.extend(git_lock_token(wo));
    out
}

/// `lock_without_running`: the `.lock` of a WO whose target state is not running goes
/// to quarantine.
fn stray_lock(wo: &Wo<'_, '_>, target: Option<State>) -> Option<Action> {
    let (id, lock) = (wo.id, wo.v.lock()?);
    let why = match target {
        Some(state) => format!("{id} is {state}"),
        None => format!("{id} has no YAML and no record"),
    };
    Some(wo.action(
        Code::LockWithoutRunning,
        Repair::Quarantine {
            path: lock.rel_path.clone(),
        },
        Safety::Safe,
        format!("quarantine {} ({why})", wo.rel(&lock.rel_path)),
        vec![wo.rel(&lock.rel_path)],
    ))
}

/// The `.lock` a running WO needs, as [`LockNeed`] decides: recreated or rewritten for
/// the record's holder, created for a live worktree, or the WO requeued.
fn running_lock(wo: &Wo<'_, '_>) -> Vec<Action> {
    let (inv, id, v) = (wo.inv, wo.id, wo.v);
    let lock_path = format!("{}/running/{id}.lock", inv.jobs_rel);
    let create = |code: Code, what: String| {
        wo.action(
            code,
            Repair::CreateLock,
            Safety::Safe,
            what,
            vec![lock_path.clone()],
        )
    };
    match LockNeed::of(inv, v, true) {
        None | Some(LockNeed::Release) => Vec::new(),
        Some(LockNeed::RecreateFor(l)) => vec![create(
            Code::LockMismatch,
            format!("recreate {lock_path} for its holder {}", l.owner),
        )],
        Some(LockNeed::RewriteFor(l)) => {
            let mut out = Vec::new();
            if let Some(lock) = v.lock() {
                out.push(wo.action(
                    Code::LockMismatch,
                    Repair::Quarantine {
                        path: lock.rel_path.clone(),
                    },
                    Safety::Safe,
                    format!(
                        "quarantine {} (it names {}; the record's holder is {})",
                        wo.rel(&lock.rel_path),
                        lock.user.as_deref().unwrap_or("?"),
                        l.owner
                    ),
                    vec![wo.rel(&lock.rel_path)],
                ));
            }
            out.push(create(
                Code::LockMismatch,
                format!(
                    "write {lock_path} again for the record's holder {}",
                    l.owner
                ),
            ));
            out
        }
        Some(LockNeed::CreateForWorktree) => vec![create(
            Code::RunningWithoutLock,
            format!("create {lock_path}: its worktree is live"),
        )],
        Some(LockNeed::Requeue) => {
            let path = v
                .file_in(State::Running)
                .map(|f| f.rel_path().to_path_buf())
                .unwrap_or_default();
            vec![wo.action(
                Code::RunningWithoutLock,
                Repair::Requeue { path: path.clone() },
                Safety::Unsafe,
                format!("requeue {id} to pending: no lock, no live worktree"),
                vec![wo.rel(&path)],
            )]
        }
    }
}

/// `lock_mismatch`: a worktree git-locked for this WO with another token than the
/// record's live lock is locked again with the record's token.
fn git_lock_token(wo: &Wo<'_, '_>) -> Vec<Action> {
    let (inv, id, v) = (wo.inv, wo.id, wo.v);
    let Some(r) = v.record.map(|s| &s.record) else {
        return Vec::new();
    };
    if r.live_lock(inv.now).is_none() {
        return Vec::new();
    }
    v.worktrees()
        .iter()
        .filter_map(|wt| {
            let (_, t) = wt
                .locked
                .as_deref()
                .and_then(crate::model::lock_reason::parse)
                .filter(|(wid, _)| wid == id.as_str())?;
            let t = t.filter(|t| *t != r.token)?;
            let path = wt.path.to_string_lossy().into_owned();
            Some(wo.action(
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
            ))
        })
        .collect()
}
