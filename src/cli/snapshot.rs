//! `git wo snapshot --dir DIR`.

use anyhow::Result;
use serde_json::json;

use super::Ctx;
use crate::cli::SnapshotArgs;
use crate::error::Exit;
use crate::ops::snapshot::{FILES, snapshot};

pub fn run(ctx: &Ctx, args: &SnapshotArgs) -> Result<Exit> {
    let dir = &args.dir;
    let snap = snapshot(&ctx.repo, dir)?;
    if ctx.out.json {
        ctx.out.json(
            &json!({"schema": "git-wo.snapshot.v1", "dir": dir, "files": FILES,
                             "findings": snap.total_findings, "gate_passed": snap.gate_passed}),
        )?;
    } else {
        ctx.out.line(format!(
            "baseline written to {}: {}",
            dir.display(),
            FILES.join(", ")
        ));
        ctx.out.line(format!(
            "{} findings; gate {}",
            snap.total_findings,
            if snap.gate_passed { "passes" } else { "fails" }
        ));
    }
    // As audit and check do: a failing gate is exit 1 (the baseline is written all
    // the same).
    Ok(if snap.gate_passed {
        Exit::Ok
    } else {
        Exit::Findings
    })
}
