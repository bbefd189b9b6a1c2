//! The integration tests, one binary: every file of `tests/` but `kills.rs` (the opt-in
//! kill campaign) is a module of it. One binary links once, and its tests share the
//! machine's threads instead of each file waiting for its slowest test before the next
//! starts; the scenarios each file builds once per process are built once for all.
//! `cargo test --test suite <file>::` runs one file's tests (`cargo test --test suite
//! outputs::`).

mod common;

mod adversarial;
mod audit;
mod cache;
mod cold_records;
mod converge;
mod cores;
mod crash;
mod documented;
mod dod;
mod done_means_done;
mod hooks;
mod init_import;
mod kpi;
mod layers;
mod leases_and_identity;
mod lifecycle;
mod man_pages;
mod mcp;
mod migrate;
mod nothing_lost;
mod nothing_lost_2;
mod nothing_wedged;
mod one_truth;
mod outputs;
mod plain_yaml;
mod prefetch;
mod progress;
mod properties;
mod race;
mod readme;
mod ready;
mod records_audit;
mod repair;
mod scope;
mod sync;
mod team_day;
mod usability;
