//! Whole-output checks: a command's exit code, stdout and stderr compared in full with
//! a file under `tests/snapshots/`, after redacting what changes from run to run
//! (temp paths, times, ages, commit and session ids, pids, the host name, quarantine
//! stamps). An extra line, a changed count or a changed word fails the test.
//!
//! `GIT_WO_BLESS=1 cargo test --test suite outputs::` writes the files anew; review the diff
//! (`git diff tests/snapshots`) before committing it. A snapshot that does not exist
//! fails the test (under `CI=true` it is never written).

use std::path::{Path, PathBuf};

/// The redacted form of `text`, produced in `tmp` (the test's temp dir).
pub fn redact(text: &str, tmp: &Path) -> String {
    let mut t = text.replace('\r', "");
    // The temp dir, canonical or not (macOS /private, symlinked /tmp).
    let mut roots = vec![tmp.to_path_buf()];
    if let Ok(c) = tmp.canonicalize() {
        roots.push(c);
    }
    roots.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    for r in roots {
        t = t.replace(&*r.to_string_lossy(), "<TMP>");
    }
    if let Some(host) = hostname() {
        // Only where a host is named: a short host name could be part of any word.
        for (before, after) in [
            ("on ", " "),
            ("on ", "\n"),
            ("on ", ")"),
            ("on ", ";"),
            ("on ", ","),
            ("Hostname: ", "\n"),
            ("\"host\":\"", "\""),
            ("\"host\": \"", "\""),
        ] {
            t = t.replace(
                &format!("{before}{host}{after}"),
                &format!("{before}<HOST>{after}"),
            );
        }
    }
    let t = times(&t);
    let t = hex_ids(&t);
    let t = numbers_after(&t, &["PID: ", "\"pid\":", "pid ", "\"pid\": ", "-pid"]);
    ages(&t)
}

fn hostname() -> Option<String> {
    let out = std::process::Command::new("hostname").output().ok()?;
    let h = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (!h.is_empty()).then_some(h)
}

/// RFC 3339 times (`2026-12-03T18:33:36Z`, with fraction or offset) and quarantine
/// stamps (`20261203T183336Z-4242`).
fn times(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    while i < b.len() {
        // YYYY-MM-DDTHH:MM:SS
        if i + 19 <= b.len()
            && digits(&b[i..i + 4])
            && b[i + 4] == b'-'
            && digits(&b[i + 5..i + 7])
            && b[i + 7] == b'-'
            && digits(&b[i + 8..i + 10])
            && b[i + 10] == b'T'
            && digits(&b[i + 11..i + 13])
            && b[i + 13] == b':'
            && digits(&b[i + 14..i + 16])
            && b[i + 16] == b':'
            && digits(&b[i + 17..i + 19])
        {
            let mut j = i + 19;
            if j < b.len() && b[j] == b'.' {
                j += 1;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
            }
            if j < b.len() && b[j] == b'Z' {
                j += 1;
            } else if j + 6 <= b.len()
                && (b[j] == b'+' || b[j] == b'-')
                && digits(&b[j + 1..j + 3])
                && b[j + 3] == b':'
                && digits(&b[j + 4..j + 6])
            {
                j += 6;
            }
            out.push_str("<TIME>");
            i = j;
            continue;
        }
        // A date alone: YYYY-MM-DD.
        if i + 10 <= b.len()
            && digits(&b[i..i + 4])
            && b[i + 4] == b'-'
            && digits(&b[i + 5..i + 7])
            && b[i + 7] == b'-'
            && digits(&b[i + 8..i + 10])
            && (i + 10 == b.len() || !b[i + 10].is_ascii_digit())
            && (i == 0 || !b[i - 1].is_ascii_digit())
        {
            out.push_str("<DATE>");
            i += 10;
            continue;
        }
        // YYYYMMDDTHHMMSSZ-<pid>
        if i + 16 <= b.len()
            && digits(&b[i..i + 8])
            && b[i + 8] == b'T'
            && digits(&b[i + 9..i + 15])
            && b[i + 15] == b'Z'
        {
            let mut j = i + 16;
            if j < b.len() && b[j] == b'-' {
                j += 1;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
            }
            out.push_str("<STAMP>");
            i = j;
            continue;
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// Runs of lowercase hex bounded by non-word characters: 40 → `<SHA>`, 17 and more →
/// `<HEX>` (session ids), 12 (git-wo's abbreviation), or 7 to 16 with a digit and a
/// letter → `<sha>` (short ids).
fn hex_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        let starts = (i == 0 || !word(chars[i - 1])) && chars[i].is_ascii_hexdigit();
        if starts {
            let mut j = i;
            while j < chars.len() && matches!(chars[j], '0'..='9' | 'a'..='f') {
                j += 1;
            }
            let ends = j == chars.len() || !word(chars[j]);
            let run: String = chars[i..j].iter().collect();
            let has_digit = run.chars().any(|c| c.is_ascii_digit());
            let has_letter = run.chars().any(|c| c.is_ascii_alphabetic());
            let len = j - i;
            if ends && len == 40 {
                out.push_str("<SHA>");
                i = j;
                continue;
            }
            if ends && len >= 17 && has_digit {
                out.push_str("<HEX>");
                i = j;
                continue;
            }
            // git-wo abbreviates ids to 12 characters, which may be all digits or all
            // letters; other lengths only when they mix both.
            if ends && (len == 12 || (7..=16).contains(&len) && has_digit && has_letter) {
                out.push_str("<sha>");
                i = j;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// The number after each of `prefixes` → `<N>`.
fn numbers_after(text: &str, prefixes: &[&str]) -> String {
    let mut t = text.to_owned();
    for p in prefixes {
        let mut out = String::with_capacity(t.len());
        let mut rest = t.as_str();
        while let Some(at) = rest.find(p) {
            out.push_str(&rest[..at + p.len()]);
            rest = &rest[at + p.len()..];
            let n = rest.chars().take_while(char::is_ascii_digit).count();
            if n > 0 {
                out.push_str("<N>");
                rest = &rest[n..];
            }
        }
        out.push_str(rest);
        t = out;
    }
    t
}

/// `5s ago`, `3m ago`, `2h ago`, `touched 12s ago` → `<AGE> ago`.
fn ages(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(" ago") {
        let before = &rest[..at];
        let unit_at = before.len().saturating_sub(1);
        let unit = before[unit_at..].chars().next();
        let digits = before[..unit_at]
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .count();
        if matches!(unit, Some('s' | 'm' | 'h' | 'd')) && digits > 0 {
            out.push_str(&before[..unit_at - digits]);
            out.push_str("<AGE>");
        } else {
            out.push_str(before);
        }
        out.push_str(" ago");
        rest = &rest[at + 4..];
    }
    out.push_str(rest);
    out
}

/// Compare `actual` with `tests/snapshots/<name>.txt` (or write it, with GIT_WO_BLESS=1).
pub fn check(name: &str, actual: &str) {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if std::env::var("GIT_WO_BLESS").is_ok_and(|v| v == "1") && !ci {
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d).expect("mkdir snapshots");
        }
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {} (GIT_WO_BLESS=1 cargo test --test suite outputs:: writes it; review it)\nactual:\n{actual}",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name}: the output differs from {} (first at line {}; GIT_WO_BLESS=1 rewrites it)\n--- expected\n{expected}\n+++ actual\n{actual}",
            path.display(),
            first + 1
        );
    }
}
