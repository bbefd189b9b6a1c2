//! `init`: write the config of SPEC §2, exclude runtime files, create the jobs folders,
//! and import every YAML WO without a record. Imports are deterministic (fixed author,
//! committer and date), so clones importing the same YAML create the same record.
//! Idempotent: existing config and records are left as they are.

use std::fs;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::error::WoError;
use crate::git::Repo;
use crate::git::command::git;
use crate::inventory::{Depth, Inventory, Source};
use crate::ops::jobs::Jobs;
use crate::ops::journal;
use crate::ops::mirror::import_plan;
/// Kept here for callers of `init::mirror_new`; the code is [`crate::ops::mirror`]'s.
pub use crate::ops::mirror::mirror_new;

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
    /// `--create` on a repository without a jobs dir: the `.gitkeep` files written
    /// (and staged) so that clones get the folders.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub created: Vec<String>,
    /// What `--hooks` installed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hooks: Option<crate::ops::hooks::install::HooksReport>,
}

/// `create`: make the jobs dir when there is none (otherwise that is refused, so a
/// mistyped `--root` or `wo.jobsDir` does not start an empty WO system). The phases:
/// check the jobs dir, configure ([`configure`]), exclude runtime files, create the
/// folders, fetch what the remote has ([`fetch_first`]), refuse on an unreadable
/// record ([`refuse_bad_records`]), import the rest ([`import_all`]).
pub fn init(repo: &Repo, create: bool) -> Result<Initialized> {
    let root = &repo.control_root;
    // Validate the jobs dir before changing anything (a file or a symlinked folder is exit 2).
    let rel = repo.jobs_rel();
    let had_jobs_dir = crate::inventory::check_jobs_dir(root, &rel)?;
    if !had_jobs_dir && !create {
        return Err(WoError::usage(format!(
            "there is no {rel} in {}: nothing to import, and no WO system here yet",
            root.display()
        ))
        .fix(format!(
            "git wo init --create (creates {rel}/{{pending,running,done,failed}}), or point git-wo at the right folder: --root DIR or git config wo.jobsDir <path>"
        ))
        .into());
    }
    let config_set = configure(repo)?;
    let excluded = exclude(repo)?;
    let jobs = Jobs::new(root, &repo.jobs_rel());
    jobs.ensure_dirs()?;
    let created = if had_jobs_dir {
        Vec::new()
    } else {
        let keeps = jobs.write_gitkeeps()?;
        repo.stage(&keeps)?;
        keeps
    };
    let fetched = fetch_first(repo);
    // The bytes are imported; the views init reads need no mapping (at 100,000 WOs the
    // serde_yaml mappings were most of a gigabyte).
    let inv = Inventory::gather(repo, Source::WorkingTree, Depth::Bytes)?;
    refuse_bad_records(&inv)?;
    let imports = import_all(repo, &inv)?;
    Ok(Initialized {
        fetched,
        created,
        hooks: None,
        schema: "git-wo.init.v1",
        config_set,
        excluded,
        imported: imports.imported,
        already_mirrored: imports.already,
        refused_split_brain: imports.refused,
    })
}

/// The configuration of SPEC §2: notes rewritten and merged with git-wo's markers, the
/// remote's refspecs for records and markers (`wo.remote`, else `origin`), and
/// `wo.initialized`. Current values come from the configuration as read at start (no
/// `git config` process per key); only missing values are written, and returned.
fn configure(repo: &Repo) -> Result<Vec<String>> {
    let root = &repo.control_root;
    let mut config_set = Vec::new();
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
    Ok(config_set)
}

/// With a remote, what it has already is fetched first: only what it lacks is
/// imported here. Unreachable, it is a warning: imports are deterministic, so a later
/// sync finds the same records. The ids fetched.
fn fetch_first(repo: &Repo) -> Vec<String> {
    let Some(remote) = &repo.config.remote else {
        return Vec::new();
    };
    match crate::ops::sync::sync(repo, remote, false) {
        Ok(r) => r.fetched,
        Err(e) => {
            eprintln!(
                "warning: could not fetch the records of {remote} first: {} (git wo sync {remote} later)",
                crate::error::classify(&e)
            );
            Vec::new()
        }
    }
}

/// Every unreadable record is named, before anything is imported.
fn refuse_bad_records(inv: &Inventory) -> Result<()> {
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
    let Some(first) = bad.first() else {
        return Ok(());
    };
    let all: Vec<String> = bad.iter().map(|e| e.message.clone()).collect();
    Err(WoError::invalid_record(all.join("\n"))
        .fix(first.fix.clone().unwrap_or_default())
        .into())
}

/// What init imported, found mirrored already, and refused.
struct Imports {
    imported: Vec<String>,
    already: usize,
    refused: Vec<String>,
}

/// Import every WO with one live YAML and no record, all at once
/// ([`journal::apply_imports`]); a split-brain WO is refused (a person picks the
/// copy). A record someone else created first counts as mirrored, just not by us.
fn import_all(repo: &Repo, inv: &Inventory) -> Result<Imports> {
    let mut imports = Imports {
        imported: Vec::new(),
        already: 0,
        refused: Vec::new(),
    };
    let mut plans = Vec::new();
    for (id, view) in inv.wos() {
        if view.record.is_some() {
            imports.already += 1;
            continue;
        }
        if view.files().is_empty() {
            continue;
        }
        if view.is_split_brain() {
            imports.refused.push(id.to_string());
            continue;
        }
        plans.push(import_plan(inv, &id, &view, "init"));
    }
    let results = journal::apply_imports(repo, &inv.jobs_rel, &plans);
    let mut lost = Vec::new();
    for (plan, result) in plans.iter().zip(results) {
        match result {
            Ok(_) => imports.imported.push(plan.id.to_string()),
            Err(e) if crate::error::classify(&e).kind == crate::error::Kind::Conflict => {
                imports.already += 1;
            }
            Err(e) => lost.push(e),
        }
    }
    match lost.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(imports),
    }
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
