//! `sbom:FILE`: what strata writes as CycloneDX and SPDX reads back to the same packages
//! (the fields matching needs), and documents of other writers' shapes read as they mean.

use strata_report::SbomFormat;
use strata_report::sbom_in::{SbomReadError, read_sbom};
use strata_types::{Package, PackageType};

use crate::{fixture, render};

type Identity = (
    PackageType,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn identity(p: &Package) -> Identity {
    (
        p.package_type,
        p.name.clone(),
        p.version.clone(),
        p.arch.clone(),
        p.source_name.clone(),
        p.source_version.clone(),
    )
}

#[test]
fn strata_cyclonedx_and_spdx_read_back_to_the_same_packages() {
    let sbom = fixture::sbom();
    let mut want: Vec<Identity> = sbom
        .packages
        .iter()
        .filter(|p| !p.purl.is_empty())
        .map(|p| {
            // Read back, an OS package without a recorded source is its own source (as
            // matching treats it); the fixture leaves some of them empty.
            let mut id = identity(p);
            if p.package_type.is_os() {
                id.4.get_or_insert_with(|| p.name.clone());
                id.5.get_or_insert_with(|| p.version.clone());
            }
            id
        })
        .collect();
    want.sort();
    want.dedup();
    for format in [SbomFormat::CycloneDx, SbomFormat::SpdxJson] {
        let text = render(&sbom, format);
        let back = read_sbom(text.as_bytes(), "bom.json").unwrap();
        let mut got: Vec<Identity> = back.packages.iter().map(identity).collect();
        got.sort();
        got.dedup();
        assert_eq!(got, want, "{format:?}");
        let d = back.distro.unwrap();
        assert_eq!(
            (d.id.as_str(), d.version_id.as_str()),
            ("debian", "12"),
            "{format:?}"
        );
        // Only the Go module without a purl is left out; the image itself is no package.
        assert_eq!(back.warnings.len(), 1, "{format:?}: {:?}", back.warnings);
        assert!(back.warnings[0].contains(": 1 "), "{:?}", back.warnings);
    }
}

#[test]
fn distro_from_purl_qualifiers_and_merged_duplicates() {
    let doc = |purls: &[&str]| {
        let components: Vec<serde_json::Value> = purls
            .iter()
            .map(|p| serde_json::json!({"type": "library", "name": "x", "version": "1", "purl": p}))
            .collect();
        serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": components})
            .to_string()
    };
    for (purl, id, version) in [
        (
            "pkg:rpm/opensuse/x@1-1?distro=opensuse-leap-15.5",
            "opensuse-leap",
            "15.5",
        ),
        ("pkg:apk/alpine/x@1-r0?distro=3.19.1", "alpine", "3.19.1"),
        ("pkg:deb/debian/x@1?distro=debian-12.5", "debian", "12.5"),
        ("pkg:deb/debian/x@1?distro=sid", "sid", ""),
    ] {
        let back = read_sbom(doc(&[purl]).as_bytes(), "d.json").unwrap();
        let d = back.distro.unwrap();
        assert_eq!(
            (d.id.as_str(), d.version_id.as_str()),
            (id, version),
            "{purl}"
        );
    }
    // One package listed twice, once as a dev dependency: one package, both files, not dev.
    let twice = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
        {"type": "library", "name": "lodash", "version": "4.17.20", "purl": "pkg:npm/lodash@4.17.20",
         "properties": [{"name": "strata:location:path", "value": "/b/package-lock.json"},
                        {"name": "strata:package:dev", "value": "true"}]},
        {"type": "library", "name": "lodash", "version": "4.17.20", "purl": "pkg:npm/lodash@4.17.20",
         "properties": [{"name": "strata:location:path", "value": "/a/package-lock.json"}]}]});
    let back = read_sbom(twice.to_string().as_bytes(), "t.json").unwrap();
    assert_eq!(back.packages.len(), 1);
    let paths: Vec<&str> = back.packages[0]
        .locations
        .iter()
        .map(|l| l.path.as_str())
        .collect();
    assert_eq!(paths, ["/a/package-lock.json", "/b/package-lock.json"]);
    assert!(!back.packages[0].dev);
}

#[test]
fn other_writers_shapes() {
    // syft-like: `upstream=name@version`, the OS as a component; trivy-like: source
    // fields as properties; an rpm with its epoch qualifier and a source rpm.
    let doc = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5",
        "metadata": {"component": {"type": "container", "name": "app:1"}},
        "components": [
            {"type": "operating-system", "name": "debian", "version": "12"},
            {"type": "library", "name": "libssl3", "version": "3.0.11-1~deb12u2",
             "purl": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl%403.0.11-1~deb12u2&distro=debian-12"},
            {"type": "library", "name": "zlib1g", "version": "1:1.2.13.dfsg-1",
             "purl": "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12.4",
             "properties": [{"name": "aquasecurity:trivy:SrcName", "value": "zlib"},
                            {"name": "aquasecurity:trivy:SrcVersion", "value": "1.2.13.dfsg"},
                            {"name": "aquasecurity:trivy:SrcRelease", "value": "1"},
                            {"name": "aquasecurity:trivy:SrcEpoch", "value": "1"}]},
            {"type": "library", "name": "log4j-core", "version": "2.14.1",
             "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
             "components": [{"type": "library", "name": "lodash", "version": "4.17.11",
                             "purl": "pkg:npm/lodash@4.17.11"}]},
            {"type": "library", "name": "x", "version": "1", "purl": "pkg:generic/x@1"},
            {"type": "library", "name": "nopurl", "version": "1"},
            {"type": "library", "name": "bad", "version": "1", "purl": "npm/bad@1"}
        ]
    });
    let back = read_sbom(doc.to_string().as_bytes(), "syft.cdx.json").unwrap();
    let got: Vec<Identity> = back.packages.iter().map(identity).collect();
    let s = |x: &str| Some(x.to_owned());
    assert_eq!(
        got,
        [
            (
                PackageType::Deb,
                "libssl3".into(),
                "3.0.11-1~deb12u2".into(),
                s("amd64"),
                s("openssl"),
                s("3.0.11-1~deb12u2")
            ),
            (
                PackageType::Deb,
                "zlib1g".into(),
                "1:1.2.13.dfsg-1".into(),
                s("amd64"),
                s("zlib"),
                s("1:1.2.13.dfsg-1")
            ),
            (
                PackageType::Npm,
                "lodash".into(),
                "4.17.11".into(),
                None,
                None,
                None
            ),
            (
                PackageType::Maven,
                "org.apache.logging.log4j:log4j-core".into(),
                "2.14.1".into(),
                None,
                None,
                None
            ),
        ]
    );
    assert_eq!(
        back.distro.as_ref().map(|d| d.version_id.as_str()),
        Some("12")
    );
    assert_eq!(back.packages[0].locations[0].path, "syft.cdx.json");
    assert_eq!(back.warnings.len(), 2, "{:?}", back.warnings);
    assert!(
        back.warnings.iter().any(|w| w.contains("\"bad\"")),
        "{:?}",
        back.warnings
    );
    assert!(
        back.warnings.iter().any(|w| w.contains("2 component(s)")),
        "{:?}",
        back.warnings
    );

    let rpm = serde_json::json!({
        "spdxVersion": "SPDX-2.3",
        "packages": [{"name": "openssl-libs", "versionInfo": "1:3.0.7-27.el9",
            "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
              "referenceLocator": "pkg:rpm/rocky/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rocky-9&epoch=1&upstream=openssl-3.0.7-27.el9.src.rpm"}]}]
    });
    let back = read_sbom(rpm.to_string().as_bytes(), "r.spdx.json").unwrap();
    let p = &back.packages[0];
    assert_eq!(
        identity(p),
        (
            PackageType::Rpm,
            "openssl-libs".into(),
            "1:3.0.7-27.el9".into(),
            s("x86_64"),
            s("openssl"),
            s("1:3.0.7-27.el9")
        )
    );
    let rpm = p.rpm.as_ref().unwrap();
    assert_eq!(
        (rpm.epoch, rpm.version.as_str(), rpm.release.as_str()),
        (Some(1), "3.0.7", "27.el9")
    );
    let d = back.distro.unwrap();
    assert_eq!((d.id.as_str(), d.version_id.as_str()), ("rocky", "9"));
}

#[test]
fn bad_documents_are_errors_with_position() {
    match read_sbom(b"{\n  \"bomFormat\": \"CycloneDX\",\n  oops\n}", "bad.json") {
        Err(SbomReadError::Json { line, file, .. }) => {
            assert_eq!((line, file.as_str()), (3, "bad.json"))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        read_sbom(b"[]", "a.json"),
        Err(SbomReadError::UnknownFormat { .. })
    ));
    assert!(matches!(
        read_sbom(br#"{"spdxVersion": "SPDX-3.0"}"#, "a.json"),
        Err(SbomReadError::UnknownFormat { .. })
    ));
}
