//! The tools: one per command served, each taking that command's argument struct
//! (its schema and descriptions derived from the same type and doc comments as its
//! `--help`), run through the same function the CLI's `--json` prints from.

use std::sync::Arc;

use anyhow::Result;
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde::de::DeserializeOwned;

use super::place::Place;
use super::reply::Reply;
use crate::cli::document::Document;
use crate::cli::{
    AuditArgs, DepsArgs, FinishArgs, HeartbeatArgs, NewArgs, ReadyArgs, RequeueArgs, ShowArgs,
    TakeArgs,
};
use crate::error::{Exit, WoError};

/// One tool: its name (the command's), whether it only reads, its input schema, and
/// how it runs.
pub struct Spec {
    pub name: &'static str,
    pub read_only: bool,
    pub schema: fn() -> Result<Arc<JsonObject>, String>,
    pub call: fn(&Place, JsonObject) -> Result<Reply>,
}

pub fn specs() -> Vec<Spec> {
    use rmcp::handler::server::common::schema_for_input as schema;
    vec![
        Spec {
            name: "ready",
            read_only: true,
            schema: schema::<ReadyArgs>,
            call: ready,
        },
        Spec {
            name: "take",
            read_only: false,
            schema: schema::<TakeArgs>,
            call: take,
        },
        Spec {
            name: "show",
            read_only: true,
            schema: schema::<ShowArgs>,
            call: show,
        },
        Spec {
            name: "deps",
            read_only: true,
            schema: schema::<DepsArgs>,
            call: deps,
        },
        Spec {
            name: "heartbeat",
            read_only: false,
            schema: schema::<HeartbeatArgs>,
            call: heartbeat,
        },
        Spec {
            name: "finish",
            read_only: false,
            schema: schema::<FinishArgs>,
            call: finish,
        },
        Spec {
            name: "requeue",
            read_only: false,
            schema: schema::<RequeueArgs>,
            call: requeue,
        },
        Spec {
            name: "audit",
            read_only: false,
            schema: schema::<AuditArgs>,
            call: audit,
        },
        Spec {
            name: "new",
            read_only: false,
            schema: schema::<NewArgs>,
            call: new,
        },
    ]
}

impl Spec {
    /// How `tools/list` shows it: the description is the command's `--help` line.
    pub fn tool(&self, cli: &clap::Command) -> Result<Tool, String> {
        let about = cli
            .find_subcommand(self.name)
            .and_then(|c| c.get_about())
            .map(|a| a.to_string())
            .unwrap_or_default();
        let description = format!(
            "{about}. Returns the JSON document of `git wo {name} --json`; an error returns {{\"error\": {{kind, exit, message, fix}}}} (the exit status is also in _meta.\"{exit}\").",
            name = self.name,
            exit = super::reply::EXIT_KEY,
        );
        Ok(Tool::new(self.name, description, (self.schema)()?)
            .with_annotations(ToolAnnotations::new().read_only(self.read_only)))
    }
}

/// The arguments of `tool`, as its input schema says (unknown names are refused).
fn input<A: DeserializeOwned>(tool: &str, args: JsonObject) -> Result<A> {
    serde_json::from_value(serde_json::Value::Object(args)).map_err(|e| {
        WoError::usage(format!("{tool}: invalid arguments: {e}"))
            .fix(format!(
                "pass the arguments of the {tool} tool's input schema (tools/list), which are the options of git wo {tool} --help"
            ))
            .into()
    })
}

fn ready(place: &Place, args: JsonObject) -> Result<Reply> {
    let a: ReadyArgs = input("ready", args)?;
    let ctx = place.ctx(true)?;
    let queue = crate::cli::ready::with_queue(&ctx, &a, |q| Document::json(q))?;
    Ok(Reply::ok(queue?))
}

fn take(place: &Place, args: JsonObject) -> Result<Reply> {
    let a: TakeArgs = input("take", args)?;
    take_rules(&a)?;
    let ctx = place.ctx(true)?;
    Ok(Reply::ok(Document::json(&crate::cli::take::taken(
        &ctx, &a,
    )?)?))
}

/// The rules clap applies to `git wo take`'s options (an id or `--next`; the filters
/// only with `--next`; `--next` without `--steal` and `--resume`), for the same
/// arguments given as JSON.
fn take_rules(a: &TakeArgs) -> Result<()> {
    let usage = |message: &str, fix: &str| -> anyhow::Error {
        WoError::usage(format!("take: {message}")).fix(fix).into()
    };
    match (&a.id, a.next) {
        (Some(_), true) => {
            return Err(usage(
                "give an id or next: true, not both",
                "take {\"id\": \"WO-0042\"} or take {\"next\": true}",
            ));
        }
        (None, false) => {
            return Err(usage(
                "give an id, or next: true for the first ready WO",
                "take {\"next\": true} (see the ready tool)",
            ));
        }
        _ => {}
    }
    if !a.next && (a.priority.is_some() || a.epic.is_some()) {
        return Err(usage(
            "priority and epic filter next: they need next: true",
            "take {\"next\": true, \"priority\": \"P0\"}",
        ));
    }
    if a.next && (a.steal || a.resume) {
        return Err(usage(
            "steal and resume name one WO: give its id instead of next",
            "take {\"id\": \"WO-0042\", \"steal\": true}",
        ));
    }
    Ok(())
}

fn show(place: &Place, args: JsonObject) -> Result<Reply> {
    let a: ShowArgs = input("show", args)?;
    let ctx = place.ctx(true)?;
    Ok(Reply::ok(crate::cli::show::document(&ctx, &a)?))
}

fn deps(place: &Place, args: JsonObject) -> Result<Reply> {
    let a: DepsArgs = input("deps", args)?;
    let ctx = place.ctx(true)?;
    Ok(Reply::ok(crate::cli::deps::document(&ctx, &a)?))
}

fn heartbeat(place: &Place, args: JsonObject) -> Result<Reply> {
    let a: HeartbeatArgs = input("heartbeat", args)?;
    let ctx = place.ctx_of_holder(a.id.as_deref())?;
    Ok(Reply::ok(Document::json(&crate::cli::heartbeat::renewed(
        &ctx, &a,
    )?)?))
}

fn finish(place: &Place, args: JsonObject) -> Result<Reply> {
    let a: FinishArgs = input("finish", args)?;
    let ctx = place.ctx_of_holder(a.id.as_deref())?;
    let f = crate::cli::finish::finished(&ctx, &a)?;
    // The branch goes to the remote as after `git wo finish`; a failed push is a
    // warning on the server's stderr (the reply is `--json`'s document, to the byte).
    let pushed = crate::cli::finish::push_branch(&ctx, &a, &f);
    if let Some(w) = pushed.and_then(|p| p.warning) {
        eprintln!("warning: {w}");
    }
    Ok(Reply::new(
        Document::json(&f)?,
        crate::cli::finish::exit_of(&f),
    ))
}

fn requeue(place: &Place, args: JsonObject) -> Result<Reply> {
    let a: RequeueArgs = input("requeue", args)?;
    let ctx = place.ctx(true)?;
    Ok(Reply::ok(Document::json(&crate::cli::requeue::requeued(
        &ctx, &a,
    )?)?))
}

fn audit(place: &Place, args: JsonObject) -> Result<Reply> {
    let a: AuditArgs = input("audit", args)?;
    let ctx = place.ctx(true)?;
    let audited = crate::cli::audit::audited(&ctx, &a)?;
    Ok(Reply::new(Document::json(&audited.report)?, audited.exit))
}

fn new(place: &Place, args: JsonObject) -> Result<Reply> {
    let a: NewArgs = input("new", args)?;
    let ctx = place.ctx(true)?;
    Ok(Reply::new(
        Document::json(&crate::cli::new::created(&ctx, &a)?)?,
        Exit::Ok,
    ))
}
