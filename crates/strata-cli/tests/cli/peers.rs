//! strata's findings against a peer on the same input: pip-audit 2.7.3, offline, querying a
//! local OSV endpoint (peers/pip_audit_local.py) that answers from the same PyPA records
//! strata imported and decides "affected" with `packaging`, not with strata's code.
//!
//! They must agree on every (package, advisory) pair. Known, explained difference, checked
//! loosely: pip-audit lists every `fixed` event of an advisory's first range as a fix,
//! strata only the fix of the interval holding the installed version, so strata's fixed
//! versions must be among pip-audit's.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use strata_testkit::cache::TempDir;
use strata_testkit::serde_json::{self, Value};

use crate::support::*;

/// (canonical package name, advisory id).
type Pair = (String, String);

/// Pinned releases with advisories in the 2024-10 PyPA snapshot.
const REQUIREMENTS: &[(&str, &str)] = &[
    ("urllib3", "1.24.1"),
    ("jinja2", "2.10"),
    ("requests", "2.19.1"),
    ("django", "2.2"),
    ("pyyaml", "5.3"),
    ("flask", "0.12.2"),
    ("pillow", "6.2.0"),
    ("lxml", "4.6.2"),
    // Not affected by anything: must be absent from both.
    ("idna", "3.10"),
];

/// PEP 503: lower case, runs of `-_.` as one `-`.
fn canonical(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The folder holding pip-audit and PyYAML (`.ci/run` installs them there), or `None`.
fn pip_audit_path() -> Option<PathBuf> {
    let dir = std::env::var_os("STRATA_PIP_AUDIT_PATH").map(PathBuf::from);
    match dir {
        Some(d) if d.join("pip_audit").is_dir() && d.join("yaml").is_dir() => Some(d),
        _ => {
            strata_testkit::skip_or_fail(
                "pip-audit is not available: set STRATA_PIP_AUDIT_PATH to a pip --target folder \
                 with pip-audit==2.7.3 and pyyaml (.ci/run does)",
            );
            None
        }
    }
}

#[test]
fn python_findings_match_pip_audit() {
    let Some(pip_audit) = pip_audit_path() else {
        return;
    };
    let Some(data) = strata_testkit::data_dir() else {
        return;
    };
    let t = TempDir::new("peer-pip-audit").unwrap();
    let archive = data.join("vulndb/pypa-advisory-database.tar.zst");

    // The same records for both: strata imports the archive, the endpoint reads it unpacked.
    let records = t.path().join("pypa");
    std::fs::create_dir_all(&records).unwrap();
    let status = Command::new("tar")
        .arg("--zstd")
        .arg("-xf")
        .arg(&archive)
        .arg("-C")
        .arg(&records)
        .status()
        .unwrap();
    assert!(status.success());
    let db = t.path().join("db");
    let run = strata(&["db", "import", "--db", s(&db), s(&archive)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);

    // The same packages for both: installed metadata for strata, pins for pip-audit.
    let root = t.path().join("root");
    let mut requirements = String::new();
    for (name, version) in REQUIREMENTS {
        let info = root.join(format!(
            "usr/lib/python3/dist-packages/{name}-{version}.dist-info"
        ));
        std::fs::create_dir_all(&info).unwrap();
        std::fs::write(
            info.join("METADATA"),
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
        )
        .unwrap();
        requirements.push_str(&format!("{name}=={version}\n"));
    }
    let req_file = t.path().join("requirements.txt");
    std::fs::write(&req_file, requirements).unwrap();

    let run = strata(&[
        "scan",
        &format!("dir:{}", s(&root)),
        "--db",
        s(&db),
        "--format",
        "json",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let mut strata_pairs = BTreeSet::new();
    // Per finding: its advisories and its fixed versions.
    let mut strata_fixes: Vec<(Vec<Pair>, Vec<String>)> = Vec::new();
    for f in report["findings"].as_array().unwrap() {
        let name = canonical(f["package"]["name"].as_str().unwrap());
        let fixed: Vec<String> = f["fixed_versions"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let mut keys = Vec::new();
        for a in f["advisories"].as_array().unwrap() {
            let key = (name.clone(), a.as_str().unwrap().to_owned());
            strata_pairs.insert(key.clone());
            keys.push(key);
        }
        strata_fixes.push((keys, fixed));
    }

    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cli/peers/pip_audit_local.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(&records)
        .arg(&req_file)
        .arg(t.path().join("pip-audit-cache"))
        .env("PYTHONPATH", &pip_audit)
        .output()
        .unwrap();
    // pip-audit exits 1 when it found vulnerabilities.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "pip-audit failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let audit: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut peer_pairs = BTreeSet::new();
    let mut peer_fixes: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for d in audit["dependencies"].as_array().unwrap() {
        let name = canonical(d["name"].as_str().unwrap());
        for v in d["vulns"].as_array().into_iter().flatten() {
            let key = (name.clone(), v["id"].as_str().unwrap().to_owned());
            let fixes = v["fix_versions"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            peer_fixes.insert(key.clone(), fixes);
            peer_pairs.insert(key);
        }
    }

    assert!(
        peer_pairs.len() > 50,
        "the peer found too little: {peer_pairs:?}"
    );
    let only_strata: Vec<_> = strata_pairs.difference(&peer_pairs).collect();
    let only_peer: Vec<_> = peer_pairs.difference(&strata_pairs).collect();
    assert!(
        only_strata.is_empty() && only_peer.is_empty(),
        "strata only: {only_strata:?}\npip-audit only: {only_peer:?}"
    );
    assert!(!strata_pairs.iter().any(|(n, _)| n == "idna"));
    // strata's fix is the one of the interval holding the version: one of the fixes
    // pip-audit lists for the finding's advisories.
    for (keys, fixes) in &strata_fixes {
        let peer: BTreeSet<&String> = keys.iter().flat_map(|k| &peer_fixes[k]).collect();
        for f in fixes {
            assert!(
                peer.contains(f),
                "{keys:?}: strata's fix {f} is not among pip-audit's {peer:?}"
            );
        }
    }
}
