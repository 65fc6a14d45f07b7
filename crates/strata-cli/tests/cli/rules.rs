//! `strata rules validate|list` and `strata replay` as users run them: Falco's stable rules,
//! the scenario events of strata-rules' tests, exit codes 0 and 2.

use std::collections::BTreeMap;
use std::path::PathBuf;

use strata_testkit::cache::TempDir;

use crate::support::*;

fn stable_rules() -> Option<PathBuf> {
    let p = strata_testkit::data_dir()?.join("falco/rules-falco-rules-5.1.0/falco_rules.yaml");
    if p.is_file() {
        Some(p)
    } else {
        strata_testkit::skip_or_fail(&format!("{} is missing", p.display()));
        None
    }
}

/// Every event the scenario files expect to fire a rule, as one JSONL file, and how many
/// of them each rule's scenario holds.
fn firing_events(t: &TempDir) -> (PathBuf, BTreeMap<String, usize>) {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../strata-rules/tests/rules/scenarios");
    let mut lines = String::new();
    let mut per_rule = BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        let mut rule = String::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            if let Some(r) = v["rule"].as_str() {
                rule = r.to_owned();
            } else if v["expect"] == "fire" {
                lines.push_str(&v["event"].to_string());
                lines.push('\n');
                *per_rule.entry(rule.clone()).or_insert(0) += 1;
            }
        }
    }
    let path = t.path().join("events.jsonl");
    std::fs::write(&path, lines).unwrap();
    (path, per_rule)
}

fn alerts_by_rule(stdout: &str) -> BTreeMap<String, usize> {
    let mut by_rule = BTreeMap::new();
    for line in stdout.lines() {
        let a: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in [
            "time",
            "rule",
            "priority",
            "output",
            "output_fields",
            "source",
            "tags",
            "hostname",
        ] {
            assert!(a.get(key).is_some(), "alert without {key}: {line}");
        }
        *by_rule
            .entry(a["rule"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    by_rule
}

#[test]
fn validate_and_list_falco_stable_rules() {
    let Some(rules) = stable_rules() else { return };
    let run = strata(&["rules", "validate", s(&rules)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("ok: 25 rules, 0 error(s)"),
        "{}",
        run.stdout
    );
    let run = strata(&["rules", "list", s(&rules)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 25, "{}", run.stdout);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("Terminal shell in container\t")),
        "{}",
        run.stdout
    );
}

#[test]
fn validate_reports_errors_with_position_and_exit_code_2() {
    let t = TempDir::new("cli-rules").unwrap();
    let bad = t.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "- rule: Bad\n  desc: d\n  condition: evt.type = open and proc.nonesuch = x\n  output: o\n  priority: INFO\n",
    )
    .unwrap();
    let run = strata(&["rules", "validate", s(&bad)]);
    assert_eq!(run.code, Some(2), "{}", run.stdout);
    assert!(
        run.stdout.contains("bad.yaml:3:"),
        "file:line:column: {}",
        run.stdout
    );
    assert!(run.stdout.contains("proc.nonesuch"), "{}", run.stdout);
    assert!(run.stdout.contains("hint:"), "{}", run.stdout);
    let run = strata(&["rules", "list", s(&bad)]);
    assert_eq!(run.code, Some(2));
    let run = strata(&["replay", s(&bad), "--rules", s(&bad)]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("rules failed to load"),
        "{}",
        run.stderr
    );
}

#[test]
fn replay_fires_every_stable_rule_on_its_scenarios() {
    let Some(rules) = stable_rules() else { return };
    let t = TempDir::new("cli-replay").unwrap();
    let (events, per_rule) = firing_events(&t);
    assert_eq!(per_rule.len(), 25, "one scenario per stable rule");
    let run = strata(&["replay", s(&events), "--rules", s(&rules)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let got = alerts_by_rule(&run.stdout);
    for (rule, n) in &per_rule {
        // An event may fire other rules as well, never fewer than its own.
        assert!(got.get(rule).copied().unwrap_or(0) >= *n, "{rule}: {got:?}");
    }

    // Selection: --tag keeps only tagged rules; --disable takes one away; --enable wins.
    let run = strata(&["replay", s(&events), "--rules", s(&rules), "--tag", "T1611"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let tagged = alerts_by_rule(&run.stdout);
    assert!(!tagged.is_empty() && tagged.len() < got.len(), "{tagged:?}");
    let run = strata(&[
        "replay",
        s(&events),
        "--rules",
        s(&rules),
        "--disable",
        "Terminal shell in container",
    ]);
    let without = alerts_by_rule(&run.stdout);
    assert!(!without.contains_key("Terminal shell in container"));
    assert_eq!(without.len(), got.len() - 1);
    let run = strata(&[
        "replay",
        s(&events),
        "--rules",
        s(&rules),
        "--disable",
        "*",
        "--enable",
        "Terminal shell in container",
    ]);
    let only: Vec<_> = alerts_by_rule(&run.stdout).into_keys().collect();
    assert_eq!(only, ["Terminal shell in container"]);
}

#[test]
fn replay_stops_at_a_malformed_line_with_its_number() {
    let Some(rules) = stable_rules() else { return };
    let t = TempDir::new("cli-replay-bad").unwrap();
    let events = t.path().join("bad.jsonl");
    std::fs::write(&events, "{\"ts\": 1, \"type\": \"openat\"}\n{not json\n").unwrap();
    let run = strata(&["replay", s(&events), "--rules", s(&rules)]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("bad.jsonl"), "{}", run.stderr);
    assert!(run.stderr.contains("line 2"), "{}", run.stderr);
}
