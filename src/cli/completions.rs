//! `git wo completions bash|zsh|fish`: a completion script generated from the command
//! line definitions (every subcommand and option), that completes WO ids where an id
//! is expected (from `git wo list --porcelain`). The bash one defines `_git_wo`, which
//! git's own bash completion calls for `git wo <TAB>`, and completes `git-wo` too; the
//! zsh one defines `_git-wo`, which git's zsh completion calls likewise.

use anyhow::Result;

use crate::cli::{CompletionsArgs, ShellArg};
use crate::error::Exit;

/// A subcommand as completion needs it.
struct Sub {
    name: String,
    flags: Vec<String>,
    takes_id: bool,
    /// Only pending WOs can be taken: `take` completes those ids alone.
    pending_only: bool,
    /// The values its positional arguments take, when they are a fixed set (an agent, a
    /// hook, a shell).
    values: Vec<String>,
}

/// An option as the user types it: `reconcile` and `gc` spell their report file
/// `--json PATH` (`--json-out` is what it becomes inside, see `normalize_args`).
fn typed(long: &str) -> String {
    match long {
        "json-out" => "--json".to_owned(),
        l => format!("--{l}"),
    }
}

impl Sub {
    /// What completes after the subcommand's name: its flags, then its positionals'
    /// fixed values.
    fn words(&self) -> String {
        self.flags
            .iter()
            .chain(&self.values)
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn subcommands() -> (Vec<String>, Vec<Sub>) {
    // Every subcommand's arguments made; what clap adds in making them (`--help`,
    // `--version`, the `help` subcommand, the global options in each) left out.
    let cli = crate::cli::full_command();
    let own = |a: &&clap::Arg| !matches!(a.get_id().as_str(), "help" | "version");
    let globals: Vec<String> = cli
        .get_arguments()
        .filter(own)
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect();
    let subs = cli
        .get_subcommands()
        .filter(|s| s.get_name() != "help")
        .map(|s| Sub {
            name: s.get_name().to_owned(),
            flags: s
                .get_arguments()
                .filter(own)
                .filter(|a| !a.is_global_set())
                .filter_map(|a| a.get_long().map(typed))
                .chain(["--help".to_owned()])
                .collect(),
            takes_id: s
                .get_positionals()
                .any(|p| matches!(p.get_id().as_str(), "id" | "ids")),
            pending_only: s.get_name() == "take",
            values: s
                .get_positionals()
                .flat_map(|p| p.get_possible_values())
                .map(|v| v.get_name().to_owned())
                .collect(),
        })
        .collect();
    (globals, subs)
}

pub fn run(args: &CompletionsArgs) -> Result<Exit> {
    let text = match args.shell {
        ShellArg::Bash => bash(),
        ShellArg::Zsh => zsh(),
        ShellArg::Fish => fish(),
    };
    print!("{text}");
    Ok(Exit::Ok)
}

pub fn bash() -> String {
    let (globals, subs) = subcommands();
    let names: Vec<&str> = subs.iter().map(|s| s.name.as_str()).collect();
    let mut cases = String::new();
    for s in &subs {
        cases.push_str(&format!(
            "        {}) words=\"{}\"; ids={} ;;\n",
            s.name,
            s.words(),
            match (s.takes_id, s.pending_only) {
                (false, _) => 0,
                (true, false) => 1,
                (true, true) => 2,
            }
        ));
    }
    format!(
        r#"# bash completion for git wo (git wo completions bash)
# Source it from ~/.bashrc: source <(git wo completions bash)
_git_wo_ids() {{
    git wo list --porcelain "$@" 2>/dev/null | cut -f1
}}
_git_wo() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} sub= i start=1 words ids=0
    [ "${{COMP_WORDS[1]}}" = wo ] && start=2
    for ((i = start; i < COMP_CWORD; i++)); do
        case ${{COMP_WORDS[i]}} in
            --root|--color) ((i++)) ;;
            -*) ;;
            *) sub=${{COMP_WORDS[i]}}; break ;;
        esac
    done
    case $sub in
        "") words="{names} {globals}" ;;
{cases}        *) words="" ;;
    esac
    if [ "$ids" = 1 ] && [[ $cur != -* ]]; then
        words="$words $(_git_wo_ids)"
    fi
    # Only a pending WO can be taken.
    if [ "$ids" = 2 ] && [[ $cur != -* ]]; then
        words="$words $(_git_wo_ids --state pending)"
    fi
    # An existing WO is what --depends names.
    if [ "${{COMP_WORDS[COMP_CWORD-1]}}" = --depends ]; then
        words="$(_git_wo_ids)"
    fi
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
complete -o default -F _git_wo git-wo
"#,
        names = names.join(" "),
        globals = globals.join(" "),
    )
}

pub fn zsh() -> String {
    let (globals, subs) = subcommands();
    let names: Vec<&str> = subs.iter().map(|s| s.name.as_str()).collect();
    let mut cases = String::new();
    for s in &subs {
        cases.push_str(&format!(
            "        {}) compadd -- {}{} ;;\n",
            s.name,
            s.words(),
            match (s.takes_id, s.pending_only) {
                (false, _) => "",
                (true, false) => " $(_git-wo-ids)",
                (true, true) => " $(_git-wo-ids --state pending)",
            }
        ));
    }
    format!(
        r#"#compdef git-wo
# zsh completion for git wo (git wo completions zsh): put it in a folder of $fpath
# as _git-wo; git's zsh completion uses it for `git wo <TAB>` too.
_git-wo-ids() {{
    git wo list --porcelain "$@" 2>/dev/null | cut -f1
}}
_git-wo() {{
    local sub i
    for ((i = 2; i < CURRENT; i++)); do
        case ${{words[i]}} in
            wo) ;;
            --root|--color) ((i++)) ;;
            -*) ;;
            *) sub=${{words[i]}}; break ;;
        esac
    done
    case $sub in
        "") compadd -- {names} {globals} ;;
{cases}    esac
}}
_git-wo "$@"
"#,
        names = names.join(" "),
        globals = globals.join(" "),
    )
}

pub fn fish() -> String {
    let (globals, subs) = subcommands();
    let mut out = String::from(
        "# fish completion for git wo (git wo completions fish > ~/.config/fish/completions/git-wo.fish)\n\
         function __git_wo_ids\n    git wo list --porcelain $argv 2>/dev/null | cut -f1\nend\n",
    );
    let names: Vec<&str> = subs.iter().map(|s| s.name.as_str()).collect();
    out.push_str(&format!(
        "complete -c git-wo -f -n '__fish_use_subcommand' -a '{}'\n",
        names.join(" ")
    ));
    for g in &globals {
        out.push_str(&format!(
            "complete -c git-wo -f -l {}\n",
            g.trim_start_matches("--")
        ));
    }
    for s in &subs {
        for f in &s.flags {
            out.push_str(&format!(
                "complete -c git-wo -f -n '__fish_seen_subcommand_from {}' -l {}\n",
                s.name,
                f.trim_start_matches("--")
            ));
        }
        if s.takes_id {
            out.push_str(&format!(
                "complete -c git-wo -f -n '__fish_seen_subcommand_from {}' -a '(__git_wo_ids{})'\n",
                s.name,
                if s.pending_only {
                    " --state pending"
                } else {
                    ""
                }
            ));
        }
        if !s.values.is_empty() {
            out.push_str(&format!(
                "complete -c git-wo -f -n '__fish_seen_subcommand_from {}' -a '{}'\n",
                s.name,
                s.values.join(" ")
            ));
        }
    }
    out
}
