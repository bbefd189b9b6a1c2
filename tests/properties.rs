//! Property-based tests (proptest), deterministic: a fixed number of cases and no
//! failure persistence, so CI runs the same cases every time.
//!
//! - YAML edits change only the edited key's value bytes, for documents generated from
//!   a grammar of top-level keys, comments, quoting styles and nested blocks;
//! - the parse cache never serves what a file no longer says, under random edits, stat
//!   changes, coarse timestamps and inode reuse;
//! - file names of arbitrary bytes survive gc's quarantine and `reconcile --restore`.

mod common;

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
    let keys = prop::sample::subsequence(KEYS.to_vec(), 1..KEYS.len()).prop_shuffle();
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
