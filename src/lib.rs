//! git-wo: keeps a work-order system healthy. Work orders are YAML files under
//! `_ctx/jobs/<state>/`; their live state and lock are mirrored into refs
//! (`refs/wo/orders/<ID>`) updated by compare-and-swap, markers are git notes
//! (`refs/notes/wo`), and everything is cross-checked by [`views::audit`].
//!
//! Layers import one way (see `ARCHITECTURE.md`):
//!
//! ```text
//! cli/  →  ops/  →  views/  →  inventory/  →  model/, git/
//! ```
//!
//! - [`cli`]: argument parsing and rendering, one file per command; no logic.
//! - [`ops`]: everything that changes state, as plans of typed steps applied by the one
//!   journal executor ([`ops::journal`]), fenced by the record's token.
//! - [`views`]: pure functions of the inventory (audit, check, lint, list, show, status).
//! - [`inventory`]: all reading, done once.
//! - [`model`]: ids, states, records, order files, findings, config; no I/O beyond
//!   parsing bytes.
//! - [`git`]: refs, objects, notes, worktrees, index; knows bytes and ids, not WOs.
//!
//! [`error`], [`failpoint`], [`host`], [`interrupt`], [`parallel`], [`parent_death`], [`progress`], [`regular`] and [`trace`] are small support
//! modules any layer may use.

pub mod cli;
pub mod clock;
pub mod error;
pub mod failpoint;
pub mod folder_entries;
pub mod git;
pub mod heap;
pub mod host;
pub mod interrupt;
pub mod inventory;
pub mod model;
pub mod ops;
pub mod parallel;
pub mod parent_death;
pub mod placement;
pub mod progress;
pub mod regular;
pub mod trace;
pub mod views;
