//! The paths a range of commits, or a commit in progress, changes: `git diff
//! --name-status -M -z`, a rename reported with both its old and its new path.

use std::path::Path;

use anyhow::Result;
use gix::ObjectId;

use super::command::{command, failure};

/// One changed path as `git diff --name-status` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// `A`, `M`, `D`, `T`, `R`, `C`… (a rename's or copy's score dropped).
    pub status: char,
    /// The path (a rename's or copy's new path).
    pub path: String,
    /// A rename's or copy's old path.
    pub from: Option<String>,
}

impl Changed {
    /// Every path it touches: a rename counts on both sides.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.from.as_deref().into_iter().chain([self.path.as_str()])
    }
}

/// What changed from `base` to `tip` (repository-relative paths).
pub fn between(dir: &Path, base: &str, tip: &str) -> Result<Vec<Changed>> {
    let args = [
        "diff",
        "--name-status",
        "-M",
        "-z",
        "--no-ext-diff",
        "--no-textconv",
        base,
        tip,
        "--",
    ];
    run(dir, &args, None)
}

/// What the index `index` of the worktree at `dir` stages against `head` (everything,
/// on an unborn branch).
pub fn staged(dir: &Path, index: &Path, head: Option<ObjectId>) -> Result<Vec<Changed>> {
    let head = head.map(|h| h.to_string());
    let mut args = vec![
        "diff",
        "--cached",
        "--name-status",
        "-M",
        "-z",
        "--no-ext-diff",
    ];
    if let Some(h) = head.as_deref() {
        args.push(h);
    }
    args.push("--");
    run(dir, &args, Some(index))
}

fn run(dir: &Path, args: &[&str], index: Option<&Path>) -> Result<Vec<Changed>> {
    let mut c = command(dir);
    c.args(["-c", "core.quotePath=false", "-c", "diff.renames=true"])
        .args(args);
    if let Some(i) = index {
        c.env("GIT_INDEX_FILE", i);
    }
    let out = c
        .output()
        .map_err(|e| anyhow::anyhow!("running `git {}`: {e}", args.join(" ")))?;
    if !out.status.success() {
        return Err(failure(args, dir, &out.stderr));
    }
    Ok(parse(&out.stdout))
}

/// `-z` output: `S\0path\0`, or `R100\0old\0new\0` for a rename or copy.
fn parse(bytes: &[u8]) -> Vec<Changed> {
    let mut parts = bytes
        .split(|b| *b == 0)
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let mut out = Vec::new();
    while let Some(status) = parts.next() {
        let Some(s) = status.chars().next() else {
            break;
        };
        let Some(first) = parts.next() else { break };
        if s == 'R' || s == 'C' {
            let Some(second) = parts.next() else { break };
            out.push(Changed {
                status: s,
                path: second,
                from: Some(first),
            });
        } else {
            out.push(Changed {
                status: s,
                path: first,
                from: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_have_both_sides() {
        let got = parse(b"M\0a b\0R087\0old/x\0new/x\0D\0gone\0");
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].paths().collect::<Vec<_>>(), vec!["old/x", "new/x"]);
        assert_eq!(got[2].status, 'D');
        assert!(parse(b"").is_empty());
    }
}
