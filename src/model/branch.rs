//! Branch names that come from a YAML (`branch:`) or from config: they must be valid
//! `refs/heads/<name>` names (git's `check-ref-format` rules) and must not start with
//! `-`, so that no branch name can ever be read as an option by a `git` command.

/// Why `name` is not usable as a WO branch, if it is not.
pub fn problem(name: &str) -> Option<String> {
    let bad = |why: &str| Some(format!("branch `{name}` {why}"));
    if name.is_empty() {
        return bad("is empty");
    }
    if name.starts_with('-') {
        return bad("starts with `-` (it would be read as an option)");
    }
    if name == "@" || name.contains("@{") {
        return bad("contains `@{` or is `@`");
    }
    if name.contains("..") || name.contains("//") {
        return bad("contains `..` or `//`");
    }
    if name.starts_with('/') || name.ends_with('/') || name.ends_with('.') {
        return bad("starts or ends with `/`, or ends with `.`");
    }
    if name
        .chars()
        .any(|c| c.is_control() || c == ' ' || "~^:?*[\\".contains(c))
    {
        return bad("contains a space, a control character or one of ~^:?*[\\");
    }
    if name
        .split('/')
        .any(|part| part.starts_with('.') || part.ends_with(".lock"))
    {
        return bad("has a component starting with `.` or ending with `.lock`");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn branch_names() {
        for ok in ["feat/wo-WO-0001", "wo/WO-P2.1", "a-b_c"] {
            assert_eq!(problem(ok), None, "{ok}");
        }
        for bad in [
            "-Bother", "", "a..b", "a b", "a~1", "x.lock", ".hidden", "a/", "@", "a@{1}", "a:b",
        ] {
            assert!(problem(bad).is_some(), "{bad}");
        }
    }
}
