//! [`FolderNo`]: the folder a WO file is in, by number, so that a file keeps only its
//! name beside its fields.
//!
//! Every file of a state folder shares its folder (`_ctx/jobs/pending`…): kept in each
//! file's path, it was 15 to 18 bytes of every file's one buffer, at 100,000 WOs 1.6 MB
//! of the peak of `audit` and `list`. Folders are numbered for the process, once each,
//! and never forgotten (a run sees the four state folders and their archive
//! subfolders, a long `git wo mcp` session no more than its repository has).

use std::collections::HashMap;
use std::sync::RwLock;

/// A folder, relative to the checkout, by number; [`FolderNo::NONE`] for none (the
/// file's path is then its name).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FolderNo(u16);

/// The folders numbered so far: by number, and the number of each.
#[derive(Default)]
struct Table {
    names: Vec<&'static str>,
    numbers: HashMap<&'static str, u16>,
}

static TABLE: RwLock<Option<Table>> = RwLock::new(None);

thread_local! {
    /// The folder this thread numbered or named last: the files of a folder come one
    /// after the other, so nearly every file is numbered or named without the lock.
    static LAST: std::cell::Cell<Option<(&'static str, FolderNo)>> =
        const { std::cell::Cell::new(None) };
}

impl FolderNo {
    /// No folder: the path is the name.
    pub const NONE: FolderNo = FolderNo(0);

    /// The number of `dir` (relative to the checkout, no trailing `/`), numbering it
    /// if it is new; [`FolderNo::NONE`] for `""`, or when 65,535 folders are numbered
    /// already (the path is then kept whole).
    pub fn of(dir: &str) -> FolderNo {
        if dir.is_empty() {
            return FolderNo::NONE;
        }
        if let Some((last, no)) = LAST.get()
            && last == dir
        {
            return no;
        }
        let known = TABLE.read().ok().and_then(|t| {
            let (&name, &n) = t.as_ref()?.numbers.get_key_value(dir)?;
            Some((name, FolderNo(n)))
        });
        match known.or_else(|| FolderNo::number(dir)) {
            Some(named) => {
                LAST.set(Some(named));
                named.1
            }
            None => FolderNo::NONE,
        }
    }

    /// Number `dir` (or find it numbered since the lookup): its name as kept, and its
    /// number.
    fn number(dir: &str) -> Option<(&'static str, FolderNo)> {
        let mut guard = TABLE.write().ok()?;
        let table = guard.get_or_insert_default();
        if let Some((&name, &n)) = table.numbers.get_key_value(dir) {
            return Some((name, FolderNo(n)));
        }
        // (Number 0 is none: the first folder is 1.)
        let n = u16::try_from(table.names.len() + 1)
            .ok()
            .filter(|n| *n < u16::MAX)?;
        let name: &'static str = Box::leak(dir.into());
        table.names.push(name);
        table.numbers.insert(name, n);
        Some((name, FolderNo(n)))
    }

    /// The folder's path relative to the checkout (`""` for none). The folder this
    /// thread numbered or named last is named without the lock: the files of a folder
    /// come one after the other.
    pub fn dir(self) -> &'static str {
        let Some(i) = usize::from(self.0).checked_sub(1) else {
            return "";
        };
        if let Some((name, no)) = LAST.get()
            && no == self
        {
            return name;
        }
        let name = TABLE
            .read()
            .ok()
            .and_then(|t| t.as_ref()?.names.get(i).copied());
        if let Some(name) = name {
            LAST.set(Some((name, self)));
        }
        name.unwrap_or_default()
    }

    /// `rel` (a path relative to the checkout) as its folder's number and its name.
    pub fn split(rel: &str) -> (FolderNo, &str) {
        match rel.rsplit_once('/') {
            Some((dir, name)) => match FolderNo::of(dir) {
                FolderNo::NONE => (FolderNo::NONE, rel),
                no => (no, name),
            },
            None => (FolderNo::NONE, rel),
        }
    }

    /// The path of `name` in this folder.
    pub fn join(self, name: &str) -> String {
        let mut out = String::new();
        push_path(&mut out, self.dir(), name);
        out
    }
}

/// Write the path of `name` in `dir` (relative to the checkout; `""` for none) to `out`.
pub fn push_path(out: &mut String, dir: &str, name: &str) {
    if !dir.is_empty() {
        out.push_str(dir);
        out.push('/');
    }
    out.push_str(name);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_keeps_its_number_and_a_path_splits_and_joins_back() {
        let a = FolderNo::of("_ctx/jobs/pending");
        assert_ne!(a, FolderNo::NONE);
        assert_eq!(a.dir(), "_ctx/jobs/pending");
        let b = FolderNo::of("_ctx/jobs/done/2026");
        assert_ne!(a, b);
        // Named by the thread's last folder or through the table, alternately.
        for _ in 0..2 {
            assert_eq!(
                (a.dir(), b.dir()),
                ("_ctx/jobs/pending", "_ctx/jobs/done/2026")
            );
            assert_eq!(b.dir(), "_ctx/jobs/done/2026");
        }
        // Asked again, from this thread and another: the same numbers.
        assert_eq!(FolderNo::of("_ctx/jobs/pending"), a);
        let there = std::thread::spawn(|| FolderNo::of("_ctx/jobs/done/2026")).join();
        assert_eq!(there.ok(), Some(b));
        for rel in [
            "_ctx/jobs/pending/WO-0001.yaml",
            "_ctx/jobs/done/2026/WO-0002.yaml",
            "WO-0003.yaml",
            "/WO-0004.yaml",
        ] {
            let (no, name) = FolderNo::split(rel);
            assert_eq!(no.join(name), rel, "{rel}");
            assert!(!name.contains('/') || no == FolderNo::NONE, "{rel}");
        }
        assert_eq!(FolderNo::split("WO-0003.yaml").0, FolderNo::NONE);
        assert_eq!(FolderNo::NONE.dir(), "");
    }
}
