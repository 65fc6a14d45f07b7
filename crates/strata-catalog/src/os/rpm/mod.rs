//! rpm package databases: the SQLite (`rpmdb.sqlite`), Berkeley DB (`Packages`) and NDB
//! (`Packages.db`) backends, and the rpm header blob each of them stores per package.
//!
//! Every reader works on the bytes in memory, never writes anything, and is bounded:
//! each page / slot / overflow page is visited at most once and every offset and count
//! is checked before use, so time is linear in the file size and memory is at most a
//! small multiple of it. Errors name the database file and the offset, page or slot.

pub mod bdb;
pub mod header;
pub mod ndb;
pub mod sqlite;

use strata_types::purl::PurlBuilder;
use strata_types::{Distro, Location, Package, PackageType, RpmDetails};

use crate::detector::{DetectError, DetectInput, Detector};
pub use header::{Header, HeaderError, PackageInfo};

/// The directories rpm keeps its database in.
pub const DB_DIRS: [&str; 3] = ["var/lib/rpm", "usr/lib/sysimage/rpm", "usr/share/rpm"];

/// Why a database could not be read. Offsets are byte offsets into the database file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    #[error("truncated: {needed} bytes needed (offset {offset}), file has {len}")]
    Truncated { offset: u64, needed: u64, len: u64 },
    #[error("bad magic at offset {offset}: expected {expected}")]
    BadMagic { offset: u64, expected: &'static str },
    #[error("at offset {offset}: {message}")]
    Malformed { offset: u64, message: String },
    #[error("unsupported at offset {offset}: {message}")]
    Unsupported { offset: u64, message: String },
    #[error("page {page}: {message}")]
    Page { page: u32, message: String },
    #[error("slot {slot} (offset {offset}): {message}")]
    Slot {
        slot: usize,
        offset: u64,
        message: String,
    },
    #[error("blob of package {pkgidx} at offset {offset}: {message}")]
    Blob {
        pkgidx: u32,
        offset: u64,
        message: String,
    },
    #[error("table {table}, row {rowid}: {message}")]
    Row {
        table: &'static str,
        rowid: i64,
        message: String,
    },
    #[error("no {name} table in the database schema")]
    MissingTable { name: &'static str },
    #[error("{location}: {source}")]
    Header {
        location: String,
        source: HeaderError,
    },
}

/// One package's header blob as read from a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBlob {
    /// The database's package number (sqlite `hnum`, BDB key, NDB package index).
    pub id: u32,
    /// Where in the database the blob was found, for error messages.
    pub location: String,
    pub data: Vec<u8>,
}

/// One package read from a database, with its header kept for later queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmPackage {
    pub id: u32,
    pub info: PackageInfo,
    blob: RawBlob,
}

impl RpmPackage {
    /// The files this package installs (absolute paths), for "which package owns
    /// this file". An error here does not make the package itself invalid.
    pub fn installed_files(&self) -> Result<Vec<String>, DbError> {
        let wrap = |source| DbError::Header {
            location: self.blob.location.clone(),
            source,
        };
        Header::parse(&self.blob.data)
            .map_err(wrap)?
            .installed_files()
            .map_err(wrap)
    }

    /// The raw header blob.
    pub fn blob(&self) -> &[u8] {
        &self.blob.data
    }
}

/// The three database formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Bdb,
    Ndb,
}

impl Backend {
    /// The database file name of this backend.
    pub fn file_name(self) -> &'static str {
        match self {
            Backend::Sqlite => "rpmdb.sqlite",
            Backend::Bdb => "Packages",
            Backend::Ndb => "Packages.db",
        }
    }

    /// Whether `path` is this backend's database in one of rpm's database directories.
    /// Does not allocate.
    pub fn wants(self, path: &str) -> bool {
        let Some(dir) = path
            .strip_suffix(self.file_name())
            .and_then(|d| d.strip_suffix('/'))
        else {
            return false;
        };
        let dir = dir.strip_prefix('/').unwrap_or(dir);
        DB_DIRS.contains(&dir)
    }

    /// The backend whose database `path` is, if any.
    pub fn for_path(path: &str) -> Option<Backend> {
        [Backend::Sqlite, Backend::Bdb, Backend::Ndb]
            .into_iter()
            .find(|b| b.wants(path))
    }

    /// The header blobs in the database, in the order rpm lists them.
    pub fn read_blobs(self, bytes: &[u8]) -> Result<Vec<RawBlob>, DbError> {
        match self {
            Backend::Sqlite => sqlite::read_blobs(bytes),
            Backend::Bdb => bdb::read_blobs(bytes),
            Backend::Ndb => ndb::read_blobs(bytes),
        }
    }

    /// Every package in the database, gpg-pubkey pseudo packages included.
    pub fn read_packages(self, bytes: &[u8]) -> Result<Vec<RpmPackage>, DbError> {
        self.read_blobs(bytes)?
            .into_iter()
            .map(RpmPackage::from_blob)
            .collect()
    }
}

impl RpmPackage {
    /// Parses one header blob.
    pub fn from_blob(blob: RawBlob) -> Result<Self, DbError> {
        let info = Header::parse(&blob.data)
            .and_then(|h| PackageInfo::from_header(&h))
            .map_err(|source| DbError::Header {
                location: blob.location.clone(),
                source,
            })?;
        Ok(RpmPackage {
            id: blob.id,
            info,
            blob,
        })
    }
}

/// The strata package for one rpm header.
pub fn to_package(info: &PackageInfo, path: &str, distro: Option<&Distro>) -> Package {
    let version_release = format!("{}-{}", info.version, info.release);
    let epoch = info.epoch.map(|e| e.to_string()).unwrap_or_default();
    let distro_q = distro.map(Distro::purl_qualifier).unwrap_or_default();
    let purl = PurlBuilder::new("rpm", &info.name)
        .namespace(distro.map(|d| d.id.as_str()).unwrap_or_default())
        .version(&version_release)
        .qualifier("arch", info.arch.clone().unwrap_or_default())
        .qualifier("distro", distro_q)
        .qualifier("epoch", epoch)
        .qualifier("upstream", info.source_rpm.clone().unwrap_or_default())
        .build();
    // The source rpm carries no epoch; rpm gives a source package's binaries its epoch,
    // so the binary's epoch is the source's too (trivy and grype assume the same).
    let (source_name, source_version) = match info.source_nvr() {
        Some((name, version, release)) => {
            let v = match info.epoch {
                Some(e) => format!("{e}:{version}-{release}"),
                None => format!("{version}-{release}"),
            };
            (Some(name), Some(v))
        }
        None => (None, None),
    };
    Package {
        package_type: PackageType::Rpm,
        name: info.name.clone(),
        version: info.evr(),
        arch: info.arch.clone(),
        source_name,
        source_version,
        licenses: info.license.iter().cloned().collect(),
        purl,
        layer_diff_id: None,
        locations: vec![Location {
            path: path.to_owned(),
            layer_diff_id: None,
        }],
        rpm: Some(RpmDetails {
            epoch: info.epoch,
            version: info.version.clone(),
            release: info.release.clone(),
            source_rpm: info.source_rpm.clone(),
            modularity_label: info.modularity_label.clone(),
            vendor: info.vendor.clone(),
        }),
        dev: false,
    }
}

fn detect_error(path: &str, e: DbError) -> DetectError {
    match &e {
        DbError::Header {
            source: HeaderError::TooManyEntries { .. } | HeaderError::DataTooLarge { .. },
            ..
        } => DetectError::TooLarge {
            path: path.to_owned(),
            message: e.to_string(),
        },
        _ => DetectError::malformed(path, None, e.to_string()),
    }
}

/// gpg-pubkey entries are the imported signing keys, not software. `rpm -qa` lists
/// them and syft reports them; strata skips them (as trivy does) because no advisory
/// ever applies to them.
fn is_software(p: &RpmPackage) -> bool {
    p.info.name != "gpg-pubkey"
}

/// The packages of one rpm database file, leniently: a package whose header blob is
/// unreadable is skipped with a warning naming the file and the blob's place in it.
/// A database whose structure (pages, slots, b-tree) is broken is still an error.
pub fn detect_with_warnings(
    backend: Backend,
    input: &DetectInput<'_>,
) -> Result<(Vec<Package>, Vec<String>), DetectError> {
    let blobs = backend
        .read_blobs(input.contents)
        .map_err(|e| detect_error(input.path, e))?;
    let mut packages = Vec::with_capacity(blobs.len());
    let mut warnings = Vec::new();
    for blob in blobs {
        match RpmPackage::from_blob(blob) {
            Ok(p) if is_software(&p) => {
                packages.push(to_package(&p.info, input.path, input.distro));
            }
            Ok(_) => {}
            Err(e) => warnings.push(format!("{}: {e}; package skipped", input.path)),
        }
    }
    Ok((packages, warnings))
}

/// The packages of one rpm database file, strictly: any unreadable package header
/// makes the whole file an error.
pub fn detect(backend: Backend, input: &DetectInput<'_>) -> Result<Vec<Package>, DetectError> {
    let packages = backend
        .read_packages(input.contents)
        .map_err(|e| detect_error(input.path, e))?;
    Ok(packages
        .iter()
        .filter(|p| is_software(p))
        .map(|p| to_package(&p.info, input.path, input.distro))
        .collect())
}

macro_rules! backend_detector {
    ($(#[$doc:meta])* $ty:ident, $backend:expr, $name:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $ty;

        impl Detector for $ty {
            fn name(&self) -> &'static str {
                $name
            }

            fn wants(&self, path: &str) -> bool {
                $backend.wants(path)
            }

            fn detect(&self, input: &DetectInput<'_>) -> Result<Vec<Package>, DetectError> {
                detect($backend, input)
            }

            fn detect_with_warnings(
                &self,
                input: &DetectInput<'_>,
            ) -> Result<(Vec<Package>, Vec<String>), DetectError> {
                detect_with_warnings($backend, input)
            }
        }
    };
}

backend_detector!(
    /// `rpmdb.sqlite` (rpm ≥ 4.16: Fedora 33+, RHEL 9, CBL-Mariner 2, Amazon Linux 2023).
    RpmSqliteDetector,
    Backend::Sqlite,
    "rpm-sqlite"
);
backend_detector!(
    /// Berkeley DB `Packages` (RHEL ≤ 8, CentOS, Amazon Linux 2, older SUSE).
    RpmBdbDetector,
    Backend::Bdb,
    "rpm-bdb"
);
backend_detector!(
    /// NDB `Packages.db` (SUSE since 15 SP3).
    RpmNdbDetector,
    Backend::Ndb,
    "rpm-ndb"
);

/// The three rpm detectors.
pub fn detectors() -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(RpmSqliteDetector),
        Box::new(RpmBdbDetector),
        Box::new(RpmNdbDetector),
    ]
}

fn fuzz_packages(backend: Backend, data: &[u8]) {
    let input = DetectInput {
        path: "/var/lib/rpm/fuzz",
        contents: data,
        distro: None,
    };
    let _ = detect_with_warnings(backend, &input);
    if let Ok(blobs) = backend.read_blobs(data) {
        for blob in blobs {
            fuzz_rpm_header(&blob.data);
        }
    }
}

/// Fuzz entry point: the rpm header blob parser. Must never panic.
pub fn fuzz_rpm_header(data: &[u8]) {
    let Ok(h) = Header::parse(data) else { return };
    if let Ok(info) = PackageInfo::from_header(&h) {
        let _ = to_package(&info, "/x", None);
    }
    let _ = h.installed_files();
    // Every accessor on the first entries (all of them would be O(il × dl)).
    let tags: Vec<i32> = h.entries().iter().take(256).map(|e| e.tag).collect();
    for tag in tags {
        let _ = h.string(tag);
        let _ = h.string_array(tag);
        let _ = h.u32_array(tag);
        let _ = h.u64_first(tag);
        let _ = h.bin(tag);
    }
}

/// Fuzz entry point: the Berkeley DB reader and everything after it.
pub fn fuzz_rpm_bdb(data: &[u8]) {
    fuzz_packages(Backend::Bdb, data);
}

/// Fuzz entry point: the NDB reader and everything after it.
pub fn fuzz_rpm_ndb(data: &[u8]) {
    fuzz_packages(Backend::Ndb, data);
}

/// Fuzz entry point: the SQLite reader and everything after it.
pub fn fuzz_rpm_sqlite(data: &[u8]) {
    fuzz_packages(Backend::Sqlite, data);
}

#[cfg(test)]
mod tests {
    use super::header::build;
    use super::*;

    const TINY_SQLITE: &[u8] = include_bytes!("testdata/tiny.sqlite");

    fn distro() -> Distro {
        Distro {
            id: "fedora".into(),
            version_id: "40".into(),
            codename: None,
            id_like: vec![],
            pretty_name: None,
            source_file: "/etc/os-release".into(),
        }
    }

    #[test]
    fn wants_only_database_files_in_rpm_dirs() {
        let s = RpmSqliteDetector;
        let b = RpmBdbDetector;
        let n = RpmNdbDetector;
        assert!(s.wants("/var/lib/rpm/rpmdb.sqlite"));
        assert!(s.wants("/usr/lib/sysimage/rpm/rpmdb.sqlite"));
        assert!(b.wants("/var/lib/rpm/Packages"));
        assert!(b.wants("/usr/share/rpm/Packages"));
        assert!(b.wants("var/lib/rpm/Packages"));
        assert!(n.wants("/usr/lib/sysimage/rpm/Packages.db"));
        assert!(!b.wants("/var/lib/rpm/Packages.db"));
        assert!(!n.wants("/var/lib/rpm/Packages"));
        assert!(!b.wants("/opt/var/lib/rpm/Packages"));
        assert!(!b.wants("/var/lib/rpmPackages"));
        assert!(!s.wants("/var/lib/rpm/rpmdb.sqlite-wal"));
        assert_eq!(
            Backend::for_path("/usr/share/rpm/Packages"),
            Some(Backend::Bdb)
        );
    }

    #[test]
    fn package_with_epoch_and_distro() {
        let blob = build::package("bash", "5.2.26", "3.fc40", Some(1));
        let ndb = ndb::build::ndb(&[&blob]);
        let d = distro();
        let got = detect(
            Backend::Ndb,
            &DetectInput {
                path: "/var/lib/rpm/Packages.db",
                contents: &ndb,
                distro: Some(&d),
            },
        )
        .unwrap();
        assert_eq!(
            got,
            vec![Package {
                package_type: PackageType::Rpm,
                name: "bash".into(),
                version: "1:5.2.26-3.fc40".into(),
                arch: Some("x86_64".into()),
                source_name: Some("bash".into()),
                source_version: Some("1:5.2.26-3.fc40".into()),
                licenses: vec!["MIT".into()],
                purl: "pkg:rpm/fedora/bash@5.2.26-3.fc40?arch=x86_64&distro=fedora-40&epoch=1&upstream=bash-5.2.26-3.fc40.src.rpm".into(),
                layer_diff_id: None,
                locations: vec![Location {
                    path: "/var/lib/rpm/Packages.db".into(),
                    layer_diff_id: None
                }],
                rpm: Some(RpmDetails {
                    epoch: Some(1),
                    version: "5.2.26".into(),
                    release: "3.fc40".into(),
                    source_rpm: Some("bash-5.2.26-3.fc40.src.rpm".into()),
                    modularity_label: None,
                    vendor: None,
                }), dev: false
}]
        );
    }

    #[test]
    fn purl_without_distro_has_no_namespace() {
        let blob = build::package("zlib", "1.3", "1", None);
        let h = Header::parse(&blob).unwrap();
        let info = PackageInfo::from_header(&h).unwrap();
        let p = to_package(&info, "/var/lib/rpm/Packages", None);
        assert_eq!(
            p.purl,
            "pkg:rpm/zlib@1.3-1?arch=x86_64&upstream=zlib-1.3-1.src.rpm"
        );
        assert_eq!(p.version, "1.3-1");
    }

    #[test]
    fn tiny_sqlite_fixture_exact_contents() {
        let pkgs = Backend::Sqlite.read_packages(TINY_SQLITE).unwrap();
        let names: Vec<(u32, &str, String)> = pkgs
            .iter()
            .map(|p| (p.id, p.info.name.as_str(), p.info.evr()))
            .collect();
        let mut want = vec![
            (1, "alpha", "1.0-1".to_owned()),
            (2, "beta", "4:2.0-3.fc40".to_owned()),
            (3, "gpg-pubkey", "abcd-1234".to_owned()),
        ];
        for i in 0..40u32 {
            want.push((4 + i, "", format!("0.1-{i}")));
        }
        let filler_names: Vec<String> = (0..40).map(|i| format!("filler{i:02}")).collect();
        for (w, n) in want.iter_mut().skip(3).zip(&filler_names) {
            w.1 = n;
        }
        assert_eq!(names, want);
        // beta's 300 files live in overflow pages.
        let files = pkgs[1].installed_files().unwrap();
        assert_eq!(files.len(), 300);
        assert_eq!(files[0], "/usr/share/big/file00000");
        assert_eq!(files[299], "/usr/share/big/file00299");
        // gpg-pubkey is skipped by the detector.
        let detected = detect(
            Backend::Sqlite,
            &DetectInput {
                path: "/var/lib/rpm/rpmdb.sqlite",
                contents: TINY_SQLITE,
                distro: None,
            },
        )
        .unwrap();
        assert_eq!(detected.len(), 42);
        assert!(detected.iter().all(|p| p.name != "gpg-pubkey"));
    }

    #[test]
    fn errors_name_the_file_and_offset() {
        let input = DetectInput {
            path: "/var/lib/rpm/Packages.db",
            contents: &[0u8; 64],
            distro: None,
        };
        let e = detect(Backend::Ndb, &input).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/var/lib/rpm/Packages.db: bad magic at offset 0: expected \"RpmP\""
        );
        // A blob whose header claims 2^31 index entries.
        let mut blob = vec![0x80, 0, 0, 0, 0, 0, 0, 4];
        blob.extend_from_slice(&[0; 8]);
        let ndb = ndb::build::ndb(&[&blob]);
        let e = detect(
            Backend::Ndb,
            &DetectInput {
                path: "/var/lib/rpm/Packages.db",
                contents: &ndb,
                distro: None,
            },
        )
        .unwrap_err();
        assert!(matches!(e, DetectError::TooLarge { .. }));
        assert_eq!(
            e.to_string(),
            "/var/lib/rpm/Packages.db: slot 2, blob at offset 4096: header index count 2147483648 (offset 0) exceeds the limit of 65536"
        );
    }

    #[test]
    fn one_bad_header_is_a_warning_in_lenient_mode() {
        let good = build::package("good", "1", "1", None);
        let mut bad = vec![0x80, 0, 0, 0, 0, 0, 0, 4];
        bad.extend_from_slice(&[0; 8]);
        let ndb = ndb::build::ndb(&[&bad, &good]);
        let input = DetectInput {
            path: "/var/lib/rpm/Packages.db",
            contents: &ndb,
            distro: None,
        };
        let (pkgs, warnings) = RpmNdbDetector.detect_with_warnings(&input).unwrap();
        assert_eq!(
            pkgs.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            vec!["good"]
        );
        assert_eq!(
            warnings,
            vec![
                "/var/lib/rpm/Packages.db: slot 2, blob at offset 4096: header index count 2147483648 (offset 0) exceeds the limit of 65536; package skipped"
                    .to_owned()
            ]
        );
        assert!(RpmNdbDetector.detect(&input).is_err());
    }

    /// Deterministic xorshift for the mutation tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
        let mut d = seed.to_vec();
        let rounds = 1 + rng.below(8);
        for _ in 0..rounds {
            if d.is_empty() {
                break;
            }
            let at = rng.below(d.len());
            match rng.below(6) {
                0 => d[at] ^= 1 << rng.below(8),
                1 => d[at] = rng.next() as u8,
                2 => {
                    let v = match rng.below(4) {
                        0 => 0u32,
                        1 => u32::MAX,
                        2 => 0x8000_0000,
                        _ => rng.next() as u32,
                    };
                    let end = (at + 4).min(d.len());
                    let bytes = v.to_be_bytes();
                    d[at..end].copy_from_slice(&bytes[..end - at]);
                }
                3 => d.truncate(at),
                4 => {
                    let end = (at + 1 + rng.below(64)).min(d.len());
                    d[at..end].fill(0);
                }
                _ => {
                    let n = rng.below(16);
                    for _ in 0..n {
                        d.insert(at, rng.next() as u8);
                    }
                }
            }
        }
        d
    }

    fn run_mutations(seeds: &[Vec<u8>], iterations: usize, f: fn(&[u8])) {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for seed in seeds {
            f(seed);
        }
        for i in 0..iterations {
            let seed = &seeds[i % seeds.len()];
            let input = mutate(&mut rng, seed);
            f(&input);
        }
        // Pure noise too.
        for _ in 0..200 {
            let len = rng.below(9000);
            let noise: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            f(&noise);
        }
    }

    fn header_seeds() -> Vec<Vec<u8>> {
        vec![
            build::package("a", "1", "1", None),
            build::package("b", "2", "3", Some(7)),
        ]
    }

    #[test]
    fn fuzz_header_never_panics() {
        run_mutations(&header_seeds(), 5000, fuzz_rpm_header);
    }

    #[test]
    fn fuzz_bdb_never_panics() {
        let blobs = header_seeds();
        let seeds = vec![
            bdb::build::hash_db(&[(1, &blobs[0]), (2, &blobs[1])], false, 100),
            bdb::build::hash_db(&[(1, &blobs[0])], true, 50),
        ];
        run_mutations(&seeds, 3000, fuzz_rpm_bdb);
    }

    #[test]
    fn fuzz_ndb_never_panics() {
        let blobs = header_seeds();
        let seeds = vec![ndb::build::ndb(&[&blobs[0], &blobs[1]])];
        run_mutations(&seeds, 3000, fuzz_rpm_ndb);
    }

    #[test]
    fn fuzz_sqlite_never_panics() {
        run_mutations(&[TINY_SQLITE.to_vec()], 3000, fuzz_rpm_sqlite);
    }
}
