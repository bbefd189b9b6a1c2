//! Reading the jobs dir as it is in the index (`--staged`) or in a tree-ish, instead of
//! the working tree: the gate checks what is about to be committed.

use anyhow::{Context, Result};

use super::Repo;
use crate::error::WoError;

/// A file under the jobs dir: its path relative to the control checkout and its bytes.
pub type SourceFile = (String, Vec<u8>);

impl Repo {
    /// Files under `prefix/` as staged in the control checkout's index.
    pub fn files_in_index(&self, prefix: &str) -> Result<Vec<SourceFile>> {
        let main = gix::open(&self.control_root)?;
        let index = main.index_or_empty()?;
        let dir = format!("{prefix}/");
        let mut out = Vec::new();
        for entry in index.entries() {
            let path = entry.path(&index).to_string();
            if !path.starts_with(&dir) || entry.stage_raw() != 0 {
                continue;
            }
            let blob = main.find_blob(entry.id)?;
            out.push((path, blob.data.clone()));
        }
        Ok(out)
    }

    /// Files under `prefix/` in the tree of `rev` (a commit or a tree).
    pub fn files_in_tree(&self, rev: &str, prefix: &str) -> Result<Vec<SourceFile>> {
        let obj = self
            .gix
            .rev_parse_single(rev)
            .map_err(|e| {
                WoError::usage(format!("`{rev}` is not a commit or tree: {e}"))
                    .fix("git wo check --tree HEAD")
            })?
            .object()?;
        let tree = obj
            .peel_to_tree()
            .with_context(|| format!("`{rev}` has no tree"))?;
        let mut out = Vec::new();
        let Some(entry) = tree.lookup_entry_by_path(prefix)? else {
            return Ok(out);
        };
        if entry.mode().is_tree() {
            self.walk_tree(entry.oid().to_owned(), prefix.to_owned(), &mut out)?;
        }
        Ok(out)
    }

    fn walk_tree(
        &self,
        tree: gix::ObjectId,
        prefix: String,
        out: &mut Vec<SourceFile>,
    ) -> Result<()> {
        let tree = self.gix.find_tree(tree)?;
        for e in tree.iter() {
            let e = e?;
            let path = format!("{prefix}/{}", e.filename());
            if e.mode().is_tree() {
                self.walk_tree(e.oid().to_owned(), path, out)?;
            } else if e.mode().is_blob() {
                out.push((path, self.gix.find_blob(e.oid().to_owned())?.data.clone()));
            }
        }
        Ok(())
    }
}
