//! `check`: the fast integrity gate (SPEC §5). The audit's findings, restricted to the
//! failing codes, with the 24 h rule: a running WO without a lock only blocks while it
//! is young (its lease was renewed, or with no record its YAML was started, under 24 h
//! ago); older ones are reported as warnings.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::inventory::Inventory;
use crate::model::finding::{Code, Finding};
use crate::model::state::State;

/// The gate's failing codes unless `wo.gate.failOn` says otherwise.
pub const DEFAULT_FAIL_ON: [Code; 7] = [
    Code::SplitBrain,
    Code::RunningWithoutLock,
    Code::GhostWorktree,
    Code::ZombieWorktree,
    Code::StateMismatch,
    Code::InvalidYaml,
    Code::InterruptedTransition,
];

/// The failing codes: `spec` (`--fail-on`, else `wo.gate.failOn`), or the default.
pub fn fail_on(spec: Option<&str>) -> anyhow::Result<BTreeSet<Code>> {
    match spec {
        Some(spec) => Ok(crate::model::finding::parse_fail_on(spec)?),
        None => Ok(DEFAULT_FAIL_ON.into_iter().collect()),
    }
}

/// One line per problem: code, WO, message, fix.
pub fn line(f: &Finding) -> String {
    format!(
        "{} {}: {} (fix: {})",
        f.code,
        f.wo_id.as_deref().unwrap_or("-"),
        f.message,
        f.hint
    )
}

/// The warning line of a failing finding about a WO this commit does not stage.
pub fn unstaged_line(f: &Finding) -> String {
    format!(
        "warning: {} {}: {} (not staged in this commit, not blocking; fix: {})",
        f.code,
        f.wo_id.as_deref().unwrap_or("-"),
        f.message,
        f.hint
    )
}

/// The warning line of a lockless running WO older than 24 h.
pub fn old_lockless_line(f: &Finding) -> String {
    format!(
        "warning: {} {}: {} (older than 24 h, not blocking)",
        f.code,
        f.wo_id.as_deref().unwrap_or("-"),
        f.message
    )
}

/// The first moment after `inv.now` at which time alone could change the gate's
/// verdict on `inv`: a lease ending, a lockless running WO turning 24 h old, a temp
/// file or ref lock becoming a leftover. `None`: nothing in it depends on time.
pub fn verdict_expires(inv: &Inventory) -> Option<DateTime<Utc>> {
    let mut times: Vec<DateTime<Utc>> = Vec::new();
    for s in inv.records.values() {
        let r = &s.record;
        times.push(r.updated_at + lockless_grace());
        if let Some(l) = &r.lock {
            times.extend([l.expires_at, l.renewed_at + lockless_grace()]);
        }
    }
    for f in inv.files.iter().filter(|f| f.folder == State::Running) {
        times.extend(
            started(f)
                .into_iter()
                .chain(f.modified())
                .map(|t| t + lockless_grace()),
        );
    }
    times.extend(inv.leftovers_due);
    times.into_iter().filter(|t| *t > inv.now).min()
}

/// How old a lockless running WO may get before it only warns.
pub fn lockless_grace() -> Duration {
    Duration::hours(24)
}

#[derive(Debug, Serialize)]
pub struct GateResult {
    pub schema: &'static str,
    pub source: String,
    pub failures: Vec<Finding>,
    pub warnings: Vec<Finding>,
    /// Failing findings about WOs whose files this commit does not stage (SPEC §5: the
    /// gate refuses only for staged WOs; the rest is printed, never blocking).
    pub not_staged: Vec<Finding>,
}

/// Which WOs a gate may refuse for.
#[derive(Debug, Clone)]
pub enum Scope<'s> {
    /// Every WO (`git wo check` on the working tree or a tree).
    All,
    /// The WOs whose files are staged (the pre-commit gate, `check --staged`).
    Staged(&'s BTreeSet<String>),
}

impl GateResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Split `findings` into gate failures, warnings, and failures about WOs out of `scope`.
pub fn gate(
    inv: &Inventory,
    findings: Vec<Finding>,
    fail_on: &BTreeSet<Code>,
    scope: &Scope<'_>,
) -> GateResult {
    let mut failures = Vec::new();
    let mut warnings = Vec::new();
    let mut not_staged = Vec::new();
    for f in findings {
        if !fail_on.contains(&f.code) {
            warnings.push(f);
            continue;
        }
        if f.code == Code::RunningWithoutLock && !lockless_is_young(inv, f.wo_id.as_deref()) {
            warnings.push(f);
            continue;
        }
        if let Scope::Staged(ids) = scope
            && !f.wo_id.as_ref().is_some_and(|id| ids.contains(id))
        {
            not_staged.push(f);
            continue;
        }
        failures.push(f);
    }
    let source = match &inv.source {
        crate::inventory::Source::WorkingTree => "working-tree".to_owned(),
        crate::inventory::Source::Index | crate::inventory::Source::IndexFile(_) => {
            "index".to_owned()
        }
        crate::inventory::Source::Tree(t) => format!("tree:{t}"),
    };
    GateResult {
        schema: "git-wo.check.v1",
        source,
        failures,
        warnings,
        not_staged,
    }
}

/// Whether a running WO without a lock is under 24 h old (unknown age counts as young:
/// the gate fails closed).
fn lockless_is_young(inv: &Inventory, id: Option<&str>) -> bool {
    let Some(id) = id else { return true };
    let since: Option<DateTime<Utc>> = match inv.records.get(id) {
        Some(s) => Some(
            s.record
                .lock
                .as_ref()
                .map_or(s.record.updated_at, |l| l.renewed_at),
        ),
        None => inv
            .files
            .iter()
            .filter(|f| {
                f.is_live()
                    && f.folder == State::Running
                    && f.id.as_ref().is_some_and(|i| i.as_str() == id)
            })
            .find_map(|f| started(f).or(f.modified())),
    };
    since.is_none_or(|t| inv.now - t < lockless_grace())
}

/// The YAML's `started_at`, when it is a valid RFC 3339 time.
fn started(f: &crate::model::order::OrderFile) -> Option<DateTime<Utc>> {
    f.started_at().and_then(|s| {
        DateTime::parse_from_rfc3339(&s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    })
}
