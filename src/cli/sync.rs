//! `git wo sync [<remote>]`.

use anyhow::Result;

use super::Ctx;
use crate::cli::SyncArgs;
use crate::error::{Exit, WoError};
use crate::ops::sync::sync;

pub fn run(ctx: &Ctx, args: &SyncArgs) -> Result<Exit> {
    let remote = match args
        .remote
        .clone()
        .or_else(|| ctx.repo.config.remote.clone())
    {
        Some(r) => r,
        None if ctx.repo.remote_names().iter().any(|r| r == "origin") => "origin".to_owned(),
        None => {
            return Err(WoError::usage(
                "no remote to sync with: wo.remote is not set and there is no origin",
            )
            .fix("git wo sync <remote>, or git config wo.remote <remote>")
            .into());
        }
    };
    let r = sync(&ctx.repo, &remote, true)?;
    if ctx.out.json {
        ctx.out.json(&r)?;
    } else {
        let out = &ctx.out;
        if !r.fetched.is_empty() {
            out.line(format!(
                "fetched {}: {}",
                r.fetched.len(),
                r.fetched.join(" ")
            ));
        }
        if !r.pushed.is_empty() {
            out.line(format!("pushed {}: {}", r.pushed.len(), r.pushed.join(" ")));
        }
        out.line(format!(
            "{remote}: {} record(s) there, {} unchanged; markers: {}",
            r.remote_records, r.unchanged, r.notes
        ));
        for s in &r.skipped {
            crate::cli::output::print_line(&format!(
                "skipped {}: {} on {remote} ({}) is not a record: {} (fix: {})",
                s.wo_id,
                s.ref_name,
                &s.commit[..s.commit.len().min(12)],
                s.why,
                s.fix
            ));
        }
        for c in &r.conflicts {
            crate::cli::output::print_line(&format!(
                "{} {}: {} (fix: {})",
                c.code, c.wo_id, c.message, c.hint
            ));
        }
        if !r.fetched.is_empty() && !out.quiet {
            eprintln!(
                "note: records fetched from {remote} are the truth; git wo audit shows any YAML they disagree with (git pull brings the YAML moves)"
            );
        }
    }
    if !r.rejected.is_empty() {
        return Err(WoError::conflict(format!(
            "{remote} refused the push: {} changed there meanwhile; nothing was pushed",
            r.rejected.join(", ")
        ))
        .fix(format!("git wo sync {remote} (again)"))
        .into());
    }
    Ok(if r.clean() { Exit::Ok } else { Exit::Findings })
}
