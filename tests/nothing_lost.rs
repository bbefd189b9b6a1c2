//! Issue #19, "Nothing lost, nothing wedged": a hostile quarantine manifest, names that
//! are not UTF-8, worktrees reached through a symlink, FIFOs where files belong, deep
//! nesting, and a repository lock left empty by a kill. Real repositories, the real
//! binary.

mod common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Scenario;
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

fn findings_of<'a>(report: &'a Value, code: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

fn stamp_dir(s: &Scenario, stamp: &str) -> PathBuf {
    s.path(".git/wo/quarantine").join(stamp)
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

