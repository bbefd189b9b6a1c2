//! Rendering: JSON on stdout with `--json`, text otherwise; colour only on a terminal
//! and never with `NO_COLOR`.

use std::io::{IsTerminal, Write};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::model::finding::{Finding, Severity};

#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub json: bool,
    pub quiet: bool,
    pub color: bool,
    /// Whether stdout was a terminal when the command started (before any pager).
    pub terminal: bool,
}

/// Whether to colour: `--color` first, then `NO_COLOR` (never), then `color.wo` /
/// `color.ui` (`config`), then whether stdout is a terminal.
pub fn use_color(
    flag: Option<crate::cli::args::ColorArg>,
    config: Option<&str>,
    tty: bool,
    no_color: bool,
) -> bool {
    use crate::cli::args::ColorArg;
    match flag {
        Some(ColorArg::Always) => return true,
        Some(ColorArg::Never) => return false,
        Some(ColorArg::Auto) => return tty,
        None => {}
    }
    if no_color {
        return false;
    }
    match config.map(|c| c.trim().to_ascii_lowercase()).as_deref() {
        Some("always") => true,
        Some("never" | "false" | "no" | "off" | "0") => false,
        _ => tty,
    }
}

impl Out {
    /// Output settings with no `--color` and no config: [`use_color`]'s defaults.
    pub fn new(json: bool, quiet: bool) -> Out {
        let color = use_color(
            None,
            None,
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").is_some(),
        );
        Out::with_color(json, quiet, color)
    }

    /// Output settings with colour decided by [`use_color`].
    pub fn with_color(json: bool, quiet: bool, color: bool) -> Out {
        Out {
            json,
            quiet,
            color: color && !json,
            terminal: std::io::stdout().is_terminal(),
        }
    }

    /// Print one JSON document.
    pub fn json<T: Serialize>(&self, value: &T) -> Result<()> {
        print_line(&json_text(value)?);
        Ok(())
    }

    /// A line of human output (suppressed by `-q` and `--json`).
    pub fn line(&self, text: impl AsRef<str>) {
        if !self.quiet && !self.json {
            print_line(text.as_ref());
        }
    }

    pub fn severity(&self, s: Severity) -> String {
        if !self.color {
            return s.as_str().to_owned();
        }
        let code = match s {
            Severity::P0 => "31;1",
            Severity::P1 => "33",
            Severity::P2 => "36",
        };
        format!("\x1b[{code}m{}\x1b[0m", s.as_str())
    }

    /// `code WO-ID: message` and its fix, the way audit and check print a finding.
    pub fn finding(&self, f: &Finding) {
        let code = match f.severity {
            Severity::P0 => "31;1",
            Severity::P1 => "33",
            Severity::P2 => "36",
        };
        self.line(format!(
            "  {} {}: {}",
            sgr(self.color, code, f.code.as_str()),
            f.wo_id.as_deref().unwrap_or("-"),
            f.message
        ));
        self.line(format!("      fix: {}", f.hint));
    }
}

/// A JSON document as `--json` prints it (and `git wo mcp` returns it): pretty, no
/// trailing newline.
pub fn json_text<T: Serialize>(value: &T) -> Result<String> {
    Ok(serde_json::to_string_pretty(value)?)
}

/// Write a line to stdout. A closed pipe (`git wo audit | head`) ends the process
/// quietly, as it would for any git command, instead of panicking.
pub fn print_line(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = writeln!(stdout, "{text}") {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("git wo: writing to stdout: {e}");
        std::process::exit(2);
    }
}

/// Write `value` as pretty JSON (and a newline) to `path`, creating its folder: what
/// `audit --out`, `reconcile --json PATH` and `gc --json PATH` write.
pub fn write_json<T: Serialize>(path: &std::path::Path, value: &T) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// `text` in the SGR colour `code` when `on`.
pub fn sgr(on: bool, code: &str, text: &str) -> String {
    if on && !text.is_empty() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}
