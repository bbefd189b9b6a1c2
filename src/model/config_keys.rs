//! The settings `git wo config <key> <value>` may set, and what each accepts: a value
//! is checked (and spelled as git-wo reads it) before anything is written, and a bad
//! one is refused with the values it could have been.

use crate::error::WoError;
use crate::model::finding::Code;

/// What a setting accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A git boolean (true/false, yes/no, on/off, 1/0), written `true` or `false`.
    Bool,
    /// A duration: 90m, 2h, 7d.
    Duration,
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// The prefix of WO branch names (`<prefix><ID>` must be a valid branch name).
    BranchPrefix,
    /// The gate's failing codes (`--fail-on`'s syntax).
    Codes,
    /// A remote of the repository.
    Remote,
    /// Any text that is not empty (a path, a name, a list).
    Text,
}

/// Every setting `git wo config` sets: its key as git-wo spells it, what it accepts,
/// and what it does.
pub const KEYS: &[(&str, Kind, &str)] = &[
    ("wo.root", Kind::Text, "the control checkout"),
    (
        "wo.jobsDir",
        Kind::Text,
        "the jobs dir, relative to the checkout",
    ),
    ("wo.worktreeDir", Kind::Text, "where WO worktrees go"),
    (
        "wo.branchPrefix",
        Kind::BranchPrefix,
        "the prefix of WO branches",
    ),
    ("wo.lease", Kind::Duration, "the lease of a take"),
    (
        "wo.verify.timeout",
        Kind::Duration,
        "how long a verify command may run",
    ),
    (
        "wo.sessionLog",
        Kind::Text,
        "a file markers are also appended to",
    ),
    (
        "wo.template",
        Kind::Text,
        "the template git wo new fills in",
    ),
    (
        "wo.gate.failOn",
        Kind::Codes,
        "the codes the commit gate fails on",
    ),
    ("wo.gate.always", Kind::Bool, "gate every commit"),
    (
        "wo.gate.hooks",
        Kind::OneOf(&["git-wo", "framework", "none"]),
        "what runs the gate",
    ),
    (
        "wo.commit",
        Kind::Bool,
        "take, finish, … commit their own moves",
    ),
    (
        "wo.handoffDir",
        Kind::Bool,
        "finish also writes _ctx/handoff/<ID>/",
    ),
    (
        "wo.gc.disposable",
        Kind::Text,
        "ignored build output gc may throw away",
    ),
    (
        "wo.remote",
        Kind::Remote,
        "the remote of sync, take and finish",
    ),
    (
        "wo.pushBranches",
        Kind::Bool,
        "finish pushes the WO branch to wo.remote",
    ),
    ("wo.owner", Kind::Text, "who you are to git-wo"),
    (
        "color.wo",
        Kind::OneOf(&["auto", "always", "never", "true", "false"]),
        "colour in git-wo's output",
    ),
];

/// The key as git-wo spells it (git's keys are case-insensitive but for the middle
/// part of a three-part key), or the refusal naming every key.
pub fn known(key: &str) -> Result<&'static str, WoError> {
    KEYS.iter()
        .map(|(k, _, _)| *k)
        .find(|k| k.eq_ignore_ascii_case(key))
        .ok_or_else(|| {
            let all: Vec<&str> = KEYS.iter().map(|(k, _, _)| *k).collect();
            WoError::usage(format!(
                "config: `{}` is not a setting of git-wo",
                crate::model::wo_id::printable(key)
            ))
            .fix(format!(
                "one of: {} (other keys: git config <key> <value>)",
                all.join(", ")
            ))
        })
}

/// `value` as `key` (from [`known`]) is written, or why not and what it accepts.
/// `remotes`: the repository's remotes, for `wo.remote`.
pub fn check(key: &str, value: &str, remotes: &[String]) -> Result<String, WoError> {
    let kind = KEYS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, kind, _)| *kind)
        .unwrap_or(Kind::Text);
    let v = value.trim();
    let shown = crate::model::wo_id::printable(value);
    let refuse = |allowed: String| {
        WoError::usage(format!("config {key}: `{shown}` is not a valid value")).fix(format!(
            "allowed: {allowed}; e.g. git wo config {key} {}",
            example(key, kind, remotes)
        ))
    };
    match kind {
        Kind::Bool => match v.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok("true".into()),
            "false" | "no" | "off" | "0" => Ok("false".into()),
            _ => Err(refuse("true or false (also yes/no, on/off, 1/0)".into())),
        },
        Kind::Duration => crate::model::config::parse_duration(v)
            .map(|_| v.to_owned())
            .map_err(|why| {
                refuse(format!(
                    "a duration like 90m, 2h or 7d (units s, m, h, d, w): {why}"
                ))
            }),
        Kind::OneOf(words) => words
            .iter()
            .find(|w| w.eq_ignore_ascii_case(v))
            .map(|w| (*w).to_owned())
            .ok_or_else(|| refuse(words.join(", "))),
        Kind::BranchPrefix => match crate::model::branch::problem(&format!("{v}WO-1")) {
            None if !v.is_empty() => Ok(v.to_owned()),
            why => Err(refuse(format!(
                "a prefix that makes <prefix>WO-1 a valid branch name{}",
                why.map(|w| format!(" ({w})")).unwrap_or_default()
            ))),
        },
        Kind::Codes => crate::model::finding::parse_fail_on(v)
            .map(|_| v.to_owned())
            .map_err(|_| {
                let codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
                refuse(format!(
                    "p0, p1, p2 (that severity and worse), all, or a comma list of: {}",
                    codes.join(",")
                ))
            }),
        Kind::Remote => match remotes.iter().find(|r| *r == v) {
            Some(r) => Ok(r.clone()),
            None if remotes.is_empty() => Err(refuse(
                "a remote of this repository, and it has none (git remote add <name> <url> first)"
                    .into(),
            )),
            None => Err(refuse(format!(
                "a remote of this repository: {}",
                remotes.join(", ")
            ))),
        },
        Kind::Text if v.is_empty() || v.chars().any(char::is_control) => Err(refuse(
            "a text that is not empty and holds no control character".into(),
        )),
        Kind::Text => Ok(v.to_owned()),
    }
}

/// A valid value of `key`, for the fix line.
fn example(key: &str, kind: Kind, remotes: &[String]) -> String {
    match kind {
        Kind::Bool => "true".into(),
        Kind::Duration if key == "wo.verify.timeout" => "30m".into(),
        Kind::Duration => "2h".into(),
        Kind::OneOf(words) => words[0].into(),
        Kind::BranchPrefix => "feat/wo-".into(),
        Kind::Codes => "p0".into(),
        Kind::Remote => remotes.first().cloned().unwrap_or_else(|| "origin".into()),
        Kind::Text => "<value>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_and_spelled_as_read() {
        assert_eq!(known("WO.LEASE").unwrap(), "wo.lease");
        assert!(known("wo.nope").is_err());
        assert_eq!(check("wo.commit", "Yes", &[]).unwrap(), "true");
        assert!(check("wo.commit", "maybe", &[]).is_err());
        assert_eq!(check("wo.lease", "90m", &[]).unwrap(), "90m");
        let e = check("wo.lease", "soon", &[]).unwrap_err();
        assert!(e.fix.unwrap().contains("90m"));
        assert_eq!(check("wo.gate.hooks", "None", &[]).unwrap(), "none");
        assert!(check("wo.branchPrefix", "a b/", &[]).is_err());
        assert!(check("wo.remote", "up", &["origin".into()]).is_err());
        assert_eq!(
            check("wo.remote", "origin", &["origin".into()]).unwrap(),
            "origin"
        );
        assert!(check("wo.gate.failOn", "p0,nope", &[]).is_err());
    }
}
