//! Issue #19, "Nothing lost, nothing wedged": a hostile quarantine manifest, names that
//! are not UTF-8, worktrees reached through a symlink, FIFOs where files belong, deep
//! nesting, and a repository lock left empty by a kill. Real repositories, the real
//! binary.

use crate::common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Scenario, findings_of};
use serde_json::Value;

/// Run `cmd`; kill it and fail when it runs longer than `limit`. (exit code, stdout,
/// stderr).
fn run_within(mut cmd: Command, what: &str, limit: Duration) -> (i32, String, String) {
    use std::io::Read;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn git-wo");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return (
                status.code().unwrap_or(-1),
                out.join().unwrap_or_default(),
                err.join().unwrap_or_default(),
            );
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`git wo {what}` still ran after {limit:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(ok.success(), "mkfifo {path:?}");
}

fn stamp_dir(s: &Scenario, stamp: &str) -> PathBuf {
    s.path(".git/wo/quarantine").join(stamp)
}

// ---------------------------------------------------------------------------------
// 1. A hostile quarantine manifest.

#[test]
fn restore_refuses_a_hostile_manifest_and_touches_nothing() {
    let s = Scenario::build("clean");
    let stamp = "20260101T000000Z-1";
    let dir = stamp_dir(&s, stamp);
    let outside = s.tmp.path().join("outside.txt");
    std::fs::write(&outside, "not the repository's\n").unwrap();
    let mut lines = Vec::new();
    let mut entry = |wo: &str, from: &str, stored: &str, content: Option<&str>| {
        if let Some(c) = content {
            let p = dir.join(stored);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, c).unwrap();
        }
        lines.push(
            serde_json::json!({
                "wo_id": wo, "from": from, "stored": stored, "code": "split_brain",
                "reason": "test", "bytes": 1, "at": "now"
            })
            .to_string(),
        );
    };
    // Line 1: a good one, which must not be restored either (the restore is refused
    // as a whole).
    entry(
        "WO-0098",
        "_ctx/jobs/pending/WO-0098.yaml",
        "files/_ctx/jobs/pending/WO-0098.yaml",
        Some("id: WO-0098\n"),
    );
    entry("WO-0097", "../x", "files/a", Some("a\n"));
    let abs = s.tmp.path().join("abs.txt");
    entry("", abs.to_str().unwrap(), "files/b", Some("b\n"));
    entry(
        "",
        ".git/hooks/post-checkout",
        "files/c",
        Some("#!/bin/sh\n"),
    );
    entry("WO-0097", "src/evil.sh", "files/d", Some("evil\n"));
    entry(
        "WO-0099",
        "_ctx/jobs/pending/WO-0099.yaml",
        "../../../../../outside.txt",
        None,
    );
    // Lines 7 and 8: gc's kind of entry, naming a "worktree" that is the checkout, and
    // one inside the git dir.
    let repo = s.repo.to_str().unwrap().to_owned();
    for (wt, file) in [
        (repo.clone(), format!("{repo}/src/evil2.sh")),
        (
            format!("{repo}/.git/hooks"),
            format!("{repo}/.git/hooks/pre-push"),
        ),
    ] {
        let stored = format!(
            "worktrees/WO-0080/{}",
            Path::new(&file).strip_prefix(&wt).unwrap().display()
        );
        let p = dir.join(&stored);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "x\n").unwrap();
        lines.push(
            serde_json::json!({
                "wo_id": "WO-0080", "from": file, "stored": stored, "worktree": wt,
                "code": "zombie_worktree", "reason": "test", "bytes": 1, "at": "now"
            })
            .to_string(),
        );
    }
    std::fs::write(dir.join("manifest.jsonl"), lines.join("\n") + "\n").unwrap();
    let before = common::files(&dir);

    let (code, out, err) = s.run(&["reconcile", "--restore", stamp]);
    assert_eq!(code, 2, "refused as bad input: {out}{err}");
    for n in 2..=8 {
        assert!(
            err.contains(&format!("manifest.jsonl:{n}")),
            "names line {n}: {err}"
        );
    }
    assert!(!err.contains("manifest.jsonl:1:"), "line 1 is fine: {err}");
    for named in [
        "../x",
        abs.to_str().unwrap(),
        ".git/hooks/post-checkout",
        "src/evil.sh",
        "../../../../../outside.txt",
    ] {
        assert!(err.contains(named), "names {named}: {err}");
    }
    assert!(err.contains("fix:"), "says what to do: {err}");
    // Nothing was touched.
    assert_eq!(common::files(&dir), before, "the quarantine is as it was");
    assert!(outside.exists(), "the outside file stayed where it was");
    assert!(!s.tmp.path().join("x").exists());
    assert!(!abs.exists());
    assert!(!s.path(".git/hooks/post-checkout").exists());
    assert!(!s.path("src/evil.sh").exists());
    assert!(!s.path("src/evil2.sh").exists());
    assert!(!s.path(".git/hooks/pre-push").exists());
    assert!(!s.path("_ctx/jobs/pending/WO-0098.yaml").exists());
    assert!(!s.path("_ctx/jobs/pending/WO-0099.yaml").exists());

    // Fine once the bad lines are gone.
    std::fs::write(dir.join("manifest.jsonl"), lines[0].clone() + "\n").unwrap();
    let (code, out, err) = s.run(&["reconcile", "--restore", stamp]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(s.read("_ctx/jobs/pending/WO-0098.yaml"), "id: WO-0098\n");
}

// ---------------------------------------------------------------------------------
// 2. Names that are not UTF-8.

#[test]
fn gc_force_keeps_names_that_are_not_utf8_byte_for_byte() {
    let s = Scenario::build("zombie");
    let wt = s.worktree("WO-0080");
    let bad = OsStr::from_bytes(b"bad\xff.txt");
    std::fs::write(wt.join(bad), b"bytes \xfe kept\n").unwrap();
    std::fs::write(wt.join("notes.txt"), "half a thought\n").unwrap();

    let (code, r) = s.json(&["gc", "--apply", "--force", "--min-age", "0"]);
    assert_eq!(code, 0, "{r}");
    assert!(!wt.exists(), "removed with --force: {r}");
    let stamp = r["quarantine"].as_str().expect("a quarantine").to_owned();
    let action = r["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["wo_id"] == "WO-0080")
        .unwrap()
        .clone();
    assert!(
        action["message"].as_str().unwrap().contains("2 file(s)"),
        "{action}"
    );
    assert!(
        action["reasons"].to_string().contains("bad\\\\xff.txt"),
        "the name is shown escaped: {action}"
    );
    let saved = stamp_dir(&s, &stamp).join("worktrees/WO-0080");
    let mut names: Vec<Vec<u8>> = std::fs::read_dir(&saved)
        .unwrap()
        .map(|e| e.unwrap().file_name().as_bytes().to_vec())
        .collect();
    names.sort();
    assert_eq!(names, [b"bad\xff.txt".to_vec(), b"notes.txt".to_vec()]);
    assert_eq!(
        std::fs::read(saved.join(bad)).unwrap(),
        b"bytes \xfe kept\n"
    );
    let manifest = std::fs::read_to_string(stamp_dir(&s, &stamp).join("manifest.jsonl")).unwrap();
    assert_eq!(manifest.lines().count(), 2, "{manifest}");

    let (code, out, err) = s.run(&["reconcile", "--restore", &stamp]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        std::fs::read(wt.join(bad)).unwrap_or_else(|e| panic!("{e}: {out}{err}")),
        b"bytes \xfe kept\n"
    );
    assert_eq!(
        std::fs::read_to_string(wt.join("notes.txt")).unwrap(),
        "half a thought\n"
    );
    assert!(out.contains("bad\\xff.txt"), "shown escaped: {out}");
}

// ---------------------------------------------------------------------------------
// 3. A worktree reached through a symlink.

#[test]
fn gc_never_removes_a_worktree_through_a_symlink() {
    let s = Scenario::build("zombie");
    let wt = s.worktree("WO-0080");
    let elsewhere = s.tmp.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let real = elsewhere.join("WO-0080");
    std::fs::rename(&wt, &real).unwrap();
    std::os::unix::fs::symlink(&real, &wt).unwrap();
    std::fs::write(real.join("precious.txt"), "mine\n").unwrap();
    let before = common::files(&real);
    // WO-0081's worktree moves to `.worktrees/nest/WO-0081`, then `nest` becomes a
    // link to a folder elsewhere: a link between the worktree folder and the worktree.
    let w81 = s.worktree("WO-0081");
    s.git(&["worktree", "remove", w81.to_str().unwrap()]);
    let nested = w81.parent().unwrap().join("nest/WO-0081");
    s.git(&[
        "worktree",
        "add",
        "-q",
        nested.to_str().unwrap(),
        "feat/wo-WO-0081",
    ]);
    let nest_real = elsewhere.join("nest");
    std::fs::rename(nested.parent().unwrap(), &nest_real).unwrap();
    std::os::unix::fs::symlink(&nest_real, nested.parent().unwrap()).unwrap();
    std::fs::write(nest_real.join("WO-0081/precious.txt"), "mine too\n").unwrap();
    let before81 = common::files(&nest_real);

    let (code, r) = s.json(&["gc", "--min-age", "0"]);
    assert_eq!(code, 1, "{r}");
    for args in [
        &["gc", "--apply", "--min-age", "0"][..],
        &["gc", "--apply", "--force", "--min-age", "0"][..],
    ] {
        let (_, r) = s.json(args);
        for id in ["WO-0081", "WO-0080"] {
            let action = r["actions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["wo_id"] == id)
                .cloned()
                .unwrap_or_else(|| panic!("{args:?}: no action for {id}: {r}"));
            assert_eq!(action["action"], "kept", "{args:?}: {action}");
            let why = action["reasons"].to_string();
            assert!(
                why.contains("is a symlink") && why.contains("never removes through a link"),
                "{args:?}: {action}"
            );
        }
        assert_eq!(common::files(&real), before, "{args:?}: nothing lost");
        assert_eq!(
            common::files(&nest_real),
            before81,
            "{args:?}: nothing lost"
        );
        assert!(real.join(".git").exists(), "{args:?}");
        assert!(std::fs::symlink_metadata(&wt).unwrap().is_symlink());
    }
}

// ---------------------------------------------------------------------------------
// 4. FIFOs where files belong.

#[test]
fn fifos_never_hang_a_command() {
    let s = Scenario::build("clean");
    mkfifo(&s.path("_ctx/jobs/pending/WO-0066.yaml"));
    mkfifo(&s.path("_ctx/jobs/running/WO-0068.lock"));
    mkfifo(&s.path("_ctx/logs/WO-0010/verdict.json"));
    let limit = Duration::from_secs(20);
    for args in [
        &["audit"][..],
        &["list"],
        &["check"],
        &["lint"],
        &["reconcile"],
        &["gc"],
        &["status"],
        &["show", "WO-0066"],
        &["take", "WO-0066"],
        &["reconcile", "--apply"],
        &["gc", "--apply", "--min-age", "0"],
    ] {
        let (code, out, err) = run_within(s.wo(args), &args.join(" "), limit);
        assert!(
            (0..=3).contains(&code),
            "{args:?}: exit {code}\n{out}\n{err}"
        );
    }
    let (_, out, err) = run_within(s.wo(&["--json", "audit"]), "--json audit", limit);
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let invalid = findings_of(&report, "invalid_yaml");
    assert!(
        invalid.iter().any(|f| {
            f["wo_id"] == "WO-0066"
                && f["message"]
                    .as_str()
                    .unwrap()
                    .contains("a FIFO, not a regular file")
                && f["paths"].to_string().contains("pending/WO-0066.yaml")
        }),
        "{report}"
    );
    assert!(
        findings_of(&report, "invalid_lock")
            .iter()
            .any(|f| f["wo_id"] == "WO-0068"),
        "{report}"
    );
}

// ---------------------------------------------------------------------------------
// 5. Deep nesting.

#[test]
fn deep_nesting_is_refused_in_linear_time() {
    let s = Scenario::build("clean");
    let deep = "[".repeat(100_000) + &"]".repeat(100_000) + "\n";
    std::fs::write(s.path("_ctx/jobs/pending/WO-0067.yaml"), deep).unwrap();
    let compact = "- ".repeat(100_000) + "x\n";
    std::fs::write(s.path("_ctx/jobs/pending/WO-0069.yaml"), compact).unwrap();
    let mut block = String::new();
    for level in 0..100 {
        block.push_str(&format!("{}k{level}:\n", "  ".repeat(level)));
    }
    std::fs::write(s.path("_ctx/jobs/pending/WO-0070.yaml"), block).unwrap();
    // Valid, with brackets where they are text: quoted, in a block scalar, a comment.
    let brackets = "[{".repeat(70);
    s.write_wo(
        "pending",
        "WO-0071",
        &format!(
            "notes: |\n  {brackets}\n  - - - - deep? no, text\nquoted: \"{brackets}\"\nsingle: '{brackets}'\n# {brackets}\nlist: [a, [b, {{c: d}}]]\n"
        ),
    );

    let (_, out, err) = run_within(
        s.wo(&["--json", "audit"]),
        "--json audit",
        Duration::from_secs(30),
    );
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let invalid = findings_of(&report, "invalid_yaml");
    for id in ["WO-0067", "WO-0069", "WO-0070"] {
        assert!(
            invalid.iter().any(|f| f["wo_id"] == id
                && f["message"]
                    .as_str()
                    .unwrap()
                    .contains("nested deeper than 64 levels")),
            "{id}: {report}"
        );
    }
    assert!(
        !invalid.iter().any(|f| f["wo_id"] == "WO-0071"),
        "a valid WO with brackets in text: {report}"
    );
}

// ---------------------------------------------------------------------------------
// 6. A repository lock that nothing holds.

fn age(path: &Path, secs: u64) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(std::time::SystemTime::now() - Duration::from_secs(secs))
        .unwrap();
}

fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap()
}

#[test]
fn a_repo_lock_nothing_holds_is_reported_and_taken_over() {
    let s = Scenario::build("zombie");
    let lock = s.path(".git/wo/repo.lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();

    // Empty and just created: someone may be writing it; a conflict, not stale.
    std::fs::write(&lock, "").unwrap();
    let (code, _, err) = s.run(&["gc", "--apply", "--min-age", "0"]);
    assert_eq!(code, 3, "{err}");
    assert!(s.worktree("WO-0080").exists());

    // Empty and a minute old: a kill between creating and writing it.
    age(&lock, 60);
    let (_, report) = s.json(&["audit"]);
    let stale = findings_of(&report, "stale_repo_lock");
    assert_eq!(stale.len(), 1, "{report}");
    assert!(
        stale[0]["severity"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case("P1")
    );
    assert!(
        stale[0]["hint"].as_str().unwrap().contains("repo.lock"),
        "{report}"
    );
    let (code, r) = s.json(&["gc", "--apply", "--min-age", "0"]);
    assert_eq!(code, 0, "taken over: {r}");
    assert!(!s.worktree("WO-0080").exists());
    assert!(!lock.exists(), "released");
    let (_, report) = s.json(&["audit"]);
    assert!(
        findings_of(&report, "stale_repo_lock").is_empty(),
        "{report}"
    );

    // A dead process on this host: stale at once.
    std::fs::write(
        &lock,
        format!("pid {}\nhost {}\nop git wo gc\n", dead_pid(), hostname()),
    )
    .unwrap();
    let (_, report) = s.json(&["audit"]);
    assert_eq!(findings_of(&report, "stale_repo_lock").len(), 1, "{report}");
    // Following audit's advice converges: reconcile plans its release, --apply does it.
    let (code, r) = s.json(&["reconcile"]);
    assert_eq!(code, 1, "{r}");
    assert_eq!(r["repo_lock"]["outcome"], "planned", "{r}");
    let (code, r) = s.json(&["reconcile", "--apply"]);
    assert_eq!(code, 0, "{r}");
    assert!(!lock.exists(), "{r}");
    let (_, report) = s.json(&["audit"]);
    assert!(
        findings_of(&report, "stale_repo_lock").is_empty(),
        "{report}"
    );

    // Another host's holder is never judged from here.
    std::fs::write(&lock, "pid 1\nhost some-other-host\nop git wo gc\n").unwrap();
    age(&lock, 3600);
    let (_, report) = s.json(&["audit"]);
    assert!(
        findings_of(&report, "stale_repo_lock").is_empty(),
        "{report}"
    );
    assert_eq!(s.run(&["gc", "--apply", "--min-age", "0"]).0, 3);
}
