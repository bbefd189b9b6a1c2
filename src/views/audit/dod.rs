//! The Definition of Done rules: unknown_dod (a WO's `dod_id` names no entry of the
//! `_ctx/dod` catalog) and invalid_dod (a catalog file is malformed). Both only when a
//! catalog exists; a person fixes the YAML or the catalog.

use super::wo::Wo;
use crate::error::shell_quote as q;
use crate::inventory::Inventory;
use crate::model::finding::{Code, Finding, Remedy};

/// `invalid_dod`: a file in `_ctx/dod/` that is not a catalog.
pub fn invalid_dod(inv: &Inventory, out: &mut Vec<Finding>) {
    for (path, why) in inv.dod.invalid() {
        out.push(Finding::new(
            Code::InvalidDod,
            None,
            format!("{path} is not a DoD catalog: {why}"),
            Remedy::decide(format!(
                "fix {} (dod: [{{id, title, required_artifacts: [...], required_checks: [{{name, commands}}], rules}}]), then: git wo lint",
                q(path)
            )),
            vec![path.to_owned()],
        ));
    }
}

/// `unknown_dod`: each readable copy whose `dod_id` the catalog does not define.
pub fn unknown_dod(wo: &Wo<'_, '_>) -> Vec<Finding> {
    let catalog = &wo.inv.dod;
    if !catalog.exists() {
        return Vec::new();
    }
    wo.v.files()
        .iter()
        .filter_map(|f| {
            let dod_id = f.fields.dod_id()?.trim();
            if !catalog.is_unknown(dod_id) {
                return None;
            }
            let path = wo.inv.rel(f.rel_path());
            Some(Finding::new(
                Code::UnknownDod,
                Some(wo.id.as_str()),
                format!(
                    "{path}: dod_id {} names no entry of the _ctx/dod catalog (it has: {})",
                    crate::model::wo_id::printable(dod_id),
                    catalog.ids().join(", ")
                ),
                Remedy::decide(format!(
                    "set dod_id: in {} to an entry of _ctx/dod/*.yaml, or add {} to the catalog",
                    q(&path),
                    q(dod_id)
                )),
                vec![path],
            ))
        })
        .collect()
}
