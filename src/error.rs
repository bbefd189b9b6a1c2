//! Typed errors. Every error that reaches `main` is a [`WoError`]: a [`Kind`] (which
//! decides the exit code of SPEC §3, never the message text), a message naming the WO
//! and the path, and the command that fixes it.
//!
//! Errors of other types (I/O, gix) travel inside `anyhow` and are classified by type
//! when they reach `main` ([`classify`]): a [`std::io::Error`] is [`Kind::Io`], a
//! [`GitFailure`] or a gix error is [`Kind::Git`].

use std::fmt;

use serde::Serialize;

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
    /// 130: interrupted (Ctrl-C), as shells report a SIGINT.
    Interrupted = 130,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// What went wrong, as a type: the exit code follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Bad arguments or bad input (a hostile id, an unparsable YAML, not a repository): 2.
    Usage,
    /// The operation lost: a compare-and-swap, an existing lock, a live holder: 3.
    Conflict,
    /// The operation refused or stopped with work left (a gate, a failing verify): 1.
    Refused,
    /// A file system operation failed: 2.
    Io,
    /// A git operation failed: 2.
    Git,
    /// A record ref that is not a git-wo record: 2.
    InvalidRecord,
    /// Ctrl-C stopped it between two steps: 130.
    Interrupted,
}

impl Kind {
    pub fn exit(self) -> Exit {
        match self {
            Kind::Usage | Kind::Io | Kind::Git | Kind::InvalidRecord => Exit::Usage,
            Kind::Conflict => Exit::Conflict,
            Kind::Refused => Exit::Findings,
            Kind::Interrupted => Exit::Interrupted,
        }
    }
}

/// An error with a user-facing message, the command that fixes it, and a kind.
#[derive(Debug, Clone)]
pub struct WoError {
    pub kind: Kind,
    pub message: String,
    pub fix: Option<String>,
}

impl WoError {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        WoError {
            kind,
            message: message.into(),
            fix: None,
        }
    }
    pub fn usage(message: impl Into<String>) -> Self {
        WoError::new(Kind::Usage, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        WoError::new(Kind::Conflict, message)
    }
    /// Refused, or stopped with work left: exit 1.
    pub fn failed(message: impl Into<String>) -> Self {
        WoError::new(Kind::Refused, message)
    }
    pub fn invalid_record(message: impl Into<String>) -> Self {
        WoError::new(Kind::InvalidRecord, message)
    }
    /// `refs/wo/orders/<id>` holds no readable git-wo record.
    pub fn bad_record(id: &str, why: &str) -> Self {
        WoError::invalid_record(format!(
            "{id}: invalid_record: refs/wo/orders/{id} is not a git-wo record ({why})"
        ))
        .fix(format!(
            "look at it (git log refs/wo/orders/{id}), then drop it: git update-ref -d refs/wo/orders/{id} && git wo init"
        ))
    }
    /// Attach the command (or action) that fixes the problem.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
    pub fn exit(&self) -> Exit {
        self.kind.exit()
    }
}

/// Give a [`WoError`] that has no fix line yet the fix `fix`: `git/` reports what went
/// wrong, the layer that knows the command says what to run instead.
pub fn with_fix(e: anyhow::Error, fix: impl Into<String>) -> anyhow::Error {
    match e.downcast::<WoError>() {
        Ok(w) if w.fix.is_none() => w.fix(fix).into(),
        Ok(w) => w.into(),
        Err(e) => e,
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

/// A `git` command (run through the CLI) that failed: which command, where, and what
/// git said.
#[derive(Debug, Clone)]
pub struct GitFailure {
    pub command: String,
    pub dir: String,
    pub stderr: String,
}

impl fmt::Display for GitFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`git {}` failed in {}: {}",
            self.command, self.dir, self.stderr
        )
    }
}

impl std::error::Error for GitFailure {}

/// Turn any error that reached `main` into a [`WoError`], by type: a [`WoError`]
/// anywhere in the chain keeps its kind (context added above it is kept in the
/// message); I/O errors are [`Kind::Io`]; everything else comes from git or gix.
pub fn classify(err: &anyhow::Error) -> WoError {
    let text = format!("{err:#}");
    if let Some(w) = err.chain().find_map(|e| e.downcast_ref::<WoError>()) {
        // The outer context, then the WoError's message (its fix goes in `fix`), as
        // anyhow's `{:#}` joins a chain.
        let message = err
            .chain()
            .map(|e| match e.downcast_ref::<WoError>() {
                Some(w) => w.message.clone(),
                None => e.to_string(),
            })
            .collect::<Vec<_>>()
            .join(": ");
        return WoError {
            kind: w.kind,
            message,
            fix: w.fix.clone(),
        };
    }
    if err
        .chain()
        .any(|e| e.downcast_ref::<std::io::Error>().is_some())
    {
        return WoError::new(Kind::Io, text)
            .fix("check the path and its permissions, then retry (git wo audit shows the state)");
    }
    WoError::new(Kind::Git, text).fix("git wo audit (shows what state the repository is in)")
}

/// `err`, a failure in the middle of `id`'s `what` (a finish, a resume), restated as
/// that operation having stopped: `<id>: <what> stopped: <its message>` (without a
/// second leading `<id>: `), its kind kept, its own fix when it has one (it may name
/// what is in the way), else `rerun()`.
pub fn stopped(
    id: &str,
    what: &str,
    err: &anyhow::Error,
    rerun: impl FnOnce() -> String,
) -> WoError {
    let w = classify(err);
    let message = w
        .message
        .strip_prefix(&format!("{id}: "))
        .unwrap_or(&w.message);
    WoError {
        kind: w.kind,
        message: format!("{id}: {what} stopped: {message}"),
        fix: Some(w.fix.clone().unwrap_or_else(rerun)),
    }
}

/// The JSON object printed on stdout for a failed command run with `--json`.
pub fn to_json(e: &WoError, command: &str) -> serde_json::Value {
    serde_json::json!({
        "schema": format!("git-wo.{command}.v1"),
        "error": {
            "kind": e.kind,
            "exit": e.exit().code(),
            "message": e.message,
            "fix": e.fix,
        }
    })
}

/// A path (or any name) as text for messages and reports: its UTF-8 as it is, each
/// byte that is not UTF-8 as `\xNN` (so `bad\xff.txt`, never a lossy `bad\u{fffd}.txt`
/// that names no file).
pub fn escaped(s: &std::ffi::OsStr) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::with_capacity(s.len());
    for chunk in s.as_bytes().utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Quote `s` for a POSIX shell when it is not a plain word, so that a fix hint with
/// text from a YAML (a title, a branch name) is safe to paste.
pub fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+,%".contains(c));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Quote a path's bytes for bash as `$'...'` (bytes that are not UTF-8, and control
/// characters, as `\xHH`), so that a fix naming a path that is not UTF-8 can be pasted;
/// a path that is a plain word is returned as [`shell_quote`] would.
pub fn bash_quote_bytes(s: &std::ffi::OsStr) -> String {
    use std::os::unix::ffi::OsStrExt;
    if let Some(text) = s.to_str()
        && !text.chars().any(char::is_control)
    {
        return shell_quote(text);
    }
    let mut out = String::from("$'");
    for chunk in s.as_bytes().utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("\\'"),
                c if c.is_control() => {
                    let mut buf = [0; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        out.push_str(&format!("\\x{b:02x}"));
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bash_quote_bytes_escapes_what_is_not_utf8() {
        use std::os::unix::ffi::OsStrExt;
        let q = |b: &[u8]| bash_quote_bytes(std::ffi::OsStr::from_bytes(b));
        assert_eq!(q(b"/tmp/p"), "/tmp/p");
        assert_eq!(q(b"/tmp/a b"), "'/tmp/a b'");
        assert_eq!(q(b"/tmp/p\xff/it's\\"), "$'/tmp/p\\xff/it\\'s\\\\'");
        assert_eq!(q(b"a\nb"), "$'a\\x0ab'");
    }

    #[test]
    fn exit_comes_from_the_kind() {
        assert_eq!(WoError::conflict("x").exit(), Exit::Conflict);
        assert_eq!(WoError::failed("x").exit(), Exit::Findings);
        assert_eq!(WoError::usage("x").exit(), Exit::Usage);
        let e = anyhow::Error::from(WoError::conflict("lost").fix("retry")).context("take");
        let w = classify(&e);
        assert_eq!(w.kind, Kind::Conflict);
        assert_eq!(w.message, "take: lost");
        assert_eq!(w.fix.as_deref(), Some("retry"));
    }

    #[test]
    fn io_errors_are_io() {
        let e = anyhow::Error::from(std::io::Error::other("disk")).context("writing x");
        assert_eq!(classify(&e).kind, Kind::Io);
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("feat/wo-WO-1"), "feat/wo-WO-1");
        assert_eq!(shell_quote("x $(touch pwned)"), "'x $(touch pwned)'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
