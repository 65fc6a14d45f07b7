//! A small hand-built SBOM that exercises every printer: deb, apk and rpm packages (with
//! epochs and a modularity label), a package with hostile characters, exact duplicates,
//! a package without a purl, unmappable licenses and a warning; and a scan report over it
//! ([`scan_report`]).

use strata_types::purl::PurlBuilder;
use strata_types::{
    Cvss, DatabaseInfo, Digest, Distro, Finding, FixState, Layer, Location, Package, PackageType,
    Platform, RpmDetails, SCAN_SCHEMA_VERSION, Sbom, ScanReport, Severity, Target, TargetKind,
    Tool, Warning,
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
        dev: false,
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

fn cvss(version: &str, vector: &str, score: f64, source: &str) -> Cvss {
    Cvss {
        version: version.to_owned(),
        vector: vector.to_owned(),
        score: Some(score),
        source: Some(source.to_owned()),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn finding(package: &Package, id: &str, severity: Severity, severity_source: &str) -> Finding {
    Finding {
        id: id.to_owned(),
        aliases: Vec::new(),
        advisories: vec![id.to_owned()],
        package: package.clone(),
        installed_version: package.version.clone(),
        fix_state: FixState::NotFixed,
        fixed_versions: Vec::new(),
        severity,
        severity_source: severity_source.to_owned(),
        cvss: Vec::new(),
        summary: None,
        references: Vec::new(),
        known_exploited: false,
        kev_date_added: None,
        epss: None,
        fix_published: None,
        suppressed: None,
        vex: None,
        gate_failure: None,
    }
}

fn fixed(mut f: Finding, versions: &[&str]) -> Finding {
    f.fix_state = FixState::Fixed;
    f.fixed_versions = strings(versions);
    f
}

/// A scan of the fixture image with known-vulnerable packages added (log4j-core 2.14.1,
/// lodash 4.17.11, jinja2 2.10, urllib3 1.24.1 and a vendored 1.26.5, apt, the
/// unmaintained `failure` crate), holding findings as the matcher reports them: every
/// severity, CVSS 3.1 and 4.0 vectors, aliases, a vendor rating, no fix, won't fix, one
/// id in two packages, and the fixture's hostile package. Findings are deliberately not
/// in output order.
pub fn scan_report() -> ScanReport {
    let mut sbom = sbom();
    let pkg = |t: PackageType, name: &str, version: &str, purl: &str, path: &str| {
        let mut p = base(t, name, version, purl.to_owned());
        p.locations = vec![loc(path, LAYER1)];
        p.layer_diff_id = Some(digest(LAYER1));
        p
    };
    let log4j = pkg(
        PackageType::Maven,
        "log4j-core",
        "2.14.1",
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        "/app/lib/log4j-core-2.14.1.jar",
    );
    let lodash = pkg(
        PackageType::Npm,
        "lodash",
        "4.17.11",
        "pkg:npm/lodash@4.17.11",
        "/srv/web/node_modules/lodash/package.json",
    );
    let jinja2 = pkg(
        PackageType::Python,
        "jinja2",
        "2.10",
        "pkg:pypi/jinja2@2.10",
        "/usr/lib/python3/dist-packages/Jinja2-2.10.egg-info/PKG-INFO",
    );
    let urllib3 = pkg(
        PackageType::Python,
        "urllib3",
        "1.24.1",
        "pkg:pypi/urllib3@1.24.1",
        "/usr/lib/python3/dist-packages/urllib3-1.24.1.dist-info/METADATA",
    );
    let urllib3_vendored = pkg(
        PackageType::Python,
        "urllib3",
        "1.26.5",
        "pkg:pypi/urllib3@1.26.5",
        "/opt/venv/lib/python3.11/site-packages/urllib3-1.26.5.dist-info/METADATA",
    );
    let mut apt = pkg(
        PackageType::Deb,
        "apt",
        "2.6.1",
        "pkg:deb/debian/apt@2.6.1?arch=amd64&distro=debian-12",
        "/var/lib/dpkg/status",
    );
    apt.arch = Some("amd64".to_owned());
    apt.source_name = Some("apt".to_owned());
    apt.layer_diff_id = Some(digest(LAYER0));
    let failure = pkg(
        PackageType::Cargo,
        "failure",
        "0.1.8",
        "pkg:cargo/failure@0.1.8",
        "/app/Cargo.lock",
    );
    sbom.packages.extend([
        log4j.clone(),
        lodash.clone(),
        jinja2.clone(),
        urllib3.clone(),
        urllib3_vendored.clone(),
        apt.clone(),
        failure.clone(),
    ]);
    let find = |name: &str| {
        sbom.packages
            .iter()
            .find(|p| p.name == name)
            .unwrap()
            .clone()
    };
    let openssl = find("openssl-libs");
    let weird = find("we ird\u{1b}[31m<pkg>&\"q\"/ü");

    let mut f_log4j = fixed(
        finding(
            &log4j,
            "CVE-2021-44228",
            Severity::Critical,
            "cvss:3.1 (nvd)",
        ),
        &["2.15.0"],
    );
    f_log4j.aliases = strings(&["GHSA-jfh8-c2jp-5v3q"]);
    f_log4j.advisories = strings(&["GHSA-jfh8-c2jp-5v3q"]);
    f_log4j.cvss = vec![cvss(
        "3.1",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        10.0,
        "nvd",
    )];
    f_log4j.summary = Some("Remote code injection in Log4j".to_owned());
    f_log4j.references = strings(&[
        "https://logging.apache.org/log4j/2.x/security.html",
        "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
    ]);

    let mut f_lodash = fixed(
        finding(
            &lodash,
            "CVE-2019-10744",
            Severity::Critical,
            "cvss:3.1 (ghsa)",
        ),
        &["4.17.12"],
    );
    f_lodash.aliases = strings(&["GHSA-jf85-cpcp-j695"]);
    f_lodash.advisories = strings(&["GHSA-jf85-cpcp-j695"]);
    f_lodash.cvss = vec![cvss(
        "3.1",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H",
        9.1,
        "ghsa",
    )];
    f_lodash.summary = Some("Prototype Pollution in lodash".to_owned());

    let mut f_jinja = fixed(
        finding(&jinja2, "CVE-2019-10906", Severity::High, "cvss:3.1 (nvd)"),
        &["2.10.1"],
    );
    f_jinja.aliases = strings(&["GHSA-462w-v97r-4m45", "PYSEC-2019-217"]);
    f_jinja.advisories = strings(&["GHSA-462w-v97r-4m45", "PYSEC-2019-217"]);
    f_jinja.cvss = vec![cvss(
        "3.1",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:N",
        8.6,
        "nvd",
    )];
    f_jinja.summary =
        Some("In Pallets Jinja before 2.10.1, str.format_map allows a sandbox escape.".to_owned());

    let mut f_urllib3 = fixed(
        finding(&urllib3, "CVE-2019-11324", Severity::High, "cvss:3.1 (nvd)"),
        &["1.24.2"],
    );
    f_urllib3.aliases = strings(&["GHSA-mh33-7rrq-662w", "PYSEC-2019-133"]);
    f_urllib3.advisories = strings(&["GHSA-mh33-7rrq-662w", "PYSEC-2019-133"]);
    f_urllib3.cvss = vec![cvss(
        "3.1",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        7.5,
        "nvd",
    )];
    f_urllib3.summary = Some("Improper Certificate Validation in urllib3".to_owned());

    // One id in two packages: SARIF must still have a single rule for it.
    let redirect = |p: &Package| {
        let mut f = fixed(
            finding(p, "CVE-2024-37891", Severity::Medium, "cvss:4.0 (ghsa)"),
            &["1.26.19"],
        );
        f.aliases = strings(&["GHSA-34jh-p97f-mpxf"]);
        f.advisories = strings(&["GHSA-34jh-p97f-mpxf"]);
        f.cvss = vec![
            cvss(
                "4.0",
                "CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N",
                5.9,
                "ghsa",
            ),
            cvss(
                "3.1",
                "CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:N/A:N",
                4.4,
                "nvd",
            ),
        ];
        f.summary = Some(
            "urllib3's Proxy-Authorization request header isn't stripped during cross-origin redirects"
                .to_owned(),
        );
        f
    };
    let f_redirect_a = redirect(&urllib3);
    let f_redirect_b = redirect(&urllib3_vendored);

    // The distribution's own rating wins for OS packages, even against a higher CVSS.
    let mut f_openssl = finding(&openssl, "CVE-2024-2511", Severity::Low, "rocky");
    f_openssl.fix_state = FixState::WontFix;
    f_openssl.cvss = vec![cvss(
        "3.1",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H",
        5.9,
        "nvd",
    )];
    f_openssl.summary = Some("Unbounded memory growth with session handling in TLSv1.3".to_owned());

    let mut f_apt = finding(&apt, "CVE-2011-3374", Severity::Negligible, "debian");
    f_apt.cvss = vec![cvss(
        "3.1",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:L/A:N",
        3.7,
        "nvd",
    )];
    f_apt.summary = Some(
        "It was found that apt-key in apt, all versions, do not correctly validate gpg keys with the master keyring, leading to a potential man-in-the-middle attack."
            .to_owned(),
    );
    f_apt.references = strings(&["https://security-tracker.debian.org/tracker/CVE-2011-3374"]);

    // No severity anywhere and no fix: reported as unknown, never as low.
    let mut f_failure = finding(&failure, "RUSTSEC-2020-0036", Severity::Unknown, "none");
    f_failure.aliases = strings(&["GHSA-jq66-xh47-j9f3"]);
    f_failure.summary = Some("failure is officially deprecated/unmaintained".to_owned());

    // Text from the database is data too: pipes, newlines and markup must stay inert.
    let mut f_weird = fixed(
        finding(&weird, "PYSEC-2024-0", Severity::Medium, "ghsa"),
        &["1.0+ünï code|2"],
    );
    f_weird.summary = Some("Header injection | CRLF\nvia `name` <b>bold</b> [x](y)".to_owned());
    f_weird.references = strings(&["javascript:alert(1)", "https://example.com/a b"]);

    ScanReport {
        schema_version: SCAN_SCHEMA_VERSION.to_owned(),
        sbom,
        database: DatabaseInfo {
            generation: 42,
            built_at: "2024-05-01T06:00:00Z".to_owned(),
            records: 512_345,
        },
        findings: vec![
            f_apt,
            f_urllib3,
            f_redirect_b,
            f_log4j,
            f_failure,
            f_weird,
            f_lodash,
            f_openssl,
            f_jinja,
            f_redirect_a,
        ],
        policy: None,
    }
}
