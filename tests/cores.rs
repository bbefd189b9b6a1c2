//! What machines with other numbers of cores run, run here (`GIT_WO_CORES`, test-only):
//! on one core nothing is shared out; on four, two more threads list the state folders
//! and a cold read is split four ways. Every read command prints the same on one, two
//! or four, cold (no caches) and warm; and the trace shows the shared-out work did run
//! (the jobs dir's prefetch among it).

use crate::common;

use common::Scenario;

/// Exit code, stdout and stderr of `git wo <args>` acting for `cores` cores, traced.
fn run(s: &Scenario, cores: &str, args: &[&str]) -> (i32, String, String) {
    let mut cmd = s.wo(args);
    cmd.env("GIT_WO_CORES", cores).env("GIT_WO_TRACE", "1");
    common::run(cmd)
}

/// How many trace lines name `phase`.
fn traced(stderr: &str, phase: &str) -> usize {
    stderr
        .lines()
        .filter(|l| {
            l.strip_prefix("git-wo trace: ")
                .is_some_and(|p| p.starts_with(phase))
        })
        .count()
}

/// The exit code and what `args` printed, its time of day left out.
fn output(s: &Scenario, cores: &str, args: &[&str]) -> (i32, String) {
    let (code, out, _) = run(s, cores, args);
    let out = match serde_json::from_str::<serde_json::Value>(&out) {
        Ok(mut v) if v.get("audit_timestamp").is_some() => {
            v["audit_timestamp"] = serde_json::Value::Null;
            v.to_string()
        }
        _ => out,
    };
    (code, out)
}

#[test]
fn reads_print_the_same_on_one_two_or_four_cores_and_share_out_work_on_more() {
    // Over the 4,096 WOs from which the audit is split in two.
    let s = Scenario::build_with("bulk", &["4200", "5"]);
    assert_eq!(s.run(&["init"]).0, 0);
    let folders = ["pending", "running", "done", "failed"]
        .iter()
        .filter(|f| s.path(&format!("_ctx/jobs/{f}")).is_dir())
        .count();
    let commands: [&[&str]; 6] = [
        &["--json", "audit"],
        &["--json", "list"],
        &["--json", "ready"],
        &["--json", "status"],
        &["lint"],
        &["check"],
    ];
    for cold in [true, false] {
        let mut first: Option<Vec<(i32, String)>> = None;
        for cores in ["1", "2", "4"] {
            if cold {
                s.drop_caches();
            } else {
                run(&s, cores, &["audit"]);
            }
            let (_, _, trace) = run(&s, cores, &["audit"]);
            let (takes, listers, chunks) = (
                traced(&trace, "jobs dir: take a folder"),
                traced(&trace, "jobs dir: a third lister"),
                traced(&trace, "parallel: a chunk"),
            );
            let (two_or_more, four) = (cores != "1", cores == "4");
            assert_eq!(listers, if four { 2 } else { 0 }, "{cores} cores:\n{trace}");
            assert_eq!(
                traced(&trace, "audit: 2nd half"),
                usize::from(two_or_more),
                "{cores} cores:\n{trace}"
            );
            // The jobs dir listed while the command line is parsed: beside it, not on one core.
            assert_eq!(
                traced(&trace, "prefetch: adopted"),
                usize::from(two_or_more),
                "{cores} cores:\n{trace}"
            );
            if cold {
                // The records and the YAML files are each read in one chunk a core, the
                // first on the thread that shares them out.
                let more = cores.parse::<usize>().map_or(0, |n| n - 1);
                assert_eq!(chunks, 2 * more, "{cores} cores, cold:\n{trace}");
                s.drop_caches();
            } else {
                // Each state folder's files are taken once, as the listing ends, by
                // whichever thread is free: no thread of their own, however many cores.
                assert_eq!(takes, folders, "{cores} cores, warm:\n{trace}");
            }
            let outputs: Vec<(i32, String)> = commands
                .iter()
                .map(|args| output(&s, cores, args))
                .collect();
            match &first {
                None => first = Some(outputs),
                Some(one) => {
                    for ((args, a), b) in commands.iter().zip(one).zip(&outputs) {
                        assert_eq!(a, b, "{args:?} on {cores} cores, cold: {cold}");
                    }
                }
            }
        }
    }
}
