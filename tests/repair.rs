//! `git wo reconcile` and `git wo gc` on real repositories: the plan's walkthrough on
//! the baseline fixture, each rule of SPEC §7 and §8, quarantine and restore.

use crate::common;

use std::path::PathBuf;

use common::{Scenario, files, yaml_copies};

const GATE: &str = "split_brain,running_without_lock,ghost_worktree,zombie_worktree";

fn quarantine_root(s: &Scenario) -> PathBuf {
    s.path(".git/wo/quarantine")
}

#[test]
fn the_plans_walkthrough_on_the_baseline_loses_nothing() {
    let s = Scenario::build("baseline");
    let before = files(&s.path("_ctx/jobs"));
    // A zombie holding an uncommitted file.
    let dirty = s.worktree("WO-0031");
    std::fs::write(dirty.join("notes.txt"), "half a thought\n").unwrap();

    let (code, out, err) = s.run(&["snapshot", "--dir", "data/base"]);
    // The baseline is written; the gate fails on it (exit 1, as audit does).
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("gate fails"), "{out}{err}");
    // Audit's hints name the tool that repairs each finding.
    let (_, audit) = s.json(&["audit"]);
    for f in audit["findings"].as_array().unwrap() {
        let tool = match f["code"].as_str().unwrap() {
            "split_brain" => "git wo reconcile --apply",
            "ghost_worktree" | "zombie_worktree" => "git wo gc --apply",
            _ => continue,
        };
        assert!(f["hint"].as_str().unwrap().starts_with(tool), "{f}");
    }

    // The plan: nothing changes, exit 1 (there is a plan), the JSON names each repair.
    let (code, out, _) = s.run(&["reconcile", "--json", "data/base/reconcile_plan.json"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        files(&s.path("_ctx/jobs")),
        before,
        "a plan changes nothing"
    );
    let plan: serde_json::Value =
        serde_json::from_str(&s.read("data/base/reconcile_plan.json")).unwrap();
    assert_eq!(plan["schema"], "git-wo.reconcile.v1");
    assert_eq!(plan["dry_run"], true);
    let planned: Vec<(&str, &str, &str)> = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["wo_id"].as_str().unwrap(),
                a["code"].as_str().unwrap(),
                a["safety"].as_str().unwrap(),
            )
        })
        .collect();
    for id in ["WO-0014", "WO-0015", "WO-0046", "WO-0048", "WO-0055"] {
        assert!(
            planned.contains(&(id, "split_brain", "safe")),
            "{id}: {planned:?}"
        );
    }

    // Apply: exit 0, then a second plan is empty (idempotent).
    let (code, out, err) = s.run(&[
        "reconcile",
        "--apply",
        "--json",
        "data/base/reconcile_result.json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("--restore"), "says how to undo: {out}");
    let result: serde_json::Value =
        serde_json::from_str(&s.read("data/base/reconcile_result.json")).unwrap();
    assert_eq!(result["dry_run"], false);
    assert!(
        result["actions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["outcome"] == "applied"),
        "{result}"
    );
    let (code, again) = s.json(&["reconcile"]);
    assert_eq!(code, 0, "{again}");
    assert_eq!(again["actions"].as_array().unwrap().len(), 0, "{again}");
    assert_eq!(yaml_copies(&s, "WO-0014"), ["done"]);
    assert_eq!(yaml_copies(&s, "WO-0046"), ["failed"]);
    assert_eq!(yaml_copies(&s, "WO-0048"), ["failed"]);
    assert_eq!(yaml_copies(&s, "WO-0015").len(), 1);
    assert_eq!(yaml_copies(&s, "WO-0055").len(), 1);

    // gc: a dry run changes nothing and exits 1.
    let wts = s.git(&["worktree", "list", "--porcelain"]);
    let (code, report) = s.json(&["gc", "--min-age", "0"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["dry_run"], true);
    assert_eq!(s.git(&["worktree", "list", "--porcelain"]), wts);
    assert_eq!(report["summary"]["ghosts_found"], 1);

    // Apply: the ghost and the clean zombies go, the dirty one stays (exit 1: kept).
    let (code, report) = s.json(&["gc", "--apply", "--min-age", "0"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["summary"]["ghosts_removed"], 1, "{report}");
    assert_eq!(report["summary"]["zombies_skipped_dirty"], 1, "{report}");
    assert!(!s.worktree("WO-0052").exists(), "the ghost is gone");
    for id in [
        "WO-0014", "WO-0030", "WO-0032", "WO-0033", "WO-0034", "WO-0035", "WO-0036", "WO-0037",
        "WO-0048",
    ] {
        assert!(!s.worktree(id).exists(), "{id}: clean zombie removed");
        assert!(
            !s.git(&["branch", "--list", &format!("feat/wo-{id}")])
                .is_empty(),
            "{id}: branch kept"
        );
    }
    assert!(dirty.join("notes.txt").exists(), "the dirty zombie is kept");
    let kept = report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["wo_id"] == "WO-0031")
        .unwrap()
        .clone();
    assert_eq!(kept["action"], "kept");
    assert_eq!(kept["is_dirty"], true);
    assert!(kept["reasons"].to_string().contains("notes.txt"), "{kept}");

    // --force removes it, and its file is in quarantine.
    let (code, report) = s.json(&["gc", "--apply", "--force", "--min-age", "0"]);
    assert_eq!(code, 0, "{report}");
    assert!(!dirty.exists());
    let saved = files(&quarantine_root(&s));
    assert!(
        saved
            .iter()
            .any(|(p, b)| p.ends_with("worktrees/WO-0031/notes.txt") && b == b"half a thought\n"),
        "{:?}",
        saved.keys().collect::<Vec<_>>()
    );

    // The plan's Definition of Done.
    let (code, out, _) = s.run(&["audit", "--fail-on", GATE]);
    assert_eq!(code, 0, "{out}");
    let (code, out, err) = s.run(&["check"]);
    assert_eq!(code, 0, "{out}{err}");

    // Every YAML byte that existed is in place or in quarantine.
    let now = files(&s.path("_ctx/jobs"));
    let aside = common::quarantined(&s);
    for (rel, bytes) in &before {
        let full = format!("_ctx/jobs/{}", rel.display());
        let in_place = now.get(rel) == Some(bytes);
        assert!(
            in_place || aside.get(&full) == Some(bytes),
            "{full} was lost"
        );
    }
    // gc.log has one JSON line per run.
    let log = s.read(".git/wo/gc.log");
    assert_eq!(log.lines().count(), 3, "{log}");
    assert!(
        log.lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
    );
}

#[test]
fn restore_puts_the_quarantined_copies_back() {
    let s = Scenario::build("split_brain");
    let pending = s.read("_ctx/jobs/pending/WO-0014.yaml");
    let (code, r) = s.json(&["reconcile", "--apply"]);
    assert_eq!(code, 0, "{r}");
    let stamp = r["quarantine"].as_str().unwrap().to_owned();
    assert_eq!(yaml_copies(&s, "WO-0014"), ["done"]);

    let (code, out, err) = s.run(&["reconcile", "--restore", &stamp]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(s.read("_ctx/jobs/pending/WO-0014.yaml"), pending);
    assert_eq!(yaml_copies(&s, "WO-0014"), ["pending", "done"]);
    let (code, out, _) = s.run(&["reconcile", "--restore", &stamp]);
    assert_eq!(code, 0);
    assert!(out.contains("already back"), "{out}");

    let (code, _, err) = s.run(&["reconcile", "--restore", "no-such-run"]);
    assert_eq!(code, 2);
    assert!(err.contains(&stamp), "names the folders there are: {err}");
}

#[test]
fn locks_and_status_follow_the_state() {
    for (scenario, id, code) in [
        ("lock_without_running", "WO-0060", "lock_without_running"),
        ("running_without_lock", "WO-0050", "running_without_lock"),
        ("status_mismatch", "WO-0040", "status_mismatch"),
    ] {
        let s = Scenario::build(scenario);
        let (c, plan) = s.json(&["reconcile"]);
        assert_eq!(c, 1, "{scenario}: {plan}");
        let actions = plan["actions"].as_array().unwrap();
        assert_eq!(actions.len(), 1, "{scenario}: {plan}");
        assert_eq!(actions[0]["wo_id"], id);
        assert_eq!(actions[0]["code"], code);
        assert_eq!(actions[0]["safety"], "safe");
        let (c, out, err) = s.run(&["reconcile", "--apply"]);
        assert_eq!(c, 0, "{scenario}: {out}{err}");
        let (c, report) = s.json(&["audit"]);
        assert_eq!(c, 0, "{scenario}: {report}");
    }
}

#[test]
fn a_running_wo_with_nothing_live_is_requeued_only_with_force() {
    let s = Scenario::build("empty");
    s.write_wo("running", "WO-0099", "");
    s.commit_all("wo");
    let (code, plan) = s.json(&["reconcile"]);
    assert_eq!(code, 1);
    assert_eq!(plan["actions"][0]["safety"], "unsafe", "{plan}");
    let (code, r) = s.json(&["reconcile", "--apply"]);
    assert_eq!(code, 1, "skipped: {r}");
    assert_eq!(yaml_copies(&s, "WO-0099"), ["running"]);
    let (code, r) = s.json(&["reconcile", "--apply", "--force"]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(yaml_copies(&s, "WO-0099"), ["pending"]);
    assert!(
        s.read("_ctx/jobs/pending/WO-0099.yaml")
            .contains("status: pending")
    );
}

#[test]
fn the_record_is_the_truth() {
    let s = Scenario::build("empty");
    for id in ["WO-0001", "WO-0002"] {
        s.write_wo("pending", id, "");
    }
    s.commit_all("wo");
    assert_eq!(s.run(&["init"]).0, 0);
    let (code, out, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 0, "{out}{err}");
    // Someone moves the running YAML back by hand; another deletes WO-0002's YAML and
    // adds a WO nobody imported.
    std::fs::rename(
        s.path("_ctx/jobs/running/WO-0001.yaml"),
        s.path("_ctx/jobs/pending/WO-0001.yaml"),
    )
    .unwrap();
    std::fs::remove_file(s.path("_ctx/jobs/running/WO-0001.lock")).unwrap();
    let wo2 = s.read("_ctx/jobs/pending/WO-0002.yaml");
    std::fs::remove_file(s.path("_ctx/jobs/pending/WO-0002.yaml")).unwrap();
    s.write_wo("pending", "WO-0003", "");

    let (code, plan) = s.json(&["reconcile"]);
    assert_eq!(code, 1);
    let codes: Vec<(String, String)> = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["wo_id"].as_str().unwrap().into(),
                a["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("WO-0001".to_owned(), "state_mismatch".to_owned()),
            // (Its record's lock is live: the missing `.lock` is a lock_mismatch, as
            // audit reports it, not running_without_lock.)
            ("WO-0001".into(), "lock_mismatch".into()),
            ("WO-0002".into(), "orphan_record".into()),
            ("WO-0003".into(), "unmirrored".into()),
        ],
        "{plan}"
    );
    let (code, out, err) = s.run(&["reconcile", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(yaml_copies(&s, "WO-0001"), ["running"]);
    assert!(s.path("_ctx/jobs/running/WO-0001.lock").exists());
    assert_eq!(
        s.read("_ctx/jobs/pending/WO-0002.yaml"),
        wo2,
        "restored byte for byte"
    );
    assert!(!s.git(&["rev-parse", "refs/wo/orders/WO-0003"]).is_empty());
    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(s.json(&["reconcile"]).0, 0, "nothing left");
}

#[test]
fn gc_releases_stale_locks_and_prunes_metadata() {
    let s = Scenario::build("stale_lock");
    let (code, out, err) = s.run(&["gc", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(yaml_copies(&s, "WO-0070"), ["pending"]);
    assert!(!s.path("_ctx/jobs/running/WO-0070.lock").exists());
    assert!(s.worktree("WO-0070").exists(), "worktree kept");
    assert!(!s.git(&["branch", "--list", "feat/wo-WO-0070"]).is_empty());

    let s = Scenario::build("prunable");
    let (code, r) = s.json(&["gc"]);
    assert_eq!(code, 1);
    assert_eq!(r["actions"][0]["action"], "would_prune", "{r}");
    let (code, r) = s.json(&["gc", "--apply"]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["summary"]["prunable_pruned"], 1, "{r}");
    assert!(
        !s.git(&["worktree", "list", "--porcelain"])
            .contains("prunable")
    );
}

#[test]
fn gc_never_removes_what_it_must_not() {
    let s = Scenario::build("zombie");
    // Default --min-age: just created, so kept; the dry run says why.
    let (code, r) = s.json(&["gc"]);
    assert_eq!(code, 1);
    assert!(
        r["actions"][0]["reasons"].to_string().contains("min-age"),
        "{r}"
    );

    // Someone else's git lock, and a commit on no branch: kept even with --force.
    let w80 = s.worktree("WO-0080");
    let w81 = s.worktree("WO-0081");
    s.git(&[
        "worktree",
        "lock",
        "--reason",
        "on my usb disk",
        &w80.to_string_lossy(),
    ]);
    s.git_at(&w81, &["checkout", "-q", "--detach"]);
    s.git_at(&w81, &["commit", "-q", "--allow-empty", "-m", "lost work"]);
    let (code, r) = s.json(&["gc", "--apply", "--force", "--min-age", "0"]);
    assert_eq!(code, 1, "{r}");
    assert!(w80.exists() && w81.exists(), "{r}");
    let text = r.to_string();
    assert!(text.contains("locked by someone else"), "{text}");
    assert!(text.contains("on no branch"), "{text}");
    assert_eq!(r["summary"]["kept"], 2, "{r}");
}

#[test]
fn gc_waits_for_another_gc() {
    let s = Scenario::build("zombie");
    std::fs::create_dir_all(s.path(".git/wo")).unwrap();
    std::fs::write(
        s.path(".git/wo/repo.lock"),
        "pid 1\nhost some-other-host\nop git wo gc\n",
    )
    .unwrap();
    let (code, _, err) = s.run(&["gc", "--apply", "--min-age", "0"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("repo.lock"), "{err}");
    assert!(s.worktree("WO-0080").exists());
    // A dry run reads only: it does not need the lock.
    assert_eq!(s.run(&["gc", "--min-age", "0"]).0, 1);
}

#[test]
fn json_path_and_global_json_both_work() {
    let s = Scenario::build("split_brain");
    let (code, doc) = s.json(&["reconcile", "--json", "plan.json"]);
    assert_eq!(code, 1);
    assert_eq!(doc["schema"], "git-wo.reconcile.v1");
    assert!(s.path("plan.json").exists());
    let (code, out, _) = s.run(&["reconcile", "--json-out=p2.json"]);
    assert_eq!(code, 1, "{out}");
    assert!(s.path("p2.json").exists());
}

#[test]
fn gc_keeps_staged_and_ignored_work_but_not_build_output() {
    let s = Scenario::build("zombie");
    let w80 = s.worktree("WO-0080");
    let w81 = s.worktree("WO-0081");
    std::fs::write(w80.join(".gitignore"), "node_modules/\n.env\n").unwrap();
    s.git_at(&w80, &["add", ".gitignore"]);
    s.git_at(&w80, &["commit", "-q", "-m", "ignore"]);
    std::fs::create_dir_all(w80.join("node_modules/x")).unwrap();
    std::fs::write(w80.join("node_modules/x/index.js"), "//\n").unwrap();
    // WO-0080: only build output: removed. WO-0081: a staged file, and a secret.
    std::fs::write(w81.join(".gitignore"), ".env\n").unwrap();
    std::fs::write(w81.join(".env"), "TOKEN=1\n").unwrap();
    s.git_at(&w81, &["add", ".gitignore"]);
    let (code, r) = s.json(&["gc", "--apply", "--min-age", "0"]);
    assert_eq!(code, 1, "{r}");
    assert!(!w80.exists(), "build output is disposable: {r}");
    assert!(w81.exists());
    let text = r.to_string();
    assert!(text.contains("modified or staged"), "{text}");
    assert!(
        text.contains("ignored file(s) that are not build output"),
        "{text}"
    );
}

#[test]
fn gc_packs_the_records_and_rebuilds_the_caches() {
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["init"]).0, 0);
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    assert!(
        s.path(".git/refs/wo/orders/WO-0001").exists(),
        "a take writes a loose ref"
    );
    assert_eq!(s.json(&["audit"]).0, 0, "caches written");
    let (code, r) = s.json(&["gc", "--apply"]);
    assert_eq!(code, 0, "{r}");
    assert!(!s.path(".git/refs/wo/orders/WO-0001").exists(), "packed");
    assert!(
        s.read(".git/packed-refs")
            .contains("refs/wo/orders/WO-0001")
    );
    assert!(r["summary"]["bytes_reclaimed"].as_u64().unwrap() > 0, "{r}");
    assert!(s.path(".git/wo/parse-cache").exists(), "rebuilt");
    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn a_stray_lock_of_no_wo_is_quarantined() {
    let s = Scenario::build("empty");
    std::fs::write(s.path("_ctx/jobs/running/WO-0123.lock"), "WO-0123\n").unwrap();
    let (code, r) = s.json(&["reconcile", "--apply"]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["actions"][0]["code"], "lock_without_running", "{r}");
    assert!(!s.path("_ctx/jobs/running/WO-0123.lock").exists());
    assert_eq!(
        common::quarantined(&s).get("_ctx/jobs/running/WO-0123.lock"),
        Some(&b"WO-0123\n".to_vec())
    );
    assert_eq!(s.json(&["audit"]).0, 0);
}

#[test]
fn force_requeues_an_unheld_running_wo_that_has_a_record() {
    // Imported as running without a lock; its started_at is fresh, its worktree gone.
    let s = Scenario::build("empty");
    let now = chrono::Utc::now().to_rfc3339();
    s.write_wo("running", "WO-0099", &format!("started_at: \"{now}\"\n"));
    s.commit_all("wo");
    assert_eq!(s.run(&["init"]).0, 0);
    let (code, r) = s.json(&["reconcile", "--apply", "--force"]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(yaml_copies(&s, "WO-0099"), ["pending"]);
    let record = s.git(&["show", "refs/wo/orders/WO-0099:record.json"]);
    assert!(record.contains("\"state\": \"pending\""), "{record}");
    assert_eq!(s.json(&["reconcile"]).0, 0, "nothing left");
}
