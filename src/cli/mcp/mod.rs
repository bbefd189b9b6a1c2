//! `git wo mcp`: a Model Context Protocol server on stdio, so that agents (Claude Code,
//! Codex, Gemini CLI, …) drive git-wo as tools instead of parsing text.
//!
//! - [`tools`]: the tools, their schemas from the CLI's argument structs, each run
//!   through the same function as the command's `--json`.
//! - [`reply`]: a result or an error as MCP content.
//! - [`place`]: where a call runs (the repository, the holder's worktree).
//! - [`server`]: the protocol handler (rmcp).
//! - [`stdio`]: the protocol's own descriptors; nothing else reaches stdout.

pub mod place;
pub mod reply;
pub mod server;
pub mod stdio;
pub mod tools;

use anyhow::{Context, Result};
use rmcp::ServiceExt;

use crate::cli::{Ctx, GlobalArgs, McpArgs};
use crate::error::{Exit, WoError};

/// Serve until the client closes the connection. An error before serving (not a
/// repository) goes to stderr only, never to stdout.
pub fn run(global: &GlobalArgs, _args: &McpArgs) -> Result<Exit> {
    match serve(global) {
        Ok(exit) => Ok(exit),
        Err(err) => {
            let e = crate::error::classify(&err);
            eprintln!("git wo: {e}");
            Ok(e.exit())
        }
    }
}

fn serve(global: &GlobalArgs) -> Result<Exit> {
    // The repository must be there at start: a server registered in the wrong
    // directory fails at once, where the client shows its stderr.
    let ctx = Ctx::new(global)?;
    let place = place::Place {
        global: global.clone(),
        cwd: std::env::current_dir().context("reading the current directory")?,
        control_root: ctx.repo.control_root.clone(),
    };
    let server = server::Server::new(place)?;
    // Ctrl-C stops the call in flight between two steps, not the server.
    crate::interrupt::catch();
    let protocol = stdio::take_over()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .context("starting the MCP server's runtime")?;
    let served = runtime.block_on(async move {
        let transport = (
            tokio::fs::File::from_std(protocol.input),
            tokio::fs::File::from_std(protocol.output),
        );
        let running = server.serve(transport).await.map_err(|e| {
            WoError::usage(format!(
                "no MCP session: the client sent no valid initialize ({e})"
            ))
            .fix("git wo mcp is started by an MCP client: see git help wo-mcp")
        })?;
        running.waiting().await.context("serving MCP")
    });
    // A read of stdin still pending must not hold the process.
    runtime.shutdown_background();
    served.map(|_| Exit::Ok)
}
