//! Findings: the codes of SPEC §6, their severities and invariants, and `--fail-on`.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use crate::error::WoError;

/// Written `P0`/`P1`/`P2` in JSON, as the original auditor writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Severity {
    P0,
    P1,
    P2,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::P0 => "P0",
            Severity::P1 => "P1",
            Severity::P2 => "P2",
        }
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

macro_rules! codes {
    ($($variant:ident => $name:literal, $sev:ident, $inv:literal;)*) => {
        /// A finding code (SPEC §6).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name),* }
            }
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev),* }
            }
            /// The invariant a finding of this code violates.
            pub fn invariant(self) -> &'static str {
                match self { $(Code::$variant => $inv),* }
            }
        }
    };
}

codes! {
    SplitBrain => "split_brain", P0, "a WO is in exactly one state folder";
    DuplicateYaml => "duplicate_yaml", P2, "a WO has one file in its state folder";
    InvalidYaml => "invalid_yaml", P0, "every WO file is a YAML mapping with a valid id";
    StatusMismatch => "status_mismatch", P1, "status: equals the folder the file is in";
    RunningWithoutLock => "running_without_lock", P0, "a running WO has a lock";
    LockWithoutRunning => "lock_without_running", P1, "a .lock file belongs to a running WO";
    LockMismatch => "lock_mismatch", P1, ".lock file, record lock and git worktree lock name the same holder";
    StaleLock => "stale_lock", P1, "a running WO's lease has not expired";
    GhostWorktree => "ghost_worktree", P0, "every WO worktree belongs to a known WO";
    ZombieWorktree => "zombie_worktree", P1, "a finished WO has no worktree";
    RunningWithoutWorktree => "running_without_worktree", P1, "a running WO has its worktree";
    PrunableWorktree => "prunable_worktree", P1, "worktree metadata points at an existing directory";
    BranchMismatch => "branch_mismatch", P2, "a WO worktree is on its WO's branch";
    FailButRunning => "fail_but_running", P0, "a WO whose verdict is FAIL is not running";
    StateMismatch => "state_mismatch", P0, "the record's state equals the YAML's folder";
    Unmirrored => "unmirrored", P2, "every WO has a record once git wo init ran";
    OrphanRecord => "orphan_record", P1, "every record has a YAML";
    InterruptedTransition => "interrupted_transition", P0, "no take or finish is left half-done";
    MissingIntentMarker => "missing_intent_marker", P2, "every WO taken by git-wo has an intent marker";
    HooksMissing => "hooks_missing", P2, "an initialised repository has its gate hooks installed";
    OutOfScope => "out_of_scope", P1, "a running WO's branch changes only paths inside its scope";
    InvalidRecord => "invalid_record", P1, "every ref under refs/wo/orders holds a readable record";
    InvalidLock => "invalid_lock", P1, "a `.lock` in running/ is a regular file";
    WorktreeConflict => "worktree_conflict", P1, "the facts that tie a worktree to a WO name one WO";
    DependencyCycle => "dependency_cycle", P1, "WOs do not depend on each other in a cycle";
    MissingDependency => "missing_dependency", P2, "every dependency names a WO that exists";
    StartedBeforeDependency => "started_before_dependency", P2, "a WO starts only once its dependencies are done";
    StaleRepoLock => "stale_repo_lock", P1, "the repository lock of gc is held by a live process";
    LeftoverFile => "leftover_file", P2, "no temp file or ref lock outlives the process that made it";
    UnknownDod => "unknown_dod", P2, "a WO's dod_id names an entry of the _ctx/dod catalog";
    InvalidDod => "invalid_dod", P2, "every file of the _ctx/dod catalog is a valid catalog";
    SyncConflict => "sync_conflict", P1, "a record has not moved on independently here and on the remote";
    UnknownEpic => "unknown_epic", P2, "a WO's epic_id names an epic of _ctx/backlog/backlog.yaml";
}

impl Code {
    pub fn parse(s: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in the inventory.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// What reconcile and gc act on, as data (not rendered into the JSON, whose shape
    /// is the original auditor's).
    #[serde(skip)]
    pub subject: Subject,
    pub code: Code,
    pub severity: Severity,
    pub wo_id: Option<String>,
    pub message: String,
    pub invariant_violated: &'static str,
    /// What fixes it, in words: the command and why, or why a person must decide.
    pub hint: String,
    /// The one shell command that fixes it, to be run as printed in the control
    /// checkout; `null` when a person must decide (the hint says what to look at).
    pub fix: Option<String>,
    pub paths: Vec<String>,
}

/// How a finding is resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remedy {
    /// Run `command` (as printed, in the control checkout); `why` says what it does
    /// and may name alternatives.
    Run { command: String, why: String },
    /// No command can know the answer: a person decides, as `what` says.
    Decide(String),
}

impl Remedy {
    pub fn run(command: impl Into<String>, why: impl Into<String>) -> Remedy {
        Remedy::Run {
            command: command.into(),
            why: why.into(),
        }
    }
    pub fn decide(what: impl Into<String>) -> Remedy {
        Remedy::Decide(what.into())
    }
    /// The hint line: `<command> (<why>)`, or `a person must decide: <what>`.
    pub fn hint(&self) -> String {
        match self {
            Remedy::Run { command, why } if why.is_empty() => command.clone(),
            Remedy::Run { command, why } => format!("{command} ({why})"),
            Remedy::Decide(what) => format!("{DECIDE}{what}"),
        }
    }
    pub fn command(&self) -> Option<&str> {
        match self {
            Remedy::Run { command, .. } => Some(command),
            Remedy::Decide(_) => None,
        }
    }
}

/// How the hint of a finding no command can resolve starts.
pub const DECIDE: &str = "a person must decide: ";

/// The typed facts behind a finding: the WO's copies (paths relative to the control
/// checkout), the copy that wins (SPEC §7's precedence), the worktree concerned and
/// the `.lock` file, when they apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subject {
    pub copies: Vec<String>,
    pub winner: Option<crate::model::state::State>,
    pub worktree: Option<std::path::PathBuf>,
    pub lock_file: Option<String>,
}

impl Finding {
    /// The same finding with its typed subject.
    pub fn about(mut self, subject: Subject) -> Finding {
        self.subject = subject;
        self
    }

    pub fn new(
        code: Code,
        wo_id: Option<&str>,
        message: String,
        remedy: Remedy,
        paths: Vec<String>,
    ) -> Finding {
        Finding {
            subject: Subject::default(),
            code,
            severity: code.severity(),
            wo_id: wo_id.map(str::to_owned),
            message,
            invariant_violated: code.invariant(),
            hint: remedy.hint(),
            fix: remedy.command().map(str::to_owned),
            paths,
        }
    }
}

/// The codes that make a command exit 1.
pub fn parse_fail_on(spec: &str) -> Result<BTreeSet<Code>, WoError> {
    let mut set = BTreeSet::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.to_ascii_lowercase().as_str() {
            "all" => set.extend(Code::ALL.iter().copied()),
            "p0" | "p1" | "p2" => {
                let max = match part.to_ascii_lowercase().as_str() {
                    "p0" => Severity::P0,
                    "p1" => Severity::P1,
                    _ => Severity::P2,
                };
                set.extend(Code::ALL.iter().copied().filter(|c| c.severity() <= max));
            }
            other => match Code::parse(other) {
                Some(c) => {
                    set.insert(c);
                }
                None => {
                    let known: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
                    return Err(WoError::usage(format!(
                        "--fail-on: unknown code `{}`",
                        crate::model::wo_id::printable(other)
                    ))
                    .fix(format!(
                        "use p0, p1, p2 (that severity and worse), all, or codes from: {}",
                        known.join(",")
                    )));
                }
            },
        }
    }
    if set.is_empty() {
        return Err(WoError::usage("--fail-on is empty")
            .fix("--fail-on p0 (or all, or a comma list of codes)"));
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on() {
        let s = parse_fail_on("split_brain,ghost_worktree").unwrap();
        assert_eq!(s.len(), 2);
        let p0 = parse_fail_on("p0").unwrap();
        assert!(p0.contains(&Code::SplitBrain) && !p0.contains(&Code::ZombieWorktree));
        assert_eq!(parse_fail_on("all").unwrap().len(), Code::ALL.len());
        assert!(parse_fail_on("nope").is_err());
        assert!(parse_fail_on(",").is_err());
    }
}
