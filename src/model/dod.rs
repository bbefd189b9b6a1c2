//! The Definition of Done catalog (`_ctx/dod/*.yaml`, SPEC §4): what a WO's `dod_id`
//! requires before `finish --result done`. A file holds
//! `dod: [{id, title, required_artifacts: [...], required_checks: [{name, commands}], rules}]`;
//! other keys (`version`, `x_legacy`, …) are allowed and ignored. Parsing never fails:
//! a malformed file is kept with why (audit's `invalid_dod`).

use serde_yaml::Value;

/// One Definition of Done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dod {
    pub id: String,
    pub title: String,
    /// Files the finish must leave: evidence git-wo writes (`verify.log`, `diff.patch`,
    /// `verdict.json`, `handoff.md`, `<check>.log`) or files committed in the WO's
    /// `_ctx/handoff/<ID>/`.
    pub required_artifacts: Vec<String>,
    pub required_checks: Vec<Check>,
    pub rules: Vec<String>,
}

/// A required check: its commands run like `verify.commands`; its log is `<name>.log`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub commands: Vec<String>,
}

/// One catalog file as read: its path (relative to the control checkout) and its
/// entries, or why it is not a catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogFile {
    pub path: String,
    pub parsed: Result<Vec<Dod>, String>,
}

/// Every catalog file, in path order. Empty: there is no catalog, and no DoD applies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    pub files: Vec<CatalogFile>,
}

impl Catalog {
    /// Whether `_ctx/dod/` holds any catalog file (readable or not).
    pub fn exists(&self) -> bool {
        !self.files.is_empty()
    }

    /// The entry `id` (the first file in path order that defines it).
    pub fn get(&self, id: &str) -> Option<&Dod> {
        self.entries().find(|d| d.id == id)
    }

    pub fn entries(&self) -> impl Iterator<Item = &Dod> {
        self.files
            .iter()
            .filter_map(|f| f.parsed.as_ref().ok())
            .flatten()
    }

    /// The ids defined, sorted.
    pub fn ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.entries().map(|d| d.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The files that are not a catalog: (path, why).
    pub fn invalid(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files.iter().filter_map(|f| {
            f.parsed
                .as_ref()
                .err()
                .map(|e| (f.path.as_str(), e.as_str()))
        })
    }

    /// Whether `dod_id` is unknown: a catalog exists, every file of it is readable
    /// (a malformed one may be where it is defined), and none defines it.
    pub fn is_unknown(&self, dod_id: &str) -> bool {
        self.exists() && self.invalid().next().is_none() && self.get(dod_id).is_none()
    }
}

/// A check name is a file name (`<name>.log`): letters, digits, `.`, `_`, `-`, not
/// starting with a dot.
pub fn valid_check_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// An artifact is a relative path with no `..`, `.` or empty parts.
pub fn valid_artifact(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.contains('\\')
        && name
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != ".." && !p.chars().any(char::is_control))
}

/// Parse one catalog file.
pub fn parse(bytes: &[u8]) -> Result<Vec<Dod>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "it is not UTF-8".to_owned())?;
    let doc: Value = serde_yaml::from_str(text).map_err(|e| format!("not YAML: {e}"))?;
    let Value::Mapping(map) = doc else {
        return Err("it is not a mapping with a `dod:` list".into());
    };
    let Some(Value::Sequence(list)) = map.get("dod") else {
        return Err("it has no `dod:` list".into());
    };
    let mut out: Vec<Dod> = Vec::with_capacity(list.len());
    for (i, entry) in list.iter().enumerate() {
        let at = |what: String| format!("dod[{i}]: {what}");
        let Value::Mapping(e) = entry else {
            return Err(at("not a mapping".into()));
        };
        let id = match e.get("id") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
            _ => return Err(at("`id` is missing or not a string".into())),
        };
        let at = |what: String| format!("{id}: {what}");
        if out.iter().any(|d| d.id == id) {
            return Err(at("defined twice".into()));
        }
        let title = match e.get("title") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(at("`title` is not a string".into())),
        };
        let required_artifacts = strings(e.get("required_artifacts"))
            .map_err(|w| at(format!("`required_artifacts` {w}")))?;
        if let Some(bad) = required_artifacts.iter().find(|a| !valid_artifact(a)) {
            return Err(at(format!(
                "required artifact `{bad}` is not a relative path"
            )));
        }
        let rules = strings(e.get("rules")).map_err(|w| at(format!("`rules` {w}")))?;
        let mut required_checks: Vec<Check> = Vec::new();
        match e.get("required_checks") {
            None | Some(Value::Null) => {}
            Some(Value::Sequence(checks)) => {
                for (j, c) in checks.iter().enumerate() {
                    let Value::Mapping(c) = c else {
                        return Err(at(format!("required_checks[{j}] is not a mapping")));
                    };
                    let name = match c.get("name") {
                        Some(Value::String(s)) if valid_check_name(s) => s.clone(),
                        Some(Value::String(s)) => {
                            return Err(at(format!(
                                "check name `{s}` is not a file name (letters, digits, . _ -)"
                            )));
                        }
                        _ => {
                            return Err(at(format!("required_checks[{j}] has no `name` string")));
                        }
                    };
                    if required_checks.iter().any(|k| k.name == name) {
                        return Err(at(format!("check `{name}` is listed twice")));
                    }
                    let commands = strings(c.get("commands"))
                        .map_err(|w| at(format!("check `{name}`: `commands` {w}")))?;
                    if commands.is_empty() {
                        return Err(at(format!("check `{name}` has no `commands`")));
                    }
                    required_checks.push(Check { name, commands });
                }
            }
            Some(_) => return Err(at("`required_checks` is not a list".into())),
        }
        out.push(Dod {
            id,
            title,
            required_artifacts,
            required_checks,
            rules,
        });
    }
    Ok(out)
}

/// A list of strings (absent or null: empty).
fn strings(v: Option<&Value>) -> Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Sequence(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                _ => Err("holds something that is not a string".to_owned()),
            })
            .collect(),
        Some(_) => Err("is not a list".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_entry_and_ignores_other_keys() {
        let d = parse(
            b"version: 1\ndod:\n  - id: DOD-A\n    title: A\n    x_legacy: true\n    required_artifacts: [verdict.json]\n    required_checks:\n      - name: tests\n        commands: [\"true\"]\n    rules: [r]\n",
        )
        .expect("parses");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].required_checks[0].name, "tests");
        assert_eq!(d[0].required_artifacts, vec!["verdict.json".to_string()]);
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        for bad in [
            "dod: 3\n",
            "- a\n",
            "dod:\n  - title: no id\n",
            "dod:\n  - id: X\n    required_checks:\n      - name: ../x\n        commands: [a]\n",
            "dod:\n  - id: X\n    required_checks:\n      - name: t\n",
            "dod:\n  - id: X\n    required_artifacts: [../../etc/passwd]\n",
            "dod:\n  - id: X\n  - id: X\n",
            "dod: [\n",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
