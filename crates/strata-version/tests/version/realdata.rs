//! Orderings that real distribution data relies on (the shared corpus' Debian 12 security
//! data and the Alpine secdb).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use strata_version::{Scheme, apk};

fn distro_dir() -> Option<PathBuf> {
    let dir = strata_testkit::data_dir()?.join("vulndb/distro");
    if dir.is_dir() {
        Some(dir)
    } else {
        strata_testkit::skip_or_fail(&format!("{} is missing", dir.display()));
        None
    }
}

/// Rows of a TSV file with a header, as column-name → value maps.
fn tsv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            header
                .iter()
                .zip(l.split('\t'))
                .map(|(h, v)| ((*h).to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

fn dpkg_less(a: &str, b: &str) -> Result<bool, String> {
    Ok(Scheme::Dpkg.compare(a, b).map_err(|e| e.to_string())? == Ordering::Less)
}

#[test]
fn debian12_security_versions_are_newer_than_main() {
    let Some(dir) = distro_dir() else {
        return;
    };
    let d = dir.join("debian12-derived");
    let mut failures = Vec::new();

    let sources = tsv(&d.join("bookworm-main-vs-security.tsv"));
    assert_eq!(sources.len(), 184);
    let mut security = BTreeMap::new();
    for r in &sources {
        let (main, sec) = (&r["main_version"], &r["security_version"]);
        match dpkg_less(main, sec) {
            Ok(true) => {}
            other => failures.push(format!("{}: {main} < {sec}: {other:?}", r["source"])),
        }
        security.insert(r["source"].clone(), sec.clone());
    }

    // Every fixed version lies in (main, security].
    let rows = tsv(&d.join("MANIFEST.tsv"));
    assert_eq!(rows.len(), 9927);
    let mut checked = 0;
    for r in &rows {
        let (src, fixed, main) = (
            &r["source"],
            &r["fixed_version"],
            &r["bookworm_main_version"],
        );
        if !matches!(dpkg_less(main, fixed), Ok(true)) {
            failures.push(format!("{src} {}: main {main} < fixed {fixed}", r["cve"]));
        }
        if let Some(sec) = security.get(src) {
            if matches!(dpkg_less(sec, fixed), Ok(true) | Err(_)) {
                failures.push(format!(
                    "{src} {}: fixed {fixed} <= security {sec}",
                    r["cve"]
                ));
            }
            checked += 1;
        }
    }

    let minbase = tsv(&d.join("expected-minbase-main.tsv"));
    assert_eq!(minbase.len(), 66);
    for r in &minbase {
        let (inst, fixed) = (&r["installed_version"], &r["fixed_version"]);
        if !matches!(dpkg_less(inst, fixed), Ok(true)) {
            failures.push(format!(
                "{} {}: {inst} < {fixed}",
                r["binary_package"], r["cve"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "debian12: 184 sources, 9927 fixes ({checked} against the security version), 66 minbase rows"
    );
}

/// The version keys of every `secfixes:` map in the Alpine secdb YAML files.
fn secfix_versions(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("alpine-secdb"))
        .unwrap()
        .flat_map(|e| std::fs::read_dir(e.unwrap().path()).into_iter().flatten())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 18);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let mut indent: Option<usize> = None;
        for line in text.lines() {
            let lead = line.len() - line.trim_start().len();
            let body = line.trim();
            if body == "secfixes:" {
                indent = Some(lead);
                continue;
            }
            let Some(ind) = indent else { continue };
            if body.is_empty() {
                continue;
            }
            if lead <= ind {
                indent = None;
            } else if let (true, Some(key)) = (lead == ind + 2, body.strip_suffix(':')) {
                out.push(key.trim_matches(|c| c == '\'' || c == '"').to_owned());
            }
        }
    }
    out
}

#[test]
fn alpine_secdb_fixed_versions() {
    let Some(dir) = distro_dir() else {
        return;
    };
    let versions = secfix_versions(&dir);
    assert_eq!(versions.len(), 4255);
    let mut invalid = BTreeSet::new();
    for v in &versions {
        assert!(Scheme::Apk.parse(v).is_ok(), "{v}");
        if !apk::is_valid(v) {
            invalid.insert(v.as_str());
        }
    }
    // Keys apk-tools would reject; they still parse and order (see the apk module).
    let expected: BTreeSet<&str> = EXPECTED_INVALID_SECDB.iter().copied().collect();
    assert_eq!(invalid, expected);
}

const EXPECTED_INVALID_SECDB: &[&str] = &[
    "0.8.21.r2",
    "1.11-20-r0",
    "10.2.22.r0",
    "10.2.24.r0",
    "10.2.26.r0",
    "2.7.16-33",
    "4.10-1-r1",
    "57-1-r2",
    "6.6.2p1-r0",
];

/// Every version in the GHSA advisories of the corpus parses under its ecosystem's scheme,
/// and within each range every `introduced` (other than `0`) sorts before the `fixed` or
/// `last_affected` event that follows it.
#[test]
fn ghsa_ranges_are_ordered() {
    let Some(data) = strata_testkit::data_dir() else {
        return;
    };
    let root = data.join("vulndb/ghsa/advisories");
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                files.push(p);
            }
        }
    }
    assert_eq!(files.len(), 41);
    let (mut parsed, mut pairs) = (0, 0);
    let mut failures = Vec::new();
    for f in &files {
        let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
        for aff in doc["affected"].as_array().into_iter().flatten() {
            let eco = aff["package"]["ecosystem"].as_str().unwrap();
            let scheme = Scheme::for_osv_ecosystem(eco).unwrap();
            let mut check = |v: &str, failures: &mut Vec<String>| match scheme.parse(v) {
                Ok(v) => {
                    parsed += 1;
                    Some(v)
                }
                Err(e) => {
                    failures.push(format!("{}: {e}", f.display()));
                    None
                }
            };
            for v in aff["versions"].as_array().into_iter().flatten() {
                check(v.as_str().unwrap(), &mut failures);
            }
            for range in aff["ranges"].as_array().into_iter().flatten() {
                let mut introduced = None;
                for ev in range["events"].as_array().into_iter().flatten() {
                    for (kind, v) in ev.as_object().unwrap() {
                        let text = v.as_str().unwrap();
                        let parsed_v = check(text, &mut failures);
                        match kind.as_str() {
                            "introduced" if text != "0" => introduced = parsed_v,
                            "introduced" => introduced = None,
                            "fixed" | "last_affected" => {
                                if let (Some(i), Some(x)) = (&introduced, &parsed_v) {
                                    pairs += 1;
                                    let ok = if kind == "fixed" { i < x } else { i <= x };
                                    if !ok {
                                        failures
                                            .push(format!("{}: {i} !< {kind} {x}", f.display()));
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!((parsed, pairs), (205, 59));
}
