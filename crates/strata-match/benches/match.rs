//! Matching a 1,000-package SBOM against a database holding every record of
//! `../shared/data/vulndb` (Debian 12, GHSA, PyPA, RustSec, Go), warm: the database is
//! imported once and opened once, as `strata scan` would find it.
//!
//! `cargo bench -p strata-match --bench match`. The packages are real names from the
//! data: every binary package of the Debian sources with security updates at its
//! bookworm main version (400; no kernels or browsers), PyPI names with advisories (300), crates and Go modules
//! with advisories at several versions, then repeats up to 1,000.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use strata_types::{Distro, Location, Package, PackageType};
use strata_vulndb::{Database, ImportOptions};

fn main() {
    divan::main();
}

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("STRATA_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    if dir.join("vulndb").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} has no vulndb (set STRATA_TEST_DATA)",
            dir.display()
        );
        None
    }
}

fn package(ty: PackageType, name: &str, version: &str, source: Option<(&str, &str)>) -> Package {
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
            path: "/bench".to_owned(),
            layer_diff_id: None,
        }],
        rpm: None,
        dev: false,
    }
}

/// Names of the top folders (`vulns/<name>/`) or files in an archive, by a path rule.
fn archive_names(archive: &Path, name_of: impl Fn(&str) -> Option<String>) -> BTreeSet<String> {
    let mut bytes = Vec::new();
    std::fs::File::open(archive)
        .and_then(|f| zstd::Decoder::new(f)?.read_to_end(&mut bytes))
        .expect("archive");
    let mut names = BTreeSet::new();
    let mut tar = tar::Archive::new(bytes.as_slice());
    for e in tar.entries().expect("tar") {
        let e = e.expect("entry");
        if let Some(n) = e.path().ok().and_then(|p| name_of(&p.to_string_lossy())) {
            names.insert(n);
        }
    }
    names
}

fn packages(data: &Path) -> Vec<Package> {
    let v = data.join("vulndb");
    let tsv =
        std::fs::read_to_string(v.join("distro/debian12-derived/bookworm-main-vs-security.tsv"))
            .expect("tsv");
    let mut out = Vec::new();
    for line in tsv.lines().skip(1) {
        let c: Vec<&str> = line.split('\t').collect();
        let (source, version, binaries) = (c[0], c[1], c[3]);
        // Kernels and browsers are not what container images hold, and their thousands
        // of CVEs times dozens of binaries would make this a benchmark of them alone.
        if source.starts_with("linux")
            || ["chromium", "firefox-esr", "thunderbird"].contains(&source)
        {
            continue;
        }
        for b in binaries.split(',').filter(|b| !b.is_empty()) {
            out.push(package(
                PackageType::Deb,
                b,
                version,
                Some((source, version)),
            ));
        }
    }
    out.truncate(400);
    let pypi = archive_names(&v.join("pypa-advisory-database.tar.zst"), |p| {
        let rest = p.strip_prefix("vulns/")?;
        let (name, file) = rest.split_once('/')?;
        (!file.is_empty()).then(|| name.to_owned())
    });
    let mut lang: Vec<Package> = pypi
        .iter()
        .take(300)
        .map(|n| package(PackageType::Python, n, "1.0.0", None))
        .collect();
    // RustSec and Go files are named by advisory id: crates and modules with advisories
    // stand in, at several versions.
    for n in [
        "tokio", "hyper", "openssl", "regex", "time", "chrono", "smallvec", "rustls", "h2", "serde",
    ] {
        for v in ["0.1.0", "0.2.0", "1.0.0", "1.5.0", "0.9.0"] {
            lang.push(package(PackageType::Cargo, n, v, None));
        }
    }
    for n in [
        "golang.org/x/net",
        "golang.org/x/crypto",
        "golang.org/x/text",
        "github.com/gin-gonic/gin",
        "stdlib",
    ] {
        for v in ["v0.1.0", "v0.5.0", "v1.0.0", "v1.7.0", "1.19.8"] {
            lang.push(package(PackageType::Go, n, v, None));
        }
    }
    out.extend(lang);
    while out.len() < 1000 {
        let p = out[out.len() % 400].clone();
        out.push(p);
    }
    out.truncate(1000);
    out
}

#[divan::bench(sample_count = 20)]
fn match_1000_packages(bencher: divan::Bencher<'_, '_>) {
    let Some(data) = data_dir() else { return };
    let v = data.join("vulndb");
    let dir = tempfile::tempdir().expect("tempdir");
    let inputs = [
        v.join("distro/debian12-derived/debian12-derived-osv.tar.zst"),
        v.join("ghsa/advisories"),
        v.join("pypa-advisory-database.tar.zst"),
        v.join("rustsec-advisory-db-osv.tar.zst"),
        v.join("golang-vulndb-osv.tar.zst"),
    ];
    Database::import(dir.path(), &inputs, ImportOptions::default()).expect("import");
    let db = Database::open(dir.path()).expect("open");
    let pkgs = packages(&data);
    assert_eq!(pkgs.len(), 1000);
    let distro = Distro {
        id: "debian".into(),
        version_id: "12".into(),
        codename: Some("bookworm".into()),
        id_like: Vec::new(),
        pretty_name: None,
        source_file: "/etc/os-release".into(),
    };
    // Warm: the first query pays for the page cache and statement preparation.
    let first = strata_match::match_packages(&db, Some(&distro), &pkgs).expect("match");
    eprintln!(
        "{} findings for {} packages",
        first.findings.len(),
        pkgs.len()
    );
    bencher.bench_local(|| {
        divan::black_box(strata_match::match_packages(&db, Some(&distro), &pkgs).expect("match"))
    });
}
