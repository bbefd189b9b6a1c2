//! `git wo new`.

use anyhow::Result;

use super::Ctx;
use crate::cli::NewArgs;
use crate::error::{Exit, WoError};
use crate::model::wo_id::WoId;
use crate::ops::new::{Created, NewOptions, new};

/// Create the WO: what `--json` prints, and `git wo mcp`'s `new` returns.
pub fn created(ctx: &Ctx, args: &NewArgs) -> Result<Created> {
    if args.title.trim().is_empty() {
        return Err(WoError::usage("--title is empty")
            .fix("git wo new --title \"What to do\"")
            .into());
    }
    let id = args
        .id
        .as_deref()
        .map(WoId::parse)
        .transpose()
        .map_err(|why| {
            WoError::usage(format!("--id: {why}")).fix("git wo new --title … (the next free id)")
        })?;
    let opts = NewOptions {
        id,
        title: args.title.clone(),
        epic: args.epic.clone(),
        priority: args.priority.clone(),
        dod: args.dod.clone(),
        template: args
            .template
            .clone()
            .or_else(|| ctx.repo.config.template.clone().map(Into::into)),
        depends: args.depends.clone(),
        verify: args.verify.clone(),
        allow: args.scope.clone(),
        deny: args.deny.clone(),
    };
    new(&ctx.repo, &opts)
}

pub fn run(ctx: &Ctx, args: &NewArgs) -> Result<Exit> {
    let c = created(ctx, args)?;
    if ctx.out.json {
        ctx.out.json(&c)?;
    } else {
        let how = match (c.committed, c.staged) {
            (true, _) => ", committed",
            (false, true) => ", staged",
            _ => "",
        };
        ctx.out.line(format!("created {} ({}{how})", c.id, c.yaml));
        ctx.out
            .line(format!("next: edit it, then git wo take {}", c.id));
    }
    Ok(Exit::Ok)
}
