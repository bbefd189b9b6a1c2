//! One folder's entries, read with `readdir` and `lstat`ed relative to the folder's
//! descriptor (`fstatat`), without an allocation per entry.
//!
//! `std::fs::read_dir` copies each name into a `CString` of its own (a `malloc`, a
//! `memchr` for a NUL and a `free` per entry), and its `DirEntry::metadata` goes
//! through `statx` asking for every field. In a test program (one process per listing,
//! tmpfs), listing a folder of 4,975 WOs and stamping each took 6.3 ms that way and
//! 5.6 ms with the kernel's entries and `fstatat` directly. With this module a
//! warm `git wo audit --json` went from 16.8 to 15.9 ms at 10,000 WOs and from 147.6
//! to 136.1 ms at 100,000. The name here is the one `readdir` returned, borrowed
//! until the next entry.

use std::ffi::{CStr, CString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr::NonNull;

/// What an entry is, as the listing or an `lstat` says: links are not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryType {
    File,
    Dir,
    Symlink,
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
    /// Anything else (a type this system has and the others do not).
    Other,
}

impl EntryType {
    pub fn is_file(self) -> bool {
        self == EntryType::File
    }

    pub fn is_dir(self) -> bool {
        self == EntryType::Dir
    }

    pub fn is_symlink(self) -> bool {
        self == EntryType::Symlink
    }

    /// The type of the file `meta` describes (a symlink's own when it is an `lstat`'s).
    pub fn of(meta: &std::fs::Metadata) -> EntryType {
        use std::os::unix::fs::MetadataExt;
        EntryType::of_mode(meta.mode())
    }

    /// The type in an `lstat`'s `st_mode`.
    pub fn of_mode(mode: libc::mode_t) -> EntryType {
        match mode & libc::S_IFMT {
            libc::S_IFREG => EntryType::File,
            libc::S_IFDIR => EntryType::Dir,
            libc::S_IFLNK => EntryType::Symlink,
            libc::S_IFIFO => EntryType::Fifo,
            libc::S_IFSOCK => EntryType::Socket,
            libc::S_IFCHR => EntryType::CharDevice,
            libc::S_IFBLK => EntryType::BlockDevice,
            _ => EntryType::Other,
        }
    }

    /// The type in a directory entry's `d_type`; `None` when the file system does not
    /// say (`DT_UNKNOWN`), and an `lstat` must.
    fn of_d_type(d_type: u8) -> Option<EntryType> {
        Some(match d_type {
            libc::DT_REG => EntryType::File,
            libc::DT_DIR => EntryType::Dir,
            libc::DT_LNK => EntryType::Symlink,
            libc::DT_FIFO => EntryType::Fifo,
            libc::DT_SOCK => EntryType::Socket,
            libc::DT_CHR => EntryType::CharDevice,
            libc::DT_BLK => EntryType::BlockDevice,
            libc::DT_UNKNOWN => return None,
            _ => EntryType::Other,
        })
    }

    /// What a file of this type is, for messages: "a FIFO", "a directory"….
    pub fn what(self) -> &'static str {
        match self {
            EntryType::File => "a regular file",
            EntryType::Dir => "a directory",
            EntryType::Symlink => "a symlink",
            EntryType::Fifo => "a FIFO",
            EntryType::Socket => "a socket",
            EntryType::CharDevice => "a character device",
            EntryType::BlockDevice => "a block device",
            EntryType::Other => "not a regular file",
        }
    }
}

/// An open folder, read entry by entry (`.` and `..` left out).
pub struct FolderEntries {
    dir: NonNull<libc::DIR>,
}

impl FolderEntries {
    pub fn open(path: &Path) -> io::Result<FolderEntries> {
        let path = CString::new(path.as_os_str().as_bytes())?;
        // SAFETY: `path` is a valid C string for the call.
        let dir = unsafe { libc::opendir(path.as_ptr()) };
        NonNull::new(dir)
            .map(|dir| FolderEntries { dir })
            .ok_or_else(io::Error::last_os_error)
    }

    fn fd(&self) -> libc::c_int {
        // SAFETY: `self.dir` is an open stream until drop.
        unsafe { libc::dirfd(self.dir.as_ptr()) }
    }

    /// The folder's own size as `fstat` gives it (on most file systems it grows with
    /// the number of entries).
    pub fn size(&self) -> io::Result<u64> {
        let st = fstatat(self.fd(), None)?;
        Ok(u64::try_from(st.st_size).unwrap_or(0))
    }

    /// The next entry, or `None` at the end. A read error ends the listing too, as
    /// entries `std::fs::read_dir` fails to give are skipped.
    pub fn next_entry(&mut self) -> Option<Entry<'_>> {
        loop {
            // SAFETY: `self.dir` is an open stream; the entry it returns is valid until
            // the next call on the stream, which the borrow of `self` forbids while the
            // `Entry` lives.
            let ent = unsafe { libc::readdir(self.dir.as_ptr()).as_ref()? };
            // SAFETY: `d_name` is NUL-terminated within the entry.
            let name = unsafe { CStr::from_ptr(ent.d_name.as_ptr()) };
            if matches!(name.to_bytes(), b"." | b"..") {
                continue;
            }
            return Some(Entry {
                fd: self.fd(),
                name,
                listed: EntryType::of_d_type(ent.d_type),
            });
        }
    }
}

impl Drop for FolderEntries {
    fn drop(&mut self) {
        // SAFETY: opened by `opendir`, closed once.
        unsafe { libc::closedir(self.dir.as_ptr()) };
    }
}

/// One entry of a [`FolderEntries`].
pub struct Entry<'a> {
    fd: libc::c_int,
    name: &'a CStr,
    listed: Option<EntryType>,
}

impl Entry<'_> {
    pub fn name(&self) -> &CStr {
        self.name
    }

    /// Its type: from the listing, or from an `lstat` when the listing did not say
    /// (`None` when that failed: the entry is gone).
    pub fn entry_type(&self) -> Option<EntryType> {
        self.listed
            .or_else(|| Some(EntryType::of_mode(self.lstat().ok()?.st_mode)))
    }

    /// `lstat` of the entry, relative to its folder.
    pub fn lstat(&self) -> io::Result<libc::stat> {
        fstatat(self.fd, Some(self.name))
    }
}

/// `fstatat(fd, name, AT_SYMLINK_NOFOLLOW)`, or `fstat(fd)` without a name.
fn fstatat(fd: libc::c_int, name: Option<&CStr>) -> io::Result<libc::stat> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `st` is written by the call when it succeeds, and read only then.
    let done = unsafe {
        match name {
            Some(name) => libc::fstatat(
                fd,
                name.as_ptr(),
                st.as_mut_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            ),
            None => libc::fstat(fd, st.as_mut_ptr()),
        }
    };
    if done == 0 {
        // SAFETY: the call succeeded and filled `st`.
        Ok(unsafe { st.assume_init() })
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::MetadataExt;

    fn listed(dir: &Path) -> Vec<(String, Option<EntryType>, Option<u64>)> {
        let mut entries = FolderEntries::open(dir).expect("open");
        let mut out = Vec::new();
        while let Some(e) = entries.next_entry() {
            let name = e.name().to_str().expect("UTF-8").to_owned();
            let ino = e.lstat().ok().map(|st| st.st_ino);
            out.push((name, e.entry_type(), ino));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// One entry of each kind in `d`: the file `file`, the folder `sub`, the symlink
    /// `link` to the file and the FIFO `pipe`.
    fn one_of_each_kind(d: &Path, file: &str) {
        fs::write(d.join(file), "x: 1\n").expect("write");
        fs::create_dir(d.join("sub")).expect("mkdir");
        std::os::unix::fs::symlink(file, d.join("link")).expect("symlink");
        let fifo = CString::new(d.join("pipe").as_os_str().as_bytes()).expect("path");
        // SAFETY: a valid path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    }

    #[test]
    fn lists_each_entry_once_with_its_type_and_lstat() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let d = dir.path();
        one_of_each_kind(d, "a.yaml");
        let ino = |name: &str| Some(fs::symlink_metadata(d.join(name)).expect("stat").ino());
        assert_eq!(
            listed(d),
            vec![
                ("a.yaml".into(), Some(EntryType::File), ino("a.yaml")),
                ("link".into(), Some(EntryType::Symlink), ino("link")),
                ("pipe".into(), Some(EntryType::Fifo), ino("pipe")),
                ("sub".into(), Some(EntryType::Dir), ino("sub")),
            ]
        );
        // The link is not followed: its lstat is its own, not the file's.
        assert_ne!(ino("link"), ino("a.yaml"));
        let entries = FolderEntries::open(d).expect("open");
        assert_eq!(entries.size().ok(), fs::metadata(d).ok().map(|m| m.len()));
    }

    #[test]
    fn an_empty_folder_has_no_entries_and_a_missing_one_does_not_open() {
        let dir = tempfile::tempdir().expect("a temp dir");
        assert!(listed(dir.path()).is_empty());
        let missing = FolderEntries::open(&dir.path().join("nope")).err();
        assert_eq!(missing.map(|e| e.kind()), Some(io::ErrorKind::NotFound));
        let file = dir.path().join("f");
        fs::write(&file, "").expect("write");
        assert!(FolderEntries::open(&file).is_err());
    }

    #[test]
    fn a_gone_entry_has_no_lstat() {
        let dir = tempfile::tempdir().expect("a temp dir");
        fs::write(dir.path().join("x"), "").expect("write");
        let mut entries = FolderEntries::open(dir.path()).expect("open");
        let e = entries.next_entry().expect("an entry");
        fs::remove_file(dir.path().join("x")).expect("rm");
        assert_eq!(
            e.lstat().err().map(|e| e.kind()),
            Some(io::ErrorKind::NotFound)
        );
    }

    /// The type a listing gives an entry is the one its metadata gives (a symlink's
    /// own, not what it points to).
    #[test]
    fn a_listing_and_the_metadata_give_the_same_type() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let d = dir.path();
        one_of_each_kind(d, "f");
        let listed = listed(d);
        assert_eq!(listed.len(), 4);
        for (name, listed_type, _) in listed {
            let meta = fs::symlink_metadata(d.join(&name)).expect("stat");
            assert_eq!(listed_type, Some(EntryType::of(&meta)), "{name}");
        }
        assert_eq!(EntryType::Fifo.what(), "a FIFO");
    }
}
