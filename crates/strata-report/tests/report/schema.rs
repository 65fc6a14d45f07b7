//! Validation against the official JSON schemas in `tests/schemas/` (see its README):
//! CycloneDX 1.6 (with the SPDX license list and JSF schemas it references, resolved
//! locally, never over the network), SPDX 2.3 and SARIF 2.1.0.

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

pub(crate) fn cyclonedx_validator() -> Validator {
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

/// The `language` pattern of the published SARIF 2.1.0 schema has a stray `]`, which the
/// validator's (ECMA-262 `u`-mode) regex check rejects when it checks the schema itself.
const SARIF_BAD_PATTERN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
/// What it evidently means: a language tag such as `en` or `en-US`.
const SARIF_FIXED_PATTERN: &str = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$";

/// Replaces every string equal to `from` in `v`, returning how many were replaced.
fn replace_strings(v: &mut Value, from: &str, to: &str) -> usize {
    match v {
        Value::String(s) if s == from => {
            *s = to.to_owned();
            1
        }
        Value::Array(items) => items.iter_mut().map(|i| replace_strings(i, from, to)).sum(),
        Value::Object(map) => map.values_mut().map(|i| replace_strings(i, from, to)).sum(),
        _ => 0,
    }
}

/// SARIF 2.1.0 (draft-04, self-contained: every `$ref` points inside the file). The file
/// is stored unmodified; the one broken pattern (on `language`, which strata never
/// writes) is repaired in memory.
pub(crate) fn sarif_validator() -> Validator {
    let mut schema = schema_file("sarif-2.1.0-rtm.5.json");
    let fixed = replace_strings(&mut schema, SARIF_BAD_PATTERN, SARIF_FIXED_PATTERN);
    assert_eq!(
        fixed, 2,
        "the SARIF schema changed: review the pattern repair"
    );
    jsonschema::options()
        .offline()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

/// GitLab's container-scanning report schema 15.2.4 (draft-07, self-contained).
pub(crate) fn gitlab_validator() -> Validator {
    jsonschema::options()
        .offline()
        .should_validate_formats(true)
        .build(&schema_file("container-scanning-report-format-15.2.4.json"))
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
pub(crate) fn errors(v: &Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

pub(crate) fn assert_valid(v: &Validator, doc: &Value) {
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
    vec![full, bare, empty, no_manifest, with_dev_dependency()]
}

/// The fixture with its npm packages marked development-only.
fn with_dev_dependency() -> strata_types::Sbom {
    let mut sbom = fixture::sbom();
    for p in &mut sbom.packages {
        p.dev = p.name == "lodash";
    }
    sbom
}

#[test]
fn development_dependencies_in_every_format() {
    let sbom = with_dev_dependency();
    let cdx = render_json(&sbom, SbomFormat::CycloneDx);
    let lodash: Vec<&Value> = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "lodash")
        .collect();
    assert_eq!(lodash.len(), 2);
    for c in &lodash {
        assert_eq!(c["scope"], "optional", "{c}");
        assert!(
            c["properties"].to_string().contains("strata:package:dev"),
            "{c}"
        );
    }
    assert!(
        cdx["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["name"] != "lodash")
            .all(|c| c.get("scope").is_none())
    );
    let json = render_json(&sbom, SbomFormat::Json);
    let devs: Vec<&str> = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["dev"] == true)
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(devs, ["lodash", "lodash"]);
    // Read back from CycloneDX, the mark survives.
    let text = crate::render(&sbom, SbomFormat::CycloneDx);
    let back = strata_report::sbom_in::read_sbom(text.as_bytes(), "bom.json").unwrap();
    assert!(
        back.packages
            .iter()
            .filter(|p| p.name == "lodash")
            .all(|p| p.dev)
    );
    assert!(
        back.packages
            .iter()
            .filter(|p| p.name != "lodash")
            .all(|p| !p.dev)
    );
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

/// Deterministic xorshift64* so failures reproduce.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
    pub(crate) fn chance(&mut self) -> bool {
        self.next().is_multiple_of(2)
    }
}

const PIECES: &[&str] = &[
    "",
    " ",
    "libc6",
    "2.36-9+deb12u4",
    "1:3.0.7-27.el9",
    "we ird",
    "\u{1b}[31m",
    "ü",
    "日本語",
    "\u{202e}",
    "\"q\"",
    "<&>",
    "NOASSERTION",
    "GPL-2+",
    "MIT OR Apache-2.0",
    "BSD",
    "ASL 2.0",
    "pkg:deb/debian/x@1",
    "SPDXRef-Image",
    "strata:os:debian-12",
    "/",
    "\n",
    "(",
    ")",
];

pub(crate) fn random_string(rng: &mut Rng) -> String {
    let n = rng.next() % 4;
    (0..n).map(|_| *rng.pick(PIECES)).collect()
}

pub(crate) fn random_sbom(rng: &mut Rng) -> strata_types::Sbom {
    use strata_types::{Distro, Location, Package, PackageType, RpmDetails};
    let kinds = [
        TargetKind::DockerArchive,
        TargetKind::Oci,
        TargetKind::Docker,
        TargetKind::Registry,
        TargetKind::Dir,
        TargetKind::Sbom,
    ];
    let types = [
        PackageType::Deb,
        PackageType::Apk,
        PackageType::Rpm,
        PackageType::Python,
        PackageType::Npm,
        PackageType::Go,
        PackageType::Maven,
    ];
    let mut sbom = fixture::sbom();
    sbom.target.reference = random_string(rng);
    sbom.target.kind = *rng.pick(&kinds);
    if rng.chance() {
        sbom.target.manifest_digest = None;
    }
    sbom.target.repo_tags = vec![random_string(rng)];
    sbom.tool.version = random_string(rng);
    sbom.distro = rng.chance().then(|| Distro {
        id: random_string(rng),
        version_id: random_string(rng),
        codename: rng.chance().then(|| random_string(rng)),
        id_like: vec![random_string(rng)],
        pretty_name: rng.chance().then(|| random_string(rng)),
        source_file: random_string(rng),
    });
    let count = rng.next() % 12;
    sbom.packages = (0..count)
        .map(|_| {
            let t = *rng.pick(&types);
            Package {
                package_type: t,
                name: random_string(rng),
                version: random_string(rng),
                arch: rng.chance().then(|| random_string(rng)),
                source_name: rng.chance().then(|| random_string(rng)),
                source_version: rng.chance().then(|| random_string(rng)),
                licenses: (0..rng.next() % 3).map(|_| random_string(rng)).collect(),
                purl: if rng.chance() {
                    random_string(rng)
                } else {
                    "pkg:npm/same@1".to_owned()
                },
                layer_diff_id: rng.chance().then(|| fixture::digest(fixture::LAYER0)),
                locations: vec![Location {
                    path: random_string(rng),
                    layer_diff_id: None,
                }],
                rpm: (t == PackageType::Rpm).then(|| RpmDetails {
                    epoch: rng.chance().then_some(7),
                    version: random_string(rng),
                    release: random_string(rng),
                    source_rpm: rng.chance().then(|| random_string(rng)),
                    modularity_label: rng.chance().then(|| random_string(rng)),
                    vendor: None,
                }),
                dev: false,
            }
        })
        .collect();
    sbom
}

#[test]
fn random_sboms_always_give_schema_valid_documents() {
    let cdx = cyclonedx_validator();
    let spdx = spdx_validator();
    let mut rng = Rng(0x5eed_0000_5b0f_0001);
    for i in 0..150 {
        let sbom = random_sbom(&mut rng);
        let c = render_json(&sbom, SbomFormat::CycloneDx);
        let errs = errors(&cdx, &c);
        assert!(errs.is_empty(), "case {i}: {errs:?}\n{c:#}");
        let s = render_json(&sbom, SbomFormat::SpdxJson);
        let errs = errors(&spdx, &s);
        assert!(errs.is_empty(), "case {i}: {errs:?}\n{s:#}");
        // Identifiers stay unique whatever the names are.
        let refs: Vec<&str> = c["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["bom-ref"].as_str().unwrap())
            .collect();
        let unique: std::collections::HashSet<&&str> = refs.iter().collect();
        assert_eq!(unique.len(), refs.len(), "case {i}: {refs:?}");
        let ids: Vec<&str> = s["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["SPDXID"].as_str().unwrap())
            .collect();
        let unique: std::collections::HashSet<&&str> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "case {i}: {ids:?}");
    }
}
