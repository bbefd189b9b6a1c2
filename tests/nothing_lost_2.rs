//! Issue #19, "Nothing lost, nothing wedged", second round: submodules and reflog-only
//! commits in worktrees gc removes, repositories under paths that are not UTF-8, and
//! errors that name the WO and the step. Real repositories, the real binary.

mod common;

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
