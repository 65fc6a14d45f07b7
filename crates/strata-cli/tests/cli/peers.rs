//! strata's findings against peers on the same input, offline.
//!
//! Python: pip-audit 2.7.3, querying a local OSV endpoint (peers/pip_audit_local.py) that
//! answers from the same PyPA records strata imported and decides "affected" with
//! `packaging`, not with strata's code. They must agree on every (package, advisory) pair.
//! Known, explained difference, checked loosely: pip-audit lists every `fixed` event of an
//! advisory's first range as a fix, strata only the fix of the interval holding the
//! installed version, so strata's fixed versions must be among pip-audit's.
//!
//! Rust: cargo-audit 0.22.2 (`STRATA_CARGO_AUDIT`), `--db DIR --no-fetch --stale --no-yanked`,
//! on a Cargo.lock. The shared data holds RustSec only as OSV JSON, so the test writes the
//! same records back into the advisory-db layout cargo-audit reads
//! (`crates/<crate>/<ID>.md`, a TOML front matter and a Markdown title and description):
//! each OSV range's events, in order, become the exact complement of the affected
//! intervals, `unaffected = ["< FIRST_INTRODUCED"]` and per closing event `patched =
//! [">= FIXED, < NEXT_INTRODUCED"]` (`"> LAST_AFFECTED, ..."`), the last one open. (One
//! `">= FIXED"` per fix would be wrong for advisories with several intervals: tokio's
//! RUSTSEC-2021-0072 affects 1.8.0 although 1.5.1, 1.6.3 and 1.7.2 are fixes; rustsec
//! rejects such files as overlapping ranges.) Withdrawn records are written with their
//! `withdrawn` date and cargo-audit leaves them out itself, as strata does. Matching is
//! then each tool's own: cargo-audit with the `semver` crate and rustsec's ranges, strata
//! with strata-version.
//!
//! They must agree on every (crate, version, RUSTSEC id) pair, on the pinned crates below
//! and on every crate of the snapshot pinned at each range boundary (the event's version,
//! the patch releases either side, the release and a pre-release of it). One difference
//! of presentation, asserted explicitly: cargo-audit lists informational advisories
//! (`informational = "unmaintained" | "unsound" | "notice"`, OSV's
//! `affected[].database_specific.informational`) under `warnings`, not `vulnerabilities`;
//! strata has no separate class and reports them as findings like any other advisory
//! (its severity then comes from the record's CVSS vector, else `unknown`). So strata's
//! pairs must equal cargo-audit's vulnerabilities plus its informational warnings, and the
//! warnings must be exactly the pairs whose record is informational. One difference in
//! what is matched, asserted pair by pair: cargo-audit checks only packages whose `source`
//! is crates.io; strata does not keep a Cargo.lock package's source and matches git and
//! path packages (a `[patch.crates-io]` fork, a vendored copy, a workspace crate) by name
//! and version like crates.io releases. That is a strata limitation (a fork may carry the
//! fix), left for a change to the Cargo.lock detector and the matcher. Not compared: fixed
//! versions (cargo-audit only echoes the `patched` requirements this test wrote) and
//! yanked crates (that needs the crates.io index; `--no-yanked`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
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

/// (crate, version, advisory id).
type CratePair = (String, String, String);

/// Pinned crates with RustSec advisories in the snapshot, chosen for their ranges: several
/// intervals (tokio, smallvec, hyper, h2, rustls), pre-release bounds (crossbeam-channel
/// from `0.5.12-0`, serde_yaml from `0.6.0-rc1`, h2 from `0.4.0-0`), an empty interval
/// (rustls `0.23.0..0.23.0`), informational ones (failure, ring, unsound ones of tokio,
/// smallvec, hyper, openssl), a withdrawn one (ring's RUSTSEC-2025-0007), two versions of
/// one crate (time).
const CRATES: &[(&str, &str)] = &[
    ("smallvec", "0.6.9"),
    ("hyper", "0.12.35"),
    ("regex", "1.5.4"),
    ("time", "0.1.45"),
    ("time", "0.3.20"),
    ("chrono", "0.4.19"),
    ("tokio", "1.8.0"),
    ("openssl", "0.10.38"),
    ("crossbeam-channel", "0.5.12"),
    ("h2", "0.4.1"),
    ("failure", "0.1.8"),
    ("ring", "0.16.20"),
    ("serde_yaml", "0.7.5"),
    ("rustls", "0.23.0"),
    // Not affected by anything (RUSTSEC-2024-0421 is fixed in 1.0.0): absent from both.
    ("idna", "1.0.3"),
];

/// Packages that do not come from crates.io, next to the pinned ones: a git dependency (a
/// fork, as `[patch.crates-io]` makes them) and a path dependency (a vendored copy).
/// cargo-audit checks only crates.io packages; strata matches them by name and version.
const NOT_FROM_CRATES_IO: &[(&str, &str, Option<&str>)] = &[
    (
        "smallvec",
        "1.6.0",
        Some(
            "git+https://github.com/example/rust-smallvec?branch=fix\
             #0123456789abcdef0123456789abcdef01234567",
        ),
    ),
    ("tar", "0.4.30", None),
];

/// The cargo-audit binary (`.ci/run` installs cargo-audit 0.22.2 and sets
/// `STRATA_CARGO_AUDIT`), or `None`.
fn cargo_audit_path() -> Option<PathBuf> {
    match std::env::var_os("STRATA_CARGO_AUDIT").map(PathBuf::from) {
        Some(p) if p.is_file() => Some(p),
        _ => {
            strata_testkit::skip_or_fail(
                "cargo-audit is not available: set STRATA_CARGO_AUDIT to a cargo-audit 0.22.2 \
                 binary (.ci/run installs it with cargo install --locked --root)",
            );
            None
        }
    }
}

/// A TOML basic string: JSON's escapes are valid TOML ones.
fn toml_str(s: &str) -> String {
    Value::from(s).to_string()
}

fn toml_array(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|i| toml_str(i)).collect();
    format!("[{}]", items.join(", "))
}

/// `[versions]` of an advisory from one OSV range's events, which must alternate
/// `introduced` and a closing event (`fixed`, `last_affected`) in version order, as
/// RustSec's export writes them: the exact complement of the affected intervals, as
/// (`patched`, `unaffected`).
fn rustsec_versions(events: &[Value]) -> (Vec<String>, Vec<String>) {
    let event = |e: &Value| -> (String, String) {
        let (k, v) = e.as_object().unwrap().iter().next().unwrap();
        (k.clone(), v.as_str().unwrap().to_owned())
    };
    let events: Vec<(String, String)> = events.iter().map(event).collect();
    let mut unaffected = Vec::new();
    let mut patched = Vec::new();
    for (i, (kind, version)) in events.iter().enumerate() {
        let expected_introduced = i % 2 == 0;
        assert_eq!(
            kind == "introduced",
            expected_introduced,
            "unexpected event order: {events:?}"
        );
        if i == 0 && version != "0" && version != "0.0.0-0" {
            unaffected.push(format!("< {version}"));
        }
        if !expected_introduced {
            let lower = match kind.as_str() {
                "fixed" => format!(">= {version}"),
                "last_affected" => format!("> {version}"),
                other => panic!("unexpected event {other}: {events:?}"),
            };
            patched.push(match events.get(i + 1) {
                Some((_, next)) => format!("{lower}, < {next}"),
                None => lower,
            });
        }
    }
    (patched, unaffected)
}

/// Writes the RustSec OSV records in `osv_dir` as an advisory-db folder at `out`
/// (`crates/<crate>/<ID>.md`). Returns (written, informational ids, withdrawn ids).
fn write_advisory_db(osv_dir: &Path, out: &Path) -> (usize, BTreeSet<String>, BTreeSet<String>) {
    let mut written = 0;
    let mut informational = BTreeSet::new();
    let mut withdrawn = BTreeSet::new();
    for entry in std::fs::read_dir(osv_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let rec: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let id = rec["id"].as_str().unwrap();
        let affected = rec["affected"].as_array().unwrap();
        // RustSec advisories name one crate; the export writes one SEMVER range.
        assert_eq!(affected.len(), 1, "{id}");
        let a = &affected[0];
        assert_eq!(a["package"]["ecosystem"], "crates.io", "{id}");
        let name = a["package"]["name"].as_str().unwrap();
        let ranges = a["ranges"].as_array().unwrap();
        assert!(
            ranges.len() == 1 && ranges[0]["type"] == "SEMVER",
            "{id}: {ranges:?}"
        );
        let (patched, unaffected) = rustsec_versions(ranges[0]["events"].as_array().unwrap());
        let aliases: Vec<String> = rec["aliases"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        let date = |key: &str| rec[key].as_str().map(|d| d[..10].to_owned());
        let mut toml = format!(
            "[advisory]\nid = {}\npackage = {}\ndate = {}\nurl = {}\naliases = {}\n",
            toml_str(id),
            toml_str(name),
            toml_str(&date("published").unwrap()),
            toml_str(&format!("https://rustsec.org/advisories/{id}.html")),
            toml_array(&aliases),
        );
        if let Some(kind) = a["database_specific"]["informational"].as_str() {
            toml.push_str(&format!("informational = {}\n", toml_str(kind)));
            informational.insert(id.to_owned());
        }
        if let Some(d) = date("withdrawn") {
            toml.push_str(&format!("withdrawn = {}\n", toml_str(&d)));
            withdrawn.insert(id.to_owned());
        }
        toml.push_str(&format!(
            "\n[versions]\npatched = {}\nunaffected = {}\n",
            toml_array(&patched),
            toml_array(&unaffected)
        ));
        let title = rec["summary"]
            .as_str()
            .filter(|t| !t.is_empty())
            .unwrap_or(id);
        let details = rec["details"].as_str().unwrap_or("");
        let dir = out.join("crates").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(format!("{id}.md")),
            format!("```toml\n{toml}```\n\n# {title}\n\n{details}\n"),
        )
        .unwrap();
        written += 1;
    }
    (written, informational, withdrawn)
}

/// A Cargo.lock (format 3) pinning `crates` from crates.io and `others` (name, version,
/// `source`: git, or none for a path) under a root package `app`. cargo-audit does not
/// verify checksums; each gets a distinct one.
fn cargo_lock(crates: &[(String, String)], others: &[(&str, &str, Option<&str>)]) -> String {
    let mut lock = String::from(
        "# written by strata's peers test\nversion = 3\n\n[[package]]\nname = \"app\"\n\
         version = \"0.1.0\"\ndependencies = [\n",
    );
    let all = crates
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .chain(others.iter().map(|(n, v, _)| (*n, *v)));
    for (name, version) in all {
        lock.push_str(&format!(" \"{name} {version}\",\n"));
    }
    lock.push_str("]\n");
    for (name, version, source) in others {
        lock.push_str(&format!(
            "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n"
        ));
        if let Some(source) = source {
            lock.push_str(&format!("source = \"{source}\"\n"));
        }
    }
    for (i, (name, version)) in crates.iter().enumerate() {
        lock.push_str(&format!(
            "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \
             \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{:064x}\"\n",
            i + 1
        ));
    }
    lock
}

/// What cargo-audit reported: vulnerabilities, and informational warnings by kind.
struct AuditFindings {
    vulnerabilities: BTreeSet<CratePair>,
    warnings: BTreeMap<String, BTreeSet<CratePair>>,
}

/// Both tools on the same Cargo.lock and the same records: strata's pairs and cargo-audit's.
struct RustPeers {
    strata: BTreeSet<CratePair>,
    /// strata's severity per pair.
    severity: BTreeMap<CratePair, String>,
    audit: AuditFindings,
    informational: BTreeSet<String>,
    withdrawn: BTreeSet<String>,
}

fn run_rust_peers(
    crates: &[(String, String)],
    others: &[(&str, &str, Option<&str>)],
    tag: &str,
) -> Option<RustPeers> {
    let cargo_audit = cargo_audit_path()?;
    let data = strata_testkit::data_dir()?;
    let t = TempDir::new(tag).unwrap();
    let archive = data.join("vulndb/rustsec-advisory-db-osv.tar.zst");

    // The same records for both: strata imports the archive, cargo-audit reads them
    // rewritten as an advisory-db folder.
    let osv = t.path().join("osv");
    std::fs::create_dir_all(&osv).unwrap();
    let status = Command::new("tar")
        .arg("--zstd")
        .arg("-xf")
        .arg(&archive)
        .arg("-C")
        .arg(&osv)
        .status()
        .unwrap();
    assert!(status.success());
    let advisory_db = t.path().join("advisory-db");
    let (written, informational, withdrawn) = write_advisory_db(&osv.join("crates"), &advisory_db);
    assert!(written > 1000, "only {written} records");
    let db = t.path().join("db");
    let run = strata(&["db", "import", "--db", s(&db), s(&archive)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);

    let root = t.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    let lock = root.join("Cargo.lock");
    std::fs::write(&lock, cargo_lock(crates, others)).unwrap();

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
    let mut severity = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        let p = &f["package"];
        assert_eq!(p["type"], "cargo", "{f}");
        let (name, version) = (p["name"].as_str().unwrap(), p["version"].as_str().unwrap());
        for a in f["advisories"].as_array().unwrap() {
            let id = a.as_str().unwrap();
            assert!(id.starts_with("RUSTSEC-"), "{f}");
            let key = (name.to_owned(), version.to_owned(), id.to_owned());
            severity.insert(key.clone(), f["severity"].as_str().unwrap().to_owned());
            strata_pairs.insert(key);
        }
    }

    // Hermetic: an empty CARGO_HOME (no ~/.cargo/audit.toml, no index).
    let cargo_home = t.path().join("cargo-home");
    std::fs::create_dir_all(&cargo_home).unwrap();
    let out = Command::new(&cargo_audit)
        .args(["audit", "--db"])
        .arg(&advisory_db)
        .args(["--no-fetch", "--stale", "--no-yanked", "--json", "-f"])
        .arg(&lock)
        .env("CARGO_HOME", &cargo_home)
        .env_remove("CARGO_TERM_COLOR")
        .output()
        .unwrap();
    // cargo-audit exits 1 when it found vulnerabilities.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "cargo-audit failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let audit: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "cargo-audit's output is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    // It read every advisory written (withdrawn ones included).
    assert_eq!(
        audit["database"]["advisory-count"].as_u64(),
        Some(written as u64),
        "{}",
        audit["database"]
    );
    let pair = |x: &Value| -> CratePair {
        (
            x["package"]["name"].as_str().unwrap().to_owned(),
            x["package"]["version"].as_str().unwrap().to_owned(),
            x["advisory"]["id"].as_str().unwrap().to_owned(),
        )
    };
    let vulnerabilities = audit["vulnerabilities"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(pair)
        .collect();
    let mut warnings = BTreeMap::new();
    for (kind, list) in audit["warnings"].as_object().unwrap() {
        let set: BTreeSet<CratePair> = list.as_array().unwrap().iter().map(pair).collect();
        warnings.insert(kind.clone(), set);
    }
    Some(RustPeers {
        strata: strata_pairs,
        severity,
        audit: AuditFindings {
            vulnerabilities,
            warnings,
        },
        informational,
        withdrawn,
    })
}

impl RustPeers {
    /// The comparison both Rust tests make; see the file's header. `strata_only`: the
    /// pairs of packages that cargo-audit does not check (not from crates.io).
    fn assert_agree(&self, strata_only: &BTreeSet<CratePair>) {
        let vulns = &self.audit.vulnerabilities;
        let mut informational_warnings = BTreeSet::new();
        for (kind, set) in &self.audit.warnings {
            assert!(
                matches!(kind.as_str(), "unmaintained" | "unsound" | "notice"),
                "unexpected cargo-audit warning kind {kind}: {set:?}"
            );
            informational_warnings.extend(set.iter().cloned());
        }
        // Informational advisories are warnings, never vulnerabilities, and the other way
        // round: cargo-audit's split is the records' `informational` field.
        for p in vulns {
            assert!(!self.informational.contains(&p.2), "{p:?} is informational");
        }
        for p in &informational_warnings {
            assert!(
                self.informational.contains(&p.2),
                "{p:?} is not informational"
            );
        }
        // strata reports both as findings.
        let peer: BTreeSet<CratePair> = vulns.union(&informational_warnings).cloned().collect();
        let only_strata: BTreeSet<CratePair> = self.strata.difference(&peer).cloned().collect();
        let only_peer: Vec<_> = peer.difference(&self.strata).collect();
        assert!(
            &only_strata == strata_only && only_peer.is_empty(),
            "strata only: {only_strata:?}\ncargo-audit only: {only_peer:?}"
        );
        eprintln!(
            "strata and cargo-audit agree on {} pairs: {} vulnerabilities, {} informational",
            peer.len(),
            vulns.len(),
            informational_warnings.len()
        );
        // Withdrawn records match in neither.
        assert!(
            !self.strata.iter().any(|p| self.withdrawn.contains(&p.2)),
            "a withdrawn advisory matched"
        );
    }
}

fn owned(crates: &[(&str, &str)]) -> Vec<(String, String)> {
    crates
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn rust_findings_match_cargo_audit() {
    let Some(peers) = run_rust_peers(&owned(CRATES), NOT_FROM_CRATES_IO, "peer-cargo-audit") else {
        return;
    };
    let pair = |n: &str, v: &str, id: &str| (n.to_owned(), v.to_owned(), id.to_owned());
    // The one difference in what is matched: strata does not keep a Cargo.lock package's
    // `source`, so a git fork or a vendored path copy is matched like the crates.io release
    // of the same name and version; cargo-audit skips them.
    let strata_only: BTreeSet<CratePair> = [
        pair("smallvec", "1.6.0", "RUSTSEC-2021-0003"),
        pair("tar", "0.4.30", "RUSTSEC-2021-0080"),
        pair("tar", "0.4.30", "RUSTSEC-2026-0067"),
        pair("tar", "0.4.30", "RUSTSEC-2026-0068"),
    ]
    .into_iter()
    .collect();
    peers.assert_agree(&strata_only);
    let vulns = &peers.audit.vulnerabilities;
    assert_eq!(vulns.len(), 26, "{vulns:#?}");
    // Every pinned crate but idna has something, and idna nothing.
    for (name, version) in CRATES {
        let hit = peers.strata.iter().any(|p| p.0 == *name && p.1 == *version);
        assert_eq!(hit, *name != "idna", "{name} {version}");
    }
    // A few by hand, from the records' ranges: the third interval of a multi-interval
    // range; pre-release lower bounds; the non-empty interval next to an empty one.
    for p in [
        pair("tokio", "1.8.0", "RUSTSEC-2021-0072"),
        pair("crossbeam-channel", "0.5.12", "RUSTSEC-2025-0024"),
        pair("serde_yaml", "0.7.5", "RUSTSEC-2018-0005"),
        pair("h2", "0.4.1", "RUSTSEC-2024-0332"),
        pair("rustls", "0.23.0", "RUSTSEC-2024-0336"),
        pair("time", "0.1.45", "RUSTSEC-2020-0071"),
        pair("time", "0.3.20", "RUSTSEC-2026-0009"),
    ] {
        assert!(vulns.contains(&p), "{p:?}");
    }
    for p in [
        pair("rustls", "0.23.0", "RUSTSEC-2024-0399"),
        pair("hyper", "0.12.35", "RUSTSEC-2020-0008"),
        pair("smallvec", "0.6.9", "RUSTSEC-2018-0003"),
    ] {
        assert!(!peers.strata.contains(&p), "{p:?}");
    }
    // The informational ones: cargo-audit's warnings, strata's findings.
    let unmaintained = [
        pair("failure", "0.1.8", "RUSTSEC-2020-0036"),
        pair("ring", "0.16.20", "RUSTSEC-2025-0010"),
    ];
    let unsound = [
        pair("failure", "0.1.8", "RUSTSEC-2019-0036"),
        pair("hyper", "0.12.35", "RUSTSEC-2022-0022"),
        pair("openssl", "0.10.38", "RUSTSEC-2023-0072"),
        pair("smallvec", "0.6.9", "RUSTSEC-2018-0018"),
        pair("tokio", "1.8.0", "RUSTSEC-2023-0005"),
        pair("tokio", "1.8.0", "RUSTSEC-2025-0023"),
    ];
    let warnings = &peers.audit.warnings;
    assert_eq!(
        warnings.get("unmaintained"),
        Some(&unmaintained.iter().cloned().collect())
    );
    assert_eq!(
        warnings.get("unsound"),
        Some(&unsound.iter().cloned().collect())
    );
    for p in unmaintained.iter().chain(&unsound) {
        assert!(peers.strata.contains(p), "{p:?}");
    }
    // Rated like any finding: from a CVSS vector when the record has one (failure's
    // advisories carry a 9.8 vector, and RustSec aliases both to the same CVEs, so strata
    // shows them as one finding), else `unknown`, never low.
    assert_eq!(
        peers.severity[&pair("failure", "0.1.8", "RUSTSEC-2020-0036")],
        "critical"
    );
    assert_eq!(
        peers.severity[&pair("ring", "0.16.20", "RUSTSEC-2025-0010")],
        "unknown"
    );
    // ring's RUSTSEC-2025-0007 (unmaintained) was withdrawn: in neither.
    assert!(peers.withdrawn.contains("RUSTSEC-2025-0007"));
    assert!(!peers.strata.iter().any(|p| p.2 == "RUSTSEC-2025-0007"));
    assert_eq!(peers.strata.len(), 34 + strata_only.len());
}

/// The versions around one range event: the event's own version, the release it is a
/// pre-release of (or a pre-release of it), and the patch releases either side.
fn versions_around(version: &str) -> Vec<String> {
    let version = if version == "0" { "0.0.0" } else { version };
    let release = version.split(['-', '+']).next().unwrap();
    let parts: Vec<u64> = release.split('.').map(|p| p.parse().unwrap()).collect();
    assert_eq!(parts.len(), 3, "{version}");
    let (major, minor, patch) = (parts[0], parts[1], parts[2]);
    let mut out = vec![
        version.to_owned(),
        release.to_owned(),
        format!("{release}-alpha.1"),
        format!("{major}.{minor}.{}", patch + 1),
    ];
    if patch > 0 {
        out.push(format!("{major}.{minor}.{}", patch - 1));
    }
    out
}

#[test]
fn rust_findings_match_cargo_audit_at_every_range_boundary() {
    // Every crate of the snapshot, pinned at and around each of its range events.
    let Some(data) = strata_testkit::data_dir() else {
        return;
    };
    if cargo_audit_path().is_none() {
        return;
    }
    let t = TempDir::new("peer-cargo-audit-sweep").unwrap();
    let status = Command::new("tar")
        .arg("--zstd")
        .arg("-xf")
        .arg(data.join("vulndb/rustsec-advisory-db-osv.tar.zst"))
        .arg("-C")
        .arg(t.path())
        .status()
        .unwrap();
    assert!(status.success());
    let mut crates = BTreeSet::new();
    for entry in std::fs::read_dir(t.path().join("crates")).unwrap() {
        let rec: Value =
            serde_json::from_slice(&std::fs::read(entry.unwrap().path()).unwrap()).unwrap();
        for a in rec["affected"].as_array().unwrap() {
            let name = a["package"]["name"].as_str().unwrap();
            for r in a["ranges"].as_array().unwrap() {
                for e in r["events"].as_array().unwrap() {
                    let v = e.as_object().unwrap().values().next().unwrap();
                    for version in versions_around(v.as_str().unwrap()) {
                        crates.insert((name.to_owned(), version));
                    }
                }
            }
        }
    }
    let crates: Vec<(String, String)> = crates.into_iter().collect();
    assert!(crates.len() > 5000, "{}", crates.len());
    eprintln!("{} crate versions pinned", crates.len());
    let Some(peers) = run_rust_peers(&crates, &[], "peer-cargo-audit-all") else {
        return;
    };
    peers.assert_agree(&BTreeSet::new());
    // Enough to mean something, on both sides of the informational split, all kinds.
    assert!(peers.audit.vulnerabilities.len() > 5000);
    for kind in ["unmaintained", "unsound", "notice"] {
        assert!(
            peers
                .audit
                .warnings
                .get(kind)
                .is_some_and(|w| !w.is_empty()),
            "no {kind} warning"
        );
    }
}

#[test]
fn rustsec_versions_are_the_complement_of_the_osv_intervals() {
    let events = |json: &str| -> Vec<Value> { serde_json::from_str(json).unwrap() };
    // Modelled on tokio's RUSTSEC-2021-0072, with a `last_affected` end.
    let (patched, unaffected) = rustsec_versions(&events(
        r#"[{"introduced":"0.3.0"},{"fixed":"1.5.1"},{"introduced":"1.6.0"},{"fixed":"1.6.3"},
            {"introduced":"1.8.0"},{"last_affected":"1.8.0"}]"#,
    ));
    assert_eq!(
        patched,
        [">= 1.5.1, < 1.6.0", ">= 1.6.3, < 1.8.0", "> 1.8.0"]
    );
    assert_eq!(unaffected, ["< 0.3.0"]);
    // From the beginning, no fix.
    let (patched, unaffected) = rustsec_versions(&events(r#"[{"introduced":"0.0.0-0"}]"#));
    assert!(patched.is_empty() && unaffected.is_empty());
}
