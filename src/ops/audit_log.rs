//! `<git-common-dir>/wo/audit.log`: one JSON line per `git wo audit` run, its time and
//! its counts by code, so that `git wo kpi --weeks` can show how the audit counts
//! moved (the working tree of a week ago is gone; its audit is not). Best effort: a
//! line that cannot be written costs a point of the trend, never the audit.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::git::Repo;

pub const FILE: &str = "audit.log";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Sample {
    pub at: DateTime<Utc>,
    pub by_code: BTreeMap<String, usize>,
}

/// Append one sample.
pub fn append(repo: &Repo, sample: &Sample) {
    let dir = repo.wo_dir();
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let Ok(mut line) = serde_json::to_string(sample) else {
        return;
    };
    line.push('\n');
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(FILE))
    {
        let _ = f.write_all(line.as_bytes());
    }
}

/// Every sample at or after `since` (lines that do not parse are skipped).
pub fn read(repo: &Repo, since: DateTime<Utc>) -> Vec<Sample> {
    let Ok(text) = std::fs::read_to_string(repo.wo_dir().join(FILE)) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| serde_json::from_str::<Sample>(l).ok())
        .filter(|s| s.at >= since)
        .collect()
}
