//! `git wo hook commit-msg <file>`: the manual-closure guard (SPEC §5). A manual
//! closure staged in the control checkout is refused unless the message's first line
//! has `[emergency]` or `[bypass]`; an allowed one is left in the stamp for
//! post-commit to record as a `[wo] bypass:` marker. Passing also tells post-commit
//! that this hook ran.

use std::path::Path;

use anyhow::{Context, Result};

use super::CommitSite;
use super::closure::{self, Closure};
use super::stamp::GateStamp;
use crate::git::Repo;
use crate::inventory::{Depth, Inventory, Source};

#[derive(Debug)]
pub struct CommitMsg {
    pub closures: Vec<Closure>,
    /// The token that let them through.
    pub token: Option<&'static str>,
}

impl CommitMsg {
    pub fn refused(&self) -> bool {
        !self.closures.is_empty() && self.token.is_none()
    }
}

pub fn run(repo: &Repo, message_file: &Path) -> Result<CommitMsg> {
    let site = CommitSite::here(repo)?;
    let message = std::fs::read(message_file)
        .with_context(|| format!("reading the commit message {}", message_file.display()))?;
    let message = String::from_utf8_lossy(&message);
    let (staged, head_jobs) = site.jobs_trees(repo)?;
    let stamp = GateStamp::read(&site.git_dir);
    let closures = if !site.control || staged == head_jobs {
        Vec::new()
    } else {
        match &stamp {
            // What pre-commit found on this very tree.
            Some(s)
                if s.head == site.head.map(|h| h.to_string())
                    && s.jobs_tree == staged.map(|t| t.to_string()) =>
            {
                s.closures.clone()
            }
            _ => {
                let inv =
                    Inventory::gather(repo, Source::IndexFile(site.index.clone()), Depth::Fields)?;
                closure::find(repo, &inv, site.head)?
            }
        }
    };
    let token = closure::token_in(&message);
    let out = CommitMsg { closures, token };
    if out.refused() {
        return Ok(out);
    }
    let bypasses: Vec<String> = match token {
        Some(t) => out.closures.iter().map(|c| c.bypass(t)).collect(),
        None => Vec::new(),
    };
    // Without pre-commit's stamp (it did not run) only an allowed closure is worth
    // keeping: post-commit reports the missing gate either way.
    if stamp.is_some() || !bypasses.is_empty() {
        let mut s = stamp.unwrap_or_else(|| GateStamp {
            head: site.head.map(|h| h.to_string()),
            jobs_tree: staged.map(|t| t.to_string()),
            ..GateStamp::default()
        });
        s.msg_at = Some(crate::clock::now());
        s.bypasses = bypasses;
        let _ = s.write(&site.git_dir);
    }
    Ok(out)
}
