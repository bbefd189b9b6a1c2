//! The rules about the repository as a whole: hooks_missing, invalid_record,
//! invalid_lock, leftover_file.

use crate::error::shell_quote as q;
use crate::inventory::Inventory;
use crate::model::finding::{Code, Finding, Remedy};

pub fn findings(inv: &Inventory, out: &mut Vec<Finding>) {
    hook_findings(inv, out);
    invalid_record(inv, out);
    invalid_lock(inv, out);
    leftover_file(inv, out);
    stale_repo_lock(inv, out);
}

/// `stale_repo_lock`: gc's repository lock with no live holder (every `gc --apply`
/// would stop at it, or, when it is not a regular file, always will).
fn stale_repo_lock(inv: &Inventory, out: &mut Vec<Finding>) {
    let Some(lock) = &inv.repo_lock else {
        return;
    };
    let path = lock.path.to_string_lossy();
    let (message, remedy) = match (lock.not_a_file, &lock.stale) {
        (Some(what), _) => (
            format!("{path} is {what}, not a lock file: every git wo gc --apply stops at it"),
            Remedy::decide(format!(
                "look at it, then move it away: mv -- {} /tmp/",
                q(&path)
            )),
        ),
        (None, Some(why)) => (
            format!("{path} is held by nobody: {why} ({})", lock.holder.shown()),
            Remedy::run(
                "git wo reconcile --apply",
                format!(
                    "releases it; the next git wo gc --apply takes it over too, or: rm -- {}",
                    q(&path)
                ),
            ),
        ),
        (None, None) => return,
    };
    out.push(Finding::new(
        Code::StaleRepoLock,
        None,
        message,
        remedy,
        vec![path.into_owned()],
    ));
}

/// `invalid_record`: a ref under `refs/wo/orders` that holds no readable record.
fn invalid_record(inv: &Inventory, out: &mut Vec<Finding>) {
    for bad in &inv.bad_records {
        let id = bad
            .ref_name
            .strip_prefix(crate::inventory::records::PREFIX)
            .map(str::to_owned);
        out.push(Finding::new(
            Code::InvalidRecord,
            id.as_deref(),
            format!("{} cannot be read: {}", bad.ref_name, bad.why),
            Remedy::decide(format!(
                "inspect it (git log {}); restore an earlier commit with git update-ref, or drop it (git update-ref -d {}) and rerun git wo init",
                q(&bad.ref_name),
                q(&bad.ref_name)
            )),
            vec![bad.ref_name.clone()],
        ));
    }
}

/// `invalid_lock`: a `running/<ID>.lock` that is a folder or a link.
fn invalid_lock(inv: &Inventory, out: &mut Vec<Finding>) {
    for (id, path, what) in &inv.odd_locks {
        let path = inv.rel(path);
        out.push(Finding::new(
            Code::InvalidLock,
            Some(id.as_str()),
            format!("{path} is {what}, not a lock file; git-wo never follows or deletes it"),
            Remedy::decide(format!(
                "look at it, then move it out of the jobs dir: mv -- {} /tmp/",
                q(&path)
            )),
            vec![path],
        ));
    }
}

/// `leftover_file`: a temp file or ref lock a killed process left. git-wo's own temp
/// files (their writer gone) are reconcile's to clear (to quarantine); a git ref lock
/// is a person's: it names its age and the command.
fn leftover_file(inv: &Inventory, out: &mut Vec<Finding>) {
    use crate::inventory::LeftoverKind;
    for l in &inv.leftovers {
        let shown = inv.rel(&l.path);
        let (message, remedy) = match l.kind {
            LeftoverKind::Temp => (
                format!("{shown} is a temp file left by a killed git-wo: {}", l.why),
                Remedy::run(
                    "git wo reconcile --apply",
                    "moves it to quarantine (git wo reconcile --restore puts it back)",
                ),
            ),
            LeftoverKind::OwnRefLock => (
                format!(
                    "{shown} is a ref lock a killed git-wo left, {}: it blocks every update of that ref (git wo sync, take, finish fail on it)",
                    l.why
                ),
                Remedy::run(
                    "git wo reconcile --apply",
                    "moves it to quarantine (git wo reconcile --restore puts it back)",
                ),
            ),
            LeftoverKind::RefLock => (
                format!(
                    "{shown} is a ref lock left by a killed git process, {}: it blocks every update of that ref (git wo sync, take, finish fail on it)",
                    l.why
                ),
                Remedy::decide(format!(
                    "make sure no git or git-wo is running, then: rm -- {}",
                    q(&l.path.to_string_lossy())
                )),
            ),
        };
        out.push(Finding::new(
            Code::LeftoverFile,
            None,
            message,
            remedy,
            vec![shown],
        ));
    }
}

/// `hooks_missing`: in an initialised repository, the gate hooks are not installed, or
/// cannot run (a `core.hooksPath` naming a missing folder, `git-wo` not on `PATH`).
fn hook_findings(inv: &Inventory, out: &mut Vec<Finding>) {
    use crate::model::config::GateHooks;
    let h = &inv.hooks;
    if !inv.initialized || h.expected == GateHooks::None || h.dir.as_os_str().is_empty() {
        return;
    }
    let dir = h.dir.to_string_lossy().into_owned();
    let missing = h.missing();
    let (message, hint): (String, Remedy) = if !h.dir_exists && h.configured.is_some() {
        (
            format!(
                "core.hooksPath is {}, a folder that does not exist: git runs no hook at all",
                h.configured.as_deref().unwrap_or_default()
            ),
            Remedy::run("git wo install-hooks", "creates it"),
        )
    } else if h.expected == GateHooks::Framework && !missing.is_empty() {
        (
            format!("wo.gate.hooks is framework but {dir} has no pre-commit hook"),
            Remedy::run(
                "pre-commit install --hook-type pre-commit --hook-type commit-msg --hook-type post-commit",
                "or prek install with the same options",
            ),
        )
    } else if h.expected == GateHooks::Framework && !h.framework_configured {
        (
            "wo.gate.hooks is framework but .pre-commit-config.yaml does not name the wo-gate hook"
                .to_owned(),
            Remedy::decide(
                "add the wo-gate hooks to .pre-commit-config.yaml (see README: pre-commit and prek)",
            ),
        )
    } else if !missing.is_empty() {
        (
            format!(
                "the git-wo hooks are not installed in {dir}: {}",
                missing.join(", ")
            ),
            Remedy::run("git wo install-hooks", ""),
        )
    } else if !h.on_path {
        (
            "the gate hooks are installed but git-wo is not on PATH, so they refuse every commit"
                .to_owned(),
            Remedy::decide("put git-wo on PATH (see README: Install), or: git wo uninstall-hooks"),
        )
    } else {
        return;
    };
    out.push(Finding::new(
        Code::HooksMissing,
        None,
        message,
        hint,
        vec![dir],
    ));
}
