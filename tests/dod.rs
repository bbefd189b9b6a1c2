//! The Definition of Done (`_ctx/dod/*.yaml`): unknown_dod / invalid_dod in lint and
//! audit, the DoD's checks and artifacts at finish, and the evidence bundle finish
//! writes into the record (`evidence/`), on real repositories with the real binary.

use crate::common;

use std::path::Path;

use common::{Scenario, codes, commit_in};

const CATALOG: &str = r#"version: 1
dod:
  - id: DOD-STD
    title: "Standard"
    x_local: kept
    required_artifacts: [verify.log, diff.patch, verdict.json, handoff.md, tests.log]
    required_checks:
      - name: tests
        commands: ["test -f hello.txt", "echo tests-ran"]
    rules: ["no evidence: FAIL"]
  - id: DOD-NOTES
    title: "Needs notes"
    required_artifacts: [notes.md, verdict.json]
"#;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/dod")
            .join(name),
    )
    .expect("fixture")
}

fn write_catalog(s: &Scenario, name: &str, text: &str) {
    let dir = s.path("_ctx/dod");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

/// A WO YAML with `dod_id: <dod>`.
fn write_wo_dod(s: &Scenario, state: &str, id: &str, dod: &str, extra: &str) {
    let text = format!(
        "version: 1\nid: {id}\nepic_id: E-1\ntitle: \"Work on {id}\"\npriority: P2\nstatus: {state}\ndod_id: {dod}\nexecution:\n  mode: agent\n{extra}"
    );
    let dir = s.path(&format!("_ctx/jobs/{state}"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{id}.yaml")), text).unwrap();
}

/// An initialised repository with the catalog and pending WO-0001 of `dod`, taken.
fn taken(dod: &str) -> Scenario {
    let s = Scenario::build("empty");
    write_catalog(&s, "local.yaml", CATALOG);
    write_wo_dod(
        &s,
        "pending",
        "WO-0001",
        dod,
        "verify:\n  commands: [\"echo verify-ran\"]\n",
    );
    s.commit_all("work orders");
    let (code, _, err) = s.run(&["init"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 0, "{out}{err}");
    s
}

fn audit_codes(s: &Scenario) -> Vec<(String, String)> {
    let (_, report) = s.json(&["audit"]);
    codes(&report)
}

fn lint_codes(s: &Scenario) -> Vec<(String, String)> {
    let (_, v) = s.json(&["lint"]);
    v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            Some((
                p["code"].as_str()?.to_owned(),
                p["wo_id"].as_str().unwrap_or("-").to_owned(),
            ))
        })
        .collect()
}

fn still_running(s: &Scenario, id: &str) {
    assert!(s.path(&format!("_ctx/jobs/running/{id}.yaml")).exists());
    assert!(s.path(&format!("_ctx/jobs/running/{id}.lock")).exists());
    let r = common::record_of(s, id);
    assert_eq!(r["state"], "running", "{r}");
    assert_eq!(r["phase"], "active", "{r}");
}

#[test]
fn unknown_dod_is_reported_by_lint_and_audit_only_when_a_catalog_exists() {
    let s = Scenario::build("empty");
    write_wo_dod(&s, "pending", "WO-0001", "DOD-NOPE", "");
    s.write_wo("pending", "WO-0002", "");
    s.commit_all("wos");
    // No catalog: no DoD to check against.
    assert!(!audit_codes(&s).iter().any(|(c, _)| c.contains("dod")));
    assert!(lint_codes(&s).is_empty());
    write_catalog(&s, "local.yaml", CATALOG);
    let found = audit_codes(&s);
    assert!(
        found.contains(&("unknown_dod".into(), "WO-0001".into())),
        "{found:?}"
    );
    assert!(!found.contains(&("unknown_dod".into(), "WO-0002".into())));
    let (_, report) = s.json(&["audit"]);
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "unknown_dod")
        .unwrap()
        .clone();
    assert_eq!(f["severity"], "P2");
    assert!(f["message"].as_str().unwrap().contains("DOD-NOPE"), "{f}");
    assert_eq!(
        lint_codes(&s),
        vec![("unknown_dod".into(), "WO-0001".into())]
    );
    let (code, out, _) = s.run(&["lint"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("DOD-NOPE") && out.contains("DOD-STD"), "{out}");
}

#[test]
fn a_malformed_catalog_file_is_invalid_dod() {
    let s = Scenario::build("empty");
    s.write_wo("pending", "WO-0002", "");
    write_catalog(&s, "local.yaml", CATALOG);
    write_catalog(&s, "broken.yaml", "dod:\n  - title: no id here\n");
    s.commit_all("wos");
    let found = audit_codes(&s);
    assert!(
        found.contains(&("invalid_dod".into(), "".into()))
            || found.iter().any(|(c, _)| c == "invalid_dod"),
        "{found:?}"
    );
    let (_, report) = s.json(&["audit"]);
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "invalid_dod")
        .unwrap()
        .clone();
    assert_eq!(f["severity"], "P2");
    assert!(
        f["paths"].to_string().contains("_ctx/dod/broken.yaml"),
        "{f}"
    );
    assert!(lint_codes(&s).iter().any(|(c, _)| c == "invalid_dod"));
}

#[test]
fn the_original_catalog_files_are_read() {
    let s = Scenario::build("empty");
    for name in [
        "dod-default.yaml",
        "dod-legacy.yaml",
        "DOD-FIELD_EXERCISES.yaml",
    ] {
        write_catalog(&s, name, &fixture(name));
    }
    for (id, dod) in [
        ("WO-0001", "DOD-DEFAULT"),
        ("WO-0002", "DOD-LINTER_AB"),
        ("WO-0003", "DOD-REPRODUCIBILITY"),
        ("WO-0004", "DOD-FIELD_EXERCISES"),
        ("WO-0005", "DOD-STD"),
    ] {
        write_wo_dod(&s, "pending", id, dod, "");
    }
    s.commit_all("wos");
    let found: Vec<_> = audit_codes(&s)
        .into_iter()
        .filter(|(c, _)| c.contains("dod"))
        .collect();
    assert_eq!(found, vec![("unknown_dod".into(), "WO-0005".into())]);
    assert_eq!(
        lint_codes(&s),
        vec![("unknown_dod".into(), "WO-0005".into())]
    );
}

#[test]
fn take_and_finish_refuse_an_unknown_dod_and_change_nothing() {
    let s = Scenario::build("empty");
    write_catalog(&s, "local.yaml", CATALOG);
    write_wo_dod(&s, "pending", "WO-0001", "DOD-NOPE", "");
    s.commit_all("work orders");
    assert_eq!(s.run(&["init"]).0, 0);
    // take runs lint first.
    let (code, _, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("unknown_dod") && err.contains("DOD-NOPE"),
        "{err}"
    );
    // Taken before the catalog came (or the catalog changed since).
    std::fs::rename(s.path("_ctx/dod"), s.path("dod.away")).unwrap();
    let (code, out, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 0, "{out}{err}");
    std::fs::rename(s.path("dod.away"), s.path("_ctx/dod")).unwrap();
    let wt = s.worktree("WO-0001");
    commit_in(&s, &wt, "hello.txt", "hello\n");
    let (code, out, err) = s.run_in(&wt, &["finish", "WO-0001", "--result", "done"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("DOD-NOPE") && err.contains("unknown_dod"),
        "{err}"
    );
    assert!(err.contains("fix:") && err.contains("dod_id"), "{err}");
    still_running(&s, "WO-0001");
}

#[test]
fn a_failing_required_check_keeps_the_wo_running_and_a_passing_one_finishes_it() {
    let s = taken("DOD-STD");
    let wt = s.worktree("WO-0001");
    // The check `tests` needs hello.txt: not there yet.
    commit_in(&s, &wt, "other.txt", "other\n");
    let before = common::record_commit(&s, "WO-0001");
    let (code, out, err) = s.run_in(&wt, &["finish", "WO-0001", "--result", "done"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("check `tests` failed") && err.contains("test -f hello.txt"),
        "{err}"
    );
    assert!(err.contains("still running"), "{err}");
    still_running(&s, "WO-0001");
    assert_eq!(
        common::record_commit(&s, "WO-0001"),
        before,
        "record unchanged"
    );
    commit_in(&s, &wt, "hello.txt", "hello\n");
    let (code, v) = s.json_in(&wt, &["finish", "WO-0001", "--result", "done"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["verdict"], "done");
    assert_eq!(v["verified"], "yes");
}

#[test]
fn the_evidence_is_in_the_record_and_show_prints_it() {
    let s = taken("DOD-STD");
    let wt = s.worktree("WO-0001");
    commit_in(&s, &wt, "hello.txt", "hello\n");
    let tip = s.git_at(&wt, &["rev-parse", "HEAD"]).trim().to_owned();
    let (code, out, err) = s.run_in(&wt, &["finish", "WO-0001", "--result", "done"]);
    assert_eq!(code, 0, "{out}{err}");
    let tree = s.git(&["ls-tree", "-r", "--name-only", "refs/wo/orders/WO-0001"]);
    for f in [
        "evidence/verify.log",
        "evidence/diff.patch",
        "evidence/verdict.json",
        "evidence/handoff.md",
        "evidence/tests.log",
        "record.json",
        "order.yaml",
    ] {
        assert!(tree.lines().any(|l| l == f), "{f} missing in\n{tree}");
    }
    let (code, list, err) = s.run(&["show", "WO-0001", "--evidence"]);
    assert_eq!(code, 0, "{err}");
    let mut names: Vec<&str> = list.lines().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "diff.patch",
            "handoff.md",
            "tests.log",
            "verdict.json",
            "verify.log"
        ]
    );
    let (_, verdict, _) = s.run(&["show", "WO-0001", "--evidence", "verdict.json"]);
    let v: serde_json::Value = serde_json::from_str(&verdict).unwrap();
    // The original's fields, and ours.
    let original: serde_json::Value =
        serde_json::from_str(&fixture("original-verdict.json")).unwrap();
    for key in [
        "wo_id",
        "status",
        "generated_at",
        "tests_passed",
        "lint_passed",
    ] {
        assert!(original.get(key).is_some());
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    assert_eq!(v["wo_id"], "WO-0001");
    assert_eq!(v["status"], "done");
    assert_eq!(v["tests_passed"], true);
    assert_eq!(v["tip"], tip.as_str());
    assert_eq!(v["scope"]["files_changed"], 1);
    let checks: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(checks, ["verify.commands", "tests"]);
    let (_, log, _) = s.run(&["show", "WO-0001", "--evidence", "verify.log"]);
    assert!(
        log.contains("$ echo verify-ran")
            && log.contains("verify-ran\n")
            && log.contains("# exit 0"),
        "{log}"
    );
    assert!(
        log.contains("tests-ran"),
        "the DoD check is logged too: {log}"
    );
    let (_, tests, _) = s.run(&["show", "WO-0001", "--evidence", "tests.log"]);
    assert!(
        tests.contains("tests-ran") && !tests.contains("verify-ran"),
        "{tests}"
    );
    let (_, diff, _) = s.run(&["show", "WO-0001", "--evidence", "diff.patch"]);
    assert!(
        diff.contains("+++ b/hello.txt") && diff.contains("+hello"),
        "{diff}"
    );
    let (_, handoff, _) = s.run(&["show", "WO-0001", "--evidence", "handoff.md"]);
    assert!(
        handoff.contains("# Handoff: WO-0001")
            && handoff.contains("add hello.txt")
            && handoff.contains("hello.txt"),
        "{handoff}"
    );
    let (code, _, err) = s.run(&["show", "WO-0001", "--evidence", "nope.log"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("verify.log"), "names what there is: {err}");
    // Nothing in the control checkout unless wo.handoffDir asks.
    assert!(!s.path("_ctx/handoff").exists());
}

#[test]
fn a_required_artifact_git_wo_cannot_make_must_be_committed_in_the_handoff_folder() {
    let s = taken("DOD-NOTES");
    let wt = s.worktree("WO-0001");
    commit_in(&s, &wt, "hello.txt", "hello\n");
    let (code, out, err) = s.run_in(&wt, &["finish", "WO-0001", "--result", "done"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("notes.md") && err.contains("_ctx/handoff/WO-0001/"),
        "{err}"
    );
    assert!(
        !err.contains("verdict.json"),
        "git-wo makes that one: {err}"
    );
    still_running(&s, "WO-0001");
    commit_in(&s, &wt, "_ctx/handoff/WO-0001/notes.md", "what I did\n");
    let (code, out, err) = s.run_in(&wt, &["finish", "WO-0001", "--result", "done"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(s.path("_ctx/jobs/done/WO-0001.yaml").exists());
}

#[test]
fn handoff_dir_also_writes_the_evidence_in_the_old_layout() {
    let s = taken("DOD-STD");
    s.git(&["config", "wo.handoffDir", "true"]);
    let wt = s.worktree("WO-0001");
    commit_in(&s, &wt, "hello.txt", "hello\n");
    let (code, out, err) = s.run_in(&wt, &["finish", "WO-0001", "--result", "done"]);
    assert_eq!(code, 0, "{out}{err}");
    let dir = s.path("_ctx/handoff/WO-0001");
    for f in [
        "verify.log",
        "diff.patch",
        "verdict.json",
        "handoff.md",
        "tests.log",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let (_, shown, _) = s.run(&["show", "WO-0001", "--evidence", "verdict.json"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("verdict.json")).unwrap(),
        shown
    );
}

#[test]
fn a_failed_finish_leaves_evidence_of_what_failed() {
    let s = Scenario::build("empty");
    write_catalog(&s, "local.yaml", CATALOG);
    write_wo_dod(
        &s,
        "pending",
        "WO-0001",
        "DOD-STD",
        "verify:\n  commands: [\"echo boom; exit 3\"]\n",
    );
    s.commit_all("wos");
    assert_eq!(s.run(&["init"]).0, 0);
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let wt = s.worktree("WO-0001");
    commit_in(&s, &wt, "x.txt", "x\n");
    let (code, v) = s.json_in(&wt, &["finish", "WO-0001", "--result", "failed"]);
    assert_eq!(code, 0, "{v}");
    let (_, log, _) = s.run(&["show", "WO-0001", "--evidence", "verify.log"]);
    assert!(log.contains("boom") && log.contains("# exit 3"), "{log}");
    let (_, verdict, _) = s.run(&["show", "WO-0001", "--evidence", "verdict.json"]);
    let v: serde_json::Value = serde_json::from_str(&verdict).unwrap();
    assert_eq!(v["status"], "failed");
    assert_eq!(v["tests_passed"], false);
}

#[test]
fn logs_are_size_bound_keeping_their_tail() {
    let s = Scenario::build("empty");
    write_wo_dod(
        &s,
        "pending",
        "WO-0001",
        "DOD-STD",
        "verify:\n  commands: [\"seq 1 100000; echo LAST-LINE\"]\n",
    );
    s.commit_all("wos");
    assert_eq!(s.run(&["init"]).0, 0);
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let wt = s.worktree("WO-0001");
    commit_in(&s, &wt, "x.txt", "x\n");
    let (code, out, err) = s.run_in(&wt, &["finish", "WO-0001", "--result", "done"]);
    assert_eq!(code, 0, "{out}{err}");
    let (_, log, _) = s.run(&["show", "WO-0001", "--evidence", "verify.log"]);
    assert!(log.len() <= 66 * 1024, "{}", log.len());
    assert!(
        log.contains("LAST-LINE") && log.contains("bytes of output cut"),
        "{}",
        &log[..300]
    );
}
