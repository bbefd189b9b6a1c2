//! A tool's result as MCP content: the document `git wo <tool> --json` prints, as
//! text (the same bytes) and as structured content, with the exit status the command
//! would have in `_meta` (`git-wo/exit`); an error as the `{"error": {kind, exit,
//! message, fix}}` document `--json` prints for it, flagged `isError`.

use rmcp::model::{CallToolResult, ContentBlock, MetaObject};

use crate::cli::document::Document;
use crate::error::{Exit, WoError};

/// The `_meta` key of the exit status.
pub const EXIT_KEY: &str = "git-wo/exit";

/// What one call produced: a document and the command's exit status.
pub struct Reply {
    pub document: Document,
    pub exit: Exit,
}

impl Reply {
    pub fn new(document: Document, exit: Exit) -> Reply {
        Reply { document, exit }
    }

    pub fn ok(document: Document) -> Reply {
        Reply::new(document, Exit::Ok)
    }

    /// The MCP result of `tool`: an error result when the document cannot be text
    /// (a `show --evidence FILE` that is not UTF-8).
    pub fn into_result(self, tool: &str) -> CallToolResult {
        let text = match self.document {
            Document::Json(text) => {
                let value = serde_json::from_str(&text).ok();
                let mut r = CallToolResult::success(vec![ContentBlock::text(text)]);
                r.structured_content = value;
                return r.with_meta(Some(exit_meta(self.exit)));
            }
            Document::Text(text) => text,
            Document::Bytes(bytes) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => {
                    return error(
                        &WoError::usage(
                            "the evidence file is not UTF-8 text: MCP returns text only",
                        )
                        .fix("read it with git wo show <ID> --evidence FILE > FILE"),
                        tool,
                    );
                }
            },
        };
        CallToolResult::success(vec![ContentBlock::text(text)])
            .with_meta(Some(exit_meta(self.exit)))
    }
}

/// The error result of `tool`: `--json`'s error document.
pub fn error(e: &WoError, tool: &str) -> CallToolResult {
    let value = crate::error::to_json(e, tool);
    let text = crate::cli::output::json_text(&value).unwrap_or_else(|_| value.to_string());
    let mut r = CallToolResult::error(vec![ContentBlock::text(text)]);
    r.structured_content = Some(value);
    r.with_meta(Some(exit_meta(e.exit())))
}

fn exit_meta(exit: Exit) -> MetaObject {
    let mut meta = MetaObject::default();
    meta.0.insert(EXIT_KEY.into(), exit.code().into());
    meta
}
