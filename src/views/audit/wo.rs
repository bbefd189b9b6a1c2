//! [`Wo`]: one WO as the audit rules see it (the inventory, the WO's view and its
//! [`Standing`]), with the paths the rules name, and [`quoted`] paths for a fix line.
//! Each rule file takes a `Wo`; `mod.rs` builds them and runs the rules.

use crate::error::shell_quote as q;
use crate::inventory::{Inventory, WoView};
use crate::model::order::OrderFile;
use crate::model::state::State;
use crate::model::wo_id::WoId;
use crate::views::standing::Standing;

/// One WO as the rules see it.
pub(crate) struct Wo<'i, 'a> {
    pub inv: &'i Inventory,
    pub id: &'i WoId,
    pub v: &'i WoView<'a>,
    pub standing: Standing<'i>,
}

impl Wo<'_, '_> {
    /// Paths of `files`, relative to the checkout.
    pub(super) fn paths(&self, files: &[&OrderFile]) -> Vec<String> {
        files.iter().map(|f| self.inv.rel(f.rel_path())).collect()
    }
    /// Every copy's path, readable or not.
    pub(super) fn all_paths(&self) -> Vec<String> {
        let mut p = self.paths(self.v.files());
        p.extend(self.paths(self.v.unreadable()));
        p
    }
    pub(super) fn running_paths(&self) -> Vec<String> {
        self.v
            .files()
            .iter()
            .filter(|f| f.folder == State::Running)
            .map(|f| self.inv.rel(f.rel_path()))
            .collect()
    }
}

/// Paths for a shell command line: each quoted, space-separated.
pub(super) fn quoted(paths: &[String]) -> String {
    paths.iter().map(|p| q(p)).collect::<Vec<_>>().join(" ")
}
