//! `git help wo` (the man pages in `man/`) and `git wo <cmd> --help` (clap) must agree:
//! the same commands, the same options, the same one-line descriptions.

use std::collections::BTreeSet;
use std::path::Path;

use clap::CommandFactory;
use git_wo::cli::Cli;

const GLOBAL: [&str; 5] = ["json", "root", "quiet", "color", "no_pager"];

fn page(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("man")
        .join(format!("{name}.1"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Long options documented in a page: `\fB\-\-flag\fR` on the line after `.TP`.
fn documented_flags(text: &str) -> BTreeSet<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut flags = BTreeSet::new();
    for pair in lines.windows(2) {
        if pair[0].trim() != ".TP" {
            continue;
        }
        let unescaped = pair[1].replace("\\-", "-");
        for part in unescaped.split("\\fB--").skip(1) {
            let flag: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            flags.insert(flag);
        }
    }
    flags
}

/// The NAME line's description: `git\-wo\-take \- claim a …`.
fn name_line(text: &str) -> String {
    let mut lines = text.lines().skip_while(|l| !l.starts_with(".SH NAME"));
    lines.next();
    let line = lines.next().unwrap_or("").replace("\\-", "-");
    line.split_once(" - ")
        .map(|(_, d)| d.trim().to_owned())
        .unwrap_or_default()
}

fn normalize(s: &str) -> String {
    s.trim().trim_end_matches('.').to_lowercase()
}

#[test]
fn every_subcommand_has_a_page_with_its_options_and_description() {
    let cli = git_wo::cli::full_command();
    for sub in cli.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = sub.get_name();
        let text = page(&format!("git-wo-{name}"));
        let clap_flags: BTreeSet<String> = sub
            .get_arguments()
            .filter(|a| !GLOBAL.contains(&a.get_id().as_str()))
            .filter_map(|a| a.get_long().map(str::to_owned))
            // (What clap adds to every subcommand in building it.)
            .filter(|l| l != "help" && l != "version")
            .collect();
        assert_eq!(
            documented_flags(&text),
            clap_flags,
            "man/git-wo-{name}.1 options vs `git wo {name} --help`"
        );
        for positional in sub.get_positionals() {
            let value = positional
                .get_value_names()
                .and_then(|v| v.first().map(|s| s.to_string()))
                .unwrap_or_else(|| positional.get_id().as_str().to_uppercase());
            assert!(
                text.contains(&format!("\\fI{value}\\fR")),
                "man/git-wo-{name}.1 documents <{value}>"
            );
        }
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        assert_eq!(
            normalize(&name_line(&text)),
            normalize(&about),
            "man/git-wo-{name}.1 NAME vs --help"
        );
        assert!(
            text.contains("EXIT STATUS"),
            "man/git-wo-{name}.1 has EXIT STATUS"
        );
    }
}

#[test]
fn the_main_page_lists_every_command_and_global_option() {
    let text = page("git-wo");
    let cli = Cli::command();
    for sub in cli.get_subcommands() {
        let name = sub.get_name();
        assert!(
            text.contains(&format!("git\\-wo\\-{name}")),
            "git-wo.1 lists {name}"
        );
    }
    let flags = documented_flags(&text);
    for g in GLOBAL.iter().chain(["version", "help"].iter()) {
        // Clap's ids use `_` where the flag has `-` (`no_pager`: `--no-pager`).
        let flag = g.replace('_', "-");
        assert!(flags.contains(&flag), "git-wo.1 documents --{flag}");
    }
    assert_eq!(
        normalize(&name_line(&text)),
        normalize(&cli.get_about().map(|a| a.to_string()).unwrap_or_default())
    );
    assert!(
        text.contains("GIT_WO_FAILPOINT"),
        "the test-only failpoint is documented"
    );
}
