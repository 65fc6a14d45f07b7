//! The other output formats and `-o FILE`, on a small synthetic image (no services needed)
//! and on the real minbase image: every format lists the same packages as the JSON report.

use std::collections::BTreeSet;

use strata_testkit::cache::TempDir;
use strata_testkit::images;
use strata_testkit::serde_json::{self, Value};
use strata_testkit::synth::{self, SynthLayer};
use strata_testkit::truth::StrataSbom;

use crate::support::*;

fn synthetic_archive(t: &TempDir) -> String {
    let archive = t.path().join("synth.tar");
    synth::docker_archive(
        &archive,
        "strata-test/synth:formats",
        &[SynthLayer::plain(synth::debian_layer().unwrap())],
    )
    .unwrap();
    s(&archive).to_string()
}

fn run_format(target: &str, format: &str) -> String {
    let run = strata(&["sbom", target, "--format", format, "--no-cache"]);
    assert_eq!(run.code, Some(0), "--format {format}: {}", run.stderr);
    run.stdout
}

fn json_purls(sbom: &StrataSbom) -> BTreeSet<String> {
    sbom.packages.iter().map(|p| p.purl.clone()).collect()
}

/// Purls of a CycloneDX document's components (the OS component has none).
fn cyclonedx_purls(doc: &Value) -> BTreeSet<String> {
    assert_eq!(doc["bomFormat"], "CycloneDX");
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str().map(str::to_string))
        .collect()
}

/// Purls of an SPDX 2.x document's packages (`externalRefs` of type `purl`).
fn spdx_purls(doc: &Value) -> BTreeSet<String> {
    assert!(
        doc["spdxVersion"].as_str().unwrap().starts_with("SPDX-2."),
        "{}",
        doc["spdxVersion"]
    );
    doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["externalRefs"].as_array().cloned().unwrap_or_default())
        .filter(|r| r["referenceType"] == "purl")
        .filter_map(|r| r["referenceLocator"].as_str().map(str::to_string))
        .collect()
}

fn check_formats(target: &str) {
    let sbom = sbom_json(target, &[]);
    let want = json_purls(&sbom);
    assert_eq!(want.len(), sbom.packages.len(), "purls are unique");

    let cdx: Value = serde_json::from_str(&run_format(target, "cyclonedx")).unwrap();
    assert_eq!(cyclonedx_purls(&cdx), want, "cyclonedx purls");

    let spdx: Value = serde_json::from_str(&run_format(target, "spdx-json")).unwrap();
    assert_eq!(spdx_purls(&spdx), want, "spdx purls");

    let table = run_format(target, "table");
    for p in &sbom.packages {
        assert!(
            table
                .lines()
                .any(|l| l.split_whitespace().any(|w| w == p.package.name)
                    && l.contains(&p.package.version)),
            "table has no row for {} {}",
            p.package.name,
            p.package.version
        );
    }
}

#[test]
fn formats_agree_on_synthetic_image() {
    let t = TempDir::new("cli-formats").unwrap();
    check_formats(&synthetic_archive(&t));
}

#[test]
fn formats_agree_on_minbase() {
    let Some(img) = images::minbase() else { return };
    check_formats(s(&img.archive));
}

#[test]
fn output_file_has_the_same_report_as_stdout() {
    let t = TempDir::new("cli-output").unwrap();
    let target = synthetic_archive(&t);
    let out = t.path().join("report.json");
    let run = strata(&[
        "sbom",
        &target,
        "--format",
        "json",
        "--no-cache",
        "-o",
        s(&out),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, "", "-o must keep stdout clean");
    let from_file: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let from_stdout: Value = serde_json::from_str(&run_format(&target, "json")).unwrap();
    assert_eq!(from_file["packages"], from_stdout["packages"]);
    assert_eq!(from_file["schema_version"], from_stdout["schema_version"]);
}

#[test]
fn unknown_format_is_a_usage_error() {
    let t = TempDir::new("cli-formats").unwrap();
    let run = strata(&["sbom", &synthetic_archive(&t), "--format", "yaml"]);
    assert_eq!(run.code, Some(EXIT_ERROR), "{}", run.stderr);
    assert!(run.stderr.contains("yaml"), "{}", run.stderr);
}
