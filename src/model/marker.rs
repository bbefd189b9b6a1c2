//! Marker lines (SPEC §2): `[WO-0042] intent: <title>` and
//! `[WO-0042] result: <done|failed> verified=<yes|no|skipped> tip=<sha>`, written as
//! notes in `refs/notes/wo` by the journal ([`crate::ops::journal::write_marker`]).

use crate::model::state::State;

pub fn intent(id: &str, title: &str) -> String {
    let title: String = title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("[{id}] intent: {}", title.trim())
}

/// `verified`: Some(true) yes, Some(false) no, None skipped. `scope_exception`: the
/// branch left the WO's scope and `--allow-out-of-scope` accepted it (` scope=exception`).
pub fn result(
    id: &str,
    verdict: State,
    verified: Option<bool>,
    tip: &str,
    scope_exception: bool,
) -> String {
    let v = match verified {
        Some(true) => "yes",
        Some(false) => "no",
        None => "skipped",
    };
    let scope = if scope_exception {
        " scope=exception"
    } else {
        ""
    };
    format!("[{id}] result: {verdict} verified={v} tip={tip}{scope}")
}
