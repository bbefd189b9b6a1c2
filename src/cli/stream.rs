//! Output written as it is made: a command that prints one line per WO (100,000 of
//! them) writes them through one buffer instead of building them all first, or
//! writing each with a system call of its own.

use std::io::{BufWriter, Stdout, Write};

/// Lines (or one JSON document) to stdout through a buffer. A closed pipe ends the
/// process quietly, as [`crate::cli::output::print_line`] does; another write error
/// ends it with exit 2.
pub struct Lines {
    out: BufWriter<Stdout>,
}

impl Lines {
    pub fn stdout() -> Lines {
        Lines {
            out: BufWriter::with_capacity(1 << 16, std::io::stdout()),
        }
    }

    /// One line.
    pub fn line(&mut self, text: std::fmt::Arguments<'_>) {
        let written = self
            .out
            .write_fmt(text)
            .and_then(|()| self.out.write_all(b"\n"));
        check(written);
    }

    /// One line made already (without its newline).
    pub fn text(&mut self, line: &str) {
        let written = self
            .out
            .write_all(line.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"));
        check(written);
    }

    /// `value` as pretty JSON and a newline.
    pub fn json<T: serde::Serialize>(&mut self, value: &T) {
        let written =
            serde_json::to_writer_pretty(&mut self.out, value).map_err(std::io::Error::from);
        check(written.and_then(|()| self.out.write_all(b"\n")));
    }

    /// Write what is still buffered.
    pub fn finish(mut self) {
        let flushed = self.out.flush();
        check(flushed);
    }
}

/// `text` into `line`, each tab, newline and carriage return made a space: a field of
/// a tab-separated line stays one field on one line.
pub fn push_one_line(line: &mut String, text: &str) {
    if memchr::memchr3(b'\t', b'\n', b'\r', text.as_bytes()).is_none() {
        line.push_str(text);
        return;
    }
    line.extend(text.chars().map(|c| {
        if matches!(c, '\t' | '\n' | '\r') {
            ' '
        } else {
            c
        }
    }));
}

/// `text` into `line`, then spaces up to `width` characters, as `{:<width}` pads it
/// (a space at a time through the formatter was most of printing 50,000 rows).
pub fn push_padded(line: &mut String, text: &str, width: usize) {
    line.push_str(text);
    pad(line, width.saturating_sub(text.chars().count()));
}

/// `spaces` spaces into `line`.
pub fn pad(line: &mut String, spaces: usize) {
    line.extend(std::iter::repeat_n(' ', spaces));
}

fn check(written: std::io::Result<()>) {
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("git wo: writing to stdout: {e}");
        std::process::exit(2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXTS: [&str; 7] = ["", "P0", "WO-0001", "é à ü", "tab\there", "a\r\nb\n", "\t"];

    #[test]
    fn one_line_is_what_replacing_tabs_and_line_ends_gives() {
        for text in TEXTS {
            let mut line = String::from(">");
            push_one_line(&mut line, text);
            assert_eq!(line, format!(">{}", text.replace(['\t', '\n', '\r'], " ")));
        }
    }

    #[test]
    fn padded_is_what_the_formatter_pads() {
        for text in TEXTS.into_iter().chain(["WO-00000000000000005", "hä\tx"]) {
            for width in [0, 4, 14] {
                let mut line = String::from(">");
                push_padded(&mut line, text, width);
                assert_eq!(line, format!(">{text:<width$}"), "{text:?} to {width}");
            }
        }
    }
}
