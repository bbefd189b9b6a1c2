//! Long human output goes through git's pager when stdout is a terminal, as git's own
//! commands do: `GIT_PAGER`, `core.pager`, `PAGER`, else `less` (what `git var
//! GIT_PAGER` says), with `LESS=FRX` unless set. `--no-pager`, `--json`, `-q`, or a
//! pager of `cat` (or empty) turn it off.

use std::io::{IsTerminal, Write};
use std::process::{Child, Command, Stdio};

use crate::git::Repo;

/// The running pager; dropping it ends our output and waits for the user to quit it.
pub struct Pager {
    child: Child,
}

#[cfg(unix)]
mod sys {
    unsafe extern "C" {
        pub fn dup2(old: i32, new: i32) -> i32;
        pub fn close(fd: i32) -> i32;
    }
}

/// Start the pager for this process's stdout, when it should run.
pub fn start(repo: &Repo, wanted: bool) -> Option<Pager> {
    if !wanted || !std::io::stdout().is_terminal() {
        return None;
    }
    let out = crate::git::command::git_output(&repo.control_root, &["var", "GIT_PAGER"]).ok()?;
    let pager = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if pager.is_empty() || pager == "cat" {
        return None;
    }
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(&pager).stdin(Stdio::piped());
    if std::env::var_os("LESS").is_none() {
        cmd.env("LESS", "FRX");
    }
    if std::env::var_os("LV").is_none() {
        cmd.env("LV", "-c");
    }
    let mut child = cmd.spawn().ok()?;
    let stdin = child.stdin.take()?;
    redirect_stdout(stdin)?;
    Some(Pager { child })
}

#[cfg(unix)]
fn redirect_stdout(into: std::process::ChildStdin) -> Option<()> {
    use std::os::fd::AsRawFd;
    let _ = std::io::stdout().flush();
    // SAFETY: dup2 on two open descriptors; the pipe's own descriptor is closed when
    // `into` drops, the duplicate on 1 stays until `Pager` drops.
    let ok = unsafe { sys::dup2(into.as_raw_fd(), 1) } >= 0;
    ok.then_some(())
}

#[cfg(not(unix))]
fn redirect_stdout(_into: std::process::ChildStdin) -> Option<()> {
    None
}

impl Drop for Pager {
    fn drop(&mut self) {
        let _ = std::io::stdout().flush();
        #[cfg(unix)]
        // SAFETY: closes our stdout (the pager's pipe) so the pager sees the end.
        unsafe {
            sys::close(1);
        }
        let _ = self.child.wait();
    }
}
