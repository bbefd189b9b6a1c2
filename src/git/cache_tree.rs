//! The index's cache tree (`TREE` extension) read without decoding the entries: the
//! id git would write for one folder, when the index keeps it valid. This is what lets
//! the pre-commit hook decide "nothing under the jobs dir is staged" for about the
//! cost of `git diff --cached --quiet`. Anything unusual (index v4, a split index, no
//! or an invalidated cache tree, a damaged file) answers `None`, and the caller reads
//! the index in full.

use std::path::Path;

use gix::ObjectId;

/// The cached tree id of `prefix` (`a/b`, no trailing slash) in the index at `path`.
/// The entries are skipped through a small buffer, never held: only the extensions'
/// headers and the `TREE` extension are read into memory.
pub fn cached_tree_id(path: &Path, prefix: &str) -> Option<ObjectId> {
    use std::io::{BufRead, BufReader, Read};
    let file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let mut r = BufReader::with_capacity(64 * 1024, file);
    let mut header = [0u8; 12];
    r.read_exact(&mut header).ok()?;
    if &header[..4] != b"DIRC" {
        return None;
    }
    let version = u32::from_be_bytes(header[4..8].try_into().ok()?);
    if version != 2 && version != 3 {
        return None;
    }
    let count = u32::from_be_bytes(header[8..12].try_into().ok()?);
    let mut at: u64 = 12;
    let mut fixed = [0u8; 62];
    for _ in 0..count {
        // ctime, mtime (8 each), dev, ino, mode, uid, gid, size (4 each), id (20),
        // flags (2): 62 bytes; then extended flags (version 3, when flagged), the
        // path, and NULs padding the entry to a multiple of 8 bytes (at least one).
        r.read_exact(&mut fixed).ok()?;
        let flags = u16::from_be_bytes([fixed[60], fixed[61]]);
        let ext_len: u64 = if flags & 0x4000 != 0 {
            r.read_exact(&mut [0u8; 2]).ok()?;
            2
        } else {
            0
        };
        let mut read = 62 + ext_len;
        let short = u64::from(flags & 0x0fff);
        let name_len = if short < 0x0fff {
            short
        } else {
            // A long path: read up to its NUL (the first padding byte).
            let mut name = Vec::new();
            r.read_until(0, &mut name).ok()?;
            read += name.len() as u64;
            (name.len() as u64).checked_sub(1)?
        };
        let padded = (62 + ext_len + name_len + 8) & !7;
        skip_bytes(&mut r, padded.checked_sub(read)?)?;
        at += padded;
    }
    // Extensions until the trailing checksum.
    let body_end = len.checked_sub(20)?;
    while at + 8 <= body_end {
        let mut ext = [0u8; 8];
        r.read_exact(&mut ext).ok()?;
        let size = u64::from(u32::from_be_bytes(ext[4..8].try_into().ok()?));
        at += 8;
        if at + size > body_end {
            return None;
        }
        match &ext[..4] {
            b"TREE" => {
                let mut tree = vec![0u8; usize::try_from(size).ok()?];
                r.read_exact(&mut tree).ok()?;
                return find(&tree, prefix);
            }
            // A split index keeps entries elsewhere: not for this reader.
            b"link" => return None,
            _ => {
                skip_bytes(&mut r, size)?;
                at += size;
            }
        }
    }
    None
}

/// Skip `n` bytes of `r`.
fn skip_bytes<R: std::io::BufRead>(r: &mut R, mut n: u64) -> Option<()> {
    while n > 0 {
        let buf = r.fill_buf().ok()?;
        if buf.is_empty() {
            return None;
        }
        let step = buf.len().min(usize::try_from(n).unwrap_or(usize::MAX));
        r.consume(step);
        n -= step as u64;
    }
    Some(())
}

/// In a `TREE` extension (pre-order: path NUL, entry count, space, subtree count,
/// newline, then the id when the count is not -1), the id of `prefix`.
fn find(tree: &[u8], prefix: &str) -> Option<ObjectId> {
    let wanted: Vec<&[u8]> = prefix.split('/').map(str::as_bytes).collect();
    let mut pos = 0usize;
    // Walk down: at each level, skip siblings (and their whole subtrees) until the
    // wanted name.
    let (_, _, mut children, _) = node(tree, &mut pos)?;
    for (depth, name) in wanted.iter().enumerate() {
        let mut found = None;
        for _ in 0..children {
            let (n, valid, subs, id) = node(tree, &mut pos)?;
            if n == *name {
                found = Some((valid, subs, id));
                break;
            }
            skip(tree, &mut pos, subs)?;
        }
        let (valid, subs, id) = found?;
        if depth + 1 == wanted.len() {
            return if valid { id } else { None };
        }
        children = subs;
    }
    None
}

/// One node: (name, valid, number of subtrees, id).
fn node<'a>(tree: &'a [u8], pos: &mut usize) -> Option<(&'a [u8], bool, usize, Option<ObjectId>)> {
    let rest = tree.get(*pos..)?;
    let nul = rest.iter().position(|b| *b == 0)?;
    let name = &rest[..nul];
    let after = &rest[nul + 1..];
    let nl = after.iter().position(|b| *b == b'\n')?;
    let header = std::str::from_utf8(&after[..nl]).ok()?;
    let (count, subs) = header.split_once(' ')?;
    let count: i64 = count.parse().ok()?;
    let subs: usize = subs.parse().ok()?;
    *pos += nul + 1 + nl + 1;
    let id = if count >= 0 {
        let raw = tree.get(*pos..*pos + 20)?;
        *pos += 20;
        Some(ObjectId::try_from(raw).ok()?)
    } else {
        None
    };
    Some((name, count >= 0, subs, id))
}

/// Skip `n` subtrees (each with its own subtrees).
fn skip(tree: &[u8], pos: &mut usize, n: usize) -> Option<()> {
    for _ in 0..n {
        let (_, _, subs, _) = node(tree, pos)?;
        skip(tree, pos, subs)?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir)
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_DIR")
            .output()
            .expect("git");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    #[test]
    fn reads_the_cache_tree_of_a_real_index() {
        let tmp = tempfile::tempdir().expect("tmp");
        let d = tmp.path();
        git(d, &["init", "-q"]);
        for f in [
            "a.txt",
            "_ctx/jobs/pending/WO-1.yaml",
            "_ctx/jobs/done/WO-2.yaml",
            "_ctx/x.md",
            "z/long-name-to-pad.txt",
        ] {
            let p = d.join(f);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, f).expect("write");
        }
        git(d, &["add", "."]);
        git(
            d,
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@e",
                "commit",
                "-q",
                "-m",
                "i",
            ],
        );
        let index = d.join(".git/index");
        let jobs = git(d, &["rev-parse", "HEAD:_ctx/jobs"]);
        assert_eq!(
            cached_tree_id(&index, "_ctx/jobs").map(|i| i.to_string()),
            Some(jobs)
        );
        let z = git(d, &["rev-parse", "HEAD:z"]);
        assert_eq!(cached_tree_id(&index, "z").map(|i| i.to_string()), Some(z));
        assert_eq!(cached_tree_id(&index, "nope"), None);
        // Staging outside the folder keeps its entry valid; inside, invalidates it.
        std::fs::write(d.join("a.txt"), "changed").expect("write");
        git(d, &["add", "a.txt"]);
        assert!(cached_tree_id(&index, "_ctx/jobs").is_some());
        std::fs::write(d.join("_ctx/jobs/pending/WO-1.yaml"), "changed").expect("write");
        git(d, &["add", "_ctx/jobs/pending/WO-1.yaml"]);
        assert_eq!(cached_tree_id(&index, "_ctx/jobs"), None);
        // And the full reader hashes the same id git would write.
        let hashed = crate::git::index::Staged::read(&index)
            .expect("index")
            .tree_of("_ctx/jobs")
            .expect("no conflicts");
        let tree = git(d, &["write-tree"]);
        let written = git(d, &["rev-parse", &format!("{tree}:_ctx/jobs")]);
        assert_eq!(hashed.map(|i| i.to_string()), Some(written));
    }
}
