//! The rules about dependencies: dependency_cycle, missing_dependency,
//! started_before_dependency. A person decides each (the YAMLs say what depends on
//! what); none blocks a repair.

use std::collections::{BTreeMap, BTreeSet};

use crate::inventory::{Inventory, WoMap};
use crate::model::finding::{Code, Finding, Remedy};
use crate::model::state::State;
use crate::views::ready::{dependency_done, dependency_state};

pub fn findings(inv: &Inventory, wos: &WoMap<'_>, out: &mut Vec<Finding>) {
    let graph = crate::views::deps::edges(wos);
    if graph.is_empty() {
        return;
    }
    // The file whose `dependencies:` each finding is about.
    let path_of = |id: &str| {
        wos.get(id)
            .and_then(|v| v.files().first())
            .map(|f| inv.rel(f.rel_path()))
            .unwrap_or_default()
    };
    let known = inv.known_ids();
    for (id, deps) in &graph {
        let path = &path_of(id);
        let state = wos.get(id.as_str()).and_then(|v| v.single_state());
        for d in deps {
            if !known.contains(d.as_str()) {
                out.push(Finding::new(
                    Code::MissingDependency,
                    Some(id),
                    format!("{id} depends on {d}, which exists nowhere (no YAML, no record)"),
                    Remedy::decide(format!(
                        "correct the dependencies: of {} (a typo?), or create {d}: git wo new",
                        crate::error::shell_quote(path)
                    )),
                    vec![path.clone()],
                ));
                continue;
            }
            if matches!(state, Some(State::Running | State::Done)) && !dependency_done(wos, d) {
                let dep_state = dependency_state(wos, d);
                out.push(Finding::new(
                    Code::StartedBeforeDependency,
                    Some(id),
                    format!(
                        "{id} is {} but its dependency {d} is {}",
                        state.map_or("?", |s| s.as_str()),
                        dep_state.map_or("in no one state", |s| s.as_str())
                    ),
                    Remedy::decide(format!(
                        "finish {d} first, or drop it from the dependencies: of {}",
                        crate::error::shell_quote(path)
                    )),
                    vec![path.clone()],
                ));
            }
        }
    }
    for cycle in cycles(&graph) {
        let paths: Vec<String> = cycle.iter().map(|id| path_of(id)).collect();
        let mut shown = cycle.clone();
        shown.push(cycle[0].clone());
        out.push(Finding::new(
            Code::DependencyCycle,
            cycle.first().map(String::as_str),
            format!("dependency cycle: {}", shown.join(" -> ")),
            Remedy::decide(
                "none of these can ever be ready: drop one of the dependencies that close the cycle",
            ),
            paths,
        ));
    }
}

/// Every cycle of `graph` once, each starting at its smallest id (Tarjan's strongly
/// connected components; a component of more than one WO, or a WO that depends on
/// itself, is a cycle).
fn cycles(graph: &BTreeMap<String, Vec<String>>) -> Vec<Vec<String>> {
    struct Tarjan<'g> {
        graph: &'g BTreeMap<String, Vec<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, v: &'g str) {
            self.index.insert(v, self.next);
            self.low.insert(v, self.next);
            self.next += 1;
            self.stack.push(v);
            self.on_stack.insert(v);
            let graph = self.graph;
            for w in graph.get(v).map(Vec::as_slice).unwrap_or_default() {
                let w = w.as_str();
                if !graph.contains_key(w) {
                    continue;
                }
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low[v];
                    self.low.insert(v, lv.min(lw));
                } else if self.on_stack.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low[v];
                    self.low.insert(v, lv.min(iw));
                }
            }
            if self.low[v] == self.index[v] {
                let mut comp = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    comp.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                let self_loop = graph.get(v).is_some_and(|d| d.iter().any(|x| x == v));
                if comp.len() > 1 || self_loop {
                    comp.sort();
                    self.out.push(comp);
                }
            }
        }
    }
    let mut t = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.out.sort();
    t.out
}

#[cfg(test)]
mod tests {
    use crate::model::finding::Code;
    use crate::model::state::State;
    use crate::views::audit::audit;
    use crate::views::audit::test_support::{file, inv, of};

    #[test]
    fn cycles_missing_and_started_before_their_dependency() {
        let i = inv(vec![
            file(
                State::Pending,
                "WO-0001.yaml",
                "id: WO-0001\nstatus: pending\ndependencies: [WO-0002]\n",
            ),
            file(
                State::Pending,
                "WO-0002.yaml",
                "id: WO-0002\nstatus: pending\ndependencies: [WO-0003]\n",
            ),
            file(
                State::Pending,
                "WO-0003.yaml",
                "id: WO-0003\nstatus: pending\ndependencies: [WO-0001]\n",
            ),
            file(
                State::Pending,
                "WO-0004.yaml",
                "id: WO-0004\nstatus: pending\ndependencies: [WO-0004, WO-0404]\n",
            ),
            file(
                State::Running,
                "WO-0005.yaml",
                "id: WO-0005\nstatus: running\ndependencies: [WO-0006]\n",
            ),
            file(
                State::Pending,
                "WO-0006.yaml",
                "id: WO-0006\nstatus: pending\n",
            ),
        ]);
        let f = audit(&i);
        let cycles: Vec<&str> = f
            .iter()
            .filter(|x| x.code == Code::DependencyCycle)
            .map(|x| x.message.as_str())
            .collect();
        assert_eq!(
            cycles,
            vec![
                "dependency cycle: WO-0001 -> WO-0002 -> WO-0003 -> WO-0001",
                "dependency cycle: WO-0004 -> WO-0004"
            ]
        );
        assert_eq!(
            of(&f, Code::MissingDependency),
            vec![("WO-0004".into(), None)]
        );
        assert_eq!(
            of(&f, Code::StartedBeforeDependency),
            vec![("WO-0005".into(), None)]
        );
    }
}
