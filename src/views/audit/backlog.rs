//! The backlog rule: unknown_epic, a WO's `epic_id` that names no epic of
//! `_ctx/backlog/backlog.yaml` (the original linter's check). Only when that file
//! exists and is readable; a person fixes the YAML or the backlog.

use super::wo::Wo;
use crate::error::shell_quote as q;
use crate::model::finding::{Code, Finding, Remedy};

/// `unknown_epic`: each readable copy whose `epic_id` the backlog does not define.
pub fn unknown_epic(wo: &Wo<'_, '_>) -> Vec<Finding> {
    let backlog = &wo.inv.backlog;
    let Some(backlog_path) = backlog.path() else {
        return Vec::new();
    };
    wo.v.files()
        .iter()
        .filter_map(|f| {
            let epic = f.epic()?;
            let epic = epic.trim();
            if !backlog.is_unknown(epic) {
                return None;
            }
            let path = wo.inv.rel(f.rel_path());
            Some(Finding::new(
                Code::UnknownEpic,
                Some(wo.id.as_str()),
                format!(
                    "{path}: epic_id {} names no epic of {backlog_path} (it has: {})",
                    crate::model::wo_id::printable(epic),
                    backlog.ids().join(", ")
                ),
                Remedy::decide(format!(
                    "set epic_id: in {} to an epic of {backlog_path}, or add {{id: {}}} to its epics",
                    q(&path),
                    q(epic)
                )),
                vec![path],
            ))
        })
        .collect()
}
