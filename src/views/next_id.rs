//! The next free WO id: one more than the highest `WO-<number>` any file (archives
//! included) or record uses, as wide as the widest of them (at least 4 digits).

use std::collections::BTreeSet;

/// `WO-0043` after `WO-0042` (and `WO-0042.1`, `WO-0018C`, …, which share its number).
pub fn next_id(known: &BTreeSet<&str>) -> String {
    let mut max: u64 = 0;
    let mut width = 4;
    for id in known {
        let Some(rest) = id.strip_prefix("WO-") else {
            continue;
        };
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        if digits.is_empty() {
            continue;
        }
        if let Ok(n) = digits.parse::<u64>() {
            max = max.max(n);
            width = width.max(digits.len());
        }
    }
    format!("WO-{:0width$}", max + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_more_than_the_highest_number() {
        let none = BTreeSet::new();
        assert_eq!(next_id(&none), "WO-0001");
        let some: BTreeSet<&str> = [
            "WO-0042",
            "WO-0018C",
            "WO-P2.1",
            "WO-0042.1",
            "WO-0020-formatter",
        ]
        .into();
        assert_eq!(next_id(&some), "WO-0043");
        let wide: BTreeSet<&str> = ["WO-00099", "WO-0100"].into();
        assert_eq!(next_id(&wide), "WO-00101");
    }
}
