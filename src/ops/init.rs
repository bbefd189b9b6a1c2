//! `init`: write the config of SPEC §2, exclude runtime files, create the jobs folders,
//! and import every YAML WO without a record. Imports are deterministic (fixed author,
//! committer and date), so clones importing the same YAML create the same record.
//! Idempotent: existing config and records are left as they are.

use std::fs;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::WoError;
use crate::git::Repo;
use crate::git::command::git;
use crate::inventory::{Depth, Inventory, Source, WoView};
use crate::model::record::{Lease, Phase, Record};
use crate::model::state::State;
use crate::ops::jobs::Jobs;
use crate::ops::journal::{self, OrderYaml, Parent, Plan, RecordWrite, Recovery, Step};

#[derive(Debug, Serialize)]
pub struct Initialized {
    pub schema: &'static str,
    pub config_set: Vec<String>,
    pub excluded: Vec<String>,
    pub imported: Vec<String>,
    pub already_mirrored: usize,
    pub refused_split_brain: Vec<String>,
    /// Records fetched from `wo.remote` before importing (imported only what it lacks).
    pub fetched: Vec<String>,
    /// What `--hooks` installed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hooks: Option<crate::ops::hooks::install::HooksReport>,
}

/// The date of every import commit and record (deterministic imports).
fn import_time() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// `create`: make the jobs dir when there is none (otherwise that is refused, so a
/// mistyped `--root` or `wo.jobsDir` does not start an empty WO system).
pub fn init(repo: &Repo, create: bool) -> Result<Initialized> {
    let root = &repo.control_root;
    // Validate the jobs dir before changing anything (a file or a symlinked folder is exit 2).
    let rel = repo.jobs_rel();
    if !crate::inventory::check_jobs_dir(root, &rel)? && !create {
        return Err(WoError::usage(format!(
            "there is no {rel} in {}: nothing to import, and no WO system here yet",
            root.display()
        ))
        .fix(format!(
            "git wo init --create (creates {rel}/{{pending,running,done,failed}}), or point git-wo at the right folder: --root DIR or git config wo.jobsDir <path>"
        ))
        .into());
    }
    let mut config_set = Vec::new();
    // Current values come from the configuration as read at start (no `git config`
    // process per key); only missing values are written.
    let mut set = |key: &str, value: &str| -> Result<()> {
        if !repo.config_values(key).iter().any(|l| l == value) {
            let multi = key == "notes.rewriteRef" || key.ends_with(".fetch");
            let args: Vec<&str> = if multi {
                vec!["config", "--add", key, value]
            } else {
                vec!["config", key, value]
            };
            git(root, &args)?;
            config_set.push(format!("{key}={value}"));
        }
        Ok(())
    };
    set("notes.rewriteRef", crate::git::notes::NOTES_REF)?;
    set("notes.rewrite.amend", "true")?;
    set("notes.rewrite.rebase", "true")?;
    set("notes.wo.mergeStrategy", "cat_sort_uniq")?;
    let remotes = repo.remote_names();
    let remote = repo
        .config_values("wo.remote")
        .pop()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| {
            remotes
                .iter()
                .any(|r| r == "origin")
                .then(|| "origin".to_owned())
        });
    if let Some(r) = remote.filter(|r| remotes.iter().any(|l| l == r)) {
        set(
            &format!("remote.{r}.fetch"),
            &format!("+refs/wo/*:refs/remotes/{r}/wo/*"),
        )?;
        set(
            &format!("remote.{r}.fetch"),
            &format!("+refs/notes/wo:refs/notes/remotes/{r}/wo"),
        )?;
    }
    set("wo.initialized", "true")?;

    let excluded = exclude(repo)?;
    let jobs = Jobs::new(root, &repo.jobs_rel());
    jobs.ensure_dirs()?;

    // With a remote, what it has already is fetched first: only what it lacks is
    // imported here. Unreachable, it is a warning: imports are deterministic, so a
    // later sync finds the same records.
    let fetched = match &repo.config.remote {
        Some(remote) => match crate::ops::sync::sync(repo, remote, false) {
            Ok(r) => r.fetched,
            Err(e) => {
                eprintln!(
                    "warning: could not fetch the records of {remote} first: {} (git wo sync {remote} later)",
                    crate::error::classify(&e)
                );
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    // The bytes are imported; the views init reads need no mapping.
    let inv = Inventory::gather(repo, Source::WorkingTree, Depth::Bytes)?;
    // Every unreadable record is named, before anything is imported.
    let bad: Vec<WoError> = inv
        .bad_records
        .iter()
        .map(|b| {
            let id = b
                .ref_name
                .strip_prefix(crate::inventory::records::PREFIX)
                .unwrap_or(&b.ref_name);
            WoError::bad_record(id, &b.why)
        })
        .collect();
    if let Some(first) = bad.first() {
        let all: Vec<String> = bad.iter().map(|e| e.message.clone()).collect();
        return Err(WoError::invalid_record(all.join("\n"))
            .fix(first.fix.clone().unwrap_or_default())
            .into());
    }
    let mut imported = Vec::new();
    let mut refused = Vec::new();
    let mut already = 0;
    let mut plans = Vec::new();
    for (id, view) in inv.wos() {
        if view.record.is_some() {
            already += 1;
            continue;
        }
        if view.files.is_empty() {
            continue;
        }
        if view.is_split_brain() {
            refused.push(id.to_string());
            continue;
        }
        plans.push(import_plan(&inv, &id, &view, "init"));
    }
    let results = journal::apply_imports(repo, &inv.jobs_rel, &plans);
    let mut lost = Vec::new();
    for (plan, result) in plans.iter().zip(results) {
        match result {
            Ok(_) => imported.push(plan.id.to_string()),
            // Someone else created the record first: it is mirrored, just not by us.
            Err(e) if crate::error::classify(&e).kind == crate::error::Kind::Conflict => {
                already += 1;
            }
            Err(e) => lost.push(e),
        }
    }
    if let Some(e) = lost.into_iter().next() {
        return Err(e);
    }
    Ok(Initialized {
        fetched,
        hooks: None,
        schema: "git-wo.init.v1",
        config_set,
        excluded,
        imported,
        already_mirrored: already,
        refused_split_brain: refused,
    })
}

/// The plan that imports a WO (one live YAML, no record) into a record.
fn import_plan(
    inv: &Inventory,
    id: &crate::model::wo_id::WoId,
    view: &WoView<'_>,
    op: &'static str,
) -> Plan {
    let file = view.files[0];
    let record = import_record(inv, view, file.folder, id.as_str());
    Plan {
        id: id.clone(),
        op,
        steps: vec![Step::Record(Box::new(RecordWrite {
            record,
            yaml: OrderYaml::Bytes(file.bytes.clone()),
            action: "import",
            owner: "git-wo".into(),
            lines: Vec::new(),
            parent: Parent::Previous,
            fixed_time: true,
            evidence: None,
        }))],
        recovery: Recovery::RollForward,
    }
}

/// In an initialised repository, import the WOs added since (a live YAML in one
/// folder, no record), except `skip` (the WO the command is acting on): the state
/// changes that follow init keep the mirror whole without a rerun of init. Best effort:
/// returns the ids imported; a failure is reported by the caller, never fatal.
pub fn mirror_new(
    repo: &Repo,
    inv: &Inventory,
    wos: &crate::inventory::WoMap<'_>,
    skip: Option<&crate::model::wo_id::WoId>,
) -> Result<Vec<String>> {
    if !repo.config.initialized {
        return Ok(Vec::new());
    }
    let plans: Vec<Plan> = wos
        .iter()
        .filter(|(id, v)| {
            Some(*id) != skip && v.record.is_none() && !v.files.is_empty() && !v.is_split_brain()
        })
        .map(|(id, v)| import_plan(inv, id, v, "mirror"))
        .collect();
    let results = journal::apply_imports(repo, &inv.jobs_rel, &plans);
    let mut done = Vec::new();
    for (plan, r) in plans.iter().zip(results) {
        match r {
            Ok(_) => done.push(plan.id.to_string()),
            Err(e) if crate::error::classify(&e).kind == crate::error::Kind::Conflict => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// The record of a WO as its YAML (and `.lock` file) describe it.
fn import_record(inv: &Inventory, view: &WoView<'_>, state: State, id: &str) -> Record {
    let file = view.files[0];
    let t0 = import_time();
    let mut r = Record::new(id, state, &file.title(), t0);
    r.branch = file.branch();
    r.worktree = file.worktree();
    if state == State::Running {
        r.phase = Phase::Active;
        r.lock = view.lock.map(|l| {
            let since = l.since().unwrap_or(t0);
            Box::new(Lease {
                owner: l.user.clone().unwrap_or_else(|| "unknown".into()),
                session: String::new(),
                host: l.host.clone().unwrap_or_default(),
                pid: l.pid.unwrap_or(0),
                acquired_at: since,
                renewed_at: since,
                expires_at: since + inv.lease,
                // Imports are the same in every clone: no clone of its own.
                clone: None,
            })
        });
    }
    r
}

/// `.git/info/exclude`: `.lock` files, and the worktree dir when it is inside the checkout.
fn exclude(repo: &Repo) -> Result<Vec<String>> {
    let mut wanted = vec![format!("/{}/running/*.lock", repo.jobs_rel())];
    let wt_root = crate::git::repo::canonical(&repo.worktree_root());
    if let Ok(inside) = wt_root.strip_prefix(&repo.control_root)
        && !inside.as_os_str().is_empty()
    {
        wanted.push(format!("/{}/", inside.to_string_lossy()));
    }
    let path = repo.common_dir.join("info").join("exclude");
    let current = fs::read_to_string(&path).unwrap_or_default();
    let missing: Vec<String> = wanted
        .into_iter()
        .filter(|w| !current.lines().any(|l| l.trim() == w))
        .collect();
    if missing.is_empty() {
        return Ok(missing);
    }
    let mut text = current;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("# git-wo\n");
    for m in &missing {
        text.push_str(m);
        text.push('\n');
    }
    fs::create_dir_all(path.parent().context("no parent")?)?;
    fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(missing)
}
