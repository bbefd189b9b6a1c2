//! The protocol's own descriptors. `git wo mcp` speaks JSON-RPC on the stdin and
//! stdout it was started with; before serving, it moves them to descriptors of its
//! own (close-on-exec, so no child inherits them), points descriptor 1 at stderr and
//! descriptor 0 at `/dev/null`. Whatever else writes to stdout (a `git` or verify
//! command, a hook, a stray print) then lands on stderr, and nothing can read the
//! client's requests but the server.

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd};

use anyhow::{Context, Result};

/// The client's requests and the server's replies.
pub struct Protocol {
    pub input: File,
    pub output: File,
}

/// Move the protocol off descriptors 0 and 1 (see the module doc).
pub fn take_over() -> Result<Protocol> {
    let input = File::from(
        std::io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .context("duplicating stdin for the protocol")?,
    );
    let output = File::from(
        std::io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .context("duplicating stdout for the protocol")?,
    );
    let null = File::open("/dev/null").context("opening /dev/null")?;
    redirect(null.as_raw_fd(), 0).context("pointing stdin at /dev/null")?;
    redirect(std::io::stderr().as_raw_fd(), 1).context("pointing stdout at stderr")?;
    Ok(Protocol { input, output })
}

/// `dup2(from, to)`.
fn redirect(from: i32, to: i32) -> std::io::Result<()> {
    // SAFETY: dup2 takes two descriptor numbers and changes only the descriptor table;
    // `from` is open (borrowed above) and 0 and 1 are the standard descriptors, whose
    // previous files the protocol keeps open through its own duplicates.
    if unsafe { libc::dup2(from, to) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
