//! Reading the backlog, `_ctx/backlog/backlog.yaml` of the control checkout, parsed by
//! [`crate::model::backlog`]. No file: no epic check; a file that cannot be read is
//! kept as malformed, never skipped.

use std::path::Path;

use crate::model::backlog::{Backlog, parse};

/// Where the backlog lives, relative to the control checkout.
pub const BACKLOG_FILE: &str = "_ctx/backlog/backlog.yaml";

/// A backlog is a few KiB; anything larger is refused, not read.
const MAX_BACKLOG_BYTES: u64 = 4 * 1024 * 1024;

/// The backlog of the checkout at `root`.
pub fn read(root: &Path) -> Backlog {
    let path = root.join(BACKLOG_FILE);
    if std::fs::symlink_metadata(&path).is_err() {
        return Backlog::Absent;
    }
    let invalid = |why: String| Backlog::Invalid {
        path: BACKLOG_FILE.to_owned(),
        why,
    };
    match crate::regular::read(&path, MAX_BACKLOG_BYTES) {
        Ok(crate::regular::Regular::Bytes(b, _)) => match parse(&b) {
            Ok(ids) => Backlog::Epics {
                path: BACKLOG_FILE.to_owned(),
                ids,
            },
            Err(why) => invalid(why),
        },
        Ok(crate::regular::Regular::TooLarge(n, _)) => {
            invalid(format!("it is {n} bytes, more than a backlog may be"))
        }
        Ok(crate::regular::Regular::Not(what)) => invalid(format!("it is {what}")),
        Err(e) => invalid(format!("it cannot be read: {e}")),
    }
}
