//! The caches under `<git-common-dir>/wo/` (parse, blob, record and object caches)
//! change no byte of any output: every view, on every fixture, prints the same with the
//! caches off (`GIT_WO_NO_CACHE=1`), cold (the run that writes them) and warm (the run
//! that reads them). And a cache is never trusted past a change: same-size edits with
//! the mtime put back, moved records, and damaged cache files.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::{Scenario, run};

/// Every view that reads through a cache.
const VIEWS: [&[&str]; 16] = [
    &["show", "WO-0001"],
    &["--json", "show", "WO-0001"],
    &["lint"],
    &["path", "WO-0001"],
    &["kpi"],
    &["audit"],
    &["--json", "audit"],
    &["check"],
    &["check", "--staged"],
    &["--json", "check", "--staged"],
    &["list"],
    &["--json", "list"],
    &["status"],
    &["--json", "status"],
    &["reconcile"],
    &["--json", "reconcile"],
];

/// Cached files git-wo keeps in `.git/wo/`.
fn caches(s: &Scenario) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(s.repo.join(".git/wo"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with("cache"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// `args` run once, with the caches on or off; the JSON audit's timestamp (the one
/// field that is the clock) is blanked.
fn output(s: &Scenario, args: &[&str], cache: bool) -> (i32, String, String) {
    let mut cmd = s.wo(args);
    cmd.env("GIT_WO_RACY_MS", RACY_MS.to_string());
    if !cache {
        cmd.env("GIT_WO_NO_CACHE", "1");
    }
    let (code, out, err) = run(cmd);
    let out = match out.find("\"audit_timestamp\"") {
        Some(at) => {
            let end = out[at..].find(",").map_or(out.len(), |e| at + e);
            format!("{}{}", &out[..at], &out[end..])
        }
        None => out,
    };
    (code, out, err)
}

/// Wait until nothing in the repository is racy (changed in the last two seconds):
/// only then do the caches trust what they hold.
fn settle() {
    std::thread::sleep(Duration::from_millis(RACY_MS + 100));
}

/// The racy window the commands of these tests run with (`GIT_WO_RACY_MS`, test-only):
/// settling takes a fraction of the real two seconds. The two-second rule itself is
/// tested with the cache's API in tests/properties.rs and src/inventory/parse_cache.rs.
const RACY_MS: u64 = 100;

fn compare(name: &str, s: &Scenario) {
    for args in VIEWS {
        let off = output(s, args, false);
        let cold = output(s, args, true);
        let warm = output(s, args, true);
        assert_eq!(off, cold, "{name}: {args:?} with the cache being written");
        assert_eq!(off, warm, "{name}: {args:?} read from the cache");
    }
}

#[test]
fn every_fixture_prints_the_same_with_and_without_the_caches() {
    let names: Vec<&str> = common::FINDING_FIXTURES
        .into_iter()
        .chain(["empty", "hostile", "baseline"])
        .collect();
    let built: Vec<(&str, Scenario)> = names.iter().map(|n| (*n, Scenario::build(n))).collect();
    // Records too: mirrored copies exercise the record cache (init imports all but
    // the split-brain WOs of the baseline, and says so with exit 1).
    let mirrored = Scenario::build("clean");
    assert_eq!(mirrored.run(&["init"]).0, 0);
    let mirrored_baseline = Scenario::build("baseline");
    assert!(mirrored_baseline.run(&["init"]).0 <= 1);
    settle();
    let mut all: Vec<(&str, &Scenario)> = built.iter().map(|(n, s)| (*n, s)).collect();
    all.push(("clean after init", &mirrored));
    all.push(("baseline after init", &mirrored_baseline));
    common::each_in_parallel(&all, |(name, s)| compare(name, s));
    // The comparison meant something: the caches were there to be read.
    let (_, s) = &built[0];
    assert_eq!(
        caches(s),
        ["blob-cache", "parse-cache", "record-cache"],
        "caches after warm runs"
    );
    assert!(caches(&mirrored).contains(&"record-cache".to_string()));
}

/// The phases a run of `args` traced (`GIT_WO_TRACE=1`), by name.
fn phases(s: &Scenario, args: &[&str]) -> Vec<String> {
    let mut cmd = s.wo(args);
    cmd.env("GIT_WO_RACY_MS", RACY_MS.to_string())
        .env("GIT_WO_TRACE", "1");
    let (_, _, err) = run(cmd);
    err.lines()
        .filter_map(|l| l.strip_prefix("git-wo trace: "))
        .map(|l| l.split("  ").next().unwrap_or_default().trim().to_owned())
        .collect()
}

/// Append a comment to `yaml`, let it settle, and check that the next `audit` reads it
/// again: the parse cache is saved.
fn edit_and_see_the_cache_saved(s: &Scenario, yaml: &Path) {
    let text = std::fs::read_to_string(yaml).expect("read") + "# edited\n";
    std::fs::write(yaml, text).expect("write");
    settle();
    let edited = phases(s, &["audit"]);
    assert!(
        edited.iter().any(|p| p == "parse cache: save"),
        "{edited:?}"
    );
}

#[test]
fn a_warm_run_takes_every_file_from_the_parse_cache_and_a_cold_one_writes_it() {
    let s = Scenario::build("clean");
    settle();
    // Cold: no cache to match a stat against; every file read, the cache written.
    let cold = phases(&s, &["audit"]);
    assert!(cold.iter().any(|p| p == "parse cache: save"), "{cold:?}");
    settle();
    // Warm: every file's stat matches its cached line; nothing read, nothing written.
    let warm = phases(&s, &["audit"]);
    assert!(warm.iter().any(|p| p == "jobs dir: files"), "{warm:?}");
    assert!(!warm.iter().any(|p| p == "parse cache: save"), "{warm:?}");
    // A file changed since: read again, the cache rewritten.
    edit_and_see_the_cache_saved(&s, &s.path("_ctx/jobs/pending/WO-0001.yaml"));
    // The rewrite kept every file's whole stamp, the ones it took from the cache among
    // them (their mtime is the one their file holds): warm again, nothing written.
    settle();
    let again = phases(&s, &["audit"]);
    assert!(!again.iter().any(|p| p == "parse cache: save"), "{again:?}");
}

/// A warm run takes each folder's files from the cache as the listing ends, into room
/// made before it from the folders' sizes. Archived files below a folder are not in its
/// size: when they outgrow the room, the folders that did not fit are taken after the
/// listing, and every view prints what it prints with the caches off.
#[test]
fn a_warm_take_that_outgrows_its_room_prints_what_the_files_say() {
    let s = Scenario::build("clean");
    let archive = s.path("_ctx/jobs/done/archive");
    std::fs::create_dir_all(&archive).expect("mkdir");
    // (More than the room of four folders of 4 KiB each, ext4's smallest.)
    for i in 0..1600 {
        let id = format!("WO-{:04}", 2000 + i);
        let text = common::wo_yaml_titled(&id, "done", "\"archived\"", "");
        std::fs::write(archive.join(format!("{id}.yaml")), text).expect("write");
    }
    s.commit_all("an archive");
    settle();
    let views: [&[&str]; 5] = [
        &["--json", "audit"],
        &["--json", "list"],
        &["--json", "status"],
        &["lint"],
        &["list"],
    ];
    let off: Vec<_> = views.iter().map(|v| output(&s, v, false)).collect();
    let cold = phases(&s, &["audit"]);
    assert!(cold.iter().any(|p| p == "parse cache: save"), "{cold:?}");
    settle();
    let warm = phases(&s, &["audit"]);
    for phase in ["jobs dir: take a folder", "jobs dir: take what did not fit"] {
        assert!(warm.iter().any(|p| p == phase), "{phase}: {warm:?}");
    }
    assert!(!warm.iter().any(|p| p == "parse cache: save"), "{warm:?}");
    for (v, off) in views.iter().zip(&off) {
        assert_eq!(&output(&s, v, true), off, "{v:?}");
    }
    // A file of the folder that did not fit, changed: read again, the cache rewritten.
    edit_and_see_the_cache_saved(&s, &archive.join("WO-2500.yaml"));
    for v in views {
        assert_eq!(output(&s, v, false), output(&s, v, true), "{v:?}, edited");
    }
}

/// Values the caches' lines escape (a tab, a newline, a backslash, the unit separator)
/// and characters of several bytes come back from each cache as they were read, and a
/// warm run takes the files from the parse cache (its values' text copied whole, the
/// ends of the values kept beside it).
#[test]
fn escaped_and_wide_values_come_back_from_the_caches_as_they_were() {
    let s = Scenario::build("clean");
    let title = r#""tab\there, new\nline, back\\slash, unit \x1f, é→🦀, -dash, =eq""#;
    let text = common::wo_yaml_titled(
        "WO-0077",
        "pending",
        title,
        "owner: \"ana\\\\ béa\"\ndependencies:\n  - WO-0001\n  - \"WO-\\t2\"\nscope:\n  - src/é/**\n",
    );
    std::fs::write(s.path("_ctx/jobs/pending/WO-0077.yaml"), text).expect("write");
    s.commit_all("a WO with odd values");
    settle();
    let views: [&[&str]; 4] = [
        &["--json", "show", "WO-0077"],
        &["--json", "list"],
        &["--json", "check", "--staged"],
        &["lint"],
    ];
    let off: Vec<_> = views.iter().map(|a| output(&s, a, false)).collect();
    assert!(off[0].1.contains("🦀"), "{}", off[0].1);
    assert!(off[0].1.contains("tab\\there"), "{}", off[0].1);
    for (a, want) in views.iter().zip(&off) {
        assert_eq!(&output(&s, a, true), want, "{a:?} writing the caches");
    }
    let warm = phases(&s, &["audit"]);
    assert!(!warm.iter().any(|p| p == "parse cache: save"), "{warm:?}");
    for (a, want) in views.iter().zip(&off) {
        assert_eq!(&output(&s, a, true), want, "{a:?} read from the caches");
    }
    let cached = std::fs::read_to_string(s.path(".git/wo/parse-cache")).expect("a cache");
    let line = cached.lines().find(|l| l.contains("WO-0077.yaml"));
    assert!(
        line.is_some_and(|l| l.contains("🦀") && l.contains("\\t")),
        "the values kept in the line as they are, escaped: {line:?}"
    );
}

/// Put `path`'s mtime back to what it was (`touch -d @<secs>.<nanos>`).
fn touch_back(s: &Scenario, path: &Path, mtime: std::time::SystemTime) {
    let d = mtime
        .duration_since(std::time::UNIX_EPOCH)
        .expect("mtime after the epoch");
    let stamp = format!("@{}.{:09}", d.as_secs(), d.subsec_nanos());
    let out = std::process::Command::new("touch")
        .args(["-m", "-d", &stamp])
        .arg(path)
        .current_dir(&s.repo)
        .output()
        .expect("touch");
    assert!(out.status.success(), "touch: {out:?}");
}

#[test]
fn a_same_size_edit_with_the_old_mtime_is_still_seen() {
    let s = Scenario::build("clean");
    let rel = "_ctx/jobs/pending/WO-0001.yaml";
    let path = s.path(rel);
    settle();
    let before = output(&s, &["--json", "list"], true);
    assert!(
        before.1.contains("Fixture work order WO-0001"),
        "{}",
        before.1
    );
    assert_eq!(output(&s, &["--json", "list"], true), before, "warm");
    // Same length, same mtime: only ctime (and inode data) say it changed.
    let mtime = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .expect("mtime");
    let text = s
        .read(rel)
        .replace("Fixture work order", "Fixture WORK ORDER");
    std::fs::write(&path, text).expect("edit");
    touch_back(&s, &path, mtime);
    settle();
    let after = output(&s, &["--json", "list"], true);
    assert!(
        after.1.contains("Fixture WORK ORDER WO-0001"),
        "the cache hid an edit: {}",
        after.1
    );
    assert_eq!(after, output(&s, &["--json", "list"], false));
}

#[test]
fn a_file_edited_just_now_is_read_again() {
    let s = Scenario::build("clean");
    let rel = "_ctx/jobs/pending/WO-0001.yaml";
    settle();
    let _ = output(&s, &["list"], true);
    // Within the racy window an edit may share the cached mtime tick: never trusted.
    std::fs::write(
        s.path(rel),
        s.read(rel).replace("status: pending", "status: done"),
    )
    .expect("edit");
    let (_, out, _) = output(&s, &["--json", "audit"], true);
    assert!(out.contains("status_mismatch"), "{out}");
}

#[test]
fn damaged_caches_are_ignored_and_rebuilt() {
    let s = Scenario::build("baseline");
    assert!(
        s.run(&["init"]).0 <= 1,
        "init imports the WOs that are not split-brain"
    );
    settle();
    let good: Vec<_> = VIEWS.iter().map(|a| output(&s, a, false)).collect();
    for a in VIEWS {
        let _ = output(&s, a, true);
    }
    let names = caches(&s);
    assert!(names.len() >= 3, "{names:?}");
    for (i, junk) in [
        "not a cache\n".to_string(),
        String::new(),
        "\u{0}\u{1}binary\tjunk\n\n\t\t".to_string(),
        "truncated".to_string(),
    ]
    .iter()
    .enumerate()
    {
        // Rebuild good caches, then damage them.
        for a in VIEWS {
            let _ = output(&s, a, true);
        }
        for n in &names {
            let path = s.repo.join(".git/wo").join(n);
            let kept = std::fs::read_to_string(&path).unwrap_or_default();
            // A valid header over damaged lines, or no header at all.
            let text = match (i, kept.lines().next()) {
                (0, Some(header)) => format!("{header}\n{junk}garbage\tline\n"),
                // Cut at a line boundary: every line left is valid, one is missing.
                (3, Some(_)) => {
                    let lines: Vec<&str> = kept.lines().collect();
                    lines[..lines.len() - 1].join("\n") + "\n"
                }
                _ => junk.clone(),
            };
            std::fs::write(&path, text).expect("damage the cache");
        }
        for (a, want) in VIEWS.iter().zip(&good) {
            assert_eq!(&output(&s, a, true), want, "{a:?} over damaged caches #{i}");
        }
    }
}

#[test]
fn a_moved_record_is_read_again() {
    let s = Scenario::build("clean");
    assert_eq!(s.run(&["init"]).0, 0);
    settle();
    let (_, before) = s.json(&["show", "WO-0001"]);
    let _ = output(&s, &["list"], true);
    let _ = output(&s, &["list"], true);
    // Take moves the record; the next view must see the new one.
    assert_eq!(s.run(&["take", "WO-0001", "--owner", "bob"]).0, 0);
    settle();
    let (_, list, _) = output(&s, &["--json", "list"], true);
    assert!(list.contains("\"holder\": \"bob\""), "{list}");
    let (_, after) = s.json(&["show", "WO-0001"]);
    assert_ne!(before["record_commit"], after["record_commit"]);
    assert_eq!(
        output(&s, &["--json", "list"], true),
        output(&s, &["--json", "list"], false)
    );
}

#[test]
fn a_jobs_dir_at_the_top_of_the_checkout_is_listed_there() {
    // `wo.jobsDir=/` (trimmed to nothing): the state folders are the checkout's own.
    let s = Scenario::build("split_brain");
    let (_, want) = s.json(&["audit"]);
    for state in ["pending", "running", "done", "failed"] {
        let from = s.repo.join("_ctx/jobs").join(state);
        if from.exists() {
            std::fs::rename(&from, s.repo.join(state)).expect("move the state folder up");
        }
    }
    s.git(&["config", "wo.jobsDir", "/"]);
    settle();
    for cache in [false, true, true] {
        let mut cmd = s.wo(&["--json", "audit"]);
        cmd.env("GIT_WO_RACY_MS", RACY_MS.to_string());
        if !cache {
            cmd.env("GIT_WO_NO_CACHE", "1");
        }
        let (_, out, err) = run(cmd);
        let got: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
        assert_eq!(
            got["summary"]["yamls_total"], want["summary"]["yamls_total"],
            "{out}"
        );
        let paths: Vec<String> = got["findings"][0]["paths"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.as_str())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let in_a_state = |p: &String| {
            ["pending/", "running/", "done/", "failed/"]
                .iter()
                .any(|s| p.starts_with(s))
        };
        assert!(
            paths.len() >= 2 && paths.iter().all(in_a_state),
            "paths relative to the checkout, no leading /: {paths:?}"
        );
        assert_eq!(got["summary"]["by_code"]["split_brain"], 1, "{out}");
    }
}

/// A file moved away between the listing and its read (as a concurrent take or finish
/// moves one) is not there: neither a copy nor an unreadable one, and the run prints
/// what a run after the move prints. Cold, every file is read straight into the list;
/// with a parse cache, the moved file is a miss read into its place among the others.
#[test]
fn a_file_gone_between_the_listing_and_its_read_is_not_there() {
    for args in [&["--json", "list"][..], &["--json", "audit"], &["lint"]] {
        for with_cache in [false, true] {
            let s = Scenario::build("clean");
            let rel = "_ctx/jobs/pending/WO-0001.yaml";
            settle();
            let _ = output(&s, &["list"], true);
            if with_cache {
                // Rewritten: a miss, read again, among the cached others.
                std::fs::write(s.path(rel), s.read(rel)).expect("rewrite");
                settle();
            } else {
                for name in caches(&s) {
                    std::fs::remove_file(s.repo.join(".git/wo").join(name)).expect("drop a cache");
                }
            }
            let mut paused = s.spawn_paused(&s.repo, args, "inventory:after-listing");
            std::fs::remove_file(s.path(rel)).expect("move the file away");
            let (code, out, err) = paused.release();
            let after = output(&s, args, false);
            let case = format!("{args:?}, cache {with_cache}");
            assert!(!out.contains("WO-0001"), "{case}: {out}");
            assert!(
                !args.contains(&"list") || out.contains("WO-0002"),
                "{case}: {out}"
            );
            // (The audit's time blanked as `output` blanks it.)
            let out = match out.find("\"audit_timestamp\"") {
                Some(at) => {
                    let end = out[at..].find(',').map_or(out.len(), |e| at + e);
                    format!("{}{}", &out[..at], &out[end..])
                }
                None => out,
            };
            // (Less the lines the pause itself prints.)
            let err: String = err
                .lines()
                .filter(|l| {
                    !l.starts_with("git wo: paused at") && !l.starts_with("git wo: resumed at")
                })
                .map(|l| format!("{l}\n"))
                .collect();
            assert_eq!(
                (code, out, err),
                after,
                "{case}: the raced run and one after the move"
            );
        }
    }
}
