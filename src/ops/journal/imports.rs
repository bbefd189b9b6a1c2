//! Imports in bulk (`init`, and the mirroring of WOs added since): plans of one record
//! write each, for WOs with no record yet, applied in one `git fast-import` pack and
//! one locked rewrite of `packed-refs`, each plan still deciding its own race.

use anyhow::Result;
use gix::ObjectId;

use super::executor::Journal;
use super::plan::{Applied, OrderYaml, Plan, RecordWrite, Step};
use crate::error::WoError;
use crate::failpoint;
use crate::git::Repo;
use crate::inventory::records;
use crate::ops::transition;

/// Apply imports (plans of one [`Step::Record`] with [`OrderYaml::Bytes`] and a fixed
/// time, for WOs with no record yet: `init`) all at once: their commits go into one
/// pack, their refs into `packed-refs` under its lock. A record that exists already,
/// or that someone else creates meanwhile, is a conflict for that plan alone. When
/// `packed-refs` is locked by another writer, or a plan is not an import, every plan is
/// applied on its own, each with its own compare-and-swap.
pub fn apply_imports(repo: &Repo, jobs_rel: &str, plans: &[Plan]) -> Vec<Result<Applied>> {
    let one_by_one = |plans: &[Plan]| -> Vec<Result<Applied>> {
        plans
            .iter()
            .map(|p| Journal::new(repo, jobs_rel, None).apply(p))
            .collect()
    };
    let imports: Option<Vec<&RecordWrite>> = plans
        .iter()
        .map(|p| match p.steps.as_slice() {
            [Step::Record(w)] if matches!(w.yaml, OrderYaml::Bytes(_)) && w.fixed_time => {
                Some(&**w)
            }
            _ => None,
        })
        .collect();
    let Some(imports) = imports.filter(|i| i.len() > 1) else {
        return one_by_one(plans);
    };
    match import_batch(repo, &imports) {
        Ok(skipped) => {
            for p in plans {
                failpoint::hit(&format!("{}:after-import", p.op));
            }
            plans
                .iter()
                .map(|p| {
                    let name = records::ref_name(p.id.as_str());
                    if skipped.contains(&name) {
                        Err(WoError::conflict(format!(
                            "{}: {name} was created by someone else first",
                            p.id
                        ))
                        .fix(format!("git wo show {}", p.id))
                        .into())
                    } else {
                        Ok(Applied::default())
                    }
                })
                .collect()
        }
        // Nothing was created: each plan finds out for itself who was first.
        Err(e) if crate::error::classify(&e).kind == crate::error::Kind::Conflict => {
            one_by_one(plans)
        }
        Err(e) => {
            let text = format!("{e:#}");
            plans
                .iter()
                .map(|_| Err(anyhow::anyhow!(text.clone())))
                .collect()
        }
    }
}

/// Import in one go; the ref names that were not created (someone else's record).
fn import_batch(repo: &Repo, imports: &[&RecordWrite]) -> Result<Vec<String>> {
    use crate::git::fast_import::RootCommit;
    let mut commits = Vec::with_capacity(imports.len());
    for w in imports {
        let OrderYaml::Bytes(yaml) = &w.yaml else {
            unreachable!("imports carry their bytes");
        };
        let json = serde_json::to_vec_pretty(&w.record)?;
        commits.push(RootCommit {
            files: [
                (records::ORDER_FILE, yaml.clone()),
                (records::RECORD_FILE, json),
            ],
            message: transition::message(
                w.action,
                w.record.id(),
                &w.owner,
                w.record.token,
                &w.lines,
            ),
        });
    }
    let t = crate::trace::phase("import: fast-import");
    let progress = crate::progress::start("Writing records", commits.len());
    let ids = repo.import_root_commits(&commits)?;
    progress.add(commits.len());
    drop(progress);
    drop(t);
    let _t = crate::trace::phase("import: packed refs");
    let refs: Vec<(String, ObjectId)> = imports
        .iter()
        .zip(ids)
        .map(|(w, id)| (records::ref_name(w.record.id()), id))
        .collect();
    let skipped = repo.create_refs_packed(&refs)?;
    Ok(skipped)
}
