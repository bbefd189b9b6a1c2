//! Picking work: the ready queue (`git wo ready`) and its atomic claim (`take --next`),
//! in real repositories with real racing processes.

use crate::common;

use std::process::Stdio;

use common::Scenario;

fn yaml_with(s: &Scenario, id: &str, priority: &str, deps: &[&str]) {
    let deps = if deps.is_empty() {
        String::new()
    } else {
        format!("dependencies: [{}]\n", deps.join(", "))
    };
    s.write_pending(id, priority, &deps);
}

#[test]
fn the_queue_is_priority_then_what_it_unblocks_and_the_blocked_say_what_they_wait_for() {
    let s = Scenario::build("empty");
    yaml_with(&s, "WO-0001", "P2", &[]);
    yaml_with(&s, "WO-0002", "P0", &[]);
    yaml_with(&s, "WO-0003", "P2", &[]);
    yaml_with(&s, "WO-0004", "P1", &["WO-0003", "WO-0099"]);
    yaml_with(&s, "WO-0005", "P1", &["WO-0006"]);
    yaml_with(&s, "WO-0006", "P1", &[]);
    s.commit_all("WOs");
    let (code, q) = s.json(&["ready", "--blocked"]);
    assert_eq!(code, 0, "{q}");
    let ids: Vec<&str> = q["ready"]
        .as_array()
        .expect("ready")
        .iter()
        .filter_map(|w| w["id"].as_str())
        .collect();
    // P0; then P1 (WO-0006 unblocks WO-0005); then P2, WO-0003 (unblocks WO-0004) first.
    assert_eq!(ids, vec!["WO-0002", "WO-0006", "WO-0003", "WO-0001"], "{q}");
    let blocked: Vec<(String, String)> = q["blocked"]
        .as_array()
        .expect("blocked")
        .iter()
        .flat_map(|b| {
            b["waits_for"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |w| {
                    (
                        format!(
                            "{}<-{}",
                            b["id"].as_str().unwrap_or(""),
                            w["id"].as_str().unwrap_or("")
                        ),
                        w["state"].as_str().unwrap_or("missing").to_owned(),
                    )
                })
        })
        .collect();
    assert_eq!(
        blocked,
        vec![
            ("WO-0004<-WO-0003".to_owned(), "pending".to_owned()),
            ("WO-0004<-WO-0099".to_owned(), "missing".to_owned()),
            ("WO-0005<-WO-0006".to_owned(), "pending".to_owned()),
        ]
    );
    let (_, out, _) = s.run(&["ready", "--porcelain", "--limit", "2"]);
    assert_eq!(
        out,
        "WO-0002\tP0\t0\tWork on WO-0002\nWO-0006\tP1\t1\tWork on WO-0006\n"
    );
    let (_, out, _) = s.run(&["ready", "--priority", "P2", "--porcelain"]);
    assert_eq!(out.lines().count(), 2, "{out}");
    // take --next takes the first; a done dependency unblocks its dependant.
    let (code, out, err) = s.run(&["take", "--next", "--porcelain"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("WO-0002\t"), "{out}");
    assert!(out.trim_end().ends_with(".worktrees/WO-0002"), "{out}");
}

#[test]
fn eight_agents_taking_next_get_different_wos_and_then_a_clear_no() {
    const PROCESSES: usize = 8;
    const ROUNDS: usize = 3;
    let s = Scenario::build("empty");
    let ids: Vec<String> = (0..PROCESSES * ROUNDS)
        .map(|n| format!("WO-{n:04}"))
        .collect();
    for id in &ids {
        s.write_wo("pending", id, "");
    }
    s.commit_all("WOs");
    assert_eq!(s.run(&["init"]).0, 0);
    let mut taken: Vec<String> = Vec::new();
    for round in 0..=ROUNDS {
        let children: Vec<_> = (0..PROCESSES)
            .map(|p| {
                let mut cmd = s.wo(&[
                    "take",
                    "--next",
                    "--porcelain",
                    "--owner",
                    &format!("agent{p}"),
                ]);
                cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
                cmd.spawn().expect("spawn")
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().expect("wait");
            let code = out.status.code().unwrap_or(-1);
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            if round < ROUNDS {
                assert_eq!(
                    code, 0,
                    "round {round}: nobody errs while WOs are ready: {stderr}"
                );
                taken.push(stdout.split('\t').next().unwrap_or("").to_owned());
            } else {
                assert_eq!(code, 3, "round {round}: none left: {stderr}");
                assert!(stderr.contains("no ready WO left"), "{stderr}");
            }
        }
    }
    taken.sort();
    assert_eq!(taken, ids, "every WO taken exactly once");
    for id in &ids {
        let r = common::record_of(&s, id);
        assert_eq!(r["state"], "running", "{id}");
        assert_eq!(r["token"], 1, "{id}: one take each");
    }
    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn audit_reports_cycles_missing_dependencies_and_wos_started_before_theirs() {
    let s = Scenario::build("empty");
    yaml_with(&s, "WO-0001", "P2", &["WO-0002"]);
    yaml_with(&s, "WO-0002", "P2", &["WO-0001"]);
    yaml_with(&s, "WO-0003", "P2", &["WO-0404"]);
    yaml_with(&s, "WO-0004", "P2", &[]);
    yaml_with(&s, "WO-0005", "P2", &["WO-0004"]);
    s.commit_all("WOs");
    // WO-0005 taken before WO-0004 is done: take refuses, so a hand move does it.
    s.git(&[
        "mv",
        "_ctx/jobs/pending/WO-0005.yaml",
        "_ctx/jobs/done/WO-0005.yaml",
    ]);
    let p = s.path("_ctx/jobs/done/WO-0005.yaml");
    let text = std::fs::read_to_string(&p)
        .expect("read")
        .replace("status: pending", "status: done");
    std::fs::write(&p, text).expect("write");
    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 1, "{report}");
    let found = common::codes(&report);
    assert_eq!(
        found,
        vec![
            ("dependency_cycle".to_owned(), "WO-0001".to_owned()),
            ("missing_dependency".to_owned(), "WO-0003".to_owned()),
            ("started_before_dependency".to_owned(), "WO-0005".to_owned()),
        ],
        "{report}"
    );
    for f in report["findings"].as_array().expect("findings") {
        assert!(f["fix"].is_null(), "a person decides: {f}");
    }
    // None of the cycle is ready; WO-0004 is.
    let (_, out, _) = s.run(&["ready", "--porcelain"]);
    let ids: Vec<&str> = out
        .lines()
        .map(|l| l.split('\t').next().unwrap_or(""))
        .collect();
    assert_eq!(ids, vec!["WO-0004"], "{out}");
}

#[test]
fn deps_shows_both_directions_and_draws_the_graph() {
    let s = Scenario::build("empty");
    yaml_with(&s, "WO-0001", "P2", &["WO-0002"]);
    yaml_with(&s, "WO-0002", "P2", &["WO-0003"]);
    yaml_with(&s, "WO-0003", "P2", &[]);
    yaml_with(&s, "WO-0004", "P2", &["WO-0001", "WO-0404"]);
    s.commit_all("WOs");
    let (code, out, err) = s.run(&["deps", "WO-0001"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "WO-0001 (pending)\n  waits for: WO-0002 (pending), WO-0003 (pending)\n  blocks:    WO-0004 (pending)\n"
    );
    let (_, v) = s.json(&["deps", "WO-0004"]);
    assert_eq!(v["waits_for"][1]["id"], "WO-0404");
    assert!(v["waits_for"][1]["state"].is_null(), "{v}");
    let (code, out, _) = s.run(&["deps", "--format", "mermaid"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("graph LR\n"), "{out}");
    assert!(out.contains("  WO_0004 --> WO_0404\n"), "{out}");
    assert!(out.contains("WO_0404[\"WO-0404 (missing)\"]"), "{out}");
    let (_, dot, _) = s.run(&["deps", "--format", "dot"]);
    assert!(
        dot.starts_with("digraph wo {") && dot.contains("WO_0002 -> WO_0003;"),
        "{dot}"
    );
    assert_eq!(s.run(&["deps", "WO-0001", "--format", "dot"]).0, 2);
    assert_eq!(s.run(&["deps", "WO-9999"]).0, 2);
}

#[test]
fn new_sets_dependencies_verify_and_scope_and_refuses_a_missing_or_cyclic_dependency() {
    let s = Scenario::build("empty");
    yaml_with(&s, "WO-0001", "P2", &[]);
    yaml_with(&s, "WO-0002", "P2", &["WO-0404"]);
    s.commit_all("WOs");
    let (code, out, err) = s.run(&[
        "new",
        "--title",
        "Needs one",
        "--id",
        "WO-0010",
        "--depends",
        "WO-0001",
        "--verify",
        "cargo test",
        "--scope",
        "src/**",
        "--deny",
        "src/secret/**",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let yaml = s.read("_ctx/jobs/pending/WO-0010.yaml");
    for want in [
        "allow: [\"src/**\"]",
        "deny: [\"src/secret/**\"]",
        "commands: [\"cargo test\"]",
        "dependencies: [\"WO-0001\"]",
    ] {
        assert!(yaml.contains(want), "{want}: {yaml}");
    }
    assert_eq!(s.run(&["lint", "WO-0010"]).0, 0);
    let (_, v) = s.json(&["ready", "--blocked"]);
    let blocked: Vec<&str> = v["blocked"]
        .as_array()
        .expect("blocked")
        .iter()
        .filter_map(|b| b["id"].as_str())
        .collect();
    assert!(blocked.contains(&"WO-0010"), "{v}");
    // A dependency that exists nowhere, or one that would close a cycle: refused.
    let (code, _, err) = s.run(&["new", "--title", "x", "--depends", "WO-9999"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("WO-9999"), "{err}");
    let (code, _, err) = s.run(&[
        "new",
        "--title",
        "x",
        "--id",
        "WO-0404",
        "--depends",
        "WO-0002",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cycle"), "{err}");
    assert!(!s.path("_ctx/jobs/pending/WO-0404.yaml").exists());
}

/// The text queue and `--porcelain` as whole outputs: ids padded to 14 characters (a
/// longer one pushes its line on), priorities to 4, counted in characters; a tab or a
/// newline in a title or a priority kept in the text queue but made a space in the
/// tab-separated one; `(unblocks n)` only where n > 0; the blocked after the ready.
#[test]
fn ready_prints_its_rows_padded_and_porcelain_keeps_one_field_per_tab() {
    let s = Scenario::build("empty");
    let write = |id: &str, title: &str, priority: &str, deps: &str| {
        let text = common::wo_yaml_titled(id, "pending", title, deps)
            .replace("priority: P2", &format!("priority: {priority}"));
        std::fs::write(s.path(&format!("_ctx/jobs/pending/{id}.yaml")), text).expect("write");
    };
    std::fs::create_dir_all(s.path("_ctx/jobs/pending")).expect("mkdir");
    write("WO-0001", "\"tab\\there\"", "P0", "");
    write(
        "WO-0002",
        "\"needs one\"",
        "P1",
        "dependencies: [WO-0001]\n",
    );
    write("WO-0003", "\"é à ü\"", "\"hä\\tx\"", "");
    write("WO-0004", "\"plain\"", "P0", "");
    write("WO-00000000000000005", "\"long id\"", "P0", "");
    s.commit_all("WOs");
    let (code, out, err) = s.run(&["ready", "--blocked"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "WO-0001        P0   tab\there  (unblocks 1)\n\
         WO-00000000000000005 P0   long id\n\
         WO-0004        P0   plain\n\
         WO-0003        hä\tx é à ü\n\
         WO-0002        waits  needs one  for WO-0001 (pending)\n"
    );
    let (code, out, err) = s.run(&["ready", "--porcelain"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "WO-0001\tP0\t1\ttab here\n\
         WO-00000000000000005\tP0\t0\tlong id\n\
         WO-0004\tP0\t0\tplain\n\
         WO-0003\thä x\t0\té à ü\n"
    );
}
