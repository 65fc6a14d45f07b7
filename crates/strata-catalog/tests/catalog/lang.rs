//! Language package detectors on the lockfile corpus in `../shared/data/lockfiles`
//! (osv-scalibr and trivy test data) and on small fixtures written here.
//!
//! Each test names how its expected list was derived: mostly a Python one-liner over the
//! same file with the standard library's own parser (`json`, `tomllib`) or PyYAML, run
//! once while writing the test and pasted as a literal; for small line-based formats,
//! by reading the file.

mod binaries;
mod catalog;
mod dotnet;
mod golang;
mod java;
mod malformed;
mod node;
mod php;
mod python;
mod ruby;
mod rust;

use strata_catalog::lang::detectors;
use strata_catalog::{DetectError, DetectInput};
use strata_types::Package;

type Detected = Result<(Vec<Package>, Vec<String>), DetectError>;

/// The packages and warnings the one language detector that wants `path` finds in
/// `bytes`.
pub(crate) fn detect_bytes(bytes: &[u8], path: &str) -> Detected {
    let all = detectors();
    let wanting: Vec<_> = all.iter().filter(|d| d.wants(path)).collect();
    assert_eq!(
        wanting.len(),
        1,
        "exactly one language detector must want {path}, got {:?}",
        wanting.iter().map(|d| d.name()).collect::<Vec<_>>()
    );
    wanting[0].detect_with_warnings(&DetectInput {
        path,
        contents: bytes,
        distro: None,
    })
}

/// Reads `lockfiles/<rel>` from the shared data and runs the detector for `path` on it.
/// `None` when the shared data is missing (the test then skips or, under CI, fails).
pub(crate) fn detect_file(rel: &str, path: &str) -> Option<Detected> {
    let data = strata_testkit::data_dir()?;
    let file = data.join("lockfiles").join(rel);
    let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    Some(detect_bytes(&bytes, path))
}

/// `(name, version)` of each package, in the detector's order.
pub(crate) fn names(pkgs: &[Package]) -> Vec<(String, String)> {
    pkgs.iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

pub(crate) fn owned(rows: &[(&str, &str)]) -> Vec<(String, String)> {
    rows.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

/// Runs the detector for `path` on `lockfiles/<rel>` and checks the exact
/// `(name, version)` list. Returns the packages and warnings for further checks.
pub(crate) fn expect(
    rel: &str,
    path: &str,
    want: &[(&str, &str)],
) -> Option<(Vec<Package>, Vec<String>)> {
    let (pkgs, warnings) = match detect_file(rel, path)? {
        Ok(r) => r,
        Err(e) => panic!("{rel}: {e}"),
    };
    assert_eq!(names(&pkgs), owned(want), "{rel}");
    for p in &pkgs {
        assert_eq!(p.locations.len(), 1, "{rel}");
        assert_eq!(p.locations[0].path, path, "{rel}");
        assert_eq!(p.source_name, None, "{rel}");
        assert_eq!(p.source_version, None, "{rel}");
    }
    Some((pkgs, warnings))
}

/// Runs the detector for `path` on `lockfiles/<rel>` and expects a `Malformed` error at
/// `line`.
pub(crate) fn expect_malformed(rel: &str, path: &str, line: Option<usize>) {
    let Some(result) = detect_file(rel, path) else {
        return;
    };
    match result {
        Err(DetectError::Malformed {
            path: p, line: l, ..
        }) => {
            assert_eq!(p, path, "{rel}");
            assert_eq!(l, line, "{rel}");
        }
        other => panic!("{rel}: expected Malformed at {line:?}, got {other:?}"),
    }
}
