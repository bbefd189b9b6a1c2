//! Crash safety: the real binary aborts at every step of take and finish
//! (`GIT_WO_FAILPOINT`, like kill -9: no unwinding, no undo). Meanwhile audit reports
//! the interrupted transition; a later run rolls it forward; at the end audit is clean
//! and no YAML or commit is lost.

mod common;

use common::{Scenario, crash, yaml_copies};

/// Every step of the take journal (`src/ops/take.rs`) but the last.
const TAKE_STEPS: [&str; 7] = [
    "after-claim",
    "after-branch",
    "after-worktree",
    "after-session",
    "after-move",
    "after-lockfile",
    "after-marker",
];
/// Verification, then every step of the finish journal (`src/ops/finish.rs`) but the last.
const FINISH_STEPS: [&str; 6] = [
    "after-verify",
    "after-finishing",
    "after-move",
    "after-unlock",
    "after-marker",
    "after-release",
];

fn setup() -> Scenario {
    let s = Scenario::build("empty");
    s.write_wo(
        "pending",
        "WO-0001",
        "verify:\n  commands: [\"test -f hello.txt\"]\n",
    );
    s.commit_all("wo");
    assert_eq!(s.run(&["init"]).0, 0);
    s
}

#[test]
fn take_crashes_at_every_step_are_resumed() {
    for step in TAKE_STEPS {
        let s = setup();
        crash(&s, &s.repo, &format!("take:{step}"), &["take", "WO-0001"]);
        assert_eq!(
            yaml_copies(&s, "WO-0001").len(),
            1,
            "{step}: never split-brain"
        );
        let (code, report) = s.json(&["audit"]);
        assert_eq!(code, 1, "{step}");
        let codes = common::codes(&report);
        assert!(
            codes.contains(&("interrupted_transition".into(), "WO-0001".into())),
            "{step}: {codes:?}"
        );
        assert!(
            !codes.iter().any(|(c, _)| c == "split_brain"),
            "{step}: {codes:?}"
        );

        // Someone else cannot take it meanwhile.
        assert_eq!(s.run(&["take", "WO-0001", "--owner", "bob"]).0, 3, "{step}");
        let (code, out, err) = s.run(&["take", "WO-0001", "--resume"]);
        assert_eq!(code, 0, "{step}: {out}{err}");
        assert_eq!(yaml_copies(&s, "WO-0001"), ["running"], "{step}");
        assert!(s.path("_ctx/jobs/running/WO-0001.lock").exists(), "{step}");
        let (code, report) = s.json(&["audit"]);
        assert_eq!(code, 0, "{step}: {report}");
        let record: serde_json::Value =
            serde_json::from_str(&s.git(&["show", "refs/wo/orders/WO-0001:record.json"])).unwrap();
        assert_eq!(record["phase"], "active", "{step}");
        assert_eq!(record["token"], 1, "{step}: resume keeps the token");
    }
}

#[test]
fn finish_crashes_at_every_step_are_rolled_forward() {
    for step in FINISH_STEPS {
        let s = setup();
        assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
        let wt = s.worktree("WO-0001");
        std::fs::write(wt.join("hello.txt"), "hi\n").unwrap();
        s.git_at(&wt, &["add", "hello.txt"]);
        s.git_at(&wt, &["commit", "-q", "-m", "work"]);
        let tip = s.git_at(&wt, &["rev-parse", "HEAD"]).trim().to_owned();

        crash(
            &s,
            &wt,
            &format!("finish:{step}"),
            &["finish", "--result", "done"],
        );
        assert_eq!(
            yaml_copies(&s, "WO-0001").len(),
            1,
            "{step}: never split-brain"
        );
        let (_, report) = s.json(&["audit"]);
        let codes = common::codes(&report);
        if step != "after-verify" {
            assert!(
                codes.contains(&("interrupted_transition".into(), "WO-0001".into())),
                "{step}: {codes:?}"
            );
        }
        // Roll forward: the holder from its worktree while it exists, else --force.
        let (code, out, err) = if wt.exists() {
            s.run_in(&wt, &["finish", "--result", "done"])
        } else {
            s.run(&["finish", "WO-0001", "--result", "done", "--force"])
        };
        assert_eq!(code, 0, "{step}: {out}{err}");
        assert_eq!(yaml_copies(&s, "WO-0001"), ["done"], "{step}");
        assert!(!s.path("_ctx/jobs/running/WO-0001.lock").exists(), "{step}");
        assert_eq!(
            s.git(&["rev-parse", "feat/wo-WO-0001"]).trim(),
            tip,
            "{step}: commit kept"
        );
        let (code, report) = s.json(&["audit"]);
        assert_eq!(code, 0, "{step}: {report}");
        let notes = s.git(&["log", "--all", "--notes=wo", "--format=%N"]);
        assert_eq!(
            notes.matches("[WO-0001] result: done").count(),
            1,
            "{step}: one result marker\n{notes}"
        );
    }
}

#[test]
fn requeue_rolls_an_interrupted_take_back() {
    let s = setup();
    crash(&s, &s.repo, "take:after-move", &["take", "WO-0001"]);
    let (code, out, err) = s.run(&[
        "requeue",
        "WO-0001",
        "--reason",
        "agent crashed during take",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(yaml_copies(&s, "WO-0001"), ["pending"]);
    assert!(s.worktree("WO-0001").exists(), "worktree kept");
    let (code, out, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 0, "{out}{err}");
}
