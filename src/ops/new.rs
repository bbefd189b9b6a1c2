//! `git wo new`: a WO YAML from a template, with the next free id (or the one given),
//! checked by lint before it is written, created in `pending/` (never overwriting),
//! staged (committed with `wo.commit`), and mirrored into a record once `init` ran.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::error::{WoError, shell_quote};
use crate::git::Repo;
use crate::inventory::{Depth, Inventory, Source};
use crate::model::order::OrderFile;
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::ops::journal::{Journal, Plan, Recovery, Step};

/// The built-in template; `wo.template` (a file, relative to the control checkout)
/// replaces it. `{id}`, `{title}`, `{epic}`, `{priority}` and `{dod}` are filled in
/// (the title as a YAML string), and `{dependencies}`, `{verify}`, `{allow}` and
/// `{deny}` as flow lists (`[]` when none is given). Its keys are in the original
/// formatter's order (`git wo fmt --check` passes on a new WO).
pub const TEMPLATE: &str = "version: 1
id: {id}
epic_id: {epic}
title: {title}
priority: {priority}
status: pending
scope:
  allow: {allow}
  deny: {deny}
verify:
  commands: {verify}
dod_id: {dod}
execution:
  mode: agent
dependencies: {dependencies}
";

#[derive(Debug, Clone)]
pub struct NewOptions {
    pub id: Option<WoId>,
    pub title: String,
    pub epic: String,
    pub priority: String,
    pub dod: String,
    pub template: Option<PathBuf>,
    /// Ids that must be done before it is taken.
    pub depends: Vec<String>,
    /// `verify.commands`.
    pub verify: Vec<String>,
    /// `scope.allow` and `scope.deny` globs.
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Created {
    pub schema: &'static str,
    pub id: String,
    pub yaml: String,
    pub staged: bool,
    pub committed: bool,
    pub mirrored: bool,
}

/// `git wo new`: choose the id ([`choose_id`]), fill in the template ([`render`]),
/// refuse a dependency cycle and a YAML that would not pass lint ([`checked`]), write
/// it through the journal, stage it ([`stage_new`]), mirror it.
pub fn new(repo: &Repo, opts: &NewOptions) -> Result<Created> {
    let inv = Inventory::gather(repo, Source::WorkingTree, Depth::Full)?;
    let known = inv.known_ids();
    let id = choose_id(&known, opts)?;
    let template = match &opts.template {
        Some(p) => std::fs::read_to_string(repo.control_root.join(p)).with_context(|| {
            format!(
                "reading the template {} (wo.template / --template)",
                p.display()
            )
        })?,
        None => TEMPLATE.to_owned(),
    };
    let text = render(&template, &id, opts)?;
    refuse_a_cycle(&inv, &id, &opts.depends)?;
    let rel = PathBuf::from(&inv.jobs_rel)
        .join("pending")
        .join(format!("{id}.yaml"));
    let file = checked(&inv, &known, &id, &rel, &text)?;
    let plan = Plan {
        id: id.clone(),
        op: "new",
        steps: vec![Step::RestoreYaml {
            to: State::Pending,
            bytes: text.into_bytes(),
        }],
        recovery: Recovery::RollForward,
    };
    Journal::new(repo, &inv.jobs_rel, None).apply(&plan)?;
    let path = rel.to_string_lossy().replace('\\', "/");
    let (staged, committed) = stage_new(repo, &path, &id);
    // The inventory read before, with the file just written: no second read.
    let mut after = inv;
    after.files.push(file);
    let mirrored = crate::ops::mirror::mirror_new(repo, &after, &after.wos(), None)
        .unwrap_or_default()
        .iter()
        .any(|m| m == id.as_str());
    Ok(Created {
        schema: "git-wo.new.v1",
        id: id.to_string(),
        yaml: path,
        staged,
        committed,
        mirrored,
    })
}

/// The id given (refused when it exists), else the next free one.
fn choose_id(known: &std::collections::BTreeSet<&str>, opts: &NewOptions) -> Result<WoId> {
    match &opts.id {
        Some(id) if known.contains(id.as_str()) => Err(WoError::usage(format!(
            "{id} exists already"
        ))
        .fix(format!(
            "git wo show {id}, or leave the id out for the next free one: git wo new --title {}",
            shell_quote(&opts.title)
        ))
        .into()),
        Some(id) => Ok(id.clone()),
        None => Ok(WoId::parse(&crate::views::next_id::next_id(known))
            .map_err(|why| WoError::failed(format!("no next id: {why}")))?),
    }
}

/// The template filled in: the title quoted as YAML needs (the rest are plain tokens),
/// the lists as JSON flow sequences (every JSON string is a YAML one). A list given for
/// a slot the template lacks is refused.
fn render(template: &str, id: &WoId, opts: &NewOptions) -> Result<String> {
    let title = serde_yaml::to_string(&opts.title)
        .map(|s| s.trim_end().to_owned())
        .unwrap_or_else(|_| format!("{:?}", opts.title));
    let lists = [
        ("{dependencies}", &opts.depends, "--depends"),
        ("{verify}", &opts.verify, "--verify"),
        ("{allow}", &opts.allow, "--scope"),
        ("{deny}", &opts.deny, "--deny"),
    ];
    for (slot, values, flag) in &lists {
        if !values.is_empty() && !template.contains(slot) {
            return Err(WoError::usage(format!(
                "{flag} was given but the template has no {slot} to put it in"
            ))
            .fix(format!(
                "add {slot} to the template (see man git-wo-new), or leave {flag} out"
            ))
            .into());
        }
    }
    let mut text = template
        .replace("{id}", id.as_str())
        .replace("{title}", &title)
        .replace("{epic}", &opts.epic)
        .replace("{priority}", &opts.priority)
        .replace("{dod}", &opts.dod);
    for (slot, values, _) in &lists {
        let flow = serde_json::to_string(values).unwrap_or_else(|_| "[]".into());
        text = text.replace(slot, &flow);
    }
    Ok(text)
}

/// The new YAML as it would be read, before anything is written: it must pass lint and
/// carry its id.
fn checked(
    inv: &Inventory,
    known: &std::collections::BTreeSet<&str>,
    id: &WoId,
    rel: &std::path::Path,
    text: &str,
) -> Result<OrderFile> {
    let file = OrderFile::parse(rel.to_path_buf(), State::Pending, false, text.as_bytes());
    let mut problems = Vec::new();
    let mut known_after = known.clone();
    known_after.insert(id.as_str());
    crate::views::lint::lint_file(inv, &file, &known_after, &mut problems);
    if let Some(p) = problems.first() {
        return Err(WoError::usage(format!(
            "{id}: the new YAML would not pass lint: {}",
            p.problem
        ))
        .fix("fix the template (wo.template / --template) or the values given, then run git wo new again")
        .into());
    }
    if file.id.as_ref() != Some(id) {
        return Err(
            WoError::usage(format!("the template does not put `id: {id}` in the YAML"))
                .fix("use {id} for the id in the template")
                .into(),
        );
    }
    Ok(file)
}

/// A new file is not tracked, so the journal did not stage it: `new` does (and
/// commits it with `wo.commit`). (staged, committed).
fn stage_new(repo: &Repo, path: &str, id: &WoId) -> (bool, bool) {
    let path = path.to_owned();
    let staged = repo.stage(std::slice::from_ref(&path)).is_ok();
    let committed = staged
        && repo.config.commit
        && repo
            .commit_paths(std::slice::from_ref(&path), &format!("wo: new {id}\n"))
            .is_ok();
    (staged, committed)
}

/// `Err` (bad input) when depending on `depends` would close a cycle: one of them
/// already waits, directly or not, for `id` (a YAML may name an id before it exists).
fn refuse_a_cycle(inv: &Inventory, id: &WoId, depends: &[String]) -> Result<()> {
    let wos = inv.wos();
    let edges = crate::views::deps::edges(&wos);
    for d in depends {
        let mut seen: std::collections::BTreeSet<&str> = Default::default();
        let mut stack: Vec<&str> = vec![d.as_str()];
        while let Some(v) = stack.pop() {
            if v == id.as_str() {
                return Err(WoError::usage(format!(
                    "{id} cannot depend on {d}: {d} already waits for {id}, which would be a cycle"
                ))
                .fix(format!(
                    "git wo deps {d} (see what it waits for), then leave {d} out of --depends"
                ))
                .into());
            }
            if seen.insert(v) {
                stack.extend(edges.get(v).into_iter().flatten().map(String::as_str));
            }
        }
    }
    Ok(())
}
