//! The pre-commit framework (prek, or pre-commit) running this project's
//! `.pre-commit-hooks.yaml` in a scenario, as a team that uses the framework has it.
//! `.ci/tools.sh` installs prek, pinned; nothing is downloaded at test time.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::Scenario;

/// `prek` or `pre-commit` from PATH; `None` (after [`super::tool_present`] has failed
/// the test under `CI=true`, or said SKIPPED) when neither runs.
pub fn tool() -> Option<PathBuf> {
    let tool = ["prek", "pre-commit"]
        .into_iter()
        .map(PathBuf::from)
        .find(|t| super::runs(t));
    if !super::tool_present("prek or pre-commit on PATH", tool.is_some()) {
        return None;
    }
    tool
}

/// A hooks repository holding this project's `.pre-commit-hooks.yaml` (committed), a
/// `.pre-commit-config.yaml` in `s` naming `hook_ids` of it (staged), and the
/// framework's shims installed for `hook_types` (with git-wo on PATH).
pub fn install(s: &Scenario, tool: &Path, hook_ids: &[&str], hook_types: &[&str]) {
    let hooks_repo = s.tmp.path().join("git-wo-hooks");
    std::fs::create_dir_all(&hooks_repo).expect("mkdir");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
        hooks_repo.join(".pre-commit-hooks.yaml"),
    )
    .expect("copy .pre-commit-hooks.yaml");
    s.git_at(&hooks_repo, &["init", "-q"]);
    s.git_at(&hooks_repo, &["add", "."]);
    s.git_at(
        &hooks_repo,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@e",
            "commit",
            "-q",
            "-m",
            "hooks",
        ],
    );
    let rev = s.git_at(&hooks_repo, &["rev-parse", "HEAD"]);
    let ids: String = hook_ids
        .iter()
        .map(|id| format!("      - id: {id}\n"))
        .collect();
    std::fs::write(
        s.path(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n{ids}",
            hooks_repo.display(),
            rev.trim()
        ),
    )
    .expect("write .pre-commit-config.yaml");
    s.git(&["add", ".pre-commit-config.yaml"]);
    let mut install = Command::new(tool);
    install.current_dir(&s.repo).arg("install");
    for t in hook_types {
        install.args(["--hook-type", t]);
    }
    super::isolate(&mut install, s.tmp.path());
    install.env("PATH", super::path_with_wo());
    let (code, out, err) = super::run(install);
    assert_eq!(code, 0, "{} install: {out}{err}", tool.display());
}
