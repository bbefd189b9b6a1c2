//! The MCP server: `initialize` (server info, the tools capability, instructions),
//! `tools/list` and `tools/call`. rmcp does the protocol; each call runs on a thread
//! of its own (the runtime keeps reading requests and cancellations meanwhile), one
//! call at a time, as a sequence of CLI commands would.

use std::sync::{Arc, Mutex};

use clap::CommandFactory;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, InitializeResult, JsonObject,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};

use super::place::Place;
use super::reply;
use super::tools::{Spec, specs};

const INSTRUCTIONS: &str = "git-wo work orders. Pick work with ready, claim it with take {\"next\": true} \
(or an id): the result names the WO's branch and worktree, where the work is done and committed. \
While working, heartbeat {\"id\"} renews the lease; when done, finish {\"id\", \"result\": \"done\"} \
runs the WO's verify commands and closes it. Each result is the JSON document of `git wo <tool> --json`; \
an error is {\"error\": {kind, exit, message, fix}}, whose fix says what to do next.";

#[derive(Clone)]
pub struct Server {
    inner: Arc<Inner>,
}

struct Inner {
    place: Place,
    specs: Vec<Spec>,
    tools: Vec<Tool>,
    /// One call at a time.
    calls: Mutex<()>,
}

impl Server {
    pub fn new(place: Place) -> anyhow::Result<Server> {
        let cli = crate::cli::Cli::command();
        let specs = specs();
        let tools = specs
            .iter()
            .map(|s| s.tool(&cli))
            .collect::<Result<Vec<_>, String>>()
            .map_err(|e| anyhow::anyhow!("an MCP tool's input schema: {e}"))?;
        Ok(Server {
            inner: Arc::new(Inner {
                place,
                specs,
                tools,
                calls: Mutex::new(()),
            }),
        })
    }
}

impl Inner {
    fn call(&self, spec: usize, arguments: JsonObject) -> rmcp::model::CallToolResult {
        let _one = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        // A Ctrl-C stops the call it arrives in (between two journal steps, as it
        // stops a CLI command); the server goes on with the next call.
        crate::interrupt::clear();
        let spec = &self.specs[spec];
        match (spec.call)(&self.place, arguments) {
            Ok(r) => r.into_result(spec.name),
            Err(e) => reply::error(&crate::error::classify(&e), spec.name),
        }
    }
}

impl ServerHandler for Server {
    fn get_info(&self) -> InitializeResult {
        InitializeResult::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("git-wo", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.inner.tools.clone()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.inner.tools.iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(spec) = self.inner.specs.iter().position(|s| s.name == request.name) else {
            let names: Vec<&str> = self.inner.specs.iter().map(|s| s.name).collect();
            return Err(ErrorData::invalid_params(
                format!(
                    "no tool {}: the tools are {}",
                    request.name,
                    names.join(", ")
                ),
                None,
            ));
        };
        let inner = Arc::clone(&self.inner);
        let arguments = request.arguments.unwrap_or_default();
        tokio::task::spawn_blocking(move || inner.call(spec, arguments))
            .await
            .map(CallToolResponse::from)
            .map_err(|e| ErrorData::internal_error(format!("the call ended: {e}"), None))
    }
}
