//! Who is acting: `--owner`, else "you" (`wo.owner`, else `user.name`, else the login
//! name: [`Config::you`](crate::model::config::Config::you)).

use anyhow::Result;

use crate::error::WoError;
use crate::git::Repo;
pub use crate::model::config::OwnerSource as Source;

/// The acting owner: `--owner` (which must not be empty), else `wo.owner`, else
/// `user.name`, else the login name. Control characters become spaces; the result is
/// trimmed.
pub fn resolve_with_source(repo: &Repo, explicit: Option<&str>) -> Result<(String, Source)> {
    if let Some(e) = explicit {
        let name = crate::model::config::clean_name(e);
        if name.is_empty() {
            return Err(WoError::usage("--owner is empty: an owner needs a name")
                .fix(
                    "pass --owner NAME, or leave it out to act as git config wo.owner or user.name",
                )
                .into());
        }
        return Ok((name, Source::Option));
    }
    Ok(repo.config.you())
}

/// The acting owner, for commands that only need the name: "you".
pub fn resolve(repo: &Repo, explicit: Option<&str>) -> String {
    resolve_with_source(repo, explicit).map_or_else(|_| repo.config.you().0, |(n, _)| n)
}

/// The note to print when the owner is the login name (no `user.name`).
pub fn login_note(name: &str) -> String {
    format!(
        "note: no git user.name is set; acting as {} (the login name). Set one: git config --global user.name \"Your Name\"",
        crate::error::shell_quote(name)
    )
}
