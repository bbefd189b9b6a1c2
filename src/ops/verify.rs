//! A WO's verify commands, as `finish` runs them: each with `sh -c` in the worktree,
//! `WO_ID`, `WO_BASE` and `WO_TIP` in its environment, its output streamed to the
//! terminal (stderr) as it runs and its last lines kept, and a time limit
//! (`wo.verify.timeout`) after which its whole process group is killed.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
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

/// How much of a command's output its [`Ran`] keeps: the last 64 KiB.
pub const KEPT_OUTPUT: usize = 64 * 1024;

/// One command as it ran, for the evidence (`verify.log`, `<check>.log`).
#[derive(Debug, Clone)]
pub struct Ran {
    pub command: String,
    /// Its exit code; `None` when it was killed or timed out.
    pub exit: Option<i32>,
    pub passed: bool,
    /// `0`, `1`, `killed`, `timed out after 1800s (wo.verify.timeout)`.
    pub status: String,
    pub duration: Duration,
    /// The last [`KEPT_OUTPUT`] bytes of its output (stdout and stderr).
    pub output: Vec<u8>,
    /// How many bytes of output were cut from the front.
    pub cut: u64,
}

impl Verify<'_> {
    /// Run each command in turn; the first that fails (or runs out of time) stops them.
    pub fn run(&self, commands: &[String]) -> Result<Option<VerifyFailure>> {
        self.run_logged(commands, &mut Vec::new())
    }

    /// [`Verify::run`], adding each command run to `log`.
    pub fn run_logged(
        &self,
        commands: &[String],
        log: &mut Vec<Ran>,
    ) -> Result<Option<VerifyFailure>> {
        for cmd in commands {
            if let Some(f) = self.run_one(cmd, log)? {
                return Ok(Some(f));
            }
        }
        Ok(None)
    }

    /// One command: started in its own process group, its output streamed
    /// ([`stream`]), waited for within the time limit ([`Self::wait`]), logged; its
    /// failure, if it failed.
    fn run_one(&self, cmd: &str, log: &mut Vec<Ran>) -> Result<Option<VerifyFailure>> {
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
        let reader = stream(child.stdout.take());
        let started = Instant::now();
        let status = self.wait(&mut child, started)?;
        let duration = started.elapsed();
        let (tail, kept) = reader.join().unwrap_or_default();
        log.push(Ran {
            command: cmd.to_owned(),
            exit: status.and_then(|s| s.code()),
            passed: status.is_some_and(|s| s.success()),
            status: self.status_text(status),
            duration,
            output: kept.bytes.into(),
            cut: kept.cut,
        });
        if status.is_some_and(|s| s.success()) {
            return Ok(None);
        }
        let tail = tail
            .into_iter()
            .map(|l| format!("  | {l}"))
            .collect::<Vec<_>>()
            .join("\n");
        Ok(Some(VerifyFailure {
            command: cmd.to_owned(),
            status: self.status_text(status),
            tail,
        }))
    }

    /// Wait for `child`; past the time limit, kill its process group (`None`).
    fn wait(&self, child: &mut Child, started: Instant) -> Result<Option<ExitStatus>> {
        let pid = child.id();
        loop {
            if let Some(status) = child.try_wait().context("waiting for a verify command")? {
                return Ok(Some(status));
            }
            if started.elapsed() >= self.timeout {
                kill_group(pid);
                let _ = child.wait();
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// How a command ended, in words: its exit code, `killed`, or the timeout.
    fn status_text(&self, status: Option<ExitStatus>) -> String {
        match status {
            Some(s) => s.code().map_or_else(|| "killed".into(), |c| c.to_string()),
            None => format!(
                "timed out after {}s (wo.verify.timeout)",
                self.timeout.as_secs()
            ),
        }
    }
}

/// The output goes to the terminal line by line as it comes; the last lines are kept
/// for the failure message, the last bytes for the evidence. On a thread of its own.
fn stream(
    out: Option<ChildStdout>,
) -> std::thread::JoinHandle<(std::collections::VecDeque<String>, Kept)> {
    std::thread::spawn(move || {
        let mut tail: std::collections::VecDeque<String> = Default::default();
        let mut kept = Kept::default();
        let Some(out) = out else {
            return (tail, kept);
        };
        let mut err = std::io::stderr();
        let mut out = BufReader::new(out);
        let mut raw = Vec::new();
        loop {
            raw.clear();
            match out.read_until(b'\n', &mut raw) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            kept.push(&raw);
            let line = String::from_utf8_lossy(&raw);
            let line = line.trim_end_matches(['\n', '\r']);
            let _ = writeln!(err, "{line}");
            if tail.len() == TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line.to_owned());
        }
        (tail, kept)
    })
}

/// The last [`KEPT_OUTPUT`] bytes of an output, and how many were cut before them.
#[derive(Default)]
struct Kept {
    bytes: std::collections::VecDeque<u8>,
    cut: u64,
}

impl Kept {
    fn push(&mut self, chunk: &[u8]) {
        self.bytes.extend(chunk);
        let over = self.bytes.len().saturating_sub(KEPT_OUTPUT);
        if over > 0 {
            self.bytes.drain(..over);
            self.cut += over as u64;
        }
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
