//! Through `match_packages`: withdrawn records, version errors beside a listed version,
//! `upstream` links (Ubuntu), apk origin and Alpine release, severities from NVD and
//! their sources, references and summaries, KEV and EPSS enrichment.

use std::collections::BTreeSet;

use strata_match::match_packages;
use strata_types::{Distro, FixState, PackageType, Severity};

use crate::{db, extra_db, package};

fn distro(id: &str, version: &str) -> Distro {
    Distro {
        id: id.into(),
        version_id: version.into(),
        source_file: "/etc/os-release".into(),
        ..Distro::default()
    }
}

#[test]
fn withdrawn_records_do_not_match_and_findings_carry_summary_and_references() {
    let Some((db, _)) = extra_db() else { return };
    let p = package(PackageType::Python, "strata-test-pkg", "1.0", None);
    let m = match_packages(&db, None, &[p]).unwrap();
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    let ids: Vec<&str> = m.findings.iter().map(|f| f.id.as_str()).collect();
    // TEST-WITHDRAWN-1 covers the same version but is withdrawn.
    assert_eq!(ids, ["TEST-LIVE-1"]);
    let f = &m.findings[0];
    // No summary in the record: the first line of its details.
    assert_eq!(
        f.summary.as_deref(),
        Some("A test vulnerability in strata-test-pkg.")
    );
    assert_eq!(
        f.references,
        [
            "https://example.org/advisory/TEST-LIVE-1",
            "https://example.org/web"
        ]
    );
    // No severity anywhere: unknown, from nowhere.
    assert_eq!(
        (f.severity, f.severity_source.as_str()),
        (Severity::Unknown, "none")
    );
}

#[test]
fn a_listed_version_matches_despite_a_bad_range_and_the_error_is_reported() {
    let Some((db, _)) = extra_db() else { return };
    let p = package(PackageType::Npm, "strata-test-pkg", "1.0.0", None);
    let m = match_packages(&db, None, &[p]).unwrap();
    let ids: Vec<&str> = m.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["TEST-LISTED-1"]);
    assert_eq!(m.warnings.len(), 1, "{:?}", m.warnings);
    assert!(
        m.warnings[0]
            .message
            .starts_with("TEST-LISTED-1: cannot compare version"),
        "{:?}",
        m.warnings
    );
}

#[test]
fn upstream_links_usn_ubuntu_cve_and_cve_into_one_finding() {
    let Some((db, _)) = extra_db() else { return };
    // USN-5614-1 names UBUNTU-CVE-2021-3782 in `upstream`, which names CVE-2021-3782.
    let p = package(
        PackageType::Deb,
        "libwayland-client0",
        "1.20.0-1",
        Some(("wayland", "1.20.0-1")),
    );
    let m = match_packages(&db, Some(&distro("ubuntu", "22.04")), &[p]).unwrap();
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    type Row<'a> = (&'a str, &'a [String], &'a [String], &'a [String]);
    let got: Vec<Row<'_>> = m
        .findings
        .iter()
        .map(|f| {
            (
                f.id.as_str(),
                f.aliases.as_slice(),
                f.advisories.as_slice(),
                f.fixed_versions.as_slice(),
            )
        })
        .collect();
    let s = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        got,
        [(
            "CVE-2021-3782",
            &s(&["UBUNTU-CVE-2021-3782", "USN-5614-1"])[..],
            &s(&["UBUNTU-CVE-2021-3782", "USN-5614-1"])[..],
            &s(&["1.20.0-1ubuntu0.1"])[..],
        )]
    );
    let f = &m.findings[0];
    // Ubuntu's own priority for an OS package, named after its publisher.
    assert_eq!(
        (f.severity, f.severity_source.as_str()),
        (Severity::Medium, "ubuntu")
    );
    assert!(f.cvss.iter().all(|c| c.source.as_deref() == Some("ubuntu")));
    assert!(
        f.references
            .contains(&"https://ubuntu.com/security/notices/USN-5614-1".to_owned()),
        "{:?}",
        f.references
    );
    // Fixed: nothing.
    let p = package(
        PackageType::Deb,
        "libwayland-client0",
        "1.20.0-1ubuntu0.1",
        Some(("wayland", "1.20.0-1ubuntu0.1")),
    );
    let m = match_packages(&db, Some(&distro("ubuntu", "22.04")), &[p]).unwrap();
    assert_eq!(m.findings, []);
}

#[test]
fn apk_packages_match_by_origin_and_release() {
    let Some((db, _)) = extra_db() else { return };
    let libcrypto = |origin: Option<&str>| {
        package(
            PackageType::Apk,
            "libcrypto1.1",
            "1.1.1d-r0",
            origin.map(|o| (o, "1.1.1d-r0")),
        )
    };
    let ids = |d: &Distro, origin: Option<&str>| -> BTreeSet<(String, Vec<String>)> {
        let m = match_packages(&db, Some(d), &[libcrypto(origin)]).unwrap();
        assert!(m.warnings.is_empty(), "{:?}", m.warnings);
        m.findings
            .into_iter()
            .map(|f| (f.id, f.fixed_versions))
            .collect()
    };
    let v311 = distro("alpine", "3.11.6");
    let pair = |id: &str, fixed: &str| (id.to_owned(), vec![fixed.to_owned()]);
    // v3.11's secdb: CVE-2019-1551 fixed in 1.1.1d-r3, three more in 1.1.1d-r1.
    assert_eq!(
        ids(&v311, Some("openssl")),
        BTreeSet::from([
            pair("CVE-2019-1547", "1.1.1d-r1"),
            pair("CVE-2019-1549", "1.1.1d-r1"),
            pair("CVE-2019-1551", "1.1.1d-r3"),
            pair("CVE-2019-1563", "1.1.1d-r1"),
        ])
    );
    // v3.10 fixed those three in 1.1.1d-r0 and lists no CVE-2019-1551: the same version
    // is clean there. Alpine:v3.10 is not Alpine:v3.11.
    assert_eq!(
        ids(&distro("alpine", "3.10.9"), Some("openssl")),
        BTreeSet::new()
    );
    // The binary name is not the key; the origin is.
    assert_eq!(ids(&v311, None), BTreeSet::new());
    // No secdb for v3.12 in the data: nothing, and no fallback to another release.
    assert_eq!(
        ids(&distro("alpine", "3.12.0"), Some("openssl")),
        BTreeSet::new()
    );
    let m = match_packages(&db, Some(&v311), &[libcrypto(Some("openssl"))]).unwrap();
    assert!(
        m.findings.iter().all(|f| f.fix_state == FixState::Fixed
            && f.advisories == [format!("ALPINE-v3.11-{}", f.id)])
    );
}

#[test]
fn debian_binnmu_binary_matches_through_its_source_version() {
    let Some(db) = db() else { return };
    // A binNMU (`+b1`) is rebuilt from the same source: its source's advisories apply.
    let p = package(
        PackageType::Deb,
        "libpam0g",
        "1.5.2-6+deb12u2+b1",
        Some(("pam", "1.5.2-6+deb12u2")),
    );
    let m = match_packages(&db, Some(&distro("debian", "12.11")), &[p]).unwrap();
    let ids: BTreeSet<_> = m.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, BTreeSet::from(["CVE-2024-22365", "CVE-2025-6020"]));
    assert!(
        m.findings
            .iter()
            .all(|f| f.severity_source != "debian-tracker")
    );
}

#[test]
fn a_pypa_record_without_severity_gets_nvds_labelled_nvd() {
    let Some((db, _)) = extra_db() else { return };
    // PYSEC-0000-1 has no severity; its alias CVE-2022-1576 has an NVD page (vunnel's
    // single-entry.json): Primary CVSS 3.1 6.5.
    let p = package(PackageType::Python, "strata-nvd-test", "2.0", None);
    let m = match_packages(&db, None, &[p]).unwrap();
    assert_eq!(m.findings.len(), 1);
    let f = &m.findings[0];
    assert_eq!(f.id, "CVE-2022-1576");
    assert_eq!(f.aliases, ["PYSEC-0000-1"]);
    assert_eq!(
        (f.severity, f.severity_source.as_str()),
        (Severity::Medium, "cvss:3.1 (nvd)")
    );
    assert_eq!(f.cvss[0].source.as_deref(), Some("nvd"));
    assert_eq!(f.cvss[0].score, Some(6.5));
    // A record with no severity and no NVD page: unknown, source none.
    let p = package(PackageType::Python, "strata-unrated", "1.0", None);
    let m = match_packages(&db, None, &[p]).unwrap();
    assert_eq!(
        (
            m.findings[0].severity,
            m.findings[0].severity_source.as_str()
        ),
        (Severity::Unknown, "none")
    );
    assert!(m.findings[0].cvss.is_empty());
}

#[test]
fn kev_and_epss_enrich_findings_through_cve_aliases() {
    let Some((db, report)) = extra_db() else {
        return;
    };
    assert_eq!((report.kev_entries, report.epss_entries), (3, 4));
    let mut problems: Vec<(String, String)> = report
        .skipped
        .iter()
        .filter(|w| w.location.contains("known_exploited") || w.location.contains("epss"))
        .map(|w| {
            (
                w.location.rsplit('/').next().unwrap().to_owned(),
                w.path.clone(),
            )
        })
        .collect();
    problems.sort();
    let kev = "known_exploited_vulnerabilities.json".to_owned();
    let epss = "epss_scores-2024-03-01.csv.gz".to_owned();
    assert_eq!(
        problems,
        [
            (epss.clone(), "line 7".to_owned()),
            (epss.clone(), "line 8".to_owned()),
            (epss, "line 9".to_owned()),
            (kev.clone(), "vulnerabilities[3].cveID".to_owned()),
            (kev.clone(), "vulnerabilities[4].dateAdded".to_owned()),
            (kev, "vulnerabilities[5].cveID".to_owned()),
        ]
    );
    let status = db.status().unwrap();
    assert_eq!((status.kev_entries, status.epss_entries), (3, 4));
    assert_eq!(status.kev_catalog_version.as_deref(), Some("2024.03.01"));
    assert_eq!(
        status.epss_score_date.as_deref(),
        Some("2024-03-01T00:00:00+0000")
    );

    let log4j = package(
        PackageType::Maven,
        "org.apache.logging.log4j:log4j-core",
        "2.14.1",
        None,
    );
    let m = match_packages(&db, None, &[log4j]).unwrap();
    let got: Vec<(&str, bool, Option<&str>, Option<f64>)> = m
        .findings
        .iter()
        .map(|f| {
            (
                f.id.as_str(),
                f.known_exploited,
                f.kev_date_added.as_deref(),
                f.epss.map(|e| e.score),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("CVE-2021-44228", true, Some("2021-12-10"), Some(0.97565)),
            ("CVE-2021-45046", true, Some("2023-05-01"), Some(0.9733)),
            ("CVE-2021-45105", false, None, None),
        ]
    );
    assert_eq!(m.findings[0].epss.unwrap().percentile, Some(0.99996));
    // GHSA's vector, labelled with its publisher.
    assert_eq!(m.findings[0].severity_source, "cvss:3.1 (ghsa)");
    let json = serde_json::to_value(&m.findings[0]).unwrap();
    assert_eq!(json["known_exploited"], true);
    assert_eq!(json["epss"]["score"], 0.97565);
    // Not listed: the field is left out of the JSON.
    let json = serde_json::to_value(&m.findings[2]).unwrap();
    assert!(json.get("known_exploited").is_none());
}
