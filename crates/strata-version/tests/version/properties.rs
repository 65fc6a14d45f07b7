//! Order properties (antisymmetry, transitivity, consistency with equality) over the
//! versions that occur in each scheme's vector files.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use strata_version::{Scheme, Version};

use crate::harness::load;

const S: &str = "osv-scalibr-semantic";

/// Distinct versions of `files`, parsed with `scheme` (unparseable ones are skipped; the
/// vector tests cover them), in a deterministic spread-out sample of at most `max`.
fn sample(scheme: Scheme, files: &[&str], max: usize) -> Option<Vec<Version>> {
    let mut all = BTreeSet::new();
    for f in files {
        for v in load(f)? {
            all.insert(v.a);
            all.insert(v.b);
        }
    }
    let all: Vec<String> = all.into_iter().collect();
    let step = all.len().div_ceil(max).max(1);
    let picked: Vec<Version> = all
        .iter()
        .step_by(step)
        .filter_map(|s| scheme.parse(s).ok())
        .collect();
    assert!(
        picked.len() >= 10.min(all.len()),
        "{scheme}: too few parseable versions"
    );
    Some(picked)
}

fn check_properties(scheme: Scheme, files: &[&str]) {
    let Some(vs) = sample(scheme, files, 160) else {
        return;
    };
    let mut failures = Vec::new();
    for a in &vs {
        if a.cmp(a) != Ordering::Equal {
            failures.push(format!("{a} is not equal to itself"));
        }
        for b in &vs {
            let ab = a.cmp(b);
            if ab != b.cmp(a).reverse() {
                failures.push(format!("antisymmetry: {a} vs {b}"));
            }
            if (ab == Ordering::Equal) != (a == b) {
                failures.push(format!("Ord and Eq disagree: {a} vs {b}"));
            }
        }
    }
    // Transitivity over all triples of a smaller subset, including equal-class substitution.
    let small: Vec<&Version> = vs.iter().step_by(vs.len().div_ceil(45).max(1)).collect();
    for a in &small {
        for b in &small {
            let ab = a.cmp(b);
            for c in &small {
                let bc = b.cmp(c);
                if ab == bc && a.cmp(c) != ab {
                    failures.push(format!("transitivity: {a} {ab:?} {b} {bc:?} {c}"));
                }
                if ab == Ordering::Equal && a.cmp(c) != b.cmp(c) {
                    failures.push(format!("equal {a} and {b} order differently against {c}"));
                }
            }
        }
    }
    // Sorting must yield a chain consistent with every pairwise comparison.
    let mut sorted = vs.clone();
    sorted.sort();
    for (i, a) in sorted.iter().enumerate() {
        for b in sorted.iter().skip(i + 1) {
            if a.cmp(b) == Ordering::Greater {
                failures.push(format!("sorted order broken: {a} after {b}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{scheme}: {} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{scheme}: properties hold over {} versions", vs.len());
}

#[test]
fn dpkg() {
    check_properties(
        Scheme::Dpkg,
        &[
            "deb-vercmp.txt",
            &format!("{S}/debian-versions.txt"),
            &format!("{S}/debian-versions-generated.txt"),
        ],
    );
}

#[test]
fn rpm() {
    check_properties(
        Scheme::Rpm,
        &["rpm-vercmp.txt", &format!("{S}/redhat-versions.txt")],
    );
}

#[test]
fn apk() {
    check_properties(
        Scheme::Apk,
        &[
            "apk-version.data",
            &format!("{S}/alpine-versions.txt"),
            &format!("{S}/alpine-versions-generated.txt"),
        ],
    );
}

#[test]
fn pep440() {
    check_properties(
        Scheme::Pep440,
        &[
            &format!("{S}/pypi-versions.txt"),
            &format!("{S}/pypi-versions-generated.txt"),
        ],
    );
}

#[test]
fn semver_npm_go() {
    for s in [Scheme::Semver, Scheme::Npm, Scheme::Go] {
        check_properties(s, &[&format!("{S}/semver-versions.txt")]);
    }
}

/// ComparableVersion is not transitive in general (`2.9.0-1 < 2.9.0.RC1 < 2.9 < 2.9.0-1`,
/// see the `maven` module); the corpus sample checked here contains no such cycle.
#[test]
fn maven() {
    check_properties(
        Scheme::Maven,
        &[
            &format!("{S}/maven-versions.txt"),
            &format!("{S}/maven-versions-generated.txt"),
        ],
    );
}

#[test]
fn rubygems() {
    check_properties(
        Scheme::RubyGems,
        &[
            &format!("{S}/rubygems-versions.txt"),
            &format!("{S}/rubygems-versions-generated.txt"),
        ],
    );
}

#[test]
fn composer() {
    check_properties(
        Scheme::Composer,
        &[
            &format!("{S}/packagist-versions.txt"),
            &format!("{S}/packagist-versions-generated.txt"),
        ],
    );
}

#[test]
fn nuget() {
    check_properties(Scheme::NuGet, &[&format!("{S}/nuget-versions.txt")]);
}

#[test]
fn pub_cran_hackage() {
    check_properties(Scheme::Pub, &[&format!("{S}/pub-versions.txt")]);
    check_properties(
        Scheme::Cran,
        &[
            &format!("{S}/cran-versions.txt"),
            &format!("{S}/cran-versions-generated.txt"),
        ],
    );
    check_properties(Scheme::Hackage, &[&format!("{S}/hackage-versions.txt")]);
}
