//! The backlog (`_ctx/backlog/backlog.yaml`): the epics a WO's `epic_id` may name, as
//! the original linter checked them. The file holds `epics: [{id: …}, …]`; other keys
//! (and other keys of an epic) are allowed and ignored. Parsing never fails: a
//! malformed file is kept with why, and no epic is then reported unknown (it may be
//! defined there).

use serde_yaml::Value;

/// The backlog as read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Backlog {
    /// No backlog file: no epic check.
    #[default]
    Absent,
    /// The epic ids it defines, in file order.
    Epics { path: String, ids: Vec<String> },
    /// A file that is not a backlog: (path, why).
    Invalid { path: String, why: String },
}

impl Backlog {
    /// Whether `epic_id` is unknown: a readable backlog exists and defines no such epic.
    pub fn is_unknown(&self, epic_id: &str) -> bool {
        match self {
            Backlog::Epics { ids, .. } => !ids.iter().any(|i| i == epic_id),
            _ => false,
        }
    }

    /// The ids defined, sorted (for messages).
    pub fn ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = match self {
            Backlog::Epics { ids, .. } => ids.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The backlog file's path, relative to the control checkout, when there is one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Backlog::Absent => None,
            Backlog::Epics { path, .. } | Backlog::Invalid { path, .. } => Some(path),
        }
    }
}

/// Parse a backlog file's bytes: the epic ids, or why it is not a backlog.
pub fn parse(bytes: &[u8]) -> Result<Vec<String>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "it is not UTF-8".to_owned())?;
    let doc: Value = serde_yaml::from_str(text).map_err(|e| format!("not YAML: {e}"))?;
    let Value::Mapping(map) = doc else {
        return Err("it is not a mapping with an `epics:` list".into());
    };
    let list = match map.get("epics") {
        Some(Value::Sequence(list)) => list,
        Some(Value::Null) => return Ok(Vec::new()),
        Some(_) => return Err("`epics` is not a list".into()),
        None => return Err("it has no `epics:` list".into()),
    };
    list.iter()
        .enumerate()
        .map(|(i, e)| match e.get("id") {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            _ => Err(format!("epics[{i}]: `id` is missing or not a string")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epics_are_read_and_checked() {
        let ids = parse(b"version: 1\nepics:\n  - id: E-07\n    title: Uploads\n  - {id: E-08}\n")
            .unwrap();
        assert_eq!(ids, ["E-07", "E-08"]);
        let b = Backlog::Epics {
            path: "_ctx/backlog/backlog.yaml".into(),
            ids,
        };
        assert!(!b.is_unknown("E-07"));
        assert!(b.is_unknown("E-99"));
        assert!(!Backlog::Absent.is_unknown("E-99"));
        assert!(parse(b"epics: 3\n").is_err());
        assert!(parse(b"epics:\n  - title: no id\n").is_err());
        assert!(parse(b"- a\n").is_err());
    }
}
