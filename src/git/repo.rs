//! Finding the repository: the control checkout (main worktree), the common git dir,
//! the worktree the command runs in, and `wo.*` configuration.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::error::WoError;
use crate::model::config::{Config, Settings};

pub struct Repo {
    pub gix: gix::Repository,
    /// The main worktree: parent of the common git dir, or `--root`/`wo.root`.
    pub control_root: PathBuf,
    /// The common git dir (shared by all worktrees), canonical.
    pub common_dir: PathBuf,
    /// The worktree the command was started in, canonical (None in a bare repository).
    pub current_worktree: Option<PathBuf>,
    /// The private git dir of that worktree (where a holder's session id is kept).
    pub current_git_dir: PathBuf,
    pub config: Config,
}

impl Repo {
    /// Discover the repository from `cwd`, honouring `--root` and `wo.root`.
    pub fn discover(cwd: &Path, root: Option<&Path>) -> Result<Repo> {
        let start = root.unwrap_or(cwd);
        let gix = gix::discover(start).map_err(|e| {
            WoError::usage(format!("not a git repository: {} ({e})", start.display()))
        })?;
        let common_dir = canonical(gix.common_dir());
        let current_git_dir = canonical(gix.git_dir());
        let current_worktree = gix.workdir().map(canonical);
        let config = Config::from_settings(&GitConfig {
            snapshot: gix.config_snapshot(),
            command_line: command_line_config(),
        })?;
        // Objects and refs are reached through the common dir, not the current
        // worktree's private git dir, which `finish` may remove from under us.
        let gix = if current_git_dir != common_dir {
            gix::open(&common_dir).unwrap_or(gix)
        } else {
            gix
        };
        let control_root = match (root, &config.root) {
            (Some(r), _) => canonical(r),
            (None, Some(r)) => {
                let main = main_worktree_of(&common_dir)?;
                canonical(&main.join(r))
            }
            (None, None) => main_worktree_of(&common_dir)?,
        };
        let repo = Repo {
            gix,
            control_root,
            common_dir,
            current_worktree,
            current_git_dir,
            config,
        };
        repo.refuse_non_utf8()?;
        Ok(repo)
    }

    /// Refuse a repository whose paths are not UTF-8, before anything is written: git's
    /// worktree commands and git-wo's own files would land at a lossily renamed path
    /// (`\u{FFFD}` for each bad byte) beside the real one.
    fn refuse_non_utf8(&self) -> Result<(), NotUtf8> {
        let worktree_root = self.worktree_root();
        let paths = [
            ("the checkout", Some(&self.control_root)),
            ("the git dir", Some(&self.common_dir)),
            (
                "the worktree this command runs in",
                self.current_worktree.as_ref(),
            ),
            (
                "the private git dir of this worktree",
                Some(&self.current_git_dir),
            ),
            (
                "the folder WO worktrees go in (wo.worktreeDir)",
                Some(&worktree_root),
            ),
        ];
        for (what, path) in paths {
            if let Some(p) = path
                && p.to_str().is_none()
            {
                return Err(NotUtf8 {
                    what,
                    path: p.clone(),
                });
            }
        }
        Ok(())
    }

    /// `_ctx/jobs` (or `wo.jobsDir`) in the control checkout.
    pub fn jobs_dir(&self) -> PathBuf {
        self.control_root.join(&self.config.jobs_dir)
    }

    /// The jobs dir relative to the control checkout, with `/` separators.
    pub fn jobs_rel(&self) -> String {
        self.config.jobs_dir.trim_end_matches('/').to_owned()
    }

    /// `<git-common-dir>/wo`: git-wo's private area (quarantine, logs).
    pub fn wo_dir(&self) -> PathBuf {
        self.common_dir.join("wo")
    }

    /// The folder WO worktrees are created in, relative to the control checkout:
    /// `wo.worktreeDir`, else `../<repo>.worktrees` (per repository, so that sibling
    /// checkouts taking the same id never share a path).
    pub fn worktree_dir(&self) -> String {
        match &self.config.worktree_dir {
            Some(d) => d.trim_end_matches('/').to_owned(),
            None => self.default_worktree_dir(),
        }
    }

    /// `../<repo>.worktrees`: the worktree folder when `wo.worktreeDir` is not set.
    pub fn default_worktree_dir(&self) -> String {
        let name = self
            .control_root
            .file_name()
            .map_or_else(|| "repo".into(), |n| n.to_string_lossy().into_owned());
        format!("../{name}.worktrees")
    }

    /// The folder WO worktrees are created in, as a path.
    pub fn worktree_root(&self) -> PathBuf {
        self.control_root.join(self.worktree_dir())
    }

    /// Resolve a path as WO YAMLs record it (relative to the control checkout).
    pub fn resolve(&self, recorded: &str) -> PathBuf {
        let p = Path::new(recorded);
        let joined = if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.control_root.join(p)
        };
        canonical(&joined)
    }

    /// Every value of the config key `key` (e.g. a multi-valued `remote.origin.fetch`),
    /// as the repository's configuration said when it was opened.
    pub fn config_values(&self, key: &str) -> Vec<String> {
        self.gix
            .config_snapshot()
            .strings(key)
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.to_string())
            .collect()
    }

    /// Where each `section.key` set in git's configuration comes from, for keys whose
    /// name starts with one of `prefixes`: (key in lower case, value, origin), as
    /// `git config --show-origin --show-scope --get-regexp` reports them.
    pub fn config_origins(&self, prefixes: &[&str]) -> Result<Vec<(String, String, String)>> {
        let pattern = format!("^({})\\.", prefixes.join("|"));
        let out = super::command::git_output(
            &self.control_root,
            &[
                "config",
                "--show-origin",
                "--show-scope",
                "--get-regexp",
                &pattern,
            ],
        )?;
        let mut found = Vec::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let mut parts = line.splitn(3, '\t');
            let (Some(scope), Some(origin), Some(rest)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let (key, value) = rest.split_once(' ').unwrap_or((rest, ""));
            found.push((
                key.to_owned(),
                value.to_owned(),
                format!("{scope} {origin}"),
            ));
        }
        Ok(found)
    }

    /// The names of the configured remotes.
    pub fn remote_names(&self) -> Vec<String> {
        self.gix
            .remote_names()
            .into_iter()
            .map(|n| n.to_string())
            .collect()
    }

    /// `HEAD` of the control checkout as a full sha, if it has one.
    pub fn head_sha(&self) -> Option<String> {
        // `gix` is opened at the common dir, whose HEAD is the control checkout's.
        // The id its branch holds, as `git rev-parse HEAD` prints it, read from the
        // refs alone: peeling it looked the commit up in the packs (at 100,000 WOs,
        // 0.5 ms and 2 MiB of pack indexes paged in by a warm audit). A branch that
        // names another branch is followed by peeling.
        let head = self.gix.head().ok()?;
        head.id()
            .or_else(|| self.gix.head_id().ok())
            .map(|id| id.to_string())
    }

    /// The default branch: `init.defaultBranch`'s branch if it exists, else `main`,
    /// `master`, else the control checkout's current branch.
    pub fn default_branch(&self) -> Result<String> {
        let mut candidates = Vec::new();
        if let Some(b) = &self.config.default_branch {
            candidates.push(b.clone());
        }
        candidates.extend(["main".to_owned(), "master".to_owned()]);
        for c in &candidates {
            if self
                .gix
                .try_find_reference(format!("refs/heads/{c}").as_str())
                .ok()
                .flatten()
                .is_some()
            {
                return Ok(c.clone());
            }
        }
        let main = gix::open(&self.control_root)?;
        let head = main
            .head_name()?
            .context("the control checkout has a detached HEAD")?;
        Ok(head.shorten().to_string())
    }
}

impl Repo {
    /// For each `(item, commit)`, the blob `name` at the top of `commit`'s tree (what
    /// [`Repo::file_in_commit`] reads), handed to `f` with its item and commit: on a
    /// few threads, each with its own repository handle, in order. (At 100,000 records
    /// read one after the other, this was most of a cold run.)
    pub fn map_files_in_commits<T, U>(
        &self,
        items: Vec<(T, gix::ObjectId)>,
        name: &str,
        f: impl Fn(T, gix::ObjectId, Result<Option<Vec<u8>>>) -> U + Sync,
    ) -> crate::parallel::Chunks<U>
    where
        T: Send,
        U: Send,
    {
        let shared = self.gix.clone().into_sync();
        crate::parallel::map_in_chunks(
            items,
            || {
                let mut gix = shared.to_thread_local();
                // Each chunk is read in pack order: keep the objects just decoded.
                gix.objects
                    .set_pack_cache(|| Box::new(crate::git::delta_bases::DeltaBases::default()));
                gix
            },
            |gix, (item, commit)| f(item, commit, file_in_commit_of(gix, commit, name)),
        )
    }
}

/// The blob `name` at the top of the tree of `commit` in `gix` (`None`: the tree has
/// no such entry), its data taken rather than copied: [`Repo::file_in_commit`], and
/// each thread of [`Repo::map_files_in_commits`].
pub(super) fn file_in_commit_of(
    gix: &gix::Repository,
    commit: gix::ObjectId,
    name: &str,
) -> Result<Option<Vec<u8>>> {
    let tree = gix.find_commit(commit)?.tree()?;
    let Some(entry) = tree.find_entry(name) else {
        return Ok(None);
    };
    let oid = entry.oid().to_owned();
    Ok(Some(gix.find_blob(oid)?.take_data()))
}

/// A repository path that is not UTF-8 (see [`Repo::discover`]): refused, nothing
/// written.
#[derive(Debug, Clone)]
pub struct NotUtf8 {
    /// Which path: the checkout, the git dir, ...
    pub what: &'static str,
    pub path: PathBuf,
}

impl std::fmt::Display for NotUtf8 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} is not UTF-8 (shown escaped): git-wo refuses to work there, since git's worktree commands and git-wo's files would land at a lossily renamed path beside it; nothing was changed",
            self.what,
            crate::error::escaped(self.path.as_os_str())
        )
    }
}

impl std::error::Error for NotUtf8 {}

/// The main worktree of a non-bare repository: the parent of the common git dir.
fn main_worktree_of(common_dir: &Path) -> Result<PathBuf> {
    let is_dot_git = common_dir.file_name().is_some_and(|n| n == ".git");
    match common_dir.parent() {
        Some(parent) if is_dot_git => Ok(parent.to_path_buf()),
        _ => Err(WoError::usage(format!(
            "{} is a bare repository or has a separate git dir: no control checkout",
            common_dir.display()
        ))
        .into()),
    }
}

/// Canonicalize (paths are compared canonicalized). For a path that does not exist
/// (yet), canonicalize its longest existing ancestor and resolve the rest lexically.
pub fn canonical(p: &Path) -> PathBuf {
    use std::path::Component;
    if let Ok(c) = std::fs::canonicalize(p) {
        return c;
    }
    let comps: Vec<Component<'_>> = p.components().collect();
    for n in (1..comps.len()).rev() {
        let prefix: PathBuf = comps[..n].iter().collect();
        if let Ok(mut out) = std::fs::canonicalize(&prefix) {
            for c in &comps[n..] {
                match c {
                    Component::ParentDir => {
                        out.pop();
                    }
                    Component::CurDir => {}
                    other => out.push(other.as_os_str()),
                }
            }
            return out;
        }
    }
    p.to_path_buf()
}

/// [`canonical`] for many paths in few folders (the worktrees of a repository, the
/// worktree paths YAMLs name): each folder is canonicalized once, and a path in it costs
/// one `lstat` instead of a `readlink` per component. A final component that is a
/// symlink (or `.`, `..`) falls back to [`canonical`].
#[derive(Debug, Default)]
pub struct CanonicalPaths {
    folders: std::collections::HashMap<PathBuf, PathBuf>,
}

impl CanonicalPaths {
    pub fn of(&mut self, p: &Path) -> PathBuf {
        use std::path::Component;
        let (Some(parent), Some(Component::Normal(name))) =
            (p.parent(), p.components().next_back())
        else {
            return canonical(p);
        };
        if parent.as_os_str().is_empty() {
            return canonical(p);
        }
        let folder = self
            .folders
            .entry(parent.to_path_buf())
            .or_insert_with(|| canonical(parent));
        let joined = folder.join(name);
        match std::fs::symlink_metadata(&joined) {
            Ok(m) if m.file_type().is_symlink() => canonical(p),
            // Not a link (or not there): the folder's real path and the name.
            _ => joined,
        }
    }
}

/// git's configuration as [`Settings`]: the `-c key=value` of the `git` that started
/// us (`git -c user.name=bob wo …`) first, as git gives them precedence, then the files.
struct GitConfig<'r> {
    snapshot: gix::config::Snapshot<'r>,
    /// `GIT_CONFIG_PARAMETERS`, parsed: (key, value; `None` for a bare `-c key`).
    command_line: Vec<(String, Option<String>)>,
}

impl GitConfig<'_> {
    /// The last `-c` that set `key` (section and name compare case-insensitively).
    fn given(&self, key: &str) -> Option<&Option<String>> {
        self.command_line
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }
}

impl Settings for GitConfig<'_> {
    fn string(&self, key: &str) -> Option<String> {
        match self.given(key) {
            Some(v) => v.clone(),
            None => self.snapshot.string(key).map(|v| v.to_string()),
        }
    }
    fn boolean(&self, key: &str) -> Option<bool> {
        match self.given(key) {
            Some(None) => Some(true),
            Some(Some(v)) => match v.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => Some(true),
                "false" | "no" | "off" | "0" | "" => Some(false),
                _ => None,
            },
            None => self.snapshot.boolean(key),
        }
    }
}

/// The `-c` settings `git` passes to the commands it runs, in `GIT_CONFIG_PARAMETERS`
/// (gix reads `GIT_CONFIG_COUNT`, not this). Malformed text is ignored, as a whole.
fn command_line_config() -> Vec<(String, Option<String>)> {
    std::env::var("GIT_CONFIG_PARAMETERS")
        .ok()
        .and_then(|t| parse_config_parameters(&t))
        .unwrap_or_default()
}

/// `GIT_CONFIG_PARAMETERS` as git writes it: shell single-quoted words separated by
/// spaces, each either `'key=value'` (older git) or `'key'='value'` / `'key'` (git
/// 2.31 and later; a bare key is a boolean true).
fn parse_config_parameters(text: &str) -> Option<Vec<(String, Option<String>)>> {
    // One single-quoted word (`'it'\''s'` is `it's`) from the start of `s`.
    fn word(s: &str) -> Option<(String, &str)> {
        let mut out = String::new();
        let mut rest = s.strip_prefix('\'')?;
        loop {
            let end = rest.find('\'')?;
            out.push_str(&rest[..end]);
            rest = &rest[end + 1..];
            match rest.strip_prefix("\\'") {
                Some(r) => {
                    out.push('\'');
                    rest = r.strip_prefix('\'')?;
                }
                None => return Some((out, rest)),
            }
        }
    }
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let (first, after) = word(rest)?;
        rest = after;
        if let Some(after_eq) = rest.strip_prefix('=') {
            // 'key'='value', or 'key'= (an empty value).
            if after_eq.starts_with('\'') {
                let (value, after) = word(after_eq)?;
                out.push((first, Some(value)));
                rest = after;
            } else {
                out.push((first, Some(String::new())));
                rest = after_eq;
            }
        } else if let Some((k, v)) = first.split_once('=') {
            out.push((k.to_owned(), Some(v.to_owned())));
        } else {
            out.push((first, None));
        }
        let trimmed = rest.trim_start();
        if trimmed.len() == rest.len() && !rest.is_empty() {
            return None;
        }
        rest = trimmed;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_parameters_as_git_writes_them() {
        let p = |t: &str| parse_config_parameters(t);
        assert_eq!(
            p("'user.name'='bob' 'wo.commit'"),
            Some(vec![
                ("user.name".into(), Some("bob".into())),
                ("wo.commit".into(), None)
            ])
        );
        assert_eq!(
            p("'user.name=o'\\''brien'"),
            Some(vec![("user.name".into(), Some("o'brien".into()))])
        );
        assert_eq!(
            p(" 'a.b'= 'c.d'='x y'"),
            Some(vec![
                ("a.b".into(), Some(String::new())),
                ("c.d".into(), Some("x y".into()))
            ])
        );
        assert_eq!(p("'unclosed"), None);
        assert_eq!(p("bare"), None);
        assert_eq!(p(""), Some(vec![]));
    }

    #[test]
    fn canonical_paths_agree_with_canonical() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let base = tmp.path();
        let made = std::fs::create_dir_all(base.join("real/wt-a"))
            .and_then(|_| std::fs::create_dir_all(base.join("repo")))
            .and_then(|_| std::fs::create_dir_all(base.join("elsewhere/wt-b")));
        made.unwrap_or_else(|e| panic!("{e}"));
        #[cfg(unix)]
        {
            let links =
                std::os::unix::fs::symlink(base.join("elsewhere/wt-b"), base.join("real/wt-b"))
                    .and_then(|_| std::os::unix::fs::symlink(base.join("real"), base.join("via")));
            links.unwrap_or_else(|e| panic!("{e}"));
        }
        let mut paths = CanonicalPaths::default();
        for p in [
            "real/wt-a",
            "repo/../real/wt-a",
            "real/wt-b",
            "via/wt-a",
            "via/wt-b",
            "real/missing",
            "missing/deeper/x",
            "repo/..",
            "real/wt-a/.",
        ] {
            let p = base.join(p);
            assert_eq!(paths.of(&p), canonical(&p), "{}", p.display());
            // And again, from the folder cache.
            assert_eq!(paths.of(&p), canonical(&p), "{} (cached)", p.display());
        }
    }
}
