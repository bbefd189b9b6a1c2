//! WO scopes (SPEC §1 `scope{allow[],deny[]}`, §4, §5, §6 `out_of_scope`) in real
//! repositories: the pre-commit hook in a WO's worktree, `finish --result done`
//! (refused, or recorded as an exception that `kpi` counts), and audit.

use crate::common;

use std::path::{Path, PathBuf};

use common::Scenario;

const SCOPE: &str = "scope:\n  allow:\n    - \"src/**\"\n  deny:\n    - \"src/secret/**\"\n";

/// `git <args>` in `dir` with git-wo on `PATH`: (exit code, stdout, stderr).
fn git_hooked(s: &Scenario, dir: &Path, args: &[&str]) -> (i32, String, String) {
    common::git_hooked_env(s, dir, args, &[])
}

/// `git-wo <args>` in the control checkout with git-wo on `PATH`.
fn wo_hooked(s: &Scenario, args: &[&str]) -> (i32, String, String) {
    common::wo_hooked_env(s, args, &[])
}

/// WO-0001 with [`SCOPE`] taken; `hooks`: initialised with the hooks installed.
fn taken(hooks: bool) -> (Scenario, PathBuf) {
    let s = Scenario::build("empty");
    s.write_wo("pending", "WO-0001", SCOPE);
    s.commit_all("a WO with a scope");
    if hooks {
        s.git(&["config", "--unset", "wo.gate.hooks"]);
        let (code, _, err) = wo_hooked(&s, &["init", "--hooks"]);
        assert_eq!(code, 0, "{err}");
    } else {
        assert_eq!(s.run(&["init"]).0, 0);
    }
    let (code, _, err) = wo_hooked(&s, &["take", "WO-0001"]);
    assert_eq!(code, 0, "{err}");
    let wt = s.worktree("WO-0001");
    (s, wt)
}

/// Write `rel` in `dir` and stage it.
fn stage(s: &Scenario, dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(&p, text).expect("write");
    s.git_at(dir, &["add", "--", rel]);
}

fn commit(s: &Scenario, dir: &Path, msg: &str) -> (i32, String, String) {
    git_hooked(s, dir, &["commit", "-q", "-m", msg])
}

#[test]
fn the_hook_refuses_a_staged_path_outside_the_scope_and_passes_one_inside() {
    let (s, wt) = taken(true);
    stage(&s, &wt, "src/lib.rs", "fn a() {}\n");
    let (code, _, err) = commit(&s, &wt, "in scope");
    assert_eq!(code, 0, "an in-scope commit passes: {err}");
    stage(&s, &wt, "docs/notes.md", "notes\n");
    stage(&s, &wt, "src/more.rs", "fn b() {}\n");
    let (code, _, err) = commit(&s, &wt, "out of scope");
    assert_ne!(code, 0, "refused: {err}");
    assert!(
        err.contains("out_of_scope WO-0001: docs/notes.md")
            && err.contains("not allowed by any allow glob")
            && err.contains("git restore --staged -- docs/notes.md")
            && err.contains("_ctx/jobs/running/WO-0001.yaml"),
        "{err}"
    );
    assert!(!err.contains("src/more.rs"), "in scope: {err}");
    // Unstaged as the fix says, the rest commits.
    s.git_at(&wt, &["restore", "--staged", "--", "docs/notes.md"]);
    let (code, _, err) = commit(&s, &wt, "in scope again");
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_deny_glob_beats_an_allow_glob() {
    let (s, wt) = taken(true);
    stage(&s, &wt, "src/secret/key.pem", "k\n");
    let (code, _, err) = commit(&s, &wt, "a secret");
    assert_ne!(code, 0, "refused: {err}");
    assert!(
        err.contains("src/secret/key.pem") && err.contains("denied by glob \"src/secret/**\""),
        "{err}"
    );
}

#[test]
fn a_rename_out_of_scope_is_caught_by_its_old_or_its_new_side() {
    let (s, wt) = taken(true);
    stage(
        &s,
        &wt,
        "src/keep.rs",
        "fn keep() { /* long enough to be a rename */ }\n",
    );
    assert_eq!(commit(&s, &wt, "in scope").0, 0);
    // New side outside.
    std::fs::create_dir_all(wt.join("docs")).expect("mkdir");
    s.git_at(&wt, &["mv", "src/keep.rs", "docs/keep.rs"]);
    let (code, _, err) = commit(&s, &wt, "renamed out");
    assert_ne!(code, 0, "refused: {err}");
    assert!(err.contains("docs/keep.rs"), "{err}");
    assert!(!err.contains("src/keep.rs is outside"), "{err}");
    s.git_at(&wt, &["mv", "docs/keep.rs", "src/keep.rs"]);
    // Old side outside: a file committed past the gate, renamed into the scope.
    stage(
        &s,
        &wt,
        "docs/old.md",
        "an old file with enough text to be detected\n",
    );
    s.git_at(&wt, &["commit", "-q", "--no-verify", "-m", "past the gate"]);
    s.git_at(&wt, &["mv", "docs/old.md", "src/old.md"]);
    let (code, _, err) = commit(&s, &wt, "renamed in");
    assert_ne!(code, 0, "refused: {err}");
    assert!(err.contains("docs/old.md is outside"), "{err}");
    assert!(!err.contains("src/old.md is outside"), "{err}");
}

#[test]
fn finish_refuses_a_branch_out_of_scope_then_records_the_exception_that_kpi_counts() {
    let (s, wt) = taken(false);
    stage(&s, &wt, "src/ok.rs", "ok\n");
    stage(&s, &wt, "docs/out.md", "out\n");
    s.git_at(&wt, &["commit", "-q", "-m", "work"]);
    let (code, _, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("docs/out.md (not allowed by any allow glob)")
            && !err.contains("src/ok.rs")
            && err.contains("--allow-out-of-scope --reason"),
        "{err}"
    );
    assert!(
        s.path("_ctx/jobs/running/WO-0001.yaml").exists(),
        "nothing changed"
    );
    assert_eq!(common::record_of(&s, "WO-0001")["state"], "running");
    assert!(wt.exists());
    // --allow-out-of-scope needs a reason.
    let (code, _, _) = s.run_in(&wt, &["finish", "--result", "done", "--allow-out-of-scope"]);
    assert_eq!(code, 2);
    let (code, _, err) = s.run_in(
        &wt,
        &[
            "finish",
            "--result",
            "done",
            "--allow-out-of-scope",
            "--reason",
            "docs belong with it",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let record = common::record_of(&s, "WO-0001");
    assert_eq!(record["state"], "done");
    assert_eq!(record["result"]["scope_exception"], "docs belong with it");
    let yaml = s.read("_ctx/jobs/done/WO-0001.yaml");
    assert!(
        yaml.contains("scope_exception_reason: \"docs belong with it\""),
        "{yaml}"
    );
    let tip = s.git(&["rev-parse", "feat/wo-WO-0001"]);
    let note = s.git(&["notes", "--ref=wo", "show", tip.trim()]);
    assert!(
        note.contains("[WO-0001] result: done") && note.contains("scope=exception"),
        "{note}"
    );
    let (_, report) = s.json(&["kpi"]);
    let row = report["kpis"]
        .as_array()
        .expect("kpis")
        .iter()
        .find(|k| k["name"] == "out_of_scope_finishes")
        .expect("the row")
        .clone();
    assert_eq!(row["value"], 1.0, "{row}");
    assert_eq!(row["met"], false, "{row}");
}

#[test]
fn finish_passes_a_branch_inside_its_scope() {
    let (s, wt) = taken(false);
    stage(&s, &wt, "src/deep/ok.rs", "ok\n");
    s.git_at(&wt, &["commit", "-q", "-m", "work"]);
    let (code, _, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 0, "{err}");
    let record = common::record_of(&s, "WO-0001");
    assert!(
        record["result"].get("scope_exception").is_none(),
        "{record}"
    );
    let (_, report) = s.json(&["kpi"]);
    let row = report["kpis"]
        .as_array()
        .expect("kpis")
        .iter()
        .find(|k| k["name"] == "out_of_scope_finishes")
        .expect("the row")
        .clone();
    assert_eq!(row["value"], 0.0, "{row}");
}

#[test]
fn audit_reports_a_running_wo_whose_branch_left_its_scope() {
    let (s, wt) = taken(false);
    let (_, clean) = s.json(&["audit"]);
    assert!(
        !common::codes(&clean)
            .iter()
            .any(|(c, _)| c == "out_of_scope"),
        "{clean}"
    );
    stage(&s, &wt, "src/secret/k", "k\n");
    stage(&s, &wt, "README.other", "x\n");
    s.git_at(&wt, &["commit", "-q", "-m", "work"]);
    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 1, "{report}");
    let f = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["code"] == "out_of_scope")
        .unwrap_or_else(|| panic!("out_of_scope: {report}"))
        .clone();
    assert_eq!(f["severity"], "P1");
    assert_eq!(f["wo_id"], "WO-0001");
    assert!(f["fix"].is_null(), "a person decides: {f}");
    let msg = f["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("src/secret/k (denied by glob \"src/secret/**\")")
            && msg.contains("README.other (not allowed by any allow glob)"),
        "{msg}"
    );
    let hint = f["hint"].as_str().unwrap_or_default();
    assert!(
        hint.starts_with("a person must decide: ")
            && hint.contains("_ctx/jobs/running/WO-0001.yaml")
            && hint.contains("src/secret/k"),
        "{hint}"
    );
    // check reports it too (P1: when asked to fail on it).
    let (code, out, err) = s.run(&["check", "--fail-on", "out_of_scope"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(format!("{out}{err}").contains("out_of_scope"), "{out}{err}");
}

#[test]
fn finish_catches_a_rename_out_of_scope_by_its_new_side_and_by_its_old_side() {
    // Moved out of the scope: its new path is outside.
    let (s, wt) = taken(false);
    stage(&s, &wt, "src/a.rs", "a\n");
    s.git_at(&wt, &["commit", "-q", "-m", "a"]);
    std::fs::create_dir_all(wt.join("docs")).expect("mkdir");
    s.git_at(&wt, &["mv", "src/a.rs", "docs/a.rs"]);
    s.git_at(&wt, &["commit", "-q", "-m", "move out"]);
    let (code, _, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("docs/a.rs"), "{err}");
    // Moved into the scope from outside it: its old path is outside.
    let (s, wt) = taken(false);
    assert!(
        wt.join("README.md").exists(),
        "the fixture has a README at its base"
    );
    std::fs::create_dir_all(wt.join("src")).expect("mkdir");
    s.git_at(&wt, &["mv", "README.md", "src/README.md"]);
    s.git_at(&wt, &["commit", "-q", "-m", "move in"]);
    let (code, _, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("README.md (not allowed by any allow glob)"),
        "{err}"
    );
    assert_eq!(common::record_of(&s, "WO-0001")["state"], "running");
}
