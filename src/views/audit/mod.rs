//! `audit`: every finding of SPEC §6, a pure function of the [`Inventory`].
//!
//! One small rule per code, each over the inventory's per-WO model ([`WoView`]: the
//! WO's copies readable or not, its record and holder, the worktrees it owns) and its
//! [`Standing`]: whether repairs may act on it, which reconcile's plan reads too. A
//! finding's `fix` is the one command that resolves it, run as printed, or none when a
//! person must decide (its hint says what to look at).
//!
//! - [`copies`]: invalid_yaml, status_mismatch, split_brain, duplicate_yaml
//! - [`running`]: running_without_lock, stale_lock, running_without_worktree, fail_but_running
//! - [`locks`]: lock_without_running, lock_mismatch
//! - [`record`]: state_mismatch, orphan_record, interrupted_transition,
//!   missing_intent_marker, unmirrored
//! - [`worktrees`]: prunable_worktree, ghost_worktree, zombie_worktree, branch_mismatch,
//!   worktree_conflict
//! - [`scope`]: out_of_scope, a running WO's branch against its scope
//! - [`deps`]: dependency_cycle, missing_dependency, started_before_dependency
//! - [`repo`]: hooks_missing, invalid_record, invalid_lock, leftover_file
//! - [`dod`]: unknown_dod, invalid_dod
//! - [`sync`]: sync_conflict, as the last `git wo sync` found it
//! - [`backlog`]: the unknown_epic rule

mod backlog;
mod copies;
mod deps;
mod dod;
mod locks;
mod record;
mod repo;
mod running;
mod scope;
mod sync;
mod wo;
mod worktrees;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::inventory::{Inventory, WoMap, WoView};
use crate::model::finding::Finding;
use crate::model::order::OrderFile;
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::views::standing::Standing;
use wo::Wo;

/// The JSON report, in the shape of the original auditor (SPEC §6).
#[derive(Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub audit_timestamp: String,
    pub repo_root: String,
    pub git_head: Option<String>,
    pub summary: Summary,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub total_findings: usize,
    pub by_code: BTreeMap<String, usize>,
    pub by_severity: BTreeMap<String, usize>,
    pub worktrees_active: usize,
    pub wos_total_unique: usize,
    /// The ids of the WOs with a copy in `running/`, as the original lists them.
    pub running_yamls: Vec<String>,
    /// The paths of those copies.
    pub running_yaml_paths: Vec<String>,
    pub locks_active: Vec<String>,
    /// Live WO YAML files (a split-brain WO counts once per copy).
    pub yamls_total: usize,
}

/// The report of `findings`, made by [`audit_of`] from `wos`, `inv`'s WO map.
pub fn report(inv: &Inventory, wos: &WoMap<'_>, findings: Vec<Finding>) -> Report {
    let mut by_code = BTreeMap::new();
    let mut by_severity: BTreeMap<String, usize> = ["P0", "P1", "P2"]
        .iter()
        .map(|s| (s.to_string(), 0))
        .collect();
    for f in &findings {
        *by_code.entry(f.code.as_str().to_owned()).or_insert(0) += 1;
        *by_severity
            .entry(f.severity.as_str().to_owned())
            .or_insert(0) += 1;
    }
    let yamls_total = inv.files.iter().filter(|f| f.is_live()).count();
    // The map holds a WO's live files under its id: the WOs with one are the ids of
    // the live files, counted once each (where a sort of 100,000 ids took 4 ms).
    let wos_total_unique = wos.iter().filter(|(_, v)| !v.files().is_empty()).count();
    let running: Vec<&OrderFile> = inv
        .files
        .iter()
        .filter(|f| f.counts_as_copy() && f.folder == State::Running)
        .collect();
    let mut running_yamls: Vec<String> = running
        .iter()
        .filter_map(|f| f.id.as_ref().map(|i| i.to_string()))
        .collect();
    running_yamls.sort();
    running_yamls.dedup();
    Report {
        schema: "git-wo.audit.v1",
        audit_timestamp: inv.now.to_rfc3339(),
        repo_root: inv.control_root.to_string_lossy().into_owned(),
        git_head: inv.git_head.clone(),
        summary: Summary {
            total_findings: findings.len(),
            by_code,
            by_severity,
            worktrees_active: inv.worktrees.iter().filter(|w| w.exists).count(),
            wos_total_unique,
            running_yamls,
            running_yaml_paths: running.iter().map(|f| inv.rel(f.rel_path())).collect(),
            locks_active: inv.locks.iter().map(|l| l.id.to_string()).collect(),
            yamls_total,
        },
        findings,
    }
}

/// Every finding, ordered by severity, code, WO.
pub fn audit(inv: &Inventory) -> Vec<Finding> {
    audit_of(inv, &wos_of(inv))
}

/// [`audit`] and its [`report`], from one WO map.
pub fn audit_report(inv: &Inventory) -> Report {
    let wos = wos_of(inv);
    let findings = audit_of(inv, &wos);
    let _t = crate::trace::phase("audit: report");
    report(inv, &wos, findings)
}

fn wos_of(inv: &Inventory) -> WoMap<'_> {
    let _t = crate::trace::phase("audit: wos");
    inv.wos()
}

/// [`audit`] for a caller that has built `inv`'s WO map already (`status`): at
/// 100,000 WOs a second map was 10 MB and 15 ms.
pub fn audit_of(inv: &Inventory, wos: &WoMap<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    copies::invalid_yaml(inv, &mut out);
    let t = crate::trace::phase("audit: wo findings");
    // At 100,000 WOs the per-WO rules took 5 ms and the rules across WOs 2 on one core
    // while the other was idle: for a big map, the second half of the per-WO walk and
    // the dependency rules run on a thread of their own. (The findings keep the order
    // one thread gives them.)
    let split = wos.len() >= SPLIT_FROM && crate::parallel::cores() > 1;
    let half = if split { wos.len() / 2 } else { wos.len() };
    let mut of_worktrees = Vec::new();
    let (second, of_deps) = std::thread::scope(|scope| {
        let other = split.then(|| {
            crate::placement::spawn(scope, || {
                let _t = crate::trace::phase("audit: 2nd half");
                let (mut second, mut of_deps) = (Vec::new(), Vec::new());
                per_wo_findings(inv, wos.range(half..wos.len()), &mut second);
                deps::findings(inv, wos, &mut of_deps);
                (second, of_deps)
            })
        });
        per_wo_findings(inv, wos.range(0..half), &mut out);
        worktrees::findings(inv, wos, &mut of_worktrees);
        match other {
            Some(handle) => crate::parallel::join(handle),
            None => {
                let mut of_deps = Vec::new();
                deps::findings(inv, wos, &mut of_deps);
                (Vec::new(), of_deps)
            }
        }
    });
    out.extend(second);
    out.extend(of_worktrees);
    out.extend(of_deps);
    drop(t);
    let _t = crate::trace::phase("audit: the rest");
    repo::findings(inv, &mut out);
    dod::invalid_dod(inv, &mut out);
    sync::findings(inv, &mut out);
    out.sort_by(|a, b| {
        (a.severity, a.code, &a.wo_id, &a.paths).cmp(&(b.severity, b.code, &b.wo_id, &b.paths))
    });
    out
}

/// Below this many WOs one thread walks them all (a thread costs more to start).
const SPLIT_FROM: usize = 4096;

/// [`wo_findings`] of each WO of `wos`, in order.
fn per_wo_findings<'m, 'a: 'm>(
    inv: &Inventory,
    wos: impl Iterator<Item = (&'m WoId, &'m WoView<'a>)>,
    out: &mut Vec<Finding>,
) {
    for (id, v) in wos {
        let wo = Wo {
            inv,
            id,
            v,
            standing: Standing::of(inv, v),
        };
        wo_findings(&wo, out);
    }
}

/// The per-WO rules. A WO repairs may not touch gets only the findings about its files,
/// each saying why a person decides.
fn wo_findings(wo: &Wo<'_, '_>, out: &mut Vec<Finding>) {
    out.extend(copies::split_brain(wo));
    out.extend(copies::duplicate_yaml(wo));
    out.extend(copies::status_mismatch(wo));
    out.extend(dod::unknown_dod(wo));
    out.extend(backlog::unknown_epic(wo));
    if !wo.standing.is_open() {
        return;
    }
    out.extend(running::running_without_lock(wo));
    out.extend(running::stale_lock(wo));
    out.extend(running::running_without_worktree(wo));
    out.extend(running::fail_but_running(wo));
    out.extend(scope::out_of_scope(wo));
    out.extend(locks::lock_without_running(wo));
    out.extend(locks::lock_mismatch(wo));
    out.extend(record::state_mismatch(wo));
    out.extend(record::orphan_record(wo));
    out.extend(record::interrupted_transition(wo));
    out.extend(record::missing_intent_marker(wo));
    out.extend(record::unmirrored(wo));
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::inventory::Inventory;
    use crate::model::finding::{Code, Finding};
    use crate::model::order::OrderFile;
    use crate::model::state::State;

    pub fn file(state: State, name: &str, yaml: &str) -> OrderFile {
        OrderFile::in_folder(state, name, yaml)
    }

    pub fn inv(files: Vec<OrderFile>) -> Inventory {
        Inventory::from_files(std::path::Path::new("/repo"), files, crate::clock::now())
    }

    /// The findings of `code`, as (wo_id, fix).
    pub fn of(findings: &[Finding], code: Code) -> Vec<(String, Option<String>)> {
        findings
            .iter()
            .filter(|f| f.code == code)
            .map(|f| (f.wo_id.clone().unwrap_or_default(), f.fix.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::audit;
    use super::test_support::{file, inv};
    use crate::model::finding::{Code, Severity};
    use crate::model::state::State;

    /// Views are pure functions of the inventory: built here without git.
    #[test]
    fn split_brain_names_its_copies_and_the_winner() {
        let inv = inv(vec![
            file(
                State::Pending,
                "WO-0001.yaml",
                "id: WO-0001\nstatus: pending\n",
            ),
            file(
                State::Done,
                "WO-0001.yaml",
                "id: WO-0001\nstatus: done\nfinished_at: 2026-01-01T00:00:00Z\n",
            ),
            file(
                State::Pending,
                "WO-0002.yaml",
                "id: WO-0002\nstatus: running\n",
            ),
        ]);
        let findings = audit(&inv);
        let split = findings
            .iter()
            .find(|f| f.code == Code::SplitBrain)
            .expect("split_brain");
        assert_eq!(split.wo_id.as_deref(), Some("WO-0001"));
        assert_eq!(split.subject.winner, Some(State::Done));
        assert_eq!(split.subject.copies.len(), 2);
        let mismatch = findings
            .iter()
            .find(|f| f.code == Code::StatusMismatch)
            .expect("status_mismatch");
        assert_eq!(mismatch.wo_id.as_deref(), Some("WO-0002"));
        assert_eq!(mismatch.subject.winner, Some(State::Pending));
        assert_eq!(findings.len(), 2, "{findings:?}");
    }

    #[test]
    fn a_map_walked_on_two_threads_gives_each_wos_findings_once_in_order() {
        // Past the size where the walk is shared out; every 7th WO's status disagrees
        // with its folder.
        let n = super::SPLIT_FROM + 905;
        let files = (0..n)
            .map(|i| {
                let status = if i % 7 == 0 { "done" } else { "pending" };
                // And the last WO waits on one that does not exist.
                let deps = if i == n - 1 {
                    "dependencies: [WO-99999]\n"
                } else {
                    ""
                };
                file(
                    State::Pending,
                    &format!("WO-{i:05}.yaml"),
                    &format!("id: WO-{i:05}\nstatus: {status}\n{deps}"),
                )
            })
            .collect();
        let findings = audit(&inv(files));
        let missing: Vec<&str> = findings
            .iter()
            .filter(|f| f.code == Code::MissingDependency)
            .filter_map(|f| f.wo_id.as_deref())
            .collect();
        let last = format!("WO-{:05}", n - 1);
        assert_eq!(missing, [last.as_str()]);
        let ids: Vec<String> = findings
            .iter()
            .filter(|f| f.code == Code::StatusMismatch)
            .filter_map(|f| f.wo_id.clone())
            .collect();
        let expected: Vec<String> = (0..n)
            .filter(|i| i % 7 == 0)
            .map(|i| format!("WO-{i:05}"))
            .collect();
        assert_eq!(ids, expected);
    }

    #[test]
    fn unique_wos_are_the_ids_of_live_copies_counted_once() {
        let archived = crate::model::order::OrderFile::parse(
            "_ctx/jobs/done/2025/WO-0004.yaml".into(),
            State::Done,
            true,
            b"id: WO-0004\nstatus: done\n",
        );
        let wo = |state: State, id: &str| {
            file(
                state,
                &format!("{id}.yaml"),
                &format!("id: {id}\nstatus: {state}\n"),
            )
        };
        let inv = inv(vec![
            // Split-brain: two live copies, one WO.
            wo(State::Pending, "WO-0001"),
            wo(State::Done, "WO-0001"),
            wo(State::Pending, "WO-0002"),
            // Unreadable: a copy, but not a live YAML.
            file(State::Pending, "WO-0003.yaml", "id: [\n"),
            // Archived only: not live.
            archived,
        ]);
        let wos = inv.wos();
        let rep = super::report(&inv, &wos, super::audit_of(&inv, &wos));
        assert_eq!(rep.summary.yamls_total, 3);
        assert_eq!(rep.summary.wos_total_unique, 2);
        // The same report as audit's own.
        let again = super::audit_report(&inv);
        assert_eq!(again.summary.wos_total_unique, 2);
        assert_eq!(again.findings.len(), rep.findings.len());
    }

    #[test]
    fn severities_are_written_as_the_original_writes_them() {
        let json = serde_json::to_string(&Severity::P0).expect("json");
        assert_eq!(json, "\"P0\"");
    }
}
