//! `docs/fields.md` is generated from the field table and must stay current.

#[test]
fn fields_md_is_generated_from_the_code() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/fields.md");
    let want = strata_rules::fields::fields_markdown();
    if std::env::var_os("STRATA_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/fields.md is stale: run STRATA_UPDATE_DOCS=1 cargo test -p strata-rules --test rules docs"
    );
    // Every field the default rules use is documented.
    for f in [
        "proc.aname",
        "fd.sip.name",
        "evt.arg",
        "container.image.repository",
        "ka.verb",
    ] {
        assert!(want.contains(&format!("| `{f}` |")), "{f}");
    }
}

#[test]
fn events_doc_example_parses_and_fires() {
    let path =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/events-jsonl.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let example = doc
        .split("```json\n")
        .nth(1)
        .and_then(|s| s.split("\n```").next())
        .unwrap();
    let ev = strata_rules::replay::parse_event(example.as_bytes(), 1).unwrap();
    assert_eq!(ev.proc.name, "cat");
    let Some(d) = crate::falco_dir() else { return };
    let res = strata_rules::load_files(&[d.join("rules-falco-rules-5.1.0/falco_rules.yaml")]);
    let rules: Vec<String> = res
        .ruleset
        .evaluate(&ev)
        .into_iter()
        .map(|a| a.rule)
        .collect();
    assert_eq!(rules, vec!["Read sensitive file untrusted"]);
}
