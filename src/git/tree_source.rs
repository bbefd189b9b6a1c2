//! Reading the jobs dir as it is in the index (`--staged`) or in a tree-ish, instead of
//! the working tree: the gate checks what is about to be committed.

use anyhow::{Context, Result};
use gix::ObjectId;

use super::Repo;
use crate::error::WoError;

/// A blob under a prefix as stored in git: its path relative to the top of the tree
/// and its id.
#[derive(Debug, Clone)]
pub struct BlobEntry {
    pub path: String,
    pub oid: ObjectId,
}

/// A blob's contents as read.
#[derive(Debug)]
pub struct SourceFile {
    pub entry: BlobEntry,
    pub content: Content,
}

#[derive(Debug)]
pub enum Content {
    Bytes(Vec<u8>),
    /// Larger than the limit: not read. The size in bytes.
    TooLarge(u64),
    Unreadable(String),
}

/// The stage-0 entries of `index` below `prefix/`.
fn entries_under(index: &gix::index::State, prefix: &str) -> Vec<BlobEntry> {
    let dir = format!("{prefix}/");
    index
        .entries()
        .iter()
        .filter(|e| e.stage_raw() == 0)
        .filter(|e| e.path(index).starts_with(dir.as_bytes()))
        .map(|e| BlobEntry {
            path: e.path(index).to_string(),
            oid: e.id,
        })
        .collect()
}

impl Repo {
    /// Files under `prefix/` as staged in the control checkout's index, read as git
    /// reads an index (and as [`Repo::index_file_entries`] reads the hook's): its
    /// trailing checksum is not verified, which git does only in `git fsck`. At 100,000
    /// WOs hashing the index was a twentieth of `check --staged`.
    pub fn index_entries(&self, prefix: &str) -> Result<Vec<BlobEntry>> {
        let main = gix::open(&self.control_root)?;
        self.index_file_entries(&main.index_path(), prefix)
    }

    /// Files under `prefix/` as staged in the index file at `path` (the one a commit in
    /// progress is made from: git hands hooks `GIT_INDEX_FILE`).
    pub fn index_file_entries(
        &self,
        path: &std::path::Path,
        prefix: &str,
    ) -> Result<Vec<BlobEntry>> {
        let staged = super::index::Staged::read(path)?;
        Ok(entries_under(staged.state(), prefix))
    }

    /// Files under `prefix/` in the tree of `rev` (a commit or a tree).
    pub fn tree_entries(&self, rev: &str, prefix: &str) -> Result<Vec<BlobEntry>> {
        let obj = self
            .gix
            .rev_parse_single(rev)
            .map_err(|_| {
                WoError::usage(format!(
                    "`{rev}` is not a commit or tree of this repository (no such revision)"
                ))
            })?
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
        Ok(entries)
    }

    fn walk_tree(&self, tree: ObjectId, prefix: String, out: &mut Vec<BlobEntry>) -> Result<()> {
        let tree = self.gix.find_tree(tree)?;
        for e in tree.iter() {
            let e = e?;
            let path = format!("{prefix}/{}", e.filename());
            if e.mode().is_tree() {
                self.walk_tree(e.oid().to_owned(), path, out)?;
            } else if e.mode().is_blob() {
                out.push(BlobEntry {
                    path,
                    oid: e.oid().to_owned(),
                });
            }
        }
        Ok(())
    }

    /// Read blobs in parallel (each thread with its own repository handle); blobs over
    /// `max` bytes are not inflated.
    pub fn read_blobs(&self, entries: Vec<BlobEntry>, max: u64) -> Vec<SourceFile> {
        let shared = self.gix.clone().into_sync();
        crate::parallel::map(
            entries,
            || shared.to_thread_local(),
            |repo, entry| {
                let id = entry.oid;
                let content = match repo.find_header(id) {
                    Ok(h) if h.size() > max => Content::TooLarge(h.size()),
                    Ok(_) => match repo.find_blob(id) {
                        Ok(mut b) => Content::Bytes(b.take_data()),
                        Err(e) => Content::Unreadable(e.to_string()),
                    },
                    Err(e) => Content::Unreadable(e.to_string()),
                };
                SourceFile { entry, content }
            },
        )
    }
}
