//! What the branch of each running WO with a scope changes (base..branch tip), gathered
//! once so that audit's `out_of_scope` stays a pure function of the inventory. Only
//! WOs whose YAML has a `scope` with an allow or deny glob cost a `git diff`.

use std::collections::BTreeMap;

use crate::git::Repo;
use crate::git::diff::{self, Changed};
use crate::model::order::OrderFile;
use crate::model::state::State;

use super::records::Records;

/// The paths a WO's branch changes since its base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchChanges {
    pub base: String,
    pub tip: String,
    pub changed: Vec<Changed>,
}

/// By WO id: the running WOs (live copy in `running/`, with a scope, a record with a
/// base and a branch that exists) whose branch has commits since its base.
pub fn gather(
    repo: &Repo,
    files: &[OrderFile],
    records: &Records,
) -> BTreeMap<String, BranchChanges> {
    let _t = crate::trace::phase("gather: scopes");
    let mut out = BTreeMap::new();
    for f in files {
        if f.folder != State::Running
            || !f.is_live()
            || f.fields.get(crate::model::order::Field::Scope).is_none()
        {
            continue;
        }
        let Some(id) = f.id.as_ref() else { continue };
        if out.contains_key(id.as_str()) {
            continue;
        }
        let Some(r) = records.get(id.as_str()).map(|s| &s.record) else {
            continue;
        };
        if r.state != State::Running {
            continue;
        }
        let (Some(base), Some(branch)) = (r.base(), r.branch()) else {
            continue;
        };
        let Ok(Some(tip)) = repo.branch_tip(branch) else {
            continue;
        };
        let tip = tip.to_string();
        if tip == base {
            continue;
        }
        // A base or tip git cannot read is reported by other means; nothing to say here.
        if let Ok(changed) = diff::between(&repo.control_root, base, &tip) {
            out.insert(
                id.to_string(),
                BranchChanges {
                    base: base.to_owned(),
                    tip,
                    changed,
                },
            );
        }
    }
    out
}
