//! `--skip-dirs`, `--skip-files` and `--strict` on a project tree (`dir:`): skipped paths
//! contribute nothing; a malformed lockfile is a warning naming it, or under `--strict`
//! an error.

use std::path::Path;

use strata_testkit::cache::TempDir;

use crate::support::*;

const LOCK_V3: &str = r#"{"name": "web", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {"": {"name": "web", "version": "1.0.0"},
               "node_modules/lodash": {"version": "4.17.11"}}}"#;

const CARGO_LOCK: &str = "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\n\
    source = \"registry+https://github.com/rust-lang/crates.io-index\"\n";

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A project: Python requirements, a vendored npm lockfile, test fixtures with a
/// Cargo.lock, and a broken lockfile.
fn project() -> TempDir {
    let t = TempDir::new("cli-skip").unwrap();
    let root = t.path();
    write(root, "app/requirements.txt", "jinja2==2.10\n");
    write(root, "app/vendor/web/package-lock.json", LOCK_V3);
    write(root, "app/tests/fixtures/Cargo.lock", CARGO_LOCK);
    write(
        root,
        "app/broken/package-lock.json",
        "{\"lockfileVersion\": 3, \"packages\": [",
    );
    t
}

fn names(sbom: &strata_testkit::truth::StrataSbom) -> Vec<String> {
    let mut n: Vec<String> = sbom
        .packages
        .iter()
        .map(|p| format!("{}@{}", p.package.name, p.package.version))
        .collect();
    n.sort();
    n
}

#[test]
fn malformed_lockfile_is_a_warning_and_the_rest_is_reported() {
    let t = project();
    let target = format!("dir:{}", s(t.path()));
    let run = strata(&["sbom", &target, "--format", "json", "--no-cache"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains("warning:") && run.stderr.contains("/app/broken/package-lock.json"),
        "the warning names the file: {}",
        run.stderr
    );
    let sbom = strata_testkit::truth::parse_strata_json(&run.stdout).unwrap();
    assert_eq!(
        names(&sbom),
        ["jinja2@2.10", "lodash@4.17.11", "smallvec@1.6.0"]
    );
}

#[test]
fn strict_turns_the_warning_into_an_error() {
    let t = project();
    let target = format!("dir:{}", s(t.path()));
    let run = strata(&["sbom", &target, "--no-cache", "--strict"]);
    assert_error("--strict", &run);
    assert!(
        run.stderr.contains("/app/broken/package-lock.json"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--strict"), "{}", run.stderr);
    // Skipping the broken folder makes the strict run pass.
    let sbom = sbom_json(&target, &["--strict", "--skip-dirs", "app/broken"]);
    assert_eq!(sbom.packages.len(), 3);
}

#[test]
fn skip_dirs_and_skip_files_leave_paths_out() {
    let t = project();
    let target = format!("dir:{}", s(t.path()));
    let sbom = sbom_json(
        &target,
        &[
            "--skip-dirs",
            "**/tests,app/broken",
            "--skip-files",
            "app/vendor/*/package-lock.json",
        ],
    );
    assert_eq!(names(&sbom), ["jinja2@2.10"]);
    // Repeated flags add up; a leading slash is accepted.
    let sbom = sbom_json(
        &target,
        &[
            "--skip-dirs",
            "/app/tests",
            "--skip-dirs",
            "app/broken",
            "--skip-files",
            "**/*.txt",
        ],
    );
    assert_eq!(names(&sbom), ["lodash@4.17.11"]);
    // A pattern that matches a file name only in another folder skips nothing.
    let sbom = sbom_json(
        &target,
        &[
            "--skip-dirs",
            "app/broken",
            "--skip-files",
            "requirements.txt",
        ],
    );
    assert_eq!(sbom.packages.len(), 3);
}

#[test]
fn bad_skip_pattern_is_an_error() {
    let t = project();
    let target = format!("dir:{}", s(t.path()));
    let run = strata(&["sbom", &target, "--no-cache", "--skip-files", "app/[ab"]);
    assert_error("bad glob", &run);
    assert!(run.stderr.contains("app/[ab"), "{}", run.stderr);
}
