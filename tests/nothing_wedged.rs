//! Issue #19, "Nothing lost, nothing wedged", part two: every file a repair edits or
//! deletes is recoverable (`reconcile --restore <stamp>` undoes the run), leftovers of
//! killed commands are cleared by reconcile, one bad record on a remote does not break
//! sync for everyone, and a kill inside `git worktree add` does not wedge the WO.
//! Real repositories, the real binary.

use crate::common;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use common::team::Team;
use common::{Scenario, findings_of, repo_with};
use serde_json::Value;

fn backdate(p: &Path, secs: u64) {
    let then = SystemTime::now() - Duration::from_secs(secs);
    std::fs::File::options()
        .write(true)
        .open(p)
        .unwrap_or_else(|e| panic!("open {p:?}: {e}"))
        .set_modified(then)
        .unwrap();
}

fn write(p: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

// ---------------------------------------------------------------------------------
// 1. Every file a repair edits or deletes is recoverable.

/// gc --apply releasing a stale lock edits the running YAML into pending and deletes the
/// `.lock`: both are in that run's quarantine first, and `reconcile --restore <stamp>`
/// gives them back byte for byte (the edited YAML is moved aside, not overwritten).
#[test]
fn a_stale_lock_released_by_gc_is_given_back_by_restore() {
    let s = repo_with(&[("WO-0001", "")]);
    let (code, out, err) = s.run(&["take", "WO-0001", "--lease", "1s"]);
    assert_eq!(code, 0, "take: {out}{err}");
    let yaml = s.path("_ctx/jobs/running/WO-0001.yaml");
    let lock = s.path("_ctx/jobs/running/WO-0001.lock");
    let (yaml_before, lock_before) = (std::fs::read(&yaml).unwrap(), std::fs::read(&lock).unwrap());
    s.expire_lease("WO-0001");

    let (code, r) = s.json(&["gc", "--apply", "--min-age", "0"]);
    assert_eq!(code, 0, "gc --apply: {r}");
    assert_eq!(r["summary"]["stale_locks_released"], 1, "{r}");
    assert!(!yaml.exists() && !lock.exists(), "released: {r}");
    let edited = std::fs::read(s.path("_ctx/jobs/pending/WO-0001.yaml")).unwrap();
    let stamp = r["quarantine"]
        .as_str()
        .unwrap_or_else(|| panic!("gc names no quarantine for what it edited: {r}"))
        .to_owned();

    let (code, v) = s.json(&["reconcile", "--restore", &stamp]);
    assert_eq!(code, 0, "restore: {v}");
    assert_eq!(
        std::fs::read(&yaml).unwrap(),
        yaml_before,
        "the running YAML, byte for byte"
    );
    assert_eq!(
        std::fs::read(&lock).unwrap(),
        lock_before,
        "the .lock, byte for byte"
    );
    assert!(
        !s.path("_ctx/jobs/pending/WO-0001.yaml").exists(),
        "the YAML gc wrote was moved aside, not left beside the restored one"
    );
    // What gc wrote is not lost either: it is in the restore's own quarantine.
    let kept: Vec<Vec<u8>> = common::files(&s.path(".git/wo/quarantine"))
        .into_values()
        .collect();
    assert!(
        kept.contains(&edited),
        "the edited YAML was moved aside into a quarantine"
    );
}

/// reconcile's own edits (a `status:` fixed in place) are undone the same way.
#[test]
fn a_status_fixed_by_reconcile_is_given_back_by_restore() {
    let s = repo_with(&[("WO-0001", "")]);
    let rel = "_ctx/jobs/pending/WO-0001.yaml";
    let before = s
        .read(rel)
        .replace("status: pending", "status: nonsense  # keep me");
    std::fs::write(s.path(rel), &before).unwrap();
    let (code, r) = s.json(&["reconcile", "--apply"]);
    assert_eq!(code, 0, "{r}");
    assert!(s.read(rel).contains("status: pending"), "fixed");
    let stamp = r["quarantine"]
        .as_str()
        .unwrap_or_else(|| panic!("reconcile names no quarantine for what it edited: {r}"))
        .to_owned();
    let (code, v) = s.json(&["reconcile", "--restore", &stamp]);
    assert_eq!(code, 0, "restore: {v}");
    assert_eq!(s.read(rel), before, "the file as it was before the repair");
}

// ---------------------------------------------------------------------------------
// 2. Leftovers of killed commands.

/// This host's name as git-wo's temp file names carry it.
fn host_in_names() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Temp files of a killed git-wo (in a state folder, in `.git/wo/`) are git-wo's own:
/// audit's fix is `git wo reconcile --apply`, whose dry run lists them (exit 1) and whose
/// apply moves them to quarantine and says so. So is a lock of a ref under `refs/wo/`
/// (only git-wo writes those refs). A lock of any other ref is git's: audit names its
/// age and the command, and reconcile leaves it.
#[test]
fn leftovers_of_killed_commands_are_cleared_by_reconcile() {
    let s = repo_with(&[("WO-0001", "")]);
    let old_tmp = s.path("_ctx/jobs/running/.git-wo-Xa81Qz.tmp");
    write(&old_tmp, b"version: 1\nid: WO-0001\nstat");
    backdate(&old_tmp, 120);
    // A temp file whose name says its writer: a process of this host that is gone.
    let dead = std::process::Command::new("true").spawn().unwrap();
    let dead_pid = dead.id();
    let _ = { dead }.wait();
    let host = host_in_names();
    let named_tmp = s.path(&format!(
        "_ctx/jobs/pending/.git-wo-{dead_pid}@{host}-AbCd12.tmp"
    ));
    write(&named_tmp, b"id: WO-0001\n");
    let cache_tmp = s.path(".git/wo/.tmpQ1w2E3");
    write(&cache_tmp, b"half a cache");
    backdate(&cache_tmp, 120);
    let own_lock = s.path(".git/refs/wo/orders/WO-0001.lock");
    write(&own_lock, b"");
    backdate(&own_lock, 300);
    let ref_lock = s.path(".git/refs/heads/feature.lock");
    write(&ref_lock, b"");
    backdate(&ref_lock, 300);

    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 1, "{report}");
    let found = findings_of(&report, "leftover_file");
    assert_eq!(found.len(), 5, "{report}");
    for f in &found {
        let text = f.to_string();
        if text.contains("feature.lock") {
            assert!(f["fix"].is_null(), "a ref lock is a person's call: {f}");
            let hint = f["hint"].as_str().unwrap_or("");
            assert!(hint.contains("rm -- "), "the exact command: {f}");
            assert!(
                f["message"].as_str().unwrap_or("").contains("old"),
                "its age: {f}"
            );
        } else {
            assert_eq!(f["fix"], "git wo reconcile --apply", "{f}");
        }
    }

    let (code, plan) = s.json(&["reconcile"]);
    assert_eq!(code, 1, "a dry run with leftovers to remove: {plan}");
    let listed = plan["leftovers"].to_string();
    for p in [&old_tmp, &named_tmp, &cache_tmp, &own_lock] {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        assert!(listed.contains(&name), "{name} in the plan: {plan}");
        assert!(p.exists(), "a dry run changes nothing");
    }

    let (code, out, err) = s.run(&["reconcile", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    for p in [&old_tmp, &named_tmp, &cache_tmp, &own_lock] {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!p.exists(), "{name} removed");
        assert!(out.contains(&name), "reconcile says which: {out}");
    }
    let kept = common::files(&s.path(".git/wo/quarantine"));
    assert!(
        kept.values().any(|b| b == b"half a cache"),
        "moved to quarantine, not deleted"
    );
    assert!(ref_lock.exists(), "a ref lock is left to a person");

    let (_, report) = s.json(&["audit"]);
    let left = findings_of(&report, "leftover_file");
    assert_eq!(left.len(), 1, "only the ref lock: {report}");
    assert!(left[0].to_string().contains("feature.lock"));

    // The run can be undone like any other: the restore's manifest check accepts them.
    let stamps: Vec<String> = std::fs::read_dir(s.path(".git/wo/quarantine"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(stamps.len(), 1, "{stamps:?}");
    let (code, v) = s.json(&["reconcile", "--restore", &stamps[0]]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(std::fs::read(&cache_tmp).unwrap(), b"half a cache");
    assert!(old_tmp.exists() && named_tmp.exists() && own_lock.exists());
}

/// A live writer's temp file is not a leftover, however old it looks.
#[test]
fn a_live_writers_temp_file_is_not_a_leftover() {
    let s = repo_with(&[("WO-0001", "")]);
    let host = host_in_names();
    let live = s.path(&format!(
        "_ctx/jobs/pending/.git-wo-{}@{host}-AbCd12.tmp",
        std::process::id()
    ));
    write(&live, b"id: WO-0001\n");
    backdate(&live, 600);
    let (_, report) = s.json(&["audit"]);
    assert!(findings_of(&report, "leftover_file").is_empty(), "{report}");
    let (code, out, err) = s.run(&["reconcile", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(live.exists());
}

// ---------------------------------------------------------------------------------
// 3. One bad record on the remote.

/// A remote record whose `record.json` is not a record: sync skips it, names it (text
/// and JSON), carries on with the rest, and exits 1 with a fix; nothing of it reaches
/// `refs/wo/orders/` here.
#[test]
fn a_bad_record_on_the_remote_is_skipped_and_named() {
    let ids: Vec<String> = ["WO-0001", "WO-0002"].map(String::from).to_vec();
    let t = Team::new(&ids, |p| p.to_string_lossy().into_owned());
    // Alice takes WO-0001: its record goes to the remote.
    let (code, out, err) = t.wo(&t.a, &["take", "WO-0001"]);
    assert_eq!(code, 0, "take: {out}{err}");
    // Someone pushes garbage as WO-0300's record.
    let remote = &t.remote;
    let blob = {
        let mut cmd = std::process::Command::new("git");
        cmd.arg("-C")
            .arg(remote)
            .args(["hash-object", "-w", "--stdin"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        common::isolate(&mut cmd, t.tmp.path());
        let mut child = cmd.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"this is not a record\n")
            .unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let tree = {
        let mut cmd = std::process::Command::new("git");
        cmd.arg("-C")
            .arg(remote)
            .arg("mktree")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        common::isolate(&mut cmd, t.tmp.path());
        let mut child = cmd.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("100644 blob {blob}\trecord.json\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let commit = t
        .git(
            remote,
            &[
                "-c",
                "user.name=m",
                "-c",
                "user.email=m@x",
                "commit-tree",
                &tree,
                "-m",
                "garbage",
            ],
        )
        .trim()
        .to_owned();
    t.git(remote, &["update-ref", "refs/wo/orders/WO-0300", &commit]);

    let (code, out, err) = t.wo(&t.b, &["--json", "sync"]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    assert_eq!(code, 1, "skipped something: {v}{err}");
    assert!(
        v["fetched"].to_string().contains("WO-0001"),
        "the rest carried on: {v}"
    );
    assert!(
        v["skipped"].to_string().contains("refs/wo/orders/WO-0300"),
        "named in the JSON: {v}"
    );
    assert_eq!(
        t.rev(&t.b, "refs/wo/orders/WO-0300"),
        None,
        "not copied into refs/wo/orders/"
    );
    let (code, out, err) = t.wo(&t.b, &["sync"]);
    assert_eq!(code, 1, "{out}{err}");
    let said = format!("{out}{err}");
    assert!(
        said.contains("refs/wo/orders/WO-0300") && said.contains("fix:"),
        "named in the text, with a fix: {said}"
    );
    let (_, out, _) = t.wo(&t.b, &["--json", "audit"]);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert!(
        findings_of(&report, "invalid_record").is_empty(),
        "{report}"
    );
}

// ---------------------------------------------------------------------------------
// 4. A kill inside `git worktree add`.

/// What git leaves when killed inside `git worktree add`: the admin dir with `gitdir`,
/// `commondir`, `locked` ("initializing"), `HEAD.lock` and no `HEAD`; the folder with
/// its `.git` file (and maybe some files of the checkout).
fn half_made_worktree(s: &Scenario, id: &str) -> (PathBuf, PathBuf) {
    let wt = s.worktree(id);
    let admin = s.path(&format!(".git/worktrees/{id}"));
    std::fs::create_dir_all(&admin).unwrap();
    std::fs::create_dir_all(&wt).unwrap();
    let wt = wt.canonicalize().unwrap();
    let admin = admin.canonicalize().unwrap();
    write(
        &admin.join("gitdir"),
        format!("{}/.git\n", wt.display()).as_bytes(),
    );
    write(&admin.join("commondir"), b"../..\n");
    write(&admin.join("locked"), b"initializing");
    write(
        &admin.join("HEAD.lock"),
        format!("ref: refs/heads/feat/wo-{id}\n").as_bytes(),
    );
    write(
        &wt.join(".git"),
        format!("gitdir: {}\n", admin.display()).as_bytes(),
    );
    // Killed a while ago: nothing has written there since.
    for f in ["gitdir", "commondir", "locked", "HEAD.lock"] {
        backdate(&admin.join(f), 60);
    }
    (wt, admin)
}

#[test]
fn a_kill_inside_worktree_add_is_rolled_back_and_the_wo_taken_again() {
    let s = repo_with(&[("WO-0001", "")]);
    common::crash(&s, &s.repo, "take:after-branch", &["take", "WO-0001"]);
    let (wt, admin) = half_made_worktree(&s, "WO-0001");
    // The checkout had begun: a file of the branch's tree, half written.
    write(&wt.join("README.md"), b"half");

    let (code, out, err) = s.run(&["reconcile", "--apply"]);
    assert_eq!(code, 0, "reconcile --apply: {out}{err}");
    assert!(!admin.exists(), "the half-made registration is gone: {out}");
    assert!(!wt.exists(), "the half-made folder is gone: {out}");
    let (code, out, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 0, "take again: {out}{err}");
    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 0, "audit clean: {report}");
}

#[test]
fn a_half_made_worktree_holding_someones_files_is_kept() {
    let s = repo_with(&[("WO-0001", "")]);
    common::crash(&s, &s.repo, "take:after-branch", &["take", "WO-0001"]);
    let (wt, admin) = half_made_worktree(&s, "WO-0001");
    write(&wt.join("notes.txt"), b"my work, not in any tree");

    let (_, out, err) = s.run(&["reconcile", "--apply"]);
    assert!(admin.exists(), "kept: {out}{err}");
    assert_eq!(
        std::fs::read(wt.join("notes.txt")).unwrap(),
        b"my work, not in any tree"
    );
    assert!(
        format!("{out}{err}").contains("notes.txt"),
        "says what it kept it for: {out}{err}"
    );
}

/// The registration alone (its folder deleted by hand): gc prunes it although git's
/// "initializing" lock is still in it.
#[test]
fn gc_prunes_the_registration_of_a_killed_worktree_add() {
    let s = repo_with(&[("WO-0001", "")]);
    let (wt, admin) = half_made_worktree(&s, "WO-0001");
    std::fs::remove_dir_all(&wt).unwrap();
    let (code, r) = s.json(&["gc", "--apply", "--min-age", "0"]);
    assert_eq!(code, 0, "{r}");
    assert!(!admin.exists(), "pruned: {r}");
    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 0, "{report}");
}
