//! Who is acting: `--owner`, else `user.name`, else the login name.

use crate::git::Repo;

pub fn resolve(repo: &Repo, explicit: Option<&str>) -> String {
    explicit
        .map(str::to_owned)
        .or_else(|| repo.config.user_name.clone())
        .unwrap_or_else(crate::host::username)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}
