//! A WO's verify commands, as `finish` runs them: each with `sh -c` in the worktree,
//! `WO_ID`, `WO_BASE` and `WO_TIP` in its environment, its output streamed to the
//! terminal (stderr) as it runs and its last lines kept, and a time limit
//! (`wo.verify.timeout`) after which its whole process group is killed.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// What the commands run with.
pub struct Verify<'a> {
    pub dir: &'a Path,
    pub id: &'a str,
    pub base: Option<&'a str>,
    pub tip: Option<&'a str>,
    pub timeout: Duration,
}

/// A verify command that failed: the command, its exit status (or why it stopped) and
/// the last lines of its output.
pub struct VerifyFailure {
    pub command: String,
    pub status: String,
    pub tail: String,
}

/// How many lines of a failing command's output its failure shows.
const TAIL_LINES: usize = 15;

impl Verify<'_> {
    /// Run each command in turn; the first that fails (or runs out of time) stops them.
    pub fn run(&self, commands: &[String]) -> Result<Option<VerifyFailure>> {
        for cmd in commands {
            if let Some(f) = self.run_one(cmd)? {
                return Ok(Some(f));
            }
        }
        Ok(None)
    }

    fn run_one(&self, cmd: &str) -> Result<Option<VerifyFailure>> {
        eprintln!("git wo: verify: {cmd}");
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("exec 2>&1\n{cmd}"))
            .current_dir(self.dir)
            .env("WO_ID", self.id)
            .env("WO_BASE", self.base.unwrap_or(""))
            .env("WO_TIP", self.tip.unwrap_or(""))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            // Its own process group: a timeout kills everything it started.
            .process_group(0)
            .spawn()
            .with_context(|| format!("running verify command `{cmd}`"))?;
        let pid = child.id();
        let out = child.stdout.take();
        // The output goes to the terminal line by line as it comes; the last lines
        // are kept for the failure message.
        let reader = std::thread::spawn(move || {
            let mut tail: std::collections::VecDeque<String> = Default::default();
            let Some(out) = out else { return tail };
            let mut err = std::io::stderr();
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                let _ = writeln!(err, "{line}");
                if tail.len() == TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
            tail
        });
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().context("waiting for a verify command")? {
                break Some(status);
            }
            if started.elapsed() >= self.timeout {
                kill_group(pid);
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let tail = reader
            .join()
            .unwrap_or_default()
            .into_iter()
            .map(|l| format!("  | {l}"))
            .collect::<Vec<_>>()
            .join("\n");
        Ok(match status {
            Some(s) if s.success() => None,
            Some(s) => Some(VerifyFailure {
                command: cmd.to_owned(),
                status: s.code().map_or_else(|| "killed".into(), |c| c.to_string()),
                tail,
            }),
            None => Some(VerifyFailure {
                command: cmd.to_owned(),
                status: format!(
                    "timed out after {}s (wo.verify.timeout)",
                    self.timeout.as_secs()
                ),
                tail,
            }),
        })
    }
}

/// SIGKILL to the process group `pgid` (a verify command and what it started).
fn kill_group(pgid: u32) {
    if let Ok(pgid) = i32::try_from(pgid) {
        // SAFETY: kill(2) with a negative pid signals that process group; no memory is
        // touched.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}
