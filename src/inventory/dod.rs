//! Reading the Definition of Done catalog: every `*.yaml`/`*.yml` directly in
//! `_ctx/dod/` of the control checkout, parsed by [`crate::model::dod`]. A file that
//! cannot be read is kept as malformed (audit's `invalid_dod`), never skipped.

use std::path::Path;

use crate::model::dod::{Catalog, CatalogFile, parse};

/// Where the catalog lives, relative to the control checkout.
pub const DOD_DIR: &str = "_ctx/dod";

/// A catalog file is a few KiB; anything larger is refused, not read.
const MAX_CATALOG_BYTES: u64 = 1024 * 1024;

/// The catalog of the checkout at `root` (empty when `_ctx/dod/` has no catalog file).
pub fn read(root: &Path) -> Catalog {
    let dir = root.join(DOD_DIR);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Catalog::default();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.') && (n.ends_with(".yaml") || n.ends_with(".yml")))
        .collect();
    names.sort();
    let files = names
        .into_iter()
        .map(|name| {
            let path = dir.join(&name);
            let parsed = match crate::regular::read(&path, MAX_CATALOG_BYTES) {
                Ok(crate::regular::Regular::Bytes(b, _)) => parse(&b),
                Ok(crate::regular::Regular::TooLarge(n, _)) => {
                    Err(format!("it is {n} bytes, more than a catalog may be"))
                }
                Ok(crate::regular::Regular::Not(what)) => Err(format!("it is {what}")),
                Err(e) => Err(format!("it cannot be read: {e}")),
            };
            CatalogFile {
                path: format!("{DOD_DIR}/{name}"),
                parsed,
            }
        })
        .collect();
    Catalog { files }
}
