//! Done means done: `finish --result done` certifies exactly the committed tip. Verify
//! runs only on a worktree with nothing uncommitted, with a time limit, `WO_ID`,
//! `WO_BASE` and `WO_TIP` in its environment, its output streamed; `verified_at_sha`
//! and the result marker's `tip=` are the commit it ran on.

use crate::common;

use common::{Scenario, jobs_files, record_of};

/// An initialised repository with `WO-0007` (whose verify commands are `verify`)
/// taken, and one commit of work in its worktree.
fn taken(verify: &str) -> Scenario {
    let s = Scenario::build("clean");
    s.write_wo(
        "pending",
        "WO-0007",
        &format!("verify:\n  commands: [{verify}]\n"),
    );
    s.commit_all("WO-0007");
    assert_eq!(s.run(&["init"]).0, 0);
    let (code, _, err) = s.run(&["take", "WO-0007"]);
    assert_eq!(code, 0, "{err}");
    let wt = s.worktree("WO-0007");
    std::fs::write(wt.join("work.txt"), "work\n").expect("work");
    s.git_at(&wt, &["add", "work.txt"]);
    s.git_at(&wt, &["commit", "-q", "-m", "work"]);
    s
}

#[test]
fn an_untracked_file_verify_would_see_is_refused_not_certified() {
    // The lie: verify passes on a file HEAD does not contain.
    let s = taken("\"test -f keys.txt\"");
    let wt = s.worktree("WO-0007");
    std::fs::write(wt.join("keys.txt"), "secret\n").expect("keys");
    let before = jobs_files(&s);
    let record = common::record_commit(&s, "WO-0007");
    let (code, out, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("keys.txt") && err.contains("not committed"),
        "{err}"
    );
    assert!(err.contains("fix: commit or remove these"), "{err}");
    assert!(
        !err.contains("git wo: verify:"),
        "verify did not run: {err}"
    );
    assert_eq!(jobs_files(&s), before, "nothing changed");
    assert_eq!(common::record_commit(&s, "WO-0007"), record);
    // Committed, it is what verify runs on and what is certified.
    s.git_at(&wt, &["add", "keys.txt"]);
    s.git_at(&wt, &["commit", "-q", "-m", "keys"]);
    let head = s.git_at(&wt, &["rev-parse", "HEAD"]).trim().to_owned();
    let (code, out, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 0, "{out}{err}");
    let yaml = s.read("_ctx/jobs/done/WO-0007.yaml");
    assert!(yaml.contains(&format!("verified_at_sha: {head}")), "{yaml}");
    let r = record_of(&s, "WO-0007");
    assert_eq!(r["result"]["tip"], head.as_str());
    assert_eq!(r["result"]["verified"], true);
    let notes = s.git(&["notes", "--ref=wo", "show", &head]);
    assert!(
        notes.contains(&format!("[WO-0007] result: done verified=yes tip={head}")),
        "{notes}"
    );
}

#[test]
fn a_modified_or_staged_file_is_refused_too_and_ignored_build_output_is_not() {
    let s = taken("\"true\"");
    let wt = s.worktree("WO-0007");
    std::fs::write(wt.join("work.txt"), "changed\n").expect("edit");
    let (code, _, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("1 modified or staged file(s): work.txt"),
        "{err}"
    );
    s.git_at(&wt, &["checkout", "--", "work.txt"]);
    // Ignored build output is no work.
    std::fs::write(wt.join(".gitignore"), "target/\n").expect("ignore");
    s.git_at(&wt, &["add", ".gitignore"]);
    s.git_at(&wt, &["commit", "-q", "-m", "ignore"]);
    std::fs::create_dir_all(wt.join("target")).expect("mkdir");
    std::fs::write(wt.join("target/out.o"), "x").expect("build output");
    let (code, out, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn verify_runs_with_the_wo_in_its_environment_and_its_output_streamed() {
    let s = taken(
        "\"echo checking $WO_ID; test \\\"$WO_ID\\\" = WO-0007 && test \\\"$WO_TIP\\\" = \\\"$(git rev-parse HEAD)\\\" && test -n \\\"$WO_BASE\\\" && git merge-base --is-ancestor \\\"$WO_BASE\\\" HEAD\"",
    );
    let wt = s.worktree("WO-0007");
    let (code, out, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("checking WO-0007"),
        "the output is shown: {err}"
    );
}

#[test]
fn a_verify_command_past_its_time_limit_stops_and_the_wo_stays_running() {
    let s = taken("\"sleep 30\"");
    s.git(&["config", "wo.verify.timeout", "1s"]);
    let wt = s.worktree("WO-0007");
    let before = jobs_files(&s);
    let (code, _, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("`sleep 30`") && err.contains("timed out after 1s"),
        "{err}"
    );
    assert_eq!(jobs_files(&s), before, "still running, nothing moved");
    assert_eq!(record_of(&s, "WO-0007")["state"], "running");
}

#[test]
fn a_verify_command_that_commits_certifies_nothing() {
    let s = taken("\"git commit -q --allow-empty -m sneaky\"");
    let wt = s.worktree("WO-0007");
    let (code, _, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("moved the worktree's HEAD"), "{err}");
    assert_eq!(record_of(&s, "WO-0007")["state"], "running");
}
