//! Who is acting: `--owner`, else `user.name`, else the login name.

use anyhow::Result;

use crate::error::WoError;
use crate::git::Repo;

/// Where the acting owner's name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Option,
    UserName,
    Login,
}

/// The acting owner: `--owner` (which must not be empty), else `user.name`, else the
/// login name. Control characters become spaces; the result is trimmed.
pub fn resolve_with_source(repo: &Repo, explicit: Option<&str>) -> Result<(String, Source)> {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .trim()
            .to_owned()
    };
    if let Some(e) = explicit {
        let name = clean(e);
        if name.is_empty() {
            return Err(WoError::usage("--owner is empty: an owner needs a name")
                .fix("pass --owner NAME, or leave it out to act as git config user.name")
                .into());
        }
        return Ok((name, Source::Option));
    }
    if let Some(name) = repo
        .config
        .user_name
        .as_deref()
        .map(clean)
        .filter(|n| !n.is_empty())
    {
        return Ok((name, Source::UserName));
    }
    let login = clean(&crate::host::username());
    let login = if login.is_empty() {
        "unknown".to_owned()
    } else {
        login
    };
    Ok((login, Source::Login))
}

/// The acting owner, for commands that only need the name.
pub fn resolve(repo: &Repo, explicit: Option<&str>) -> String {
    resolve_with_source(repo, explicit).map_or_else(|_| "unknown".to_owned(), |(n, _)| n)
}

/// The note to print when the owner is the login name (no `user.name`).
pub fn login_note(name: &str) -> String {
    format!(
        "note: no git user.name is set; acting as {} (the login name). Set one: git config --global user.name \"Your Name\"",
        crate::error::shell_quote(name)
    )
}
