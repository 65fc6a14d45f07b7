//! Inputs no detector may accept quietly or panic on: too large, not UTF-8, deeply
//! nested.

use strata_catalog::DetectError;
use strata_catalog::lang::{MAX_FILE_SIZE, detectors};

const PATHS: &[&str] = &[
    "/app/node_modules/a/package.json",
    "/app/package-lock.json",
    "/app/yarn.lock",
    "/app/pnpm-lock.yaml",
    "/app/requirements.txt",
    "/app/poetry.lock",
    "/app/Pipfile.lock",
    "/app/uv.lock",
    "/app/pdm.lock",
    "/usr/lib/python3/dist-packages/a-1.dist-info/METADATA",
    "/src/Cargo.lock",
    "/app/composer.lock",
    "/app/vendor/composer/installed.json",
    "/app/Gemfile.lock",
    "/usr/lib/ruby/gems/3.1.0/specifications/a-1.0.gemspec",
    "/app/a.deps.json",
    "/app/packages.lock.json",
    "/app/packages.config",
    "/src/go.mod",
    "/app/gradle.lockfile",
    "/app/pom.xml",
];

fn run(path: &str, bytes: &[u8]) -> Result<(), DetectError> {
    let all = detectors();
    let d = all.iter().find(|d| d.wants(path)).unwrap();
    d.detect_with_warnings(&strata_catalog::DetectInput {
        path,
        contents: bytes,
        distro: None,
    })
    .map(|_| ())
}

#[test]
fn every_path_has_exactly_one_detector() {
    let all = detectors();
    for path in PATHS {
        assert_eq!(all.iter().filter(|d| d.wants(path)).count(), 1, "{path}");
    }
    let names: std::collections::BTreeSet<_> = all.iter().map(|d| d.name()).collect();
    assert_eq!(names.len(), all.len(), "detector names are unique");
}

#[test]
fn oversized_files_are_too_large() {
    let big = vec![b'\n'; MAX_FILE_SIZE + 1];
    for path in PATHS {
        match run(path, &big) {
            Err(DetectError::TooLarge { path: p, .. }) => assert_eq!(&p, path),
            other => panic!("{path}: {other:?}"),
        }
    }
}

#[test]
fn invalid_utf8_names_the_line() {
    let bytes = b"{\n\n\xff\xfe\n}";
    for path in PATHS {
        match run(path, bytes) {
            Err(DetectError::Malformed { line, .. }) => assert_eq!(line, Some(3), "{path}"),
            other => panic!("{path}: {other:?}"),
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    // A million levels, as the issue asks; every parser refuses at a fixed depth, so
    // the time is that of reading the bytes.
    const DEPTH: usize = 1_000_000;
    let json = format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    let toml = format!("a = {}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    let yaml = format!("a: {}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    let xml = format!("{}{}", "<a>".repeat(DEPTH), "</a>".repeat(DEPTH));
    for (path, text) in [
        ("/app/package-lock.json", &json),
        ("/app/composer.lock", &json),
        ("/app/a.deps.json", &json),
        ("/app/Pipfile.lock", &json),
        ("/src/Cargo.lock", &toml),
        ("/app/poetry.lock", &toml),
        ("/app/pnpm-lock.yaml", &yaml),
        ("/app/pom.xml", &xml),
    ] {
        match run(path, text.as_bytes()) {
            Err(DetectError::Malformed { line: Some(1), .. }) => {}
            other => panic!("{path}: {other:?}"),
        }
    }
}
