//! `take` (SPEC §4): validate, claim the record by compare-and-swap (the single point
//! where a race is decided), then branch, worktree, YAML move, `.lock`, intent marker,
//! and phase active. A failure undoes the steps before it, newest first, and puts the
//! record back. A crash leaves phase `taking`, which `take --resume` rolls forward:
//! every step is idempotent.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use gix::ObjectId;
use serde::Serialize;

use crate::error::WoError;
use crate::failpoint;
use crate::git::Repo;
use crate::git::records::Stored;
use crate::git::worktrees::{self, Head, Worktree};
use crate::inventory::{Inventory, Source, WoView};
use crate::model::lockfile::LockFile;
use crate::model::marker;
use crate::model::record::{Lease, Phase, Record};
use crate::model::session::{Session, new_session_id};
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::model::yaml_edit::set_scalar;
use crate::ops::jobs::Jobs;
use crate::ops::transition;

#[derive(Debug, Clone)]
pub struct TakeOptions {
    pub id: WoId,
    pub owner: String,
    pub base: Option<String>,
    pub lease: Duration,
    pub steal: bool,
    pub resume: bool,
}

#[derive(Debug, Serialize)]
pub struct TakeOutcome {
    pub schema: &'static str,
    pub id: String,
    pub owner: String,
    pub token: u64,
    pub branch: String,
    pub branch_created: bool,
    pub base: String,
    pub worktree: PathBuf,
    pub worktree_created: bool,
    pub yaml: PathBuf,
    pub lease_expires_at: DateTime<Utc>,
    pub stolen_from: Option<String>,
    pub resumed: bool,
}

/// What a take created, to be undone newest first if a later step fails.
enum Undo {
    Record {
        prev: Option<ObjectId>,
        ours: ObjectId,
    },
    Branch {
        name: String,
        at: ObjectId,
    },
    Worktree {
        path: PathBuf,
    },
    Yaml {
        now_at: PathBuf,
        was_at: PathBuf,
        bytes: Vec<u8>,
    },
    LockFile,
}

pub fn take(repo: &Repo, opts: &TakeOptions) -> Result<TakeOutcome> {
    let id = &opts.id;
    let inv = Inventory::gather(repo, Source::WorkingTree)?;
    let wos = inv.wos();
    let empty = WoView::default();
    let view = wos.get(id).unwrap_or(&empty);
    let prev = view.record.cloned();

    if opts.resume {
        return resume(repo, &inv, view, opts);
    }
    let stolen_from = precheck(&inv, view, opts)?;
    let file = view.files.first().copied().ok_or_else(|| {
        WoError::usage(format!("{id}: no YAML in {}", inv.jobs_rel)).fix("git wo list")
    })?;
    let jobs = Jobs::new(&repo.control_root, &inv.jobs_rel);
    let original = std::fs::read(jobs.abs(&file.rel_path))
        .with_context(|| format!("{id}: reading {}", file.rel_path.display()))?;
    let title = file.title();

    // (2) The claim.
    let now = Utc::now();
    let branch = prev
        .as_ref()
        .and_then(|s| s.record.branch.clone())
        .or_else(|| file.field("branch"))
        .unwrap_or_else(|| repo.config.branch_of(id.as_str()));
    let existing_tip = repo.branch_tip(&branch)?;
    let base = match (&opts.base, existing_tip) {
        (Some(rev), Some(tip)) => {
            // An existing branch is reused as it is: a different --base would be ignored.
            if repo.resolve_commit(rev)? != tip {
                return Err(WoError::usage(format!(
                    "{id}: branch {branch} already exists at {}, not at --base {rev}",
                    &tip.to_string()[..12]
                ))
                .fix(format!(
                    "git wo take {id} (reuse the branch as it is), or rename the branch first"
                ))
                .into());
            }
            tip
        }
        (Some(rev), None) => repo.resolve_commit(rev)?,
        (None, Some(tip)) => tip,
        (None, None) => repo.resolve_commit(&repo.default_branch()?)?,
    };
    let worktree_rel = format!("{}/{id}", repo.config.worktree_dir.trim_end_matches('/'));
    let token = prev.as_ref().map_or(0, |s| s.record.token) + 1;
    let lease = Lease {
        owner: opts.owner.clone(),
        session: new_session_id(),
        host: crate::host::hostname(),
        pid: std::process::id(),
        acquired_at: now,
        renewed_at: now,
        expires_at: now + opts.lease,
    };
    let record = Record {
        state: State::Running,
        phase: Phase::Taking,
        token,
        title: title.clone(),
        branch: Some(branch.clone()),
        worktree: Some(worktree_rel.clone()),
        base: Some(base.to_string()),
        lock: Some(lease),
        result: None,
        updated_at: now,
        note: stolen_from
            .as_ref()
            .map(|o| format!("stolen from {o} after its lease expired")),
        ..Record::new(id.as_str(), State::Running, &title, now)
    };
    let action = if stolen_from.is_some() {
        "steal"
    } else {
        "claim"
    };
    let claimed = transition::commit(
        repo,
        prev.as_ref(),
        &record,
        &original,
        action,
        &opts.owner,
        &[],
    )?;
    failpoint::hit("take:after-claim");

    let mut undo = vec![Undo::Record {
        prev: prev.as_ref().map(|p| p.commit),
        ours: claimed.commit,
    }];
    let replace_lock = stolen_from.is_some();
    let steps = Steps {
        repo,
        jobs: &jobs,
        id,
        opts,
        record: &record,
        branch: &branch,
        base,
        worktree_rel: &worktree_rel,
        replace_lock,
    };
    match steps.run(&inv, &claimed, &original, &mut undo) {
        Ok(mut outcome) => {
            outcome.stolen_from = stolen_from;
            Ok(outcome)
        }
        Err(e) => {
            let undo_errors = undo_all(repo, &jobs, id, undo);
            let mut msg = format!("{id}: take failed and was undone: {e:#}");
            for u in &undo_errors {
                msg.push_str(&format!("\n  undo problem: {u}"));
            }
            let err = match e.downcast_ref::<WoError>() {
                Some(w) => WoError {
                    exit: w.exit,
                    message: msg,
                    fix: w.fix.clone(),
                },
                None => {
                    WoError::failed(msg).fix(format!("git wo audit; then retry: git wo take {id}"))
                }
            };
            Err(err.into())
        }
    }
}

/// (1) Validation. Returns the previous holder when this take is a steal.
fn precheck(inv: &Inventory, view: &WoView<'_>, opts: &TakeOptions) -> Result<Option<String>> {
    let id = &opts.id;
    if view.is_split_brain() {
        let states: Vec<&str> = view.states.iter().map(|s| s.as_str()).collect();
        return Err(WoError::usage(format!(
            "{id} is in split-brain ({}); refusing to take it",
            states.join(" and ")
        ))
        .fix("git wo audit (resolve the extra copy first)")
        .into());
    }
    if let Some(stored) = view.record {
        let r = &stored.record;
        if r.phase.in_flight() {
            let lease = r
                .lock
                .as_ref()
                .map(|l| format!("{} until {}", l.owner, l.expires_at.to_rfc3339()))
                .unwrap_or_default();
            return Err(WoError::conflict(format!(
                "{id}: a {} is in progress ({lease})",
                r.phase.as_str()
            ))
            .fix(format!(
                "wait, or if it crashed: git wo take {id} --resume (by its owner)"
            ))
            .into());
        }
        match r.state {
            State::Running => {
                let lock = r.lock.as_ref();
                if let Some(l) = lock.filter(|l| !l.expired(inv.now)) {
                    return Err(WoError::conflict(format!(
                        "{id} is held by {} on {} (token {}), lease until {}",
                        l.owner,
                        l.host,
                        r.token,
                        l.expires_at.to_rfc3339()
                    ))
                    .fix(format!("git wo show {id} (take another WO, or wait for the lease to expire and use --steal)"))
                    .into());
                }
                if !opts.steal {
                    return Err(WoError::usage(format!(
                        "{id} is running but its lease expired{}",
                        lock.map(|l| format!(" ({} at {})", l.owner, l.expires_at.to_rfc3339()))
                            .unwrap_or_default()
                    ))
                    .fix(format!("git wo take {id} --steal"))
                    .into());
                }
                if view.single_state() != Some(State::Running) {
                    return Err(WoError::usage(format!(
                        "{id}: record says running but the YAML is not in running/"
                    ))
                    .fix("git wo audit")
                    .into());
                }
                return Ok(Some(
                    lock.map_or_else(|| "nobody".to_owned(), |l| l.owner.clone()),
                ));
            }
            State::Done | State::Failed => {
                return Err(WoError::usage(format!("{id} is {} already", r.state))
                    .fix(format!(
                        "git wo requeue {id} --reason \"…\" (to work on it again)"
                    ))
                    .into());
            }
            State::Pending => {}
        }
    }
    if opts.steal {
        return Err(WoError::usage(format!(
            "{id}: --steal only takes a running WO whose lease expired"
        ))
        .fix(format!("git wo take {id}"))
        .into());
    }
    match view.single_state() {
        None => {
            return Err(WoError::usage(format!("{id}: no YAML in {}", inv.jobs_rel))
                .fix("git wo list")
                .into());
        }
        Some(State::Pending) => {}
        Some(State::Running) => {
            let holder = view
                .lock
                .and_then(|l| l.user.clone())
                .unwrap_or_else(|| "someone".into());
            return Err(WoError::conflict(format!(
                "{id} is already running (taken by {holder}, no record)"
            ))
            .fix(format!("git wo show {id}"))
            .into());
        }
        Some(s) => {
            return Err(
                WoError::usage(format!("{id} is {s}; only pending WOs can be taken"))
                    .fix(format!("git wo requeue {id} --reason \"…\""))
                    .into(),
            );
        }
    }
    if view.files.len() > 1 {
        return Err(
            WoError::usage(format!("{id} has {} files in pending/", view.files.len()))
                .fix("git wo audit")
                .into(),
        );
    }
    let file = view.files[0];
    let known = inv.known_ids();
    let mut problems = Vec::new();
    crate::views::lint::lint_file(inv, file, &known, &mut problems);
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(|p| p.problem.clone()).collect();
        return Err(WoError::usage(format!(
            "{id}: {} does not pass lint: {}",
            file.rel_path.display(),
            list.join("; ")
        ))
        .fix(format!("git wo lint {id}"))
        .into());
    }
    let wos = inv.wos();
    let mut not_done = Vec::new();
    for dep in file.dependencies() {
        let done = WoId::parse(&dep)
            .ok()
            .and_then(|d| wos.get(&d))
            .is_some_and(|v| {
                v.single_state() == Some(State::Done)
                    || (v.files.is_empty()
                        && v.record.is_some_and(|s| s.record.state == State::Done))
            });
        if !done {
            not_done.push(dep);
        }
    }
    if !not_done.is_empty() {
        return Err(WoError::usage(format!(
            "{id} depends on {}, not done yet",
            not_done.join(", ")
        ))
        .fix(format!(
            "finish {} first (git wo list)",
            not_done.join(", ")
        ))
        .into());
    }
    Ok(None)
}

struct Steps<'a> {
    repo: &'a Repo,
    jobs: &'a Jobs,
    id: &'a WoId,
    opts: &'a TakeOptions,
    record: &'a Record,
    branch: &'a str,
    base: ObjectId,
    worktree_rel: &'a str,
    /// A steal or a resume rewrites the `.lock` file instead of creating it.
    replace_lock: bool,
}

impl Steps<'_> {
    /// Steps (3)–(7); every step is idempotent so that `--resume` can rerun them.
    fn run(
        &self,
        inv: &Inventory,
        claimed: &Stored,
        original: &[u8],
        undo: &mut Vec<Undo>,
    ) -> Result<TakeOutcome> {
        let (repo, id) = (self.repo, self.id);
        // (3) Branch: reuse, never delete one that existed before.
        let branch_created = match repo.branch_tip(self.branch)? {
            Some(_) => false,
            None => {
                repo.create_branch(self.branch, self.base)?;
                undo.push(Undo::Branch {
                    name: self.branch.to_owned(),
                    at: self.base,
                });
                true
            }
        };
        failpoint::hit("take:after-branch");

        // (4) Worktree, git-locked with a reason naming the WO and token.
        let reason = format!("git-wo {id} token={}", self.record.token);
        let root = repo.worktree_root();
        std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
        let path = crate::git::repo::canonical(&root).join(id.as_str());
        let (wt, worktree_created) = match find_worktree(repo, &path) {
            Some(wt) if wt.exists => {
                if wt.head != Head::Branch(self.branch.to_owned()) {
                    return Err(WoError::failed(format!(
                        "{id}: worktree {} exists but is not on {}",
                        path.display(),
                        self.branch
                    ))
                    .fix(format!("git -C {} switch {}", path.display(), self.branch))
                    .into());
                }
                repo.lock_worktree(&wt, &reason)?;
                (wt, false)
            }
            Some(_) => {
                return Err(WoError::failed(format!(
                    "{id}: {} is registered but missing (prunable)",
                    path.display()
                ))
                .fix("git worktree prune")
                .into());
            }
            None => {
                if std::fs::symlink_metadata(&path).is_ok() {
                    return Err(WoError::failed(format!(
                        "{id}: {} exists and is not a worktree of this repository",
                        path.display()
                    ))
                    .fix(format!("move {} away, then retry", path.display()))
                    .into());
                }
                repo.add_worktree(&path, self.branch, &reason)?;
                undo.push(Undo::Worktree { path: path.clone() });
                let wt = find_worktree(repo, &path)
                    .with_context(|| format!("{id}: git did not register {}", path.display()))?;
                (wt, true)
            }
        };
        let lease = self
            .record
            .lock
            .as_ref()
            .context("claimed record has no lock")?;
        Session {
            id: id.to_string(),
            session: lease.session.clone(),
            token: self.record.token,
        }
        .write(&wt.admin_dir)?;
        failpoint::hit("take:after-worktree");

        // (5) YAML to running/ with the take fields; `.lock` created exclusively.
        let wos = inv.wos();
        let file = wos.get(id).and_then(|v| v.files.first().copied());
        let yaml_rel = match file {
            Some(f) if f.folder == State::Pending => {
                let moved = self
                    .jobs
                    .move_to(&f.rel_path, State::Running, id.as_str())?;
                undo.push(Undo::Yaml {
                    now_at: moved.clone(),
                    was_at: f.rel_path.clone(),
                    bytes: original.to_vec(),
                });
                moved
            }
            Some(f) if f.folder == State::Running => f.rel_path.clone(),
            _ => {
                return Err(WoError::failed(format!(
                    "{id}: its YAML is neither in pending/ nor running/"
                ))
                .fix("git wo audit")
                .into());
            }
        };
        let current = std::fs::read_to_string(self.jobs.abs(&yaml_rel))
            .with_context(|| format!("{id}: reading {}", yaml_rel.display()))?;
        let started = current_or_now(&current, lease.acquired_at);
        let mut text = set_scalar(&current, "status", "running");
        text = set_scalar(&text, "owner", &self.opts.owner);
        text = set_scalar(&text, "branch", self.branch);
        text = set_scalar(&text, "worktree", self.worktree_rel);
        text = set_scalar(&text, "started_at", &started);
        if text != current {
            self.jobs.rewrite(&yaml_rel, text.as_bytes())?;
        }
        failpoint::hit("take:after-move");
        let lock_text = LockFile::render(lease.acquired_at, lease.pid, &lease.owner, &lease.host);
        if self.replace_lock {
            self.jobs.replace_lock(id.as_str(), &lock_text)?;
        } else {
            self.jobs.create_lock(id.as_str(), &lock_text)?;
            undo.push(Undo::LockFile);
        }
        failpoint::hit("take:after-lockfile");

        // (6) Intent marker on the commit the branch starts from.
        let intent = marker::intent(id.as_str(), &self.record.title);
        marker::write(repo, self.base, &intent)?;
        failpoint::hit("take:after-marker");

        // (7) Phase active.
        let active = Record {
            phase: Phase::Active,
            updated_at: Utc::now(),
            ..self.record.clone()
        };
        let done = transition::commit(
            repo,
            Some(claimed),
            &active,
            text.as_bytes(),
            "take",
            &self.opts.owner,
            &[intent],
        )?;
        if let Some(Undo::Record { ours, .. }) = undo.first_mut() {
            *ours = done.commit;
        }
        Ok(TakeOutcome {
            schema: "git-wo.take.v1",
            id: id.to_string(),
            owner: self.opts.owner.clone(),
            token: self.record.token,
            branch: self.branch.to_owned(),
            branch_created,
            base: self.base.to_string(),
            worktree: wt.path,
            worktree_created,
            yaml: yaml_rel,
            lease_expires_at: lease.expires_at,
            stolen_from: None,
            resumed: self.opts.resume,
        })
    }
}

/// Keep a `started_at` already written (a resumed take), else use the claim time.
fn current_or_now(yaml: &str, now: DateTime<Utc>) -> String {
    let existing = serde_yaml::from_str::<serde_yaml::Value>(yaml)
        .ok()
        .and_then(|v| {
            v.get("started_at")
                .and_then(|s| s.as_str().map(str::to_owned))
        });
    existing.unwrap_or_else(|| now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

fn find_worktree(repo: &Repo, path: &Path) -> Option<Worktree> {
    worktrees::list(&repo.common_dir, &repo.control_root)
        .into_iter()
        .find(|w| !w.is_main && w.path == path)
}

/// `take --resume`: roll an interrupted take (phase taking) of the same owner forward.
fn resume(
    repo: &Repo,
    inv: &Inventory,
    view: &WoView<'_>,
    opts: &TakeOptions,
) -> Result<TakeOutcome> {
    let id = &opts.id;
    let Some(stored) = view.record else {
        return Err(
            WoError::usage(format!("{id}: no record, nothing to resume"))
                .fix(format!("git wo take {id}"))
                .into(),
        );
    };
    let r = &stored.record;
    if r.phase != Phase::Taking {
        return Err(WoError::usage(format!(
            "{id}: no interrupted take (phase {})",
            r.phase.as_str()
        ))
        .fix(format!("git wo show {id}"))
        .into());
    }
    let lock = r.lock.as_ref().context("interrupted take without a lock")?;
    if lock.owner != opts.owner {
        return Err(WoError::conflict(format!(
            "{id}: the interrupted take belongs to {}, not {}",
            lock.owner, opts.owner
        ))
        .fix(format!(
            "git wo take {id} --resume --owner {} (as that owner)",
            lock.owner
        ))
        .into());
    }
    let jobs = Jobs::new(&repo.control_root, &inv.jobs_rel);
    let now = Utc::now();
    // Refresh the lease for this process; same token, same session.
    let record = Record {
        lock: Some(Lease {
            pid: std::process::id(),
            renewed_at: now,
            expires_at: now + opts.lease,
            ..lock.clone()
        }),
        updated_at: now,
        ..r.clone()
    };
    let file = view
        .files
        .first()
        .copied()
        .with_context(|| format!("{id}: no YAML to resume with"))?;
    let original = std::fs::read(jobs.abs(&file.rel_path))?;
    let claimed = transition::commit(
        repo,
        Some(stored),
        &record,
        &original,
        "resume",
        &opts.owner,
        &[],
    )?;
    let branch = record
        .branch
        .clone()
        .unwrap_or_else(|| repo.config.branch_of(id.as_str()));
    let base = match &record.base {
        Some(b) => ObjectId::from_hex(b.as_bytes()).context("record base is not a sha")?,
        None => repo.resolve_commit(&repo.default_branch()?)?,
    };
    let worktree_rel = record
        .worktree
        .clone()
        .unwrap_or_else(|| format!("{}/{id}", repo.config.worktree_dir));
    let steps = Steps {
        repo,
        jobs: &jobs,
        id,
        opts,
        record: &record,
        branch: &branch,
        base,
        worktree_rel: &worktree_rel,
        replace_lock: true,
    };
    let mut ignored_undo = Vec::new();
    steps
        .run(inv, &claimed, &original, &mut ignored_undo)
        .map_err(|e| {
            anyhow::Error::from(
                WoError::failed(format!("{id}: resume stopped: {e:#}"))
                    .fix(format!("fix the cause, then: git wo take {id} --resume")),
            )
        })
}

/// Undo newest first; returns what could not be undone.
fn undo_all(repo: &Repo, jobs: &Jobs, id: &WoId, undo: Vec<Undo>) -> Vec<String> {
    let mut problems = Vec::new();
    for step in undo.into_iter().rev() {
        let r = match step {
            Undo::LockFile => jobs.remove_lock(id.as_str()),
            Undo::Yaml {
                now_at,
                was_at,
                bytes,
            } => jobs
                .move_to(&now_at, State::Pending, id.as_str())
                .and_then(|back| {
                    if back == was_at {
                        jobs.rewrite(&back, &bytes)
                    } else {
                        Ok(())
                    }
                }),
            Undo::Worktree { path } => {
                let wt = find_worktree(repo, &path);
                match wt {
                    Some(wt) => repo
                        .unlock_worktree(&wt)
                        .and_then(|_| repo.remove_worktree(&path)),
                    None => Ok(()),
                }
            }
            Undo::Branch { name, at } => repo.delete_branch_if_at(&name, at),
            Undo::Record { prev, ours } => match prev {
                Some(p) => repo.cas_ref(
                    &crate::git::records::ref_name(id.as_str()),
                    crate::git::records::Expect::At(ours),
                    p,
                    "git wo: undo take",
                ),
                None => repo.delete_ref_if_at(&crate::git::records::ref_name(id.as_str()), ours),
            },
        };
        if let Err(e) = r {
            problems.push(format!("{e:#}"));
        }
    }
    problems
}
