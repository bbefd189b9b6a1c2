//! Helpers shared by the benchmarks `audit` and `hook` (each includes this file with
//! `mod support;`). It lives in a subdirectory so that cargo does not take it for a
//! bench target of its own.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Running WOs (with lock and sparse worktree) per fixture: W = min(N, `WORKTREES`).
pub const WORKTREES: usize = 50;
/// The git-wo binary cargo built for the benchmark.
pub const BIN: &str = env!("CARGO_BIN_EXE_git-wo");
/// Pause after writing a fixture (in `hook`, also after staging a change), before
/// measuring it: stat-keyed caches distrust files modified in the last second or two.
pub const SETTLE: Duration = Duration::from_secs(3);

/// What [`cmd`] does on top of the isolation every benchmark gets.
#[derive(Clone, Copy)]
pub struct Isolation {
    /// Also put the directory of the git-wo binary first on `PATH` (the installed hook
    /// shims run `git-wo` from `PATH`) and remove `GIT_WO_TRACE` and `GIT_WO_NO_CACHE`.
    pub wo_env: bool,
}

/// Parse a comma-separated env var, falling back to `default`.
pub fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    match std::env::var(name) {
        Ok(s) if !s.trim().is_empty() => s
            .split(',')
            .map(|x| {
                let x = x.trim().replace('_', "");
                x.parse()
                    .unwrap_or_else(|_| panic!("{name}: bad number {x:?}"))
            })
            .collect(),
        _ => default.to_vec(),
    }
}

/// `PATH` with the directory of the git-wo binary first.
fn path_env() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = Path::new(BIN)
            .parent()
            .expect("git-wo binary has a parent dir");
        match std::env::var("PATH") {
            Ok(p) if !p.is_empty() => format!("{}:{p}", dir.display()),
            _ => format!("{}:/usr/local/bin:/usr/bin:/bin", dir.display()),
        }
    })
}

/// A command isolated from the user's git configuration and surrounding git env;
/// with `iso.wo_env`, also with git-wo's directory first on `PATH` and without
/// git-wo's own env switches (see [`Isolation`]).
pub fn cmd(iso: Isolation, prog: &str, args: &[&str], cwd: &Path, home: &Path) -> Command {
    let mut c = Command::new(prog);
    c.args(args)
        .current_dir(cwd)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", home);
    if iso.wo_env {
        c.env("PATH", path_env());
    }
    c.stdin(Stdio::null());
    for v in [
        "XDG_CONFIG_HOME",
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_PARAMETERS",
        "GIT_CONFIG_COUNT",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_COMMON_DIR",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_CEILING_DIRECTORIES",
    ] {
        c.env_remove(v);
    }
    if iso.wo_env {
        for v in ["GIT_WO_TRACE", "GIT_WO_NO_CACHE"] {
            c.env_remove(v);
        }
    }
    c
}

/// Run to completion with output discarded; returns (ms, exit code).
pub fn run_once(iso: Isolation, prog: &str, args: &[&str], cwd: &Path, home: &Path) -> (f64, i32) {
    let t = Instant::now();
    let st = cmd(iso, prog, args, cwd, home)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("spawn {prog} {args:?}: {e}"));
    (t.elapsed().as_secs_f64() * 1e3, st.code().unwrap_or(-1))
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Delete git-wo's caches: every regular file in `.git/wo/` whose name ends in `cache`.
pub fn drop_caches(repo: &Path) {
    let Ok(dir) = std::fs::read_dir(repo.join(".git/wo")) else {
        return; // not created yet
    };
    for e in dir.flatten() {
        let is_file = e.file_type().is_ok_and(|t| t.is_file());
        if is_file && e.file_name().to_string_lossy().ends_with("cache") {
            std::fs::remove_file(e.path())
                .unwrap_or_else(|err| panic!("remove {}: {err}", e.path().display()));
        }
    }
}

/// A median time and the exit code every run agreed on (`None` if they differed).
#[derive(Clone, Copy, Default)]
pub struct Timed {
    pub ms: f64,
    pub code: Option<i32>,
}

impl Timed {
    /// The agreed exit code, or `~` if the runs disagreed.
    pub fn code(&self) -> String {
        self.code.map_or("~".into(), |c| c.to_string())
    }
}

/// [`build_fixture`] of `n` WOs with min(n, [`WORKTREES`]) worktrees, saying so on
/// stderr (then "measuring `what` …"), left to age past "racy": stat-keyed caches
/// (git's index, git-wo's caches) distrust files modified in the last second or two.
/// Returns the repository and the build time as the report lists it.
pub fn settled_fixture(iso: Isolation, n: usize, tmp: &Path, what: &str) -> (PathBuf, String) {
    eprintln!("building bulk N={n} …");
    let (repo, build_s) = build_fixture(iso, n, WORKTREES.min(n), tmp);
    eprintln!("  built in {build_s:.1} s; measuring{what} …");
    std::thread::sleep(SETTLE);
    (repo, format!("N={n}: {build_s:.1} s"))
}

/// Build the bulk fixture under `tmp` (`WO_FIXTURE_SPARSE=1 bash fixtures/scenario.sh
/// bulk DIR N W`, run with `cmd(iso, …)`); returns (repo path, build seconds).
pub fn build_fixture(iso: Isolation, n: usize, w: usize, tmp: &Path) -> (PathBuf, f64) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenario.sh");
    let dir = tmp.join("fx");
    let (script, dir) = (script.to_string_lossy(), dir.to_string_lossy());
    let (ns, ws) = (n.to_string(), w.to_string());
    let t = Instant::now();
    let out = cmd(iso, "bash", &[&script, "bulk", &dir, &ns, &ws], tmp, tmp)
        .env("WO_FIXTURE_SPARSE", "1")
        .stderr(Stdio::inherit())
        .output()
        .expect("spawn bash fixtures/scenario.sh");
    assert!(
        out.status.success(),
        "scenario.sh bulk {n} {w} failed: {:?}",
        out.status
    );
    let repo = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (PathBuf::from(repo), t.elapsed().as_secs_f64())
}
