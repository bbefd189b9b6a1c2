//! The index other tools read, `_ctx/index/wo_worktrees.json`, in the original
//! exporter's shape (`trifecta.sidecar.wo_index.v1`): a pure function of the inventory
//! and the commits the worktrees' branches point at.
//!
//! One entry per WO with a readable live copy, in id order (the original wrote one per
//! file): the copy in the WO's state (its record's, else the precedence rules'), the
//! worktree it owns (by the ownership rules, wherever it is), and the first P0 or P1
//! finding of audit about it as `last_error`. Missing values are written as the
//! original wrote them: `priority` "medium", `owner`, `epic_id` and `created_at` "",
//! `closed_at`, `worktree_head_sha` and `last_error` null. Paths are relative to the
//! control checkout. Files that cannot be read are listed in `errors`.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::git::worktrees::{Head, Worktree};
use crate::inventory::{Inventory, WoView};
use crate::model::finding::{Finding, Severity};
use crate::model::order::{Field, OrderFile};
use crate::model::record::Record;
use crate::model::wo_id::WoId;

/// Where the index is written, relative to the control checkout.
pub const INDEX_FILE: &str = "_ctx/index/wo_worktrees.json";

/// The `schema` field readers check.
pub const SCHEMA: &str = "trifecta.sidecar.wo_index.v1";

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WoIndex {
    pub version: u32,
    pub schema: String,
    pub generated_at: String,
    pub repo_root: String,
    pub git_head_sha_repo_root: Option<String>,
    pub work_orders: Vec<Entry>,
    pub errors: Vec<String>,
}

/// One WO.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub title: String,
    pub status: String,
    pub priority: String,
    pub owner: String,
    pub epic_id: String,
    pub worktree_path: String,
    pub worktree_exists: bool,
    pub branch: String,
    pub worktree_head_sha: Option<String>,
    pub wo_yaml_path: String,
    pub created_at: String,
    pub closed_at: Option<String>,
    pub last_error: Option<String>,
}

/// What the index needs beyond the inventory.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Where new worktrees go (`wo.worktreeDir`, relative to the control checkout or
    /// absolute): a WO without a worktree is shown at `<dir>/<ID>`, as the original
    /// inferred it.
    pub worktree_dir: String,
    /// The commit each worktree's branch points at, by branch name.
    pub branch_tips: BTreeMap<String, String>,
}

/// The index of `inv`.
pub fn index(inv: &Inventory, facts: &Facts) -> WoIndex {
    let wos = inv.wos();
    let findings = crate::views::audit::audit_of(inv, &wos);
    let last_error = last_errors(&findings);
    let work_orders = wos
        .iter()
        .filter_map(|(id, v)| entry(inv, facts, id, v, last_error.get(id.as_str())))
        .collect();
    let errors = inv
        .files
        .iter()
        .filter(|f| !f.archived)
        .filter_map(|f| {
            let why = f.problem()?;
            Some(format!("Failed to load {}: {why}", inv.rel(f.rel_path())))
        })
        .collect();
    WoIndex {
        version: 1,
        schema: SCHEMA.to_owned(),
        generated_at: crate::model::when::shown(inv.now),
        repo_root: inv.control_root.to_string_lossy().into_owned(),
        git_head_sha_repo_root: inv.git_head.clone(),
        work_orders,
        errors,
    }
}

/// Each WO's most severe P0 or P1 finding, as `<code>: <message>`.
fn last_errors(findings: &[Finding]) -> BTreeMap<&str, String> {
    let mut last_error: BTreeMap<&str, String> = BTreeMap::new();
    // Findings come most severe first.
    for f in findings.iter().filter(|f| f.severity <= Severity::P1) {
        if let Some(id) = f.wo_id.as_deref() {
            last_error
                .entry(id)
                .or_insert_with(|| format!("{}: {}", f.code, f.message));
        }
    }
    last_error
}

/// The index entry of a WO with a live file: the one in its target state, else its
/// first.
fn entry(
    inv: &Inventory,
    facts: &Facts,
    id: &WoId,
    v: &WoView<'_>,
    last_error: Option<&String>,
) -> Option<Entry> {
    let first = v.files().first()?;
    let state = crate::views::precedence::target_state(inv, v);
    let file = state.and_then(|s| v.file_in(s)).unwrap_or(first);
    let record = v.record.map(|s| &s.record);
    let text = |field: Field| file.fields.get(field).map(str::to_owned);
    let worktree = v.worktrees().iter().find(|w| w.exists);
    let worktree_head_sha = worktree.and_then(|w| match &w.head {
        Head::Branch(b) => facts.branch_tips.get(b).cloned(),
        Head::Detached(sha) => Some(sha.clone()),
        Head::Unknown => None,
    });
    let status = state
        .map(|s| s.as_str().to_owned())
        .or_else(|| file.fields.status().map(str::to_owned))
        .unwrap_or_else(|| "pending".into());
    let finished = matches!(status.as_str(), "done" | "failed");
    Some(Entry {
        id: id.to_string(),
        title: Some(file.title())
            .filter(|t| !t.is_empty())
            .or_else(|| record.map(|r| r.title().to_string()))
            .unwrap_or_default(),
        status,
        priority: file.priority().unwrap_or_else(|| "medium".into()),
        owner: file
            .owner()
            .or_else(|| record.and_then(|r| r.lock.as_ref().map(|l| l.owner.clone())))
            .unwrap_or_default(),
        epic_id: file.epic().unwrap_or_default(),
        worktree_path: worktree_path(inv, facts, id, file, record, worktree.copied()),
        worktree_exists: worktree.is_some(),
        branch: inv.expected_branch(id, v),
        worktree_head_sha,
        wo_yaml_path: inv.rel(file.rel_path()),
        created_at: text(Field::CreatedAt).unwrap_or_default(),
        closed_at: text(Field::ClosedAt).or_else(|| finished.then(|| file.finished_at()).flatten()),
        last_error: last_error.cloned(),
    })
}

/// Where a WO's worktree is, relative to the control checkout: the one it owns, else
/// the path its YAML or record names, else `<wo.worktreeDir>/<ID>`.
fn worktree_path(
    inv: &Inventory,
    facts: &Facts,
    id: &WoId,
    file: &OrderFile,
    record: Option<&Record>,
    worktree: Option<&Worktree>,
) -> String {
    let root = &inv.control_root;
    if let Some(w) = worktree {
        return relative(&w.path, root);
    }
    let recorded = file
        .worktree()
        .or_else(|| record.and_then(|r| r.worktree().map(str::to_owned)))
        .unwrap_or_else(|| format!("{}/{id}", facts.worktree_dir));
    if Path::new(&recorded).is_absolute() {
        relative(Path::new(&recorded), root)
    } else {
        recorded
    }
}

/// `path` relative to `base` (both absolute), with `..` where it leaves `base`, as
/// `os.path.relpath` writes it.
pub fn relative(path: &Path, base: &Path) -> String {
    let p: Vec<Component<'_>> = path.components().collect();
    let b: Vec<Component<'_>> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c.as_os_str());
    }
    if out.as_os_str().is_empty() {
        ".".into()
    } else {
        out.to_string_lossy().into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::order::OrderFile;
    use crate::model::state::State;

    #[test]
    fn relative_paths_as_relpath_writes_them() {
        let root = Path::new("/home/a/src/app");
        assert_eq!(
            relative(Path::new("/home/a/src/app.worktrees/WO-1"), root),
            "../app.worktrees/WO-1"
        );
        assert_eq!(relative(Path::new("/home/a/src/app/x/y"), root), "x/y");
        assert_eq!(relative(root, root), ".");
    }

    #[test]
    fn missing_values_are_written_as_the_original_wrote_them() {
        let inv = Inventory::from_files(
            Path::new("/repo"),
            vec![OrderFile::in_folder(
                State::Pending,
                "WO-0001.yaml",
                "version: 1\nid: WO-0001\ntitle: t\nstatus: pending\n",
            )],
            crate::clock::now(),
        );
        let facts = Facts {
            worktree_dir: "../repo.worktrees".into(),
            ..Facts::default()
        };
        let ix = index(&inv, &facts);
        let e = &ix.work_orders[0];
        assert_eq!(
            (
                e.priority.as_str(),
                e.owner.as_str(),
                e.epic_id.as_str(),
                e.created_at.as_str()
            ),
            ("medium", "", "", "")
        );
        assert_eq!(e.worktree_path, "../repo.worktrees/WO-0001");
        assert_eq!(e.branch, "feat/wo-WO-0001");
        assert!(!e.worktree_exists && e.closed_at.is_none() && e.last_error.is_none());
    }
}
