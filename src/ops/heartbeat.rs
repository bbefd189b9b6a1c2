//! Lease renewal (SPEC §2): by `git wo heartbeat`, by every `git wo` command run inside
//! the WO's worktree, and by the post-commit hook. A renewal replaces the previous
//! renewal commit (its parent is the last transition) so history shows transitions,
//! not heartbeats.

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::error::WoError;
use crate::git::Repo;
use crate::inventory::records::Stored;
use crate::inventory::{Depth, Inventory, Source};
use crate::model::lockfile::LockFile;
use crate::model::record::{Lease, Phase, Record};
use crate::model::record_texts::Text;
use crate::model::session::{Session, holds};
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::ops::jobs::Jobs;
use crate::ops::journal::{Journal, OrderYaml, Parent, Plan, RecordWrite, Recovery, Step};

/// The action (and op name) of a renewal: [`crate::ops::transition::RENEWAL`].
pub const ACTION: &str = crate::ops::transition::RENEWAL;

/// Automatic renewals are skipped when the lease was renewed this recently: a minute.
/// (Tests move the clock on with `GIT_WO_CLOCK_SKEW` instead of waiting it.)
pub fn auto_renew_interval() -> Duration {
    Duration::seconds(60)
}

#[derive(Debug, Serialize)]
pub struct Renewed {
    pub schema: &'static str,
    pub id: String,
    pub owner: String,
    pub token: u64,
    pub expires_at: DateTime<Utc>,
    pub lock_file_recreated: bool,
    pub forced: bool,
}

/// Renew `id`'s lease for `lease` from now. Only the holder, or `force` (recorded).
/// The phases: gather the record ([`held_record`]), decide who renews
/// ([`decide_who`]), plan the renewal (and a `.lock` recreated when it is missing),
/// apply, report.
pub fn renew(repo: &Repo, id: &WoId, lease: Duration, owner: &str, force: bool) -> Result<Renewed> {
    // The same checks as every command: a symlinked state folder is refused.
    let inv = Inventory::gather(repo, Source::WorkingTree, Depth::Full)?;
    let stored = held_record(&inv, id)?;
    let r = &stored.record;
    let forced = decide_who(repo, &inv, id, r, owner, force)?;
    let now = crate::clock::now();
    // A running WO whose record has no lock (imported without a `.lock`) is adopted
    // by whoever forces the renewal.
    let old = r.lock.as_deref().cloned().unwrap_or_else(|| Lease {
        owner: owner.to_owned(),
        session: crate::model::session::new_session_id(),
        host: crate::host::hostname(),
        pid: std::process::id(),
        acquired_at: now,
        renewed_at: now,
        expires_at: now,
        clone: crate::ops::clone_id::ensure(repo),
    });
    let lock = Lease {
        renewed_at: now,
        expires_at: now + lease,
        ..old
    };
    let note = forced.then(|| format!("lease renewed by {owner} with --force"));
    let record = Record {
        lock: Some(Box::new(lock.clone())),
        updated_at: now,
        ..r.clone()
    }
    .with(Text::Note, note.as_deref());
    let mut steps = vec![Step::Record(Box::new(renewal(record, owner)))];
    let jobs = Jobs::new(&repo.control_root, &inv.jobs_rel);
    let recreated = !jobs.lock_present(id.as_str());
    if recreated {
        steps.push(Step::CreateLock {
            text: LockFile::render(lock.acquired_at, lock.pid, &lock.owner, &lock.host),
            replace: false,
        });
    }
    // Renewals are published too (wo.remote), so other clones see the lease live.
    steps.extend(crate::ops::journal::publish(
        repo.config.remote.as_deref(),
        false,
    ));
    let plan = Plan {
        id: id.clone(),
        op: ACTION,
        steps,
        recovery: Recovery::RollForward,
    };
    Journal::new(repo, &inv.jobs_rel, Some(stored)).apply(&plan)?;
    Ok(Renewed {
        schema: "git-wo.heartbeat.v1",
        id: id.to_string(),
        owner: lock.owner,
        token: r.token,
        expires_at: lock.expires_at,
        lock_file_recreated: recreated,
        forced,
    })
}

/// Gather and decide on the record: it must be readable, exist, have no transition in
/// flight (renewing would move the record under it), and be held (running, not idle).
fn held_record<'i>(inv: &'i Inventory, id: &WoId) -> Result<&'i Stored> {
    inv.refuse_bad_record(id)?;
    let stored = inv.records.get(id.as_str()).ok_or_else(|| {
        if inv.wos().contains_key(id) {
            WoError::usage(format!("{id} has no record: nothing to renew"))
                .fix(format!("git wo init, then git wo take {id}"))
        } else {
            WoError::usage(format!("{id} does not exist (no YAML, no record)")).fix("git wo list")
        }
    })?;
    let r = &stored.record;
    if let Some(fix) = crate::ops::journal::in_flight_fix(id, r) {
        let who = r.lock.as_ref().map_or("someone", |l| l.owner.as_str());
        return Err(WoError::conflict(format!(
            "{id}: a {} by {who} is in progress; its lease is not renewed meanwhile",
            crate::ops::journal::in_flight_name(r.phase)
        ))
        .fix(fix)
        .into());
    }
    if r.state != State::Running || r.phase == Phase::Idle {
        return Err(WoError::usage(format!(
            "{id} is {} ({}), not held",
            r.state,
            r.phase.as_str()
        ))
        .fix(format!("git wo show {id}"))
        .into());
    }
    Ok(stored)
}

/// Decide who renews: the holder; with a stale token, nobody (the lock was lost);
/// anyone else only with `--force`, which is returned to be recorded.
fn decide_who(
    repo: &Repo,
    inv: &Inventory,
    id: &WoId,
    r: &Record,
    owner: &str,
    force: bool,
) -> Result<bool> {
    match holds(&repo.current_git_dir, r, owner) {
        Ok(true) => Ok(false),
        Err(old) => Err(WoError::conflict(format!(
            "{id}: your token {old} is stale (now {}); you lost the lock",
            r.token
        ))
        .fix(format!("git wo show {id}"))
        .into()),
        Ok(false) if force => Ok(true),
        Ok(false) => {
            let who = r
                .lock
                .as_ref()
                .map_or_else(|| "nobody".to_owned(), |l| l.shown(inv.now));
            let mine = r.lock.as_ref().is_some_and(|l| l.owner == owner);
            let how = if mine {
                "run it inside the WO's worktree, or: "
            } else {
                ""
            };
            Err(WoError::conflict(format!(
                "{id} is held by {who}; only the holder renews it (you are {owner})"
            ))
            .fix(format!(
                "{how}git wo heartbeat {id} --force (recorded as an override)"
            ))
            .into())
        }
    }
}

/// A renewal: its parent is the last transition (it replaces an earlier renewal), its
/// YAML the one of the commit it replaces.
fn renewal(record: Record, owner: &str) -> RecordWrite {
    RecordWrite {
        record,
        yaml: OrderYaml::Unchanged,
        action: ACTION,
        owner: owner.to_owned(),
        lines: Vec::new(),
        parent: Parent::LastTransition,
        fixed_time: false,
        evidence: None,
    }
}

/// Renew silently when the command runs inside a WO worktree whose session holds a
/// live lease that was not renewed in the last minute. Failures are ignored: this is
/// a courtesy, never a reason for a command to fail.
///
/// `publish`: also push the renewal to `wo.remote` (not from the hooks: a commit must
/// not wait on the network).
pub fn auto_renew(repo: &Repo, publish: bool) {
    let Some(session) = Session::read(&repo.current_git_dir) else {
        return;
    };
    let Ok(id) = WoId::parse(&session.id) else {
        return;
    };
    let Ok(Some(stored)) = crate::inventory::records::read(repo, id.as_str()) else {
        return;
    };
    let r = &stored.record;
    let now = crate::clock::now();
    let Some(lock) = r.lock.as_ref() else { return };
    let you = repo.config.you().0;
    if holds(&repo.current_git_dir, r, &you) != Ok(true)
        || lock.expired(now)
        || r.phase != Phase::Active
    {
        return;
    }
    if now - lock.renewed_at < auto_renew_interval() {
        return;
    }
    let lease = lock.expires_at - lock.renewed_at;
    let record = Record {
        lock: Some(Box::new(Lease {
            renewed_at: now,
            expires_at: now + lease,
            ..(**lock).clone()
        })),
        updated_at: now,
        ..r.clone()
    };
    let plan = Plan {
        id,
        op: ACTION,
        steps: std::iter::once(Step::Record(Box::new(renewal(record, &lock.owner.clone()))))
            .chain(
                crate::ops::journal::publish(repo.config.remote.as_deref(), false)
                    .filter(|_| publish),
            )
            .collect(),
        recovery: Recovery::RollForward,
    };
    let _ = Journal::new(repo, &repo.jobs_rel(), Some(&stored)).apply(&plan);
}
