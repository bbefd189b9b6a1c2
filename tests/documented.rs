//! Documented behaviours with no test before (issue #25): each test builds a real
//! repository with the `git` CLI, runs the real binary, and asserts the exit code the
//! man page documents and the exact state after it (record, folders, worktrees,
//! branches, file bytes), so that each can fail.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::team::Team;
use common::{
    Scenario, codes, commit_in, files, isolate, jobs_files, quarantined, record_commit, record_of,
    repo_with, yaml_copies,
};
use serde_json::Value;

// ---------------------------------------------------------------------------
// Helpers (the hook ones as in tests/hooks.rs)

fn git_hooked(s: &Scenario, dir: &Path, args: &[&str]) -> (i32, String, String) {
    common::git_hooked_env(s, dir, args, &[])
}

/// `git-wo <args>` in the control checkout with git-wo on `PATH`.
fn wo_hooked(s: &Scenario, args: &[&str]) -> (i32, String, String) {
    common::wo_hooked_env(s, args, &[])
}

/// The scenario, initialised, hooks installed (`wo.gate.hooks` back to its default).
fn hooked(name: &str) -> Scenario {
    let s = Scenario::build(name);
    s.git(&["config", "--unset", "wo.gate.hooks"]);
    let (code, _, err) = wo_hooked(&s, &["init", "--hooks"]);
    assert_eq!(code, 0, "{err}");
    s
}

/// A change outside the jobs dir, staged.
fn stage_readme(s: &Scenario, text: &str) {
    let p = s.path("README.md");
    let mut old = std::fs::read_to_string(&p).unwrap_or_default();
    old.push_str(text);
    std::fs::write(&p, old).expect("write README");
    s.git(&["add", "README.md"]);
}

fn time(v: &Value) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("a time: {v}")))
        .unwrap_or_else(|e| panic!("{v}: {e}"))
        .with_timezone(&chrono::Utc)
}

/// The `fix:` line of an error on stderr.
fn fix_of(err: &str) -> String {
    err.lines()
        .find_map(|l| l.trim().strip_prefix("fix: "))
        .unwrap_or_else(|| panic!("no fix line in: {err}"))
        .to_owned()
}

/// Everything a live operation owns, to compare before and after another command.
#[derive(Debug, PartialEq)]
struct Held {
    jobs: std::collections::BTreeMap<String, Vec<u8>>,
    record: String,
    worktree: std::collections::BTreeMap<PathBuf, Vec<u8>>,
    branch: String,
    git_locked: bool,
}

fn held(s: &Scenario, id: &str) -> Held {
    let wt = s.worktree(id);
    Held {
        jobs: jobs_files(s),
        record: record_commit(s, id),
        worktree: files(&wt),
        branch: s.git(&["rev-parse", &format!("feat/wo-{id}")]),
        git_locked: s
            .git(&["worktree", "list", "--porcelain"])
            .contains(&format!("locked git-wo {id} token=")),
    }
}

// ---------------------------------------------------------------------------
// 5. Audit, reconcile and gc against a live take or finish.

/// Audit, `reconcile --apply` and `gc --apply --force --min-age 0` while `id`'s take or
/// finish is held alive at a step: no interrupted_transition, nothing of it touched.
fn leaves_the_live_operation_alone(s: &Scenario, id: &str, what: &str) {
    let before = held(s, id);
    let (_, report) = s.json(&["audit"]);
    assert!(
        !codes(&report)
            .iter()
            .any(|(c, w)| c == "interrupted_transition" && w == id),
        "{what}: a live operation is not interrupted: {report}"
    );
    let (code, plan) = s.json(&["reconcile", "--apply"]);
    assert_eq!(code, 0, "{what}: nothing to do: {plan}");
    assert_eq!(plan["actions"], serde_json::json!([]), "{what}: {plan}");
    assert_eq!(held(s, id), before, "{what}: reconcile --apply touched it");
    let (code, report) = s.json(&["gc", "--apply", "--force", "--min-age", "0"]);
    assert_eq!(code, 0, "{what}: nothing to collect: {report}");
    assert_eq!(report["actions"], serde_json::json!([]), "{what}: {report}");
    assert_eq!(held(s, id), before, "{what}: gc --apply --force touched it");
}

#[test]
fn a_live_take_and_a_live_finish_are_left_alone_by_audit_reconcile_and_gc() {
    let s = repo_with(&[("WO-0001", "verify:\n  commands: [\"test -f hello.txt\"]\n")]);
    let wt = s.worktree("WO-0001");

    let mut take = s.spawn_paused(&s.repo, &["take", "WO-0001"], "take:after-worktree");
    let r = record_of(&s, "WO-0001");
    assert_eq!(
        (r["state"].as_str(), r["phase"].as_str()),
        (Some("running"), Some("taking"))
    );
    assert_eq!(yaml_copies(&s, "WO-0001"), ["pending"]);
    assert!(wt.join(".git").is_file(), "the take added its worktree");
    leaves_the_live_operation_alone(&s, "WO-0001", "live take");
    let (code, out, err) = take.release();
    assert_eq!(code, 0, "the take completes: {out}{err}");
    assert_eq!(yaml_copies(&s, "WO-0001"), ["running"]);
    let r = record_of(&s, "WO-0001");
    assert_eq!(
        (r["state"].as_str(), r["phase"].as_str()),
        (Some("running"), Some("active"))
    );
    assert_eq!(r["token"], 1);
    assert!(s.path("_ctx/jobs/running/WO-0001.lock").is_file());

    commit_in(&s, &wt, "hello.txt", "hi\n");
    let tip = s.git(&["rev-parse", "feat/wo-WO-0001"]);
    let mut finish = s.spawn_paused(
        &wt,
        &["finish", "--result", "done"],
        "finish:after-finishing",
    );
    let r = record_of(&s, "WO-0001");
    assert_eq!(
        (r["state"].as_str(), r["phase"].as_str()),
        (Some("running"), Some("finishing"))
    );
    leaves_the_live_operation_alone(&s, "WO-0001", "live finish");
    let (code, out, err) = finish.release();
    assert_eq!(code, 0, "the finish completes: {out}{err}");
    assert_eq!(yaml_copies(&s, "WO-0001"), ["done"]);
    let r = record_of(&s, "WO-0001");
    assert_eq!(
        (r["state"].as_str(), r["phase"].as_str()),
        (Some("done"), Some("idle"))
    );
    assert_eq!(r["lock"], Value::Null);
    assert!(!wt.exists(), "a clean worktree is removed by the finish");
    assert_eq!(s.git(&["rev-parse", "feat/wo-WO-0001"]), tip, "branch kept");
}

// ---------------------------------------------------------------------------
// 6. A worktree with a merge or cherry-pick in progress is kept.

/// `git <args>` that may fail (a conflicting merge): its exit code.
fn git_may_fail(s: &Scenario, dir: &Path, args: &[&str]) -> i32 {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir).args(args);
    isolate(&mut cmd, s.tmp.path());
    common::run(cmd).0
}

fn admin_dir(s: &Scenario, wt: &Path) -> PathBuf {
    PathBuf::from(s.git_at(wt, &["rev-parse", "--absolute-git-dir"]).trim())
}

#[test]
fn gc_force_keeps_a_zombie_with_a_merge_in_progress() {
    let s = Scenario::build("zombie");
    let wt = s.worktree("WO-0080");
    commit_in(&s, &wt, "f.txt", "ours\n");
    std::fs::write(s.path("f.txt"), "theirs\n").expect("write");
    s.git(&["add", "f.txt"]);
    s.git(&["commit", "-q", "-m", "theirs"]);
    assert_ne!(
        git_may_fail(&s, &wt, &["merge", "-q", "main"]),
        0,
        "a conflict"
    );
    assert!(admin_dir(&s, &wt).join("MERGE_HEAD").is_file());
    let before = files(&wt);

    let (code, report) = s.json(&["gc", "--apply", "--force", "--min-age", "0"]);
    assert_eq!(code, 1, "something was kept: {report}");
    let actions = report["actions"].as_array().expect("actions");
    let a = actions
        .iter()
        .find(|a| a["wo_id"] == "WO-0080")
        .unwrap_or_else(|| panic!("WO-0080 in the report: {report}"));
    assert_eq!(a["type"], "zombie", "{a}");
    assert_eq!(a["action"], "kept", "{a}");
    let reasons: Vec<&str> = a["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("a merge is in progress")),
        "{reasons:?}"
    );
    assert!(wt.join(".git").is_file(), "worktree kept");
    assert_eq!(files(&wt), before, "not a byte of it changed");
    assert!(
        admin_dir(&s, &wt).join("MERGE_HEAD").is_file(),
        "merge still in progress"
    );
    // The clean zombie beside it is removed: --force did apply.
    let other = actions
        .iter()
        .find(|a| a["wo_id"] == "WO-0081")
        .unwrap_or_else(|| panic!("WO-0081 in the report: {report}"));
    assert_eq!(other["action"], "removed", "{other}");
    assert!(!s.worktree("WO-0081").exists());
}

#[test]
fn finish_keeps_a_worktree_with_a_cherry_pick_in_progress_and_says_why() {
    let s = repo_with(&[("WO-0001", "verify:\n  commands: [\"true\"]\n")]);
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let wt = s.worktree("WO-0001");
    commit_in(&s, &wt, "f.txt", "ours\n");
    std::fs::write(s.path("f.txt"), "theirs\n").expect("write");
    s.git(&["add", "f.txt"]);
    // Only f.txt: the take's move stays staged in the control checkout, uncommitted.
    s.git(&["commit", "-q", "-m", "theirs", "--", "f.txt"]);
    let theirs = s.git(&["rev-parse", "HEAD"]);
    assert_ne!(
        git_may_fail(&s, &wt, &["cherry-pick", theirs.trim()]),
        0,
        "a conflict"
    );
    // Resolved as ours and staged: nothing modified, staged or untracked, but the
    // cherry-pick is still in progress.
    s.git_at(&wt, &["checkout", "--ours", "f.txt"]);
    s.git_at(&wt, &["add", "f.txt"]);
    assert_eq!(s.git_at(&wt, &["status", "--porcelain"]), "");
    let cp = admin_dir(&s, &wt).join("CHERRY_PICK_HEAD");
    assert!(cp.is_file());

    let (code, out, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 1, "closed, worktree kept (work left): {out}{err}");
    assert!(
        format!("{out}{err}").contains("a cherry-pick is in progress"),
        "says why: {out}{err}"
    );
    assert_eq!(yaml_copies(&s, "WO-0001"), ["done"]);
    let r = record_of(&s, "WO-0001");
    assert_eq!(
        (r["state"].as_str(), r["phase"].as_str()),
        (Some("done"), Some("idle"))
    );
    assert!(wt.join(".git").is_file(), "worktree kept");
    assert!(cp.is_file(), "cherry-pick still in progress");
}

// ---------------------------------------------------------------------------
// 7. take --steal.

#[test]
fn steal_is_refused_while_the_lease_is_live_and_allowed_once_it_expired() {
    let s = repo_with(&[("WO-0001", "")]);
    let (code, _, err) = s.run(&["take", "WO-0001", "--lease", "2h"]);
    assert_eq!(code, 0, "{err}");
    let before = held(&s, "WO-0001");
    let (code, out, err) = s.run(&["take", "WO-0001", "--steal", "--owner", "bob"]);
    assert_eq!(code, 3, "a live lease is not stolen: {out}{err}");
    assert_eq!(held(&s, "WO-0001"), before, "nothing changed");
    assert_eq!(record_of(&s, "WO-0001")["lock"]["owner"], "alice");

    // The holder shortens its lease to a second; once it ended, the steal works.
    let wt = s.worktree("WO-0001");
    let (code, _, err) = s.run_in(&wt, &["heartbeat", "--lease", "1s"]);
    assert_eq!(code, 0, "{err}");
    s.expire_lease("WO-0001");
    let (code, out, err) = s.run(&["take", "WO-0001", "--steal", "--owner", "bob"]);
    assert_eq!(code, 0, "an expired lease is stolen: {out}{err}");
    let r = record_of(&s, "WO-0001");
    assert_eq!(r["lock"]["owner"], "bob", "{r}");
    assert_eq!(r["token"], 2, "a new token: {r}");
    assert_eq!(
        (r["state"].as_str(), r["phase"].as_str()),
        (Some("running"), Some("active"))
    );
    assert_eq!(yaml_copies(&s, "WO-0001"), ["running"]);
    assert!(
        s.read("_ctx/jobs/running/WO-0001.yaml")
            .contains("owner: bob")
    );
    assert!(
        s.read("_ctx/jobs/running/WO-0001.lock")
            .contains("User: bob")
    );
}

// ---------------------------------------------------------------------------
// 8. take, finish and sync with a remote.

fn team(n: usize) -> Team {
    let ids: Vec<String> = (1..=n).map(|i| format!("WO-{i:04}")).collect();
    Team::new(&ids, |p| p.to_string_lossy().into_owned())
}

fn yaml_in(dir: &Path, id: &str) -> Vec<&'static str> {
    ["pending", "running", "done", "failed"]
        .into_iter()
        .filter(|st| dir.join(format!("_ctx/jobs/{st}/{id}.yaml")).exists())
        .collect()
}

fn team_record(t: &Team, dir: &Path, id: &str) -> Value {
    let text = t.git(dir, &["show", &format!("refs/wo/orders/{id}:record.json")]);
    serde_json::from_str(&text).expect("record.json")
}

#[test]
fn take_against_a_remote_that_holds_another_record_is_a_conflict_that_changes_nothing() {
    let t = team(1);
    let (code, _, err) = t.wo(&t.a, &["take", "WO-0001"]);
    assert_eq!(code, 0, "{err}");
    let theirs = t.rev(&t.remote, "refs/wo/orders/WO-0001");

    let (code, out, err) = t.wo(&t.b, &["take", "WO-0001"]);
    assert_eq!(code, 3, "held on the remote: {out}{err}");
    assert!(err.contains("alice"), "names the holder: {err}");
    assert_eq!(yaml_in(&t.b, "WO-0001"), ["pending"]);
    assert_eq!(t.rev(&t.b, "refs/heads/feat/wo-WO-0001"), None, "no branch");
    assert!(
        !t.tmp.path().join("b.worktrees/WO-0001").exists(),
        "no worktree"
    );
    // The local record is the remote's (fast-forwarded), not a claim of bob's.
    assert_eq!(t.rev(&t.b, "refs/wo/orders/WO-0001"), theirs);
    assert_eq!(t.rev(&t.remote, "refs/wo/orders/WO-0001"), theirs);
}

#[test]
fn finish_against_a_remote_that_holds_another_record_is_a_conflict_before_anything_moves() {
    let t = team(1);
    // alice takes without publishing; bob then takes it through the remote.
    t.git(&t.a, &["config", "--unset", "wo.remote"]);
    let (code, _, err) = t.wo(&t.a, &["take", "WO-0001"]);
    assert_eq!(code, 0, "{err}");
    t.git(&t.a, &["config", "wo.remote", "origin"]);
    let (code, _, err) = t.wo(&t.b, &["take", "WO-0001"]);
    assert_eq!(code, 0, "{err}");
    let bobs = t.rev(&t.remote, "refs/wo/orders/WO-0001");

    let wt = t.tmp.path().join("a.worktrees/WO-0001");
    let branch = t.rev(&t.a, "refs/heads/feat/wo-WO-0001");
    let wt_before = files(&wt);
    let record = t.rev(&t.a, "refs/wo/orders/WO-0001");
    let (code, out, err) = t.wo(&wt, &["finish", "--result", "done", "--allow-empty"]);
    assert_eq!(code, 3, "someone else's record on origin: {out}{err}");
    assert!(
        err.contains(
            "WO-0001: someone else moved the record on origin: the record there is running by bob"
        ),
        "{err}"
    );
    fix_of(&err);
    assert_eq!(
        t.rev(&t.a, "refs/wo/orders/WO-0001"),
        record,
        "the record did not move"
    );
    assert_eq!(yaml_in(&t.a, "WO-0001"), ["running"]);
    assert!(t.a.join("_ctx/jobs/running/WO-0001.lock").is_file());
    assert_eq!(files(&wt), wt_before, "worktree untouched");
    assert_eq!(t.rev(&t.a, "refs/heads/feat/wo-WO-0001"), branch);
    let r = team_record(&t, &t.a, "WO-0001");
    assert_eq!(
        (r["state"].as_str(), r["phase"].as_str()),
        (Some("running"), Some("active"))
    );
    assert_eq!(
        t.rev(&t.remote, "refs/wo/orders/WO-0001"),
        bobs,
        "bob's record stays"
    );
}

#[test]
fn take_and_finish_with_an_unreachable_remote_exit_2_and_leave_the_files() {
    let t = team(2);
    let missing = t.tmp.path().join("missing.git");
    t.git(&t.a, &["remote", "add", "gone", &missing.to_string_lossy()]);

    t.git(&t.a, &["config", "wo.remote", "gone"]);
    let record = t.rev(&t.a, "refs/wo/orders/WO-0001");
    let (code, out, err) = t.wo(&t.a, &["take", "WO-0001"]);
    assert_eq!(code, 2, "unreachable: {out}{err}");
    fix_of(&err);
    assert_eq!(yaml_in(&t.a, "WO-0001"), ["pending"]);
    assert_eq!(t.rev(&t.a, "refs/heads/feat/wo-WO-0001"), None);
    assert!(!t.tmp.path().join("a.worktrees/WO-0001").exists());
    assert_eq!(
        t.rev(&t.a, "refs/wo/orders/WO-0001"),
        record,
        "record unchanged"
    );

    t.git(&t.a, &["config", "wo.remote", "origin"]);
    let (code, _, err) = t.wo(&t.a, &["take", "WO-0002"]);
    assert_eq!(code, 0, "{err}");
    let wt = t.tmp.path().join("a.worktrees/WO-0002");
    let wt_before = files(&wt);
    let yaml = std::fs::read(t.a.join("_ctx/jobs/running/WO-0002.yaml")).expect("yaml");
    t.git(&t.a, &["config", "wo.remote", "gone"]);
    let record = t.rev(&t.a, "refs/wo/orders/WO-0002");
    let (code, out, err) = t.wo(&wt, &["finish", "--result", "done", "--allow-empty"]);
    assert_eq!(code, 2, "unreachable: {out}{err}");
    fix_of(&err);
    assert_eq!(
        std::fs::read(t.a.join("_ctx/jobs/running/WO-0002.yaml")).ok(),
        Some(yaml),
        "YAML untouched"
    );
    assert_eq!(files(&wt), wt_before, "worktree untouched");
    assert_eq!(
        t.rev(&t.a, "refs/wo/orders/WO-0002"),
        record,
        "record untouched"
    );
    let r = team_record(&t, &t.a, "WO-0002");
    assert_eq!(
        (r["state"].as_str(), r["phase"].as_str()),
        (Some("running"), Some("active"))
    );
    // Reachable again, the same finish goes on.
    t.git(&t.a, &["config", "wo.remote", "origin"]);
    let (code, out, err) = t.wo(&wt, &["finish", "--result", "done", "--allow-empty"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(yaml_in(&t.a, "WO-0002"), ["done"]);
}

#[test]
fn sync_exits_3_when_someone_pushed_meanwhile_and_nothing_of_its_push_lands() {
    let t = team(2);
    // Local progress, not published: two takes.
    t.git(&t.a, &["config", "--unset", "wo.remote"]);
    for id in ["WO-0001", "WO-0002"] {
        let (code, _, err) = t.wo(&t.a, &["take", id]);
        assert_eq!(code, 0, "{err}");
    }
    // Someone pushes WO-0001's record between sync's fetch and its push: a `git`
    // first on PATH moves the remote's ref just before the first push.
    let real_git = {
        let out = Command::new("sh")
            .args(["-c", "command -v git"])
            .output()
            .expect("sh");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let other = t.rev(&t.remote, "refs/heads/main").expect("main");
    let wrapper_dir = t.tmp.path().join("wrapper");
    std::fs::create_dir_all(&wrapper_dir).expect("mkdir");
    let mark = t.tmp.path().join("pushed-meanwhile");
    let script = format!(
        "#!/bin/sh\nfor a in \"$@\"; do\n  if [ \"$a\" = push ] && [ ! -e '{mark}' ]; then\n    : > '{mark}'\n    '{git}' --git-dir='{remote}' update-ref refs/wo/orders/WO-0001 {other}\n    break\n  fi\ndone\nexec '{git}' \"$@\"\n",
        mark = mark.display(),
        git = real_git,
        remote = t.remote.display(),
    );
    let wrapper = wrapper_dir.join("git");
    std::fs::write(&wrapper, script).expect("write wrapper");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let remote_before: Vec<Option<String>> = ["refs/wo/orders/WO-0002", "refs/notes/wo"]
        .iter()
        .map(|r| t.rev(&t.remote, r))
        .collect();
    let local_before: Vec<Option<String>> = ["WO-0001", "WO-0002"]
        .iter()
        .map(|id| t.rev(&t.a, &format!("refs/wo/orders/{id}")))
        .collect();

    let mut cmd = t.cmd(&t.a, &["sync", "origin"]);
    cmd.env(
        "PATH",
        format!(
            "{}:{}",
            wrapper_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );
    let (code, out, err) = common::run(cmd);
    assert!(mark.exists(), "the wrapper ran: {out}{err}");
    assert_eq!(code, 3, "push refused: {out}{err}");
    assert!(
        err.contains("refs/wo/orders/WO-0001"),
        "names the ref: {err}"
    );
    fix_of(&err);
    // Nothing of the atomic push landed; the other push is kept; nothing local moved.
    assert_eq!(t.rev(&t.remote, "refs/wo/orders/WO-0001"), Some(other));
    let remote_after: Vec<Option<String>> = ["refs/wo/orders/WO-0002", "refs/notes/wo"]
        .iter()
        .map(|r| t.rev(&t.remote, r))
        .collect();
    assert_eq!(remote_after, remote_before);
    let local_after: Vec<Option<String>> = ["WO-0001", "WO-0002"]
        .iter()
        .map(|id| t.rev(&t.a, &format!("refs/wo/orders/{id}")))
        .collect();
    assert_eq!(local_after, local_before);
}

// ---------------------------------------------------------------------------
// 9. The pre-commit gate on the index git hands it, and wo.gate.always.

/// Makes WO-0001 split-brain through a tracked file: `done/WO-0003.yaml` now says it
/// is WO-0001 (identity is the `id:` field), modified, not staged.
fn split_brain_in_a_tracked_file(s: &Scenario) -> Vec<u8> {
    let text = s
        .read("_ctx/jobs/pending/WO-0001.yaml")
        .replace("status: pending", "status: done");
    std::fs::write(s.path("_ctx/jobs/done/WO-0003.yaml"), &text).expect("write");
    assert_eq!(
        s.git(&["diff", "--cached", "--name-only"]),
        "",
        "nothing staged"
    );
    text.into_bytes()
}

#[test]
fn the_gate_reads_the_index_of_commit_a_and_of_commit_paths() {
    for how in [
        &["commit", "-q", "-a", "-m", "all"][..],
        &[
            "commit",
            "-q",
            "-m",
            "only",
            "--",
            "_ctx/jobs/done/WO-0003.yaml",
        ][..],
    ] {
        let s = hooked("clean");
        let bytes = split_brain_in_a_tracked_file(&s);
        let head = s.git(&["rev-parse", "HEAD"]);
        let (code, _, err) = git_hooked(&s, &s.repo, how);
        assert_eq!(code, 1, "{how:?}: refused: {err}");
        assert!(
            err.lines().any(|l| l.starts_with("split_brain WO-0001:")),
            "{how:?}: {err}"
        );
        assert_eq!(s.git(&["rev-parse", "HEAD"]), head, "{how:?}: no commit");
        assert_eq!(
            s.git(&["diff", "--cached", "--name-only"]),
            "",
            "{how:?}: index kept"
        );
        assert_eq!(
            std::fs::read(s.path("_ctx/jobs/done/WO-0003.yaml")).ok(),
            Some(bytes)
        );
    }
}

#[test]
fn gate_always_runs_the_gate_on_a_commit_that_does_not_touch_the_jobs_dir() {
    let s = hooked("clean");
    stage_readme(&s, "docs\n");
    let how = |s: &Scenario| -> String {
        let mut cmd = s.wo(&["--json", "hook", "pre-commit"]);
        cmd.env("PATH", common::path_with_wo())
            .env("GIT_WO_NO_CACHE", "1");
        let (code, out, err) = common::run(cmd);
        assert_eq!(code, 0, "{out}{err}");
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        assert_eq!(v["passed"], true, "{v}");
        v["how"].as_str().expect("how").to_owned()
    };
    assert_eq!(how(&s), "untouched");
    s.git(&["config", "wo.gate.always", "true"]);
    assert_eq!(how(&s), "checked");
}

// ---------------------------------------------------------------------------
// 10. post-commit and post-checkout renew the lease.

#[test]
fn post_commit_and_post_checkout_in_the_worktree_renew_the_lease() {
    let s = Scenario::build("empty");
    s.git(&["config", "--unset", "wo.gate.hooks"]);
    s.write_wo("pending", "WO-0001", "");
    s.commit_all("wo");
    let (code, _, err) = wo_hooked(&s, &["init", "--hooks"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = wo_hooked(&s, &["take", "WO-0001", "--lease", "2h"]);
    assert_eq!(code, 0, "{err}");
    let wt = s.worktree("WO-0001");
    let expires = |s: &Scenario| time(&record_of(s, "WO-0001")["lock"]["expires_at"]);

    let e0 = expires(&s);
    // A minute on: the automatic renewal is due.
    s.advance_clock(61);
    std::fs::write(wt.join("hello.txt"), "hi\n").expect("write");
    s.git_at(&wt, &["add", "hello.txt"]);
    let (code, _, err) = common::git_hooked_env(&s, &wt, &["commit", "-q", "-m", "work"], &[]);
    assert_eq!(code, 0, "{err}");
    let e1 = expires(&s);
    assert!(e1 > e0, "post-commit renewed: {e0} -> {e1}");

    s.advance_clock(61);
    let (code, _, err) =
        common::git_hooked_env(&s, &wt, &["checkout", "-q", "feat/wo-WO-0001"], &[]);
    assert_eq!(code, 0, "{err}");
    let e2 = expires(&s);
    assert!(e2 > e1, "post-checkout renewed: {e1} -> {e2}");
    let r = record_of(&s, "WO-0001");
    assert_eq!(
        (r["phase"].as_str(), r["token"].as_u64()),
        (Some("active"), Some(1))
    );
}

// ---------------------------------------------------------------------------
// 11. reconcile --restore never overwrites; the winner rules without a record.

#[test]
fn restore_never_overwrites_a_file_that_is_back_at_its_path() {
    let s = Scenario::build("split_brain");
    let (code, result) = s.json(&["reconcile", "--apply"]);
    assert_eq!(code, 0, "{result}");
    let stamp = result["quarantine"]
        .as_str()
        .expect("a quarantine")
        .to_owned();
    let path = "_ctx/jobs/pending/WO-0014.yaml";
    let kept = quarantined(&s)
        .get(path)
        .cloned()
        .expect("the pending copy is quarantined");
    std::fs::write(s.path(path), "someone else's file\n").expect("write");

    let (code, v) = s.json(&["reconcile", "--restore", &stamp]);
    assert_eq!(code, 1, "a file could not be put back: {v}");
    assert_eq!(v["restored"], serde_json::json!([]), "{v}");
    let failed = v["failed"].as_array().expect("failed");
    assert_eq!(failed.len(), 1, "{v}");
    assert!(failed[0].to_string().contains(path), "reported: {v}");
    assert!(
        failed[0].to_string().contains("diff"),
        "with a diff command: {v}"
    );
    assert_eq!(
        std::fs::read(s.path(path)).ok(),
        Some(b"someone else's file\n".to_vec())
    );
    assert_eq!(
        quarantined(&s).get(path),
        Some(&kept),
        "still in quarantine"
    );
}

#[test]
fn the_winner_without_a_record_is_the_later_finish_and_running_only_when_live() {
    let s = Scenario::build("empty");
    s.write_wo(
        "done",
        "WO-0001",
        "finished_at: 2026-01-01T00:00:00+00:00\n",
    );
    s.write_wo(
        "failed",
        "WO-0001",
        "finished_at: 2026-02-01T00:00:00+00:00\n",
    );
    s.write_wo(
        "done",
        "WO-0002",
        "finished_at: 2026-02-01T00:00:00+00:00\n",
    );
    s.write_wo(
        "failed",
        "WO-0002",
        "finished_at: 2026-01-01T00:00:00+00:00\n",
    );
    for id in ["WO-0003", "WO-0004", "WO-0005"] {
        s.write_wo("pending", id, "");
        s.write_wo(
            "running",
            id,
            &format!("owner: alice\nbranch: feat/wo-{id}\nworktree: ../.worktrees/{id}\n"),
        );
    }
    // WO-0004: a lock file (whatever its age); WO-0005: a worktree.
    std::fs::write(
        s.path("_ctx/jobs/running/WO-0004.lock"),
        "Locked by git-wo at 2026-01-01T00:00:00+00:00\nPID: 1\nUser: alice\nHostname: box\n",
    )
    .expect("lock");
    s.commit_all("rotten");
    let wt5 = s.worktree("WO-0005");
    s.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "feat/wo-WO-0005",
        &wt5.to_string_lossy(),
    ]);

    let (code, result) = s.json(&["reconcile", "--apply"]);
    assert_eq!(code, 0, "{result}");
    assert_eq!(
        yaml_copies(&s, "WO-0001"),
        ["failed"],
        "the later finished_at"
    );
    assert_eq!(
        yaml_copies(&s, "WO-0002"),
        ["done"],
        "the later finished_at"
    );
    assert_eq!(yaml_copies(&s, "WO-0003"), ["pending"], "nothing live");
    assert_eq!(yaml_copies(&s, "WO-0004"), ["running"], "a lock file");
    assert_eq!(yaml_copies(&s, "WO-0005"), ["running"], "a worktree");
    let q: Vec<String> = quarantined(&s).into_keys().collect();
    assert_eq!(
        q,
        [
            "_ctx/jobs/done/WO-0001.yaml",
            "_ctx/jobs/failed/WO-0002.yaml",
            "_ctx/jobs/pending/WO-0004.yaml",
            "_ctx/jobs/pending/WO-0005.yaml",
            "_ctx/jobs/running/WO-0003.yaml",
        ]
    );
    assert!(
        wt5.join(".git").is_file(),
        "reconcile never touches worktrees"
    );
}

// ---------------------------------------------------------------------------
// 12. wo.commit=true: each command commits exactly its own moves.

/// HEAD is `subject`, one commit after `before`, changing exactly `changes` (`git show
/// --name-status --no-renames`); the user's README is still staged, alone.
fn own_commit(s: &Scenario, before: &str, subject: &str, changes: &[&str]) {
    assert_eq!(
        s.git(&["rev-parse", "HEAD~1"]),
        before,
        "{subject}: one commit"
    );
    assert_eq!(s.git(&["log", "-1", "--format=%s"]).trim(), subject);
    let got = s.git(&["show", "--name-status", "--no-renames", "--format=", "HEAD"]);
    let got: Vec<&str> = got.lines().collect();
    assert_eq!(got, changes, "{subject}");
    assert_eq!(
        s.git(&["diff", "--cached", "--name-only"]).trim(),
        "README.md",
        "{subject}"
    );
    assert!(
        s.git(&["diff", "--cached"]).contains("+staged by the user"),
        "{subject}"
    );
}

#[test]
fn wo_commit_commits_each_commands_own_moves_for_finish_requeue_reconcile_and_gc() {
    let s = repo_with(&[
        ("WO-0001", ""),
        ("WO-0002", ""),
        ("WO-0003", ""),
        ("WO-0004", ""),
    ]);
    s.git(&["config", "wo.commit", "true"]);
    stage_readme(&s, "staged by the user\n");
    let head = || s.git(&["rev-parse", "HEAD"]);

    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let before = head();
    let (code, out, err) = s.run_in(
        &s.worktree("WO-0001"),
        &["finish", "--result", "done", "--allow-empty"],
    );
    assert_eq!(code, 0, "{out}{err}");
    own_commit(
        &s,
        &before,
        "wo: finish WO-0001",
        &[
            "A\t_ctx/jobs/done/WO-0001.yaml",
            "D\t_ctx/jobs/running/WO-0001.yaml",
        ],
    );

    assert_eq!(s.run(&["take", "WO-0002"]).0, 0);
    let (code, out, err) = s.run_in(&s.worktree("WO-0002"), &["finish", "--result", "failed"]);
    assert_eq!(code, 0, "{out}{err}");
    let before = head();
    let (code, out, err) = s.run(&["requeue", "WO-0002", "--reason", "try again"]);
    assert_eq!(code, 0, "{out}{err}");
    own_commit(
        &s,
        &before,
        "wo: requeue WO-0002",
        &[
            "D\t_ctx/jobs/failed/WO-0002.yaml",
            "A\t_ctx/jobs/pending/WO-0002.yaml",
        ],
    );

    // A committed split-brain copy of WO-0003 (its record says pending).
    std::fs::copy(
        s.path("_ctx/jobs/pending/WO-0003.yaml"),
        s.path("_ctx/jobs/done/WO-0003.yaml"),
    )
    .expect("copy");
    s.git(&["add", "_ctx/jobs/done/WO-0003.yaml"]);
    s.git(&[
        "commit",
        "-q",
        "-m",
        "oops",
        "--",
        "_ctx/jobs/done/WO-0003.yaml",
    ]);
    let before = head();
    let (code, out, err) = s.run(&["reconcile", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    own_commit(
        &s,
        &before,
        "wo: reconcile WO-0003",
        &["D\t_ctx/jobs/done/WO-0003.yaml"],
    );

    assert_eq!(s.run(&["take", "WO-0004", "--lease", "1s"]).0, 0);
    s.expire_lease("WO-0004");
    let before = head();
    let (code, out, err) = s.run(&["gc", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    own_commit(
        &s,
        &before,
        "wo: gc WO-0004",
        &[
            "A\t_ctx/jobs/pending/WO-0004.yaml",
            "D\t_ctx/jobs/running/WO-0004.yaml",
        ],
    );
}

// ---------------------------------------------------------------------------
// 13. Exit codes.

#[test]
fn usage_errors_of_reconcile_and_gc_exit_2_with_a_fix() {
    let s = Scenario::build("clean");
    let before = jobs_files(&s);
    for args in [
        &["reconcile", "--force"][..],
        &["gc", "--force"][..],
        &["gc", "--min-age", "xyz"][..],
        &["gc", "--apply", "--min-age", "xyz"][..],
    ] {
        let (code, out, err) = s.run(args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        fix_of(&err);
    }
    assert_eq!(jobs_files(&s), before);
    assert!(s.worktree("WO-0010").join(".git").is_file());
}

#[test]
fn the_pre_commit_hook_exits_2_on_unmerged_entries_under_the_jobs_dir() {
    let s = hooked("clean");
    let path = "_ctx/jobs/pending/WO-0001.yaml";
    s.git(&["checkout", "-q", "-b", "side"]);
    let edit = |title: &str| {
        let text = s.read(path).replace(
            "title: \"Fixture work order WO-0001\"",
            &format!("title: \"{title}\""),
        );
        std::fs::write(s.path(path), text).expect("write");
        s.git(&["commit", "-q", "-a", "--no-verify", "-m", title]);
    };
    edit("side's title");
    s.git(&["checkout", "-q", "main"]);
    edit("main's title");
    assert_ne!(
        git_may_fail(&s, &s.repo, &["merge", "-q", "side"]),
        0,
        "a conflict"
    );
    let (code, out, err) = wo_hooked(&s, &["hook", "pre-commit"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains(path), "names the path: {err}");
}

#[test]
fn leftover_files_and_invalid_locks_are_reported_by_code() {
    let s = Scenario::build("clean");
    let old = s.path("_ctx/jobs/running/.git-wo-Xa81Qz.tmp");
    let young = s.path("_ctx/jobs/pending/.git-wo-Yb92Ra.tmp");
    std::fs::write(&old, "version: 1\nid: WO-0010\n").expect("write");
    std::fs::write(&young, "version: 1\nid: WO-0001\n").expect("write");
    let out = Command::new("touch")
        .args(["-d", "2 minutes ago"])
        .arg(&old)
        .output()
        .expect("touch");
    assert!(out.status.success());
    std::fs::create_dir(s.path("_ctx/jobs/running/WO-0001.lock")).expect("mkdir");

    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 1, "{report}");
    let findings = report["findings"].as_array().expect("findings");
    let of =
        |code: &str| -> Vec<&Value> { findings.iter().filter(|f| f["code"] == code).collect() };
    let leftovers = of("leftover_file");
    assert_eq!(leftovers.len(), 1, "only the old temp file: {report}");
    assert!(
        leftovers[0].to_string().contains(".git-wo-Xa81Qz.tmp"),
        "{}",
        leftovers[0]
    );
    let invalid = of("invalid_lock");
    assert_eq!(invalid.len(), 1, "{report}");
    assert_eq!(invalid[0]["wo_id"], "WO-0001", "{}", invalid[0]);
    assert_eq!(invalid[0]["severity"], "P1");
    assert_eq!(leftovers[0]["severity"], "P2");

    // Neither reconcile nor gc deletes or follows the folder.
    s.run(&["reconcile", "--apply"]);
    s.run(&["gc", "--apply", "--min-age", "0"]);
    assert!(s.path("_ctx/jobs/running/WO-0001.lock").is_dir());
}
