//! Shared test support: real repositories built with the `git` CLI in temp dirs (via
//! the scenario builders in `fixtures/`), and the real `git-wo` binary.
#![allow(dead_code)]

pub mod fixture_cache;
pub mod framework;
pub mod rng;
pub mod snapshot;
pub mod team;

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

/// A repository in a temp dir; `repo` is the control checkout, worktrees are siblings.
pub struct Scenario {
    pub tmp: tempfile::TempDir,
    pub repo: PathBuf,
}

impl Scenario {
    /// Build `fixtures/scenario.sh <name>` in a fresh temp dir.
    pub fn build(name: &str) -> Scenario {
        Scenario::build_with(name, &[])
    }

    /// Build `fixtures/scenario.sh <name> <args…>`: once per test process, then copied
    /// (see [`fixture_cache`]).
    pub fn build_with(name: &str, args: &[&str]) -> Scenario {
        let template = fixture_cache::template(name, args, |dir| build_scenario(name, args, dir));
        let tmp = tempfile::tempdir().expect("temp dir");
        fixture_cache::copy(&template, tmp.path());
        let repo = tmp.path().canonicalize().expect("canonical").join("repo");
        Scenario { tmp, repo }
    }

    /// `git-wo <args>` run in the control checkout.
    pub fn wo(&self, args: &[&str]) -> Command {
        self.wo_in(&self.repo, args)
    }

    /// `git-wo <args>` run in `dir`.
    pub fn wo_in(&self, dir: &Path, args: &[&str]) -> Command {
        wo_command(self.tmp.path(), dir, args)
    }

    /// `git <args>` in the control checkout; panics on failure; returns stdout.
    pub fn git(&self, args: &[&str]) -> String {
        git_in(&self.repo, self.tmp.path(), args)
    }

    pub fn git_at(&self, dir: &Path, args: &[&str]) -> String {
        git_in(dir, self.tmp.path(), args)
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.repo.join(rel)
    }

    /// The default worktree of a WO.
    pub fn worktree(&self, id: &str) -> PathBuf {
        self.repo
            .parent()
            .expect("repo has a parent")
            .join(".worktrees")
            .join(id)
    }

    /// Remove git-wo's caches (`<git-dir>/wo/*cache`): the next run starts cold.
    pub fn drop_caches(&self) {
        let wo = self.path(".git/wo");
        for e in std::fs::read_dir(&wo).expect("read .git/wo").flatten() {
            if e.file_name().to_string_lossy().ends_with("cache") {
                std::fs::remove_file(e.path()).expect("remove cache");
            }
        }
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// Write a WO YAML (committed with the next `commit_all`).
    pub fn write_wo(&self, state: &str, id: &str, extra: &str) {
        let text = wo_yaml(id, state, extra);
        let dir = self.path(&format!("_ctx/jobs/{state}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(format!("{id}.yaml")), text).expect("write wo");
    }

    /// Write a pending WO of `priority` (the template's is P2), with `extra` YAML lines.
    pub fn write_pending(&self, id: &str, priority: &str, extra: &str) {
        self.write_wo("pending", id, extra);
        let p = self.path(&format!("_ctx/jobs/pending/{id}.yaml"));
        let text = std::fs::read_to_string(&p).expect("read");
        std::fs::write(
            &p,
            text.replace("priority: P2", &format!("priority: {priority}")),
        )
        .expect("write");
    }

    pub fn commit_all(&self, msg: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", msg]);
    }

    /// Move the time every later command of this scenario reads `secs` seconds on
    /// (the test-only `GIT_WO_CLOCK_SKEW`, set by [`isolate`] on every git-wo and git
    /// run from here on, hooks included): a lease expires or a renewal falls due
    /// without sleeping. Cumulative. File ages (the caches' racy window) keep the
    /// real clock.
    pub fn advance_clock(&self, secs: i64) {
        let skew = clock_skew(self.tmp.path()) + secs;
        std::fs::write(self.tmp.path().join(CLOCK_SKEW_FILE), skew.to_string())
            .expect("write the clock skew");
    }

    /// Move this scenario's clock past the end of `id`'s lease, as its record states
    /// it (a second past, the record's times being whole seconds).
    pub fn expire_lease(&self, id: &str) {
        let r = record_of(self, id);
        let end = r["lock"]["expires_at"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .unwrap_or_else(|| panic!("{id}: no lease end in {r}"));
        let now = chrono::Utc::now() + chrono::TimeDelta::seconds(clock_skew(self.tmp.path()));
        let left = (end.with_timezone(&chrono::Utc) - now).num_seconds();
        self.advance_clock(left.max(0) + 2);
    }

    /// Run and return (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        run(self.wo(args))
    }

    pub fn run_in(&self, dir: &Path, args: &[&str]) -> (i32, String, String) {
        run(self.wo_in(dir, args))
    }

    /// Run with `--json` and parse stdout.
    pub fn json(&self, args: &[&str]) -> (i32, serde_json::Value) {
        self.json_in(&self.repo, args)
    }

    /// Run with `--json` in `dir` and parse stdout.
    pub fn json_in(&self, dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let (code, out, err) = self.run_in(dir, &all);
        let v = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}\nstderr: {err}"));
        (code, v)
    }
}

/// Run `fixtures/scenario.sh <name> <dir> <args…>` (`<dir>/repo` and its worktrees),
/// then the settings every test repository has.
fn build_scenario(name: &str, args: &[&str], dir: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenario.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(name)
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("run fixtures/scenario.sh");
    assert!(
        out.status.success(),
        "scenario {name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let repo = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert_eq!(repo, dir.join("repo"), "scenario {name} printed {repo:?}");
    assert!(
        repo.join(".git").exists(),
        "scenario {name} made no repository"
    );
    // Written to the repository's config as `git config` would write them (a file
    // edit instead of a git process per key, for every scenario built):
    // - alice is the user, instead of the fixtures' own identity;
    // - the fixtures' worktrees live in `<DIR>/.worktrees`, and takes in tests go
    //   there too (the per-repository default is tested on its own);
    // - hooks are tested on their own (tests/hooks.rs, where this is unset):
    //   elsewhere an initialised repository without them would report
    //   `hooks_missing`.
    const FIXTURES: &str = "\tname = git-wo fixtures\n\temail = fixtures@git-wo.invalid\n";
    const ALICE: &str = "\tname = alice\n\temail = alice@example.com\n";
    let config = repo.join(".git/config");
    let mut text = std::fs::read_to_string(&config).expect("read .git/config");
    if text.contains(FIXTURES) {
        text = text.replacen(FIXTURES, ALICE, 1);
    } else {
        text.push_str(&format!("[user]\n{ALICE}"));
    }
    text.push_str("[wo]\n\tworktreeDir = ../.worktrees\n[wo \"gate\"]\n\thooks = none\n");
    std::fs::write(&config, text).expect("write .git/config");
}

/// The WO YAML every test writes: `id` in `state`, title "Work on <id>", P2, DoD
/// `DOD-STD`, then the `extra` lines.
pub fn wo_yaml(id: &str, state: &str, extra: &str) -> String {
    wo_yaml_titled(id, state, &format!("\"Work on {id}\""), extra)
}

/// [`wo_yaml`] with another title (raw YAML scalar text).
pub fn wo_yaml_titled(id: &str, state: &str, title: &str, extra: &str) -> String {
    format!(
        "version: 1\nid: {id}\nepic_id: E-1\ntitle: {title}\npriority: P2\nstatus: {state}\ndod_id: DOD-STD\nexecution:\n  mode: agent\n{extra}"
    )
}

/// The `empty` scenario with pending WOs (id, extra YAML lines), committed and
/// `init`ed.
pub fn repo_with(wos: &[(&str, &str)]) -> Scenario {
    let s = Scenario::build("empty");
    for (id, extra) in wos {
        s.write_wo("pending", id, extra);
    }
    s.commit_all("work orders");
    let (code, out, err) = s.run(&["init"]);
    assert_eq!(code, 0, "init: {out}{err}");
    s
}

/// Commit a file `file` holding `text` in the checkout `dir` (a WO's worktree).
pub fn commit_in(s: &Scenario, dir: &Path, file: &str, text: &str) {
    let path = dir.join(file);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
    s.git_at(dir, &["add", file]);
    s.git_at(dir, &["commit", "-q", "-m", &format!("add {file}")]);
}

/// The findings of an audit JSON report with the code `code`.
pub fn findings_of<'a>(report: &'a serde_json::Value, code: &str) -> Vec<&'a serde_json::Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

pub fn run(mut cmd: Command) -> (i32, String, String) {
    let out = cmd.output().expect("run git-wo");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `git-wo <args>` in `dir`, isolated in the test home `home` (a [`Scenario`]'s or a
/// [`team::Team`]'s temp dir).
pub fn wo_command(home: &Path, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("git-wo").expect("git-wo binary");
    cmd.args(args).current_dir(dir);
    isolate(&mut cmd, home);
    cmd
}

/// Keep tests away from the user's git config; carry the scenario's clock skew
/// ([`Scenario::advance_clock`]).
pub fn isolate(cmd: &mut Command, home: &Path) {
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_WO_FAILPOINT");
    match clock_skew(home) {
        0 => cmd.env_remove(CLOCK_SKEW_ENV),
        skew => cmd.env(CLOCK_SKEW_ENV, skew.to_string()),
    };
}

/// The test-only variable that moves git-wo's clock (src/clock.rs).
pub const CLOCK_SKEW_ENV: &str = "GIT_WO_CLOCK_SKEW";
/// Where a scenario keeps its clock skew, in seconds: in its temp dir (every command
/// of the scenario runs with `HOME` there).
const CLOCK_SKEW_FILE: &str = ".wo-clock-skew";

/// The clock skew of the scenario whose temp dir is `home` (0 if none was set).
pub fn clock_skew(home: &Path) -> i64 {
    std::fs::read_to_string(home.join(CLOCK_SKEW_FILE))
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0)
}

pub fn git_in(dir: &Path, home: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir).args(args);
    isolate(&mut cmd, home);
    let out = cmd.output().expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} in {dir:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The finding codes of an audit JSON report, sorted, with their WO ids.
pub fn codes(report: &serde_json::Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = report["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["code"].as_str().unwrap_or("").to_owned(),
                        f["wo_id"].as_str().unwrap_or("-").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A real `git-wo` process held at a step by `GIT_WO_PAUSE` (see `src/failpoint.rs`):
/// spawned by [`Scenario::spawn_paused`], which returns once the process has reached
/// the step; [`Paused::release`] lets it go on and collects its exit code and output.
/// Dropping it unreleased kills the process.
pub struct Paused {
    child: Option<std::process::Child>,
    release_file: PathBuf,
    stdout: Option<std::thread::JoinHandle<String>>,
    stderr: Option<std::thread::JoinHandle<String>>,
    pub pid: u32,
}

impl Scenario {
    /// Run `git-wo <args>` in `dir` with `GIT_WO_PAUSE=<step>:<long>` and a release
    /// file; block until it prints that it paused at `step` (panics with its output
    /// if it ends without pausing).
    pub fn spawn_paused(&self, dir: &Path, args: &[&str], step: &str) -> Paused {
        spawn_paused(self.wo_in(dir, args), self.tmp.path(), step)
    }
}

/// Run `cmd` (a git-wo command) with `GIT_WO_PAUSE=<step>:<long>` and a release file
/// in `scratch`; block until it prints that it paused at `step` (panics with its
/// output if it ends without pausing).
pub fn spawn_paused(mut cmd: Command, scratch: &Path, step: &str) -> Paused {
    {
        use std::io::{BufRead, Read};
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let release_file = scratch.join(format!(
            "pause-release-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        cmd.env("GIT_WO_PAUSE", format!("{step}:120000"))
            .env("GIT_WO_PAUSE_RELEASE", &release_file)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("spawn git-wo");
        let pid = child.id();
        let mut out = child.stdout.take().expect("stdout");
        let stdout = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        });
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let err = child.stderr.take().expect("stderr");
        let want = format!("git wo: paused at {step} ");
        let stderr = std::thread::spawn(move || {
            let mut all = String::new();
            let mut reader = std::io::BufReader::new(err);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                if line.starts_with(&want) {
                    let _ = tx.send(());
                }
                all.push_str(&line);
                line.clear();
            }
            all
        });
        let mut p = Paused {
            child: Some(child),
            release_file,
            stdout: Some(stdout),
            stderr: Some(stderr),
            pid,
        };
        if rx.recv().is_err() {
            let (code, out, err) = p.release();
            panic!("never paused at {step}: exit {code}\n{out}\n{err}");
        }
        p
    }
}

impl Paused {
    /// Let the process go on; wait for it; (exit code, stdout, stderr). -1: killed by a signal.
    pub fn release(&mut self) -> (i32, String, String) {
        std::fs::write(&self.release_file, "go").expect("write release file");
        let status = self
            .child
            .take()
            .expect("released once")
            .wait()
            .expect("wait");
        let out = self.stdout.take().map(|h| h.join().unwrap_or_default());
        let err = self.stderr.take().map(|h| h.join().unwrap_or_default());
        (
            status.code().unwrap_or(-1),
            out.unwrap_or_default(),
            err.unwrap_or_default(),
        )
    }
}

impl Paused {
    /// Kill the paused process with SIGKILL (nothing runs in it after that) and wait
    /// until every process that shares its stdout and stderr (its children: the
    /// `git-wo` a killed `git` ran) has closed them, i.e. exited. (stdout, stderr).
    pub fn kill_and_drain(&mut self) -> (String, String) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let out = self.stdout.take().map(|h| h.join().unwrap_or_default());
        let err = self.stderr.take().map(|h| h.join().unwrap_or_default());
        (out.unwrap_or_default(), err.unwrap_or_default())
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `record.json` of `refs/wo/orders/<id>`, parsed.
pub fn record_of(s: &Scenario, id: &str) -> serde_json::Value {
    let text = s.git(&["show", &format!("refs/wo/orders/{id}:record.json")]);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{id}: record.json: {e}\n{text}"))
}

/// The commit `refs/wo/orders/<id>` points at ("" when the ref is missing).
pub fn record_commit(s: &Scenario, id: &str) -> String {
    s.git(&[
        "for-each-ref",
        "--format=%(objectname)",
        &format!("refs/wo/orders/{id}"),
    ])
    .trim()
    .to_owned()
}

/// Run with `GIT_WO_FAILPOINT=<step>` and check the process aborted there (like kill -9).
pub fn crash(s: &Scenario, dir: &Path, step: &str, args: &[&str]) {
    let mut cmd = s.wo_in(dir, args);
    cmd.env("GIT_WO_FAILPOINT", step);
    let out = cmd.output().expect("run git-wo");
    assert!(
        out.status.code().is_none(),
        "{step}: expected an abort, got {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The state folders holding `<id>.yaml`.
pub fn yaml_copies(s: &Scenario, id: &str) -> Vec<String> {
    ["pending", "running", "done", "failed"]
        .iter()
        .filter(|st| s.path(&format!("_ctx/jobs/{st}/{id}.yaml")).exists())
        .map(|st| st.to_string())
        .collect()
}

/// Every file below `dir` with its bytes, by its path relative to `dir` (none when
/// `dir` does not exist).
pub fn files(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if let Ok(bytes) = std::fs::read(&p) {
                let rel = p.strip_prefix(root).unwrap_or(&p).to_path_buf();
                out.insert(rel, bytes);
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Every file under the jobs dir with its bytes, by its path relative to the checkout.
pub fn jobs_files(s: &Scenario) -> std::collections::BTreeMap<String, Vec<u8>> {
    files(&s.repo.join("_ctx/jobs"))
        .into_iter()
        .map(|(rel, bytes)| (format!("_ctx/jobs/{}", rel.display()), bytes))
        .collect()
}

/// Every file reconcile quarantined, by the path it came from (relative to the checkout).
pub fn quarantined(s: &Scenario) -> std::collections::BTreeMap<String, Vec<u8>> {
    files(&s.repo.join(".git/wo/quarantine"))
        .into_iter()
        .filter_map(|(rel, bytes)| {
            let text = rel.to_string_lossy().into_owned();
            let (_, from) = text.split_once("/files/")?;
            Some((from.to_owned(), bytes))
        })
        .collect()
}

/// A tool a test drives (prek, util-linux `script`, bash-completion's git script):
/// `true` when `probe` (the tool's path or a command that must succeed) shows it is
/// there. When it is not: under `CI=true` the test fails (`.ci/run` installs every
/// such tool, pinned, through `.ci/tools.sh`); elsewhere it prints a visible
/// `SKIPPED (<what>): …` line and the caller returns.
pub fn tool_present(what: &str, present: bool) -> bool {
    if present {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is missing, and CI=true: .ci/tools.sh installs it (run bash .ci/run)");
    }
    // Written to the real stderr, past the test harness's capture, so that the skip
    // shows in the run's output even though the test "passes".
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED ({what} is missing; .ci/tools.sh installs it): this test checked nothing"
    );
    false
}

/// Whether `program --version` runs and succeeds.
pub fn runs(program: &Path) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The scenario fixtures that each hold one kind of finding (plus the clean one).
pub const FINDING_FIXTURES: [&str; 14] = [
    "clean",
    "split_brain",
    "duplicate_yaml",
    "invalid_yaml",
    "status_mismatch",
    "running_without_lock",
    "lock_without_running",
    "stale_lock",
    "ghost",
    "zombie",
    "running_without_worktree",
    "prunable",
    "branch_mismatch",
    "fail_but_running",
];

/// `PATH` with this build's git-wo first (as an installed git-wo would be), so that
/// installed hook shims and printed fixes run it.
pub fn path_with_wo() -> std::ffi::OsString {
    let mut path = std::ffi::OsString::from(
        Path::new(env!("CARGO_BIN_EXE_git-wo"))
            .parent()
            .expect("bin dir"),
    );
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    path
}

/// `git <args>` in `dir` with git-wo on `PATH` (so the hooks run it) and `env` set:
/// (exit code, stdout, stderr).
pub fn git_hooked_env(
    s: &Scenario,
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir).args(args);
    isolate(&mut cmd, s.tmp.path());
    cmd.env("PATH", path_with_wo());
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(cmd)
}

/// `git-wo <args>` in the control checkout with git-wo on `PATH` and `env` set.
pub fn wo_hooked_env(s: &Scenario, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = s.wo(args);
    cmd.env("PATH", path_with_wo());
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(cmd)
}

/// Run a fix exactly as audit printed it, as a user would: `sh -c` in the control
/// checkout, with this build's git-wo first on `PATH`. (exit code, stdout + stderr)
pub fn run_fix(s: &Scenario, fix: &str) -> (i32, String) {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(fix).current_dir(&s.repo);
    isolate(&mut cmd, s.tmp.path());
    cmd.env("PATH", path_with_wo());
    let (code, out, err) = run(cmd);
    (code, format!("{out}{err}"))
}

/// Run `check` on every item, a few at a time on threads of their own: a campaign of
/// independent repositories (every crash step, every fixture, every seed) takes the
/// time of its share of the machine instead of the sum of its parts. Each item is
/// checked whole; a failing one fails the test with its own message, and the others
/// still finish first.
pub fn each_in_parallel<T: Sync>(items: &[T], check: impl Fn(&T) + Sync) {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get() + 1);
    std::thread::scope(|scope| {
        for _ in 0..workers.min(items.len()) {
            scope.spawn(|| {
                while let Some(item) =
                    items.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                {
                    check(item);
                }
            });
        }
    });
}
