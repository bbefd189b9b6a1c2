//! Everything that changes state (and `snapshot`, which writes a baseline). Each operation computes a plan of typed steps from
//! the inventory and hands it to the one executor in [`journal`], which records phases
//! in the record, checks the fencing token before every destructive step, undoes on
//! failure and resumes from the recorded phase.

pub mod agent_setup;
pub mod audit_log;
pub mod branch_push;
pub mod clone_id;
pub mod commit;
pub mod config_set;
pub mod evidence;
pub mod finish;
pub mod fmt;
pub mod gc;
pub mod heartbeat;
pub mod hooks;
pub mod init;
pub mod jobs;
pub mod journal;
pub mod mirror;
pub mod new;
pub mod quarantine;
pub mod reconcile;
pub mod remote;
pub mod repo_lock;
pub mod requeue;
pub mod scope;
pub mod snapshot;
pub mod sync;
pub mod take;
pub mod transition;
pub mod verify;
pub mod wo_index;
