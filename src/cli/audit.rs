//! `git wo audit`.

use std::collections::BTreeSet;

use anyhow::Result;

use super::Ctx;
use crate::cli::AuditArgs;
use crate::error::Exit;
use crate::inventory::{Depth, Inventory, Source};
use crate::model::finding::{Code, Severity, parse_fail_on};
use crate::views::audit::{Report, audit_report};

/// An audit: the report `--json` prints (and `git wo mcp`'s `audit` returns), its exit
/// status, and the inventory it was made of (the CLI leaves both to the process exit).
pub struct Audited {
    pub inv: Inventory,
    pub report: Report,
    pub exit: Exit,
}

/// Audit, log the sample, write `--out`: everything but the rendering.
pub fn audited(ctx: &Ctx, args: &AuditArgs) -> Result<Audited> {
    let fail_on: BTreeSet<Code> = match &args.fail_on {
        Some(spec) => parse_fail_on(spec)?,
        // A YAML added since init is reported, but it is not a failure by default: the
        // next state change (or init) mirrors it.
        None => Code::ALL
            .iter()
            .copied()
            .filter(|c| *c != Code::Unmirrored)
            .collect(),
    };
    let inv = Inventory::gather(&ctx.repo, Source::WorkingTree, Depth::Fields)?;
    super::note_missing_jobs_dir(ctx);
    let rep = {
        let _t = crate::trace::phase("audit");
        audit_report(&inv)
    };
    crate::ops::audit_log::append(
        &ctx.repo,
        &crate::ops::audit_log::Sample {
            at: inv.now,
            by_code: rep.summary.by_code.clone(),
        },
    );
    if let Some(path) = &args.out {
        crate::cli::output::write_json(path, &rep)?;
    }
    let failing = rep
        .findings
        .iter()
        .filter(|f| fail_on.contains(&f.code))
        .count();
    Ok(Audited {
        inv,
        report: rep,
        exit: if failing > 0 {
            Exit::Findings
        } else {
            Exit::Ok
        },
    })
}

pub fn run(ctx: &Ctx, args: &AuditArgs) -> Result<Exit> {
    let a = audited(ctx, args)?;
    let _t = crate::trace::phase("render");
    if ctx.out.json {
        ctx.out.json(&a.report)?;
    } else if args.format == crate::cli::ReportFormat::Markdown {
        ctx.out
            .line(crate::cli::markdown::audit(&a.report, &rows(&a.report)).trim_end());
    } else {
        render(ctx, &a.report);
    }
    let exit = a.exit;
    super::keep_until_exit(a);
    Ok(exit)
}

/// The codes the plan's baseline table and weekly KPIs always show, even at zero.
const KPI_CODES: [Code; 4] = [
    Code::SplitBrain,
    Code::RunningWithoutLock,
    Code::GhostWorktree,
    Code::ZombieWorktree,
];

/// The metric rows of the report: the counts, and each code that has findings or is a KPI.
pub fn rows(rep: &crate::views::audit::Report) -> Vec<(String, String)> {
    let s = &rep.summary;
    let ids_of = |code: Code| -> Vec<&str> {
        let mut ids: Vec<&str> = rep
            .findings
            .iter()
            .filter(|f| f.code == code)
            .filter_map(|f| f.wo_id.as_deref())
            .collect();
        ids.dedup();
        ids
    };
    let with_ids = |n: usize, ids: &[&str]| {
        if ids.is_empty() {
            n.to_string()
        } else {
            format!("{n} ({})", ids.join(", "))
        }
    };
    let mut rows: Vec<(String, String)> = vec![
        (
            "worktrees active".into(),
            format!(
                "{} (1 main + {} WO)",
                s.worktrees_active,
                s.worktrees_active.saturating_sub(1)
            ),
        ),
        (
            "WO YAMLs total".into(),
            format!("{} ({} unique WOs)", s.yamls_total, s.wos_total_unique),
        ),
        ("running YAMLs".into(), s.running_yamls.len().to_string()),
        ("locks active".into(), {
            let ids: Vec<&str> = s.locks_active.iter().map(String::as_str).collect();
            with_ids(ids.len(), &ids)
        }),
    ];
    for code in Code::ALL.iter().copied() {
        let n = s.by_code.get(code.as_str()).copied().unwrap_or(0);
        if n > 0 || KPI_CODES.contains(&code) {
            rows.push((
                format!("{code} ({})", code.severity().as_str()),
                with_ids(n, &ids_of(code)),
            ));
        }
    }
    rows
}

fn render(ctx: &Ctx, rep: &crate::views::audit::Report) {
    let out = &ctx.out;
    let s = &rep.summary;
    let rows = rows(rep);
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    out.line(format!("{:<width$}  value", "metric"));
    for (k, v) in &rows {
        out.line(format!("{k:<width$}  {v}"));
    }
    out.line(format!(
        "{} findings: P0 {}, P1 {}, P2 {}",
        s.total_findings,
        s.by_severity.get("P0").copied().unwrap_or(0),
        s.by_severity.get("P1").copied().unwrap_or(0),
        s.by_severity.get("P2").copied().unwrap_or(0),
    ));
    for sev in [Severity::P0, Severity::P1, Severity::P2] {
        let of: Vec<_> = rep.findings.iter().filter(|f| f.severity == sev).collect();
        if of.is_empty() {
            continue;
        }
        out.line("");
        out.line(format!("{} ({}):", out.severity(sev), of.len()));
        for f in of {
            out.finding(f);
        }
    }
}
