//! gradle.lockfile and pom.xml. Expectations were read from the (small) files.

use super::{detect_bytes, expect, expect_malformed, names, owned};
use strata_catalog::DetectError;

#[test]
fn gradle_lockfile() {
    let Some((pkgs, _)) = expect(
        "gradle-lockfile/trivy/happy.lockfile",
        "/app/gradle.lockfile",
        &[
            ("cglib:cglib-nodep", "2.1.2"),
            ("junit:junit", "4.13.2"),
            ("org.springframework:spring-asm", "3.1.3.RELEASE"),
            ("org.springframework:spring-beans", "5.0.5.RELEASE"),
        ],
    ) else {
        return;
    };
    assert_eq!(pkgs[0].purl, "pkg:maven/cglib/cglib-nodep@2.1.2");
    let Some((_, warnings)) = expect(
        "gradle-lockfile/osv-scalibr/with-bad-pkg",
        "/app/gradle/dependency-locks/compileClasspath.lockfile",
        &[
            (
                "org.springframework.boot:spring-boot-autoconfigure",
                "2.7.4",
            ),
            (
                "org.springframework.boot:spring-boot-configuration-processor",
                "2.7.5",
            ),
        ],
    ) else {
        return;
    };
    assert_eq!(warnings.len(), 4, "{warnings:#?}");
    expect(
        "gradle-lockfile/osv-scalibr/only-empty",
        "/app/gradle.lockfile",
        &[],
    );
    expect(
        "gradle-lockfile/trivy/empty.lockfile",
        "/app/gradle.lockfile",
        &[],
    );
}

#[test]
fn pom_direct_dependencies() {
    let Some((_, warnings)) = expect(
        "maven-pom-xml/osv-scalibr/interpolation.xml",
        "/app/pom.xml",
        &[
            ("org.mine:mypackage", "1.0.0"),
            ("org.mine:my.package", "2.3.4"),
        ],
    ) else {
        return;
    };
    assert_eq!(
        warnings,
        [
            "/app/pom.xml:30: org.mine:ranged-package: `[9.4.35.v20201120,9.5)` is a version range, not a version; skipped"
        ]
    );
    // dependencyManagement of the same pom gives chuck its version; frank's comes from
    // the parent, which is not read.
    let Some((_, warnings)) = expect(
        "maven-pom-xml/osv-scalibr/with-parent.xml",
        "/app/pom.xml",
        &[
            ("org.alice:alice", "1.0.0"),
            ("org.bob:bob", "2.0.0"),
            ("org.chuck:chuck", "3.0.0"),
        ],
    ) else {
        return;
    };
    assert_eq!(
        warnings,
        [
            "/app/pom.xml:32: org.frank:frank: no version (managed by a parent or an imported BOM); skipped"
        ]
    );
    // Plugin and dependencyManagement-only dependencies are not direct dependencies.
    expect(
        "maven-pom-xml/osv-scalibr/plugin-dependency.xml",
        "/app/pom.xml",
        &[("com.example:hijack-lib", "1.0.0")],
    );
    expect(
        "maven-pom-xml/osv-scalibr/transitive.xml",
        "/app/pom.xml",
        &[
            ("org.direct:alice", "1.0.0"),
            ("org.direct:bob", "2.0.0"),
            ("org.direct:chris", "3.0.0"),
        ],
    );
    expect(
        "maven-pom-xml/osv-scalibr/profiles.xml",
        "/app/pom.xml",
        &[],
    );
    expect("maven-pom-xml/osv-scalibr/empty.xml", "/app/pom.xml", &[]);
}

#[test]
fn pom_classifier_and_type_are_purl_qualifiers() {
    let Some((pkgs, _)) = expect(
        "maven-pom-xml/osv-scalibr/with-type-classifier.xml",
        "/app/pom.xml",
        &[("abc:xyz", "1.0.0")],
    ) else {
        return;
    };
    assert_eq!(
        pkgs[0].purl,
        "pkg:maven/abc/xyz@1.0.0?classifier=sources&type=pom"
    );
    let Some((pkgs, _)) = expect(
        "maven-pom-xml/osv-scalibr/explicit-jar.xml",
        "/app/pom.xml",
        &[
            ("org.different:my-lib", "1.0.0"),
            ("com.example:my-lib", "1.0.0"),
            ("com.example:my-lib", "1.0.0"),
        ],
    ) else {
        return;
    };
    let purls: Vec<_> = pkgs.iter().map(|p| p.purl.as_str()).collect();
    assert_eq!(
        purls,
        [
            "pkg:maven/org.different/my-lib@1.0.0",
            "pkg:maven/com.example/my-lib@1.0.0?type=pom",
            "pkg:maven/com.example/my-lib@1.0.0",
        ]
    );
}

#[test]
fn pom_malformed() {
    expect_malformed(
        "maven-pom-xml/osv-scalibr/not-pom.txt",
        "/app/pom.xml",
        Some(1),
    );
    expect_malformed(
        "maven-pom-xml/osv-scalibr/invalid-syntax.xml",
        "/app/pom.xml",
        Some(3),
    );
    // A DTD (the way to an entity bomb) is refused.
    let bomb = b"<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]>\n<project>&lol2;</project>\n";
    match detect_bytes(bomb, "/app/pom.xml") {
        Err(DetectError::Malformed { message, .. }) => {
            assert!(message.contains("DTD"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    let r = detect_bytes(b"<settings/>", "/app/pom.xml");
    assert!(
        matches!(r, Err(DetectError::Malformed { line: Some(1), .. })),
        "{r:?}"
    );
}

#[test]
fn pom_in_latin1_and_project_properties() {
    let mut pom = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<project>\n<!-- Caf\xe9 -->\n<groupId>g</groupId><artifactId>a</artifactId><version>3.1</version>\n<dependencies>\n".to_vec();
    pom.extend_from_slice(b"<dependency><groupId>${project.groupId}</groupId><artifactId>b</artifactId><version>${project.version}</version><scope>test</scope></dependency>\n</dependencies></project>\n");
    let (pkgs, warnings) = detect_bytes(&pom, "/app/pom.xml").unwrap();
    assert_eq!(names(&pkgs), owned(&[("g:b", "3.1")]));
    assert!(warnings.is_empty(), "{warnings:?}");
}
