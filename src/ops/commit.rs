//! `git wo commit`: commit the moves git-wo staged in the control checkout's index
//! (what take, finish, requeue, reconcile, gc and new stage with the default
//! `wo.commit=false`), and nothing else. The paths are those under the jobs dir whose
//! staged version differs from `HEAD`'s; they are committed as the index stages them,
//! through git's plumbing (the same as `wo.commit=true`), so every other staged change
//! stays staged. No hook runs, so the commit gate runs here first: the checks of the
//! pre-commit hook on the staged jobs dir, and the commit-msg hook's refusal of a
//! manual closure.

use anyhow::Result;
use serde::Serialize;

use crate::error::WoError;
use crate::git::Repo;
use crate::git::diff::Changed;
use crate::inventory::{Depth, Inventory, Source};
use crate::model::state::State;
use crate::views::audit::audit;
use crate::views::check::{Scope, fail_on, gate, line};

/// What `git wo commit` committed.
#[derive(Debug, Serialize)]
pub struct Committed {
    pub schema: &'static str,
    /// The new commit (`None`: nothing under the jobs dir was staged).
    pub commit: Option<String>,
    /// The commit's first line.
    pub subject: Option<String>,
    /// Every path it committed (a rename's two sides).
    pub paths: Vec<String>,
}

/// What the control checkout's index stages under the jobs dir, against `HEAD`.
pub fn staged_moves(repo: &Repo) -> Result<Vec<Changed>> {
    let jobs = repo.jobs_rel();
    Ok(crate::git::diff::staged(
        &repo.control_root,
        &repo.control_index_path()?,
        repo.head_commit(),
    )?
    .into_iter()
    .filter(|c| c.paths().any(|p| under(p, &jobs)))
    .collect())
}

/// The staged moves of `id`'s files (`<ID>.yaml`, `<ID>.lock`…), for take and finish to
/// say what they left in the index.
pub fn staged_moves_of(repo: &Repo, id: &str) -> Result<Vec<Changed>> {
    let mine = |p: &str| {
        std::path::Path::new(p)
            .file_stem()
            .is_some_and(|s| s.to_string_lossy() == id)
    };
    Ok(staged_moves(repo)?
        .into_iter()
        .filter(|c| c.paths().any(mine))
        .collect())
}

/// Each staged change for people: a rename, or a removal and an addition of the same
/// file name (a move git does not see as a rename: the YAML changed too much), as
/// `from -> to`; else the path (a removal: `path (removed)`).
pub fn shown_all(moves: &[Changed]) -> Vec<String> {
    let name = |p: &str| std::path::Path::new(p).file_name().map(|n| n.to_owned());
    let mut used = vec![false; moves.len()];
    let mut out = Vec::new();
    for (i, c) in moves.iter().enumerate() {
        if used[i] {
            continue;
        }
        used[i] = true;
        if c.from.is_none() && matches!(c.status, 'A' | 'D') {
            let want = if c.status == 'A' { 'D' } else { 'A' };
            if let Some(j) = (0..moves.len()).find(|&j| {
                !used[j] && moves[j].status == want && name(&moves[j].path) == name(&c.path)
            }) {
                used[j] = true;
                let (from, to) = if c.status == 'D' {
                    (&c.path, &moves[j].path)
                } else {
                    (&moves[j].path, &c.path)
                };
                out.push(format!("{from} -> {to}"));
                continue;
            }
        }
        out.push(shown(c));
    }
    out
}

/// `from -> to` for a rename, else the path (a removal: `path (removed)`).
pub fn shown(c: &Changed) -> String {
    match (&c.from, c.status) {
        (Some(from), _) => format!("{from} -> {}", c.path),
        (None, 'D') => format!("{} (removed)", c.path),
        (None, _) => c.path.clone(),
    }
}

fn under(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// Commit the staged moves under the jobs dir, after the gate passes on them.
pub fn commit(repo: &Repo) -> Result<Committed> {
    let moves = staged_moves(repo)?;
    let mut paths: Vec<String> = moves
        .iter()
        .flat_map(|c| c.paths().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    paths.sort();
    paths.dedup();
    if paths.is_empty() {
        return Ok(Committed {
            schema: "git-wo.commit.v1",
            commit: None,
            subject: None,
            paths,
        });
    }
    refuse_what_the_gate_refuses(repo)?;
    let subject = subject(&moves, &repo.jobs_rel());
    let mut message = format!("{subject}\n\n");
    for line in shown_all(&moves) {
        message.push_str(&format!("{line}\n"));
    }
    let commit = repo.commit_staged_paths(&paths, &message)?;
    Ok(Committed {
        schema: "git-wo.commit.v1",
        commit: Some(commit.to_string()),
        subject: Some(subject),
        paths,
    })
}

/// `wo: WO-0001 to running, WO-0002 to done`: each WO and the folder its file is
/// staged in (`out of pending` for a removal).
fn subject(moves: &[Changed], jobs: &str) -> String {
    let folder = |p: &str| -> Option<State> {
        let rest = p.strip_prefix(jobs)?.strip_prefix('/')?;
        State::parse(rest.split('/').next()?)
    };
    let mut parts: Vec<String> = Vec::new();
    for c in moves {
        let stem = std::path::Path::new(&c.path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if c.path.ends_with(".lock") || stem.starts_with('.') {
            continue;
        }
        // A removal beside an addition of the same WO is its move, named by the latter.
        let moved = |o: &Changed| o.status != 'D' && o.path.ends_with(&format!("/{stem}.yaml"));
        if c.status == 'D' && moves.iter().any(moved) {
            continue;
        }
        let part = match (c.status, folder(&c.path)) {
            ('D', Some(s)) => format!("{stem} out of {s}"),
            (_, Some(s)) => format!("{stem} to {s}"),
            _ => stem,
        };
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    if parts.is_empty() {
        return format!("wo: {jobs}");
    }
    format!("wo: {}", parts.join(", "))
}

/// The pre-commit gate (for the WOs whose files are staged) and commit-msg's manual
/// closures, on what is staged: what a `git commit` would refuse, refused here too.
fn refuse_what_the_gate_refuses(repo: &Repo) -> Result<()> {
    let source = Source::Index;
    let inv = Inventory::gather(repo, source.clone(), Depth::Fields)?;
    let head = repo.head_commit();
    let closures = crate::ops::hooks::closure::find(repo, &inv, head)?;
    let staged = crate::ops::hooks::pre_commit::staged_wos(repo, &inv, &source, head)?;
    let codes = fail_on(repo.config.gate_fail_on.as_deref())?;
    let result = gate(&inv, audit(&inv), &codes, &Scope::Staged(&staged));
    let mut problems: Vec<String> = result.failures.iter().map(line).collect();
    problems.extend(closures.iter().map(|c| c.line()));
    if problems.is_empty() {
        return Ok(());
    }
    Err(WoError::failed(format!(
        "nothing was committed: what is staged under {} would not pass the commit gate:\n{}",
        repo.jobs_rel(),
        problems.join("\n")
    ))
    .fix("run the fixes above, then git wo commit again (git wo check --staged shows them)")
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_names_each_wo_and_where_it_went() {
        let c = |status, path: &str, from: Option<&str>| Changed {
            status,
            path: path.into(),
            from: from.map(Into::into),
        };
        let moves = vec![
            c(
                'R',
                "_ctx/jobs/running/WO-1.yaml",
                Some("_ctx/jobs/pending/WO-1.yaml"),
            ),
            c('A', "_ctx/jobs/pending/WO-2.yaml", None),
            c('D', "_ctx/jobs/pending/WO-3.yaml", None),
        ];
        assert_eq!(
            subject(&moves, "_ctx/jobs"),
            "wo: WO-1 to running, WO-2 to pending, WO-3 out of pending"
        );
        assert!(under("_ctx/jobs/x", "_ctx/jobs") && !under("_ctx/jobsx/y", "_ctx/jobs"));
    }
}
