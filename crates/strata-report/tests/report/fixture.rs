//! A small hand-built SBOM that exercises every printer: deb, apk and rpm packages (with
//! epochs and a modularity label), a package with hostile characters, exact duplicates,
//! a package without a purl, unmappable licenses and a warning.

use strata_types::purl::PurlBuilder;
use strata_types::{
    Digest, Distro, Layer, Location, Package, PackageType, Platform, RpmDetails, Sbom, Target,
    TargetKind, Tool, Warning,
};

pub const LAYER0: &str = "sha256:a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
pub const LAYER1: &str = "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
pub const IMAGE_ID: &str =
    "sha256:9c4d2f5e8a7b6c3d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d";
pub const MANIFEST: &str =
    "sha256:5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d9c4d2f5e8a7b6c3d1e0f9a8b7c6d";

pub fn digest(s: &str) -> Digest {
    s.parse().unwrap()
}

fn loc(path: &str, layer: &str) -> Location {
    Location {
        path: path.to_owned(),
        layer_diff_id: Some(digest(layer)),
    }
}

fn base(t: PackageType, name: &str, version: &str, purl: String) -> Package {
    Package {
        package_type: t,
        name: name.to_owned(),
        version: version.to_owned(),
        arch: None,
        source_name: None,
        source_version: None,
        licenses: Vec::new(),
        purl,
        layer_diff_id: Some(digest(LAYER0)),
        locations: Vec::new(),
        rpm: None,
    }
}

/// The SBOM, with packages deliberately out of order.
pub fn sbom() -> Sbom {
    let mut target = Target::new("registry:localhost:5000/shop/app:1.0", TargetKind::Registry);
    target.image_id = Some(digest(IMAGE_ID));
    target.manifest_digest = Some(digest(MANIFEST));
    target.repo_tags = vec!["localhost:5000/shop/app:1.0".to_owned()];
    target.platform = Some(Platform::new("linux", "amd64"));
    target.layers = vec![
        Layer {
            index: 0,
            digest: Some(digest(
                "sha256:1111111111111111111111111111111111111111111111111111111111111111",
            )),
            diff_id: digest(LAYER0),
            media_type: Some("application/vnd.oci.image.layer.v1.tar+gzip".to_owned()),
            size: Some(29_123_456),
        },
        Layer {
            index: 1,
            digest: Some(digest(
                "sha256:2222222222222222222222222222222222222222222222222222222222222222",
            )),
            diff_id: digest(LAYER1),
            media_type: Some("application/vnd.oci.image.layer.v1.tar+gzip".to_owned()),
            size: Some(1_024),
        },
    ];

    let mut sbom = Sbom::new(Tool::new("strata", "0.1.0"), target, "2024-05-01T12:00:00Z");
    sbom.distro = Some(Distro {
        id: "debian".to_owned(),
        version_id: "12".to_owned(),
        codename: Some("bookworm".to_owned()),
        id_like: Vec::new(),
        pretty_name: Some("Debian GNU/Linux 12 (bookworm)".to_owned()),
        source_file: "/etc/os-release".to_owned(),
    });

    // rpm with an epoch and a license that maps.
    let mut openssl = base(
        PackageType::Rpm,
        "openssl-libs",
        "1:3.0.7-27.el9",
        "pkg:rpm/rocky/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rocky-9&epoch=1".to_owned(),
    );
    openssl.arch = Some("x86_64".to_owned());
    openssl.source_name = Some("openssl".to_owned());
    openssl.source_version = Some("1:3.0.7-27.el9".to_owned());
    openssl.licenses = vec!["ASL 2.0".to_owned()];
    openssl.layer_diff_id = Some(digest(LAYER1));
    openssl.locations = vec![loc("/var/lib/rpm/rpmdb.sqlite", LAYER1)];
    openssl.rpm = Some(RpmDetails {
        epoch: Some(1),
        version: "3.0.7".to_owned(),
        release: "27.el9".to_owned(),
        source_rpm: Some("openssl-3.0.7-27.el9.src.rpm".to_owned()),
        modularity_label: None,
        vendor: Some("Rocky Enterprise Software Foundation".to_owned()),
    });

    // rpm from a module, with a license list that cannot be mapped ("BSD").
    let mut nodejs = base(
        PackageType::Rpm,
        "nodejs",
        "1:18.14.2-3.module+el9.2.0+16",
        "pkg:rpm/rocky/nodejs@18.14.2-3.module%2Bel9.2.0%2B16?arch=x86_64&distro=rocky-9&epoch=1"
            .to_owned(),
    );
    nodejs.arch = Some("x86_64".to_owned());
    nodejs.licenses = vec!["MIT and ASL 2.0 and ISC and BSD".to_owned()];
    nodejs.layer_diff_id = Some(digest(LAYER1));
    nodejs.locations = vec![loc("/var/lib/rpm/rpmdb.sqlite", LAYER1)];
    nodejs.rpm = Some(RpmDetails {
        epoch: Some(1),
        version: "18.14.2".to_owned(),
        release: "3.module+el9.2.0+16".to_owned(),
        source_rpm: None,
        modularity_label: Some("nodejs:18:9020020230524143843:rhel9".to_owned()),
        vendor: None,
    });

    let mut libc = base(
        PackageType::Deb,
        "libc6",
        "2.36-9+deb12u4",
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc"
            .to_owned(),
    );
    libc.arch = Some("amd64".to_owned());
    libc.source_name = Some("glibc".to_owned());
    libc.licenses = vec!["GPL-2+".to_owned(), "LGPL-2.1+".to_owned()];
    libc.locations = vec![loc("/var/lib/dpkg/status", LAYER0)];

    let mut bash = base(
        PackageType::Deb,
        "bash",
        "5.2.15-2+b7",
        "pkg:deb/debian/bash@5.2.15-2%2Bb7?arch=amd64&distro=debian-12&upstream=bash%405.2.15-2"
            .to_owned(),
    );
    bash.arch = Some("amd64".to_owned());
    bash.source_name = Some("bash".to_owned());
    bash.source_version = Some("5.2.15-2".to_owned());
    bash.licenses = vec!["GPL-3+".to_owned(), "BSD-4-clause-UC".to_owned()];
    bash.locations = vec![loc("/var/lib/dpkg/status", LAYER0)];

    let mut musl = base(
        PackageType::Apk,
        "musl",
        "1.2.4-r2",
        "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19".to_owned(),
    );
    musl.arch = Some("x86_64".to_owned());
    musl.source_name = Some("musl".to_owned());
    musl.licenses = vec!["MIT".to_owned()];
    musl.locations = vec![loc("/lib/apk/db/installed", LAYER1)];
    musl.layer_diff_id = Some(digest(LAYER1));

    // Hostile characters: escape sequences, quotes, markup, non-ASCII, spaces.
    let weird_name = "we ird\u{1b}[31m<pkg>&\"q\"/ü";
    let weird_version = "1.0+ünï code";
    let mut weird = base(
        PackageType::Python,
        weird_name,
        weird_version,
        PurlBuilder::new("pypi", weird_name)
            .version(weird_version)
            .build(),
    );
    weird.licenses = vec!["Custom: see LICENSE \u{202e}txt".to_owned()];
    weird.locations = vec![loc(
        "/usr/lib/python3/dist-packages/we ird.dist-info/METADATA",
        LAYER1,
    )];
    weird.layer_diff_id = Some(digest(LAYER1));

    // The same npm package found twice: identical identity and purl, two locations.
    let mut lodash_a = base(
        PackageType::Npm,
        "lodash",
        "4.17.21",
        "pkg:npm/lodash@4.17.21".to_owned(),
    );
    lodash_a.licenses = vec!["MIT".to_owned()];
    lodash_a.locations = vec![loc("/app/node_modules/lodash/package.json", LAYER1)];
    lodash_a.layer_diff_id = Some(digest(LAYER1));
    let mut lodash_b = lodash_a.clone();
    lodash_b.locations = vec![loc(
        "/usr/lib/node_modules/npm/node_modules/lodash/package.json",
        LAYER1,
    )];

    // A Go module without a purl or license.
    let mut gomod = base(
        PackageType::Go,
        "example.com/tool",
        "(devel)",
        String::new(),
    );
    gomod.locations = vec![loc("/usr/local/bin/tool", LAYER1)];
    gomod.layer_diff_id = Some(digest(LAYER1));

    sbom.packages = vec![
        lodash_b, weird, openssl, libc, gomod, nodejs, musl, bash, lodash_a,
    ];
    sbom.warnings = vec![Warning {
        path: "/var/lib/rpm/rpmdb.sqlite".to_owned(),
        layer: Some(digest(LAYER1)),
        message: "2 of 40 header blobs were truncated and skipped".to_owned(),
    }];
    sbom
}

/// The order the printers must use.
pub fn expected_order() -> Vec<(&'static str, &'static str)> {
    vec![
        ("deb", "bash"),
        ("deb", "libc6"),
        ("apk", "musl"),
        ("rpm", "nodejs"),
        ("rpm", "openssl-libs"),
        ("python", "we ird\u{1b}[31m<pkg>&\"q\"/ü"),
        ("npm", "lodash"),
        ("npm", "lodash"),
        ("go", "example.com/tool"),
    ]
}
