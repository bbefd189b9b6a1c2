//! `git wo check`.

use std::collections::BTreeSet;

use anyhow::Result;

use super::Ctx;
use crate::cli::CheckArgs;
use crate::error::Exit;
use crate::inventory::{Depth, Inventory, Source};
use crate::model::finding::{Code, parse_fail_on};
use crate::views::audit::audit;
use crate::views::check::{DEFAULT_FAIL_ON, gate};

pub fn run(ctx: &Ctx, args: &CheckArgs) -> Result<Exit> {
    let fail_on: BTreeSet<Code> = match args.fail_on.as_ref().or(ctx
        .repo
        .config
        .gate_fail_on
        .as_ref())
    {
        Some(spec) => parse_fail_on(spec)?,
        None => DEFAULT_FAIL_ON.into_iter().collect(),
    };
    let source = match (&args.tree, args.staged) {
        (Some(t), _) => Source::Tree(t.clone()),
        (None, true) => Source::Index,
        (None, false) => Source::WorkingTree,
    };
    let inv = Inventory::gather(&ctx.repo, source, Depth::Fields)?;
    let result = gate(&inv, audit(&inv), &fail_on);
    if ctx.out.json {
        ctx.out.json(&result)?;
    } else if !ctx.out.quiet {
        for f in &result.failures {
            crate::cli::output::print_line(&format!(
                "{} {}: {} (fix: {})",
                f.code,
                f.wo_id.as_deref().unwrap_or("-"),
                f.message,
                f.hint
            ));
        }
        for f in result
            .warnings
            .iter()
            .filter(|w| w.code == Code::RunningWithoutLock)
        {
            eprintln!(
                "warning: {} {}: {} (older than 24 h, not blocking)",
                f.code,
                f.wo_id.as_deref().unwrap_or("-"),
                f.message
            );
        }
        if result.passed() {
            ctx.out
                .line(format!("git wo check: ok ({})", result.source));
        } else {
            eprintln!(
                "git wo check: {} problem(s) in the {}",
                result.failures.len(),
                result.source
            );
        }
    }
    let passed = result.passed();
    super::keep_until_exit((inv, result));
    Ok(if passed { Exit::Ok } else { Exit::Findings })
}
