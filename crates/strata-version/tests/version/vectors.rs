//! Every vector file in the shared corpus, with the scheme it belongs to.

use strata_version::{Scheme, rpm};

use crate::harness::{check, check_except_count, check_scheme, vectors_dir};

const S: &str = "osv-scalibr-semantic";

#[test]
fn dpkg_go_deb_version() {
    // The `*.el6.x86_64` revisions have bad syntax by policy (dpkg only warns); `_` is
    // allowed in neither part, but these contain only `.`, so they parse and compare.
    check_scheme("deb-vercmp.txt", 21, Scheme::Dpkg);
}

#[test]
fn dpkg_scalibr() {
    check_scheme(&format!("{S}/debian-versions.txt"), 30, Scheme::Dpkg);
    check_scheme(
        &format!("{S}/debian-versions-generated.txt"),
        14442,
        Scheme::Dpkg,
    );
}

#[test]
fn dpkg_validity() {
    let Some(dir) = vectors_dir() else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("deb-valid.txt")).unwrap();
    let mut n = 0;
    let mut failures = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (v, want) = line.split_once(' ').unwrap();
        let got = if Scheme::Dpkg.parse(v).is_ok() {
            "valid"
        } else {
            "invalid"
        };
        if got != want {
            failures.push(format!(
                "deb-valid.txt:{}: {v} expected {want}, got {got}",
                i + 1
            ));
        }
        n += 1;
    }
    assert_eq!(n, 11);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rpm_segments_go_rpm_version() {
    // Raw rpmvercmp segment comparisons; `""` is the empty string, which rpmvercmp orders
    // after a leading `~` ("" > "~1"), exactly as rpm 4.18 does.
    check("rpm-vercmp.txt", 4489, |a, b| Ok(rpm::rpmvercmp(a, b)));
}

#[test]
fn rpm_segments_claircore() {
    check("claircore-rpmver/rpmvercmp", 113, |a, b| {
        Ok(rpm::rpmvercmp(a, b))
    });
}

#[test]
fn rpm_nevra_claircore() {
    check("claircore-rpmver/compare", 12, |a, b| {
        let a = rpm::Nevra::parse(a).map_err(|e| e.to_string())?;
        let b = rpm::Nevra::parse(b).map_err(|e| e.to_string())?;
        Ok(a.compare(&b))
    });
}

#[test]
fn rpm_nevra_parse_claircore() {
    let Some(dir) = vectors_dir() else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("claircore-rpmver/parse")).unwrap();
    let opt = |s: &str| {
        if s == "''" || s == "\"\"" {
            None
        } else {
            Some(s.to_owned())
        }
    };
    let mut n = 0;
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [input, name, epoch, version, release, arch] = f.as_slice() else {
            panic!("bad line {line:?}");
        };
        let p = rpm::Nevra::parse(input).unwrap();
        assert_eq!(p.name, opt(name), "{line}");
        assert_eq!(
            if p.epoch_written {
                Some(p.epoch.clone())
            } else {
                None
            },
            opt(epoch),
            "{line}"
        );
        assert_eq!(p.version, *version, "{line}");
        assert_eq!(p.release, *release, "{line}");
        assert_eq!(p.arch, opt(arch), "{line}");
        n += 1;
    }
    assert_eq!(n, 4);
}

#[test]
fn rpm_scalibr_redhat() {
    // Full `[epoch:]version[-release]` strings as OSV's Red Hat ecosystem uses them.
    check_scheme(&format!("{S}/redhat-versions.txt"), 165, Scheme::Rpm);
}

#[test]
fn apk_tools_test_data() {
    // apk-tools' own test/version.data. Several lines are invalid apk versions
    // (`1.0bc`, `1.2.0A`); apk still compares them token by token and so do we.
    check_scheme("apk-version.data", 728, Scheme::Apk);
}

#[test]
fn apk_scalibr() {
    check_scheme(&format!("{S}/alpine-versions.txt"), 778, Scheme::Apk);
    check_scheme(
        &format!("{S}/alpine-versions-generated.txt"),
        13979,
        Scheme::Apk,
    );
}

#[test]
fn pep440_scalibr() {
    // The hand-written file keeps pre-PEP-440 "legacy" versions (`0.1-bulbasaur`): they are
    // ordered with the legacy key of packaging < 22 and sort before every PEP 440 version.
    check_scheme(&format!("{S}/pypi-versions.txt"), 37, Scheme::Pep440);
    check_scheme(
        &format!("{S}/pypi-versions-generated.txt"),
        12375,
        Scheme::Pep440,
    );
}

#[test]
fn semver_npm_go_scalibr() {
    // Upstream runs this file for npm, crates.io, Go and Hex. `1.1.3.4.5` is not SemVer; as
    // upstream does, numeric components after the third are build metadata.
    for scheme in [Scheme::Semver, Scheme::Npm, Scheme::Go] {
        check_scheme(&format!("{S}/semver-versions.txt"), 86, scheme);
    }
}

/// These are ComparableVersion's (maven-artifact 3.8.6) answers, which are not transitive:
/// lines 5774-5777 of the generated file chain `2.9.0.RC3 < 2.9.0 < 2.9.0-1 < 2.9.0.RC1`.
/// We agree with every line, so our Maven order has the same corner-case cycles.
#[test]
fn maven_scalibr() {
    check_scheme(&format!("{S}/maven-versions.txt"), 102, Scheme::Maven);
    check_scheme(
        &format!("{S}/maven-versions-generated.txt"),
        14752,
        Scheme::Maven,
    );
}

#[test]
fn rubygems_scalibr() {
    check_scheme(&format!("{S}/rubygems-versions.txt"), 25, Scheme::RubyGems);
    check_scheme(
        &format!("{S}/rubygems-versions-generated.txt"),
        4098,
        Scheme::RubyGems,
    );
}

#[test]
fn composer_scalibr() {
    // Upstream's hand-written edge cases `1.2.3.# = 1.2.3` and `1.2.3.# = 1.2.3.1` (with
    // `1.2.3 < 1.2.3.1`) cannot hold in any total order. Composer's own parser rejects `#`,
    // and so do we: the 6 vectors that use such versions must return an error.
    check_except_count(
        &format!("{S}/packagist-versions.txt"),
        95,
        &["1.2.3.#", "1.2.3.#.1", "1.2.3.#.p3", "1.2.3.#.beta"],
        6,
        |a, b| Scheme::Composer.compare(a, b).map_err(|e| e.to_string()),
    );
    check_scheme(
        &format!("{S}/packagist-versions-generated.txt"),
        10630,
        Scheme::Composer,
    );
}

#[test]
fn nuget_scalibr() {
    check_scheme(&format!("{S}/nuget-versions.txt"), 35, Scheme::NuGet);
}

#[test]
fn pub_scalibr() {
    // Same cases as the SemVer file except that build metadata orders (`1.0.0 < 1.0.0+build`).
    check_scheme(&format!("{S}/pub-versions.txt"), 100, Scheme::Pub);
}

#[test]
fn cran_scalibr() {
    check_scheme(&format!("{S}/cran-versions.txt"), 21, Scheme::Cran);
    check_scheme(
        &format!("{S}/cran-versions-generated.txt"),
        57,
        Scheme::Cran,
    );
}

#[test]
fn hackage_scalibr() {
    check_scheme(&format!("{S}/hackage-versions.txt"), 11, Scheme::Hackage);
}
