//! dpkg detector vs `dpkg-query` on the same status files.

use std::path::{Path, PathBuf};
use std::process::Command;

use strata_catalog::os::dpkg::DpkgDetector;
use strata_catalog::{DetectInput, Detector};

type Row = (String, String, String, String, String);

/// What dpkg itself lists for a status file: name, version, arch, source, source version,
/// leaving out packages whose files are gone (config-files, not-installed).
fn dpkg_query(status: &[u8]) -> Option<Vec<Row>> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("info")).unwrap();
    std::fs::create_dir_all(dir.path().join("updates")).unwrap();
    std::fs::write(dir.path().join("status"), status).unwrap();
    let out = Command::new("dpkg-query")
        .arg(format!("--admindir={}", dir.path().display()))
        .args([
            "-W",
            "-f",
            "${Package}\\t${Version}\\t${Architecture}\\t${source:Package}\\t${source:Version}\\t${db:Status-Status}\\n",
        ])
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "dpkg-query failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut rows: Vec<Row> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            if matches!(f[5], "config-files" | "not-installed") {
                return None;
            }
            Some((
                f[0].into(),
                f[1].into(),
                f[2].into(),
                f[3].into(),
                f[4].into(),
            ))
        })
        .collect();
    rows.sort();
    Some(rows)
}

fn strata_rows(path: &str, status: &[u8]) -> Vec<Row> {
    let mut rows: Vec<Row> = DpkgDetector
        .detect(&DetectInput {
            path,
            contents: status,
            distro: None,
        })
        .unwrap()
        .into_iter()
        .map(|p| {
            (
                p.name,
                p.version,
                p.arch.unwrap_or_default(),
                p.source_name.unwrap(),
                p.source_version.unwrap(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// The `-- var/lib/dpkg/status --` section of one of trivy's txtar fixtures.
fn txtar_status(path: &Path) -> Option<Vec<u8>> {
    let text = std::fs::read_to_string(path).unwrap();
    let start = text.find("-- var/lib/dpkg/status --\n")? + "-- var/lib/dpkg/status --\n".len();
    let rest = &text[start..];
    let end = rest.find("\n-- ").map_or(rest.len(), |e| e + 1);
    Some(rest.as_bytes()[..end].to_vec())
}

#[test]
fn agrees_with_dpkg_query_on_real_status_files() {
    let Some(data) = strata_testkit::data_dir() else {
        return;
    };
    if Command::new("dpkg-query")
        .arg("--version")
        .output()
        .is_err()
    {
        strata_testkit::skip_or_fail("dpkg-query is not installed");
        return;
    }
    let base = data.join("pkgdb/dpkg-status");
    let mut inputs: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    // claircore's vcpkg.status is vcpkg's own file, which dpkg itself refuses to parse.
    for name in ["debian-only", "postgresql", "texlive"] {
        let p = base.join(format!("claircore/{name}.status"));
        inputs.push((p.clone(), std::fs::read(&p).unwrap()));
    }
    for name in [
        "valid",
        "single",
        "statusfield",
        "transitional",
        "trailingnewlines",
    ] {
        let p = base.join(format!("osv-scalibr/dpkg/{name}"));
        inputs.push((p.clone(), std::fs::read(&p).unwrap()));
    }
    for name in ["valid", "only-apt", "third-party", "md5sums", "digest"] {
        let p = base.join(format!("trivy/{name}.txtar"));
        if let Some(s) = txtar_status(&p) {
            inputs.push((p, s));
        }
    }
    let mut total = 0;
    for (path, status) in &inputs {
        let expected = dpkg_query(status).unwrap();
        let got = strata_rows("/var/lib/dpkg/status", status);
        assert_eq!(got, expected, "{}", path.display());
        total += got.len();
    }
    // texlive alone has 357 entries: make sure the comparison was not vacuous.
    assert!(total > 400, "only {total} packages compared");
}

#[test]
fn distroless_status_d_entry() {
    let Some(data) = strata_testkit::data_dir() else {
        return;
    };
    let p =
        data.join("pkgdb/dpkg-status/syft/image-distroless-deb/var/lib/dpkg/status.d/libsqlite3-0");
    let path = "/var/lib/dpkg/status.d/libsqlite3-0";
    assert!(DpkgDetector.wants(path));
    assert!(!DpkgDetector.wants("/var/lib/dpkg/status.d/libsqlite3-0.md5sums"));
    let rows = strata_rows(path, &std::fs::read(p).unwrap());
    assert_eq!(
        rows,
        [(
            "libsqlite3-0".into(),
            "3.34.1-3".into(),
            "arm64".into(),
            "sqlite3".into(),
            "3.34.1-3".into()
        )]
    );
}

#[test]
fn invalid_status_file_is_an_error_naming_the_line() {
    let Some(data) = strata_testkit::data_dir() else {
        return;
    };
    let p = data.join("pkgdb/dpkg-status/osv-scalibr/dpkg/invalid");
    let err = DpkgDetector
        .detect(&DetectInput {
            path: "/var/lib/dpkg/status",
            contents: &std::fs::read(p).unwrap(),
            distro: None,
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "/var/lib/dpkg/status:1: expected `Field: value`, found \"asdf\""
    );
}

#[test]
fn empty_package_field_is_skipped_with_a_warning() {
    // syft's fixture starts with a bare `Package:` entry, which dpkg-query refuses.
    let Some(data) = strata_testkit::data_dir() else {
        return;
    };
    let p = data.join("pkgdb/dpkg-status/syft/image-dpkg/var/lib/dpkg/status");
    let (pkgs, warnings) = DpkgDetector
        .detect_with_warnings(&DetectInput {
            path: "/var/lib/dpkg/status",
            contents: &std::fs::read(p).unwrap(),
            distro: None,
        })
        .unwrap();
    let rows: Vec<_> = pkgs
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.version.as_str(),
                p.source_name.as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, [("libpam-runtime", "1.1.8-3.6", "pam")]);
    assert_eq!(
        warnings,
        ["/var/lib/dpkg/status:1: entry without a Package field skipped"]
    );
}
