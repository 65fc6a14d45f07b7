//! For each built-in rule: events shaped like the live sensor's that must fire it, and near
//! misses that must not (`scenarios/<snake_case_rule_name>.jsonl`).
//!
//! Format: a `{"rule": NAME}` header line, then one case per line:
//! `{"expect": "fire"|"miss", "why": "...", "also": ["Other rule", ...], "event": {...}}`.
//! `also` (optional) lists the other built-in rules the event fires, so overlaps are
//! deliberate and visible: a case that fires a built-in rule it does not name fails, and
//! so does one that names a rule it does not fire.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use strata_rules::replay::parse_event;
use strata_rules::{Event, LoadResult, RuleSet};
use strata_sensor::monitor::load_rules;

/// Fires and misses each file needs at least.
const MIN_CASES: usize = 2;

static BUILTIN: LazyLock<LoadResult> = LazyLock::new(|| load_rules(&[], true));

struct Case {
    file: String,
    line: usize,
    rule: String,
    fire: bool,
    why: String,
    also: BTreeSet<String>,
    event: Event,
}

fn scenario_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sensor/scenarios")
}

/// `Shell spawned in container` -> `shell_spawned_in_container`.
fn snake_case(rule: &str) -> String {
    let mut out = String::new();
    for c in rule.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

fn str_field<'a>(v: &'a serde_json::Value, key: &str, at: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{at}: \"{key}\" must be a string"))
}

fn load_file(path: &Path) -> Vec<Case> {
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().unwrap_or_else(|| panic!("{file}: empty file"));
    let header: serde_json::Value = serde_json::from_str(header)
        .unwrap_or_else(|e| panic!("{file}:1: header is not JSON: {e}"));
    let rule = str_field(&header, "rule", &format!("{file}:1")).to_owned();
    let mut cases = Vec::new();
    for (i, text) in lines {
        let line = i + 1;
        let at = format!("{file}:{line}");
        let v: serde_json::Value =
            serde_json::from_str(text).unwrap_or_else(|e| panic!("{at}: not JSON: {e}"));
        if let Some(obj) = v.as_object()
            && let Some(k) = obj
                .keys()
                .find(|k| !["expect", "why", "also", "event"].contains(&k.as_str()))
        {
            panic!("{at}: unknown key \"{k}\"");
        }
        let fire = match str_field(&v, "expect", &at) {
            "fire" => true,
            "miss" => false,
            other => panic!("{at}: expect must be \"fire\" or \"miss\", not \"{other}\""),
        };
        let also = match &v["also"] {
            serde_json::Value::Null => BTreeSet::new(),
            serde_json::Value::Array(a) => a
                .iter()
                .map(|r| {
                    r.as_str()
                        .unwrap_or_else(|| panic!("{at}: \"also\" holds rule names"))
                        .to_owned()
                })
                .collect(),
            _ => panic!("{at}: \"also\" must be a list of rule names"),
        };
        let raw = serde_json::to_vec(&v["event"]).unwrap();
        let event = parse_event(&raw, line).unwrap_or_else(|e| panic!("{at}: event: {e}"));
        cases.push(Case {
            file: file.clone(),
            line,
            rule: rule.clone(),
            fire,
            why: str_field(&v, "why", &at).to_owned(),
            also,
            event,
        });
    }
    cases
}

fn load_all() -> Vec<Case> {
    let mut files: Vec<_> = std::fs::read_dir(scenario_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    files.iter().flat_map(|p| load_file(p)).collect()
}

fn names(rules: &RuleSet) -> BTreeSet<String> {
    rules.rules().iter().map(|r| r.name.clone()).collect()
}

/// The built-in rules `ev` fires.
fn fired(rules: &RuleSet, builtin: &BTreeSet<String>, ev: &Event) -> BTreeSet<String> {
    rules
        .evaluate(ev)
        .into_iter()
        .map(|a| a.rule)
        .filter(|r| builtin.contains(r))
        .collect()
}

fn where_(c: &Case) -> String {
    format!("{}:{}: [{}] '{}'", c.file, c.line, c.rule, c.why)
}

#[test]
fn builtin_rules_load_without_diagnostics() {
    let res = &*BUILTIN;
    assert!(res.ok(), "{:#?}", res.diagnostics);
    assert!(res.diagnostics.is_empty(), "{:#?}", res.diagnostics);
    assert_eq!(res.ruleset.rules().len(), 28);
}

#[test]
fn builtin_rules_fire_on_scenarios_and_not_on_near_misses() {
    let rules = &BUILTIN.ruleset;
    let builtin = names(rules);
    let cases = load_all();
    let mut failures = Vec::new();
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut files: BTreeMap<&str, &str> = BTreeMap::new();
    for c in &cases {
        if !builtin.contains(&c.rule) {
            failures.push(format!("{}: not a built-in rule", where_(c)));
            continue;
        }
        if let Some(f) = files.insert(&c.rule, &c.file)
            && f != c.file
        {
            failures.push(format!("{}: rule also has {f}", where_(c)));
        }
        let want_file = format!("{}.jsonl", snake_case(&c.rule));
        if c.file != want_file {
            failures.push(format!("{}: the file should be {want_file}", where_(c)));
        }
        let n = counts.entry(&c.rule).or_default();
        if c.fire {
            n.0 += 1;
        } else {
            n.1 += 1;
        }
        let mut got = fired(rules, &builtin, &c.event);
        let hit = got.remove(&c.rule);
        if hit != c.fire {
            failures.push(format!(
                "{}: expected {}, it {}",
                where_(c),
                if c.fire { "to fire" } else { "no alert" },
                if hit { "fired" } else { "did not fire" }
            ));
        }
        for r in c.also.iter().filter(|r| !builtin.contains(*r)) {
            failures.push(format!("{}: \"also\" names unknown rule '{r}'", where_(c)));
        }
        let unlisted: Vec<_> = got.difference(&c.also).collect();
        if !unlisted.is_empty() {
            failures.push(format!(
                "{}: also fired {unlisted:?} (list them in \"also\" if deliberate)",
                where_(c)
            ));
        }
        let stale: Vec<_> = c
            .also
            .iter()
            .filter(|r| builtin.contains(*r) && !got.contains(*r))
            .collect();
        if !stale.is_empty() {
            failures.push(format!(
                "{}: \"also\" lists {stale:?}, which did not fire",
                where_(c)
            ));
        }
    }
    for rule in &builtin {
        let (fires, misses) = counts.get(rule.as_str()).copied().unwrap_or_default();
        if fires < MIN_CASES || misses < MIN_CASES {
            failures.push(format!(
                "{}.jsonl: [{rule}] needs at least {MIN_CASES} fires and {MIN_CASES} misses, has {fires} and {misses}",
                snake_case(rule)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} scenario failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn falco_stable_rules_load_beside_builtins_without_changing_their_outcomes() {
    let Some(data) = strata_testkit::data_dir() else {
        return;
    };
    let falco = data.join("falco/rules-falco-rules-5.1.0/falco_rules.yaml");
    let both = load_rules(&[falco], true);
    let errors: Vec<_> = both.errors().collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let builtin = names(&BUILTIN.ruleset);
    let all = names(&both.ruleset);
    assert!(all.is_superset(&builtin), "built-in rules went missing");
    assert_eq!(
        all.len(),
        builtin.len() + 25,
        "25 stable rules beside the built-ins"
    );
    let mut failures = Vec::new();
    for c in &load_all() {
        let alone = fired(&BUILTIN.ruleset, &builtin, &c.event);
        let beside = fired(&both.ruleset, &builtin, &c.event);
        if alone != beside {
            failures.push(format!(
                "{}: built-in rules fired {alone:?} alone, {beside:?} beside falco_rules.yaml",
                where_(c)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn snake_case_names() {
    assert_eq!(
        snake_case("Reverse shell (socket duplicated onto standard input or output)"),
        "reverse_shell_socket_duplicated_onto_standard_input_or_output"
    );
    assert_eq!(
        snake_case("Setuid-root program run by non-root user in container"),
        "setuid_root_program_run_by_non_root_user_in_container"
    );
}
