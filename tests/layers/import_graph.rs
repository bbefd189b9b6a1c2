//! The import graph of `src/`: which file names which other file, by a `use` tree
//! (`use crate::a::{b, c::D}`) or by a path in code (`crate::a::f()`, `super::x::Y`, a
//! child module's `x::f()` in its parent), so that `tests/layers.rs` can find cycles
//! between files. A path resolves to the file of its longest prefix that is a module;
//! comments, string literals and `#[cfg(test)]` items do not count. `main.rs` is the
//! binary's crate root and names the library as `git_wo::`, so it is left out.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// One file naming another: the first place it does.
#[derive(Debug, Clone)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub line: usize,
    pub path: String,
}

/// The files of a crate (relative to its `src/`) and the imports between them.
#[derive(Debug, Default)]
pub struct Graph {
    pub files: Vec<PathBuf>,
    pub edges: Vec<Edge>,
}

impl Graph {
    /// Read every `.rs` file under `src` (its crate root `lib.rs`).
    pub fn read(src: &Path) -> Graph {
        let mut rels = Vec::new();
        list(src, src, &mut rels);
        rels.sort();
        rels.retain(|r| r != Path::new("main.rs"));
        let modules: BTreeMap<Vec<String>, usize> = rels
            .iter()
            .enumerate()
            .map(|(i, r)| (module_of(r), i))
            .collect();
        let mut graph = Graph {
            files: rels.clone(),
            edges: Vec::new(),
        };
        for (from, rel) in rels.iter().enumerate() {
            let text = fs::read_to_string(src.join(rel)).unwrap_or_default();
            let module = module_of(rel);
            let mut seen = BTreeMap::new();
            for (line, path) in paths(&code_of(&text)) {
                let Some(abs) = absolute(&module, &path, &modules) else {
                    continue;
                };
                let Some(to) = resolve(&abs, &modules) else {
                    continue;
                };
                if to != from {
                    seen.entry(to).or_insert((line, path.join("::")));
                }
            }
            for (to, (line, path)) in seen {
                graph.edges.push(Edge {
                    from,
                    to,
                    line,
                    path,
                });
            }
        }
        graph
    }

    /// The strongly connected components of more than one file (Tarjan), each sorted.
    pub fn cycles(&self) -> Vec<Vec<usize>> {
        let n = self.files.len();
        let mut next: Vec<Vec<usize>> = vec![Vec::new(); n];
        for e in &self.edges {
            next[e.from].push(e.to);
        }
        let mut t = Tarjan {
            next: &next,
            index: vec![None; n],
            low: vec![0; n],
            on_stack: vec![false; n],
            stack: Vec::new(),
            counter: 0,
            out: Vec::new(),
        };
        for v in 0..n {
            if t.index[v].is_none() {
                t.visit(v);
            }
        }
        let mut out: Vec<Vec<usize>> = t.out.into_iter().filter(|c| c.len() > 1).collect();
        for c in &mut out {
            c.sort();
        }
        out.sort();
        out
    }

    /// A cycle's files and the imports that tie them, one per line.
    pub fn describe(&self, cycle: &[usize]) -> String {
        let name = |i: usize| format!("src/{}", self.files[i].display());
        let files: Vec<String> = cycle.iter().map(|&i| name(i)).collect();
        let mut text = format!("cycle: {}", files.join(" ↔ "));
        for e in &self.edges {
            if cycle.contains(&e.from) && cycle.contains(&e.to) {
                text.push_str(&format!(
                    "\n  {}:{} names {} ({})",
                    name(e.from),
                    e.line,
                    name(e.to),
                    e.path
                ));
            }
        }
        text
    }
}

struct Tarjan<'a> {
    next: &'a [Vec<usize>],
    index: Vec<Option<usize>>,
    low: Vec<usize>,
    on_stack: Vec<bool>,
    stack: Vec<usize>,
    counter: usize,
    out: Vec<Vec<usize>>,
}

impl Tarjan<'_> {
    fn visit(&mut self, v: usize) {
        self.index[v] = Some(self.counter);
        self.low[v] = self.counter;
        self.counter += 1;
        self.stack.push(v);
        self.on_stack[v] = true;
        for &w in &self.next[v] {
            match self.index[w] {
                None => {
                    self.visit(w);
                    self.low[v] = self.low[v].min(self.low[w]);
                }
                Some(i) if self.on_stack[w] => self.low[v] = self.low[v].min(i),
                Some(_) => {}
            }
        }
        if Some(self.low[v]) == self.index[v] {
            let mut component = Vec::new();
            while let Some(w) = self.stack.pop() {
                self.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            self.out.push(component);
        }
    }
}

fn list(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            list(root, &p, out);
        } else if p.extension().is_some_and(|x| x == "rs")
            && let Ok(rel) = p.strip_prefix(root)
        {
            out.push(rel.to_path_buf());
        }
    }
}

/// `ops/journal/mod.rs` and `ops/journal.rs` are `["ops", "journal"]`; `lib.rs` is `[]`.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// `path` (as written in `module`) from the crate root; `None` for another crate's.
fn absolute(
    module: &[String],
    path: &[String],
    modules: &BTreeMap<Vec<String>, usize>,
) -> Option<Vec<String>> {
    let mut base: Vec<String> = module.to_vec();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("self") => rest = &rest[1..],
        Some("super") => {
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        // A child module of this one, named from its parent (`records::read`).
        Some(first) => {
            let mut child = module.to_vec();
            child.push(first.to_owned());
            if !modules.contains_key(&child) {
                return None;
            }
        }
        None => return None,
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The file of the longest prefix of `abs` that is a module.
fn resolve(abs: &[String], modules: &BTreeMap<Vec<String>, usize>) -> Option<usize> {
    (0..=abs.len())
        .rev()
        .find_map(|n| modules.get(&abs[..n]).copied())
}

/// The code of a file: comments and the insides of string and char literals blanked
/// (lines kept), `#[cfg(test)]` items removed.
pub fn code_of(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    while i < c.len() {
        match c[i] {
            '/' if c.get(i + 1) == Some(&'/') => {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            }
            '/' if c.get(i + 1) == Some(&'*') => {
                let mut depth = 0;
                while i < c.len() {
                    if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                        depth += 1;
                        i += 2;
                    } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        blank(&mut out, c[i]);
                        i += 1;
                    }
                }
            }
            'r' if !ident_before(&c, i) && raw_string_at(&c, i + 1).is_some() => {
                let hashes = raw_string_at(&c, i + 1).unwrap_or(0);
                out.push('"');
                i += 2 + hashes;
                let end: String = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                let end: Vec<char> = end.chars().collect();
                while i < c.len() && !c[i..].starts_with(&end) {
                    blank(&mut out, c[i]);
                    i += 1;
                }
                out.push('"');
                i += end.len();
            }
            '"' => {
                out.push('"');
                i += 1;
                while i < c.len() && c[i] != '"' {
                    if c[i] == '\\' {
                        blank(&mut out, c[i]);
                        i += 1;
                    }
                    if i < c.len() {
                        blank(&mut out, c[i]);
                        i += 1;
                    }
                }
                out.push('"');
                i += 1;
            }
            // A char literal ('x', '\n', '\u{1F600}'); a lifetime ('a) is left as it is.
            '\'' if c.get(i + 1) == Some(&'\\') || c.get(i + 2) == Some(&'\'') => {
                out.push_str("' '");
                i += 1;
                while i < c.len() && c[i] != '\'' {
                    if c[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            ch => {
                out.push(ch);
                i += 1;
            }
        }
    }
    without_test_items(&out)
}

fn ident_before(c: &[char], i: usize) -> bool {
    i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_')
}

/// After an `r` (or `br`): `"` or `#…#"` starts a raw string; how many `#`.
fn raw_string_at(c: &[char], i: usize) -> Option<usize> {
    let hashes = c[i.min(c.len())..]
        .iter()
        .take_while(|&&h| h == '#')
        .count();
    (c.get(i + hashes) == Some(&'"')).then_some(hashes)
}

/// `code` with every item after a `#[cfg(test)]` blanked: up to its `;`, or through
/// its braces.
fn without_test_items(code: &str) -> String {
    let mut out: Vec<char> = code.chars().collect();
    let marker: Vec<char> = "#[cfg(test)]".chars().collect();
    let mut i = 0;
    while i + marker.len() <= out.len() {
        if out[i..i + marker.len()] != marker[..] {
            i += 1;
            continue;
        }
        let mut j = i;
        let mut depth = 0usize;
        while j < out.len() {
            let ch = out[j];
            if ch != '\n' {
                out[j] = ' ';
            }
            j += 1;
            match ch {
                '{' => depth += 1,
                '}' if depth == 1 => break,
                '}' => depth = depth.saturating_sub(1),
                ';' if depth == 0 => break,
                _ => {}
            }
        }
        i = j;
    }
    out.into_iter().collect()
}

/// Every path of two or more segments in `code`, with its line; `use` trees expanded
/// into one path per leaf.
pub fn paths(code: &str) -> Vec<(usize, Vec<String>)> {
    let c: Vec<char> = code.chars().collect();
    let line_at = |i: usize| c[..i].iter().filter(|&&ch| ch == '\n').count() + 1;
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let starts = (c[i].is_alphabetic() || c[i] == '_')
            && !ident_before(&c, i)
            && !(i >= 2 && c[i - 1] == ':' && c[i - 2] == ':')
            && !(i >= 1 && c[i - 1] == '$');
        if !starts {
            i += 1;
            continue;
        }
        let start = i;
        while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
            i += 1;
        }
        let word: String = c[start..i].iter().collect();
        if word == "use" {
            let end = c[i..]
                .iter()
                .position(|&ch| ch == ';')
                .map_or(c.len(), |p| i + p);
            let text: String = c[i..end].iter().collect();
            for leaf in expand(&use_tree(&text)) {
                out.push((line_at(start), leaf));
            }
            i = end;
            continue;
        }
        let mut segments = vec![word];
        while c.get(i) == Some(&':') && c.get(i + 1) == Some(&':') {
            let s = i + 2;
            let mut e = s;
            while e < c.len() && (c[e].is_alphanumeric() || c[e] == '_') {
                e += 1;
            }
            if e == s {
                break;
            }
            segments.push(c[s..e].iter().collect());
            i = e;
        }
        if segments.len() > 1 {
            out.push((line_at(start), segments));
        }
    }
    out
}

/// A `use` tree without whitespace and renames (`crate::a::{self,b::{C,D}}`) as one
/// path per leaf (`crate::a`, `crate::a::b::C`, `crate::a::b::D`).
fn expand(tree: &str) -> Vec<Vec<String>> {
    let tree = tree.trim_start_matches("::");
    let Some(open) = tree.find('{') else {
        let parts: Vec<String> = tree
            .split("::")
            .filter(|s| !s.is_empty() && *s != "self" && *s != "*")
            .map(str::to_owned)
            .collect();
        return if parts.is_empty() {
            Vec::new()
        } else {
            vec![parts]
        };
    };
    let prefix = tree[..open].trim_end_matches("::");
    let inner = tree[open + 1..]
        .strip_suffix('}')
        .unwrap_or(&tree[open + 1..]);
    let mut out = Vec::new();
    for item in split_top(inner) {
        let joined = if prefix.is_empty() {
            item.to_owned()
        } else {
            format!("{prefix}::{item}")
        };
        out.extend(expand(&joined));
    }
    out
}

/// The text of a `use` tree without its renames (`x as y`) and whitespace.
fn use_tree(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut kept = String::new();
    let mut i = 0;
    while i < words.len() {
        if words[i] == "as" {
            // Drop `as` and the name, keep what punctuation follows it (`y,` `y}`).
            let rest = words.get(i + 1).copied().unwrap_or("");
            let cut = rest
                .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            kept.push_str(&rest[cut..]);
            i += 2;
            continue;
        }
        kept.push_str(words[i]);
        i += 1;
    }
    kept
}

/// The items of a `{…}` list, split at its top-level commas.
fn split_top(inner: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&inner[start..]);
    out.into_iter().filter(|s| !s.is_empty()).collect()
}
