//! Crash safety: the real binary aborts at every step of take and finish
//! (`GIT_WO_FAILPOINT`, like kill -9: no unwinding, no undo). Meanwhile audit reports
//! the interrupted transition; a later run rolls it forward; at the end audit is clean
//! and no YAML or commit is lost.

use crate::common;

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

/// WO-0001 taken, with a commit in its worktree that makes verify pass: the worktree
/// and the commit.
fn taken_with_work() -> (Scenario, std::path::PathBuf, String) {
    let s = setup();
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let wt = s.worktree("WO-0001");
    std::fs::write(wt.join("hello.txt"), "hi\n").unwrap();
    s.git_at(&wt, &["add", "hello.txt"]);
    s.git_at(&wt, &["commit", "-q", "-m", "work"]);
    let tip = s.git_at(&wt, &["rev-parse", "HEAD"]).trim().to_owned();
    (s, wt, tip)
}

#[test]
fn take_crashes_at_every_step_are_resumed() {
    common::each_in_parallel(&TAKE_STEPS, |step| {
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
        let record: serde_json::Value = common::record_of(&s, "WO-0001");
        assert_eq!(record["phase"], "active", "{step}");
        assert_eq!(record["token"], 1, "{step}: resume keeps the token");
    });
}

#[test]
fn finish_crashes_at_every_step_are_rolled_forward() {
    common::each_in_parallel(&FINISH_STEPS, |step| {
        let (s, wt, tip) = taken_with_work();

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
        if *step != "after-verify" {
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
    });
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

/// kill -9 at every step of take and finish, then `reconcile --apply` (no manual
/// resume): audit is clean, the WO has one YAML, and its commits are kept.
#[test]
fn reconcile_repairs_a_crash_at_every_step_of_take_and_finish() {
    common::each_in_parallel(&TAKE_STEPS, |step| {
        let s = setup();
        crash(&s, &s.repo, &format!("take:{step}"), &["take", "WO-0001"]);
        let (code, out, err) = s.run(&["reconcile", "--apply"]);
        assert_eq!(code, 0, "take:{step}: {out}{err}");
        assert_eq!(
            yaml_copies(&s, "WO-0001"),
            ["pending"],
            "take:{step}: rolled back"
        );
        let (code, report) = s.json(&["audit"]);
        assert_eq!(code, 0, "take:{step}: {report}");
        assert_eq!(s.json(&["reconcile"]).0, 0, "take:{step}: nothing left");
        let (code, out, err) = s.run(&["take", "WO-0001"]);
        assert_eq!(code, 0, "take:{step}: can be taken again: {out}{err}");
    });
    common::each_in_parallel(&FINISH_STEPS, |step| {
        let (s, wt, tip) = taken_with_work();
        crash(
            &s,
            &wt,
            &format!("finish:{step}"),
            &["finish", "--result", "done"],
        );
        let (code, out, err) = s.run(&["reconcile", "--apply"]);
        assert_eq!(code, 0, "finish:{step}: {out}{err}");
        let (code, report) = s.json(&["audit"]);
        assert_eq!(code, 0, "finish:{step}: {report}");
        let expected: &[&str] = if *step == "after-verify" {
            &["running"] // the finish never started: still held
        } else {
            &["done"]
        };
        assert_eq!(yaml_copies(&s, "WO-0001"), expected, "finish:{step}");
        assert_eq!(
            s.git(&["rev-parse", "feat/wo-WO-0001"]).trim(),
            tip,
            "finish:{step}: commit kept"
        );
    });
}

/// A repository that needs every kind of reconcile repair.
fn needs_every_repair() -> Scenario {
    let s = Scenario::build("empty");
    for id in ["WO-0001", "WO-0002", "WO-0003", "WO-0004", "WO-0005"] {
        s.write_wo("pending", id, "");
    }
    s.write_wo("done", "WO-0007", "");
    s.commit_all("wo");
    assert_eq!(s.run(&["init"]).0, 0);
    // WO-0001: an interrupted take (rolled back by requeue's plan).
    crash(&s, &s.repo, "take:after-move", &["take", "WO-0001"]);
    // WO-0002: the YAML is lost (restored from the record).
    std::fs::remove_file(s.path("_ctx/jobs/pending/WO-0002.yaml")).unwrap();
    // WO-0003: a second copy in done/ (quarantined: the record says pending).
    std::fs::copy(
        s.path("_ctx/jobs/pending/WO-0003.yaml"),
        s.path("_ctx/jobs/done/WO-0003.yaml"),
    )
    .unwrap();
    // WO-0004: status: says done (fixed in place).
    let text = s
        .read("_ctx/jobs/pending/WO-0004.yaml")
        .replace("status: pending", "status: done");
    std::fs::write(s.path("_ctx/jobs/pending/WO-0004.yaml"), text).unwrap();
    // WO-0005: held, its .lock lost (recreated from the record).
    assert_eq!(s.run(&["take", "WO-0005"]).0, 0);
    std::fs::remove_file(s.path("_ctx/jobs/running/WO-0005.lock")).unwrap();
    // WO-0006: new, not imported. WO-0007: done with a stray lock.
    s.write_wo("pending", "WO-0006", "");
    std::fs::write(s.path("_ctx/jobs/running/WO-0007.lock"), "WO-0007\n").unwrap();
    s
}

/// kill -9 at every step reconcile (and gc) take: a second `reconcile --apply`
/// finishes the job; audit is clean; quarantined files are byte-identical copies.
#[test]
fn reconcile_and_gc_crashes_at_every_step_are_repaired_by_reconcile() {
    let steps = [
        "reconcile:after-requeue",
        "reconcile:after-move",
        "reconcile:after-unlock",
        "reconcile:after-release",
        "reconcile:after-restore",
        "reconcile:after-quarantine",
        "reconcile:after-lockfile",
        "mirror:after-import",
    ];
    common::each_in_parallel(&steps, |step| {
        let s = needs_every_repair();
        let before = common::jobs_files(&s);
        crash(&s, &s.repo, step, &["reconcile", "--apply"]);
        let (code, out, err) = s.run(&["reconcile", "--apply"]);
        assert_eq!(code, 0, "{step}: {out}{err}");
        let (code, report) = s.json(&["audit"]);
        assert_eq!(code, 0, "{step}: {report}");
        for id in [
            "WO-0001", "WO-0002", "WO-0003", "WO-0004", "WO-0005", "WO-0006", "WO-0007",
        ] {
            assert_eq!(yaml_copies(&s, id).len(), 1, "{step}: {id}");
        }
        for (from, bytes) in common::quarantined(&s) {
            assert_eq!(before.get(&from), Some(&bytes), "{step}: {from}");
        }
        assert_eq!(s.json(&["reconcile"]).0, 0, "{step}: nothing left");
    });
    // gc: the removal of a zombie, and the release of a stale lock (requeue's steps).
    let s = Scenario::build("zombie");
    crash(
        &s,
        &s.repo,
        "gc:after-release",
        &["gc", "--apply", "--min-age", "0"],
    );
    assert_eq!(s.run(&["reconcile", "--apply"]).0, 0);
    let (code, out, err) = s.run(&["gc", "--apply", "--min-age", "0"]);
    assert_eq!(code, 0, "gc rerun: {out}{err}");
    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 0, "gc:after-release: {report}");
    for step in [
        "gc:after-requeue",
        "gc:after-move",
        "gc:after-unlock",
        "gc:after-release",
    ] {
        let s = Scenario::build("stale_lock");
        assert_eq!(s.run(&["init"]).0, 0);
        crash(&s, &s.repo, step, &["gc", "--apply"]);
        let (code, out, err) = s.run(&["reconcile", "--apply"]);
        assert_eq!(code, 0, "{step}: {out}{err}");
        let (code, report) = s.json(&["audit"]);
        assert_eq!(code, 0, "{step}: {report}");
        assert_eq!(yaml_copies(&s, "WO-0070"), ["pending"], "{step}");
        assert!(s.worktree("WO-0070").exists(), "{step}: worktree kept");
    }
}

/// Send SIGINT (what Ctrl-C sends) to `pid`.
fn ctrl_c(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

#[test]
fn ctrl_c_during_a_take_undoes_it_and_a_plain_retry_works() {
    let s = setup();
    let record_before = common::record_commit(&s, "WO-0001");
    let mut take = s.spawn_paused(&s.repo, &["take", "WO-0001"], "take:after-worktree");
    ctrl_c(take.pid);
    let (code, _, err) = take.release();
    assert_eq!(code, 130, "{err}");
    // Undone: the record is back where it was, the branch the take made is gone.
    assert_eq!(
        common::record_commit(&s, "WO-0001"),
        record_before,
        "record restored"
    );
    assert_eq!(
        s.git(&["branch", "--list", "feat/wo-WO-0001"]).trim(),
        "",
        "the branch it created is gone"
    );
    assert!(err.contains("interrupted (Ctrl-C)"), "{err}");
    assert!(err.contains("undone"), "{err}");
    assert!(
        err.contains("git wo take WO-0001"),
        "says what to run: {err}"
    );
    assert_eq!(yaml_copies(&s, "WO-0001"), ["pending"]);
    assert!(
        !s.worktree("WO-0001").exists(),
        "the worktree it added is gone"
    );
    let (code, _, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 0, "a plain retry: {err}");
}

#[test]
fn ctrl_c_during_a_finish_stops_it_and_a_plain_rerun_goes_on() {
    let (s, wt, tip) = taken_with_work();
    let mut finish = s.spawn_paused(
        &wt,
        &["finish", "--result", "done"],
        "finish:after-finishing",
    );
    ctrl_c(finish.pid);
    let (code, _, err) = finish.release();
    assert_eq!(code, 130, "{err}");
    assert!(err.contains("interrupted (Ctrl-C)"), "{err}");
    assert!(err.contains("run the same command again"), "{err}");
    assert_eq!(
        yaml_copies(&s, "WO-0001"),
        ["running"],
        "stopped before the move"
    );
    let (code, out, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(yaml_copies(&s, "WO-0001"), ["done"]);
    assert_eq!(s.git(&["rev-parse", "feat/wo-WO-0001"]).trim(), tip);
}

/// A rerun of a crashed finish takes the transition over: before it goes on, it names
/// itself in the finishing record (compare-and-swap, fenced like every step). While it
/// runs, audit does not call it interrupted, reconcile leaves it alone, and a second
/// rerun waits for it; it then completes. (Before, the record still named the crashed
/// process, so reconcile completed the finish under the live rerun's feet.)
#[test]
fn a_rerun_of_a_crashed_finish_names_itself_and_is_left_alone() {
    let (s, wt, tip) = taken_with_work();
    crash(
        &s,
        &wt,
        "finish:after-finishing",
        &["finish", "--result", "done"],
    );
    let crashed = common::record_of(&s, "WO-0001");
    assert_eq!(crashed["phase"], "finishing");

    let mut rerun = s.spawn_paused(&wt, &["finish", "--result", "done"], "finish:after-move");
    let r = common::record_of(&s, "WO-0001");
    assert_eq!(r["phase"], "finishing");
    assert_eq!(r["lock"]["pid"], rerun.pid, "the rerun names itself: {r}");
    assert_eq!(
        r["result"], crashed["result"],
        "the recorded verdict is kept"
    );
    assert_eq!(r["token"], crashed["token"]);

    let (_, report) = s.json(&["audit"]);
    assert!(
        !common::codes(&report)
            .iter()
            .any(|(c, w)| c == "interrupted_transition" && w == "WO-0001"),
        "a live rerun is not interrupted: {report}"
    );
    let (code, plan) = s.json(&["reconcile", "--apply"]);
    assert_eq!(code, 0, "{plan}");
    assert_eq!(plan["actions"], serde_json::json!([]), "left alone: {plan}");
    let (code, out, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 3, "a second rerun waits for the live one: {out}{err}");

    let (code, out, err) = rerun.release();
    assert_eq!(code, 0, "the rerun completes: {out}{err}");
    assert_eq!(yaml_copies(&s, "WO-0001"), ["done"]);
    let r = common::record_of(&s, "WO-0001");
    assert_eq!(
        (r["state"].as_str(), r["phase"].as_str()),
        (Some("done"), Some("idle"))
    );
    assert_eq!(s.git(&["rev-parse", "feat/wo-WO-0001"]).trim(), tip);
    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 0, "{report}");
}

/// `lock` written with `text` and dated two minutes back: what a holder killed that
/// long ago leaves.
fn stale_lock(lock: &std::path::Path, text: &str) {
    std::fs::write(lock, text).expect("lock");
    let touched = std::process::Command::new("touch")
        .args(["-d", "2 minutes ago"])
        .arg(lock)
        .status()
        .expect("touch");
    assert!(touched.success());
}

/// A finish killed after its move while gix held `packed-refs.lock` (refs packed, as
/// init of many WOs or any git gc leaves them): the WO, its worktree, the tip and the
/// lock left behind.
fn finish_killed_holding_packed_refs_lock()
-> (Scenario, std::path::PathBuf, String, std::path::PathBuf) {
    let (s, wt, tip) = taken_with_work();
    s.git(&["pack-refs", "--all"]);
    assert!(s.repo.join(".git/packed-refs").exists());
    crash(
        &s,
        &wt,
        "finish:after-move",
        &["finish", "--result", "done"],
    );
    let lock = s.repo.join(".git/packed-refs.lock");
    stale_lock(&lock, "");
    (s, wt, tip, lock)
}

/// What the kill campaign found (tests/kills.rs): a kill while gix holds
/// `packed-refs.lock` leaves it, and every later ref write fails. The finish that
/// resumes says which file it is and how to clear it, and after that it completes.
#[test]
fn a_stale_packed_refs_lock_is_named_with_the_command_that_clears_it() {
    let (s, wt, tip, lock) = finish_killed_holding_packed_refs_lock();
    let (code, _, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_ne!(code, 0, "{err}");
    assert!(
        err.contains("packed-refs.lock is a lock left by a killed git or git-wo")
            && err.contains("rm -- "),
        "{err}"
    );
    // Audit names it too, for a person (it is git's lock, not git-wo's).
    let (_, report) = s.json(&["audit"]);
    assert!(
        common::codes(&report).contains(&("leftover_file".into(), "-".into())),
        "{report}"
    );
    std::fs::remove_file(&lock).expect("rm");
    let (code, out, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(yaml_copies(&s, "WO-0001"), ["done"]);
    assert_eq!(common::record_of(&s, "WO-0001")["phase"], "idle");
    assert_eq!(s.git(&["rev-parse", "feat/wo-WO-0001"]).trim(), tip);
}

/// Issue #19 item 15: a kill -9 while gix held `packed-refs.lock` (it takes it, empty,
/// for every compare-and-swap update once `packed-refs` exists) left a finish
/// `finishing` with its YAML in `done/`, and `reconcile --apply` exited 1 on every run.
/// The empty lock is git-wo's own: reconcile moves it to quarantine first, then
/// completes the finish.
#[test]
fn reconcile_clears_a_stale_empty_packed_refs_lock_and_completes_the_finish() {
    let (s, _wt, tip, lock) = finish_killed_holding_packed_refs_lock();
    assert_eq!(common::record_of(&s, "WO-0001")["phase"], "finishing");
    // Audit sends it to reconcile (git-wo's own lock), not to a person.
    let (_, report) = s.json(&["audit"]);
    let leftover = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["code"] == "leftover_file")
        .cloned()
        .unwrap_or_default();
    assert_eq!(leftover["fix"], "git wo reconcile --apply", "{report}");
    let (code, out, err) = s.run(&["reconcile", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!lock.exists(), "the lock went to quarantine");
    assert!(
        out.contains("packed-refs.lock"),
        "reconcile says what it moved: {out}"
    );
    assert_eq!(yaml_copies(&s, "WO-0001"), ["done"]);
    assert_eq!(common::record_of(&s, "WO-0001")["phase"], "idle");
    assert_eq!(s.git(&["rev-parse", "feat/wo-WO-0001"]).trim(), tip);
    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 0, "{report}");
    // Nothing lost: the quarantine holds it and a restore puts it back.
    let stamp = std::fs::read_dir(s.repo.join(".git/wo/quarantine"))
        .expect("quarantine")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .max()
        .expect("a stamp");
    let (code, out, err) = s.run(&["reconcile", "--restore", &stamp]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(lock.exists());
}

/// A `packed-refs.lock` with content is git's (its writers fill it at once): still a
/// person's decision, with its age and the command, however old.
#[test]
fn a_stale_packed_refs_lock_with_content_stays_a_persons_decision() {
    let s = setup();
    s.git(&["pack-refs", "--all"]);
    let lock = s.repo.join(".git/packed-refs.lock");
    stale_lock(&lock, "# pack-refs with: peeled fully-peeled sorted \n");
    let (code, out, err) = s.run(&["reconcile", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(lock.exists(), "git's lock is left alone: {out}");
    assert!(out.contains("rm -- "), "{out}");
}
