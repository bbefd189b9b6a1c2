//! The layers import one way (ARCHITECTURE.md): `cli/` → `ops/` → `views/` →
//! `inventory/` → `model/`, `git/`. This test reads the sources and fails on an import
//! that points up, on advice (a fix line) given from `git/`, and on a cycle between
//! files anywhere in `src/` (two files, or more, that name each other round).

mod import_graph;

use std::fs;
use std::path::Path;

use import_graph::Graph;

/// Which layers each layer must not name.
const FORBIDDEN: [(&str, &[&str]); 5] = [
    ("ops", &["cli"]),
    ("views", &["cli", "ops"]),
    ("inventory", &["cli", "ops", "views"]),
    ("model", &["cli", "ops", "views", "inventory", "git"]),
    ("git", &["cli", "ops", "views", "inventory"]),
];

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            let text = fs::read_to_string(&p).unwrap_or_default();
            out.push((p.display().to_string(), text));
        }
    }
}

/// Code lines only: doc and line comments may link anywhere.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(n, l)| (n + 1, l))
}

#[test]
fn imports_point_down_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut bad = Vec::new();
    for (layer, forbidden) in FORBIDDEN {
        let mut files = Vec::new();
        sources(&src.join(layer), &mut files);
        assert!(!files.is_empty(), "src/{layer} has no sources");
        for (path, text) in &files {
            for (n, line) in code_lines(text) {
                for f in forbidden {
                    if line.contains(&format!("crate::{f}::"))
                        || line.contains(&format!("crate::{f};"))
                    {
                        bad.push(format!("{path}:{n}: {layer}/ names {f}/: {}", line.trim()));
                    }
                }
            }
        }
    }
    assert!(bad.is_empty(), "imports that point up:\n{}", bad.join("\n"));
}

#[test]
fn git_layer_knows_no_wo_and_gives_no_advice() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src.join("git"), &mut files);
    let mut bad = Vec::new();
    for (path, text) in &files {
        for (n, line) in code_lines(text) {
            let names_model =
                line.contains("crate::model::") && !line.contains("crate::model::config");
            if line.contains(".fix(") || line.contains("git wo ") || names_model {
                bad.push(format!("{path}:{n}: {}", line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "git/ gives advice or knows WOs:\n{}",
        bad.join("\n")
    );
}

#[test]
fn no_import_cycle_between_files() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = Graph::read(&src);
    assert!(
        graph.files.len() > 50 && graph.edges.len() > 100,
        "the import graph of src/ looks empty: {} files, {} imports",
        graph.files.len(),
        graph.edges.len()
    );
    let cycles: Vec<String> = graph.cycles().iter().map(|c| graph.describe(c)).collect();
    assert!(
        cycles.is_empty(),
        "files that import each other (move what both need into a file below them):\n{}",
        cycles.join("\n")
    );
}

/// The graph itself: `use` trees, `super::`, a parent naming its child, comments,
/// strings and test modules.
#[test]
fn import_graph_finds_a_cycle_and_only_real_imports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |rel: &str, text: &str| {
        let p = dir.path().join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(p, text).expect("write");
    };
    write("lib.rs", "pub mod a;\npub mod b;\npub mod c;\n");
    write(
        "a.rs",
        "use crate::b::{self as bee, inner::{X, Y}};\n// crate::c::f()\nfn f() { let s = \"crate::c::g\"; }\n",
    );
    write("b/mod.rs", "pub mod inner;\npub fn g() { inner::h(); }\n");
    write(
        "b/inner.rs",
        "pub fn h() { super::super::a::f(); }\n#[cfg(test)]\nmod tests {\n    use crate::c::T;\n}\n",
    );
    write("c.rs", "pub struct T;\n");
    let g = Graph::read(dir.path());
    let name = |i: usize| g.files[i].display().to_string();
    let mut edges: Vec<String> = g
        .edges
        .iter()
        .map(|e| format!("{} -> {}", name(e.from), name(e.to)))
        .collect();
    edges.sort();
    assert_eq!(
        edges,
        [
            "a.rs -> b/inner.rs",
            "a.rs -> b/mod.rs",
            "b/inner.rs -> a.rs",
            "b/mod.rs -> b/inner.rs"
        ]
    );
    let cycles = g.cycles();
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    let files: Vec<String> = cycles[0].iter().map(|&i| name(i)).collect();
    assert_eq!(files, ["a.rs", "b/inner.rs", "b/mod.rs"]);
    assert!(
        g.describe(&cycles[0])
            .contains("src/b/inner.rs:1 names src/a.rs")
    );
}
