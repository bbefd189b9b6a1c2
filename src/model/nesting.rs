//! How deeply a YAML document nests, estimated in one linear pass over its bytes,
//! before a YAML parser sees it: a document of `[[[[…]]]]` or `- - - - …` 100,000 levels
//! deep is refused at once instead of being parsed (SPEC §11: deep nesting is refused
//! above a documented depth, in linear time).
//!
//! The estimate errs one way only: it may count fewer levels than there are (then
//! the parser, which has its own limit, decides), never more than a real WO has, so
//! a valid WO is never refused. It counts
//!
//! - flow collections: each `[` or `{` outside quotes and comments opens a level;
//! - block collections: each indentation column a line opens (popped when a line is
//!   indented no deeper), plus each `- ` or `? ` indicator (`- - x` is two levels),
//!   plus the mapping a `key:` starts;
//!
//! and skips what is text: quoted scalars (`"…"` with `\` escapes, `'…'` with `''`),
//! a quote only where a scalar starts (`don't` is text), comments (`#` at a line start
//! or after a blank), and block scalars (`|`, `>`: every line indented deeper than
//! their node).

/// Documents nested deeper than this are refused (`invalid_yaml`). A WO nests three
/// or four levels (`scope: {allow: [...]}`).
pub const MAX_DEPTH: usize = 64;

/// Whether `bytes` nests deeper than `max` levels.
pub fn deeper_than(bytes: &[u8], max: usize) -> bool {
    let mut s = Scan {
        max,
        stack: Vec::new(),
        flow: 0,
        quote: None,
        block_scalar: None,
    };
    for line in bytes.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if s.line(line) {
            return true;
        }
    }
    false
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    Single,
    Double,
}

struct Scan {
    max: usize,
    /// The columns of the open block collections.
    stack: Vec<usize>,
    /// Open flow collections.
    flow: usize,
    /// A quoted scalar that goes on past the end of a line.
    quote: Option<Quote>,
    /// In a block scalar whose node is at this column (`None` at the top): lines
    /// indented deeper are its text.
    block_scalar: Option<Option<usize>>,
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

impl Scan {
    fn too_deep(&self) -> bool {
        self.stack.len() + self.flow > self.max
    }

    /// One line; `true` as soon as the document is too deep.
    fn line(&mut self, line: &[u8]) -> bool {
        let indent = line.iter().take_while(|b| **b == b' ').count();
        if let Some(node) = self.block_scalar {
            let text =
                line[indent..].iter().all(|b| is_blank(*b)) || node.is_none_or(|col| indent > col);
            if text {
                return false;
            }
            self.block_scalar = None;
        }
        if self.quote.is_some() || self.flow > 0 {
            // A quoted scalar or a flow collection that began on an earlier line.
            return self.inline(line, 0, true);
        }
        let rest = &line[indent..];
        if rest.is_empty() || rest[0] == b'#' || rest.iter().all(|b| is_blank(*b)) {
            return false;
        }
        if indent == 0 && rest.starts_with(b"%") {
            return false; // a directive
        }
        let mut pos = indent;
        if indent == 0
            && (rest.starts_with(b"---") || rest.starts_with(b"..."))
            && rest.get(3).is_none_or(|b| is_blank(*b))
        {
            // A document marker: a new document, nothing open.
            self.stack.clear();
            pos = 3;
        } else {
            while self.stack.last().is_some_and(|col| *col >= indent) {
                self.stack.pop();
            }
        }
        // `- `, `? `: each opens a collection at its column.
        while pos < line.len()
            && (line[pos] == b'-' || line[pos] == b'?')
            && line.get(pos + 1).is_none_or(|b| is_blank(*b))
        {
            self.stack.push(pos);
            if self.too_deep() {
                return true;
            }
            pos += 1;
            while pos < line.len() && is_blank(line[pos]) {
                pos += 1;
            }
        }
        self.inline(line, pos, false)
    }

    /// The rest of a line from `pos`: scalars, `key:`, flow collections, comments.
    /// `continued`: the line goes on with a quote or flow collection opened before.
    fn inline(&mut self, line: &[u8], mut pos: usize, continued: bool) -> bool {
        // Where a node starts (a quote there opens a quoted scalar).
        let mut node_start = !continued || self.quote.is_none();
        let mut keyed = continued;
        let content_col = pos;
        while pos < line.len() {
            let b = line[pos];
            if let Some(q) = self.quote {
                match (q, b) {
                    (Quote::Double, b'\\') => pos += 1,
                    (Quote::Double, b'"') => self.quote = None,
                    (Quote::Single, b'\'') if line.get(pos + 1) == Some(&b'\'') => pos += 1,
                    (Quote::Single, b'\'') => self.quote = None,
                    _ => {}
                }
                pos += 1;
                node_start = false;
                continue;
            }
            match b {
                b' ' | b'\t' => {}
                b'#' if pos == 0 || is_blank(line[pos - 1]) => return false,
                b'"' if node_start => self.quote = Some(Quote::Double),
                b'\'' if node_start => self.quote = Some(Quote::Single),
                b'[' | b'{' if node_start || self.flow > 0 => {
                    self.flow += 1;
                    if self.too_deep() {
                        return true;
                    }
                    pos += 1;
                    node_start = true; // a node starts after it
                    continue;
                }
                b']' | b'}' if self.flow > 0 => self.flow -= 1,
                b',' if self.flow > 0 => {
                    pos += 1;
                    node_start = true;
                    continue;
                }
                b'|' | b'>' if node_start && self.flow == 0 && block_header(&line[pos + 1..]) => {
                    self.block_scalar = Some(self.stack.last().copied());
                    return false;
                }
                b'&' | b'!' if node_start => {
                    // An anchor or a tag: the node starts after it.
                    while pos < line.len() && !is_blank(line[pos]) {
                        pos += 1;
                    }
                    continue;
                }
                b':' if line.get(pos + 1).is_none_or(|c| is_blank(*c)) => {
                    if self.flow == 0 && !keyed {
                        // `key:` starts a mapping at the key's column.
                        keyed = true;
                        self.stack.push(content_col);
                        if self.too_deep() {
                            return true;
                        }
                    }
                    pos += 1;
                    node_start = true;
                    continue;
                }
                _ => {}
            }
            if !is_blank(b) {
                node_start = false;
            }
            pos += 1;
        }
        false
    }
}

/// Whether what follows `|` or `>` makes it a block scalar header: indentation and
/// chomping indicators, then nothing but blanks or a comment.
fn block_header(after: &[u8]) -> bool {
    let n = after
        .iter()
        .take_while(|b| b.is_ascii_digit() || **b == b'-' || **b == b'+')
        .count();
    let rest = &after[n..];
    let blanks = rest.iter().take_while(|b| is_blank(**b)).count();
    rest.len() == blanks || (blanks > 0 && rest[blanks] == b'#')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_over(text: &str, max: usize) -> bool {
        deeper_than(text.as_bytes(), max)
    }

    #[test]
    fn deep_documents_are_caught() {
        let flow = "[".repeat(100_000) + &"]".repeat(100_000);
        assert!(depth_over(&flow, MAX_DEPTH));
        assert!(depth_over(&"{a: ".repeat(100), MAX_DEPTH));
        assert!(depth_over(&("- ".repeat(100_000) + "x"), MAX_DEPTH));
        let mut block = String::new();
        for level in 0..70 {
            block.push_str(&format!("{}k{level}:\n", "  ".repeat(level)));
        }
        assert!(depth_over(&block, MAX_DEPTH));
        let mut seq = String::new();
        for level in 0..70 {
            seq.push_str(&format!("{}- k{level}:\n", "  ".repeat(level)));
        }
        assert!(depth_over(&seq, MAX_DEPTH));
        // A flow collection over many lines.
        assert!(depth_over(&"[\n".repeat(70), MAX_DEPTH));
    }

    #[test]
    fn text_is_not_nesting() {
        let b = "[{".repeat(100);
        let wo = format!(
            "version: 1\nid: WO-0001\ntitle: \"{b}\"\nsingle: '{b} it''s'\n# {b}\nnotes: |\n  {b}\n  - - - - -\n\n  more {b}\nplain: a [b {b}\nfolded: >-\n    {b}\nscope:\n  allow: [src/**, \"a[\", {{x: [1, [2]]}}]\n  deny:\n    - - x\ndependencies: [WO-0002]\nescaped: \"a \\\" [[[[\"\nmulti: \"line one {b}\n  line two {b}\"\nafter: ok\n"
        );
        assert!(!depth_over(&wo, MAX_DEPTH));
        assert!(!depth_over(&wo, 6), "a WO nests a few levels");
        // The counts are exact enough to see five levels.
        assert!(depth_over(
            "a:\n  b:\n    c:\n      d:\n        e:\n          f: 1\n",
            5
        ));
        assert!(!depth_over("a:\n  b:\n    c:\n      d:\n        e: 1\n", 5));
        assert!(depth_over("a: [[[[[1]]]]]\n", 5));
        assert!(!depth_over("a: [[[[1]]]]\n", 5));
    }

    #[test]
    fn a_block_scalar_ends_where_its_node_does() {
        let after = "[".repeat(70);
        let text = format!("notes: |\n  text\nnext: {after}\n");
        assert!(
            depth_over(&text, MAX_DEPTH),
            "counted again after the scalar"
        );
    }
}
