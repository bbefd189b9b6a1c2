//! Many machines (SPEC §10): two clones of one bare remote, over a file path and over
//! `git daemon` on 127.0.0.1 (started and stopped by the test). Real processes race to
//! take the same WO; markers and records travel with `git wo sync`.

use crate::common;

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::isolate;
use common::team::{Team, yaml};

const ROUNDS: usize = 20;
const DAEMON_ROUNDS: usize = 8;

/// Both clones take `id` at the same moment: (a's result, b's result).
fn race(t: &Team, id: &str) -> ((i32, String), (i32, String)) {
    let spawn = |dir: &Path| -> Child {
        t.cmd(dir, &["take", id])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn take")
    };
    let (ca, cb) = (spawn(&t.a), spawn(&t.b));
    let done = |c: Child| {
        let out = c.wait_with_output().expect("wait");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    (done(ca), done(cb))
}

fn races_have_one_winner(t: &Team, ids: &[String]) {
    let mut wins = [0usize; 2];
    for id in ids {
        let ((ca, ea), (cb, eb)) = race(t, id);
        let (winner, loser_err, loser_code) = match (ca, cb) {
            (0, _) => {
                wins[0] += 1;
                ("alice", eb, cb)
            }
            (_, 0) => {
                wins[1] += 1;
                ("bob", ea, ca)
            }
            _ => panic!("{id}: nobody won: a={ca} {ea} / b={cb} {eb}"),
        };
        assert_eq!(loser_code, 3, "{id}: the loser exits 3: {loser_err}");
        assert!(
            loser_err.contains(&format!("by {winner}")),
            "{id}: the loser is told who won ({winner}): {loser_err}"
        );
        // The remote holds the winner's claim; the loser's clone holds no claim of its own.
        let remote_rec = t.git(
            &t.remote,
            &["show", &format!("refs/wo/orders/{id}:record.json")],
        );
        let rec: serde_json::Value = serde_json::from_str(&remote_rec).expect("record json");
        assert_eq!(rec["lock"]["owner"], winner, "{id}");
        let loser = if winner == "alice" { &t.b } else { &t.a };
        if let Some(local) = t.rev(loser, &format!("refs/wo/orders/{id}")) {
            let rec: serde_json::Value =
                serde_json::from_str(&t.git(loser, &["show", &format!("{local}:record.json")]))
                    .expect("json");
            assert_ne!(
                rec["lock"]["owner"],
                if winner == "alice" { "bob" } else { "alice" },
                "{id}: the loser's claim was undone"
            );
        }
    }
    eprintln!("wins: alice {} bob {}", wins[0], wins[1]);
}

fn round_ids() -> Vec<String> {
    (0..ROUNDS).map(|i| format!("WO-R{i:02}")).collect()
}

#[test]
fn two_clones_racing_through_a_file_remote_have_one_winner_every_round() {
    let ids = round_ids();
    let t = Team::new(&ids, |p| p.to_string_lossy().into_owned());
    for dir in [&t.a, &t.b] {
        let (code, _, err) = t.wo(dir, &["sync"]);
        assert_eq!(code, 0, "{err}");
    }
    races_have_one_winner(&t, &ids);
}

/// `git daemon` on 127.0.0.1 at a free port, serving `base`; killed when dropped.
struct Daemon {
    child: Child,
    port: u16,
}

impl Daemon {
    fn start(base: &Path, home: &Path) -> Daemon {
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .expect("a free port");
            let mut cmd = Command::new("git");
            cmd.args([
                "daemon",
                "--reuseaddr",
                "--export-all",
                "--enable=receive-pack",
                "--listen=127.0.0.1",
            ])
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", base.display()))
            .arg(base)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
            isolate(&mut cmd, home);
            let mut child = cmd.spawn().expect("git daemon");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Daemon { child, port };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("git daemon did not start");
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn two_clones_racing_through_git_daemon_have_one_winner_every_round() {
    // Fewer rounds than through the file remote: the race is the same code, this test
    // is about the transport (a round costs about three times as much here).
    let ids: Vec<String> = round_ids().into_iter().take(DAEMON_ROUNDS).collect();
    // The daemon serves the folder the bare remote will be created in.
    let holder = tempfile::tempdir().expect("tmp");
    let daemon_root = holder.path().to_path_buf();
    let daemon: std::cell::RefCell<Option<Daemon>> = std::cell::RefCell::new(None);
    let t = Team::new(&ids, |remote| {
        // Serve the bare remote's folder: git://127.0.0.1:<port>/remote.git.
        let base = remote.parent().expect("parent").to_path_buf();
        let d = Daemon::start(&base, &daemon_root);
        let url = format!("git://127.0.0.1:{}/remote.git", d.port);
        *daemon.borrow_mut() = Some(d);
        url
    });
    assert!(
        t.git(&t.a, &["remote", "get-url", "origin"])
            .starts_with("git://127.0.0.1:")
    );
    for dir in [&t.a, &t.b] {
        let (code, _, err) = t.wo(dir, &["sync"]);
        assert_eq!(code, 0, "{err}");
    }
    races_have_one_winner(&t, &ids);
    drop(daemon.borrow_mut().take());
}

#[test]
fn markers_written_in_one_clone_appear_in_the_other_after_sync() {
    let ids: Vec<String> = ["WO-0001", "WO-0002"].map(String::from).into();
    let t = Team::new(&ids, |p| p.to_string_lossy().into_owned());
    // A remote with no refs/wo yet: the first sync pushes every record.
    assert!(t.git(&t.remote, &["for-each-ref", "refs/wo/"]).is_empty());
    let (code, out, err) = t.wo(&t.a, &["sync"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        t.git(
            &t.remote,
            &["for-each-ref", "--format=%(refname)", "refs/wo/"]
        )
        .lines()
        .count(),
        2
    );
    // Each clone takes one WO: two intent markers, one per clone.
    assert_eq!(t.wo(&t.a, &["take", "WO-0001"]).0, 0);
    assert_eq!(t.wo(&t.b, &["take", "WO-0002"]).0, 0);
    for dir in [&t.a, &t.b, &t.a] {
        let (code, out, err) = t.wo(dir, &["sync"]);
        assert_eq!(code, 0, "{out}{err}");
    }
    for dir in [&t.a, &t.b] {
        let notes = t.git(dir, &["log", "--all", "--notes=wo", "--format=%N"]);
        for id in ["WO-0001", "WO-0002"] {
            assert!(
                notes.contains(&format!("[{id}] intent:")),
                "{dir:?}: {notes}"
            );
        }
        // Records agree in both clones and on the remote.
        for id in ["WO-0001", "WO-0002"] {
            let name = format!("refs/wo/orders/{id}");
            assert_eq!(t.rev(dir, &name), t.rev(&t.remote, &name), "{dir:?} {id}");
        }
    }
    // A renewal is progress, not a divergence.
    let wt = t.tmp.path().join("a.worktrees/WO-0001");
    let (code, _, err) = t.wo(&wt, &["heartbeat"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = t.wo(&wt, &["heartbeat", "--lease", "3h"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = t.wo(&t.b, &["sync"]);
    assert_eq!(code, 0, "{out}{err}");
    let name = "refs/wo/orders/WO-0001";
    assert_eq!(t.rev(&t.b, name), t.rev(&t.a, name));
}

#[test]
fn a_diverged_record_is_reported_and_neither_side_is_overwritten() {
    let ids: Vec<String> = ["WO-0001"].map(String::from).into();
    let t = Team::new(&ids, |p| p.to_string_lossy().into_owned());
    assert_eq!(t.wo(&t.a, &["sync"]).0, 0);
    assert_eq!(t.wo(&t.b, &["sync"]).0, 0);
    // Both take it without publishing (no wo.remote): the records part ways.
    for dir in [&t.a, &t.b] {
        t.git(dir, &["config", "--unset", "wo.remote"]);
        let (code, _, err) = t.wo(dir, &["take", "WO-0001"]);
        assert_eq!(code, 0, "{err}");
    }
    let name = "refs/wo/orders/WO-0001";
    let (ra, rb) = (t.rev(&t.a, name), t.rev(&t.b, name));
    assert_ne!(ra, rb);
    let (code, out, err) = t.wo(&t.a, &["sync", "origin"]);
    assert_eq!(code, 0, "a is ahead of the remote: {out}{err}");
    assert_eq!(t.rev(&t.remote, name), ra);
    let (code, out, err) = t.wo(&t.b, &["--json", "sync", "origin"]);
    assert_eq!(code, 1, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(report["conflicts"][0]["code"], "sync_conflict", "{report}");
    assert_eq!(report["conflicts"][0]["wo_id"], "WO-0001");
    assert!(
        report["conflicts"][0]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("git update-ref")),
        "{report}"
    );
    assert_eq!(t.rev(&t.remote, name), ra, "the remote is not overwritten");
    assert_eq!(t.rev(&t.b, name), rb, "b's record is not overwritten");
    // A take through the remote in b now refuses, naming the conflict.
    let (code, _, err) = t.wo(&t.b, &["take", "WO-0001", "--remote", "origin"]);
    assert_eq!(code, 3, "{err}");
}

#[test]
fn sync_without_a_remote_says_how_to_set_one() {
    let ids: Vec<String> = ["WO-0001"].map(String::from).into();
    let t = Team::new(&ids, |p| p.to_string_lossy().into_owned());
    let (code, _, err) = t.wo(&t.a, &["sync", "nowhere"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("git remote add"), "{err}");
    // An unreachable remote is an error that names it.
    t.git(&t.a, &["remote", "add", "gone", "/nonexistent/remote.git"]);
    let (code, _, err) = t.wo(&t.a, &["sync", "gone"]);
    assert_eq!(
        code, 2,
        "an unreachable remote is exit 2 (man git-wo-sync): {err}"
    );
    assert!(err.contains("gone"), "{err}");
}

#[test]
fn init_with_a_remote_fetches_first_and_imports_only_what_it_lacks() {
    let ids: Vec<String> = ["WO-0001", "WO-0002"].map(String::from).into();
    let t = Team::new(&ids, |p| p.to_string_lossy().into_owned());
    assert_eq!(t.wo(&t.a, &["take", "WO-0001"]).0, 0, "published on take");
    let name = "refs/wo/orders/WO-0001";
    let claimed = t.rev(&t.remote, name).expect("the claim is on the remote");
    // A third clone, initialised afterwards, starts from the remote's records.
    let c = t.tmp.path().join("c");
    let url = t.remote.to_string_lossy().into_owned();
    t.git(t.tmp.path(), &["clone", "-q", &url, &c.to_string_lossy()]);
    for (k, v) in [
        ("user.name", "carol"),
        ("wo.remote", "origin"),
        ("wo.gate.hooks", "none"),
    ] {
        t.git(&c, &["config", k, v]);
    }
    let (code, out, err) = t.wo(&c, &["--json", "init"]);
    assert_eq!(code, 0, "{err}");
    let done: serde_json::Value = serde_json::from_str(&out).expect("json");
    // The remote has WO-0001 (alice's take published it), not WO-0002 (nobody synced).
    assert_eq!(done["fetched"], serde_json::json!(["WO-0001"]), "{done}");
    assert_eq!(done["imported"], serde_json::json!(["WO-0002"]), "{done}");
    assert_eq!(t.rev(&c, name).as_deref(), Some(claimed.as_str()));
    // Deterministic imports: b imported WO-0002 on its own and it is the same record.
    let other = "refs/wo/orders/WO-0002";
    assert_eq!(t.rev(&t.b, other), t.rev(&c, other));
    // carol cannot take what alice holds.
    let (code, _, err) = t.wo(&c, &["take", "WO-0001"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("alice"), "{err}");
}

#[test]
fn a_take_whose_push_is_rejected_is_undone_and_names_the_winner() {
    let ids: Vec<String> = ["WO-0001"].map(String::from).into();
    let t = Team::new(&ids, |p| p.to_string_lossy().into_owned());
    assert_eq!(t.wo(&t.a, &["sync"]).0, 0);
    // alice has claimed locally and is about to publish; bob takes it meanwhile.
    let mut alice = common::spawn_paused(
        t.cmd(&t.a, &["take", "WO-0001"]),
        t.tmp.path(),
        "take:after-claim",
    );
    let (code, _, err) = t.wo(&t.b, &["take", "WO-0001"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = alice.release();
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("lost the race on origin") && err.contains("by bob"),
        "{err}"
    );
    assert!(err.contains("undone"), "{err}");
    // Nothing of alice's take is left: her record is back, no branch, no worktree.
    let rec = t.git(&t.a, &["show", "refs/wo/orders/WO-0001:record.json"]);
    let rec: serde_json::Value = serde_json::from_str(&rec).expect("json");
    assert_eq!(rec["state"], "pending", "{rec}");
    assert!(t.rev(&t.a, "refs/heads/feat/wo-WO-0001").is_none());
    assert!(!t.tmp.path().join("a.worktrees/WO-0001").exists());
    assert!(t.a.join("_ctx/jobs/pending/WO-0001.yaml").exists());
    let rec = t.git(&t.remote, &["show", "refs/wo/orders/WO-0001:record.json"]);
    let rec: serde_json::Value = serde_json::from_str(&rec).expect("json");
    assert_eq!(rec["lock"]["owner"], "bob");
}

#[test]
fn sync_creates_and_pushes_the_records_of_wos_added_since_init() {
    let ids: Vec<String> = ["WO-0001"].map(String::from).into();
    let t = Team::new(&ids, |p| p.to_string_lossy().into_owned());
    std::fs::write(t.a.join("_ctx/jobs/pending/WO-0007.yaml"), yaml("WO-0007")).expect("write");
    let (code, out, err) = t.wo(&t.a, &["--json", "sync"]);
    assert_eq!(code, 0, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(r["mirrored"], serde_json::json!(["WO-0007"]), "{r}");
    assert!(t.rev(&t.remote, "refs/wo/orders/WO-0007").is_some());
}

#[test]
fn a_wo_taken_in_another_clone_is_not_a_problem_here() {
    let ids: Vec<String> = ["WO-0001", "WO-0002"].map(String::from).into();
    let t = Team::new(&ids, |p| p.to_string_lossy().into_owned());
    assert_eq!(t.wo(&t.a, &["sync"]).0, 0);
    assert_eq!(t.wo(&t.b, &["sync"]).0, 0);
    assert_eq!(t.wo(&t.a, &["take", "WO-0001"]).0, 0);
    let codes_in = |dir: &Path| {
        let (_, out, _) = t.wo(dir, &["--json", "audit"]);
        common::codes(&serde_json::from_str(&out).expect("json"))
    };
    // bob has alice's record (sync) but not yet her YAML move (git pull).
    assert_eq!(t.wo(&t.b, &["sync"]).0, 0);
    let (code, out, _) = t.wo(&t.b, &["--json", "audit"]);
    assert_eq!(code, 0, "no state_mismatch, no missing worktree: {out}");
    // Her move reaches bob with git pull: still nothing to fix here.
    t.git(&t.a, &["commit", "-q", "-m", "take WO-0001"]);
    t.git(&t.a, &["push", "-q", "origin", "main"]);
    t.git(&t.b, &["pull", "-q", "--ff-only", "origin", "main"]);
    assert!(t.b.join("_ctx/jobs/running/WO-0001.yaml").exists());
    let codes = codes_in(&t.b);
    assert!(
        !codes
            .iter()
            .any(|(c, _)| c == "running_without_worktree" || c == "state_mismatch"),
        "{codes:?}"
    );
    // In alice's own clone, a lost worktree is still reported.
    std::fs::remove_dir_all(t.tmp.path().join("a.worktrees/WO-0001")).expect("rm");
    assert!(
        codes_in(&t.a).contains(&("running_without_worktree".into(), "WO-0001".into())),
        "{:?}",
        codes_in(&t.a)
    );
}

#[test]
fn the_evidence_of_a_finish_travels_with_its_record() {
    let ids: Vec<String> = ["WO-0001"].map(String::from).into();
    let t = Team::new(&ids, |p| p.to_string_lossy().into_owned());
    assert_eq!(t.wo(&t.a, &["sync"]).0, 0);
    assert_eq!(t.wo(&t.a, &["take", "WO-0001"]).0, 0);
    let wt = t.tmp.path().join("a.worktrees/WO-0001");
    std::fs::write(wt.join("work.txt"), "work\n").expect("work");
    t.git(&wt, &["add", "work.txt"]);
    t.git(&wt, &["commit", "-q", "-m", "work"]);
    let (code, out, err) = t.wo(&wt, &["finish", "--result", "done"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = t.wo(&t.a, &["sync"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = t.wo(&t.b, &["sync"]);
    assert_eq!(code, 0, "{out}{err}");
    // Bob reads what alice's finish left, from his own clone.
    let (code, here, err) = t.wo(&t.a, &["show", "WO-0001", "--evidence", "verdict.json"]);
    assert_eq!(code, 0, "{err}");
    let (code, there, err) = t.wo(&t.b, &["show", "WO-0001", "--evidence", "verdict.json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(here, there);
    assert!(there.contains("\"wo_id\": \"WO-0001\""), "{there}");
}
