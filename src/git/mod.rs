//! All access to git lives below this module: discovery and config (`repo`), worktree
//! metadata (`worktrees`), refs, commits and compare-and-swap (`refs`), markers in
//! `refs/notes/wo` (`notes`), index and tree reads (`tree_source`), and the few
//! operations gix cannot do locally, run through the `git` CLI (`command`).

pub mod cache_tree;
pub mod command;
pub mod delta_bases;
pub mod diff;
pub mod fast_import;
pub mod gone_worktree;
pub mod half_made;
pub mod hooks_dir;
pub mod index;
pub mod notes;
pub mod refs;
pub mod remote;
pub mod repo;
pub mod tree_source;
pub mod trees;
pub mod worktree_ops;
pub mod worktrees;

pub use repo::Repo;
