//! `git wo init`.

use anyhow::Result;

use super::Ctx;
use crate::cli::InitArgs;
use crate::error::Exit;

pub fn run(ctx: &Ctx, args: &InitArgs) -> Result<Exit> {
    let mut done = crate::ops::init::init(&ctx.repo, args.create)?;
    if args.hooks {
        done.hooks = Some(crate::ops::hooks::install::install(&ctx.repo, false)?);
    }
    if ctx.out.json {
        ctx.out.json(&done)?;
    } else {
        let out = &ctx.out;
        for c in &done.config_set {
            out.line(format!("config: {c}"));
        }
        for e in &done.excluded {
            out.line(format!("info/exclude: {e}"));
        }
        if !done.created.is_empty() {
            out.line(format!(
                "created {}/{{pending,running,done,failed}} with a .gitkeep in each, staged (commit them so that clones get the folders: git wo commit)",
                ctx.repo.jobs_rel()
            ));
        }
        if !done.fetched.is_empty() {
            out.line(format!(
                "fetched {} record(s) from {}",
                done.fetched.len(),
                ctx.repo.config.remote.as_deref().unwrap_or("the remote")
            ));
        }
        out.line(format!(
            "imported {} WO(s) into refs/wo/orders/ ({} already mirrored)",
            done.imported.len(),
            done.already_mirrored
        ));
        if let Some(h) = &done.hooks {
            super::hooks::render(ctx, h);
        }
    }
    if done.refused_split_brain.is_empty() {
        return Ok(Exit::Ok);
    }
    eprintln!(
        "git wo init: not imported, in split-brain: {} (fix: resolve the extra copies, see git wo audit, then rerun git wo init)",
        done.refused_split_brain.join(", ")
    );
    Ok(Exit::Findings)
}
