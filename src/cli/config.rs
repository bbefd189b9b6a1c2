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

pub fn run(ctx: &Ctx, _args: &ConfigArgs) -> Result<Exit> {
    let repo = &ctx.repo;
    let c = &repo.config;
    let origins = repo.config_origins(&["wo", "user", "init"])?;
    let gate: Vec<&str> = DEFAULT_FAIL_ON.iter().map(|c| c.as_str()).collect();
    let remote_default = if repo.remote_names().iter().any(|r| r == "origin") {
        "origin".to_owned()
    } else {
        "(none)".to_owned()
    };
    let login = crate::host::username();
    let rows: Vec<(&'static str, String, String)> = vec![
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
    ];
    let settings: Vec<Setting> = rows
        .into_iter()
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

/// A lease as `wo.lease` spells it: `2h`, `90m`, `45s`.
fn duration(secs: i64) -> String {
    match secs {
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}
