//! Adversarial regression tests: one test per known defect. Each builds a real
//! repository with the git CLI (fixtures/scenario.sh), runs the real binary, and
//! asserts the correct behaviour (SPEC §1–§4, §6; exit codes of §3: 0 ok, 1
//! refused/findings/work left, 2 bad input, 3 conflict). Live processes are held in
//! the middle of an operation with `GIT_WO_PAUSE` (src/failpoint.rs), crashes are
//! simulated with `GIT_WO_FAILPOINT`. Tests that check several cases collect every
//! wrong behaviour and report them together.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{
    Scenario, commit_in, crash, record_commit, record_of, repo_with, wo_yaml_titled, yaml_copies,
};
use serde_json::Value;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Wrong behaviours seen so far; `done` fails the test listing all of them.
#[derive(Default)]
struct Checks(Vec<String>);

impl Checks {
    fn check(&mut self, ok: bool, what: impl Into<String>) {
        if !ok {
            self.0.push(what.into());
        }
    }
    fn done(self) {
        assert!(
            self.0.is_empty(),
            "{} wrong behaviour(s):\n- {}",
            self.0.len(),
            self.0.join("\n- ")
        );
    }
}

fn write(s: &Scenario, rel: &str, text: &str) {
    let p = s.path(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Findings of an audit report about `id`.
fn findings_for<'a>(report: &'a Value, id: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .map(|a| a.iter().filter(|f| f["wo_id"] == id).collect())
        .unwrap_or_default()
}

fn codes_for(report: &Value, id: &str) -> Vec<String> {
    findings_for(report, id)
        .iter()
        .map(|f| f["code"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn panicked(code: i32, err: &str) -> bool {
    code == 101 || err.contains("panicked")
}

/// The private git dir of a worktree (where the holder's `wo-session` lives).
fn admin_dir(s: &Scenario, wt: &Path) -> PathBuf {
    PathBuf::from(s.git_at(wt, &["rev-parse", "--absolute-git-dir"]).trim())
}

// ---------------------------------------------------------------------------
// The defects
// ---------------------------------------------------------------------------

/// 1. A `branch:` starting with `-` is not passed to `git worktree add` as an option.
#[test]
fn defect_01_dash_branch_is_refused_not_passed_as_an_option() {
    let s = Scenario::build("empty");
    s.git(&["switch", "-q", "-c", "other"]);
    std::fs::write(s.path("other.txt"), "work on other\n").unwrap();
    s.commit_all("work on other");
    s.git(&["switch", "-q", "main"]);
    let other = s.git(&["rev-parse", "refs/heads/other"]).trim().to_owned();
    s.write_wo("pending", "WO-0001", "branch: -Bother\n");
    s.commit_all("wo");
    assert_eq!(s.run(&["init"]).0, 0);
    let heads_before = s.git(&["for-each-ref", "refs/heads"]);
    let yaml = std::fs::read(s.path("_ctx/jobs/pending/WO-0001.yaml")).unwrap();

    let mut c = Checks::default();
    let (code, lint) = s.json(&["lint", "WO-0001"]);
    c.check(
        code == 1 && lint["problems"].to_string().contains("branch"),
        format!("lint WO-0001 must report the `-Bother` branch: exit {code}, {lint}"),
    );
    let (code, out, err) = s.run(&["take", "WO-0001"]);
    c.check(
        code == 2,
        format!("take must refuse the branch with exit 2, got {code}: {out}{err}"),
    );
    let after = s.git(&["rev-parse", "refs/heads/other"]).trim().to_owned();
    c.check(
        after == other,
        format!("branch `other` was reset from {other} to {after} (git saw -B other)"),
    );
    if code != 0 {
        c.check(
            s.git(&["for-each-ref", "refs/heads"]) == heads_before,
            "a refused take changed refs/heads",
        );
        c.check(
            std::fs::read(s.path("_ctx/jobs/pending/WO-0001.yaml")).ok() == Some(yaml),
            "a refused take changed the pending YAML",
        );
    }
    c.done();
}

/// Whether `line` has a command substitution `$(` that is not inside single quotes.
fn has_unquoted_substitution(line: &str) -> bool {
    let b: Vec<char> = line.chars().collect();
    let (mut i, mut single, mut double) = (0, false, false);
    while i < b.len() {
        let ch = b[i];
        if single {
            single = ch != '\'';
            i += 1;
            continue;
        }
        match ch {
            '\\' => i += 1,
            '\'' if !double => single = true,
            '"' => double = !double,
            '$' if b.get(i + 1) == Some(&'(') => return true,
            _ => {}
        }
        i += 1;
    }
    false
}

/// The text after `fix:` on every line that has one.
fn fix_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split_once("fix:").map(|(_, f)| f.trim().to_owned()))
        .filter(|f| !f.is_empty())
        .collect()
}

/// 2. Fix hints are safe to paste in a shell, whatever the YAML says.
#[test]
fn defect_02_fix_hints_do_not_run_yaml_text_in_a_shell() {
    let s = Scenario::build("empty");
    // A title with command substitutions.
    write(
        &s,
        "_ctx/jobs/pending/WO-0001.yaml",
        &wo_yaml_titled("WO-0001", "pending", "'x $(touch pwned) `touch pwned`'", ""),
    );
    // Branch names with shell metacharacters (valid ref names).
    write(
        &s,
        "_ctx/jobs/pending/WO-0002.yaml",
        &wo_yaml_titled(
            "WO-0002",
            "pending",
            "Branchy",
            "branch: 'feat/$(touch${IFS}pwned)'\n",
        ),
    );
    write(
        &s,
        "_ctx/jobs/pending/WO-0003.yaml",
        &wo_yaml_titled(
            "WO-0003",
            "pending",
            "Blocked",
            "branch: 'feat/3-$(touch${IFS}pwned)'\n",
        ),
    );
    // A split-brain WO whose second file has a hostile name.
    write(
        &s,
        "_ctx/jobs/pending/WO-0014 $(touch pwned).yaml",
        &wo_yaml_titled("WO-0014", "pending", "Split", ""),
    );
    write(
        &s,
        "_ctx/jobs/done/WO-0014.yaml",
        &wo_yaml_titled("WO-0014", "done", "Split", ""),
    );
    s.commit_all("hostile work orders");
    let (code, _, err) = s.run(&["init"]);
    assert!(code == 0 || code == 1, "init: {err}");

    let mut hints: Vec<(String, String)> = Vec::new();
    let mut add = |source: &str, lines: Vec<String>| {
        for l in lines {
            hints.push((source.to_owned(), l));
        }
    };
    // WO-0001: taken, then its intent marker lost -> missing_intent_marker (hint has the title).
    let (code, _, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 0, "take WO-0001: {err}");
    // WO-0002: taken, then its worktree switched away -> branch_mismatch (hint has the branch).
    let (code, _, err) = s.run(&["take", "WO-0002"]);
    assert_eq!(code, 0, "take WO-0002: {err}");
    s.git_at(&s.worktree("WO-0002"), &["switch", "-q", "-c", "elsewhere"]);
    s.git(&["update-ref", "-d", "refs/notes/wo"]);
    // WO-0003: its worktree path is taken by a worktree on another branch -> take fails.
    let wt3 = s.worktree("WO-0003");
    s.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "other3",
        wt3.to_str().unwrap(),
    ]);
    let (code, _, err) = s.run(&["take", "WO-0003"]);
    assert_ne!(code, 0, "take WO-0003 must fail (worktree on other3)");
    add("take WO-0003 (stderr)", fix_lines(&err));
    let (_, _, err) = s.run(&["take", "WO-0014"]);
    add("take WO-0014 (stderr)", fix_lines(&err));

    let (_, report) = s.json(&["audit"]);
    let json_hints: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["hint"].as_str().map(str::to_owned))
        .collect();
    assert!(
        json_hints.iter().any(|h| h.contains("pwned")),
        "precondition: some audit hint is built from the hostile text: {report}"
    );
    add("audit --json hint", json_hints);
    let (_, text, _) = s.run(&["audit"]);
    add("audit (stdout)", fix_lines(&text));
    for id in ["WO-0001", "WO-0002", "WO-0003", "WO-0014"] {
        let (_, out, err) = s.run(&["show", id]);
        add(&format!("show {id}"), fix_lines(&format!("{out}\n{err}")));
        let (_, v) = s.json(&["show", id]);
        if let Some(fs) = v["findings"].as_array() {
            add(
                &format!("show --json {id}"),
                fs.iter()
                    .filter_map(|f| f["hint"].as_str().map(str::to_owned))
                    .collect(),
            );
        }
    }
    let (_, lint) = s.json(&["lint"]);
    if let Some(ps) = lint["problems"].as_array() {
        add(
            "lint --json fix",
            ps.iter()
                .filter_map(|p| p["fix"].as_str().map(str::to_owned))
                .collect(),
        );
    }
    hints.sort();
    hints.dedup();

    let mut c = Checks::default();
    for (source, hint) in &hints {
        c.check(
            !has_unquoted_substitution(hint),
            format!("{source}: `$(` outside single quotes: {hint}"),
        );
        // Paste it into a shell in an empty folder: nothing may be created there.
        let dir = tempfile::tempdir().unwrap();
        let mut sh = Command::new("sh");
        sh.arg("-c").arg(hint).current_dir(dir.path());
        common::isolate(&mut sh, dir.path());
        let _ = sh
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        c.check(
            !dir.path().join("pwned").exists(),
            format!("{source}: `sh -c` of this hint ran YAML text (created `pwned`): {hint}"),
        );
    }
    c.done();
}

/// 3. A finish that lost its lease mid-way must not touch the new holder's WO.
#[test]
fn defect_03_finish_that_lost_its_lease_leaves_the_new_holder_alone() {
    let s = repo_with(&[("WO-0001", "verify:\n  commands: [\"true\"]\n")]);
    let (code, _, err) = s.run(&["take", "WO-0001", "--lease", "1s"]);
    assert_eq!(code, 0, "{err}");
    let wt = s.worktree("WO-0001");
    commit_in(&s, &wt, "hello.txt", "hello\n");

    // alice's finish, held right after it recorded phase finishing.
    let mut finish = s.spawn_paused(
        &wt,
        &["finish", "--result", "done"],
        "finish:after-finishing",
    );
    s.expire_lease("WO-0001");
    // The lease expired: requeue takes the WO back from the stalled finish (its record
    // moves under it), and the finish, released, must then touch nothing of bob's.
    let (rq, rq_out, rq_err) = s.run(&["requeue", "WO-0001", "--reason", "holder vanished"]);
    assert_eq!(
        rq, 0,
        "requeue of an expired finishing lease: {rq_out}{rq_err}"
    );
    let mut c = Checks::default();
    let (code, out, err) = s.run(&["take", "WO-0001", "--owner", "bob"]);
    assert_eq!(code, 0, "bob's take: {out}{err}");
    let bob_record = record_commit(&s, "WO-0001");
    let bob_admin = admin_dir(&s, &wt);
    let bob_session = std::fs::read_to_string(bob_admin.join("wo-session")).unwrap();
    let tip = s.git(&["rev-parse", "feat/wo-WO-0001"]);

    let (code, out, err) = finish.release();
    c.check(
        code == 3,
        format!("the stale finish must stop with exit 3, got {code}: {out}{err}"),
    );
    c.check(
        wt.join(".git").exists() && wt.join("hello.txt").exists(),
        format!("bob's worktree {} was removed", wt.display()),
    );
    c.check(
        s.git(&["worktree", "list", "--porcelain"])
            .contains("locked git-wo WO-0001 token=2"),
        "bob's worktree lost its git-wo lock (token=2)",
    );
    c.check(
        std::fs::read_to_string(bob_admin.join("wo-session")).ok() == Some(bob_session),
        "bob's session file in the worktree was removed or changed",
    );
    c.check(
        s.git(&["rev-parse", "feat/wo-WO-0001"]) == tip,
        "the branch moved or vanished",
    );
    c.check(
        yaml_copies(&s, "WO-0001") == ["running"],
        format!(
            "YAML must stay in running/, is in {:?}",
            yaml_copies(&s, "WO-0001")
        ),
    );
    let running =
        std::fs::read_to_string(s.path("_ctx/jobs/running/WO-0001.yaml")).unwrap_or_default();
    c.check(
        running.contains("owner: bob") && running.contains("status: running"),
        format!("running YAML no longer bob's:\n{running}"),
    );
    c.check(
        std::fs::read_to_string(s.path("_ctx/jobs/running/WO-0001.lock"))
            .is_ok_and(|l| l.contains("User: bob")),
        "bob's .lock file is gone",
    );
    c.check(
        record_commit(&s, "WO-0001") == bob_record,
        "the record moved after bob's take",
    );
    c.done();
}

/// 4. `take --resume` while the original take is alive is a conflict.
#[test]
fn defect_04_resume_of_a_live_take_is_a_conflict() {
    let s = repo_with(&[("WO-0001", "")]);
    let mut take = s.spawn_paused(&s.repo, &["take", "WO-0001"], "take:after-worktree");
    let (code, out, err) = s.run(&["take", "WO-0001", "--resume"]);
    let mut c = Checks::default();
    c.check(
        code == 3,
        format!("resume of a live take must exit 3, got {code}: {out}{err}"),
    );
    c.check(
        err.contains("alice") || err.contains(&take.pid.to_string()),
        format!(
            "the conflict must name the live holder (alice, pid {}): {err}",
            take.pid
        ),
    );
    let (code, out, err) = take.release();
    c.check(
        code == 0,
        format!("the original take must complete, got {code}: {out}{err}"),
    );
    c.check(
        yaml_copies(&s, "WO-0001") == ["running"],
        format!("YAML in {:?}, not running/", yaml_copies(&s, "WO-0001")),
    );
    c.check(
        s.git(&["branch", "--list", "feat/wo-WO-0001"]).trim() != "",
        "branch feat/wo-WO-0001 is gone",
    );
    c.check(
        s.worktree("WO-0001").join(".git").exists(),
        "worktree is gone",
    );
    c.check(
        s.path("_ctx/jobs/running/WO-0001.lock").exists(),
        ".lock is missing",
    );
    let (_, report) = s.json(&["audit"]);
    c.check(
        findings_for(&report, "WO-0001").is_empty(),
        format!(
            "audit findings for WO-0001: {:?}",
            codes_for(&report, "WO-0001")
        ),
    );
    c.done();
}

/// Tracked files of `rev` missing from `wt`, and `git status --porcelain` of `wt`.
fn checkout_damage(s: &Scenario, wt: &Path, rev: &str) -> (Vec<String>, String) {
    let files = s.git(&["ls-tree", "-r", "--name-only", rev]);
    let missing = files
        .lines()
        .filter(|f| !wt.join(f).exists())
        .map(str::to_owned)
        .collect();
    (missing, s.git_at(wt, &["status", "--porcelain"]))
}

/// 5. A half-checked-out worktree is not reused as it is.
#[test]
fn defect_05_resume_verifies_the_worktree_checkout() {
    let s = repo_with(&[("WO-0001", "")]);
    crash(&s, &s.repo, "take:after-worktree", &["take", "WO-0001"]);
    let wt = s.worktree("WO-0001");
    assert!(wt.join(".git").exists());
    // What a kill -9 during checkout leaves: files missing, deletions staged.
    s.git_at(&wt, &["rm", "-q", "README.md"]);
    std::fs::remove_file(wt.join("_ctx/jobs/done/.gitkeep")).unwrap();

    let (code, out, err) = s.run(&["take", "WO-0001", "--resume"]);
    let (missing, status) = checkout_damage(&s, &wt, "feat/wo-WO-0001");
    let broken = !missing.is_empty() || !status.trim().is_empty();
    // The resume repairs the checkout (what the branch holds is put back) and succeeds.
    let mut c = Checks::default();
    c.check(code == 0, format!("resume failed: exit {code}: {out}{err}"));
    c.check(
        !broken,
        format!(
            "resume left a half-checked-out worktree: missing {missing:?}, status:\n{status}{out}{err}"
        ),
    );
    let (audit_code, report) = s.json(&["audit"]);
    c.check(
        audit_code == 0 && findings_for(&report, "WO-0001").is_empty(),
        format!("after the resume, audit is not clean: {report}"),
    );
    c.done();
}

/// 6. `heartbeat --force` during a take or a finish in flight breaks neither.
#[test]
fn defect_06_forced_heartbeat_during_a_transition() {
    let mut c = Checks::default();
    // (a) during a take, held before it creates the `.lock`.
    {
        let s = repo_with(&[("WO-0001", "")]);
        let mut take = s.spawn_paused(&s.repo, &["take", "WO-0001"], "take:after-move");
        let (hb, hb_out, hb_err) = s.run(&["heartbeat", "WO-0001", "--force"]);
        let (code, out, err) = take.release();
        c.check(
            code == 0 && (hb == 0 || hb == 3),
            format!(
                "take: heartbeat --force exit {hb} ({hb_out}{hb_err}) broke the take: exit {code}: {out}{err}"
            ),
        );
        if code == 0 {
            c.check(
                record_of(&s, "WO-0001")["phase"] == "active",
                "take: record not active after the take",
            );
        }
        let lock = s.path("_ctx/jobs/running/WO-0001.lock").exists();
        c.check(
            !lock || yaml_copies(&s, "WO-0001") == ["running"],
            format!(
                "take: stray .lock for WO-0001 in {:?}",
                yaml_copies(&s, "WO-0001")
            ),
        );
    }
    // (b) during a finish, held after it removed the `.lock`.
    {
        let s = repo_with(&[("WO-0001", "")]);
        assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
        let wt = s.worktree("WO-0001");
        commit_in(&s, &wt, "hello.txt", "hello\n");
        let mut finish = s.spawn_paused(&wt, &["finish", "--result", "done"], "finish:after-move");
        let (hb, hb_out, hb_err) = s.run(&["heartbeat", "WO-0001", "--force"]);
        let (code, out, err) = finish.release();
        c.check(
            code == 0 && (hb == 0 || hb == 3),
            format!(
                "finish: heartbeat --force exit {hb} ({hb_out}{hb_err}) broke the finish: exit {code}: {out}{err}"
            ),
        );
        if code == 0 {
            let r = record_of(&s, "WO-0001");
            c.check(
                r["state"] == "done" && r["phase"] == "idle",
                format!("finish: record {} / {}", r["state"], r["phase"]),
            );
        }
        let lock = s.path("_ctx/jobs/running/WO-0001.lock").exists();
        c.check(
            !lock || yaml_copies(&s, "WO-0001") == ["running"],
            format!(
                "finish: stray .lock for WO-0001 in {:?}",
                yaml_copies(&s, "WO-0001")
            ),
        );
    }
    c.done();
}

/// 7. take never turns valid YAML into invalid YAML.
#[test]
fn defect_07_take_keeps_unusual_yaml_valid() {
    let body = |id: &str| wo_yaml_titled(id, "pending", "Plain", "");
    let cases: Vec<(&str, &str, String)> = vec![
        (
            "WO-0001",
            "flow mapping",
            "{version: 1, id: WO-0001, epic_id: E-1, title: Flow, priority: P2, status: pending, dod_id: DOD-STD, execution: {mode: agent}}\n".to_owned(),
        ),
        (
            "WO-0002",
            "quoted keys",
            "\"version\": 1\n\"id\": WO-0002\n\"epic_id\": E-1\n\"title\": Quoted\n\"priority\": P2\n\"status\": pending\n\"dod_id\": DOD-STD\n\"execution\":\n  mode: agent\n".to_owned(),
        ),
        (
            "WO-0003",
            "second document",
            format!("{}---\nnotes: a second document\n", body("WO-0003")),
        ),
        (
            "WO-0004",
            "document end marker",
            format!("{}...\n", body("WO-0004")),
        ),
        (
            "WO-0005",
            "space before the colon",
            body("WO-0005").replace("status: pending", "status : pending"),
        ),
    ];
    let s = Scenario::build("empty");
    for (id, _, text) in &cases {
        write(&s, &format!("_ctx/jobs/pending/{id}.yaml"), text);
    }
    s.commit_all("unusual yaml");
    let (code, _, err) = s.run(&["init"]);
    assert!(code == 0 || code == 1, "init: {err}");

    let mut c = Checks::default();
    for (id, what, text) in &cases {
        let (code, out, err) = s.run(&["take", id]);
        let pending = s.path(&format!("_ctx/jobs/pending/{id}.yaml"));
        let running = s.path(&format!("_ctx/jobs/running/{id}.yaml"));
        match code {
            2 => {
                c.check(
                    std::fs::read_to_string(&pending).ok().as_ref() == Some(text),
                    format!("{what}: refused but the file changed"),
                );
                c.check(
                    err.contains(&format!("{id}.yaml")),
                    format!("{what}: the refusal does not name the file: {err}"),
                );
                let (lc, lint) = s.json(&["lint", id]);
                c.check(
                    lc != 0,
                    format!("{what}: take refused it but lint passes it: {lint}"),
                );
            }
            0 => {
                let after = std::fs::read_to_string(&running).unwrap_or_default();
                let parsed = serde_yaml::from_str::<serde_yaml::Value>(&after);
                match parsed {
                    Err(e) => c.check(
                        false,
                        format!("{what}: take wrote invalid YAML ({e}):\n{after}"),
                    ),
                    Ok(v) => {
                        c.check(
                            v["status"] == "running"
                                && v["owner"].is_string()
                                && v["branch"].is_string()
                                && v["worktree"].is_string()
                                && v["started_at"].is_string(),
                            format!("{what}: take fields missing:\n{after}"),
                        );
                    }
                }
                let (_, lint) = s.json(&["lint", id]);
                c.check(
                    !lint["problems"].to_string().contains("unparsable")
                        && lint["problems"].as_array().is_some_and(|p| p.is_empty()),
                    format!("{what}: lint after take: {lint}"),
                );
                let (_, report) = s.json(&["audit"]);
                let bad =
                    report["findings"].as_array().unwrap().iter().any(|f| {
                        f["code"] == "invalid_yaml" && f["paths"].to_string().contains(id)
                    });
                c.check(
                    !bad,
                    format!("{what}: audit reports invalid_yaml after take"),
                );
            }
            _ => c.check(false, format!("{what}: take exit {code}: {out}{err}")),
        }
    }
    c.done();
}

const PWD_VERIFY: &str = "verify:\n  commands:\n    - 'pwd -P >> \"$HOME/verify-cwd.txt\"'\n";

/// Point running `a`'s YAML `worktree:` at `b`'s worktree, finish `a` from its own
/// worktree, and check that only `a`'s worktree was used and removed.
fn finish_with_lying_worktree(c: &mut Checks, case: &str, s: &Scenario, a: &str, b: &str) {
    let (wa, wb) = (s.worktree(a), s.worktree(b));
    commit_in(s, &wa, "a.txt", "hello\n");
    commit_in(s, &wb, "b.txt", "hello\n");
    let b_head = s.git_at(&wb, &["rev-parse", "HEAD"]);
    let b_session = std::fs::read_to_string(admin_dir(s, &wb).join("wo-session")).ok();
    let rel = format!("_ctx/jobs/running/{a}.yaml");
    let yaml = s.read(&rel);
    let own = format!("worktree: ../.worktrees/{a}");
    assert!(yaml.contains(&own), "{yaml}");
    std::fs::write(
        s.path(&rel),
        yaml.replace(&own, &format!("worktree: ../.worktrees/{b}")),
    )
    .unwrap();

    let a_path = std::fs::canonicalize(&wa).unwrap();
    let (code, out, err) = s.run_in(&wa, &["finish", "--result", "done"]);
    c.check(
        code == 0,
        format!("{case}: finish {a}: exit {code}: {out}{err}"),
    );
    let cwd = std::fs::read_to_string(s.tmp.path().join("verify-cwd.txt")).unwrap_or_default();
    c.check(
        Path::new(cwd.trim()) == a_path,
        format!(
            "{case}: verify of {a} ran in {:?}, not in its worktree {}",
            cwd.trim(),
            a_path.display()
        ),
    );
    c.check(
        wb.join(".git").exists() && wb.join("b.txt").exists(),
        format!("{case}: {b}'s worktree {} was removed", wb.display()),
    );
    if wb.join(".git").exists() {
        c.check(
            s.git_at(&wb, &["rev-parse", "HEAD"]) == b_head
                && s.git_at(&wb, &["status", "--porcelain"]).trim().is_empty(),
            format!("{case}: {b}'s worktree was changed"),
        );
        c.check(
            std::fs::read_to_string(admin_dir(s, &wb).join("wo-session")).ok() == b_session,
            format!("{case}: {b}'s session file was changed"),
        );
    }
    c.check(
        yaml_copies(s, b) == ["running"] && s.path(&format!("_ctx/jobs/running/{b}.lock")).exists(),
        format!("{case}: {b}'s YAML or .lock was touched"),
    );
    c.check(
        !wa.exists(),
        format!("{case}: {a}'s own (clean) worktree was not removed"),
    );
}

/// 8. finish works in the WO's own worktree, whatever its YAML's `worktree:` says.
#[test]
fn defect_08_finish_ignores_a_lying_worktree_field() {
    let mut c = Checks::default();
    // (a) A and B both taken with git wo.
    let s = repo_with(&[("WO-0001", PWD_VERIFY), ("WO-0002", "")]);
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    assert_eq!(s.run(&["take", "WO-0002"]).0, 0);
    finish_with_lying_worktree(&mut c, "both taken", &s, "WO-0001", "WO-0002");
    // (b) B is a running WO from before git-wo (fixture `clean`: WO-0010, worktree,
    // lock, no record); A = WO-0020 taken with git wo.
    let s = Scenario::build("clean");
    s.write_wo("pending", "WO-0020", PWD_VERIFY);
    s.commit_all("wo");
    assert_eq!(s.run(&["take", "WO-0020"]).0, 0);
    finish_with_lying_worktree(&mut c, "B without a record", &s, "WO-0020", "WO-0010");
    c.done();
}

/// 9. After a crash around the worktree removal, a plain finish by the holder completes.
#[test]
fn defect_09_finish_rerun_after_a_crash_needs_no_force() {
    let mut c = Checks::default();
    for case in ["after-marker", "after-worktree", "mid-removal"] {
        let s = repo_with(&[("WO-0001", "")]);
        assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
        let wt = s.worktree("WO-0001");
        commit_in(&s, &wt, "hello.txt", "hello\n");
        let step = if case == "after-worktree" {
            "finish:after-release"
        } else {
            "finish:after-marker"
        };
        crash(&s, &wt, step, &["finish", "--result", "done"]);
        if case == "mid-removal" {
            // A kill -9 inside `git worktree remove`: some files deleted, `.git` left.
            std::fs::remove_file(wt.join("hello.txt")).unwrap();
            std::fs::remove_file(wt.join("README.md")).unwrap();
        }
        let (code, out, err) = if wt.exists() {
            s.run_in(&wt, &["finish", "--result", "done"])
        } else {
            s.run(&["finish", "WO-0001", "--result", "done"])
        };
        c.check(
            code == 0,
            format!("{case}: plain re-run of finish: exit {code}: {out}{err}"),
        );
        c.check(
            yaml_copies(&s, "WO-0001") == ["done"],
            format!("{case}: YAML in {:?}", yaml_copies(&s, "WO-0001")),
        );
        let (_, report) = s.json(&["audit"]);
        c.check(
            findings_for(&report, "WO-0001").is_empty(),
            format!(
                "{case}: audit findings for WO-0001: {:?}",
                codes_for(&report, "WO-0001")
            ),
        );
        c.check(
            !wt.exists() && !s.git(&["worktree", "list"]).contains("WO-0001"),
            format!("{case}: the worktree (or its metadata) is still there"),
        );
    }
    c.done();
}

/// 10. heartbeat refuses a symlinked state folder, like every other command.
#[test]
fn defect_10_heartbeat_refuses_a_symlinked_state_folder() {
    let s = repo_with(&[("WO-0001", "")]);
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let wt = s.worktree("WO-0001");
    let outside = s.tmp.path().join("outside_running");
    std::fs::rename(s.path("_ctx/jobs/running"), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, s.path("_ctx/jobs/running")).unwrap();
    std::fs::remove_file(outside.join("WO-0001.lock")).unwrap();
    let (code, _, err) = s.run(&["audit"]);
    assert_eq!(code, 2, "precondition: audit refuses the symlink: {err}");
    let before = record_commit(&s, "WO-0001");

    let mut c = Checks::default();
    for (dir, args) in [
        (&wt, vec!["heartbeat"]),
        (&s.repo, vec!["heartbeat", "WO-0001", "--force"]),
    ] {
        let (code, out, err) = s.run_in(dir, &args);
        c.check(
            code == 2 && err.contains("symlink"),
            format!("{args:?}: exit {code}: {out}{err}"),
        );
    }
    c.check(
        !outside.join("WO-0001.lock").exists(),
        "heartbeat created a .lock through the symlink, outside the repository",
    );
    c.check(
        record_commit(&s, "WO-0001") == before,
        "heartbeat renewed the record despite the symlinked folder",
    );
    c.done();
}

/// 11. finish keeps a worktree that holds work git status does not show.
#[test]
fn defect_11_finish_keeps_worktrees_with_hidden_work() {
    let mut c = Checks::default();
    for case in ["assume-unchanged", "skip-worktree", "nested-repo"] {
        let s = Scenario::build("empty");
        std::fs::write(s.path(".gitignore"), "node_modules/\n").unwrap();
        s.write_wo("pending", "WO-0001", "");
        s.commit_all("wo");
        assert_eq!(s.run(&["init"]).0, 0);
        assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
        let wt = s.worktree("WO-0001");
        let precious: PathBuf;
        match case {
            "assume-unchanged" | "skip-worktree" => {
                s.git_at(&wt, &["update-index", &format!("--{case}"), "README.md"]);
                precious = wt.join("README.md");
                std::fs::write(&precious, "local edit nobody committed\n").unwrap();
            }
            _ => {
                let nested = wt.join("node_modules/pkg");
                std::fs::create_dir_all(&nested).unwrap();
                s.git_at(&nested, &["init", "-q"]);
                precious = nested.join("patch.js");
                std::fs::write(&precious, "local edit nobody committed\n").unwrap();
                s.git_at(&nested, &["add", "patch.js"]);
                s.git_at(
                    &nested,
                    &[
                        "-c",
                        "user.name=a",
                        "-c",
                        "user.email=a@example.com",
                        "commit",
                        "-q",
                        "-m",
                        "unpushed",
                    ],
                );
            }
        }
        let (code, v) = s.json_in(&wt, &["finish", "--result", "done", "--allow-empty"]);
        c.check(
            code == 1,
            format!("{case}: finish exit {code} (1: work left): {v}"),
        );
        c.check(
            wt.exists() && v["worktree_removed"] == false,
            format!("{case}: the worktree was removed with its hidden work: {v}"),
        );
        c.check(
            v["worktree_kept_because"]
                .as_array()
                .is_some_and(|a| !a.is_empty()),
            format!("{case}: finish does not say why it kept the worktree: {v}"),
        );
        c.check(
            std::fs::read_to_string(&precious).ok().as_deref()
                == Some("local edit nobody committed\n"),
            format!("{case}: {} lost", precious.display()),
        );
    }
    c.done();
}

// ---------------------------------------------------------------------------
// Extras
// ---------------------------------------------------------------------------

/// A `.lock` that is a directory or a symlink is reported and handled.
#[test]
fn lock_is_directory_or_symlink() {
    let s = repo_with(&[
        ("WO-0001", ""),
        ("WO-0002", ""),
        ("WO-0003", ""),
        ("WO-0004", ""),
    ]);
    assert_eq!(s.run(&["take", "WO-0002"]).0, 0);
    assert_eq!(s.run(&["take", "WO-0003", "--lease", "1s"]).0, 0);
    assert_eq!(s.run(&["take", "WO-0004"]).0, 0);
    let lock = |id: &str| s.path(&format!("_ctx/jobs/running/{id}.lock"));
    // WO-0001 (pending): a directory; WO-0002: a symlink out of the repository;
    // WO-0003 (stale) and WO-0004: directories.
    std::fs::create_dir(lock("WO-0001")).unwrap();
    let outside = s.tmp.path().join("outside.lock");
    std::fs::rename(lock("WO-0002"), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, lock("WO-0002")).unwrap();
    let outside_text = std::fs::read_to_string(&outside).unwrap();
    for id in ["WO-0003", "WO-0004"] {
        std::fs::remove_file(lock(id)).unwrap();
        std::fs::create_dir(lock(id)).unwrap();
    }
    s.expire_lease("WO-0003");

    let mut c = Checks::default();
    let (code, report) = s.json(&["audit"]);
    c.check(code == 1, format!("audit exit {code}"));
    for id in ["WO-0001", "WO-0002", "WO-0003", "WO-0004"] {
        let name = format!("{id}.lock");
        let named = findings_for(&report, id).iter().any(|f| {
            f["message"].to_string().contains(&name) || f["paths"].to_string().contains(&name)
        });
        c.check(
            named,
            format!(
                "audit has no finding about {id}.lock (a {}): {:?}",
                if id == "WO-0002" {
                    "symlink"
                } else {
                    "directory"
                },
                codes_for(&report, id)
            ),
        );
    }
    // Each command: success, or a clear refusal that names the lock and changes nothing.
    let mut run = |what: &str, dir: &Path, args: &[&str], id: &str| {
        let yaml_before = yaml_copies(&s, id);
        let rec_before = record_commit(&s, id);
        let (code, out, err) = s.run_in(dir, args);
        c.check(!panicked(code, &err), format!("{what}: panicked: {err}"));
        if code != 0 {
            c.check(
                err.contains(&format!("{id}.lock")),
                format!("{what}: exit {code} without naming {id}.lock: {out}{err}"),
            );
            c.check(
                yaml_copies(&s, id) == yaml_before && record_commit(&s, id) == rec_before,
                format!(
                    "{what}: failed (exit {code}) half-way: YAML {yaml_before:?} -> {:?}, record moved: {}",
                    yaml_copies(&s, id),
                    record_commit(&s, id) != rec_before
                ),
            );
        }
        c.check(
            std::fs::read_to_string(&outside).ok().as_deref() == Some(outside_text.as_str()),
            format!("{what}: followed the WO-0002.lock symlink and changed its target"),
        );
    };
    let repo = s.repo.clone();
    run("take WO-0001", &repo, &["take", "WO-0001"], "WO-0001");
    run(
        "heartbeat WO-0002",
        &s.worktree("WO-0002"),
        &["heartbeat"],
        "WO-0002",
    );
    run(
        "heartbeat WO-0004",
        &s.worktree("WO-0004"),
        &["heartbeat"],
        "WO-0004",
    );
    run(
        "requeue WO-0003",
        &repo,
        &["requeue", "WO-0003", "--reason", "x"],
        "WO-0003",
    );
    run(
        "finish WO-0004",
        &s.worktree("WO-0004"),
        &["finish", "--result", "done"],
        "WO-0004",
    );
    run(
        "finish WO-0002",
        &s.worktree("WO-0002"),
        &["finish", "--result", "done"],
        "WO-0002",
    );
    c.check(outside.exists(), "the symlink's target was deleted");
    c.done();
}

/// Leftovers of a kill -9 (a temp file in a state folder, a git ref lock) are reported.
#[test]
fn kill9_leftovers_reported() {
    let s = repo_with(&[("WO-0001", ""), ("WO-0002", "")]);
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let tmp = s.path("_ctx/jobs/running/.git-wo-Xa81Qz.tmp");
    std::fs::write(&tmp, "version: 1\nid: WO-0001\nstat").unwrap();
    let ref_lock = s.repo.join(".git/refs/heads/feat/wo-WO-0002.lock");
    std::fs::create_dir_all(ref_lock.parent().unwrap()).unwrap();
    std::fs::write(&ref_lock, "").unwrap();
    // A killed process's files are old by the time anyone looks; a live writer's files
    // (younger than a minute) are not leftovers.
    let two_minutes_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(120);
    for p in [&tmp, &ref_lock] {
        std::fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(two_minutes_ago)
            .unwrap();
    }

    let (_, report) = s.json(&["audit"]);
    let text = report["findings"].to_string();
    let mut c = Checks::default();
    let tmp_reported = text.contains(".git-wo-Xa81Qz.tmp");
    let lock_reported = text.contains("feat/wo-WO-0002.lock");
    if !(tmp_reported && lock_reported) {
        // Or the next operation cleans them up and says so.
        let (code, out, err) = s.run(&["take", "WO-0002"]);
        let said = format!("{out}{err}");
        c.check(
            tmp_reported || (!tmp.exists() && said.contains(".git-wo-Xa81Qz.tmp")),
            format!("temp file {} neither reported by audit nor cleaned with a message (take: exit {code}: {said})", tmp.display()),
        );
        c.check(
            lock_reported || (code == 0 && !ref_lock.exists() && said.contains("feat/wo-WO-0002.lock")),
            format!("ref lock {} neither reported by audit nor cleaned with a message (take: exit {code}: {said})", ref_lock.display()),
        );
    }
    c.done();
}

/// A record ref that holds no record is `invalid_record` with a fix, everywhere.
#[test]
fn corrupt_record_ref_says_invalid_record() {
    let s = Scenario::build("empty");
    s.write_wo("pending", "WO-0001", "");
    s.write_wo("pending", "WO-0002", "");
    s.commit_all("wo");
    let blob = s.git(&["hash-object", "-w", "README.md"]).trim().to_owned();
    let commit = s
        .git(&["commit-tree", "HEAD^{tree}", "-m", "not a record"])
        .trim()
        .to_owned();
    s.git(&["update-ref", "refs/wo/orders/WO-0001", &blob]);
    s.git(&["update-ref", "refs/wo/orders/WO-0002", &commit]);

    let mut c = Checks::default();
    let says = |c: &mut Checks, what: &str, id: &str, out: &str| {
        c.check(
            out.contains("invalid_record") && out.contains(id) && out.contains("fix"),
            format!("{what}: does not say invalid_record for {id} with a fix: {out}"),
        );
        c.check(
            !out.contains("changed under us"),
            format!("{what}: says \"changed under us\": {out}"),
        );
    };
    let (_, out, err) = s.run(&["init"]);
    for id in ["WO-0001", "WO-0002"] {
        says(&mut c, "init", id, &format!("{out}{err}"));
    }
    for id in ["WO-0001", "WO-0002"] {
        let before = record_commit(&s, id);
        let (code, out, err) = s.run(&["take", id]);
        c.check(
            code != 0,
            format!("take {id} succeeded over a corrupt record"),
        );
        says(&mut c, &format!("take {id}"), id, &format!("{out}{err}"));
        c.check(
            record_commit(&s, id) == before,
            format!("take {id} moved the corrupt ref"),
        );
        let (_, out, err) = s.run(&["show", id]);
        says(&mut c, &format!("show {id}"), id, &format!("{out}{err}"));
    }
    c.done();
}

/// A take interrupted before its intent marker and then requeued owes no marker.
#[test]
fn requeue_interrupted_take_has_no_missing_intent_marker() {
    let mut c = Checks::default();
    for step in [
        "after-claim",
        "after-branch",
        "after-worktree",
        "after-move",
        "after-lockfile",
    ] {
        let s = repo_with(&[("WO-0001", "")]);
        crash(&s, &s.repo, &format!("take:{step}"), &["take", "WO-0001"]);
        let (code, out, err) = s.run(&["requeue", "WO-0001", "--reason", "x"]);
        c.check(
            code == 0,
            format!("{step}: requeue exit {code}: {out}{err}"),
        );
        let (_, report) = s.json(&["audit"]);
        let codes = codes_for(&report, "WO-0001");
        c.check(
            !codes.iter().any(|c| c == "missing_intent_marker"),
            format!("{step}: audit after requeue: {codes:?}"),
        );
    }
    c.done();
}
