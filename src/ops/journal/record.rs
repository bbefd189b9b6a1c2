//! The record step: a transition written by compare-and-swap from the commit the
//! journal wrote (or started from) last, with the `order.yaml` the plan says
//! ([`OrderYaml`]) on the parent it says ([`Parent`]). The record's phase is the
//! journal's state on disk: what a crash leaves, what a rerun resumes.

use anyhow::Result;

use super::executor::{Journal, Progress, Undo};
use super::fence::lost_to;
use super::plan::{OrderYaml, Parent, RecordWrite};
use crate::inventory::records;
use crate::model::wo_id::WoId;
use crate::ops::transition::{self, last_transition};

impl Journal<'_> {
    /// [`Step::Record`](super::Step::Record): commit `w` on the fence; the first record
    /// write of a plan is undone by putting the ref back where it was.
    pub(super) fn write_record(
        &mut self,
        id: &WoId,
        w: &RecordWrite,
        p: &mut Progress,
    ) -> Result<()> {
        let repo = self.repo;
        let prev = self.current.clone();
        let yaml = match &w.yaml {
            OrderYaml::Bytes(b) => b.clone(),
            OrderYaml::Placed => match &p.done.yaml_bytes {
                Some(b) => b.clone(),
                None => self.current_order_yaml()?,
            },
            OrderYaml::Unchanged => self.current_order_yaml()?,
        };
        let parent = match (w.parent, &prev) {
            (_, None) => None,
            (Parent::Previous, Some(p)) => Some(p.commit),
            (Parent::LastTransition, Some(p)) => last_transition(repo, p.commit)?,
        };
        let stored = transition::commit_with_parent(
            repo,
            prev.as_ref(),
            parent,
            &w.record,
            &yaml,
            w.action,
            &w.owner,
            &w.lines,
            w.fixed_time,
            w.evidence,
        )
        .map_err(|e| lost_to(repo, id, e))?;
        if !p.undo.iter().any(|u| matches!(u, Undo::Record { .. })) {
            p.undo.push(Undo::Record {
                prev: prev.as_ref().map(|p| p.commit),
            });
        }
        self.current = Some(stored);
        Ok(())
    }

    /// The `order.yaml` of the commit the record ref is at (the fence).
    fn current_order_yaml(&self) -> Result<Vec<u8>> {
        match &self.current {
            Some(s) => Ok(records::order_yaml_at(self.repo, s.commit)?.unwrap_or_default()),
            None => Ok(Vec::new()),
        }
    }
}
