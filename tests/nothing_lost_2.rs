//! Issue #19, "Nothing lost, nothing wedged", second round: submodules and reflog-only
//! commits in worktrees gc removes, repositories under paths that are not UTF-8, and
//! errors that name the WO and the step. Real repositories, the real binary.

use crate::common;

use std::path::{Path, PathBuf};

use common::Scenario;
use serde_json::Value;

fn action_of(r: &Value, id: &str) -> Value {
    r["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["wo_id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no action for {id}: {r}"))
}

/// Whether `commit` exists in the repository whose git dir (or checkout) is `at`.
fn has_commit(s: &Scenario, at: &Path, commit: &str) -> bool {
    let mut cmd = std::process::Command::new("git");
    cmd.arg("-C")
        .arg(at)
        .args(["cat-file", "-e", &format!("{commit}^{{commit}}")]);
    common::isolate(&mut cmd, s.tmp.path());
    cmd.output().is_ok_and(|o| o.status.success())
}

// ---------------------------------------------------------------------------------
// 1. Submodules whose commits exist only in the worktree's private git dir.

/// A repository with one commit, to add as a submodule.
fn upstream(s: &Scenario) -> PathBuf {
    let up = s.tmp.path().join("upstream");
    std::fs::create_dir_all(&up).unwrap();
    s.git_at(&up, &["init", "-q", "-b", "main"]);
    s.git_at(&up, &["config", "user.name", "bob"]);
    s.git_at(&up, &["config", "user.email", "bob@example.com"]);
    std::fs::write(up.join("lib.txt"), "v1\n").unwrap();
    s.git_at(&up, &["add", "lib.txt"]);
    s.git_at(&up, &["commit", "-q", "-m", "v1"]);
    up
}

/// Add `up` as submodule `sub` in `wt` (committed there), then commit in the
/// submodule without pushing; the new commit's id.
fn submodule_with_local_commit(s: &Scenario, wt: &Path, up: &Path) -> String {
    s.git_at(
        wt,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            up.to_str().unwrap(),
            "sub",
        ],
    );
    s.git_at(wt, &["commit", "-q", "-m", "add sub"]);
    let sub = wt.join("sub");
    s.git_at(&sub, &["config", "user.name", "bob"]);
    s.git_at(&sub, &["config", "user.email", "bob@example.com"]);
    std::fs::write(sub.join("lib.txt"), "v2, mine only\n").unwrap();
    s.git_at(&sub, &["commit", "-q", "-am", "v2 (never pushed)"]);
    s.git_at(&sub, &["rev-parse", "HEAD"]).trim().to_owned()
}

#[test]
fn gc_force_keeps_a_worktree_whose_submodule_has_unpushed_commits() {
    let s = Scenario::build("zombie");
    let up = upstream(&s);
    // WO-0080: the submodule's new commit is not recorded in the worktree (` M sub`);
    // its git dir is in `.git/worktrees/WO-0080/modules/`.
    let w80 = s.worktree("WO-0080");
    let c80 = submodule_with_local_commit(&s, &w80, &up);
    let modules80 = s.path(".git/worktrees/WO-0080/modules/sub");
    assert!(
        modules80.is_dir(),
        "the submodule's git dir is the worktree's"
    );
    // WO-0081: the same, recorded, then the submodule is deinitialised: no checkout,
    // its git dir (and the commit) stays in `.git/worktrees/WO-0081/modules/`; a
    // note left in the worktree.
    let w81 = s.worktree("WO-0081");
    let c81 = submodule_with_local_commit(&s, &w81, &up);
    s.git_at(&w81, &["commit", "-q", "-am", "sub at v2"]);
    s.git_at(&w81, &["submodule", "deinit", "-q", "-f", "sub"]);
    std::fs::write(w81.join("notes.txt"), "later\n").unwrap();
    let modules81 = s.path(".git/worktrees/WO-0081/modules/sub");
    assert!(has_commit(&s, &modules81, &c81));

    for args in [
        &["gc", "--apply", "--force", "--min-age", "1s"][..],
        &["gc", "--apply", "--min-age", "0"][..],
    ] {
        let (code, r) = s.json(args);
        assert_eq!(code, 1, "{args:?}: kept, so work is left: {r}");
        for (id, wt, modules, commit) in [
            ("WO-0080", &w80, &modules80, &c80),
            ("WO-0081", &w81, &modules81, &c81),
        ] {
            let a = action_of(&r, id);
            assert_eq!(a["action"], "kept", "{args:?}: {a}");
            let why = a["reasons"].to_string();
            assert!(
                why.contains("submodule") && why.contains("sub") && why.contains("no remote"),
                "{args:?}: says why: {a}"
            );
            assert!(
                !why.contains("\"--force\""),
                "{args:?}: --force does not override it: {a}"
            );
            assert!(wt.exists(), "{args:?}: {id} kept");
            assert!(
                has_commit(&s, modules, commit),
                "{args:?}: {id}: nothing lost"
            );
        }
    }
    let (_, out, _) = s.run(&["gc", "--apply", "--force", "--min-age", "0"]);
    assert!(
        out.contains("submodule sub") && out.contains("has commits on no remote"),
        "the text report says why: {out}"
    );

    // Pushed, the same commits no longer hold WO-0080 back.
    s.git_at(
        &w80.join("sub"),
        &["push", "-q", "origin", "HEAD:refs/heads/v2"],
    );
    s.git_at(&w80.join("sub"), &["fetch", "-q", "origin"]);
    let (_, r) = s.json(&["gc", "--min-age", "0"]);
    let a = action_of(&r, "WO-0080");
    assert!(
        !a["reasons"].to_string().contains("submodule"),
        "pushed: {a}"
    );
}
/// Add `up` as submodule `sub` in `wt` and commit it there: nothing of it exists only
/// in the worktree.
fn pushed_submodule(s: &Scenario, wt: &Path, up: &Path) {
    s.git_at(
        wt,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            up.to_str().unwrap(),
            "sub",
        ],
    );
    s.git_at(wt, &["commit", "-q", "-m", "add sub"]);
}

#[test]
fn a_worktree_whose_submodules_hold_nothing_of_their_own_is_removed() {
    // git refuses `git worktree remove` of a worktree with submodules unless forced:
    // gc and finish used to fail on it every time.
    let s = Scenario::build("zombie");
    let up = upstream(&s);
    let w80 = s.worktree("WO-0080");
    pushed_submodule(&s, &w80, &up);
    let (code, r) = s.json(&["gc", "--apply", "--min-age", "0"]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(action_of(&r, "WO-0080")["action"], "removed", "{r}");
    assert!(!w80.exists());
    assert!(!s.path(".git/worktrees/WO-0080").exists());

    let s = Scenario::build("clean");
    let up = upstream(&s);
    let (code, out, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 0, "{out}{err}");
    let wt = s.worktree("WO-0001");
    pushed_submodule(&s, &wt, &up);
    // The submodule lies outside the fixture WO's scope (`src/**`): accepted here.
    let (code, out, err) = s.run_in(
        &wt,
        &[
            "finish",
            "WO-0001",
            "--result",
            "done",
            "--skip-verification",
            "--allow-out-of-scope",
            "--reason",
            "test",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(!wt.exists(), "removed: {out}{err}");
    assert_eq!(common::yaml_copies(&s, "WO-0001"), ["done"]);
}

// ---------------------------------------------------------------------------------
// 2. Commits only the worktree's HEAD reflog reaches.

#[test]
fn gc_keeps_or_rescues_commits_only_the_head_reflog_reaches() {
    let s = Scenario::build("zombie");
    let wt = s.worktree("WO-0080");
    // Work on a detached HEAD, then back to the branch: only the reflog reaches it.
    s.git_at(&wt, &["switch", "-q", "--detach"]);
    std::fs::write(wt.join("idea.txt"), "one\n").unwrap();
    s.git_at(&wt, &["add", "idea.txt"]);
    s.git_at(&wt, &["commit", "-q", "-m", "idea 1"]);
    std::fs::write(wt.join("idea.txt"), "two\n").unwrap();
    s.git_at(&wt, &["commit", "-q", "-am", "idea 2"]);
    let tip = s.git_at(&wt, &["rev-parse", "HEAD"]).trim().to_owned();
    s.git_at(&wt, &["switch", "-q", "feat/wo-WO-0080"]);
    let short = &tip[..12];

    let (code, r) = s.json(&["gc", "--apply", "--min-age", "0"]);
    assert_eq!(code, 1, "{r}");
    let a = action_of(&r, "WO-0080");
    assert_eq!(a["action"], "kept", "{a}");
    let why = a["reasons"].to_string();
    assert!(
        why.contains("reflog") && why.contains(short),
        "names the commit: {a}"
    );
    assert!(wt.exists());
    // WO-0081 has nothing of the kind and goes.
    assert_eq!(action_of(&r, "WO-0081")["action"], "removed", "{r}");

    let (code, r) = s.json(&["gc", "--apply", "--force", "--min-age", "0"]);
    assert_eq!(code, 0, "{r}");
    let a = action_of(&r, "WO-0080");
    assert_eq!(a["action"], "removed", "{a}");
    assert!(!wt.exists());
    let rescue = format!("refs/wo/rescue/WO-0080/{short}");
    assert_eq!(
        a["rescued"],
        serde_json::json!([{"commit": tip, "ref": rescue}]),
        "{a}"
    );
    assert!(a["message"].as_str().unwrap().contains(&rescue), "{a}");
    assert_eq!(s.git(&["rev-parse", &rescue]).trim(), tip, "kept by a ref");
    assert_eq!(
        s.git(&["show", &format!("{rescue}:idea.txt")]),
        "two\n",
        "its content is there"
    );
    // The text report names it too.
    let s = Scenario::build("zombie");
    let wt = s.worktree("WO-0080");
    s.git_at(&wt, &["switch", "-q", "--detach"]);
    s.git_at(&wt, &["commit", "-q", "--allow-empty", "-m", "idea"]);
    let tip = s.git_at(&wt, &["rev-parse", "HEAD"]).trim().to_owned();
    s.git_at(&wt, &["switch", "-q", "feat/wo-WO-0080"]);
    let (code, out, err) = s.run(&["gc", "--apply", "--force", "--min-age", "0"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!("refs/wo/rescue/WO-0080/{}", &tip[..12])),
        "{out}"
    );
}

// ---------------------------------------------------------------------------------
// 3. A repository under a path that is not UTF-8.

/// A repository at `<tmp>/p\xff/repo` with pending WO-0001 and WO-0002, one commit.
fn repo_under_non_utf8_folder() -> Scenario {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().expect("temp dir");
    let repo = tmp
        .path()
        .join(std::ffi::OsStr::from_bytes(b"p\xff"))
        .join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let s = Scenario { tmp, repo };
    s.git(&["init", "-q", "-b", "main"]);
    s.git(&["config", "user.name", "alice"]);
    s.git(&["config", "user.email", "alice@example.com"]);
    s.git(&["config", "wo.gate.hooks", "none"]);
    s.write_wo("pending", "WO-0001", "");
    s.write_wo("pending", "WO-0002", "");
    s.commit_all("jobs");
    s
}

/// Every path under `dir` (folders too) with the bytes of each file.
fn tree(dir: &Path) -> Vec<(PathBuf, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                out.push((p.clone(), None));
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).ok()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_repository_under_a_non_utf8_path_is_refused_before_anything_is_written() {
    let s = repo_under_non_utf8_folder();
    let before = tree(s.tmp.path());
    let wo_dir = s.path(".git/wo");
    assert!(!wo_dir.exists());
    for args in [
        &["take", "WO-0001"][..],
        &["take", "WO-0002", "--owner", "bob"],
        &["init"],
        &["audit"],
        &["list"],
        &["status"],
        &["show", "WO-0001"],
        &["lint"],
        &["reconcile", "--apply"],
        &["gc", "--apply", "--min-age", "0"],
        &["finish", "WO-0001", "--result", "done"],
        &["requeue", "WO-0001", "--reason", "x"],
        &["heartbeat"],
        &["new", "--title", "x"],
        &["snapshot", "--dir", "snap"],
    ] {
        let (code, out, err) = s.run(args);
        assert_eq!(code, 2, "{args:?}: refused: {out}{err}");
        assert!(
            err.contains("p\\xff") && err.contains("not UTF-8"),
            "{args:?}: names the path, escaped, and why: {err}"
        );
        assert!(err.contains("fix:"), "{args:?}: says what to do: {err}");
        assert_eq!(tree(s.tmp.path()), before, "{args:?}: nothing was written");
    }
    // `--root` naming it from elsewhere: the same.
    let elsewhere = s.tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let before = tree(s.tmp.path());
    let root = s.repo.to_str().map(str::to_owned);
    assert!(root.is_none());
    let mut cmd = s.wo_in(&elsewhere, &["take", "WO-0001"]);
    cmd.arg("--root").arg(&s.repo);
    let (code, _, err) = common::run(cmd);
    assert_eq!(code, 2, "{err}");
    assert_eq!(tree(s.tmp.path()), before);
    // The JSON error says the same.
    let (code, v) = s.json(&["take", "WO-0001"]);
    assert_eq!(code, 2);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("p\\xff"),
        "{v}"
    );
}

#[test]
fn a_worktree_under_a_non_utf8_path_is_refused_before_anything_is_written() {
    use std::os::unix::ffi::OsStrExt;
    let s = Scenario::build("clean");
    let odd = s.tmp.path().join(std::ffi::OsStr::from_bytes(b"w\xfe"));
    let mut cmd = std::process::Command::new("git");
    cmd.arg("-C")
        .arg(&s.repo)
        .args(["worktree", "add", "-q", "-b", "mine"])
        .arg(&odd);
    common::isolate(&mut cmd, s.tmp.path());
    assert!(cmd.status().unwrap().success());
    let before = tree(s.tmp.path());
    for args in [&["take", "WO-0001"][..], &["status"], &["gc", "--apply"]] {
        let (code, out, err) = s.run_in(&odd, args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains("w\\xfe") && err.contains("not UTF-8"), "{err}");
        assert_eq!(tree(s.tmp.path()), before, "{args:?}: nothing was written");
    }
    // From the checkout, whose own path is fine, commands work.
    let (code, out, err) = s.run(&["list"]);
    assert_eq!(code, 0, "{out}{err}");
}

// ---------------------------------------------------------------------------------
// 4. A step that fails for a real reason names the WO and the step.

#[test]
fn a_failing_step_names_the_wo_the_operation_and_the_step() {
    let s = Scenario::build("clean");
    // take: the worktree folder lies under a regular file.
    let file = s.tmp.path().join("a-file");
    std::fs::write(&file, "not a folder\n").unwrap();
    s.git(&[
        "config",
        "wo.worktreeDir",
        file.join("worktrees").to_str().unwrap(),
    ]);
    let (code, out, err) = s.run(&["take", "WO-0002"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("WO-0002: take step worktree failed and was undone")
            && err.contains("Not a directory"),
        "names the WO, the step and the cause: {err}"
    );
    assert!(err.contains("fix: "), "{err}");
    assert_eq!(common::yaml_copies(&s, "WO-0002"), ["pending"], "undone");
    let (code, v) = s.json(&["take", "WO-0002"]);
    assert_eq!(code, 2);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("take step worktree failed"),
        "{v}"
    );
    s.git(&["config", "wo.worktreeDir", "../.worktrees"]);

    // finish: the notes ref cannot be written (refs/notes is a file).
    let (code, out, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 0, "{out}{err}");
    let wt = s.worktree("WO-0001");
    s.git_at(&wt, &["commit", "-q", "--allow-empty", "-m", "work"]);
    s.git(&["pack-refs", "--all"]);
    let notes = s.path(".git/refs/notes");
    let _ = std::fs::remove_dir_all(&notes);
    std::fs::write(&notes, "in the way\n").unwrap();
    let (code, out, err) = s.run_in(
        &wt,
        &[
            "finish",
            "WO-0001",
            "--result",
            "done",
            "--skip-verification",
            "--reason",
            "test",
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("WO-0001") && err.contains("finish step marker failed"),
        "names the WO and the step: {err}"
    );
    assert!(
        err.contains("fix: ") && err.contains("git wo finish WO-0001 --result done"),
        "and how to go on: {err}"
    );
}
