//! The public API: OSV ecosystem names, errors, parse-once-compare-many.

use std::cmp::Ordering;

use strata_version::{MAX_LEN, Scheme, VersionError};

#[test]
fn osv_ecosystem_names() {
    let cases = [
        ("Debian", Some(Scheme::Dpkg)),
        ("Debian:12", Some(Scheme::Dpkg)),
        ("Ubuntu:22.04:LTS", Some(Scheme::Dpkg)),
        ("Alpine:v3.19", Some(Scheme::Apk)),
        ("Red Hat", Some(Scheme::Rpm)),
        ("Rocky Linux", Some(Scheme::Rpm)),
        ("AlmaLinux:9", Some(Scheme::Rpm)),
        ("PyPI", Some(Scheme::Pep440)),
        ("npm", Some(Scheme::Npm)),
        ("crates.io", Some(Scheme::Semver)),
        ("Go", Some(Scheme::Go)),
        ("Maven", Some(Scheme::Maven)),
        ("RubyGems", Some(Scheme::RubyGems)),
        ("Packagist", Some(Scheme::Composer)),
        ("NuGet", Some(Scheme::NuGet)),
        ("Hex", Some(Scheme::Semver)),
        ("Pub", Some(Scheme::Pub)),
        ("CRAN", Some(Scheme::Cran)),
        ("Hackage", Some(Scheme::Hackage)),
        ("GIT", None),
        ("", None),
    ];
    for (name, want) in cases {
        assert_eq!(Scheme::for_osv_ecosystem(name), want, "{name}");
    }
}

#[test]
fn scheme_names_round_trip() {
    for &s in Scheme::ALL {
        assert_eq!(s.name().parse::<Scheme>(), Ok(s));
        assert_eq!(s.to_string(), s.name());
    }
    assert!("debian".parse::<Scheme>().is_err());
}

#[test]
fn errors_name_version_offset_and_reason() {
    let cases: &[(Scheme, &str, usize, &str)] = &[
        (Scheme::Dpkg, "A:1.2.3", 0, "epoch is not a number"),
        (
            Scheme::Dpkg,
            "2:-1ubuntu3.1",
            2,
            "upstream version is empty",
        ),
        (
            Scheme::Dpkg,
            "7.4.052-!1ubuntu3.1",
            8,
            "invalid character in revision",
        ),
        (Scheme::Rpm, "1.0 -1", 3, "whitespace or control character"),
        (Scheme::Semver, "1.2.3-", 6, "empty pre-release identifier"),
        (Scheme::Go, "v1.2.x", 5, "unexpected character"),
        (Scheme::Npm, "latest", 0, "expected a number"),
        (Scheme::RubyGems, "1..2", 1, "empty segment"),
        (Scheme::NuGet, "1.2.3.4.5", 7, "unexpected character"),
        (
            Scheme::Composer,
            "1.2.3.#",
            6,
            "character not allowed in a Composer version",
        ),
        (Scheme::Cran, "1.2a", 3, "unexpected character"),
        (Scheme::Hackage, "1-2", 1, "unexpected character"),
    ];
    for &(scheme, input, offset, reason) in cases {
        let got = scheme.parse(input).unwrap_err();
        assert_eq!(
            got,
            VersionError::Invalid {
                scheme,
                version: input.to_owned(),
                offset,
                reason
            },
            "{scheme} {input:?}"
        );
        assert!(got.to_string().contains(input), "{got}");
    }
}

#[test]
fn empty_and_too_long() {
    for &scheme in Scheme::ALL {
        if scheme == Scheme::RubyGems {
            // Gem::Version treats "" as "0".
            assert_eq!(scheme.compare("", "0"), Ok(Ordering::Equal));
        } else {
            assert_eq!(
                scheme.parse("").unwrap_err(),
                VersionError::Empty { scheme },
                "{scheme}"
            );
        }
        let long = "1".repeat(MAX_LEN + 1);
        assert_eq!(
            scheme.parse(&long).unwrap_err(),
            VersionError::TooLong {
                scheme,
                len: MAX_LEN + 1,
                max: MAX_LEN
            }
        );
    }
}

#[test]
fn parse_once_compare_many() {
    let fixed = Scheme::Dpkg.parse("1:2.3-4+deb12u1").unwrap();
    let mut installed: Vec<_> = ["1:2.3-4", "1:2.3-4+deb12u1", "1:2.3-4+deb12u2", "2.9"]
        .iter()
        .map(|v| Scheme::Dpkg.parse(v).unwrap())
        .collect();
    let vulnerable: Vec<&str> = installed
        .iter()
        .filter(|v| **v < fixed)
        .map(|v| v.as_str())
        .collect();
    assert_eq!(vulnerable, ["1:2.3-4", "2.9"]);
    installed.sort();
    let sorted: Vec<&str> = installed.iter().map(|v| v.as_str()).collect();
    assert_eq!(
        sorted,
        ["2.9", "1:2.3-4", "1:2.3-4+deb12u1", "1:2.3-4+deb12u2"]
    );
    assert_eq!(fixed.scheme(), Scheme::Dpkg);
    assert_eq!(fixed.to_string(), "1:2.3-4+deb12u1");
}

#[test]
fn long_digit_runs_do_not_overflow() {
    let a = format!("1.{}", "9".repeat(600));
    let b = format!("1.1{}", "0".repeat(600));
    for scheme in [
        Scheme::Dpkg,
        Scheme::Rpm,
        Scheme::Apk,
        Scheme::Pep440,
        Scheme::Semver,
        Scheme::Maven,
        Scheme::RubyGems,
        Scheme::Composer,
        Scheme::NuGet,
        Scheme::Cran,
        Scheme::Hackage,
    ] {
        assert_eq!(scheme.compare(&a, &b), Ok(Ordering::Less), "{scheme}");
    }
}
