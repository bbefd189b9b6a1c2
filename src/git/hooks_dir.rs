//! The hooks directory git really uses: `core.hooksPath` (absolute, `~/`, or relative
//! to the top of the worktree the hook runs in, which for the control checkout is
//! the control checkout), else `<common-dir>/hooks`. And what a hook file there is.

use std::path::{Path, PathBuf};

use super::Repo;

#[derive(Debug, Clone)]
pub struct HooksDir {
    pub path: PathBuf,
    /// `core.hooksPath` as configured, when it is.
    pub configured: Option<String>,
}

impl HooksDir {
    /// Whether the folder exists (a `core.hooksPath` naming a missing folder silently
    /// disables every hook).
    pub fn exists(&self) -> bool {
        self.path.is_dir()
    }

    /// The file of hook `name`.
    pub fn hook(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

/// A hook file as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookFile {
    Missing,
    /// A regular file: its bytes and whether it is executable (git skips it otherwise).
    File {
        bytes: Vec<u8>,
        executable: bool,
    },
    /// A symlink, a folder, or unreadable: never touched.
    Other(String),
}

impl HookFile {
    pub fn read(path: &Path) -> HookFile {
        let meta = match std::fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return HookFile::Missing,
            Err(e) => return HookFile::Other(e.to_string()),
        };
        if meta.file_type().is_symlink() {
            return HookFile::Other("a symlink".into());
        }
        if !meta.is_file() {
            return HookFile::Other("not a regular file".into());
        }
        // (The open file's type is checked again: a FIFO is never read.)
        match crate::regular::read(path, u64::MAX) {
            Ok(crate::regular::Regular::Bytes(bytes, _)) => HookFile::File {
                bytes,
                executable: is_executable(&meta),
            },
            Ok(crate::regular::Regular::Not(_)) => HookFile::Other("not a regular file".into()),
            Ok(crate::regular::Regular::TooLarge(..)) => HookFile::Other("too large".into()),
            Err(e) => HookFile::Other(e.to_string()),
        }
    }
}

/// Whether a file with `meta` may be run (an execute bit is set).
#[cfg(unix)]
pub fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
pub fn is_executable(_meta: &std::fs::Metadata) -> bool {
    true
}

/// Write `bytes` to `path` as an executable file, via a temp file and a rename.
pub fn write_executable(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".git-wo-hook-")
        .tempfile_in(dir)?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o755))?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

impl Repo {
    /// Where git looks for hooks when committing in the control checkout.
    pub fn hooks_dir(&self) -> HooksDir {
        let configured = self
            .gix
            .config_snapshot()
            .string("core.hooksPath")
            .map(|v| v.to_string())
            .filter(|v| !v.is_empty());
        let path = match &configured {
            Some(p) => {
                let expanded = match p.strip_prefix("~/") {
                    Some(rest) => std::env::var_os("HOME")
                        .map(|h| PathBuf::from(h).join(rest))
                        .unwrap_or_else(|| PathBuf::from(p)),
                    None => PathBuf::from(p),
                };
                if expanded.is_absolute() {
                    expanded
                } else {
                    self.control_root.join(expanded)
                }
            }
            None => self.common_dir.join("hooks"),
        };
        HooksDir { path, configured }
    }
}
