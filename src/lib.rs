//! git-wo: keeps a work-order system healthy. Work orders are YAML files under
//! `_ctx/jobs/<state>/`; their live state and lock are mirrored into refs
//! (`refs/wo/orders/<ID>`) updated by compare-and-swap, markers are git notes
//! (`refs/notes/wo`), and everything is cross-checked by [`audit`].
//!
//! Layout: [`inventory`] gathers facts once; [`audit`], [`check`], [`lint`] are pure
//! views of it; [`git`] is the only module that talks to git; [`commands`] is the
//! thin CLI layer, one file per subcommand.

pub mod audit;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod failpoint;
pub mod finding;
pub mod finish;
pub mod git;
pub mod heartbeat;
pub mod here;
pub mod host;
pub mod init;
pub mod inventory;
pub mod jobs;
pub mod lint;
pub mod lockfile;
pub mod marker;
pub mod order;
pub mod output;
pub mod owner;
pub mod parallel;
pub mod precedence;
pub mod record;
pub mod requeue;
pub mod session;
pub mod state;
pub mod take;
pub mod transition;
pub mod wo_id;
pub mod yaml_edit;
