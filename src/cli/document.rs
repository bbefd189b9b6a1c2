//! What a command prints with `--json`, built once for the CLI and for `git wo mcp`:
//! a JSON document, or, for the two outputs that are not JSON even with `--json` (the
//! whole graph of `deps --format`, a file of `show --evidence FILE`), their text or bytes.

use anyhow::Result;
use serde::Serialize;

pub enum Document {
    /// Pretty JSON, as [`crate::cli::output::json_text`] writes it.
    Json(String),
    /// Text, without a trailing newline.
    Text(String),
    /// Bytes as they are.
    Bytes(Vec<u8>),
}

impl Document {
    pub fn json<T: Serialize>(value: &T) -> Result<Document> {
        Ok(Document::Json(crate::cli::output::json_text(value)?))
    }

    /// Print it on stdout: JSON and text as a line, bytes as they are.
    pub fn print(&self) -> Result<()> {
        match self {
            Document::Json(text) | Document::Text(text) => crate::cli::output::print_line(text),
            Document::Bytes(bytes) => {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                out.write_all(bytes)?;
                out.flush()?;
            }
        }
        Ok(())
    }
}
