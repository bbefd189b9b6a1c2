//! The WO's scope (SPEC §1 `scope{allow[],deny[]}`) where it is enforced: `finish
//! --result done` checks the diff base..tip, the pre-commit hook in a WO's worktree
//! checks what is staged. The matching is [`crate::model::scope`]'s; the diffs are
//! [`crate::git::diff`]'s.

use anyhow::Result;
use gix::ObjectId;

use crate::error::{WoError, shell_quote as q};
use crate::git::Repo;
use crate::git::diff::{self, Changed};
use crate::model::order::OrderFile;
use crate::model::record::Record;
use crate::model::scope::{Matcher, Violation};
use crate::model::wo_id::WoId;

/// `file`'s scope compiled; `None` when it has none (every path is in scope); `Err`
/// (bad input) naming the glob that is not one, with `then` as the command to rerun.
pub fn matcher(file: &OrderFile, id: &str, then: &str) -> Result<Option<Matcher>> {
    let Some(scope) = file.scope() else {
        return Ok(None);
    };
    let yaml = file.rel_text();
    scope.matcher().map(Some).map_err(|why| {
        WoError::usage(format!("{id}: {why} (in {yaml})"))
            .fix(format!("correct scope: in {}, then: {then}", q(&yaml)))
            .into()
    })
}

/// The paths of `changed` outside the scope: a rename's old and new path each count.
pub fn outside(m: &Matcher, changed: &[Changed]) -> Vec<Violation> {
    m.outside(changed.iter().flat_map(|c| c.paths()))
}

/// `finish --result done`: `Err` (exit 1, nothing changed) when base..tip changes a
/// path outside the WO's scope, unless `--allow-out-of-scope` gave a reason
/// (`exception`), which is returned to be recorded as the exception.
pub fn check_finish(
    repo: &Repo,
    id: &WoId,
    file: &OrderFile,
    r: &Record,
    tip: Option<ObjectId>,
    exception: Option<&str>,
) -> Result<Option<String>> {
    let rerun = format!("git wo finish {id} --result done");
    let Some(m) = matcher(file, id.as_str(), &rerun)? else {
        return Ok(None);
    };
    let (Some(base), Some(tip)) = (r.base(), tip.map(|t| t.to_string())) else {
        return Ok(None);
    };
    let changed = diff::between(&repo.control_root, base, &tip).map_err(|e| {
        crate::error::with_fix(
            e,
            format!("git diff --name-status -M {base} {tip} (is the base still there?)"),
        )
    })?;
    let out = outside(&m, &changed);
    if out.is_empty() {
        return Ok(None);
    }
    if let Some(reason) = exception {
        return Ok(Some(reason.to_owned()));
    }
    let yaml = file.rel_text();
    let lines: Vec<String> = out.iter().map(|v| format!("  {}", v.line())).collect();
    Err(WoError::failed(format!(
        "{id}: its branch changes {} path(s) outside its scope ({}..{}), so nothing was changed:\n{}",
        out.len(),
        &base[..base.len().min(12)],
        &tip[..tip.len().min(12)],
        lines.join("\n")
    ))
    .fix(format!(
        "undo those changes on its branch, or change the WO's scope in {}; or record an exception: {rerun} --allow-out-of-scope --reason {}",
        q(&yaml),
        q("why")
    ))
    .into())
}
