//! Who holds a WO, as every view sees it: the record's lease read against the clock,
//! this clone's id and this host's processes. Audit, reconcile, gc, the gate and the
//! lifecycle commands ask [`Inventory::holder`] and nothing else, so none of them can
//! decide differently whether a WO is someone's.

use crate::inventory::{Inventory, WoView};
use crate::model::record::Lease;

/// The holder of a WO's record lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder<'a> {
    /// No record, or a record with no lock.
    Free,
    /// A live lease taken in this clone (or by a git-wo too old to name its clone).
    Here(&'a Lease),
    /// A live lease taken in another clone of the shared remote: its worktree and
    /// `.lock` are there, and its YAML moves reach this clone with `git pull`. That
    /// clone's business: no view here reports, repairs or gates on its running state.
    Elsewhere(&'a Lease),
    /// The lease ran out: a stale lock.
    Expired(&'a Lease),
    /// A transition (take, finish) in flight whose lease runs, but whose process ran
    /// on this host and is gone.
    Gone(&'a Lease),
}

impl<'a> Holder<'a> {
    /// The lease, whatever its standing.
    pub fn lease(self) -> Option<&'a Lease> {
        match self {
            Holder::Free => None,
            Holder::Here(l) | Holder::Elsewhere(l) | Holder::Expired(l) | Holder::Gone(l) => {
                Some(l)
            }
        }
    }
    /// A live lease (here or elsewhere; a gone process's lease still runs).
    pub fn is_live(self) -> bool {
        matches!(
            self,
            Holder::Here(_) | Holder::Elsewhere(_) | Holder::Gone(_)
        )
    }
    pub fn is_elsewhere(self) -> bool {
        matches!(self, Holder::Elsewhere(_))
    }
}

impl Inventory {
    /// The holder of `view`'s WO.
    pub fn holder<'a>(&self, view: &WoView<'a>) -> Holder<'a> {
        let Some(record) = view.record.map(|s| &s.record) else {
            return Holder::Free;
        };
        let Some(lease) = record.lock.as_ref() else {
            return Holder::Free;
        };
        if lease.expired(self.now) {
            Holder::Expired(lease)
        } else if lease
            .clone
            .as_deref()
            .is_some_and(|c| Some(c) != self.clone_id.as_deref())
        {
            Holder::Elsewhere(lease)
        } else if record.phase.in_flight() && lease.process_dead_here() {
            Holder::Gone(lease)
        } else {
            Holder::Here(lease)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chrono::Duration;

    use super::*;
    use crate::inventory::records::{Records, Stored};
    use crate::model::record::{Phase, Record};
    use crate::model::state::State;

    fn lease(clone: Option<&str>, expires_in: Duration) -> Lease {
        let now = crate::clock::now();
        Lease {
            owner: "alice".into(),
            session: "s".into(),
            host: crate::host::hostname(),
            pid: std::process::id(),
            acquired_at: now,
            renewed_at: now,
            expires_at: now + expires_in,
            clone: clone.map(str::to_owned),
        }
    }

    fn holder_of(lease: Lease, here: Option<&str>, phase: Phase) -> &'static str {
        let mut inv = Inventory::from_files(Path::new("/repo"), Vec::new(), crate::clock::now());
        inv.clone_id = here.map(str::to_owned);
        let mut record = Record::new("WO-0001", State::Running, "t", crate::clock::now());
        record.phase = phase;
        record.lock = Some(Box::new(lease));
        inv.records = Records::new(vec![Stored {
            record,
            commit: gix::ObjectId::null(gix::hash::Kind::Sha1),
        }]);
        let wos = inv.wos();
        let view = wos.get("WO-0001").expect("view");
        match inv.holder(view) {
            Holder::Free => "free",
            Holder::Here(_) => "here",
            Holder::Elsewhere(_) => "elsewhere",
            Holder::Expired(_) => "expired",
            Holder::Gone(_) => "gone",
        }
    }

    #[test]
    fn a_lease_is_here_elsewhere_or_expired() {
        let hour = Duration::hours(1);
        let active = Phase::Active;
        assert_eq!(holder_of(lease(Some("a"), hour), Some("a"), active), "here");
        assert_eq!(holder_of(lease(None, hour), Some("a"), active), "here");
        assert_eq!(
            holder_of(lease(Some("b"), hour), Some("a"), active),
            "elsewhere"
        );
        assert_eq!(
            holder_of(lease(Some("b"), -hour), Some("a"), active),
            "expired"
        );
        let mut dead = lease(Some("a"), hour);
        dead.pid = u32::MAX - 1;
        // The take that made an active lease has long exited: that is no gone holder.
        assert_eq!(holder_of(dead.clone(), Some("a"), active), "here");
        assert_eq!(holder_of(dead, Some("a"), Phase::Finishing), "gone");
    }
}
