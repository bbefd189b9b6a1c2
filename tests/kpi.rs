//! `git wo kpi` on a repository with a known history: takes with and without an
//! intent marker, a finish with `--skip-verification`, bypass markers this week and
//! three weeks ago, a split-brain now and an audit logged two weeks ago.

use crate::common;

use common::Scenario;

fn kpi<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["kpis"]
        .as_array()
        .and_then(|k| k.iter().find(|k| k["name"] == name))
        .unwrap_or_else(|| panic!("no {name} in {report}"))
}

#[test]
fn the_kpi_table_has_the_plans_figures() {
    let s = Scenario::build("empty");
    for id in ["WO-0001", "WO-0002", "WO-0003", "WO-0004", "WO-0005"] {
        s.write_wo("pending", id, "");
    }
    s.commit_all("five WOs");
    assert_eq!(s.run(&["init"]).0, 0);
    for id in ["WO-0001", "WO-0002", "WO-0003"] {
        let (code, _, err) = s.run(&["take", id]);
        assert_eq!(code, 0, "{err}");
    }
    // WO-0004 starts from a commit of its own, whose intent marker is then lost.
    s.git(&["commit", "-q", "--allow-empty", "-m", "base of WO-0004"]);
    let base = s.git(&["rev-parse", "HEAD"]);
    let (code, _, err) = s.run(&["take", "WO-0004", "--base", base.trim()]);
    assert_eq!(code, 0, "{err}");
    s.git(&["notes", "--ref=wo", "remove", base.trim()]);
    // Two finishes, one without verification.
    let (code, _, err) = s.run(&[
        "finish",
        "WO-0001",
        "--result",
        "done",
        "--force",
        "--allow-empty",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = s.run(&[
        "finish",
        "WO-0002",
        "--result",
        "done",
        "--force",
        "--allow-empty",
        "--skip-verification",
        "--reason",
        "CI is down",
    ]);
    assert_eq!(code, 0, "{err}");
    // Bypasses: one this week, one on a commit of three weeks ago.
    s.git(&[
        "notes",
        "--ref=wo",
        "append",
        "-m",
        "[wo] bypass: pre-commit gate skipped (git commit --no-verify)",
        "HEAD",
    ]);
    let old = (chrono::Utc::now() - chrono::Duration::days(22)).to_rfc3339();
    let mut cmd = std::process::Command::new("git");
    cmd.arg("-C")
        .arg(&s.repo)
        .args(["commit", "-q", "--allow-empty", "-m", "old"])
        .env("GIT_COMMITTER_DATE", &old)
        .env("GIT_AUTHOR_DATE", &old);
    common::isolate(&mut cmd, s.tmp.path());
    assert_eq!(common::run(cmd).0, 0);
    s.git(&[
        "notes",
        "--ref=wo",
        "append",
        "-m",
        "[wo] bypass: manual closure of WO-0009 to done (record: running) allowed by [emergency]",
        "HEAD",
    ]);
    // A split-brain now; an audit two weeks ago saw two.
    std::fs::copy(
        s.path("_ctx/jobs/pending/WO-0005.yaml"),
        s.path("_ctx/jobs/done/WO-0005.yaml"),
    )
    .expect("copy");
    let two_weeks = (chrono::Utc::now() - chrono::Duration::days(14)).to_rfc3339();
    std::fs::write(
        s.repo.join(".git/wo/audit.log"),
        format!(
            "{{\"at\":\"{two_weeks}\",\"by_code\":{{\"split_brain\":2,\"zombie_worktree\":1}}}}\n"
        ),
    )
    .expect("audit log");

    let (code, report) = s.json(&["kpi"]);
    assert_eq!(code, 1, "targets missed: {report}");
    assert_eq!(report["schema"], "git-wo.kpi.v1");
    assert_eq!(kpi(&report, "split_brain")["value"], 1.0);
    assert_eq!(kpi(&report, "split_brain")["met"], false);
    for name in ["running_without_lock", "ghost_worktree", "zombie_worktree"] {
        assert_eq!(kpi(&report, name)["value"], 0.0, "{name}");
        assert_eq!(kpi(&report, name)["met"], true, "{name}");
    }
    let adoption = kpi(&report, "intent_marker_adoption");
    assert_eq!(adoption["display"], "75 % (3/4)", "{adoption}");
    assert_eq!(adoption["met"], false);
    assert_eq!(
        kpi(&report, "bypass_events")["value"],
        1.0,
        "the old one is outside 7d"
    );
    let skip = kpi(&report, "skip_verification_finishes");
    assert_eq!(skip["display"], "1 of 2 finishes");
    assert_eq!(skip["met"], false);

    // A wider window takes the old bypass in.
    let (_, wide) = s.json(&["kpi", "--since", "30d"]);
    assert_eq!(kpi(&wide, "bypass_events")["value"], 2.0);

    // Week by week, oldest first: the old bypass three weeks back, the audit of two
    // weeks ago, this week's figures last.
    let (_, weekly) = s.json(&["kpi", "--weeks", "4"]);
    let weeks = weekly["weeks"].as_array().expect("weeks");
    assert_eq!(weeks.len(), 4);
    let series = |name: &str| -> Vec<serde_json::Value> {
        weeks
            .iter()
            .map(|w| kpi(w, name)["value"].clone())
            .collect()
    };
    assert_eq!(
        series("bypass_events"),
        [1.0, 0.0, 0.0, 1.0].map(serde_json::Value::from)
    );
    assert_eq!(
        series("split_brain"),
        [
            serde_json::Value::Null,
            2.0.into(),
            serde_json::Value::Null,
            1.0.into()
        ]
    );
    // Piped, the trend is plain numbers.
    let (code, out, _) = s.run(&["kpi", "--weeks", "4"]);
    assert_eq!(code, 1);
    let line = out
        .lines()
        .rfind(|l| l.starts_with("bypass_events"))
        .expect("trend line");
    assert!(line.ends_with("1 0 0 1"), "{line}");
    assert!(out.contains("NO"), "{out}");
}

#[test]
fn a_clean_repository_meets_every_target_and_bad_input_is_refused() {
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["init"]).0, 0);
    let (code, report) = s.json(&["kpi"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        kpi(&report, "intent_marker_adoption")["met"],
        serde_json::Value::Null
    );
    let (code, _, err) = s.run(&["kpi", "--since", "soon"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--since 7d"), "{err}");
}
