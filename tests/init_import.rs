//! `init` imports every WO at once: a pack of objects per fast-import process, the refs
//! in `packed-refs`, the same commits as a one-by-one import would write, nothing of anyone else's lost.

use crate::common;

use common::Scenario;
use git_wo::git::Repo;
use git_wo::git::fast_import::RootCommit;

fn loose_objects(s: &Scenario) -> usize {
    let objects = s.repo.join(".git/objects");
    std::fs::read_dir(&objects)
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    let n = e.file_name();
                    let n = n.to_string_lossy();
                    n.len() == 2 && n.chars().all(|c| c.is_ascii_hexdigit())
                })
                .map(|e| std::fs::read_dir(e.path()).map_or(0, |f| f.count()))
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn init_writes_one_pack_and_packed_refs() {
    let s = Scenario::build_with("bulk", &["300", "5"]);
    // A peeled tag in packed-refs must survive the rewrite.
    s.git(&["tag", "-a", "-m", "release", "v1"]);
    s.git(&["pack-refs", "--all"]);
    s.git(&["gc", "-q"]);
    let loose_before = loose_objects(&s);
    let (code, out, err) = s.run(&["init"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("imported 300 WO(s)"), "{out}");
    // A few objects at most (the scratch ref's reflog is no object), not 3 per WO.
    assert!(
        loose_objects(&s) <= loose_before + 3,
        "{} loose objects after init",
        loose_objects(&s)
    );
    let packed = s.read(".git/packed-refs");
    assert_eq!(packed.matches("refs/wo/orders/").count(), 300, "{packed}");
    assert!(
        !s.repo.join(".git/refs/wo/orders").exists()
            || std::fs::read_dir(s.repo.join(".git/refs/wo/orders")).map_or(0, |d| d.count()) == 0
    );
    assert!(
        packed.contains("refs/tags/v1\n^"),
        "the tag keeps its peeled line: {packed}"
    );
    assert!(packed.starts_with("# pack-refs with:"), "{packed}");
    // git agrees with all of it.
    fsck_clean(&s);
    assert_eq!(
        s.git(&["for-each-ref", "refs/wo/orders/"]).lines().count(),
        300
    );
    assert_eq!(
        s.git(&["show", "refs/wo/orders/WO-00007:order.yaml"]),
        s.read("_ctx/jobs/done/WO-00007.yaml").to_string() + "",
        "the record holds the YAML as it was"
    );
    assert!(
        s.git(&["for-each-ref", "refs/wo-import/"]).is_empty(),
        "scratch ref left"
    );
    // Records read back and nothing is left unmirrored.
    let (code, report) = s.json(&["audit"]);
    assert_eq!(code, 0, "{report}");
    // Rerunning imports nothing and changes nothing.
    let before = s.read(".git/packed-refs");
    let (code, out, _) = s.run(&["init"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("imported 0 WO(s)") || out.contains("300 already"),
        "{out}"
    );
    assert_eq!(s.read(".git/packed-refs"), before);
}

#[test]
fn refs_someone_else_wrote_first_are_left_alone() {
    let s = Scenario::build("clean");
    let repo = Repo::discover(&s.repo, None).expect("repo");
    let head = s.git(&["rev-parse", "HEAD"]).trim().to_owned();
    let tree = s.git(&["rev-parse", "HEAD^{tree}"]).trim().to_owned();
    let other = s
        .git(&["commit-tree", "-m", "someone else", &tree])
        .trim()
        .to_owned();
    // A loose ref (a concurrent take, a fetch) and a packed one exist already.
    s.git(&["update-ref", "refs/wo/orders/WO-0001", &other]);
    s.git(&["update-ref", "refs/wo/orders/WO-0003", &other]);
    s.git(&["pack-refs", "--all"]);
    s.git(&["update-ref", "refs/wo/orders/WO-0001", &other]);
    let id = |hex: &str| gix::ObjectId::from_hex(hex.as_bytes()).expect("hex");
    let want: Vec<(String, gix::ObjectId)> = ["WO-0001", "WO-0002", "WO-0003"]
        .iter()
        .map(|w| (format!("refs/wo/orders/{w}"), id(&head)))
        .collect();
    let skipped = repo.create_refs_packed(&want).expect("packed write");
    assert_eq!(
        skipped,
        ["refs/wo/orders/WO-0001", "refs/wo/orders/WO-0003"],
        "refs that existed are not ours"
    );
    assert_eq!(
        s.git(&["rev-parse", "refs/wo/orders/WO-0001"]).trim(),
        other
    );
    assert_eq!(
        s.git(&["rev-parse", "refs/wo/orders/WO-0003"]).trim(),
        other
    );
    assert_eq!(s.git(&["rev-parse", "refs/wo/orders/WO-0002"]).trim(), head);
    // Another writer holding packed-refs.lock: a conflict, and nothing written.
    std::fs::write(s.repo.join(".git/packed-refs.lock"), "").expect("lock");
    let before = s.read(".git/packed-refs");
    let e = repo
        .create_refs_packed(&[("refs/wo/orders/WO-0004".into(), id(&head))])
        .expect_err("locked");
    assert_eq!(
        git_wo::error::classify(&e).kind,
        git_wo::error::Kind::Conflict,
        "{e:#}"
    );
    assert_eq!(s.read(".git/packed-refs"), before);
    assert!(
        s.repo.join(".git/packed-refs.lock").exists(),
        "someone else's lock stays"
    );
}

#[test]
fn batch_commits_are_the_commits_a_one_by_one_write_makes() {
    let s = Scenario::build("empty");
    let repo = Repo::discover(&s.repo, None).expect("repo");
    let commits = vec![
        RootCommit {
            files: [
                ("order.yaml", b"id: WO-0001\n".to_vec()),
                ("record.json", b"{}\n".to_vec()),
            ],
            message: "wo: import WO-0001\n\nWO-Action: import\n".into(),
        },
        RootCommit {
            files: [
                ("order.yaml", b"id: WO-0002\n".to_vec()),
                ("record.json", b"{\"x\": 1}\n".to_vec()),
            ],
            message: "wo: import WO-0002\n".into(),
        },
    ];
    let batch = repo.import_root_commits(&commits).expect("fast-import");
    for (c, id) in commits.iter().zip(&batch) {
        let files: Vec<(&str, &[u8])> = c.files.iter().map(|(n, d)| (*n, d.as_slice())).collect();
        let one = repo
            .commit_files(&files, &c.message, None, true)
            .expect("commit");
        assert_eq!(&one, id, "deterministic imports: same commit either way");
    }
    assert_ne!(batch[0], batch[1]);
}

#[test]
fn a_big_import_split_between_processes_keeps_every_commit_in_order() {
    let s = Scenario::build("empty");
    let repo = Repo::discover(&s.repo, None).expect("repo");
    // Enough commits for one fast-import per core (the split starts at 2 × 2048).
    let n = 5000;
    let commits: Vec<RootCommit> = (0..n)
        .map(|i| RootCommit {
            files: [
                ("order.yaml", format!("id: WO-{i:05}\n").into_bytes()),
                ("record.json", format!("{{\"n\": {i}}}\n").into_bytes()),
            ],
            message: format!("wo: import WO-{i:05}\n"),
        })
        .collect();
    let packs = || {
        std::fs::read_dir(s.repo.join(".git/objects/pack"))
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".pack"))
                    .count()
            })
            .unwrap_or(0)
    };
    let packs_before = packs();
    let ids = repo.import_root_commits(&commits).expect("fast-import");
    assert_eq!(ids.len(), n);
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), n, "one commit per record");
    // Each id is its own commit, at the parts' edges too.
    for i in [0, 1, n / 2 - 1, n / 2, n / 2 + 1, n - 1] {
        let rev = format!("{}:order.yaml", ids[i]);
        assert_eq!(
            s.git(&["show", &rev]),
            format!("id: WO-{i:05}\n"),
            "commit {i}"
        );
        let c = &commits[i];
        let files: Vec<(&str, &[u8])> = c.files.iter().map(|(n, d)| (*n, d.as_slice())).collect();
        let one = repo
            .commit_files(&files, &c.message, None, true)
            .expect("commit");
        assert_eq!(
            one, ids[i],
            "commit {i} is the one a one-by-one write makes"
        );
    }
    assert!(
        s.git(&["for-each-ref", "refs/wo-import/"]).is_empty(),
        "scratch refs left"
    );
    // One pack per process: one per core, at most 4.
    let written = packs() - packs_before;
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    assert_eq!(written, cores.clamp(1, 4).min(n / 2048), "packs written");
    fsck_clean(&s);
}

#[test]
fn init_configures_the_remote_once() {
    let s = Scenario::build("clean");
    let bare = s.tmp.path().join("origin.git");
    s.git(&["init", "-q", "--bare", bare.to_str().expect("utf-8 path")]);
    s.git(&[
        "remote",
        "add",
        "origin",
        bare.to_str().expect("utf-8 path"),
    ]);
    for _ in 0..2 {
        let (code, out, err) = s.run(&["init"]);
        assert_eq!(code, 0, "{out}{err}");
    }
    let fetch = s.git(&["config", "--get-all", "remote.origin.fetch"]);
    let lines: Vec<&str> = fetch.lines().collect();
    assert_eq!(
        lines,
        [
            "+refs/heads/*:refs/remotes/origin/*",
            "+refs/wo/*:refs/remotes/origin/wo/*",
            "+refs/notes/wo:refs/notes/remotes/origin/wo",
        ],
        "each refspec once, after a second init too"
    );
    assert_eq!(
        s.git(&["config", "--get-all", "notes.rewriteRef"]).trim(),
        "refs/notes/wo"
    );
    assert_eq!(s.git(&["config", "wo.initialized"]).trim(), "true");
    // A second run reports nothing set.
    let (_, out, _) = s.run(&["init"]);
    assert!(!out.contains("config:"), "{out}");
}

/// `git fsck --strict` finds nothing wrong: it exits 0 and reports no error, missing or
/// broken object (fsck reports those on stderr).
fn fsck_clean(s: &Scenario) {
    let mut cmd = std::process::Command::new("git");
    cmd.arg("-C")
        .arg(&s.repo)
        .args(["fsck", "--strict", "--no-progress", "--no-dangling"]);
    common::isolate(&mut cmd, s.tmp.path());
    let (code, out, err) = common::run(cmd);
    assert_eq!(code, 0, "git fsck: {out}{err}");
    for bad in ["error", "missing", "broken", "bad"] {
        assert!(
            !err.contains(bad) && !out.contains(bad),
            "git fsck: {out}{err}"
        );
    }
}
