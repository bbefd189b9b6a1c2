//! Moving a team from the original scripts (issue 26), in real repositories with the
//! real binary: `git wo fmt` (the original formatter's key order), `unknown_epic` (the
//! original linter's epic check), `git wo agent-setup` (the agents' command files),
//! `git wo index` (the original exporter's `_ctx/index/wo_worktrees.json`) and the
//! weekly gate workflow of `docs/examples/`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::{CommandFactory, Parser};
use common::Scenario;
use git_wo::cli::{Cli, normalize_args};
use serde_json::Value;

fn manifest(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A WO the way a person wrote it: keys out of the formatter's order, comments above
/// some keys, a block scalar, an unknown key, blank lines.
const SHUFFLED: &str = "# WO-0100: written by hand\n\ntitle: \"Shuffled: keys\"   # keep this comment\n# the id, right above it\nid: WO-0100\nx_team_note: keep me where I am\nobjective: |\n  Two lines\n  of text.\n\nversion: 1\nstatus: pending\nexecution:\n  mode: agent\n# scope comes before dod_id\nscope:\n  allow: [\"src/**\"]\n  deny: []\ndod_id: DOD-STD\npriority: P1\nepic_id: E-1\n\n# the end\n";

/// [`SHUFFLED`] as the original formatter orders it, written by hand: each block
/// moved whole with the comments directly above it, nothing else changed.
const ORDERED: &str = "# WO-0100: written by hand\n\nversion: 1\n# the id, right above it\nid: WO-0100\nepic_id: E-1\n\ntitle: \"Shuffled: keys\"   # keep this comment\npriority: P1\nstatus: pending\n# scope comes before dod_id\nscope:\n  allow: [\"src/**\"]\n  deny: []\ndod_id: DOD-STD\nexecution:\n  mode: agent\nobjective: |\n  Two lines\n  of text.\n\nx_team_note: keep me where I am\n# the end\n";

fn with_shuffled() -> Scenario {
    let s = Scenario::build("empty");
    std::fs::write(s.path("_ctx/jobs/pending/WO-0100.yaml"), SHUFFLED).expect("write");
    s.write_wo("pending", "WO-0101", "");
    s.commit_all("two WOs");
    s
}

fn staged(s: &Scenario) -> Vec<String> {
    s.git(&["diff", "--cached", "--name-only"])
        .lines()
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------
// git wo fmt

#[test]
fn fmt_check_lists_the_files_out_of_order_and_fmt_moves_each_block_whole() {
    let s = with_shuffled();
    // WO-0101 (the tests' usual WO) is in order already.
    let (code, out, err) = s.run(&["fmt", "--check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(
        out,
        "_ctx/jobs/pending/WO-0100.yaml: WO-0100: top-level keys out of order (fix: git wo fmt WO-0100)\n1 of 2 file(s) out of order\n"
    );
    assert_eq!(
        s.read("_ctx/jobs/pending/WO-0100.yaml"),
        SHUFFLED,
        "--check writes nothing"
    );
    assert!(staged(&s).is_empty());

    let (code, out, err) = s.run(&["fmt"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "reordered _ctx/jobs/pending/WO-0100.yaml (staged)\n1 of 2 file(s) reordered\n"
    );
    assert_eq!(s.read("_ctx/jobs/pending/WO-0100.yaml"), ORDERED);
    assert_eq!(staged(&s), ["_ctx/jobs/pending/WO-0100.yaml"]);
    // Idempotent, and what it wrote passes lint and take.
    let (code, out, _) = s.run(&["fmt", "--check"]);
    assert_eq!((code, out.as_str()), (0, "0 of 2 file(s) out of order\n"));
    let (code, _, err) = s.run(&["fmt"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(s.read("_ctx/jobs/pending/WO-0100.yaml"), ORDERED);
    let (code, out, err) = s.run(&["lint", "WO-0100"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn fmt_with_files_checks_only_those_as_a_hook_passes_them() {
    let s = with_shuffled();
    s.write_wo("pending", "WO-0102", "");
    std::fs::write(
        s.path("_ctx/jobs/pending/WO-0103.yaml"),
        SHUFFLED.replace("0100", "0103"),
    )
    .expect("write");
    // Only WO-0101 named: in order.
    let (code, out, _) = s.run(&["fmt", "--check", "_ctx/jobs/pending/WO-0101.yaml"]);
    assert_eq!((code, out.as_str()), (0, "0 of 1 file(s) out of order\n"));
    // WO-0103 named by path, WO-0100 by id; a path that is no WO file is left out.
    let (code, out, _) = s.run(&[
        "fmt",
        "--check",
        "_ctx/jobs/pending/WO-0103.yaml",
        "WO-0100",
        "README.md",
        "no/such/file.yaml",
    ]);
    assert_eq!(code, 1);
    assert!(
        out.contains("WO-0103.yaml: WO-0103") && out.contains("WO-0100.yaml: WO-0100"),
        "{out}"
    );
    assert!(out.ends_with("2 of 2 file(s) out of order\n"), "{out}");
    // From a subfolder, paths are relative to it.
    let (code, out, _) = s.run_in(
        &s.path("_ctx/jobs"),
        &["fmt", "--check", "pending/WO-0103.yaml"],
    );
    assert_eq!(code, 1, "{out}");
    // Paths that name no live WO file: nothing to check (never every file).
    let (code, out, _) = s.run(&["fmt", "--check", "README.md"]);
    assert_eq!((code, out.as_str()), (0, "0 of 0 file(s) out of order\n"));
    // An id with no file is bad input.
    let (code, _, err) = s.run(&["fmt", "WO-0999"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn fmt_leaves_alone_a_file_it_cannot_reorder_safely() {
    let s = with_shuffled();
    let flow = "{version: 1, id: WO-0104, epic_id: E-1, title: Flow, priority: P2, status: pending, dod_id: DOD-STD, execution: {mode: agent}}\n";
    std::fs::write(s.path("_ctx/jobs/pending/WO-0104.yaml"), flow).expect("write");
    let broken = "title: x\nid: [unclosed\n";
    std::fs::write(s.path("_ctx/jobs/pending/WO-0105.yaml"), broken).expect("write");
    let (code, out, err) = s.run(&["fmt"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("warning: WO-0104: _ctx/jobs/pending/WO-0104.yaml: not reordered: its top level is written in flow style")
            && err.contains("(fix: git wo lint WO-0104)"),
        "{err}"
    );
    assert!(
        err.contains("WO-0105.yaml: not reordered: unparsable YAML"),
        "{err}"
    );
    assert_eq!(s.read("_ctx/jobs/pending/WO-0104.yaml"), flow);
    assert_eq!(s.read("_ctx/jobs/pending/WO-0105.yaml"), broken);
    assert_eq!(s.read("_ctx/jobs/pending/WO-0100.yaml"), ORDERED);
}

#[test]
fn fmt_commits_its_files_alone_with_wo_commit_and_stages_only_tracked_files() {
    let s = with_shuffled();
    s.git(&["config", "wo.commit", "true"]);
    // The user's own staged change stays staged, out of fmt's commit.
    std::fs::write(s.path("notes.txt"), "mine\n").expect("write");
    s.git(&["add", "notes.txt"]);
    // An untracked WO file is reordered but not staged.
    std::fs::write(
        s.path("_ctx/jobs/pending/WO-0106.yaml"),
        SHUFFLED.replace("0100", "0106"),
    )
    .expect("write");
    let (code, out, err) = s.run(&["fmt"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("reordered _ctx/jobs/pending/WO-0100.yaml (committed)")
            && out.contains("reordered _ctx/jobs/pending/WO-0106.yaml\n"),
        "{out}"
    );
    assert_eq!(
        s.git(&["log", "-1", "--format=%s"]).trim(),
        "wo: fmt WO-0100"
    );
    assert_eq!(
        s.git(&["show", "--name-only", "--format=", "HEAD"]).trim(),
        "_ctx/jobs/pending/WO-0100.yaml"
    );
    assert_eq!(staged(&s), ["notes.txt"]);
    assert_eq!(
        s.read("_ctx/jobs/pending/WO-0106.yaml"),
        ORDERED.replace("0100", "0106")
    );
}

#[test]
fn a_new_wo_is_in_the_formatters_order() {
    let s = Scenario::build("empty");
    let (code, _, err) = s.run(&[
        "new", "--title", "Fresh", "--verify", "true", "--scope", "src/**",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = s.run(&["fmt", "--check"]);
    assert_eq!((code, out.as_str()), (0, "0 of 1 file(s) out of order\n"));
}

#[test]
fn the_wo_fmt_hook_refuses_a_commit_of_files_out_of_order_through_the_framework() {
    let Some(tool) = common::framework::tool() else {
        return;
    };
    let s = with_shuffled();
    common::framework::install(&s, &tool, &["wo-fmt"], &["pre-commit"]);
    // A commit that does not stage the shuffled WO passes.
    let (code, out, err) =
        common::git_hooked_env(&s, &s.repo, &["commit", "-q", "-m", "config"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    // Staging it is refused, naming it; fmt (which stages) makes the commit pass.
    let p = s.path("_ctx/jobs/pending/WO-0100.yaml");
    std::fs::write(&p, SHUFFLED.replace("P1", "P0")).expect("write");
    s.git(&["add", "_ctx/jobs/pending/WO-0100.yaml"]);
    let (code, out, err) = common::git_hooked_env(&s, &s.repo, &["commit", "-q", "-m", "p0"], &[]);
    assert_ne!(code, 0, "{out}{err}");
    assert!(format!("{out}{err}").contains("WO-0100.yaml: WO-0100: top-level keys out of order"));
    let (code, _, err) = s.run(&["fmt", "WO-0100"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = common::git_hooked_env(&s, &s.repo, &["commit", "-q", "-m", "p0"], &[]);
    assert_eq!(code, 0, "{out}{err}");
}

// ---------------------------------------------------------------------------
// Lint parity: epic ids against the backlog.

fn with_epics(backlog: Option<&str>) -> Scenario {
    let s = Scenario::build("empty");
    s.write_wo("pending", "WO-0001", "");
    std::fs::write(
        s.path("_ctx/jobs/pending/WO-0002.yaml"),
        s.read("_ctx/jobs/pending/WO-0001.yaml")
            .replace("WO-0001", "WO-0002")
            .replace("epic_id: E-1", "epic_id: E-99"),
    )
    .expect("write");
    if let Some(b) = backlog {
        std::fs::create_dir_all(s.path("_ctx/backlog")).expect("mkdir");
        std::fs::write(s.path("_ctx/backlog/backlog.yaml"), b).expect("write");
    }
    s.commit_all("WOs");
    s
}

const BACKLOG: &str =
    "version: 1\nepics:\n  - id: E-1\n    title: \"Core\"\n    wo_queue: [WO-0001]\n  - id: E-2\n";

#[test]
fn an_epic_the_backlog_does_not_define_is_unknown_epic_in_lint_audit_take_and_new() {
    // No backlog: no check.
    let s = with_epics(None);
    let (code, v) = s.json(&["lint"]);
    assert_eq!(code, 0, "{v}");
    let (_, report) = s.json(&["audit"]);
    assert!(
        !common::codes(&report)
            .iter()
            .any(|(c, _)| c == "unknown_epic")
    );

    let s = with_epics(Some(BACKLOG));
    let (code, v) = s.json(&["lint"]);
    assert_eq!(code, 1, "{v}");
    let problems = v["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{v}");
    assert_eq!(problems[0]["code"], "unknown_epic");
    assert_eq!(problems[0]["wo_id"], "WO-0002");
    let text = problems[0]["problem"].as_str().unwrap_or_default();
    assert!(text.contains("E-99") && text.contains("E-1, E-2"), "{text}");
    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 1);
    assert_eq!(
        common::codes(&report),
        [("unknown_epic".to_owned(), "WO-0002".to_owned())]
    );
    let f = &report["findings"][0];
    assert_eq!(f["severity"], "P2");
    assert!(f["fix"].is_null(), "a person decides: {f}");
    // take runs lint first: refused, nothing changed.
    let before = common::jobs_files(&s);
    let (code, _, err) = s.run(&["take", "WO-0002"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown_epic"), "{err}");
    assert_eq!(common::jobs_files(&s), before);
    let (code, _, err) = s.run(&["take", "WO-0001"]);
    assert_eq!(code, 0, "{err}");
    // new checks the epic it is given.
    let (code, _, err) = s.run(&["new", "--title", "x", "--epic", "E-7"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown_epic"), "{err}");
    let (code, _, err) = s.run(&["new", "--title", "x", "--epic", "E-2"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_backlog_that_is_not_one_is_a_lint_problem_and_no_epic_is_called_unknown() {
    let s = with_epics(Some("epics:\n  - title: no id\n"));
    let (code, v) = s.json(&["lint"]);
    assert_eq!(code, 1, "{v}");
    let problems = v["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{v}");
    assert_eq!(problems[0]["path"], "_ctx/backlog/backlog.yaml");
    assert!(
        problems[0]["problem"]
            .as_str()
            .unwrap_or_default()
            .starts_with("not a backlog")
    );
    let (_, report) = s.json(&["audit"]);
    assert!(
        !common::codes(&report)
            .iter()
            .any(|(c, _)| c == "unknown_epic")
    );
}

// ---------------------------------------------------------------------------
// git wo agent-setup

const CLAUDE: [&str; 3] = [
    ".claude/commands/wo-start.md",
    ".claude/commands/wo-finish.md",
    ".claude/commands/wo-repair.md",
];
const GEMINI: [&str; 3] = [
    ".gemini/commands/wo-start.toml",
    ".gemini/commands/wo-finish.toml",
    ".gemini/commands/wo-repair.toml",
];

#[test]
fn agent_setup_writes_each_agents_commands_and_never_replaces_a_differing_file_without_force() {
    let s = Scenario::build("empty");
    for (agent, files) in [("claude", CLAUDE), ("gemini", GEMINI)] {
        let (code, out, err) = s.run(&["agent-setup", agent]);
        assert_eq!(code, 0, "{err}");
        for f in files {
            assert!(out.contains(&format!("created   {f}")), "{out}");
            assert!(s.path(f).is_file(), "{f}");
        }
        // Again: unchanged.
        let (code, out, _) = s.run(&["agent-setup", agent]);
        assert_eq!(code, 0);
        assert_eq!(out.matches("unchanged").count(), 3, "{out}");
    }
    // A file the team edited: refused with the diff; nothing written, not even a
    // missing file.
    let edited = format!(
        "{}\nOur own rule: run make check first.\n",
        s.read(CLAUDE[0])
    );
    std::fs::write(s.path(CLAUDE[0]), &edited).expect("write");
    std::fs::remove_file(s.path(CLAUDE[2])).expect("rm");
    let (code, out, err) = s.run(&["agent-setup", "claude"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.starts_with(
            "--- a/.claude/commands/wo-start.md\n+++ b/.claude/commands/wo-start.md\n@@ "
        ),
        "{out}"
    );
    assert!(
        out.contains("\n-Our own rule: run make check first.\n"),
        "{out}"
    );
    assert!(
        err.contains(".claude/commands/wo-start.md")
            && err.contains("nothing was written")
            && err.contains("fix: keep yours, or replace them: git wo agent-setup claude --force"),
        "{err}"
    );
    assert_eq!(s.read(CLAUDE[0]), edited);
    assert!(!s.path(CLAUDE[2]).exists());
    let (code, v) = s.json(&["agent-setup", "claude"]);
    assert_eq!(code, 1);
    assert_eq!(v["written"], false);
    assert_eq!(v["files"][0]["action"], "differs");
    // --force replaces it, and writes the missing one.
    let (code, out, err) = s.run(&["agent-setup", "claude", "--force"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("replaced  .claude/commands/wo-start.md")
            && out.contains("created   .claude/commands/wo-repair.md"),
        "{out}"
    );
    assert!(!s.read(CLAUDE[0]).contains("Our own rule"));
}

#[test]
fn agent_setup_never_writes_through_a_symlink() {
    let s = Scenario::build("empty");
    let target = s.tmp.path().join("elsewhere.md");
    std::fs::write(&target, "not yours\n").expect("write");
    std::fs::create_dir_all(s.path(".claude/commands")).expect("mkdir");
    std::os::unix::fs::symlink(&target, s.path(CLAUDE[0])).expect("symlink");
    for force in [false, true] {
        let mut args = vec!["agent-setup", "claude"];
        if force {
            args.push("--force");
        }
        let (code, _, err) = s.run(&args);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("is a symlink, not a file"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&target).expect("read"),
            "not yours\n"
        );
        assert!(!s.path(CLAUDE[1]).exists());
    }
}

/// The `git wo …` command lines of a command file: its backtick code spans that start
/// with `git wo`.
fn git_wo_calls(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| span.starts_with("git wo"))
        .map(str::to_owned)
        .collect()
}

/// A TOML basic string (`"…"`) or multi-line basic string (`"""…"""`) starting at the
/// start of `s`: its value and the rest after it. Only what these files use.
fn toml_string(s: &str) -> (String, &str) {
    let (multi, mut rest) = match s.strip_prefix("\"\"\"") {
        Some(r) => (true, r.strip_prefix('\n').unwrap_or(r)),
        None => (false, s.strip_prefix('"').expect("a string")),
    };
    let mut out = String::new();
    loop {
        if multi && rest.starts_with("\"\"\"") {
            return (out, &rest[3..]);
        }
        let mut chars = rest.chars();
        let c = chars.next().expect("an unterminated string");
        match c {
            '"' if !multi => return (out, chars.as_str()),
            '\\' => {
                let e = chars.next().expect("an escape");
                match e {
                    '"' => out.push('"'),
                    '\\' => out.push('\\'),
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'u' => {
                        let hex: String = chars.by_ref().take(4).collect();
                        let n = u32::from_str_radix(&hex, 16).expect("hex");
                        out.push(char::from_u32(n).expect("a char"));
                    }
                    other => panic!("not a TOML escape: \\{other}"),
                }
            }
            '\n' if !multi => panic!("a newline in a basic string"),
            c if c.is_control() && c != '\n' && c != '\t' => panic!("a raw control character"),
            c => out.push(c),
        }
        rest = chars.as_str();
    }
}

/// A command file of Gemini CLI: `key = string` lines and `#` comments.
fn parse_toml(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if rest.starts_with('#') || rest.starts_with('\n') {
            rest = rest.split_once('\n').map_or("", |(_, r)| r);
            continue;
        }
        let (key, after) = rest.split_once(" = ").expect("key = value");
        assert!(
            key.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
            "a bare key: {key}"
        );
        let (value, after) = toml_string(after);
        rest = after.strip_prefix('\n').expect("a newline after a value");
        out.push((key.to_owned(), value));
    }
    out
}

#[test]
fn agent_command_files_are_well_formed_and_call_existing_commands_with_json() {
    let s = Scenario::build("empty");
    for agent in ["claude", "gemini"] {
        let (code, _, err) = s.run(&["agent-setup", agent]);
        assert_eq!(code, 0, "{err}");
    }
    let subcommands: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    for (name, must_call) in [
        ("wo-start", "take"),
        ("wo-finish", "finish"),
        ("wo-repair", "reconcile"),
    ] {
        let template = std::fs::read_to_string(manifest(&format!("templates/agents/{name}.md")))
            .expect("template");
        let body = template
            .splitn(3, "---\n")
            .nth(2)
            .expect("front matter")
            .trim_start_matches('\n');
        // Claude Code: YAML front matter with a description and an argument hint.
        let claude = s.read(&format!(".claude/commands/{name}.md"));
        let front = claude
            .strip_prefix("---\n")
            .and_then(|r| r.split_once("\n---\n"))
            .map(|(f, _)| f)
            .expect("front matter");
        let meta: serde_yaml::Mapping = serde_yaml::from_str(front).expect("front matter parses");
        let description = meta
            .get("description")
            .and_then(|v| v.as_str())
            .expect("description")
            .to_owned();
        assert!(!description.is_empty());
        assert!(meta.get("argument-hint").and_then(|v| v.as_str()).is_some());
        assert!(
            claude.contains("$ARGUMENTS") && !claude.contains("{{args}}"),
            "{name}"
        );
        // Gemini CLI: TOML with a description and the same prompt, {{args}} kept.
        let toml = parse_toml(&s.read(&format!(".gemini/commands/{name}.toml")));
        let keys: Vec<&str> = toml.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["description", "prompt"], "{name}");
        assert_eq!(toml[0].1, description);
        assert_eq!(toml[1].1, body, "{name}: the prompt is the template's body");
        assert!(body.contains("{{args}}"));
        // Every call is `git wo … --json …` and parses as the command line of an
        // existing subcommand; the only other mention is the MCP server.
        let calls = git_wo_calls(body);
        assert!(
            calls
                .iter()
                .any(|c| c.split_whitespace().any(|w| w == must_call)),
            "{name} calls {must_call}: {calls:?}"
        );
        for call in &calls {
            // (Mentions: "every `git wo` command", the MCP server.)
            if call == "git wo" || call == "git wo mcp" {
                continue;
            }
            let words: Vec<std::ffi::OsString> = std::iter::once("git-wo")
                .chain(call.split_whitespace().skip(2))
                .map(Into::into)
                .collect();
            let parsed = Cli::try_parse_from(normalize_args(words))
                .unwrap_or_else(|e| panic!("{name}: `{call}` does not parse: {e}"));
            assert!(parsed.global.json, "{name}: `{call}` has no --json");
            assert!(subcommands.iter().any(|c| c == parsed.command.name()));
        }
    }
}

#[test]
fn the_readme_lists_the_agent_files_and_every_original_script() {
    let readme = std::fs::read_to_string(manifest("README.md")).expect("README");
    for f in CLAUDE.iter().chain(&GEMINI) {
        assert!(readme.contains(&format!("`{f}`")), "README lists {f}");
    }
    let moving = readme
        .split_once("## Moving from the scripts")
        .and_then(|(_, r)| r.split_once("\n## "))
        .map(|(m, _)| m)
        .expect("the section");
    for script in [
        "ctx_wo_take.py",
        "ctx_wo_finish.py",
        "requeue",
        "ctx_wo_gc.py",
        "ctx_reconcile_state.py",
        "wo_audit.py",
        "ctx_wo_lint.py",
        "ctx_wo_fmt.py",
        "ctx_wo_preflight.py",
        "ctx_wo_bootstrap.py",
        "ctx_wo_dependencies.py",
        "export_wo_index.py",
        "wo_retention_gc.py",
        "verify.sh",
        "prevent_manual_wo_closure.sh",
        "trifecta_integrity_check.py",
        "wo_weekly_gate.sh",
        "/wo-start",
    ] {
        assert!(moving.contains(script), "the table has a row for {script}");
    }
}

// ---------------------------------------------------------------------------
// git wo index

fn index_json(s: &Scenario) -> Value {
    serde_json::from_str(&s.read("_ctx/index/wo_worktrees.json")).expect("the index is JSON")
}

#[test]
fn the_index_has_the_original_exporters_shape_as_written_by_hand() {
    let s = Scenario::build("clean");
    // A WO in two folders (its done copy says more), and a file that cannot be read.
    std::fs::write(
        s.path("_ctx/jobs/done/WO-0002.yaml"),
        "version: 1\nid: WO-0002\nepic_id: E-08\ntitle: \"Second copy of WO-0002\"\npriority: P1\nstatus: done\nowner: bob\ndod_id: DOD-STD\nexecution:\n  mode: agent\ncreated_at: 2026-01-02T08:00:00Z\nfinished_at: 2026-02-01T10:00:00+00:00\nclosed_at: 2026-02-01T10:00:00+00:00\n",
    )
    .expect("write");
    std::fs::write(s.path("_ctx/jobs/pending/WO-0030.yaml"), "id: [unclosed\n").expect("write");
    let (code, out, err) = s.run(&["index"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(
            "wrote _ctx/index/wo_worktrees.json: 7 work order(s), 1 error(s)\n  Failed to load _ctx/jobs/pending/WO-0030.yaml: unparsable YAML: "
        ) && out.ends_with(" (fix: git wo lint)\n"),
        "{out}"
    );
    let mut got = index_json(&s);
    // What the fixture cannot know: the time, where the repository is, and commits.
    let root = std::fs::canonicalize(&s.repo).expect("canonical");
    assert_eq!(got["repo_root"], root.display().to_string());
    assert_eq!(
        got["git_head_sha_repo_root"],
        s.git(&["rev-parse", "HEAD"]).trim()
    );
    let generated = got["generated_at"]
        .as_str()
        .expect("generated_at")
        .to_owned();
    assert!(
        chrono::DateTime::parse_from_rfc3339(&generated).is_ok(),
        "{generated}"
    );
    let wo10 = &mut got["work_orders"][6];
    assert_eq!(wo10["id"], "WO-0010");
    assert_eq!(
        wo10["worktree_head_sha"],
        s.git(&["rev-parse", "feat/wo-WO-0010"]).trim()
    );
    wo10["worktree_head_sha"] = "<tip of feat/wo-WO-0010>".into();
    got["generated_at"] = "<generated_at>".into();
    got["repo_root"] = "<repo_root>".into();
    got["git_head_sha_repo_root"] = "<git_head>".into();
    let error = got["errors"][0].as_str().expect("an error").to_owned();
    let prefix = "Failed to load _ctx/jobs/pending/WO-0030.yaml: ";
    assert!(error.starts_with(prefix), "{error}");
    got["errors"][0] = format!("{prefix}<why>").into();
    let want: Value = serde_json::from_str(
        &std::fs::read_to_string(manifest("fixtures/index/clean.json")).expect("fixture"),
    )
    .expect("fixture JSON");
    assert_eq!(
        got,
        want,
        "got:\n{}",
        serde_json::to_string_pretty(&got).unwrap_or_default()
    );
}

#[test]
fn the_index_is_replaced_by_a_rename_never_written_in_place() {
    use std::os::unix::fs::MetadataExt;
    let s = Scenario::build("clean");
    let (code, _, err) = s.run(&["index"]);
    assert_eq!(code, 0, "{err}");
    let path = s.path("_ctx/index/wo_worktrees.json");
    let before = std::fs::metadata(&path).expect("written").ino();
    // A reader holding the old file keeps reading the old file.
    let old = std::fs::File::open(&path).expect("open");
    let (code, _, err) = s.run(&["index"]);
    assert_eq!(code, 0, "{err}");
    assert_ne!(std::fs::metadata(&path).expect("there").ino(), before);
    assert_eq!(
        old.metadata().expect("old").nlink(),
        0,
        "the old file was replaced"
    );
    let left: Vec<_> = std::fs::read_dir(s.path("_ctx/index"))
        .expect("dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left, ["wo_worktrees.json"], "no temp file left");
}

#[test]
fn wo_index_keeps_the_index_fresh_after_state_changes_and_commits() {
    let s = Scenario::build("clean");
    let (code, _, err) = s.run(&["init"]);
    assert_eq!(code, 0, "{err}");
    // Off by default: take writes nothing.
    let (code, _, err) = common::wo_hooked_env(&s, &["take", "WO-0001"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(!s.path("_ctx/index").exists());
    s.git(&["config", "wo.index", "true"]);
    s.git(&["config", "--unset", "wo.gate.hooks"]);
    let (code, _, err) = common::wo_hooked_env(&s, &["install-hooks"], &[]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = common::wo_hooked_env(&s, &["take", "WO-0002"], &[]);
    assert_eq!(code, 0, "{err}");
    let entry = |v: &Value, id: &str| -> Value {
        v["work_orders"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["id"] == id).cloned())
            .unwrap_or_else(|| panic!("{id} in {v}"))
    };
    let v = index_json(&s);
    let e = entry(&v, "WO-0002");
    assert_eq!(
        (e["status"].as_str(), e["worktree_exists"].as_bool()),
        (Some("running"), Some(true))
    );
    assert_eq!(e["wo_yaml_path"], "_ctx/jobs/running/WO-0002.yaml");
    // A commit in its worktree (the post-commit hook) moves worktree_head_sha.
    let wt = s.worktree("WO-0002");
    std::fs::create_dir_all(wt.join("src")).expect("mkdir");
    std::fs::write(wt.join("src/a.txt"), "a\n").expect("write");
    s.git_at(&wt, &["add", "src/a.txt"]);
    let (code, _, err) = common::git_hooked_env(&s, &wt, &["commit", "-q", "-m", "work"], &[]);
    assert_eq!(code, 0, "{err}");
    let tip = s.git_at(&wt, &["rev-parse", "HEAD"]);
    assert_eq!(
        entry(&index_json(&s), "WO-0002")["worktree_head_sha"],
        tip.trim()
    );
    // A checkout in it (the post-checkout hook) too.
    s.git_at(&wt, &["checkout", "-q", "-b", "side"]);
    std::fs::write(wt.join("src/b.txt"), "b\n").expect("write");
    s.git_at(&wt, &["add", "src/b.txt"]);
    s.git_at(
        &wt,
        &[
            "-c",
            "core.hooksPath=/dev/null",
            "commit",
            "-q",
            "-m",
            "side",
        ],
    );
    let side = s.git_at(&wt, &["rev-parse", "HEAD"]);
    let (code, _, err) =
        common::git_hooked_env(&s, &wt, &["checkout", "-q", "feat/wo-WO-0002"], &[]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = common::git_hooked_env(&s, &wt, &["checkout", "-q", "side"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        entry(&index_json(&s), "WO-0002")["worktree_head_sha"],
        side.trim()
    );
    let (code, _, err) =
        common::git_hooked_env(&s, &wt, &["checkout", "-q", "feat/wo-WO-0002"], &[]);
    assert_eq!(code, 0, "{err}");
    // finish: done, no worktree.
    let mut finish = s.wo_in(&wt, &["finish", "--result", "done"]);
    finish.env("PATH", common::path_with_wo());
    let (code, _, err) = common::run(finish);
    assert_eq!(code, 0, "{err}");
    let e = entry(&index_json(&s), "WO-0002");
    assert_eq!(
        (e["status"].as_str(), e["worktree_exists"].as_bool()),
        (Some("done"), Some(false))
    );
    assert!(e["closed_at"].is_string(), "{e}");
    assert_eq!(e["worktree_head_sha"], Value::Null);
}

// ---------------------------------------------------------------------------
// The weekly gate workflow

/// Run the workflow's own steps (those with an `id`, in order) in bash as GitHub runs
/// a `run:` step, against `repo`, in `work`; the exit code of each.
fn run_gate(repo: &Path, work: &Path, home: &Path) -> Vec<(String, i32)> {
    let text =
        std::fs::read_to_string(manifest("docs/examples/wo-weekly-gate.yml")).expect("workflow");
    let wf: serde_yaml::Value = serde_yaml::from_str(&text).expect("the workflow parses");
    let job = &wf["jobs"]["gate"];
    let mut env: Vec<(String, String)> = job["env"]
        .as_mapping()
        .expect("env")
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.as_str()?.to_owned())))
        .filter(|(_, v)| !v.contains("${{"))
        .collect();
    env.push(("WO_CONTROL_CHECKOUT".into(), repo.display().to_string()));
    env.push((
        "GITHUB_STEP_SUMMARY".into(),
        work.join("step_summary.md").display().to_string(),
    ));
    let mut out = Vec::new();
    for step in job["steps"].as_sequence().expect("steps") {
        let (Some(id), Some(run)) = (step["id"].as_str(), step["run"].as_str()) else {
            continue;
        };
        assert!(
            !run.contains("${{"),
            "{id}: keep expressions out of run: scripts"
        );
        let mut sh = Command::new("bash");
        sh.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", run])
            .current_dir(work);
        common::isolate(&mut sh, home);
        sh.env("PATH", common::path_with_wo());
        for (k, v) in &env {
            sh.env(k, v);
        }
        let (code, stdout, stderr) = common::run(sh);
        if id != "verdict" {
            assert!(code == 0, "step {id} failed ({code}): {stdout}{stderr}");
        }
        out.push((id.to_owned(), code));
    }
    out
}

#[test]
fn the_weekly_gate_workflow_reports_and_fails_on_work_and_passes_a_clean_repository() {
    if !common::tool_present("jq", common::runs("jq".as_ref())) {
        return;
    }
    // Two zombies: gc has work, the gate fails; the summary and every report are there.
    let s = Scenario::build("zombie");
    let work = s.tmp.path().join("runner");
    std::fs::create_dir_all(&work).expect("mkdir");
    let steps = run_gate(&s.repo, &work, s.tmp.path());
    let ids: Vec<&str> = steps.iter().map(|(i, _)| i.as_str()).collect();
    assert_eq!(
        ids,
        ["audit", "reconcile", "gc", "kpi", "summary", "verdict"]
    );
    assert_eq!(steps.last().map(|(_, c)| *c), Some(1), "the gate fails");
    let report = work.join("wo-gate-report");
    for f in [
        "wo_audit.json",
        "reconcile_plan.json",
        "gc_report.json",
        "kpi.json",
        "summary.md",
        "audit.txt",
    ] {
        assert!(report.join(f).is_file(), "the artifact has {f}");
    }
    let summary = std::fs::read_to_string(work.join("step_summary.md")).expect("job summary");
    assert_eq!(
        summary,
        std::fs::read_to_string(report.join("summary.md")).expect("summary.md")
    );
    assert!(
        summary.contains("| zombie_worktree | P1 | WO-0080 |"),
        "{summary}"
    );
    assert!(summary.contains("| zombie | WO-0080 |"), "{summary}");
    assert!(summary.contains("| intent_marker_adoption |"), "{summary}");
    // Every table row has as many cells as its header.
    let mut cols = 0;
    for line in summary.lines() {
        if !line.starts_with('|') {
            cols = 0;
            continue;
        }
        let n = line.replace("\\|", "").matches('|').count();
        if cols == 0 {
            cols = n;
        }
        assert_eq!(n, cols, "{line}");
    }
    // The README shows the start of this very summary.
    let readme = std::fs::read_to_string(manifest("README.md")).expect("README");
    let shown = readme
        .split_once("The summary of a week with two zombies starts:\n\n```text\n")
        .and_then(|(_, r)| r.split_once("```"))
        .map(|(t, _)| t)
        .expect("the README shows a summary");
    assert!(
        summary.starts_with(shown),
        "README:\n{shown}\ngot:\n{summary}"
    );

    // A clean repository passes.
    let s = Scenario::build("clean");
    let work = s.tmp.path().join("runner");
    std::fs::create_dir_all(&work).expect("mkdir");
    let steps = run_gate(&s.repo, &work, s.tmp.path());
    assert_eq!(steps.last().map(|(_, c)| *c), Some(0), "{steps:?}");
}

// ---------------------------------------------------------------------------
// Completion

#[test]
fn completion_offers_the_new_commands_their_agents_and_wo_ids() {
    let s = Scenario::build("clean");
    let complete = |words: &str| {
        let mut sh = Command::new("bash");
        sh.arg("-c")
            .arg(format!(
                "source <(git-wo completions bash); COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); _git_wo; echo \"${{COMPREPLY[*]}}\""
            ))
            .current_dir(&s.repo);
        common::isolate(&mut sh, s.tmp.path());
        sh.env("PATH", common::path_with_wo());
        let (code, out, err) = common::run(sh);
        assert_eq!(code, 0, "{err}");
        out.trim().to_owned()
    };
    assert_eq!(complete("git-wo ag"), "agent-setup");
    assert_eq!(
        complete("git-wo agent-setup ''"),
        "--force --help claude gemini"
    );
    assert_eq!(complete("git-wo agent-setup g"), "gemini");
    assert_eq!(complete("git-wo fm"), "fmt");
    assert_eq!(complete("git-wo fmt --ch"), "--check");
    assert!(
        complete("git-wo fmt WO-000")
            .split(' ')
            .any(|w| w == "WO-0001")
    );
    assert_eq!(complete("git-wo ind"), "index");
    for shell in ["zsh", "fish"] {
        let (code, out, _) = s.run(&["completions", shell]);
        assert_eq!(code, 0);
        assert!(out.contains("claude gemini"), "{shell}: {out}");
    }
}
