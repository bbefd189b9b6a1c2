//! Contention: 8 real processes take the same WO at once, 20 rounds. Exactly one wins
//! every round; the others exit 3; never a split-brain, never two `.lock` writers.

use crate::common;

use std::process::Stdio;

use common::Scenario;

const PROCESSES: usize = 8;
const ROUNDS: usize = 20;

#[test]
fn eight_takers_one_winner_every_round() {
    let s = Scenario::build("empty");
    for round in 0..ROUNDS {
        s.write_wo("pending", &format!("WO-R{round:02}"), "");
    }
    s.commit_all("race orders");
    assert_eq!(s.run(&["init"]).0, 0);
    for round in 0..ROUNDS {
        let id = format!("WO-R{round:02}");
        let children: Vec<_> = (0..PROCESSES)
            .map(|p| {
                let owner = format!("agent{p}");
                let mut cmd = s.wo(&["take", &id, "--owner", &owner]);
                cmd.stdout(Stdio::null()).stderr(Stdio::piped());
                (owner, cmd.spawn().expect("spawn git-wo"))
            })
            .collect();
        let mut winners = Vec::new();
        for (owner, child) in children {
            let out = child.wait_with_output().unwrap();
            match out.status.code() {
                Some(0) => winners.push(owner),
                Some(3) => {}
                other => panic!(
                    "{id}: {owner} exited {other:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                ),
            }
        }
        assert_eq!(winners.len(), 1, "{id}: winners {winners:?}");
        let winner = &winners[0];
        let copies: Vec<_> = ["pending", "running", "done", "failed"]
            .iter()
            .filter(|st| s.path(&format!("_ctx/jobs/{st}/{id}.yaml")).exists())
            .collect();
        assert_eq!(copies, [&"running"], "{id}");
        let lock = s.read(&format!("_ctx/jobs/running/{id}.lock"));
        assert!(lock.contains(&format!("User: {winner}\n")), "{id}: {lock}");
        let yaml = s.read(&format!("_ctx/jobs/running/{id}.yaml"));
        assert_eq!(yaml.matches("owner:").count(), 1, "{yaml}");
        assert!(yaml.contains(&format!("owner: {winner}")), "{yaml}");
        let record: serde_json::Value =
            serde_json::from_str(&s.git(&["show", &format!("refs/wo/orders/{id}:record.json")]))
                .unwrap();
        assert_eq!(record["lock"]["owner"], winner.as_str());
        assert_eq!(record["token"], 1);
        let worktrees = s.git(&["worktree", "list", "--porcelain"]);
        assert_eq!(
            worktrees.matches(&format!("/{id}\n")).count(),
            1,
            "{worktrees}"
        );
    }
    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn eight_takers_without_records_one_winner() {
    // Not initialised: the first record is created with MustNotExist.
    let s = Scenario::build("empty");
    s.write_wo("pending", "WO-0100", "");
    s.commit_all("wo");
    let children: Vec<_> = (0..PROCESSES)
        .map(|p| {
            let mut cmd = s.wo(&["take", "WO-0100", "--owner", &format!("agent{p}")]);
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
            cmd.spawn().unwrap()
        })
        .collect();
    let codes: Vec<i32> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap().status.code().unwrap_or(-1))
        .collect();
    assert_eq!(codes.iter().filter(|c| **c == 0).count(), 1, "{codes:?}");
    assert!(codes.iter().all(|c| *c == 0 || *c == 3), "{codes:?}");
    // Never a split-brain, never two lock writers: one copy, in running/, one `.lock`
    // naming the record's holder, token 1, and a clean audit.
    let copies: Vec<_> = ["pending", "running", "done", "failed"]
        .iter()
        .filter(|st| s.path(&format!("_ctx/jobs/{st}/WO-0100.yaml")).exists())
        .collect();
    assert_eq!(copies, [&"running"]);
    let record = common::record_of(&s, "WO-0100");
    assert_eq!(record["token"], 1);
    let owner = record["lock"]["owner"].as_str().unwrap_or("").to_owned();
    let lock = s.read("_ctx/jobs/running/WO-0100.lock");
    assert!(lock.contains(&format!("User: {owner}\n")), "{lock}");
    let yaml = s.read("_ctx/jobs/running/WO-0100.yaml");
    assert_eq!(yaml.matches("owner:").count(), 1, "{yaml}");
    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 0, "{report}");
}

/// `git worktree add`s are one at a time (an advisory lock): a take waits while another
/// add holds the lock and goes on when it is let go; when it has waited too long (an add
/// hanging in a hook) it adds its worktree without the lock and says so.
#[cfg(unix)]
#[test]
fn a_take_waits_for_another_worktree_add_and_not_for_ever() {
    use std::os::fd::AsRawFd;
    let s = common::repo_with(&[("WO-0001", ""), ("WO-0002", ""), ("WO-0003", "")]);
    let hold = || {
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(s.path(".git/wo/worktree-add.lock"))
            .unwrap();
        // SAFETY: `flock` on the descriptor `lock` owns; it touches no memory.
        assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) }, 0);
        lock
    };
    // Let go while the take waits: it goes on, with the lock, and says nothing of it.
    let lock = hold();
    let mut cmd = s.wo(&["take", "WO-0001", "--owner", "a"]);
    cmd.env("GIT_WO_WORKTREE_ADD_WAIT_MS", "60000")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        !s.worktree("WO-0001").exists(),
        "the take did not wait for the lock"
    );
    drop(lock);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("worktree-add.lock"), "{err}");
    assert!(s.worktree("WO-0001").exists());
    // Held for longer than a take waits: it adds its worktree without the lock.
    let _lock = hold();
    let mut cmd = s.wo(&["take", "WO-0002", "--owner", "b"]);
    cmd.env("GIT_WO_WORKTREE_ADD_WAIT_MS", "200");
    let (code, _, err) = common::run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("WO-0002: waited") && err.contains("worktree-add.lock"),
        "{err}"
    );
    assert!(s.worktree("WO-0002").exists());
    let (code, out, err) = s.run(&["audit"]);
    assert_eq!(code, 0, "{out}{err}");
}
