//! The README's walkthrough, run as a user would: its YAML written, each `$ command`
//! of its console block run in bash (in the directory the previous `cd` left), and
//! the output compared with what the README shows. Times, commit ids and the home
//! folder are the only things that may differ.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The text of the README section that starts with `heading`, up to the next `## `.
fn section<'a>(readme: &'a str, heading: &str) -> &'a str {
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("README has no {heading}"));
    let rest = &readme[start + heading.len()..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    &rest[..end]
}

/// The body of the first fenced block of `lang` in `text`.
fn block<'a>(text: &'a str, lang: &str) -> &'a str {
    let open = format!("```{lang}\n");
    let start = text
        .find(&open)
        .unwrap_or_else(|| panic!("no ```{lang} block"))
        + open.len();
    let end = text[start..].find("```").expect("closing fence") + start;
    &text[start..end]
}

/// (command, expected output lines) for each `$ ` line of a console block.
fn steps(console: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in console.lines() {
        if let Some(cmd) = line.strip_prefix("$ ") {
            out.push((cmd.to_owned(), Vec::new()));
        } else if let Some((_, expected)) = out.last_mut() {
            expected.push(line.to_owned());
        }
    }
    for (_, expected) in &mut out {
        while expected.last().is_some_and(|l| l.trim().is_empty()) {
            expected.pop();
        }
    }
    out
}

/// Times, commit ids and the home folder replaced by placeholders.
fn normalize(text: &str, home: &Path) -> String {
    let text = text.replace(&home.display().to_string(), "~");
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // An RFC 3339 time in UTC to the second: 2026-11-24T11:33:14Z.
        if i + 20 <= chars.len() {
            let w: String = chars[i..i + 20].iter().collect();
            let b = w.as_bytes();
            let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
            if digits.iter().all(|&k| b[k].is_ascii_digit())
                && b[4] == b'-'
                && b[10] == b'T'
                && b[19] == b'Z'
            {
                out.push_str("<time>");
                i += 20;
                continue;
            }
        }
        // A run of 7 or more hex digits standing alone: a commit id.
        let is_hex = |c: char| c.is_ascii_hexdigit() && !c.is_ascii_uppercase();
        let boundary = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        if boundary && is_hex(chars[i]) {
            let mut j = i;
            while j < chars.len() && is_hex(chars[j]) {
                j += 1;
            }
            let alone = j == chars.len() || !chars[j].is_ascii_alphanumeric();
            let has_digit = chars[i..j].iter().any(|c| c.is_ascii_digit());
            if j - i >= 7 && alone && has_digit {
                out.push_str("<sha>");
                i = j;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// The walkthrough's machine in `tmp`: a home with ~/src/app, the `empty` fixture
/// plus the walkthrough's YAML, committed. (home, app)
fn walkthrough_repo(tmp: &Path, yaml: &str) -> (PathBuf, PathBuf) {
    let home = tmp.join("home");
    let src = home.join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    let fixture_repo = build_fixture("empty", &tmp.join("fixture"), &home);
    let app = src.join("app");
    std::fs::rename(&fixture_repo, &app).expect("move to ~/src/app");
    let rel = yaml
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# "))
        .expect("# path line");
    std::fs::write(app.join(rel), yaml).expect("write YAML");
    for args in [
        &["config", "user.name", "alice"][..],
        &["config", "user.email", "alice@example.com"],
        &["add", "-A"],
        &["commit", "-q", "-m", "WO-0042"],
    ] {
        let mut git = Command::new("git");
        git.arg("-C").arg(&app).args(args);
        common::isolate(&mut git, &home);
        let (code, _, err) = common::run(git);
        assert_eq!(code, 0, "git {args:?}: {err}");
    }
    (home, app)
}

/// `bash fixtures/scenario.sh <name> <dir>` with `home` as HOME: the repository's path.
fn build_fixture(name: &str, dir: &Path, home: &Path) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenario.sh");
    let built = Command::new("bash")
        .arg(&script)
        .arg(name)
        .arg(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", home)
        .output()
        .expect("fixture");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&built.stdout).trim())
}

/// Whether `got` is what the README shows: line for line, where a README line that is
/// only `…` stands for any number of lines (none too).
fn matches_shown(want: &[String], got: &[String]) -> bool {
    match want.split_first() {
        None => got.is_empty(),
        Some((w, rest)) if w.trim() == "…" => {
            (0..=got.len()).any(|skip| matches_shown(rest, &got[skip..]))
        }
        Some((w, rest)) => got
            .split_first()
            .is_some_and(|(g, more)| g == w && matches_shown(rest, more)),
    }
}

/// Run each `$ command` of `console` in bash as a user would, from `start` (and where
/// the previous `cd` left), with git-wo on PATH and `home` as HOME; the commands whose
/// output differs from what the README shows, with both.
fn run_console(console: &str, start: &Path, home: &Path) -> Vec<String> {
    let home_s = home.display().to_string();
    let bin = assert_cmd::cargo::cargo_bin("git-wo");
    let path = format!(
        "{}:{}",
        bin.parent().expect("bin dir").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let scratch = tempfile::tempdir().expect("tmp");
    let cwd_file = scratch.path().join("cwd");
    let mut cwd = start.to_path_buf();
    let mut mismatches = Vec::new();
    for (cmd, expected) in steps(console) {
        let line = cmd.replace('~', &home_s);
        let mut sh = Command::new("bash");
        sh.arg("-c")
            .arg(format!(
                "{line} 2>&1; status=$?; pwd > {}; exit $status",
                cwd_file.display()
            ))
            // A shell can stand in a removed folder (finish removes the worktree);
            // a child process cannot start there: its nearest existing parent.
            .current_dir(cwd.ancestors().find(|d| d.is_dir()).unwrap_or(home));
        common::isolate(&mut sh, home);
        sh.env("PATH", &path).env("COLUMNS", "100");
        let (_, out, _) = common::run(sh);
        if let Ok(dir) = std::fs::read_to_string(&cwd_file) {
            cwd = PathBuf::from(dir.trim());
        }
        let mut got: Vec<String> = normalize(&out, home).lines().map(str::to_owned).collect();
        // (A blank line between two commands is not shown in the README.)
        while got.last().is_some_and(|l| l.trim().is_empty()) {
            got.pop();
        }
        let want: Vec<String> = expected.iter().map(|l| normalize(l, home)).collect();
        if !matches_shown(&want, &got) {
            mismatches.push(format!(
                "$ {cmd}\n--- README\n{}\n--- got\n{}",
                want.join("\n"),
                got.join("\n")
            ));
        }
    }
    mismatches
}

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md")
}

#[test]
fn the_walkthrough_shows_what_a_user_sees() {
    let readme = readme();
    let walk = section(&readme, "## Walkthrough");
    let yaml = block(walk, "yaml");
    let console = block(walk, "console");
    let tmp = tempfile::tempdir().expect("tmp");
    let (home, app) = walkthrough_repo(tmp.path(), yaml);
    let mismatches = run_console(console, &app, &home);
    assert!(
        mismatches.is_empty(),
        "the README walkthrough differs from what a user sees:\n\n{}",
        mismatches.join("\n\n")
    );
}

/// The text of the README subsection that starts with `heading` (a `### ` line), up
/// to the next heading of its level or above.
fn subsection<'a>(readme: &'a str, heading: &str) -> &'a str {
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("README has no {heading}"));
    let rest = &readme[start + heading.len()..];
    let end = ["\n### ", "\n## "]
        .iter()
        .filter_map(|h| rest.find(h))
        .min()
        .unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn the_first_three_commands_on_an_existing_repository_show_what_a_user_sees() {
    let readme = readme();
    let moving = section(&readme, "## Moving from the scripts");
    let console = block(moving, "console");
    // The plan's baseline, built where the scripts kept it: ~/src/repo, its worktrees
    // in ~/src/.worktrees.
    let tmp = tempfile::tempdir().expect("tmp");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).expect("mkdir");
    let repo = build_fixture("baseline", &home.join("src"), &home);
    let mismatches = run_console(console, &repo, &home);
    assert!(
        mismatches.is_empty(),
        "README \"Moving from the scripts\" differs from what a user sees:\n\n{}",
        mismatches.join("\n\n")
    );
}

#[test]
fn the_fmt_index_and_agent_setup_examples_show_what_a_user_sees() {
    let readme = readme();
    let yaml = block(section(&readme, "## Walkthrough"), "yaml");
    for heading in [
        "### `git wo fmt",
        "### `git wo index`",
        "### `git wo agent-setup",
    ] {
        let console = block(subsection(&readme, heading), "console");
        // Each on the walkthrough's repository, before the take.
        let tmp = tempfile::tempdir().expect("tmp");
        let (home, app) = walkthrough_repo(tmp.path(), yaml);
        let mismatches = run_console(console, &app, &home);
        assert!(
            mismatches.is_empty(),
            "README {heading} differs from what a user sees:\n\n{}",
            mismatches.join("\n\n")
        );
    }
}

#[test]
fn shown_output_may_leave_lines_out_with_an_ellipsis() {
    let v = |s: &str| -> Vec<String> { s.lines().map(str::to_owned).collect() };
    assert!(matches_shown(&v("a\n…\nd"), &v("a\nb\nc\nd")));
    assert!(matches_shown(&v("a\n…\nb"), &v("a\nb")));
    assert!(!matches_shown(&v("a\n…\nd"), &v("a\nb\nc")));
    assert!(!matches_shown(&v("a\nb"), &v("a\nb\nc")));
}

#[test]
fn normalize_keeps_words_and_replaces_times_and_ids() {
    let home = Path::new("/h");
    assert_eq!(
        normalize(
            "lease until 2026-11-24T11:33:14Z at /h/src 0121687 deadbeef feat/wo-WO-0042",
            home
        ),
        "lease until <time> at ~/src <sha> deadbeef feat/wo-WO-0042"
    );
}
