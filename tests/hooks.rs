//! The hooks (SPEC §5) with real `git commit` / `git checkout` / `git worktree add` in
//! temp repositories: the installed shims run the real binary from `PATH`.

use crate::common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{Scenario, isolate, path_with_wo};

/// `git <args>` in `dir` with git-wo on `PATH`: (exit code, stdout, stderr).
fn git_hooked(s: &Scenario, dir: &Path, args: &[&str]) -> (i32, String, String) {
    common::git_hooked_env(s, dir, args, &[("GIT_WO_RACY_MS", &RACY_MS.to_string())])
}

/// `git-wo <args>` in the control checkout with git-wo on `PATH`.
fn wo_hooked(s: &Scenario, args: &[&str]) -> (i32, String, String) {
    common::wo_hooked_env(s, args, &[("GIT_WO_RACY_MS", &RACY_MS.to_string())])
}

/// The racy window of the caches in these tests (`GIT_WO_RACY_MS`, test-only), so that
/// waiting for the inputs to settle takes a fraction of the real two seconds.
const RACY_MS: u64 = 100;

/// The scenario, with the default `wo.gate.hooks` (the shims are expected).
fn scenario(name: &str) -> Scenario {
    let s = Scenario::build(name);
    s.git(&["config", "--unset", "wo.gate.hooks"]);
    s
}

/// The scenario, initialised, hooks installed.
fn hooked(name: &str) -> Scenario {
    let s = scenario(name);
    let (code, _, err) = wo_hooked(&s, &["init", "--hooks"]);
    assert_eq!(code, 0, "{err}");
    s
}

fn notes_of(s: &Scenario, rev: &str) -> String {
    let sha = s.git(&["rev-parse", rev]);
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(&s.repo)
        .args(["notes", "--ref=wo", "show", sha.trim()]);
    isolate(&mut cmd, s.tmp.path());
    common::run(cmd).1
}

/// A change outside the jobs dir, staged.
fn stage_readme(s: &Scenario, text: &str) {
    let p = s.path("README.md");
    let mut old = std::fs::read_to_string(&p).unwrap_or_default();
    old.push_str(text);
    std::fs::write(&p, old).expect("write README");
    s.git(&["add", "README.md"]);
}

#[test]
fn an_ordinary_commit_passes_and_leaves_no_marker() {
    let s = hooked("clean");
    stage_readme(&s, "one more line\n");
    let (code, _, err) = git_hooked(&s, &s.repo, &["commit", "-q", "-m", "docs"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "an ordinary commit is silent: {err}");
    assert_eq!(notes_of(&s, "HEAD"), "");
}

#[test]
fn a_staged_split_brain_is_refused_naming_the_wo_and_passes_after_reconcile() {
    let s = hooked("clean");
    std::fs::copy(
        s.path("_ctx/jobs/pending/WO-0001.yaml"),
        s.path("_ctx/jobs/done/WO-0001.yaml"),
    )
    .expect("copy");
    s.git(&["add", "_ctx/jobs/done/WO-0001.yaml"]);
    stage_readme(&s, "x\n");
    let (code, _, err) = git_hooked(&s, &s.repo, &["commit", "-q", "-m", "oops"]);
    assert_eq!(code, 1, "refused: {err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("split_brain WO-0001:"))
        .unwrap_or_else(|| panic!("one line naming the WO: {err}"));
    assert!(line.contains("git wo reconcile --apply"), "{line}");
    assert_eq!(s.git(&["rev-list", "--count", "HEAD"]).trim(), "1");
    // The commit message and the index are untouched by the refusal.
    assert!(
        s.git(&["diff", "--cached", "--name-only"])
            .contains("done/WO-0001.yaml")
    );
    let (code, _, err) = wo_hooked(&s, &["reconcile", "--apply"]);
    assert_eq!(code, 0, "{err}");
    // reconcile staged the quarantine of the surplus copy: only README is left staged.
    assert_eq!(
        s.git(&["diff", "--cached", "--name-only"]).trim(),
        "README.md"
    );
    let (code, _, err) = git_hooked(&s, &s.repo, &["commit", "-q", "-m", "oops, fixed"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_take_then_a_commit_passes_the_gate() {
    let s = hooked("clean");
    stage_readme(&s, "mine\n");
    let (code, _, err) = wo_hooked(&s, &["take", "WO-0001"]);
    assert_eq!(code, 0, "{err}");
    let staged = s.git(&["diff", "--cached", "--name-status", "-M"]);
    assert!(
        staged.contains("_ctx/jobs/pending/WO-0001.yaml\t_ctx/jobs/running/WO-0001.yaml"),
        "take staged its move as git mv would: {staged}"
    );
    assert!(staged.contains("README.md"), "{staged}");
    let (code, _, err) = git_hooked(&s, &s.repo, &["commit", "-q", "-m", "take WO-0001"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(notes_of(&s, "HEAD"), "", "no bypass");
    // finish stages its own move too, and the commit after it passes.
    let wt = s.worktree("WO-0001");
    let mut fin = s.wo_in(&wt, &["finish", "--result", "done", "--allow-empty"]);
    fin.env("PATH", path_with_wo());
    let (code, _, err) = common::run(fin);
    assert_eq!(code, 0, "{err}");
    let staged = s.git(&["diff", "--cached", "--name-status", "-M"]);
    assert!(
        staged.contains("_ctx/jobs/running/WO-0001.yaml\t_ctx/jobs/done/WO-0001.yaml"),
        "{staged}"
    );
    let (code, _, err) = git_hooked(&s, &s.repo, &["commit", "-q", "-m", "finish WO-0001"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn wo_commit_commits_exactly_the_moves_and_keeps_other_staged_changes() {
    let s = hooked("clean");
    s.git(&["config", "wo.commit", "true"]);
    stage_readme(&s, "staged by the user\n");
    let (code, _, err) = wo_hooked(&s, &["take", "WO-0002"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        s.git(&["log", "-1", "--format=%s"]).trim(),
        "wo: take WO-0002"
    );
    let files = s.git(&["show", "--name-status", "-M", "--format=", "HEAD"]);
    assert_eq!(files.trim().lines().count(), 1, "{files}");
    assert!(
        files.starts_with('R')
            && files
                .trim_end()
                .ends_with("\t_ctx/jobs/pending/WO-0002.yaml\t_ctx/jobs/running/WO-0002.yaml"),
        "{files}"
    );
    // The user's change is still staged, nothing else is.
    assert_eq!(
        s.git(&["diff", "--cached", "--name-only"]).trim(),
        "README.md"
    );
    assert_eq!(
        notes_of(&s, "HEAD"),
        "",
        "plumbing commit: no bypass marker"
    );
}

#[test]
fn a_manual_move_to_done_is_refused_and_passes_with_emergency_marked() {
    let s = hooked("clean");
    // WO-0010 is running (record imported by init); moved to done by hand.
    s.git(&[
        "mv",
        "_ctx/jobs/running/WO-0010.yaml",
        "_ctx/jobs/done/WO-0010.yaml",
    ]);
    let (code, _, err) = git_hooked(&s, &s.repo, &["commit", "-q", "-m", "close WO-0010"]);
    assert_eq!(code, 1, "{err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("manual_closure WO-0010:"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.contains("git wo finish WO-0010 --result done"),
        "{line}"
    );
    assert!(line.contains("[emergency]"), "{line}");
    assert!(
        err.contains("COMMIT_EDITMSG"),
        "says where the message is: {err}"
    );
    assert_eq!(s.git(&["rev-list", "--count", "HEAD"]).trim(), "1");
    let (code, _, err) = git_hooked(
        &s,
        &s.repo,
        &["commit", "-q", "-m", "[emergency] close WO-0010 by hand"],
    );
    assert_eq!(code, 0, "{err}");
    let notes = notes_of(&s, "HEAD");
    assert!(
        notes.contains("[wo] bypass: manual closure of WO-0010 to done")
            && notes.contains("[emergency]"),
        "{notes}"
    );
    // `git log --notes=wo` shows it.
    let log = s.git(&["log", "-1", "--notes=wo"]);
    assert!(
        log.contains("[wo] bypass: manual closure of WO-0010"),
        "{log}"
    );
}

#[test]
fn no_verify_leaves_a_bypass_marker() {
    let s = hooked("clean");
    stage_readme(&s, "quick\n");
    let (code, _, err) = git_hooked(&s, &s.repo, &["commit", "-q", "--no-verify", "-m", "quick"]);
    assert_eq!(code, 0, "{err}");
    let notes = notes_of(&s, "HEAD");
    assert!(
        notes.starts_with("[wo] bypass: pre-commit gate skipped (git commit --no-verify)"),
        "{notes}"
    );
    assert!(!notes.contains("changes _ctx/jobs"), "{notes}");
    // A gated commit right after has none, and an amend through the hooks neither.
    stage_readme(&s, "gated\n");
    let (code, _, err) = git_hooked(&s, &s.repo, &["commit", "-q", "-m", "gated"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(notes_of(&s, "HEAD"), "");
    let (code, _, err) = git_hooked(
        &s,
        &s.repo,
        &["commit", "-q", "--amend", "-m", "gated, amended"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(notes_of(&s, "HEAD"), "");
    // A --no-verify commit that changes the jobs dir says so.
    s.git(&[
        "mv",
        "_ctx/jobs/pending/WO-0002.yaml",
        "_ctx/jobs/done/WO-0002.yaml",
    ]);
    let (code, _, err) = git_hooked(
        &s,
        &s.repo,
        &["commit", "-q", "--no-verify", "-m", "sneaky"],
    );
    assert_eq!(code, 0, "{err}");
    let notes = notes_of(&s, "HEAD");
    assert!(notes.contains("and it changes _ctx/jobs"), "{notes}");
}

#[test]
fn a_foreign_hook_runs_first_and_is_restored_on_uninstall() {
    let s = scenario("clean");
    let hooks = s.repo.join(".git/hooks");
    std::fs::create_dir_all(&hooks).expect("mkdir");
    let foreign = "#!/bin/sh\necho ran >> \"$(git rev-parse --git-dir)/foreign-ran\"\n";
    let pre = hooks.join("pre-commit");
    std::fs::write(&pre, foreign).expect("write hook");
    make_executable(&pre);
    let (code, out, err) = wo_hooked(&s, &["init", "--hooks"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("pre-commit.pre-wo"), "{out}");
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit.pre-wo")).expect("kept"),
        foreign
    );
    // Reinstalling changes nothing.
    let before = common::files(&hooks);
    let (code, out, _) = wo_hooked(&s, &["install-hooks"]);
    assert_eq!(code, 0);
    assert_eq!(out.matches("unchanged").count(), 4, "{out}");
    assert_eq!(common::files(&hooks), before);
    // The foreign hook runs first, then the gate.
    stage_readme(&s, "y\n");
    let (code, _, err) = git_hooked(&s, &s.repo, &["commit", "-q", "-m", "y"]);
    assert_eq!(code, 0, "{err}");
    assert!(s.repo.join(".git/foreign-ran").exists());
    // A failing foreign hook still refuses the commit.
    std::fs::write(hooks.join("pre-commit.pre-wo"), "#!/bin/sh\nexit 7\n").expect("write");
    stage_readme(&s, "z\n");
    let (code, _, _) = git_hooked(&s, &s.repo, &["commit", "-q", "-m", "z"]);
    assert_ne!(code, 0);
    std::fs::write(hooks.join("pre-commit.pre-wo"), foreign).expect("write");
    let (code, out, err) = wo_hooked(&s, &["uninstall-hooks"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("pre-commit: restored"), "{out}");
    assert_eq!(std::fs::read_to_string(&pre).expect("restored"), foreign);
    for h in [
        "commit-msg",
        "post-commit",
        "post-checkout",
        "pre-commit.pre-wo",
    ] {
        assert!(!hooks.join(h).exists(), "{h} left behind");
    }
}

#[test]
fn a_second_foreign_hook_is_refused_unless_forced_then_quarantined() {
    let s = scenario("clean");
    let hooks = s.repo.join(".git/hooks");
    std::fs::create_dir_all(&hooks).expect("mkdir");
    std::fs::write(hooks.join("pre-commit"), "#!/bin/sh\necho new\n").expect("write");
    std::fs::write(hooks.join("pre-commit.pre-wo"), "#!/bin/sh\necho old\n").expect("write");
    let before = common::files(&hooks);
    let (code, _, err) = wo_hooked(&s, &["install-hooks"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(common::files(&hooks), before, "nothing written");
    let (code, out, err) = wo_hooked(&s, &["install-hooks", "--force"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("quarantine"), "{out}");
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit.pre-wo")).expect("kept"),
        "#!/bin/sh\necho new\n"
    );
    let kept: Vec<Vec<u8>> = common::quarantined(&s).into_values().collect();
    assert!(
        kept.contains(&b"#!/bin/sh\necho old\n".to_vec()),
        "{kept:?}"
    );
}

#[test]
fn a_relative_hooks_path_is_honoured_and_a_missing_one_is_reported() {
    let s = scenario("clean");
    let (code, _, err) = wo_hooked(&s, &["init"]);
    assert_eq!(code, 0, "{err}");
    s.git(&["config", "core.hooksPath", "tools/hooks"]);
    // Pointing nowhere: no hook runs at all, and audit says so.
    let mut audit = s.wo(&["--json", "audit"]);
    audit.env("PATH", path_with_wo());
    let (_, out, _) = common::run(audit);
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    let codes = common::codes(&report);
    assert!(codes.iter().any(|(c, _)| c == "hooks_missing"), "{codes:?}");
    let (code, _, err) = wo_hooked(&s, &["install-hooks"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("core.hooksPath"), "warned: {err}");
    assert!(s.repo.join("tools/hooks/pre-commit").exists());
    // The hooks run from there: a staged split-brain is refused.
    std::fs::copy(
        s.path("_ctx/jobs/pending/WO-0002.yaml"),
        s.path("_ctx/jobs/failed/WO-0002.yaml"),
    )
    .expect("copy");
    s.git(&["add", "_ctx/jobs/failed/WO-0002.yaml"]);
    let (code, _, err) = git_hooked(&s, &s.repo, &["commit", "-q", "-m", "x"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("split_brain WO-0002"), "{err}");
}

#[test]
fn hooks_missing_is_reported_until_installed_and_git_wo_missing_fails_clearly() {
    let s = scenario("clean");
    let (code, _, err) = wo_hooked(&s, &["init"]);
    assert_eq!(code, 0, "{err}");
    let audit_codes = |s: &Scenario| {
        let mut audit = s.wo(&["--json", "audit"]);
        audit.env("PATH", path_with_wo());
        let (_, out, _) = common::run(audit);
        common::codes(&serde_json::from_str(&out).expect("json"))
    };
    assert!(audit_codes(&s).iter().any(|(c, _)| c == "hooks_missing"));
    let (code, _, _) = wo_hooked(&s, &["install-hooks"]);
    assert_eq!(code, 0);
    assert!(
        !audit_codes(&s).iter().any(|(c, _)| c == "hooks_missing"),
        "{:?}",
        audit_codes(&s)
    );
    // Without git-wo on PATH the shim refuses the commit and says why.
    stage_readme(&s, "w\n");
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(&s.repo).args(["commit", "-q", "-m", "w"]);
    isolate(&mut cmd, s.tmp.path());
    cmd.env("PATH", "/usr/bin:/bin");
    let (code, _, err) = common::run(cmd);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("needs git-wo, which is not on PATH"), "{err}");
}

#[test]
fn install_from_a_linked_worktree_goes_to_the_shared_hooks() {
    let s = scenario("clean");
    let wt = s.worktree("WO-0010");
    let mut cmd = s.wo_in(&wt, &["install-hooks"]);
    cmd.env("PATH", common::path_with_wo());
    let (code, _, err) = common::run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(s.repo.join(".git/hooks/pre-commit").exists());
    // A commit in the linked worktree is stamped, not gated, and gets no marker
    // (inside WO-0010's scope, `src/**`: see tests/scope.rs for the scope check).
    std::fs::create_dir_all(wt.join("src")).expect("mkdir");
    std::fs::write(wt.join("src/notes.txt"), "work\n").expect("write");
    s.git_at(&wt, &["add", "src/notes.txt"]);
    let (code, _, err) = git_hooked(&s, &wt, &["commit", "-q", "-m", "work"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(notes_of(&s, "feat/wo-WO-0010"), "");
}

#[test]
fn post_checkout_warns_when_a_wo_worktree_leaves_its_branch() {
    let s = hooked("clean");
    let (code, _, err) = wo_hooked(&s, &["take", "WO-0001"]);
    assert_eq!(code, 0, "{err}");
    let wt = s.worktree("WO-0001");
    let (code, _, err) = git_hooked(&s, &wt, &["checkout", "-q", "-b", "side"]);
    assert_eq!(code, 0, "never fails: {err}");
    assert!(
        err.contains("belongs to WO-0001") && err.contains("feat/wo-WO-0001"),
        "{err}"
    );
    let (code, _, err) = git_hooked(&s, &wt, &["checkout", "-q", "feat/wo-WO-0001"]);
    assert_eq!(code, 0);
    assert!(!err.contains("belongs to"), "back on its branch: {err}");
    // `git worktree add` runs post-checkout too, quietly.
    let other = s.tmp.path().join("plain-wt");
    let (code, _, err) = git_hooked(
        &s,
        &s.repo,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "plain",
            &other.to_string_lossy(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("git wo"), "{err}");
}

#[test]
fn the_hook_shims_in_hooks_are_the_ones_installed() {
    let s = hooked("clean");
    for name in ["pre-commit", "commit-msg", "post-commit", "post-checkout"] {
        let shipped = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("hooks")
                .join(name),
        )
        .expect("hooks/ shim");
        let installed = std::fs::read(s.repo.join(".git/hooks").join(name)).expect("installed");
        assert_eq!(shipped, installed, "{name}");
    }
}

fn make_executable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

// ---------------------------------------------------------------------------
// The verdict cache: each input the gate reads, changed, must not be answered from it.

/// `git wo --json hook pre-commit`: (how, passed).
fn gate(s: &Scenario) -> (String, bool) {
    let (code, out, err) = wo_hooked(s, &["--json", "hook", "pre-commit"]);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    let passed = v["passed"].as_bool().expect("passed");
    assert_eq!(code, if passed { 0 } else { 1 }, "{v}");
    (v["how"].as_str().expect("how").to_owned(), passed)
}

/// Let every input age past the cache's racy window, then see the gate check and
/// cache a pass, and answer the next run from the cache.
fn settle_and_cache(s: &Scenario, what: &str) {
    std::thread::sleep(Duration::from_millis(RACY_MS + 100));
    let first = gate(s);
    assert!(first.1, "{what}: the gate passes again: {first:?}");
    assert_eq!(gate(s), ("cached".to_owned(), true), "{what}: cached");
}

/// After `change`, the gate must check afresh (and fail, when `fails`).
fn changed(s: &Scenario, what: &str, fails: bool) {
    let (how, passed) = gate(s);
    assert_eq!(how, "checked", "{what}: answered from the cache");
    assert_eq!(passed, !fails, "{what}");
}

#[test]
fn the_gate_verdict_cache_misses_on_every_input() {
    let s = hooked("clean");
    s.git(&["config", "wo.gate.failOn", "all"]);
    let (code, _, err) = wo_hooked(&s, &["take", "WO-0002"]);
    assert_eq!(code, 0, "{err}");
    // Something under the jobs dir is staged, so the gate runs.
    let yaml = s.path("_ctx/jobs/pending/WO-0001.yaml");
    let mut text = std::fs::read_to_string(&yaml).expect("read");
    text.push_str("# touched\n");
    std::fs::write(&yaml, text).expect("write");
    s.git(&["add", "_ctx/jobs/pending/WO-0001.yaml"]);
    settle_and_cache(&s, "start");

    // The staged tree.
    std::fs::copy(&yaml, s.path("_ctx/jobs/done/WO-0001.yaml")).expect("copy");
    s.git(&["add", "_ctx/jobs/done/WO-0001.yaml"]);
    changed(&s, "staged split-brain", true);
    s.git(&["rm", "-q", "--cached", "_ctx/jobs/done/WO-0001.yaml"]);
    std::fs::remove_file(s.path("_ctx/jobs/done/WO-0001.yaml")).expect("rm");
    settle_and_cache(&s, "staged tree restored");

    // A lock in running/: removed, then edited.
    let lock = s.path("_ctx/jobs/running/WO-0002.lock");
    let lock_text = std::fs::read_to_string(&lock).expect("lock");
    std::fs::remove_file(&lock).expect("rm lock");
    // (failOn is all: a live record lock without its `.lock` mirror is lock_mismatch.)
    changed(&s, "lock removed", true);
    std::fs::write(&lock, &lock_text).expect("lock back");
    settle_and_cache(&s, "lock back");
    std::fs::write(&lock, lock_text.replace("User: alice", "User: mallory")).expect("edit");
    changed(&s, "lock edited", true);
    std::fs::write(&lock, &lock_text).expect("lock back");
    settle_and_cache(&s, "lock back again");

    // Worktree metadata: a ghost worktree appears.
    let ghost = s.worktree("WO-0999");
    s.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "feat/wo-WO-0999",
        &ghost.to_string_lossy(),
    ]);
    // (A ghost of a WO this commit does not stage: checked afresh, a warning only.)
    changed(&s, "ghost worktree", false);
    s.git(&["worktree", "remove", &ghost.to_string_lossy()]);
    settle_and_cache(&s, "ghost gone");

    // A worktree's directory disappears (and comes back).
    let wt = s.worktree("WO-0002");
    let aside = s.tmp.path().join("aside");
    std::fs::rename(&wt, &aside).expect("move worktree");
    changed(&s, "worktree dir gone", true);
    std::fs::rename(&aside, &wt).expect("move back");
    settle_and_cache(&s, "worktree back");

    // A record ref.
    let rec = s.git(&["rev-parse", "refs/wo/orders/WO-0001"]);
    s.git(&["update-ref", "-d", "refs/wo/orders/WO-0001"]);
    changed(&s, "record deleted", true);
    s.git(&["update-ref", "refs/wo/orders/WO-0001", rec.trim()]);
    settle_and_cache(&s, "record back");

    // The notes ref (the intent marker of WO-0002).
    let notes = s.git(&["rev-parse", "refs/notes/wo"]);
    s.git(&["update-ref", "-d", "refs/notes/wo"]);
    changed(&s, "notes deleted", true);
    s.git(&["update-ref", "refs/notes/wo", notes.trim()]);
    settle_and_cache(&s, "notes back");

    // A verdict file of a running WO.
    let logs = s.path("_ctx/logs/WO-0002");
    std::fs::create_dir_all(&logs).expect("mkdir");
    std::fs::write(logs.join("verdict.json"), r#"{"verdict":"FAIL"}"#).expect("write");
    changed(&s, "verdict FAIL", true);
    std::fs::remove_dir_all(s.path("_ctx/logs")).expect("rm");
    settle_and_cache(&s, "verdict gone");

    // The hooks themselves.
    let (code, _, _) = wo_hooked(&s, &["uninstall-hooks"]);
    assert_eq!(code, 0);
    // (hooks_missing is about no staged WO: checked afresh, a warning only.)
    changed(&s, "hooks uninstalled", false);
    let (code, _, _) = wo_hooked(&s, &["install-hooks"]);
    assert_eq!(code, 0);
    settle_and_cache(&s, "hooks back");

    // Config.
    s.git(&["config", "wo.gate.failOn", "split_brain"]);
    changed(&s, "config", false);
    settle_and_cache(&s, "config settled");
    // HEAD moves (what counts as a new file in done/ depends on it).
    // (A commit of HEAD's own tree: the staged changes stay staged.)
    let tree = s.git(&["rev-parse", "HEAD^{tree}"]);
    let commit = s.git(&["commit-tree", tree.trim(), "-p", "HEAD", "-m", "move HEAD"]);
    s.git(&["update-ref", "HEAD", commit.trim()]);
    changed(&s, "HEAD", false);
}

/// A commit of `rel` (holding `text`) on top of `branch`, made with a scratch index
/// and `update-ref` as a push or another tool would: no file of the branch's worktree
/// or of its git metadata changes, only the branch ref.
fn move_branch(s: &Scenario, branch: &str, rel: &str, text: &str) {
    let index = s.tmp.path().join("scratch-index");
    let git = |args: &[&str], stdin: Option<&str>| -> String {
        let mut cmd = Command::new("git");
        cmd.arg("-C").arg(&s.repo).args(args);
        isolate(&mut cmd, s.tmp.path());
        cmd.env("GIT_INDEX_FILE", &index);
        if stdin.is_some() {
            cmd.stdin(std::process::Stdio::piped());
        }
        cmd.stdout(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("git");
        if let Some(text) = stdin {
            use std::io::Write;
            let mut pipe = child.stdin.take().expect("stdin");
            pipe.write_all(text.as_bytes()).expect("write stdin");
        }
        let out = child.wait_with_output().expect("git");
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let tip = git(&["rev-parse", branch], None);
    git(&["read-tree", &tip], None);
    let blob = git(&["hash-object", "-w", "--stdin"], Some(text));
    git(
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("100644,{blob},{rel}"),
        ],
        None,
    );
    let tree = git(&["write-tree"], None);
    let commit = git(
        &["commit-tree", &tree, "-p", &tip, "-m", "past the gate"],
        None,
    );
    git(
        &["update-ref", &format!("refs/heads/{branch}"), &commit],
        None,
    );
}

#[test]
fn the_gate_verdict_cache_misses_on_the_dod_catalog_the_backlog_and_a_scoped_branch() {
    // WO-0002 with a scope, taken: its branch changes are what `out_of_scope` reads.
    let s = scenario("clean");
    s.write_wo("pending", "WO-0002", "scope:\n  allow:\n    - \"src/**\"\n");
    s.commit_all("WO-0002 gets a scope");
    let (code, _, err) = wo_hooked(&s, &["init", "--hooks"]);
    assert_eq!(code, 0, "{err}");
    s.git(&["config", "wo.gate.failOn", "all"]);
    let (code, _, err) = wo_hooked(&s, &["take", "WO-0002"]);
    assert_eq!(code, 0, "{err}");
    // WO-0002's YAML is staged, so the gate runs for it.
    let yaml = s.path("_ctx/jobs/running/WO-0002.yaml");
    let mut text = std::fs::read_to_string(&yaml).expect("read");
    text.push_str("# touched\n");
    std::fs::write(&yaml, text).expect("write");
    s.git(&["add", "_ctx/jobs/running/WO-0002.yaml"]);
    settle_and_cache(&s, "start");
    // A DoD catalog (in the working tree, not staged) without WO-0002's `dod_id`.
    std::fs::create_dir_all(s.path("_ctx/dod")).expect("mkdir");
    std::fs::write(
        s.path("_ctx/dod/local.yaml"),
        "version: 1\ndod:\n  - id: DOD-OTHER\n    title: \"Other\"\n",
    )
    .expect("write");
    changed(&s, "DoD catalog without DOD-STD", true);
    std::fs::remove_dir_all(s.path("_ctx/dod")).expect("rm");
    settle_and_cache(&s, "no catalog again");
    // A backlog without WO-0002's epic.
    std::fs::create_dir_all(s.path("_ctx/backlog")).expect("mkdir");
    std::fs::write(
        s.path("_ctx/backlog/backlog.yaml"),
        "version: 1\nepics:\n  - id: E-2\n",
    )
    .expect("write");
    changed(&s, "backlog without E-1", true);
    std::fs::remove_dir_all(s.path("_ctx/backlog")).expect("rm");
    settle_and_cache(&s, "no backlog again");
    // The branch gets a commit outside the scope: the cached pass must not be served.
    move_branch(&s, "feat/wo-WO-0002", "docs/notes.md", "notes\n");
    changed(&s, "branch moved out of scope", true);
}

#[test]
fn the_gate_verdict_expires_with_the_earliest_lease() {
    let s = hooked("clean");
    s.git(&["config", "wo.gate.failOn", "all"]);
    let (code, _, err) = wo_hooked(&s, &["take", "WO-0002", "--lease", "5s"]);
    assert_eq!(code, 0, "{err}");
    settle_and_cache(&s, "fresh lease");
    // Past the end of the lease, as the record says (the test-only clock skew).
    s.expire_lease("WO-0002");
    // The lease has ended: stale_lock, and the cached pass must not be served.
    changed(&s, "lease ended", true);
}

// ---------------------------------------------------------------------------
// The pre-commit framework: `.pre-commit-hooks.yaml` run through prek or pre-commit.

#[test]
fn the_pre_commit_framework_runs_the_same_gate() {
    let Some(tool) = common::framework::tool() else {
        return;
    };
    let tool_name = tool.display().to_string();
    let s = scenario("clean");
    let (code, _, err) = wo_hooked(&s, &["init"]);
    assert_eq!(code, 0, "{err}");
    s.git(&["config", "wo.gate.hooks", "framework"]);
    common::framework::install(
        &s,
        &tool,
        &["wo-gate", "wo-closure-guard"],
        &["pre-commit", "commit-msg"],
    );
    // audit knows the gate runs through the framework.
    let mut audit = s.wo(&["--json", "audit"]);
    audit.env("PATH", path_with_wo());
    let (_, out, _) = common::run(audit);
    let codes = common::codes(&serde_json::from_str(&out).expect("json"));
    assert!(
        !codes.iter().any(|(c, _)| c == "hooks_missing"),
        "{codes:?}"
    );
    // A staged split-brain is refused through the framework, naming the WO.
    std::fs::copy(
        s.path("_ctx/jobs/pending/WO-0001.yaml"),
        s.path("_ctx/jobs/done/WO-0001.yaml"),
    )
    .expect("copy");
    s.git(&["add", "_ctx/jobs/done/WO-0001.yaml"]);
    let (code, out, err) = git_hooked(&s, &s.repo, &["commit", "-q", "-m", "split"]);
    assert_ne!(
        code, 0,
        "{tool_name} let a split-brain through: {out} {err}"
    );
    let all = format!("{out}{err}");
    assert!(all.contains("split_brain WO-0001"), "{all}");
    // Once repaired, the same commit passes.
    let (code, _, err) = wo_hooked(&s, &["reconcile", "--apply"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = git_hooked(&s, &s.repo, &["commit", "-q", "-m", "config"]);
    assert_eq!(code, 0, "{tool_name}: {out} {err}");
    // The closure guard runs at the commit-msg stage.
    s.git(&[
        "mv",
        "_ctx/jobs/running/WO-0010.yaml",
        "_ctx/jobs/done/WO-0010.yaml",
    ]);
    let (code, out, err) = git_hooked(&s, &s.repo, &["commit", "-q", "-m", "close"]);
    assert_ne!(code, 0, "{out} {err}");
    assert!(
        format!("{out}{err}").contains("manual_closure WO-0010"),
        "{out} {err}"
    );
}

#[test]
fn a_take_killed_before_it_staged_its_move_warns_and_its_own_commit_gets_the_command_that_stages_it()
 {
    let s = hooked("clean");
    // The take is complete but for staging (the last thing it does).
    common::crash(&s, &s.repo, "take:after-take", &["take", "WO-0001"]);
    assert_eq!(s.git(&["diff", "--cached", "--name-only"]).trim(), "");
    let (code, report) = s.json(&["audit", "--fail-on", "p0"]);
    assert_eq!(code, 0, "the working tree is right: {report}");
    // Stage an unrelated jobs change: the gate runs and sees WO-0001 still pending in
    // the index, but WO-0001 is not in this commit: a warning, never a refusal.
    let p = s.path("_ctx/jobs/pending/WO-0002.yaml");
    let mut text = std::fs::read_to_string(&p).expect("read");
    text.push_str("# note\n");
    std::fs::write(&p, text).expect("write");
    s.git(&["add", "_ctx/jobs/pending/WO-0002.yaml"]);
    let (code, _, err) = git_hooked(&s, &s.repo, &["commit", "-q", "-m", "note"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: state_mismatch WO-0001") && err.contains("not blocking"),
        "{err}"
    );
    // Half of WO-0001's move staged (the new copy, not the removal): its own commit is
    // refused, with the command that stages the rest.
    s.git(&["add", "_ctx/jobs/running/WO-0001.yaml"]);
    let (code, _, err) = git_hooked(&s, &s.repo, &["commit", "-q", "-m", "take"]);
    assert_eq!(code, 1, "{err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("not staged WO-0001"))
        .unwrap_or_else(|| panic!("{err}"));
    let fix = line
        .split_once("(fix: ")
        .map(|(_, f)| f.trim_end_matches(')'))
        .unwrap_or_else(|| panic!("{line}"));
    // The fix it names works.
    let mut sh = Command::new("sh");
    sh.arg("-c").arg(fix).current_dir(&s.repo);
    isolate(&mut sh, s.tmp.path());
    let (code, _, err) = common::run(sh);
    assert_eq!(code, 0, "{fix}: {err}");
    let (code, _, err) = git_hooked(&s, &s.repo, &["commit", "-q", "-m", "take"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn an_allowed_closure_made_by_an_amend_is_marked_too() {
    let s = hooked("clean");
    stage_readme(&s, "first\n");
    let (code, _, err) = git_hooked(&s, &s.repo, &["commit", "-q", "-m", "first"]);
    assert_eq!(code, 0, "{err}");
    s.git(&[
        "mv",
        "_ctx/jobs/running/WO-0010.yaml",
        "_ctx/jobs/done/WO-0010.yaml",
    ]);
    let (code, _, err) = git_hooked(
        &s,
        &s.repo,
        &[
            "commit",
            "-q",
            "--amend",
            "-m",
            "first, and close WO-0010 [bypass]",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let notes = notes_of(&s, "HEAD");
    assert!(
        notes.contains("manual closure of WO-0010") && notes.contains("[bypass]"),
        "{notes}"
    );
    assert!(!notes.contains("--no-verify"), "{notes}");
}

#[test]
fn commits_made_by_revert_cherry_pick_and_rebase_get_no_bypass_marker() {
    let s = hooked("clean");
    stage_readme(&s, "to revert\n");
    let (code, _, err) = git_hooked(&s, &s.repo, &["commit", "-q", "-m", "to revert"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = git_hooked(&s, &s.repo, &["revert", "--no-edit", "HEAD"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(notes_of(&s, "HEAD"), "", "revert");
    let (code, _, err) = git_hooked(&s, &s.repo, &["cherry-pick", "HEAD~1"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(notes_of(&s, "HEAD"), "", "cherry-pick");
    let (code, _, err) = git_hooked(&s, &s.repo, &["rebase", "-q", "--force-rebase", "HEAD~2"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(notes_of(&s, "HEAD"), "", "rebase");
}

#[test]
fn a_tracked_lock_file_is_staged_with_the_move() {
    // The fixture committed WO-0010's lock (as the original system did).
    let s = hooked("clean");
    assert!(
        !s.git(&["ls-files", "_ctx/jobs/running/WO-0010.lock"])
            .is_empty()
    );
    let (code, _, err) = wo_hooked(
        &s,
        &[
            "finish",
            "WO-0010",
            "--result",
            "done",
            "--force",
            "--allow-empty",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let unstaged = s.git(&["diff", "--name-only"]);
    assert_eq!(unstaged.trim(), "", "nothing of the finish left unstaged");
    let staged = s.git(&["diff", "--cached", "--name-only"]);
    assert!(
        staged.contains("_ctx/jobs/running/WO-0010.lock"),
        "{staged}"
    );
}

#[test]
fn the_gate_refuses_only_for_the_wos_a_commit_stages() {
    // A zombie worktree (WO-0080) and an interrupted take (WO-0002, its process gone).
    let s = hooked("zombie");
    common::crash(&s, &s.repo, "take:after-worktree", &["take", "WO-0002"]);
    let (_, report) = s.json(&["audit"]);
    let found = common::codes(&report);
    assert!(
        found.contains(&("zombie_worktree".into(), "WO-0080".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("interrupted_transition".into(), "WO-0002".into())),
        "{found:?}"
    );
    // A commit that stages only another WO's change passes, warning about both.
    let p = s.path("_ctx/jobs/pending/WO-0001.yaml");
    let mut text = std::fs::read_to_string(&p).expect("read");
    text.push_str("# note\n");
    std::fs::write(&p, text).expect("write");
    s.git(&["add", "_ctx/jobs/pending/WO-0001.yaml"]);
    let (code, _, err) = git_hooked(&s, &s.repo, &["commit", "-q", "-m", "note on WO-0001"]);
    assert_eq!(code, 0, "{err}");
    for id in ["WO-0080", "WO-0002"] {
        assert!(
            err.lines().any(|l| l.starts_with("warning: ")
                && l.contains(id)
                && l.contains("not blocking")),
            "{id}: {err}"
        );
    }
    // A commit that stages the zombie's own file is refused for it.
    let p = s.path("_ctx/jobs/done/WO-0080.yaml");
    let mut text = std::fs::read_to_string(&p).expect("read");
    text.push_str("# note\n");
    std::fs::write(&p, text).expect("write");
    s.git(&["add", "_ctx/jobs/done/WO-0080.yaml"]);
    let (code, _, err) = git_hooked(&s, &s.repo, &["commit", "-q", "-m", "note on WO-0080"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("zombie_worktree WO-0080"), "{err}");
    // `check --staged` says the same.
    let (code, v) = s.json(&["check", "--staged"]);
    assert_eq!(code, 1, "{v}");
    let failing: Vec<&str> = v["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .filter_map(|f| f["wo_id"].as_str())
        .collect();
    assert_eq!(failing, vec!["WO-0080"], "{v}");
}
