//! Whole outputs: what each command prints (exit code, stdout, stderr) on the scenario
//! fixtures, compared in full with `tests/snapshots/` after redacting what changes
//! from run to run (see `tests/common/snapshot.rs`). `GIT_WO_BLESS=1 cargo test --test
//! suite outputs::` rewrites the files; review the diff before committing it.

use crate::common;

use common::Scenario;
use common::snapshot::{check, redact};

/// `git wo <args>` in `s`, as one block of the snapshot.
fn block(s: &Scenario, args: &[&str]) -> String {
    let (code, out, err) = s.run(args);
    let mut b = format!("$ git wo {}\n[exit {code}]\n", args.join(" "));
    if !out.is_empty() {
        b.push_str("--- stdout\n");
        b.push_str(&out);
        if !out.ends_with('\n') {
            b.push('\n');
        }
    }
    if !err.is_empty() {
        b.push_str("--- stderr\n");
        b.push_str(&err);
        if !err.ends_with('\n') {
            b.push('\n');
        }
    }
    b.push('\n');
    redact(&b, s.tmp.path())
}

fn blocks(s: &Scenario, commands: &[&[&str]]) -> String {
    commands.iter().map(|args| block(s, args)).collect()
}

#[test]
fn redactions_leave_only_what_is_stable() {
    let tmp = std::path::Path::new("/tmp/x1");
    let text = "at /tmp/x1/repo 2026-12-03T18:33:36.123+00:00 a 0123456789abcdef0123456789abcdef01234567 (e23a1bea7183) PID: 42 5s ago 20261203T112551Z-4242 added on 2026-12-01";
    assert_eq!(
        redact(text, tmp),
        "at <TMP>/repo <TIME> a <SHA> (<sha>) PID: <N> <AGE> ago <STAMP> added on <DATE>"
    );
}

/// Every finding fixture, text and JSON: audit, the gate, lint, reconcile's plan, gc's
/// dry run, list and status.
#[test]
fn every_fixture_reads_the_same() {
    common::each_in_parallel(&common::FINDING_FIXTURES, |name| {
        let s = Scenario::build(name);
        let out = blocks(
            &s,
            &[
                &["audit"],
                &["--json", "audit"],
                &["check"],
                &["--json", "check"],
                &["lint"],
                &["--json", "lint"],
                &["reconcile"],
                &["--json", "reconcile"],
                &["gc"],
                &["--json", "gc"],
                &["list"],
                &["--json", "list"],
                &["status"],
            ],
        );
        check(&format!("fixture-{name}"), &out);
    });
}

/// Repairs applied: reconcile and gc with --apply, then what is left.
#[test]
fn repairs_print_what_they_did() {
    for name in [
        "split_brain",
        "running_without_lock",
        "lock_without_running",
        "zombie",
    ] {
        let s = Scenario::build(name);
        let out = blocks(
            &s,
            &[
                &["reconcile", "--apply"],
                &["gc", "--apply", "--min-age", "0"],
                &["audit"],
            ],
        );
        check(&format!("repair-{name}"), &out);
    }
}

/// The lifecycle in an initialised repository: what take, finish and requeue print,
/// and their refusals.
#[test]
fn the_lifecycle_and_its_refusals() {
    let s = Scenario::build("clean");
    let out = blocks(
        &s,
        &[
            &["init"],
            &["take", "WO-0001"],
            &["take", "WO-0001", "--owner", "bob"],
            &["take", "WO-0003"],
            &["take", "WO-9999"],
            &["take", "WO-../x"],
            &["requeue", "WO-0002", "--reason", "x"],
            &["requeue", "WO-0001", "--reason", "x"],
            &["finish", "WO-0001", "--result", "done"],
            &["finish", "WO-0002", "--result", "done"],
            &["status"],
            &["show", "WO-0001"],
            &["list"],
            &["lint"],
            &["requeue", "WO-0001", "--force", "--reason", "worktree lost"],
            &["list", "--state", "pending"],
        ],
    );
    check("lifecycle", &out);
}

/// kpi (text and JSON) on a repository with a history: takes, a finish, a skipped
/// verification.
#[test]
fn kpi_reads_the_same() {
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["init"]).0, 0);
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let wt = s.worktree("WO-0001");
    let (code, _, err) = s.run_in(
        &wt,
        &[
            "finish",
            "--result",
            "failed",
            "--skip-verification",
            "--reason",
            "x",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let out = blocks(&s, &[&["audit"], &["kpi"], &["--json", "kpi"]]);
    check("kpi", &out);
}

/// sync between two clones: the first push, a take published, the other clone's view.
#[test]
fn sync_reads_the_same() {
    let ids: Vec<String> = ["WO-0001", "WO-0002"].map(String::from).into();
    let t = common::team::Team::new(&ids, |p| p.to_string_lossy().into_owned());
    let mut out = String::new();
    for (dir, args) in [
        (&t.a, vec!["sync"]),
        (&t.b, vec!["sync"]),
        (&t.a, vec!["take", "WO-0001"]),
        (&t.b, vec!["--json", "sync"]),
        (&t.b, vec!["sync", "nowhere"]),
    ] {
        let (code, o, e) = t.wo(dir, &args);
        let who = if *dir == t.a { "a" } else { "b" };
        let mut b = format!("[{who}] $ git wo {}\n[exit {code}]\n", args.join(" "));
        for (name, text) in [("stdout", o), ("stderr", e)] {
            if !text.is_empty() {
                b.push_str(&format!("--- {name}\n{text}"));
                if !text.ends_with('\n') {
                    b.push('\n');
                }
            }
        }
        b.push('\n');
        out.push_str(&redact(&b, t.tmp.path()));
    }
    check("sync", &out);
}
