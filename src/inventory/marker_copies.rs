//! Markers that a rewrite copied. With `notes.rewriteRef` (set by `git wo init`), a
//! rebase or an amend copies each note to the rewritten commit and leaves the old one
//! in place, so `refs/notes/wo` holds the same marker line twice, and a result
//! marker's `tip=` still names the commit before the rewrite. For people, each marker
//! is shown once, on the commit the WO's branch reaches, and `tip=` is the commit the
//! note is attached to.

use gix::ObjectId;

use crate::git::Repo;
use crate::inventory::markers::MarkerLine;

/// `markers` with each line once: of the copies of a line (the same text on several
/// commits), the one on a commit `branch_tip` reaches, else the one on the newest
/// commit. (Two finishes write two lines: their `tip=` differ.) A `tip=`
/// that names another commit than the one the note is on is replaced by that commit,
/// the old one kept in `rewritten_from`.
pub fn one_each(
    repo: &Repo,
    markers: Vec<MarkerLine>,
    branch_tip: Option<ObjectId>,
) -> Vec<MarkerLine> {
    let mut groups: Vec<(String, Vec<MarkerLine>)> = Vec::new();
    for m in markers {
        let key = m.line.clone();
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, g)) => g.push(m),
            None => groups.push((key, vec![m])),
        }
    }
    groups
        .into_iter()
        .filter_map(|(_, copies)| {
            let chosen = if copies.len() == 1 {
                copies.into_iter().next()
            } else {
                pick(repo, copies, branch_tip)
            };
            chosen.map(retip)
        })
        .collect()
}

/// The copy on a commit the branch reaches, else the one on the newest commit.
fn pick(repo: &Repo, copies: Vec<MarkerLine>, branch_tip: Option<ObjectId>) -> Option<MarkerLine> {
    let oid = |m: &MarkerLine| ObjectId::from_hex(m.object.as_bytes()).ok();
    if let Some(tip) = branch_tip
        && let Some(i) = copies
            .iter()
            .position(|m| oid(m).is_some_and(|o| repo.is_ancestor(o, tip).unwrap_or(false)))
    {
        return copies.into_iter().nth(i);
    }
    copies
        .into_iter()
        .max_by_key(|m| oid(m).and_then(|o| repo.commit_time(o)))
}

/// The line with `tip=` naming the commit the note is on.
fn retip(mut m: MarkerLine) -> MarkerLine {
    let Some(old) = tip_of(&m.line) else {
        return m;
    };
    if old != m.object && m.object.len() == 40 {
        m.line = m
            .line
            .replacen(&format!("tip={old}"), &format!("tip={}", m.object), 1);
        m.rewritten_from = Some(old);
    }
    m
}

/// The value of the `tip=` word of a marker line.
fn tip_of(line: &str) -> Option<String> {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix("tip="))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tip_word() {
        let a = "[WO-1] result: done verified=yes tip=aaaa";
        assert_eq!(tip_of(a).as_deref(), Some("aaaa"));
        assert_eq!(tip_of("[WO-1] intent: x"), None);
    }

    #[test]
    fn the_tip_becomes_the_annotated_commit() {
        let obj = "b".repeat(40);
        let m = retip(MarkerLine {
            object: obj.clone(),
            line: format!("[WO-1] result: done verified=yes tip={}", "a".repeat(40)),
            rewritten_from: None,
        });
        assert!(m.line.ends_with(&format!("tip={obj}")), "{}", m.line);
        assert_eq!(m.rewritten_from, Some("a".repeat(40)));
    }
}
