//! Snapshots of every format on the fixture. Review changes with `cargo insta review`
//! (or `INSTA_UPDATE=always cargo test -p strata-report` and `git diff`).

use strata_report::{SbomFormat, ScanFormat, write_table};

use crate::{fixture, render, render_scan};

#[test]
fn table() {
    insta::assert_snapshot!("table", render(&fixture::sbom(), SbomFormat::Table));
}

#[test]
fn table_with_color() {
    let mut out = Vec::new();
    write_table(&fixture::sbom(), true, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    // Colour only in headings: the first line and the column titles, and WARNINGS.
    let bold_lines: Vec<&str> = text.lines().filter(|l| l.contains("\x1b[1m")).collect();
    assert_eq!(bold_lines.len(), 3, "{text}");
    assert!(bold_lines[1].starts_with("\x1b[1mNAME "));
    assert!(bold_lines[1].ends_with("LAYER\x1b[0m"));
    // Without colour the output has no escape at all (the hostile name is escaped).
    assert!(!render(&fixture::sbom(), SbomFormat::Table).contains('\x1b'));
}

#[test]
fn empty_table() {
    let mut sbom = fixture::sbom();
    sbom.packages.clear();
    sbom.warnings.clear();
    sbom.distro = None;
    assert_eq!(
        render(&sbom, SbomFormat::Table),
        "registry:localhost:5000/shop/app:1.0 (registry) · distro: unknown · 0 packages\n"
    );
}

#[test]
fn strata_json() {
    insta::assert_snapshot!("json", render(&fixture::sbom(), SbomFormat::Json));
}

#[test]
fn cyclonedx() {
    insta::assert_snapshot!("cyclonedx", render(&fixture::sbom(), SbomFormat::CycloneDx));
}

#[test]
fn spdx_json() {
    insta::assert_snapshot!("spdx_json", render(&fixture::sbom(), SbomFormat::SpdxJson));
}

#[test]
fn directory_table_has_no_layer_column() {
    let mut sbom = fixture::sbom();
    sbom.target = strata_types::Target::new("dir:./rootfs", strata_types::TargetKind::Dir);
    sbom.warnings.clear();
    sbom.packages
        .retain(|p| p.name == "musl" || p.name == "libc6");
    for p in &mut sbom.packages {
        p.layer_diff_id = None;
    }
    assert_eq!(
        render(&sbom, SbomFormat::Table),
        "dir:./rootfs (dir) · distro: Debian GNU/Linux 12 (bookworm) · 2 packages\n\
         \n\
         NAME   VERSION         TYPE  SOURCE\n\
         libc6  2.36-9+deb12u4  deb   glibc\n\
         musl   1.2.4-r2        apk   musl\n"
    );
}

#[test]
fn scan_table() {
    insta::assert_snapshot!(
        "scan_table",
        render_scan(&fixture::scan_report(), ScanFormat::Table)
    );
}

#[test]
fn scan_sarif() {
    insta::assert_snapshot!(
        "scan_sarif",
        render_scan(&fixture::scan_report(), ScanFormat::Sarif)
    );
}

#[test]
fn scan_cyclonedx() {
    insta::assert_snapshot!(
        "scan_cyclonedx",
        render_scan(&fixture::scan_report(), ScanFormat::CycloneDx)
    );
}

#[test]
fn scan_markdown() {
    insta::assert_snapshot!(
        "scan_markdown",
        render_scan(&fixture::scan_report(), ScanFormat::Markdown)
    );
}

#[test]
fn scan_gitlab() {
    insta::assert_snapshot!(
        "scan_gitlab",
        render_scan(&fixture::scan_report(), ScanFormat::Gitlab)
    );
}
