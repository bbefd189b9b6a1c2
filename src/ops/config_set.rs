//! `git wo config <key> <value>` and `git wo config --unset <key>`: a setting of
//! git-wo written (or removed) through `git config`, once its value is checked
//! ([`crate::model::config_keys`]). It runs without reading git-wo's configuration
//! first, so a bad value already set can be replaced.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::error::WoError;
use crate::git::command::{git, git_output};
use crate::model::config_keys;

/// What was written.
#[derive(Debug, Serialize)]
pub struct ConfigSet {
    pub schema: &'static str,
    pub key: String,
    /// The value written (`None`: unset).
    pub value: Option<String>,
    /// The value before (`None`: it was not set in that file).
    pub was: Option<String>,
    /// `local` or `global`.
    pub scope: &'static str,
}

/// Set (`value: Some`) or unset `key` in the repository at `dir` (or in the global
/// configuration).
pub fn set(dir: &Path, key: &str, value: Option<&str>, global: bool) -> Result<ConfigSet> {
    let key = config_keys::known(key)?;
    let scope = if global { "--global" } else { "--local" };
    let was = git_output(dir, &["config", scope, "--get", key])
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim_end().to_owned());
    let value = match value {
        Some(v) => {
            let remotes: Vec<String> = if key == "wo.remote" {
                git(dir, &["remote"])
                    .map(|out| out.lines().map(str::to_owned).collect())
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            let v = config_keys::check(key, v, &remotes)?;
            git(dir, &["config", scope, key, &v]).map_err(|e| refused(e, key))?;
            Some(v)
        }
        None => {
            if was.is_some() {
                git(dir, &["config", scope, "--unset-all", key]).map_err(|e| refused(e, key))?;
            }
            None
        }
    };
    Ok(ConfigSet {
        schema: "git-wo.config.v1",
        key: key.to_owned(),
        value,
        was,
        scope: if global { "global" } else { "local" },
    })
}

fn refused(e: anyhow::Error, key: &str) -> anyhow::Error {
    crate::error::with_fix(
        WoError::new(
            crate::error::Kind::Git,
            format!("git config {key}: {}", crate::error::classify(&e).message),
        )
        .into(),
        "run it inside the repository (or pass --root DIR); git config --list --show-origin shows where settings are",
    )
}
