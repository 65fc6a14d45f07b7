//! Cargo.lock.

use super::{detect_bytes, expect, expect_malformed};

/// Expectations: `[(p['name'], p['version']) for p in tomllib.load(f)['package']]`.
#[test]
fn cargo_lock_versions_1_to_3() {
    // v1 (no `version` key, `[metadata]` checksums), with a local package.
    let Some((pkgs, warnings)) = expect(
        "cargo-lock/trivy/cargo_normal.lock",
        "/src/Cargo.lock",
        &[
            ("libc", "0.2.54"),
            ("normal", "0.1.0"),
            ("unsafe-any", "0.4.2"),
            ("typemap", "0.3.3"),
            ("idna", "0.1.5"),
            ("matches", "0.1.8"),
            ("percent-encoding", "1.0.1"),
            ("url", "1.7.2"),
        ],
    ) else {
        return;
    };
    assert_eq!(pkgs[0].purl, "pkg:cargo/libc@0.2.54");
    // Path packages (the project's own crates) are listed without a warning.
    assert!(warnings.is_empty(), "{warnings:?}");
    expect(
        "cargo-lock/trivy/cargo_v3.lock",
        "/src/Cargo.lock",
        &[
            ("aho-corasick", "0.7.20"),
            ("app", "0.1.0"),
            ("libc", "0.2.140"),
            ("memchr", "1.0.2"),
            ("memchr", "2.5.0"),
            ("regex", "1.7.3"),
            ("regex-syntax", "0.5.6"),
            ("regex-syntax", "0.6.29"),
            ("ucd-util", "0.1.10"),
        ],
    );
    expect(
        "cargo-lock/osv-scalibr/many-packages.lock",
        "/src/Cargo.lock",
        &[
            ("zstd", "0.11.2"),
            ("aho-corasick", "0.7.18"),
            ("memchr", "2.4.1"),
            ("syn", "1.0.109"),
            ("libc", "0.2.140"),
            ("syn", "2.0.15"),
        ],
    );
}

#[test]
fn cargo_lock_build_metadata_and_git() {
    let Some((pkgs, _)) = expect(
        "cargo-lock/osv-scalibr/package-with-build-string.lock",
        "/src/Cargo.lock",
        &[("wasi", "0.10.2+wasi-snapshot-preview1")],
    ) else {
        return;
    };
    assert_eq!(
        pkgs[0].purl,
        "pkg:cargo/wasi@0.10.2%2Bwasi-snapshot-preview1"
    );
    let Some((_, warnings)) = expect(
        "cargo-lock/osv-scalibr/package-with-comments.lock",
        "/src/Cargo.lock",
        &[("addr2line", "0.15.2"), ("syn", "1.0.73")],
    ) else {
        return;
    };
    // Git packages are listed like the others, without a warning.
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn cargo_lock_v4_and_sparse_registry() {
    let text = b"version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"serde\"]\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.200\"\nsource = \"sparse+https://index.crates.io/\"\nchecksum = \"ab\"\n";
    let (pkgs, warnings) = detect_bytes(text, "/w/Cargo.lock").unwrap();
    let got: Vec<_> = pkgs.iter().map(|p| p.purl.as_str()).collect();
    assert_eq!(got, ["pkg:cargo/app@0.1.0", "pkg:cargo/serde@1.0.200"]);
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn cargo_lock_empty_and_malformed() {
    expect("cargo-lock/osv-scalibr/empty.lock", "/src/Cargo.lock", &[]);
    expect_malformed(
        "cargo-lock/osv-scalibr/not-toml.txt",
        "/src/Cargo.lock",
        Some(1),
    );
    // `version =` with no value, on line 10.
    expect_malformed(
        "cargo-lock/trivy/cargo_invalid.lock",
        "/src/Cargo.lock",
        Some(10),
    );
    // A [[package]] without a version.
    let r = detect_bytes(b"[[package]]\nname = \"a\"\n", "/src/Cargo.lock");
    assert!(
        matches!(r, Err(strata_catalog::DetectError::Malformed { .. })),
        "{r:?}"
    );
}
