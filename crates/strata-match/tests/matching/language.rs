//! Language packages against PyPA, GHSA, RustSec and Go advisories: the exact advisories
//! expected for known-vulnerable versions (derived by reading each record's ranges),
//! and the ones that must not match.

use std::collections::BTreeSet;

use strata_match::match_packages;
use strata_types::{FixState, PackageType, Severity};

use crate::{db, package};

fn ids(ty: PackageType, name: &str, version: &str) -> Option<BTreeSet<(String, Vec<String>)>> {
    let db = db()?;
    let m = match_packages(&db, None, &[package(ty, name, version, None)]).unwrap();
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    Some(
        m.findings
            .into_iter()
            .map(|f| (f.id, f.fixed_versions))
            .collect(),
    )
}

fn set(rows: &[(&str, &[&str])]) -> BTreeSet<(String, Vec<String>)> {
    rows.iter()
        .map(|(id, fixed)| {
            (
                (*id).to_owned(),
                fixed.iter().map(|s| (*s).to_owned()).collect(),
            )
        })
        .collect()
}

#[test]
fn urllib3_1_24_1() {
    // PYSEC-2017-98 (1.17..1.18.1), PYSEC-2018-32 (<1.23), PYSEC-2020-149
    // (1.25.2..1.25.8) and PYSEC-2021-59 (1.26.0..1.26.4) must not match; commit
    // ranges (GIT) are not version ranges.
    let Some(got) = ids(PackageType::Python, "urllib3", "1.24.1") else {
        return;
    };
    assert_eq!(
        got,
        set(&[
            ("CVE-2019-11236", &["1.24.3"]),
            ("CVE-2019-11324", &["1.24.2"]),
            ("CVE-2020-26137", &["1.25.9"]),
            ("CVE-2021-33503", &["1.26.5"]),
            // The 2.x interval's fixes (2.0.6, 2.0.7) do not apply to 1.24.1.
            ("CVE-2023-43804", &["1.26.17"]),
            ("CVE-2018-25091", &["1.24.2"]),
            ("CVE-2023-45803", &["1.26.18"]),
        ])
    );
    // The name is matched after PEP 503 normalisation.
    assert_eq!(
        ids(PackageType::Python, "URLLib3", "1.24.1").unwrap().len(),
        7
    );
    // Fixed: nothing.
    assert_eq!(
        ids(PackageType::Python, "urllib3", "1.26.18").unwrap(),
        set(&[])
    );
}

#[test]
fn jinja2_2_10() {
    let Some(got) = ids(PackageType::Python, "jinja2", "2.10") else {
        return;
    };
    assert_eq!(
        got,
        set(&[
            ("CVE-2019-10906", &["2.10.1"]),
            ("CVE-2020-28493", &["2.11.3"])
        ])
    );
}

#[test]
fn lodash_4_17_11_and_log4j_core_2_14_1() {
    let Some(got) = ids(PackageType::Npm, "lodash", "4.17.11") else {
        return;
    };
    assert_eq!(
        got,
        set(&[
            ("CVE-2019-10744", &["4.17.12"]),
            ("CVE-2020-8203", &["4.17.20"]),
            ("CVE-2021-23337", &["4.17.21"]),
        ])
    );
    // The same name in another ecosystem is another package.
    assert_eq!(
        ids(PackageType::Python, "lodash", "4.17.11").unwrap(),
        set(&[])
    );

    let db = db().unwrap();
    let log4j = package(
        PackageType::Maven,
        "org.apache.logging.log4j:log4j-core",
        "2.14.1",
        None,
    );
    let m = match_packages(&db, None, &[log4j]).unwrap();
    let got: Vec<(&str, Severity, &str, &[String])> = m
        .findings
        .iter()
        .map(|f| {
            (
                f.id.as_str(),
                f.severity,
                f.severity_source.as_str(),
                f.fixed_versions.as_slice(),
            )
        })
        .collect();
    // Sorted by severity, then id. Fixed versions come from every affected entry of
    // the record that matches (here only the 2.13+ branch).
    assert_eq!(
        got,
        [
            (
                "CVE-2021-44228",
                Severity::Critical,
                "cvss:3.1 (ghsa)",
                &["2.15.0".to_owned()][..]
            ),
            (
                "CVE-2021-45046",
                Severity::Critical,
                "cvss:3.1 (ghsa)",
                &["2.16.0".to_owned()][..]
            ),
            (
                "CVE-2021-45105",
                Severity::High,
                "cvss:3.1 (ghsa)",
                &["2.17.0".to_owned()][..]
            ),
        ]
    );
    let f = &m.findings[0];
    assert_eq!(f.aliases, ["GHSA-jfh8-c2jp-5v3q"]);
    assert_eq!(f.fix_state, FixState::Fixed);
    assert_eq!(f.cvss[0].score, Some(10.0));
}
