//! The reason git-wo gives when it locks a WO's worktree (`git worktree lock
//! --reason`): `git-wo <ID> token=<n>`. It ties the worktree to the WO and the take
//! that made it, in git's own metadata.

/// The lock reason of the take of `id` with fencing token `token`.
pub fn format(id: &str, token: u64) -> String {
    format!("git-wo {id} token={token}")
}

/// The lock git itself writes into a worktree's admin dir while `git worktree add`
/// runs (without `--lock`), removed when the add completes.
pub const GIT_ADDING: &str = "initializing";

/// Whether a half-made worktree's lock (`locked` of its admin dir) is what a
/// `git worktree add` of git-wo's for `id` leaves: git's own "initializing", or
/// git-wo's reason for `id` (`--lock --reason` writes it from the start).
pub fn made_by_add_of(reason: &str, id: &str) -> bool {
    reason.trim() == GIT_ADDING || parse(reason).is_some_and(|(i, _)| i == id)
}

/// A `git-wo <ID> token=<n>` lock reason, parsed: the id and the token if present.
pub fn parse(reason: &str) -> Option<(String, Option<u64>)> {
    let rest = reason.strip_prefix("git-wo ")?;
    let mut parts = rest.split_whitespace();
    let id = parts.next()?.to_owned();
    let token = parts
        .find_map(|p| p.strip_prefix("token="))
        .and_then(|t| t.parse().ok());
    Some((id, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_reasons() {
        assert_eq!(
            parse(&format("WO-0042", 3)),
            Some(("WO-0042".into(), Some(3)))
        );
        assert_eq!(parse("git-wo WO-1"), Some(("WO-1".into(), None)));
        assert_eq!(parse("on a usb stick"), None);
    }
}
