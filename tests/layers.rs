//! The layers import one way (ARCHITECTURE.md): `cli/` → `ops/` → `views/` →
//! `inventory/` → `model/`, `git/`. This test reads the sources and fails on an import
//! that points up, and on advice (a fix line) given from `git/`.

use std::fs;
use std::path::Path;

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
