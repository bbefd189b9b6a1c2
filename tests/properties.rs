//! Property-based tests (proptest), deterministic: a fixed number of cases and no
//! failure persistence, so CI runs the same cases every time.
//!
//! - YAML edits change only the edited key's value bytes, for documents generated from
//!   a grammar of top-level keys, comments, quoting styles and nested blocks;
//! - the parse cache never serves what a file no longer says, under random edits, stat
//!   changes, coarse timestamps and inode reuse;
//! - file names of arbitrary bytes survive gc's quarantine and `reconcile --restore`;
//! - `git wo fmt`'s reorder is idempotent and moves every top-level block whole, for
//!   the same grammar of documents.

use crate::common;

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// A runner with `cases` cases, a fixed seed and no persistence.
fn runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]))
}

// ---------------------------------------------------------------------------------
// (a) YAML edits.

/// A scalar as the document writes it: (bytes in the document, the string it means).
fn doc_scalar() -> impl Strategy<Value = (String, String)> {
    let word = "[a-z][a-z0-9_./-]{0,8}";
    // Printable ASCII and more, or mostly the characters that quoting and comments
    // are made of.
    let text = prop_oneof!["[ -~éü]{0,12}", "[a \"#\\\\':]{0,8}"];
    prop_oneof![
        // plain
        word.prop_map(|w| (w.clone(), w)),
        // single-quoted, '' for a quote
        text.clone()
            .prop_map(|t| (format!("'{}'", t.replace('\'', "''")), t)),
        // double-quoted, JSON escapes
        text.prop_map(|t| (serde_json::to_string(&t).unwrap(), t)),
    ]
}

/// One top-level entry: its text (every line ending in `\n`), and whether it is a
/// single line that may carry a trailing comment.
#[derive(Debug, Clone)]
struct Entry {
    key: String,
    text: String,
    comment: String,
}

fn entry_body() -> impl Strategy<Value = (String, bool)> {
    // (the text after `key:`, up to and including its last newline; single line?)
    let item = "[a-z][a-z0-9 ]{0,6}[a-z0-9]";
    prop_oneof![
        doc_scalar().prop_map(|(s, _)| (format!(" {s}\n"), true)),
        Just((" [a, b]\n".to_owned(), true)),
        Just((" {x: 1}\n".to_owned(), true)),
        Just((" ''\n".to_owned(), true)),
        // nested map, maybe with an indented comment
        (
            prop::collection::vec((item, doc_scalar()), 1..4),
            any::<bool>()
        )
            .prop_map(|(kv, comment)| {
                let mut s = String::from("\n");
                for (i, (k, (v, _))) in kv.iter().enumerate() {
                    s.push_str(&format!("  k{i}{}: {v}\n", k.replace(' ', "")));
                }
                if comment {
                    s.push_str("  # nested note\n");
                }
                (s, false)
            }),
        // list, indented or at column 0
        (prop::collection::vec(item, 1..4), any::<bool>()).prop_map(|(items, indent)| {
            let mut s = String::from("\n");
            for it in items {
                s.push_str(&format!("{}- {it}\n", if indent { "  " } else { "" }));
            }
            (s, false)
        }),
        // block scalar
        (
            prop::collection::vec("[ -~]{0,10}", 1..4),
            prop_oneof![Just("|"), Just(">-")]
        )
            .prop_map(|(lines, style)| {
                let mut s = format!(" {style}\n");
                for l in lines {
                    s.push_str(&format!("  x{}\n", l.trim_end()));
                }
                (s, false)
            }),
    ]
}

const KEYS: [&str; 10] = [
    "id",
    "status",
    "owner",
    "title",
    "branch",
    "worktree",
    "k1",
    "x_y",
    "a-b",
    "started_at",
];

#[derive(Debug, Clone)]
struct Doc {
    /// Entries, blank lines and comment lines, in order.
    parts: Vec<Part>,
    crlf: bool,
    final_newline: bool,
}

#[derive(Debug, Clone)]
enum Part {
    Entry(Entry),
    Other(String),
}

fn doc() -> impl Strategy<Value = Doc> {
    doc_with(&KEYS)
}

/// Documents of a shuffled subset of `keys`.
fn doc_with(keys: &'static [&'static str]) -> impl Strategy<Value = Doc> {
    let keys = prop::sample::subsequence(keys.to_vec(), 1..keys.len()).prop_shuffle();
    (keys, any::<bool>(), any::<bool>())
        .prop_flat_map(|(keys, crlf, final_newline)| {
            let n = keys.len();
            let bodies = prop::collection::vec(
                (
                    entry_body(),
                    prop_oneof![3 => Just(""), 1 => Just(" # note"), 1 => Just("   #n: 'x'")],
                    prop_oneof![
                        4 => Just(String::new()),
                        1 => Just("\n".to_owned()),
                        1 => Just("# a comment: with colon\n".to_owned()),
                        1 => Just("\n# after a blank\n".to_owned()),
                    ],
                ),
                n,
            );
            (Just(keys), bodies, Just(crlf), Just(final_newline))
        })
        .prop_map(|(keys, bodies, crlf, final_newline)| {
            let mut parts = vec![Part::Other("# header\n".into())];
            for (key, ((body, single), comment, after)) in keys.into_iter().zip(bodies) {
                let comment = if single {
                    comment.to_owned()
                } else {
                    String::new()
                };
                let text = if single {
                    format!("{key}:{}{comment}\n", body.trim_end_matches('\n'))
                } else {
                    format!("{key}:{body}")
                };
                parts.push(Part::Entry(Entry {
                    key: key.to_owned(),
                    text,
                    comment,
                }));
                if !after.is_empty() {
                    parts.push(Part::Other(after));
                }
            }
            Doc {
                parts,
                crlf,
                final_newline,
            }
        })
}

impl Doc {
    fn eol(&self) -> &'static str {
        if self.crlf { "\r\n" } else { "\n" }
    }

    /// The text of each part with the document's line endings; the last part loses
    /// its final newline when the document has none.
    fn texts(&self) -> Vec<String> {
        let n = self.parts.len();
        self.parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let t = match p {
                    Part::Entry(e) => &e.text,
                    Part::Other(t) => t,
                };
                let mut t = t.replace('\n', self.eol());
                if i + 1 == n && !self.final_newline {
                    t.truncate(t.len() - self.eol().len());
                }
                t
            })
            .collect()
    }

    fn text(&self) -> String {
        self.texts().concat()
    }
}

/// A value to set: anything, including quotes, colons, `#`, YAML words and numbers.
fn new_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~éü\t]{0,16}",
        prop::sample::select(vec![
            "yes",
            "null",
            "1.5",
            "0x1f",
            "~",
            "- x",
            "a: b",
            "# c",
            "'",
            "\"",
            "",
            " ",
            "feat/wo-WO-1",
            "2026-01-01T00:00:00Z",
        ])
        .prop_map(str::to_owned),
    ]
}

fn top_level(text: &str) -> BTreeMap<String, serde_yaml::Value> {
    let v: serde_yaml::Value =
        serde_yaml::from_str(text).unwrap_or_else(|e| panic!("does not parse ({e}):\n{text}"));
    v.as_mapping()
        .unwrap_or_else(|| panic!("not a mapping:\n{text}"))
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_owned(), v.clone()))
        .collect()
}

#[test]
fn yaml_edits_change_only_the_edited_value() {
    use git_wo::model::yaml_edit::{edit_fields, render_scalar};
    let strategy = (doc(), prop::sample::select(KEYS.to_vec()), new_value());
    runner(512)
        .run(&strategy, |(doc, key, value)| {
            let text = doc.text();
            let before = top_level(&text);
            let out = edit_fields(&text, &[(key.to_owned(), value.clone())])
                .map_err(|why| TestCaseError::fail(format!("refused: {why}\n{text}")))?;
            // It parses, with the new value, and every other key as it was.
            let after = top_level(&out);
            prop_assert_eq!(
                after.get(key).and_then(|v| v.as_str()),
                Some(value.as_str())
            );
            for (k, v) in &before {
                if k != key {
                    prop_assert_eq!(
                        after.get(k),
                        Some(v),
                        "{} changed:\n{}\n=>\n{}",
                        k,
                        text,
                        out
                    );
                }
            }
            // Only the key's entry changed, byte for byte.
            let texts = doc.texts();
            let at = doc
                .parts
                .iter()
                .position(|p| matches!(p, Part::Entry(e) if e.key == key));
            let rendered = render_scalar(&value);
            match at {
                None => {
                    let new_line = format!("{key}: {rendered}{}", doc.eol());
                    let expected = match doc.parts.last() {
                        // A last entry of several lines and no final newline: the
                        // new key goes before it (see yaml_edit::set_raw).
                        Some(Part::Entry(e))
                            if !doc.final_newline && e.text.trim_end().contains('\n') =>
                        {
                            let n = texts.len() - 1;
                            format!("{}{new_line}{}", texts[..n].concat(), texts[n])
                        }
                        _ => {
                            let mut expected = text.clone();
                            if !expected.ends_with('\n') {
                                expected.push_str(doc.eol());
                            }
                            expected + &new_line
                        }
                    };
                    prop_assert_eq!(&out, &expected, "appended:\n{}", text);
                }
                Some(i) => {
                    let head = texts[..i].concat();
                    let tail = texts[i + 1..].concat();
                    prop_assert!(
                        out.starts_with(&head),
                        "before the key:\n{}\n=>\n{}",
                        text,
                        out
                    );
                    prop_assert!(
                        out.ends_with(&tail),
                        "after the key:\n{}\n=>\n{}",
                        text,
                        out
                    );
                    prop_assert!(out.len() >= head.len() + tail.len());
                    let middle = &out[head.len()..out.len() - tail.len()];
                    let Part::Entry(e) = &doc.parts[i] else {
                        unreachable!()
                    };
                    let line = format!("{key}: {rendered}{}", e.comment);
                    let with_eol = format!("{line}{}", doc.eol());
                    prop_assert!(
                        middle == line || middle == with_eol,
                        "the entry became {:?}, not {:?}:\n{}\n=>\n{}",
                        middle,
                        with_eol,
                        text,
                        out
                    );
                }
            }
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------
// (b) The parse cache never serves stale data.

mod cache_model {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, UNIX_EPOCH};

    use git_wo::inventory::parse_cache::{ParseCache, Stamp};
    use git_wo::model::folder_no::FolderNo;
    use git_wo::model::order::{Field, Fields, OrderFile};
    use git_wo::model::state::State;
    use git_wo::model::wo_id::WoId;
    use proptest::prelude::*;

    /// What happens to the files between runs.
    #[derive(Debug, Clone)]
    pub enum Op {
        /// Rewrite in place (same inode); `same_size`: the new content has the old size.
        Write {
            file: usize,
            same_size: bool,
        },
        /// Rewrite, then put the old mtime back (`touch -r`, `cp -p`).
        WriteKeepMtime {
            file: usize,
            same_size: bool,
        },
        /// Replace by rename (a new inode, or `reuse`: the inode just freed).
        Replace {
            file: usize,
            reuse: bool,
        },
        Delete {
            file: usize,
        },
        /// Only the mtime changes, set back `secs` (contents unchanged).
        Touch {
            file: usize,
            secs: u64,
        },
        /// Time passes.
        Wait {
            ns: u64,
        },
        /// A run: what the cache serves must be what each file says now.
        Run,
    }

    pub fn op() -> impl Strategy<Value = Op> {
        let file = 0..3usize;
        prop_oneof![
            3 => (file.clone(), any::<bool>()).prop_map(|(file, same_size)| Op::Write { file, same_size }),
            2 => (file.clone(), any::<bool>()).prop_map(|(file, same_size)| Op::WriteKeepMtime { file, same_size }),
            1 => (file.clone(), any::<bool>()).prop_map(|(file, reuse)| Op::Replace { file, reuse }),
            1 => file.clone().prop_map(|file| Op::Delete { file }),
            1 => (file, 0..4u64).prop_map(|(file, secs)| Op::Touch { file, secs }),
            3 => prop_oneof![0..10u64, 0..3_000_000_000u64, 1_000_000_000..6_000_000_000u64]
                .prop_map(|ns| Op::Wait { ns }),
            4 => Just(Op::Run),
        ]
    }

    #[derive(Debug, Clone)]
    struct File {
        title: String,
        stamp: Stamp,
    }

    /// How many runs were served from the cache, over every case (so the property is
    /// not true only because the cache is never used).
    pub static HITS: AtomicUsize = AtomicUsize::new(0);

    /// Play `ops` with file-system timestamps of `tick` ns granularity.
    pub fn play(ops: &[Op], tick: u64, titles: &[String]) -> Result<(), TestCaseError> {
        let dir = tempfile::tempdir().unwrap();
        let mut now: u64 = 1_700_000_000_000_000_000;
        let floor = |t: u64| (t - t % tick) as i64;
        let mut files: BTreeMap<usize, File> = BTreeMap::new();
        // (Inodes from 101 up: a stamp's inode is never 0.)
        let (mut next_ino, mut freed) = (
            std::num::NonZeroU64::new(100).unwrap_or(std::num::NonZeroU64::MIN),
            Vec::new(),
        );
        let mut version = 0usize;
        let title = |version: &mut usize| {
            *version += 1;
            format!("v{version} {}", titles[*version % titles.len()])
        };
        for op in ops {
            now += 1_000; // every step takes a little time
            match op.clone() {
                Op::Write { file, same_size } | Op::WriteKeepMtime { file, same_size } => {
                    let t = title(&mut version);
                    let keep = matches!(op, Op::WriteKeepMtime { .. });
                    let stamp = match files.get(&file) {
                        Some(f) => Stamp {
                            size: if same_size {
                                f.stamp.size
                            } else {
                                t.len() as u64
                            },
                            mtime_ns: if keep { f.stamp.mtime_ns } else { floor(now) },
                            ctime_ns: floor(now),
                            ino: f.stamp.ino,
                        },
                        None => {
                            let ino = freed.pop().unwrap_or_else(|| {
                                next_ino = next_ino.saturating_add(1);
                                next_ino
                            });
                            Stamp {
                                size: t.len() as u64,
                                mtime_ns: floor(now),
                                ctime_ns: floor(now),
                                ino,
                            }
                        }
                    };
                    files.insert(file, File { title: t, stamp });
                }
                Op::Replace { file, reuse } => {
                    let t = title(&mut version);
                    let old = files.get(&file).map(|f| f.stamp);
                    let ino = match (reuse, old) {
                        (true, Some(s)) => s.ino,
                        _ => {
                            next_ino = next_ino.saturating_add(1);
                            next_ino
                        }
                    };
                    let size = old.map_or(t.len() as u64, |s| s.size);
                    let stamp = Stamp {
                        size,
                        mtime_ns: floor(now),
                        ctime_ns: floor(now),
                        ino,
                    };
                    files.insert(file, File { title: t, stamp });
                }
                Op::Delete { file } => {
                    if let Some(f) = files.remove(&file) {
                        freed.push(f.stamp.ino);
                    }
                }
                Op::Touch { file, secs } => {
                    if let Some(f) = files.get_mut(&file) {
                        f.stamp.mtime_ns = floor(now) - (secs * 1_000_000_000) as i64;
                        f.stamp.ctime_ns = floor(now);
                    }
                }
                Op::Wait { ns } => now += ns,
                Op::Run => {
                    let at = UNIX_EPOCH + Duration::from_nanos(now);
                    let mut cache = ParseCache::load(dir.path());
                    let mut seen = Vec::new();
                    for (n, f) in &files {
                        let rel = format!("_ctx/jobs/pending/WO-{n}.yaml");
                        let name = format!("WO-{n}.yaml");
                        if let Some(p) = cache.take(&rel, &name, f.stamp, at) {
                            prop_assert_eq!(
                                p.fields.title(),
                                Some(f.title.as_str()),
                                "stale entry for {} served at {}",
                                rel,
                                now
                            );
                            HITS.fetch_add(1, Ordering::Relaxed);
                        }
                        let mut values = [None; Field::COUNT];
                        values[Field::Status as usize] = Some("pending");
                        values[Field::Title as usize] = Some(f.title.as_str());
                        let fields = Fields::new(values);
                        let id = WoId::parse(&format!("WO-{n}")).ok();
                        seen.push((
                            OrderFile::of_fields(
                                FolderNo::of("_ctx/jobs/pending"),
                                State::Pending,
                                false,
                                id,
                                None,
                                fields.with_tail(&name),
                            ),
                            f.stamp,
                        ));
                    }
                    cache.save(at, seen.iter().map(|(f, s)| (f, *s)));
                }
            }
        }
        Ok(())
    }
}

#[test]
fn the_parse_cache_never_serves_stale_data() {
    use std::sync::atomic::Ordering;
    assert!(
        git_wo::inventory::parse_cache::enabled(),
        "GIT_WO_NO_CACHE is set: nothing to test"
    );
    let strategy = (
        prop::collection::vec(cache_model::op(), 1..40),
        prop::sample::select(vec![1u64, 1_000, 1_000_000_000, 2_000_000_000]),
        prop::collection::vec("[ -~\t\n\\\\é]{0,12}", 1..4),
    );
    runner(256)
        .run(&strategy, |(ops, tick, titles)| {
            cache_model::play(&ops, tick, &titles)
        })
        .unwrap();
    assert!(
        cache_model::HITS.load(Ordering::Relaxed) > 0,
        "the cache served nothing: the property says nothing"
    );
}

// ---------------------------------------------------------------------------------
// (c) Names of arbitrary bytes survive gc's quarantine and `reconcile --restore`.

/// A file name: any bytes but NUL and `/`, never `.`, `..` or `.git`.
fn byte_name() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(1..=255u8, 1..12)
        .prop_map(|mut b| {
            b.retain(|c| *c != b'/');
            b
        })
        .prop_filter("a usable name", |b| {
            !b.is_empty() && b != b"." && b != b".." && !b.eq_ignore_ascii_case(b".git")
        })
}

#[test]
fn names_of_any_bytes_survive_quarantine_and_restore() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::path::PathBuf;
    let s = common::Scenario::build("zombie");
    let wt = s.worktree("WO-0080");
    let round = std::cell::Cell::new(0);
    // Files: an optional folder and a name, each of any bytes, and their content.
    let strategy = prop::collection::vec(
        (
            prop::option::of(byte_name()),
            byte_name(),
            prop::collection::vec(any::<u8>(), 0..64),
        ),
        1..5,
    );
    runner(24)
        .run(&strategy, |files| {
            let n = round.get();
            round.set(n + 1);
            if n > 0 {
                // A fresh zombie worktree for this case.
                s.git(&[
                    "worktree",
                    "add",
                    "-q",
                    wt.to_str().unwrap(),
                    "feat/wo-WO-0080",
                ]);
            }
            let mut expected: BTreeMap<PathBuf, Vec<u8>> = BTreeMap::new();
            for (i, (folder, name, content)) in files.iter().enumerate() {
                // `q<i>` first: names of different files never clash, nor meet the
                // checkout's own files.
                let mut rel = PathBuf::new();
                if let Some(f) = folder {
                    rel.push(OsStr::from_bytes(&[format!("q{i}").as_bytes(), f].concat()));
                }
                rel.push(OsStr::from_bytes(
                    &[format!("q{i}").as_bytes(), name].concat(),
                ));
                let path = wt.join(&rel);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, content).unwrap();
                expected.insert(rel, content.clone());
            }
            let (code, r) = s.json(&["gc", "--apply", "--force", "--min-age", "0"]);
            prop_assert_eq!(code, 0, "{}", r);
            prop_assert!(!wt.exists(), "removed: {}", r);
            let stamp = r["quarantine"].as_str().expect("a quarantine").to_owned();
            let (code, out, err) = s.run(&["reconcile", "--restore", &stamp]);
            prop_assert_eq!(code, 0, "{}{}", out, err);
            for (rel, content) in &expected {
                let back = std::fs::read(wt.join(rel));
                prop_assert!(
                    back.as_ref().is_ok_and(|b| b == content),
                    "{:?} came back as {:?}\n{}{}",
                    rel,
                    back,
                    out,
                    err
                );
            }
            // Out of the way for the next case.
            std::fs::rename(&wt, s.tmp.path().join(format!("restored-{n}"))).unwrap();
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------
// (d) fmt: the original formatter's key order, every block's bytes kept.

/// Keys of the formatter's order and others, for fmt's documents.
const FMT_KEYS: [&str; 14] = [
    "version",
    "id",
    "epic_id",
    "title",
    "status",
    "owner",
    "scope",
    "dod_id",
    "objective",
    "started_at",
    "x_y",
    "k1",
    "a-b",
    "zz_last",
];

/// The lines of `text`, each ending in a newline (one is added to a last line without).
fn lines_of(text: &str) -> Vec<String> {
    text.split_inclusive('\n')
        .map(|l| {
            let l = l.trim_end_matches(['\n', '\r']);
            format!("{l}\n")
        })
        .collect()
}

#[test]
fn fmt_is_idempotent_and_moves_every_block_whole() {
    use git_wo::model::key_order::{rank, reorder};
    runner(512)
        .run(&doc_with(&FMT_KEYS), |doc| {
            let text = doc.text();
            let before = top_level(&text);
            let keys: Vec<String> = doc
                .parts
                .iter()
                .filter_map(|p| match p {
                    Part::Entry(e) => Some(e.key.clone()),
                    Part::Other(_) => None,
                })
                .collect();
            let mut sorted = keys.clone();
            sorted.sort_by_key(|k| rank(k));
            let out = match reorder(&text) {
                Ok(None) => {
                    prop_assert_eq!(&keys, &sorted, "said in order:\n{}", text);
                    return Ok(());
                }
                Ok(Some(out)) => out,
                // Only a last block scalar that would gain a final newline is refused.
                Err(why) => {
                    prop_assert!(!doc.final_newline, "refused ({}):\n{}", why, text);
                    return Ok(());
                }
            };
            prop_assert_ne!(&keys, &sorted, "reordered a document in order:\n{}", text);
            // The same values, the keys in the formatter's order.
            prop_assert_eq!(
                top_level(&out),
                before,
                "values changed:\n{}\n=>\n{}",
                text,
                out
            );
            let v: serde_yaml::Value = serde_yaml::from_str(&out).unwrap();
            let out_keys: Vec<String> = v
                .as_mapping()
                .unwrap()
                .keys()
                .map(|k| k.as_str().unwrap().to_owned())
                .collect();
            prop_assert_eq!(&out_keys, &sorted);
            // Idempotent.
            prop_assert_eq!(reorder(&out), Ok(None), "second run:\n{}", out);
            // The same lines, only moved (a last line may have gained its newline).
            let mut a = lines_of(&text);
            let mut b = lines_of(&out);
            a.sort();
            b.sort();
            prop_assert_eq!(a, b, "lines changed:\n{}\n=>\n{}", text, out);
            prop_assert!(out.len() >= text.len() && out.len() <= text.len() + 2);
            // Every entry's bytes are in the output whole, with the comment lines that
            // were directly above its key still directly above it.
            let texts = doc.texts();
            for (i, p) in doc.parts.iter().enumerate() {
                let Part::Entry(e) = p else { continue };
                let mut whole = String::new();
                // Comment lines directly above: the end of the part before, when its
                // last line is a comment at column 0.
                if i > 0 {
                    let prev = &texts[i - 1];
                    let comments: Vec<&str> = prev
                        .split_inclusive('\n')
                        .rev()
                        .take_while(|l| l.starts_with('#'))
                        .collect();
                    for l in comments.iter().rev() {
                        whole.push_str(l);
                    }
                }
                let mine = texts[i].trim_end_matches(['\n', '\r']);
                whole.push_str(mine);
                prop_assert!(
                    out.contains(&whole),
                    "the block of {} was not moved whole:\n{:?}\nin\n{}\n=>\n{}",
                    e.key,
                    whole,
                    text,
                    out
                );
            }
            Ok(())
        })
        .unwrap();
}
