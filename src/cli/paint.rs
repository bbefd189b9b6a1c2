//! Colour (SGR escapes) for people: WO states, priorities, ended leases, headings,
//! and the `git wo:` / `fix:` of an error. Only where [`crate::cli::output::use_color`]
//! says so (`--color`, `NO_COLOR`, `color.wo`, `color.ui`, a terminal); the text is
//! the same with and without it.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::cli::output::Out;
use crate::model::state::State;

pub use crate::cli::output::sgr;

/// A state: running yellow, done green, failed red, pending as it is.
pub fn state(out: &Out, s: State, text: &str) -> String {
    let code = match s {
        State::Pending => return text.to_owned(),
        State::Running => "33",
        State::Done => "32",
        State::Failed => "31",
    };
    sgr(out.color, code, text)
}

/// Text in the colour of a priority: P0 bold red, P1 yellow, others as they are.
pub fn priority(out: &Out, priority: Option<&str>, text: &str) -> String {
    match priority.map(str::trim) {
        Some("P0") => sgr(out.color, "31;1", text),
        Some("P1") => sgr(out.color, "33", text),
        _ => text.to_owned(),
    }
}

/// A lease that has ended: red.
pub fn expired(out: &Out, text: &str) -> String {
    sgr(out.color, "31", text)
}

/// A heading (`history:`): bold.
pub fn heading(out: &Out, text: &str) -> String {
    sgr(out.color, "1", text)
}

/// `text` padded to `width` characters, then coloured by `paint` (the padding stays
/// outside the escapes, so columns line up).
pub fn padded(text: &str, width: usize, paint: impl Fn(&str) -> String) -> String {
    let pad = width.saturating_sub(text.chars().count());
    format!("{}{}", paint(text), " ".repeat(pad))
}

/// Whether errors on stderr are coloured: 0 not decided yet, 1 no, 2 yes.
static STDERR: AtomicU8 = AtomicU8::new(0);

/// Decide the colour of errors once the settings are read (`color.wo`, `color.ui`).
pub fn set_stderr_color(on: bool) {
    STDERR.store(if on { 2 } else { 1 }, Ordering::SeqCst);
}

/// Whether to colour an error: as decided with the settings, else from `--color`,
/// `NO_COLOR` and whether stderr is a terminal.
pub fn stderr_color(flag: Option<crate::cli::args::ColorArg>) -> bool {
    match STDERR.load(Ordering::SeqCst) {
        1 => false,
        2 => true,
        _ => {
            use std::io::IsTerminal;
            crate::cli::output::use_color(
                flag,
                None,
                std::io::stderr().is_terminal(),
                std::env::var_os("NO_COLOR").is_some(),
            )
        }
    }
}

/// An error as printed on stderr: `git wo:` in bold red and `fix:` in bold when `on`.
pub fn error(on: bool, e: &crate::error::WoError) -> String {
    let text = format!("{}: {e}", sgr(on, "31;1", "git wo"));
    if on {
        text.replace("\n  fix: ", &format!("\n  {} ", sgr(true, "1", "fix:")))
    } else {
        text
    }
}
