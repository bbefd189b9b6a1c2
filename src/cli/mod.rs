//! One file per subcommand: each parses nothing (clap did), calls the library, renders.

pub mod args;
pub mod audit;
pub mod check;
pub mod finish;
pub mod heartbeat;
pub mod init;
pub mod lint;
pub mod list;
pub mod output;
pub mod owner;
pub mod requeue;
pub mod show;
pub mod snapshot;
pub mod status;
pub mod take;

use std::path::Path;

use anyhow::Result;

use crate::cli::output::Out;
use crate::git::Repo;
pub use args::*;

/// Leave `value` to the process exit instead of freeing it: a view of 10,000 WOs is
/// tens of thousands of small allocations, which the kernel drops at once when the
/// process ends, faster than freeing them one by one.
pub fn keep_until_exit<T>(value: T) {
    std::mem::forget(value);
}

/// What every command gets: the repository and the output settings.
pub struct Ctx {
    pub repo: Repo,
    pub out: Out,
}

impl Ctx {
    pub fn new(global: &GlobalArgs) -> Result<Ctx> {
        let cwd = std::env::current_dir()?;
        Ctx::at(&cwd, global)
    }

    pub fn at(cwd: &Path, global: &GlobalArgs) -> Result<Ctx> {
        let repo = Repo::discover(cwd, global.root.as_deref()).map_err(|e| {
            let fix = if global.root.is_some() {
                "pass --root DIR naming the checkout that holds _ctx/jobs"
            } else {
                "run git wo inside a repository, or pass --root DIR (or set wo.root) to the checkout that holds _ctx/jobs"
            };
            crate::error::with_fix(e, fix)
        })?;
        Ok(Ctx {
            repo,
            out: Out::new(global.json, global.quiet),
        })
    }
}
