//! Byte-preserving edits of WO YAML: top-level scalar keys are replaced in place or
//! appended; comments, key order, quoting, unknown keys and line endings stay as they
//! are. Nothing is re-serialized.

/// Set top-level `key` to the scalar `value` (rendered plain when safe, else
/// double-quoted). A trailing ` # comment` on the key's line is kept.
pub fn set_scalar(text: &str, key: &str, value: &str) -> String {
    set_raw(text, key, &render_scalar(value))
}

/// Why `text` cannot be edited line by line, if it cannot: a flow-style top level
/// (`{id: …}`), a quoted top-level key, or more than one document. Such files are
/// refused by `lint` and `take` rather than turned into invalid YAML.
pub fn uneditable(text: &str) -> Option<String> {
    let mut seen_content = false;
    for line in text.lines() {
        let t = line.trim_end();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if t == "---" || t.starts_with("--- ") || t == "..." {
            if seen_content {
                return Some("it holds more than one YAML document (`---` after content)".into());
            }
            continue;
        }
        if !seen_content && (t.starts_with('{') || t.starts_with('[')) {
            return Some("its top level is written in flow style (`{…}`)".into());
        }
        seen_content = true;
        if !line.starts_with([' ', '\t', '-', '#'])
            && let Some(colon) = line.find(':')
            && line[..colon].ends_with([' ', '\t'])
            && !line[..colon].trim().contains(' ')
        {
            return Some(format!(
                "a top-level key has a space before its colon (`{}`)",
                line[..colon].trim()
            ));
        }
        if line.starts_with(['"', '\'']) {
            return Some(format!(
                "a top-level key is quoted (`{}`)",
                t.chars().take(30).collect::<String>()
            ));
        }
    }
    None
}

/// Set each `(key, value)` and check that the result still parses to the same keys
/// with those values; `Err` (nothing changed) when the file cannot be edited safely.
pub fn edit_fields(text: &str, edits: &[(String, String)]) -> Result<String, String> {
    if edits.is_empty() {
        return Ok(text.to_owned());
    }
    if let Some(why) = uneditable(text) {
        return Err(why);
    }
    let mut out = text.to_owned();
    for (k, v) in edits {
        out = set_scalar(&out, k, v);
    }
    let doc: serde_yaml::Value = serde_yaml::from_str(&out)
        .map_err(|e| format!("editing it would make it unparsable ({e})"))?;
    for (k, v) in edits {
        if doc.get(k.as_str()).and_then(|x| x.as_str()) != Some(v.as_str()) {
            return Err(format!("editing `{k}` did not take (unusual layout)"));
        }
    }
    // Every other top-level key keeps its value.
    if let Ok(serde_yaml::Value::Mapping(was)) = serde_yaml::from_str::<serde_yaml::Value>(text) {
        for (k, v) in &was {
            let edited = k
                .as_str()
                .is_some_and(|k| edits.iter().any(|(e, _)| e == k));
            if !edited && doc.get(k) != Some(v) {
                return Err(format!(
                    "editing it would change the value of `{}` (unusual layout)",
                    k.as_str().unwrap_or("?")
                ));
            }
        }
    }
    Ok(out)
}

/// Set top-level `key` to YAML `null`.
pub fn set_null(text: &str, key: &str) -> String {
    set_raw(text, key, "null")
}

fn set_raw(text: &str, key: &str, rendered: &str) -> String {
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let Some(start) = lines.iter().position(|l| top_level_key(l) == Some(key)) else {
        let new_line = format!("{key}: {rendered}{eol}");
        // A last entry of several lines with no newline at the end (a block scalar
        // `|` would gain one in its value): the new key goes right before it.
        if !text.is_empty() && !text.ends_with('\n') {
            let last = lines.iter().rposition(|l| top_level_key(l).is_some());
            if let Some(last) = last.filter(|l| l + 1 < lines.len())
                && lines[last + 1..]
                    .iter()
                    .all(|l| l.starts_with([' ', '\t', '-', '\r', '\n']) || l.is_empty())
            {
                let at: usize = lines[..last].iter().map(|l| l.len()).sum();
                return format!("{}{new_line}{}", &text[..at], &text[at..]);
            }
        }
        let mut out = text.to_owned();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(eol);
        }
        out.push_str(&new_line);
        return out;
    };
    // The value may continue on following lines (a block): indented lines, `- ` items
    // at column 0, and blank lines between them. Trailing blank lines are not part of it.
    let mut end = start + 1;
    let mut last_content = start;
    while end < lines.len() {
        let l = lines[end];
        let trimmed = l.trim_end_matches(['\n', '\r']);
        if trimmed.is_empty() {
            end += 1;
            continue;
        }
        if l.starts_with(' ') || l.starts_with('\t') || trimmed == "-" || trimmed.starts_with("- ")
        {
            last_content = end;
            end += 1;
            continue;
        }
        break;
    }
    let line = lines[start];
    let line_eol = if line.ends_with("\r\n") {
        "\r\n"
    } else if line.ends_with('\n') {
        "\n"
    } else if last_content > start {
        eol
    } else {
        ""
    };
    let after_colon = &line.trim_end_matches(['\n', '\r'])[key.len() + 1..];
    let comment = if last_content == start {
        trailing_comment(after_colon)
    } else {
        None
    };
    let mut new_line = format!("{key}: {rendered}");
    if let Some(c) = comment {
        new_line.push_str(c);
    }
    new_line.push_str(line_eol);
    let mut out = String::with_capacity(text.len() + rendered.len());
    for l in &lines[..start] {
        out.push_str(l);
    }
    out.push_str(&new_line);
    for l in &lines[last_content + 1..] {
        out.push_str(l);
    }
    out
}

/// The key of a top-level `key: …` line (column 0, not a comment or list item).
pub fn top_level_key(line: &str) -> Option<&str> {
    if line.starts_with([' ', '\t', '#', '-', '\'', '"']) {
        return None;
    }
    let colon = line.find(':')?;
    let rest = &line[colon + 1..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t', '\n', '\r'])) {
        return None;
    }
    let key = &line[..colon];
    (!key.is_empty() && !key.contains([' ', '\t'])).then_some(key)
}

/// ` # comment` at the end of a one-line value, outside quotes (with its leading space).
fn trailing_comment(value: &str) -> Option<&str> {
    let mut quote: Option<char> = None;
    let mut prev_space = true;
    let mut chars = value.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            // `\"` in double quotes, `''` in single quotes: a quote, not the end.
            (Some('"'), '\\') => {
                chars.next();
            }
            (Some('\''), '\'') if chars.peek().is_some_and(|(_, n)| *n == '\'') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') if prev_space => quote = Some(c),
            (None, '#') if prev_space => {
                let start = value[..i].trim_end().len();
                return Some(&value[start..]);
            }
            _ => {}
        }
        prev_space = c == ' ' || c == '\t';
    }
    None
}

/// A YAML scalar for `value`: plain when that reads back as the same string, else a
/// double-quoted (JSON-escaped) string.
pub fn render_scalar(value: &str) -> String {
    let plain_chars = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'));
    let starts_ok = value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '/');
    let reserved = matches!(
        value.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n" | ".inf" | ".nan"
    );
    let numeric =
        value.parse::<f64>().is_ok() || value.starts_with("0x") || value.starts_with("0o");
    if plain_chars && starts_ok && !reserved && !numeric {
        value.to_owned()
    } else {
        serde_json::to_string(value).unwrap_or_else(|_| format!("\"{}\"", value.escape_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "# header comment\nversion: 1\nid: WO-0042   # the id\nstatus: pending # must equal folder\ntitle: 'Keep: quotes'\nscope:\n  allow: [\"src/**\"]\n  deny: []\nverify:\n  commands:\n  - cargo test\nunknown_key: {a: 1}\n\n# trailing comment\n";

    #[test]
    fn replaces_in_place_and_keeps_comment() {
        let out = set_scalar(DOC, "status", "running");
        assert_eq!(
            out,
            DOC.replace(
                "status: pending # must equal folder",
                "status: running # must equal folder"
            )
        );
    }

    #[test]
    fn appends_missing_keys_at_the_end() {
        let out = set_scalar(DOC, "owner", "alice");
        assert_eq!(out, format!("{DOC}owner: alice\n"));
        let no_newline = set_scalar("id: WO-1", "owner", "bob");
        assert_eq!(no_newline, "id: WO-1\nowner: bob\n");
    }

    #[test]
    fn replaces_a_block_value_and_keeps_what_follows() {
        let out = set_scalar(DOC, "verify", "none");
        assert!(
            out.contains("verify: none\nunknown_key: {a: 1}\n\n# trailing comment\n"),
            "{out}"
        );
        assert!(out.starts_with("# header comment\nversion: 1\n"));
    }

    #[test]
    fn nested_keys_are_not_top_level() {
        let out = set_scalar(DOC, "allow", "x");
        assert!(out.contains("  allow: [\"src/**\"]"));
        assert!(out.ends_with("allow: x\n"));
    }

    #[test]
    fn crlf_is_kept() {
        let out = set_scalar("id: WO-1\r\nstatus: pending\r\n", "status", "done");
        assert_eq!(out, "id: WO-1\r\nstatus: done\r\n");
        assert_eq!(
            set_scalar("id: WO-1\r\n", "owner", "a"),
            "id: WO-1\r\nowner: a\r\n"
        );
    }

    #[test]
    fn scalars_read_back_as_strings() {
        for v in [
            "2026-02-18T15:19:29+00:00",
            "yes",
            "1.5",
            "a # b",
            "feat/wo-WO-1",
            "../.worktrees/WO-1",
            "x: y",
            "",
            "null",
        ] {
            let doc = set_scalar("id: WO-1\n", "k", v);
            let parsed: serde_yaml::Value = serde_yaml::from_str(&doc).unwrap();
            assert_eq!(parsed["k"].as_str(), Some(v), "{v} -> {doc}");
        }
        assert_eq!(render_scalar("feat/wo-WO-1"), "feat/wo-WO-1");
    }

    #[test]
    fn a_key_appended_after_a_block_scalar_with_no_final_newline_goes_before_it() {
        let text = "id: WO-1\nnotes: |\n  last line";
        let out = edit_fields(text, &[("owner".into(), "bob".into())]).unwrap();
        assert_eq!(out, "id: WO-1\nowner: bob\nnotes: |\n  last line");
        assert_eq!(
            set_scalar("id: WO-1", "owner", "bob"),
            "id: WO-1\nowner: bob\n"
        );
    }

    #[test]
    fn escaped_quotes_are_not_the_end_of_a_quoted_value() {
        for (text, comment) in [
            (r"k: 'it'' #s' # c", " # c"),
            (r"k: ''' #'", ""),
            (r#"k: "a\" #b" # c"#, " # c"),
            (r#"k: "a\\" # c"#, " # c"),
        ] {
            assert_eq!(
                set_scalar(&format!("{text}\n"), "k", "v"),
                format!("k: v{comment}\n"),
                "{text}"
            );
        }
    }

    #[test]
    fn null() {
        assert_eq!(set_null("result: done\n", "result"), "result: null\n");
    }
}
