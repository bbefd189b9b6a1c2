//! Who owns a worktree (SPEC §1): by, in this order, the WO's record, the git lock
//! reason git-wo wrote, the WO branch checked out, the directory name, and last a
//! YAML's `worktree:` field. The first fact that names a WO decides; every other WO
//! a fact names is a conflicting claim, which views report and never act on.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::git::repo::CanonicalPaths;
use crate::inventory::Inventory;
pub use crate::inventory::claims::{Claim, ClaimBy, Ownership};
use crate::model::lock_reason;
use crate::model::wo_id::WoId;

impl Inventory {
    /// Every linked worktree that some fact ties to a WO, with its owner and rivals.
    pub fn ownerships(&self) -> Vec<Ownership<'_>> {
        let mut named: Vec<(&str, Claim)> = Vec::new();
        let mut by_branch: HashMap<&str, Vec<WoId>> = HashMap::new();
        for s in self.records.values() {
            // (Most records name neither: their ids are not parsed, nor copied.)
            if s.record.branch.is_none() && s.record.worktree.is_none() {
                continue;
            }
            let Ok(id) = WoId::parse(&s.record.id) else {
                continue;
            };
            if let Some(b) = s.record.branch.as_deref() {
                by_branch.entry(b).or_default().push(id.clone());
            }
            if let Some(wt) = s.record.worktree.as_deref() {
                named.push((
                    wt,
                    Claim {
                        id,
                        by: ClaimBy::Record,
                    },
                ));
            }
        }
        for f in self.files.iter().filter(|f| f.counts_as_copy()) {
            let Some(id) = &f.id else { continue };
            if let Some(b) = f.fields.branch() {
                by_branch.entry(b).or_default().push(id.clone());
            }
            if let Some(wt) = f.fields.worktree() {
                named.push((
                    wt,
                    Claim {
                        id: id.clone(),
                        by: ClaimBy::YamlField,
                    },
                ));
            }
        }
        // The YAML and the record usually name the same path: resolve each text once,
        // and each folder they are in once.
        let mut resolved: HashMap<&str, PathBuf> = HashMap::new();
        let mut folders = CanonicalPaths::default();
        let mut by_path: HashMap<PathBuf, Vec<Claim>> = HashMap::new();
        for (text, claim) in named {
            let path = resolved
                .entry(text)
                .or_insert_with(|| self.resolve_in(text, &mut folders))
                .clone();
            by_path.entry(path).or_default().push(claim);
        }
        self.worktrees
            .iter()
            .filter(|w| !w.is_main)
            .filter_map(|w| {
                let mut claims: Vec<Claim> = by_path.get(&w.path).cloned().unwrap_or_default();
                if let Some(id) = w
                    .locked
                    .as_deref()
                    .and_then(lock_reason::parse)
                    .and_then(|(id, _)| WoId::parse(&id).ok())
                {
                    claims.push(Claim {
                        id,
                        by: ClaimBy::LockReason,
                    });
                }
                if let Some(branch) = w.branch() {
                    let named = by_branch.get(branch).cloned().unwrap_or_default();
                    let prefixed = branch
                        .strip_prefix(self.branch_prefix.as_str())
                        .and_then(|rest| WoId::parse(rest).ok());
                    for id in named.into_iter().chain(prefixed) {
                        claims.push(Claim {
                            id,
                            by: ClaimBy::Branch,
                        });
                    }
                }
                if let Some(id) = w
                    .path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| WoId::parse(n).ok())
                {
                    claims.push(Claim {
                        id,
                        by: ClaimBy::FolderName,
                    });
                }
                // Strongest fact first; each WO once, by its strongest fact.
                claims.sort_by(|a, b| (a.by, &a.id).cmp(&(b.by, &b.id)));
                let mut seen: Vec<Claim> = Vec::with_capacity(claims.len());
                for c in claims {
                    if !seen.iter().any(|s| s.id == c.id) {
                        seen.push(c);
                    }
                }
                let mut it = seen.into_iter();
                let owner = it.next()?;
                Some(Ownership {
                    worktree: w,
                    owner,
                    rivals: it.collect(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::git::worktrees::{Head, Worktree};
    use crate::model::order::OrderFile;
    use crate::model::state::State;

    fn worktree(path: &str, branch: &str, locked: Option<&str>) -> Worktree {
        Worktree {
            name: "x".into(),
            path: PathBuf::from(path),
            recorded: PathBuf::from(path),
            admin_dir: PathBuf::from("/repo/.git/worktrees/x"),
            head: Head::Branch(branch.into()),
            locked: locked.map(str::to_owned),
            exists: true,
            is_main: false,
        }
    }

    #[test]
    fn the_folder_name_beats_a_yaml_field_and_the_yaml_is_a_rival() {
        let files = vec![
            OrderFile::in_folder(
                State::Running,
                "WO-0001.yaml",
                "id: WO-0001\nstatus: running\nworktree: /wt/WO-0001\n",
            ),
            OrderFile::in_folder(
                State::Done,
                "WO-0002.yaml",
                "id: WO-0002\nstatus: done\nworktree: /wt/WO-0001\n",
            ),
        ];
        let mut inv = Inventory::from_files(Path::new("/repo"), files, crate::clock::now());
        inv.worktrees
            .push(worktree("/wt/WO-0001", "feat/wo-WO-0001", None));
        let o = inv.ownerships();
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].owner.id.as_str(), "WO-0001");
        assert_eq!(o[0].owner.by, ClaimBy::Branch);
        assert_eq!(
            o[0].rivals,
            vec![Claim {
                id: WoId::parse("WO-0002").expect("id"),
                by: ClaimBy::YamlField
            }]
        );
    }

    #[test]
    fn the_lock_reason_beats_the_branch_and_the_folder() {
        let mut inv = Inventory::from_files(Path::new("/repo"), Vec::new(), crate::clock::now());
        inv.worktrees.push(worktree(
            "/wt/WO-0003",
            "feat/wo-WO-0004",
            Some("git-wo WO-0005 token=2"),
        ));
        let o = inv.ownerships();
        assert_eq!(o[0].owner.id.as_str(), "WO-0005");
        let rivals: Vec<&str> = o[0].rivals.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(rivals, vec!["WO-0004", "WO-0003"]);
    }

    #[test]
    fn agreeing_facts_are_no_conflict() {
        let files = vec![OrderFile::in_folder(
            State::Running,
            "WO-0001.yaml",
            "id: WO-0001\nstatus: running\nworktree: /wt/WO-0001\nbranch: feat/wo-WO-0001\n",
        )];
        let mut inv = Inventory::from_files(Path::new("/repo"), files, crate::clock::now());
        inv.worktrees.push(worktree(
            "/wt/WO-0001",
            "feat/wo-WO-0001",
            Some("git-wo WO-0001 token=1"),
        ));
        let o = inv.ownerships();
        assert!(!o[0].contested(), "{:?}", o[0].rivals);
        assert_eq!(o[0].owner.by, ClaimBy::LockReason);
    }
}
