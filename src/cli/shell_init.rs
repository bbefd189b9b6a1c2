//! `git wo shell-init bash|zsh|fish`: a shell function named `git` that runs the real
//! git and, for `git wo take`, `git wo path` and `git wo finish`, changes the shell's
//! directory afterwards: into the WO's worktree, or back to the main checkout once
//! finish removed the worktree the shell stood in. A process cannot change its
//! parent's directory, so git-wo writes the directory to the file named by
//! `GIT_WO_CD_FILE`, which the function sets, reads and removes ([`cd_to`]).

use std::path::Path;

use anyhow::Result;

use crate::cli::{ShellArg, ShellInitArgs};
use crate::error::Exit;

/// The variable naming the file git-wo writes the directory to change to into.
pub const CD_FILE_ENV: &str = "GIT_WO_CD_FILE";

pub fn run(args: &ShellInitArgs) -> Result<Exit> {
    let text = match args.shell {
        ShellArg::Bash | ShellArg::Zsh => POSIX,
        ShellArg::Fish => FISH,
    };
    print!("{text}");
    Ok(Exit::Ok)
}

/// Tell the shell function (when one runs this command) to change to `dir`. Without
/// `GIT_WO_CD_FILE`, nothing.
pub fn cd_to(dir: &Path) {
    let Some(file) = std::env::var_os(CD_FILE_ENV).filter(|f| !f.is_empty()) else {
        return;
    };
    let mut text = dir.as_os_str().to_owned();
    text.push("\n");
    use std::os::unix::ffi::OsStrExt;
    if let Err(e) = std::fs::write(&file, text.as_bytes()) {
        eprintln!(
            "warning: could not tell the shell to change directory ({CD_FILE_ENV}={}): {e}",
            Path::new(&file).display()
        );
    }
}

const POSIX: &str = r#"# git wo shell integration (bash, zsh): git wo take / path change into the WO's
# worktree, git wo finish back to the main checkout. In ~/.bashrc or ~/.zshrc:
#   eval "$(git wo shell-init bash)"
git() {
    if [ "$1" != wo ]; then
        command git "$@"
        return
    fi
    local __git_wo_cd __git_wo_status __git_wo_dir
    __git_wo_cd="$(mktemp "${TMPDIR:-/tmp}/git-wo-cd.XXXXXX")" || { command git "$@"; return; }
    GIT_WO_CD_FILE="$__git_wo_cd" command git "$@"
    __git_wo_status=$?
    if [ -s "$__git_wo_cd" ]; then
        __git_wo_dir="$(cat "$__git_wo_cd")"
        [ -d "$__git_wo_dir" ] && cd "$__git_wo_dir"
    fi
    rm -f "$__git_wo_cd"
    return $__git_wo_status
}
"#;

const FISH: &str = r#"# git wo shell integration (fish): git wo take / path change into the WO's
# worktree, git wo finish back to the main checkout. In ~/.config/fish/config.fish:
#   git wo shell-init fish | source
function git --wraps git
    if test (count $argv) -eq 0; or test "$argv[1]" != wo
        command git $argv
        return $status
    end
    set -l cd_file (mktemp (set -q TMPDIR; and echo $TMPDIR; or echo /tmp)/git-wo-cd.XXXXXX)
    or begin
        command git $argv
        return $status
    end
    env GIT_WO_CD_FILE=$cd_file git $argv
    set -l st $status
    if test -s $cd_file
        set -l dir (cat $cd_file)
        test -d "$dir"; and cd $dir
    end
    rm -f $cd_file
    return $st
end
"#;
