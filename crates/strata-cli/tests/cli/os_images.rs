//! `strata sbom <docker-save tarball>` on each real test image: the exact package list
//! from the package managers' own tools, the layer each package came from, the distro, and
//! agreement with syft 1.18.1.

use strata_testkit::images::{self, layered_layout};
use strata_testkit::truth;

use crate::support::*;

#[test]
fn minbase_archive_matches_dpkg_and_syft() {
    let Some(img) = images::minbase() else { return };
    let sbom = sbom_json(s(&img.archive), &[]);
    assert_packages("minbase", &sbom, &img.expected_packages().unwrap());
    assert_distro("minbase", &sbom, "debian", "12");
    assert_all_in_layer("minbase", &sbom, &img.diff_ids[0]);
    for p in &sbom.packages {
        assert!(
            p.purl
                .starts_with(&format!("pkg:deb/debian/{}@", purl_escape(&p.package.name))),
            "purl {}",
            p.purl
        );
        assert_eq!(
            p.locations,
            vec![(
                "/var/lib/dpkg/status".to_string(),
                Some(img.diff_ids[0].clone())
            )],
            "locations of {}",
            p.package.name
        );
    }
    assert_agrees_with_syft("minbase", &sbom, &img);
}

#[test]
fn large_archive_matches_dpkg_and_syft() {
    let Some(img) = images::debian_large() else {
        return;
    };
    let sbom = sbom_json(s(&img.archive), &[]);
    let want = img.expected_packages().unwrap();
    assert!(want.len() > 280, "{}", want.len());
    assert_packages("debian-large", &sbom, &want);
    assert_distro("debian-large", &sbom, "debian", "12");
    assert_all_in_layer("debian-large", &sbom, &img.diff_ids[0]);
    assert_agrees_with_syft("debian-large", &sbom, &img);
}

/// Layer attribution on an image made by `docker build`: the base packages come from the
/// base layer, `hello` from the `dpkg -i` layer, `tree` (installed, then purged in a later
/// layer) is gone, and the whiteout/opaque-dir layer changes nothing.
#[test]
fn layered_archive_attributes_layers() {
    let Some(img) = images::layered() else { return };
    let sbom = sbom_json(s(&img.archive), &[]);
    check_layered("layered archive", &sbom, &img);
    assert_agrees_with_syft("layered", &sbom, &img);
}

pub fn check_layered(ctx: &str, sbom: &truth::StrataSbom, img: &strata_testkit::TestImage) {
    assert_packages(ctx, sbom, &img.expected_packages().unwrap());
    let base = &img.diff_ids[0];
    let install = &img.diff_ids[layered_layout::INSTALL_LAYER];
    for p in &sbom.packages {
        let want = if layered_layout::ADDED.contains(&p.package.name.as_str()) {
            install
        } else {
            base
        };
        assert_eq!(
            p.layer_diff_id.as_ref(),
            Some(want),
            "{ctx}: layer of {}",
            p.package.name
        );
    }
    for gone in layered_layout::REMOVED {
        assert!(
            sbom.package(gone).is_none(),
            "{ctx}: purged {gone} reported"
        );
    }
    // The status file every package is read from is the last one written (dpkg --purge).
    let last = &img.diff_ids[layered_layout::PURGE_LAYER];
    let hello = sbom.package("hello").unwrap();
    assert_eq!(
        hello.locations,
        vec![("/var/lib/dpkg/status".to_string(), Some(last.clone()))],
        "{ctx}: hello's location"
    );
}

#[test]
fn apk_archive_matches_database_and_syft() {
    let Some(img) = images::apk() else { return };
    let sbom = sbom_json(s(&img.archive), &[]);
    assert_packages("apk", &sbom, &img.expected_packages().unwrap());
    assert_distro("apk", &sbom, "alpine", "3.18.4");
    assert_all_in_layer("apk", &sbom, &img.diff_ids[0]);
    for p in &sbom.packages {
        assert!(
            p.purl
                .starts_with(&format!("pkg:apk/alpine/{}@", purl_escape(&p.package.name))),
            "purl {}",
            p.purl
        );
    }
    assert_agrees_with_syft("apk", &sbom, &img);
}

#[test]
fn rpm_archive_matches_rpm_and_syft() {
    let Some(img) = images::rpm() else { return };
    let sbom = sbom_json(s(&img.archive), &[]);
    assert_packages("rpm", &sbom, &img.expected_packages().unwrap());
    assert_distro("rpm", &sbom, "rocky", "8.4");
    assert_all_in_layer("rpm", &sbom, &img.diff_ids[0]);
    // rpm's own fields, exactly as `rpm -qa` reports them.
    let mut got: Vec<_> = sbom
        .packages
        .iter()
        .map(|p| {
            p.rpm
                .clone()
                .unwrap_or_else(|| panic!("{} has no rpm{{}}", p.package.name))
        })
        .collect();
    got.sort();
    assert_eq!(got, truth::rpm_fields(&img.rootfs).unwrap());
    let hello = sbom.package("strata-hello").unwrap();
    assert_eq!(hello.package.version, "2:1.2.3-4.el8");
    assert_eq!(
        hello.locations,
        vec![(
            "/var/lib/rpm/rpmdb.sqlite".to_string(),
            Some(img.diff_ids[0].clone())
        )]
    );
    assert_agrees_with_syft("rpm", &sbom, &img);
}
