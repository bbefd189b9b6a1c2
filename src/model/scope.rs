//! A WO's scope (SPEC §1 `scope{allow[],deny[]}`): the paths its branch may change.
//! `scope.allow` (empty or absent: everything) minus `scope.deny`; a deny glob always
//! wins. Globs match as `.gitignore` patterns do (through `globset`): `*` stays within
//! one path component, `**` crosses them, a glob with no `/` (other than a trailing
//! one) matches at any depth, a leading `/` anchors it at the repository root, and a
//! glob that matches a directory matches everything below it. Pure: no git, no files.

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde_yaml::Value;

/// The scope as the YAML writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

impl Scope {
    /// The YAML's `scope:` value; `None` when absent or when it has no glob at all (a
    /// scope of everything). A single string stands for a list of one.
    pub fn from_yaml(v: Option<&Value>) -> Option<Scope> {
        let map = v?.as_mapping()?;
        let list = |key: &str| -> Vec<String> {
            match map.get(key) {
                Some(Value::String(s)) => vec![s.clone()],
                Some(Value::Sequence(items)) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            }
        };
        let scope = Scope {
            allow: list("allow"),
            deny: list("deny"),
        };
        (!scope.allow.is_empty() || !scope.deny.is_empty()).then_some(scope)
    }

    /// One line per glob, `+` allow / `-` deny, `\` and newlines escaped: how the
    /// parse cache keeps it (as one of the order's `Fields`).
    pub fn encode(&self) -> String {
        let esc = |g: &str| g.replace('\\', "\\\\").replace('\n', "\\n");
        let mut lines: Vec<String> = self.allow.iter().map(|g| format!("+{}", esc(g))).collect();
        lines.extend(self.deny.iter().map(|g| format!("-{}", esc(g))));
        lines.join("\n")
    }

    /// The inverse of [`Scope::encode`]; `None` for text it did not write.
    pub fn decode(text: &str) -> Option<Scope> {
        let mut scope = Scope::default();
        for line in text.split('\n') {
            let mut glob = String::with_capacity(line.len());
            let mut chars = line.get(1..)?.chars();
            while let Some(c) = chars.next() {
                match (c, c == '\\') {
                    (_, true) => match chars.next()? {
                        'n' => glob.push('\n'),
                        '\\' => glob.push('\\'),
                        _ => return None,
                    },
                    (c, false) => glob.push(c),
                }
            }
            match line.as_bytes().first()? {
                b'+' => scope.allow.push(glob),
                b'-' => scope.deny.push(glob),
                _ => return None,
            }
        }
        Some(scope)
    }

    /// The compiled matcher; `Err` names the glob that is not one.
    pub fn matcher(&self) -> Result<Matcher, String> {
        Ok(Matcher {
            allow: Rules::of(&self.allow)?,
            deny: Rules::of(&self.deny)?,
        })
    }
}

/// One side (allow or deny) compiled: each glob becomes the patterns that make it
/// match as a `.gitignore` line would; `owner[i]` is the glob pattern `i` came from.
#[derive(Debug, Clone)]
struct Rules {
    globs: Vec<String>,
    set: GlobSet,
    owner: Vec<usize>,
}

impl Rules {
    fn of(globs: &[String]) -> Result<Rules, String> {
        let mut b = GlobSetBuilder::new();
        let mut owner = Vec::new();
        for (i, g) in globs.iter().enumerate() {
            for p in patterns(g)? {
                b.add(p);
                owner.push(i);
            }
        }
        Ok(Rules {
            globs: globs.to_vec(),
            set: b.build().map_err(|e| e.to_string())?,
            owner,
        })
    }

    /// The first glob that matches `path`.
    fn first(&self, path: &str) -> Option<&str> {
        let hit = self.set.matches(path).into_iter().min()?;
        let i = *self.owner.get(hit)?;
        self.globs.get(i).map(String::as_str)
    }
}

/// The globset patterns of one scope glob.
fn patterns(glob: &str) -> Result<Vec<Glob>, String> {
    let bad = |why: &str| format!("scope glob {glob:?} is not a glob: {why}");
    let anchored = glob.starts_with('/');
    let g = glob.trim_start_matches('/');
    let g = g.strip_suffix('/').unwrap_or(g);
    if g.is_empty() {
        return Err(bad("it is empty"));
    }
    let base = if anchored || g.contains('/') {
        g.to_owned()
    } else {
        format!("**/{g}")
    };
    [base.clone(), format!("{base}/**")]
        .iter()
        .map(|p| {
            GlobBuilder::new(p)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| bad(&e.kind().to_string()))
        })
        .collect()
}

/// A compiled [`Scope`].
#[derive(Debug, Clone)]
pub struct Matcher {
    allow: Rules,
    deny: Rules,
}

/// Why a path is outside the scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outside {
    /// No allow glob matches it.
    NotAllowed,
    /// This deny glob matches it (a deny always wins).
    Denied(String),
}

impl Outside {
    /// The rule, in words.
    pub fn rule(&self) -> String {
        match self {
            Outside::NotAllowed => "not allowed by any allow glob".into(),
            Outside::Denied(g) => format!("denied by glob {g:?}"),
        }
    }
}

impl Matcher {
    /// `None` when `path` (relative to the repository root, `/`-separated) is in scope.
    pub fn check(&self, path: &str) -> Option<Outside> {
        if let Some(g) = self.deny.first(path) {
            return Some(Outside::Denied(g.to_owned()));
        }
        if self.allow.globs.is_empty() || self.allow.first(path).is_some() {
            return None;
        }
        Some(Outside::NotAllowed)
    }

    /// Every path of `paths` outside the scope, with why, in the order given, once.
    pub fn outside<'p>(&self, paths: impl IntoIterator<Item = &'p str>) -> Vec<Violation> {
        let mut seen = std::collections::BTreeSet::new();
        paths
            .into_iter()
            .filter(|p| seen.insert(*p))
            .filter_map(|p| {
                self.check(p).map(|why| Violation {
                    path: p.to_owned(),
                    why,
                })
            })
            .collect()
    }
}

/// A path outside a WO's scope, and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub path: String,
    pub why: Outside,
}

impl Violation {
    /// `path (rule)`.
    pub fn line(&self) -> String {
        format!("{} ({})", self.path, self.why.rule())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(allow: &[&str], deny: &[&str]) -> Matcher {
        Scope {
            allow: allow.iter().map(|s| s.to_string()).collect(),
            deny: deny.iter().map(|s| s.to_string()).collect(),
        }
        .matcher()
        .expect("globs")
    }

    #[test]
    fn globs_match_as_gitignore_lines_do() {
        let m = scope(&["src/**", "*.md", "/docs/", "lib/[ab].rs"], &[]);
        assert_eq!(m.check("src/a/b.rs"), None);
        assert_eq!(m.check("README.md"), None);
        assert_eq!(m.check("deep/in/NOTES.md"), None, "no slash: any depth");
        assert_eq!(m.check("docs/x/y.txt"), None, "a directory: all below");
        assert_eq!(m.check("lib/a.rs"), None);
        assert_eq!(m.check("lib/c.rs"), Some(Outside::NotAllowed));
        assert_eq!(
            m.check("other/docs/x"),
            Some(Outside::NotAllowed),
            "anchored"
        );
        assert_eq!(m.check("srcx/a.rs"), Some(Outside::NotAllowed));
        let star = scope(&["src/*.rs"], &[]);
        assert_eq!(star.check("src/a.rs"), None);
        assert_eq!(
            star.check("src/x/a.rs"),
            Some(Outside::NotAllowed),
            "* stays in one part"
        );
        let esc = scope(&["a\\*b"], &[]);
        assert_eq!(esc.check("a*b"), None);
        assert_eq!(esc.check("axb"), Some(Outside::NotAllowed));
    }

    #[test]
    fn deny_wins_and_no_allow_means_everything() {
        let m = scope(&["src/**"], &["src/secret/**", "*.pem"]);
        assert_eq!(
            m.check("src/secret/k"),
            Some(Outside::Denied("src/secret/**".into()))
        );
        assert_eq!(
            m.check("src/x/a.pem"),
            Some(Outside::Denied("*.pem".into()))
        );
        let open = scope(&[], &["vendor/"]);
        assert_eq!(open.check("anything/at/all"), None);
        assert_eq!(
            open.check("vendor/x.c"),
            Some(Outside::Denied("vendor/".into()))
        );
    }

    #[test]
    fn the_yaml_and_the_cache_form() {
        let v: Value =
            serde_yaml::from_str("allow: [\"src/**\", \"a\\\\\\nb\"]\ndeny: x\n").expect("yaml");
        let s = Scope::from_yaml(Some(&v)).expect("scope");
        assert_eq!(s.deny, vec!["x".to_owned()]);
        assert_eq!(Scope::decode(&s.encode()), Some(s));
        assert_eq!(Scope::decode("?x"), None);
        assert_eq!(Scope::decode("+a\\q"), None);
        let empty: Value = serde_yaml::from_str("allow: []\n").expect("yaml");
        assert_eq!(Scope::from_yaml(Some(&empty)), None);
        assert!(
            Scope {
                allow: vec!["/".into()],
                deny: vec![]
            }
            .matcher()
            .is_err()
        );
        assert!(
            Scope {
                allow: vec!["a[".into()],
                deny: vec![]
            }
            .matcher()
            .is_err()
        );
    }
}
