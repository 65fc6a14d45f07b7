//! Test support shared by the integration tests of every crate.

use std::path::PathBuf;

/// True when running under CI, where a missing service or data set is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The shared third-party data corpus: `$STRATA_TEST_DATA`, else `../shared/data`
/// beside the repository. Returns `None` (after printing why) when it is absent outside
/// CI; panics when it is absent under CI.
pub fn data_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("STRATA_TEST_DATA") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    if dir.join("README.md").is_file() {
        return Some(dir);
    }
    skip_or_fail(&format!(
        "test data not found at {} (set STRATA_TEST_DATA)",
        dir.display()
    ));
    None
}

/// Skips a test outside CI with a printed reason; fails it under CI.
pub fn skip_or_fail(reason: &str) {
    if in_ci() {
        panic!("required under CI=true: {reason}");
    }
    eprintln!("SKIPPED: {reason}");
}
