//! Debian: the expected findings for a bookworm minbase image built from `main` only
//! (`expected-minbase-main.tsv`, derived from Debian's changelogs), and the cases that
//! must not match.

use std::collections::BTreeSet;

use strata_match::match_packages;
use strata_types::{Distro, FixState, PackageType};

use crate::{db, package};

fn distro(version: &str) -> Distro {
    Distro {
        id: "debian".into(),
        version_id: version.into(),
        source_file: "/etc/os-release".into(),
        ..Distro::default()
    }
}

/// (binary, source, installed, cve, fixed) rows.
fn expected_rows() -> Option<Vec<[String; 5]>> {
    let data = strata_testkit::data_dir()?;
    let text = std::fs::read_to_string(
        data.join("vulndb/distro/debian12-derived/expected-minbase-main.tsv"),
    )
    .unwrap();
    Some(
        text.lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                [f[0], f[1], f[2], f[3], f[4]].map(str::to_owned)
            })
            .collect(),
    )
}

#[test]
fn minbase_main_gives_exactly_the_expected_findings() {
    let (Some(db), Some(rows)) = (db(), expected_rows()) else {
        return;
    };
    assert_eq!(rows.len(), 66);
    // One package per binary, as the catalog reports it (source version = binary
    // version for every one of these).
    let mut seen = BTreeSet::new();
    let packages: Vec<_> = rows
        .iter()
        .filter(|r| seen.insert(r[0].clone()))
        .map(|r| package(PackageType::Deb, &r[0], &r[2], Some((&r[1], &r[2]))))
        .collect();
    let m = match_packages(&db, Some(&distro("12")), &packages).unwrap();
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    let got: BTreeSet<(String, String, Vec<String>)> = m
        .findings
        .iter()
        .map(|f| {
            (
                f.package.name.clone(),
                f.id.clone(),
                f.fixed_versions.clone(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String, Vec<String>)> = rows
        .iter()
        .map(|r| (r[0].clone(), r[3].clone(), vec![r[4].clone()]))
        .collect();
    assert_eq!(got, want);
    assert_eq!(m.findings.len(), 66);
    for f in &m.findings {
        assert_eq!(f.fix_state, FixState::Fixed);
        assert_eq!(f.advisories, [format!("DEBIAN-{}", f.id)]);
        assert_eq!(f.aliases, [format!("DEBIAN-{}", f.id)]);
    }
}

#[test]
fn fixed_versions_and_other_releases_do_not_match() {
    let (Some(db), Some(rows)) = (db(), expected_rows()) else {
        return;
    };
    let mut seen = BTreeSet::new();
    // Installed at the fixed version: patched, nothing to report.
    let patched: Vec<_> = rows
        .iter()
        .filter(|r| seen.insert(r[0].clone()))
        .map(|r| package(PackageType::Deb, &r[0], &r[4], Some((&r[1], &r[4]))))
        .collect();
    let m = match_packages(&db, Some(&distro("12")), &patched).unwrap();
    assert_eq!(m.findings, []);
    // The same vulnerable versions on Debian 11: these records are for Debian:12 only.
    let vulnerable: Vec<_> = rows
        .iter()
        .map(|r| package(PackageType::Deb, &r[0], &r[2], Some((&r[1], &r[2]))))
        .collect();
    let m = match_packages(&db, Some(&distro("11")), &vulnerable).unwrap();
    assert_eq!(m.findings, []);
    // Without a distribution there is nothing to match OS packages against.
    let m = match_packages(&db, None, &vulnerable).unwrap();
    assert_eq!(m.findings, []);
    assert_eq!(m.unsupported.len(), vulnerable.len());
}

#[test]
fn binary_name_is_not_the_key_the_source_is() {
    let Some(db) = db() else { return };
    // libpam0g's advisories are filed under its source, pam.
    let by_source = package(
        PackageType::Deb,
        "libpam0g",
        "1.5.2-6+deb12u2",
        Some(("pam", "1.5.2-6+deb12u2")),
    );
    let m = match_packages(&db, Some(&distro("12")), &[by_source]).unwrap();
    let ids: BTreeSet<_> = m.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, BTreeSet::from(["CVE-2024-22365", "CVE-2025-6020"]));
    // A binary package without Source: defaults to its own name, which has no records.
    let no_source = package(PackageType::Deb, "libpam0g", "1.5.2-6+deb12u2", None);
    let m = match_packages(&db, Some(&distro("12")), &[no_source]).unwrap();
    assert_eq!(m.findings, []);
}
