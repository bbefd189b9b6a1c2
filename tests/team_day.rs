//! Issue 22, "a team's day without friction": the rough edges a new team meets (gc's
//! dry run, a done WO's path, markers after a rebase, the staged moves, an empty jobs
//! dir, a killed `git`, the small ones), shell integration, `git wo config KEY VALUE`,
//! Markdown for CI, branches other clones can fetch, and colour. Each in a real
//! repository with the real binary.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::Scenario;
use common::team::Team;

/// `script` in bash, in `dir`, with this build's git-wo on PATH: (exit, stdout, stderr).
fn bash(s: &Scenario, dir: &Path, script: &str) -> (i32, String, String) {
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(script).current_dir(dir);
    common::isolate(&mut cmd, s.tmp.path());
    cmd.env("PATH", common::path_with_wo());
    common::run(cmd)
}

/// Take `id` and commit a file inside the fixture's scope (`src/**`) in its worktree.
fn take_and_work(s: &Scenario, id: &str) -> std::path::PathBuf {
    let (code, out, err) = s.run(&["take", id]);
    assert_eq!(code, 0, "{out}{err}");
    let wt = s.worktree(id);
    std::fs::create_dir_all(wt.join("src")).expect("mkdir");
    std::fs::write(wt.join(format!("src/{id}.txt")), "work\n").expect("write");
    s.git_at(&wt, &["add", "."]);
    s.git_at(&wt, &["commit", "-qm", &format!("work on {id}")]);
    wt
}

// 1 ---------------------------------------------------------------------------------

#[test]
fn gc_dry_run_counts_what_it_lists_and_repeats_its_flags() {
    let s = Scenario::build("zombie");
    // WO-0081's zombie holds work: kept whatever the age.
    std::fs::write(s.worktree("WO-0081").join("notes.txt"), "a thought\n").expect("write");
    let (code, out, err) = s.run(&["gc", "--min-age", "0"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("would_remove  zombie     WO-0080"), "{out}");
    assert!(out.contains("would_keep    zombie     WO-0081"), "{out}");
    assert!(
        out.contains("zombies 1/2 would be removed") && out.contains("1 would be kept"),
        "the summary counts what it lists: {out}"
    );
    assert!(
        out.contains("git wo gc --apply --force --min-age 0, which copies"),
        "the --force hint repeats --min-age 0: {out}"
    );
    let apply = out
        .lines()
        .find_map(|l| l.strip_prefix("dry run: nothing changed. Apply: "))
        .unwrap_or_else(|| panic!("an Apply line: {out}"));
    assert_eq!(apply, "git wo gc --apply --min-age 0");
    let (_, v) = s.json(&["gc", "--min-age", "0"]);
    assert_eq!(v["summary"]["kept"], 1, "{v}");
    assert_eq!(v["summary"]["zombies_would_remove"], 1, "{v}");
    // The printed command, run as printed, acts on the plan it came from.
    let (code, out) = common::run_fix(&s, apply);
    assert_eq!(code, 1, "WO-0081 is kept: {out}");
    assert!(out.contains("removed       zombie     WO-0080"), "{out}");
    assert!(!s.worktree("WO-0080").exists());
    // Everything kept (young): no --apply to suggest.
    let s = Scenario::build("zombie");
    let (code, out, _) = s.run(&["gc"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("2 would be kept"), "{out}");
    assert!(!out.contains("Apply:"), "nothing would be applied: {out}");
    assert!(
        out.contains("or pass --min-age 0: git wo gc --min-age 0"),
        "{out}"
    );
}

// 2 ---------------------------------------------------------------------------------

#[test]
fn the_path_of_a_done_wo_says_it_has_no_worktree_and_names_its_branch() {
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["init"]).0, 0);
    let wt = take_and_work(&s, "WO-0001");
    let (code, out, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = s.run(&["path", "WO-0001"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("WO-0001 is done") && err.contains("no worktree"),
        "{err}"
    );
    assert!(err.contains("feat/wo-WO-0001"), "names its branch: {err}");
    assert!(!err.contains("a pending WO gets one"), "{err}");
    assert!(err.contains("git log feat/wo-WO-0001"), "{err}");
}

// 3 ---------------------------------------------------------------------------------

#[test]
fn after_a_rebase_show_lists_each_marker_once_on_the_commit_it_is_attached_to() {
    let s = Scenario::build("clean");
    s.git(&["config", "wo.commit", "true"]);
    assert_eq!(s.run(&["init"]).0, 0);
    s.commit_all("init");
    let wt = take_and_work(&s, "WO-0001");
    let (code, out, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 0, "{out}{err}");
    let before = s.git(&["rev-parse", "feat/wo-WO-0001"]).trim().to_owned();
    // main moves on; the branch is rebased onto it in a worktree of its own.
    std::fs::write(s.path("NEWS"), "news\n").expect("write");
    s.git(&["add", "NEWS"]);
    s.git(&["commit", "-qm", "news"]);
    let rb = s.tmp.path().join("rebase-here");
    s.git(&[
        "worktree",
        "add",
        "-q",
        &rb.to_string_lossy(),
        "feat/wo-WO-0001",
    ]);
    s.git_at(&rb, &["rebase", "-q", "main"]);
    let after = s.git(&["rev-parse", "feat/wo-WO-0001"]).trim().to_owned();
    assert_ne!(before, after);
    let notes = s.git(&["notes", "--ref=wo", "list"]);
    assert!(
        notes.contains(&after) && notes.contains(&before),
        "git copied the note, the old one stays: {notes}"
    );
    let (code, out, err) = s.run(&["show", "WO-0001"]);
    assert_eq!(code, 0, "{err}");
    let results: Vec<&str> = out.lines().filter(|l| l.contains("] result:")).collect();
    assert_eq!(results.len(), 1, "one result marker: {out}");
    assert!(
        results[0].contains(&format!("tip={after}")),
        "its tip is the commit it is on: {out}"
    );
    assert!(
        results[0].contains(&before[..12]),
        "and says where it came from: {out}"
    );
    let (_, v) = s.json(&["show", "WO-0001"]);
    let markers = v["markers"].as_array().expect("markers");
    assert_eq!(
        markers
            .iter()
            .filter(|m| m["line"].as_str().is_some_and(|l| l.contains("result:")))
            .count(),
        1,
        "{v}"
    );
}

// 4 ---------------------------------------------------------------------------------

#[test]
fn take_and_finish_name_what_they_staged_and_git_wo_commit_commits_only_that() {
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["init"]).0, 0);
    s.commit_all("init");
    // The user's own staged work, which must stay staged.
    std::fs::write(s.path("mine.txt"), "mine\n").expect("write");
    s.git(&["add", "mine.txt"]);
    let (code, out, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("staged:   _ctx/jobs/pending/WO-0001.yaml -> _ctx/jobs/running/WO-0001.yaml")
            && out.contains("commit it: git wo commit"),
        "{out}"
    );
    let head = s.git(&["rev-parse", "HEAD"]);
    let (code, out, err) = s.run(&["commit"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("wo: WO-0001 to running"), "{out}");
    assert_eq!(s.git(&["rev-parse", "HEAD~1"]), head);
    let committed = s.git(&["show", "--name-only", "--no-renames", "--format=", "HEAD"]);
    assert_eq!(
        committed.lines().collect::<Vec<_>>(),
        [
            "_ctx/jobs/pending/WO-0001.yaml",
            "_ctx/jobs/running/WO-0001.yaml"
        ],
        "{committed}"
    );
    assert_eq!(
        s.git(&["diff", "--cached", "--name-only"]).trim(),
        "mine.txt",
        "the user's staged change is still staged, nothing else is"
    );
    let (code, out, _) = s.run(&["commit"]);
    assert_eq!(code, 0);
    assert!(out.contains("nothing to commit"), "{out}");
    // A closure by hand is what the commit gate refuses: so does git wo commit.
    std::fs::copy(
        s.path("_ctx/jobs/pending/WO-0002.yaml"),
        s.path("_ctx/jobs/done/WO-0002.yaml"),
    )
    .expect("copy");
    s.git(&["add", "_ctx/jobs/done/WO-0002.yaml"]);
    let head = s.git(&["rev-parse", "HEAD"]);
    let (code, _, err) = s.run(&["commit"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("WO-0002"), "{err}");
    assert_eq!(s.git(&["rev-parse", "HEAD"]), head, "nothing committed");
    s.git(&["rm", "-q", "--cached", "_ctx/jobs/done/WO-0002.yaml"]);
    std::fs::remove_file(s.path("_ctx/jobs/done/WO-0002.yaml")).expect("rm");
    // Finish says it too, from the worktree (the index is the main checkout's).
    let wt = s.worktree("WO-0001");
    std::fs::create_dir_all(wt.join("src")).expect("mkdir");
    std::fs::write(wt.join("src/w.txt"), "w\n").expect("write");
    s.git_at(&wt, &["add", "."]);
    s.git_at(&wt, &["commit", "-qm", "w"]);
    let (code, out, err) = s.run_in(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("staged:   _ctx/jobs/running/WO-0001.yaml -> _ctx/jobs/done/WO-0001.yaml")
            && out.contains(&format!("in {}", s.repo.display())),
        "{out}"
    );
    // With wo.commit=true nothing is left to say.
    s.git(&["config", "wo.commit", "true"]);
    let (code, out, err) = s.run(&["take", "WO-0002"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("staged:"), "{out}");
}

// 5 ---------------------------------------------------------------------------------

#[test]
fn init_create_writes_and_stages_a_gitkeep_in_each_state_folder() {
    let tmp = tempfile::tempdir().expect("tmp");
    let home = tmp.path();
    let repo = home.join("fresh");
    std::fs::create_dir_all(&repo).expect("mkdir");
    let git = |dir: &Path, args: &[&str]| common::git_in(dir, home, args);
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["config", "user.name", "alice"]);
    git(&repo, &["config", "user.email", "a@example.com"]);
    git(&repo, &["config", "wo.gate.hooks", "none"]);
    std::fs::write(repo.join("README"), "x\n").expect("write");
    git(&repo, &["add", "README"]);
    git(&repo, &["commit", "-qm", "start"]);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_git-wo"));
    cmd.args(["init", "--create"]).current_dir(&repo);
    common::isolate(&mut cmd, home);
    let (code, out, err) = common::run(cmd);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(".gitkeep"), "{out}");
    let staged = git(&repo, &["diff", "--cached", "--name-only"]);
    for state in ["pending", "running", "done", "failed"] {
        let keep = format!("_ctx/jobs/{state}/.gitkeep");
        assert!(repo.join(&keep).exists(), "{keep}");
        assert!(staged.lines().any(|l| l == keep), "{keep} staged: {staged}");
    }
    // Committed, a clone gets the folders.
    git(&repo, &["commit", "-qm", "jobs dir"]);
    let clone = home.join("clone");
    git(
        home,
        &[
            "clone",
            "-q",
            &repo.to_string_lossy(),
            &clone.to_string_lossy(),
        ],
    );
    assert!(clone.join("_ctx/jobs/pending").is_dir());
}

// 6 ---------------------------------------------------------------------------------

#[test]
fn killing_the_git_of_a_take_stops_git_wo_and_undoes_the_take() {
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["init"]).0, 0);
    let mut git = Command::new("git");
    git.args(["wo", "take", "WO-0001"]).current_dir(&s.repo);
    common::isolate(&mut git, s.tmp.path());
    git.env("PATH", common::path_with_wo());
    let mut paused = common::spawn_paused(git, s.tmp.path(), "take:after-worktree");
    // kill -9 of git: it cannot pass anything on to its child.
    let (_, err) = paused.kill_and_drain();
    assert!(
        err.contains("interrupted (the git that ran it died) at the") && err.contains("undone"),
        "git-wo stopped at its next step, said why, and undid the take: {err}"
    );
    let record = common::record_of(&s, "WO-0001");
    assert_eq!(record["state"], "pending", "{record}");
    assert_eq!(common::yaml_copies(&s, "WO-0001"), ["pending"]);
    assert!(!s.worktree("WO-0001").exists(), "the worktree is undone");
}

// 7 ---------------------------------------------------------------------------------

#[test]
fn the_kpi_table_keeps_its_columns_apart() {
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["init"]).0, 0);
    let (_, out, _) = s.run(&["kpi"]);
    let header = out.lines().next().expect("header");
    let target = header.find("target").expect("target column");
    for line in out.lines().skip(1) {
        let chars: Vec<char> = line.chars().collect();
        let at = header[..target].chars().count();
        assert!(
            chars.len() > at && chars[at - 2] == ' ' && chars[at - 1] == ' ',
            "two spaces before the target column: {line:?}\n{out}"
        );
    }
}

#[test]
fn one_copy_goes_to_quarantine() {
    let s = Scenario::build("split_brain");
    let (_, out, _) = s.run(&["audit"]);
    assert!(
        out.contains("_ctx/jobs/pending/WO-0014.yaml goes to quarantine"),
        "{out}"
    );
    assert!(!out.contains(".yaml go to quarantine"), "{out}");
}

#[test]
fn a_removed_worktree_as_current_directory_names_the_main_checkout() {
    let s = Scenario::build("clean");
    let wt = take_and_work(&s, "WO-0001");
    let (_, out, err) = bash(
        &s,
        &s.repo,
        &format!(
            "cd {} && git wo finish --result done && git wo status",
            wt.display()
        ),
    );
    assert!(err.contains("no longer exists"), "{out}{err}");
    assert!(
        err.contains(&format!("fix: cd {} and run", s.repo.display())),
        "{err}"
    );
}

#[test]
fn show_history_says_who_made_each_transition_and_whose_lease_a_requeue_released() {
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["init"]).0, 0);
    let (code, _, err) = s.run(&["take", "WO-0001", "--owner", "bob"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = s.run(&["requeue", "WO-0001", "--force", "--reason", "bob left"]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = s.run(&["show", "WO-0001"]);
    let line = |what: &str| {
        out.lines()
            .find(|l| l.contains(what))
            .unwrap_or_else(|| panic!("{what}: {out}"))
            .to_owned()
    };
    assert!(line("wo: take WO-0001").ends_with("by bob"), "{out}");
    assert!(
        line("wo: requeue WO-0001").ends_with("by alice, released bob's lease"),
        "{out}"
    );
    let (_, v) = s.json(&["show", "WO-0001"]);
    assert_eq!(v["history"][0]["by"], "alice", "{v}");
    assert_eq!(v["history"][0]["released_lease_of"], "bob", "{v}");
}

#[test]
fn audit_reports_the_sync_conflict_sync_found_until_it_is_resolved() {
    let ids: Vec<String> = ["WO-0001"].map(String::from).into();
    let t = Team::new(&ids, |p| p.to_string_lossy().into_owned());
    assert_eq!(t.wo(&t.a, &["sync"]).0, 0);
    assert_eq!(t.wo(&t.b, &["sync"]).0, 0);
    // b takes it through the remote; a takes it alone (no wo.remote).
    let (code, _, err) = t.wo(&t.b, &["take", "WO-0001"]);
    assert_eq!(code, 0, "{err}");
    t.git(&t.a, &["config", "--unset", "wo.remote"]);
    let (code, _, err) = t.wo(&t.a, &["take", "WO-0001"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = t.wo(&t.a, &["sync", "origin"]);
    assert_eq!(code, 1, "{out}");
    let (code, out, _) = t.wo(&t.a, &["audit"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("sync_conflict (P1)") && out.contains("sync_conflict WO-0001"),
        "{out}"
    );
    assert!(out.contains("git update-ref"), "its hint: {out}");
    // Keeping theirs resolves it: audit no longer reports it.
    t.git(
        &t.a,
        &[
            "update-ref",
            "refs/wo/orders/WO-0001",
            "refs/remotes/origin/wo/orders/WO-0001",
        ],
    );
    let (_, out, _) = t.wo(&t.a, &["audit"]);
    assert!(!out.contains("sync_conflict WO-0001"), "{out}");
}

#[test]
fn snapshot_exits_1_when_the_gate_fails() {
    let s = Scenario::build("split_brain");
    let (code, out, err) = s.run(&["snapshot", "--dir", "snap"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        s.path("snap/wo_audit.json").exists(),
        "written all the same"
    );
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["snapshot", "--dir", "snap"]).0, 0);
}

#[test]
fn completions_offer_json_path_and_only_pending_ids_for_take() {
    let s = Scenario::build("clean");
    let complete = |words: &str| {
        let (code, out, err) = bash(
            &s,
            &s.repo,
            &format!(
                "source <(git-wo completions bash); COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); _git_wo; echo \"${{COMPREPLY[*]}}\""
            ),
        );
        assert_eq!(code, 0, "{err}");
        out.trim().to_owned()
    };
    for sub in ["reconcile", "gc"] {
        let flags = complete(&format!("git-wo {sub} --js"));
        assert_eq!(flags, "--json", "{sub}: {flags}");
    }
    let take = complete("git-wo take WO-00");
    assert!(take.split(' ').any(|w| w == "WO-0001"), "{take}");
    assert!(!take.split(' ').any(|w| w == "WO-0010"), "running: {take}");
    assert!(!take.split(' ').any(|w| w == "WO-0005"), "done: {take}");
    let show = complete("git-wo show WO-00");
    assert!(show.split(' ').any(|w| w == "WO-0010"), "{show}");
}

// 10 --------------------------------------------------------------------------------

#[test]
fn shell_integration_changes_directory_on_take_path_and_finish() {
    let s = Scenario::build("clean");
    let wt = s.worktree("WO-0001");
    let script = format!(
        r#"eval "$(git wo shell-init bash)"
git wo -q take WO-0001 && echo "after take: $PWD"
cd {repo} && git wo path WO-0001 >/dev/null && echo "after path: $PWD"
mkdir -p src && echo w > src/w.txt && git add src && git commit -qm w
git wo -q finish --result done; echo "after finish: $PWD"
git wo path WO-0001 2>/dev/null; echo "after a failed path: $PWD"
"#,
        repo = s.repo.display()
    );
    let (code, out, err) = bash(&s, &s.repo, &script);
    assert_eq!(code, 0, "{out}{err}");
    let wt = wt.display().to_string();
    let repo = s.repo.display().to_string();
    assert!(out.contains(&format!("after take: {wt}\n")), "{out}{err}");
    assert!(out.contains(&format!("after path: {wt}\n")), "{out}{err}");
    assert!(
        out.contains(&format!("after finish: {repo}\n")),
        "{out}{err}"
    );
    assert!(
        out.contains(&format!("after a failed path: {repo}\n")),
        "{out}{err}"
    );
    // Other git commands go straight through.
    let (code, out, _) = bash(
        &s,
        &s.repo,
        "eval \"$(git wo shell-init bash)\"; git rev-parse --is-inside-work-tree; pwd",
    );
    assert_eq!(code, 0);
    assert_eq!(out, format!("true\n{repo}\n"));
    for shell in ["zsh", "fish"] {
        let (code, out, _) = s.run(&["shell-init", shell]);
        assert_eq!(code, 0);
        assert!(out.contains("GIT_WO_CD_FILE"), "{shell}: {out}");
    }
}

// 11 --------------------------------------------------------------------------------

#[test]
fn config_sets_and_unsets_checked_values() {
    let s = Scenario::build("clean");
    let (code, out, err) = s.run(&["config", "wo.commit", "yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("wo.commit = true"), "{out}");
    assert_eq!(s.git(&["config", "wo.commit"]).trim(), "true");
    let (code, _, err) = s.run(&["config", "wo.gate.hooks", "husky"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("git-wo, framework, none"),
        "allowed values: {err}"
    );
    let (code, _, err) = s.run(&["config", "wo.lease", "soon"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("90m"), "{err}");
    let (code, _, err) = s.run(&["config", "wo.nope", "1"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("wo.lease") && err.contains("wo.commit"),
        "{err}"
    );
    // A bad value already set can be replaced (nothing else runs with it).
    s.git(&["config", "wo.lease", "soon"]);
    assert_eq!(s.run(&["config"]).0, 2);
    let (code, _, err) = s.run(&["config", "wo.lease", "3h"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = s.run(&["config", "wo.lease"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("wo.lease  3h"), "{out}");
    let (code, out, err) = s.run(&["config", "--unset", "wo.lease"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("unset"), "{out}");
    let (_, out, _) = s.run(&["config", "wo.lease"]);
    assert!(out.contains("(default)"), "{out}");
}

// 12 --------------------------------------------------------------------------------

#[test]
fn audit_kpi_and_gc_print_markdown_for_ci() {
    let s = Scenario::build("split_brain");
    let (code, out, _) = s.run(&["audit", "--format", "markdown"]);
    assert_eq!(code, 1);
    assert!(out.starts_with("### git wo audit: "), "{out}");
    assert!(out.contains("| metric | value |\n|---|---|\n"), "{out}");
    assert!(
        out.contains("| P0 | `split_brain` | WO-0014 | WO-0014 is in pending and done at once | `git wo reconcile --apply` "),
        "{out}"
    );
    let s = Scenario::build("zombie");
    let (code, out, _) = s.run(&["gc", "--format", "markdown", "--min-age", "0"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("| action | kind | WO | worktree | why |"),
        "{out}"
    );
    assert!(
        out.contains("| `would_remove` | zombie | WO-0080 |"),
        "{out}"
    );
    assert!(
        out.contains("`git wo gc --apply --min-age 0`"),
        "the apply command, with its flags: {out}"
    );
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["init"]).0, 0);
    assert_eq!(s.run(&["take", "WO-0001"]).0, 0);
    let (_, out, _) = s.run(&["kpi", "--weeks", "3", "--format", "markdown"]);
    assert!(out.contains("| KPI | value | target | met |"), "{out}");
    assert!(
        out.contains("| `intent_marker_adoption` | 100 % (1/1) | ≥ 80 % | yes |"),
        "{out}"
    );
    assert!(
        out.contains(
            "```mermaid\nxychart-beta\n    title \"intent_marker_adoption, week by week\""
        ),
        "{out}"
    );
    assert!(out.contains("line [0, 0, 100]"), "{out}");
}

#[test]
fn the_weekly_ci_example_writes_the_gc_report_to_the_job_summary() {
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/wo-gc-weekly.yml"),
    )
    .expect("the example");
    // The run block of the step that runs gc, as the runner's bash runs it.
    let step = example
        .split("      - name: ")
        .find(|s| s.starts_with("git wo gc"))
        .expect("the gc step");
    let run: String = step
        .split_once("run: |\n")
        .expect("run block")
        .1
        .lines()
        .take_while(|l| l.starts_with("          ") || l.trim().is_empty())
        .map(|l| format!("{}\n", l.trim_start()))
        .collect();
    let s = Scenario::build("zombie");
    let summary = s.tmp.path().join("summary.md");
    let mut cmd = Command::new("bash");
    cmd.args(["-e", "-c", &run]).current_dir(s.tmp.path());
    common::isolate(&mut cmd, s.tmp.path());
    cmd.env("PATH", common::path_with_wo())
        .env("WO_CONTROL_CHECKOUT", &s.repo)
        .env("GITHUB_STEP_SUMMARY", &summary);
    let (code, out, err) = common::run(cmd);
    assert_eq!(code, 1, "there is work: the job fails: {out}{err}");
    let md = std::fs::read_to_string(&summary).expect("the job summary");
    assert!(md.contains("### git wo gc (dry run)"), "{md}");
    assert!(
        md.contains("| action | kind | WO | worktree | why |"),
        "{md}"
    );
    assert!(s.tmp.path().join("gc-report.json").exists(), "{out}{err}");
}

// 13 --------------------------------------------------------------------------------

#[test]
fn finish_pushes_the_wo_branch_and_a_failed_push_is_only_a_warning() {
    let ids: Vec<String> = ["WO-0001", "WO-0002", "WO-0003"].map(String::from).into();
    let t = Team::new(&ids, |p| p.to_string_lossy().into_owned());
    let work = |id: &str| {
        let (code, _, err) = t.wo(&t.a, &["take", id]);
        assert_eq!(code, 0, "{err}");
        let wt = t.tmp.path().join(format!("a.worktrees/{id}"));
        std::fs::write(wt.join(format!("{id}.txt")), "w\n").expect("write");
        t.git(&wt, &["add", "."]);
        t.git(&wt, &["commit", "-qm", id]);
        wt
    };
    let wt = work("WO-0001");
    let (code, out, err) = t.wo(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("branch:   feat/wo-WO-0001 pushed to origin"),
        "{out}"
    );
    assert_eq!(
        t.rev(&t.remote, "refs/heads/feat/wo-WO-0001"),
        t.rev(&t.a, "refs/heads/feat/wo-WO-0001"),
        "the remote has the branch the result marker names"
    );
    // Someone else's branch of that name is there: the push fails, the finish does not.
    let other = t.tmp.path().join("b");
    t.git(
        &other,
        &["commit", "-q", "--allow-empty", "-m", "not yours"],
    );
    t.git(
        &other,
        &["push", "-q", "origin", "HEAD:refs/heads/feat/wo-WO-0002"],
    );
    let wt = work("WO-0002");
    let (code, out, err) = t.wo(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains(
            "warning: WO-0002: finished, but its branch feat/wo-WO-0002 was not pushed to origin"
        ) && err.contains("git push origin feat/wo-WO-0002"),
        "{err}"
    );
    assert!(t.a.join("_ctx/jobs/done/WO-0002.yaml").exists(), "finished");
    // wo.pushBranches=false: not pushed.
    t.git(&t.a, &["config", "wo.pushBranches", "false"]);
    let wt = work("WO-0003");
    let (code, out, err) = t.wo(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(t.rev(&t.remote, "refs/heads/feat/wo-WO-0003"), None);
}

// 14 --------------------------------------------------------------------------------

#[test]
fn list_show_and_errors_are_coloured_as_the_settings_say() {
    let s = Scenario::build("stale_lock");
    s.write_wo("pending", "WO-0090", "");
    let p0 = s
        .read("_ctx/jobs/pending/WO-0090.yaml")
        .replace("priority: P2", "priority: P0");
    std::fs::write(s.path("_ctx/jobs/pending/WO-0090.yaml"), p0).expect("write");
    let with = |args: &[&str], no_color: bool| -> (String, String) {
        let mut cmd = s.wo(args);
        if no_color {
            cmd.env("NO_COLOR", "1");
        } else {
            cmd.env_remove("NO_COLOR");
        }
        let (_, out, err) = common::run(cmd);
        (out, err)
    };
    let (list, _) = with(&["--color", "always", "list"], false);
    assert!(list.contains("\x1b[33mrunning\x1b[0m"), "state: {list:?}");
    assert!(list.contains("\x1b[31;1mWO-0090\x1b[0m"), "P0: {list:?}");
    assert!(
        list.contains("\x1b[31mlease expired"),
        "expired lease: {list:?}"
    );
    let (plain, _) = with(&["list"], false);
    assert!(!plain.contains('\x1b'), "piped: no colour: {plain:?}");
    let (show, _) = with(&["--color", "always", "show", "WO-0070"], false);
    assert!(show.contains("\x1b[33mrunning\x1b[0m"), "{show:?}");
    let (_, err) = with(&["--color", "always", "take", "WO-9999"], false);
    assert!(err.starts_with("\x1b[31;1mgit wo\x1b[0m: "), "{err:?}");
    assert!(err.contains("\x1b[1mfix:\x1b[0m"), "{err:?}");
    // color.ui=always colours; NO_COLOR and color.wo=never win over it.
    s.git(&["config", "color.ui", "always"]);
    assert!(with(&["list"], false).0.contains('\x1b'));
    assert!(with(&["take", "WO-9999"], false).1.contains('\x1b'));
    assert!(!with(&["list"], true).0.contains('\x1b'));
    assert!(!with(&["take", "WO-9999"], true).1.contains('\x1b'));
    s.git(&["config", "color.wo", "never"]);
    assert!(!with(&["list"], false).0.contains('\x1b'));
    assert!(!with(&["take", "WO-9999"], false).1.contains('\x1b'));
}
