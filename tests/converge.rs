//! Every hint leads somewhere: random rotten repositories (split brains, duplicates,
//! unreadable copies, stray, stale and foreign locks, ghosts, zombies, prunable
//! metadata, interrupted takes and finishes, another clone's WO, records missing or
//! ahead), then the loop a user (or an agent) would run: `git wo audit --json`, run each
//! finding's `fix` exactly as printed, repeat. It must reach a clean audit, or only
//! findings a person must decide (no `fix`; the hint says why), within a few rounds;
//! no printed command may fail without printing the next step; and audit and
//! reconcile must agree: a WO whose finding's fix names `reconcile` is in reconcile's
//! plan, and every WO in the plan has such a finding.
//!
//! Seeded and reproducible. `GIT_WO_CONVERGE_SEEDS=N` runs N seeds (default 6);
//! `GIT_WO_CONVERGE_SEED=S` runs seed S alone.

use crate::common;

use std::collections::BTreeSet;
use std::process::Command;

use common::Scenario;
use common::rng::Rng;

/// The rots a WO can get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rot {
    Healthy,
    Taken,
    SplitBrain,
    Duplicate,
    Unreadable,
    UnreadableBeside,
    StatusMismatch,
    StrayLock,
    RunningNoLock,
    WorktreeLost,
    InterruptedTake,
    InterruptedFinish,
    Zombie,
    Unmirrored,
    Orphan,
    StateMismatch,
    Stale,
    Foreign,
    LockFileLost,
    LockFileWrongUser,
    GitLockToken,
}

const ROTS: [Rot; 21] = [
    Rot::Healthy,
    Rot::Taken,
    Rot::SplitBrain,
    Rot::Duplicate,
    Rot::Unreadable,
    Rot::UnreadableBeside,
    Rot::StatusMismatch,
    Rot::StrayLock,
    Rot::RunningNoLock,
    Rot::WorktreeLost,
    Rot::InterruptedTake,
    Rot::InterruptedFinish,
    Rot::Zombie,
    Rot::Unmirrored,
    Rot::Orphan,
    Rot::StateMismatch,
    Rot::Stale,
    Rot::Foreign,
    Rot::LockFileLost,
    Rot::LockFileWrongUser,
    Rot::GitLockToken,
];

const STATES: [&str; 4] = ["pending", "running", "done", "failed"];

fn yaml(id: &str, state: &str) -> String {
    common::wo_yaml(id, state, "")
}

struct World {
    s: Scenario,
    log: Vec<String>,
}

impl World {
    fn wo(&mut self, args: &[&str]) -> (i32, String) {
        let (code, out, err) = self.s.run(args);
        self.log
            .push(format!("git wo {} -> {code}", args.join(" ")));
        (code, format!("{out}{err}"))
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.s.path(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::fs::write(p, text).expect("write");
    }

    /// The one copy of `id` in the jobs dir (its folder), after a take or not.
    fn folder_of(&self, id: &str) -> Option<&'static str> {
        STATES
            .iter()
            .copied()
            .find(|st| self.s.path(&format!("_ctx/jobs/{st}/{id}.yaml")).exists())
    }

    fn take(&mut self, id: &str) {
        let (code, out) = self.wo(&["take", id]);
        assert_eq!(code, 0, "take {id}: {out}");
    }

    /// Make a worktree look untouched for longer than gc's `--min-age`.
    fn backdate(&self, id: &str) {
        let wt = self.s.worktree(id);
        let admin = self.s.repo.join(".git/worktrees").join(id);
        for p in [
            wt.clone(),
            admin.join("HEAD"),
            admin.join("logs/HEAD"),
            admin.join("wo-session"),
        ] {
            if p.exists() {
                let out = Command::new("touch")
                    .args(["-h", "-d", "2 hours ago"])
                    .arg(&p)
                    .output()
                    .expect("touch");
                assert!(out.status.success());
            }
        }
    }

    fn rot(&mut self, rng: &mut Rng, id: &str, rot: Rot) {
        let pending = format!("_ctx/jobs/pending/{id}.yaml");
        match rot {
            Rot::Healthy => {}
            Rot::Taken => self.take(id),
            Rot::SplitBrain => {
                let other = *rng.pick(&["running", "done", "failed"]);
                self.write(&format!("_ctx/jobs/{other}/{id}.yaml"), &yaml(id, other));
            }
            Rot::Duplicate => {
                self.write(
                    &format!("_ctx/jobs/pending/{id}-copy.yaml"),
                    &yaml(id, "pending"),
                );
            }
            Rot::Unreadable => {
                let text = format!(
                    "<<<<<<< HEAD\n{}=======\n{}>>>>>>> theirs\n",
                    yaml(id, "pending"),
                    yaml(id, "running")
                );
                self.write(&pending, &text);
            }
            Rot::UnreadableBeside => {
                self.take(id);
                self.write(&format!("_ctx/jobs/done/{id}.yaml"), "title: [unclosed\n");
            }
            Rot::StatusMismatch => {
                let wrong = *rng.pick(&["running", "done", "nonsense"]);
                self.write(
                    &pending,
                    &yaml(id, "pending").replace("status: pending", &format!("status: {wrong}")),
                );
            }
            Rot::StrayLock => {
                self.write(&format!("_ctx/jobs/running/{id}.lock"), &format!("{id}\n"));
            }
            Rot::RunningNoLock => {
                std::fs::remove_file(self.s.path(&pending)).expect("rm");
                self.write(
                    &format!("_ctx/jobs/running/{id}.yaml"),
                    &yaml(id, "running"),
                );
            }
            Rot::WorktreeLost => {
                self.take(id);
                std::fs::remove_dir_all(self.s.worktree(id)).expect("rm worktree");
            }
            Rot::InterruptedTake => {
                let step =
                    *rng.pick(&["take:after-take", "take:after-worktree", "take:after-move"]);
                common::crash(&self.s, &self.s.repo, step, &["take", id]);
                self.log.push(format!("crash take {id} at {step}"));
            }
            Rot::InterruptedFinish => {
                self.take(id);
                let step = *rng.pick(&["finish:after-finishing", "finish:after-move"]);
                common::crash(
                    &self.s,
                    &self.s.worktree(id),
                    step,
                    &[
                        "finish",
                        id,
                        "--result",
                        "failed",
                        "--skip-verification",
                        "--reason",
                        "rot",
                    ],
                );
                self.log.push(format!("crash finish {id} at {step}"));
            }
            Rot::Zombie => {
                self.take(id);
                let wt = self.s.worktree(id);
                let (code, out, err) = self.s.run_in(
                    &wt,
                    &[
                        "finish",
                        id,
                        "--result",
                        "failed",
                        "--keep-worktree",
                        "--skip-verification",
                        "--reason",
                        "rot",
                    ],
                );
                assert_eq!(code, 0, "finish {id}: {out}{err}");
                self.backdate(id);
            }
            Rot::Unmirrored => {
                let new = format!("{id}N");
                self.write(
                    &format!("_ctx/jobs/pending/{new}.yaml"),
                    &yaml(&new, "pending"),
                );
            }
            Rot::Orphan => {
                std::fs::remove_file(self.s.path(&pending)).expect("rm");
            }
            Rot::StateMismatch => {
                self.take(id);
                let from = format!("_ctx/jobs/running/{id}.yaml");
                let text = std::fs::read_to_string(self.s.path(&from)).expect("read");
                std::fs::remove_file(self.s.path(&from)).expect("rm");
                self.write(
                    &pending,
                    &text.replace("status: running", "status: pending"),
                );
                let _ = std::fs::remove_file(self.s.path(&format!("_ctx/jobs/running/{id}.lock")));
            }
            Rot::Stale => {
                let (code, out) = self.wo(&["take", id, "--lease", "1s"]);
                assert_eq!(code, 0, "take {id}: {out}");
            }
            Rot::LockFileLost => {
                self.take(id);
                std::fs::remove_file(self.s.path(&format!("_ctx/jobs/running/{id}.lock")))
                    .expect("rm lock");
            }
            Rot::LockFileWrongUser => {
                self.take(id);
                let p = self.s.path(&format!("_ctx/jobs/running/{id}.lock"));
                let text = std::fs::read_to_string(&p).expect("lock");
                std::fs::write(&p, text.replace("User: alice", "User: mallory")).expect("write");
            }
            Rot::GitLockToken => {
                self.take(id);
                let wt = self.s.worktree(id).to_string_lossy().into_owned();
                self.s.git(&["worktree", "unlock", &wt]);
                self.s.git(&[
                    "worktree",
                    "lock",
                    "--reason",
                    &format!("git-wo {id} token=99"),
                    &wt,
                ]);
            }
            Rot::Foreign => {
                // Taken here, then this clone becomes another clone: the lease names a
                // clone that is not this one (as after `git wo sync` from a team mate).
                self.take(id);
                self.write(".git/wo/clone-id", "another-clone-id\n");
            }
        }
        self.log
            .push(format!("{id}: {rot:?} ({:?})", self.folder_of(id)));
    }
}

/// The WOs whose findings' fix names reconcile, and the WOs reconcile plans for.
fn agreement(s: &Scenario, report: &serde_json::Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let by_audit = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            f["fix"]
                .as_str()
                .is_some_and(|x| x.contains("git wo reconcile"))
        })
        .filter_map(|f| f["wo_id"].as_str().map(str::to_owned))
        .collect();
    let (_, plan) = s.json(&["reconcile"]);
    let by_plan = plan["actions"]
        .as_array()
        .unwrap_or_else(|| panic!("reconcile plan: {plan}"))
        .iter()
        .filter_map(|a| a["wo_id"].as_str().map(str::to_owned))
        .collect();
    (by_audit, by_plan)
}

fn run_seed(seed: u64) {
    let mut rng = Rng(seed);
    let s = Scenario::build("empty");
    let mut w = World { s, log: Vec::new() };
    let count = 5 + rng.below(5);
    let ids: Vec<String> = (0..count).map(|n| format!("WO-{seed}-{n:02}")).collect();
    for id in &ids {
        w.write(
            &format!("_ctx/jobs/pending/{id}.yaml"),
            &yaml(id, "pending"),
        );
    }
    w.s.commit_all("WOs");
    assert_eq!(w.wo(&["init"]).0, 0);
    // A ghost: a WO-like worktree of no WO.
    if rng.below(2) == 0 {
        let ghost = format!("WO-{seed}-G");
        let path = w.s.worktree(&ghost);
        w.s.git(&[
            "worktree",
            "add",
            "-q",
            "-b",
            &format!("feat/wo-{ghost}"),
            &path.to_string_lossy(),
        ]);
        w.backdate(&ghost);
        w.log.push(format!("{ghost}: ghost"));
    }
    // The foreign take first: every later take is this clone's own.
    let mut rots: Vec<Rot> = ids.iter().map(|_| *rng.pick(&ROTS)).collect();
    rots.sort_by_key(|r| *r != Rot::Foreign);
    let mut foreign_done = false;
    for (id, rot) in ids.iter().zip(rots) {
        let rot = if rot == Rot::Foreign && foreign_done {
            Rot::Taken
        } else {
            rot
        };
        foreign_done |= rot == Rot::Foreign;
        w.rot(&mut rng, id, rot);
    }
    if w.log.iter().any(|l| l.contains("Stale")) {
        // Past the 1 s leases of the stale takes (a test-only clock skew, no sleep).
        w.s.advance_clock(3);
    }
    let s = &w.s;
    let mut last = serde_json::Value::Null;
    let mut converged = false;
    for round in 0..6 {
        let (_, report) = s.json(&["audit"]);
        let (by_audit, by_plan) = agreement(s, &report);
        assert_eq!(
            by_audit, by_plan,
            "seed {seed} round {round}: audit names reconcile for the first set, reconcile plans the second\n{report}\n{:#?}",
            w.log
        );
        let fixes: Vec<String> = {
            let mut seen = BTreeSet::new();
            report["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .filter_map(|f| f["fix"].as_str().map(str::to_owned))
                .filter(|f| seen.insert(f.clone()))
                .collect()
        };
        for f in report["findings"].as_array().expect("findings") {
            if f["fix"].is_null() {
                assert!(
                    f["hint"]
                        .as_str()
                        .is_some_and(|h| h.starts_with("a person must decide: ")),
                    "seed {seed}: a finding with no fix says why a person decides: {f}"
                );
            }
        }
        last = report;
        if fixes.is_empty() {
            converged = true;
            break;
        }
        for fix in fixes {
            let (code, out) = common::run_fix(s, &fix);
            w.log.push(format!("round {round}: {fix} -> {code}"));
            assert!(
                code == 0 || out.contains("fix:") || out.contains("fix: "),
                "seed {seed} round {round}: `{fix}` failed (exit {code}) without a next step:\n{out}\n{:#?}",
                w.log
            );
        }
    }
    assert!(
        converged,
        "seed {seed}: still findings with a fix after 6 rounds:\n{last}\n{:#?}",
        w.log
    );
}

#[test]
fn following_the_printed_fixes_converges() {
    let seeds: Vec<u64> = match std::env::var("GIT_WO_CONVERGE_SEED") {
        Ok(one) => vec![one.parse().expect("GIT_WO_CONVERGE_SEED is a number")],
        Err(_) => {
            let n: u64 = std::env::var("GIT_WO_CONVERGE_SEEDS")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(6);
            (1..=n).collect()
        }
    };
    common::each_in_parallel(&seeds, |seed| run_seed(*seed));
}
