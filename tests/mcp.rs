//! `git wo mcp` driven as an agent's client drives it: the real binary as a child
//! process, rmcp's own client on its stdin and stdout, real repositories.

use crate::common;

use std::io;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use common::Scenario;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, Tool};
use rmcp::service::{RoleClient, RunningService};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, ReadBuf};

const TOOLS: [&str; 9] = [
    "ready",
    "take",
    "show",
    "deps",
    "heartbeat",
    "finish",
    "requeue",
    "audit",
    "new",
];

/// The server's stdout as it reaches the client, byte for byte, kept as it passes.
struct Tee<R> {
    inner: R,
    copy: Arc<Mutex<Vec<u8>>>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Tee<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &polled {
            let new = buf.filled()[before..].to_vec();
            self.copy.lock().expect("copy").extend_from_slice(&new);
        }
        polled
    }
}

/// A `git wo mcp` process and the client connected to it.
struct Served {
    client: RunningService<RoleClient, ()>,
    child: tokio::process::Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: tokio::sync::watch::Receiver<String>,
}

/// Start `cmd` (a `git-wo mcp` command) and initialize a client on its pipes.
async fn serve(mut cmd: std::process::Command) -> Served {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = tokio::process::Command::from(cmd)
        .kill_on_drop(true)
        .spawn()
        .expect("spawn git-wo mcp");
    let stdout = Arc::new(Mutex::new(Vec::new()));
    let out = Tee {
        inner: child.stdout.take().expect("stdout"),
        copy: Arc::clone(&stdout),
    };
    let input = child.stdin.take().expect("stdin");
    let (tx, stderr) = tokio::sync::watch::channel(String::new());
    let err = child.stderr.take().expect("stderr");
    tokio::spawn(async move {
        let mut lines = tokio::io::BufReader::new(err).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            tx.send_modify(|all| {
                all.push_str(&line);
                all.push('\n');
            });
        }
    });
    let client = ().serve((out, input)).await.expect("initialize");
    Served {
        client,
        child,
        stdout,
        stderr,
    }
}

impl Served {
    async fn call(&self, tool: &str, args: Value) -> CallToolResult {
        let args = args.as_object().cloned().expect("arguments are an object");
        self.client
            .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(args))
            .await
            .unwrap_or_else(|e| panic!("{tool}: {e}"))
    }

    /// Block until the server's stderr holds `text`.
    async fn stderr_shows(&mut self, text: &str) {
        let seen = self.stderr.wait_for(|all| all.contains(text)).await;
        assert!(seen.is_ok(), "stderr ended without {text:?}");
    }

    /// Close the connection; the server's exit code and what it wrote on stdout.
    async fn close(mut self) -> (i32, String) {
        let _ = self.client.cancel().await;
        let status = self.child.wait().await.expect("wait");
        let out = String::from_utf8(self.stdout.lock().expect("stdout").clone())
            .expect("stdout is UTF-8");
        (status.code().unwrap_or(-1), out)
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// The text of a result (the document `--json` prints).
fn text(r: &CallToolResult) -> &str {
    r.content
        .first()
        .and_then(|c| c.as_text())
        .map(|t| t.text.as_str())
        .unwrap_or_else(|| panic!("no text content: {r:?}"))
}

fn doc(r: &CallToolResult) -> Value {
    serde_json::from_str(text(r)).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(r)))
}

fn exit_of(r: &CallToolResult) -> i64 {
    r.meta
        .as_ref()
        .and_then(|m| m.0.get("git-wo/exit"))
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("no _meta exit: {r:?}"))
}

fn ok(r: &CallToolResult) -> Value {
    assert_eq!(r.is_error, Some(false), "{}", text(r));
    doc(r)
}

/// Every line the server wrote on stdout is a JSON-RPC message.
fn only_protocol(stdout: &str) {
    assert!(!stdout.is_empty(), "the server wrote nothing");
    for line in stdout.lines() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("stdout carries a line that is not JSON ({e}): {line}"));
        assert_eq!(v["jsonrpc"], "2.0", "not JSON-RPC: {line}");
    }
}

/// A property of a tool's input schema, `$ref`s (also inside `anyOf`) resolved.
fn property<'a>(schema: &'a Value, name: &str) -> Option<&'a Value> {
    let p = schema["properties"].get(name)?;
    let target = p.get("$ref").or_else(|| {
        p.get("anyOf")?
            .as_array()?
            .iter()
            .find_map(|v| v.get("$ref"))
    });
    match target.and_then(Value::as_str) {
        Some(r) => schema["$defs"].get(r.trim_start_matches("#/$defs/")),
        None => Some(p),
    }
}

#[test]
fn the_tools_are_the_commands_with_the_clis_options_as_their_schema() {
    let s = Scenario::build("empty");
    runtime().block_on(async {
        let served = serve(s.wo(&["mcp"])).await;
        let info = served.client.peer_info().expect("initialized");
        assert_eq!(
            info.server_info.as_ref().map(|i| i.name.as_str()),
            Some("git-wo")
        );
        assert!(info.capabilities.tools.is_some());
        let tools: Vec<Tool> = served.client.list_all_tools().await.expect("tools/list");
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(names, TOOLS);
        let cli = git_wo::cli::full_command();
        let global = [
            "json", "root", "quiet", "color", "no_pager", "help", "version",
        ];
        for tool in &tools {
            let sub = cli.find_subcommand(tool.name.as_ref()).expect("a command");
            let about = sub.get_about().expect("about").to_string();
            let description = tool.description.as_deref().unwrap_or("");
            assert!(description.starts_with(&about), "{description}");
            let schema = Value::Object(tool.input_schema.as_ref().clone());
            let mut expected = Vec::new();
            for arg in sub.get_arguments() {
                let id = arg.get_id().as_str();
                // --porcelain and audit's --format (text or markdown) are text
                // formats; the tools return JSON.
                let text_format = id == "porcelain" || (tool.name == "audit" && id == "format");
                if global.contains(&id) || text_format {
                    continue;
                }
                expected.push(id.to_owned());
                let p = property(&schema, id)
                    .unwrap_or_else(|| panic!("{}: no property {id}: {schema}", tool.name));
                let help = arg.get_help().expect("help").to_string();
                assert_eq!(
                    schema["properties"][id]["description"]
                        .as_str()
                        .map(|d| d.trim_end_matches('.')),
                    Some(help.trim_end_matches('.')),
                    "{}.{id}",
                    tool.name
                );
                let defaults: Vec<String> = arg
                    .get_default_values()
                    .iter()
                    .map(|v| v.to_string_lossy().into_owned())
                    .collect();
                if let Some(d) = defaults.first() {
                    let schema_default = match &schema["properties"][id]["default"] {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    assert_eq!(&schema_default, d, "{}.{id} default", tool.name);
                }
                let values: Vec<String> = arg
                    .get_possible_values()
                    .iter()
                    .filter(|_| arg.get_action().takes_values())
                    .map(|v| v.get_name().to_owned())
                    .collect();
                if !values.is_empty() {
                    assert_eq!(p["enum"], json!(values), "{}.{id} values", tool.name);
                }
                let required = schema["required"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|v| v == id));
                assert_eq!(
                    required,
                    arg.is_required_set(),
                    "{}.{id} required",
                    tool.name
                );
            }
            let mut properties: Vec<String> = schema["properties"]
                .as_object()
                .expect("properties")
                .keys()
                .cloned()
                .collect();
            properties.sort();
            expected.sort();
            assert_eq!(
                properties, expected,
                "{} has exactly the CLI's options",
                tool.name
            );
            assert_eq!(schema["additionalProperties"], false, "{}", tool.name);
        }
        let (code, out) = served.close().await;
        assert_eq!(code, 0);
        only_protocol(&out);
    });
}

#[test]
fn an_agent_picks_takes_heartbeats_finishes_and_audits() {
    let s = Scenario::build("empty");
    s.write_pending("WO-0001", "P2", "");
    s.write_pending("WO-0002", "P0", "");
    s.commit_all("WOs");
    runtime().block_on(async {
        let served = serve(s.wo(&["mcp"])).await;
        // The same document, to the byte, as `git wo --json ready`.
        let ready = served.call("ready", json!({})).await;
        let (code, cli, _) = s.run(&["--json", "ready"]);
        assert_eq!(code, 0);
        assert_eq!(text(&ready), cli.trim_end());
        assert_eq!(ok(&ready)["ready"][0]["id"], "WO-0002");
        assert_eq!(ready.structured_content, Some(doc(&ready)));
        // deps without an id draws the graph, as text, as the command prints it.
        let graph = served.call("deps", json!({"format": "dot"})).await;
        let (_, cli, _) = s.run(&["deps", "--format", "dot"]);
        assert_eq!(text(&graph), cli.trim_end());
        assert!(text(&graph).starts_with("digraph"), "{}", text(&graph));

        let taken = ok(&served.call("take", json!({"next": true})).await);
        assert_eq!(taken["schema"], "git-wo.take.v1");
        assert_eq!(taken["id"], "WO-0002", "P0 first: {taken}");
        let wt = std::path::PathBuf::from(taken["worktree"].as_str().expect("worktree"));
        assert!(wt.is_dir(), "{}", wt.display());
        let (_, list, _) = s.run(&["list", "--porcelain"]);
        assert!(list.contains("WO-0002\trunning"), "{list}");

        // The agent works in the worktree; the server stays where it was started.
        std::fs::write(wt.join("work.txt"), "done\n").expect("write");
        s.git_at(&wt, &["add", "work.txt"]);
        s.git_at(&wt, &["commit", "-q", "-m", "work"]);

        let beat = served
            .call("heartbeat", json!({"id": "WO-0002", "lease": "3h"}))
            .await;
        let beat = ok(&beat);
        assert_eq!(beat["schema"], "git-wo.heartbeat.v1");
        assert_eq!(beat["forced"], false, "the holder renews: {beat}");

        let finished = served
            .call("finish", json!({"id": "WO-0002", "result": "done"}))
            .await;
        assert_eq!(exit_of(&finished), 0, "{}", text(&finished));
        let finished = ok(&finished);
        assert_eq!(finished["verdict"], "done", "{finished}");
        assert_eq!(finished["forced"], false, "{finished}");
        assert!(s.path("_ctx/jobs/done/WO-0002.yaml").exists());

        let audit = served.call("audit", json!({})).await;
        let report = ok(&audit);
        assert_eq!(report["schema"], "git-wo.audit.v1");
        assert_eq!(exit_of(&audit), 0, "{report}");
        let (code, cli) = s.json(&["audit"]);
        assert_eq!(code, 0);
        assert_eq!(report["summary"], cli["summary"]);

        let (code, out) = served.close().await;
        assert_eq!(code, 0);
        only_protocol(&out);
    });
}

#[test]
fn an_error_is_the_clis_json_error_with_kind_exit_and_fix() {
    let s = Scenario::build("empty");
    s.write_pending("WO-0001", "P2", "");
    s.commit_all("WO");
    runtime().block_on(async {
        let served = serve(s.wo(&["mcp"])).await;
        let r = served.call("show", json!({"id": "WO-0999"})).await;
        assert_eq!(r.is_error, Some(true));
        // Byte for byte what `git wo --json show WO-0999` prints.
        let (code, cli, _) = s.run(&["--json", "show", "WO-0999"]);
        assert_eq!(code, 2);
        assert_eq!(text(&r), cli.trim_end());
        let e = &doc(&r)["error"];
        assert_eq!(e["kind"], "usage");
        assert_eq!(e["exit"], 2);
        assert!(
            e["fix"].as_str().is_some_and(|f| f.contains("git wo")),
            "{e}"
        );
        assert_eq!(exit_of(&r), 2);

        // Arguments the schema does not have, and take's own rules, are usage errors too.
        for (tool, args) in [
            ("ready", json!({"limit": 2, "porcelain": true})),
            ("take", json!({})),
            ("take", json!({"id": "WO-0001", "next": true})),
            ("take", json!({"id": "WO-0001", "priority": "P0"})),
            ("finish", json!({"id": "WO-0001", "result": "maybe"})),
        ] {
            let r = served.call(tool, args.clone()).await;
            assert_eq!(r.is_error, Some(true), "{tool} {args}");
            let e = &doc(&r)["error"];
            assert_eq!(e["kind"], "usage", "{tool} {args}: {e}");
            assert_eq!(e["exit"], 2);
            assert!(e["fix"].is_string(), "{e}");
        }
        // Nothing was taken by the refused calls.
        let (_, list, _) = s.run(&["list", "--porcelain"]);
        assert!(list.contains("WO-0001\tpending"), "{list}");
        let (code, out) = served.close().await;
        assert_eq!(code, 0);
        only_protocol(&out);
    });
}

#[test]
fn two_clients_racing_to_take_one_wo_get_one_winner() {
    let s = Scenario::build("empty");
    s.write_pending("WO-0001", "P2", "");
    s.commit_all("WO");
    runtime().block_on(async {
        let a = Arc::new(serve(s.wo(&["mcp"])).await);
        let b = Arc::new(serve(s.wo(&["mcp"])).await);
        let take = |c: Arc<Served>| {
            tokio::spawn(async move { c.call("take", json!({"id": "WO-0001"})).await })
        };
        let (ra, rb) = (take(Arc::clone(&a)), take(Arc::clone(&b)));
        let results = [ra.await.expect("a"), rb.await.expect("b")];
        let winners: Vec<&CallToolResult> = results
            .iter()
            .filter(|r| r.is_error == Some(false))
            .collect();
        assert_eq!(winners.len(), 1, "exactly one winner: {results:?}");
        assert_eq!(doc(winners[0])["id"], "WO-0001");
        let loser = results
            .iter()
            .find(|r| r.is_error == Some(true))
            .expect("a loser");
        let e = &doc(loser)["error"];
        assert_eq!(e["kind"], "conflict", "{e}");
        assert_eq!(e["exit"], 3, "{e}");
        assert_eq!(exit_of(loser), 3);
        let (_, list, _) = s.run(&["list", "--porcelain"]);
        assert!(list.contains("WO-0001\trunning"), "{list}");
        for served in [a, b] {
            let served = Arc::into_inner(served).expect("the calls are over");
            let (code, out) = served.close().await;
            assert_eq!(code, 0);
            only_protocol(&out);
        }
    });
}

#[test]
fn stdout_carries_only_protocol_whatever_else_writes_there() {
    let s = Scenario::build("empty");
    // A verify command that writes to the server's own stdout (its parent's
    // descriptor 1) instead of its own.
    s.write_wo(
        "pending",
        "WO-0001",
        "verify:\n  commands: [\"echo written-to-the-servers-stdout > /proc/$PPID/fd/1\"]\n",
    );
    s.commit_all("WO");
    // No user.name: take says on stderr it acts as the login name.
    s.git(&["config", "--unset", "user.name"]);
    runtime().block_on(async {
        let mut served = serve(s.wo(&["mcp"])).await;
        let taken = ok(&served.call("take", json!({"next": true})).await);
        served.stderr_shows("note: no git user.name is set").await;
        let wt = std::path::PathBuf::from(taken["worktree"].as_str().expect("worktree"));
        std::fs::write(wt.join("work.txt"), "done\n").expect("write");
        s.git_at(&wt, &["add", "work.txt"]);
        s.git_at(
            &wt,
            &["-c", "user.name=alice", "commit", "-q", "-m", "work"],
        );
        let finished = served
            .call("finish", json!({"id": "WO-0001", "result": "done"}))
            .await;
        assert_eq!(ok(&finished)["verdict"], "done", "{}", text(&finished));
        served.stderr_shows("written-to-the-servers-stdout").await;
        let (code, out) = served.close().await;
        assert_eq!(code, 0);
        only_protocol(&out);
        assert!(!out.contains("written-to-the-servers-stdout"));
    });
}

#[test]
fn ctrl_c_stops_the_call_in_flight_and_the_server_goes_on() {
    let s = Scenario::build("empty");
    s.write_pending("WO-0001", "P2", "");
    s.commit_all("WO");
    let release = s.tmp.path().join("release");
    let mut cmd = s.wo(&["mcp"]);
    cmd.env("GIT_WO_PAUSE", "take:after-worktree:120000")
        .env("GIT_WO_PAUSE_RELEASE", &release);
    runtime().block_on(async {
        let mut served = serve(cmd).await;
        let pid = served.child.id().expect("pid") as i32;
        // Ctrl-C while idle: nothing to stop, the server stays.
        // SAFETY: kill(2) with the pid of the child this test started.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
        let ready = ok(&served.call("ready", json!({})).await);
        assert_eq!(ready["ready"][0]["id"], "WO-0001");

        // Ctrl-C in the middle of a take: the take stops and is undone.
        let mut paused = served.stderr.clone();
        let ctrl_c = tokio::spawn(async move {
            let seen = paused
                .wait_for(|all| all.contains("git wo: paused at take:after-worktree"))
                .await
                .is_ok();
            // SAFETY: as above.
            seen && unsafe { libc::kill(pid, libc::SIGINT) } == 0
        });
        let r = served.call("take", json!({"id": "WO-0001"})).await;
        // The task sends Ctrl-C and ends in one step: the take returned after it.
        if !ctrl_c.is_finished() {
            ctrl_c.abort();
            panic!("the take never paused: {}", text(&r));
        }
        assert!(ctrl_c.await.expect("ctrl-c task"), "paused, then Ctrl-C");
        assert_eq!(r.is_error, Some(true), "{}", text(&r));
        let e = &doc(&r)["error"];
        assert_eq!(e["kind"], "interrupted", "{e}");
        assert_eq!(e["exit"], 130);
        let (_, list, _) = s.run(&["list", "--porcelain"]);
        assert!(list.contains("WO-0001\tpending"), "undone: {list}");

        // The next call runs to its end.
        std::fs::write(&release, "go").expect("release");
        let taken = ok(&served.call("take", json!({"id": "WO-0001"})).await);
        assert_eq!(taken["id"], "WO-0001");
        served.stderr_shows("resumed at take:after-worktree").await;
        let (code, out) = served.close().await;
        assert_eq!(code, 0);
        only_protocol(&out);
    });
}

/// An agent's finish through the server pushes the WO's branch to `wo.remote`, as
/// `git wo finish` does (the result marker names that branch).
#[test]
fn a_finish_through_the_server_pushes_the_wo_branch() {
    let ids: Vec<String> = vec!["WO-0001".into()];
    let t = common::team::Team::new(&ids, |p| p.to_string_lossy().into_owned());
    runtime().block_on(async {
        let served = serve(t.cmd(&t.a, &["mcp"])).await;
        let taken = ok(&served.call("take", json!({"id": "WO-0001"})).await);
        let wt = std::path::PathBuf::from(taken["worktree"].as_str().expect("worktree"));
        std::fs::write(wt.join("work.txt"), "done\n").expect("write");
        t.git(&wt, &["add", "work.txt"]);
        t.git(&wt, &["commit", "-q", "-m", "work"]);
        let finished = served
            .call("finish", json!({"id": "WO-0001", "result": "done"}))
            .await;
        assert_eq!(exit_of(&finished), 0, "{}", text(&finished));
        let (code, out) = served.close().await;
        assert_eq!(code, 0);
        only_protocol(&out);
    });
    let branch = "refs/heads/feat/wo-WO-0001";
    assert!(t.rev(&t.a, branch).is_some(), "the branch is kept here");
    assert_eq!(
        t.rev(&t.remote, branch),
        t.rev(&t.a, branch),
        "the remote has the branch the result marker names"
    );
}
