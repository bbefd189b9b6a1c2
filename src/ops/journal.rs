//! The journal: the one way state changes. An operation (take, finish, requeue,
//! heartbeat, init, and later reconcile and gc) computes a [`Plan`], a list of typed
//! [`Step`]s, from the inventory; [`Journal::apply`] runs it.
//!
//! The executor:
//! - writes record transitions by compare-and-swap, each from the commit the journal
//!   wrote (or started from) last: the record's phase (`taking`, `finishing`) is how a
//!   crash is found and resumed;
//! - **fences** every step that deletes, moves, overwrites or unlocks: right before it,
//!   the record ref must still be the commit this journal last wrote or started from
//!   (same token, same phase). If not, another operation has taken over: it stops with
//!   exit 3 and changes nothing more, not even an undo;
//! - hits a failpoint after every step (`<op>:after-<step>`, see [`crate::failpoint`]),
//!   so crash tests can stop a real process between any two steps;
//! - on an error, either undoes what it did newest first (take: [`Recovery::Undo`]) or
//!   leaves the recorded phase for a rerun to roll forward (finish, requeue:
//!   [`Recovery::RollForward`]);
//! - makes every step idempotent, so that a resume reruns a plan from its start.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use gix::ObjectId;

use crate::error::{WoError, shell_quote};
use crate::failpoint;
use crate::git::Repo;
use crate::git::refs::Expect;
use crate::git::worktrees::{self, Head, Worktree};
use crate::inventory::records::{self, Stored};
use crate::model::record::{Phase, Record};
use crate::model::session::{self, Session};
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::ops::jobs::Jobs;
use crate::ops::quarantine;
use crate::ops::transition;

/// Which commit a record write gets as its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    /// The commit the ref is at: a transition.
    Previous,
    /// A lease renewal: the last transition, skipping a renewal it replaces.
    LastTransition,
}

/// Where the `order.yaml` of a record write comes from.
#[derive(Debug, Clone)]
pub enum OrderYaml {
    /// These bytes.
    Bytes(Vec<u8>),
    /// The YAML file as the plan left it so far (after its [`Step::PlaceYaml`]).
    Placed,
    /// The `order.yaml` of the commit the ref is at.
    Unchanged,
}

/// One record transition.
#[derive(Debug, Clone)]
pub struct RecordWrite {
    pub record: Record,
    pub yaml: OrderYaml,
    /// `wo: <action> <ID>`; also the failpoint name after it (`<op>:after-<action>`).
    pub action: &'static str,
    pub owner: String,
    /// Marker lines for the commit message.
    pub lines: Vec<String>,
    pub parent: Parent,
    /// Deterministic imports: fixed author, committer and date.
    pub fixed_time: bool,
    /// The `evidence/` folder of the commit (a finish's, see `ops::evidence`).
    pub evidence: Option<ObjectId>,
}

/// A typed step of a plan.
#[derive(Debug, Clone)]
pub enum Step {
    /// Compare-and-swap the record.
    Record(Box<RecordWrite>),
    /// Create `name` at `at` unless it exists (an existing branch is never touched).
    CreateBranch { name: String, at: ObjectId },
    /// Add the worktree at `path` on `branch`, git-locked with `reason`; reuse it when
    /// it is registered there on that branch and its checkout is complete.
    AddWorktree {
        path: PathBuf,
        branch: String,
        reason: String,
        /// Resuming an interrupted take: complete a half-done checkout of a reused
        /// worktree (missing files restored, nothing overwritten) or refuse it.
        repair: bool,
    },
    /// Write the holder's session file into the worktree's private git dir.
    WriteSession { path: PathBuf, session: Session },
    /// Move the YAML at `from` (relative to the control checkout) into `to`'s folder,
    /// then set top-level scalar fields (byte-preserving). Destructive: fenced.
    PlaceYaml {
        from: PathBuf,
        /// The file's bytes as the inventory read them.
        bytes: Vec<u8>,
        to: State,
        edits: Vec<(String, String)>,
    },
    /// Create `running/<ID>.lock` with `O_EXCL`, or overwrite it (`replace`: fenced).
    CreateLock { text: String, replace: bool },
    /// Remove `running/<ID>.lock`. Destructive: fenced.
    RemoveLock,
    /// Append a marker line to the note of `target` (and the session log).
    Marker { target: ObjectId, line: String },
    /// Release the worktree at `path`: remove it (`remove`, after the caller checked
    /// it is safe) or keep it; either way drop git-wo's git lock and the session file.
    /// Destructive: fenced. `force`: remove with `git worktree remove --force`: a
    /// removal that was killed half-way (only deleted tracked files remain, see
    /// [`Removal::deleted_only`](crate::git::worktree_ops::Removal)), or `gc --force`
    /// after what it would lose was copied to quarantine.
    ReleaseWorktree {
        path: PathBuf,
        remove: bool,
        force: bool,
    },
    /// Take apart the worktree registration at `path` a killed `git worktree add` of
    /// `id`'s take left half made (see [`crate::git::half_made`]): checked again right
    /// before, it must still have no `HEAD`, a lock that take's add writes, nothing
    /// written for [`HALF_MADE_QUIET`] seconds, and nothing in its folder but paths of
    /// `commit`'s tree (the branch the take checked out) and its `.git` file.
    /// Destructive: fenced.
    DropHalfMade {
        path: PathBuf,
        commit: Option<ObjectId>,
    },
    /// Keep `at` reachable: create the ref `name` there (gc's `refs/wo/rescue/<ID>/…`
    /// for commits only a worktree's HEAD reflog reaches, before the worktree goes); a
    /// ref already there is left as it is, one elsewhere is an error.
    SaveCommit { name: String, at: ObjectId },
    /// Move a file (a surplus copy, a stray lock; relative to the control checkout)
    /// into the quarantine folder `dir`, recorded in its manifest. Destructive: fenced.
    Quarantine {
        from: PathBuf,
        dir: PathBuf,
        entry: Box<quarantine::Entry>,
    },
    /// Copy a file (relative to the control checkout) into the quarantine folder `dir`
    /// before a repair rewrites or deletes it, recorded in its manifest (see
    /// [`quarantine::Saving`]); nothing when the file is not there. Repairs only
    /// (reconcile, gc): a user's own take, finish or requeue does not save.
    Save {
        from: PathBuf,
        dir: PathBuf,
        entry: Box<quarantine::Entry>,
    },
    /// Write a missing YAML, `<to>/<ID>.yaml`, from these bytes (a record's
    /// `order.yaml`); never overwrites.
    RestoreYaml { to: State, bytes: Vec<u8> },
    /// Put a quarantined file back where it came from; never overwrites (a saved
    /// copy's new version, which the repair wrote, is first moved into `aside`).
    /// Destructive: fenced.
    Unquarantine {
        item: Box<quarantine::Checked>,
        aside: Option<quarantine::Aside>,
    },
    /// Publish the record as the journal last wrote it to `remote` (SPEC §10): pushed
    /// with `--force-with-lease` on the value the remote holds, which must be an
    /// ancestor of it (or a renewal of one). Losing is a conflict naming the remote's
    /// holder; `required: false` turns a failure into a warning (`git wo sync` later).
    Publish { remote: String, required: bool },
    /// Set the record ref to `commit`, a record fetched from a remote that is ahead
    /// (compare-and-swap on the fence).
    Adopt { commit: ObjectId },
}

impl Step {
    /// The name used in failpoints: `<op>:after-<name>`.
    pub fn name(&self) -> &'static str {
        match self {
            Step::Record(w) => w.action,
            Step::CreateBranch { .. } => "branch",
            Step::AddWorktree { .. } => "worktree",
            Step::WriteSession { .. } => "session",
            Step::PlaceYaml { .. } => "move",
            Step::CreateLock { .. } => "lockfile",
            Step::RemoveLock => "unlock",
            Step::Marker { .. } => "marker",
            Step::ReleaseWorktree { .. } => "release",
            Step::SaveCommit { .. } => "rescue",
            Step::Quarantine { .. } => "quarantine",
            Step::Save { .. } => "save",
            Step::DropHalfMade { .. } => "drop-worktree",
            Step::RestoreYaml { .. } => "restore",
            Step::Unquarantine { .. } => "unquarantine",
            Step::Publish { .. } => "publish",
            Step::Adopt { .. } => "adopt",
        }
    }

    /// Steps that delete, move, overwrite or unlock: checked against the fence first.
    pub fn destructive(&self) -> bool {
        matches!(
            self,
            Step::PlaceYaml { .. }
                | Step::Adopt { .. }
                | Step::RemoveLock
                | Step::ReleaseWorktree { .. }
                | Step::Quarantine { .. }
                | Step::Unquarantine { .. }
                | Step::DropHalfMade { .. }
                | Step::CreateLock { replace: true, .. }
        )
    }
}

/// What to do when a step fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Undo every step done so far, newest first, and put the record back.
    Undo,
    /// Leave things as they are: the recorded phase tells a rerun where to go on.
    RollForward,
}

/// A state change to apply.
#[derive(Debug, Clone)]
pub struct Plan {
    pub id: WoId,
    /// The command, for failpoints and messages.
    pub op: &'static str,
    pub steps: Vec<Step>,
    pub recovery: Recovery,
}

/// What an applied plan did, for the command's report.
#[derive(Debug, Default, Clone)]
pub struct Applied {
    pub branch_created: bool,
    pub worktree_created: bool,
    /// The worktree a step added or reused.
    pub worktree: Option<Worktree>,
    /// Where the YAML is now.
    pub yaml: Option<PathBuf>,
    /// The YAML's bytes as placed.
    pub yaml_bytes: Option<Vec<u8>>,
    pub worktree_removed: bool,
    /// Files a restore moved aside (the versions a repair wrote).
    pub set_aside: Vec<PathBuf>,
    /// Half-made worktrees a rollback took apart.
    pub half_made_dropped: Vec<PathBuf>,
}

/// What a step created, to undo newest first.
enum Undo {
    Record {
        prev: Option<ObjectId>,
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
    /// Put the remote's record back to `prev` (`None`: delete it) where it still
    /// holds `now`.
    Published {
        remote: String,
        now: ObjectId,
        prev: Option<ObjectId>,
    },
}

/// Apply imports (plans of one [`Step::Record`] with [`OrderYaml::Bytes`] and a fixed
/// time, for WOs with no record yet: `init`) all at once: their commits go into one
/// pack, their refs into `packed-refs` under its lock. A record that exists already,
/// or that someone else creates meanwhile, is a conflict for that plan alone. When
/// `packed-refs` is locked by another writer, or a plan is not an import, every plan is
/// applied on its own, each with its own compare-and-swap.
pub fn apply_imports(repo: &Repo, jobs_rel: &str, plans: &[Plan]) -> Vec<Result<Applied>> {
    let one_by_one = |plans: &[Plan]| -> Vec<Result<Applied>> {
        plans
            .iter()
            .map(|p| Journal::new(repo, jobs_rel, None).apply(p))
            .collect()
    };
    let imports: Option<Vec<&RecordWrite>> = plans
        .iter()
        .map(|p| match p.steps.as_slice() {
            [Step::Record(w)] if matches!(w.yaml, OrderYaml::Bytes(_)) && w.fixed_time => {
                Some(&**w)
            }
            _ => None,
        })
        .collect();
    let Some(imports) = imports.filter(|i| i.len() > 1) else {
        return one_by_one(plans);
    };
    match import_batch(repo, &imports) {
        Ok(skipped) => {
            for p in plans {
                failpoint::hit(&format!("{}:after-import", p.op));
            }
            plans
                .iter()
                .map(|p| {
                    let name = records::ref_name(p.id.as_str());
                    if skipped.contains(&name) {
                        Err(WoError::conflict(format!(
                            "{}: {name} was created by someone else first",
                            p.id
                        ))
                        .fix(format!("git wo show {}", p.id))
                        .into())
                    } else {
                        Ok(Applied::default())
                    }
                })
                .collect()
        }
        // Nothing was created: each plan finds out for itself who was first.
        Err(e) if crate::error::classify(&e).kind == crate::error::Kind::Conflict => {
            one_by_one(plans)
        }
        Err(e) => {
            let text = format!("{e:#}");
            plans
                .iter()
                .map(|_| Err(anyhow::anyhow!(text.clone())))
                .collect()
        }
    }
}

/// Import in one go; the ref names that were not created (someone else's record).
fn import_batch(repo: &Repo, imports: &[&RecordWrite]) -> Result<Vec<String>> {
    use crate::git::fast_import::RootCommit;
    let mut commits = Vec::with_capacity(imports.len());
    for w in imports {
        let OrderYaml::Bytes(yaml) = &w.yaml else {
            unreachable!("imports carry their bytes");
        };
        let json = serde_json::to_vec_pretty(&w.record)?;
        commits.push(RootCommit {
            files: [
                (records::ORDER_FILE, yaml.clone()),
                (records::RECORD_FILE, json),
            ],
            message: transition::message(
                w.action,
                &w.record.id,
                &w.owner,
                w.record.token,
                &w.lines,
            ),
        });
    }
    let t = crate::trace::phase("import: fast-import");
    let progress = crate::progress::start("Writing records", commits.len());
    let ids = repo.import_root_commits(&commits)?;
    progress.add(commits.len());
    drop(progress);
    drop(t);
    let _t = crate::trace::phase("import: packed refs");
    let refs: Vec<(String, ObjectId)> = imports
        .iter()
        .zip(ids)
        .map(|(w, id)| (records::ref_name(&w.record.id), id))
        .collect();
    let skipped = repo.create_refs_packed(&refs)?;
    Ok(skipped)
}

/// The executor.
pub struct Journal<'a> {
    repo: &'a Repo,
    jobs: Jobs,
    /// The record as the journal last saw or wrote it: its commit is the fence, what
    /// the record ref must still hold for the journal to go on.
    current: Option<Stored>,
    /// Paths (relative to the control checkout) the steps moved, created or removed.
    touched: Vec<PathBuf>,
}

impl<'a> Journal<'a> {
    /// A journal for a WO whose record is `stored` (as the inventory read it).
    pub fn new(repo: &'a Repo, jobs_rel: &str, stored: Option<&Stored>) -> Journal<'a> {
        Journal {
            repo,
            jobs: Jobs::new(&repo.control_root, jobs_rel),
            current: stored.cloned(),
            touched: Vec::new(),
        }
    }

    /// Apply `plan`. On an error, recover as the plan says; the error keeps its kind.
    pub fn apply(&mut self, plan: &Plan) -> Result<Applied> {
        let mut done = Applied::default();
        let mut undo: Vec<Undo> = Vec::new();
        for step in &plan.steps {
            let result = interrupted(plan, step)
                .and_then(|_| self.check_fence(plan, step))
                .and_then(|_| {
                    self.run(plan, step, &mut done, &mut undo)
                        .map_err(|e| self.step_failed(plan, step, e))
                })
                // Ctrl-C during a step (which may have failed because its git child
                // got the signal too) counts as an interruption of it.
                .and_then(|_| interrupted(plan, step));
            if let Err(e) = result {
                if plan.recovery == Recovery::Undo && !undo.is_empty() {
                    // Every undo that deletes or moves is fenced, so this is safe even
                    // when the error is that someone else took over.
                    let problems = self.undo_all(plan, undo);
                    return Err(undone(plan, step, e, &problems));
                }
                return Err(e);
            }
            failpoint::hit(&format!("{}:after-{}", plan.op, step.name()));
        }
        self.stage(plan);
        failpoint::hit(&format!("{}:after-stage", plan.op));
        Ok(done)
    }

    /// After the last step: stage the YAML moves and edits the steps made, as `git mv`
    /// would (SPEC §1), when the files are tracked (in the index or in `HEAD`), and
    /// nothing else; with `wo.commit`, commit exactly them. The state change is done
    /// by then, so a failure here is a warning with the command that finishes it.
    fn stage(&mut self, plan: &Plan) {
        let touched: std::collections::BTreeSet<String> = std::mem::take(&mut self.touched)
            .into_iter()
            .filter(|p| p.is_relative())
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .collect();
        if touched.is_empty() {
            return;
        }
        let repo = self.repo;
        let is_yaml = |p: &str| p.ends_with(".yaml") || p.ends_with(".yml");
        // The WO's files move together: all staged when one of them is tracked. Other
        // files (`.lock`s, runtime state that init excludes) only where tracked.
        let staged_paths = || -> Result<Vec<String>> {
            let index = crate::git::index::Staged::read(&repo.control_index_path()?)?;
            let head = repo.head_commit();
            let tracked = |p: &str| -> Result<bool> {
                Ok(index.tracks(p)
                    || match head {
                        Some(h) => repo.path_in(h, p)?,
                        None => false,
                    })
            };
            let mut yaml_tracked = false;
            for p in touched.iter().filter(|p| is_yaml(p)) {
                yaml_tracked |= tracked(p)?;
            }
            let mut out = Vec::new();
            for p in &touched {
                if if is_yaml(p) {
                    yaml_tracked
                } else {
                    tracked(p)?
                } {
                    out.push(p.clone());
                }
            }
            Ok(out)
        };
        let paths: Vec<String> = touched.iter().cloned().collect();
        let quoted: Vec<String> = paths.iter().map(|p| shell_quote(p)).collect();
        let result = staged_paths().and_then(|staged| {
            if staged.is_empty() {
                return Ok(());
            }
            repo.stage(&staged)?;
            if repo.config.commit {
                let message = format!("wo: {} {}\n", plan.op, plan.id);
                repo.commit_paths(&staged, &message)?;
            }
            Ok(())
        });
        if let Err(e) = result {
            eprintln!(
                "warning: {}: the {} is done but its files could not be {}: {e:#} (fix: git add -A -- {})",
                plan.id,
                plan.op,
                if repo.config.commit {
                    "staged and committed"
                } else {
                    "staged"
                },
                quoted.join(" ")
            );
        }
    }

    /// An error of git or the file system in `step` (not one of git-wo's own, which
    /// say what they are): `<ID>: <op> step <step> failed: …`, keeping its kind, with
    /// the fix it had or the command that goes on from here.
    fn step_failed(&self, plan: &Plan, step: &Step, e: anyhow::Error) -> anyhow::Error {
        if e.chain().any(|c| c.downcast_ref::<WoError>().is_some()) {
            return e;
        }
        let id = &plan.id;
        let w = crate::error::classify(&e);
        let inner = w
            .message
            .strip_prefix(&format!("{id}: "))
            .unwrap_or(&w.message);
        let phase_fix = self
            .current
            .as_ref()
            .and_then(|s| in_flight_fix(id, &s.record));
        let fix = match (plan.recovery, plan.op) {
            // Undone: try again once the cause is gone.
            (Recovery::Undo, op) => format!("fix the cause, then retry: git wo {op} {id}"),
            (Recovery::RollForward, "gc") => "fix the cause, then rerun: git wo gc --apply".into(),
            (Recovery::RollForward, "reconcile") => {
                "fix the cause, then rerun: git wo reconcile --apply".into()
            }
            (Recovery::RollForward, op) => phase_fix.map_or_else(
                || format!("fix the cause; git wo show {id} says where the {op} stopped"),
                |f| format!("fix the cause; then {f}"),
            ),
        };
        // A ref lock a killed git or git-wo left (git holds its own for milliseconds)
        // blocks every ref write: say which, and how to clear it, before the usual fix.
        let fix = match stale_ref_lock(&self.repo.common_dir, id.as_str()) {
            Some((path, age)) => format!(
                "{} is a lock left by a killed git or git-wo ({age}s old; it blocks every ref update): make sure no git or git-wo is running, then: rm -- {}; then {fix}",
                path.display(),
                crate::error::shell_quote(&path.to_string_lossy())
            ),
            None => fix,
        };
        WoError {
            kind: w.kind,
            message: format!("{id}: {} step {} failed: {inner}", plan.op, step.name()),
            fix: Some(fix),
        }
        .into()
    }

    /// The commit the record ref must hold (`None`: no record) for the journal to go on.
    fn fence(&self) -> Option<ObjectId> {
        self.current.as_ref().map(|s| s.commit)
    }

    /// Before a destructive step: the record must still be where this journal left it.
    fn check_fence(&self, plan: &Plan, step: &Step) -> Result<()> {
        if !step.destructive() {
            return Ok(());
        }
        self.ensure_fence(plan)
    }

    fn ensure_fence(&self, plan: &Plan) -> Result<()> {
        let id = &plan.id;
        let now = records::read(self.repo, id.as_str()).map_err(|e| invalid_record(id, &e))?;
        if now.as_ref().map(|s| s.commit) == self.fence() {
            return Ok(());
        }
        let was = self
            .current
            .as_ref()
            .map(|s| format!("token {} phase {}", s.record.token, s.record.phase.as_str()))
            .unwrap_or_else(|| "no record".into());
        let is = now
            .as_ref()
            .map(|s| {
                let who = s
                    .record
                    .lock
                    .as_ref()
                    .map(|l| format!(", held by {}", l.owner))
                    .unwrap_or_default();
                format!(
                    "token {} phase {}{who}",
                    s.record.token,
                    s.record.phase.as_str()
                )
            })
            .unwrap_or_else(|| "no record".into());
        Err(WoError::conflict(format!(
            "{id}: the record changed under this {} ({was} → {is}); stopped, nothing more was changed",
            plan.op
        ))
        .fix(format!("git wo show {id}"))
        .into())
    }

    fn run(
        &mut self,
        plan: &Plan,
        step: &Step,
        done: &mut Applied,
        undo: &mut Vec<Undo>,
    ) -> Result<()> {
        let (repo, id) = (self.repo, &plan.id);
        match step {
            Step::Record(w) => {
                let prev = self.current.clone();
                let yaml = match &w.yaml {
                    OrderYaml::Bytes(b) => b.clone(),
                    OrderYaml::Placed => match &done.yaml_bytes {
                        Some(b) => b.clone(),
                        None => self.current_order_yaml()?,
                    },
                    OrderYaml::Unchanged => self.current_order_yaml()?,
                };
                let parent = match (w.parent, &prev) {
                    (_, None) => None,
                    (Parent::Previous, Some(p)) => Some(p.commit),
                    (Parent::LastTransition, Some(p)) => last_transition(repo, p.commit)?,
                };
                let stored = transition::commit_with_parent(
                    repo,
                    prev.as_ref(),
                    parent,
                    &w.record,
                    &yaml,
                    w.action,
                    &w.owner,
                    &w.lines,
                    w.fixed_time,
                    w.evidence,
                )
                .map_err(|e| lost_to(repo, id, e))?;
                if !undo.iter().any(|u| matches!(u, Undo::Record { .. })) {
                    undo.push(Undo::Record {
                        prev: prev.as_ref().map(|p| p.commit),
                    });
                }
                self.current = Some(stored);
            }
            Step::CreateBranch { name, at } => {
                if repo.branch_tip(name)?.is_none() {
                    repo.create_branch(name, *at)?;
                    undo.push(Undo::Branch {
                        name: name.clone(),
                        at: *at,
                    });
                    done.branch_created = true;
                }
            }
            Step::AddWorktree {
                path,
                branch,
                reason,
                repair,
            } => {
                let (wt, created) = self.add_worktree(id, path, branch, reason, *repair, undo)?;
                done.worktree_created = created;
                done.worktree = Some(wt);
            }
            Step::WriteSession { path, session } => {
                let wt = find_worktree(repo, path).with_context(|| {
                    format!("{id}: {} is not a registered worktree", path.display())
                })?;
                session.write(&wt.admin_dir)?;
            }
            Step::PlaceYaml {
                from,
                bytes,
                to,
                edits,
            } => {
                // Edited before anything moves: a file that cannot be edited safely is
                // refused with nothing changed.
                let text = edited_yaml(id, from, bytes, edits)?;
                let moved = self.jobs.move_to(from, *to, id.as_str())?;
                if &moved != from {
                    undo.push(Undo::Yaml {
                        now_at: moved.clone(),
                        was_at: from.clone(),
                        bytes: bytes.clone(),
                    });
                }
                if text.as_bytes() != bytes.as_slice() {
                    self.jobs.rewrite(&moved, text.as_bytes())?;
                }
                self.touched.extend([from.clone(), moved.clone()]);
                done.yaml = Some(moved);
                done.yaml_bytes = Some(text.into_bytes());
            }
            Step::CreateLock { text, replace } => {
                self.touched.push(self.jobs.lock_rel(id.as_str()));
                if *replace {
                    self.jobs.replace_lock(id.as_str(), text)?;
                } else {
                    self.jobs.create_lock(id.as_str(), text)?;
                    undo.push(Undo::LockFile);
                }
            }
            Step::RemoveLock => {
                self.touched.push(self.jobs.lock_rel(id.as_str()));
                self.jobs.remove_lock(id.as_str())?
            }
            Step::Marker { target, line } => write_marker(repo, *target, line)?,
            Step::ReleaseWorktree {
                path,
                remove,
                force,
            } => {
                if let Some(wt) = find_worktree(repo, path) {
                    if wt
                        .locked
                        .as_deref()
                        .is_some_and(|r| r.starts_with("git-wo "))
                    {
                        repo.unlock_worktree(&wt)?;
                    }
                    if *remove && wt.exists {
                        // `git worktree remove` deletes the admin dir (and the session
                        // file in it) last: a crash before leaves the holder's session
                        // in place, so a plain rerun by the holder still works.
                        if *force {
                            repo.force_remove_worktree(&wt.path)?;
                        } else {
                            repo.remove_worktree(&wt.path)?;
                        }
                        done.worktree_removed = true;
                    } else {
                        let _ = std::fs::remove_file(wt.admin_dir.join(session::FILE));
                    }
                }
            }
            Step::SaveCommit { name, at } => match repo.ref_target(name)? {
                Some(now) if now == *at => {}
                Some(now) => anyhow::bail!("{name} exists and points at {now}, not at {at}"),
                None => repo.cas_ref(name, Expect::Absent, *at, &format!("git wo: {}", plan.op))?,
            },
            Step::Quarantine { from, dir, entry } => {
                quarantine::put(&repo.control_root, dir, from, entry)?;
                self.touched.push(from.clone());
            }
            Step::RestoreYaml { to, bytes } => {
                let rel = self.jobs.state_dir_rel(*to).join(format!("{id}.yaml"));
                self.jobs.create_new(&rel, bytes)?;
                self.touched.push(rel.clone());
                done.yaml = Some(rel);
                done.yaml_bytes = Some(bytes.clone());
            }
            Step::DropHalfMade { path, commit } => {
                if let Some(wt) = find_worktree(repo, path) {
                    if let Err(why) = half_made_droppable(repo, id, &wt, *commit) {
                        return Err(WoError::failed(format!("{id}: {why}"))
                            .fix(half_made_fix(&wt))
                            .into());
                    }
                    repo.drop_half_made(&wt)?;
                    done.half_made_dropped.push(wt.path.clone());
                }
            }
            Step::Save { from, dir, entry } => {
                quarantine::save(&repo.control_root, dir, from, entry)?;
            }
            Step::Unquarantine { item, aside } => {
                if let Some(Some(moved)) = quarantine::restore(item, aside.as_ref())? {
                    self.touched.push(moved.clone());
                    done.set_aside.push(moved);
                }
                if let Some(rel) = &item.rel {
                    self.touched.push(rel.clone());
                }
            }
            Step::Publish { remote, required } => match self.publish(plan, remote) {
                Ok(Some((now, prev))) => undo.push(Undo::Published {
                    remote: remote.clone(),
                    now,
                    prev,
                }),
                Ok(None) => {}
                Err(e) if !required => eprintln!(
                    "warning: {id}: the record was not published to {remote}: {} (fix: git wo sync {remote})",
                    crate::error::classify(&e)
                ),
                Err(e) => return Err(e),
            },
            Step::Adopt { commit } => {
                // Validated before the ref moves: a commit that holds no record of this
                // WO never becomes its record here.
                let adopted = crate::ops::sync::check_remote_record(repo, id.as_str(), *commit)
                    .map_err(|why| {
                        WoError::invalid_record(format!(
                            "{id}: the record fetched for it ({}) is not a record: {why}; nothing was changed",
                            &commit.to_string()[..12]
                        ))
                        .fix(format!(
                            "git log -p {commit} (look at it); have it repaired where it came from"
                        ))
                    })?;
                let name = records::ref_name(id.as_str());
                let expect = self.fence().map_or(Expect::Absent, Expect::At);
                repo.cas_ref(&name, expect, *commit, &format!("git wo: {}", plan.op))
                    .map_err(|e| lost_to(repo, id, e))?;
                self.current = Some(adopted);
            }
        }
        Ok(())
    }

    /// Push the record to `remote` unless it holds it already: (pushed, what the
    /// remote held before) when it did push.
    fn publish(&self, plan: &Plan, remote: &str) -> Result<Option<(ObjectId, Option<ObjectId>)>> {
        let (repo, id) = (self.repo, &plan.id);
        let name = records::ref_name(id.as_str());
        let Some(local) = self.fence() else {
            return Ok(None);
        };
        let theirs = repo
            .ls_remote(remote, &[&name])
            .map_err(|e| crate::ops::sync::unreachable_remote(e, remote))?
            .get(&name)
            .copied();
        if theirs == Some(local) {
            return Ok(None);
        }
        if let Some(r) = theirs
            && !supersedes(repo, remote, &name, local, r)?
        {
            return Err(remote_holder(repo, remote, plan, r));
        }
        let update = crate::git::remote::Update {
            name: name.clone(),
            new: Some(local),
            expect: theirs,
        };
        match repo.push_leased(remote, &[update])? {
            crate::git::remote::Pushed::Done => Ok(Some((local, theirs))),
            crate::git::remote::Pushed::Rejected(_) => {
                let now = repo.ls_remote(remote, &[&name])?.get(&name).copied();
                match now {
                    Some(r) => {
                        let _ = fetch_record(repo, remote, &name);
                        Err(remote_holder(repo, remote, plan, r))
                    }
                    None => Err(WoError::conflict(format!(
                        "{id}: {remote} refused the record (someone pushed it meanwhile)"
                    ))
                    .fix(format!("git wo sync {remote}, then git wo show {id}"))
                    .into()),
                }
            }
        }
    }

    fn current_order_yaml(&self) -> Result<Vec<u8>> {
        match &self.current {
            Some(s) => Ok(records::order_yaml_at(self.repo, s.commit)?.unwrap_or_default()),
            None => Ok(Vec::new()),
        }
    }

    /// Add (or reuse) the worktree of a take.
    fn add_worktree(
        &self,
        id: &WoId,
        path: &Path,
        branch: &str,
        reason: &str,
        repair: bool,
        undo: &mut Vec<Undo>,
    ) -> Result<(Worktree, bool)> {
        let repo = self.repo;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let shown = shell_quote(&path.to_string_lossy());
        match find_worktree(repo, path) {
            Some(wt) if wt.exists => {
                if wt.head != Head::Branch(branch.to_owned()) {
                    return Err(WoError::failed(format!(
                        "{id}: worktree {} exists but is not on {branch}",
                        path.display()
                    ))
                    .fix(format!("git -C {shown} switch -- {}", shell_quote(branch)))
                    .into());
                }
                repo.lock_worktree(&wt, reason)?;
                if !repair {
                    return Ok((wt, false));
                }
                repo.repair_checkout(&wt).map_err(|e| {
                    anyhow::Error::from(
                        WoError::failed(format!(
                            "{id}: worktree {} has an incomplete checkout and holds changes: {e:#}",
                            path.display()
                        ))
                        .fix(format!("git -C {shown} status (keep what you need, then git -C {shown} reset --hard)")),
                    )
                })?;
                Ok((wt, false))
            }
            Some(_) => Err(WoError::failed(format!(
                "{id}: {} is registered but missing (prunable)",
                path.display()
            ))
            .fix("git worktree prune")
            .into()),
            None => {
                if std::fs::symlink_metadata(path).is_ok() {
                    return Err(WoError::usage(format!(
                        "{id}: {} exists and is not a worktree of this repository",
                        path.display()
                    ))
                    .fix(format!(
                        "move {shown} away, or set another folder: git config wo.worktreeDir <dir>"
                    ))
                    .into());
                }
                repo.add_worktree(path, branch, reason)?;
                undo.push(Undo::Worktree {
                    path: path.to_path_buf(),
                });
                let wt = find_worktree(repo, path)
                    .with_context(|| format!("{id}: git did not register {}", path.display()))?;
                Ok((wt, true))
            }
        }
    }

    /// Undo newest first; returns what could not be undone. Each undo that deletes or
    /// moves is fenced: once the record is no longer ours, nothing more is touched.
    fn undo_all(&mut self, plan: &Plan, undo: Vec<Undo>) -> Vec<String> {
        let (repo, id) = (self.repo, &plan.id);
        let mut problems = Vec::new();
        for step in undo.into_iter().rev() {
            if !matches!(step, Undo::Record { .. })
                && let Err(e) = self.ensure_fence(plan)
            {
                problems.push(format!("{e:#}"));
                return problems;
            }
            let r = match step {
                Undo::LockFile => self.jobs.remove_lock(id.as_str()),
                Undo::Yaml {
                    now_at,
                    was_at,
                    bytes,
                } => {
                    let to = state_of_folder(&was_at).unwrap_or(State::Pending);
                    self.jobs
                        .move_to(&now_at, to, id.as_str())
                        .and_then(|back| {
                            if back == was_at {
                                self.jobs.rewrite(&back, &bytes)
                            } else {
                                Ok(())
                            }
                        })
                }
                Undo::Worktree { path } => match find_worktree(repo, &path) {
                    Some(wt) => repo
                        .unlock_worktree(&wt)
                        .and_then(|_| repo.remove_worktree(&path)),
                    None => Ok(()),
                },
                Undo::Branch { name, at } => repo.delete_branch_if_at(&name, at),
                Undo::Published { remote, now, prev } => {
                    let update = crate::git::remote::Update {
                        name: records::ref_name(id.as_str()),
                        new: prev,
                        expect: Some(now),
                    };
                    repo.push_leased(&remote, &[update]).map(|_| ())
                }
                Undo::Record { prev } => {
                    let name = records::ref_name(id.as_str());
                    match (self.fence(), prev) {
                        (Some(ours), Some(p)) => {
                            repo.cas_ref(&name, Expect::At(ours), p, "git wo: undo")
                        }
                        (Some(ours), None) => repo.delete_ref_if_at(&name, ours),
                        (None, _) => Ok(()),
                    }
                }
            };
            if let Err(e) = r {
                problems.push(format!("{e:#}"));
            }
        }
        problems
    }
}

fn undone(plan: &Plan, step: &Step, e: anyhow::Error, problems: &[String]) -> anyhow::Error {
    let id = &plan.id;
    let mut w = match e.downcast_ref::<WoError>() {
        Some(w) => w.clone(),
        None => crate::error::classify(&e),
    };
    let inner = w
        .message
        .strip_prefix(&format!("{id}: "))
        .unwrap_or(&w.message)
        .to_owned();
    // A step's own failure (see `Journal::step_failed`) names the step.
    let step_failed = format!("{} step {} failed: ", plan.op, step.name());
    w.message = match inner.strip_prefix(&step_failed) {
        Some(cause) => format!(
            "{id}: {} step {} failed and was undone: {cause}",
            plan.op,
            step.name()
        ),
        None => format!("{id}: {} failed and was undone: {inner}", plan.op),
    };
    for p in problems {
        w.message.push_str(&format!("\n  undo problem: {p}"));
    }
    if w.fix.is_none() {
        w.fix = Some(format!("git wo audit; then retry: git wo {} {id}", plan.op));
    }
    w.into()
}

/// The YAML at `from` (as `bytes`) with `edits` set, byte-preserving; bad input (exit
/// 2) when it is not UTF-8 or cannot be edited safely (see
/// [`edit_fields`](crate::model::yaml_edit::edit_fields)).
pub fn edited_yaml(
    id: &WoId,
    from: &Path,
    bytes: &[u8],
    edits: &[(String, String)],
) -> Result<String> {
    let current = std::str::from_utf8(bytes).map_err(|_| {
        WoError::usage(format!("{id}: {} is not UTF-8", from.display()))
            .fix(format!("git wo lint {id}"))
    })?;
    crate::model::yaml_edit::edit_fields(current, edits).map_err(|why| {
        WoError::usage(format!(
            "{id}: {} cannot be edited safely: {why}",
            from.display()
        ))
        .fix(format!(
            "rewrite {} in block style (`key: value` lines, one document), then git wo lint {id}",
            shell_quote(&from.to_string_lossy())
        ))
        .into()
    })
}

/// How long (seconds) a half-made worktree registration must have been left alone
/// before it is taken apart: `git worktree add` writes `HEAD` right after the files a
/// kill leaves, so a live add is past that state within this.
pub const HALF_MADE_QUIET: u64 = 10;

/// Whether the half-made worktree `wt` may be taken apart for `id`: `Err(why)` names
/// what keeps it (a lock that is not its take's, recent writes, files not in the
/// branch's tree).
pub fn half_made_droppable(
    repo: &Repo,
    id: &WoId,
    wt: &Worktree,
    commit: Option<ObjectId>,
) -> std::result::Result<(), String> {
    use crate::git::half_made;
    let shown = wt.path.display();
    if !half_made::is_half_made(wt) {
        return Err(format!(
            "worktree {shown} has a HEAD now: it is not half made"
        ));
    }
    let lock = wt.locked.as_deref().unwrap_or("");
    if !crate::model::lock_reason::made_by_add_of(lock, id.as_str()) {
        return Err(format!(
            "the half-made worktree {shown} is locked by someone else ({lock:?})"
        ));
    }
    let quiet = half_made::quiet_for(wt);
    if quiet < HALF_MADE_QUIET {
        return Err(format!(
            "the half-made worktree {shown} was written {quiet}s ago: a git worktree add may still run"
        ));
    }
    let strangers = repo
        .half_made_strangers(wt, commit)
        .map_err(|e| format!("the half-made worktree {shown} cannot be read: {e:#}"))?;
    if !strangers.is_empty() {
        let names: Vec<String> = strangers
            .iter()
            .take(5)
            .map(|p| crate::error::escaped(p.as_os_str()))
            .collect();
        return Err(format!(
            "the half-made worktree {shown} holds {} file(s) that are not in its branch's tree, so it was kept: {}",
            strangers.len(),
            names.join(", ")
        ));
    }
    Ok(())
}

/// What a person runs about a half-made worktree git-wo keeps.
pub fn half_made_fix(wt: &Worktree) -> String {
    let p = shell_quote(&wt.path.to_string_lossy());
    format!(
        "look at it (ls -la {p}); move away what you need, then: git worktree unlock {p}; git worktree remove --force {p}"
    )
}

/// A repair's copy of `from` before it changes it (see [`Step::Save`]); `edited_to`:
/// where the repair leaves its new version (none: it deletes it).
pub fn save_step(
    saving: &quarantine::Saving,
    id: &WoId,
    from: &Path,
    edited_to: Option<&Path>,
) -> Step {
    Step::Save {
        from: from.to_path_buf(),
        dir: saving.dir.clone(),
        entry: Box::new(saving.entry(id.as_str(), from, edited_to)),
    }
}

/// A repair's copies before a [`Step::PlaceYaml`] of `from` into `to`'s folder.
pub fn save_before_place(
    saving: &quarantine::Saving,
    id: &WoId,
    jobs_rel: &str,
    from: &Path,
    to: State,
) -> Step {
    let name = from.file_name().unwrap_or_default();
    let placed = PathBuf::from(jobs_rel).join(to.as_str()).join(name);
    save_step(saving, id, from, Some(&placed))
}

/// A repair's copy before a [`Step::RemoveLock`].
pub fn save_before_unlock(saving: &quarantine::Saving, id: &WoId, jobs_rel: &str) -> Step {
    let lock = PathBuf::from(jobs_rel)
        .join(State::Running.as_str())
        .join(format!("{id}.lock"));
    save_step(saving, id, &lock, None)
}

/// A lost compare-and-swap names who holds the record now.
fn lost_to(repo: &Repo, id: &WoId, e: anyhow::Error) -> anyhow::Error {
    let Some(w) = e.downcast_ref::<WoError>() else {
        return e;
    };
    if w.kind != crate::error::Kind::Conflict {
        return e;
    }
    let now = match crate::inventory::records::read(repo, id.as_str()) {
        Ok(Some(s)) => s,
        _ => return e,
    };
    let who = match &now.record.lock {
        Some(l) => format!(
            "{} on {} holds it now (token {}, {})",
            l.owner,
            l.host,
            now.record.token,
            crate::model::when::lease(l.expires_at, chrono::Utc::now())
        ),
        None => format!(
            "it is {} now (token {})",
            now.record.state, now.record.token
        ),
    };
    WoError::conflict(format!("{id}: someone else changed it first: {who}"))
        .fix(format!("git wo show {id}"))
        .into()
}

/// A record ref that cannot be read is `invalid_record`, with its fix.
pub fn invalid_record(id: &WoId, e: &anyhow::Error) -> anyhow::Error {
    WoError::bad_record(id.as_str(), &format!("{e:#}")).into()
}

/// The state whose folder holds `rel` (`…/<state>/<file>`).
fn state_of_folder(rel: &Path) -> Option<State> {
    let folder = rel.parent()?.file_name()?.to_str()?;
    State::ALL.into_iter().find(|s| s.as_str() == folder)
}

/// The commit a renewal builds on: the last transition, skipping a renewal.
pub fn last_transition(repo: &Repo, at: ObjectId) -> Result<Option<ObjectId>> {
    let commit = repo.gix.find_commit(at)?;
    let is_renewal = commit
        .message_raw_sloppy()
        .starts_with(format!("wo: {} ", crate::ops::heartbeat::ACTION).as_bytes());
    Ok(if is_renewal {
        commit.parent_ids().next().map(|p| p.detach())
    } else {
        Some(at)
    })
}

pub fn find_worktree(repo: &Repo, path: &Path) -> Option<Worktree> {
    let path = crate::git::repo::canonical(path);
    worktrees::list(&repo.common_dir, &repo.control_root)
        .into_iter()
        .find(|w| !w.is_main && w.path == path)
}

/// `Err` (exit 130) once Ctrl-C was pressed: the plan stops before its next step; a
/// take is undone by its recovery, a finish stays where its recorded phase says.
fn interrupted(plan: &Plan, step: &Step) -> Result<()> {
    if !crate::interrupt::interrupted() {
        return Ok(());
    }
    let again = match plan.recovery {
        Recovery::Undo => format!("run it again: git wo {} {}", plan.op, plan.id),
        Recovery::RollForward => format!(
            "run the same command again: the {} goes on from where it stopped",
            plan.op
        ),
    };
    Err(WoError::new(
        crate::error::Kind::Interrupted,
        format!(
            "{}: interrupted (Ctrl-C) at the {} step of the {}",
            plan.id,
            step.name(),
            plan.op
        ),
    )
    .fix(again)
    .into())
}

/// The publish step for `remote`, if there is one.
pub fn publish(remote: Option<&str>, required: bool) -> Option<Step> {
    remote.map(|r| Step::Publish {
        remote: r.to_owned(),
        required,
    })
}

/// Fetch `name` from `remote` into `refs/remotes/<remote>/wo/...`.
pub fn fetch_record(repo: &Repo, remote: &str, name: &str) -> Result<()> {
    let tracking = tracking_ref(remote, name);
    repo.fetch(remote, &[format!("+{name}:{tracking}")])
}

/// `refs/wo/orders/<ID>` as fetched from `remote`: `refs/remotes/<remote>/wo/orders/<ID>`.
pub fn tracking_ref(remote: &str, name: &str) -> String {
    format!(
        "refs/remotes/{remote}/{}",
        name.strip_prefix("refs/").unwrap_or(name)
    )
}

/// Whether the local record `local` may replace the remote's `theirs`: it descends
/// from it, or from the transition `theirs` renews (a renewal replaces the previous
/// renewal, so it is no ancestor). `theirs` is fetched when it is not here.
pub fn supersedes(
    repo: &Repo,
    remote: &str,
    name: &str,
    local: ObjectId,
    theirs: ObjectId,
) -> Result<bool> {
    if !repo.has_object(theirs) {
        fetch_record(repo, remote, name)?;
        if !repo.has_object(theirs) {
            return Ok(false);
        }
    }
    if repo.first_parent_reaches(local, theirs, 10_000) {
        return Ok(true);
    }
    Ok(match last_transition(repo, theirs)? {
        Some(t) if t != theirs => repo.first_parent_reaches(local, t, 10_000),
        _ => false,
    })
}

/// The conflict of a record the remote holds that is not ours to replace, naming its
/// holder.
fn remote_holder(repo: &Repo, remote: &str, plan: &Plan, theirs: ObjectId) -> anyhow::Error {
    let id = &plan.id;
    let who = records::at(repo, theirs)
        .ok()
        .map(|s| {
            let r = &s.record;
            match &r.lock {
                Some(l) => format!(
                    "{} by {} on {} (token {})",
                    r.state, l.owner, l.host, r.token
                ),
                None => format!("{} (token {})", r.state, r.token),
            }
        })
        .unwrap_or_else(|| "changed".into());
    let (what, then) = if plan.op == "take" {
        ("lost the race on", "take another WO")
    } else {
        (
            "someone else moved the record on",
            "nothing more was changed here",
        )
    };
    WoError::conflict(format!("{id}: {what} {remote}: the record there is {who}"))
        .fix(format!(
            "git wo sync {remote}, then git wo show {id} ({then})"
        ))
        .into()
}

/// Write `line` as a note on `target` and to the session log if configured.
pub fn write_marker(repo: &Repo, target: ObjectId, line: &str) -> Result<()> {
    repo.append_marker(target, line)
        .map_err(|e| crate::error::with_fix(e, "retry the command: markers are idempotent"))?;
    if let Some(log) = &repo.config.session_log {
        let path = repo.control_root.join(log);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let already = std::fs::read_to_string(&path)
            .map(|t| t.lines().any(|l| l == line))
            .unwrap_or(false);
        if !already {
            let mut f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .with_context(|| format!("appending to the session log {}", path.display()))?;
            writeln!(f, "{line}")?;
        }
    }
    Ok(())
}

/// Whether the process that holds `record`'s lease is gone: the lease expired, or it
/// ran on this host and its pid is dead.
pub fn holder_gone(record: &Record, now: chrono::DateTime<chrono::Utc>) -> bool {
    match &record.lock {
        None => true,
        Some(l) => l.expired(now) || l.process_dead_here(),
    }
}

/// What carries on a transition left in flight (`record.phase` taking or finishing),
/// for the fix line of every command that refuses because of it: a take is rolled
/// forward by its owner (`take --resume`) or back by `reconcile --apply`; a finish is
/// completed by rerunning `finish` with the verdict it recorded (its owner, or anyone
/// with `--force`) or by `reconcile --apply`. `None` when nothing is in flight.
pub fn in_flight_fix(id: &WoId, record: &Record) -> Option<String> {
    let owner = record
        .lock
        .as_ref()
        .map(|l| shell_quote(&l.owner))
        .unwrap_or_else(|| "its owner".to_owned());
    match record.phase {
        Phase::Taking => Some(format!(
            "wait for it; if it crashed: git wo take {id} --resume (as {owner}), or git wo reconcile --apply (rolls the take back)"
        )),
        Phase::Finishing => {
            let verdict = record.result.as_ref().map_or(State::Done, |o| o.verdict);
            Some(format!(
                "wait for it; if it crashed: git wo finish {id} --result {verdict} (as {owner}, else add --force), or git wo reconcile --apply (completes it)"
            ))
        }
        Phase::Idle | Phase::Active => None,
    }
}

/// The name of the transition in flight: `take` or `finish`.
pub fn in_flight_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Taking => "take",
        Phase::Finishing => "finish",
        Phase::Idle | Phase::Active => "transition",
    }
}

/// The ref lock in the way of `id`'s ref writes, with its age in seconds, when one is
/// older than a second: `packed-refs.lock` (gix takes it for every checked update once
/// `packed-refs` exists), the record's or the notes ref's own `.lock`.
fn stale_ref_lock(common_dir: &Path, id: &str) -> Option<(PathBuf, u64)> {
    [
        common_dir.join("packed-refs.lock"),
        common_dir.join(format!("refs/wo/orders/{id}.lock")),
        common_dir.join("refs/notes/wo.lock"),
    ]
    .into_iter()
    .find_map(|p| {
        let age = std::fs::symlink_metadata(&p)
            .ok()?
            .modified()
            .ok()?
            .elapsed()
            .ok()?
            .as_secs();
        (age >= 1).then_some((p, age))
    })
}
