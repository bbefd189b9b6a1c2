//! Ordinary mistakes get advice that leads somewhere (issue: a tool people and agents
//! can drive without reading the source).

use crate::common;

use common::Scenario;

#[test]
fn an_empty_owner_is_bad_input() {
    let s = Scenario::build("clean");
    for empty in ["", "   ", "\t"] {
        let (code, out, err) = s.run(&["take", "WO-0001", "--owner", empty]);
        assert_eq!(code, 2, "{empty:?}: {out}{err}");
        assert!(err.contains("--owner is empty"), "{err}");
    }
    assert!(
        s.path("_ctx/jobs/pending/WO-0001.yaml").exists(),
        "nothing changed"
    );
}

#[test]
fn without_user_name_take_says_who_it_acts_as() {
    let s = Scenario::build("clean");
    s.git(&["config", "--unset", "user.name"]);
    let mut cmd = s.wo(&["take", "WO-0001"]);
    cmd.env("USER", "bob").env("LOGNAME", "bob");
    let (code, out, err) = common::run(cmd);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("as bob"), "{out}");
    assert!(
        err.contains("no git user.name is set; acting as bob"),
        "{err}"
    );
    assert!(err.contains("git config --global user.name"), "{err}");
    // With user.name, no note.
    let (code, _, err) = s.run(&["take", "WO-0002", "--owner", "carol"]);
    assert_eq!(code, 0);
    assert!(!err.contains("user.name"), "{err}");
}

#[test]
fn taking_a_closed_wo_gives_the_right_advice() {
    let s = Scenario::build("clean");
    let (code, _, err) = s.run(&["take", "WO-0003"]);
    assert_eq!(code, 2);
    assert!(err.contains("WO-0003 is done"), "{err}");
    assert!(!err.contains("requeue"), "a done WO is not requeued: {err}");
    let (code, _, err) = s.run(&["take", "WO-0004"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("git wo requeue WO-0004"),
        "a failed WO is: {err}"
    );
    // The same with records.
    assert_eq!(s.run(&["init"]).0, 0);
    let (_, _, err) = s.run(&["take", "WO-0003"]);
    assert!(err.contains("done") && !err.contains("requeue"), "{err}");
    let (_, _, err) = s.run(&["take", "WO-0004"]);
    assert!(err.contains("git wo requeue WO-0004"), "{err}");
}

#[test]
fn taking_a_wo_you_hold_says_where_it_is() {
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let (code, _, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("yours already"), "{err}");
    assert!(err.contains("you hold it: cd "), "{err}");
    assert!(err.contains("WO-0001"), "{err}");
    // Someone else is told who holds it.
    let (code, _, err) = s.run(&["take", "WO-0001", "--owner", "mallory"]);
    assert_eq!(code, 3);
    assert!(err.contains("held by alice"), "{err}");
}

#[test]
fn heartbeat_of_an_unknown_wo_says_it_does_not_exist() {
    let s = Scenario::build("clean");
    let (code, _, err) = s.run(&["heartbeat", "WO-9999"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("WO-9999 does not exist"), "{err}");
}

#[test]
fn check_quiet_is_quiet() {
    let s = Scenario::build("split_brain");
    let (code, out, err) = s.run(&["-q", "check"]);
    assert_eq!(code, 1);
    assert_eq!(
        (out.as_str(), err.as_str()),
        ("", ""),
        "check -q prints nothing"
    );
    let (code, out, _) = s.run(&["check"]);
    assert_eq!(code, 1);
    assert!(out.contains("split_brain"), "{out}");
    let clean = Scenario::build("clean");
    let (code, out, err) = clean.run(&["-q", "check"]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
}

#[test]
fn fail_on_lists_what_it_accepts() {
    let s = Scenario::build("clean");
    let (code, _, err) = s.run(&["audit", "--fail-on", "split-brain"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown code `split-brain`"), "{err}");
    assert!(err.contains("p0, p1, p2"), "{err}");
    assert!(err.contains("split_brain,"), "{err}");
}

#[test]
fn no_jobs_dir_is_explained_not_an_error() {
    let s = Scenario::build("empty");
    std::fs::remove_dir_all(s.path("_ctx")).expect("remove _ctx");
    for args in [&["list"][..], &["audit"][..]] {
        let (code, _, err) = s.run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(err.contains("there is no _ctx/jobs"), "{args:?}: {err}");
        assert!(err.contains("git wo init"), "{args:?}: {err}");
    }
    let (_, _, err) = s.run(&["-q", "list"]);
    assert!(err.is_empty(), "-q: {err}");
    // init does not start a WO system by accident (a wrong --root, a typo'd wo.jobsDir)…
    let (code, _, err) = s.run(&["init"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("git wo init --create"), "{err}");
    assert!(!s.path("_ctx").exists(), "nothing created");
    assert!(
        !s.git(&["config", "--list", "--local"])
            .contains("wo.initialized"),
        "no config written"
    );
    // …but creates one when asked.
    let (code, _, err) = s.run(&["init", "--create"]);
    assert_eq!(code, 0, "{err}");
    for d in ["pending", "running", "done", "failed"] {
        assert!(s.path(&format!("_ctx/jobs/{d}")).is_dir(), "{d}");
    }
}

#[test]
fn an_unmirrored_yaml_is_reported_but_does_not_fail_audit() {
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["init"]).0, 0);
    s.write_wo("pending", "WO-0077", "");
    let (code, out, _) = s.run(&["audit"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("unmirrored WO-0077"), "still reported: {out}");
    assert_eq!(s.run(&["audit", "--fail-on", "all"]).0, 1);
    assert_eq!(s.run(&["audit", "--fail-on", "unmirrored"]).0, 1);
    assert_eq!(s.run(&["audit", "--fail-on", "p1"]).0, 0);
}

#[test]
fn finish_from_inside_says_where_to_go_and_a_gone_directory_is_explained() {
    let s = Scenario::build("clean");
    let (code, out, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 0, "{out}{err}");
    let wt = s.worktree("WO-0001");
    // Inside the fixture WO's scope (`src/**`).
    std::fs::create_dir_all(wt.join("src")).expect("mkdir");
    std::fs::write(wt.join("src/work.txt"), "done\n").expect("write");
    s.git_at(&wt, &["add", "src/work.txt"]);
    s.git_at(&wt, &["commit", "-qm", "work"]);
    let bin = assert_cmd::cargo::cargo_bin("git-wo");
    let script = format!(
        "cd {wt} && {bin} finish WO-0001 --result done; {bin} status; echo \"status exit $?\"",
        wt = wt.display(),
        bin = bin.display()
    );
    let mut cmd = std::process::Command::new("bash");
    cmd.args(["-c", &script]);
    common::isolate(&mut cmd, s.tmp.path());
    let (_, out, err) = common::run(cmd);
    let root = s.repo.display().to_string();
    assert!(out.contains(&format!("next: cd {root}")), "{out}{err}");
    assert!(out.contains("status exit 2"), "{out}{err}");
    assert!(err.contains("no longer exists"), "{err}");
    assert!(
        !err.contains("No such file or directory (os error"),
        "{err}"
    );
}

#[test]
fn internals_do_not_leak() {
    let s = Scenario::build("clean");
    // One commit only: HEAD~1 does not exist, and the message says so in plain words.
    let (code, _, err) = s.run(&["check", "--tree", "HEAD~1"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`HEAD~1` is not a commit or tree of this repository"),
        "{err}"
    );
    assert!(!err.to_lowercase().contains("gix"), "{err}");
    // Times to the second; import commits shown as imported.
    assert_eq!(s.run(&["init"]).0, 0);
    let (code, out, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 0, "{err}");
    let until = out
        .split("lease until ")
        .nth(1)
        .unwrap_or("")
        .lines()
        .next()
        .unwrap_or("");
    assert!(
        until.len() == 20 && until.ends_with('Z'),
        "lease shown to the second: {until:?}"
    );
    let (_, show, _) = s.run(&["show", "WO-0001"]);
    assert!(show.contains(" imported "), "{show}");
    assert!(!show.contains("1970-01-01"), "{show}");
    let (_, list, _) = s.run(&["list", "--state", "running"]);
    // Every lease in the list is shown to the second, in UTC: no fraction, no offset.
    let leases: Vec<&str> = list
        .split("lease until ")
        .skip(1)
        .map(|rest| rest.split(')').next().unwrap_or(""))
        .collect();
    assert!(!leases.is_empty(), "{list}");
    for t in leases {
        assert!(
            t.len() == 20 && t.ends_with('Z') && !t.contains('.'),
            "{t:?} in {list}"
        );
    }
    assert!(!list.contains("+00:00"), "{list}");
}

#[test]
fn finishing_done_with_no_commit_needs_allow_empty() {
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let base = s.git(&["rev-parse", "HEAD"]).trim().to_owned();
    let wt = s.worktree("WO-0001");
    let (code, _, err) = s.run_in(&wt, &["finish", "WO-0001", "--result", "done"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no commit since its base"), "{err}");
    assert!(err.contains("--allow-empty"), "{err}");
    assert!(
        s.path("_ctx/jobs/running/WO-0001.yaml").exists(),
        "still running"
    );
    let (code, _, err) = s.run_in(
        &wt,
        &["finish", "WO-0001", "--result", "done", "--allow-empty"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(s.path("_ctx/jobs/done/WO-0001.yaml").exists());
    // The base commit (main's) carries no result note.
    let notes = s.git(&["log", "--notes=wo", "--format=%N", "-1", &base]);
    assert!(!notes.contains("result:"), "{notes}");
    // A failed result with no commit needs no flag.
    assert_eq!(s.run(&["take", "WO-0002"]).0, 0);
    let wt2 = s.worktree("WO-0002");
    let (code, _, err) = s.run_in(&wt2, &["finish", "WO-0002", "--result", "failed"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn list_filters_by_holder_and_has_a_porcelain_format() {
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    assert_eq!(s.run(&["take", "WO-0002", "--owner", "bob"]).0, 0);
    let (code, mine, _) = s.run(&["list", "--mine"]);
    assert_eq!(code, 0);
    assert!(
        mine.contains("WO-0001") && !mine.contains("WO-0002"),
        "{mine}"
    );
    let (_, bobs, _) = s.run(&["list", "--owner", "bob"]);
    assert!(
        bobs.contains("WO-0002") && !bobs.contains("WO-0001"),
        "{bobs}"
    );
    let (code, _, err) = s.run(&["list", "--owner", "bob", "--mine"]);
    assert_eq!(code, 2, "{err}");
    let (code, p, _) = s.run(&["list", "--porcelain", "--state", "running"]);
    assert_eq!(code, 0);
    let lines: Vec<Vec<&str>> = p.lines().map(|l| l.split('\t').collect()).collect();
    assert!(lines.iter().all(|f| f.len() == 6), "{p}");
    let one = lines
        .iter()
        .find(|f| f[0] == "WO-0001")
        .expect("WO-0001 listed");
    assert_eq!(one[1], "running");
    assert_eq!(one[2], "alice");
    assert!(one[3].ends_with('Z') && one[3].len() == 20, "{p}");
    let pending = s.run(&["list", "--porcelain", "--state", "pending"]).1;
    assert!(
        pending.lines().all(|l| l.split('\t').nth(2) == Some("-")),
        "{pending}"
    );
}

#[test]
fn a_near_miss_id_gets_a_did_you_mean() {
    let s = Scenario::build("clean");
    let (code, _, err) = s.run(&["show", "WO-0110"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean WO-0010?"), "{err}");
    let (code, _, err) = s.run(&["take", "WO-0021"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("did you mean WO-0001?") || err.contains("did you mean WO-0002?"),
        "{err}"
    );
    // Nothing near: no guess.
    let (_, _, err) = s.run(&["show", "WO-9999"]);
    assert!(!err.contains("did you mean"), "{err}");
}

#[test]
fn every_subcommand_help_groups_global_options_and_ends_with_examples() {
    use clap::CommandFactory;
    let cli = git_wo::cli::Cli::command();
    let names: Vec<String> = cli
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    assert!(names.len() >= 12, "{names:?}");
    let s = Scenario::build("empty");
    for name in names {
        let (code, out, err) = s.run(&[&name, "--help"]);
        assert_eq!(code, 0, "{name}: {err}");
        assert!(out.contains("\nGlobal options:\n"), "{name}: {out}");
        let examples = out.split("\nExamples:\n").nth(1).unwrap_or("");
        let lines: Vec<&str> = examples
            .lines()
            .filter(|l| l.trim_start().starts_with("git wo "))
            .collect();
        assert!(!lines.is_empty(), "{name}: no examples: {out}");
        assert!(
            lines.iter().all(|l| l.contains(&format!("git wo {name}"))
                || l.contains(&format!("git wo --json {name}"))),
            "{name}: examples of another command: {lines:?}"
        );
    }
}

#[test]
fn path_prints_the_worktree_of_a_wo() {
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let wt = s.worktree("WO-0001");
    let (code, out, err) = s.run(&["path", "WO-0001"]);
    assert_eq!(code, 0, "{err}");
    let printed = std::path::PathBuf::from(out.trim_end());
    assert_eq!(
        std::fs::canonicalize(&printed).ok(),
        std::fs::canonicalize(&wt).ok(),
        "{out}"
    );
    assert_eq!(out.lines().count(), 1);
    // From inside (a subdirectory too), no id needed.
    std::fs::create_dir_all(wt.join("src/deep")).expect("mkdir");
    let (code, inside, _) = s.run_in(&wt.join("src/deep"), &["path"]);
    assert_eq!(code, 0);
    assert_eq!(inside, out);
    let (code, _, err) = s.run(&["path", "WO-0002"]);
    assert_eq!(code, 1, "a pending WO has no worktree: {err}");
    assert!(err.contains("has no worktree"), "{err}");
    let (code, _, err) = s.run(&["path", "WO-9999"]);
    assert_eq!(code, 2, "{err}");
    let (_, v) = s.json(&["path", "WO-0001"]);
    assert_eq!(v["schema"], "git-wo.path.v1");
}

#[test]
fn sibling_repositories_get_their_own_worktree_folders() {
    let s = Scenario::build("clean");
    s.git(&["config", "--unset", "wo.worktreeDir"]);
    let parent = s.repo.parent().expect("parent").to_path_buf();
    let other = parent.join("other");
    s.git(&[
        "clone",
        "-q",
        s.repo.to_str().expect("utf-8"),
        other.to_str().expect("utf-8"),
    ]);
    s.git_at(&other, &["config", "user.name", "bob"]);
    s.git_at(&other, &["config", "user.email", "bob@example.com"]);
    let (code, out, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out2, err) = s.run_in(&other, &["take", "WO-0001"]);
    assert_eq!(code, 0, "the sibling takes its own WO-0001: {out2}{err}");
    let mine = parent.join("repo.worktrees/WO-0001");
    let theirs = parent.join("other.worktrees/WO-0001");
    assert!(mine.join(".git").exists(), "{out}");
    assert!(theirs.join(".git").exists(), "{out2}");
    let (_, p1, _) = s.run(&["path", "WO-0001"]);
    let (_, p2, _) = s.run_in(&other, &["path", "WO-0001"]);
    assert_ne!(p1, p2);
    // wo.worktreeDir still overrides.
    s.git_at(&other, &["config", "wo.worktreeDir", "../shared-wt"]);
    let (code, out3, err) = s.run_in(&other, &["take", "WO-0002"]);
    assert_eq!(code, 0, "{out3}{err}");
    assert!(parent.join("shared-wt/WO-0002/.git").exists(), "{out3}");
}

#[test]
fn config_lists_values_sources_and_defaults() {
    let s = Scenario::build("clean");
    s.git(&["config", "wo.lease", "90m"]);
    let (code, out, err) = s.run(&["config"]);
    assert_eq!(code, 0, "{err}");
    let row = |key: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("{key} ")))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        row("wo.lease").contains("90m") && row("wo.lease").contains("local"),
        "{out}"
    );
    assert!(
        row("wo.jobsDir").contains("_ctx/jobs") && row("wo.jobsDir").contains("(default)"),
        "{out}"
    );
    assert!(row("user.name").contains("alice"), "{out}");
    let (_, v) = s.json(&["config"]);
    assert_eq!(v["schema"], "git-wo.config.v1");
    let lease = v["settings"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["key"] == "wo.lease"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(lease["default"], "2h");
    assert_eq!(lease["value"], "90m");
    // A bad value is bad input, named.
    s.git(&["config", "wo.lease", "soon"]);
    let (code, _, err) = s.run(&["config"]);
    assert_eq!(code, 2);
    assert!(err.contains("wo.lease"), "{err}");
}

#[test]
fn finish_that_keeps_the_worktree_names_the_work_and_exits_1() {
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let wt = s.worktree("WO-0001");
    std::fs::write(wt.join("done.txt"), "x\n").expect("write");
    s.git_at(&wt, &["add", "done.txt"]);
    s.git_at(&wt, &["commit", "-qm", "work"]);
    std::fs::write(wt.join("draft.md"), "not committed\n").expect("write");
    // (`done` would refuse: it certifies the committed tip. `failed` closes it.)
    let (code, out, err) = s.run_in(&wt, &["finish", "--result", "failed"]);
    assert_eq!(code, 1, "work left: {out}{err}");
    assert!(out.contains("draft.md"), "{out}");
    assert!(
        out.contains("work left:") && out.contains("git worktree remove -- "),
        "{out}"
    );
    assert!(
        s.path("_ctx/jobs/failed/WO-0001.yaml").exists(),
        "the WO is closed all the same"
    );
    assert!(wt.join("draft.md").exists(), "nothing lost");
    // Asked to keep it: not "work left".
    assert_eq!(s.run(&["take", "WO-0002"]).0, 0);
    let wt2 = s.worktree("WO-0002");
    let (code, out, _) = s.run_in(&wt2, &["finish", "--result", "failed", "--keep-worktree"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("work left"), "{out}");
}

#[test]
fn a_take_mirrors_wos_added_since_init() {
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["init"]).0, 0);
    s.write_wo("pending", "WO-0077", "");
    s.write_wo("pending", "WO-0078", "");
    let (code, out, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("also mirrored 2 WO(s) added since init: WO-0077, WO-0078"),
        "{out}"
    );
    for id in ["WO-0077", "WO-0078"] {
        assert!(
            s.git(&[
                "rev-parse",
                "--verify",
                "-q",
                &format!("refs/wo/orders/{id}")
            ])
            .len()
                > 10,
            "{id} has a record"
        );
    }
    let (_, report) = s.json(&["audit"]);
    assert!(
        !common::codes(&report)
            .iter()
            .any(|(c, _)| c == "unmirrored"),
        "{report}"
    );
    // Before init nothing is mirrored behind the user's back.
    let fresh = Scenario::build("clean");
    let (_, out, _) = fresh.run(&["take", "WO-0001"]);
    assert!(!out.contains("mirrored"), "{out}");
    assert!(
        fresh
            .git(&["for-each-ref", "refs/wo/orders/WO-0002"])
            .is_empty()
    );
}

#[test]
fn colour_follows_the_flag_no_color_and_git_config() {
    let s = Scenario::build("split_brain");
    let red = "\u{1b}[31;1mP0";
    let with = |args: &[&str], no_color: bool| -> String {
        let mut cmd = s.wo(args);
        if no_color {
            cmd.env("NO_COLOR", "1");
        } else {
            cmd.env_remove("NO_COLOR");
        }
        common::run(cmd).1
    };
    // Piped, no settings: no colour.
    assert!(!with(&["audit"], false).contains(red));
    assert!(with(&["--color", "always", "audit"], false).contains(red));
    assert!(
        with(&["--color", "always", "audit"], true).contains(red),
        "the flag beats NO_COLOR"
    );
    assert!(!with(&["--color", "never", "audit"], false).contains(red));
    s.git(&["config", "color.ui", "always"]);
    assert!(with(&["audit"], false).contains(red), "color.ui always");
    assert!(
        !with(&["audit"], true).contains(red),
        "NO_COLOR beats config"
    );
    s.git(&["config", "color.wo", "never"]);
    assert!(
        !with(&["audit"], false).contains(red),
        "color.wo beats color.ui"
    );
    // JSON is never coloured.
    assert!(!with(&["--color", "always", "--json", "audit"], false).contains('\u{1b}'));
}

#[test]
fn new_creates_a_lint_clean_staged_wo_with_the_next_free_id() {
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["init"]).0, 0);
    let (code, out, err) = s.run(&["--json", "new", "--title", "Fix: the \"login\" redirect"]);
    assert_eq!(code, 0, "{err}");
    let c: serde_json::Value = serde_json::from_str(&out).expect("json");
    // The clean fixture's highest id is WO-0010.
    assert_eq!(c["id"], "WO-0011", "{c}");
    assert_eq!(c["yaml"], "_ctx/jobs/pending/WO-0011.yaml");
    assert_eq!(c["staged"], true);
    assert_eq!(c["mirrored"], true, "a record, since init ran");
    assert!(
        s.git(&["diff", "--cached", "--name-only"])
            .contains("_ctx/jobs/pending/WO-0011.yaml")
    );
    let (code, out, _) = s.run(&["lint", "WO-0011"]);
    assert_eq!(code, 0, "{out}");
    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 0, "{report}");
    assert!(
        s.read("_ctx/jobs/pending/WO-0011.yaml")
            .contains("title: 'Fix: the \"login\" redirect'")
    );
    // An id in use is refused; so is a template that forgets the id.
    let (code, _, err) = s.run(&["new", "--title", "again", "--id", "WO-0011"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("exists already"), "{err}");
    std::fs::write(
        s.path("tpl.yaml"),
        "version: 1\nid: WO-9999\ntitle: {title}\n",
    )
    .expect("tpl");
    let (code, _, err) = s.run(&["new", "--title", "t", "--template", "tpl.yaml"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        !s.path("_ctx/jobs/pending/WO-0012.yaml").exists(),
        "nothing written"
    );
    // With wo.commit it is committed alone.
    s.git(&["config", "wo.commit", "true"]);
    let (code, _, err) = s.run(&["new", "--title", "second"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        s.git(&["log", "-1", "--format=%s"]).trim(),
        "wo: new WO-0012"
    );
}

/// Run `script` in bash in `s`'s checkout with git-wo on PATH; its stdout.
fn bash_in(s: &Scenario, script: &str) -> String {
    let bin = assert_cmd::cargo::cargo_bin("git-wo");
    let dir = bin.parent().expect("bin dir");
    let mut cmd = std::process::Command::new("bash");
    cmd.arg("-c").arg(script).current_dir(&s.repo);
    common::isolate(&mut cmd, s.tmp.path());
    cmd.env(
        "PATH",
        format!(
            "{}:{}",
            dir.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );
    let (code, out, err) = common::run(cmd);
    assert_eq!(code, 0, "{script}: {err}");
    out
}

#[test]
fn completions_list_commands_options_and_wo_ids() {
    let s = Scenario::build("clean");
    let complete = |words: &str| {
        bash_in(
            &s,
            &format!(
                "source <(git-wo completions bash); COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); _git_wo; echo \"${{COMPREPLY[*]}}\""
            ),
        )
        .trim()
        .to_owned()
    };
    assert_eq!(complete("git-wo ta"), "take");
    assert_eq!(complete("git wo rec"), "reconcile");
    assert!(complete("git-wo take --").contains("--steal"));
    // Where an id is expected, the WOs there are.
    let ids = complete("git-wo show WO-000");
    for id in ["WO-0001", "WO-0002", "WO-0003", "WO-0004"] {
        assert!(ids.split(' ').any(|w| w == id), "{id} in {ids}");
    }
    assert_eq!(complete("git-wo audit WO-"), "", "audit takes no id");
    // --depends of new names an existing WO.
    let deps = complete("git-wo new --title x --depends WO-000");
    assert!(deps.split(' ').any(|w| w == "WO-0001"), "{deps}");
    // Through git's own completion (`git wo <TAB>`), where the machine has it.
    let git_completion = std::path::Path::new("/usr/share/bash-completion/completions/git");
    if common::tool_present(
        "bash-completion's git script (/usr/share/bash-completion/completions/git)",
        git_completion.exists(),
    ) {
        let out = bash_in(
            &s,
            &format!(
                "source {}; source <(git-wo completions bash); COMP_WORDS=(git wo show WO-0010); COMP_CWORD=3; COMP_LINE='git wo show WO-0010'; COMP_POINT=${{#COMP_LINE}}; __git_wrap__git_main; echo \"${{COMPREPLY[*]}}\"",
                git_completion.display()
            ),
        );
        assert_eq!(out.trim(), "WO-0010");
    }
    // zsh and fish scripts are generated from the same definitions.
    for (shell, ids_fn) in [("zsh", "_git-wo-ids"), ("fish", "__git_wo_ids")] {
        let (code, out, err) = s.run(&["completions", shell]);
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains(ids_fn) && out.contains("reconcile"),
            "{shell}: {out}"
        );
    }
    // Outside any repository it still works.
    let outside = tempfile::tempdir().expect("tmp");
    let (code, out, _) = s.run_in(outside.path(), &["completions", "bash"]);
    assert_eq!(code, 0);
    assert!(out.contains("complete -o default -F _git_wo git-wo"));
}

/// `git-wo <args>` on a terminal (a pty from `script`), with `GIT_PAGER` set: what the
/// terminal showed. `None` when `script` is not installed.
fn on_a_terminal(s: &Scenario, args: &str, pager: &str) -> Option<String> {
    let bin = assert_cmd::cargo::cargo_bin("git-wo");
    if !common::tool_present("util-linux script", common::runs("script".as_ref())) {
        return None;
    }
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", &format!("{} {args}", bin.display()), "/dev/null"])
        .current_dir(&s.repo);
    common::isolate(&mut cmd, s.tmp.path());
    cmd.env("GIT_PAGER", pager).env_remove("NO_COLOR");
    let (code, out, err) = common::run(cmd);
    assert_eq!(code, 0, "{args}: {err}");
    Some(out.replace('\r', ""))
}

#[test]
fn long_output_is_paged_on_a_terminal_only() {
    let s = Scenario::build("clean");
    let pager = "sed 's/^/PAGED: /'";
    let Some(paged) = on_a_terminal(&s, "--color never list", pager) else {
        return;
    };
    let lines: Vec<&str> = paged.lines().filter(|l| !l.is_empty()).collect();
    assert!(!lines.is_empty(), "the pager showed nothing");
    assert!(lines.iter().all(|l| l.starts_with("PAGED: WO-")), "{paged}");
    let plain = on_a_terminal(&s, "--no-pager --color never list", pager).expect("script");
    assert!(!plain.contains("PAGED"), "{plain}");
    assert!(plain.contains("WO-0001"), "{plain}");
    // `cat` as the pager, or a pipe instead of a terminal: no pager.
    let cat = on_a_terminal(&s, "--color never list", "cat").expect("script");
    assert!(cat.contains("WO-0001") && !cat.contains("PAGED"), "{cat}");
    let mut piped = s.wo(&["list"]);
    piped.env("GIT_PAGER", pager);
    let (_, out, _) = common::run(piped);
    assert!(!out.contains("PAGED"), "{out}");
    // State changes are never paged.
    let take = on_a_terminal(&s, "take WO-0001", pager).expect("script");
    assert!(!take.contains("PAGED"), "{take}");
}
