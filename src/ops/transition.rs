//! Writing a record transition: the commit message (`wo: <action> <ID>` with marker
//! lines and `WO-Action:`/`WO-Owner:`/`WO-Token:` trailers) and the compare-and-swap.

use anyhow::Result;

use crate::git::Repo;
use crate::git::records::{Expect, Stored};
use crate::model::record::Record;

/// Commit `record` (with `yaml` as `order.yaml`) on `parent`, winning only if the ref
/// still holds `prev`. `parent` is `prev` for a transition; a lease renewal replaces
/// the previous renewal, so its parent is the last transition. `lines` are marker
/// lines for the message body; `fixed_time` makes imports deterministic. Called only
/// by the journal's record step.
#[allow(clippy::too_many_arguments)]
pub fn commit_with_parent(
    repo: &Repo,
    prev: Option<&Stored>,
    parent: Option<gix::ObjectId>,
    record: &Record,
    yaml: &[u8],
    action: &str,
    owner: &str,
    lines: &[String],
    fixed_time: bool,
) -> Result<Stored> {
    let message = message(action, &record.id, owner, record.token, lines);
    let expect = prev.map_or(Expect::Absent, |p| Expect::At(p.commit));
    let commit = repo.write_record(record, yaml, &message, parent, expect, fixed_time)?;
    Ok(Stored {
        record: record.clone(),
        commit,
    })
}

pub fn message(action: &str, id: &str, owner: &str, token: u64, lines: &[String]) -> String {
    let mut m = format!("wo: {action} {id}\n\n");
    for l in lines {
        m.push_str(l);
        m.push('\n');
    }
    if !lines.is_empty() {
        m.push('\n');
    }
    m.push_str(&format!(
        "WO-Action: {action}\nWO-Owner: {owner}\nWO-Token: {token}\n"
    ));
    m
}
