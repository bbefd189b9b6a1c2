//! The data of the WO system: ids, states, records, order files, lock files, sessions,
//! markers, findings and configuration. Parsing and rendering bytes; no git, no
//! directory walks.

pub mod agent_files;
pub mod backlog;
pub mod branch;
pub mod config;
pub mod config_keys;
pub mod dod;
pub mod finding;
pub mod folder_no;
pub mod hook_shim;
pub mod key_order;
pub mod line_diff;
pub mod lock_reason;
pub mod lockfile;
pub mod marker;
pub mod nesting;
pub mod order;
pub mod plain_yaml;
pub mod record;
pub mod record_texts;
pub mod repo_lock;
pub mod scope;
pub mod session;
pub mod short_text;
pub mod state;
pub mod sync_conflict;
pub mod temp_name;
pub mod text_list;
pub mod when;
pub mod wo_id;
pub mod yaml_edit;
