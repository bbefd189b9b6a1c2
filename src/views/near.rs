//! "Did you mean": the known WO id nearest to a mistyped one.

use crate::inventory::Inventory;

/// The known id (a YAML's or a record's) within two edits of `typed`, the nearest
/// first; `None` when nothing is that close or `typed` itself is known.
pub fn nearest(inv: &Inventory, typed: &str) -> Option<String> {
    let known = inv.known_ids();
    if known.contains(typed) {
        return None;
    }
    known
        .into_iter()
        .map(|k| (distance(typed, k), k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k.to_owned())
}

/// Levenshtein distance over chars (ids are short).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::distance;

    #[test]
    fn edit_distance() {
        assert_eq!(distance("WO-0042", "WO-0042"), 0);
        assert_eq!(distance("WO-042", "WO-0042"), 1);
        assert_eq!(distance("WO-0024", "WO-0042"), 2);
        assert_eq!(distance("", "abc"), 3);
    }
}
