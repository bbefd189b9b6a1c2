//! `wo.*` configuration (SPEC §1–§5) with its defaults.

use anyhow::Result;
use chrono::Duration;

use crate::error::WoError;

/// `wo.jobsDir` when it is not set.
pub const DEFAULT_JOBS_DIR: &str = "_ctx/jobs";

#[derive(Debug, Clone)]
pub struct Config {
    /// `wo.root`: control checkout, relative to the main worktree.
    pub root: Option<String>,
    /// `wo.jobsDir`, default `_ctx/jobs`.
    pub jobs_dir: String,
    /// `wo.worktreeDir` (relative to the control checkout), if set; the default is per
    /// repository, `../<repo>.worktrees` (see `Repo::worktree_dir`).
    pub worktree_dir: Option<String>,
    /// `wo.branchPrefix`, default `feat/wo-`.
    pub branch_prefix: String,
    /// `wo.lease`, default 2 h.
    pub lease: Duration,
    /// `wo.sessionLog`: also append markers to this file (relative to the control checkout).
    pub session_log: Option<String>,
    /// `wo.gate.failOn`: codes the gate fails on.
    pub gate_fail_on: Option<String>,
    /// `wo.gate.always`: the pre-commit gate runs on every commit, not only on those
    /// that touch the jobs dir.
    pub gate_always: bool,
    /// `wo.gate.hooks`: how the gate is run, for the `hooks_missing` finding.
    pub gate_hooks: GateHooks,
    /// `wo.commit`: take, finish, requeue and reconcile also commit the YAML moves they
    /// stage, as a commit of their own.
    pub commit: bool,
    /// `wo.handoffDir`: finish also writes its evidence to `_ctx/handoff/<ID>/` in the
    /// control checkout (the original system's layout), off by default.
    pub handoff_dir: bool,
    /// `wo.index`: keep `_ctx/index/wo_worktrees.json` fresh after every state change
    /// and from the post-commit and post-checkout hooks (`git wo index`), off by default.
    pub index: bool,
    /// `wo.template`: the template `git wo new` fills in (relative to the control checkout).
    pub template: Option<String>,
    /// `wo.remote`: the remote `sync` talks to, and that take, finish and renewals
    /// publish the record to.
    pub remote: Option<String>,
    /// `wo.pushBranches`: finish pushes the WO's branch to the remote (unset: on
    /// whenever a remote is configured).
    pub push_branches: Option<bool>,
    /// `wo.initialized`: `git wo init` ran.
    pub initialized: bool,
    /// `init.defaultBranch`.
    pub default_branch: Option<String>,
    /// `wo.owner`: who you are to git-wo (the owner of your takes), before `user.name`.
    pub owner: Option<String>,
    /// `user.name`.
    pub user_name: Option<String>,
    /// `wo.gc.disposable`: ignored paths that may be thrown away with a worktree.
    pub disposable: Vec<String>,
    /// `color.wo`, else `color.ui`, as written (`auto`, `always`, `never`, a boolean).
    pub color: Option<String>,
    /// `wo.verify.timeout`: how long one verify command may run, default 30 min.
    pub verify_timeout: Duration,
}

/// `wo.gate.hooks`: what runs the gate, so what audit expects to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateHooks {
    /// `git-wo` (default): the shims of `git wo install-hooks`.
    GitWo,
    /// `framework`: pre-commit or prek runs the `wo-gate` hook of `.pre-commit-hooks.yaml`.
    Framework,
    /// `none`: no hooks expected (no `hooks_missing`).
    None,
}

impl GateHooks {
    fn parse(v: Option<&str>) -> Result<GateHooks> {
        match v.map(str::to_ascii_lowercase).as_deref() {
            None | Some("git-wo") => Ok(GateHooks::GitWo),
            Some("framework") => Ok(GateHooks::Framework),
            Some("none") => Ok(GateHooks::None),
            Some(other) => Err(WoError::usage(format!(
                "config wo.gate.hooks: `{other}` is not git-wo, framework or none"
            ))
            .fix("git config wo.gate.hooks git-wo")
            .into()),
        }
    }
}

/// Build output that may go with a removed worktree, unless `wo.gc.disposable` says otherwise.
pub const DEFAULT_DISPOSABLE: &str =
    "target/ node_modules/ .venv/ __pycache__/ dist/ build/ .pytest_cache/";

/// Where settings come from: git's configuration, as `git/` reads it.
pub trait Settings {
    /// The value of `key` (`section.name`), if set.
    fn string(&self, key: &str) -> Option<String>;
    /// `key` as a git boolean, if set and valid.
    fn boolean(&self, key: &str) -> Option<bool>;
}

impl Config {
    pub fn from_settings(settings: &dyn Settings) -> Result<Config> {
        let s = |key: &str| settings.string(key).filter(|v| !v.is_empty());
        let lease = match s("wo.lease") {
            Some(text) => parse_duration(&text).map_err(|e| {
                WoError::usage(format!("config wo.lease: {e}")).fix("git config wo.lease 2h")
            })?,
            None => Duration::hours(2),
        };
        let verify_timeout = match s("wo.verify.timeout") {
            Some(text) => parse_duration(&text).map_err(|e| {
                WoError::usage(format!("config wo.verify.timeout: {e}"))
                    .fix("git config wo.verify.timeout 30m")
            })?,
            None => Duration::minutes(30),
        };
        Ok(Config {
            verify_timeout,
            root: s("wo.root"),
            jobs_dir: s("wo.jobsDir").unwrap_or_else(|| DEFAULT_JOBS_DIR.into()),
            worktree_dir: s("wo.worktreeDir"),
            branch_prefix: s("wo.branchPrefix").unwrap_or_else(|| "feat/wo-".into()),
            lease,
            session_log: s("wo.sessionLog"),
            gate_fail_on: s("wo.gate.failOn"),
            gate_always: settings.boolean("wo.gate.always").unwrap_or(false),
            gate_hooks: GateHooks::parse(s("wo.gate.hooks").as_deref())?,
            commit: settings.boolean("wo.commit").unwrap_or(false),
            handoff_dir: settings.boolean("wo.handoffDir").unwrap_or(false),
            index: settings.boolean("wo.index").unwrap_or(false),
            template: s("wo.template"),
            remote: s("wo.remote")
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty()),
            initialized: settings.boolean("wo.initialized").unwrap_or(false),
            push_branches: settings.boolean("wo.pushBranches"),
            default_branch: s("init.defaultBranch"),
            owner: s("wo.owner"),
            user_name: s("user.name"),
            color: s("color.wo").or_else(|| s("color.ui")),
            disposable: s("wo.gc.disposable")
                .unwrap_or_else(|| DEFAULT_DISPOSABLE.to_owned())
                .split_whitespace()
                .map(|d| format!("{}/", d.trim_end_matches('/')))
                .collect(),
        })
    }

    /// Whether an ignored path (as `git status` prints it) is disposable build output:
    /// it is, or lies inside, a folder named in `wo.gc.disposable`, at any depth.
    pub fn is_disposable(&self, path: &str) -> bool {
        let p = if path.ends_with('/') {
            path.to_owned()
        } else {
            format!("{path}/")
        };
        self.disposable
            .iter()
            .any(|d| p.starts_with(d.as_str()) || p.contains(&format!("/{d}")))
    }

    /// "You": the identity a take of yours would be owned by, and so the one every
    /// holder check compares with the lease's owner: `wo.owner`, else `user.name`, else
    /// the login name (else `unknown`). Control characters become spaces; trimmed.
    pub fn you(&self) -> (String, OwnerSource) {
        let configured = [
            (self.owner.as_deref(), OwnerSource::WoOwner),
            (self.user_name.as_deref(), OwnerSource::UserName),
        ];
        for (name, source) in configured {
            if let Some(name) = name.map(clean_name).filter(|n| !n.is_empty()) {
                return (name, source);
            }
        }
        let login = clean_name(&crate::host::username());
        if login.is_empty() {
            ("unknown".to_owned(), OwnerSource::Login)
        } else {
            (login, OwnerSource::Login)
        }
    }

    /// The branch name of a WO: `<prefix><ID>`.
    pub fn branch_of(&self, id: &str) -> String {
        format!("{}{id}", self.branch_prefix)
    }
}

/// Where the acting owner's name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerSource {
    /// `--owner`.
    Option,
    /// `wo.owner`.
    WoOwner,
    /// `user.name`.
    UserName,
    /// The login name (nothing configured).
    Login,
}

/// An owner's name as git-wo keeps it: control characters become spaces, trimmed.
pub fn clean_name(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Parse `90s`, `30m`, `2h`, `7d`, `1w` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: i64 = num
        .parse()
        .map_err(|_| format!("`{t}` is not a duration like 90m, 2h or 7d"))?;
    let d = match unit.trim() {
        "" | "s" => Duration::seconds(n),
        "m" | "min" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        "w" => Duration::weeks(n),
        other => return Err(format!("`{other}` is not a unit (use s, m, h, d or w)")),
    };
    if d <= Duration::zero() {
        return Err(format!("`{t}` must be longer than zero"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposable_paths() {
        let mut c = Config {
            root: None,
            jobs_dir: DEFAULT_JOBS_DIR.into(),
            worktree_dir: None,
            branch_prefix: "feat/wo-".into(),
            lease: Duration::hours(2),
            verify_timeout: Duration::minutes(30),
            session_log: None,
            gate_fail_on: None,
            color: None,
            gate_always: false,
            gate_hooks: GateHooks::GitWo,
            commit: false,
            handoff_dir: false,
            index: false,
            remote: None,
            push_branches: None,
            template: None,
            initialized: false,
            default_branch: None,
            owner: None,
            user_name: None,
            disposable: DEFAULT_DISPOSABLE
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        };
        assert!(c.is_disposable("target/"));
        assert!(c.is_disposable("target/debug/x"));
        assert!(c.is_disposable("web/node_modules/"));
        assert!(c.is_disposable("pkg/__pycache__/m.pyc"));
        assert!(!c.is_disposable(".env"));
        assert!(!c.is_disposable("targets/x"));
        assert!(!c.is_disposable("my_build/"));
        c.disposable = vec!["out/".into()];
        assert!(c.is_disposable("out/"));
        assert!(!c.is_disposable("target/"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90m"), Ok(Duration::minutes(90)));
        assert_eq!(parse_duration("2h"), Ok(Duration::hours(2)));
        assert_eq!(parse_duration("7d"), Ok(Duration::days(7)));
        assert_eq!(parse_duration("30"), Ok(Duration::seconds(30)));
        assert!(parse_duration("0h").is_err());
        assert!(parse_duration("2x").is_err());
        assert!(parse_duration("h").is_err());
    }
}
