//! Matching against real advisory data from `../shared/data/vulndb`.
#![allow(clippy::unwrap_used)]

mod debian;
mod distro_enrichment;
mod language;

use std::path::PathBuf;
use std::sync::OnceLock;

use strata_types::{Location, Package, PackageType};
use strata_vulndb::{Database, ImportOptions, ImportReport};

/// A handle on one database with every archive of the shared data imported, built
/// once per run (a handle is not shareable between test threads; the files are).
pub fn db() -> Option<Database> {
    static DB: OnceLock<Option<tempfile::TempDir>> = OnceLock::new();
    let dir = DB.get_or_init(|| {
        let data = strata_testkit::data_dir()?;
        let v = data.join("vulndb");
        let dir = tempfile::tempdir().unwrap();
        let inputs: Vec<PathBuf> = vec![
            v.join("distro/debian12-derived/debian12-derived-osv.tar.zst"),
            v.join("ghsa/advisories"),
            v.join("pypa-advisory-database.tar.zst"),
            v.join("rustsec-advisory-db-osv.tar.zst"),
            v.join("golang-vulndb-osv.tar.zst"),
        ];
        Database::import(dir.path(), &inputs, ImportOptions::default()).unwrap();
        Some(dir)
    });
    dir.as_ref().map(|d| Database::open(d.path()).unwrap())
}

/// A second database: the vunnel provider fixtures (Ubuntu OSV records, real NVD API 2.0
/// pages), the Alpine secdb, the GHSA files and the fixtures next to these tests (OSV
/// records, a KEV catalog, an EPSS file). Returns the handle and the import report.
pub fn extra_db() -> Option<(Database, &'static ImportReport)> {
    static DB: OnceLock<Option<(tempfile::TempDir, ImportReport)>> = OnceLock::new();
    let built = DB.get_or_init(|| {
        let data = strata_testkit::data_dir()?;
        let v = data.join("vulndb");
        let dir = tempfile::tempdir().unwrap();
        let fixtures =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/matching/fixtures");
        let inputs: Vec<PathBuf> = vec![
            v.join("distro/vunnel-provider-fixtures.tar.zst"),
            v.join("distro/alpine-secdb"),
            v.join("ghsa/advisories"),
            fixtures,
        ];
        let report = Database::import(dir.path(), &inputs, ImportOptions::default()).unwrap();
        Some((dir, report))
    });
    built
        .as_ref()
        .map(|(d, r)| (Database::open(d.path()).unwrap(), r))
}

pub fn package(
    ty: PackageType,
    name: &str,
    version: &str,
    source: Option<(&str, &str)>,
) -> Package {
    Package {
        package_type: ty,
        name: name.to_owned(),
        version: version.to_owned(),
        arch: None,
        source_name: source.map(|s| s.0.to_owned()),
        source_version: source.map(|s| s.1.to_owned()),
        licenses: Vec::new(),
        purl: format!("pkg:{}/{name}@{version}", ty.purl_type()),
        layer_diff_id: None,
        locations: vec![Location {
            path: "/test".to_owned(),
            layer_diff_id: None,
        }],
        rpm: None,
        dev: false,
    }
}
