//! The hooks as installed: for the `hooks_missing` finding.

use std::path::PathBuf;

use crate::git::Repo;
use crate::git::hooks_dir::HookFile;
use crate::model::config::GateHooks;
use crate::model::hook_shim::{SHIMS, is_shim};

#[derive(Debug, Clone)]
pub struct HookFacts {
    /// The hooks directory git uses.
    pub dir: PathBuf,
    /// `core.hooksPath`, when set.
    pub configured: Option<String>,
    pub dir_exists: bool,
    /// Each hook git-wo installs, as found.
    pub files: Vec<(&'static str, HookFile)>,
    /// Whether `git-wo` is on `PATH` (the shims run it from there).
    pub on_path: bool,
    /// `wo.gate.hooks`.
    pub expected: GateHooks,
    /// Whether `.pre-commit-config.yaml` in the control checkout names the `wo-gate` hook.
    pub framework_configured: bool,
}

impl Default for HookFacts {
    fn default() -> HookFacts {
        HookFacts {
            dir: PathBuf::new(),
            configured: None,
            dir_exists: false,
            files: Vec::new(),
            on_path: false,
            expected: GateHooks::None,
            framework_configured: false,
        }
    }
}

impl HookFacts {
    pub fn read(repo: &Repo) -> HookFacts {
        let dir = repo.hooks_dir();
        let expected = repo.config.gate_hooks;
        HookFacts {
            expected,
            framework_configured: expected == GateHooks::Framework
                && crate::regular::bytes(
                    &repo.control_root.join(".pre-commit-config.yaml"),
                    crate::model::order::MAX_YAML_BYTES,
                )
                .is_some_and(|t| String::from_utf8_lossy(&t).contains("wo-gate")),
            dir_exists: dir.exists(),
            files: SHIMS
                .iter()
                .map(|(name, _)| (*name, HookFile::read(&dir.hook(name))))
                .collect(),
            dir: dir.path,
            configured: dir.configured,
            on_path: on_path("git-wo"),
        }
    }

    /// The hooks that are not git-wo's shims, or not executable (with
    /// `wo.gate.hooks=framework`: the pre-commit hook, when there is no executable one).
    pub fn missing(&self) -> Vec<&'static str> {
        self.files
            .iter()
            .filter(|(name, f)| match self.expected {
                GateHooks::GitWo => {
                    !matches!(f, HookFile::File { bytes, executable: true } if is_shim(bytes))
                }
                GateHooks::Framework => {
                    *name == "pre-commit"
                        && !matches!(
                            f,
                            HookFile::File {
                                executable: true,
                                ..
                            }
                        )
                }
                GateHooks::None => false,
            })
            .map(|(n, _)| *n)
            .collect()
    }
}

/// Whether an executable `name` is in one of `PATH`'s folders (links followed).
fn on_path(name: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|d| {
        std::fs::metadata(d.join(name))
            .is_ok_and(|m| m.is_file() && crate::git::hooks_dir::is_executable(&m))
    })
}
