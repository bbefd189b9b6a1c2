//! One truth for every view (issue: audit, reconcile, gc, the gate and the fix hints
//! agree): another clone's WO, unreadable copies, who owns a worktree, the staged-only
//! gate, and hints that close a WO in the commands they print. Real repositories, the
//! real binary.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use common::team::Team;
use common::{Scenario, codes, jobs_files};

/// A scenario, initialised, with `WO-0001` taken by alice.
fn taken() -> Scenario {
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["init"]).0, 0);
    let (code, _, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 0, "{err}");
    s
}

/// Every finding of `report` about `id`, as (code, fix).
fn about(report: &serde_json::Value, id: &str) -> Vec<(String, Option<String>)> {
    let mut v: Vec<(String, Option<String>)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["wo_id"].as_str() == Some(id))
        .map(|f| {
            (
                f["code"].as_str().unwrap_or("").to_owned(),
                f["fix"].as_str().map(str::to_owned),
            )
        })
        .collect();
    v.sort();
    v
}

/// The WOs `reconcile`'s plan has actions for.
fn planned(s: &Scenario, dir: &Path) -> Vec<String> {
    let (_, plan) = s.json_in(dir, &["reconcile"]);
    let mut ids: Vec<String> = plan["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(|a| a["wo_id"].as_str().map(str::to_owned))
        .collect();
    ids.dedup();
    ids
}

const CONFLICTED: &str = "version: 1\n<<<<<<< HEAD\nid: WO-0001\nstatus: running\n=======\nid: WO-0001\nstatus: pending\n>>>>>>> theirs\n";

// 1. Another clone's WO ------------------------------------------------------------

#[test]
fn another_clones_wo_is_not_repaired_here_and_the_pull_goes_through() {
    let ids: Vec<String> = ["WO-0001", "WO-0002"].map(String::from).into();
    let t = Team::new(&ids, |p| p.to_string_lossy().into_owned());
    assert_eq!(t.wo(&t.a, &["sync"]).0, 0);
    assert_eq!(t.wo(&t.b, &["sync"]).0, 0);
    assert_eq!(t.wo(&t.a, &["take", "WO-0001"]).0, 0);
    assert_eq!(t.wo(&t.b, &["sync"]).0, 0);
    let plan = |dir: &Path| {
        let (_, out, _) = t.wo(dir, &["--json", "reconcile"]);
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        v["actions"].as_array().expect("actions").len()
    };
    // bob has alice's record, not yet her YAML move: nothing for him to repair.
    assert_eq!(plan(&t.b), 0);
    let before = common::files(&t.b.join("_ctx/jobs"));
    let (code, _, err) = t.wo(&t.b, &["reconcile", "--apply"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        common::files(&t.b.join("_ctx/jobs")),
        before,
        "nothing written"
    );
    assert_eq!(
        t.git(&t.b, &["status", "--porcelain"]),
        "",
        "nothing staged"
    );
    // Her move reaches bob with an ordinary pull, which nothing of his blocks.
    t.git(&t.a, &["commit", "-q", "-m", "take WO-0001"]);
    t.git(&t.a, &["push", "-q", "origin", "main"]);
    t.git(&t.b, &["pull", "-q", "--ff-only", "origin", "main"]);
    // After it, audit and reconcile still agree: nothing here.
    let (code, out, _) = t.wo(&t.b, &["--json", "audit"]);
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(code, 0, "{report}");
    assert_eq!(plan(&t.b), 0);
    let (code, _, err) = t.wo(&t.b, &["reconcile", "--apply"]);
    assert_eq!(code, 0, "{err}");
    assert!(!t.b.join("_ctx/jobs/running/WO-0001.lock").exists());
    assert_eq!(t.git(&t.b, &["status", "--porcelain"]), "");
}

// 2. An unreadable YAML is not "no YAML" ------------------------------------------

#[test]
fn an_unreadable_running_copy_is_still_the_wos_and_nothing_acts_on_it() {
    for damage in [CONFLICTED, "version: 1\nstatus: running\ntitle: no id\n"] {
        let s = taken();
        let wt = s.worktree("WO-0001");
        std::fs::write(wt.join("work.txt"), "work\n").expect("work");
        s.git_at(&wt, &["add", "work.txt"]);
        s.git_at(&wt, &["commit", "-q", "-m", "work"]);
        std::fs::write(s.path("_ctx/jobs/running/WO-0001.yaml"), damage).expect("damage");
        let (code, report) = s.json(&["audit"]);
        assert_eq!(code, 1, "{report}");
        // Reported as its own (by the stem), P0, for a person: no ghost, no stray lock.
        assert_eq!(
            about(&report, "WO-0001"),
            vec![("invalid_yaml".to_owned(), None)],
            "{report}"
        );
        let f = &report["findings"].as_array().expect("findings")[0];
        assert_eq!(f["severity"], "P0");
        assert!(
            f["hint"]
                .as_str()
                .unwrap_or("")
                .contains("a person must decide"),
            "{f}"
        );
        // No repair and no removal acts on it.
        assert!(planned(&s, &s.repo).is_empty());
        let before = jobs_files(&s);
        assert_eq!(s.run(&["reconcile", "--apply", "--force"]).0, 0);
        assert_eq!(jobs_files(&s), before);
        let (_, gc) = s.json(&["gc", "--apply", "--force", "--min-age", "1s"]);
        assert!(
            gc["actions"]
                .as_array()
                .is_some_and(|a| a.iter().all(|x| x["wo_id"] != "WO-0001")),
            "{gc}"
        );
        assert!(wt.join("work.txt").exists(), "the worktree is kept");
        // Nobody takes, finishes or requeues it meanwhile; each names the file.
        for args in [
            vec!["take", "WO-0001", "--owner", "bob"],
            vec!["take", "WO-0001", "--steal", "--owner", "bob"],
            vec![
                "finish",
                "WO-0001",
                "--result",
                "failed",
                "--force",
                "--skip-verification",
                "--reason",
                "x",
            ],
            vec!["requeue", "WO-0001", "--force", "--reason", "x"],
        ] {
            let (code, _, err) = s.run(&args);
            assert_eq!(code, 2, "{args:?}: {err}");
            assert!(err.contains("running/WO-0001.yaml"), "{args:?}: {err}");
        }
        assert_eq!(jobs_files(&s), before);
    }
}

#[test]
fn a_done_copy_beside_an_unreadable_running_copy_is_a_split_brain_not_a_zombie() {
    let s = taken();
    let done = s
        .read("_ctx/jobs/running/WO-0001.yaml")
        .replace("status: running", "status: done");
    std::fs::write(s.path("_ctx/jobs/done/WO-0001.yaml"), done).expect("done copy");
    std::fs::write(s.path("_ctx/jobs/running/WO-0001.yaml"), CONFLICTED).expect("damage");
    let (_, report) = s.json(&["audit"]);
    let found = about(&report, "WO-0001");
    let codes: Vec<&str> = found.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, vec!["invalid_yaml", "split_brain"], "{report}");
    assert!(found.iter().all(|(_, fix)| fix.is_none()), "{found:?}");
    assert!(planned(&s, &s.repo).is_empty());
    let (_, gc) = s.json(&["gc", "--apply", "--force", "--min-age", "1s"]);
    assert_eq!(gc["summary"]["zombies_found"], 0, "{gc}");
    assert!(s.worktree("WO-0001").exists());
}

// 3. Who owns a worktree ------------------------------------------------------------

#[test]
fn a_worktree_named_by_two_yamls_is_a_conflict_never_a_removal() {
    let s = taken();
    // A done WO whose YAML names WO-0001's worktree, and a running one whose YAML does.
    for (id, folder) in [("WO-0003", "done"), ("WO-0002", "pending")] {
        let path = format!("_ctx/jobs/{folder}/{id}.yaml");
        let mut text = s.read(&path);
        text.push_str("worktree: ../.worktrees/WO-0001\n");
        std::fs::write(s.path(&path), text).expect("write");
    }
    s.git(&[
        "mv",
        "_ctx/jobs/pending/WO-0002.yaml",
        "_ctx/jobs/running/WO-0002.yaml",
    ]);
    let p = s.path("_ctx/jobs/running/WO-0002.yaml");
    let text = std::fs::read_to_string(&p)
        .expect("read")
        .replace("status: pending", "status: running");
    std::fs::write(&p, text).expect("write");
    let (_, report) = s.json(&["audit"]);
    let all = codes(&report);
    assert!(
        all.contains(&("worktree_conflict".into(), "WO-0001".into())),
        "{all:?}"
    );
    for bad in [
        "zombie_worktree",
        "ghost_worktree",
        "running_without_worktree",
    ] {
        assert!(!all.iter().any(|(c, _)| c == bad), "{bad}: {all:?}");
    }
    let conflict = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["code"] == "worktree_conflict")
        .expect("conflict");
    assert!(conflict["fix"].is_null());
    let message = conflict["message"].as_str().unwrap_or("");
    assert!(
        message.contains("WO-0002") && message.contains("WO-0003"),
        "{message}"
    );
    let (_, gc) = s.json(&["gc", "--apply", "--force", "--min-age", "1s"]);
    assert_eq!(gc["summary"]["zombies_found"], 0, "{gc}");
    assert!(
        s.worktree("WO-0001").exists(),
        "the running WO's worktree stays"
    );
}

// 6. A dead end: a running WO whose worktree was deleted while its lease runs ---------

#[test]
fn a_running_wo_whose_worktree_was_deleted_closes_by_its_printed_fixes() {
    let s = taken();
    std::fs::remove_dir_all(s.worktree("WO-0001")).expect("rm worktree");
    let mut ran = Vec::new();
    for _round in 0..3 {
        let (code, report) = s.json(&["audit"]);
        if code == 0 {
            break;
        }
        let fixes: Vec<String> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["fix"].as_str().map(str::to_owned))
            .collect();
        assert!(!fixes.is_empty(), "only findings for a person: {report}");
        for fix in fixes {
            let (code, out) = common::run_fix(&s, &fix);
            assert!(code == 0 || out.contains("fix:"), "{fix}: {out}");
            ran.push(fix);
        }
    }
    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 0, "after {ran:?}: {report}");
    assert!(
        ran.iter().any(|f| f.contains("requeue WO-0001 --force")),
        "{ran:?}"
    );
    let record = common::record_of(&s, "WO-0001");
    assert_eq!(record["state"], "pending");
    assert!(
        record["note"]
            .as_str()
            .unwrap_or("")
            .contains("--force over alice"),
        "{record}"
    );
}

#[test]
fn requeue_of_a_live_lease_names_force_and_force_is_recorded() {
    let s = taken();
    let (code, _, err) = s.run(&["requeue", "WO-0001", "--reason", "lost"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("--force"), "{err}");
    let (code, out, err) = s.run(&["requeue", "WO-0001", "--force", "--reason", "lost"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("forced over"), "{out}");
    assert!(s.path("_ctx/jobs/pending/WO-0001.yaml").exists());
}

// 10. JSON the original's consumers read --------------------------------------------

#[test]
fn severities_are_upper_case_and_running_yamls_are_ids() {
    let s = Scenario::build("running_without_lock");
    let (_, report) = s.json(&["audit"]);
    let severities: BTreeMap<String, String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or("").to_owned(),
                f["severity"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        severities.get("running_without_lock").map(String::as_str),
        Some("P0"),
        "{report}"
    );
    assert_eq!(
        report["summary"]["running_yamls"],
        serde_json::json!(["WO-0050"]),
        "{report}"
    );
    assert_eq!(
        report["summary"]["running_yaml_paths"],
        serde_json::json!(["_ctx/jobs/running/WO-0050.yaml"])
    );
}

#[test]
fn the_skip_verification_hint_of_a_forced_finish_keeps_force() {
    let s = Scenario::build("clean");
    s.write_wo("pending", "WO-0007", "verify:\n  commands: [\"true\"]\n");
    s.commit_all("WO-0007");
    assert_eq!(s.run(&["init"]).0, 0);
    assert_eq!(s.run(&["take", "WO-0007"]).0, 0);
    std::fs::remove_dir_all(s.worktree("WO-0007")).expect("rm worktree");
    let (code, _, err) = s.run(&["finish", "WO-0007", "--result", "failed", "--force"]);
    assert_eq!(code, 1, "{err}");
    let fix = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("fix: "))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        fix.contains("--force") && fix.contains("--skip-verification"),
        "{fix}"
    );
    let (code, out) = common::run_fix(&s, fix);
    assert_eq!(code, 0, "{fix}: {out}");
    assert!(s.path("_ctx/jobs/failed/WO-0007.yaml").exists());
}
