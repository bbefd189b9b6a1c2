//! [`Wo`]: one WO as reconcile's rules see it (the inventory and the WO's view), and
//! how a rule words one of its [`Action`]s.

use crate::inventory::{Inventory, WoView};
use crate::model::finding::Code;
use crate::model::wo_id::WoId;
use crate::views::reconcile::repair::{Action, Repair, Safety};

/// One WO as the rules see it.
pub(crate) struct Wo<'i, 'a> {
    pub inv: &'i Inventory,
    pub id: &'i WoId,
    pub v: &'i WoView<'a>,
}

impl Wo<'_, '_> {
    pub(super) fn action(
        &self,
        code: Code,
        repair: Repair,
        safety: Safety,
        action: String,
        paths: Vec<String>,
    ) -> Action {
        Action {
            wo_id: self.id.clone(),
            code,
            action,
            safety,
            paths,
            repair,
        }
    }
    pub(super) fn rel(&self, p: impl AsRef<std::path::Path>) -> String {
        self.inv.rel(p)
    }
}
