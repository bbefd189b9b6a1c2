//! `git wo agent-setup <agent>`: write a coding agent's start, finish and repair
//! commands ([`crate::model::agent_files`]) into the control checkout. A file that is
//! there already and says the same is left alone; one that differs is never replaced
//! without `force`: then nothing at all is written and the differences are returned,
//! as unified diffs, for the caller to show. Something that is not a regular file
//! (a folder, a symlink) where a command file goes is never written through, even with
//! `force`. Each file is written atomically (a temp file renamed into place).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::error::WoError;
use crate::git::Repo;
use crate::model::agent_files::{Agent, files};
use crate::model::line_diff::unified;

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Created,
    Unchanged,
    /// It differed and `force` replaced it.
    Replaced,
    /// It differs and was left as it is (no `force`).
    Differs,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileOutcome {
    pub path: String,
    pub action: Action,
    /// For a file that differs: the unified diff from it to what would be written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Setup {
    pub schema: &'static str,
    pub agent: &'static str,
    pub files: Vec<FileOutcome>,
    /// False when a file differs and nothing was written.
    pub written: bool,
}

/// The largest file read to compare with (a command file is a few KiB).
const MAX_BYTES: u64 = 1024 * 1024;

pub fn setup(repo: &Repo, agent: Agent, force: bool) -> Result<Setup> {
    let wanted = files(agent).map_err(|e| {
        WoError::failed(format!("agent-setup's own templates are broken: {e}"))
            .fix("reinstall git-wo (./install.sh) from a clean checkout")
    })?;
    let root = &repo.control_root;
    let mut out = Setup {
        schema: "git-wo.agent-setup.v1",
        agent: agent.name(),
        files: Vec::with_capacity(wanted.len()),
        written: false,
    };
    for f in &wanted {
        let path = root.join(&f.path);
        let (action, diff) = match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Action::Created, None),
            Err(e) => {
                return Err(anyhow::Error::from(e).context(format!("reading {}", path.display())));
            }
            Ok(meta) if !meta.file_type().is_file() => {
                return Err(WoError::failed(format!(
                    "{} is {}, not a file: agent-setup never writes through it",
                    f.path,
                    crate::folder_entries::EntryType::of(&meta).what()
                ))
                .fix(format!(
                    "move it away (mv -- {} {}.orig), then: git wo agent-setup {}",
                    crate::error::shell_quote(&f.path),
                    crate::error::shell_quote(&f.path),
                    agent.name()
                ))
                .into());
            }
            Ok(_) => {
                let old = crate::regular::bytes(&path, MAX_BYTES).unwrap_or_default();
                if old == f.text.as_bytes() {
                    (Action::Unchanged, None)
                } else {
                    let old = String::from_utf8_lossy(&old);
                    let diff = unified(
                        &old,
                        &f.text,
                        &format!("a/{}", f.path),
                        &format!("b/{}", f.path),
                    );
                    (
                        if force {
                            Action::Replaced
                        } else {
                            Action::Differs
                        },
                        Some(diff),
                    )
                }
            }
        };
        out.files.push(FileOutcome {
            path: f.path.clone(),
            action,
            diff,
        });
    }
    if out.files.iter().any(|f| f.action == Action::Differs) {
        return Ok(out);
    }
    for (f, o) in wanted.iter().zip(&out.files) {
        if matches!(o.action, Action::Created | Action::Replaced) {
            write_atomically(&root.join(&f.path), f.text.as_bytes())?;
        }
    }
    out.written = true;
    Ok(out)
}

/// Write `bytes` to `path` through a synced temp file in its folder.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().context("a command file has no folder")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".git-wo-")
        .suffix(".tmp")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .tempfile_in(dir)
        .with_context(|| format!("creating a temp file in {}", dir.display()))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("writing {}", path.display()))?;
    crate::ops::jobs::sync_dir(Some(dir))
}
