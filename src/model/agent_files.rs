//! The files `git wo agent-setup` writes: one template set kept in the repository
//! (`templates/agents/*.md`, embedded at build time), rendered into each coding
//! agent's own format. A template is YAML front matter (`description`,
//! `argument-hint`) and a Markdown body in which `{{args}}` stands for what the user
//! typed after the command.
//!
//! - Claude Code: `.claude/commands/<name>.md`, the front matter as it is and the
//!   body with `$ARGUMENTS`;
//! - Gemini CLI: `.gemini/commands/<name>.toml`, `description` and `prompt` (the body,
//!   `{{args}}` kept) as TOML strings.

use serde::Deserialize;

/// The template set: (command name, template text).
pub const TEMPLATES: [(&str, &str); 3] = [
    (
        "wo-start",
        include_str!("../../templates/agents/wo-start.md"),
    ),
    (
        "wo-finish",
        include_str!("../../templates/agents/wo-finish.md"),
    ),
    (
        "wo-repair",
        include_str!("../../templates/agents/wo-repair.md"),
    ),
];

/// A coding agent `agent-setup` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agent {
    Claude,
    Gemini,
}

impl Agent {
    pub fn name(self) -> &'static str {
        match self {
            Agent::Claude => "claude",
            Agent::Gemini => "gemini",
        }
    }

    /// The folder its command files go in, relative to the repository's root.
    pub fn folder(self) -> &'static str {
        match self {
            Agent::Claude => ".claude/commands",
            Agent::Gemini => ".gemini/commands",
        }
    }
}

/// A template's front matter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub description: String,
    #[serde(rename = "argument-hint")]
    pub argument_hint: String,
}

/// A template: its front matter as written, parsed, and its body.
#[derive(Debug, Clone)]
pub struct Template<'a> {
    pub front_matter: &'a str,
    pub meta: Meta,
    pub body: &'a str,
}

/// Split and check a template.
pub fn parse(text: &str) -> Result<Template<'_>, String> {
    let rest = text
        .strip_prefix("---\n")
        .ok_or("it does not start with a `---` line")?;
    let end = rest
        .find("\n---\n")
        .ok_or("its front matter has no closing `---` line")?;
    let front_matter = &rest[..end + 1];
    let body = rest[end + 5..].trim_start_matches('\n');
    let meta: Meta =
        serde_yaml::from_str(front_matter).map_err(|e| format!("its front matter: {e}"))?;
    Ok(Template {
        front_matter,
        meta,
        body,
    })
}

/// One file to write: its path relative to the repository's root, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentFile {
    pub path: String,
    pub text: String,
}

/// Every file of `agent`, rendered from the template set.
pub fn files(agent: Agent) -> Result<Vec<AgentFile>, String> {
    TEMPLATES
        .iter()
        .map(|(name, text)| {
            let t = parse(text).map_err(|e| format!("templates/agents/{name}.md: {e}"))?;
            Ok(render(agent, name, &t))
        })
        .collect()
}

fn render(agent: Agent, name: &str, t: &Template<'_>) -> AgentFile {
    let origin = format!(
        "Written by `git wo agent-setup {}` from git-wo's templates/agents/{name}.md; `git wo agent-setup {} --force` replaces it.",
        agent.name(),
        agent.name()
    );
    match agent {
        Agent::Claude => AgentFile {
            path: format!("{}/{name}.md", agent.folder()),
            text: format!(
                "---\n{}---\n<!-- {origin} -->\n\n{}",
                t.front_matter,
                t.body.replace("{{args}}", "$ARGUMENTS")
            ),
        },
        Agent::Gemini => AgentFile {
            path: format!("{}/{name}.toml", agent.folder()),
            text: format!(
                "# {origin}\ndescription = {}\nprompt = \"\"\"\n{}\"\"\"\n",
                toml_string(&t.meta.description),
                toml_multiline(t.body)
            ),
        },
    }
}

/// A TOML basic string.
pub fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The inside of a TOML multi-line basic string (`"""…"""`) that reads back as `s`.
pub fn toml_multiline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut quotes = 0;
    for c in s.chars() {
        match c {
            '"' => {
                quotes += 1;
                // Never three in a row: the third is escaped.
                if quotes == 3 {
                    out.push_str("\\\"");
                    quotes = 0;
                    continue;
                }
                out.push('"');
                continue;
            }
            '\\' => out.push_str("\\\\"),
            '\n' | '\t' => out.push(c),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
        quotes = 0;
    }
    // A quote right before the closing `"""` would run into it.
    if out.ends_with('"') {
        out.pop();
        out.push_str("\\\"");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_and_renders_for_every_agent() {
        for agent in [Agent::Claude, Agent::Gemini] {
            let files = files(agent).unwrap();
            assert_eq!(files.len(), TEMPLATES.len());
            for f in files {
                assert!(f.path.starts_with(agent.folder()), "{}", f.path);
                assert!(!f.text.contains("{{args}}") || agent == Agent::Gemini);
            }
        }
    }

    #[test]
    fn toml_strings_escape_what_they_must() {
        assert_eq!(toml_string("a \"b\" \\ c"), "\"a \\\"b\\\" \\\\ c\"");
        assert_eq!(toml_multiline("x \"\"\" y\""), "x \"\"\\\" y\\\"");
        assert_eq!(toml_multiline("c:\\path\n"), "c:\\\\path\n");
    }
}
