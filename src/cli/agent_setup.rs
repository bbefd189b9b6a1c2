//! `git wo agent-setup <agent> [--force]`.

use anyhow::Result;

use super::Ctx;
use crate::cli::{AgentArg, AgentSetupArgs};
use crate::error::{Exit, WoError, shell_quote};
use crate::model::agent_files::Agent;
use crate::ops::agent_setup::{Action, setup};

pub fn run(ctx: &Ctx, args: &AgentSetupArgs) -> Result<Exit> {
    let agent = match args.agent {
        AgentArg::Claude => Agent::Claude,
        AgentArg::Gemini => Agent::Gemini,
    };
    let s = setup(&ctx.repo, agent, args.force)?;
    let differing: Vec<&str> = s
        .files
        .iter()
        .filter(|f| f.action == Action::Differs)
        .map(|f| f.path.as_str())
        .collect();
    if ctx.out.json {
        ctx.out.json(&s)?;
        return Ok(if differing.is_empty() {
            Exit::Ok
        } else {
            Exit::Findings
        });
    }
    if !differing.is_empty() {
        for f in &s.files {
            if let Some(d) = &f.diff {
                crate::cli::output::print_line(d.trim_end());
            }
        }
        return Err(WoError::failed(format!(
            "{} file(s) differ from what agent-setup {} writes: {} (the diff above goes from yours to its); nothing was written",
            differing.len(),
            agent.name(),
            differing.join(", ")
        ))
        .fix(format!(
            "keep yours, or replace them: git wo agent-setup {} --force",
            agent.name()
        ))
        .into());
    }
    for f in &s.files {
        let what = match f.action {
            Action::Created => "created  ",
            Action::Unchanged => "unchanged",
            Action::Replaced => "replaced ",
            Action::Differs => "differs  ",
        };
        ctx.out.line(format!("{what} {}", f.path));
    }
    if s.files
        .iter()
        .any(|f| matches!(f.action, Action::Created | Action::Replaced))
    {
        ctx.out.line(format!(
            "next: review them, then commit them: git add {} && git commit -m 'wo: {} commands'",
            shell_quote(agent.folder()),
            agent.name()
        ));
    }
    Ok(Exit::Ok)
}
