//! apk detector on real `lib/apk/db/installed` files. The expected lists were made
//! with `awk -F: '/^P:/{p=$2} /^V:/{v=$2} /^o:/{o=$2} ...'` over the same files.

use strata_catalog::os::apk::ApkDetector;
use strata_catalog::{DetectInput, Detector};

fn rows(rel: &str) -> Option<Vec<(String, String, String, String)>> {
    let data = strata_testkit::data_dir()?;
    let bytes = std::fs::read(data.join("pkgdb/apk-installed").join(rel)).unwrap();
    let pkgs = ApkDetector
        .detect(&DetectInput {
            path: "/lib/apk/db/installed",
            contents: &bytes,
            distro: None,
        })
        .unwrap();
    Some(
        pkgs.into_iter()
            .map(|p| {
                (
                    p.name,
                    p.version,
                    p.arch.unwrap_or_default(),
                    p.source_name.unwrap(),
                )
            })
            .collect(),
    )
}

fn owned(rows: &[(&str, &str, &str, &str)]) -> Vec<(String, String, String, String)> {
    rows.iter()
        .map(|(a, b, c, d)| ((*a).into(), (*b).into(), (*c).into(), (*d).into()))
        .collect()
}

#[test]
fn trivy_installed_db_skips_the_entry_without_version() {
    let Some(got) = rows("trivy/apk") else { return };
    assert_eq!(
        got,
        owned(&[
            ("musl", "1.1.14-r10", "x86_64", "musl"),
            ("busybox", "1.24.2-r9", "x86_64", "busybox"),
            (
                "alpine-baselayout",
                "3.0.3-r0",
                "x86_64",
                "alpine-baselayout"
            ),
            ("alpine-keys", "1.1-r0", "x86_64", "alpine-keys"),
            ("zlib", "1.2.8-r2", "x86_64", "zlib"),
            ("libcrypto1.0", "1.0.2h-r1", "x86_64", "openssl"),
            ("libssl1.0", "1.0.2h-r1", "x86_64", "openssl"),
            ("apk-tools", "2.6.7-r0", "x86_64", "apk-tools"),
            ("scanelf", "1.1.6-r0", "x86_64", "pax-utils"),
            ("musl-utils", "1.1.14-r10", "x86_64", "musl"),
            ("libc-utils", "0.7-r0", "x86_64", "libc-dev"),
            ("pkgconf", "1.6.0-r0", "x86_64", "pkgconf"),
            ("sqlite-libs", "3.26.0-r3", "x86_64", "sqlite"),
            ("test", "2.9.11_pre20061021-r2", "x86_64", "test-parent"),
            ("ada-libs", "2.7.4-r0", "x86_64", "ada"),
        ])
    );
}

#[test]
fn alpine_3_18_installed_db() {
    let Some(got) = rows("osv-scalibr/installed") else {
        return;
    };
    assert_eq!(
        got,
        owned(&[
            (
                "alpine-baselayout",
                "3.4.3-r1",
                "x86_64",
                "alpine-baselayout"
            ),
            (
                "alpine-baselayout-data",
                "3.4.3-r1",
                "x86_64",
                "alpine-baselayout"
            ),
            ("alpine-keys", "2.4-r1", "x86_64", "alpine-keys"),
            ("apk-tools", "2.14.0-r0", "x86_64", "apk-tools"),
            ("busybox", "1.36.0-r9", "x86_64", "busybox"),
            ("busybox-binsh", "1.36.0-r9", "x86_64", "busybox"),
            (
                "ca-certificates-bundle",
                "20230506-r0",
                "x86_64",
                "ca-certificates"
            ),
            ("libc-utils", "0.7.2-r5", "x86_64", "libc-dev"),
            ("libcrypto3", "3.1.0-r4", "x86_64", "openssl"),
            ("libssl3", "3.1.0-r4", "x86_64", "openssl"),
            ("musl", "1.2.4-r0", "x86_64", "musl"),
            ("musl-utils", "1.2.4-r0", "x86_64", "musl"),
            ("scanelf", "1.3.7-r1", "x86_64", "pax-utils"),
            ("ssl_client", "1.36.0-r9", "x86_64", "busybox"),
            ("zlib", "1.2.13-r1", "x86_64", "zlib"),
        ])
    );
}

#[test]
fn origin_falls_back_to_name_and_noarch_is_kept() {
    let Some(got) = rows("osv-scalibr/no-origin") else {
        return;
    };
    assert_eq!(got, owned(&[("pkgname", "1.2.3", "x86_64", "pkgname")]));
    let Some(got) = rows("osv-scalibr/different-arch") else {
        return;
    };
    assert_eq!(
        got,
        owned(&[(
            "alpine-baselayout-data",
            "3.4.3-r1",
            "noarch",
            "alpine-baselayout"
        )])
    );
    let Some(got) = rows("osv-scalibr/empty") else {
        return;
    };
    assert!(got.is_empty());
}
