//! A WO with a YAML and no record, in an initialised repository, gets one.

use super::repair::{Action, Repair, Safety};
use super::wo::Wo;
use crate::inventory::records::ref_name;
use crate::model::finding::Code;

/// `unmirrored`: import the YAML into a record (after the WO's other repairs).
pub fn create_record(wo: &Wo<'_, '_>) -> Option<Action> {
    let (inv, id, v) = (wo.inv, wo.id, wo.v);
    if v.record.is_some() || !inv.initialized || v.files().is_empty() {
        return None;
    }
    Some(wo.action(
        Code::Unmirrored,
        Repair::CreateRecord,
        Safety::Safe,
        format!("create the record refs/wo/orders/{id} from its YAML"),
        vec![ref_name(id.as_str())],
    ))
}
