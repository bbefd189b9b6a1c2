//! The jobs dir listed before the command line is parsed and the repository opened
//! (src/inventory/prefetch.rs). A warm read in the main checkout, from any folder of
//! it, adopts the listing and prints what it prints without it (`GIT_WO_NO_PREFETCH`,
//! test-only); none is made for another checkout (`--root`, a hook's `GIT_DIR`, a
//! linked worktree) or another read; and one the repository's settings contradict
//! (`wo.jobsDir`, `wo.root`) is turned down: the settings' jobs dir is the one read,
//! and the turned-down listing writes nothing.

use crate::common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::Scenario;

/// The reads a prefetch is made for.
const READS: [&[&str]; 6] = [
    &["--json", "audit"],
    &["audit"],
    &["--json", "list"],
    &["--json", "status"],
    &["--json", "ready"],
    &["check"],
];

/// The racy window of these runs (`GIT_WO_RACY_MS`, test-only), and how long to wait
/// for everything written to be out of it.
const RACY_MS: u64 = 100;

fn settle() {
    std::thread::sleep(Duration::from_millis(RACY_MS + 100));
}

/// `git wo <args>` in `dir`, traced, with the variables that name another checkout
/// removed; `no_prefetch` sets `GIT_WO_NO_PREFETCH=1`.
fn command(s: &Scenario, dir: &Path, args: &[&str], no_prefetch: bool) -> Command {
    let mut cmd = s.wo_in(dir, args);
    cmd.env("GIT_WO_TRACE", "1")
        .env("GIT_WO_RACY_MS", RACY_MS.to_string())
        .env_remove("GIT_COMMON_DIR")
        .env_remove("GIT_WO_NO_PREFETCH")
        .env_remove("GIT_WO_CORES");
    if no_prefetch {
        cmd.env("GIT_WO_NO_PREFETCH", "1");
    }
    cmd
}

/// What a run printed (the audit's time of day blanked) and the phases it traced.
struct Ran {
    code: i32,
    out: String,
    phases: Vec<String>,
}

impl Ran {
    fn of(cmd: Command) -> Ran {
        let (code, out, err) = common::run(cmd);
        let out = match serde_json::from_str::<serde_json::Value>(&out) {
            Ok(mut v) if v.get("audit_timestamp").is_some() => {
                v["audit_timestamp"] = serde_json::Value::Null;
                v.to_string()
            }
            _ => out,
        };
        let mut phases = Vec::new();
        let mut rest = Vec::new();
        for line in err.lines() {
            match line.strip_prefix("git-wo trace: ") {
                Some(p) => phases.push(p.split("  ").next().unwrap_or_default().trim().to_owned()),
                None => rest.push(line),
            }
        }
        let out = format!("{out}\n--- stderr\n{}", rest.join("\n"));
        Ran { code, out, phases }
    }

    /// The prefetch phases traced: `adopted`, `turned down`.
    fn prefetch(&self) -> Vec<&str> {
        self.phases
            .iter()
            .filter_map(|p| p.strip_prefix("prefetch: "))
            .collect()
    }

    fn saved_the_parse_cache(&self) -> bool {
        self.phases.iter().any(|p| p == "parse cache: save")
    }
}

fn ran(s: &Scenario, dir: &Path, args: &[&str], no_prefetch: bool) -> Ran {
    Ran::of(command(s, dir, args, no_prefetch))
}

#[test]
fn a_read_in_the_main_checkout_adopts_the_prefetch_and_prints_the_same_as_without() {
    let names = [
        "clean",
        "split_brain",
        "invalid_yaml",
        "stale_lock",
        "ghost",
        "zombie",
    ];
    let built: Vec<Scenario> = names.iter().map(|n| Scenario::build(n)).collect();
    settle();
    common::each_in_parallel(&built, |s| {
        let sub = s.path("_ctx/jobs/pending");
        for (dir, warm) in [(&s.repo, false), (&s.repo, true), (&sub, true)] {
            for args in READS {
                if warm {
                    ran(s, dir, args, true);
                    settle();
                }
                let with = ran(s, dir, args, false);
                let without = ran(s, dir, args, true);
                let what = format!("{args:?} in {}, warm: {warm}", dir.display());
                assert_eq!(with.prefetch(), ["adopted"], "{what}: {:?}", with.phases);
                assert!(
                    without.prefetch().is_empty(),
                    "{what}: {:?}",
                    without.phases
                );
                assert_eq!(
                    (with.code, &with.out),
                    (without.code, &without.out),
                    "{what}"
                );
            }
        }
        // Warm means warm with the prefetch too: every file taken from the cache,
        // nothing written.
        let warm = ran(s, &s.repo, &["audit"], false);
        assert!(!warm.saved_the_parse_cache(), "{:?}", warm.phases);
    });
}

#[test]
fn no_prefetch_is_made_for_another_checkout_or_another_read() {
    let s = Scenario::build("clean");
    let repo = s.repo.to_str().expect("a UTF-8 path");
    let linked = s.tmp.path().join("linked");
    s.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "elsewhere",
        linked.to_str().expect("UTF-8"),
    ]);
    let git_dir = s.path(".git");
    let root_is = format!("--root={repo}");
    let cases: [(&Path, Vec<&str>, Option<&Path>); 6] = [
        (&s.repo, vec!["--root", repo, "audit"], None),
        (&s.repo, vec![&root_is, "list"], None),
        (&s.repo, vec!["audit"], Some(&git_dir)),
        (&linked, vec!["audit"], None),
        (&s.repo, vec!["check", "--staged"], None),
        (&s.repo, vec!["show", "WO-0001"], None),
    ];
    for (dir, args, git_dir) in cases {
        let mut cmd = command(&s, dir, &args, false);
        if let Some(g) = git_dir {
            cmd.env("GIT_DIR", g);
        }
        let run = Ran::of(cmd);
        assert!(
            run.prefetch().is_empty(),
            "{args:?} in {}: {:?}",
            dir.display(),
            run.phases
        );
        // (It ran as a read: gathered the jobs dir.)
        assert!(
            run.phases.iter().any(|p| p == "gather"),
            "{args:?}: {:?}\n{}",
            run.phases,
            run.out
        );
    }
    // One core: nothing to run beside the parsing.
    let mut one = command(&s, &s.repo, &["audit"], false);
    one.env("GIT_WO_CORES", "1");
    assert!(Ran::of(one).prefetch().is_empty());
}

/// The parse cache's paths (the first field of each line after the header).
fn cached_paths(s: &Scenario) -> Vec<String> {
    let text = std::fs::read_to_string(s.path(".git/wo/parse-cache")).unwrap_or_default();
    text.lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_prefetch_the_settings_contradict_is_turned_down_and_writes_nothing() {
    // `wo.jobsDir` names another folder of the checkout; `wo.root` another checkout
    // below the main one. Either way `_ctx/jobs` of the main checkout, which the
    // prefetch lists, holds other WOs than the folder read.
    for setting in ["wo.jobsDir", "wo.root"] {
        let s = Scenario::build("clean");
        // (The folder read, from the main checkout and from the control checkout.)
        let (value, read, cached) = match setting {
            "wo.jobsDir" => ("work/jobs", "work/jobs", "work/jobs/"),
            _ => ("control", "control/_ctx/jobs", "_ctx/jobs/"),
        };
        std::fs::create_dir_all(s.path(read)).expect("mkdir");
        for state in ["pending", "running", "done", "failed"] {
            let (from, to) = (
                s.path(&format!("_ctx/jobs/{state}")),
                s.path(&format!("{read}/{state}")),
            );
            if from.is_dir() {
                let copied = Command::new("cp").arg("-a").arg(&from).arg(&to).status();
                assert!(
                    copied.is_ok_and(|c| c.success()),
                    "cp -a {}",
                    from.display()
                );
            }
        }
        std::fs::remove_file(s.path(&format!("{read}/pending/WO-0001.yaml"))).expect("rm");
        s.git(&["config", setting, value]);
        settle();
        for _ in 0..2 {
            let with = ran(&s, &s.repo, &["--json", "list"], false);
            let without = ran(&s, &s.repo, &["--json", "list"], true);
            assert_eq!(
                with.prefetch(),
                ["turned down"],
                "{setting}: {:?}",
                with.phases
            );
            assert_eq!(
                (with.code, &with.out),
                (without.code, &without.out),
                "{setting}"
            );
            assert!(
                !with.out.contains("\"WO-0001\""),
                "{setting}: read {read}: {}",
                with.out
            );
            settle();
        }
        // The cache holds what the settings' jobs dir holds, and only that: nothing of
        // the listing turned down (WO-0001 among it) was written.
        let paths = cached_paths(&s);
        assert!(!paths.is_empty(), "{setting}");
        assert!(
            paths
                .iter()
                .all(|p| p.starts_with(cached) && !p.ends_with("/WO-0001.yaml")),
            "{setting}: {paths:?}"
        );
        let warm = ran(&s, &s.repo, &["audit"], false);
        assert!(
            !warm.saved_the_parse_cache(),
            "{setting}: {:?}",
            warm.phases
        );
    }
}
