//! init / take / heartbeat / finish / requeue on real repositories, with the real binary.

use crate::common;

use common::{Scenario, commit_in};

/// An initialised repository with pending WO-0001 (verify: hello.txt exists) and WO-0002.
fn repo_with_pending() -> Scenario {
    let s = Scenario::build("empty");
    s.write_wo(
        "pending",
        "WO-0001",
        "verify:\n  commands: [\"test -f hello.txt\"]\ndependencies: []\n",
    );
    s.write_wo("pending", "WO-0002", "dependencies: [WO-0001]\n");
    s.commit_all("work orders");
    let (code, _, err) = s.run(&["init"]);
    assert_eq!(code, 0, "{err}");
    s
}

#[test]
fn new_user_walkthrough_take_commit_finish() {
    let s = repo_with_pending();
    let (code, out, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 0, "{out}{err}");
    let wt = s.worktree("WO-0001");
    assert!(wt.join(".git").exists(), "worktree created");
    assert!(s.path("_ctx/jobs/running/WO-0001.yaml").exists());
    assert!(!s.path("_ctx/jobs/pending/WO-0001.yaml").exists());
    assert!(s.path("_ctx/jobs/running/WO-0001.lock").exists());
    let list = s.git(&["worktree", "list", "--porcelain"]);
    assert!(list.contains("locked git-wo WO-0001 token=1"), "{list}");

    commit_in(&s, &wt, "hello.txt", "hello\n");
    let tip = s.git_at(&wt, &["rev-parse", "HEAD"]).trim().to_owned();
    let (code, out, err) = s.run_in(&wt, &["finish", "WO-0001", "--result", "done"]);
    assert_eq!(code, 0, "{out}{err}");

    let done = s.read("_ctx/jobs/done/WO-0001.yaml");
    for key in [
        "status: done",
        "result: done",
        "finished_at:",
        "closed_at:",
        &format!("verified_at_sha: {tip}"),
    ] {
        assert!(done.contains(key), "missing {key} in\n{done}");
    }
    assert!(!s.path("_ctx/jobs/running/WO-0001.lock").exists());
    assert!(!s.path("_ctx/jobs/running/WO-0001.yaml").exists());
    assert!(!wt.exists(), "worktree removed");
    assert_eq!(
        s.git(&["rev-parse", "feat/wo-WO-0001"]).trim(),
        tip,
        "branch and commit intact"
    );

    let log = s.git(&["log", "--all", "--notes=wo", "--format=%H%n%N"]);
    assert!(log.contains("[WO-0001] intent: Work on WO-0001"), "{log}");
    assert!(
        log.contains(&format!("[WO-0001] result: done verified=yes tip={tip}")),
        "{log}"
    );

    let story = s.git(&["log", "--format=%s", "refs/wo/orders/WO-0001"]);
    assert_eq!(
        story.lines().collect::<Vec<_>>(),
        [
            "wo: finish WO-0001",
            "wo: finishing WO-0001",
            "wo: take WO-0001",
            "wo: claim WO-0001",
            "wo: import WO-0001"
        ]
    );
    let msg = s.git(&["log", "-1", "--format=%B", "refs/wo/orders/WO-0001"]);
    assert!(
        msg.contains("WO-Action: finish")
            && msg.contains("WO-Owner: alice")
            && msg.contains("WO-Token: 1"),
        "{msg}"
    );
    let record: serde_json::Value = common::record_of(&s, "WO-0001");
    assert_eq!(record["schema"], "git-wo.record.v1");
    assert_eq!(record["state"], "done");
    assert_eq!(record["phase"], "idle");
    assert!(record["lock"].is_null());
    assert_eq!(record["result"]["verdict"], "done");
    assert_eq!(record["result"]["tip"], tip.as_str());
    assert_eq!(s.git(&["show", "refs/wo/orders/WO-0001:order.yaml"]), done);

    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["summary"]["total_findings"], 0);
}

#[test]
fn take_edits_only_the_take_fields_byte_for_byte() {
    let s = Scenario::build("empty");
    let original = "# header: keep me\nversion: 1\nid: WO-0007   # the id\ntitle: 'Quoted: title'\nepic_id: E-1\npriority: P2\nstatus: pending # must match folder\ndod_id: DOD-STD\nexecution:\n  mode: agent\n  extra: [a, b]\nunknown_key: {keep: true}\n# trailing comment\n";
    std::fs::write(s.path("_ctx/jobs/pending/WO-0007.yaml"), original).unwrap();
    s.commit_all("wo");
    let (code, _, err) = s.run(&["take", "WO-0007", "--owner", "carol"]);
    assert_eq!(code, 0, "{err}");
    let after = s.read("_ctx/jobs/running/WO-0007.yaml");
    let expected_prefix = original.replace(
        "status: pending # must match folder",
        "status: running # must match folder",
    );
    assert!(
        after.starts_with(&expected_prefix),
        "prefix changed:\n{after}"
    );
    let appended: Vec<&str> = after[expected_prefix.len()..].lines().collect();
    assert_eq!(appended.len(), 4, "{appended:?}");
    assert_eq!(appended[0], "owner: carol");
    assert_eq!(appended[1], "branch: feat/wo-WO-0007");
    assert_eq!(appended[2], "worktree: ../.worktrees/WO-0007");
    assert!(appended[3].starts_with("started_at: \""), "{}", appended[3]);
}

#[test]
fn second_taker_gets_exit_3_naming_the_holder() {
    let s = repo_with_pending();
    assert_eq!(s.run(&["take", "WO-0001", "--owner", "alice"]).0, 0);
    let (code, _, err) = s.run(&["take", "WO-0001", "--owner", "bob"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("held by alice") && err.contains("lease until"),
        "{err}"
    );
    assert!(err.contains("fix:"), "{err}");
}

#[test]
fn take_refuses_unfinished_dependencies_and_bad_ids() {
    let s = repo_with_pending();
    let (code, _, err) = s.run(&["take", "WO-0002"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("WO-0001"), "{err}");
    assert!(s.path("_ctx/jobs/pending/WO-0002.yaml").exists());
    for bad in ["WO-../../x", "WO-a.lock", "WO-"] {
        let (code, _, err) = s.run(&["take", bad]);
        assert_eq!(code, 2, "{bad}: {err}");
    }
    assert!(
        s.git(&["for-each-ref", "refs/heads"]).lines().count() == 1,
        "no branch created"
    );
}

#[test]
fn take_reuses_an_existing_branch_and_never_deletes_it() {
    let s = repo_with_pending();
    s.git(&["branch", "feat/wo-WO-0001"]);
    let before = s.git(&["rev-parse", "feat/wo-WO-0001"]);
    // Block the worktree path so the take fails after the branch step and is undone.
    let wt = s.worktree("WO-0001");
    std::fs::create_dir_all(&wt).unwrap();
    std::fs::write(wt.join("precious.txt"), "mine").unwrap();
    let (code, _, err) = s.run(&["take", "WO-0001"]);
    // A path taken by something else is bad input (exit 2) and names wo.worktreeDir.
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("undone") && err.contains("wo.worktreeDir"),
        "{err}"
    );
    assert_eq!(
        s.git(&["rev-parse", "feat/wo-WO-0001"]),
        before,
        "pre-existing branch kept"
    );
    assert_eq!(
        std::fs::read_to_string(wt.join("precious.txt")).unwrap(),
        "mine",
        "foreign dir untouched"
    );
    assert!(
        s.path("_ctx/jobs/pending/WO-0001.yaml").exists(),
        "YAML back in pending"
    );
    assert!(!s.path("_ctx/jobs/running/WO-0001.lock").exists());
    let record: serde_json::Value = common::record_of(&s, "WO-0001");
    assert_eq!(record["state"], "pending", "record put back");

    // Once the path is free the take works and reuses the branch.
    std::fs::remove_dir_all(&wt).unwrap();
    let (code, _, err) = s.run(&["--json", "take", "WO-0001"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(s.git(&["rev-parse", "feat/wo-WO-0001"]), before);
}

#[test]
fn failed_take_deletes_only_the_branch_it_created() {
    let s = repo_with_pending();
    let wt = s.worktree("WO-0001");
    std::fs::create_dir_all(&wt).unwrap();
    let (code, _, _) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 2);
    assert!(
        s.git(&["branch", "--list", "feat/wo-WO-0001"])
            .trim()
            .is_empty(),
        "branch created by the take is undone"
    );
}

#[test]
fn only_the_holder_finishes_and_force_is_recorded() {
    let s = repo_with_pending();
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let wt = s.worktree("WO-0001");
    commit_in(&s, &wt, "hello.txt", "hello\n");
    let (code, _, err) = s.run(&["finish", "WO-0001", "--result", "done"]);
    assert_eq!(code, 3, "not run in the worktree: {err}");
    assert!(err.contains("held by alice"), "{err}");
    let (code, v) = s.json(&["finish", "WO-0001", "--result", "done", "--force"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["forced"], true);
    let history = s.git(&["log", "--format=%B", "refs/wo/orders/WO-0001"]);
    assert!(
        s.git(&["show", "refs/wo/orders/WO-0001~1:record.json"])
            .contains("finish forced by alice"),
        "{history}"
    );
}

#[test]
fn a_holder_with_a_stale_token_is_refused() {
    let s = repo_with_pending();
    assert_eq!(s.run(&["take", "WO-0001", "--lease", "1s"]).0, 0);
    s.expire_lease("WO-0001");
    let (code, _, err) = s.run(&["take", "WO-0001", "--owner", "bob"]);
    assert_eq!(code, 2, "expired lease needs --steal: {err}");
    assert!(err.contains("--steal"), "{err}");
    let (code, v) = s.json(&["take", "WO-0001", "--owner", "bob", "--steal"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["token"], 2);
    assert_eq!(v["stolen_from"], "alice");
    // alice's old session lives in the worktree, but bob's steal rewrote it: craft alice's
    // stale session back to simulate her process still running there.
    let wt = s.worktree("WO-0001");
    let gitdir = s.git_at(&wt, &["rev-parse", "--git-dir"]).trim().to_owned();
    let session_file = std::path::Path::new(&gitdir).join("wo-session");
    let text = std::fs::read_to_string(&session_file).unwrap();
    let stale = text.replace(" 2\n", " 1\n");
    std::fs::write(&session_file, stale).unwrap();
    let (code, _, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("token 1") && err.contains("token 2"), "{err}");
}

#[test]
fn failing_verification_keeps_a_done_finish_running() {
    let s = repo_with_pending();
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let wt = s.worktree("WO-0001");
    commit_in(&s, &wt, "other.txt", "hello\n");
    // --result done with a failing verify is a gate: exit 1, still running, worktree kept.
    let (code, out, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("verify failed") && err.contains("still running"),
        "{err}"
    );
    assert!(
        err.contains("test -f hello.txt"),
        "names the command: {err}"
    );
    assert!(s.path("_ctx/jobs/running/WO-0001.yaml").exists());
    assert!(s.path("_ctx/jobs/running/WO-0001.lock").exists());
    assert!(wt.exists());
    let record: serde_json::Value = common::record_of(&s, "WO-0001");
    assert_eq!(record["state"], "running");
    assert_eq!(record["phase"], "active");
    // --result failed records the failure.
    let (code, v) = s.json_in(&wt, &["finish", "--result", "failed"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["verdict"], "failed");
    assert_eq!(v["verified"], "no");
    assert!(s.path("_ctx/jobs/failed/WO-0001.yaml").exists());
    let notes = s.git(&["log", "--all", "--notes=wo", "--format=%N"]);
    assert!(
        notes.contains("[WO-0001] result: failed verified=no"),
        "{notes}"
    );
}

#[test]
fn skip_verification_needs_a_reason_and_is_recorded() {
    let s = repo_with_pending();
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let wt = s.worktree("WO-0001");
    std::fs::write(wt.join("work.txt"), "work\n").unwrap();
    s.git_at(&wt, &["add", "work.txt"]);
    s.git_at(&wt, &["commit", "-qm", "work"]);
    let (code, _, err) = s.run_in(&wt, &["finish", "--result", "done", "--skip-verification"]);
    assert_eq!(code, 2, "{err}");
    let (code, out, err) = s.run_in(
        &wt,
        &[
            "finish",
            "--result",
            "done",
            "--skip-verification",
            "--reason",
            "CI is down",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let yaml = s.read("_ctx/jobs/done/WO-0001.yaml");
    assert!(
        yaml.contains("skip_verification_reason: \"CI is down\""),
        "{yaml}"
    );
    let record: serde_json::Value = common::record_of(&s, "WO-0001");
    assert_eq!(record["result"]["skip_verification_reason"], "CI is down");
    assert_eq!(record["result"]["verified"], false);
    assert!(
        s.git(&["log", "--all", "--notes=wo", "--format=%N"])
            .contains("verified=skipped")
    );
}

#[test]
fn finish_keeps_a_dirty_worktree_and_says_why() {
    let s = repo_with_pending();
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let wt = s.worktree("WO-0001");
    commit_in(&s, &wt, "hello.txt", "hello\n");
    std::fs::write(wt.join("notes.txt"), "uncommitted thoughts").unwrap();
    // `done` certifies the committed tip: with notes.txt beside it, it is refused.
    let (code, _, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("notes.txt") && err.contains("not committed"),
        "{err}"
    );
    // `failed` closes it all the same, and keeps the worktree with the work.
    let (code, v) = s.json_in(&wt, &["finish", "--result", "failed"]);
    assert_eq!(code, 1, "closed, but work is left: {v}");
    assert_eq!(v["worktree_removed"], false);
    assert!(
        v["worktree_kept_because"].to_string().contains("untracked"),
        "{v}"
    );
    assert!(
        v["worktree_kept_because"].to_string().contains("notes.txt"),
        "the file is named: {v}"
    );
    assert_eq!(
        std::fs::read_to_string(wt.join("notes.txt")).unwrap(),
        "uncommitted thoughts"
    );
    // Its git-wo lock is released so gc can judge it later; the WO is closed.
    assert!(
        !s.git(&["worktree", "list", "--porcelain"])
            .contains("locked git-wo")
    );
    let (_, report) = s.json(&["audit"]);
    assert_eq!(
        common::codes(&report),
        vec![("zombie_worktree".into(), "WO-0001".into())]
    );
}

#[test]
fn keep_worktree_flag_keeps_a_clean_worktree() {
    let s = repo_with_pending();
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let wt = s.worktree("WO-0001");
    commit_in(&s, &wt, "hello.txt", "hello\n");
    let (code, _, err) = s.run_in(&wt, &["finish", "--result", "done", "--keep-worktree"]);
    assert_eq!(code, 0, "{err}");
    assert!(wt.exists());
}

#[test]
fn heartbeat_renews_without_piling_up_history() {
    let s = repo_with_pending();
    assert_eq!(s.run(&["take", "WO-0001", "--lease", "1h"]).0, 0);
    let wt = s.worktree("WO-0001");
    let first: serde_json::Value = common::record_of(&s, "WO-0001");
    for _ in 0..3 {
        let (code, _, err) = s.run_in(&wt, &["heartbeat", "--lease", "3h"]);
        assert_eq!(code, 0, "{err}");
    }
    let story = s.git(&["log", "--format=%s", "refs/wo/orders/WO-0001"]);
    assert_eq!(
        story.lines().collect::<Vec<_>>(),
        [
            "wo: heartbeat WO-0001",
            "wo: take WO-0001",
            "wo: claim WO-0001",
            "wo: import WO-0001"
        ]
    );
    let now: serde_json::Value = common::record_of(&s, "WO-0001");
    assert!(now["lock"]["expires_at"].as_str() > first["lock"]["expires_at"].as_str());
    assert_eq!(now["token"], 1);
    // Not the holder: refused outside the worktree, unless --force.
    let (code, _, err) = s.run(&["heartbeat", "WO-0001"]);
    assert_eq!(code, 3, "{err}");
    assert_eq!(s.run(&["heartbeat", "WO-0001", "--force"]).0, 0);
}

#[test]
fn heartbeat_recreates_a_missing_lock_file() {
    let s = repo_with_pending();
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    std::fs::remove_file(s.path("_ctx/jobs/running/WO-0001.lock")).unwrap();
    let (code, v) = s.json_in(&s.worktree("WO-0001"), &["heartbeat"]);
    assert_eq!(code, 0);
    assert_eq!(v["lock_file_recreated"], true);
    assert!(
        s.read("_ctx/jobs/running/WO-0001.lock")
            .contains("User: alice")
    );
}

#[test]
fn requeue_moves_failed_back_to_pending_and_keeps_the_branch() {
    let s = repo_with_pending();
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let wt = s.worktree("WO-0001");
    commit_in(&s, &wt, "attempt.txt", "hello\n");
    let tip = s.git_at(&wt, &["rev-parse", "HEAD"]);
    assert_eq!(s.run_in(&wt, &["finish", "--result", "failed"]).0, 0);
    let (code, _, err) = s.run(&["requeue", "WO-0001", "--reason", "flaky test fixed"]);
    assert_eq!(code, 0, "{err}");
    let yaml = s.read("_ctx/jobs/pending/WO-0001.yaml");
    assert!(
        yaml.contains("status: pending") && yaml.contains("requeue_reason: \"flaky test fixed\""),
        "{yaml}"
    );
    assert_eq!(
        s.git(&["rev-parse", "feat/wo-WO-0001"]),
        tip,
        "branch and commits kept"
    );
    let record: serde_json::Value = common::record_of(&s, "WO-0001");
    assert_eq!(record["state"], "pending");
    assert!(
        record["note"]
            .as_str()
            .unwrap()
            .contains("flaky test fixed")
    );
    // Taken again: token 2, branch reused.
    let (code, v) = s.json(&["take", "WO-0001"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["token"], 2);
    assert_eq!(v["branch_created"], false);
    assert_eq!(s.json(&["audit"]).1["summary"]["total_findings"], 0);
}

#[test]
fn requeue_refuses_live_running_and_done_wos() {
    let s = repo_with_pending();
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let (code, _, err) = s.run(&["requeue", "WO-0001", "--reason", "x"]);
    assert_eq!(code, 3, "{err}");
    let (code, _, _) = s.run(&["requeue", "WO-0002", "--reason", "x"]);
    assert_eq!(code, 2, "pending");
    // A done WO: refused (exit 2), nothing moved, with the fix that says what to do.
    let wt = s.worktree("WO-0001");
    std::fs::write(wt.join("hello.txt"), "hello\n").unwrap();
    s.git_at(&wt, &["add", "hello.txt"]);
    s.git_at(&wt, &["commit", "-q", "-m", "work"]);
    let (code, _, err) = s.run_in(&wt, &["finish", "WO-0001", "--result", "done"]);
    assert_eq!(code, 0, "{err}");
    let before = common::jobs_files(&s);
    let (code, _, err) = s.run(&["requeue", "WO-0001", "--reason", "x"]);
    assert_eq!(code, 2, "done: {err}");
    assert!(err.contains("is done") && err.contains("fix:"), "{err}");
    assert_eq!(common::jobs_files(&s), before, "nothing moved");
    assert_eq!(common::record_of(&s, "WO-0001")["state"], "done");
}

#[test]
fn requeue_releases_a_stale_running_wo() {
    let s = repo_with_pending();
    assert_eq!(s.run(&["take", "WO-0001", "--lease", "1s"]).0, 0);
    s.expire_lease("WO-0001");
    let (_, report) = s.json(&["audit"]);
    assert!(
        common::codes(&report).contains(&("stale_lock".into(), "WO-0001".into())),
        "{report}"
    );
    let (code, _, err) = s.run(&["requeue", "WO-0001", "--reason", "holder vanished"]);
    assert_eq!(code, 0, "{err}");
    assert!(!s.path("_ctx/jobs/running/WO-0001.lock").exists());
    assert!(s.worktree("WO-0001").exists(), "worktree kept");
}

#[test]
fn session_log_gets_the_markers_too() {
    let s = repo_with_pending();
    s.git(&["config", "wo.sessionLog", "_ctx/session_repo.md"]);
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let wt = s.worktree("WO-0001");
    commit_in(&s, &wt, "hello.txt", "hello\n");
    assert_eq!(s.run_in(&wt, &["finish", "--result", "done"]).0, 0);
    let log = s.read("_ctx/session_repo.md");
    assert!(log.contains("[WO-0001] intent: Work on WO-0001"), "{log}");
    assert!(
        log.contains("[WO-0001] result: done verified=yes tip="),
        "{log}"
    );
}

#[test]
fn init_is_idempotent_and_refuses_split_brain() {
    let s = Scenario::build("split_brain");
    let (code, v) = s.json(&["init"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["refused_split_brain"], serde_json::json!(["WO-0014"]));
    let imported = v["imported"].as_array().unwrap().len();
    assert!(imported >= 2, "{v}");
    let refs_before = s.git(&["for-each-ref", "refs/wo"]);
    let (_, again) = s.json(&["init"]);
    assert_eq!(again["imported"].as_array().unwrap().len(), 0);
    assert_eq!(again["config_set"].as_array().unwrap().len(), 0, "{again}");
    assert_eq!(s.git(&["for-each-ref", "refs/wo"]), refs_before);
    assert_eq!(
        s.git(&["config", "notes.wo.mergeStrategy"]).trim(),
        "cat_sort_uniq"
    );
    assert_eq!(
        s.git(&["config", "--get-all", "notes.rewriteRef"]).trim(),
        "refs/notes/wo"
    );
}

#[test]
fn imports_are_deterministic_across_clones() {
    let s = Scenario::build("clean");
    let clone = s.tmp.path().join("clone");
    s.git(&[
        "clone",
        "-q",
        s.repo.to_str().unwrap(),
        clone.to_str().unwrap(),
    ]);
    assert_eq!(s.run(&["init"]).0, 0);
    let (code, _, err) = common::run(s.wo_in(&clone, &["init"]));
    assert!(code == 0 || code == 1, "{err}");
    let a = s.git(&["rev-parse", "refs/wo/orders/WO-0001"]);
    let b = s.git_at(&clone, &["rev-parse", "refs/wo/orders/WO-0001"]);
    assert_eq!(a, b, "same YAML, same import commit");
}

#[test]
fn status_says_where_you_are_and_what_is_next() {
    let s = repo_with_pending();
    let (code, v) = s.json(&["status"]);
    assert_eq!(code, 0);
    assert_eq!(v["worktree_kind"], "control");
    assert_eq!(v["next"][0], "git wo take WO-0001");
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let wt = s.worktree("WO-0001");
    let (code, v) = s.json_in(&wt, &["status"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["worktree_kind"], "wo");
    assert_eq!(v["wo"], "WO-0001");
    assert_eq!(v["you_hold_it"], true);
    assert!(
        v["next"]
            .to_string()
            .contains("git wo finish WO-0001 --result done"),
        "{v}"
    );
    let (_, text, _) = s.run_in(&wt, &["status"]);
    assert!(
        text.starts_with("worktree of WO-0001 (running), held by you (alice)"),
        "{text}"
    );
    // Without its session file the worktree is still the WO's: by its lock reason, in
    // the worktrees the inventory read.
    std::fs::remove_file(s.path(".git/worktrees/WO-0001/wo-session")).expect("a session");
    let (code, v) = s.json_in(&wt, &["status"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        (&v["worktree_kind"], &v["wo"]),
        (&"wo".into(), &"WO-0001".into()),
        "{v}"
    );
}

#[test]
fn commands_run_inside_the_worktree_renew_the_lease() {
    let s = repo_with_pending();
    assert_eq!(s.run(&["take", "WO-0001", "--lease", "2h"]).0, 0);
    let record = |s: &Scenario| -> serde_json::Value { common::record_of(s, "WO-0001") };
    let before = record(&s);
    let wt = s.worktree("WO-0001");
    // Within the first minute nothing is written (the clock moved on 50 s).
    s.advance_clock(50);
    assert_eq!(s.run_in(&wt, &["status"]).0, 0);
    assert_eq!(record(&s), before, "no renewal within a minute of the last");
    // After the minute, any command renews.
    s.advance_clock(15);
    assert_eq!(s.run_in(&wt, &["list"]).0, 0);
    let after = record(&s);
    assert!(
        after["lock"]["renewed_at"].as_str() > before["lock"]["renewed_at"].as_str(),
        "{after}"
    );
    assert_eq!(
        s.git(&["log", "-1", "--format=%s", "refs/wo/orders/WO-0001"])
            .trim(),
        "wo: heartbeat WO-0001"
    );
}

#[test]
fn ignored_build_output_goes_with_the_worktree_but_other_ignored_files_keep_it() {
    for (file, removed) in [("target/debug/app", true), (".env", false)] {
        let s = Scenario::build("empty");
        std::fs::write(s.path(".gitignore"), "target/\n.env\n").unwrap();
        s.write_wo("pending", "WO-0001", "");
        s.commit_all("wo");
        assert_eq!(s.run(&["init"]).0, 0);
        assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
        let wt = s.worktree("WO-0001");
        let path = wt.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "secret or binary").unwrap();
        let (code, v) = s.json_in(&wt, &["finish", "--result", "done", "--allow-empty"]);
        assert_eq!(code, if removed { 0 } else { 1 }, "{v}");
        assert_eq!(v["worktree_removed"], removed, "{file}: {v}");
        if !removed {
            assert!(
                v["worktree_kept_because"]
                    .to_string()
                    .contains("ignored file"),
                "{v}"
            );
            assert_eq!(std::fs::read_to_string(&path).unwrap(), "secret or binary");
        }
    }
}

#[test]
fn a_corrupt_object_cache_costs_time_not_correctness() {
    let s = repo_with_pending();
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let (_, first) = s.json(&["list"]);
    let cache = s.repo.join(".git/wo/object-cache");
    assert!(
        cache.exists(),
        "the cache is written by the first inventory"
    );
    let text = std::fs::read_to_string(&cache).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.iter().any(|l| l.contains("WO-0001")),
        "the cache holds WO-0001's intent: {text}"
    );
    // Every entry cut short after its key (what a torn write leaves: the key, no ids),
    // plus lines that are no entries: none of it may be trusted.
    for l in lines.iter_mut().skip(1) {
        if let Some(cut) = l
            .char_indices()
            .filter(|(_, c)| *c == ' ')
            .nth(1)
            .map(|(i, _)| i)
        {
            *l = &l[..cut];
        }
    }
    let corrupt = lines.join("\n") + "\nn nothex 1 WO-0001\ngarbage\n";
    assert!(!corrupt.contains("WO-0001\n") || corrupt.contains("nothex"));
    std::fs::write(&cache, corrupt).unwrap();
    let (_, second) = s.json(&["list"]);
    assert_eq!(first["wos"], second["wos"]);
    // Trusted, the cut lines would say WO-0001 has no intent marker.
    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn take_refuses_a_base_that_an_existing_branch_would_ignore() {
    let s = repo_with_pending();
    let first = s.git(&["rev-parse", "HEAD"]).trim().to_owned();
    s.git(&["branch", "feat/wo-WO-0001"]);
    std::fs::write(s.path("more.txt"), "more").unwrap();
    s.commit_all("more");
    let (code, _, err) = s.run(&["take", "WO-0001", "--base", "HEAD"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("already exists at") && err.contains("fix:"),
        "{err}"
    );
    assert!(
        s.git(&[
            "for-each-ref",
            "refs/wo/orders/WO-0001",
            "--format=%(objectname)"
        ])
        .trim()
        .len()
            == 40
    );
    let record: serde_json::Value = common::record_of(&s, "WO-0001");
    assert_eq!(record["state"], "pending", "nothing claimed");
    let (code, v) = s.json(&["take", "WO-0001", "--base", &first]);
    assert_eq!(code, 0, "same commit as the branch: fine: {v}");
}

#[test]
fn json_errors_are_objects_with_a_kind_and_the_exit_code_comes_from_it() {
    let s = repo_with_pending();
    // Bad input: exit 2, kind usage.
    let (code, v) = s.json(&["take", "WO-../../x"]);
    assert_eq!(code, 2, "{v}");
    assert_eq!(v["schema"], "git-wo.take.v1");
    assert_eq!(v["error"]["kind"], "usage");
    assert_eq!(v["error"]["exit"], 2);
    assert!(v["error"]["fix"].is_string(), "{v}");
    // Conflict: exit 3, kind conflict, naming the holder.
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let (code, v) = s.json(&["take", "WO-0001", "--owner", "bob"]);
    assert_eq!(code, 3, "{v}");
    assert_eq!(v["error"]["kind"], "conflict");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("alice"),
        "{v}"
    );
}
