//! Who owns a worktree (SPEC §1): by, in this order, the WO's record, the git lock
//! reason git-wo wrote, the WO branch checked out, the directory name, and last a
//! YAML's `worktree:` field. The first fact that names a WO decides; every other WO
//! a fact names is a conflicting claim, which views report and never act on.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::git::repo::CanonicalPaths;
use crate::git::worktrees::Worktree;
use crate::inventory::Inventory;
pub use crate::inventory::claims::{Claim, ClaimBy, Ownership};
use crate::model::lock_reason;
use crate::model::wo_id::WoId;

/// What the records and YAML files say: the worktree path each names (as written),
/// and the WOs that name each branch.
struct Named<'i> {
    paths: Vec<(&'i str, Claim)>,
    branches: HashMap<&'i str, Vec<WoId>>,
}

impl Inventory {
    /// Every linked worktree that some fact ties to a WO, with its owner and rivals.
    pub fn ownerships(&self) -> Vec<Ownership<'_>> {
        let named = self.named();
        let by_path = self.claims_by_path(named.paths);
        self.worktrees
            .iter()
            .filter(|w| !w.is_main)
            .filter_map(|w| {
                let mut claims: Vec<Claim> = by_path.get(&w.path).cloned().unwrap_or_default();
                claims.extend(self.worktree_claims(w, &named.branches));
                let mut it = strongest_first(claims).into_iter();
                let owner = it.next()?;
                Some(Ownership {
                    worktree: w,
                    owner,
                    rivals: it.collect(),
                })
            })
            .collect()
    }

    /// The worktree paths and branches the records and the YAML files name.
    fn named(&self) -> Named<'_> {
        let mut named = Named {
            paths: Vec::new(),
            branches: HashMap::new(),
        };
        for s in self.records.values() {
            // (Most records name neither: their ids are not parsed, nor copied.)
            if s.record.branch().is_none() && s.record.worktree().is_none() {
                continue;
            }
            let Ok(id) = WoId::parse(s.record.id()) else {
                continue;
            };
            if let Some(b) = s.record.branch() {
                named.branches.entry(b).or_default().push(id.clone());
            }
            if let Some(wt) = s.record.worktree() {
                let by = ClaimBy::Record;
                named.paths.push((wt, Claim { id, by }));
            }
        }
        for f in self.files.iter().filter(|f| f.counts_as_copy()) {
            let Some(id) = &f.id else { continue };
            if let Some(b) = f.fields.branch() {
                named.branches.entry(b).or_default().push(id.clone());
            }
            if let Some(wt) = f.fields.worktree() {
                let (id, by) = (id.clone(), ClaimBy::YamlField);
                named.paths.push((wt, Claim { id, by }));
            }
        }
        named
    }

    /// The claims on each path named. The YAML and the record usually name the same
    /// path: each text is resolved once, and each folder they are in once.
    fn claims_by_path(&self, named: Vec<(&str, Claim)>) -> HashMap<PathBuf, Vec<Claim>> {
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
        by_path
    }

    /// The claims git's own facts about `w` make: its lock reason, its branch (named
    /// by a WO, or the WO branch prefix and an id), its folder's name.
    fn worktree_claims(&self, w: &Worktree, branches: &HashMap<&str, Vec<WoId>>) -> Vec<Claim> {
        let mut claims = Vec::new();
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
            let named = branches.get(branch).cloned().unwrap_or_default();
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
        claims
    }
}

/// Strongest fact first; each WO once, by its strongest fact.
fn strongest_first(mut claims: Vec<Claim>) -> Vec<Claim> {
    claims.sort_by(|a, b| (a.by, &a.id).cmp(&(b.by, &b.id)));
    let mut seen: Vec<Claim> = Vec::with_capacity(claims.len());
    for c in claims {
        if !seen.iter().any(|s| s.id == c.id) {
            seen.push(c);
        }
    }
    seen
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
