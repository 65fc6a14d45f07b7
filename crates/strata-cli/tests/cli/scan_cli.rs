//! `strata db` and `strata scan` as users run them: a database imported from the real
//! data in ../shared/data, the Debian minbase image scanned end to end against the
//! expected findings derived from Debian's changelogs, exit codes of the gate, and
//! `sbom:FILE` rescans that find what the image scan found.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use strata_testkit::cache::TempDir;
use strata_testkit::images;
use strata_testkit::serde_json::{self, Value};

use crate::support::*;

/// A database with the Debian 12 records derived from changelogs and the PyPA advisories.
fn database(t: &TempDir) -> Option<PathBuf> {
    let data = strata_testkit::data_dir()?;
    let debian = data.join("vulndb/distro/debian12-derived/debian12-derived-osv.tar.zst");
    let pypa = data.join("vulndb/pypa-advisory-database.tar.zst");
    let db = t.path().join("db");
    let run = strata(&["db", "import", "--db", s(&db), s(&debian), s(&pypa)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("Debian:12"), "{}", run.stdout);
    Some(db)
}

fn scan_json(target: &str, db: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "scan",
        target,
        "--db",
        s(db),
        "--format",
        "json",
        "--no-cache",
    ];
    args.extend_from_slice(extra);
    let run = strata(&args);
    assert_eq!(run.code, Some(0), "{args:?}: {}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

/// (binary package, installed version, CVE, fixed version) of every finding.
fn rows(report: &Value) -> BTreeSet<(String, String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let mut fixed: Vec<&str> = f["fixed_versions"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            fixed.sort_unstable();
            (
                f["package"]["name"].as_str().unwrap().to_owned(),
                f["installed_version"].as_str().unwrap().to_owned(),
                f["id"].as_str().unwrap().to_owned(),
                fixed.join(","),
            )
        })
        .collect()
}

#[test]
fn missing_database_is_an_error_with_a_hint() {
    let t = TempDir::new("scan-nodb").unwrap();
    let run = strata(&[
        "scan",
        "dir:/nonexistent",
        "--db",
        s(&t.path().join("none")),
    ]);
    assert_error("no database", &run);
    assert!(run.stderr.contains("strata db import"), "{}", run.stderr);
}

#[test]
fn minbase_image_findings_match_the_expected_list() {
    let Some(img) = images::minbase() else { return };
    let t = TempDir::new("scan-minbase").unwrap();
    let Some(db) = database(&t) else { return };
    let expected_file = strata_testkit::data_dir()
        .unwrap()
        .join("vulndb/distro/debian12-derived/expected-minbase-main.tsv");
    let text = std::fs::read_to_string(expected_file).unwrap();
    let want: BTreeSet<(String, String, String, String)> = text
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (
                c[0].to_owned(),
                c[2].to_owned(),
                c[3].to_owned(),
                c[4].to_owned(),
            )
        })
        .collect();
    assert_eq!(want.len(), 66);
    let report = scan_json(s(&img.archive), &db, &[]);
    assert_eq!(report["schema_version"], strata_types::SCAN_SCHEMA_VERSION);
    let got = rows(&report);
    assert_eq!(got, want, "findings differ from expected-minbase-main.tsv");
    for f in report["findings"].as_array().unwrap() {
        assert_eq!(f["fix_state"], "fixed", "{f}");
    }

    // The same image rescanned from its SBOMs, without the image.
    for format in ["cyclonedx", "spdx-json", "json"] {
        let bom = t.path().join(format!("bom.{format}"));
        let run = strata(&[
            "sbom",
            s(&img.archive),
            "--format",
            format,
            "--no-cache",
            "-o",
            s(&bom),
        ]);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        if format == "json" {
            // strata's own JSON is not an interchange format: refused with a clear error.
            let run = strata(&["scan", &format!("sbom:{}", s(&bom)), "--db", s(&db)]);
            assert_error("sbom:strata json", &run);
            assert!(run.stderr.contains("CycloneDX or SPDX"), "{}", run.stderr);
            continue;
        }
        let rescan = scan_json(&format!("sbom:{}", s(&bom)), &db, &[]);
        assert_eq!(rows(&rescan), want, "sbom:{format}");
        assert_eq!(rescan["sbom"]["target"]["kind"], "sbom");
    }
}

#[test]
fn gate_exit_codes_and_filters() {
    let t = TempDir::new("scan-gate").unwrap();
    let Some(db) = database(&t) else { return };
    let root = t.path().join("root");
    for (name, version) in [
        ("urllib3", "1.24.1"),
        ("Jinja2", "2.10"),
        ("requests", "2.32.3"),
    ] {
        let info = root.join(format!(
            "usr/lib/python3/dist-packages/{name}-{version}.dist-info"
        ));
        std::fs::create_dir_all(&info).unwrap();
        std::fs::write(
            info.join("METADATA"),
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
        )
        .unwrap();
    }
    let target = format!("dir:{}", s(&root));
    let all = scan_json(&target, &db, &[]);
    let findings = all["findings"].as_array().unwrap();
    let packages: BTreeSet<&str> = findings
        .iter()
        .map(|f| f["package"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        packages,
        BTreeSet::from(["Jinja2", "urllib3"]),
        "requests 2.32.3 is not affected"
    );
    let ids: BTreeSet<&str> = findings.iter().map(|f| f["id"].as_str().unwrap()).collect();
    for id in ["CVE-2019-11324", "CVE-2019-10906"] {
        assert!(ids.contains(id), "{id} missing from {ids:?}");
    }
    let severities: BTreeSet<&str> = findings
        .iter()
        .map(|f| f["severity"].as_str().unwrap())
        .collect();

    // --fail-on: exit 1 when a finding is at or above; --exit-code changes it.
    let run = strata(&["scan", &target, "--db", s(&db), "--fail-on", "unknown"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let run = strata(&[
        "scan",
        &target,
        "--db",
        s(&db),
        "--fail-on",
        "unknown",
        "--exit-code",
        "7",
    ]);
    assert_eq!(run.code, Some(7), "{}", run.stderr);
    // --severity keeps only the named severities; a gate on what is left out passes.
    let only = severities.iter().next().copied().unwrap();
    let kept = scan_json(&target, &db, &["--severity", only]);
    assert!(
        kept["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == only)
    );
    let run = strata(&[
        "scan",
        &target,
        "--db",
        s(&db),
        "--fail-on",
        "critical",
        "--severity",
        "low",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    // Bad values are errors (2), not a passed gate.
    let run = strata(&["scan", &target, "--db", s(&db), "--fail-on", "severe"]);
    assert_error("bad --fail-on", &run);
    let run = strata(&["scan", &target, "--db", s(&db), "--format", "yaml"]);
    assert_error("bad --format", &run);

    // db status names the sources and counts.
    let run = strata(&["db", "status", "--db", s(&db), "--format", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let status: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(status.to_string().contains("PyPI"), "{status}");
}

/// `--ignore-unfixed` (and `STRATA_IGNORE_UNFIXED=1`, a yes/no variable) hides exactly the
/// findings without a fixed version; packages of a distribution no advisory source covers
/// are named in a warning instead of passing for clean.
#[test]
fn ignore_unfixed_and_unsupported_distributions() {
    let t = TempDir::new("scan-unfixed").unwrap();
    let records = t.path().join("records");
    std::fs::create_dir_all(&records).unwrap();
    let record = |id: &str, events: &str| {
        let cve = id.replace("PYSEC-2099-", "CVE-2099-000");
        format!(
            r#"{{"schema_version":"1.6.0","id":"{id}","aliases":["{cve}"],"modified":"2026-01-01T00:00:00Z","published":"2026-01-01T00:00:00Z","summary":"test","affected":[{{"package":{{"ecosystem":"PyPI","name":"strata-demo"}},"ranges":[{{"type":"ECOSYSTEM","events":[{events}]}}]}}]}}"#
        )
    };
    std::fs::write(
        records.join("fixed.json"),
        record("PYSEC-2099-1", r#"{"introduced":"0"},{"fixed":"2.0"}"#),
    )
    .unwrap();
    std::fs::write(
        records.join("unfixed.json"),
        record("PYSEC-2099-2", r#"{"introduced":"0"}"#),
    )
    .unwrap();
    let db = t.path().join("db");
    let run = strata(&["db", "import", "--db", s(&db), s(&records)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);

    let root = t.path().join("root");
    let info = root.join("usr/lib/python3/dist-packages/strata_demo-1.0.dist-info");
    std::fs::create_dir_all(&info).unwrap();
    std::fs::write(
        info.join("METADATA"),
        "Metadata-Version: 2.1\nName: strata-demo\nVersion: 1.0\n",
    )
    .unwrap();
    // A dpkg-based distribution without an advisory source of its own.
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=devuan\nVERSION_ID=5\nPRETTY_NAME=\"Devuan GNU/Linux 5 (daedalus)\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::write(
        root.join("var/lib/dpkg/status"),
        "Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4+deb12u5devuan1\n\n",
    )
    .unwrap();
    let target = format!("dir:{}", s(&root));
    let states = |report: &Value| -> Vec<(String, String)> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap().to_owned(),
                    f["fix_state"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let all = scan_json(&target, &db, &[]);
    assert_eq!(
        states(&all),
        [
            ("CVE-2099-0001".to_owned(), "fixed".to_owned()),
            ("CVE-2099-0002".to_owned(), "not-fixed".to_owned())
        ]
    );
    // Known exploited: a KEV finding that fails the gate is reported whatever --severity
    // and --ignore-unfixed would hide, and fails it.
    let kev = t.path().join("kev.json");
    std::fs::write(
        &kev,
        r#"{"catalogVersion": "2026.01.01", "dateReleased": "2026-01-01T00:00:00.000Z", "count": 1,
            "vulnerabilities": [{"cveID": "CVE-2099-0002", "vendorProject": "demo", "product": "demo",
            "vulnerabilityName": "demo", "dateAdded": "2026-01-01", "shortDescription": "demo",
            "requiredAction": "update", "dueDate": "2026-01-22", "knownRansomwareCampaignUse": "Unknown", "notes": ""}]}"#,
    )
    .unwrap();
    let run = strata(&["db", "import", "--db", s(&db), s(&kev)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let gated = strata(&[
        "scan",
        &target,
        "--db",
        s(&db),
        "--format",
        "json",
        "--fail-on",
        "critical",
        "--severity",
        "critical",
        "--ignore-unfixed",
    ]);
    assert_eq!(
        gated.code,
        Some(1),
        "the KEV finding fails the gate: {}",
        gated.stderr
    );
    let report: Value = serde_json::from_str(&gated.stdout).unwrap();
    assert_eq!(
        states(&report),
        [("CVE-2099-0002".to_owned(), "not-fixed".to_owned())],
        "only the KEV finding survives the filters"
    );
    assert!(gated.stderr.contains("known exploited"), "{}", gated.stderr);

    let fixed_only = scan_json(&target, &db, &["--ignore-unfixed"]);
    assert_eq!(
        states(&fixed_only),
        [("CVE-2099-0001".to_owned(), "fixed".to_owned())]
    );
    for value in ["1", "yes", "true"] {
        let run = strata_with_env(
            &["scan", &target, "--db", s(&db), "--format", "json"],
            &[("STRATA_IGNORE_UNFIXED", Path::new(value))],
        );
        assert_eq!(
            run.code,
            Some(0),
            "STRATA_IGNORE_UNFIXED={value}: {}",
            run.stderr
        );
        let report: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(
            states(&report),
            states(&fixed_only),
            "STRATA_IGNORE_UNFIXED={value}"
        );
        assert!(
            run.stderr.contains("1 package(s) (deb) were not matched")
                && run.stderr.contains("devuan 5")
                && run.stderr.contains("pkg:deb/devuan/base-files@"),
            "no warning about the unsupported distribution: {}",
            run.stderr
        );
    }
}
