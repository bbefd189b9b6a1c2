//! Which WOs have an intent marker: the `[ID] intent: …` lines of the notes in
//! `refs/notes/wo` (SPEC §2). Note blobs already seen are in the object cache.

use std::collections::BTreeSet;

use anyhow::Result;

use crate::git::Repo;
use crate::inventory::object_cache::ObjectCache;

/// Ids that have an `[ID] intent:` marker anywhere in `refs/notes/wo`. A notes commit
/// seen before answers at once; otherwise each note blob seen before does.
pub fn intent_ids(repo: &Repo, cache: &mut ObjectCache) -> Result<BTreeSet<String>> {
    let mut ids = BTreeSet::new();
    let Some(tip) = repo.notes_tip()? else {
        return Ok(ids);
    };
    if let Some(known) = cache.tip(tip) {
        return Ok(known.into_iter().collect());
    }
    for (_, blob) in repo.notes_in(tip)? {
        let of_blob = match cache.note(blob) {
            Some(v) => v,
            None => {
                let v = intents_in(&String::from_utf8_lossy(&repo.blob(blob)?));
                cache.put_note(blob, v.clone());
                v
            }
        };
        ids.extend(of_blob);
    }
    cache.put_tip(tip, ids.iter().cloned().collect());
    Ok(ids)
}

/// The ids of the `[ID] intent: …` lines of a note.
pub fn intents_in(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix('[').and_then(|l| l.split_once("] ")))
        .filter(|(_, rest)| rest.starts_with("intent:"))
        .map(|(id, _)| id.to_owned())
        .collect()
}

/// A marker line of one WO and the object its note is attached to.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MarkerLine {
    pub object: String,
    pub line: String,
    /// The `tip=` the line named before a rewrite (rebase, amend) moved the note to
    /// `object` (see [`crate::inventory::marker_copies`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rewritten_from: Option<String>,
}

/// Every `[ID] …` line of `id` in `refs/notes/wo`, in note order.
pub fn lines_of(repo: &Repo, id: &str) -> Result<Vec<MarkerLine>> {
    let tag = format!("[{id}] ");
    let mut out = Vec::new();
    for note in repo.read_notes()? {
        for line in note.lines {
            if line.starts_with(&tag) {
                out.push(MarkerLine {
                    object: note.target.clone(),
                    line,
                    rewritten_from: None,
                });
            }
        }
    }
    Ok(out)
}
