//! The rules about a WO's copies: invalid_yaml, status_mismatch, split_brain,
//! duplicate_yaml. An unreadable copy is a copy (SPEC §1): it counts in split-brain
//! and duplicates, and while there is one, the fix is the person's.

use super::wo::{Wo, quoted};
use crate::error::shell_quote as q;
use crate::inventory::Inventory;
use crate::model::finding::{Code, Finding, Remedy, Subject};
use crate::views::precedence::target_state;

/// `invalid_yaml`: one per file in a state folder that is not a usable WO. Its WO (by
/// its stem) is left alone until the file is fixed.
pub fn invalid_yaml(inv: &Inventory, out: &mut Vec<Finding>) {
    for f in inv.files.iter().filter(|f| !f.archived) {
        let Some(problem) = f.problem() else { continue };
        let path = inv.rel(f.rel_path());
        let id = f.id.as_ref().map(|i| i.as_str());
        let then = match id {
            Some(id) => format!(
                "; until then no repair, removal, take or finish acts on {id}. Then: git wo lint {id}"
            ),
            None => ". Then: git wo lint".to_owned(),
        };
        out.push(Finding::new(
            Code::InvalidYaml,
            id,
            format!("{path}: {problem}"),
            Remedy::decide(format!(
                "fix {} by hand (resolve merge-conflict markers; it needs a valid `id:`), or move it out of {}{then}",
                q(&path),
                q(&inv.jobs_rel)
            )),
            vec![path],
        ));
    }
}

/// `status_mismatch`: a readable copy whose `status:` is not its folder.
pub fn status_mismatch(wo: &Wo<'_, '_>) -> Vec<Finding> {
    let inv = wo.inv;
    wo.v.files()
        .iter()
        .filter_map(|f| {
            let said = match f.status() {
                Ok(s) if s == f.folder => return None,
                Ok(s) => format!("`status: {s}`"),
                Err(Some(raw)) => format!("`status: {}`", crate::model::wo_id::printable(&raw)),
                Err(None) => "no `status:`".to_owned(),
            };
            let path = inv.rel(f.rel_path());
            let remedy = match wo.standing.why_not(inv) {
                None => Remedy::run(
                    "git wo reconcile --apply",
                    format!("sets `status: {}` in {}", f.folder, q(&path)),
                ),
                Some(why) => Remedy::decide(why),
            };
            Some(
                Finding::new(
                    Code::StatusMismatch,
                    Some(wo.id.as_str()),
                    format!("{} is in {}/ but says {said}", wo.id, f.folder),
                    remedy,
                    vec![path.clone()],
                )
                .about(Subject {
                    copies: vec![path],
                    winner: Some(f.folder),
                    ..Subject::default()
                }),
            )
        })
        .collect()
}

/// `split_brain`: copies in more than one state folder (unreadable ones included).
pub fn split_brain(wo: &Wo<'_, '_>) -> Option<Finding> {
    let (inv, id, v) = (wo.inv, wo.id, wo.v);
    if !v.is_split_brain() {
        return None;
    }
    let states: Vec<&str> = v.states().iter().map(|s| s.as_str()).collect();
    let keep = target_state(inv, v).filter(|_| wo.standing.is_open());
    let remedy = match wo.standing.why_not(inv) {
        None => {
            let losers: Vec<String> = v
                .files()
                .iter()
                .filter(|f| Some(f.folder) != keep)
                .map(|f| inv.rel(f.rel_path()))
                .collect();
            Remedy::run(
                "git wo reconcile --apply",
                format!(
                    "keeps the {} copy; {} {} to quarantine",
                    keep.map_or("winning", |s| s.as_str()),
                    quoted(&losers),
                    if losers.len() == 1 { "goes" } else { "go" }
                ),
            )
        }
        Some(why) => Remedy::decide(why),
    };
    Some(
        Finding::new(
            Code::SplitBrain,
            Some(id.as_str()),
            format!("{id} is in {} at once", states.join(" and ")),
            remedy,
            wo.all_paths(),
        )
        .about(Subject {
            copies: wo.all_paths(),
            winner: keep,
            ..Subject::default()
        }),
    )
}

/// `duplicate_yaml`: more than one file of the WO in one state folder (archived and
/// unreadable copies in that folder count).
pub fn duplicate_yaml(wo: &Wo<'_, '_>) -> Vec<Finding> {
    let (inv, id, v) = (wo.inv, wo.id, wo.v);
    let mut out = Vec::new();
    // (Nearly every WO has one copy: nothing to gather then, 100,000 lists a run.)
    if v.files().len() + v.unreadable().len() + v.archived().len() < 2 {
        return out;
    }
    for state in &v.states() {
        let in_state: Vec<_> = v
            .files()
            .iter()
            .chain(v.unreadable().iter())
            .chain(v.archived().iter())
            .copied()
            .filter(|f| f.folder == state)
            .collect();
        if in_state.len() < 2 {
            continue;
        }
        let archived = in_state.iter().filter(|f| f.archived).count();
        let remedy = match wo.standing.why_not(inv) {
            None => Remedy::run(
                "git wo reconcile --apply",
                format!(
                    "keeps one; {} to quarantine: {}",
                    if in_state.len() == 2 {
                        "the other goes"
                    } else {
                        "the others go"
                    },
                    quoted(&wo.paths(&in_state[1..]))
                ),
            ),
            Some(why) => Remedy::decide(why),
        };
        out.push(Finding::new(
            Code::DuplicateYaml,
            Some(id.as_str()),
            format!(
                "{id} has {} files in {state}/{}",
                in_state.len(),
                if archived > 0 {
                    format!(" ({archived} archived)")
                } else {
                    String::new()
                }
            ),
            remedy,
            wo.paths(&in_state),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::model::finding::Code;
    use crate::model::state::State;
    use crate::views::audit::audit;
    use crate::views::audit::test_support::{file, inv, of};

    #[test]
    fn an_unreadable_running_copy_beside_a_done_one_is_a_split_brain_a_person_fixes() {
        let inv = inv(vec![
            file(State::Done, "WO-0047.yaml", "id: WO-0047\nstatus: done\n"),
            file(
                State::Running,
                "WO-0047.yaml",
                "<<<<<<< ours\nid: WO-0047\n=======\nid: WO-0047\n>>>>>>> theirs\n",
            ),
        ]);
        let findings = audit(&inv);
        assert_eq!(
            of(&findings, Code::SplitBrain),
            vec![("WO-0047".into(), None)]
        );
        assert_eq!(
            of(&findings, Code::InvalidYaml),
            vec![("WO-0047".into(), None)]
        );
        assert_eq!(findings.len(), 2, "{findings:?}");
    }

    #[test]
    fn an_unreadable_copy_in_the_same_folder_is_a_duplicate() {
        let inv = inv(vec![
            file(State::Done, "WO-0001.yaml", "id: WO-0001\nstatus: done\n"),
            file(State::Done, "WO-0001_old.yaml", "title: no id here\n"),
        ]);
        // The second file's stem is no WO id: it is an invalid file of no WO.
        assert!(of(&audit(&inv), Code::DuplicateYaml).is_empty());
        let inv2 = super::super::test_support::inv(vec![
            file(State::Done, "WO-0002.yaml", "id: WO-0002\nstatus: done\n"),
            file(State::Done, "WO-0002.yml", "status: done\n"),
        ]);
        assert_eq!(
            of(&audit(&inv2), Code::DuplicateYaml),
            vec![("WO-0002".into(), None)]
        );
    }

    #[test]
    fn a_status_mismatch_is_reconciles() {
        let inv = inv(vec![file(
            State::Pending,
            "WO-0002.yaml",
            "id: WO-0002\nstatus: running\n",
        )]);
        assert_eq!(
            of(&audit(&inv), Code::StatusMismatch),
            vec![("WO-0002".into(), Some("git wo reconcile --apply".into()))]
        );
    }
}
