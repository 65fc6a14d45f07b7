//! Validation against the official JSON schemas in `tests/schemas/` (see its README):
//! CycloneDX 1.6 (with the SPDX license list and JSF schemas it references, resolved
//! locally, never over the network) and SPDX 2.3.

use std::path::PathBuf;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Registry, Validator};
use serde_json::{Value, json};
use strata_report::SbomFormat;
use strata_types::{Target, TargetKind};

use crate::{fixture, render_json};

fn schema_file(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/schemas")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn cyclonedx_validator() -> Validator {
    let registry = Registry::new()
        .add(
            "http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json",
            schema_file("spdx.SNAPSHOT.schema.json"),
        )
        .unwrap()
        .add(
            "http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json",
            schema_file("jsf-0.82.SNAPSHOT.schema.json"),
        )
        .unwrap()
        .prepare()
        .unwrap();
    jsonschema::options()
        .offline()
        .with_registry(&registry)
        .should_validate_formats(true)
        .build(&schema_file("bom-1.6.SNAPSHOT.schema.json"))
        .unwrap()
}

fn spdx_validator() -> Validator {
    jsonschema::options()
        .offline()
        .should_validate_formats(true)
        .build(&schema_file("spdx-2.3.schema.json"))
        .unwrap()
}

/// All errors as `path: message` lines (empty when valid).
fn errors(v: &Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn assert_valid(v: &Validator, doc: &Value) {
    let errs = errors(v, doc);
    assert!(errs.is_empty(), "schema errors:\n{}", errs.join("\n"));
}

/// The fixture plus variants that take other code paths.
fn variants() -> Vec<strata_types::Sbom> {
    let full = fixture::sbom();
    let mut bare = full.clone();
    bare.target = Target::new("dir:./rootfs", TargetKind::Dir);
    bare.distro = None;
    bare.warnings.clear();
    let mut empty = bare.clone();
    empty.packages.clear();
    let mut no_manifest = full.clone();
    no_manifest.target.manifest_digest = None;
    no_manifest.target.repo_tags.clear();
    vec![full, bare, empty, no_manifest]
}

#[test]
fn cyclonedx_output_matches_the_official_schema() {
    let v = cyclonedx_validator();
    for sbom in variants() {
        assert_valid(&v, &render_json(&sbom, SbomFormat::CycloneDx));
    }
}

#[test]
fn spdx_output_matches_the_official_schema() {
    let v = spdx_validator();
    for sbom in variants() {
        assert_valid(&v, &render_json(&sbom, SbomFormat::SpdxJson));
    }
}

#[test]
fn cyclonedx_schema_rejects_broken_documents() {
    let v = cyclonedx_validator();
    let good = render_json(&fixture::sbom(), SbomFormat::CycloneDx);

    let mut doc = good.clone();
    doc["components"][0]["type"] = json!("banana");
    let first = v.iter_errors(&doc).next().unwrap();
    assert_eq!(first.instance_path().as_str(), "/components/0/type");
    assert!(
        matches!(first.kind(), ValidationErrorKind::Enum { .. }),
        "{first}"
    );

    let mut doc = good.clone();
    doc.as_object_mut().unwrap().remove("specVersion");
    let first = v.iter_errors(&doc).next().unwrap();
    assert!(
        matches!(first.kind(), ValidationErrorKind::Required { property } if property == "specVersion"),
        "{first}"
    );

    let mut doc = good.clone();
    doc["serialNumber"] = json!("urn:uuid:not-a-uuid");
    let first = v.iter_errors(&doc).next().unwrap();
    assert_eq!(first.instance_path().as_str(), "/serialNumber");
    assert!(
        matches!(first.kind(), ValidationErrorKind::Pattern { .. }),
        "{first}"
    );

    let mut doc = good.clone();
    doc["metadata"]["timestamp"] = json!("yesterday");
    let first = v.iter_errors(&doc).next().unwrap();
    assert_eq!(first.instance_path().as_str(), "/metadata/timestamp");
    assert!(
        matches!(first.kind(), ValidationErrorKind::Format { .. }),
        "{first}"
    );

    // A license id that is not on the SPDX list: only detectable through the $ref to the
    // sibling spdx schema, so this proves the reference resolved.
    let mut doc = good.clone();
    doc["components"][1]["licenses"] = json!([{"license": {"id": "Not-A-License"}}]);
    let errs = errors(&v, &doc);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].starts_with("/components/1/licenses: "), "{errs:?}");
    doc["components"][1]["licenses"] = json!([{"license": {"id": "MIT"}}]);
    assert_valid(&v, &doc);

    let mut doc = good;
    doc["unexpected"] = json!(true);
    let first = v.iter_errors(&doc).next().unwrap();
    assert!(
        matches!(first.kind(), ValidationErrorKind::AdditionalProperties { unexpected } if unexpected == &["unexpected".to_owned()]),
        "{first}"
    );
}

#[test]
fn spdx_schema_rejects_broken_documents() {
    let v = spdx_validator();
    let good = render_json(&fixture::sbom(), SbomFormat::SpdxJson);

    let mut doc = good.clone();
    doc.as_object_mut().unwrap().remove("SPDXID");
    let first = v.iter_errors(&doc).next().unwrap();
    assert!(
        matches!(first.kind(), ValidationErrorKind::Required { property } if property == "SPDXID"),
        "{first}"
    );

    let mut doc = good.clone();
    doc["relationships"][1]["relationshipType"] = json!("CONTAINS_MAYBE");
    let first = v.iter_errors(&doc).next().unwrap();
    assert_eq!(
        first.instance_path().as_str(),
        "/relationships/1/relationshipType"
    );
    assert!(
        matches!(first.kind(), ValidationErrorKind::Enum { .. }),
        "{first}"
    );

    let mut doc = good.clone();
    doc["packages"][2]["filesAnalyzed"] = json!("no");
    let first = v.iter_errors(&doc).next().unwrap();
    assert_eq!(first.instance_path().as_str(), "/packages/2/filesAnalyzed");
    assert!(
        matches!(first.kind(), ValidationErrorKind::Type { .. }),
        "{first}"
    );

    let mut doc = good;
    doc["packages"][3]
        .as_object_mut()
        .unwrap()
        .remove("downloadLocation");
    let first = v.iter_errors(&doc).next().unwrap();
    assert_eq!(first.instance_path().as_str(), "/packages/3");
    assert!(
        matches!(first.kind(), ValidationErrorKind::Required { property } if property == "downloadLocation"),
        "{first}"
    );
}
