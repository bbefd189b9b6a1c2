//! sync_conflict: a record that moved on both here and on a remote, as the last
//! `git wo sync` found it, until someone resolves it (see
//! [`crate::inventory::sync_conflicts`]).

use crate::inventory::Inventory;
use crate::model::finding::{Code, Finding, Remedy};

pub(super) fn findings(inv: &Inventory, out: &mut Vec<Finding>) {
    for c in &inv.sync_conflicts {
        out.push(Finding::new(
            Code::SyncConflict,
            Some(&c.wo_id),
            format!("{} (found by git wo sync {})", c.message, c.remote),
            // Which holder keeps the WO is a decision between people.
            Remedy::decide(c.hint.clone()),
            vec![
                format!("refs/wo/orders/{}", c.wo_id),
                format!("refs/remotes/{}/wo/orders/{}", c.remote, c.wo_id),
            ],
        ));
    }
}
