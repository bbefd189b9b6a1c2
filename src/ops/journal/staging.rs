//! Staging: after the last step, the files the steps moved or edited are staged as
//! `git mv` would (SPEC §1), when tracked, and committed with `wo.commit`.

use anyhow::Result;

use super::executor::Journal;
use super::plan::Plan;
use crate::error::shell_quote;

impl Journal<'_> {
    /// After the last step: stage the YAML moves and edits the steps made, as `git mv`
    /// would (SPEC §1), when the files are tracked (in the index or in `HEAD`), and
    /// nothing else; with `wo.commit`, commit exactly them. The state change is done
    /// by then, so a failure here is a warning with the command that finishes it.
    pub(super) fn stage(&mut self, plan: &Plan) {
        let touched: std::collections::BTreeSet<String> = std::mem::take(&mut self.touched)
            .into_iter()
            .filter(|p| p.is_relative())
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .collect();
        if touched.is_empty() {
            return;
        }
        let repo = self.repo;
        let is_yaml = |p: &str| p.ends_with(".yaml") || p.ends_with(".yml");
        // The WO's files move together: all staged when one of them is tracked. Other
        // files (`.lock`s, runtime state that init excludes) only where tracked.
        let staged_paths = || -> Result<Vec<String>> {
            let index = crate::git::index::Staged::read(&repo.control_index_path()?)?;
            let head = repo.head_commit();
            let tracked = |p: &str| -> Result<bool> {
                Ok(index.tracks(p)
                    || match head {
                        Some(h) => repo.path_in(h, p)?,
                        None => false,
                    })
            };
            let mut yaml_tracked = false;
            for p in touched.iter().filter(|p| is_yaml(p)) {
                yaml_tracked |= tracked(p)?;
            }
            let mut out = Vec::new();
            for p in &touched {
                if if is_yaml(p) {
                    yaml_tracked
                } else {
                    tracked(p)?
                } {
                    out.push(p.clone());
                }
            }
            Ok(out)
        };
        let paths: Vec<String> = touched.iter().cloned().collect();
        let quoted: Vec<String> = paths.iter().map(|p| shell_quote(p)).collect();
        let result = staged_paths().and_then(|staged| {
            if staged.is_empty() {
                return Ok(());
            }
            repo.stage(&staged)?;
            if repo.config.commit {
                let message = format!("wo: {} {}\n", plan.op, plan.id);
                repo.commit_paths(&staged, &message)?;
            }
            Ok(())
        });
        if let Err(e) = result {
            eprintln!(
                "warning: {}: the {} is done but its files could not be {}: {e:#} (fix: git add -A -- {})",
                plan.id,
                plan.op,
                if repo.config.commit {
                    "staged and committed"
                } else {
                    "staged"
                },
                quoted.join(" ")
            );
        }
    }
}
