//! Whether repairs may touch a WO at all: the one answer audit's hints and
//! reconcile's plan (and so gc, which acts on audit's candidates) both read.
//!
//! A WO with an unreadable copy is a person's to fix first (SPEC §1: no repair and no
//! removal acts on it), and a WO held in another clone is that clone's business
//! (SPEC §1, §6): audit reports what is wrong with its files, with what a person can
//! do, and reconcile plans nothing for it.

use crate::error::shell_quote as q;
use crate::inventory::holder::Holder;
use crate::inventory::{Inventory, WoView};
use crate::model::order::OrderFile;
use crate::model::record::Lease;

/// A WO's standing for repairs.
#[derive(Debug, Clone, Copy)]
pub enum Standing<'a> {
    /// Repairs may act on it.
    Open,
    /// These copies cannot be read: nothing acts on the WO until they are fixed.
    Unreadable(&'a [&'a OrderFile]),
    /// A live lease of a take made in another clone holds it.
    Elsewhere(&'a Lease),
}

impl<'a> Standing<'a> {
    pub fn of(inv: &Inventory, view: &'a WoView<'a>) -> Standing<'a> {
        if view.has_unreadable() {
            return Standing::Unreadable(view.unreadable());
        }
        match inv.holder(view) {
            Holder::Elsewhere(lease) => Standing::Elsewhere(lease),
            _ => Standing::Open,
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self, Standing::Open)
    }

    /// Why no repair acts on the WO, and what a person does instead (`None`: open).
    pub fn why_not(&self, inv: &Inventory) -> Option<String> {
        match self {
            Standing::Open => None,
            Standing::Unreadable(files) => {
                let paths: Vec<String> = files.iter().map(|f| q(&inv.rel(f.rel_path()))).collect();
                Some(format!(
                    "{} cannot be read; no repair acts on this WO until it can: resolve its conflict markers (or give it a valid id:), then rerun git wo audit",
                    paths.join(" ")
                ))
            }
            Standing::Elsewhere(lease) => Some(format!(
                "it is held by {} in another clone ({}, lease until {}): that clone fixes it, or it is yours to repair after the lease ends (git wo sync, then git wo audit)",
                lease.owner,
                lease.clone.as_deref().unwrap_or("?"),
                crate::model::when::shown(lease.expires_at)
            )),
        }
    }
}
