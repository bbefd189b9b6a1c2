//! End-to-end timing of `git wo audit` / `git wo check` on generated repos.
//!
//! Run: `cargo bench --bench audit`.  Each size builds a real repository with
//! `fixtures/scenario.sh bulk` (N WO YAMLs, W running with lock + worktree) and
//! times real processes (stdout/stderr to /dev/null), median of RUNS after one
//! warm-up.  Baseline = the two plain git commands a pre-commit gate can't
//! avoid: `git worktree list --porcelain` + `git diff --cached --quiet`.
//!
//! After those, `git wo init` mirrors every WO into a record and `audit` is timed
//! again ("audit+rec": records, notes and the object cache in play).
//!
//! Env: GIT_WO_BENCH_SIZES=100,1000,10000   GIT_WO_BENCH_RUNS=7
//! Fixture builds are I/O bound: `TMPDIR=/dev/shm cargo bench --bench audit` is faster.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const WORKTREES: usize = 50;
const BIN: &str = env!("CARGO_BIN_EXE_git-wo");

/// Parse a comma-separated env var, falling back to `default`.
fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    match std::env::var(name) {
        Ok(s) if !s.trim().is_empty() => s
            .split(',')
            .map(|x| {
                x.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("{name}: bad number {x:?}"))
            })
            .collect(),
        _ => default.to_vec(),
    }
}

/// A command isolated from the user's git configuration and surrounding git env.
fn cmd(prog: &str, args: &[&str], cwd: &Path, home: &Path) -> Command {
    let mut c = Command::new(prog);
    c.args(args)
        .current_dir(cwd)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", home);
    for v in [
        "XDG_CONFIG_HOME",
        "GIT_CONFIG_GLOBAL",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
    ] {
        c.env_remove(v);
    }
    c
}

/// Median wall-clock ms over `runs` runs after one warm-up; also the exit code.
fn time(prog: &str, args: &[&str], cwd: &Path, home: &Path, runs: usize) -> (f64, i32) {
    let run = || {
        let t = Instant::now();
        let st = cmd(prog, args, cwd, home)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("spawn {prog}: {e}"));
        (t.elapsed().as_secs_f64() * 1e3, st.code().unwrap_or(-1))
    };
    let (_, code) = run(); // warm-up (page cache, git's index stat cache)
    let mut ms: Vec<f64> = (0..runs).map(|_| run().0).collect();
    ms.sort_by(|a, b| a.total_cmp(b));
    (ms[ms.len() / 2], code)
}

/// Build the bulk fixture under `tmp`; returns (repo path, build seconds).
fn build_fixture(n: usize, w: usize, tmp: &Path) -> (PathBuf, f64) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenario.sh");
    let (ns, ws) = (n.to_string(), w.to_string());
    let dir = tmp.join("fx");
    let t = Instant::now();
    let out = cmd(
        "bash",
        &[
            script.to_str().unwrap(),
            "bulk",
            dir.to_str().unwrap(),
            &ns,
            &ws,
        ],
        tmp,
        tmp,
    )
    .stderr(Stdio::null())
    .output()
    .expect("spawn bash");
    assert!(
        out.status.success(),
        "scenario.sh bulk {n} {w} failed: {:?}",
        out.status
    );
    let repo = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    (PathBuf::from(repo), t.elapsed().as_secs_f64())
}

/// One size's figures (ms unless named `_s`).
struct Row {
    n: usize,
    build_s: f64,
    floor: f64,
    audit: f64,
    check: f64,
    staged: f64,
    wtl: f64,
    diff: f64,
    codes: (i32, i32, i32),
    init_s: f64,
    audit_rec: f64,
}

fn main() {
    // `cargo bench` passes `--bench`; ignore all arguments.
    let sizes = env_list("GIT_WO_BENCH_SIZES", &[100, 1000, 10000]);
    let runs = env_list("GIT_WO_BENCH_RUNS", &[7])[0].max(1);
    println!(
        "git-wo audit bench: W={WORKTREES} worktrees, median of {runs} runs after 1 warm-up, times in ms"
    );
    println!("bin: {BIN}");

    let mut rows = Vec::new();
    for &n in &sizes {
        let tmp = tempfile::tempdir().expect("tempdir");
        let home = tmp.path();
        eprint!("building bulk N={n} … ");
        let (repo, build_s) = build_fixture(n, WORKTREES.min(n), home);
        eprintln!("{build_s:.1} s");

        let wo = |args: &[&str]| time(BIN, args, &repo, home, runs);
        let git = |args: &[&str]| time("git", args, &repo, home, runs);
        let floor = wo(&["--version"]).0;
        let audit = wo(&["audit"]);
        let check = wo(&["check"]);
        let staged = wo(&["check", "--staged"]);
        let wtl = git(&["worktree", "list", "--porcelain"]).0;
        let diff = git(&["diff", "--cached", "--quiet"]).0;
        let codes = (audit.1, check.1, staged.1);
        let t = Instant::now();
        let init = cmd(BIN, &["init"], &repo, home)
            .stdout(Stdio::null())
            .status()
            .expect("spawn git-wo init");
        assert!(init.success(), "git-wo init failed: {init:?}");
        let init_s = t.elapsed().as_secs_f64();
        let audit_rec = wo(&["audit"]);
        assert_eq!(audit_rec.1, audit.1, "records change no finding");
        rows.push(Row {
            n,
            build_s,
            floor,
            audit: audit.0,
            check: check.0,
            staged: staged.0,
            wtl,
            diff,
            codes,
            init_s,
            audit_rec: audit_rec.0,
        });
        // `tmp` drops here: the repo and its worktrees are removed.
    }

    println!(
        "\n{:>6} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7} {:>7} {:>9}  exit a/c/s",
        "N",
        "build s",
        "floor",
        "audit",
        "check",
        "check -s",
        "wt list",
        "diff -c",
        "base",
        "a/base",
        "c/base",
        "init s",
        "audit+rec"
    );
    for r in &rows {
        let base = r.wtl + r.diff;
        println!(
            "{:>6} {:>8.1} {:>7.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>7.2} {:>7.2} {:>7.1} {:>9.1}  {}/{}/{}",
            r.n,
            r.build_s,
            r.floor,
            r.audit,
            r.check,
            r.staged,
            r.wtl,
            r.diff,
            base,
            r.audit / base,
            r.check / base,
            r.init_s,
            r.audit_rec,
            r.codes.0,
            r.codes.1,
            r.codes.2
        );
    }

    // Linearity: cost per 1000 WOs, raw and net of process start-up (floor).
    let per_k = |f: &dyn Fn(f64, f64) -> f64| {
        rows.iter()
            .map(|r| {
                format!(
                    "N={}: {:.1}",
                    r.n,
                    f(r.audit, r.floor) * 1000.0 / r.n as f64
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("\naudit ms per 1000 WOs (raw):        {}", per_k(&|a, _| a));
    println!(
        "audit ms per 1000 WOs (net floor):  {}",
        per_k(&|a, fl| a - fl)
    );
    println!(
        "floor = `git-wo --version`; base = wt list + diff -c; exit a/c/s = audit/check/check --staged"
    );
}
