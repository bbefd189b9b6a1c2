//! `git wo heartbeat`.

use anyhow::Result;

use super::Ctx;
use crate::cli::HeartbeatArgs;
use crate::error::{Exit, WoError};
use crate::model::config::parse_duration;
use crate::ops::heartbeat::Renewed;

/// Renew the lease: what `--json` prints, and `git wo mcp`'s `heartbeat` returns.
pub fn renewed(ctx: &Ctx, args: &HeartbeatArgs) -> Result<Renewed> {
    let id = crate::inventory::here::id_or_here(&ctx.repo, args.id.as_deref(), "heartbeat")?;
    let lease = match &args.lease {
        Some(l) => parse_duration(l)
            .map_err(|e| WoError::usage(format!("--lease: {e}")).fix("--lease 2h"))?,
        None => ctx.repo.config.lease,
    };
    let owner = crate::cli::owner::resolve(&ctx.repo, None);
    crate::ops::heartbeat::renew(&ctx.repo, &id, lease, &owner, args.force)
}

pub fn run(ctx: &Ctx, args: &HeartbeatArgs) -> Result<Exit> {
    let r = renewed(ctx, args)?;
    if ctx.out.json {
        ctx.out.json(&r)?;
    } else {
        ctx.out.line(format!(
            "{}: lease of {} renewed until {}",
            r.id,
            r.owner,
            crate::model::when::shown(r.expires_at)
        ));
        if r.lock_file_recreated {
            ctx.out
                .line(format!("  recreated the missing .lock file of {}", r.id));
        }
    }
    Ok(Exit::Ok)
}
