//! `git wo install-hooks` / `uninstall-hooks` (SPEC §5): the shims go into the hooks
//! directory git really uses; a foreign hook there is kept as `<name>.pre-wo` (the
//! shim runs it first) and put back on uninstall. Installing twice changes nothing.
//! Every check is made before anything is written, so a refusal leaves the folder as
//! it was.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::error::{WoError, shell_quote};
use crate::git::Repo;
use crate::git::hooks_dir::{HookFile, HooksDir, write_executable};
use crate::model::hook_shim::{KEPT_SUFFIX, SHIMS, is_shim};
use crate::ops::quarantine;

#[derive(Debug, Serialize)]
pub struct HookChange {
    pub hook: String,
    pub path: String,
    /// installed, updated, unchanged (install); removed, restored, not_ours, absent
    /// (uninstall).
    pub action: &'static str,
    /// Where a foreign hook is (install: kept as; uninstall: put back from).
    pub kept: Option<String>,
    /// Where an older `<name>.pre-wo` went (`--force`).
    pub quarantined: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct HooksReport {
    pub schema: &'static str,
    pub dir: String,
    /// `core.hooksPath`, when set.
    pub hooks_path: Option<String>,
    pub created_dir: bool,
    pub warnings: Vec<String>,
    pub hooks: Vec<HookChange>,
}

/// What install will do with one hook.
enum Plan {
    Write {
        updated: bool,
    },
    Unchanged,
    /// Keep the foreign hook as `<name>.pre-wo`; with `--force`, an older one there
    /// goes to quarantine first.
    KeepForeign {
        quarantine_old: bool,
    },
}

/// One hook as install found it: its name, the shim to write, where it goes, where a
/// foreign hook is kept, and what install will do.
struct Planned {
    name: &'static str,
    shim: &'static str,
    path: PathBuf,
    kept: PathBuf,
    plan: Plan,
}

/// `git wo install-hooks`: decide for every hook first ([`plan_hook`]), so a refusal
/// changes nothing; then prepare the folder ([`prepare_dir`]) and write each hook
/// ([`apply_hook`]); report.
pub fn install(repo: &Repo, force: bool) -> Result<HooksReport> {
    let dir = repo.hooks_dir();
    let mut warnings = Vec::new();
    let mut planned = Vec::new();
    for (name, shim) in SHIMS {
        let path = dir.hook(name);
        let kept = kept_path(&path);
        let plan = plan_hook(name, shim, &path, &kept, force, &mut warnings)?;
        planned.push(Planned {
            name,
            shim,
            path,
            kept,
            plan,
        });
    }
    let created_dir = prepare_dir(&dir, &mut warnings)?;
    let mut hooks = Vec::new();
    let mut qdir: Option<PathBuf> = None;
    for p in planned {
        hooks.push(apply_hook(repo, p, &mut qdir)?);
    }
    Ok(report(&dir, created_dir, warnings, hooks))
}

/// Decide one hook: none there, write it; git-wo's shim, leave it or update it; a
/// foreign hook is kept aside as `<name>.pre-wo` (not a file or symlink: refused; an
/// older `.pre-wo` there: refused without `--force`, quarantined with it).
fn plan_hook(
    name: &str,
    shim: &str,
    path: &Path,
    kept: &Path,
    force: bool,
    warnings: &mut Vec<String>,
) -> Result<Plan> {
    match HookFile::read(path) {
        HookFile::Missing => Ok(Plan::Write { updated: false }),
        HookFile::File { bytes, executable } if is_shim(&bytes) => {
            if bytes == shim.as_bytes() && executable {
                Ok(Plan::Unchanged)
            } else {
                Ok(Plan::Write { updated: true })
            }
        }
        HookFile::Other(what) if what != "a symlink" => Err(WoError::usage(format!(
            "{} is {what}: not a hook git-wo can keep aside",
            path.display()
        ))
        .fix(format!(
            "move it out of the way (mv -- {} /tmp/), then: git wo install-hooks",
            shell_quote(&path.to_string_lossy())
        ))
        .into()),
        foreign => {
            if let HookFile::File {
                executable: false, ..
            } = foreign
            {
                warnings.push(format!(
                    "{} is not executable, so git never ran it; it is kept as {} and still not run",
                    path.display(),
                    kept.display()
                ));
            }
            let old = !matches!(HookFile::read(kept), HookFile::Missing);
            if old && !force {
                return Err(WoError::usage(format!(
                    "{name}: both {} and {} are hooks that are not git-wo's; keeping the first aside would replace the second",
                    path.display(),
                    kept.display()
                ))
                .fix(format!(
                    "merge them into {}, or run git wo install-hooks --force (the older {} goes to quarantine)",
                    shell_quote(&path.to_string_lossy()),
                    shell_quote(&kept.to_string_lossy())
                ))
                .into());
            }
            Ok(Plan::KeepForeign {
                quarantine_old: old,
            })
        }
    }
}

/// The hooks folder: created when missing (a configured `core.hooksPath` that did not
/// exist meant git ran no hook at all: said); a relative `core.hooksPath` is said too.
/// Whether it was created.
fn prepare_dir(dir: &HooksDir, warnings: &mut Vec<String>) -> Result<bool> {
    let created_dir = !dir.exists();
    if created_dir {
        if let Some(conf) = &dir.configured {
            warnings.push(format!(
                "core.hooksPath is {conf}, a folder that did not exist, so git ran no hook at all; created {}",
                dir.path.display()
            ));
        }
        std::fs::create_dir_all(&dir.path)
            .with_context(|| format!("creating the hooks folder {}", dir.path.display()))?;
    }
    if dir.configured.as_deref().is_some_and(is_relative) {
        warnings.push(format!(
            "core.hooksPath is relative ({}): each worktree looks for hooks in its own copy of that folder; installed in the control checkout's, where the gate applies",
            dir.configured.as_deref().unwrap_or_default()
        ));
    }
    Ok(created_dir)
}

/// Do what was decided for one hook; `qdir`: this run's quarantine folder, made on
/// first use.
fn apply_hook(repo: &Repo, p: Planned, qdir: &mut Option<PathBuf>) -> Result<HookChange> {
    let Planned {
        name,
        shim,
        path,
        kept,
        plan,
    } = p;
    let mut change = HookChange {
        hook: name.to_owned(),
        path: path.display().to_string(),
        action: "installed",
        kept: None,
        quarantined: None,
    };
    match plan {
        Plan::Unchanged => change.action = "unchanged",
        Plan::Write { updated } => {
            if updated {
                change.action = "updated";
            }
            write_executable(&path, shim.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
        }
        Plan::KeepForeign { quarantine_old } => {
            if quarantine_old {
                change.quarantined = Some(quarantine_old_kept(repo, name, &path, &kept, qdir)?);
            }
            std::fs::rename(&path, &kept)
                .with_context(|| format!("keeping {} as {}", path.display(), kept.display()))?;
            change.kept = Some(kept.display().to_string());
            write_executable(&path, shim.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(change)
}

/// `--force`: the older `<name>.pre-wo` into quarantine, restorable with `git wo
/// reconcile --restore <stamp>`. Where it went.
fn quarantine_old_kept(
    repo: &Repo,
    name: &str,
    path: &Path,
    kept: &Path,
    qdir: &mut Option<PathBuf>,
) -> Result<String> {
    let q = qdir
        .get_or_insert_with(|| {
            quarantine::root(&repo.wo_dir()).join(quarantine::new_stamp(crate::clock::now()))
        })
        .clone();
    let stored = format!("files/hooks/{name}{KEPT_SUFFIX}");
    let mut entry = quarantine::Entry {
        wo_id: String::new(),
        stored: stored.clone(),
        code: "install_hooks".into(),
        reason: format!("replaced by {} (install-hooks --force)", path.display()),
        bytes: std::fs::symlink_metadata(kept).map_or(0, |m| m.len()),
        at: crate::clock::now().to_rfc3339(),
        ..quarantine::Entry::default()
    };
    entry.set_from(kept);
    quarantine::put(Path::new("/"), &q, kept, &entry)?;
    Ok(q.join(stored).display().to_string())
}

/// `git wo uninstall-hooks`: git-wo's shims removed, a kept foreign hook put back.
pub fn uninstall(repo: &Repo) -> Result<HooksReport> {
    let dir = repo.hooks_dir();
    let mut warnings = Vec::new();
    let mut hooks = Vec::new();
    for (name, _) in SHIMS {
        let path = dir.hook(name);
        let kept = kept_path(&path);
        let has_kept = !matches!(HookFile::read(&kept), HookFile::Missing);
        let mut change = HookChange {
            hook: name.to_owned(),
            path: path.display().to_string(),
            action: "absent",
            kept: None,
            quarantined: None,
        };
        match HookFile::read(&path) {
            HookFile::File { bytes, .. } if is_shim(&bytes) => {
                std::fs::remove_file(&path)
                    .with_context(|| format!("removing {}", path.display()))?;
                change.action = "removed";
            }
            HookFile::Missing => {}
            _ => {
                change.action = "not_ours";
                if has_kept {
                    warnings.push(format!(
                        "{} is not git-wo's and {} exists too: both left as they are",
                        path.display(),
                        kept.display()
                    ));
                }
            }
        }
        if change.action != "not_ours" && has_kept {
            std::fs::rename(&kept, &path).with_context(|| {
                format!("putting {} back as {}", kept.display(), path.display())
            })?;
            change.action = "restored";
            change.kept = Some(kept.display().to_string());
        }
        hooks.push(change);
    }
    Ok(report(&dir, false, warnings, hooks))
}

fn report(
    dir: &HooksDir,
    created_dir: bool,
    warnings: Vec<String>,
    hooks: Vec<HookChange>,
) -> HooksReport {
    HooksReport {
        schema: "git-wo.hooks.v1",
        dir: dir.path.display().to_string(),
        hooks_path: dir.configured.clone(),
        created_dir,
        warnings,
        hooks,
    }
}

fn kept_path(hook: &Path) -> PathBuf {
    let mut name = hook.file_name().unwrap_or_default().to_os_string();
    name.push(KEPT_SUFFIX);
    hook.with_file_name(name)
}

fn is_relative(p: &str) -> bool {
    !p.starts_with('/') && !p.starts_with("~/")
}
