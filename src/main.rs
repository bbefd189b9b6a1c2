use std::process::ExitCode;

use clap::Parser;

use git_wo::cli::output::Out;
use git_wo::cli::{self as commands, Cli, Command, Ctx};
use git_wo::error::{self, Exit};

fn main() -> ExitCode {
    git_wo::heap::tune_allocator();
    let parent = git_wo::parent_death::parent();
    let args = commands::normalize_args(std::env::args_os().collect());
    commands::prefetch_for(&args);
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                Exit::Usage.code() as u8
            } else {
                0
            });
        }
    };
    git_wo::progress::set_quiet(cli.global.quiet);
    let _t = git_wo::trace::phase("total");
    match run(&cli, parent) {
        Ok(exit) => ExitCode::from(exit.code() as u8),
        Err(err) => {
            let e = error::classify(&err);
            if cli.global.json {
                let _ = Out::new(true, false).json(&error::to_json(&e, cli.command.name()));
            }
            let color = commands::paint::stderr_color(cli.global.color);
            eprintln!("{}", commands::paint::error(color, &e));
            ExitCode::from(e.exit().code() as u8)
        }
    }
}

fn run(cli: &Cli, parent: i32) -> anyhow::Result<Exit> {
    // Needs no repository.
    if let Command::Completions(a) = &cli.command {
        return commands::completions::run(a);
    }
    // A server: it finds the repository for each call, and pages or prints nothing.
    if let Command::Mcp(a) = &cli.command {
        return commands::mcp::run(&cli.global, a);
    }
    if let Command::ShellInit(a) = &cli.command {
        return commands::shell_init::run(a);
    }
    // Before git-wo reads its settings: a bad value already set can be replaced.
    if let Command::Config(a) = &cli.command
        && commands::config::changes(a)
    {
        return commands::config::set(&cli.global, a);
    }
    // State changes stop cleanly between steps on Ctrl-C (exit 130), and when the
    // `git` that ran them dies.
    if cli.command.changes_state() {
        git_wo::interrupt::catch();
        git_wo::parent_death::watch(parent);
    }
    let ctx = Ctx::new(&cli.global)?;
    // Long reports page like git's do; state changes and hooks never.
    let pages = cli.command.is_report();
    let _pager = commands::pager::start(
        &ctx.repo,
        pages && !cli.global.no_pager && !cli.global.json && !cli.global.quiet,
    );
    // Every command run inside a WO worktree renews its holder's lease (SPEC §2).
    // (The hooks renew where SPEC §5 says: post-commit and post-checkout.)
    if !matches!(
        cli.command,
        Command::Heartbeat(_) | Command::Finish(_) | Command::Hook(_)
    ) {
        git_wo::ops::heartbeat::auto_renew(&ctx.repo, true);
    }
    let result = match &cli.command {
        Command::Audit(a) => commands::audit::run(&ctx, a),
        Command::Check(a) => commands::check::run(&ctx, a),
        Command::Commit(a) => commands::commit::run(&ctx, a),
        Command::Lint(a) => commands::lint::run(&ctx, a),
        Command::List(a) => commands::list::run(&ctx, a),
        Command::Show(a) => commands::show::run(&ctx, a),
        Command::Path(a) => commands::path::run(&ctx, a),
        Command::Config(a) => commands::config::run(&ctx, a),
        Command::Status(_) => commands::status::run(&ctx),
        Command::Snapshot(a) => commands::snapshot::run(&ctx, a),
        Command::Init(a) => commands::init::run(&ctx, a),
        Command::Ready(a) => commands::ready::run(&ctx, a),
        Command::Deps(a) => commands::deps::run(&ctx, a),
        Command::Take(a) => commands::take::run(&ctx, a),
        Command::Heartbeat(a) => commands::heartbeat::run(&ctx, a),
        Command::Finish(a) => commands::finish::run(&ctx, a),
        Command::Requeue(a) => commands::requeue::run(&ctx, a),
        Command::Reconcile(a) => commands::reconcile::run(&ctx, a),
        Command::Gc(a) => commands::gc::run(&ctx, a),
        Command::InstallHooks(a) => commands::hooks::install(&ctx, a),
        Command::UninstallHooks(_) => commands::hooks::uninstall(&ctx),
        Command::Hook(a) => commands::hook::run(&ctx, a),
        Command::Sync(a) => commands::sync::run(&ctx, a),
        Command::Kpi(a) => commands::kpi::run(&ctx, a),
        Command::New(a) => commands::new::run(&ctx, a),
        Command::Completions(a) => commands::completions::run(a),
        Command::Fmt(a) => commands::fmt::run(&ctx, a),
        Command::Index(a) => commands::index::run(&ctx, a),
        Command::AgentSetup(a) => commands::agent_setup::run(&ctx, a),
        Command::ShellInit(a) => commands::shell_init::run(a),
        Command::Mcp(a) => commands::mcp::run(&cli.global, a),
    };
    // wo.index=true: the index other tools read follows every state change.
    commands::index::after(&ctx, &cli.command);
    result
}
