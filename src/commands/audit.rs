//! `git wo audit`.

use std::collections::BTreeSet;

use anyhow::{Context, Result};

use super::Ctx;
use crate::audit::{audit, report};
use crate::cli::AuditArgs;
use crate::error::Exit;
use crate::finding::{Code, Severity, parse_fail_on};
use crate::inventory::{Inventory, Source};

pub fn run(ctx: &Ctx, args: &AuditArgs) -> Result<Exit> {
    let fail_on: BTreeSet<Code> = match &args.fail_on {
        Some(spec) => parse_fail_on(spec)?,
        None => Code::ALL.iter().copied().collect(),
    };
    let inv = Inventory::gather(&ctx.repo, Source::WorkingTree)?;
    let rep = report(&inv, audit(&inv));
    if let Some(path) = &args.out {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let text = serde_json::to_string_pretty(&rep)?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    let failing = rep
        .findings
        .iter()
        .filter(|f| fail_on.contains(&f.code))
        .count();
    if ctx.out.json {
        ctx.out.json(&rep)?;
    } else {
        render(ctx, &rep);
    }
    Ok(if failing > 0 {
        Exit::Findings
    } else {
        Exit::Ok
    })
}

fn render(ctx: &Ctx, rep: &crate::audit::Report) {
    let out = &ctx.out;
    let s = &rep.summary;
    out.line(format!(
        "{} WOs, {} worktrees, {} locks, {} running; {} findings (P0 {}, P1 {}, P2 {})",
        s.wos_total_unique,
        s.worktrees_active,
        s.locks_active.len(),
        s.running_yamls.len(),
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
    if !s.by_code.is_empty() {
        out.line("");
        let counts: Vec<String> = s.by_code.iter().map(|(c, n)| format!("{c}={n}")).collect();
        out.line(format!("by code: {}", counts.join(" ")));
    }
}
