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

/// The bad inputs of the language detectors, end to end in one tree beside a good
/// lockfile: a package-lock.json nested a million deep, a zip-bomb jar (a pom.properties
/// that inflates past the entry limit), and an ELF binary whose `.go.buildinfo` is
/// corrupt (made with objcopy from /bin/true). Each is a warning naming its file, the good
/// package is still reported and the exit code is 0; `--strict` makes it exit 2.
#[test]
fn nested_json_zip_bomb_and_corrupt_go_build_info_are_warnings() {
    let t = TempDir::new("cli-bad-lang").unwrap();
    let root = t.path();
    write(root, "app/requirements.txt", "jinja2==2.10\n");
    let deep = format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
    write(root, "deep/package-lock.json", &deep);
    // The jar: zip(1) of a 3 MB file of zeros as the pom.properties.
    let stage = root.join("stage");
    write(
        &stage,
        "META-INF/maven/g/a/pom.properties",
        &"\0".repeat(3_000_000),
    );
    let jar = root.join("lib/bomb.jar");
    std::fs::create_dir_all(jar.parent().unwrap()).unwrap();
    let zip = std::process::Command::new("zip")
        .args(["-q", "-r", s(&jar), "META-INF"])
        .current_dir(&stage)
        .status();
    if !zip.is_ok_and(|st| st.success()) {
        strata_testkit::skip_or_fail("zip(1) is needed to build the zip-bomb jar");
        return;
    }
    std::fs::remove_dir_all(&stage).unwrap();
    // The Go binary: build info magic, then a string length that runs past the end.
    let section = root.join("buildinfo.bin");
    std::fs::write(
        &section,
        b"\xff Go buildinf:\x08\x02garbage-garbage-garbage",
    )
    .unwrap();
    let bin = root.join("usr/local/bin/app");
    std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
    let objcopy = std::process::Command::new("objcopy")
        .arg(format!("--add-section=.go.buildinfo={}", s(&section)))
        .args([
            "--set-section-flags",
            ".go.buildinfo=alloc,readonly",
            "/bin/true",
        ])
        .arg(&bin)
        .output();
    if !objcopy.is_ok_and(|o| o.status.success()) {
        strata_testkit::skip_or_fail("objcopy (binutils) is needed to build the Go binary");
        return;
    }
    std::fs::remove_file(&section).unwrap();

    let target = format!("dir:{}", s(root));
    let run = strata(&["sbom", &target, "--format", "json", "--no-cache"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    for (file, what) in [
        ("/deep/package-lock.json", "recursion limit"),
        ("/lib/bomb.jar", "zip bomb"),
        ("/usr/local/bin/app", "Go build info"),
    ] {
        assert!(
            run.stderr
                .lines()
                .any(|l| l.starts_with("warning:") && l.contains(file) && l.contains(what)),
            "no warning naming {file} ({what}): {}",
            run.stderr
        );
    }
    let sbom = strata_testkit::truth::parse_strata_json(&run.stdout).unwrap();
    assert_eq!(names(&sbom), ["jinja2@2.10"]);
    let run = strata(&["sbom", &target, "--no-cache", "--strict"]);
    assert_error("--strict", &run);
}
