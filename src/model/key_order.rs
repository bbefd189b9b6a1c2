//! The original formatter's top-level key order (`git wo fmt`): a WO file cut into its
//! top-level blocks, which are put in [`ORDER`] (unknown keys after them, in their
//! current order) by moving each block whole, so that no byte of any block changes.
//!
//! A block is the comment lines directly above a top-level key (column 0, no blank
//! line between them and the key), the key's line, its value's lines, and whatever
//! follows up to the next block (blank lines, comments separated from the next key by
//! a blank line). What comes before the first block stays first (`head`: a `---`, a
//! header comment followed by a blank line), and comments at the very end of the file
//! stay last (`tail`). The cut is made line by line with the same notion of a
//! top-level key line as [`crate::model::yaml_edit`]; a result is given only when the
//! file parses to the same keys, in the cut's order, before, and to the same values
//! after.

use serde_yaml::Value;

use crate::model::yaml_edit::{top_level_key, uneditable};

/// The order the original formatter wrote top-level keys in.
pub const ORDER: [&str; 23] = [
    "version",
    "id",
    "epic_id",
    "title",
    "priority",
    "status",
    "owner",
    "branch",
    "worktree",
    "scope",
    "verify",
    "dod_id",
    "execution",
    "dependencies",
    "trace",
    "claim_links",
    "objective",
    "started_at",
    "finished_at",
    "result",
    "commit_sha",
    "verified_at_sha",
    "evidence_logs",
];

/// Where `key` goes: its place in [`ORDER`], or after all of them.
pub fn rank(key: &str) -> usize {
    ORDER.iter().position(|k| *k == key).unwrap_or(ORDER.len())
}

/// One top-level block: its key and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block<'a> {
    pub key: &'a str,
    pub text: &'a str,
}

/// A file cut into `head`, its blocks in file order, and `tail`; their
/// concatenation is the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut<'a> {
    pub head: &'a str,
    pub blocks: Vec<Block<'a>>,
    pub tail: &'a str,
}

impl Cut<'_> {
    /// The keys in file order.
    pub fn keys(&self) -> Vec<&str> {
        self.blocks.iter().map(|b| b.key).collect()
    }

    /// Whether the blocks are in [`ORDER`] already.
    pub fn in_order(&self) -> bool {
        self.blocks
            .windows(2)
            .all(|w| rank(w[0].key) <= rank(w[1].key))
    }
}

fn is_comment(line: &str) -> bool {
    line.starts_with('#')
}

fn is_blank(line: &str) -> bool {
    line.trim_end_matches(['\n', '\r']).trim().is_empty()
}

/// Cut `text` into its top-level blocks (see the module doc).
pub fn cut(text: &str) -> Cut<'_> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    // Byte offset of each line's start, and of the end.
    let mut starts = Vec::with_capacity(lines.len() + 1);
    let mut at = 0;
    for l in &lines {
        starts.push(at);
        at += l.len();
    }
    starts.push(at);
    let key_lines: Vec<usize> = (0..lines.len())
        .filter(|&i| top_level_key(lines[i]).is_some())
        .collect();
    let Some(&last_key) = key_lines.last() else {
        return Cut {
            head: text,
            blocks: Vec::new(),
            tail: "",
        };
    };
    // A block starts at the comments directly above its key line.
    let block_starts: Vec<usize> = key_lines
        .iter()
        .enumerate()
        .map(|(n, &k)| {
            let floor = if n == 0 { 0 } else { key_lines[n - 1] + 1 };
            let mut s = k;
            while s > floor && is_comment(lines[s - 1]) {
                s -= 1;
            }
            s
        })
        .collect();
    // The tail: the file's last lines when they are blank or comments, from the first
    // comment among them (blank lines before it stay with the last block).
    let mut run = lines.len();
    while run > last_key + 1 && (is_blank(lines[run - 1]) || is_comment(lines[run - 1])) {
        run -= 1;
    }
    let tail_start = (run..lines.len())
        .find(|&i| is_comment(lines[i]))
        .unwrap_or(lines.len());
    let mut blocks = Vec::with_capacity(key_lines.len());
    for (n, &k) in key_lines.iter().enumerate() {
        let end = block_starts.get(n + 1).copied().unwrap_or(tail_start);
        let key = top_level_key(lines[k]).unwrap_or_default();
        blocks.push(Block {
            key,
            text: &text[starts[block_starts[n]]..starts[end]],
        });
    }
    Cut {
        head: &text[..starts[block_starts[0]]],
        blocks,
        tail: &text[starts[tail_start]..],
    }
}

/// `text` with its top-level blocks in [`ORDER`]: `Ok(None)` when they are in order
/// already (nothing to change), `Err(why)` when the file cannot be reordered safely
/// (it then stays as it is).
///
/// A last block with no newline at its end gets one when it moves up (the only byte
/// that may be added); a block scalar whose value that would change is refused.
pub fn reorder(text: &str) -> Result<Option<String>, String> {
    if let Some(why) = uneditable(text) {
        return Err(why);
    }
    let before = top_level(text)?;
    let c = cut(text);
    let scanned = c.keys();
    let parsed: Vec<&str> = before.iter().map(|(k, _)| k.as_str()).collect();
    if scanned != parsed {
        return Err(format!(
            "its top-level keys could not be told apart line by line (found {}, the YAML has {}): an unusual layout",
            scanned.join(", "),
            parsed.join(", ")
        ));
    }
    if c.in_order() {
        return Ok(None);
    }
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut sorted: Vec<&Block<'_>> = c.blocks.iter().collect();
    sorted.sort_by_key(|b| rank(b.key));
    let mut out = String::with_capacity(text.len() + eol.len());
    out.push_str(c.head);
    let n = sorted.len();
    for (i, b) in sorted.iter().enumerate() {
        out.push_str(b.text);
        if i + 1 < n && !b.text.ends_with('\n') {
            out.push_str(eol);
        }
    }
    out.push_str(c.tail);
    let after = top_level(&out)?;
    let same = before.len() == after.len()
        && before
            .iter()
            .all(|(k, v)| after.iter().any(|(k2, v2)| k2 == k && v2 == v));
    if !same {
        return Err(
            "moving its blocks would change a value (a block scalar at the end of a file with no final newline, or an anchor used before it is defined)"
                .into(),
        );
    }
    Ok(Some(out))
}

/// The top-level `(key, value)` pairs of a mapping whose keys are all strings.
fn top_level(text: &str) -> Result<Vec<(String, Value)>, String> {
    let doc: Value = serde_yaml::from_str(text).map_err(|e| format!("unparsable YAML: {e}"))?;
    let Value::Mapping(map) = doc else {
        return Err("not a YAML mapping".into());
    };
    map.into_iter()
        .map(|(k, v)| match k {
            Value::String(k) => Ok((k, v)),
            other => Err(format!("a top-level key is not a string ({other:?})")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_move_whole_with_the_comments_above_them() {
        let text = "# header\n\ntitle: \"Keep: quotes\"   # why\n# the id\nid: WO-0001\nscope:\n  allow: [src/**]\n# deny nothing\n  deny: []\n\nnotes: |\n  free text\nversion: 1\n\n# the end\n";
        let out = reorder(text).unwrap().unwrap();
        assert_eq!(
            out,
            "# header\n\nversion: 1\n\n# the id\nid: WO-0001\ntitle: \"Keep: quotes\"   # why\nscope:\n  allow: [src/**]\n# deny nothing\n  deny: []\n\nnotes: |\n  free text\n# the end\n"
        );
        assert_eq!(reorder(&out).unwrap(), None, "idempotent");
    }

    #[test]
    fn a_file_in_order_is_left_alone() {
        let text = "version: 1\nid: WO-1\nx_custom: 2\nanother: 3\n";
        assert_eq!(reorder(text).unwrap(), None);
    }

    #[test]
    fn unknown_keys_keep_their_order_after_the_known_ones() {
        let text = "zeta: 1\nid: WO-1\nalpha: 2\nversion: 1\n";
        assert_eq!(
            reorder(text).unwrap().unwrap(),
            "version: 1\nid: WO-1\nzeta: 1\nalpha: 2\n"
        );
    }

    #[test]
    fn a_last_block_with_no_final_newline_gets_one_when_it_moves() {
        let text = "id: WO-1\r\nversion: 1";
        assert_eq!(
            reorder(text).unwrap().unwrap(),
            "version: 1\r\nid: WO-1\r\n"
        );
        // A block scalar would gain a newline in its value: refused.
        let text = "id: WO-1\nnotes: |\n  last\nversion: 1\ntitle: |\n  no newline";
        assert!(reorder(text).is_err());
    }

    #[test]
    fn layouts_it_cannot_cut_are_refused() {
        // A flow mapping spread over lines at column 0.
        assert!(reorder("title: x\nscope: {allow: [a],\ndeny: []}\nid: WO-1\n").is_err());
        assert!(reorder("{id: WO-1}\n").is_err());
        assert!(reorder("id: [\n").is_err());
        // An alias used before its anchor once moved.
        assert!(reorder("title: &t x\nid: *t\n").is_err());
    }
}
