//! The names of git-wo's temp files: they carry the writer's pid and host, so that a
//! file a killed command left is told from one a live command is writing by whether
//! its writer lives, not only by its age.
//!
//! - In a state folder: `.git-wo-<pid>@<host>-<random>.tmp` (older versions wrote
//!   `.git-wo-<random>.tmp`);
//! - in `<git-common-dir>/wo/`: `.tmp-git-wo-<pid>@<host>-<random>` (older versions,
//!   and the tempfile crate's default, wrote `.tmp<random>`).

/// The prefix of a temp file in a state folder (the random part and `.tmp` follow).
pub fn jobs_prefix(pid: u32, host: &str) -> String {
    format!(".git-wo-{pid}@{}-", clean_host(host))
}

/// The prefix of a temp file in `<git-common-dir>/wo/` (the random part follows).
pub fn wo_dir_prefix(pid: u32, host: &str) -> String {
    format!(".tmp-git-wo-{pid}@{}-", clean_host(host))
}

/// Whether `name` is a git-wo temp file of a state folder.
pub fn is_jobs_temp(name: &str) -> bool {
    name.starts_with(".git-wo-") && name.ends_with(".tmp")
}

/// Whether `name` is a temp file of `<git-common-dir>/wo/` (git-wo's caches).
pub fn is_wo_dir_temp(name: &str) -> bool {
    name.starts_with(".tmp")
}

/// The writer a temp file's name carries: (pid, host).
pub fn writer(name: &str) -> Option<(u32, String)> {
    let rest = name
        .strip_prefix(".git-wo-")
        .or_else(|| name.strip_prefix(".tmp-git-wo-"))?;
    let rest = rest.strip_suffix(".tmp").unwrap_or(rest);
    let (pid, rest) = rest.split_once('@')?;
    let (host, random) = rest.rsplit_once('-')?;
    let pid: u32 = pid.parse().ok()?;
    if host.is_empty() || random.is_empty() {
        return None;
    }
    Some((pid, host.to_owned()))
}

/// Whether the host a temp file's name carries is `host` (as names write it).
pub fn is_host(named: &str, host: &str) -> bool {
    named == clean_host(host)
}

/// A host name as it goes into a file name: letters, digits, `.` and `_` kept, anything
/// else `_` (a `-` too: the name's last `-` ends the host).
fn clean_host(host: &str) -> String {
    host.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_is_read_back_from_the_name() {
        let name = format!("{}Xa81Qz.tmp", jobs_prefix(4242, "box.local"));
        assert_eq!(writer(&name), Some((4242, "box.local".into())));
        let name = format!("{}Q1w2E3", wo_dir_prefix(7, "my-host"));
        assert_eq!(writer(&name), Some((7, "my_host".into())));
        assert!(is_host("my_host", "my-host"));
        assert_eq!(writer(".git-wo-Xa81Qz.tmp"), None);
        assert_eq!(writer(".tmpQ1w2E3"), None);
        assert!(is_jobs_temp(".git-wo-Xa81Qz.tmp"));
        assert!(is_wo_dir_temp(".tmpQ1w2E3"));
    }
}
