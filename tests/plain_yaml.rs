//! The fast reader of plain WO YAML (`src/model/plain_yaml.rs`) against `serde_yaml`:
//! on every YAML text the suite uses (the files `fixtures/` holds and its scenarios
//! write, every string literal of the tests, alone and as the extra lines of a WO) and
//! on seeded generated variants, it either says "not sure" or gives exactly what
//! `serde_yaml` gives: the same values for the keys read, and the same id, problem and
//! fields for the WO. It must also read the common files itself, or it would save
//! nothing.

use std::path::{Path, PathBuf};

use git_wo::model::order::OrderFile;
use git_wo::model::plain_yaml;
use git_wo::model::state::State;
use serde_yaml::Value;

use crate::common::rng::Rng;
use crate::common::{Scenario, wo_yaml};

/// Compare both readers on `bytes`; whether the fast one read it.
fn same_as_serde(bytes: &[u8], what: &str) -> bool {
    let shown = || format!("{what}:\n{}", String::from_utf8_lossy(bytes).escape_debug());
    let rel = PathBuf::from("_ctx/jobs/pending/WO-0001.yaml");
    let slow = OrderFile::parse(rel.clone(), State::Pending, false, bytes);
    let fast = OrderFile::parse_for_views(rel, State::Pending, false, bytes);
    assert_eq!(
        (&fast.id, &fast.problem(), &fast.fields),
        (&slow.id, &slow.problem(), &slow.fields),
        "{}",
        shown()
    );
    let Some(read) = plain_yaml::read(bytes, &OrderFile::KEYS_READ) else {
        return false;
    };
    let full = match serde_yaml::from_slice::<Value>(bytes) {
        Ok(Value::Mapping(m)) => m,
        other => panic!("read, but serde_yaml gives {other:?}\n{}", shown()),
    };
    for key in OrderFile::KEYS_READ {
        let value = read.iter().find(|(k, _)| *k == key).map(|(_, v)| v);
        assert_eq!(value, full.get(key), "`{key}`\n{}", shown());
    }
    let kept = full
        .keys()
        .filter(|k| {
            k.as_str()
                .is_some_and(|k| OrderFile::KEYS_READ.contains(&k))
        })
        .count();
    assert_eq!(read.len(), kept, "{}", shown());
    true
}

fn yaml_files(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() && e.file_name() != ".git" {
            yaml_files(&path, out);
        } else if ft.is_file()
            && path.extension().is_some_and(|x| x == "yaml" || x == "yml")
            && let Ok(bytes) = std::fs::read(&path)
        {
            out.push((path, bytes));
        }
    }
}

/// The string literals (plain, byte and raw) of a Rust source, unescaped.
fn string_literals(src: &str) -> Vec<Vec<u8>> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'\'' => {
                // A char literal (`'"'`, `'\''`) or a lifetime.
                if b.get(i + 1) == Some(&b'\\') {
                    i += 3;
                    while i < b.len() && b[i] != b'\'' {
                        i += 1;
                    }
                    i += 1;
                } else if b.get(i + 2) == Some(&b'\'') {
                    i += 3;
                } else {
                    i += 1;
                }
            }
            b'r' if !b
                .get(i.wrapping_sub(1))
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                && matches!(b.get(i + 1), Some(b'"' | b'#')) =>
            {
                let hashes = b[i + 1..].iter().take_while(|c| **c == b'#').count();
                let start = i + 1 + hashes;
                if b.get(start) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                let body = &b[start + 1..];
                let end = body
                    .windows(close.len())
                    .position(|w| w == close.as_slice())
                    .unwrap_or(body.len());
                out.push(body[..end].to_vec());
                i = start + 1 + end + close.len();
            }
            b'"' => {
                let mut s = Vec::new();
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                        match b.get(i) {
                            Some(b'n') => s.push(b'\n'),
                            Some(b't') => s.push(b'\t'),
                            Some(b'r') => s.push(b'\r'),
                            Some(b'0') => s.push(0),
                            Some(b'x') => {
                                let hex = src.get(i + 1..i + 3).unwrap_or("00");
                                s.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                                i += 2;
                            }
                            Some(b'u') => {
                                let close = src[i..].find('}').map_or(i, |p| i + p);
                                let hex = src.get(i + 2..close).unwrap_or("");
                                let c = u32::from_str_radix(hex, 16)
                                    .ok()
                                    .and_then(char::from_u32)
                                    .unwrap_or('?');
                                s.extend_from_slice(c.to_string().as_bytes());
                                i = close;
                            }
                            Some(b'\n') => {
                                while b.get(i + 1).is_some_and(|c| c.is_ascii_whitespace()) {
                                    i += 1;
                                }
                            }
                            Some(c) => s.push(*c),
                            None => {}
                        }
                    } else {
                        s.push(b[i]);
                    }
                    i += 1;
                }
                out.push(s);
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// Every YAML text the suite uses: the files of `fixtures/` and of every scenario it
/// builds, and each string literal of `tests/` alone and as a WO's extra lines.
fn suite_texts() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    yaml_files(&root.join("fixtures"), &mut files);
    let list = std::process::Command::new("bash")
        .arg(root.join("fixtures/scenario.sh"))
        .arg("--list")
        .output()
        .expect("scenario.sh --list");
    let names = String::from_utf8_lossy(&list.stdout).to_string();
    let mut scenarios = Vec::new();
    for name in names.split_whitespace() {
        let s = match name {
            "bulk" => Scenario::build_with("bulk", &["300", "5"]),
            _ => Scenario::build(name),
        };
        yaml_files(&s.repo, &mut files);
        scenarios.push(s);
    }
    assert!(scenarios.len() >= 15, "scenarios: {names}");
    let mut texts: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|(p, b)| (p.display().to_string(), b))
        .collect();
    let mut sources = Vec::new();
    for dir in ["tests", "tests/common"] {
        for e in std::fs::read_dir(root.join(dir))
            .expect("tests dir")
            .flatten()
        {
            if e.path().extension().is_some_and(|x| x == "rs") {
                sources.push(e.path());
            }
        }
    }
    for path in sources {
        let src = std::fs::read_to_string(&path).expect("read test source");
        for (n, lit) in string_literals(&src).into_iter().enumerate() {
            if !lit.contains(&b':') {
                continue;
            }
            let what = format!("{} literal {n}", path.display());
            if let Ok(extra) = std::str::from_utf8(&lit) {
                let framed = wo_yaml("WO-0001", "pending", extra);
                texts.push((format!("{what} as extra lines"), framed.into_bytes()));
                let framed = format!("id: WO-0001\n{extra}");
                texts.push((format!("{what} after an id"), framed.into_bytes()));
            }
            texts.push((what, lit));
        }
    }
    texts
}

#[test]
fn plain_yaml_reads_the_suites_yaml_as_serde_yaml_does() {
    let texts = suite_texts();
    let mut read = 0;
    for (what, bytes) in &texts {
        read += usize::from(same_as_serde(bytes, what));
    }
    eprintln!(
        "plain_yaml: read {read} of {} texts of the suite",
        texts.len()
    );
    assert!(texts.len() > 1000, "{} texts", texts.len());
    assert!(read > 500, "read only {read} of {}", texts.len());
}

#[test]
fn plain_yaml_reads_every_wo_the_scenarios_write() {
    // The common shapes: every WO file of these scenarios is plain YAML.
    let mut n = 0;
    for (name, args) in [
        ("clean", &[][..]),
        ("baseline", &[]),
        ("bulk", &["300", "5"]),
    ] {
        let s = Scenario::build_with(name, args);
        let mut files = Vec::new();
        yaml_files(&s.repo.join("_ctx/jobs"), &mut files);
        for (path, bytes) in files {
            assert!(
                same_as_serde(&bytes, &path.display().to_string()),
                "not read: {}\n{}",
                path.display(),
                String::from_utf8_lossy(&bytes)
            );
            n += 1;
        }
    }
    assert!(n > 300, "{n} files");
}

/// Scalars, as written after `key: ` (plain, quoted, flow), that YAML reads as
/// strings, numbers, booleans, nulls or errors.
const SCALARS: &[&str] = &[
    "WO-0002",
    "WO-0001",
    "pending",
    "running",
    "P2",
    "E-07",
    "DOD-STD",
    "feat/wo-WO-0001",
    "../.worktrees/WO-0001",
    "2026-01-01T12:00:00+00:00",
    "2026-01-01",
    "2026-01-01 12:00:00",
    "12:30",
    "1",
    "0",
    "01",
    "007",
    "00",
    "-0",
    "+0",
    "-1",
    "+1",
    "1.5",
    ".5",
    "0.",
    "1.",
    "1e3",
    "1E5",
    "12e-3",
    "1e",
    "e1",
    "0x1F",
    "0x",
    "0xg",
    "-0x1",
    "+0x1",
    "0o17",
    "0b11",
    "1_000",
    "1__2",
    "1-2",
    "1+2",
    "1.2.3",
    "999999999999999999",
    "1234567890123456789",
    "18446744073709551615",
    "18446744073709551616",
    "123456789012345678901234567890",
    ".inf",
    "-.inf",
    "+.inf",
    ".Inf",
    ".nan",
    ".NaN",
    "inf",
    "-inf",
    "nan",
    "NaN",
    "infinity",
    "Infinity",
    "null",
    "Null",
    "NULL",
    "nULL",
    "~",
    "~x",
    "true",
    "True",
    "TRUE",
    "tRUE",
    "false",
    "False",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "a b",
    "a  b",
    "a#b",
    "a #b",
    "a: b",
    "a:b",
    "a:",
    "http://x/y",
    "a,b",
    "[x]",
    "a[b]",
    "a{b}",
    "{a}",
    "{}",
    "[]",
    "café",
    "日本語",
    "emoji 🎉",
    "nbsp\u{a0}here",
    "-",
    "-a",
    "- a",
    "?a",
    "? a",
    ":a",
    "@a",
    "`a`",
    "%a",
    "&a x",
    "*a",
    "!a",
    "!!str 1",
    "!!int 1",
    "|",
    ">",
    "|-",
    "a'b",
    "a\"b",
    "it's",
    "\\",
    "a\\b",
    "<<",
    "=",
    "..",
    "...",
    "---",
    "+",
    ".",
    "a ",
    "a\t",
];

/// Values the WOs of the scenarios hold.
const COMMON: &[&str] = &[
    "WO-0002",
    "pending",
    "running",
    "P2",
    "E-07",
    "DOD-STD",
    "feat/wo-WO-0001",
    "../.worktrees/WO-0001",
    "2026-01-01T12:00:00+00:00",
    "1",
    "felipe",
    "Fixture work order",
];

const KEYS: &[&str] = &[
    "id",
    "id",
    "status",
    "title",
    "branch",
    "worktree",
    "started_at",
    "finished_at",
    "dod_id",
    "scope",
    "scope",
    "priority",
    "epic_id",
    "dependencies",
    "dependencies",
    "owner",
    "created_at",
    "closed_at",
    "version",
    "execution",
    "verify",
    "result",
    "notes",
    "x-y",
    "_k",
    "Id",
    "null",
    "true",
    "1",
    "\"id\"",
    "'title'",
    "id ",
    "? id",
];

/// The keys of a WO and a few more, each once.
const DISTINCT: &[&str] = &[
    "id",
    "status",
    "title",
    "branch",
    "worktree",
    "started_at",
    "finished_at",
    "dod_id",
    "scope",
    "priority",
    "epic_id",
    "dependencies",
    "owner",
    "created_at",
    "closed_at",
    "version",
    "execution",
    "verify",
    "result",
    "notes",
];

/// A seeded generator of WO documents: in a tame one quirks are rare (most such
/// documents are plain YAML the reader reads), in a wild one they are common.
struct Gen {
    rng: Rng,
    wild: bool,
}

impl Gen {
    /// A quirk of weight `n`: one time in `n` (wild), one in `40 n` (tame).
    fn quirk(&mut self, n: u64) -> bool {
        self.rng.below(if self.wild { n } else { 40 * n }) == 0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.rng.below(items.len() as u64) as usize]
    }

    fn scalar(&mut self) -> &'static str {
        if self.wild || self.rng.below(60) == 0 {
            self.pick(SCALARS)
        } else {
            self.pick(COMMON)
        }
    }

    /// A scalar written one way or another: plain, quoted, escaped.
    fn styled(&mut self, s: &str) -> String {
        let quoted = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        match self.rng.below(10) {
            _ if self.quirk(8) => format!("\"{s}\""),
            _ if self.quirk(8) => {
                let esc =
                    self.pick(&["\\n", "\\t", "\\x41", "\\u00e9", "\\/", "\\ ", "\\0", "\\e"]);
                format!("\"{s}{esc}\"")
            }
            0..=5 => s.to_owned(),
            6 | 7 => quoted(s),
            _ => format!("'{}'", s.replace('\'', "''")),
        }
    }

    fn list(&mut self, indent: &str) -> String {
        let n = self.rng.below(4) as usize;
        let items: Vec<String> = (0..n)
            .map(|_| {
                let s = self.scalar();
                self.styled(s)
            })
            .collect();
        if self.quirk(6) {
            return format!(" [{}\n{indent}  ]", items.join(",\n  "));
        }
        if self.rng.below(2) == 0 {
            let sep = if self.quirk(3) {
                self.pick(&[",", " , ", ",  "])
            } else {
                ", "
            };
            let (open, close) = if self.quirk(3) {
                *self
                    .rng
                    .pick(&[("[ ", " ]"), ("[", ",]"), ("[", ""), ("[", "]]")])
            } else {
                ("[", "]")
            };
            format!(" {open}{}{close}", items.join(sep))
        } else {
            let pad = if self.quirk(4) {
                self.pick(&["", " ", "\t", "   "])
            } else {
                self.pick(&["  ", "    "])
            };
            items
                .iter()
                .map(|i| format!("\n{indent}{pad}- {i}"))
                .collect()
        }
    }

    /// One generated WO document.
    fn document(&mut self) -> Vec<u8> {
        let mut out = String::new();
        if self.quirk(20) {
            out.push_str(self.pick(&["---\n", "%YAML 1.2\n---\n", "\u{feff}", "# head\n", "\n"]));
        }
        // Distinct keys in a random order (the id first, mostly), some of them.
        let mut keys: Vec<&str> = DISTINCT.to_vec();
        for i in (1..keys.len()).rev() {
            keys.swap(i, self.rng.below(i as u64 + 1) as usize);
        }
        if self.rng.below(4) > 0
            && let Some(at) = keys.iter().position(|k| *k == "id")
        {
            keys.swap(0, at);
        }
        keys.truncate(3 + self.rng.below(DISTINCT.len() as u64 - 2) as usize);
        for key in keys {
            let key = if self.quirk(8) { self.pick(KEYS) } else { key };
            let colon = match () {
                _ if self.quirk(30) => ":",
                _ if self.quirk(30) => " :",
                _ if self.quirk(10) => ":   ",
                _ => ": ",
            };
            let comment = match () {
                _ if self.quirk(10) => " # a comment",
                _ if self.quirk(20) => "#no space",
                _ if self.quirk(20) => "   ",
                _ => "",
            };
            let indent = match () {
                _ if self.quirk(40) => " ",
                _ if self.quirk(40) => "\t",
                _ => "",
            };
            match key {
                "scope" | "execution" | "verify" if !self.quirk(4) => {
                    out.push_str(&format!("{indent}{key}:{comment}\n"));
                    let pad = if self.quirk(6) {
                        self.pick(&["    ", " ", "\t"])
                    } else {
                        "  "
                    };
                    let options: [&[&str]; 5] = [
                        &["allow", "deny"],
                        &["allow"],
                        &["deny", "allow"],
                        &["mode"],
                        &["commands"],
                    ];
                    let subs = if self.quirk(10) {
                        &["allow", "allow"]
                    } else {
                        options[self.rng.below(5) as usize]
                    };
                    for (j, sub) in subs.iter().enumerate() {
                        let p = if j == 1 && self.quirk(15) { " " } else { pad };
                        if self.rng.below(3) == 0 {
                            let s = self.scalar();
                            let v = self.styled(s);
                            out.push_str(&format!("{indent}{p}{sub}: {v}\n"));
                        } else {
                            let l = self.list(&format!("{indent}{p}"));
                            out.push_str(&format!("{indent}{p}{sub}:{l}\n"));
                        }
                    }
                }
                "dependencies" if !self.quirk(4) => {
                    let l = self.list(indent);
                    out.push_str(&format!("{indent}{key}:{l}\n"));
                }
                _ if self.quirk(10) => out.push_str(&format!("{indent}{key}:{comment}\n")),
                _ if self.quirk(10) => {
                    let block = self.pick(&[
                        " |\n  line one\n  line two",
                        " >-\n  folded\n  text",
                        " first\n  continued",
                        " \"open\n  close\"",
                        " &anchor x",
                        " *anchor",
                        " !!str 5",
                        " {a: b}",
                        "\n  - nested\n  -\n    - deeper",
                        "\n  -",
                        "\n  a: b\n   c: d",
                        "\n  a: b\n  c: [d]\n  e:\n    - f",
                    ]);
                    out.push_str(&format!("{indent}{key}:{block}\n"));
                }
                _ => {
                    let s = if key == "id" && !self.quirk(3) {
                        self.pick(&["WO-0001", "WO-0002", "WO-a.lock", "WO-../x", "WO-"])
                    } else {
                        self.scalar()
                    };
                    let v = self.styled(s);
                    out.push_str(&format!("{indent}{key}{colon}{v}{comment}\n"));
                }
            }
            if self.quirk(8) {
                out.push_str(self.pick(&["\n", "   \n", "# own line\n", "  # indented comment\n"]));
            }
        }
        if self.quirk(20) {
            out.push_str(self.pick(&[
                "...\n",
                "---\nid: WO-0003\n",
                "- item\n",
                "  trailing: x\n",
            ]));
        }
        let out = match () {
            _ if self.quirk(20) => out.replace('\n', "\r\n"),
            _ if self.quirk(20) => out.replace('\n', " \n"),
            _ if self.quirk(20) => out.trim_end_matches('\n').to_owned(),
            _ if self.quirk(40) => out.replace('e', "\u{85}"),
            _ if self.quirk(40) => out.replace('o', "\u{2028}"),
            _ => out,
        };
        let mut bytes = out.into_bytes();
        if self.quirk(40) {
            bytes.push(0xff);
        }
        if self.quirk(40) {
            bytes.insert(bytes.len() / 2, 0x07);
        }
        bytes
    }
}

#[test]
fn plain_yaml_reads_generated_yaml_as_serde_yaml_does() {
    let seed = std::env::var("PLAIN_YAML_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24);
    let mut generator = Gen {
        rng: Rng(seed),
        wild: false,
    };
    let (mut read, runs) = (0, 20_000);
    for i in 0..runs {
        generator.wild = i % 2 == 1;
        let bytes = generator.document();
        read += usize::from(same_as_serde(&bytes, &format!("seed {seed}, document {i}")));
    }
    eprintln!("plain_yaml: read {read} of {runs} generated documents");
    // A wild document is rarely plain YAML; a tame one often is.
    assert!(read > runs / 5, "read only {read} of {runs}");
}

#[test]
fn plain_yaml_reads_nesting_as_serde_yaml_does() {
    // Nested mappings and sequences, from shallow to deeper than the limit the
    // general reader refuses (`nesting::MAX_DEPTH`).
    let mut read = 0;
    for depth in 1..=80 {
        let mut doc = String::from("id: WO-0001\nscope:\n");
        for level in 1..depth {
            doc.push_str(&format!("{}k{level}:\n", "  ".repeat(level)));
        }
        let pad = "  ".repeat(depth);
        let mut listed = doc.clone();
        doc.push_str(&format!("{pad}allow: [x]\n"));
        listed.push_str(&format!("{pad}- x\n{pad}- [y]\n"));
        read += usize::from(same_as_serde(doc.as_bytes(), &format!("depth {depth}")));
        read += usize::from(same_as_serde(
            listed.as_bytes(),
            &format!("list at {depth}"),
        ));
    }
    assert!(read >= 8, "read {read}");
}
