//! Findings that come from real records and markers: state_mismatch, unmirrored,
//! orphan_record, lock_mismatch, missing_intent_marker, invalid_record.

use crate::common;

use common::{Scenario, codes};

fn initialised() -> Scenario {
    let s = Scenario::build("empty");
    s.write_wo("pending", "WO-0001", "");
    s.write_wo("pending", "WO-0002", "");
    s.commit_all("wo");
    assert_eq!(s.run(&["init"]).0, 0);
    assert_eq!(s.json(&["audit"]).0, 0);
    s
}

fn has(s: &Scenario, code: &str, id: &str) -> serde_json::Value {
    let (exit, report) = s.json(&["audit"]);
    assert!(
        codes(&report).contains(&(code.into(), id.into())),
        "{code} {id}: {:?}",
        codes(&report)
    );
    assert_eq!(exit, 1);
    report
}

#[test]
fn unmirrored_after_init() {
    let s = initialised();
    s.write_wo("pending", "WO-0003", "");
    // Reported, but not a failure by default (the next state change mirrors it).
    let (exit, report) = s.json(&["audit"]);
    assert!(codes(&report).contains(&("unmirrored".into(), "WO-0003".into())));
    assert_eq!(exit, 0);
    assert_eq!(s.json(&["audit", "--fail-on", "all"]).0, 1);
    assert_eq!(s.run(&["init"]).0, 0);
    assert_eq!(s.json(&["audit"]).0, 0, "init imports it");
}

#[test]
fn orphan_record_is_restorable_from_the_record() {
    let s = initialised();
    let original = s.read("_ctx/jobs/pending/WO-0002.yaml");
    std::fs::remove_file(s.path("_ctx/jobs/pending/WO-0002.yaml")).unwrap();
    let report = has(&s, "orphan_record", "WO-0002");
    let hint = report["findings"][0]["hint"].as_str().unwrap().to_owned();
    assert!(
        hint.starts_with("git wo reconcile --apply (restores _ctx/jobs/pending/WO-0002.yaml"),
        "{hint}"
    );
    // The hint works: the YAML comes back byte for byte.
    assert_eq!(s.run(&["reconcile", "--apply"]).0, 0);
    assert_eq!(s.read("_ctx/jobs/pending/WO-0002.yaml"), original);
}

#[test]
fn state_mismatch_when_the_yaml_moves_behind_the_records_back() {
    let s = initialised();
    let text = s
        .read("_ctx/jobs/pending/WO-0001.yaml")
        .replace("status: pending", "status: done");
    std::fs::remove_file(s.path("_ctx/jobs/pending/WO-0001.yaml")).unwrap();
    std::fs::write(s.path("_ctx/jobs/done/WO-0001.yaml"), text).unwrap();
    let report = has(&s, "state_mismatch", "WO-0001");
    assert_eq!(report["summary"]["by_severity"]["P0"], 1);
    // The gate blocks it too.
    assert_eq!(s.run(&["check"]).0, 1);
}

#[test]
fn lock_mismatch_when_the_lock_file_names_someone_else() {
    let s = initialised();
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let lock = s
        .read("_ctx/jobs/running/WO-0001.lock")
        .replace("User: alice", "User: mallory");
    std::fs::write(s.path("_ctx/jobs/running/WO-0001.lock"), lock).unwrap();
    let report = has(&s, "lock_mismatch", "WO-0001");
    assert!(report.to_string().contains("mallory"), "{report}");
}

#[test]
fn lock_mismatch_when_the_git_worktree_lock_has_another_token() {
    let s = initialised();
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let wt = s.worktree("WO-0001");
    s.git(&["worktree", "unlock", wt.to_str().unwrap()]);
    s.git(&[
        "worktree",
        "lock",
        "--reason",
        "git-wo WO-0001 token=7",
        wt.to_str().unwrap(),
    ]);
    has(&s, "lock_mismatch", "WO-0001");
}

#[test]
fn missing_intent_marker_when_the_notes_are_lost() {
    let s = initialised();
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    s.git(&["update-ref", "-d", "refs/notes/wo"]);
    let report = has(&s, "missing_intent_marker", "WO-0001");
    let fix = report["findings"][0]["fix"].as_str().unwrap().to_owned();
    assert!(
        fix.starts_with("git notes --ref=wo append -m '[WO-0001] intent: Work on WO-0001'"),
        "{fix}"
    );
    let hint = report["findings"][0]["hint"].as_str().unwrap();
    assert!(hint.starts_with(&fix), "{hint}");
    // The fix is a working command (single-quoted for the shell): running it fixes it.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&fix)
        .current_dir(&s.repo)
        .env("HOME", s.tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn invalid_record_when_a_ref_holds_no_record() {
    let s = initialised();
    let head = s.git(&["rev-parse", "HEAD"]);
    s.git(&["update-ref", "refs/wo/orders/WO-0002", head.trim()]);
    has(&s, "invalid_record", "WO-0002");
}

#[test]
fn take_from_a_base_and_a_worktree_dir_inside_the_checkout() {
    let s = Scenario::build("empty");
    s.write_wo("pending", "WO-0001", "");
    s.write_wo("pending", "WO-0002", "");
    s.commit_all("wo");
    let base = s.git(&["rev-parse", "HEAD"]).trim().to_owned();
    std::fs::write(s.path("later.txt"), "later").unwrap();
    s.commit_all("later");
    s.git(&["config", "wo.worktreeDir", ".worktrees"]);
    let (code, out) = s.json(&["init"]);
    assert_eq!(code, 0);
    assert!(
        out["excluded"].to_string().contains("/.worktrees/"),
        "{out}"
    );
    let (code, v) = s.json(&["take", "WO-0001", "--base", &base]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["base"], base.as_str());
    let wt = s.repo.join(".worktrees/WO-0001");
    assert_eq!(s.git_at(&wt, &["rev-parse", "HEAD"]).trim(), base);
    let status = s.git(&["status", "--porcelain"]);
    assert!(
        !status.contains(".worktrees"),
        "worktree dir excluded: {status}"
    );
    // The intent marker sits on the base commit.
    let note = s.git(&["notes", "--ref=wo", "show", &base]);
    assert_eq!(note.trim(), "[WO-0001] intent: Work on WO-0001");
    assert_eq!(s.json(&["audit"]).0, 0);
    let before = s.git(&["for-each-ref"]);
    let (code, _, err) = s.run(&["take", "WO-0002", "--base", "no-such-rev"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no-such-rev") && err.contains("fix:"), "{err}");
    assert_eq!(s.git(&["for-each-ref"]), before, "nothing claimed");
    assert!(s.path("_ctx/jobs/pending/WO-0002.yaml").exists());
}

#[test]
fn new_yamls_get_records_from_the_next_finish_or_requeue() {
    let s = initialised();
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    s.write_wo("pending", "WO-0003", "");
    let (code, out, err) = s.run(&[
        "--json", "finish", "WO-0001", "--result", "failed", "--force",
    ]);
    assert_eq!(code, 0, "{err}");
    let done: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(done["mirrored"], serde_json::json!(["WO-0003"]), "{done}");
    assert!(
        !codes(&s.json(&["audit"]).1)
            .iter()
            .any(|(c, _)| c == "unmirrored")
    );
    s.write_wo("pending", "WO-0004", "");
    let (code, out, err) = s.run(&["--json", "requeue", "WO-0001", "--reason", "retry"]);
    assert_eq!(code, 0, "{err}");
    let done: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(done["mirrored"], serde_json::json!(["WO-0004"]), "{done}");
}
