//! Exact structural checks the schemas cannot express: order, identity, uniqueness,
//! references, license mapping, determinism, errors.

use std::collections::HashSet;
use std::io::{self, Write};

use serde_json::{Value, json};
use strata_report::{
    IdMode, ReportError, ReportOptions, SbomFormat, license::spdx_license_expression,
    write_cyclonedx, write_cyclonedx_with, write_json, write_sbom, write_spdx_json,
    write_spdx_json_with, write_table,
};
use strata_types::Sbom;

use crate::{fixture, render, render_json};

fn names(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn strata_json_round_trips_in_sorted_order() {
    let sbom = fixture::sbom();
    let text = render(&sbom, SbomFormat::Json);
    let back: Sbom = serde_json::from_str(&text).unwrap();
    let mut sorted = sbom.clone();
    sorted.sort_packages();
    assert_eq!(back, sorted);
    let got: Vec<(&str, &str)> = back
        .packages
        .iter()
        .map(|p| (p.package_type.as_str(), p.name.as_str()))
        .collect();
    assert_eq!(got, fixture::expected_order());
    let v: Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(v["schema_version"], json!("1.0"));
    assert_eq!(keys.len(), 7, "{keys:?}");
    assert!(text.starts_with("{\n  \"schema_version\": \"1.0\",\n  \"tool\": {"));
}

#[test]
fn dispatcher_matches_the_individual_printers() {
    let sbom = fixture::sbom();
    type Printer = fn(&Sbom, &mut dyn Write) -> Result<(), ReportError>;
    let table: Printer = |s, o| write_table(s, false, o);
    let cases: [(SbomFormat, Printer); 4] = [
        (SbomFormat::Table, table),
        (SbomFormat::Json, write_json),
        (SbomFormat::CycloneDx, write_cyclonedx),
        (SbomFormat::SpdxJson, write_spdx_json),
    ];
    for (format, printer) in cases {
        let mut direct = Vec::new();
        printer(&sbom, &mut direct).unwrap();
        assert_eq!(render(&sbom, format).into_bytes(), direct, "{format}");
    }
}

#[test]
fn document_ids_are_deterministic_unless_asked_otherwise() {
    let sbom = fixture::sbom();
    let serial = |s: &Sbom| render_json(s, SbomFormat::CycloneDx)["serialNumber"].clone();
    let namespace = |s: &Sbom| render_json(s, SbomFormat::SpdxJson)["documentNamespace"].clone();

    let mut later = sbom.clone();
    later.created = "2025-01-01T00:00:00Z".to_owned();
    assert_eq!(serial(&sbom), serial(&later));
    assert_eq!(namespace(&sbom), namespace(&later));

    let mut other = sbom.clone();
    other.packages.pop();
    assert_ne!(serial(&sbom), serial(&other));
    assert_ne!(namespace(&sbom), namespace(&other));

    // Package order given by the caller does not matter.
    let mut reordered = sbom.clone();
    reordered.packages.reverse();
    assert_eq!(serial(&sbom), serial(&reordered));
    assert_eq!(
        render(&sbom, SbomFormat::SpdxJson),
        render(&reordered, SbomFormat::SpdxJson)
    );

    let s = serial(&sbom);
    let s = s.as_str().unwrap();
    assert!(s.starts_with("urn:uuid:") && s.len() == 45, "{s}");
    assert_eq!(&s[23..24], "5", "a version 5 UUID: {s}");

    let random = |ids| {
        let mut a = Vec::new();
        write_cyclonedx_with(&sbom, ids, &mut a).unwrap();
        let v: Value = serde_json::from_slice(&a).unwrap();
        v["serialNumber"].as_str().unwrap().to_owned()
    };
    let (r1, r2) = (random(IdMode::Random), random(IdMode::Random));
    assert_ne!(r1, r2);
    assert_eq!(&r1[23..24], "4", "a version 4 UUID: {r1}");
    let mut a = Vec::new();
    write_spdx_json_with(&sbom, IdMode::Random, &mut a).unwrap();
    let v: Value = serde_json::from_slice(&a).unwrap();
    assert_ne!(v["documentNamespace"], namespace(&sbom));
}

#[test]
fn cyclonedx_structure() {
    let bom = render_json(&fixture::sbom(), SbomFormat::CycloneDx);
    assert_eq!(bom["specVersion"], json!("1.6"));
    assert_eq!(bom["version"], json!(1));
    assert_eq!(
        bom["metadata"]["tools"]["components"],
        json!([{"type": "application", "name": "strata", "version": "0.1.0"}])
    );
    let root = &bom["metadata"]["component"];
    assert_eq!(root["type"], json!("container"));
    assert_eq!(root["name"], json!("registry:localhost:5000/shop/app:1.0"));
    assert_eq!(root["version"], json!(fixture::MANIFEST));

    let components = bom["components"].as_array().unwrap();
    let refs: Vec<&str> = components
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    let unique: HashSet<&str> = refs.iter().copied().collect();
    assert_eq!(unique.len(), refs.len(), "{refs:?}");
    assert_eq!(
        refs,
        vec![
            "strata:os:debian-12",
            "pkg:deb/debian/bash@5.2.15-2%2Bb7?arch=amd64&distro=debian-12&upstream=bash%405.2.15-2",
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc",
            "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19",
            "pkg:rpm/rocky/nodejs@18.14.2-3.module%2Bel9.2.0%2B16?arch=x86_64&distro=rocky-9&epoch=1",
            "pkg:rpm/rocky/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rocky-9&epoch=1",
            "pkg:pypi/we%20ird%1B%5B31m%3Cpkg%3E%26%22q%22%2F%C3%BC@1.0%2B%C3%BCn%C3%AF%20code",
            "pkg:npm/lodash@4.17.21",
            "pkg:npm/lodash@4.17.21::2",
            "strata:package:go/example.com/tool@(devel)",
        ]
    );
    assert_eq!(components[0]["type"], json!("operating-system"));
    assert!(
        components[1..]
            .iter()
            .all(|c| c["type"] == json!("library"))
    );

    // Licenses: ids where certain, names otherwise, expressions for a lone compound.
    assert_eq!(
        components[2]["licenses"],
        json!([{"license": {"id": "GPL-2.0-or-later"}}, {"license": {"id": "LGPL-2.1-or-later"}}])
    );
    assert_eq!(
        components[4]["licenses"],
        json!([{"license": {"name": "MIT and ASL 2.0 and ISC and BSD"}}])
    );
    assert_eq!(
        components[5]["licenses"],
        json!([{"license": {"id": "Apache-2.0"}}])
    );

    // rpm fields as properties.
    let props: Vec<(&str, &str)> = components[4]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["value"].as_str().unwrap()))
        .collect();
    for want in [
        ("strata:package:type", "rpm"),
        ("strata:rpm:epoch", "1"),
        ("strata:rpm:release", "3.module+el9.2.0+16"),
        (
            "strata:rpm:modularity_label",
            "nodejs:18:9020020230524143843:rhel9",
        ),
        ("strata:layer:diff_id", fixture::LAYER1),
        ("strata:location:path", "/var/lib/rpm/rpmdb.sqlite"),
    ] {
        assert!(props.contains(&want), "{want:?} not in {props:?}");
    }

    // Dependencies: every ref exists; OS packages hang off the OS component.
    let deps = bom["dependencies"].as_array().unwrap();
    let root_ref = root["bom-ref"].as_str().unwrap();
    assert_eq!(deps.len(), 2);
    assert_eq!(deps[0]["ref"], json!(root_ref));
    assert_eq!(deps[1]["ref"], json!("strata:os:debian-12"));
    let on = |d: &Value| -> Vec<String> {
        d["dependsOn"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        on(&deps[0]),
        vec![refs[0], refs[6], refs[7], refs[8], refs[9]]
    );
    assert_eq!(on(&deps[1]), refs[1..6].to_vec());
}

#[test]
fn spdx_structure() {
    let doc = render_json(&fixture::sbom(), SbomFormat::SpdxJson);
    assert_eq!(doc["spdxVersion"], json!("SPDX-2.3"));
    assert_eq!(doc["dataLicense"], json!("CC0-1.0"));
    assert_eq!(
        doc["creationInfo"]["creators"],
        json!(["Tool: strata-0.1.0"])
    );
    let ns = doc["documentNamespace"].as_str().unwrap();
    assert!(
        ns.starts_with(
            "https://spdx.org/spdxdocs/strata/registry/registry-localhost-5000-shop-app-1.0-"
        ),
        "{ns}"
    );
    assert!(!ns.contains(char::is_whitespace));

    let packages = doc["packages"].as_array().unwrap();
    let ids: Vec<&str> = packages
        .iter()
        .map(|p| p["SPDXID"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![
            "SPDXRef-Image",
            "SPDXRef-OperatingSystem",
            "SPDXRef-Package-deb-bash-5.2.15-2+b7-amd64",
            "SPDXRef-Package-deb-libc6-2.36-9+deb12u4-amd64",
            "SPDXRef-Package-apk-musl-1.2.4-r2-x86-64",
            "SPDXRef-Package-rpm-nodejs-1-18.14.2-3.module+el9.2.0+16-x86-64",
            "SPDXRef-Package-rpm-openssl-libs-1-3.0.7-27.el9-x86-64",
            "SPDXRef-Package-python-we-ird--31m-pkg---q----1.0+-n--code",
            "SPDXRef-Package-npm-lodash-4.17.21",
            "SPDXRef-Package-npm-lodash-4.17.21-2",
            "SPDXRef-Package-go-example.com-tool--devel-",
        ]
    );
    for id in &ids {
        let rest = id.strip_prefix("SPDXRef-").unwrap();
        assert!(
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+')),
            "{id}"
        );
    }
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
    assert_eq!(names(&doc, "packages")[7], "we ird\u{1b}[31m<pkg>&\"q\"/ü");

    // Relationships: DESCRIBES the image, which CONTAINS everything else.
    let rels = doc["relationships"].as_array().unwrap();
    assert_eq!(
        rels[0],
        json!({"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-Image"})
    );
    let contained: Vec<&str> = rels[1..]
        .iter()
        .map(|r| {
            assert_eq!(r["spdxElementId"], json!("SPDXRef-Image"));
            assert_eq!(r["relationshipType"], json!("CONTAINS"));
            r["relatedSpdxElement"].as_str().unwrap()
        })
        .collect();
    assert_eq!(contained, ids[1..].to_vec());

    // Licenses: valid expressions or NOASSERTION with the raw text kept.
    assert_eq!(
        packages[3]["licenseDeclared"],
        json!("GPL-2.0-or-later AND LGPL-2.1-or-later")
    );
    assert_eq!(
        packages[2]["licenseDeclared"],
        json!("GPL-3.0-or-later AND BSD-4-Clause-UC")
    );
    assert_eq!(packages[5]["licenseDeclared"], json!("NOASSERTION"));
    assert_eq!(
        packages[5]["licenseComments"],
        json!("license as declared by the package manager: MIT and ASL 2.0 and ISC and BSD")
    );
    assert_eq!(packages[10]["licenseDeclared"], json!("NOASSERTION"));
    assert_eq!(packages[10].get("licenseComments"), None);

    let spdx_list = spdx_license_list();
    for p in packages {
        assert_eq!(p["licenseConcluded"], json!("NOASSERTION"));
        let declared = p["licenseDeclared"].as_str().unwrap();
        if declared == "NOASSERTION" {
            continue;
        }
        assert_eq!(spdx_license_expression(declared).as_deref(), Some(declared));
        for word in declared.split([' ', '(', ')']).filter(|w| !w.is_empty()) {
            assert!(
                ["AND", "OR", "WITH"].contains(&word) || spdx_list.contains(word),
                "{word} in {declared} is not on the SPDX list"
            );
        }
    }

    // purls as PACKAGE-MANAGER references; none for the Go module without one.
    assert_eq!(
        packages[4]["externalRefs"],
        json!([{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19"}])
    );
    assert_eq!(packages[10].get("externalRefs"), None);
}

/// License and exception identifiers on the SPDX list, from the list CycloneDX ships.
fn spdx_license_list() -> HashSet<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/schemas/spdx.SNAPSHOT.schema.json"
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn machine_formats_reject_a_bad_timestamp() {
    let mut sbom = fixture::sbom();
    sbom.created = "2024-05-01 12:00".to_owned();
    for format in [SbomFormat::CycloneDx, SbomFormat::SpdxJson] {
        let mut out = Vec::new();
        let err = write_sbom(&sbom, format, &ReportOptions::default(), &mut out).unwrap_err();
        assert!(
            matches!(&err, ReportError::BadTimestamp(s) if s == "2024-05-01 12:00"),
            "{err}"
        );
        assert!(out.is_empty(), "nothing written on error");
    }
}

struct FailingWriter;
impl Write for FailingWriter {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn write_errors_are_reported() {
    for format in SbomFormat::ALL {
        let err = write_sbom(
            &fixture::sbom(),
            format,
            &ReportOptions::default(),
            &mut FailingWriter,
        )
        .unwrap_err();
        assert!(
            matches!(&err, ReportError::Io(e) if e.kind() == io::ErrorKind::BrokenPipe),
            "{format}: {err}"
        );
    }
}

/// The example in docs/sbom-json.md is real output: it parses and prints back unchanged.
#[test]
fn documented_example_is_exact_output() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/sbom-json.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let start = doc.find("## Example\n\n```json\n").unwrap() + "## Example\n\n```json\n".len();
    let len = doc[start..].find("```\n").unwrap();
    let example = &doc[start..start + len];
    let sbom: Sbom = serde_json::from_str(example).unwrap();
    assert_eq!(render(&sbom, SbomFormat::Json), example);
    // Every top-level, target, layer and package field of the example is documented.
    for field in [
        "schema_version",
        "tool",
        "created",
        "target",
        "distro",
        "packages",
        "warnings",
        "reference",
        "kind",
        "image_id",
        "manifest_digest",
        "repo_tags",
        "platform",
        "layers",
        "index",
        "digest",
        "diff_id",
        "media_type",
        "size",
        "type",
        "name",
        "version",
        "arch",
        "source_name",
        "source_version",
        "licenses",
        "purl",
        "layer_diff_id",
        "locations",
        "rpm",
        "path",
        "layer",
        "message",
        "id",
        "version_id",
        "codename",
        "id_like",
        "pretty_name",
        "source_file",
    ] {
        assert!(
            doc.contains(&format!("| `{field}` |")),
            "{field} is not documented"
        );
    }
}
