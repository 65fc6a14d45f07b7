use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use strata_vulndb::{Database, ImportOptions, ImportReport};

/// `shared/data/vulndb`, or `None` (skipped / failed under CI) when absent.
pub fn vulndb_data() -> Option<PathBuf> {
    let dir = strata_testkit::data_dir()?.join("vulndb");
    if dir.is_dir() {
        Some(dir)
    } else {
        strata_testkit::skip_or_fail(&format!("{} missing", dir.display()));
        None
    }
}

/// The inputs of the shared database, relative to shared/data/vulndb.
pub const FULL_INPUTS: &[&str] = &[
    "rustsec-advisory-db-osv.tar.zst",
    "golang-vulndb-osv.tar.zst",
    "pypa-advisory-database.tar.zst",
    "ghsa",
    "distro/debian12-derived/debian12-derived-osv.tar.zst",
    "distro/alpine-secdb",
    "distro/ubuntu-osv",
    "distro/vunnel-provider-fixtures.tar.zst",
];

pub struct Built {
    pub dir: tempfile::TempDir,
    pub report: ImportReport,
}

impl Built {
    pub fn open(&self) -> Database {
        Database::open(self.dir.path()).unwrap()
    }
}

/// One database built from every input in [`FULL_INPUTS`], shared by the tests.
pub fn full() -> Option<&'static Built> {
    static FULL: OnceLock<Option<Built>> = OnceLock::new();
    FULL.get_or_init(|| {
        let data = vulndb_data()?;
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = FULL_INPUTS.iter().map(|p| data.join(p)).collect();
        let report = Database::import(dir.path(), &paths, ImportOptions::default()).unwrap();
        eprintln!(
            "full import: {} records, {} NVD entries in {:?}, {} bytes",
            report.records, report.nvd_entries, report.elapsed, report.db_bytes
        );
        Some(Built { dir, report })
    })
    .as_ref()
}

/// Imports `paths` into a fresh database in a new temporary directory.
pub fn import(paths: &[&Path]) -> (tempfile::TempDir, ImportReport) {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = paths.iter().map(|p| p.to_path_buf()).collect();
    let report = Database::import(dir.path(), &paths, ImportOptions::default()).unwrap();
    (dir, report)
}

/// The fixtures next to these tests.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vulndb/fixtures")
}
