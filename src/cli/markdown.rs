//! `--format markdown` of `audit`, `kpi` and `gc`: the report as GitHub-flavoured
//! Markdown (a heading, tables, and for `kpi --weeks` Mermaid charts), for a CI job's
//! summary (`>> "$GITHUB_STEP_SUMMARY"`) or a pull-request or merge-request comment.

use crate::model::finding::Severity;
use crate::ops::gc::{GcReport, Rerun};
use crate::views::kpi::Report as KpiReport;

/// A table cell: `|` escaped, line breaks as `<br>`.
pub fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

/// `text` as a code span (a fence long enough for the backticks it holds), for a cell.
pub fn code(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    cell(&format!("{fence}{pad}{text}{pad}{fence}"))
}

/// A table: a header row, the separator, one row per entry (cells already escaped).
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut t = format!("| {} |\n", headers.join(" | "));
    t.push_str(&format!("|{}\n", "---|".repeat(headers.len())));
    for r in rows {
        t.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    t
}

/// A finding's fix: its command as code and the rest as text, or a person's decision.
fn fix_cell(hint: &str, fix: Option<&str>) -> String {
    match fix {
        Some(cmd) => {
            let rest = hint.strip_prefix(cmd).unwrap_or("").trim();
            if rest.is_empty() {
                code(cmd)
            } else {
                format!("{} {}", code(cmd), cell(rest))
            }
        }
        None => cell(hint),
    }
}

/// `git wo audit --format markdown`.
pub fn audit(rep: &crate::views::audit::Report, rows: &[(String, String)]) -> String {
    let s = &rep.summary;
    let sev = |k: &str| s.by_severity.get(k).copied().unwrap_or(0);
    let mut out = format!(
        "### git wo audit: {} finding(s) (P0 {}, P1 {}, P2 {})\n\n",
        s.total_findings,
        sev("P0"),
        sev("P1"),
        sev("P2")
    );
    let metrics: Vec<Vec<String>> = rows.iter().map(|(k, v)| vec![cell(k), cell(v)]).collect();
    out.push_str(&table(&["metric", "value"], &metrics));
    if rep.findings.is_empty() {
        out.push_str("\nNo findings.\n");
        return out;
    }
    let findings: Vec<Vec<String>> = [Severity::P0, Severity::P1, Severity::P2]
        .iter()
        .flat_map(|sev| rep.findings.iter().filter(move |f| f.severity == *sev))
        .map(|f| {
            vec![
                f.severity.as_str().to_owned(),
                code(f.code.as_str()),
                cell(f.wo_id.as_deref().unwrap_or("-")),
                cell(&f.message),
                fix_cell(&f.hint, f.fix.as_deref()),
            ]
        })
        .collect();
    out.push('\n');
    out.push_str(&table(
        &["severity", "code", "WO", "problem", "fix"],
        &findings,
    ));
    out
}

/// `git wo kpi --format markdown`: the table, and with `--weeks` the weeks as a table
/// and, for each KPI that was not 0 every week, a Mermaid line chart.
pub fn kpi(r: &KpiReport, since: &str) -> String {
    let missed = r.kpis.iter().filter(|k| k.met == Some(false)).count();
    let mut out = format!(
        "### git wo kpi (last {since}): {}\n\n",
        if missed == 0 {
            "every target met".to_owned()
        } else {
            format!("{missed} of {} missed", r.kpis.len())
        }
    );
    let rows: Vec<Vec<String>> = r
        .kpis
        .iter()
        .map(|k| {
            vec![
                code(k.name),
                cell(&k.display),
                cell(k.target),
                match k.met {
                    Some(true) => "yes",
                    Some(false) => "**NO**",
                    None => "n/a",
                }
                .to_owned(),
            ]
        })
        .collect();
    out.push_str(&table(&["KPI", "value", "target", "met"], &rows));
    if !r.weeks.is_empty() {
        out.push_str(&weeks(r));
    }
    out
}

/// The weeks of a KPI report as a table, and a Mermaid line chart of each KPI that was
/// not 0 every week.
fn weeks(r: &KpiReport) -> String {
    let labels: Vec<String> = r
        .weeks
        .iter()
        .map(|w| w.end.format("%m-%d").to_string())
        .collect();
    let mut out = format!(
        "\n#### Week by week ({} weeks to {}, each column the week ending that day)\n\n",
        r.weeks.len(),
        r.generated_at.format("%Y-%m-%d")
    );
    let mut headers = vec!["KPI"];
    headers.extend(labels.iter().map(String::as_str));
    let value = |i: usize, w: &crate::views::kpi::Week| w.kpis.get(i).and_then(|k| k.value);
    let weekly: Vec<Vec<String>> = r
        .kpis
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let mut row = vec![code(k.name)];
            row.extend(
                r.weeks
                    .iter()
                    .map(|w| value(i, w).map_or_else(|| "-".to_owned(), number)),
            );
            row
        })
        .collect();
    out.push_str(&table(&headers, &weekly));
    let mut charted = 0;
    for (i, k) in r.kpis.iter().enumerate() {
        let values: Vec<Option<f64>> = r.weeks.iter().map(|w| value(i, w)).collect();
        if values.iter().flatten().any(|v| *v != 0.0) {
            charted += 1;
            out.push_str(&chart(k.name, &labels, &values));
        }
    }
    out.push_str(&if charted == 0 {
        "\nEvery KPI was 0 (or not measured) every week: nothing to chart.\n".to_owned()
    } else {
        "\nCharted: the KPIs that were not 0 every week (a week with no measure, `-`, is drawn as 0).\n".to_owned()
    });
    out
}

/// A Mermaid line chart of one KPI, week by week (a week with no measure drawn as 0).
fn chart(name: &str, labels: &[String], values: &[Option<f64>]) -> String {
    let x: Vec<String> = labels.iter().map(|l| format!("\"{l}\"")).collect();
    let y: Vec<String> = values.iter().map(|v| number(v.unwrap_or(0.0))).collect();
    format!(
        "\n```mermaid\nxychart-beta\n    title \"{name}, week by week\"\n    x-axis [{}]\n    y-axis \"{}\"\n    line [{}]\n```\n",
        x.join(", "),
        if name == "intent_marker_adoption" {
            "%"
        } else {
            "count"
        },
        y.join(", ")
    )
}

/// `3`, `83.3`.
fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// `git wo gc --format markdown`.
pub fn gc(r: &GcReport, rerun: &Rerun) -> String {
    let s = &r.summary;
    let mut out = format!(
        "### git wo gc{}: {} zombie(s), {} ghost(s), {} stale lock(s), {} prunable\n\n",
        if r.dry_run { " (dry run)" } else { "" },
        s.zombies_found,
        s.ghosts_found,
        s.stale_locks_found,
        s.prunable_found
    );
    if r.actions.is_empty() {
        out.push_str("Nothing to collect.\n");
        return out;
    }
    let rows: Vec<Vec<String>> = r
        .actions
        .iter()
        .map(|a| {
            vec![
                code(a.action.as_str()),
                cell(a.kind.as_str()),
                cell(a.wo_id.as_deref().unwrap_or("-")),
                a.path.as_deref().map_or_else(|| "-".to_owned(), code),
                cell(&a.message),
            ]
        })
        .collect();
    out.push_str(&table(&["action", "kind", "WO", "worktree", "why"], &rows));
    out.push('\n');
    if r.dry_run {
        out.push_str(&format!(
            "{} would be removed, {} stale lock(s) released, {} pruned, {} kept.",
            s.zombies_would_remove + s.ghosts_would_remove,
            s.would_release,
            s.would_prune,
            s.kept
        ));
        if r.would_act() {
            out.push_str(&format!(
                " Apply (on the machine that holds the worktrees): {}\n",
                code(&rerun.command("--apply"))
            ));
        } else {
            out.push_str(" Everything found would be kept (see why above).\n");
        }
    } else {
        out.push_str(&format!(
            "{} removed, {} stale lock(s) released, {} pruned, {} kept, {} error(s).\n",
            s.zombies_removed + s.ghosts_removed,
            s.stale_locks_released,
            s.prunable_pruned,
            s.kept,
            s.errors_count
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_code_spans_are_escaped() {
        assert_eq!(cell("a|b\nc"), "a\\|b<br>c");
        assert_eq!(code("git wo gc"), "`git wo gc`");
        assert_eq!(code("a `b` c"), "``a `b` c``");
        assert_eq!(
            table(&["x", "y"], &[vec!["1".into(), "2".into()]]),
            "| x | y |\n|---|---|\n| 1 | 2 |\n"
        );
    }
}
