//! One copy, in its place: a lost YAML restored from its record, surplus copies to
//! quarantine, the copy that stays moved to the target state's folder with its
//! `status:` set.

use super::repair::{Action, Repair, Safety};
use super::wo::Wo;
use crate::inventory::WoView;
use crate::model::finding::Code;
use crate::model::order::OrderFile;
use crate::model::state::State;
use crate::model::wo_id::WoId;

/// `orphan_record`: a record with no YAML gets its `order.yaml` back.
pub fn restore_yaml(wo: &Wo<'_, '_>) -> Option<Action> {
    let (inv, id, v) = (wo.inv, wo.id, wo.v);
    let r = &v.record?.record;
    if v.has_copy() {
        return None;
    }
    Some(wo.action(
        Code::OrphanRecord,
        Repair::RestoreYaml { to: r.state },
        Safety::Safe,
        format!(
            "restore {}/{}/{id}.yaml from the record's order.yaml",
            inv.jobs_rel, r.state
        ),
        vec![format!("{}/{}/{id}.yaml", inv.jobs_rel, r.state)],
    ))
}

/// `split_brain`, `duplicate_yaml`, `state_mismatch`, `status_mismatch`: every copy but
/// the keeper to quarantine, then the keeper placed in `target`'s folder with
/// `status: <target>`.
pub fn one_copy_in_place(wo: &Wo<'_, '_>, target: Option<State>) -> Vec<Action> {
    let (inv, id, v) = (wo.inv, wo.id, wo.v);
    let mut out = Vec::new();
    let Some(target) = target.filter(|_| !v.files().is_empty()) else {
        return out;
    };
    let keeper = keeper(id, v, target);
    for f in v
        .files()
        .iter()
        .filter(|f| f.rel_path() != keeper.rel_path())
    {
        let (code, why) = if f.folder != keeper.folder {
            (
                Code::SplitBrain,
                format!("{} wins over {}", target, f.folder),
            )
        } else {
            (
                Code::DuplicateYaml,
                format!(
                    "a second file of {id}; {} is kept",
                    wo.rel(keeper.rel_path())
                ),
            )
        };
        out.push(wo.action(
            code,
            Repair::Quarantine {
                path: f.rel_path().to_path_buf(),
            },
            Safety::Safe,
            format!("quarantine {} ({why})", wo.rel(f.rel_path())),
            vec![wo.rel(f.rel_path())],
        ));
    }
    let status_ok = keeper.status() == Ok(target);
    if keeper.folder == target && status_ok {
        return out;
    }
    let (code, what) = if keeper.folder != target {
        (
            if v.is_split_brain() {
                Code::SplitBrain
            } else {
                Code::StateMismatch
            },
            format!(
                "move {} to {}/{}/ and set status: {target} (the record is the truth)",
                wo.rel(keeper.rel_path()),
                inv.jobs_rel,
                target
            ),
        )
    } else {
        (
            Code::StatusMismatch,
            format!("set status: {target} in {}", wo.rel(keeper.rel_path())),
        )
    };
    out.push(wo.action(
        code,
        Repair::Place {
            path: keeper.rel_path().to_path_buf(),
            to: target,
        },
        Safety::Safe,
        what,
        vec![wo.rel(keeper.rel_path())],
    ));
    out
}

/// The copy that stays: one in the target folder, `<ID>.yaml` (or `.yml`) before other
/// names; with none there (a record whose state no copy has), the copy the precedence
/// rules pick.
fn keeper<'a>(id: &WoId, v: &WoView<'a>, target: State) -> &'a OrderFile {
    let canonical = |f: &&OrderFile| {
        f.rel_path()
            .file_stem()
            .is_some_and(|s| s.to_str() == Some(id.as_str()))
    };
    let in_target: Vec<&OrderFile> = v
        .files()
        .iter()
        .copied()
        .filter(|f| f.folder == target)
        .collect();
    if let Some(f) = in_target
        .iter()
        .copied()
        .find(canonical)
        .or(in_target.first().copied())
    {
        return f;
    }
    let order = [State::Done, State::Failed, State::Running, State::Pending];
    order
        .iter()
        .find_map(|s| v.files().iter().copied().find(|f| f.folder == *s))
        .unwrap_or(v.files()[0])
}

#[cfg(test)]
mod tests {
    use crate::model::order::OrderFile;
    use crate::model::state::State;
    use crate::views::reconcile::{Repair, plan};

    #[test]
    fn the_canonical_name_in_the_target_folder_is_kept() {
        let files = vec![
            OrderFile::in_folder(
                State::Done,
                "WO-0003_copy.yaml",
                "id: WO-0003\nstatus: done\n",
            ),
            OrderFile::in_folder(State::Done, "WO-0003.yaml", "id: WO-0003\nstatus: done\n"),
        ];
        let inv = crate::inventory::Inventory::from_files(
            std::path::Path::new("/repo"),
            files,
            crate::clock::now(),
        );
        let p = plan(&inv);
        assert_eq!(p.len(), 1);
        assert_eq!(
            p[0].repair,
            Repair::Quarantine {
                path: "_ctx/jobs/done/WO-0003_copy.yaml".into()
            }
        );
    }
}
