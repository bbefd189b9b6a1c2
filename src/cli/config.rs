//! `git wo config`: every setting git-wo reads, its effective value and where it comes
//! from (a config file, or the default).

use anyhow::Result;
use serde::Serialize;

use super::Ctx;
use crate::cli::ConfigArgs;
use crate::error::Exit;
use crate::model::config::{DEFAULT_DISPOSABLE, GateHooks};
use crate::views::check::DEFAULT_FAIL_ON;

#[derive(Debug, Serialize)]
struct Setting {
    key: &'static str,
    value: String,
    /// `<scope> <origin>` as git reports it, or `default`.
    source: String,
    default: String,
}

/// `git wo config KEY VALUE` or `--unset KEY`: run before git-wo reads its
/// configuration (so a bad value already set can be fixed).
pub fn set(global: &crate::cli::GlobalArgs, args: &ConfigArgs) -> Result<Exit> {
    let Some(key) = args.key.as_deref() else {
        return Ok(Exit::Usage);
    };
    let dir = match &global.root {
        Some(r) => r.clone(),
        None => std::env::current_dir().map_err(|e| {
            crate::error::WoError::usage(format!("the current directory cannot be read: {e}"))
                .fix("cd into the repository and run the command again")
        })?,
    };
    let value = if args.unset {
        None
    } else {
        args.value.as_deref()
    };
    let done = crate::ops::config_set::set(&dir, key, value, args.global)?;
    let out = crate::cli::output::Out::new(global.json, global.quiet);
    if out.json {
        out.json(&done)?;
        return Ok(Exit::Ok);
    }
    let was = done
        .was
        .as_deref()
        .map(|w| format!(" (was {w})"))
        .unwrap_or_default();
    match &done.value {
        Some(v) => out.line(format!(
            "{} = {v} in the {} config{was}",
            done.key, done.scope
        )),
        None if done.was.is_some() => out.line(format!(
            "{} unset in the {} config{was}; git wo config shows what applies now",
            done.key, done.scope
        )),
        None => out.line(format!(
            "{} was not set in the {} config: nothing to unset",
            done.key, done.scope
        )),
    }
    Ok(Exit::Ok)
}

/// Whether `args` change a setting (else they list settings).
pub fn changes(args: &ConfigArgs) -> bool {
    args.value.is_some() || args.unset
}

pub fn run(ctx: &Ctx, args: &ConfigArgs) -> Result<Exit> {
    // `git wo config KEY`: that row alone.
    let only = args.key.as_deref();
    let repo = &ctx.repo;
    let origins = repo.config_origins(&["wo", "user", "init", "color"])?;
    let rows = rows(repo);
    let settings: Vec<Setting> = rows
        .into_iter()
        .filter(|(key, _, _)| only.is_none_or(|o| o.eq_ignore_ascii_case(key)))
        .map(|(key, value, default)| {
            let lower = key.to_ascii_lowercase();
            let source = origins
                .iter()
                .rev()
                .find(|(k, _, _)| *k == lower)
                .map_or_else(|| "default".to_owned(), |(_, _, o)| o.clone());
            Setting {
                key,
                value,
                source,
                default,
            }
        })
        .collect();
    if let Some(key) = only
        && settings.is_empty()
    {
        return Err(crate::model::config_keys::known(key)
            .err()
            .unwrap_or_else(|| crate::error::WoError::usage(format!("{key}: not listed")))
            .into());
    }
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({"schema": "git-wo.config.v1", "settings": settings}))?;
        return Ok(Exit::Ok);
    }
    let width = settings.iter().map(|s| s.key.len()).max().unwrap_or(0);
    for s in &settings {
        ctx.out
            .line(format!("{:<width$}  {}  ({})", s.key, s.value, s.source));
    }
    Ok(Exit::Ok)
}

/// Every setting git-wo reads: (key, value in force, default), in the order listed.
fn rows(repo: &crate::git::Repo) -> Vec<(&'static str, String, String)> {
    let c = &repo.config;
    let gate: Vec<&str> = DEFAULT_FAIL_ON.iter().map(|c| c.as_str()).collect();
    let remote_default = if repo.remote_names().iter().any(|r| r == "origin") {
        "origin".to_owned()
    } else {
        "(none)".to_owned()
    };
    let login = crate::host::username();
    vec![
        (
            "wo.root",
            c.root
                .clone()
                .unwrap_or_else(|| repo.control_root.display().to_string()),
            "(the checkout git finds)".into(),
        ),
        ("wo.jobsDir", c.jobs_dir.clone(), "_ctx/jobs".into()),
        (
            "wo.worktreeDir",
            repo.worktree_dir(),
            repo.default_worktree_dir(),
        ),
        (
            "wo.branchPrefix",
            c.branch_prefix.clone(),
            "feat/wo-".into(),
        ),
        ("wo.lease", duration(c.lease.num_seconds()), "2h".into()),
        (
            "wo.verify.timeout",
            duration(c.verify_timeout.num_seconds()),
            "30m".into(),
        ),
        (
            "wo.template",
            c.template.clone().unwrap_or_else(|| "(built in)".into()),
            "(built in)".into(),
        ),
        (
            "color.wo",
            c.color.clone().unwrap_or_else(|| "auto".into()),
            "auto (color.ui, else on a terminal)".into(),
        ),
        (
            "wo.sessionLog",
            c.session_log.clone().unwrap_or_else(|| "(none)".into()),
            "(none)".into(),
        ),
        (
            "wo.gate.failOn",
            c.gate_fail_on.clone().unwrap_or_else(|| gate.join(",")),
            gate.join(","),
        ),
        ("wo.gate.always", c.gate_always.to_string(), "false".into()),
        (
            "wo.gate.hooks",
            match c.gate_hooks {
                GateHooks::GitWo => "git-wo",
                GateHooks::Framework => "framework",
                GateHooks::None => "none",
            }
            .into(),
            "git-wo".into(),
        ),
        ("wo.commit", c.commit.to_string(), "false".into()),
        (
            "wo.pushBranches",
            c.push_branches
                .map_or_else(|| "(on with wo.remote)".to_owned(), |b| b.to_string()),
            "(on with wo.remote)".into(),
        ),
        ("wo.handoffDir", c.handoff_dir.to_string(), "false".into()),
        ("wo.index", c.index.to_string(), "false".into()),
        (
            "wo.gc.disposable",
            c.disposable.join(" "),
            DEFAULT_DISPOSABLE.into(),
        ),
        (
            "wo.remote",
            repo.config_values("wo.remote")
                .pop()
                .unwrap_or_else(|| remote_default.clone()),
            remote_default,
        ),
        ("wo.initialized", c.initialized.to_string(), "false".into()),
        (
            "wo.owner",
            c.you().0,
            "(user.name, else the login name)".into(),
        ),
        (
            "user.name",
            c.user_name.clone().unwrap_or_else(|| login.clone()),
            format!("{login} (the login name)"),
        ),
    ]
}

/// A lease as `wo.lease` spells it: `2h`, `90m`, `45s`.
fn duration(secs: i64) -> String {
    match secs {
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}
