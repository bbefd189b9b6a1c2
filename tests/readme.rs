//! The README's walkthrough, run as a user would: its YAML written, each `$ command`
//! of its console block run in bash (in the directory the previous `cd` left), and
//! the output compared with what the README shows. Times, commit ids and the home
//! folder are the only things that may differ.

use crate::common;

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
        // A quarantine stamp: 20261201T114026Z-1784.
        if i + 17 <= chars.len() && (i == 0 || !chars[i - 1].is_ascii_alphanumeric()) {
            let w: String = chars[i..i + 17].iter().collect();
            let b = w.as_bytes();
            let digits = (0..8).chain(9..15).all(|k| b[k].is_ascii_digit());
            let mut j = i + 17;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            if digits && b[8] == b'T' && b[15] == b'Z' && b[16] == b'-' && j > i + 17 {
                out.push_str("<stamp>");
                i = j;
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

/// `bash fixtures/scenario.sh <name> <dir>` as the README tells a user to run it
/// (not the tests' cached copy: the walkthrough's paths are the user's); its repo.
fn fixture(name: &str, dir: &Path, home: &Path) -> PathBuf {
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

#[test]
fn the_walkthrough_shows_what_a_user_sees() {
    let readme = readme();
    let walk = section(&readme, "## Walkthrough");
    let yaml = block(walk, "yaml");
    let console = block(walk, "console");

    // The user's machine: a home with ~/src/app, the `empty` fixture plus the YAML,
    // committed; git-wo on PATH.
    let tmp = tempfile::tempdir().expect("tmp");
    let (home, app) = walkthrough_repo(tmp.path(), yaml);
    let mismatches = run_console(console, &app, &home, &[]);
    assert!(
        mismatches.is_empty(),
        "the README walkthrough differs from what a user sees:\n\n{}",
        mismatches.join("\n\n")
    );
}

/// Run each `$ command` of `console` in bash, starting in `start` (following its
/// `cd`s), with git-wo on PATH; compare each output with the lines the README shows
/// after it, normalised (and with `replace`'s pairs swapped in the output first). A
/// README line `…` stands for any number of lines. Returns the mismatches.
fn run_console(
    console: &str,
    start: &Path,
    home: &Path,
    replace: &[(String, String)],
) -> Vec<String> {
    let home_s = home.display().to_string();
    let bin = assert_cmd::cargo::cargo_bin("git-wo");
    let path = format!(
        "{}:{}",
        bin.parent().expect("bin dir").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let scratch = tempfile::tempdir().expect("tmp");
    let mut cwd = start.to_path_buf();
    let cwd_file = scratch.path().join("cwd");
    let mut mismatches = Vec::new();
    for (cmd, expected) in steps(console) {
        let mut line = cmd.replace('~', &home_s);
        for (real, shown) in replace {
            line = line.replace(shown.as_str(), real);
        }
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
        let (_, mut out, _) = common::run(sh);
        if let Ok(dir) = std::fs::read_to_string(&cwd_file) {
            cwd = PathBuf::from(dir.trim());
        }
        for (real, shown) in replace {
            out = out.replace(real.as_str(), shown);
        }
        let mut got: Vec<String> = normalize(&out, home).lines().map(str::to_owned).collect();
        // (A blank line between two commands is not shown in the README.)
        while got.last().is_some_and(|l| l.trim().is_empty()) {
            got.pop();
        }
        let want: Vec<String> = expected.iter().map(|l| normalize(l, home)).collect();
        if !shows(&want, &got) {
            mismatches.push(format!(
                "$ {cmd}\n--- README\n{}\n--- got\n{}",
                want.join("\n"),
                got.join("\n")
            ));
        }
    }
    mismatches
}

#[test]
fn the_repair_walkthrough_shows_what_a_user_sees() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let walk = section(&readme, "## Repairing a rotted repository");
    let console = block(walk, "console");
    // As the README says: the baseline fixture, one zombie with an uncommitted file.
    let tmp = tempfile::tempdir().expect("tmp");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).expect("mkdir");
    let rot = tmp.path().join("rot");
    let repo = fixture("baseline", &rot, &home);
    let rot = repo.parent().expect("fixture dir").to_path_buf();
    std::fs::write(rot.join(".worktrees/WO-0031/notes.txt"), "half a thought\n").expect("notes");
    let replace = [(rot.display().to_string(), "/tmp/rot".to_owned())];
    let mismatches = run_console(console, &repo, &home, &replace);
    assert!(
        mismatches.is_empty(),
        "the README repair walkthrough differs from what a user sees:\n\n{}",
        mismatches.join("\n\n")
    );
}

#[test]
fn an_ellipsis_line_stands_for_any_lines() {
    let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(shows(&v(&["a", "…", "d"]), &v(&["a", "b", "c", "d"])));
    assert!(shows(&v(&["a", "…", "d"]), &v(&["a", "d"])));
    assert!(!shows(&v(&["a", "…", "d"]), &v(&["a", "b", "c"])));
    assert!(!shows(&v(&["a", "b"]), &v(&["a", "b", "c"])));
}

#[test]
fn a_sha_line_takes_a_commit_id_without_digits() {
    let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(shows(&v(&["<sha> fix", "x"]), &v(&["dcbaeef fix", "x"])));
    assert!(shows(&v(&["<sha> fix"]), &v(&["<sha> fix"])));
    assert!(!shows(&v(&["<sha> fix"]), &v(&["dcbae fix"])));
    assert!(!shows(&v(&["<sha> fix"]), &v(&["dcbaeef fox"])));
    assert!(!shows(&v(&["a <sha>"]), &v(&["b dcbaeef"])));
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
    assert_eq!(
        normalize("restore 20261201T114026Z-1784 now", home),
        "restore <stamp> now"
    );
}

/// Every fenced block of `lang` in `text`, in order.
fn blocks<'a>(text: &'a str, lang: &str) -> Vec<&'a str> {
    let open = format!("```{lang}\n");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(&open) {
        let body = &rest[at + open.len()..];
        let Some(end) = body.find("```") else { break };
        out.push(&body[..end]);
        rest = &body[end + 3..];
    }
    out
}

/// Whether `got` is what `want` shows: line for line, where a line `…` alone stands for
/// any run of lines (none included).
fn shows(want: &[String], got: &[String]) -> bool {
    let parts: Vec<&[String]> = want.split(|l| l == "…").collect();
    let same = |want: &[String], got: &[String]| {
        want.len() == got.len() && want.iter().zip(got).all(|(w, g)| line_shows(w, g))
    };
    if parts.len() == 1 {
        return same(want, got);
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if got.len() < first.len() + last.len()
        || !same(first, &got[..first.len()])
        || !same(last, &got[got.len() - last.len()..])
    {
        return false;
    }
    let mut at = first.len();
    let end = got.len() - last.len();
    for part in &parts[1..parts.len() - 1] {
        match (at..=end.saturating_sub(part.len()))
            .find(|&i| i + part.len() <= end && same(part, &got[i..i + part.len()]))
        {
            Some(i) => at = i + part.len(),
            None => return false,
        }
    }
    true
}

/// Whether the normalised output line `got` is the README line `want`, where a
/// `<sha>` the README shows also takes a commit id `normalize` had to leave alone
/// because it has no digit (`dcbaeef`: about one abbreviated id in a thousand).
fn line_shows(want: &str, got: &str) -> bool {
    let mut pieces = want.split("<sha>");
    let Some(head) = pieces.next() else {
        return want == got;
    };
    let Some(mut rest) = got.strip_prefix(head) else {
        return false;
    };
    for piece in pieces {
        rest = if let Some(after) = rest.strip_prefix("<sha>") {
            after
        } else {
            let run = rest
                .find(|c: char| !matches!(c, '0'..='9' | 'a'..='f'))
                .unwrap_or(rest.len());
            if run < 7 {
                return false;
            }
            &rest[run..]
        };
        rest = match rest.strip_prefix(piece) {
            Some(after) => after,
            None => return false,
        };
    }
    rest.is_empty()
}

/// Run the `$` steps of a README console block in one bash, in `dir` (so `echo $?` sees
/// the step before), and compare each step's output with what the README shows (a
/// step the README shows no output for is not compared). The mismatches.
fn run_console_in_one_shell(console: &str, dir: &Path, home: &Path) -> Vec<String> {
    let steps = steps(console);
    let mark = "@@git-wo-readme-step@@";
    let mut script = String::from("__s=0\n");
    for (cmd, _) in &steps {
        script.push_str(&format!("(exit $__s); {cmd}\n__s=$?; echo {mark}\n",));
    }
    let mut sh = Command::new("bash");
    sh.arg("-c")
        .arg(format!("{{\n{script}}} 2>&1"))
        .current_dir(dir);
    common::isolate(&mut sh, home);
    sh.env("PATH", common::path_with_wo()).env("COLUMNS", "100");
    let (_, out, _) = common::run(sh);
    let outputs: Vec<&str> = out.split(&format!("{mark}\n")).collect();
    let mut mismatches = Vec::new();
    for (i, (cmd, expected)) in steps.iter().enumerate() {
        if expected.is_empty() {
            continue;
        }
        let mut got: Vec<String> = normalize(outputs.get(i).copied().unwrap_or(""), home)
            .lines()
            .map(str::to_owned)
            .collect();
        while got.last().is_some_and(|l| l.trim().is_empty()) {
            got.pop();
        }
        let want: Vec<String> = expected.iter().map(|l| normalize(l, home)).collect();
        if !shows(&want, &got) {
            mismatches.push(format!(
                "$ {cmd}\n--- README\n{}\n--- got\n{}",
                want.join("\n"),
                got.join("\n")
            ));
        }
    }
    mismatches
}

#[test]
fn the_readmes_examples_on_fixtures_show_what_the_tool_prints() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let mut mismatches = Vec::new();
    // The plan's baseline: audit (the split_brain fix text), check, snapshot.
    let s = common::Scenario::build("baseline");
    for (heading, nth) in [
        ("### `git wo audit` — every finding", 0),
        ("### `git wo check` — the fast gate", 0),
        ("### `git wo snapshot --dir DIR`", 0),
    ] {
        let console = blocks(section_from(&readme, heading), "console")[nth];
        mismatches.extend(run_console_in_one_shell(console, &s.repo, s.tmp.path()));
    }
    // The lint example, in the fixture it names.
    let s = common::Scenario::build("invalid_yaml");
    let lint = section_from(&readme, "### `git wo lint [<ID>…]`");
    assert!(lint.contains("`invalid_yaml` fixture"), "{lint}");
    mismatches.extend(run_console_in_one_shell(
        blocks(lint, "console")[0],
        &s.repo,
        s.tmp.path(),
    ));
    assert!(
        mismatches.is_empty(),
        "the README's examples differ from what the tool prints:\n\n{}",
        mismatches.join("\n\n")
    );
}

/// The text of the README from `heading` to the next heading of its level or above.
fn section_from<'a>(readme: &'a str, heading: &str) -> &'a str {
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("README has no {heading}"));
    let rest = &readme[start + heading.len()..];
    let end = ["\n## ", "\n### "]
        .iter()
        .filter_map(|h| rest.find(h))
        .min()
        .unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn elisions_match_any_run_of_lines() {
    let v = |s: &str| -> Vec<String> { s.lines().map(str::to_owned).collect() };
    assert!(shows(&v("a\n…\nd"), &v("a\nb\nc\nd")));
    assert!(shows(&v("a\n…"), &v("a")));
    assert!(shows(&v("a\n…\nc\n…"), &v("a\nb\nc\nd")));
    assert!(!shows(&v("a\n…\nx\n…"), &v("a\nb\nc")));
    assert!(!shows(&v("a\nb"), &v("a\nb\nc")));
}

/// install.sh, run with a stand-in `cargo` that records its arguments: the root it
/// installs into, and where the man pages go, as the README says.
#[test]
fn install_sh_installs_where_the_readme_says_honouring_cargo_install_root() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let install = section(&readme, "## Install and test");
    let documented = "`cargo install --locked --force --path . --root <root>`";
    assert!(install.contains(documented), "{install}");
    assert!(
        install.contains("`$CARGO_INSTALL_ROOT`, else `$CARGO_HOME`, else `~/.cargo`"),
        "{install}"
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let log = tmp.path().join("cargo-args");
    let fake = bin.join("cargo");
    std::fs::write(
        &fake,
        format!("#!/bin/sh\necho \"$*\" > {}\n", log.display()),
    )
    .expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("install.sh");
    let run = |env: &[(&str, &Path)]| -> String {
        let mut cmd = Command::new("sh");
        cmd.arg(&script);
        common::isolate(&mut cmd, tmp.path());
        cmd.env_remove("CARGO_INSTALL_ROOT")
            .env_remove("CARGO_HOME")
            .env_remove("PREFIX")
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    bin.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            );
        for (k, v) in env {
            cmd.env(k, v);
        }
        let (code, out, err) = common::run(cmd);
        assert_eq!(code, 0, "install.sh: {out}{err}");
        std::fs::read_to_string(&log)
            .expect("cargo ran")
            .trim()
            .to_owned()
    };
    let expect = |root: &Path| {
        documented
            .trim_matches('`')
            .trim_start_matches("cargo ")
            .replace("<root>", &root.display().to_string())
    };
    let (root, home) = (tmp.path().join("root"), tmp.path().join("cargo-home"));
    assert_eq!(
        run(&[("CARGO_INSTALL_ROOT", &root), ("CARGO_HOME", &home)]),
        expect(&root),
        "CARGO_INSTALL_ROOT comes before CARGO_HOME"
    );
    assert!(root.join("share/man/man1/git-wo.1").exists());
    assert_eq!(run(&[("CARGO_HOME", &home)]), expect(&home));
    let prefix = tmp.path().join("prefix");
    assert_eq!(
        run(&[("PREFIX", &prefix), ("CARGO_INSTALL_ROOT", &root)]),
        expect(&prefix),
        "PREFIX comes first"
    );
    assert_eq!(
        run(&[]),
        expect(&tmp.path().join(".cargo")),
        "else ~/.cargo"
    );
}

/// The walkthrough's machine in `tmp`: a home with ~/src/app, the `empty` fixture
/// plus the walkthrough's YAML, committed. (home, app)
fn walkthrough_repo(tmp: &Path, yaml: &str) -> (PathBuf, PathBuf) {
    let home = tmp.join("home");
    let src = home.join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    let fixture_repo = fixture("empty", &tmp.join("fixture"), &home);
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

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md")
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
    let repo = fixture("baseline", &home.join("src"), &home);
    let mismatches = run_console(console, &repo, &home, &[]);
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
        let console = block(section_from(&readme, heading), "console");
        // Each on the walkthrough's repository, before the take.
        let tmp = tempfile::tempdir().expect("tmp");
        let (home, app) = walkthrough_repo(tmp.path(), yaml);
        let mismatches = run_console(console, &app, &home, &[]);
        assert!(
            mismatches.is_empty(),
            "README {heading} differs from what a user sees:\n\n{}",
            mismatches.join("\n\n")
        );
    }
}
