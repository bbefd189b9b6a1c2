//! The hook shims `git wo install-hooks` writes (the project's `hooks/` folder,
//! embedded): each a few lines of `sh` that run a foreign hook kept as
//! `<name>.pre-wo` first, then `git-wo hook <name>`, and fail clearly when `git-wo`
//! is not on `PATH`.

/// The hooks git-wo installs, with their shims.
pub const SHIMS: [(&str, &str); 4] = [
    ("pre-commit", include_str!("../../hooks/pre-commit")),
    ("commit-msg", include_str!("../../hooks/commit-msg")),
    ("post-commit", include_str!("../../hooks/post-commit")),
    ("post-checkout", include_str!("../../hooks/post-checkout")),
];

/// The line every shim starts its comment with.
pub const MARK: &str = "# git-wo hook shim";

/// Where a foreign hook is kept while git-wo's shim is installed.
pub const KEPT_SUFFIX: &str = ".pre-wo";

/// Whether `bytes` are a git-wo shim (this version's or an older one).
pub fn is_shim(bytes: &[u8]) -> bool {
    bytes
        .split(|b| *b == b'\n')
        .take(3)
        .any(|l| l.starts_with(MARK.as_bytes()))
}

/// The shim of hook `name`.
pub fn shim(name: &str) -> Option<&'static str> {
    SHIMS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shim_is_marked_and_calls_its_hook() {
        for (name, text) in SHIMS {
            assert!(text.starts_with("#!/bin/sh\n"), "{name}");
            assert!(is_shim(text.as_bytes()), "{name}");
            assert!(
                text.contains(&format!("git-wo hook {name} \"$@\"")),
                "{name}"
            );
            assert!(text.contains(&format!("{name}{KEPT_SUFFIX}")), "{name}");
        }
        assert!(!is_shim(b"#!/bin/sh\nexec lint-staged\n"));
    }
}
