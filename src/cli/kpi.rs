//! `git wo kpi [--since 7d] [--weeks N]`: the KPI table; with `--weeks`, each KPI week
//! by week, as a sparkline on a terminal and as numbers when piped or with `--json`.
//! Exit 1 when a KPI misses its target.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use chrono::Duration;

use super::Ctx;
use crate::cli::KpiArgs;
use crate::error::{Exit, WoError};
use crate::inventory::{Depth, Inventory, Source, history};
use crate::model::config::parse_duration;
use crate::views::audit::audit;
use crate::views::kpi::{AuditCounts, Facts, Report, report};

pub fn run(ctx: &Ctx, args: &KpiArgs) -> Result<Exit> {
    let window = parse_duration(&args.since).map_err(|e| {
        WoError::usage(format!("--since {}: {e}", args.since)).fix("git wo kpi --since 7d")
    })?;
    let weeks = args.weeks.unwrap_or(0);
    if weeks > 520 {
        return Err(WoError::usage(format!("--weeks {weeks}: at most 520"))
            .fix("git wo kpi --weeks 8")
            .into());
    }
    let inv = Inventory::gather(&ctx.repo, Source::WorkingTree, Depth::Fields)?;
    let now = inv.now;
    let since = now - window;
    let earliest = since.min(now - Duration::weeks(weeks as i64));
    let mut live: BTreeMap<String, usize> = BTreeMap::new();
    for f in audit(&inv) {
        *live.entry(f.code.as_str().to_owned()).or_insert(0) += 1;
    }
    let transitions = history::transitions(&ctx.repo, earliest)?;
    let bypasses = history::bypasses(&ctx.repo, earliest)?;
    let audits: Vec<AuditCounts> = crate::ops::audit_log::read(&ctx.repo, earliest)
        .into_iter()
        .map(|s| AuditCounts {
            at: s.at,
            by_code: s.by_code,
        })
        .collect();
    let intent: &BTreeSet<String> = &inv.intent_marked;
    let r = report(
        &Facts {
            now,
            since,
            live: &live,
            audits: &audits,
            transitions: &transitions,
            intent_marked: intent,
            bypasses: &bypasses,
        },
        weeks,
    );
    if ctx.out.json {
        ctx.out.json(&r)?;
    } else if args.format == crate::cli::ReportFormat::Markdown {
        ctx.out
            .line(crate::cli::markdown::kpi(&r, &args.since).trim_end());
    } else if !ctx.out.quiet {
        render(&r, &args.since, ctx.out.terminal);
    }
    Ok(if r.met() { Exit::Ok } else { Exit::Findings })
}

fn render(r: &Report, since: &str, terminal: bool) {
    let mut out = String::new();
    // Each column at least as wide as its longest cell, and a space apart.
    let chars = |s: &str| s.chars().count();
    let value_w = r
        .kpis
        .iter()
        .map(|k| chars(&k.display) + 1)
        .fold(22, usize::max);
    let target_w = r
        .kpis
        .iter()
        .map(|k| chars(k.target) + 1)
        .fold(20, usize::max);
    out.push_str(&format!(
        "{:<28} {:<value_w$} {:<target_w$} {}\n",
        format!("KPI (last {since})"),
        "value",
        "target",
        "met"
    ));
    for k in &r.kpis {
        let met = match k.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "n/a",
        };
        out.push_str(&format!(
            "{:<28} {:<value_w$} {:<target_w$} {met}\n",
            k.name, k.display, k.target
        ));
    }
    if !r.weeks.is_empty() {
        out.push_str(&format!(
            "\nweek by week (oldest first, {} weeks to {}):\n",
            r.weeks.len(),
            r.generated_at.format("%Y-%m-%d")
        ));
        for (i, k) in r.kpis.iter().enumerate() {
            let values: Vec<Option<f64>> = r
                .weeks
                .iter()
                .map(|w| w.kpis.get(i).and_then(|k| k.value))
                .collect();
            let shown = if terminal {
                sparkline(&values)
            } else {
                values
                    .iter()
                    .map(|v| v.map_or_else(|| "-".to_owned(), number))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            out.push_str(&format!("{:<28} {shown}\n", k.name));
        }
    }
    crate::cli::output::print_line(out.trim_end());
}

/// `3`, `83.3`.
fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// One block per week, scaled to the largest value; a gap for a week with none; the
/// last value after it.
fn sparkline(values: &[Option<f64>]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().flatten().fold(0.0f64, |a, b| a.max(*b));
    let mut s: String = values
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(_) if max <= 0.0 => BARS[0],
            Some(v) => BARS[((v / max) * 7.0).round().clamp(0.0, 7.0) as usize],
        })
        .collect();
    if let Some(Some(last)) = values.last() {
        s.push_str(&format!("  {}", number(*last)));
    }
    s
}
