//! `git wo fmt`: the top-level keys of WO files in the original formatter's order
//! ([`crate::model::key_order`]), each block moved whole, no other byte changed.
//!
//! A file is rewritten only while it still holds the bytes the inventory read
//! ([`Jobs::replace_if_same`]): one a take or finish moved meanwhile is never written
//! back into its old folder, one edited meanwhile is left alone. The rewritten files
//! are staged as the journal stages its edits (when tracked, in the index or in
//! `HEAD`), and committed with `wo.commit`, as a commit of their own.

use std::collections::BTreeSet;

use anyhow::Result;
use serde::Serialize;

use crate::git::Repo;
use crate::inventory::{Depth, Inventory, Source};
use crate::model::key_order::reorder;
use crate::model::wo_id::WoId;
use crate::ops::jobs::{Jobs, Replaced};

/// One file fmt reordered (or, with `--check`, would reorder).
#[derive(Debug, Clone, Serialize)]
pub struct FileRef {
    pub wo_id: Option<String>,
    pub path: String,
}

/// A file fmt left as it is, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub wo_id: Option<String>,
    pub path: String,
    pub why: String,
}

#[derive(Debug, Serialize)]
pub struct Formatted {
    pub schema: &'static str,
    /// `--check`: nothing was written.
    pub check: bool,
    /// Live WO files looked at.
    pub checked: usize,
    /// Files out of order: reordered (or, with `--check`, to reorder).
    pub reordered: Vec<FileRef>,
    pub skipped: Vec<Skipped>,
    /// Rewritten files that were tracked, staged.
    pub staged: Vec<String>,
    /// With `wo.commit`: the commit that holds them.
    pub committed: Option<String>,
}

/// Which files fmt looks at: the live files of `ids` and the live files at `paths`
/// (relative to the control checkout; other paths are ignored, so that a hook can pass
/// every staged path); with `everything`, every live file.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub everything: bool,
    pub ids: Vec<WoId>,
    pub paths: Vec<std::path::PathBuf>,
}

/// Reorder (or, with `check`, only find) the selected live files. The phases: gather
/// (which files are live comes from the cached fields; only the selected files are
/// read, so a hook checking the two files of a commit reads two files), refuse an id
/// with no live file ([`Inventory::require_live`]), look at each selected file
/// ([`one_file`]), stage what was rewritten.
pub fn fmt(repo: &Repo, only: &Selection, check: bool) -> Result<Formatted> {
    let inv = Inventory::gather(repo, Source::WorkingTree, Depth::Fields)?;
    inv.require_live(&only.ids)?;
    let jobs = Jobs::new(&repo.control_root, &inv.jobs_rel);
    let mut out = Formatted {
        schema: "git-wo.fmt.v1",
        check,
        checked: 0,
        reordered: Vec::new(),
        skipped: Vec::new(),
        staged: Vec::new(),
        committed: None,
    };
    let mut written: Vec<(String, Option<String>)> = Vec::new();
    for f in inv.files.iter().filter(|f| !f.archived) {
        let rel_path = f.rel_path();
        if !only.everything
            && !f.id.as_ref().is_some_and(|i| only.ids.contains(i))
            && !only.paths.contains(&rel_path)
        {
            continue;
        }
        out.checked += 1;
        let path = inv.rel(&rel_path);
        let wo_id = f.id.as_ref().map(ToString::to_string);
        match one_file(repo, &jobs, &rel_path, check)? {
            Looked::InOrder => {}
            Looked::Skipped(why) => out.skipped.push(Skipped { wo_id, path, why }),
            Looked::Reordered { written: w } => {
                if w {
                    written.push((path.clone(), wo_id.clone()));
                }
                out.reordered.push(FileRef { wo_id, path });
            }
        }
    }
    if !written.is_empty() {
        stage(repo, &written, &mut out);
    }
    Ok(out)
}

/// What fmt found in one file.
enum Looked {
    InOrder,
    /// Left as it is, and why.
    Skipped(String),
    /// Out of order: rewritten (`written`), or only found with `--check`.
    Reordered {
        written: bool,
    },
}

/// Read `rel` (a regular file of a WO's size, UTF-8), reorder its keys, and unless
/// `check`, write the new bytes while the file still holds the ones read.
fn one_file(repo: &Repo, jobs: &Jobs, rel: &std::path::Path, check: bool) -> Result<Looked> {
    use crate::regular::Regular;
    let bytes = match crate::regular::read(
        &repo.control_root.join(rel),
        crate::model::order::MAX_YAML_BYTES,
    ) {
        Ok(Regular::Bytes(b, _)) => b,
        Ok(Regular::TooLarge(n, _)) => {
            return Ok(Looked::Skipped(format!(
                "it is {n} bytes, larger than a WO may be"
            )));
        }
        Ok(Regular::Not(what)) => return Ok(Looked::Skipped(format!("it is {what}"))),
        Err(e) => return Ok(Looked::Skipped(format!("it cannot be read: {e}"))),
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Ok(Looked::Skipped("it is not UTF-8".into()));
    };
    let new = match reorder(text) {
        Ok(None) => return Ok(Looked::InOrder),
        Ok(Some(new)) => new,
        Err(why) => return Ok(Looked::Skipped(why)),
    };
    if check {
        return Ok(Looked::Reordered { written: false });
    }
    Ok(match jobs.replace_if_same(rel, &bytes, new.as_bytes())? {
        Replaced::Yes => Looked::Reordered { written: true },
        Replaced::Gone => {
            Looked::Skipped("it was moved while fmt ran (run git wo fmt again)".into())
        }
        Replaced::Changed => {
            Looked::Skipped("it was edited while fmt ran (run git wo fmt again)".into())
        }
        Replaced::NotAFile => Looked::Skipped("it is not a regular file (a symlink?)".into()),
    })
}

/// Stage the rewritten files that are tracked (in the index or in `HEAD`), as the
/// journal stages its edits, and commit them with `wo.commit`. The files are written
/// by then, so a failure here is a warning with the command that finishes it.
fn stage(repo: &Repo, written: &[(String, Option<String>)], out: &mut Formatted) {
    let tracked = || -> Result<Vec<String>> {
        let index = crate::git::index::Staged::read(&repo.control_index_path()?)?;
        let head = repo.head_commit();
        let mut paths = Vec::new();
        for (p, _) in written {
            let in_head = match head {
                Some(h) => repo.path_in(h, p)?,
                None => false,
            };
            if index.tracks(p) || in_head {
                paths.push(p.clone());
            }
        }
        Ok(paths)
    };
    let result = tracked().and_then(|paths| {
        if paths.is_empty() {
            return Ok(());
        }
        repo.stage(&paths)?;
        out.staged = paths.clone();
        if repo.config.commit {
            let ids: BTreeSet<&str> = written
                .iter()
                .filter(|(p, _)| paths.contains(p))
                .filter_map(|(_, id)| id.as_deref())
                .collect();
            let message = format!(
                "wo: fmt {}\n",
                ids.iter().copied().collect::<Vec<_>>().join(" ")
            );
            out.committed = Some(repo.commit_paths(&paths, &message)?.to_string());
        }
        Ok(())
    });
    if let Err(e) = result {
        let quoted: Vec<String> = written
            .iter()
            .map(|(p, _)| crate::error::shell_quote(p))
            .collect();
        eprintln!(
            "warning: the files are reordered but could not be {}: {e:#} (fix: git add -- {})",
            if repo.config.commit {
                "staged and committed"
            } else {
                "staged"
            },
            quoted.join(" ")
        );
    }
}
