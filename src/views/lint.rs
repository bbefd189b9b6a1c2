//! `lint`: schema and semantic checks of WO YAML (what `take` runs first).

use std::collections::BTreeSet;

use serde::Serialize;
use serde_yaml::Value;

use crate::inventory::Inventory;
use crate::model::finding::Code;
use crate::model::order::{OrderFile, REQUIRED_KEYS};
use crate::model::wo_id::WoId;

#[derive(Debug, Clone, Serialize)]
pub struct LintProblem {
    pub wo_id: Option<String>,
    pub path: String,
    pub problem: String,
    pub fix: String,
    /// The finding code of a problem audit reports too (`unknown_dod`, `invalid_dod`,
    /// `unknown_epic`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
}

/// Problems of the live files (and unusable ones) whose id is in `only`, or of all.
pub fn lint(inv: &Inventory, only: &[WoId]) -> (usize, Vec<LintProblem>) {
    let known = inv.known_ids();
    let mut checked = 0;
    let mut out = Vec::new();
    for f in inv.files.iter().filter(|f| !f.archived) {
        if !only.is_empty() && !f.id.as_ref().is_some_and(|i| only.contains(i)) {
            continue;
        }
        checked += 1;
        lint_file(inv, f, &known, &mut out);
    }
    // A malformed catalog concerns every WO that names one of its entries.
    for (path, why) in inv.dod.invalid() {
        out.push(LintProblem {
            wo_id: None,
            path: path.to_owned(),
            problem: format!("invalid_dod: not a DoD catalog: {why}"),
            fix: format!(
                "fix {} (dod: [{{id, title, required_artifacts: [...], required_checks: [{{name, commands}}], rules}}])",
                crate::error::shell_quote(path)
            ),
            code: Some(Code::InvalidDod.as_str()),
        });
    }
    if let crate::model::backlog::Backlog::Invalid { path, why } = &inv.backlog {
        out.push(LintProblem {
            wo_id: None,
            path: path.clone(),
            problem: format!("not a backlog: {why} (epic ids are not checked until it is fixed)"),
            fix: format!(
                "fix {} (epics: [{{id: E-…}}, …])",
                crate::error::shell_quote(path)
            ),
            code: None,
        });
    }
    (checked, out)
}

pub fn lint_file(
    inv: &Inventory,
    f: &OrderFile,
    known: &BTreeSet<&str>,
    out: &mut Vec<LintProblem>,
) {
    let raw_path = inv.rel(f.rel_path());
    let mut p = Problems {
        // In fix lines the path is quoted for the shell.
        path: crate::error::shell_quote(&raw_path),
        raw_path,
        wo_id: f.id.as_ref().map(|i| i.to_string()),
        out,
    };
    if let Some(problem) = f.problem() {
        let fix = format!("edit {}", p.path);
        p.push(problem.to_string(), fix);
        return;
    }
    let Some(doc) = f.doc() else { return };
    shape(f, doc, &mut p);
    status(f, &mut p);
    catalogs(inv, f, doc, &mut p);
    dependencies_and_verify(f, doc, known, &mut p);
}

/// Where one file's problems go, with its id and path.
struct Problems<'a> {
    wo_id: Option<String>,
    raw_path: String,
    /// `raw_path` quoted for the shell, as fix lines print it.
    path: String,
    out: &'a mut Vec<LintProblem>,
}

impl Problems<'_> {
    fn push(&mut self, problem: String, fix: String) {
        self.coded(None, problem, fix);
    }

    fn coded(&mut self, code: Option<Code>, problem: String, fix: String) {
        self.out.push(LintProblem {
            wo_id: self.wo_id.clone(),
            path: self.raw_path.clone(),
            problem,
            fix,
            code: code.map(Code::as_str),
        });
    }
}

/// The file as git-wo edits it: block style, a valid branch, the required keys, an
/// integer version, scalar fields that are set.
fn shape(f: &OrderFile, doc: &serde_yaml::Mapping, p: &mut Problems<'_>) {
    let path = p.path.clone();
    if let Some(why) = f.text().and_then(crate::model::yaml_edit::uneditable) {
        p.push(
            format!("git wo cannot edit it safely: {why}"),
            format!("rewrite {path} in block style (`key: value` lines, one document)"),
        );
    }
    if let Some(Value::String(b)) = doc.get("branch")
        && let Some(why) = crate::model::branch::problem(b)
    {
        p.push(
            why,
            format!("fix `branch:` in {path} (or remove it for the default)"),
        );
    }
    for key in REQUIRED_KEYS {
        if !doc.contains_key(key) {
            p.push(
                format!("missing required key `{key}`"),
                format!("add `{key}:` to {path}"),
            );
        }
    }
    if let Some(v) = doc.get("version")
        && !matches!(v, Value::Number(n) if n.is_u64() || n.is_i64())
    {
        p.push(
            "`version` is not an integer".into(),
            format!("set `version: 1` in {path}"),
        );
    }
    for key in ["title", "epic_id", "priority", "dod_id"] {
        if let Some(v) = doc.get(key) {
            let empty = match v {
                Value::String(s) => s.trim().is_empty(),
                Value::Null => true,
                Value::Number(_) | Value::Bool(_) => false,
                _ => true,
            };
            if empty {
                p.push(
                    format!("`{key}` is empty or not a scalar"),
                    format!("set `{key}:` in {path}"),
                );
            }
        }
    }
}

/// `status:` says the folder the file is in.
fn status(f: &OrderFile, p: &mut Problems<'_>) {
    let path = p.path.clone();
    match f.status() {
        Ok(s) if s == f.folder => {}
        Ok(s) => p.push(
            format!("`status: {s}` but the file is in {}/", f.folder),
            format!("set `status: {}` in {path}", f.folder),
        ),
        Err(Some(raw)) => p.push(
            format!(
                "`status: {}` is not pending, running, done or failed",
                crate::model::wo_id::printable(&raw)
            ),
            format!("set `status: {}` in {path}", f.folder),
        ),
        Err(None) => {}
    }
}

/// `dod_id` and `epic_id` name entries of the DoD catalog and the backlog.
fn catalogs(inv: &Inventory, f: &OrderFile, doc: &serde_yaml::Mapping, p: &mut Problems<'_>) {
    let path = p.path.clone();
    if let Some(Value::String(dod_id)) = doc.get("dod_id")
        && inv.dod.is_unknown(dod_id.trim())
    {
        let dod_id = dod_id.trim();
        p.coded(
            Some(Code::UnknownDod),
            format!(
                "unknown_dod: dod_id {} names no entry of the _ctx/dod catalog (it has: {})",
                crate::model::wo_id::printable(dod_id),
                inv.dod.ids().join(", ")
            ),
            format!(
                "set dod_id: in {path} to an entry of _ctx/dod/*.yaml, or add {} to the catalog",
                crate::error::shell_quote(dod_id)
            ),
        );
    }
    if let Some(epic_id) = f.epic()
        && inv.backlog.is_unknown(epic_id.trim())
    {
        let epic_id = epic_id.trim();
        p.coded(
            Some(Code::UnknownEpic),
            format!(
                "unknown_epic: epic_id {} names no epic of {} (it has: {})",
                crate::model::wo_id::printable(epic_id),
                inv.backlog.path().unwrap_or_default(),
                inv.backlog.ids().join(", ")
            ),
            format!(
                "set epic_id: in {path} to an epic of {}, or add {{id: {}}} to its epics",
                inv.backlog.path().unwrap_or_default(),
                crate::error::shell_quote(epic_id)
            ),
        );
    }
}

/// `dependencies` is a list of existing WOs other than this one; `verify.commands` is
/// a list.
fn dependencies_and_verify(
    f: &OrderFile,
    doc: &serde_yaml::Mapping,
    known: &BTreeSet<&str>,
    p: &mut Problems<'_>,
) {
    let path = p.path.clone();
    if let Some(deps) = doc.get("dependencies")
        && !matches!(deps, Value::Sequence(_) | Value::Null)
    {
        p.push(
            "`dependencies` is not a list".into(),
            format!("write `dependencies: [WO-…]` in {path}"),
        );
    }
    for dep in f.dependencies() {
        match WoId::parse(&dep) {
            Err(why) => p.push(
                format!("dependency {why}"),
                format!("fix `dependencies:` in {path}"),
            ),
            Ok(d) if !known.contains(d.as_str()) => p.push(
                format!("dependency {d} does not exist"),
                format!("remove {d} from `dependencies:` in {path}"),
            ),
            Ok(d) if Some(d.to_string()) == f.id.as_ref().map(|i| i.to_string()) => p.push(
                "depends on itself".into(),
                format!("remove {d} from `dependencies:` in {path}"),
            ),
            Ok(_) => {}
        }
    }
    if let Some(verify) = doc.get("verify")
        && verify
            .get("commands")
            .is_some_and(|c| !matches!(c, Value::Sequence(_)))
    {
        p.push(
            "`verify.commands` is not a list".into(),
            format!("write `verify: {{commands: [\"…\"]}}` in {path}"),
        );
    }
}
