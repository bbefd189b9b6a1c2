//! Issue #18: expired leases are shown as expired everywhere a lease is printed; the
//! in-flight message names the remedy of its phase; "you" is the acting identity, not
//! the worktree one stands in; a reused worktree with leftovers is named and needs
//! `--force`.

use crate::common;

use std::path::Path;

use common::{Scenario, crash, record_of};

/// An initialised repository with pending WO-0001.
fn repo() -> Scenario {
    let s = Scenario::build("empty");
    s.write_wo("pending", "WO-0001", "dependencies: []\n");
    s.commit_all("work orders");
    let (code, _, err) = s.run(&["init"]);
    assert_eq!(code, 0, "{err}");
    s
}

/// `git -c user.name=<name> wo <args>` in `dir`: the real `git`, which passes `-c` to
/// git-wo in `GIT_CONFIG_PARAMETERS`.
fn run_as(s: &Scenario, dir: &Path, name: &str, args: &[&str]) -> (i32, String, String) {
    let bin = s.wo(&[]).get_program().to_owned();
    let bin_dir = Path::new(&bin).parent().unwrap().to_path_buf();
    let path = std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let mut cmd = std::process::Command::new("git");
    let user = format!("user.name={name}");
    cmd.args(["-c", &user, "wo"])
        .args(args)
        .current_dir(dir)
        .env("PATH", path);
    common::isolate(&mut cmd, s.tmp.path());
    common::run(cmd)
}

/// The `fix:` line of an error on stderr.
fn fix_of(err: &str) -> String {
    err.lines()
        .find_map(|l| l.trim().strip_prefix("fix: "))
        .unwrap_or_else(|| panic!("no fix line in: {err}"))
        .to_owned()
}

// ---------------------------------------------------------------------------
// A. Expired leases are shown as expired.

#[test]
fn an_expired_lease_is_shown_as_expired_everywhere() {
    let s = repo();
    let (code, _, err) = s.run(&["take", "WO-0001", "--lease", "1s"]);
    assert_eq!(code, 0, "{err}");
    let wt = s.worktree("WO-0001");
    s.expire_lease("WO-0001");

    // list
    let (code, out, err) = s.run(&["list"]);
    assert_eq!(code, 0, "{err}");
    let line = out.lines().find(|l| l.starts_with("WO-0001")).unwrap();
    assert!(
        line.contains("lease expired at ") && line.contains(" ago") && !line.contains("until"),
        "list: {line}"
    );
    let (_, v) = s.json(&["list"]);
    assert_eq!(v["wos"][0]["lease_expired"], true, "{v}");

    // show
    let (code, out, err) = s.run(&["show", "WO-0001"]);
    assert_eq!(code, 0, "{err}");
    let lock = out.lines().find(|l| l.trim().starts_with("lock:")).unwrap();
    assert!(
        lock.contains("lease expired at ") && lock.contains(" ago") && !lock.contains("until"),
        "show: {lock}"
    );
    let (_, v) = s.json(&["show", "WO-0001"]);
    assert_eq!(v["wo"]["lease_expired"], true, "{v}");

    // status, in the worktree of its holder
    let (code, out, err) = s.run_in(&wt, &["status"]);
    assert_eq!(code, 0, "{err}");
    let first = out.lines().next().unwrap();
    assert!(
        first.contains("lease expired at ") && !first.contains("until"),
        "status: {out}"
    );
    let (_, v) = s.json_in(&wt, &["status"]);
    assert_eq!(v["lease_expired"], true, "{v}");

    // take by another: the message says expired, with when
    let (code, _, err) = s.run(&["take", "WO-0001", "--owner", "bob"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("alice, lease expired at ") && err.contains(" ago"),
        "take: {err}"
    );

    // finish by another, from the control checkout: held by alice, lease expired
    let (code, _, err) = run_as(
        &s,
        &s.repo,
        "bob",
        &[
            "finish",
            "WO-0001",
            "--result",
            "done",
            "--skip-verification",
            "--reason",
            "x",
        ],
    );
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("alice, lease expired at ") && !err.contains("until"),
        "finish: {err}"
    );
}

#[test]
fn a_live_lease_is_shown_as_live() {
    let s = repo();
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let (_, out, _) = s.run(&["list"]);
    assert!(out.contains("held by alice, lease until "), "{out}");
    let (_, v) = s.json(&["list"]);
    assert_eq!(v["wos"][0]["lease_expired"], false, "{v}");
}

// ---------------------------------------------------------------------------
// B. The in-flight message names the remedy of its phase.

#[test]
fn an_interrupted_finish_names_finish_as_its_remedy() {
    let s = repo();
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let wt = s.worktree("WO-0001");
    std::fs::write(wt.join("hello.txt"), "hi\n").unwrap();
    s.git_at(&wt, &["add", "hello.txt"]);
    s.git_at(&wt, &["commit", "-q", "-m", "work"]);
    crash(
        &s,
        &wt,
        "finish:after-finishing",
        &["finish", "--result", "done"],
    );
    assert_eq!(record_of(&s, "WO-0001")["phase"], "finishing");

    for args in [
        &["take", "WO-0001", "--owner", "bob"][..],
        &["take", "WO-0001", "--resume"][..],
        &["heartbeat", "WO-0001"][..],
    ] {
        let (code, out, err) = s.run(args);
        assert_ne!(code, 0, "{args:?}: {out}{err}");
        let fix = fix_of(&err);
        assert!(
            fix.contains("git wo finish WO-0001 --result done"),
            "{args:?}: {err}"
        );
        assert!(!fix.contains("--resume"), "{args:?}: {err}");
    }
    // And the remedy works.
    let (code, out, err) = s.run(&["finish", "WO-0001", "--result", "done"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn an_interrupted_take_names_resume_or_reconcile() {
    let s = repo();
    crash(&s, &s.repo, "take:after-worktree", &["take", "WO-0001"]);
    assert_eq!(record_of(&s, "WO-0001")["phase"], "taking");
    for args in [
        &["take", "WO-0001", "--owner", "bob"][..],
        &["finish", "WO-0001", "--result", "done"][..],
        &["heartbeat", "WO-0001"][..],
    ] {
        let (code, out, err) = s.run(args);
        assert_ne!(code, 0, "{args:?}: {out}{err}");
        let fix = fix_of(&err);
        assert!(
            fix.contains("git wo take WO-0001 --resume")
                && fix.contains("git wo reconcile --apply"),
            "{args:?}: {err}"
        );
    }
}

// ---------------------------------------------------------------------------
// C. "You" is the acting identity, not the worktree one stands in.

#[test]
fn another_user_in_the_holders_worktree_is_not_the_holder() {
    let s = repo();
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let wt = s.worktree("WO-0001");
    let finish = [
        "finish",
        "WO-0001",
        "--result",
        "done",
        "--skip-verification",
        "--reason",
        "x",
        "--allow-empty",
    ];

    let (code, out, err) = run_as(&s, &wt, "bob", &finish);
    assert_eq!(code, 3, "bob's finish must be refused: {out}{err}");
    assert!(err.contains("held by alice"), "{err}");
    assert!(fix_of(&err).contains("--force"), "{err}");
    assert_eq!(record_of(&s, "WO-0001")["state"], "running");

    // Nor does bob renew alice's lease from there.
    let (code, out, err) = run_as(&s, &wt, "bob", &["heartbeat"]);
    assert_eq!(code, 3, "bob's heartbeat: {out}{err}");

    // Nor does status call bob the holder.
    let (_, out, _) = run_as(&s, &wt, "bob", &["--json", "status"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["you_hold_it"], false, "{v}");

    let mut forced = finish.to_vec();
    forced.push("--force");
    let (code, out, err) = run_as(&s, &wt, "bob", &forced);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("[forced]"), "{out}");
    let r = record_of(&s, "WO-0001");
    assert_eq!(r["state"], "done");
    assert!(
        r["note"].as_str().unwrap_or("").contains("forced by bob"),
        "{r}"
    );
}

#[test]
fn the_holder_in_its_worktree_still_finishes_without_force() {
    let s = repo();
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let wt = s.worktree("WO-0001");
    let (code, out, err) = s.run_in(
        &wt,
        &[
            "finish",
            "--result",
            "done",
            "--skip-verification",
            "--reason",
            "x",
            "--allow-empty",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("[forced]"), "{out}");
}

// ---------------------------------------------------------------------------
// D. A reused worktree with leftovers.

#[test]
fn a_reused_worktree_with_leftovers_is_named_and_needs_force() {
    let s = Scenario::build("empty");
    s.write_wo("pending", "WO-0001", "dependencies: []\n");
    std::fs::write(s.path("README.txt"), "base\n").unwrap();
    s.commit_all("work orders");
    assert_eq!(s.run(&["init"]).0, 0);
    let (code, _, err) = s.run(&["take", "WO-0001", "--lease", "1s"]);
    assert_eq!(code, 0, "{err}");
    let wt = s.worktree("WO-0001");
    std::fs::write(wt.join("README.txt"), "changed\n").unwrap();
    std::fs::write(wt.join("scratch.txt"), "mine\n").unwrap();
    s.expire_lease("WO-0001");
    let (code, out, err) = s.run(&["requeue", "WO-0001", "--reason", "stale"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(wt.exists(), "requeue keeps the worktree");
    let before = common::record_commit(&s, "WO-0001");

    let (code, out, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 1, "take over leftovers must be refused: {out}{err}");
    assert!(
        err.contains("README.txt") && err.contains("scratch.txt"),
        "{err}"
    );
    assert!(err.contains(&wt.display().to_string()), "{err}");
    assert!(
        fix_of(&err).contains("git wo take WO-0001 --force"),
        "{err}"
    );
    assert_eq!(
        common::record_commit(&s, "WO-0001"),
        before,
        "nothing changed"
    );
    assert_eq!(record_of(&s, "WO-0001")["state"], "pending");
    assert!(s.path("_ctx/jobs/pending/WO-0001.yaml").exists());

    let (code, out, err) = s.run(&["take", "WO-0001", "--force"]);
    assert_eq!(code, 0, "{out}{err}");
    let r = record_of(&s, "WO-0001");
    assert_eq!(r["state"], "running");
    let note = r["note"].as_str().unwrap_or("");
    assert!(
        note.contains("--force") && note.contains("scratch.txt"),
        "{r}"
    );
    assert_eq!(
        std::fs::read_to_string(wt.join("scratch.txt")).unwrap(),
        "mine\n",
        "the leftovers are kept"
    );
}

#[test]
fn a_reused_clean_worktree_needs_no_force() {
    let s = repo();
    let (code, _, err) = s.run(&["take", "WO-0001", "--lease", "1s"]);
    assert_eq!(code, 0, "{err}");
    s.expire_lease("WO-0001");
    assert_eq!(s.run(&["requeue", "WO-0001", "--reason", "stale"]).0, 0);
    let (code, out, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("(reused)"), "{out}");
}
