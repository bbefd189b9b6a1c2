//! `finish` (SPEC §4): run by the holder (or `--force`): verify, phase finishing, YAML
//! to done/failed with the finish fields, `.lock` removed, result marker, worktree
//! unlocked and removed when safe, record idle. Finishing is what stops zombies from
//! being born. A crash leaves phase `finishing`; rerunning finish rolls it forward.
//!
//! The phases, in order, each a function:
//! - **gather** the record, the YAML, the WO's own worktree and the tip to certify
//!   ([`Subject::gather`]);
//! - **decide** whether this finish may run: the record's state and phase
//!   ([`refuse_record`]), who runs it ([`decide_who`]), the tip a `--result done`
//!   certifies ([`Subject::check_tip`]);
//! - **verify**: verify commands, the DoD gate and the evidence, the verdict recorded
//!   in phase finishing before anything moves; a resumed finish takes over the verdict
//!   its record holds ([`Subject::verdict`]);
//! - **plan** the steps ([`Subject::plan`]), **apply** them through the journal
//!   ([`Subject::apply`]) and **report** ([`Subject::report`]).

use anyhow::{Context, Result};
use gix::ObjectId;
use serde::Serialize;

use crate::error::{WoError, shell_quote};
use crate::failpoint;
use crate::git::Repo;
use crate::git::worktrees::Worktree;
use crate::inventory::records::Stored;
use crate::inventory::{Inventory, WoMap, WoView};
use crate::model::lock_reason;
use crate::model::marker;
use crate::model::order::OrderFile;
use crate::model::record::{Lease, Outcome, Phase, Record};
use crate::model::record_texts::Text;
use crate::model::session::{Session, holds};
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::ops::evidence::{Facts, Gate, Log};
use crate::ops::journal::{
    self, Applied, Journal, OrderYaml, Parent, Plan, RecordWrite, Recovery, Step,
};

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

/// `git wo finish`: gather, decide, verify, plan, apply, report (see the module doc).
pub fn finish(repo: &Repo, opts: &FinishOptions) -> Result<FinishOutcome> {
    let id = &opts.id;
    let inv = Inventory::for_change(repo, id)?;
    let wos = inv.wos();
    let view = crate::inventory::existing(&wos, id)?;
    let stored = refuse_record(id, view)?;
    let forced = decide_who(repo, &inv, &stored.record, opts)?;
    let subject = Subject::gather(repo, &inv, view, stored, forced, opts)?;
    let scope_exception = subject.check_tip()?;
    let mut steps = Vec::new();
    let verdict = subject.verdict(scope_exception, &mut steps)?;
    let (plan, mut kept_because) = subject.plan(&verdict, steps);
    let applied = subject.apply(&plan, verdict.outcome.verdict)?;
    subject.export_evidence(verdict.evidence);
    if subject.wt.is_some() && !applied.worktree_removed && kept_because.is_empty() {
        kept_because.push("git worktree remove failed".into());
    }
    Ok(subject.report(&verdict, applied, kept_because, &wos))
}

/// Decide (1), on the record alone: a WO with no record, one that is not running, or
/// one whose take is still in flight is no finish's. The record to finish otherwise.
fn refuse_record(id: &WoId, view: &WoView<'_>) -> Result<Stored> {
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
    match (r.state, r.phase) {
        (state, _) if state != State::Running => {
            Err(WoError::usage(format!("{id} is {state}, not running"))
                .fix(format!("git wo show {id}"))
                .into())
        }
        (_, Phase::Taking) => Err(WoError::usage(format!(
            "{id}: its take is in progress or was interrupted"
        ))
        .fix(journal::in_flight_fix(id, r).unwrap_or_default())
        .into()),
        _ => Ok(stored),
    }
}

/// Decide (2), who finishes: the holder (this worktree's session is the record's and
/// you are its owner); its owner again once the process of an interrupted finish is
/// gone (its worktree, and so its session, may be gone too); anyone else only with
/// `--force`. A finish whose process still runs is not raced without `--force`.
/// Returns whether `--force` overrode the holder (recorded as an override).
fn decide_who(repo: &Repo, inv: &Inventory, r: &Record, opts: &FinishOptions) -> Result<bool> {
    let id = &opts.id;
    let holder = holds(&repo.current_git_dir, r, &opts.owner);
    let rerun_by_owner = r.phase == Phase::Finishing
        && r.lock.as_ref().is_some_and(|l| l.owner == opts.owner)
        && journal::holder_gone(r, inv.now);
    match holder {
        Ok(true) => {}
        Err(old) => return Err(taken_again(id, r, old)),
        Ok(false) if opts.force || rerun_by_owner => {}
        Ok(false) => return Err(not_the_holder(inv, r, opts)),
    }
    if r.phase == Phase::Finishing && !opts.force && !journal::holder_gone(r, inv.now) {
        return Err(WoError::conflict(format!(
            "{id}: its finish is still running ({})",
            r.lock
                .as_ref()
                .map_or_else(String::new, |l| format!("pid {} on {}", l.pid, l.host))
        ))
        .fix(journal::in_flight_fix(id, r).unwrap_or_default())
        .into());
    }
    Ok(opts.force && holder != Ok(true) && !rerun_by_owner)
}

/// You held it with token `old`, but it was taken again since.
fn taken_again(id: &WoId, r: &Record, old: u64) -> anyhow::Error {
    WoError::conflict(format!(
        "{id}: you held it with token {old}, but it was taken again (token {}) by {}",
        r.token,
        r.lock.as_ref().map_or("someone", |l| l.owner.as_str())
    ))
    .fix(format!(
        "git wo show {id} (your lock is gone; talk to the new holder)"
    ))
    .into()
}

/// Someone else holds it: only the holder finishes it, or `--force` (an override).
/// Yours, run from elsewhere: from your worktree it needs no `--force`.
fn not_the_holder(inv: &Inventory, r: &Record, opts: &FinishOptions) -> anyhow::Error {
    let (id, verdict) = (&opts.id, opts.verdict);
    let holder = r
        .lock
        .as_ref()
        .map_or_else(|| "nobody".to_owned(), |l| l.shown(inv.now));
    let forced = format!("git wo finish {id} --result {verdict} --force (recorded as an override)");
    let mine = r.lock.as_ref().is_some_and(|l| l.owner == opts.owner);
    let fix = match own_worktree(inv, id, r).filter(|_| mine) {
        Some(w) => format!(
            "cd {} && git wo finish {id} --result {verdict}, or: {forced}",
            shell_quote(&w.path.to_string_lossy())
        ),
        None => forced,
    };
    WoError::conflict(format!(
        "{id} is held by {holder}; only the holder finishes it (you are {})",
        opts.owner
    ))
    .fix(fix)
    .into()
}

/// What a finish acts on, as gathered, and whether `--force` overrode the holder.
struct Subject<'a> {
    repo: &'a Repo,
    inv: &'a Inventory,
    opts: &'a FinishOptions,
    stored: Stored,
    /// The WO's YAML.
    file: &'a OrderFile,
    /// The worktree of this take, when it exists.
    wt: Option<Worktree>,
    /// The commit a finish certifies: the worktree's HEAD, else the branch's tip.
    tip: Option<ObjectId>,
    /// The branch has no commit since its base: nothing was done.
    empty: bool,
    forced: bool,
}

/// The verdict a finish records, and what goes with it.
struct Verdict {
    outcome: Outcome,
    /// The verify command that failed (the WO is recorded as failed).
    failed_command: Option<String>,
    /// The record's `evidence/` tree.
    evidence: Option<ObjectId>,
}

impl<'a> Subject<'a> {
    /// Gather: the worktree of this take (see [`own_worktree`]), the YAML, and the tip.
    fn gather(
        repo: &'a Repo,
        inv: &'a Inventory,
        view: &WoView<'a>,
        stored: Stored,
        forced: bool,
        opts: &'a FinishOptions,
    ) -> Result<Subject<'a>> {
        let (id, r) = (&opts.id, &stored.record);
        let wt: Option<Worktree> = own_worktree(inv, id, r).filter(|w| w.exists).cloned();
        let file = view
            .files()
            .first()
            .copied()
            .with_context(|| format!("{id}: no YAML file"))?;
        let tip = wt
            .as_ref()
            .and_then(|w| repo.worktree_head(&w.path))
            .or_else(|| r.branch().and_then(|b| repo.branch_tip(b).ok().flatten()));
        let empty = tip.is_some_and(|t| r.base() == Some(t.to_string().as_str()));
        Ok(Subject {
            repo,
            inv,
            opts,
            stored,
            file,
            wt,
            tip,
            empty,
            forced,
        })
    }

    /// The WO.
    fn id(&self) -> &'a WoId {
        &self.opts.id
    }

    /// Its record, as gathered.
    fn r(&self) -> &Record {
        &self.stored.record
    }

    /// The tip as text, as the record and the marker say it.
    fn tip_text(&self) -> Option<String> {
        self.tip.map(|t| t.to_string())
    }

    /// A fresh `--result done` (not the rerun of a recorded verdict): it certifies the
    /// tip, so the tip is checked.
    fn certifies(&self) -> bool {
        self.opts.verdict == State::Done && self.r().phase != Phase::Finishing
    }

    /// Decide (3), on the tip a fresh `--result done` certifies: a branch with no
    /// commit since its base needs `--allow-empty`; nothing uncommitted may sit beside
    /// the tip (verify and the record are about exactly that commit); the diff
    /// base..tip must stay in the WO's scope, or its exception is returned to record.
    fn check_tip(&self) -> Result<Option<String>> {
        if !self.certifies() {
            return Ok(None);
        }
        if self.empty && !self.opts.allow_empty {
            return Err(self.nothing_done());
        }
        if let Some(w) = &self.wt {
            refuse_uncommitted(self.repo, self.id(), w)?;
        }
        crate::ops::scope::check_finish(
            self.repo,
            self.id(),
            self.file,
            self.r(),
            self.tip,
            self.opts.scope_exception.as_deref(),
        )
    }

    /// The branch has no commit since its base: `done` needs `--allow-empty` (and the
    /// result marker never goes on the base, someone else's commit).
    fn nothing_done(&self) -> anyhow::Error {
        let id = self.id();
        let short = self.r().base().map_or("", |b| &b[..b.len().min(12)]);
        let here = self
            .wt
            .as_ref()
            .map(|w| {
                format!(
                    "commit your work in {}, or: ",
                    shell_quote(&w.path.to_string_lossy())
                )
            })
            .unwrap_or_default();
        WoError::usage(format!(
            "{id}: its branch has no commit since its base {short}: nothing was done to finish as done"
        ))
        .fix(format!(
            "{here}git wo finish {id} --result done --allow-empty (or --result failed)"
        ))
        .into()
    }

    /// Verify: a resumed finish takes over the verdict its finishing record holds; a
    /// fresh one verifies, writes the evidence, and records the verdict (phase
    /// finishing) before anything moves. The record steps go into `steps`.
    fn verdict(&self, scope_exception: Option<String>, steps: &mut Vec<Step>) -> Result<Verdict> {
        if self.r().phase == Phase::Finishing {
            return self.resumed(steps);
        }
        self.verified(scope_exception, steps)
    }

    /// Resuming: this run takes the transition over by naming itself in the finishing
    /// record first (compare-and-swap: a rival rerun or reconcile loses, and every
    /// later step is fenced by it), so that audit and reconcile see a live finish while
    /// it runs, not the crashed one the record named (its lease renewed: an expired one
    /// would make it look interrupted too). The evidence stays the record's.
    fn resumed(&self, steps: &mut Vec<Step>) -> Result<Verdict> {
        let (repo, r) = (self.repo, self.r());
        let evidence =
            repo.subtree_in_commit(self.stored.commit, crate::inventory::records::EVIDENCE_DIR)?;
        let outcome = r
            .result
            .as_deref()
            .cloned()
            .context("finishing record has no result")?;
        let now = crate::clock::now();
        steps.push(Step::Record(Box::new(RecordWrite {
            record: Record {
                lock: r.lock.clone().map(|l| {
                    Box::new(Lease {
                        host: crate::host::hostname(),
                        pid: std::process::id(),
                        renewed_at: now,
                        expires_at: now + self.inv.lease,
                        ..*l
                    })
                }),
                updated_at: now,
                ..r.clone()
            },
            yaml: OrderYaml::Unchanged,
            action: "resume-finishing",
            owner: self.opts.owner.clone(),
            lines: Vec::new(),
            parent: Parent::Previous,
            fixed_time: false,
            evidence,
        })));
        Ok(Verdict {
            outcome,
            failed_command: None,
            evidence,
        })
    }

    /// A fresh verdict: verify commands (unless skipped), then the Definition of Done
    /// (SPEC §4) for `done`; the tip must not have moved; the evidence is written.
    /// Before anything changes, the remote must still have this holder's record (one
    /// who stole the WO there fences this finish out), then phase finishing records the
    /// verdict.
    fn verified(&self, scope_exception: Option<String>, steps: &mut Vec<Step>) -> Result<Verdict> {
        let (opts, tip_text) = (self.opts, self.tip_text());
        let mut log = Log::default();
        let gate = Gate {
            repo: self.repo,
            inv: self.inv,
            id: self.id(),
            file: self.file,
            dir: self.wt.as_ref().map(|w| w.path.as_path()),
            base: self.r().base(),
            tip: tip_text.as_deref(),
            applies: opts.verdict == State::Done && opts.skip_reason.is_none(),
        };
        let dod = gate.dod()?;
        let (verdict, verified, failed_command) = match &opts.skip_reason {
            Some(_) => (opts.verdict, None, None),
            None => self.run_verify(tip_text.as_deref(), &mut log)?,
        };
        let verified = match dod {
            Some(d) if verdict == State::Done => {
                let ran = gate.run(d, verify_timeout(self.repo), &mut log)?;
                verified.map(|v| v || ran)
            }
            _ => verified,
        };
        self.refuse_moved_head(verified, tip_text.as_deref())?;
        failpoint::hit("finish:after-verify");
        let outcome = Outcome {
            verdict,
            verified: verified == Some(true),
            skip_verification_reason: opts.skip_reason.clone(),
            scope_exception,
            tip: tip_text.clone(),
            finished_at: crate::clock::now(),
        };
        let evidence = Some(crate::ops::evidence::write(
            &Facts {
                repo: self.repo,
                id: self.id(),
                file: self.file,
                dod,
                verdict,
                verified: verified_word(&outcome),
                skip_reason: opts.skip_reason.as_deref(),
                forced_by: self.forced.then_some(opts.owner.as_str()),
                failed_command: failed_command.as_deref(),
                base: self.r().base(),
                tip: tip_text.as_deref(),
                at: outcome.finished_at,
            },
            &log,
        )?);
        steps.extend(journal::publish(opts.remote.as_deref(), true));
        steps.push(self.finishing(&outcome, evidence));
        Ok(Verdict {
            outcome,
            failed_command,
            evidence,
        })
    }

    /// The WO's `verify.commands` in its worktree: (verdict, verified, the command that
    /// failed). No commands: not verified. No worktree: refused. One fails: refused for
    /// `done` (a gate: the WO stays running), recorded as failed otherwise.
    fn run_verify(
        &self,
        tip: Option<&str>,
        log: &mut Log,
    ) -> Result<(State, Option<bool>, Option<String>)> {
        let (id, opts) = (self.id(), self.opts);
        let commands = self.file.verify_commands();
        let dir = match (commands.is_empty(), self.wt.as_ref()) {
            (true, _) => return Ok((opts.verdict, Some(false), None)),
            (false, None) => {
                return Err(WoError::failed(format!(
                    "{id}: its worktree is missing, verify.commands cannot run"
                ))
                .fix(format!(
                    "git wo finish {id} --result {}{} --skip-verification --reason 'worktree lost'",
                    opts.verdict,
                    if opts.force { " --force" } else { "" }
                ))
                .into());
            }
            (false, Some(w)) => w.path.clone(),
        };
        let failure = crate::ops::verify::Verify {
            dir: &dir,
            id: id.as_str(),
            base: self.r().base(),
            tip,
            timeout: verify_timeout(self.repo),
        }
        .run_logged(&commands, &mut log.verify)?;
        match failure {
            None => Ok((opts.verdict, Some(true), None)),
            Some(failure) if opts.verdict == State::Done => {
                let shown = shell_quote(&dir.to_string_lossy());
                Err(WoError::failed(format!(
                    "{id}: verify failed: `{}` (exit {}); {id} is still running, its worktree kept\n{}",
                    failure.command, failure.status, failure.tail
                ))
                .fix(format!(
                    "fix it in {shown}, then: git wo finish {id} --result done (or --result failed to record a failure)"
                ))
                .into())
            }
            Some(failure) => Ok((State::Failed, Some(false), Some(failure.command))),
        }
    }

    /// What verify certified is the tip it ran on: a command that moved HEAD
    /// (committed, reset) leaves nothing certified.
    fn refuse_moved_head(&self, verified: Option<bool>, tip_text: Option<&str>) -> Result<()> {
        let Some(w) = &self.wt else { return Ok(()) };
        if verified.is_none() || self.repo.worktree_head(&w.path) == self.tip {
            return Ok(());
        }
        Err(WoError::failed(format!(
            "{}: a verify command moved the worktree's HEAD (from {}); nothing was certified, nothing changed",
            self.id(),
            tip_text.unwrap_or("?")
        ))
        .fix(format!(
            "verify commands must not commit; look at it (git -C {} log -3), then: git wo finish {} --result {}",
            shell_quote(&w.path.to_string_lossy()),
            self.id(),
            self.opts.verdict
        ))
        .into())
    }

    /// Phase finishing: the verdict recorded before anything moves. The process in
    /// flight is this one, not the take that wrote the lock: audit and reconcile must
    /// see it alive (`holder_gone`).
    fn finishing(&self, outcome: &Outcome, evidence: Option<ObjectId>) -> Step {
        let (r, opts) = (self.r(), self.opts);
        let note = self
            .forced
            .then(|| format!("finish forced by {}", opts.owner));
        Step::Record(Box::new(RecordWrite {
            record: Record {
                phase: Phase::Finishing,
                result: Some(Box::new(outcome.clone())),
                lock: r.lock.clone().map(|l| {
                    Box::new(Lease {
                        host: crate::host::hostname(),
                        pid: std::process::id(),
                        ..*l
                    })
                }),
                updated_at: outcome.finished_at,
                ..r.clone()
            }
            .with(Text::Note, note.as_deref()),
            yaml: OrderYaml::Bytes(self.file.bytes().to_vec()),
            action: "finishing",
            owner: opts.owner.clone(),
            lines: Vec::new(),
            parent: Parent::Previous,
            fixed_time: false,
            evidence,
        }))
    }

    /// Plan the rest, after the verdict's steps: the YAML to done/failed with the
    /// finish fields (saved first by a repair), the `.lock` removed, the result marker
    /// on the branch tip, the worktree released (removed when safe), the record idle,
    /// published. Returns the plan and why the worktree is kept.
    fn plan(&self, v: &Verdict, mut steps: Vec<Step>) -> (Plan, Vec<String>) {
        let (id, jobs_rel, target) = (self.id(), &self.inv.jobs_rel, v.outcome.verdict);
        let from = self.file.rel_path();
        if let Some(s) = &self.opts.saving {
            steps.push(journal::save_before_place(s, id, jobs_rel, &from, target));
        }
        steps.push(Step::PlaceYaml {
            from,
            bytes: self.file.bytes().to_vec(),
            to: target,
            edits: finish_fields(&v.outcome),
        });
        if let Some(s) = &self.opts.saving {
            steps.push(journal::save_before_unlock(s, id, jobs_rel));
        }
        steps.push(Step::RemoveLock);
        let result_line = v.outcome.tip.as_ref().map(|t| {
            let verified = verified_of(verified_word(&v.outcome));
            let exception = v.outcome.scope_exception.is_some();
            marker::result(id.as_str(), target, verified, t, exception)
        });
        if let (Some(line), Some(t)) = (&result_line, self.tip.filter(|_| !self.empty)) {
            steps.push(Step::Marker {
                target: t,
                line: line.clone(),
            });
        }
        let mut kept_because = Vec::new();
        if let Some(w) = &self.wt {
            let (release, kept) = self.release(w);
            steps.push(release);
            kept_because = kept;
        }
        steps.push(self.idle(v, result_line));
        steps.extend(journal::publish(self.opts.remote.as_deref(), false));
        let plan = Plan {
            id: id.clone(),
            op: "finish",
            steps,
            recovery: Recovery::RollForward,
        };
        (plan, kept_because)
    }

    /// The worktree: removed when safe, else kept, and why (`--keep-worktree`, or what
    /// it holds).
    fn release(&self, w: &Worktree) -> (Step, Vec<String>) {
        let mut kept_because = Vec::new();
        let mut force_removal = false;
        if self.opts.keep_worktree {
            kept_because.push("--keep-worktree".to_owned());
        } else {
            let disposable = |p: &str| self.repo.config.is_disposable(p);
            let removal = self.repo.removal_check(w, &disposable);
            // A rerun after a kill inside `git worktree remove`: only deleted tracked
            // files are left, whose content is in the commit; complete the removal.
            if self.r().phase == Phase::Finishing
                && removal.deleted_only
                && removal.blockers.len() == 1
            {
                force_removal = true;
            } else {
                // git removes a worktree with submodules only when forced; with no
                // blocker, each was checked to hold nothing of its own.
                force_removal = removal.submodules && removal.blockers.is_empty();
                kept_because = removal.blockers.into_iter().map(|b| b.text).collect();
            }
        }
        let step = Step::ReleaseWorktree {
            path: w.path.clone(),
            remove: kept_because.is_empty(),
            force: force_removal,
        };
        (step, kept_because)
    }

    /// The record idle, its lock cleared, the result marker in its message.
    fn idle(&self, v: &Verdict, result_line: Option<String>) -> Step {
        let (r, opts) = (self.r(), self.opts);
        let note = self
            .forced
            .then(|| format!("finish forced by {}", opts.owner))
            .or_else(|| r.note().map(str::to_owned));
        Step::Record(Box::new(RecordWrite {
            record: Record {
                state: v.outcome.verdict,
                phase: Phase::Idle,
                lock: None,
                result: Some(Box::new(v.outcome.clone())),
                updated_at: crate::clock::now(),
                ..r.clone()
            }
            .with(Text::Note, note.as_deref()),
            yaml: OrderYaml::Placed,
            action: "finish",
            owner: opts.owner.clone(),
            lines: result_line.into_iter().collect(),
            parent: Parent::Previous,
            fixed_time: false,
            evidence: v.evidence,
        }))
    }

    /// Apply the plan from the record as gathered. A failure that is not a lost race
    /// or Ctrl-C says the finish stopped, with the step's own fix when it has one (it
    /// may name what is in the way), else the rerun that goes on.
    fn apply(&self, plan: &Plan, target: State) -> Result<Applied> {
        let id = self.id();
        let mut journal = Journal::new(self.repo, &self.inv.jobs_rel, Some(&self.stored));
        journal.apply(plan).map_err(|e| {
            if matches!(
                crate::error::classify(&e).kind,
                crate::error::Kind::Conflict | crate::error::Kind::Interrupted
            ) {
                return e;
            }
            crate::error::stopped(id.as_str(), "finish", &e, || {
                format!("fix the cause, then rerun: git wo finish {id} --result {target}")
            })
            .into()
        })
    }

    /// `wo.handoffDir`: the evidence copied out. The WO is finished and its evidence
    /// is in the record, so a failure is a warning.
    fn export_evidence(&self, evidence: Option<ObjectId>) {
        if self.repo.config.handoff_dir
            && let Some(tree) = evidence
            && let Err(e) = crate::ops::evidence::export(self.repo, self.id(), tree)
        {
            eprintln!("git wo: warning: wo.handoffDir: {e:#}");
        }
    }

    /// Report. WOs added since init are mirrored on the way, best effort as take does:
    /// the next command, sync or init mirrors the rest.
    fn report(
        &self,
        v: &Verdict,
        applied: Applied,
        kept_because: Vec<String>,
        wos: &WoMap<'_>,
    ) -> FinishOutcome {
        let id = self.id();
        FinishOutcome {
            schema: "git-wo.finish.v1",
            id: id.to_string(),
            requested: self.opts.verdict,
            verdict: v.outcome.verdict,
            verified: verified_word(&v.outcome),
            failed_command: v.failed_command.clone(),
            tip: v.outcome.tip.clone(),
            yaml: applied
                .yaml
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default(),
            worktree: self
                .wt
                .as_ref()
                .map(|w| w.path.to_string_lossy().into_owned()),
            worktree_removed: applied.worktree_removed,
            worktree_kept_because: kept_because,
            forced: self.forced,
            mirrored: crate::ops::mirror::mirror_new(self.repo, self.inv, wos, Some(id))
                .unwrap_or_default(),
        }
    }
}

/// The YAML fields a finish sets: status, result, the times, and what the verdict
/// certifies or excuses.
fn finish_fields(outcome: &Outcome) -> Vec<(String, String)> {
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
    edits
}

/// yes / no / skipped, as the report and the evidence say it.
fn verified_word(outcome: &Outcome) -> &'static str {
    match (&outcome.skip_verification_reason, outcome.verified) {
        (Some(_), _) => "skipped",
        (None, true) => "yes",
        (None, false) => "no",
    }
}

/// How long one verify command or DoD check may run (`wo.verifyTimeout`, 30 min).
fn verify_timeout(repo: &Repo) -> std::time::Duration {
    repo.config
        .verify_timeout
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(1800))
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
            let at = inv.resolve(r.worktree()?);
            linked().find(|w| w.path == at)
        })
}

/// The result marker's `verified` of a [`verified_word`].
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
    let shown = shell_quote(&w.path.to_string_lossy());
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
