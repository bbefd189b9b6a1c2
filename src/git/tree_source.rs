//! Reading the jobs dir as it is in the index (`--staged`) or in a tree-ish, instead of
//! the working tree: the gate checks what is about to be committed.

use anyhow::{Context, Result};
use gix::ObjectId;

use super::Repo;
use crate::error::WoError;

/// A file under the jobs dir as stored in git: its path relative to the control
/// checkout and its contents.
#[derive(Debug)]
pub struct SourceFile {
    pub path: String,
    pub content: Content,
}

#[derive(Debug)]
pub enum Content {
    Bytes(Vec<u8>),
    /// Larger than the limit: not read. The size in bytes.
    TooLarge(u64),
    Unreadable(String),
}

impl Repo {
    /// Files under `prefix/` as staged in the control checkout's index.
    pub fn files_in_index(&self, prefix: &str, max: u64) -> Result<Vec<SourceFile>> {
        let main = gix::open(&self.control_root)?;
        let index = main.index_or_empty()?;
        let dir = format!("{prefix}/");
        let entries = index
            .entries()
            .iter()
            .filter(|e| e.stage_raw() == 0)
            .map(|e| (e.path(&index).to_string(), e.id))
            .filter(|(path, _)| path.starts_with(&dir))
            .collect();
        Ok(self.read_blobs(entries, max))
    }

    /// Files under `prefix/` in the tree of `rev` (a commit or a tree).
    pub fn files_in_tree(&self, rev: &str, prefix: &str, max: u64) -> Result<Vec<SourceFile>> {
        let obj = self
            .gix
            .rev_parse_single(rev)
            .map_err(|e| WoError::usage(format!("`{rev}` is not a commit or tree: {e}")))?
            .object()?;
        let tree = obj
            .peel_to_tree()
            .with_context(|| format!("`{rev}` has no tree"))?;
        let mut entries = Vec::new();
        if let Some(entry) = tree.lookup_entry_by_path(prefix)?
            && entry.mode().is_tree()
        {
            self.walk_tree(entry.oid().to_owned(), prefix.to_owned(), &mut entries)?;
        }
        Ok(self.read_blobs(entries, max))
    }

    fn walk_tree(
        &self,
        tree: ObjectId,
        prefix: String,
        out: &mut Vec<(String, ObjectId)>,
    ) -> Result<()> {
        let tree = self.gix.find_tree(tree)?;
        for e in tree.iter() {
            let e = e?;
            let path = format!("{prefix}/{}", e.filename());
            if e.mode().is_tree() {
                self.walk_tree(e.oid().to_owned(), path, out)?;
            } else if e.mode().is_blob() {
                out.push((path, e.oid().to_owned()));
            }
        }
        Ok(())
    }

    /// Read blobs in parallel (each thread with its own repository handle); blobs over
    /// `max` bytes are not inflated.
    fn read_blobs(&self, entries: Vec<(String, ObjectId)>, max: u64) -> Vec<SourceFile> {
        let shared = self.gix.clone().into_sync();
        crate::parallel::map(
            entries,
            || shared.to_thread_local(),
            |repo, (path, id)| {
                let content = match repo.find_header(id) {
                    Ok(h) if h.size() > max => Content::TooLarge(h.size()),
                    Ok(_) => match repo.find_blob(id) {
                        Ok(mut b) => Content::Bytes(b.take_data()),
                        Err(e) => Content::Unreadable(e.to_string()),
                    },
                    Err(e) => Content::Unreadable(e.to_string()),
                };
                SourceFile { path, content }
            },
        )
    }
}
