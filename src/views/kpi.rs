//! The plan's weekly KPIs (SPEC §9), a pure function of what was gathered: the audit
//! counts now (and, for past weeks, the last `git wo audit` of each week), the
//! transitions in the records' histories, the intent markers, and the bypass markers.
//!
//! - `split_brain`, `running_without_lock`, `ghost_worktree`, `zombie_worktree`:
//!   counts, target 0.
//! - `intent_marker_adoption`: WOs taken (claimed or stolen) in the window that have an
//!   intent marker ÷ WOs taken in the window, target ≥ 80 %.
//! - `bypass_events`: `[wo] bypass:` markers on commits of the window, target 0.
//! - `skip_verification_finishes`: finishes of the window made with
//!   `--skip-verification`, an exception: target at most 10 % of the finishes.
//! - `out_of_scope_finishes`: finishes of the window whose branch left the WO's scope,
//!   accepted with `--allow-out-of-scope`: an exception, target 0.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::inventory::history::{Dated, Transition};

/// The audit codes that are KPIs.
pub const AUDIT_KPIS: [&str; 4] = [
    "split_brain",
    "running_without_lock",
    "ghost_worktree",
    "zombie_worktree",
];

/// A past audit: its time and counts by code.
#[derive(Debug, Clone)]
pub struct AuditCounts {
    pub at: DateTime<Utc>,
    pub by_code: BTreeMap<String, usize>,
}

/// What the KPIs are computed from.
pub struct Facts<'a> {
    pub now: DateTime<Utc>,
    /// The window: `since` to `now`.
    pub since: DateTime<Utc>,
    /// The audit as it is now.
    pub live: &'a BTreeMap<String, usize>,
    pub audits: &'a [AuditCounts],
    pub transitions: &'a [Transition],
    pub intent_marked: &'a BTreeSet<String>,
    pub bypasses: &'a [Dated],
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Kpi {
    pub name: &'static str,
    /// `None`: nothing to measure (no take, no finish in the window; no audit that week).
    pub value: Option<f64>,
    /// The value as shown: `3`, `83 % (5/6)`.
    pub display: String,
    pub target: &'static str,
    pub met: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Week {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub kpis: Vec<Kpi>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub generated_at: DateTime<Utc>,
    pub since: DateTime<Utc>,
    pub kpis: Vec<Kpi>,
    /// With `--weeks N`: oldest first, the last one ending now.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub weeks: Vec<Week>,
}

impl Report {
    /// Whether every KPI that could be measured met its target.
    pub fn met(&self) -> bool {
        self.kpis.iter().all(|k| k.met != Some(false))
    }
}

/// The KPIs over `facts.since..now`, and, when `weeks > 0`, each of the last `weeks`
/// weeks.
pub fn report(facts: &Facts<'_>, weeks: usize) -> Report {
    let kpis = window(facts, facts.since, facts.now, Some(facts.live));
    let weeks = (0..weeks)
        .rev()
        .map(|i| {
            let end = facts.now - Duration::weeks(i as i64);
            let start = end - Duration::weeks(1);
            // The current week's audit is the one just made; earlier ones, the last
            // audit run in that week, if any.
            let live = (i == 0).then_some(facts.live);
            let past = facts
                .audits
                .iter()
                .filter(|a| a.at >= start && a.at < end)
                .max_by_key(|a| a.at)
                .map(|a| &a.by_code);
            Week {
                start,
                end,
                kpis: window(facts, start, end, live.or(past)),
            }
        })
        .collect();
    Report {
        schema: "git-wo.kpi.v1",
        generated_at: facts.now,
        since: facts.since,
        kpis,
        weeks,
    }
}

fn window(
    facts: &Facts<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    counts: Option<&BTreeMap<String, usize>>,
) -> Vec<Kpi> {
    let mut out: Vec<Kpi> = AUDIT_KPIS
        .iter()
        .map(|code| {
            let n = counts.map(|c| c.get(*code).copied().unwrap_or(0));
            Kpi {
                name: code,
                value: n.map(|n| n as f64),
                display: n.map_or_else(|| "-".into(), |n| n.to_string()),
                target: "0",
                met: n.map(|n| n == 0),
            }
        })
        .collect();
    let inside = |t: &DateTime<Utc>| *t >= from && *t < to;
    out.push(intent_adoption(facts, &inside));
    let bypasses = facts.bypasses.iter().filter(|b| inside(&b.at)).count();
    out.push(Kpi {
        name: "bypass_events",
        value: Some(bypasses as f64),
        display: bypasses.to_string(),
        target: "0 (falling)",
        met: Some(bypasses == 0),
    });
    let finishes: Vec<&Transition> = facts
        .transitions
        .iter()
        .filter(|t| inside(&t.at) && t.action == "finish")
        .collect();
    out.extend(finish_kpis(&finishes));
    out
}

/// `intent_marker_adoption`: the share of the WOs taken in the window that have an
/// intent marker.
fn intent_adoption(facts: &Facts<'_>, inside: &dyn Fn(&DateTime<Utc>) -> bool) -> Kpi {
    let taken: BTreeSet<&str> = facts
        .transitions
        .iter()
        .filter(|t| inside(&t.at) && (t.action == "claim" || t.action == "steal"))
        .map(|t| t.id.as_str())
        .collect();
    let marked = taken
        .iter()
        .filter(|id| facts.intent_marked.contains(**id))
        .count();
    ratio(
        "intent_marker_adoption",
        marked,
        taken.len(),
        "≥ 80 %",
        |r| r >= 0.8,
    )
}

/// `skip_verification_finishes` and `out_of_scope_finishes` of the window's finishes:
/// counted, not shares (the trend of how many).
fn finish_kpis(finishes: &[&Transition]) -> [Kpi; 2] {
    let skipped = finishes.iter().filter(|t| t.skipped_verification).count();
    let mut skip = ratio(
        "skip_verification_finishes",
        skipped,
        finishes.len(),
        "≤ 10 % of finishes",
        |r| r <= 0.1,
    );
    skip.value = Some(skipped as f64);
    if finishes.is_empty() {
        skip.display = "0".into();
        skip.met = Some(true);
    } else {
        skip.display = format!("{skipped} of {} finishes", finishes.len());
    }
    let exceptions = finishes.iter().filter(|t| t.scope_exception).count();
    let scope = Kpi {
        name: "out_of_scope_finishes",
        value: Some(exceptions as f64),
        display: if finishes.is_empty() {
            "0".into()
        } else {
            format!("{exceptions} of {} finishes", finishes.len())
        },
        target: "0 (exceptions)",
        met: Some(exceptions == 0),
    };
    [skip, scope]
}

/// `part/whole` as a percentage KPI (`None` when `whole` is 0).
fn ratio(
    name: &'static str,
    part: usize,
    whole: usize,
    target: &'static str,
    ok: impl Fn(f64) -> bool,
) -> Kpi {
    if whole == 0 {
        return Kpi {
            name,
            value: None,
            display: "- (none in the window)".into(),
            target,
            met: None,
        };
    }
    let r = part as f64 / whole as f64;
    Kpi {
        name,
        value: Some((r * 1000.0).round() / 10.0),
        display: format!("{:.0} % ({part}/{whole})", r * 100.0),
        target,
        met: Some(ok(r)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(id: &str, action: &str, at: DateTime<Utc>, skipped: bool) -> Transition {
        Transition {
            id: id.into(),
            action: action.into(),
            at,
            skipped_verification: skipped,
            scope_exception: id == "WO-2" && action == "finish",
        }
    }

    #[test]
    fn the_window_and_the_weeks_count_what_happened_in_them() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let days = |d: i64| now - Duration::days(d);
        let transitions = vec![
            t("WO-1", "claim", days(1), false),
            t("WO-2", "claim", days(2), false),
            t("WO-3", "steal", days(3), false),
            t("WO-1", "finish", days(1), true),
            t("WO-2", "finish", days(1), false),
            t("WO-4", "claim", days(10), false),
        ];
        let intent: BTreeSet<String> = ["WO-1", "WO-2", "WO-4"].map(String::from).into();
        let bypasses = vec![
            Dated {
                line: "[wo] bypass: a".into(),
                at: days(2),
            },
            Dated {
                line: "[wo] bypass: b".into(),
                at: days(9),
            },
        ];
        let live: BTreeMap<String, usize> = [("split_brain".to_owned(), 1)].into();
        let audits = vec![AuditCounts {
            at: days(8),
            by_code: [("split_brain".to_owned(), 4)].into(),
        }];
        let facts = Facts {
            now,
            since: days(7),
            live: &live,
            audits: &audits,
            transitions: &transitions,
            intent_marked: &intent,
            bypasses: &bypasses,
        };
        let r = report(&facts, 3);
        let get = |k: &[Kpi], n: &str| k.iter().find(|k| k.name == n).unwrap().clone();
        assert_eq!(get(&r.kpis, "split_brain").value, Some(1.0));
        assert_eq!(get(&r.kpis, "split_brain").met, Some(false));
        let adoption = get(&r.kpis, "intent_marker_adoption");
        assert_eq!(adoption.display, "67 % (2/3)");
        assert_eq!(adoption.met, Some(false));
        assert_eq!(get(&r.kpis, "bypass_events").value, Some(1.0));
        let skip = get(&r.kpis, "skip_verification_finishes");
        assert_eq!((skip.value, skip.met), (Some(1.0), Some(false)));
        let scope = get(&r.kpis, "out_of_scope_finishes");
        assert_eq!(scope.display, "1 of 2 finishes");
        assert_eq!(scope.met, Some(false));
        assert!(!r.met());
        // Weeks: oldest first; the one before holds WO-4's take, a bypass and the
        // audit of that week; the oldest had nothing at all.
        assert_eq!(r.weeks.len(), 3);
        let w1 = &r.weeks[1].kpis;
        assert_eq!(get(w1, "split_brain").value, Some(4.0));
        assert_eq!(get(w1, "intent_marker_adoption").display, "100 % (1/1)");
        assert_eq!(get(w1, "bypass_events").value, Some(1.0));
        let w0 = &r.weeks[0].kpis;
        assert_eq!(get(w0, "split_brain").value, None);
        assert_eq!(get(w0, "intent_marker_adoption").met, None);
        assert_eq!(get(&r.weeks[2].kpis, "split_brain").value, Some(1.0));
    }
}
