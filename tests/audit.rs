//! audit, check, lint, list, show and snapshot on the scenario repositories of
//! `fixtures/scenario.sh` (real `git worktree add`, real binary).

use crate::common;

use common::{Scenario, codes};

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list
        .iter()
        .map(|(c, i)| (c.to_string(), i.to_string()))
        .collect();
    v.sort();
    v
}

#[test]
fn each_bad_state_gets_exactly_its_finding() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("clean", &[]),
        ("empty", &[]),
        ("split_brain", &[("split_brain", "WO-0014")]),
        ("duplicate_yaml", &[("duplicate_yaml", "WO-0020")]),
        (
            "invalid_yaml",
            // Each by its file's stem (SPEC §1), the invalid `id:` of WO-0032 too.
            &[
                ("invalid_yaml", "WO-0030"),
                ("invalid_yaml", "WO-0031"),
                ("invalid_yaml", "WO-0032"),
            ],
        ),
        ("status_mismatch", &[("status_mismatch", "WO-0040")]),
        (
            "running_without_lock",
            &[("running_without_lock", "WO-0050")],
        ),
        (
            "lock_without_running",
            &[("lock_without_running", "WO-0060")],
        ),
        ("stale_lock", &[("stale_lock", "WO-0070")]),
        ("ghost", &[("ghost_worktree", "WO-0052")]),
        (
            "zombie",
            &[
                ("zombie_worktree", "WO-0080"),
                ("zombie_worktree", "WO-0081"),
            ],
        ),
        (
            "running_without_worktree",
            &[("running_without_worktree", "WO-0090")],
        ),
        (
            "prunable",
            &[
                ("prunable_worktree", "WO-0091"),
                ("running_without_worktree", "WO-0091"),
            ],
        ),
        ("branch_mismatch", &[("branch_mismatch", "WO-0092")]),
        ("fail_but_running", &[("fail_but_running", "WO-0093")]),
    ];
    for (scenario, expected) in cases {
        let s = Scenario::build(scenario);
        let (code, report) = s.json(&["audit"]);
        assert_eq!(codes(&report), pairs(expected), "{scenario}");
        assert_eq!(code, if expected.is_empty() { 0 } else { 1 }, "{scenario}");
        for f in report["findings"].as_array().unwrap() {
            assert!(
                !f["hint"].as_str().unwrap().is_empty(),
                "{scenario}: every finding has a fix"
            );
            assert!(!f["invariant_violated"].as_str().unwrap().is_empty());
            assert!(
                !f["paths"].as_array().unwrap().is_empty(),
                "{scenario}: every finding names a path: {f}"
            );
        }
    }
}

#[test]
fn baseline_reproduces_the_plans_table() {
    let s = Scenario::build("baseline");
    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 1);
    let sum = &report["summary"];
    assert_eq!(sum["worktrees_active"], 14);
    assert_eq!(sum["yamls_total"], 60);
    assert_eq!(
        sum["locks_active"],
        serde_json::json!(["WO-0015", "WO-0055", "WO-0057"])
    );
    assert_eq!(sum["by_code"]["split_brain"], 5);
    assert_eq!(sum["by_code"]["ghost_worktree"], 1);
    assert_eq!(sum["by_code"]["zombie_worktree"], 8);
    // The running family is reported for split-brain WOs too, as the original does.
    assert_eq!(sum["by_code"]["running_without_lock"], 2);
    assert_eq!(sum["by_code"]["running_without_worktree"], 2);
    assert_eq!(sum["total_findings"], 18, "nothing else: {report}");
    assert_eq!(sum["by_severity"]["P0"], 8);
    assert_eq!(sum["by_severity"]["P1"], 10);
    let of = |code: &str| -> Vec<String> {
        codes(&report)
            .into_iter()
            .filter(|(c, _)| c == code)
            .map(|(_, id)| id)
            .collect()
    };
    assert_eq!(of("running_without_lock"), ["WO-0046", "WO-0048"]);
    assert_eq!(of("running_without_worktree"), ["WO-0046", "WO-0055"]);
    let zombies = of("zombie_worktree");
    assert!(
        !zombies.contains(&"WO-0014".to_string()) && !zombies.contains(&"WO-0048".to_string()),
        "a split-brain WO's worktree is not a zombie: {zombies:?}"
    );
    let split: Vec<String> = codes(&report)
        .into_iter()
        .filter(|(c, _)| c == "split_brain")
        .map(|(_, id)| id)
        .collect();
    assert_eq!(
        split,
        ["WO-0014", "WO-0015", "WO-0046", "WO-0048", "WO-0055"]
    );
    assert!(codes(&report).contains(&("ghost_worktree".into(), "WO-0052".into())));
    for key in [
        "audit_timestamp",
        "repo_root",
        "git_head",
        "summary",
        "findings",
    ] {
        assert!(report.get(key).is_some(), "auditor shape: {key}");
    }
    for key in [
        "wos_total_unique",
        "running_yamls",
        "by_severity",
        "by_code",
        "total_findings",
    ] {
        assert!(sum.get(key).is_some(), "summary.{key}");
    }

    // The human table names the same figures.
    let (_, text, _) = s.run(&["audit"]);
    let row = |label: &str| -> String {
        text.lines()
            .find_map(|l| l.strip_prefix(label))
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| panic!("no row {label}: {text}"))
    };
    assert_eq!(row("worktrees active"), "14 (1 main + 13 WO)");
    assert_eq!(row("WO YAMLs total"), "60 (55 unique WOs)");
    assert_eq!(row("locks active"), "3 (WO-0015, WO-0055, WO-0057)");
    assert_eq!(
        row("split_brain (P0)"),
        "5 (WO-0014, WO-0015, WO-0046, WO-0048, WO-0055)"
    );
    assert_eq!(row("ghost_worktree (P0)"), "1 (WO-0052)");
    assert!(row("zombie_worktree (P1)").starts_with("8 ("), "{text}");
    assert_eq!(row("running_without_lock (P0)"), "2 (WO-0046, WO-0048)");
    assert_eq!(row("running_without_worktree (P1)"), "2 (WO-0046, WO-0055)");

    let gate = [
        "audit",
        "--fail-on",
        "split_brain,running_without_lock,ghost_worktree,zombie_worktree",
    ];
    assert_eq!(s.run(&gate).0, 1);
    let (code, out, _) = s.run(&["check"]);
    assert_eq!(code, 1);
    for id in ["WO-0014", "WO-0015", "WO-0046", "WO-0048", "WO-0055"] {
        assert!(out.contains(&format!("split_brain {id}:")), "{out}");
    }
}

#[test]
fn clean_repository_passes_audit_and_check() {
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["audit"]).0, 0);
    assert_eq!(s.run(&["audit", "--fail-on", "all"]).0, 0);
    assert_eq!(s.run(&["check"]).0, 0);
    assert_eq!(s.run(&["check", "--staged"]).0, 0);
    assert_eq!(s.run(&["lint"]).0, 0);
}

#[test]
fn fail_on_selects_the_failing_codes() {
    let s = Scenario::build("zombie");
    assert_eq!(s.run(&["audit", "--fail-on", "split_brain"]).0, 0);
    assert_eq!(s.run(&["audit", "--fail-on", "p0"]).0, 0, "zombies are P1");
    assert_eq!(s.run(&["audit", "--fail-on", "zombie_worktree"]).0, 1);
    assert_eq!(s.run(&["audit", "--fail-on", "all"]).0, 1);
    let (code, _, err) = s.run(&["audit", "--fail-on", "nonsense"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nonsense") && err.contains("fix:"), "{err}");
}

#[test]
fn audit_out_writes_the_report() {
    let s = Scenario::build("split_brain");
    let out = s.tmp.path().join("reports/wo_audit.json");
    let (code, _, _) = s.run(&["audit", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 1);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(codes(&report), pairs(&[("split_brain", "WO-0014")]));
    assert_eq!(report["schema"], "git-wo.audit.v1");
}

#[test]
fn works_from_a_linked_worktree_and_a_subdirectory() {
    let s = Scenario::build("zombie");
    let wt = s.worktree("WO-0080");
    let (code, report) = s.json_in(&wt, &["audit"]);
    assert_eq!(code, 1);
    assert_eq!(
        report["repo_root"],
        s.repo.to_str().unwrap(),
        "control checkout found from a linked worktree"
    );
    let sub = s.path("_ctx/jobs/done");
    assert_eq!(s.run_in(&sub, &["audit"]).0, 1);
    // --root overrides discovery.
    let (code, _, err) =
        common::run(s.wo_in(s.tmp.path(), &["--root", s.repo.to_str().unwrap(), "audit"]));
    assert_eq!(code, 1, "{err}");
}

#[test]
fn outside_a_repository_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("git-wo"));
    cmd.arg("audit")
        .current_dir(dir.path())
        .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap());
    let (code, _, err) = common::run(cmd);
    assert_eq!(code, 2);
    assert!(
        err.contains("not a git repository") && err.contains("fix:"),
        "{err}"
    );
}

#[test]
fn hostile_input_is_reported_never_crashes_and_changes_nothing() {
    let s = Scenario::build("hostile");
    for (name, id) in [
        ("WO-h1.yaml", "WO-../../x"),
        ("WO-h2.yaml", "WO-a.lock"),
        ("WO-h3.yaml", "WO-"),
    ] {
        std::fs::write(
            s.path(&format!("_ctx/jobs/pending/{name}")),
            format!("version: 1\nid: '{id}'\nstatus: pending\n"),
        )
        .unwrap();
    }
    let huge = s.path("_ctx/jobs/pending/WO-h4.yaml");
    let f = std::fs::File::create(&huge).unwrap();
    f.set_len(100 * 1024 * 1024).unwrap();
    let before = s.git(&["status", "--porcelain", "--untracked-files=all"]);
    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 1);
    let c = codes(&report);
    let invalid = c.iter().filter(|(code, _)| code == "invalid_yaml").count();
    // 3 hostile ids of the fixture, non-UTF-8, 2 MB, and the 4 files written above.
    assert_eq!(invalid, 9, "{c:?}");
    assert!(
        !report.to_string().contains("hostile-archived"),
        "archives are not live state"
    );
    assert!(
        !c.iter()
            .any(|(_, id)| id.contains("..") || id.ends_with(".lock")),
        "hostile ids never become WO ids: {c:?}"
    );
    let text = report.to_string();
    assert!(
        text.contains("WO-h4.yaml") && text.contains("larger than"),
        "100 MB file refused unread"
    );
    assert_eq!(s.run(&["check"]).0, 1);
    assert_eq!(s.run(&["lint"]).0, 1);
    // The committed 2 MB file is refused unread from the index too; it is committed
    // already (nothing of it is staged), so the staged gate only warns about it.
    let (code, staged) = s.json(&["check", "--staged"]);
    assert_eq!(code, 0, "{staged}");
    assert!(staged["failures"].as_array().is_some_and(|f| f.is_empty()));
    assert!(
        staged.to_string().contains("WO-9005.yaml") && staged.to_string().contains("not read"),
        "{staged}"
    );
    for bad in ["WO-../../x", "WO-a.lock", "WO-"] {
        assert_eq!(s.run(&["show", bad]).0, 2, "{bad}");
        assert_eq!(s.run(&["take", bad]).0, 2, "{bad}");
        assert_eq!(s.run(&["lint", bad]).0, 2, "{bad}");
    }
    assert_eq!(
        s.git(&["status", "--porcelain", "--untracked-files=all"]),
        before,
        "nothing changed"
    );
    assert!(s.git(&["for-each-ref", "refs/wo"]).is_empty());
    // Archived copies and other tools' temp locks are not live state.
    assert!(
        !c.iter()
            .any(|(code, _)| code == "split_brain" || code == "lock_without_running"),
        "{c:?}"
    );
}

#[test]
fn symlinked_state_folder_and_jobs_file_are_exit_2() {
    for scenario in ["symlinked_state", "jobs_is_file"] {
        let s = Scenario::build(scenario);
        let before = s.git(&["status", "--porcelain", "--untracked-files=all"]);
        for args in [
            &["audit"][..],
            &["check"],
            &["lint"],
            &["list"],
            &["init"],
            &["take", "WO-0001"],
        ] {
            let (code, _, err) = s.run(args);
            assert_eq!(code, 2, "{scenario} {args:?}: {err}");
            assert!(err.contains("fix:"), "{err}");
        }
        assert_eq!(
            s.git(&["status", "--porcelain", "--untracked-files=all"]),
            before,
            "{scenario}: nothing changed"
        );
    }
}

#[test]
fn archived_copies_count_for_duplicates_only() {
    let s = Scenario::build("clean");
    let done = s.read("_ctx/jobs/done/WO-0003.yaml");
    std::fs::create_dir_all(s.path("_ctx/jobs/done/_archive_v2_plans")).unwrap();
    std::fs::write(
        s.path("_ctx/jobs/done/_archive_v2_plans/WO-0003.yaml"),
        &done,
    )
    .unwrap();
    std::fs::write(
        s.path("_ctx/jobs/pending/old_WO-0003.yaml"),
        done.replace("status: done", "status: pending"),
    )
    .unwrap();
    let (_, report) = s.json(&["audit"]);
    assert_eq!(
        codes(&report),
        pairs(&[("duplicate_yaml", "WO-0003")]),
        "{report}"
    );
}

#[test]
fn check_reads_the_staged_tree() {
    let s = Scenario::build("clean");
    // Stage a split-brain copy, then remove it from the working tree only.
    let pending = s.read("_ctx/jobs/pending/WO-0001.yaml");
    std::fs::write(
        s.path("_ctx/jobs/done/WO-0001.yaml"),
        pending.replace("status: pending", "status: done"),
    )
    .unwrap();
    s.git(&["add", "_ctx/jobs/done/WO-0001.yaml"]);
    std::fs::remove_file(s.path("_ctx/jobs/done/WO-0001.yaml")).unwrap();
    assert_eq!(s.run(&["check"]).0, 0, "working tree is clean");
    let (code, out, _) = s.run(&["check", "--staged"]);
    assert_eq!(code, 1, "the index is not");
    assert!(out.contains("split_brain WO-0001"), "{out}");
    let (code, v) = s.json(&["check", "--staged"]);
    assert_eq!(code, 1);
    assert_eq!(v["source"], "index");
    assert_eq!(s.run(&["check", "--tree", "HEAD"]).0, 0);
    assert_eq!(s.run(&["check", "--tree", "no-such-rev"]).0, 2);
}

#[test]
fn check_lets_old_lockless_running_wos_warn() {
    let s = Scenario::build("running_without_lock");
    assert_eq!(s.run(&["check"]).0, 1, "young: blocks");
    let path = "_ctx/jobs/running/WO-0050.yaml";
    let text = s.read(path);
    let old = regex_free_replace(
        &text,
        "started_at:",
        "started_at: \"2026-01-01T00:00:00+00:00\"",
    );
    std::fs::write(s.path(path), old).unwrap();
    let (code, _, err) = s.run(&["check"]);
    assert_eq!(code, 0, "older than 24 h: warns only");
    assert!(
        err.contains("warning: running_without_lock WO-0050"),
        "{err}"
    );
    // The gate's codes come from wo.gate.failOn or --fail-on.
    let z = Scenario::build("zombie");
    assert_eq!(z.run(&["check"]).0, 1);
    z.git(&["config", "wo.gate.failOn", "split_brain"]);
    assert_eq!(z.run(&["check"]).0, 0);
    assert_eq!(z.run(&["check", "--fail-on", "zombie_worktree"]).0, 1);
}

/// Replace the whole line starting with `prefix`.
fn regex_free_replace(text: &str, prefix: &str, line: &str) -> String {
    text.lines()
        .map(|l| {
            if l.starts_with(prefix) {
                line.to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn lint_checks_schema_and_semantics() {
    let s = Scenario::build("empty");
    s.write_wo("pending", "WO-0001", "dependencies: [WO-0999, WO-0001]\n");
    std::fs::write(
        s.path("_ctx/jobs/done/WO-0002.yaml"),
        "version: one\nid: WO-0002\nstatus: pending\n",
    )
    .unwrap();
    let (code, v) = s.json(&["lint"]);
    assert_eq!(code, 1);
    let problems: Vec<String> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["problem"].as_str().unwrap().to_owned())
        .collect();
    let has = |needle: &str| problems.iter().any(|p| p.contains(needle));
    assert!(has("dependency WO-0999 does not exist"), "{problems:?}");
    assert!(has("depends on itself"), "{problems:?}");
    assert!(has("missing required key `title`"), "{problems:?}");
    assert!(has("`version` is not an integer"), "{problems:?}");
    assert!(
        has("`status: pending` but the file is in done/"),
        "{problems:?}"
    );
    let (code, v) = s.json(&["lint", "WO-0002"]);
    assert_eq!(code, 1);
    assert!(
        v["problems"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["wo_id"] == "WO-0002")
    );
    assert_eq!(s.run(&["lint", "WO-0404"]).0, 2);
}

#[test]
fn list_and_show() {
    let s = Scenario::build("clean");
    let (code, v) = s.json(&["list"]);
    assert_eq!(code, 0);
    let ids: Vec<&str> = v["wos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"WO-0001") && ids.contains(&"WO-0010"),
        "{ids:?}"
    );
    let (_, running) = s.json(&["list", "--state", "running"]);
    let running: Vec<&str> = running["wos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect();
    assert_eq!(running, ["WO-0010"]);
    let (code, text, _) = s.run(&["list"]);
    assert_eq!(code, 0);
    assert!(
        text.lines()
            .any(|l| l.starts_with("WO-0010") && l.contains("running")),
        "{text}"
    );

    let (code, v) = s.json(&["show", "WO-0010"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["schema"], "git-wo.show.v1");
    assert_eq!(v["wo"]["states"], serde_json::json!(["running"]));
    assert!(
        v["lock_file"]["path"]
            .as_str()
            .unwrap()
            .ends_with("running/WO-0010.lock")
    );
    assert!(
        v["worktrees"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with(".worktrees/WO-0010")
    );
    let (code, _, err) = s.run(&["show", "WO-4040"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("WO-4040") && err.contains("git wo list"),
        "{err}"
    );
}

#[test]
fn snapshot_freezes_the_baseline() {
    let s = Scenario::build("baseline");
    let dir = s.tmp.path().join("data/wo_forensics_baseline");
    let (code, _, err) = s.run(&["snapshot", "--dir", dir.to_str().unwrap()]);
    // The baseline's gate fails: exit 1, every file written all the same.
    assert_eq!(code, 1, "{err}");
    for f in [
        "head.txt",
        "branch.txt",
        "worktrees.txt",
        "jobs_inventory.txt",
        "refs.txt",
        "wo_audit.json",
        "integrity_check.txt",
    ] {
        assert!(dir.join(f).exists(), "{f}");
    }
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    assert_eq!(
        read("head.txt").trim(),
        s.git(&["rev-parse", "HEAD"]).trim()
    );
    assert_eq!(read("branch.txt").trim(), "main");
    assert_eq!(
        read("worktrees.txt"),
        s.git(&["worktree", "list", "--porcelain"])
    );
    assert!(read("jobs_inventory.txt").contains("WO-0057.lock"));
    let report: serde_json::Value = serde_json::from_str(&read("wo_audit.json")).unwrap();
    assert_eq!(report["summary"]["by_code"]["split_brain"], 5);
    let integrity = read("integrity_check.txt");
    assert!(
        integrity.contains("split_brain WO-0014") && integrity.contains("exit 1"),
        "{integrity}"
    );
}

/// `git_head` is what `git rev-parse HEAD` prints, whether the branch is a loose ref,
/// packed, or HEAD detached (read from the refs, no object looked up).
#[test]
fn git_head_is_what_rev_parse_head_prints() {
    let s = Scenario::build("clean");
    let head = |s: &Scenario| -> serde_json::Value {
        let (_, report) = s.json(&["audit", "--json"]);
        report["git_head"].clone()
    };
    let rev_parse = |s: &Scenario| s.git(&["rev-parse", "HEAD"]).trim().to_owned();
    assert_eq!(head(&s), rev_parse(&s).as_str());
    // Packed (its loose file gone), then a new commit on top, then detached.
    s.git(&["pack-refs", "--all"]);
    assert_eq!(head(&s), rev_parse(&s).as_str());
    s.git(&["commit", "-q", "--allow-empty", "-m", "one more"]);
    assert_eq!(head(&s), rev_parse(&s).as_str());
    let first = s.git(&["rev-parse", "HEAD~1"]).trim().to_owned();
    s.git(&["checkout", "-q", "--detach", &first]);
    assert_eq!(head(&s), first.as_str());
}
