//! `take` (SPEC §4): validate, claim the record by compare-and-swap (the single point
//! where a race is decided), then branch, worktree, YAML move, `.lock`, intent marker,
//! and phase active. A failure undoes the steps before it, newest first, and puts the
//! record back. A crash leaves phase `taking`, which `take --resume` rolls forward:
//! every step is idempotent.
//!
//! The phases, in order, each a function: **gather** what the remote and the files say
//! ([`gather`]); **decide** whether the WO may be taken, as tables of what refuses
//! with which error and fix ([`precheck`]: [`refuse_split_brain`], [`by_record`] and
//! [`running_record`], [`by_files`], [`refuse_unready`]; the worktree a take would
//! reuse, [`leftovers`]); **plan** the claim ([`Claim::decide`]: branch, base, token,
//! lease; [`Shape::plan`]: the steps); **apply** them through the journal; **report**
//! ([`Shape::outcome`]). `take --resume` ([`resume`]) and `take --next` ([`take_next`])
//! are the same phases around the same [`Shape`].

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use gix::ObjectId;
use serde::Serialize;

use crate::error::{WoError, with_fix};
use crate::git::Repo;
use crate::inventory::records::Stored;
use crate::inventory::{Depth, Inventory, Source, WoView};
use crate::model::lockfile::LockFile;
use crate::model::marker;
use crate::model::order::OrderFile;
use crate::model::record::{Lease, Phase, Record};
use crate::model::record_texts::RecordTexts;
use crate::model::session::{Session, new_session_id};
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::ops::journal::{
    self, Applied, Journal, OrderYaml, Parent, Plan, RecordWrite, Recovery, Step,
};

#[derive(Debug, Clone)]
pub struct TakeOptions {
    pub id: WoId,
    pub owner: String,
    pub base: Option<String>,
    pub lease: Duration,
    pub steal: bool,
    pub resume: bool,
    /// Take even when the worktree it reuses holds modified, staged or untracked
    /// files (recorded as an override).
    pub force: bool,
    /// Publish the record there (SPEC §10).
    pub remote: Option<String>,
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
    /// What the reused worktree held that was not committed (taken with `--force`).
    pub leftovers: Vec<String>,
    /// `--force` overrode the leftovers.
    pub forced: bool,
    /// WOs added since init that this take mirrored into records on the way.
    pub mirrored: Vec<String>,
    pub resumed: bool,
}

/// `git wo take <ID>`: gather, decide, plan, apply, report (see the module doc).
pub fn take(repo: &Repo, opts: &TakeOptions) -> Result<TakeOutcome> {
    let id = &opts.id;
    let inv = gather(repo, opts)?;
    let wos = inv.wos();
    let empty = WoView::default();
    let view = wos.get(id).unwrap_or(&empty);
    crate::inventory::refuse_unreadable(id, view)?;
    if opts.resume {
        return resume(repo, &inv, view, opts);
    }
    let stolen_from = precheck(&inv, view, opts)?;
    let file = view.files().first().copied().ok_or_else(|| {
        WoError::usage(format!("{id}: no YAML in {}", inv.jobs_rel)).fix("git wo list")
    })?;
    let prev = view.record;
    let claim = Claim::decide(repo, opts, prev, file, stolen_from.as_deref())?;
    let shape = Shape {
        repo,
        id,
        opts,
        record: &claim.record,
        branch: &claim.branch,
        base: claim.base,
        worktree_rel: &claim.worktree_rel,
        yaml_from: file.rel_path().to_path_buf(),
        yaml_bytes: file.bytes().to_vec(),
        resuming: false,
        replace_lock: stolen_from.is_some(),
    };
    let action = if stolen_from.is_some() {
        "steal"
    } else {
        "claim"
    };
    let plan = shape.plan(action);
    let applied = Journal::new(repo, &inv.jobs_rel, prev).apply(&plan)?;
    let mut outcome = shape.outcome(&applied)?;
    outcome.stolen_from = stolen_from;
    outcome.forced = !claim.leftovers.is_empty();
    outcome.leftovers = claim.leftovers;
    // Best effort: what is not mirrored now is by the next command, or init, and
    // audit reports it meanwhile.
    outcome.mirrored =
        crate::ops::mirror::mirror_new(repo, &inv, &wos, Some(id)).unwrap_or_default();
    Ok(outcome)
}

/// Gather: with a remote, the WO's record is brought up to date first (decide on what
/// the remote knows: someone else's claim there is seen here); then the inventory,
/// read once more when the WO's YAML is not in it (a take racing this one may have
/// moved it between the listing of pending/ and that of running/).
fn gather(repo: &Repo, opts: &TakeOptions) -> Result<Inventory> {
    let id = &opts.id;
    if let Some(remote) = &opts.remote {
        crate::ops::sync::pull_record(repo, remote, id)?;
    }
    let mut inv = Inventory::gather(repo, Source::WorkingTree, Depth::Full)?;
    if !inv.files.iter().any(|f| f.id.as_ref() == Some(id)) {
        inv = Inventory::gather(repo, Source::WorkingTree, Depth::Full)?;
    }
    inv.refuse_bad_record(id)?;
    Ok(inv)
}

/// `take --next`: claim the first WO of the ready queue ([`crate::views::ready`]) that
/// `filters` keep. A candidate lost to a concurrent take (or that stopped being
/// takeable since the queue was read) is skipped for the next one, the queue read
/// again when one pass is used up; at most [`NEXT_TRIES`] candidates are tried. With
/// nothing (left) ready: exit 3.
pub fn take_next(
    repo: &Repo,
    opts: &TakeOptions,
    filters: &crate::views::ready::Filters,
) -> Result<TakeOutcome> {
    let mut tried: std::collections::BTreeSet<String> = Default::default();
    let mut lost = Vec::new();
    while tried.len() < NEXT_TRIES {
        let inv = Inventory::gather(repo, Source::WorkingTree, Depth::Fields)?;
        let q = crate::views::ready::queue(&inv, filters);
        let fresh: Vec<String> = q
            .ready
            .into_iter()
            .map(|w| w.id.to_owned())
            .filter(|id| !tried.contains(id))
            .collect();
        if fresh.is_empty() {
            break;
        }
        for id in fresh.into_iter().take(NEXT_TRIES - tried.len()) {
            tried.insert(id.clone());
            let Ok(wo) = WoId::parse(&id) else { continue };
            let one = TakeOptions {
                id: wo,
                ..opts.clone()
            };
            match take(repo, &one) {
                Ok(t) => return Ok(t),
                Err(e) => {
                    let w = crate::error::classify(&e);
                    match w.kind {
                        // Someone else won it, or it is no longer pending/ready.
                        crate::error::Kind::Conflict | crate::error::Kind::Usage => {
                            lost.push(format!("{id}: {}", w.message));
                        }
                        _ => return Err(e),
                    }
                }
            }
        }
    }
    let mut msg = "no ready WO left to take".to_owned();
    if !lost.is_empty() {
        msg.push_str(&format!(
            " ({} tried, taken by others or no longer ready meanwhile)",
            lost.len()
        ));
    }
    Err(WoError::conflict(msg)
        .fix("git wo ready --blocked (what the pending WOs wait for), or git wo new")
        .into())
}

/// How many candidates one `take --next` tries before it gives up.
pub const NEXT_TRIES: usize = 64;

/// What the worktree a take would reuse (kept by a requeue, a release, a steal) holds
/// that is not committed: modified, staged and untracked files (ignored files are
/// build output and do not count). Such a take is refused (exit 1), changing nothing,
/// unless `--force`; then the list is returned to be recorded as an override.
///
/// A worktree git-locked for a take of `token` or later is a concurrent take's (its
/// checkout may be half-way): not leftovers; the claim decides that race (exit 3).
fn leftovers(repo: &Repo, id: &WoId, opts: &TakeOptions, token: u64) -> Result<Vec<String>> {
    let path = crate::git::repo::canonical(&repo.worktree_root()).join(id.as_str());
    let Some(wt) = journal::find_worktree(repo, &path).filter(|w| w.exists) else {
        return Ok(Vec::new());
    };
    let newer_take = wt
        .locked
        .as_deref()
        .and_then(crate::model::lock_reason::parse)
        .is_some_and(|(i, t)| i == id.as_str() && t.is_some_and(|t| t >= token));
    if newer_take {
        return Ok(Vec::new());
    }
    let shown = crate::error::shell_quote(&wt.path.to_string_lossy());
    let changes = repo.worktree_changes(&wt.path, false).map_err(|e| {
        with_fix(
            e,
            format!("git -C {shown} status (the worktree {id} would reuse)"),
        )
    })?;
    if changes.is_clean() {
        return Ok(Vec::new());
    }
    let found = crate::git::worktree_ops::Changes::describe(&changes.changed, &changes.untracked);
    if opts.force {
        return Ok(found);
    }
    Err(WoError::failed(format!(
        "{id}: its worktree {} is reused by this take and holds work not committed: {}",
        wt.path.display(),
        found.join("; ")
    ))
    .fix(format!(
        "look at it (git -C {shown} status), commit, stash or remove it, then git wo take {id}; or take it as it is: git wo take {id} --force (recorded)"
    ))
    .into())
}

/// The branch of a take: the record's, else the YAML's `branch:`, else the default.
/// A name that could be read as an option, or is no valid branch name, is refused.
fn branch_of(repo: &Repo, id: &WoId, prev: Option<&Stored>, file: &OrderFile) -> Result<String> {
    let branch = prev
        .and_then(|s| s.record.branch().map(str::to_owned))
        .or_else(|| file.branch())
        .unwrap_or_else(|| repo.config.branch_of(id.as_str()));
    if let Some(why) = crate::model::branch::problem(&branch) {
        return Err(WoError::usage(format!("{id}: {why}"))
            .fix(format!(
                "fix `branch:` in {} (or remove it for the default), then git wo lint {id}",
                crate::error::shell_quote(&file.rel_path().to_string_lossy())
            ))
            .into());
    }
    Ok(branch)
}

/// Decide: whether `view`'s WO may be taken, by the tables below, in order. Returns
/// the previous holder when this take is a steal.
fn precheck(inv: &Inventory, view: &WoView<'_>, opts: &TakeOptions) -> Result<Option<String>> {
    let id = &opts.id;
    refuse_split_brain(id, view)?;
    if let Some(stored) = view.record
        && let Some(stolen_from) = by_record(inv, view, opts, &stored.record)?
    {
        return Ok(Some(stolen_from));
    }
    if opts.steal {
        return Err(WoError::usage(format!(
            "{id}: --steal only takes a running WO whose lease expired"
        ))
        .fix(format!("git wo take {id}"))
        .into());
    }
    by_files(inv, view, id)?;
    refuse_unready(inv, view, id)?;
    Ok(None)
}

/// A WO with copies in two state folders is no take's until one is resolved.
fn refuse_split_brain(id: &WoId, view: &WoView<'_>) -> Result<()> {
    if !view.is_split_brain() {
        return Ok(());
    }
    let states: Vec<&str> = view.states().iter().map(|s| s.as_str()).collect();
    Err(WoError::usage(format!(
        "{id} is in split-brain ({}); refusing to take it",
        states.join(" and ")
    ))
    .fix("git wo audit (resolve the extra copy first)")
    .into())
}

/// By the record: a transition in flight refuses (its fix says what carries it on);
/// running is decided by [`running_record`]; done and failed refuse; pending goes on
/// to the files (`Ok(None)`). `Ok(Some(holder))`: a steal.
fn by_record(
    inv: &Inventory,
    view: &WoView<'_>,
    opts: &TakeOptions,
    r: &Record,
) -> Result<Option<String>> {
    let id = &opts.id;
    if let Some(fix) = journal::in_flight_fix(id, r) {
        let lease = r
            .lock
            .as_ref()
            .map(|l| format!(" (by {})", l.shown(inv.now)))
            .unwrap_or_default();
        return Err(WoError::conflict(format!(
            "{id}: a {} is in progress{lease}",
            journal::in_flight_name(r.phase)
        ))
        .fix(fix)
        .into());
    }
    match r.state {
        State::Running => running_record(inv, view, opts, r),
        State::Done => Err(WoError::usage(format!("{id} is done already"))
            .fix(format!(
                "nothing to take: its result is recorded (git wo show {id}); new work on it is a new WO"
            ))
            .into()),
        State::Failed => Err(WoError::usage(format!("{id} is failed already"))
            .fix(format!(
                "git wo requeue {id} --reason \"…\" (back to pending, to work on it again)"
            ))
            .into()),
        State::Pending => Ok(None),
    }
}

/// A running record: a live lease refuses (yours: you hold it; another's: take
/// another WO); an expired one needs `--steal`, and a steal needs the YAML in
/// running/. `Ok(Some(holder))`: the steal goes ahead.
fn running_record(
    inv: &Inventory,
    view: &WoView<'_>,
    opts: &TakeOptions,
    r: &Record,
) -> Result<Option<String>> {
    let id = &opts.id;
    let lock = r.lock.as_ref();
    match lock.filter(|l| !l.expired(inv.now)) {
        Some(l) if l.owner == opts.owner => Err(yours_already(inv, view, id, r, l)),
        Some(l) => Err(WoError::conflict(format!(
            "{id} is held by {} on {} (token {}), {}",
            l.owner,
            l.host,
            r.token,
            crate::model::when::lease(l.expires_at, inv.now)
        ))
        .fix(format!(
            "git wo show {id} (take another WO, or wait for the lease to expire and use --steal)"
        ))
        .into()),
        None if !opts.steal => Err(WoError::usage(format!(
            "{id} is running but its lease expired{}",
            lock.map(|l| format!(" (held by {})", l.shown(inv.now)))
                .unwrap_or_default()
        ))
        .fix(format!("git wo take {id} --steal"))
        .into()),
        None if view.single_state() != Some(State::Running) => Err(WoError::usage(format!(
            "{id}: record says running but the YAML is not in running/"
        ))
        .fix("git wo audit")
        .into()),
        None => Ok(Some(
            lock.map_or_else(|| "nobody".to_owned(), |l| l.owner.clone()),
        )),
    }
}

/// You hold it already: where to go instead (your worktree, else `show`).
fn yours_already(
    inv: &Inventory,
    view: &WoView<'_>,
    id: &WoId,
    r: &Record,
    l: &Lease,
) -> anyhow::Error {
    let here = view
        .worktrees()
        .iter()
        .find(|w| w.exists)
        .map(|w| w.path.to_string_lossy().into_owned())
        .or_else(|| r.worktree().map(str::to_owned));
    WoError::conflict(format!(
        "{id} is yours already: you ({}) hold it (token {}), {}",
        l.owner,
        r.token,
        crate::model::when::lease(l.expires_at, inv.now)
    ))
    .fix(match here {
        Some(p) => format!("you hold it: cd {}", crate::error::shell_quote(&p)),
        None => format!("you hold it: git wo show {id}"),
    })
    .into()
}

/// By the files: only a WO whose one copy is in pending/ is taken. No copy names a
/// file of the id that does not parse, or a near id; running (no record), done and
/// failed refuse, each with what to do instead.
fn by_files(inv: &Inventory, view: &WoView<'_>, id: &WoId) -> Result<()> {
    match view.single_state() {
        None => Err(no_file(inv, id)),
        Some(State::Pending) => Ok(()),
        Some(State::Running) => {
            let holder = view
                .lock()
                .and_then(|l| l.user.clone())
                .unwrap_or_else(|| "someone".into());
            Err(WoError::conflict(format!(
                "{id} is already running (taken by {holder}, no record)"
            ))
            .fix(format!("git wo show {id}"))
            .into())
        }
        Some(s) => {
            let fix = if s == State::Failed {
                format!("git wo requeue {id} --reason \"…\" (back to pending)")
            } else {
                format!(
                    "nothing to take: {id} is done (git wo show {id}); new work on it is a new WO"
                )
            };
            Err(
                WoError::usage(format!("{id} is {s}; only pending WOs can be taken"))
                    .fix(fix)
                    .into(),
            )
        }
    }
}

/// No copy of `id`: a file of this id that does not parse is named, with why; else the
/// nearest id, if one is near.
fn no_file(inv: &Inventory, id: &WoId) -> anyhow::Error {
    if let Some(bad) = inv
        .files
        .iter()
        .find(|f| !f.archived && f.id.as_ref() == Some(id) && f.problem().is_some())
    {
        return WoError::usage(format!(
            "{id}: {} is not usable: {}",
            bad.rel_path().display(),
            bad.problem().unwrap_or_default()
        ))
        .fix(format!("git wo lint {id}"))
        .into();
    }
    let fix = match crate::views::near::nearest(inv, id.as_str()) {
        Some(near) => format!("did you mean {near}? git wo take {near} (or git wo list)"),
        None => "git wo list".to_owned(),
    };
    WoError::usage(format!("{id}: no YAML in {}", inv.jobs_rel))
        .fix(fix)
        .into()
}

/// A pending WO is ready when it has one file, the file passes lint, and every
/// dependency is done.
fn refuse_unready(inv: &Inventory, view: &WoView<'_>, id: &WoId) -> Result<()> {
    if view.files().len() > 1 {
        return Err(
            WoError::usage(format!("{id} has {} files in pending/", view.files().len()))
                .fix("git wo audit")
                .into(),
        );
    }
    let file = view.files()[0];
    let known = inv.known_ids();
    let mut problems = Vec::new();
    crate::views::lint::lint_file(inv, file, &known, &mut problems);
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(|p| p.problem.clone()).collect();
        return Err(WoError::usage(format!(
            "{id}: {} does not pass lint: {}",
            file.rel_path().display(),
            list.join("; ")
        ))
        .fix(format!("git wo lint {id}"))
        .into());
    }
    let wos = inv.wos();
    let mut not_done = Vec::new();
    for dep in file.dependencies() {
        if !crate::views::ready::dependency_done(&wos, &dep) {
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
    Ok(())
}

/// What a fresh take claims, decided: the record it writes (phase taking, the next
/// token, a new lease), on which branch and base, in which worktree, over which
/// leftovers of a reused worktree (`--force`).
struct Claim {
    record: Record,
    branch: String,
    base: ObjectId,
    worktree_rel: String,
    leftovers: Vec<String>,
}

impl Claim {
    /// Plan (1): branch ([`branch_of`]), base ([`base_of`]), worktree, token, the
    /// leftovers of a reused worktree ([`leftovers`]), then the lease and the record.
    fn decide(
        repo: &Repo,
        opts: &TakeOptions,
        prev: Option<&Stored>,
        file: &OrderFile,
        stolen_from: Option<&str>,
    ) -> Result<Claim> {
        let id = &opts.id;
        let title = file.title();
        let now = crate::clock::now();
        let branch = branch_of(repo, id, prev, file)?;
        let base = base_of(repo, opts, &branch)?;
        let worktree_rel = format!("{}/{id}", repo.worktree_dir());
        let token = prev.map_or(0, |s| s.record.token) + 1;
        let leftovers = leftovers(repo, id, opts, token)?;
        let lease = Lease {
            owner: opts.owner.clone(),
            session: new_session_id(),
            host: crate::host::hostname(),
            pid: std::process::id(),
            acquired_at: now,
            renewed_at: now,
            expires_at: now + opts.lease,
            clone: crate::ops::clone_id::ensure(repo),
        };
        let note = claim_note(stolen_from, &leftovers, &opts.owner);
        let texts = RecordTexts::new([
            Some(id.as_str()),
            Some(&title),
            Some(&branch),
            Some(&worktree_rel),
            Some(&base.to_string()),
            note.as_deref(),
        ]);
        let record = Record {
            phase: Phase::Taking,
            token,
            lock: Some(Box::new(lease)),
            ..Record::of_texts(texts, State::Running, now)
        };
        Ok(Claim {
            record,
            branch,
            base,
            worktree_rel,
            leftovers,
        })
    }
}

/// The base of a take: an existing branch is reused as it is (a different `--base`
/// would be ignored: refused); a new one starts at `--base`, else the default branch.
fn base_of(repo: &Repo, opts: &TakeOptions, branch: &str) -> Result<ObjectId> {
    let id = &opts.id;
    let resolve = |rev: &str| {
        repo.resolve_commit(rev)
            .map_err(|e| with_fix(e, "pass --base <branch|commit>"))
    };
    match (&opts.base, repo.branch_tip(branch)?) {
        (Some(rev), Some(tip)) if resolve(rev)? != tip => Err(WoError::usage(format!(
            "{id}: branch {branch} already exists at {}, not at --base {rev}",
            &tip.to_string()[..12]
        ))
        .fix(format!(
            "git wo take {id} (reuse the branch as it is), or rename the branch first"
        ))
        .into()),
        (_, Some(tip)) => Ok(tip),
        (Some(rev), None) => resolve(rev),
        (None, None) => repo.resolve_commit(&repo.default_branch()?),
    }
}

/// The record's note: a steal, and what `--force` took over from a reused worktree.
fn claim_note(stolen_from: Option<&str>, leftovers: &[String], owner: &str) -> Option<String> {
    let notes: Vec<String> = stolen_from
        .map(|o| format!("stolen from {o} after its lease expired"))
        .into_iter()
        .chain((!leftovers.is_empty()).then(|| {
            format!(
                "taken by {owner} with --force over what its reused worktree held: {}",
                leftovers.join("; ")
            )
        }))
        .collect();
    (!notes.is_empty()).then(|| notes.join("; "))
}

/// The steps (3)–(7) of a take, shared by a take and its resume.
struct Shape<'a> {
    repo: &'a Repo,
    id: &'a WoId,
    opts: &'a TakeOptions,
    record: &'a Record,
    branch: &'a str,
    base: ObjectId,
    worktree_rel: &'a str,
    yaml_from: PathBuf,
    yaml_bytes: Vec<u8>,
    /// A resume reuses (and repairs) what the interrupted take made.
    resuming: bool,
    /// A steal or a resume rewrites the `.lock` file instead of creating it.
    replace_lock: bool,
}

impl Shape<'_> {
    /// Where the worktree goes: `<worktree dir>/<ID>`.
    fn worktree_path(&self) -> PathBuf {
        crate::git::repo::canonical(&self.repo.worktree_root()).join(self.id.as_str())
    }

    /// The lease of the record (a new one only if the record has none).
    fn lease(&self) -> Lease {
        self.record
            .lock
            .as_deref()
            .cloned()
            .unwrap_or_else(|| Lease {
                owner: self.opts.owner.clone(),
                session: new_session_id(),
                host: crate::host::hostname(),
                pid: std::process::id(),
                acquired_at: crate::clock::now(),
                renewed_at: crate::clock::now(),
                expires_at: crate::clock::now() + self.opts.lease,
                clone: crate::ops::clone_id::ensure(self.repo),
            })
    }

    /// Plan (2), the steps: the record write `first_action` (claim, steal, or the
    /// resume's lease refresh), then branch, worktree, session, YAML move, `.lock`,
    /// intent marker and phase active. Every step is idempotent, so a resume runs the
    /// same plan. The claim is decided on the remote too: published right after it is
    /// made locally (losing there undoes the take), and the finished take after it.
    fn plan(&self, first_action: &'static str) -> Plan {
        let lease = self.lease();
        let intent = marker::intent(self.id.as_str(), self.record.title());
        let path = self.worktree_path();
        let active = Record {
            phase: Phase::Active,
            updated_at: crate::clock::now(),
            ..self.record.clone()
        };
        let claim = OrderYaml::Bytes(self.yaml_bytes.clone());
        let mut steps = vec![self.record_write(self.record.clone(), claim, first_action, vec![])];
        steps.extend(self.checkout(path, &lease));
        steps.extend(self.place(&lease));
        steps.push(Step::Marker {
            target: self.base,
            line: intent.clone(),
        });
        steps.push(self.record_write(active, OrderYaml::Placed, "take", vec![intent]));
        let remote = self.opts.remote.as_deref();
        if let Some(p) = journal::publish(remote, true) {
            steps.insert(1, p);
        }
        steps.extend(journal::publish(remote, false));
        Plan {
            id: self.id.clone(),
            op: "take",
            steps,
            recovery: if self.resuming {
                Recovery::RollForward
            } else {
                Recovery::Undo
            },
        }
    }

    /// A record transition of this take.
    fn record_write(
        &self,
        record: Record,
        yaml: OrderYaml,
        action: &'static str,
        lines: Vec<String>,
    ) -> Step {
        Step::Record(Box::new(RecordWrite {
            record,
            yaml,
            action,
            owner: self.opts.owner.clone(),
            lines,
            parent: Parent::Previous,
            fixed_time: false,
            evidence: None,
        }))
    }

    /// The branch (created at the base unless it exists), the worktree on it
    /// (git-locked for this take, repaired on a resume) and the holder's session.
    fn checkout(&self, path: PathBuf, lease: &Lease) -> [Step; 3] {
        [
            Step::CreateBranch {
                name: self.branch.to_owned(),
                at: self.base,
            },
            Step::AddWorktree {
                path: path.clone(),
                branch: self.branch.to_owned(),
                reason: crate::model::lock_reason::format(self.id.as_str(), self.record.token),
                repair: self.resuming,
            },
            Step::WriteSession {
                path,
                session: Session {
                    id: self.id.to_string(),
                    session: lease.session.clone(),
                    token: self.record.token,
                },
            },
        ]
    }

    /// The YAML into running/ with the take's fields (a resumed take keeps the
    /// `started_at` it wrote), and the `.lock`.
    fn place(&self, lease: &Lease) -> [Step; 2] {
        let started = current_or_now(&self.yaml_bytes, lease.acquired_at);
        [
            Step::PlaceYaml {
                from: self.yaml_from.clone(),
                bytes: self.yaml_bytes.clone(),
                to: State::Running,
                edits: vec![
                    ("status".into(), "running".into()),
                    ("owner".into(), self.opts.owner.clone()),
                    ("branch".into(), self.branch.to_owned()),
                    ("worktree".into(), self.worktree_rel.to_owned()),
                    ("started_at".into(), started),
                ],
            },
            Step::CreateLock {
                text: LockFile::render(lease.acquired_at, lease.pid, &lease.owner, &lease.host),
                replace: self.replace_lock,
            },
        ]
    }

    /// Report: what was claimed, where, until when.
    fn outcome(&self, applied: &Applied) -> Result<TakeOutcome> {
        let lease = self
            .record
            .lock
            .as_ref()
            .context("claimed record has no lock")?;
        Ok(TakeOutcome {
            schema: "git-wo.take.v1",
            id: self.id.to_string(),
            owner: self.opts.owner.clone(),
            token: self.record.token,
            branch: self.branch.to_owned(),
            branch_created: applied.branch_created,
            base: self.base.to_string(),
            worktree: applied
                .worktree
                .as_ref()
                .map_or_else(|| self.worktree_path(), |w| w.path.clone()),
            worktree_created: applied.worktree_created,
            yaml: applied
                .yaml
                .clone()
                .unwrap_or_else(|| self.yaml_from.clone()),
            lease_expires_at: lease.expires_at,
            stolen_from: None,
            leftovers: Vec::new(),
            forced: false,
            mirrored: Vec::new(),
            resumed: self.resuming,
        })
    }
}

/// Keep a `started_at` already written (a resumed take), else use the claim time.
fn current_or_now(yaml: &[u8], now: DateTime<Utc>) -> String {
    let existing = serde_yaml::from_slice::<serde_yaml::Value>(yaml)
        .ok()
        .and_then(|v| {
            v.get("started_at")
                .and_then(|s| s.as_str().map(str::to_owned))
        });
    existing.unwrap_or_else(|| crate::model::when::shown(now))
}

/// `take --resume`: roll an interrupted take (phase taking) of the same owner forward,
/// only when the process that started it is gone (lease expired, or dead on this host):
/// decide ([`refuse_resume`]), plan the same [`Shape`] as the take with the lease
/// refreshed for this process (same token, same session), apply, report.
fn resume(
    repo: &Repo,
    inv: &Inventory,
    view: &WoView<'_>,
    opts: &TakeOptions,
) -> Result<TakeOutcome> {
    let id = &opts.id;
    let (stored, lock) = refuse_resume(inv, view, opts)?;
    let r = &stored.record;
    let file = view
        .files()
        .first()
        .copied()
        .with_context(|| format!("{id}: no YAML to resume with"))?;
    let now = crate::clock::now();
    let record = Record {
        lock: Some(Box::new(Lease {
            pid: std::process::id(),
            renewed_at: now,
            expires_at: now + opts.lease,
            ..lock.clone()
        })),
        updated_at: now,
        ..r.clone()
    };
    // The record's branch first (the same as `record.branch`), validated like a take's.
    let branch = branch_of(repo, id, Some(stored), file)?;
    let base = match &record.base() {
        Some(b) => ObjectId::from_hex(b.as_bytes()).context("record base is not a sha")?,
        None => repo.resolve_commit(&repo.default_branch()?)?,
    };
    let worktree_rel = record
        .worktree()
        .as_ref()
        .map(|w| w.to_string())
        .unwrap_or_else(|| format!("{}/{id}", repo.worktree_dir()));
    let shape = Shape {
        repo,
        id,
        opts,
        record: &record,
        branch: &branch,
        base,
        worktree_rel: &worktree_rel,
        yaml_from: file.rel_path().to_path_buf(),
        yaml_bytes: file.bytes().to_vec(),
        resuming: true,
        replace_lock: true,
    };
    let plan = shape.plan("resume");
    let applied = Journal::new(repo, &inv.jobs_rel, Some(stored))
        .apply(&plan)
        .map_err(|e| resume_stopped(id, e))?;
    shape.outcome(&applied)
}

/// Decide a resume: a record in phase taking (an interrupted finish is carried on by
/// finish), of this owner, whose process is gone. The record and its lease.
fn refuse_resume<'v>(
    inv: &Inventory,
    view: &'v WoView<'_>,
    opts: &TakeOptions,
) -> Result<(&'v Stored, &'v Lease)> {
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
        let fix = match journal::in_flight_fix(id, r) {
            Some(fix) => fix,
            None => format!("git wo show {id}"),
        };
        return Err(WoError::usage(format!(
            "{id}: no interrupted take (phase {})",
            r.phase.as_str()
        ))
        .fix(fix)
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
            crate::error::shell_quote(&lock.owner)
        ))
        .into());
    }
    if !journal::holder_gone(r, inv.now) {
        return Err(WoError::conflict(format!(
            "{id}: its take is still running: pid {} on {} ({}), {}",
            lock.pid,
            lock.host,
            lock.owner,
            crate::model::when::lease(lock.expires_at, inv.now)
        ))
        .fix(format!("wait for it to finish: git wo show {id}"))
        .into());
    }
    Ok((stored, lock))
}

/// A resume that failed: it stopped (its phase is still taking), with the step's fix
/// or the rerun.
fn resume_stopped(id: &WoId, e: anyhow::Error) -> anyhow::Error {
    crate::error::stopped(id.as_str(), "resume", &e, || {
        format!("fix the cause, then: git wo take {id} --resume")
    })
    .into()
}
