//! Error type that carries the exit code of SPEC §3.
//!
//! Anything that is not a [`WoError`] (an I/O error bubbling up through `anyhow`) exits 2.

use std::fmt;

/// Exit status of every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: ok / clean.
    Ok = 0,
    /// 1: findings, gate failure, or work left.
    Findings = 1,
    /// 2: usage error, bad input, not a repository.
    Usage = 2,
    /// 3: conflict: lock held by another, compare-and-swap lost.
    Conflict = 3,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// An error with a user-facing message, the command that fixes it, and an exit code.
#[derive(Debug)]
pub struct WoError {
    pub exit: Exit,
    pub message: String,
    pub fix: Option<String>,
}

impl WoError {
    pub fn usage(message: impl Into<String>) -> Self {
        WoError {
            exit: Exit::Usage,
            message: message.into(),
            fix: None,
        }
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        WoError {
            exit: Exit::Conflict,
            message: message.into(),
            fix: None,
        }
    }
    pub fn failed(message: impl Into<String>) -> Self {
        WoError {
            exit: Exit::Findings,
            message: message.into(),
            fix: None,
        }
    }
    /// Attach the command (or action) that fixes the problem.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

impl fmt::Display for WoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(fix) = &self.fix {
            write!(f, "\n  fix: {fix}")?;
        }
        Ok(())
    }
}

impl std::error::Error for WoError {}

/// The exit code for any error that reached `main`.
pub fn exit_of(err: &anyhow::Error) -> Exit {
    err.chain()
        .find_map(|e| e.downcast_ref::<WoError>())
        .map(|e| e.exit)
        .unwrap_or(Exit::Usage)
}
