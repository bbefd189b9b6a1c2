//! Mirroring a WO into a record: the record a WO with none gets, as its YAML (and
//! `.lock` file) describe it, written by a deterministic import (fixed author,
//! committer and date, so clones importing the same YAML create the same record).
//! `init` imports every such WO; after init, the state changes mirror the WOs added
//! since on the way ([`mirror_new`]), so the mirror stays whole without a rerun.

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::git::Repo;
use crate::inventory::{Inventory, WoView};
use crate::model::record::{Lease, Phase, Record};
use crate::model::record_texts::RecordTexts;
use crate::model::state::State;
use crate::ops::journal::{self, OrderYaml, Parent, Plan, RecordWrite, Recovery, Step};

/// The date of every import commit and record (deterministic imports).
fn import_time() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// The plan that imports a WO (one live YAML, no record) into a record.
pub fn import_plan(
    inv: &Inventory,
    id: &crate::model::wo_id::WoId,
    view: &WoView<'_>,
    op: &'static str,
) -> Plan {
    let file = view.files()[0];
    let record = import_record(inv, view, file.folder, id.as_str());
    Plan {
        id: id.clone(),
        op,
        steps: vec![Step::Record(Box::new(RecordWrite {
            record,
            yaml: OrderYaml::Bytes(file.bytes().to_vec()),
            action: "import",
            owner: "git-wo".into(),
            lines: Vec::new(),
            parent: Parent::Previous,
            fixed_time: true,
            evidence: None,
        }))],
        recovery: Recovery::RollForward,
    }
}

/// In an initialised repository, import the WOs added since (a live YAML in one
/// folder, no record), except `skip` (the WO the command is acting on): the state
/// changes that follow init keep the mirror whole without a rerun of init. Best effort:
/// returns the ids imported; a failure is reported by the caller, never fatal.
pub fn mirror_new(
    repo: &Repo,
    inv: &Inventory,
    wos: &crate::inventory::WoMap<'_>,
    skip: Option<&crate::model::wo_id::WoId>,
) -> Result<Vec<String>> {
    if !repo.config.initialized {
        return Ok(Vec::new());
    }
    let plans: Vec<Plan> = wos
        .iter()
        .filter(|(id, v)| {
            Some(*id) != skip && v.record.is_none() && !v.files().is_empty() && !v.is_split_brain()
        })
        .map(|(id, v)| import_plan(inv, id, v, "mirror"))
        .collect();
    let results = journal::apply_imports(repo, &inv.jobs_rel, &plans);
    let mut done = Vec::new();
    for (plan, r) in plans.iter().zip(results) {
        match r {
            Ok(_) => done.push(plan.id.to_string()),
            Err(e) if crate::error::classify(&e).kind == crate::error::Kind::Conflict => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// The record of a WO as its YAML (and `.lock` file) describe it.
fn import_record(inv: &Inventory, view: &WoView<'_>, state: State, id: &str) -> Record {
    let file = view.files()[0];
    let t0 = import_time();
    // (Its texts built once: this runs for every WO an `init` imports.)
    let f = &file.fields;
    let title = f.title().unwrap_or_default();
    let texts = RecordTexts::new([Some(id), Some(title), f.branch(), f.worktree(), None, None]);
    let mut r = Record::of_texts(texts, state, t0);
    if state == State::Running {
        r.phase = Phase::Active;
        r.lock = view.lock().map(|l| {
            let since = l.since().unwrap_or(t0);
            Box::new(Lease {
                owner: l.user.clone().unwrap_or_else(|| "unknown".into()),
                session: String::new(),
                host: l.host.clone().unwrap_or_default(),
                pid: l.pid.unwrap_or(0),
                acquired_at: since,
                renewed_at: since,
                expires_at: since + inv.lease,
                // Imports are the same in every clone: no clone of its own.
                clone: None,
            })
        });
    }
    r
}
