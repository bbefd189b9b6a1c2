//! One file per subcommand: each parses nothing (clap did), calls the library, renders.

pub mod agent_setup;
pub mod args;
pub mod audit;
pub mod check;
pub mod commit;
pub mod completions;
pub mod config;
pub mod deps;
pub mod document;
pub mod finish;
pub mod fmt;
pub mod gc;
pub mod heartbeat;
pub mod hook;
pub mod hooks;
pub mod index;
pub mod init;
pub mod kpi;
pub mod lint;
pub mod list;
pub mod markdown;
pub mod mcp;
pub mod new;
pub mod output;
pub mod owner;
pub mod pager;
pub mod paint;
pub mod path;
pub mod ready;
pub mod reconcile;
pub mod requeue;
pub mod shell_init;
pub mod show;
pub mod snapshot;
pub mod status;
pub mod stream;
pub mod sync;
pub mod take;

use std::path::Path;

use anyhow::Result;

use crate::cli::output::Out;
use crate::git::Repo;
pub use args::*;

/// A note on stderr when the repository has no jobs dir yet, saying how to start
/// (views of an empty jobs dir are not an error: exit 0).
pub fn note_missing_jobs_dir(ctx: &Ctx) {
    let jobs = ctx.repo.jobs_dir();
    if ctx.out.quiet || std::fs::symlink_metadata(&jobs).is_ok() {
        return;
    }
    let rel = ctx.repo.jobs_rel();
    eprintln!(
        "note: there is no {rel} in {}: no WOs yet. Start with: git wo init --create (creates {rel}/{{pending,running,done,failed}}), then add WO YAMLs to {rel}/pending/",
        ctx.repo.control_root.display()
    );
}

/// Leave `value` to the process exit instead of freeing it: a view of 10,000 WOs is
/// tens of thousands of small allocations, which the kernel drops at once when the
/// process ends, faster than freeing them one by one.
pub fn keep_until_exit<T>(value: T) {
    std::mem::forget(value);
}

/// The error for a current directory that cannot be read: most often it was removed
/// under the shell (a finished WO's worktree). Names it, and the main checkout it
/// belonged to when that can be found (see [`crate::git::gone_worktree`]).
fn gone_cwd(e: &std::io::Error) -> anyhow::Error {
    let pwd = std::env::var_os("PWD").map(std::path::PathBuf::from);
    let Some(pwd) = pwd else {
        return crate::error::WoError::usage(format!("the current directory cannot be read: {e}"))
            .fix("cd to the main checkout of the repository and run the command again")
            .into();
    };
    let q = |p: &Path| crate::error::shell_quote(&p.to_string_lossy());
    let fix = match crate::git::gone_worktree::main_checkout_of(&pwd) {
        Some(main) => format!("cd {} and run the command again", q(&main)),
        None => match pwd.ancestors().skip(1).find(|a| a.is_dir()) {
            Some(dir) => format!(
                "cd {} (then into the main checkout) and run the command again",
                q(dir)
            ),
            None => "cd to the main checkout and run the command again".to_owned(),
        },
    };
    crate::error::WoError::usage(format!(
        "the current directory {} no longer exists (was it a finished WO's worktree?)",
        pwd.display()
    ))
    .fix(fix)
    .into()
}

/// The refusal of a repository path that is not UTF-8, with how to get going again.
fn not_utf8(bad: &crate::git::repo::NotUtf8) -> anyhow::Error {
    use std::os::unix::ffi::OsStrExt;
    let folder = bad
        .path
        .ancestors()
        .find(|a| {
            a.file_name()
                .is_some_and(|n| std::str::from_utf8(n.as_bytes()).is_err())
        })
        .unwrap_or(&bad.path);
    crate::error::WoError::usage(bad.to_string())
        .fix(format!(
            "rename the folder to a UTF-8 name (mv -- {} <new name>; for a linked worktree, git worktree move), then run git wo there",
            crate::error::bash_quote_bytes(folder.as_os_str())
        ))
        .into()
}

/// Start listing the jobs dir while the command line is parsed and the repository
/// opened, for the commands that read it warm ([`prefetches`]).
pub fn prefetch_for(args: &[std::ffi::OsString]) {
    if prefetches(args) {
        crate::inventory::prefetch_jobs_dir();
    }
}

/// What every command gets: the repository and the output settings.
pub struct Ctx {
    pub repo: Repo,
    pub out: Out,
    /// The global options as given (commands a report prints repeat `--root`).
    pub global: GlobalArgs,
}

impl Ctx {
    pub fn new(global: &GlobalArgs) -> Result<Ctx> {
        let cwd = std::env::current_dir().map_err(|e| gone_cwd(&e))?;
        Ctx::at(&cwd, global)
    }

    pub fn at(cwd: &Path, global: &GlobalArgs) -> Result<Ctx> {
        let _t = crate::trace::phase("discover");
        let repo = Repo::discover(cwd, global.root.as_deref()).map_err(|e| {
            if let Some(bad) = e.downcast_ref::<crate::git::repo::NotUtf8>() {
                return not_utf8(bad);
            }
            let fix = if global.root.is_some() {
                "pass --root DIR naming the checkout that holds _ctx/jobs"
            } else {
                "run git wo inside a repository, or pass --root DIR (or set wo.root) to the checkout that holds _ctx/jobs"
            };
            crate::error::with_fix(e, fix)
        })?;
        use std::io::IsTerminal;
        let color = crate::cli::output::use_color(
            global.color,
            repo.config.color.as_deref(),
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").is_some(),
        );
        crate::cli::paint::set_stderr_color(crate::cli::output::use_color(
            global.color,
            repo.config.color.as_deref(),
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR").is_some(),
        ));
        Ok(Ctx {
            out: Out::with_color(global.json, global.quiet, color),
            repo,
            global: global.clone(),
        })
    }
}
