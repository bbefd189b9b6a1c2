//! The rules about `.lock` files: lock_without_running, lock_mismatch.

use super::wo::Wo;
use crate::error::shell_quote as q;
use crate::model::finding::{Code, Finding, Remedy, Subject};
use crate::model::lock_reason;
use crate::model::state::State;

/// `lock_without_running`: a `.lock` file of a WO with no running copy.
pub fn lock_without_running(wo: &Wo<'_, '_>) -> Option<Finding> {
    let (inv, id, v) = (wo.inv, wo.id, wo.v);
    let lock = v.lock()?;
    if v.states().contains(&State::Running) {
        return None;
    }
    let path = inv.rel(&lock.rel_path);
    Some(
        Finding::new(
            Code::LockWithoutRunning,
            Some(id.as_str()),
            format!(
                "{path} exists but {id} is {}",
                v.single_state()
                    .map_or("in no state folder".to_owned(), |s| format!(
                        "{s}, not running"
                    ))
            ),
            Remedy::run(
                "git wo reconcile --apply",
                format!("moves {} to quarantine", q(&path)),
            ),
            vec![path.clone()],
        )
        .about(Subject {
            copies: wo.paths(v.files()),
            winner: v.single_state(),
            lock_file: Some(path),
            ..Subject::default()
        }),
    )
}

/// `lock_mismatch`: the `.lock` file, the record's lock and git's worktree lock name
/// different holders.
pub fn lock_mismatch(wo: &Wo<'_, '_>) -> Option<Finding> {
    let (inv, id, v) = (wo.inv, wo.id, wo.v);
    let r = &v.record?.record;
    let lease = r.lock.as_ref()?;
    let file_user = v.lock().and_then(|l| l.user.clone());
    let git_token = v
        .worktrees()
        .iter()
        .filter_map(|w| w.locked.as_deref().and_then(lock_reason::parse))
        .find(|(wid, _)| wid == id.as_str())
        .and_then(|(_, t)| t);
    let mut why = Vec::new();
    if let Some(u) = &file_user
        && *u != lease.owner
    {
        why.push(format!(".lock file says {u}, record says {}", lease.owner));
    }
    // The `.lock` mirror of a live lease is gone (LockNeed::RecreateFor: reconcile
    // writes it again; while the lease runs, no running_without_lock is reported).
    if v.lock().is_none()
        && matches!(
            crate::views::lock_need::LockNeed::of(inv, v, v.states().contains(&State::Running)),
            Some(crate::views::lock_need::LockNeed::RecreateFor(_))
        )
    {
        why.push(format!(
            "no .lock file, record says {} holds it",
            lease.owner
        ));
    }
    if let Some(t) = git_token
        && t != r.token
    {
        why.push(format!(
            "git worktree lock has token {t}, record has {}",
            r.token
        ));
    }
    if why.is_empty() {
        return None;
    }
    let mut paths: Vec<String> = v.lock().map(|l| inv.rel(&l.rel_path)).into_iter().collect();
    paths.push(crate::inventory::records::ref_name(id.as_str()));
    let remedy = if lease.expired(inv.now) {
        Remedy::run(
            "git wo gc --apply",
            "the lease expired: releases it and its locks",
        )
    } else {
        Remedy::run(
            "git wo reconcile --apply",
            format!(
                "the record is the truth: the .lock file goes to quarantine and is written again for {}, and git's worktree lock gets token {}",
                lease.owner, r.token
            ),
        )
    };
    Some(Finding::new(
        Code::LockMismatch,
        Some(id.as_str()),
        format!("{id}: holders disagree: {}", why.join("; ")),
        remedy,
        paths,
    ))
}

#[cfg(test)]
mod tests {
    use crate::model::finding::Code;
    use crate::model::lockfile::LockFile;
    use crate::model::state::State;
    use crate::model::wo_id::WoId;
    use crate::views::audit::audit;
    use crate::views::audit::test_support::{file, inv, of};

    #[test]
    fn a_lock_of_a_done_wo_goes_to_quarantine() {
        let mut inv = inv(vec![file(
            State::Done,
            "WO-0001.yaml",
            "id: WO-0001\nstatus: done\n",
        )]);
        inv.locks.push(LockFile::parse(
            WoId::parse("WO-0001").expect("id"),
            "_ctx/jobs/running/WO-0001.lock".into(),
            "WO-0001\n",
            None,
        ));
        assert_eq!(
            of(&audit(&inv), Code::LockWithoutRunning),
            vec![("WO-0001".into(), Some("git wo reconcile --apply".into()))]
        );
    }
}
