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

fn check(written: std::io::Result<()>) {
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("git wo: writing to stdout: {e}");
        std::process::exit(2);
    }
}
