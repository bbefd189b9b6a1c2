//! Command-line surface: argument parsing only. Each subcommand's behaviour lives in
//! `crate::cli::<name>`; this file is the single source of the `--help` texts that
//! the man pages in `man/` mirror (a test checks that they agree).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
// The argument structs of the commands `git wo mcp` serves also derive `Deserialize`
// and `JsonSchema`: a tool's input schema is the command's options, described by the
// same doc comments as its --help.
use schemars::JsonSchema;
use serde::Deserialize;

/// Keep a work-order system healthy: atomic claims in refs, markers in notes, audits and repairs.
#[derive(Debug, Parser)]
#[command(
    name = "git-wo",
    bin_name = "git wo",
    version,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The command line with every subcommand's arguments made (see [`Command`]'s `defer`):
/// as clap builds it, so with what building adds (the `help` subcommand, each
/// subcommand's `--help` and `--version`, and the global options copied into every
/// subcommand, each still [`clap::Arg::is_global_set`]).
pub fn full_command() -> clap::Command {
    let mut cli = <Cli as clap::CommandFactory>::command();
    cli.build();
    cli
}

/// Whether the command line is a warm read of the working tree whose jobs dir is
/// worth listing before it is parsed ([`crate::inventory::prefetch_jobs_dir`]): `audit`,
/// `list`, `status`, `ready`, and `check` of the working tree, in the checkout the
/// current folder is in (no `--root`), not asking for help or the version.
pub fn prefetches(args: &[std::ffi::OsString]) -> bool {
    let elsewhere = args.iter().skip(1).any(|a| {
        let Some(a) = a.to_str() else { return true };
        let root = a == "--root" || a.starts_with("--root=");
        let asks = matches!(a, "-h" | "--help" | "-V" | "--version");
        let other_source = a == "--staged" || a == "--tree" || a.starts_with("--tree=");
        root || asks || other_source
    });
    let sub = subcommand_at(args).and_then(|at| args[at].to_str());
    !elsewhere && matches!(sub, Some("audit" | "list" | "status" | "ready" | "check"))
}

/// The global options whose value is the next argument.
const GLOBAL_WITH_VALUE: [&str; 2] = ["--root", "--color"];

/// Where the subcommand's name is in `args` (the program's name first): the first
/// argument after the program's that is neither an option nor a global option's value.
fn subcommand_at(args: &[std::ffi::OsString]) -> Option<usize> {
    (1..args.len()).find(|&i| {
        let is_value = || GLOBAL_WITH_VALUE.contains(&args[i - 1].to_string_lossy().as_ref());
        !args[i].to_string_lossy().starts_with('-') && (i == 1 || !is_value())
    })
}

/// `reconcile` and `gc` take `--json PATH` (SPEC §7, §8) where every other command's
/// `--json` is the global flag: after those subcommands, `--json <value>` (a value not
/// starting with `-`) and `--json=<value>` become `--json-out`. A bare `--json` stays
/// the global flag.
pub fn normalize_args(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut out = Vec::with_capacity(args.len());
    let path_command = subcommand_at(&args)
        .filter(|&at| matches!(args[at].to_string_lossy().as_ref(), "reconcile" | "gc"));
    let mut i = 0;
    while i < args.len() {
        let a = args[i].to_string_lossy().into_owned();
        let in_path_command = path_command.is_some_and(|at| i > at);
        if in_path_command && a == "--json" {
            if let Some(next) = args
                .get(i + 1)
                .filter(|n| !n.to_string_lossy().starts_with('-'))
            {
                out.push("--json-out".into());
                out.push(next.clone());
                i += 2;
                continue;
            }
        } else if in_path_command
            && let Some(v) = args[i].to_str().and_then(|s| s.strip_prefix("--json="))
        {
            out.push(format!("--json-out={v}").into());
            i += 1;
            continue;
        }
        out.push(args[i].clone());
        i += 1;
    }
    out
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Print one JSON document on stdout instead of text.
    #[arg(long, global = true, help_heading = "Global options")]
    pub json: bool,
    /// Use DIR as the control checkout instead of discovering it (config wo.root).
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        help_heading = "Global options"
    )]
    pub root: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(short, long, global = true, help_heading = "Global options")]
    pub quiet: bool,
    /// Colour: auto (on a terminal), always or never (default: NO_COLOR, color.wo, color.ui).
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        help_heading = "Global options"
    )]
    pub color: Option<ColorArg>,
    /// Do not page long output (default: git's pager on a terminal).
    #[arg(long, global = true, help_heading = "Global options")]
    pub no_pager: bool,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// Each subcommand's arguments are made only when it runs (`defer`): building all of
/// them was 0.3 ms of every run's start, on one core, before anything else. What lists
/// every subcommand's arguments (the completions, the tests) takes [`full_command`].
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Write config and import every YAML WO into a record.
    #[command(after_help = "Examples:\n  git wo init
  git wo --json init")]
    Init(InitArgs),
    /// List every WO with its state, holder and worktree.
    #[command(after_help = "Examples:\n  git wo list --state running
  git wo list --mine
  git wo list --porcelain | cut -f1,3")]
    List(ListArgs),
    /// Show one WO: files, record, lock, lease, history and markers.
    #[command(after_help = "Examples:\n  git wo show WO-0042
  git wo --json show WO-0042")]
    Show(ShowArgs),
    /// Say what this worktree is and what to do next.
    #[command(after_help = "Examples:\n  git wo status
  git wo --json status")]
    Status(StatusArgs),
    /// Print the path of a WO's worktree.
    #[command(
        after_help = "Examples:\n  cd \"$(git wo path WO-0042)\"\n  git wo path                  (the WO of this worktree)"
    )]
    Path(PathArgs),
    /// List the settings git-wo reads, their values and where they come from; set or unset one.
    #[command(after_help = "Examples:\n  git wo config
  git wo config wo.commit true         (checked: a bad value is refused with the allowed ones)
  git wo config --unset wo.lease
  git wo --json config")]
    Config(ConfigArgs),
    /// Create a WO YAML in pending/ from a template, with the next free id.
    #[command(
        after_help = "Examples:\n  git wo new --title \"Fix the login redirect\"
  git wo new --title \"Rotate keys\" --epic E-7 --priority P1
  git wo new --id WO-0100 --title \"Spike\" --template _ctx/templates/spike.yaml"
    )]
    New(NewArgs),
    /// List the WOs ready to take: pending, every dependency done; P0 first.
    #[command(after_help = "Examples:\n  git wo ready
  git wo ready --priority P0 --limit 5
  git wo ready --blocked               (and what the others wait for)")]
    Ready(ReadyArgs),
    /// Show what a WO waits for and what waits for it, or the whole dependency graph.
    #[command(after_help = "Examples:\n  git wo deps WO-0042
  git wo deps --format mermaid > docs/wo-graph.md
  git wo deps --format dot | dot -Tsvg > graph.svg")]
    Deps(DepsArgs),
    /// Claim a pending WO: record, branch, worktree, YAML move, lock, intent marker.
    #[command(after_help = "Examples:\n  git wo take WO-0042
  git wo take --next                   (the first ready WO)
  git wo take WO-0042 --base release-1.2
  git wo take WO-0042 --steal          (its lease expired)")]
    Take(TakeArgs),
    /// Commit the moves git-wo staged under the jobs dir, and nothing else.
    #[command(
        after_help = "Examples:\n  git wo commit                        (after take or finish, before git rebase)
  git config wo.commit true            (take and finish then commit their own moves)"
    )]
    Commit(CommitArgs),
    /// Renew the lease of a WO you hold.
    #[command(
        after_help = "Examples:\n  git wo heartbeat                     (in the WO's worktree)
  git wo heartbeat WO-0042 --lease 4h"
    )]
    Heartbeat(HeartbeatArgs),
    /// Verify and close a WO you hold; remove its worktree when safe.
    #[command(
        after_help = "Examples:\n  git wo finish --result done          (in the WO's worktree)
  git wo finish WO-0042 --result failed
  git wo finish --result done --skip-verification --reason \"CI is down\""
    )]
    Finish(FinishArgs),
    /// Put a failed (or stale running) WO back to pending, keeping its branch.
    #[command(after_help = "Examples:\n  git wo requeue WO-0042 --reason \"lease expired\"")]
    Requeue(RequeueArgs),
    /// Report every integrity finding.
    #[command(after_help = "Examples:\n  git wo audit
  git wo audit --fail-on split_brain,running_without_lock,ghost_worktree,zombie_worktree
  git wo audit --out data/wo_audit.json
  git wo audit --format markdown >> \"$GITHUB_STEP_SUMMARY\"")]
    Audit(AuditArgs),
    /// The fast integrity gate the pre-commit hook runs.
    #[command(after_help = "Examples:\n  git wo check
  git wo check --staged                (what is about to be committed)
  git wo check --tree HEAD~1")]
    Check(CheckArgs),
    /// Check WO YAML against the schema and its semantics.
    #[command(after_help = "Examples:\n  git wo lint
  git wo lint WO-0042")]
    Lint(LintArgs),
    /// Plan (default) or apply repairs: one state per WO, the locks it needs, nothing deleted.
    #[command(
        after_help = "Examples:\n  git wo reconcile                     (the plan; exit 1 when there is one)
  git wo reconcile --apply --json data/reconcile_result.json
  git wo reconcile --apply --force     (also the unsafe repairs)
  git wo reconcile --restore 20261201T112551Z-4242"
    )]
    Reconcile(ReconcileArgs),
    /// Remove zombie and ghost worktrees that hold no work; release stale locks.
    #[command(
        after_help = "Examples:\n  git wo gc                             (dry run; exit 1 when there is work)
  git wo gc --apply
  git wo gc --apply --min-age 0 --json data/gc_result.json
  git wo gc --format markdown >> \"$GITHUB_STEP_SUMMARY\""
    )]
    Gc(GcArgs),
    /// Install the commit gate hooks (pre-commit, commit-msg, post-commit, post-checkout).
    #[command(
        name = "install-hooks",
        after_help = "Examples:\n  git wo install-hooks
  git wo install-hooks --force         (an older <name>.pre-wo goes to quarantine)"
    )]
    InstallHooks(InstallHooksArgs),
    /// Remove git-wo's hooks and put back the ones they kept aside.
    #[command(
        name = "uninstall-hooks",
        after_help = "Examples:\n  git wo uninstall-hooks"
    )]
    UninstallHooks(UninstallHooksArgs),
    /// The plan's weekly KPIs, each against its target.
    #[command(after_help = "Examples:\n  git wo kpi
  git wo kpi --since 30d
  git wo kpi --weeks 8                 (each KPI week by week)
  git wo kpi --weeks 8 --format markdown >> \"$GITHUB_STEP_SUMMARY\"
  git wo --json kpi")]
    Kpi(KpiArgs),
    /// Exchange records and markers with a remote: fetch, fast-forward, merge, push.
    #[command(
        after_help = "Examples:\n  git wo sync                          (wo.remote, else origin)
  git wo sync upstream
  git wo --json sync"
    )]
    Sync(SyncArgs),
    /// Print a shell completion script (bash, zsh or fish) that completes WO ids too.
    #[command(
        after_help = "Examples:\n  source <(git wo completions bash)      (in ~/.bashrc)
  git wo completions zsh > ~/.zfunc/_git-wo
  git wo completions fish > ~/.config/fish/completions/git-wo.fish"
    )]
    Completions(CompletionsArgs),
    /// Print a shell function so that git wo take, path and finish change the shell's directory.
    #[command(
        name = "shell-init",
        after_help = "Examples:\n  eval \"$(git wo shell-init bash)\"      (in ~/.bashrc; zsh: in ~/.zshrc)
  git wo shell-init fish | source      (in ~/.config/fish/config.fish)"
    )]
    ShellInit(ShellInitArgs),
    /// Serve the WO commands to agents as tools: a Model Context Protocol server on stdio.
    #[command(
        after_help = "Examples:\n  git wo mcp                            (started by the agent, see README)
  claude mcp add git-wo -- git wo mcp"
    )]
    Mcp(McpArgs),
    /// Run a hook: the entry point of the installed hook shims.
    #[command(
        after_help = "Examples:\n  git wo hook pre-commit               (what git runs before a commit)
  git wo hook commit-msg .git/COMMIT_EDITMSG"
    )]
    Hook(HookArgs),
    /// Freeze a baseline of the repository state into a directory.
    #[command(after_help = "Examples:\n  git wo snapshot --dir data/wo_forensics_baseline")]
    Snapshot(SnapshotArgs),
    /// Put the top-level keys of WO files in the original formatter's order.
    #[command(after_help = "Examples:\n  git wo fmt
  git wo fmt --check                   (exit 1 and the files, when one is out of order)
  git wo fmt WO-0042")]
    Fmt(FmtArgs),
    /// Write _ctx/index/wo_worktrees.json, the index other tools read.
    #[command(after_help = "Examples:\n  git wo index
  git config wo.index true             (keep it fresh from then on)")]
    Index(IndexArgs),
    /// Write a coding agent's start, finish and repair commands into the repository.
    #[command(
        name = "agent-setup",
        after_help = "Examples:\n  git wo agent-setup claude            (.claude/commands/wo-start.md, ...)
  git wo agent-setup gemini            (.gemini/commands/wo-start.toml, ...)
  git wo agent-setup claude --force    (replace files that differ)"
    )]
    AgentSetup(AgentSetupArgs),
}

impl Command {
    /// Whether it changes state (it then stops between steps on Ctrl-C).
    pub fn changes_state(&self) -> bool {
        matches!(
            self,
            Command::Take(_)
                | Command::Commit(_)
                | Command::Finish(_)
                | Command::Requeue(_)
                | Command::Heartbeat(_)
                | Command::Reconcile(_)
                | Command::Gc(_)
                | Command::Init(_)
                | Command::Sync(_)
                | Command::New(_)
        )
    }

    /// Whether its human output is a report, long enough to page on a terminal.
    pub fn is_report(&self) -> bool {
        matches!(
            self,
            Command::List(_)
                | Command::Ready(_)
                | Command::Deps(_)
                | Command::Show(_)
                | Command::Audit(_)
                | Command::Kpi(_)
                | Command::Config(_)
                | Command::Reconcile(_)
                | Command::Gc(_)
                | Command::Lint(_)
        )
    }

    /// The subcommand's name, as typed (`git wo <name>`).
    pub fn name(&self) -> &'static str {
        match self {
            Command::Init(_) => "init",
            Command::List(_) => "list",
            Command::Show(_) => "show",
            Command::Status(_) => "status",
            Command::Path(_) => "path",
            Command::Config(_) => "config",
            Command::Ready(_) => "ready",
            Command::Deps(_) => "deps",
            Command::Take(_) => "take",
            Command::Commit(_) => "commit",
            Command::Heartbeat(_) => "heartbeat",
            Command::Finish(_) => "finish",
            Command::Requeue(_) => "requeue",
            Command::Audit(_) => "audit",
            Command::Check(_) => "check",
            Command::Lint(_) => "lint",
            Command::Snapshot(_) => "snapshot",
            Command::Reconcile(_) => "reconcile",
            Command::Gc(_) => "gc",
            Command::InstallHooks(_) => "install-hooks",
            Command::UninstallHooks(_) => "uninstall-hooks",
            Command::Hook(_) => "hook",
            Command::Sync(_) => "sync",
            Command::Kpi(_) => "kpi",
            Command::New(_) => "new",
            Command::Completions(_) => "completions",
            Command::ShellInit(_) => "shell-init",
            Command::Fmt(_) => "fmt",
            Command::Index(_) => "index",
            Command::AgentSetup(_) => "agent-setup",
            Command::Mcp(_) => "mcp",
        }
    }
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Also install the commit gate hooks (git wo install-hooks).
    #[arg(long)]
    pub hooks: bool,
    /// Create the jobs dir (_ctx/jobs/{pending,running,done,failed}) when there is none.
    #[arg(long)]
    pub create: bool,
}

#[derive(Debug, Args)]
pub struct InstallHooksArgs {
    /// When a foreign hook is in place and an older <name>.pre-wo too, move that one to quarantine.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct UninstallHooksArgs {}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: ShellArg,
}

/// The shells `completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellArg {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct ShellInitArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: ShellArg,
}

/// `new`'s defaults, for clap and for the MCP tool's schema alike.
const NEW_EPIC: &str = "E-0";
const NEW_PRIORITY: &str = "P2";
const NEW_DOD: &str = "DOD-STD";

#[derive(Debug, Args, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewArgs {
    /// The WO's title.
    #[arg(long, value_name = "TEXT")]
    pub title: String,
    /// Use this id instead of the next free one.
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
    /// epic_id (default: E-0).
    #[arg(long, value_name = "EPIC", default_value = NEW_EPIC)]
    #[serde(default = "new_epic")]
    pub epic: String,
    /// priority (default: P2).
    #[arg(long, value_name = "P", default_value = NEW_PRIORITY)]
    #[serde(default = "new_priority")]
    pub priority: String,
    /// dod_id (default: DOD-STD).
    #[arg(long, value_name = "DOD", default_value = NEW_DOD)]
    #[serde(default = "new_dod")]
    pub dod: String,
    /// A template file with {id}, {title}, {epic}, {priority}, {dod} (default: wo.template, else built in).
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
    /// A WO that must be done first (repeat for more); it must exist and make no cycle.
    #[arg(long = "depends", value_name = "ID")]
    #[serde(default)]
    pub depends: Vec<String>,
    /// A verify command (repeat for more).
    #[arg(long, value_name = "CMD")]
    #[serde(default)]
    pub verify: Vec<String>,
    /// A scope.allow glob (repeat for more).
    #[arg(long, value_name = "GLOB")]
    #[serde(default)]
    pub scope: Vec<String>,
    /// A scope.deny glob (repeat for more).
    #[arg(long, value_name = "GLOB")]
    #[serde(default)]
    pub deny: Vec<String>,
}

fn new_epic() -> String {
    NEW_EPIC.to_owned()
}
fn new_priority() -> String {
    NEW_PRIORITY.to_owned()
}
fn new_dod() -> String {
    NEW_DOD.to_owned()
}

#[derive(Debug, Args)]
pub struct KpiArgs {
    /// The window, back from now: 90m, 2h, 7d, 4w.
    #[arg(long, value_name = "DURATION", default_value = "7d")]
    pub since: String,
    /// Also show each KPI for each of the last N weeks.
    #[arg(long, value_name = "N")]
    pub weeks: Option<usize>,
    /// text, or markdown (a table; with --weeks also Mermaid charts of the trend).
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "text")]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The remote (default: wo.remote, else origin).
    pub remote: Option<String>,
}

#[derive(Debug, Args)]
pub struct HookArgs {
    /// The hook git is running.
    #[arg(value_enum)]
    pub name: HookName,
    /// The hook's arguments, as git passes them.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    pub args: Vec<std::ffi::OsString>,
}

/// The hooks `git wo hook` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HookName {
    PreCommit,
    CommitMsg,
    PostCommit,
    PostCheckout,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only WOs with a file in this state folder.
    #[arg(long, value_enum)]
    pub state: Option<StateArg>,
    /// Only WOs held by NAME.
    #[arg(long, value_name = "NAME", conflicts_with = "mine")]
    pub owner: Option<String>,
    /// Only WOs held by you (wo.owner, else user.name, else the login name).
    #[arg(long)]
    pub mine: bool,
    /// Stable tab-separated lines for scripts: id, states, holder, lease, phase, title.
    #[arg(long)]
    pub porcelain: bool,
}

#[derive(Debug, Args, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadyArgs {
    /// Only WOs of this priority (e.g. P0).
    #[arg(long, value_name = "P")]
    pub priority: Option<String>,
    /// Only WOs of this epic.
    #[arg(long, value_name = "EPIC")]
    pub epic: Option<String>,
    /// At most N WOs.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Also list the pending WOs that wait, with what they wait for.
    #[arg(long)]
    #[serde(default)]
    pub blocked: bool,
    /// Stable tab-separated lines for scripts: id, priority, unblocks, title.
    #[arg(long)]
    #[serde(skip)]
    #[schemars(skip)]
    pub porcelain: bool,
}

#[derive(Debug, Args, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DepsArgs {
    /// The WO id (without it: the whole graph, as --format says).
    pub id: Option<String>,
    /// The whole graph as Mermaid (renders in GitHub/GitLab Markdown) or Graphviz DOT.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<GraphFormat>,
}

/// How `git wo deps` draws the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

#[derive(Debug, Args)]
pub struct StatusArgs {}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The setting to set or unset (e.g. wo.commit); without it, every setting is listed.
    #[arg(value_name = "KEY")]
    pub key: Option<String>,
    /// Its new value, checked before it is written.
    #[arg(value_name = "VALUE", conflicts_with = "unset")]
    pub value: Option<String>,
    /// Remove KEY's value (git-wo then uses its default).
    #[arg(long, requires = "key")]
    pub unset: bool,
    /// Write to your global configuration (~/.gitconfig) instead of the repository's.
    #[arg(long, requires = "key")]
    pub global: bool,
}

#[derive(Debug, Args)]
pub struct PathArgs {
    /// The WO id (default: the WO of the worktree you are in).
    pub id: Option<String>,
}

#[derive(Debug, Args, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShowArgs {
    /// The WO id, e.g. WO-0042.
    pub id: String,
    /// List the evidence of its latest finish (in the record), or print FILE of it.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "")]
    pub evidence: Option<String>,
}

#[derive(Debug, Args, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TakeArgs {
    /// The WO id, e.g. WO-0042 (or --next).
    #[arg(required_unless_present = "next", conflicts_with = "next")]
    pub id: Option<String>,
    /// Take the first ready WO (git wo ready); a lost race moves on to the next one.
    #[arg(long, conflicts_with_all = ["steal", "resume"])]
    #[serde(default)]
    pub next: bool,
    /// With --next: only WOs of this priority (e.g. P0).
    #[arg(long, value_name = "P", requires = "next")]
    pub priority: Option<String>,
    /// With --next: only WOs of this epic.
    #[arg(long, value_name = "EPIC", requires = "next")]
    pub epic: Option<String>,
    /// Print the id and the worktree path, tab-separated (for scripts: cd "$(… | cut -f2)").
    #[arg(long)]
    #[serde(skip)]
    #[schemars(skip)]
    pub porcelain: bool,
    /// Who takes it (default: wo.owner, then user.name, then $USER).
    #[arg(long, value_name = "NAME")]
    pub owner: Option<String>,
    /// Start the branch from REV (default: the default branch).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Lease length, e.g. 90m, 2h, 1d (default: wo.lease or 2h).
    #[arg(long, value_name = "DURATION")]
    pub lease: Option<String>,
    /// Take a running WO whose lease has expired (new token, recorded).
    #[arg(long)]
    #[serde(default)]
    pub steal: bool,
    /// Finish an interrupted take of yours (phase taking).
    #[arg(long)]
    #[serde(default)]
    pub resume: bool,
    /// Take even when the worktree it reuses holds modified, staged or untracked files (recorded as an override).
    #[arg(long)]
    #[serde(default)]
    pub force: bool,
    /// Publish the claim to REMOTE as part of the take; losing the race there undoes it (default: wo.remote).
    #[arg(long, value_name = "REMOTE")]
    pub remote: Option<String>,
}

#[derive(Debug, Args)]
pub struct CommitArgs {}

#[derive(Debug, Args, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatArgs {
    /// The WO id (default: the WO of the worktree you are in).
    pub id: Option<String>,
    /// New lease length from now (default: wo.lease or 2h).
    #[arg(long, value_name = "DURATION")]
    pub lease: Option<String>,
    /// Renew even if you are not the holder (recorded as an override).
    #[arg(long)]
    #[serde(default)]
    pub force: bool,
}

#[derive(Debug, Args, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishArgs {
    /// The WO id (default: the WO of the worktree you are in).
    pub id: Option<String>,
    /// The verdict.
    #[arg(long, value_enum)]
    pub result: Verdict,
    /// Do not run verify.commands (needs --reason; recorded).
    #[arg(long, requires = "reason")]
    #[serde(default)]
    pub skip_verification: bool,
    /// Why verification was skipped, or why leaving the scope is accepted.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// With --result done: accept a branch that changes paths outside the WO's scope (needs --reason; recorded as an exception).
    #[arg(long, requires = "reason")]
    #[serde(default)]
    pub allow_out_of_scope: bool,
    /// Keep the worktree even when it is safe to remove.
    #[arg(long)]
    #[serde(default)]
    pub keep_worktree: bool,
    /// Finish a WO you do not hold (recorded as an override).
    #[arg(long)]
    #[serde(default)]
    pub force: bool,
    /// Allow `--result done` with no commit on the WO's branch since its base.
    #[arg(long)]
    #[serde(default)]
    pub allow_empty: bool,
    /// Publish the record to REMOTE as part of the finish (default: wo.remote).
    #[arg(long, value_name = "REMOTE")]
    pub remote: Option<String>,
}

#[derive(Debug, Args, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequeueArgs {
    /// The WO id.
    pub id: String,
    /// Why it goes back to pending (recorded).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Requeue a running WO whose lease still runs (holder gone, worktree lost); recorded.
    #[arg(long)]
    #[serde(default)]
    pub force: bool,
}

/// `--format` of the reports a CI job shows (audit, kpi, gc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ReportFormat {
    /// The text a terminal shows.
    #[default]
    Text,
    /// GitHub-flavoured Markdown: tables (and Mermaid charts), for a CI job summary or a comment.
    Markdown,
}

#[derive(Debug, Args, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditArgs {
    /// text, or markdown (tables, for $GITHUB_STEP_SUMMARY or a pull-request comment).
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "text")]
    #[serde(skip)]
    #[schemars(skip)]
    pub format: ReportFormat,
    /// Also write the JSON report to PATH.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Exit 1 only for these codes: a comma list, `p0`, `p1`, `p2` or `all` (default: all but unmirrored).
    #[arg(long, value_name = "CODES")]
    pub fail_on: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Check the jobs dir as staged in the index instead of the working tree.
    #[arg(long, conflicts_with = "tree")]
    pub staged: bool,
    /// Check the jobs dir as it is in TREE-ISH (a commit or tree).
    #[arg(long, value_name = "TREE-ISH")]
    pub tree: Option<String>,
    /// Failing codes: a comma list, `p0`, `p1`, `p2` or `all` (default: wo.gate.failOn or the gate set).
    #[arg(long, value_name = "CODES")]
    pub fail_on: Option<String>,
}

// `git wo mcp` takes only the global options (`--root`). (Not a doc comment: with its
// arguments made when it runs, a struct's doc comment would replace the command's
// about in `git wo mcp --help`.)
#[derive(Debug, Args)]
pub struct McpArgs {}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Only these WOs (default: every live WO).
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Only report the files out of order (exit 1 when there is one); change nothing.
    #[arg(long)]
    pub check: bool,
    /// Only these WOs, or these WO files (default: every live WO).
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
}

#[derive(Debug, Args)]
pub struct IndexArgs {}

#[derive(Debug, Args)]
pub struct AgentSetupArgs {
    /// The coding agent.
    #[arg(value_enum)]
    pub agent: AgentArg,
    /// Replace files that differ from what would be written.
    #[arg(long)]
    pub force: bool,
}

/// The coding agents `agent-setup` writes commands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AgentArg {
    /// Claude Code: .claude/commands/*.md
    Claude,
    /// Gemini CLI: .gemini/commands/*.toml
    Gemini,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// Apply the safe repairs (reversible; surplus copies go to quarantine).
    #[arg(long, conflicts_with = "restore")]
    pub apply: bool,
    /// With --apply, also the unsafe repairs (requeue a running WO with nothing live).
    /// (Without --apply: a usage error with its fix, raised by `cli/reconcile.rs`.)
    #[arg(long)]
    pub force: bool,
    /// Also write the JSON plan or result to PATH (`--json PATH` is the same).
    #[arg(long = "json-out", value_name = "PATH")]
    pub json_path: Option<PathBuf>,
    /// Put the files of quarantine folder STAMP back (never overwriting).
    #[arg(long, value_name = "STAMP")]
    pub restore: Option<String>,
}

#[derive(Debug, Args)]
pub struct GcArgs {
    /// Report only (the default).
    #[arg(long, conflicts_with = "apply")]
    pub dry_run: bool,
    /// Remove, release and prune what is safe.
    #[arg(long)]
    pub apply: bool,
    /// With --apply, override the dirty, untracked, ignored, reflog-only and min-age rules (the files go to quarantine first, the commits under refs/wo/rescue/).
    /// (Without --apply: a usage error with its fix, raised by `cli/gc.rs`.)
    #[arg(long)]
    pub force: bool,
    /// Keep worktrees touched more recently than this, e.g. 10m, 2h, 0 (default: 10m).
    #[arg(long, value_name = "DURATION")]
    pub min_age: Option<String>,
    /// Also write the JSON report to PATH (`--json PATH` is the same).
    #[arg(long = "json-out", value_name = "PATH")]
    pub json_path: Option<PathBuf>,
    /// Append the report to PATH instead of <git-common-dir>/wo/gc.log.
    #[arg(long, value_name = "PATH")]
    pub log: Option<PathBuf>,
    /// text, or markdown (a table of what gc would do and why, for a CI job summary).
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "text")]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Directory to write the baseline files into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum StateArg {
    Pending,
    Running,
    Done,
    Failed,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Done,
    Failed,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run makes only its own subcommand's arguments; [`full_command`] makes them all,
    /// and a parse finds the ones of the subcommand it runs.
    #[test]
    fn a_subcommands_arguments_are_made_when_it_runs_or_all_are_built() {
        let has_state = |cli: &clap::Command| {
            cli.find_subcommand("list")
                .is_some_and(|l| l.get_arguments().any(|a| a.get_id() == "state"))
        };
        assert!(!has_state(&<Cli as clap::CommandFactory>::command()));
        let full = full_command();
        assert!(has_state(&full));
        // Made, every subcommand's own arguments have their help.
        for sub in full.get_subcommands() {
            for a in sub.get_arguments().filter(|a| !a.is_global_set()) {
                assert!(
                    a.get_help().is_some(),
                    "{} --{}",
                    sub.get_name(),
                    a.get_id()
                );
            }
        }
        let cli = Cli::try_parse_from(["git-wo", "list", "--state", "running"]).expect("parsed");
        assert!(matches!(cli.command, Command::List(ref a) if a.state == Some(StateArg::Running)));
    }

    /// The warm reads of the working tree, in the current folder's checkout, are
    /// prefetched, whatever global options come first; nothing else is.
    #[test]
    fn only_warm_reads_of_this_checkout_are_prefetched() {
        let prefetched = |line: &str| {
            let args: Vec<std::ffi::OsString> = line.split_whitespace().map(Into::into).collect();
            prefetches(&args)
        };
        for yes in [
            "git-wo audit",
            "git-wo --json audit",
            "git-wo audit --json --fail-on stale_lock",
            "git-wo -q list --state pending",
            "git-wo --color never status",
            "git-wo --color=always ready --blocked",
            "git-wo check",
            "git-wo --no-pager list",
        ] {
            assert!(prefetched(yes), "{yes}");
        }
        for no in [
            "git-wo",
            "git-wo --json",
            "git-wo --root /elsewhere audit",
            "git-wo audit --root=/elsewhere",
            "git-wo check --staged",
            "git-wo check --tree HEAD",
            "git-wo check --tree=HEAD",
            "git-wo audit --help",
            "git-wo -h",
            "git-wo --version",
            "git-wo show WO-1",
            "git-wo take WO-1",
            "git-wo lint",
            "git-wo --color never lint",
            "git-wo help audit",
        ] {
            assert!(!prefetched(no), "{no}");
        }
    }
}
