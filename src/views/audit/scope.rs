//! `out_of_scope`: a running WO whose branch (base..tip) already changes paths its
//! YAML's `scope` leaves out (not allowed by any allow glob, or denied by a deny glob;
//! a rename counts on both sides). No command knows whether the work or the scope is
//! wrong: a person decides.

use super::wo::Wo;
use crate::error::shell_quote as q;
use crate::model::finding::{Code, Finding, Remedy};
use crate::model::state::State;

/// How many offending paths the message names before it counts the rest.
const SHOWN: usize = 10;

pub fn out_of_scope(wo: &Wo<'_, '_>) -> Option<Finding> {
    let (inv, id) = (wo.inv, wo.id);
    let changes = inv.branch_changes.get(id.as_str())?;
    let file = wo.v.files().iter().find(|f| f.folder == State::Running)?;
    let yaml = inv.rel(file.rel_path());
    let branch = file
        .branch()
        .or_else(|| {
            wo.v.record
                .and_then(|s| s.record.branch().map(str::to_owned))
        })
        .unwrap_or_default();
    let short = |s: &str| s[..s.len().min(12)].to_owned();
    let range = format!("{}..{}", short(&changes.base), short(&changes.tip));
    let outside = match file.scope()?.matcher() {
        Ok(m) => m.outside(changes.changed.iter().flat_map(|c| c.paths())),
        Err(why) => {
            return Some(Finding::new(
                Code::OutOfScope,
                Some(id.as_str()),
                format!("{id}: {why}, so its branch cannot be checked against it"),
                Remedy::decide(format!("correct the glob under scope: in {}", q(&yaml))),
                vec![yaml],
            ));
        }
    };
    if outside.is_empty() {
        return None;
    }
    let mut listed: Vec<String> = outside.iter().take(SHOWN).map(|v| v.line()).collect();
    if outside.len() > SHOWN {
        listed.push(format!("and {} more", outside.len() - SHOWN));
    }
    let quoted: Vec<String> = outside.iter().map(|v| q(&v.path)).collect();
    let mut paths = vec![yaml.clone()];
    paths.extend(outside.iter().map(|v| v.path.clone()));
    Some(Finding::new(
        Code::OutOfScope,
        Some(id.as_str()),
        format!(
            "{id}'s branch {branch} changes {} path(s) outside its scope ({range}): {}",
            outside.len(),
            listed.join("; ")
        ),
        Remedy::decide(format!(
            "either undo the changes to {} on branch {} (commit the reverse in its worktree), or change the WO's scope in {} (widen scope.allow or narrow scope.deny)",
            quoted.join(" "),
            q(&branch),
            q(&yaml)
        )),
        paths,
    ))
}
