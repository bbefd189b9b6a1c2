//! The dependency graph (`git wo deps`): what a WO waits for and what waits for it,
//! both transitively, with each WO's state; or the whole graph as Mermaid or DOT.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::inventory::{Inventory, WoMap};
use crate::model::state::State;
use crate::views::ready::dependency_state;

/// One WO of the graph and its state (`None`: it exists nowhere, or is in several).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    pub id: String,
    pub state: Option<State>,
}

/// What one WO waits for and what waits for it.
#[derive(Debug, Serialize)]
pub struct Around {
    pub schema: &'static str,
    pub id: String,
    pub state: Option<State>,
    /// Its dependencies, and theirs, nearest first.
    pub waits_for: Vec<Node>,
    /// The WOs that depend on it, and on those, nearest first.
    pub blocks: Vec<Node>,
}

/// Every `a depends on b` edge, by the WOs' readable copies.
pub fn edges(wos: &WoMap<'_>) -> BTreeMap<String, Vec<String>> {
    wos.iter()
        .filter_map(|(id, v)| {
            let deps = v.files().first()?.dependencies();
            (!deps.is_empty()).then(|| (id.to_string(), deps))
        })
        .collect()
}

/// Breadth-first from `start` along `next`, each WO once, `start` left out.
fn reach(start: &str, next: &dyn Fn(&str) -> Vec<String>) -> Vec<String> {
    let mut seen: BTreeSet<String> = BTreeSet::from([start.to_owned()]);
    let mut order = Vec::new();
    let mut queue = std::collections::VecDeque::from([start.to_owned()]);
    while let Some(v) = queue.pop_front() {
        for w in next(&v) {
            if seen.insert(w.clone()) {
                order.push(w.clone());
                queue.push_back(w);
            }
        }
    }
    order
}

pub fn around(inv: &Inventory, id: &str) -> Around {
    let wos = inv.wos();
    let edges = edges(&wos);
    let mut rev: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (a, deps) in &edges {
        for d in deps {
            rev.entry(d.as_str()).or_default().push(a.clone());
        }
    }
    let node = |id: String| Node {
        state: dependency_state(&wos, &id),
        id,
    };
    let waits_for = reach(id, &|v| edges.get(v).cloned().unwrap_or_default());
    let blocks = reach(id, &|v| rev.get(v).cloned().unwrap_or_default());
    Around {
        schema: "git-wo.deps.v1",
        id: id.to_owned(),
        state: dependency_state(&wos, id),
        waits_for: waits_for.into_iter().map(node).collect(),
        blocks: blocks.into_iter().map(node).collect(),
    }
}

/// The whole graph (every WO with a dependency or a dependant) as Mermaid
/// (`graph LR`, an arrow from a WO to what it waits for) or DOT.
pub fn render(inv: &Inventory, dot: bool) -> String {
    let wos = inv.wos();
    let edges = edges(&wos);
    let mut nodes: BTreeSet<&str> = BTreeSet::new();
    for (a, deps) in &edges {
        nodes.insert(a);
        nodes.extend(deps.iter().map(String::as_str));
    }
    let label = |id: &str| {
        let state = dependency_state(&wos, id).map_or("missing", |s| s.as_str());
        format!("{id} ({state})")
    };
    // Mermaid and DOT node names: the id with anything but letters and digits as `_`.
    let name = |id: &str| -> String {
        id.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect()
    };
    let mut out = String::new();
    if dot {
        out.push_str("digraph wo {\n  rankdir=LR;\n");
        for n in &nodes {
            out.push_str(&format!("  {} [label=\"{}\"];\n", name(n), label(n)));
        }
        for (a, deps) in &edges {
            for d in deps {
                out.push_str(&format!("  {} -> {};\n", name(a), name(d)));
            }
        }
        out.push_str("}\n");
    } else {
        out.push_str("graph LR\n");
        for n in &nodes {
            out.push_str(&format!("  {}[\"{}\"]\n", name(n), label(n)));
        }
        for (a, deps) in &edges {
            for d in deps {
                out.push_str(&format!("  {} --> {}\n", name(a), name(d)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::order::OrderFile;

    fn wo(state: State, id: &str, deps: &str) -> OrderFile {
        OrderFile::in_folder(
            state,
            &format!("{id}.yaml"),
            &format!("id: {id}\nstatus: {state}\ndependencies: [{deps}]\n"),
        )
    }

    #[test]
    fn both_directions_transitively_and_the_graph() {
        let inv = Inventory::from_files(
            Path::new("/repo"),
            vec![
                wo(State::Pending, "WO-0001", "WO-0002"),
                wo(State::Pending, "WO-0002", "WO-0003"),
                wo(State::Done, "WO-0003", ""),
                wo(State::Pending, "WO-0004", "WO-0001"),
            ],
            crate::clock::now(),
        );
        let a = around(&inv, "WO-0002");
        let ids = |v: &[Node]| v.iter().map(|n| n.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a.waits_for), vec!["WO-0003"]);
        assert_eq!(a.waits_for[0].state, Some(State::Done));
        assert_eq!(ids(&a.blocks), vec!["WO-0001", "WO-0004"]);
        let m = render(&inv, false);
        assert!(m.starts_with("graph LR\n"), "{m}");
        assert!(m.contains("  WO_0001 --> WO_0002\n"), "{m}");
        assert!(m.contains("WO_0003[\"WO-0003 (done)\"]"), "{m}");
        assert!(render(&inv, true).contains("  WO_0004 -> WO_0001;\n"));
    }
}
