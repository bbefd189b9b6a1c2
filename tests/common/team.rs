//! A team: a bare remote and two clones of it, each initialised (SPEC §10), for the
//! tests of many machines.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{git_in, isolate};

/// A bare remote and two clones of it, `a` (alice) and `b` (bob), both initialised.
pub struct Team {
    pub tmp: tempfile::TempDir,
    pub a: PathBuf,
    pub b: PathBuf,
    pub remote: PathBuf,
}

pub fn yaml(id: &str) -> String {
    super::wo_yaml(id, "pending", "")
}

impl Team {
    /// `ids` as pending WOs in the remote's history; `url` (given the bare repo's
    /// path) is what the clones use as origin.
    pub fn new(ids: &[String], url: impl Fn(&Path) -> String) -> Team {
        let tmp = tempfile::tempdir().expect("tmp");
        let home = tmp.path();
        let seed = home.join("seed");
        std::fs::create_dir_all(seed.join("_ctx/jobs/pending")).expect("mkdir");
        for d in ["running", "done", "failed"] {
            std::fs::create_dir_all(seed.join("_ctx/jobs").join(d)).expect("mkdir");
            std::fs::write(seed.join("_ctx/jobs").join(d).join(".gitkeep"), "").expect("keep");
        }
        for id in ids {
            std::fs::write(seed.join(format!("_ctx/jobs/pending/{id}.yaml")), yaml(id))
                .expect("write");
        }
        git_in(&seed, home, &["init", "-q", "-b", "main"]);
        git_in(&seed, home, &["add", "-A"]);
        git_in(
            &seed,
            home,
            &[
                "-c",
                "user.name=seed",
                "-c",
                "user.email=s@e",
                "commit",
                "-q",
                "-m",
                "WOs",
            ],
        );
        let remote = home.join("remote.git");
        git_in(
            home,
            home,
            &[
                "clone",
                "-q",
                "--bare",
                &seed.to_string_lossy(),
                &remote.to_string_lossy(),
            ],
        );
        let origin = url(&remote);
        let mut clones = Vec::new();
        for (name, who) in [("a", "alice"), ("b", "bob")] {
            let dir = home.join(name);
            git_in(
                home,
                home,
                &["clone", "-q", &origin, &dir.to_string_lossy()],
            );
            for (k, v) in [
                ("user.name", who),
                ("user.email", "x@example.com"),
                ("wo.remote", "origin"),
                ("wo.gate.hooks", "none"),
                ("wo.worktreeDir", &format!("../{name}.worktrees")),
            ] {
                git_in(&dir, home, &["config", k, v]);
            }
            clones.push(dir);
        }
        let t = Team {
            a: clones[0].clone(),
            b: clones[1].clone(),
            remote,
            tmp,
        };
        for dir in [&t.a, &t.b] {
            let (code, _, err) = t.wo(dir, &["init"]);
            assert_eq!(code, 0, "init: {err}");
        }
        t
    }

    pub fn cmd(&self, dir: &Path, args: &[&str]) -> Command {
        super::wo_command(self.tmp.path(), dir, args)
    }

    pub fn wo(&self, dir: &Path, args: &[&str]) -> (i32, String, String) {
        super::run(self.cmd(dir, args))
    }

    pub fn git(&self, dir: &Path, args: &[&str]) -> String {
        git_in(dir, self.tmp.path(), args)
    }

    /// The commit a ref points at in `dir` (a clone or the remote), if it exists.
    pub fn rev(&self, dir: &Path, name: &str) -> Option<String> {
        let mut cmd = Command::new("git");
        cmd.arg("-C")
            .arg(dir)
            .args(["rev-parse", "--verify", "-q", name]);
        isolate(&mut cmd, self.tmp.path());
        let (code, out, _) = super::run(cmd);
        (code == 0).then(|| out.trim().to_owned())
    }
}
