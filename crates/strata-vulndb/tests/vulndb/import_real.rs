//! Imports of every real archive in shared/data/vulndb, with exact counts and contents.

use std::collections::BTreeMap;

use strata_vulndb::{Event, Problem, RangeKind};

use crate::support::{full, import, vulndb_data};

fn sources() -> Option<BTreeMap<String, (String, u64, u64)>> {
    let built = full()?;
    let status = built.open().status().unwrap();
    Some(
        status
            .sources
            .into_iter()
            .map(|s| (s.name, (s.kind, s.records, s.skipped)))
            .collect(),
    )
}

#[test]
fn every_source_is_imported_with_exact_counts() {
    let Some(sources) = sources() else { return };
    let expected: BTreeMap<String, (String, u64, u64)> = [
        ("rustsec-advisory-db-osv.tar.zst", "osv", 1206, 0),
        ("golang-vulndb-osv.tar.zst", "osv", 4291, 0),
        ("pypa-advisory-database.tar.zst", "osv", 2661, 0),
        ("ghsa", "osv", 41, 0),
        ("debian12-derived-osv.tar.zst", "osv", 6707, 0),
        ("alpine-secdb", "alpine-secdb", 11951, 0),
        ("ubuntu-osv", "osv", 1, 0),
        // 38 records (Alma, Rocky, Ubuntu OSV; Alpine v3.15 secdb; the Debian tracker
        // snippet) + 39 NVD entries; 27 documents in other formats (CSAF, OVAL JSON, ...).
        (
            "vunnel-provider-fixtures.tar.zst",
            "alpine-secdb+debian-tracker+nvd+osv",
            38 + 39,
            27,
        ),
    ]
    .into_iter()
    .map(|(n, k, r, s)| (n.to_owned(), (k.to_owned(), r, s)))
    .collect();
    assert_eq!(sources, expected);
}

#[test]
fn per_ecosystem_counts_are_exact() {
    let Some(built) = full() else { return };
    let r = &built.report;
    let get = |e: &str| r.per_ecosystem.get(e).copied().unwrap_or(0);
    assert_eq!(get("crates.io"), 1206);
    assert_eq!(get("Go"), 4291);
    // pypa's 2661 records; the vunnel fixtures add no PyPI record.
    assert_eq!(get("PyPI"), 2661);
    assert_eq!(get("npm"), 26);
    assert_eq!(get("Maven"), 12);
    assert_eq!(get("RubyGems"), 3);
    assert_eq!(get("NuGet"), 3);
    assert_eq!(get("Packagist"), 1);
    assert_eq!(get("Debian:12"), 6707 + 2);
    assert_eq!(get("Alpine:v3.3"), 486);
    assert_eq!(get("Alpine:v3.11"), 2018);
    assert_eq!(get("Alpine:v3.15"), 16);
    assert_eq!(r.records, 1206 + 4291 + 2661 + 41 + 6707 + 11951 + 1 + 38);
    assert_eq!(r.nvd_entries, 39);
    assert_eq!(r.older_than_stored, 0);
    let status = built.open().status().unwrap();
    assert_eq!(status.records, r.records);
    // 13 RUSTSEC + 17 GO + 10 PYSEC + 3 in the vunnel fixtures.
    assert_eq!(status.withdrawn, 13 + 17 + 10 + 3);
}

#[test]
fn ghsa_lodash_record_is_stored_exactly() {
    let Some(built) = full() else { return };
    let db = built.open();
    let rec = db.record("GHSA-jf85-cpcp-j695").unwrap().unwrap();
    assert_eq!(rec.source, "ghsa");
    let r = &rec.record;
    assert_eq!(r.modified, "2023-09-05T22:24:55Z");
    assert_eq!(r.aliases, vec!["CVE-2019-10744"]);
    assert_eq!(r.severity.len(), 2);
    assert_eq!(r.severity[0].kind, "CVSS_V3");
    assert_eq!(
        r.severity[0].value,
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H"
    );
    assert_eq!(r.severity[0].base_score, Some(9.1));
    assert_eq!(r.severity[0].rating.as_deref(), Some("CRITICAL"));
    assert_eq!(r.severity[1].source, "database_specific");
    assert_eq!(r.severity[1].rating.as_deref(), Some("CRITICAL"));
    let names: Vec<&str> = r.affected.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["lodash", "lodash-es", "lodash-amd", "lodash.defaultsdeep"]
    );
    assert_eq!(
        r.affected[0].ranges[0].events,
        vec![
            Event::Introduced("0".into()),
            Event::Fixed("4.17.12".into())
        ]
    );
    assert_eq!(
        db.ids_for_alias("CVE-2019-10744").unwrap(),
        vec!["GHSA-jf85-cpcp-j695"]
    );
}

#[test]
fn debian_derived_record_and_query() {
    let Some(built) = full() else { return };
    let db = built.open();
    let entries = db.affected_for("Debian:12", "pam").unwrap();
    let ids: Vec<&str> = entries.iter().map(|e| e.record_id.as_str()).collect();
    assert_eq!(ids, vec!["DEBIAN-CVE-2024-22365", "DEBIAN-CVE-2025-6020"]);
    let e = &entries[0];
    assert_eq!(e.aliases, vec!["CVE-2024-22365"]);
    assert_eq!(
        e.affected.purl.as_deref(),
        Some("pkg:deb/debian/pam?arch=source")
    );
    assert_eq!(e.affected.ranges.len(), 1);
    assert_eq!(e.affected.ranges[0].kind, RangeKind::Ecosystem);
    assert_eq!(
        e.affected.ranges[0].events,
        vec![
            Event::Introduced("0".into()),
            Event::Fixed("1.5.2-6+deb12u3".into())
        ]
    );
    assert_eq!(
        e.affected.check("1.5.2-6+deb12u1").unwrap(),
        strata_vulndb::Verdict::Affected {
            fixed: vec!["1.5.2-6+deb12u3".into()]
        }
    );
    assert_eq!(
        e.affected.check("1.5.2-6+deb12u3").unwrap(),
        strata_vulndb::Verdict::NotAffected
    );
}

#[test]
fn pypa_yaml_record_keeps_versions_and_normalises_names() {
    let Some(built) = full() else { return };
    let db = built.open();
    let rec = db.record("PYSEC-2023-121").unwrap().unwrap().record;
    assert_eq!(rec.modified, "2023-07-25T16:31:58.309647Z");
    assert_eq!(rec.aliases, vec!["CVE-2022-4899"]);
    let a = &rec.affected[0];
    assert_eq!((a.ecosystem.as_str(), a.name.as_str()), ("PyPI", "zstd"));
    assert_eq!(a.versions.first().map(String::as_str), Some("1.1.4"));
    assert!(a.versions.iter().any(|v| v == "1.3.4.5"));
    assert_eq!(a.ranges[0].events, vec![Event::Introduced("0".into())]);
    // PEP 503: the query name is normalised like the stored one.
    let ids = |n: &str| -> Vec<String> {
        db.affected_for("PyPI", n)
            .unwrap()
            .into_iter()
            .map(|e| e.record_id)
            .collect()
    };
    assert!(!ids("django").is_empty());
    assert_eq!(ids("Django"), ids("django"));
    assert_eq!(ids("ZSTD"), ids("zstd"));
}

#[test]
fn alpine_secdb_entries_are_converted() {
    let Some(built) = full() else { return };
    let db = built.open();
    let entries = db.affected_for("Alpine:v3.11", "musl").unwrap();
    let ids: Vec<&str> = entries.iter().map(|e| e.record_id.as_str()).collect();
    assert_eq!(
        ids,
        vec!["ALPINE-v3.11-CVE-2016-8859", "ALPINE-v3.11-CVE-2019-14697"]
    );
    let e = &entries[1];
    assert_eq!(e.aliases, vec!["CVE-2019-14697"]);
    assert_eq!(e.affected.ecosystem, "Alpine:v3.11");
    assert_eq!(
        e.affected.ranges[0].events,
        vec![
            Event::Introduced("0".into()),
            Event::Fixed("1.1.23-r2".into())
        ]
    );
    assert_eq!(
        e.affected.check("1.1.23-r1").unwrap(),
        strata_vulndb::Verdict::Affected {
            fixed: vec!["1.1.23-r2".into()]
        }
    );
    // Converted records read back as OSV.
    let stored = db.record("ALPINE-v3.11-CVE-2019-14697").unwrap().unwrap();
    assert_eq!(stored.source, "alpine-secdb");
    assert_eq!(stored.raw["affected"][0]["package"]["name"], "musl");
    assert_eq!(stored.record.affected.len(), 1);
    assert_eq!(stored.record.affected[0].ranges, e.affected.ranges);
    // The same CVE in another release is another record.
    let ids: Vec<String> = db
        .affected_for("Alpine:v3.10", "musl")
        .unwrap()
        .into_iter()
        .map(|e| e.record_id)
        .collect();
    assert!(
        ids.contains(&"ALPINE-v3.10-CVE-2019-14697".to_owned()),
        "{ids:?}"
    );
}

#[test]
fn ubuntu_record_has_versions_and_priorities() {
    let Some(built) = full() else { return };
    let db = built.open();
    let rec = db.record("CVE-2024-0727").unwrap().unwrap().record;
    assert_eq!(rec.affected.len(), 15);
    assert_eq!(rec.severity.len(), 1);
    assert_eq!(rec.severity[0].base_score, Some(5.5));
    let e = db.affected_for("Ubuntu:22.04:LTS", "openssl").unwrap();
    let e = e.iter().find(|e| e.record_id == "CVE-2024-0727").unwrap();
    assert_eq!(e.affected.versions.len(), 15);
    assert_eq!(e.affected.severity.len(), 1);
    assert_eq!(e.affected.severity[0].kind, "rating");
    assert_eq!(e.affected.severity[0].rating.as_deref(), Some("LOW"));
    assert_eq!(e.affected.severity[0].source, "ecosystem_specific");
}

#[test]
fn withdrawn_records_are_kept_out_of_matching() {
    let Some(built) = full() else { return };
    let db = built.open();
    let rec = db.record("RUSTSEC-2020-0053").unwrap().unwrap().record;
    assert_eq!(rec.withdrawn.as_deref(), Some("2021-04-19T12:00:00Z"));
    let ids: Vec<String> = db
        .affected_for("crates.io", "dirs")
        .unwrap()
        .into_iter()
        .map(|e| e.record_id)
        .collect();
    assert!(!ids.contains(&"RUSTSEC-2020-0053".to_owned()), "{ids:?}");
}

#[test]
fn nvd_pages_fill_severity_through_aliases() {
    let Some(built) = full() else { return };
    let db = built.open();
    let nvd = db.nvd("CVE-2022-1576").unwrap().unwrap();
    let got: Vec<(&str, &str, Option<f64>)> = nvd
        .iter()
        .map(|s| (s.kind.as_str(), s.value.as_str(), s.base_score))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "CVSS_V3",
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:H/A:N",
                Some(6.5)
            ),
            ("CVSS_V2", "AV:N/AC:M/Au:N/C:N/I:P/A:N", Some(4.3)),
        ]
    );
}

#[test]
fn debian_tracker_snippet_is_converted() {
    let Some(built) = full() else { return };
    let db = built.open();
    let entries = db.affected_for("Debian:9", "prototypejs").unwrap();
    let e = entries
        .iter()
        .find(|e| e.record_id == "DEBIAN-CVE-2008-7220")
        .unwrap();
    assert_eq!(e.aliases, vec!["CVE-2008-7220"]);
    assert_eq!(
        e.affected.ranges[0].events,
        vec![
            Event::Introduced("0".into()),
            Event::Fixed("1.6.0.2-1".into())
        ]
    );
    assert_eq!(e.affected.severity[0].rating.as_deref(), Some("HIGH"));
    assert_eq!(e.affected.severity[0].source, "debian-tracker");
}

#[test]
fn other_fixture_archives_import_with_counted_warnings() {
    let Some(data) = vulndb_data() else { return };
    let (_d, r) = import(&[&data.join("distro/osvdev-and-osv-schema-fixtures.tar.zst")]);
    // DSA-3029-1, UBUNTU-CVE-2025-38094, the two RHSA OSV records, RHSA-2022:0216, and
    // two CVEs of the Debian tracker mock (the third is "not affected" everywhere).
    assert_eq!(r.records, 7);
    assert_eq!(r.skipped.len(), 21);
    assert!(r.skipped.iter().all(|w| w.problem == Problem::Unrecognised));
    let db = strata_vulndb::Database::open(_d.path()).unwrap();
    assert!(db.record("DEBIAN-CVE-2014-1424").unwrap().is_none());
    let bookworm = db.affected_for("Debian:12", "apparmor").unwrap();
    let ids: Vec<&str> = bookworm.iter().map(|e| e.record_id.as_str()).collect();
    assert_eq!(ids, vec!["DEBIAN-CVE-2016-1585", "DEBIAN-CVE-2017-6507"]);
    // Open in bookworm: affected, no fix yet.
    assert_eq!(
        bookworm[0].affected.ranges[0].events,
        vec![Event::Introduced("0".into())]
    );
    assert_eq!(
        bookworm[0].affected.check("2.13.6-10").unwrap(),
        strata_vulndb::Verdict::Affected { fixed: vec![] }
    );
    assert_eq!(
        bookworm[0].affected.severity[0].rating.as_deref(),
        Some("UNIMPORTANT")
    );
    // "not yet assigned" is no rating.
    assert!(bookworm[1].affected.severity.is_empty());
    let trixie = db.affected_for("Debian:13", "apparmor").unwrap();
    assert_eq!(
        trixie[0].affected.ranges[0].events,
        vec![
            Event::Introduced("0".into()),
            Event::Fixed("3.0.12-1".into())
        ]
    );
    drop(db);

    // Alpine secdb as JSON (vuln-list-update's copies), including `packages: {}` and
    // `"2.8.0-r0": {}`, which name nothing.
    let (_d, r) = import(&[&data.join("distro/vuln-list-update-raw-fixtures.tar.zst")]);
    assert_eq!(r.records, 5);
    let eco: Vec<(&str, u64)> = r
        .per_ecosystem
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        eco,
        vec![("Alpine:edge", 2), ("Alpine:v3.11", 2), ("Alpine:v3.12", 1)]
    );
    assert_eq!(r.skipped.len(), 6, "{:#?}", r.skipped);
    assert!(r.skipped.iter().all(|w| w.problem == Problem::Unrecognised));
    let db = strata_vulndb::Database::open(_d.path()).unwrap();
    let e = db.affected_for("Alpine:v3.11", "apache2").unwrap();
    let ids: Vec<&str> = e.iter().map(|e| e.record_id.as_str()).collect();
    assert_eq!(
        ids,
        vec!["ALPINE-v3.11-CVE-2018-1333", "ALPINE-v3.11-CVE-2018-8011"]
    );
    drop(db);

    let (_d, r) = import(&[&data.join("distro/trivy-db-vuln-list-fixtures.tar.zst")]);
    assert_eq!(r.records, 6);
    let syntax: Vec<&str> = r
        .skipped
        .iter()
        .filter(|w| w.problem == Problem::Syntax)
        .map(|w| w.location.rsplit('!').next().unwrap())
        .collect();
    assert_eq!(syntax.len(), 7, "{syntax:?}");
    assert!(
        syntax.contains(
            &"trivy-db/pkg/vulnsrc/osv/testdata/sad/vuln-list/osv/python/PYSEC-2005-1.json"
        )
    );
}
