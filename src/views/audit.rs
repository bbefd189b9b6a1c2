//! `audit`: every finding of SPEC §6, a pure function of the [`Inventory`].

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::shell_quote as q;
use crate::git::worktrees::{Head, Worktree};
use crate::inventory::{Inventory, WoMap, WoView};
use crate::model::finding::{Code, Finding, Subject};
use crate::model::lock_reason;
use crate::model::record::Phase;
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::views::precedence::winning_state;

/// The JSON report, in the shape of the original auditor (SPEC §6).
#[derive(Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub audit_timestamp: String,
    pub repo_root: String,
    pub git_head: Option<String>,
    pub summary: Summary,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub total_findings: usize,
    pub by_code: BTreeMap<String, usize>,
    pub by_severity: BTreeMap<String, usize>,
    pub worktrees_active: usize,
    pub wos_total_unique: usize,
    pub running_yamls: Vec<String>,
    pub locks_active: Vec<String>,
    /// Live WO YAML files (a split-brain WO counts once per copy).
    pub yamls_total: usize,
}

pub fn report(inv: &Inventory, findings: Vec<Finding>) -> Report {
    let mut by_code = BTreeMap::new();
    let mut by_severity: BTreeMap<String, usize> = ["P0", "P1", "P2"]
        .iter()
        .map(|s| (s.to_string(), 0))
        .collect();
    for f in &findings {
        *by_code.entry(f.code.as_str().to_owned()).or_insert(0) += 1;
        *by_severity
            .entry(f.severity.as_str().to_owned())
            .or_insert(0) += 1;
    }
    let live = inv.files.iter().filter(|f| f.is_live());
    let yamls_total = live.clone().count();
    let wos_total_unique = live
        .clone()
        .filter_map(|f| f.id.as_ref())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let running_yamls = live
        .filter(|f| f.folder == State::Running)
        .map(|f| inv.rel(&f.rel_path))
        .collect();
    Report {
        schema: "git-wo.audit.v1",
        audit_timestamp: inv.now.to_rfc3339(),
        repo_root: inv.control_root.to_string_lossy().into_owned(),
        git_head: inv.git_head.clone(),
        summary: Summary {
            total_findings: findings.len(),
            by_code,
            by_severity,
            worktrees_active: inv.worktrees.iter().filter(|w| w.exists).count(),
            wos_total_unique,
            running_yamls,
            locks_active: inv.locks.iter().map(|l| l.id.to_string()).collect(),
            yamls_total,
        },
        findings,
    }
}

/// Every finding, ordered by severity, code, WO.
pub fn audit(inv: &Inventory) -> Vec<Finding> {
    let mut out = Vec::new();
    file_findings(inv, &mut out);
    let t = crate::trace::phase("audit: wos");
    let wos = inv.wos();
    drop(t);
    let t = crate::trace::phase("audit: wo findings");
    for (id, view) in &wos {
        wo_findings(inv, id, view, &mut out);
    }
    drop(t);
    let _t = crate::trace::phase("audit: the rest");
    worktree_findings(inv, &wos, &mut out);
    hook_findings(inv, &mut out);
    repo_lock_findings(inv, &mut out);
    for bad in &inv.bad_records {
        let id = bad
            .ref_name
            .strip_prefix(crate::inventory::records::PREFIX)
            .map(str::to_owned);
        out.push(Finding::new(
            Code::InvalidRecord,
            id.as_deref(),
            format!("{} cannot be read: {}", bad.ref_name, bad.why),
            format!(
                "git log {} (inspect it; restore with git update-ref)",
                bad.ref_name
            ),
            vec![bad.ref_name.clone()],
        ));
    }
    for (id, path, what) in &inv.odd_locks {
        let path = inv.rel(path);
        out.push(Finding::new(
            Code::InvalidLock,
            Some(id.as_str()),
            format!("{path} is {what}, not a lock file; git-wo never follows or deletes it"),
            format!(
                "look at it, then move it out of the jobs dir: mv -- {} /tmp/",
                q(&path)
            ),
            vec![path],
        ));
    }
    for path in &inv.leftovers {
        let shown = inv.rel(path);
        let what = if shown.ends_with(".tmp") {
            "a temp file left by a killed git-wo"
        } else {
            "a ref lock left by a killed git process (it blocks updates of that ref)"
        };
        out.push(Finding::new(
            Code::LeftoverFile,
            None,
            format!("{shown} is {what}"),
            format!(
                "make sure no git or git-wo is running, then: rm -- {}",
                q(&path.to_string_lossy())
            ),
            vec![shown],
        ));
    }
    out.sort_by(|a, b| {
        (a.severity, a.code, &a.wo_id, &a.paths).cmp(&(b.severity, b.code, &b.wo_id, &b.paths))
    });
    out
}

/// `stale_repo_lock`: gc's repository lock with no live holder (every `gc --apply`
/// would stop at it, or, when it is not a regular file, always will).
fn repo_lock_findings(inv: &Inventory, out: &mut Vec<Finding>) {
    let Some(lock) = &inv.repo_lock else {
        return;
    };
    let path = lock.path.to_string_lossy();
    let (message, hint) = match (lock.not_a_file, &lock.stale) {
        (Some(what), _) => (
            format!("{path} is {what}, not a lock file: every git wo gc --apply stops at it"),
            format!("look at it, then move it away: mv -- {} /tmp/", q(&path)),
        ),
        (None, Some(why)) => (
            format!("{path} is held by nobody: {why} ({})", lock.holder.shown()),
            format!(
                "rm -- {} (or let the next git wo gc --apply take it over)",
                q(&path)
            ),
        ),
        (None, None) => return,
    };
    out.push(Finding::new(
        Code::StaleRepoLock,
        None,
        message,
        hint,
        vec![path.into_owned()],
    ));
}

fn file_findings(inv: &Inventory, out: &mut Vec<Finding>) {
    for f in &inv.files {
        if let Some(problem) = &f.problem {
            if f.archived {
                continue;
            }
            let path = inv.rel(&f.rel_path);
            let id = f.id.as_ref().map(|i| i.as_str());
            out.push(Finding::new(
                Code::InvalidYaml,
                id,
                format!("{path}: {problem}"),
                format!(
                    "fix {} by hand (or move it out of {}), then: git wo lint",
                    q(&path),
                    q(&inv.jobs_rel)
                ),
                vec![path],
            ));
            continue;
        }
        if f.archived {
            continue;
        }
        match f.status() {
            Ok(s) if s == f.folder => {}
            other => {
                let path = inv.rel(&f.rel_path);
                let said = match other {
                    Ok(s) => format!("`status: {s}`"),
                    Err(Some(raw)) => format!("`status: {}`", crate::model::wo_id::printable(&raw)),
                    Err(None) => "no `status:`".to_owned(),
                };
                let id = f.id.as_ref().map(|i| i.as_str());
                out.push(
                    Finding::new(
                        Code::StatusMismatch,
                        id,
                        format!("{} is in {}/ but says {said}", id.unwrap_or("?"), f.folder),
                        format!(
                            "git wo reconcile --apply (sets `status: {}` in {})",
                            f.folder,
                            q(&path)
                        ),
                        vec![path.clone()],
                    )
                    .about(Subject {
                        copies: vec![path],
                        winner: Some(f.folder),
                        ..Subject::default()
                    }),
                );
            }
        }
    }
}

fn wo_findings(inv: &Inventory, id: &WoId, v: &WoView<'_>, out: &mut Vec<Finding>) {
    let paths = |files: &[&crate::model::order::OrderFile]| {
        files
            .iter()
            .map(|f| inv.rel(&f.rel_path))
            .collect::<Vec<_>>()
    };
    let record = v.record.map(|s| &s.record);
    let running = v.states.contains(&State::Running);

    if v.is_split_brain() {
        let states: Vec<&str> = v.states.iter().map(|s| s.as_str()).collect();
        let keep = winning_state(inv, v);
        let losers: Vec<String> = v
            .files
            .iter()
            .filter(|f| Some(f.folder) != keep)
            .map(|f| inv.rel(&f.rel_path))
            .collect();
        out.push(
            Finding::new(
                Code::SplitBrain,
                Some(id.as_str()),
                format!("{id} is in {} at once", states.join(" and ")),
                format!(
                    "git wo reconcile --apply (keeps the {} copy; {} go to quarantine)",
                    keep.map_or("winning", |s| s.as_str()),
                    quoted(&losers)
                ),
                paths(&v.files),
            )
            .about(Subject {
                copies: paths(&v.files),
                winner: keep,
                ..Subject::default()
            }),
        );
    }
    for state in &v.states {
        // Archived copies in the same state folder count as duplicates (never as state).
        let copies = || {
            v.files
                .iter()
                .chain(v.archived.iter())
                .copied()
                .filter(move |f| f.folder == state)
        };
        if copies().nth(1).is_some() {
            let in_state: Vec<_> = copies().collect();
            let archived = in_state.iter().filter(|f| f.archived).count();
            out.push(Finding::new(
                Code::DuplicateYaml,
                Some(id.as_str()),
                format!(
                    "{id} has {} files in {state}/{}",
                    in_state.len(),
                    if archived > 0 {
                        format!(" ({archived} archived)")
                    } else {
                        String::new()
                    }
                ),
                format!(
                    "git wo reconcile --apply (keeps one; the others go to quarantine: {})",
                    quoted(&paths(&in_state[1..]))
                ),
                paths(&in_state),
            ));
        }
    }

    let lease_end = inv.lease_end(v);
    let in_flight = record.is_some_and(|r| r.phase.in_flight());
    let live_record_lock = record.and_then(|r| r.live_lock(inv.now)).is_some();

    // The running family is reported for a split-brain WO too (its running copy is
    // still a running copy, and the original auditor counts it); the fix then starts
    // with the split-brain.
    let first = if v.is_split_brain() {
        "resolve the split-brain first (see split_brain), then: "
    } else {
        ""
    };
    if running {
        if v.lock.is_none() && !live_record_lock && !in_flight {
            let running_copy: Vec<String> = v
                .files
                .iter()
                .filter(|f| f.folder == State::Running)
                .map(|f| inv.rel(&f.rel_path))
                .collect();
            out.push(Finding::new(
                Code::RunningWithoutLock,
                Some(id.as_str()),
                format!("{id} is running but has no .lock file and no live record lock"),
                if v.worktrees.iter().any(|w| w.exists) {
                    "git wo reconcile --apply (its worktree is live: recreates the lock)".to_owned()
                } else {
                    format!(
                        "{first}git wo reconcile --apply --force (no live worktree: requeues it), or git wo requeue {id} --reason \"no lock, no worktree\""
                    )
                },
                running_copy,
            ));
        }
        if let Some(end) = lease_end
            && end <= inv.now
            && !in_flight
        {
            let mut p: Vec<String> = v.lock.map(|l| inv.rel(&l.rel_path)).into_iter().collect();
            p.extend(paths(&v.files));
            out.push(Finding::new(
                Code::StaleLock,
                Some(id.as_str()),
                format!("{id}'s lease expired at {}", crate::model::when::shown(end)),
                format!(
                    "{first}git wo gc --apply (releases it: pending again, branch kept), or git wo take {id} --steal"
                ),
                p,
            ));
        }
        let has_worktree = v.worktrees.iter().any(|w| w.exists);
        let elsewhere = v.record.is_some_and(|s| inv.held_elsewhere(&s.record));
        if !has_worktree && !in_flight && !elsewhere {
            out.push(Finding::new(
                Code::RunningWithoutWorktree,
                Some(id.as_str()),
                format!("{id} is running but its worktree is missing"),
                format!("{first}git wo requeue {id} --reason \"worktree lost\""),
                v.files
                    .iter()
                    .filter(|f| f.folder == State::Running)
                    .map(|f| inv.rel(&f.rel_path))
                    .collect(),
            ));
        }
        if inv.fail_verdicts.contains(id.as_str()) {
            out.push(Finding::new(
                Code::FailButRunning,
                Some(id.as_str()),
                format!("_ctx/logs/{id}/verdict.json says FAIL but {id} is still running"),
                format!("{first}git wo finish {id} --result failed"),
                vec![format!("_ctx/logs/{id}/verdict.json")],
            ));
        }
    }

    if let Some(lock) = v.lock
        && !running
    {
        out.push(
            Finding::new(
                Code::LockWithoutRunning,
                Some(id.as_str()),
                format!(
                    "{} exists but {id} is {}",
                    inv.rel(&lock.rel_path),
                    v.single_state()
                        .map_or("in no state folder".to_owned(), |s| format!(
                            "{s}, not running"
                        ))
                ),
                format!(
                    "git wo reconcile --apply (moves {} to quarantine)",
                    q(&inv.rel(&lock.rel_path))
                ),
                vec![inv.rel(&lock.rel_path)],
            )
            .about(Subject {
                copies: paths(&v.files),
                winner: v.single_state(),
                lock_file: Some(inv.rel(&lock.rel_path)),
                ..Subject::default()
            }),
        );
    }

    if let Some(r) = record {
        if let Some(lease) = &r.lock {
            let file_user = v.lock.and_then(|l| l.user.clone());
            let git_token = v
                .worktrees
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
            if let Some(t) = git_token
                && t != r.token
            {
                why.push(format!(
                    "git worktree lock has token {t}, record has {}",
                    r.token
                ));
            }
            if !why.is_empty() {
                let mut p: Vec<String> = v.lock.map(|l| inv.rel(&l.rel_path)).into_iter().collect();
                p.push(crate::inventory::records::ref_name(id.as_str()));
                out.push(Finding::new(
                    Code::LockMismatch,
                    Some(id.as_str()),
                    format!("{id}: holders disagree: {}", why.join("; ")),
                    format!("git wo show {id}; the holder runs git wo heartbeat {id} to rewrite the locks"),
                    p,
                ));
            }
        }
        // A WO another clone took: its YAML move comes with the next `git pull`.
        let lagging = inv.held_elsewhere(r) && v.single_state() == Some(State::Pending);
        if let Some(state) = v.single_state()
            && state != r.state
            && !r.phase.in_flight()
            && !lagging
        {
            out.push(Finding::new(
                Code::StateMismatch,
                Some(id.as_str()),
                format!("record says {id} is {}, its YAML is in {state}/", r.state),
                format!(
                    "git wo reconcile --apply (the record is the truth: moves {} to {}/{}/)",
                    quoted(&paths(&v.files)),
                    inv.jobs_rel,
                    r.state
                ),
                paths(&v.files),
            ));
        }
        if v.files.is_empty() {
            let ref_name = crate::inventory::records::ref_name(id.as_str());
            out.push(Finding::new(
                Code::OrphanRecord,
                Some(id.as_str()),
                format!("{id} has a record ({}) but no YAML", r.state),
                format!(
                    "git wo reconcile --apply (restores {}/{}/{id}.yaml from {ref_name})",
                    inv.jobs_rel, r.state
                ),
                vec![ref_name],
            ));
        }
        if inv.interrupted(id, v) {
            let expired = lease_end.is_none_or(|end| end <= inv.now);
            let (what, fix) = match r.phase {
                Phase::Taking => (
                    "take",
                    format!(
                        "git wo take {id} --resume (its owner), or git wo reconcile --apply (rolls it back)"
                    ),
                ),
                _ => (
                    "finish",
                    "git wo reconcile --apply (completes it with the recorded verdict)".to_owned(),
                ),
            };
            out.push(Finding::new(
                Code::InterruptedTransition,
                Some(id.as_str()),
                format!(
                    "{id}: a {what} (token {}) was interrupted{}",
                    r.token,
                    if expired {
                        ": its lease expired"
                    } else {
                        ": its process is gone"
                    }
                ),
                fix,
                vec![crate::inventory::records::ref_name(id.as_str())],
            ));
        }
        // A requeued WO (pending again) is not "taken" any more: its interrupted take
        // may never have reached the marker.
        // (A take in another clone: its marker comes with the next `git wo sync`.)
        if r.token > 0
            && r.phase != Phase::Taking
            && r.state != State::Pending
            && !inv.intent_marked.contains(id.as_str())
            && !inv.held_elsewhere(r)
        {
            let base = r.base.clone().unwrap_or_else(|| "<base>".into());
            out.push(Finding::new(
                Code::MissingIntentMarker,
                Some(id.as_str()),
                format!("{id} was taken by git-wo but has no intent marker"),
                format!(
                    "git notes --ref=wo append -m {} {}",
                    q(&crate::model::marker::intent(id.as_str(), &r.title)),
                    q(&base)
                ),
                vec![crate::inventory::records::ref_name(id.as_str())],
            ));
        }
    } else if inv.initialized && !v.files.is_empty() {
        out.push(Finding::new(
            Code::Unmirrored,
            Some(id.as_str()),
            format!("{id} has no record under refs/wo/orders"),
            "git wo reconcile --apply, or git wo init (imports missing records; safe to rerun)"
                .to_owned(),
            paths(&v.files),
        ));
    }
}

/// `hooks_missing`: in an initialised repository, the gate hooks are not installed, or
/// cannot run (a `core.hooksPath` naming a missing folder, `git-wo` not on `PATH`).
fn hook_findings(inv: &Inventory, out: &mut Vec<Finding>) {
    use crate::model::config::GateHooks;
    let h = &inv.hooks;
    if !inv.initialized || h.expected == GateHooks::None || h.dir.as_os_str().is_empty() {
        return;
    }
    let dir = h.dir.to_string_lossy().into_owned();
    let missing = h.missing();
    let (message, hint) = if !h.dir_exists && h.configured.is_some() {
        (
            format!(
                "core.hooksPath is {}, a folder that does not exist: git runs no hook at all",
                h.configured.as_deref().unwrap_or_default()
            ),
            "git wo install-hooks (creates it)".to_owned(),
        )
    } else if h.expected == GateHooks::Framework && !missing.is_empty() {
        (
            format!("wo.gate.hooks is framework but {dir} has no pre-commit hook"),
            "pre-commit install --hook-type pre-commit --hook-type commit-msg --hook-type post-commit (or prek install with the same options)".to_owned(),
        )
    } else if h.expected == GateHooks::Framework && !h.framework_configured {
        (
            "wo.gate.hooks is framework but .pre-commit-config.yaml does not name the wo-gate hook"
                .to_owned(),
            "add the wo-gate hooks to .pre-commit-config.yaml (see README: pre-commit and prek)"
                .to_owned(),
        )
    } else if !missing.is_empty() {
        (
            format!(
                "the git-wo hooks are not installed in {dir}: {}",
                missing.join(", ")
            ),
            "git wo install-hooks".to_owned(),
        )
    } else if !h.on_path {
        (
            "the gate hooks are installed but git-wo is not on PATH, so they refuse every commit"
                .to_owned(),
            "put git-wo on PATH (see README: Install), or: git wo uninstall-hooks".to_owned(),
        )
    } else {
        return;
    };
    out.push(Finding::new(
        Code::HooksMissing,
        None,
        message,
        hint,
        vec![dir],
    ));
}

/// Paths for a shell command line: each quoted, space-separated.
fn quoted(paths: &[String]) -> String {
    paths.iter().map(|p| q(p)).collect::<Vec<_>>().join(" ")
}

fn worktree_findings(inv: &Inventory, wos: &WoMap<'_>, out: &mut Vec<Finding>) {
    // The owners `wos` already resolved (resolving canonicalizes every WO's worktree path).
    let owners: Vec<(&Worktree, WoId)> = wos
        .iter()
        .flat_map(|(id, v)| v.worktrees.iter().map(move |w| (*w, id.clone())))
        .collect();
    for wt in inv.worktrees.iter().filter(|w| !w.is_main && !w.exists) {
        let id = owners
            .iter()
            .find(|(w, _)| w.admin_dir == wt.admin_dir)
            .map(|(_, id)| id.clone());
        let unlock = if wt.locked.is_some() {
            format!("git worktree unlock {} && ", q(&wt.path.to_string_lossy()))
        } else {
            String::new()
        };
        out.push(
            Finding::new(
                Code::PrunableWorktree,
                id.as_ref().map(|i| i.as_str()),
                format!(
                    "worktree metadata {} points at {}, which is gone",
                    wt.admin_dir.display(),
                    wt.path.display()
                ),
                if unlock.is_empty() {
                    "git wo gc --apply (prunes it)".to_owned()
                } else {
                    format!("{unlock}git worktree prune")
                },
                vec![wt.path.to_string_lossy().into_owned()],
            )
            .about(Subject {
                worktree: Some(wt.path.clone()),
                ..Subject::default()
            }),
        );
    }
    for (wt, id) in owners {
        if !wt.exists {
            continue;
        }
        let path = wt.path.to_string_lossy().into_owned();
        let Some(view) = wos.get(&id) else { continue };
        let qp = q(&path);
        if view.files.is_empty() && view.record.is_none() {
            out.push(Finding::new(
                Code::GhostWorktree,
                Some(id.as_str()),
                format!("worktree {path} is for {id}, which has no YAML and no record"),
                "git wo gc --apply (removes it when it holds no work; git wo gc shows why it would keep it)".to_owned(),
                vec![path],
            ).about(Subject { worktree: Some(wt.path.clone()), ..Subject::default() }));
            continue;
        }
        let terminal = if view.files.is_empty() {
            view.record.is_some_and(|s| s.record.state.is_terminal())
        } else {
            !view.is_split_brain() && view.states.iter().all(|s| s.is_terminal())
        };
        if terminal {
            let state = view.single_state().or(view.record.map(|s| s.record.state));
            out.push(Finding::new(
                Code::ZombieWorktree,
                Some(id.as_str()),
                format!("worktree {path} is still there but {id} is {}", state.map_or("closed", |s| s.as_str())),
                "git wo gc --apply (removes it when it holds no work; git wo gc shows why it would keep it)".to_owned(),
                vec![path.clone()],
            ).about(Subject {
                copies: view.files.iter().map(|f| inv.rel(&f.rel_path)).collect(),
                winner: state,
                worktree: Some(wt.path.clone()),
                ..Subject::default()
            }));
        }
        let expected = inv.expected_branch(&id, view);
        let on = match &wt.head {
            Head::Branch(b) if *b == expected => continue,
            Head::Branch(b) => b.clone(),
            Head::Detached(sha) => format!("a detached HEAD ({})", &sha[..sha.len().min(12)]),
            Head::Unknown => "an unreadable HEAD".to_owned(),
        };
        if !terminal {
            out.push(Finding::new(
                Code::BranchMismatch,
                Some(id.as_str()),
                format!("worktree {path} of {id} is on {on}, not {expected}"),
                format!("git -C {qp} switch -- {}", q(&expected)),
                vec![path],
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::audit;
    use crate::inventory::Inventory;
    use crate::model::finding::Code;
    use crate::model::order::OrderFile;
    use crate::model::state::State;

    fn file(state: State, name: &str, yaml: &str) -> OrderFile {
        OrderFile::in_folder(state, name, yaml)
    }

    /// Views are pure functions of the inventory: built here without git.
    #[test]
    fn split_brain_names_its_copies_and_the_winner() {
        let files = vec![
            file(
                State::Pending,
                "WO-0001.yaml",
                "id: WO-0001\nstatus: pending\n",
            ),
            file(
                State::Done,
                "WO-0001.yaml",
                "id: WO-0001\nstatus: done\nfinished_at: 2026-01-01T00:00:00Z\n",
            ),
            file(
                State::Pending,
                "WO-0002.yaml",
                "id: WO-0002\nstatus: running\n",
            ),
        ];
        let inv = Inventory::from_files(Path::new("/repo"), files, chrono::Utc::now());
        let findings = audit(&inv);
        let split = findings
            .iter()
            .find(|f| f.code == Code::SplitBrain)
            .expect("split_brain");
        assert_eq!(split.wo_id.as_deref(), Some("WO-0001"));
        assert_eq!(split.subject.winner, Some(State::Done));
        assert_eq!(split.subject.copies.len(), 2);
        let mismatch = findings
            .iter()
            .find(|f| f.code == Code::StatusMismatch)
            .expect("status_mismatch");
        assert_eq!(mismatch.wo_id.as_deref(), Some("WO-0002"));
        assert_eq!(mismatch.subject.winner, Some(State::Pending));
        assert_eq!(findings.len(), 2, "{findings:?}");
    }
}
