//! `git wo sync [<remote>]` (SPEC §10): fetch the remote's records and markers into
//! remote-tracking refs (`refs/remotes/<remote>/wo/*`, `refs/notes/remotes/<remote>/wo`),
//! fast-forward the local records the remote is ahead on, merge the markers with
//! `cat_sort_uniq`, and push local progress in one atomic push, each ref fenced by
//! `--force-with-lease` on the value just fetched. A record both sides moved on
//! independently is a `sync_conflict`: reported, neither side overwritten.
//!
//! A lease renewal replaces the previous renewal commit (its parent is the last
//! transition), so a newer renewal of the same transition is progress too, not a
//! divergence.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use gix::ObjectId;
use serde::Serialize;

use crate::error::WoError;
use crate::git::Repo;
use crate::git::notes::NOTES_REF;
use crate::git::refs::Expect;
use crate::git::remote::{Pushed, Update};
use crate::inventory::records::{self, PREFIX, Stored};
use crate::model::wo_id::WoId;
use crate::ops::journal::{Journal, Plan, Recovery, Step};
use crate::ops::remote::{check_remote_record, fetch_record, tracking_ref, unreachable_remote};
use crate::ops::transition::last_transition;

/// How a record compares between the two sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Same,
    /// Only here: pushed.
    LocalOnly,
    /// Only there: fetched into `refs/wo/orders/`.
    RemoteOnly,
    /// Here is ahead: pushed.
    LocalAhead,
    /// There is ahead: fast-forwarded here.
    RemoteAhead,
    /// Both moved on: `sync_conflict`.
    Diverged,
}

#[derive(Debug, Serialize)]
pub struct Conflict {
    pub code: &'static str,
    pub wo_id: String,
    pub local: String,
    pub remote: String,
    pub message: String,
    pub hint: String,
}

#[derive(Debug, Serialize)]
pub struct SyncReport {
    pub schema: &'static str,
    pub remote: String,
    /// Records the remote has.
    pub remote_records: usize,
    /// Records fetched or fast-forwarded here.
    pub fetched: Vec<String>,
    /// Records pushed there.
    pub pushed: Vec<String>,
    /// WOs added since init whose records this sync created (and pushed).
    pub mirrored: Vec<String>,
    pub unchanged: usize,
    pub conflicts: Vec<Conflict>,
    /// unchanged, fetched, pushed, merged (and pushed), or none (neither side has any).
    pub notes: &'static str,
    /// Refs the remote refused because someone pushed them meanwhile (nothing of this
    /// push landed; run sync again).
    pub rejected: Vec<String>,
    /// Records of the remote that are not records (validated before anything here
    /// changes): neither fetched nor pushed over; the rest of the sync goes on.
    pub skipped: Vec<SkippedRecord>,
}

/// A remote ref under `refs/wo/orders/` that holds no valid record.
#[derive(Debug, Serialize)]
pub struct SkippedRecord {
    pub wo_id: String,
    #[serde(rename = "ref")]
    pub ref_name: String,
    pub commit: String,
    pub why: String,
    pub fix: String,
}

impl SyncReport {
    pub fn clean(&self) -> bool {
        self.conflicts.is_empty() && self.rejected.is_empty() && self.skipped.is_empty()
    }
}

fn skipped(remote: &str, name: &str, id: &str, there: ObjectId, why: String) -> SkippedRecord {
    let tracking = tracking_ref(remote, name);
    let q = crate::error::shell_quote;
    SkippedRecord {
        wo_id: id.to_owned(),
        ref_name: name.to_owned(),
        commit: there.to_string(),
        why,
        fix: format!(
            "look at it (git log -p {}), then have it repaired on {}: push a good record commit to {}, or delete it there (git push {} :{}); nothing here was changed for it",
            q(&tracking),
            q(remote),
            q(name),
            q(remote),
            q(name)
        ),
    }
}

/// Exchange records and markers with `remote`; with `push: false` only fetch and
/// fast-forward (what `init` does first). The phases: gather what the remote has
/// ([`fetch_all`]), then records ([`Exchange::records`]), WOs added since init
/// ([`Exchange::mirror_added`]) and markers ([`Exchange::notes`]) each decided and
/// done here, and one atomic push of what goes there ([`Exchange::push`]).
pub fn sync(repo: &Repo, remote: &str, push: bool) -> Result<SyncReport> {
    if !repo.remote_names().iter().any(|r| r == remote) {
        return Err(
            WoError::usage(format!("{remote} is not a remote of this repository"))
                .fix(format!(
                    "git remote add {} <url>, or git config wo.remote <name>",
                    crate::error::shell_quote(remote)
                ))
                .into(),
        );
    }
    let theirs = fetch_all(repo, remote)?;
    let mut x = Exchange {
        repo,
        remote,
        push,
        updates: Vec::new(),
        report: SyncReport {
            schema: "git-wo.sync.v1",
            remote: remote.to_owned(),
            remote_records: theirs.records.len(),
            fetched: Vec::new(),
            pushed: Vec::new(),
            mirrored: Vec::new(),
            unchanged: 0,
            conflicts: Vec::new(),
            notes: "unchanged",
            rejected: Vec::new(),
            skipped: Vec::new(),
        },
    };
    x.records(&theirs.records)?;
    x.mirror_added()?;
    x.report.notes = x.notes(theirs.notes)?;
    record_conflicts(repo, remote, &x.report.conflicts);
    x.push()?;
    Ok(x.report)
}

/// What the remote has, fetched into remote-tracking refs.
struct Theirs {
    /// Its records, by ref name.
    records: BTreeMap<String, ObjectId>,
    /// Its markers' notes commit.
    notes: Option<ObjectId>,
}

/// Gather: list the remote's records and markers, and fetch them into
/// `refs/remotes/<remote>/wo/*` and `refs/notes/remotes/<remote>/wo`.
fn fetch_all(repo: &Repo, remote: &str) -> Result<Theirs> {
    let listed = repo
        .ls_remote(remote, &["refs/wo/*", NOTES_REF])
        .map_err(|e| unreachable_remote(e, remote))?;
    let records: BTreeMap<String, ObjectId> = listed
        .iter()
        .filter(|(n, _)| n.starts_with(PREFIX))
        .map(|(n, o)| (n.clone(), *o))
        .collect();
    let notes = listed.get(NOTES_REF).copied();
    let mut specs = Vec::new();
    if !records.is_empty() {
        specs.push(format!("+refs/wo/*:refs/remotes/{remote}/wo/*"));
    }
    if notes.is_some() {
        specs.push(format!("+{NOTES_REF}:{}", notes_tracking(remote)));
    }
    repo.fetch(remote, &specs)?;
    Ok(Theirs { records, notes })
}

/// Where the remote's markers are fetched to.
fn notes_tracking(remote: &str) -> String {
    format!("refs/notes/remotes/{remote}/wo")
}

/// One sync in progress: what it reports, and the ref updates it will push.
struct Exchange<'a> {
    repo: &'a Repo,
    remote: &'a str,
    push: bool,
    updates: Vec<Update>,
    report: SyncReport,
}

impl Exchange<'_> {
    /// Each record, by how the two sides compare ([`relation`]): the same is left; ours
    /// alone or ahead is pushed; theirs alone or ahead is fast-forwarded here
    /// ([`adopt`]); diverged is a `sync_conflict`. What the remote holds is validated
    /// before anything here changes: a bad record is skipped (named, with its fix), the
    /// rest goes on.
    fn records(&mut self, theirs: &BTreeMap<String, ObjectId>) -> Result<()> {
        let (repo, remote) = (self.repo, self.remote);
        let ours: BTreeMap<String, ObjectId> = repo
            .refs_under(PREFIX)?
            .into_iter()
            .filter_map(|r| r.target.ok().map(|t| (r.name, t)))
            .collect();
        let names: BTreeSet<&String> = ours.keys().chain(theirs.keys()).collect();
        for name in names {
            let id = name.strip_prefix(PREFIX).unwrap_or(name).to_owned();
            let (local, there) = (ours.get(name).copied(), theirs.get(name).copied());
            if let Some(r) = there
                && local != Some(r)
                && let Err(why) = check_remote_record(repo, &id, r)
            {
                self.report.skipped.push(skipped(remote, name, &id, r, why));
                continue;
            }
            match relation(repo, local, there)? {
                Relation::Same => self.report.unchanged += 1,
                Relation::LocalOnly | Relation::LocalAhead => {
                    if self.push {
                        self.updates.push(Update {
                            name: name.clone(),
                            new: local,
                            expect: there,
                        });
                        self.report.pushed.push(id);
                    }
                }
                Relation::RemoteOnly | Relation::RemoteAhead => {
                    let Some(there) = there else { continue };
                    adopt(repo, &id, local, there)?;
                    self.report.fetched.push(id);
                }
                Relation::Diverged => self
                    .report
                    .conflicts
                    .push(conflict(repo, &id, local, there, remote)),
            }
        }
        Ok(())
    }

    /// WOs added since init get their records now (after the remote's were fetched,
    /// which win for an id they have), and go with this push.
    fn mirror_added(&mut self) -> Result<()> {
        let repo = self.repo;
        if !(self.push && repo.config.initialized) {
            return Ok(());
        }
        let inv = crate::inventory::Inventory::gather(
            repo,
            crate::inventory::Source::WorkingTree,
            crate::inventory::Depth::Full,
        )?;
        for id in crate::ops::mirror::mirror_new(repo, &inv, &inv.wos(), None)? {
            let name = records::ref_name(&id);
            if let Some(new) = repo.ref_target(&name)? {
                self.updates.push(Update {
                    name,
                    new: Some(new),
                    expect: None,
                });
                self.report.mirrored.push(id.clone());
                self.report.pushed.push(id);
            }
        }
        Ok(())
    }

    /// The markers: fetched when only theirs moved on, merged (`cat_sort_uniq`) when
    /// both did, pushed when ours has what theirs lacks. Returns what happened, in
    /// words (`none`, `unchanged`, `fetched`, `merged`, `pushed`, `merged and pushed`).
    fn notes(&mut self, theirs: Option<ObjectId>) -> Result<&'static str> {
        let repo = self.repo;
        Ok(match (repo.notes_tip()?, theirs) {
            (None, None) => "none",
            (Some(l), Some(r)) if l == r => "unchanged",
            (None, Some(r)) => {
                repo.cas_ref(NOTES_REF, Expect::Absent, r, "git wo sync: fetch markers")?;
                "fetched"
            }
            (Some(l), Some(r)) if repo.is_ancestor(l, r)? => {
                repo.cas_ref(NOTES_REF, Expect::At(l), r, "git wo sync: fetch markers")?;
                "fetched"
            }
            (Some(l), there) => {
                let merged = match there {
                    Some(r) if !repo.is_ancestor(r, l)? => {
                        repo.merge_notes(&notes_tracking(self.remote))?;
                        true
                    }
                    _ => false,
                };
                if self.push {
                    let new = repo.notes_tip()?.unwrap_or(l);
                    self.updates.push(Update {
                        name: NOTES_REF.to_owned(),
                        new: Some(new),
                        expect: there,
                    });
                }
                match (merged, self.push) {
                    (true, true) => "merged and pushed",
                    (true, false) => "merged",
                    (false, true) => "pushed",
                    (false, false) => "unchanged",
                }
            }
        })
    }

    /// One atomic push, each ref fenced by `--force-with-lease` on the value fetched.
    /// Refused (someone pushed meanwhile): nothing of it landed; the report says which
    /// refs, and that nothing was pushed.
    fn push(&mut self) -> Result<()> {
        if !self.push {
            return Ok(());
        }
        let Pushed::Rejected(refs) = self.repo.push_leased(self.remote, &self.updates)? else {
            return Ok(());
        };
        let report = &mut self.report;
        report.rejected = if refs.is_empty() {
            self.updates.iter().map(|u| u.name.clone()).collect()
        } else {
            refs
        };
        report.pushed.clear();
        if report.notes.contains("pushed") {
            report.notes = if report.notes.starts_with("merged") {
                "merged, not pushed"
            } else {
                "not pushed"
            };
        }
        Ok(())
    }
}

/// Bring `id`'s record up to date with `remote` before a take decides anything: a
/// record the remote is ahead on is fast-forwarded here; one that diverged is a
/// conflict.
pub fn pull_record(repo: &Repo, remote: &str, id: &WoId) -> Result<()> {
    let name = records::ref_name(id.as_str());
    let listed = repo
        .ls_remote(remote, &[&name])
        .map_err(|e| unreachable_remote(e, remote))?;
    let Some(there) = listed.get(&name).copied() else {
        return Ok(());
    };
    if !repo.has_object(there) {
        fetch_record(repo, remote, &name)?;
    }
    let local = repo.ref_target(&name)?;
    if local != Some(there)
        && let Err(why) = check_remote_record(repo, id.as_str(), there)
    {
        let s = skipped(remote, &name, id.as_str(), there, why.clone());
        return Err(WoError::invalid_record(format!(
            "{id}: {name} on {remote} is not a record: {why}; nothing was changed"
        ))
        .fix(s.fix)
        .into());
    }
    match relation(repo, local, Some(there))? {
        Relation::RemoteOnly | Relation::RemoteAhead => adopt(repo, id.as_str(), local, there),
        Relation::Diverged => {
            let c = conflict(repo, id.as_str(), local, Some(there), remote);
            Err(WoError::conflict(format!("{id}: {}", c.message))
                .fix(c.hint)
                .into())
        }
        _ => Ok(()),
    }
}

/// How `local` and `there` (the remote's record, fetched) compare.
pub fn relation(repo: &Repo, local: Option<ObjectId>, there: Option<ObjectId>) -> Result<Relation> {
    let (l, r) = match (local, there) {
        (None, None) => return Ok(Relation::Same),
        (Some(_), None) => return Ok(Relation::LocalOnly),
        (None, Some(_)) => return Ok(Relation::RemoteOnly),
        (Some(l), Some(r)) => (l, r),
    };
    const DEPTH: usize = 10_000;
    if l == r {
        return Ok(Relation::Same);
    }
    if repo.first_parent_reaches(l, r, DEPTH) {
        return Ok(Relation::LocalAhead);
    }
    if repo.first_parent_reaches(r, l, DEPTH) {
        return Ok(Relation::RemoteAhead);
    }
    // Renewals: each replaces the last one, so compare what they renew.
    let lt = last_transition(repo, l)?.unwrap_or(l);
    let rt = last_transition(repo, r)?.unwrap_or(r);
    if lt == rt {
        let newer_here =
            records::at(repo, l)?.record.updated_at >= records::at(repo, r)?.record.updated_at;
        return Ok(if newer_here {
            Relation::LocalAhead
        } else {
            Relation::RemoteAhead
        });
    }
    if rt != r && repo.first_parent_reaches(l, rt, DEPTH) {
        return Ok(Relation::LocalAhead);
    }
    if lt != l && repo.first_parent_reaches(r, lt, DEPTH) {
        return Ok(Relation::RemoteAhead);
    }
    Ok(Relation::Diverged)
}

/// Move the local record of `id` from `local` to the fetched `there` (fenced).
pub fn adopt(repo: &Repo, id: &str, local: Option<ObjectId>, there: ObjectId) -> Result<()> {
    let wo = WoId::parse(id).map_err(|why| {
        WoError::invalid_record(format!("{PREFIX}{id} on the remote is not a WO id: {why}"))
    })?;
    let stored: Option<Stored> = local.map(|c| records::at(repo, c)).transpose()?;
    let plan = Plan {
        id: wo,
        op: "sync",
        steps: vec![Step::Adopt { commit: there }],
        recovery: Recovery::RollForward,
    };
    Journal::new(repo, &repo.jobs_rel(), stored.as_ref()).apply(&plan)?;
    Ok(())
}

fn conflict(
    repo: &Repo,
    id: &str,
    local: Option<ObjectId>,
    there: Option<ObjectId>,
    remote: &str,
) -> Conflict {
    let describe = |c: Option<ObjectId>| -> String {
        c.and_then(|c| records::at(repo, c).ok())
            .map(|s| {
                let r = &s.record;
                let who = r
                    .lock
                    .as_ref()
                    .map(|l| format!(" by {}", l.owner))
                    .unwrap_or_default();
                format!("{} {}{who}, token {}", r.state, r.phase.as_str(), r.token)
            })
            .unwrap_or_else(|| "unreadable".into())
    };
    let short = |c: Option<ObjectId>| c.map(|c| c.to_string()).unwrap_or_default();
    Conflict {
        code: "sync_conflict",
        wo_id: id.to_owned(),
        local: short(local),
        remote: short(there),
        message: format!(
            "the record here ({}) and on {remote} ({}) moved on independently; neither was overwritten",
            describe(local),
            describe(there)
        ),
        hint: format!(
            "compare: git log --oneline {PREFIX}{id} refs/remotes/{remote}/wo/orders/{id}; keep theirs: git update-ref {PREFIX}{id} refs/remotes/{remote}/wo/orders/{id}; keep yours: git push --force-with-lease={PREFIX}{id}:{} {remote} {PREFIX}{id}",
            short(there)
        ),
    }
}

/// Keep what this sync found diverged with `remote` in `<git-common-dir>/wo/` (the
/// other remotes' entries kept), for `git wo audit` to report until it is resolved. A
/// failure to write it is a warning: the sync's own report says it all.
fn record_conflicts(repo: &Repo, remote: &str, found: &[Conflict]) {
    use crate::model::sync_conflict::{FILE, SyncConflict, SyncConflicts};
    let path = repo.wo_dir().join(FILE);
    let mut file = std::fs::read(&path)
        .ok()
        .and_then(|b| SyncConflicts::parse(&b))
        .unwrap_or_default();
    file.conflicts.retain(|c| c.remote != remote);
    file.conflicts.extend(found.iter().map(|c| SyncConflict {
        wo_id: c.wo_id.clone(),
        remote: remote.to_owned(),
        local: c.local.clone(),
        theirs: c.remote.clone(),
        message: c.message.clone(),
        hint: c.hint.clone(),
    }));
    let result = if file.conflicts.is_empty() {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    } else {
        file.schema = SyncConflicts::SCHEMA.to_owned();
        file.at = crate::model::when::shown(crate::clock::now());
        serde_json::to_string_pretty(&file)
            .map(|text| crate::inventory::line_format::write_file(&path, &text))
            .map_err(anyhow::Error::from)
    };
    if let Err(e) = result {
        eprintln!(
            "warning: could not keep the sync conflicts in {} for git wo audit: {e:#}",
            path.display()
        );
    }
}
