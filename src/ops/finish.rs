//! `finish` (SPEC §4): run by the holder (or `--force`): verify, phase finishing, YAML
//! to done/failed with the finish fields, `.lock` removed, result marker, worktree
//! unlocked and removed when safe, record idle. Finishing is what stops zombies from
//! being born. A crash leaves phase `finishing`; rerunning finish rolls it forward.

use anyhow::{Context, Result};
use chrono::Utc;
use serde::Serialize;

use crate::error::WoError;
use crate::failpoint;
use crate::git::Repo;
use crate::git::worktrees::Worktree;
use crate::inventory::Inventory;
use crate::model::lock_reason;
use crate::model::marker;
use crate::model::record::{Lease, Outcome, Phase, Record};
use crate::model::session::{Session, holds};
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::ops::journal::{self, Journal, OrderYaml, Parent, Plan, RecordWrite, Recovery, Step};

#[derive(Debug, Clone)]
pub struct FinishOptions {
    pub id: WoId,
    pub owner: String,
    pub verdict: State,
    pub skip_reason: Option<String>,
    /// `--allow-out-of-scope --reason`: a branch that leaves the WO's scope is recorded
    /// as an exception instead of refused.
    pub scope_exception: Option<String>,
    pub keep_worktree: bool,
    pub force: bool,
    /// `--result done` with no commit since the base.
    pub allow_empty: bool,
    /// Publish the record there (SPEC §10).
    pub remote: Option<String>,
    /// A repair's run (reconcile completing an interrupted finish): the YAML and the
    /// `.lock` are saved to its quarantine before they are rewritten or deleted.
    pub saving: Option<crate::ops::quarantine::Saving>,
}

#[derive(Debug, Serialize)]
pub struct FinishOutcome {
    pub schema: &'static str,
    pub id: String,
    pub requested: State,
    pub verdict: State,
    /// yes / no / skipped.
    pub verified: &'static str,
    pub failed_command: Option<String>,
    pub tip: Option<String>,
    pub yaml: String,
    pub worktree: Option<String>,
    pub worktree_removed: bool,
    pub worktree_kept_because: Vec<String>,
    pub forced: bool,
    /// WOs added since init that this finish mirrored into records on the way.
    pub mirrored: Vec<String>,
}

impl FinishOutcome {
    /// The worktree was kept because it holds work (not because --keep-worktree asked).
    pub fn work_left(&self) -> bool {
        self.worktree.is_some()
            && !self.worktree_removed
            && !self
                .worktree_kept_because
                .iter()
                .any(|r| r == "--keep-worktree")
    }
}

pub fn finish(repo: &Repo, opts: &FinishOptions) -> Result<FinishOutcome> {
    let id = &opts.id;
    let inv = Inventory::for_change(repo, id)?;
    let wos = inv.wos();
    let view = crate::inventory::existing(&wos, id)?;
    let Some(stored) = view.record.cloned() else {
        return Err(
            WoError::usage(format!("{id} has no record: it was not taken with git wo"))
                .fix(format!(
                    "git wo init (imports it), then: git wo finish {id} --force --result …"
                ))
                .into(),
        );
    };
    let r = &stored.record;
    if r.state != State::Running {
        return Err(WoError::usage(format!("{id} is {}, not running", r.state))
            .fix(format!("git wo show {id}"))
            .into());
    }
    if r.phase == Phase::Taking {
        let fix = journal::in_flight_fix(id, r).unwrap_or_default();
        return Err(
            WoError::usage(format!("{id}: its take is in progress or was interrupted"))
                .fix(fix)
                .into(),
        );
    }
    // The holder: this worktree's session is the record's and you are its owner.
    // Anyone else (another identity in the holder's worktree too) needs --force.
    let holder = holds(&repo.current_git_dir, r, &opts.owner);
    // A finish that was interrupted may be completed by its owner once the process
    // that ran it is gone (its worktree, and so its session, may be gone too).
    let rerun_by_owner = r.phase == Phase::Finishing
        && r.lock.as_ref().is_some_and(|l| l.owner == opts.owner)
        && journal::holder_gone(r, inv.now);
    match holder {
        Ok(true) => {}
        Err(old) => {
            return Err(WoError::conflict(format!(
                "{id}: you held it with token {old}, but it was taken again (token {}) by {}",
                r.token,
                r.lock.as_ref().map_or("someone", |l| l.owner.as_str())
            ))
            .fix(format!(
                "git wo show {id} (your lock is gone; talk to the new holder)"
            ))
            .into());
        }
        Ok(false) if opts.force || rerun_by_owner => {}
        Ok(false) => {
            let holder = r
                .lock
                .as_ref()
                .map_or_else(|| "nobody".to_owned(), |l| l.shown(inv.now));
            let verdict = opts.verdict;
            let forced =
                format!("git wo finish {id} --result {verdict} --force (recorded as an override)");
            let mine = r.lock.as_ref().is_some_and(|l| l.owner == opts.owner);
            let fix = match own_worktree(&inv, id, r).filter(|_| mine) {
                // Yours, run from elsewhere: from your worktree it needs no --force.
                Some(w) => format!(
                    "cd {} && git wo finish {id} --result {verdict}, or: {forced}",
                    crate::error::shell_quote(&w.path.to_string_lossy())
                ),
                None => forced,
            };
            return Err(WoError::conflict(format!(
                "{id} is held by {holder}; only the holder finishes it (you are {})",
                opts.owner
            ))
            .fix(fix)
            .into());
        }
    }
    // A rerun of a finish whose process still runs (the finishing record names it)
    // would race it: wait for it, or take it over with --force.
    if r.phase == Phase::Finishing && !opts.force && !journal::holder_gone(r, inv.now) {
        let fix = journal::in_flight_fix(id, r).unwrap_or_default();
        return Err(WoError::conflict(format!(
            "{id}: its finish is still running ({})",
            r.lock
                .as_ref()
                .map_or_else(String::new, |l| format!("pid {} on {}", l.pid, l.host))
        ))
        .fix(fix)
        .into());
    }
    let forced = opts.force && holder != Ok(true) && !rerun_by_owner;
    let wt: Option<Worktree> = own_worktree(&inv, id, r).filter(|w| w.exists).cloned();
    let file = view
        .files
        .first()
        .copied()
        .with_context(|| format!("{id}: no YAML file"))?;
    let tip = wt
        .as_ref()
        .and_then(|w| repo.worktree_head(&w.path))
        .or_else(|| {
            r.branch
                .as_deref()
                .and_then(|b| repo.branch_tip(b).ok().flatten())
        });

    // A branch with no commit since its base: nothing was done. `done` needs
    // --allow-empty, and the result marker never goes on the base (someone else's commit).
    let empty = tip.is_some_and(|t| r.base.as_deref() == Some(t.to_string().as_str()));
    if empty && opts.verdict == State::Done && !opts.allow_empty && r.phase != Phase::Finishing {
        let short = r.base.as_deref().map_or("", |b| &b[..b.len().min(12)]);
        let here = wt
            .as_ref()
            .map(|w| {
                format!(
                    "commit your work in {}, or: ",
                    crate::error::shell_quote(&w.path.to_string_lossy())
                )
            })
            .unwrap_or_default();
        return Err(WoError::usage(format!(
            "{id}: its branch has no commit since its base {short}: nothing was done to finish as done"
        ))
        .fix(format!(
            "{here}git wo finish {id} --result done --allow-empty (or --result failed)"
        ))
        .into());
    }

    // `done` certifies the tip: verify (and the record, the marker, `verified_at_sha`)
    // must be about exactly that commit, so nothing uncommitted may sit beside it.
    if opts.verdict == State::Done
        && r.phase != Phase::Finishing
        && let Some(w) = &wt
    {
        refuse_uncommitted(repo, id, w)?;
    }
    let tip_text = tip.map(|t| t.to_string());

    // The diff base..tip must stay in the WO's scope (or be recorded as an exception).
    let scope_exception = if opts.verdict == State::Done && r.phase != Phase::Finishing {
        crate::ops::scope::check_finish(repo, file, r, tip, opts)?
    } else {
        None
    };

    let mut steps = Vec::new();
    let mut log = crate::ops::evidence::Log::default();
    // The evidence of a resumed finish is the one its finishing record holds.
    let mut evidence = match r.phase {
        Phase::Finishing => {
            repo.subtree_in_commit(stored.commit, crate::inventory::records::EVIDENCE_DIR)?
        }
        _ => None,
    };
    // (1) Verify, unless resuming a finish whose verdict is already recorded.
    let (outcome, failed_command) = if r.phase == Phase::Finishing {
        let outcome = r
            .result
            .as_deref()
            .cloned()
            .context("finishing record has no result")?;
        // Resuming: this run takes the transition over by naming itself in the
        // finishing record first (compare-and-swap: a rival rerun or reconcile loses,
        // and every later step is fenced by it), so that audit and reconcile see a
        // live finish while it runs, not the crashed one the record named (its lease
        // renewed: an expired one would make it look interrupted too).
        let now = Utc::now();
        steps.push(Step::Record(Box::new(RecordWrite {
            record: Record {
                lock: r.lock.clone().map(|l| {
                    Box::new(Lease {
                        host: crate::host::hostname(),
                        pid: std::process::id(),
                        renewed_at: now,
                        expires_at: now + inv.lease,
                        ..*l
                    })
                }),
                updated_at: now,
                ..r.clone()
            },
            yaml: OrderYaml::Unchanged,
            action: "resume-finishing",
            owner: opts.owner.clone(),
            lines: Vec::new(),
            parent: Parent::Previous,
            fixed_time: false,
            // The evidence the finishing record holds stays with it.
            evidence,
        })));
        (outcome, None)
    } else {
        // The Definition of Done (SPEC §4): its checks run after verify.commands.
        let gate = crate::ops::evidence::Gate {
            repo,
            inv: &inv,
            id,
            file,
            dir: wt.as_ref().map(|w| w.path.as_path()),
            base: r.base.as_deref(),
            tip: tip_text.as_deref(),
            applies: opts.verdict == State::Done && opts.skip_reason.is_none(),
        };
        let dod = gate.dod()?;
        let (verdict, verified, failed_command) = match &opts.skip_reason {
            Some(_) => (opts.verdict, None, None),
            None => {
                let commands = file.verify_commands();
                let dir = wt.as_ref().map(|w| w.path.clone());
                match (commands.is_empty(), dir) {
                    (true, _) => (opts.verdict, Some(false), None),
                    (false, None) => {
                        return Err(WoError::failed(format!("{id}: its worktree is missing, verify.commands cannot run"))
                            .fix(format!(
                                "git wo finish {id} --result {}{} --skip-verification --reason 'worktree lost'",
                                opts.verdict,
                                if opts.force { " --force" } else { "" }
                            ))
                            .into());
                    }
                    (false, Some(dir)) => match (crate::ops::verify::Verify {
                        dir: &dir,
                        id: id.as_str(),
                        base: r.base.as_deref(),
                        tip: tip_text.as_deref(),
                        timeout: repo
                            .config
                            .verify_timeout
                            .to_std()
                            .unwrap_or(std::time::Duration::from_secs(1800)),
                    })
                    .run_logged(&commands, &mut log.verify)?
                    {
                        None => (opts.verdict, Some(true), None),
                        Some(failure) if opts.verdict == State::Done => {
                            // A failing verify is a gate: the WO stays running.
                            let shown = crate::error::shell_quote(&dir.to_string_lossy());
                            return Err(WoError::failed(format!(
                                "{id}: verify failed: `{}` (exit {}); {id} is still running, its worktree kept\n{}",
                                failure.command, failure.status, failure.tail
                            ))
                            .fix(format!(
                                "fix it in {shown}, then: git wo finish {id} --result done (or --result failed to record a failure)"
                            ))
                            .into());
                        }
                        Some(failure) => (State::Failed, Some(false), Some(failure.command)),
                    },
                }
            }
        };
        let verified = match dod {
            Some(d) if verdict == State::Done => {
                let ran = gate.run(
                    d,
                    repo.config
                        .verify_timeout
                        .to_std()
                        .unwrap_or(std::time::Duration::from_secs(1800)),
                    &mut log,
                )?;
                verified.map(|v| v || ran)
            }
            _ => verified,
        };
        // What verify certified is the tip it ran on: a command that moved HEAD
        // (committed, reset) leaves nothing certified.
        if let Some(w) = &wt
            && verified.is_some()
            && repo.worktree_head(&w.path) != tip
        {
            return Err(WoError::failed(format!(
                "{id}: a verify command moved the worktree's HEAD (from {}); nothing was certified, nothing changed",
                tip_text.as_deref().unwrap_or("?")
            ))
            .fix(format!(
                "verify commands must not commit; look at it (git -C {} log -3), then: git wo finish {id} --result {}",
                crate::error::shell_quote(&w.path.to_string_lossy()),
                opts.verdict
            ))
            .into());
        }
        failpoint::hit("finish:after-verify");
        let outcome = Outcome {
            verdict,
            verified: verified == Some(true),
            skip_verification_reason: opts.skip_reason.clone(),
            scope_exception,
            tip: tip_text.clone(),
            finished_at: Utc::now(),
        };
        evidence = Some(crate::ops::evidence::write(
            &crate::ops::evidence::Facts {
                repo,
                id,
                file,
                dod,
                verdict,
                verified: match (verified, &opts.skip_reason) {
                    (_, Some(_)) => "skipped",
                    (Some(true), None) => "yes",
                    _ => "no",
                },
                skip_reason: opts.skip_reason.as_deref(),
                forced_by: forced.then_some(opts.owner.as_str()),
                failed_command: failed_command.as_deref(),
                base: r.base.as_deref(),
                tip: tip_text.as_deref(),
                at: outcome.finished_at,
            },
            &log,
        )?);
        // Before anything changes: the remote must still have this holder's record
        // (someone who stole the WO there fences this finish out, and then nothing
        // was changed here).
        steps.extend(crate::ops::journal::publish(opts.remote.as_deref(), true));
        // (2) Phase finishing: the verdict is recorded before anything moves.
        steps.push(Step::Record(Box::new(RecordWrite {
            record: Record {
                phase: Phase::Finishing,
                result: Some(Box::new(outcome.clone())),
                // The process in flight is this one, not the take that wrote the
                // lock: audit and reconcile must see it alive (`holder_gone`).
                lock: r.lock.clone().map(|l| {
                    Box::new(Lease {
                        host: crate::host::hostname(),
                        pid: std::process::id(),
                        ..*l
                    })
                }),
                note: forced.then(|| format!("finish forced by {}", opts.owner)),
                updated_at: outcome.finished_at,
                ..r.clone()
            },
            yaml: OrderYaml::Bytes(file.bytes.clone()),
            action: "finishing",
            owner: opts.owner.clone(),
            lines: Vec::new(),
            parent: Parent::Previous,
            fixed_time: false,
            evidence,
        })));
        (outcome, failed_command)
    };
    let verified_word = match (&outcome.skip_verification_reason, outcome.verified) {
        (Some(_), _) => "skipped",
        (None, true) => "yes",
        (None, false) => "no",
    };

    // (3) YAML to done/failed with the finish fields; `.lock` removed.
    let stamp = crate::model::when::shown(outcome.finished_at);
    let target = outcome.verdict;
    let mut edits: Vec<(String, String)> = vec![
        ("status".into(), target.as_str().into()),
        ("result".into(), target.as_str().into()),
        ("finished_at".into(), stamp.clone()),
        ("closed_at".into(), stamp),
    ];
    if let Some(t) = &outcome.tip {
        edits.push(("verified_at_sha".into(), t.clone()));
    }
    if let Some(reason) = &outcome.skip_verification_reason {
        edits.push(("skip_verification_reason".into(), reason.clone()));
    }
    if let Some(reason) = &outcome.scope_exception {
        edits.push(("scope_exception_reason".into(), reason.clone()));
    }
    if let Some(s) = &opts.saving {
        steps.push(journal::save_before_place(
            s,
            id,
            &inv.jobs_rel,
            &file.rel_path,
            target,
        ));
    }
    steps.push(Step::PlaceYaml {
        from: file.rel_path.clone(),
        bytes: file.bytes.clone(),
        to: target,
        edits,
    });
    if let Some(s) = &opts.saving {
        steps.push(journal::save_before_unlock(s, id, &inv.jobs_rel));
    }
    steps.push(Step::RemoveLock);

    // (4) Result marker on the branch tip.
    let result_line = outcome.tip.as_ref().map(|t| {
        let exception = outcome.scope_exception.is_some();
        marker::result(
            id.as_str(),
            target,
            verified_of(verified_word),
            t,
            exception,
        )
    });
    if let (Some(line), Some(t)) = (&result_line, tip.filter(|_| !empty)) {
        steps.push(Step::Marker {
            target: t,
            line: line.clone(),
        });
    }

    // (5) Worktree: removed when safe, else kept, and why.
    let mut kept_because = Vec::new();
    let mut force_removal = false;
    if let Some(w) = &wt {
        if opts.keep_worktree {
            kept_because.push("--keep-worktree".to_owned());
        } else {
            let disposable = |p: &str| repo.config.is_disposable(p);
            let removal = repo.removal_check(w, &disposable);
            // A rerun after a kill inside `git worktree remove`: only deleted tracked
            // files are left, whose content is in the commit; complete the removal.
            if r.phase == Phase::Finishing && removal.deleted_only && removal.blockers.len() == 1 {
                force_removal = true;
            } else {
                // git removes a worktree with submodules only when forced; with no
                // blocker, each was checked to hold nothing of its own.
                force_removal = removal.submodules && removal.blockers.is_empty();
                kept_because = removal.blockers.into_iter().map(|b| b.text).collect();
            }
        }
        steps.push(Step::ReleaseWorktree {
            path: w.path.clone(),
            remove: kept_because.is_empty(),
            force: force_removal,
        });
    }

    // (6) Record idle, lock cleared.
    steps.push(Step::Record(Box::new(RecordWrite {
        record: Record {
            state: target,
            phase: Phase::Idle,
            lock: None,
            result: Some(Box::new(outcome.clone())),
            updated_at: Utc::now(),
            note: forced
                .then(|| format!("finish forced by {}", opts.owner))
                .or_else(|| r.note.clone()),
            ..r.clone()
        },
        yaml: OrderYaml::Placed,
        action: "finish",
        owner: opts.owner.clone(),
        lines: result_line.iter().cloned().collect(),
        parent: Parent::Previous,
        fixed_time: false,
        evidence,
    })));
    steps.extend(crate::ops::journal::publish(opts.remote.as_deref(), false));
    let plan = Plan {
        id: id.clone(),
        op: "finish",
        steps,
        recovery: Recovery::RollForward,
    };
    let mut journal = Journal::new(repo, &inv.jobs_rel, Some(&stored));
    let applied = journal.apply(&plan).map_err(|e| {
        let w = crate::error::classify(&e);
        if matches!(
            w.kind,
            crate::error::Kind::Conflict | crate::error::Kind::Interrupted
        ) {
            return e;
        }
        anyhow::Error::from(WoError {
            kind: w.kind,
            message: format!(
                "{id}: finish stopped: {}",
                w.message
                    .strip_prefix(&format!("{id}: "))
                    .unwrap_or(&w.message)
            ),
            // The step's own fix when it has one (it may name what is in the way).
            fix: Some(w.fix.clone().unwrap_or_else(|| {
                format!("fix the cause, then rerun: git wo finish {id} --result {target}")
            })),
        })
    })?;
    if repo.config.handoff_dir
        && let Some(tree) = evidence
        && let Err(e) = crate::ops::evidence::export(repo, id, tree)
    {
        // The WO is finished and its evidence is in the record: say so, go on.
        eprintln!("git wo: warning: wo.handoffDir: {e:#}");
    }
    if wt.is_some() && !applied.worktree_removed && kept_because.is_empty() {
        kept_because.push("git worktree remove failed".into());
    }

    Ok(FinishOutcome {
        schema: "git-wo.finish.v1",
        id: id.to_string(),
        requested: opts.verdict,
        verdict: target,
        verified: verified_word,
        failed_command,
        tip: outcome.tip.clone(),
        yaml: applied
            .yaml
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
        worktree: wt.as_ref().map(|w| w.path.to_string_lossy().into_owned()),
        worktree_removed: applied.worktree_removed,
        worktree_kept_because: kept_because,
        forced,
        // Best effort, as take does: the next command, sync or init mirrors the rest.
        mirrored: crate::ops::init::mirror_new(repo, &inv, &wos, Some(id)).unwrap_or_default(),
    })
}

/// The worktree that belongs to this take of the WO, by git's metadata and the record
/// (never by the YAML's `worktree:` field, which anyone can edit): its session file
/// names this WO and token, or its git lock reason does, or it is at the record's path.
pub fn own_worktree<'i>(inv: &'i Inventory, id: &WoId, r: &Record) -> Option<&'i Worktree> {
    let linked = || inv.worktrees.iter().filter(|w| !w.is_main);
    linked()
        .find(|w| {
            Session::read(&w.admin_dir).is_some_and(|s| s.id == id.as_str() && s.token == r.token)
        })
        .or_else(|| {
            linked().find(|w| {
                w.locked
                    .as_deref()
                    .and_then(lock_reason::parse)
                    .is_some_and(|(i, t)| i == id.as_str() && t == Some(r.token))
            })
        })
        .or_else(|| {
            let at = inv.resolve(r.worktree.as_deref()?);
            linked().find(|w| w.path == at)
        })
}

fn verified_of(word: &str) -> Option<bool> {
    match word {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// `Err` (exit 1, nothing changed) when the worktree holds modified, staged or
/// untracked files (ignored build output aside): `--result done` certifies the
/// committed tip, and verify runs on exactly that.
fn refuse_uncommitted(repo: &Repo, id: &WoId, w: &Worktree) -> Result<()> {
    let shown = crate::error::shell_quote(&w.path.to_string_lossy());
    let changes = repo
        .worktree_changes(&w.path, false)
        .map_err(|e| crate::error::with_fix(e, format!("git -C {shown} status")))?;
    if changes.is_clean() {
        return Ok(());
    }
    let found = crate::git::worktree_ops::Changes::describe(&changes.changed, &changes.untracked);
    Err(WoError::failed(format!(
        "{id}: its worktree {} holds work that is not committed: {}; --result done certifies the committed tip, so nothing was changed",
        w.path.display(),
        found.join("; ")
    ))
    .fix(format!(
        "commit or remove these (git -C {shown} status), then: git wo finish {id} --result done"
    ))
    .into())
}
