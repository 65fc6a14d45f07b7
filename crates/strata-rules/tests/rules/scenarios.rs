//! For each of the 25 rules of Falco's stable `falco_rules.yaml`: events that must fire it and
//! near misses that must not (`scenarios/*.jsonl`: a `{"rule": ...}` header, then
//! `{"expect": "fire"|"miss", "why": ..., "event": {...}}` lines).

use std::collections::BTreeSet;
use std::path::PathBuf;

use strata_rules::{Event, load_files};

use crate::falco_dir;

fn scenario_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/rules/scenarios")
}

#[test]
fn stable_rules_fire_on_scenarios_and_not_on_near_misses() {
    let Some(d) = falco_dir() else { return };
    let res = load_files(&[d.join("rules-falco-rules-5.1.0/falco_rules.yaml")]);
    assert!(res.ok());
    let all: BTreeSet<String> = res.ruleset.rules().iter().map(|r| r.name.clone()).collect();
    assert_eq!(all.len(), 25);
    let mut covered = BTreeSet::new();
    let mut failures = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(scenario_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
        let rule = header["rule"].as_str().unwrap().to_string();
        assert!(
            all.contains(&rule),
            "{}: unknown rule {rule}",
            path.display()
        );
        let (mut fires, mut misses) = (0, 0);
        for (i, line) in lines.enumerate() {
            let case: serde_json::Value = serde_json::from_str(line).unwrap();
            let mut ev: Event = serde_json::from_value(case["event"].clone()).unwrap();
            ev.num = i as u64 + 1;
            let want = case["expect"] == "fire";
            if want {
                fires += 1;
            } else {
                misses += 1;
            }
            let alerts = res.ruleset.evaluate(&ev);
            let fired = alerts.iter().any(|a| a.rule == rule);
            if fired != want {
                failures.push(format!(
                    "{rule}: '{}' expected {}, fired: {:?}",
                    case["why"].as_str().unwrap_or(""),
                    case["expect"],
                    alerts.iter().map(|a| &a.rule).collect::<Vec<_>>()
                ));
            }
        }
        assert!(fires >= 1 && misses >= 1, "{rule}: needs fires and misses");
        covered.insert(rule);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(covered, all, "every stable rule has a scenario file");
}
