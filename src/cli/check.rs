//! `git wo check`.

use anyhow::Result;

use super::Ctx;
use crate::cli::CheckArgs;
use crate::error::Exit;
use crate::inventory::{Depth, Inventory, Source};
use crate::model::finding::Code;
use crate::views::audit::audit;
use crate::views::check::{Scope, fail_on, gate, line, old_lockless_line, unstaged_line};

pub fn run(ctx: &Ctx, args: &CheckArgs) -> Result<Exit> {
    let fail_on = fail_on(
        args.fail_on
            .as_deref()
            .or(ctx.repo.config.gate_fail_on.as_deref()),
    )?;
    let source = match (&args.tree, args.staged) {
        (Some(t), _) => Source::Tree(t.clone()),
        (None, true) => Source::Index,
        (None, false) => Source::WorkingTree,
    };
    let inv = Inventory::gather(&ctx.repo, source.clone(), Depth::Fields)?;
    // The staged gate refuses only for the WOs the index stages (SPEC §5).
    let staged = match source {
        Source::Index => Some(crate::ops::hooks::pre_commit::staged_wos(
            &ctx.repo,
            &inv,
            &source,
            ctx.repo.head_commit(),
        )?),
        _ => None,
    };
    let scope = match &staged {
        Some(ids) => Scope::Staged(ids),
        None => Scope::All,
    };
    let result = gate(&inv, audit(&inv), &fail_on, &scope);
    if ctx.out.json {
        ctx.out.json(&result)?;
    } else if !ctx.out.quiet {
        for f in &result.failures {
            crate::cli::output::print_line(&line(f));
        }
        for f in &result.not_staged {
            eprintln!("{}", unstaged_line(f));
        }
        for f in result
            .warnings
            .iter()
            .filter(|w| w.code == Code::RunningWithoutLock)
        {
            eprintln!("{}", old_lockless_line(f));
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
