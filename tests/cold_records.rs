//! Records read with no cache (a cold start), hundreds at a time on several threads:
//! every readable record is read, every unreadable ref is reported, and the report is
//! the same whether the records come from their commits or from the record cache.

use crate::common;

use common::{Scenario, codes};

fn audit(s: &Scenario) -> serde_json::Value {
    let (_, mut report) = s.json(&["audit"]);
    report["audit_timestamp"] = serde_json::Value::Null;
    report
}

#[test]
fn a_cold_audit_reads_every_record_and_reports_every_unreadable_ref() {
    // 300 records: read in parallel (fewer are read on one thread).
    let s = Scenario::build_with("bulk", &["300", "5"]);
    assert_eq!(s.run(&["init"]).0, 0);
    s.drop_caches();
    let before = codes(&audit(&s));
    // Unreadable refs at the start, in the middle and at the end of the list: one at a
    // commit without a record, one at a blob, one at a tree.
    let head = s.git(&["rev-parse", "HEAD"]);
    let blob = s.git(&["rev-parse", "HEAD:README.md"]);
    let tree = s.git(&["rev-parse", "HEAD^{tree}"]);
    let broken = [
        ("WO-00001", head.trim()),
        ("WO-00150", blob.trim()),
        ("WO-00300", tree.trim()),
    ];
    for (id, target) in broken {
        s.git(&["update-ref", &format!("refs/wo/orders/{id}"), target]);
    }
    s.drop_caches();
    let cold = audit(&s);
    let invalid: Vec<String> = codes(&cold)
        .into_iter()
        .filter(|(code, _)| code == "invalid_record")
        .map(|(_, id)| id)
        .collect();
    assert_eq!(invalid, ["WO-00001", "WO-00150", "WO-00300"], "{cold:#}");
    // Every other record was read as before: the findings of the other WOs are the same.
    let others = |c: Vec<(String, String)>| -> Vec<(String, String)> {
        c.into_iter()
            .filter(|(_, id)| !broken.iter().any(|(b, _)| b == id))
            .collect()
    };
    assert_eq!(others(codes(&cold)), others(before));
    // The second run takes the readable records from the cache and reads the rest
    // again: the same report.
    assert_eq!(audit(&s), cold);
}
