//! Version ordering per package ecosystem, the foundation of vulnerability matching.
//!
//! Pick a [`Scheme`] (directly or from an OSV ecosystem name with
//! [`Scheme::for_osv_ecosystem`]), then either compare two strings with
//! [`Scheme::compare`] or parse once with [`Scheme::parse`] and compare the resulting
//! [`Version`]s (which implement [`Ord`]) many times.
//!
//! Every parser bounds its input to [`MAX_LEN`] bytes and runs in time linear in the input;
//! numeric runs of any length are compared as digit strings, never converted to integers.

use std::cmp::Ordering;
use std::fmt;

pub mod apk;
pub mod composer;
pub mod dpkg;
pub mod maven;
pub mod nuget;
pub mod numeric;
pub mod pep440;
pub mod rpm;
pub mod rubygems;
pub mod semver;
mod util;

/// Longest version string accepted, in bytes.
pub const MAX_LEN: usize = 1024;

/// A version ordering scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Scheme {
    /// Debian and Ubuntu packages (`dpkg --compare-versions`).
    Dpkg,
    /// RPM packages: Red Hat, Rocky, AlmaLinux, SUSE, ... (`rpmvercmp`, epoch, `~`, `^`).
    Rpm,
    /// Alpine packages (apk-tools).
    Apk,
    /// Python packages (PEP 440; invalid strings use the legacy ordering and sort first).
    Pep440,
    /// SemVer 2.0.0 (crates.io, Hex, OSV `SEMVER` ranges), parsed leniently.
    Semver,
    /// npm packages (SemVer 2.0.0 ordering).
    Npm,
    /// Go modules: SemVer with the `v` prefix; pseudo-versions order as pre-releases.
    Go,
    /// Maven artifacts (`ComparableVersion` of maven-artifact 3.8; like it, not transitive
    /// in a few corner cases, see [`maven`]).
    Maven,
    /// RubyGems (`Gem::Version`).
    RubyGems,
    /// Composer / Packagist (PHP `version_compare` after normalisation; only
    /// `[A-Za-z0-9._+-]` accepted).
    Composer,
    /// NuGet (SemVer 2 with a fourth component, case-insensitive pre-release labels).
    NuGet,
    /// Dart/Flutter Pub: SemVer, but build metadata sorts after its absence.
    Pub,
    /// CRAN (R `package_version`: numbers separated by `.` or `-`).
    Cran,
    /// Hackage (Haskell `Data.Version`: dotted numbers).
    Hackage,
}

impl Scheme {
    /// Every scheme, in declaration order.
    pub const ALL: &'static [Scheme] = &[
        Scheme::Dpkg,
        Scheme::Rpm,
        Scheme::Apk,
        Scheme::Pep440,
        Scheme::Semver,
        Scheme::Npm,
        Scheme::Go,
        Scheme::Maven,
        Scheme::RubyGems,
        Scheme::Composer,
        Scheme::NuGet,
        Scheme::Pub,
        Scheme::Cran,
        Scheme::Hackage,
    ];

    /// A short lower-case name (`dpkg`, `rpm`, `pep440`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Dpkg => "dpkg",
            Scheme::Rpm => "rpm",
            Scheme::Apk => "apk",
            Scheme::Pep440 => "pep440",
            Scheme::Semver => "semver",
            Scheme::Npm => "npm",
            Scheme::Go => "go",
            Scheme::Maven => "maven",
            Scheme::RubyGems => "rubygems",
            Scheme::Composer => "composer",
            Scheme::NuGet => "nuget",
            Scheme::Pub => "pub",
            Scheme::Cran => "cran",
            Scheme::Hackage => "hackage",
        }
    }

    /// The scheme for an OSV `affected[].package.ecosystem` value. Release suffixes after
    /// the first `:` (`Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.19`) are ignored.
    /// Returns `None` for ecosystems without a scheme here.
    pub fn for_osv_ecosystem(ecosystem: &str) -> Option<Scheme> {
        let base = ecosystem.split(':').next().unwrap_or_default().trim();
        Some(match base {
            "Debian" | "Ubuntu" => Scheme::Dpkg,
            "Alpine" | "Wolfi" | "Chainguard" => Scheme::Apk,
            "Red Hat" | "Rocky Linux" | "AlmaLinux" | "SUSE" | "openSUSE" | "Mageia"
            | "openEuler" | "Azure Linux" | "Photon OS" => Scheme::Rpm,
            "PyPI" => Scheme::Pep440,
            "npm" => Scheme::Npm,
            "Go" => Scheme::Go,
            "crates.io" | "Hex" | "Bitnami" => Scheme::Semver,
            "Maven" => Scheme::Maven,
            "RubyGems" => Scheme::RubyGems,
            "Packagist" => Scheme::Composer,
            "NuGet" => Scheme::NuGet,
            "Pub" => Scheme::Pub,
            "CRAN" => Scheme::Cran,
            "Hackage" => Scheme::Hackage,
            _ => return None,
        })
    }

    /// Parses `s` under this scheme.
    pub fn parse(&self, s: &str) -> Result<Version, VersionError> {
        if s.len() > MAX_LEN {
            return Err(VersionError::TooLong {
                scheme: *self,
                len: s.len(),
                max: MAX_LEN,
            });
        }
        let repr =
            match self {
                Scheme::Dpkg => Repr::Dpkg(dpkg::parse(s)?),
                Scheme::Rpm => Repr::Rpm(rpm::parse(s)?),
                Scheme::Apk => {
                    if s.is_empty() {
                        return Err(VersionError::Empty { scheme: *self });
                    }
                    Repr::Apk(apk::parse(s))
                }
                Scheme::Pep440 => {
                    if s.trim().is_empty() {
                        return Err(VersionError::Empty { scheme: *self });
                    }
                    Repr::Pep440(pep440::parse(s))
                }
                Scheme::Semver | Scheme::Npm | Scheme::Go | Scheme::Pub => {
                    if s.is_empty() {
                        return Err(VersionError::Empty { scheme: *self });
                    }
                    Repr::Semver(semver::parse(s).map_err(|(offset, reason)| {
                        VersionError::invalid(*self, s, offset, reason)
                    })?)
                }
                Scheme::Maven => {
                    if s.trim().is_empty() {
                        return Err(VersionError::Empty { scheme: *self });
                    }
                    if let Some(pos) = s.find(char::is_control) {
                        return Err(VersionError::invalid(*self, s, pos, "control character"));
                    }
                    Repr::Maven(maven::parse(s))
                }
                Scheme::Composer => {
                    if s.is_empty() {
                        return Err(VersionError::Empty { scheme: *self });
                    }
                    Repr::Composer(composer::parse(s).map_err(|(offset, reason)| {
                        VersionError::invalid(*self, s, offset, reason)
                    })?)
                }
                Scheme::RubyGems => {
                    Repr::RubyGems(rubygems::parse(s).map_err(|(offset, reason)| {
                        VersionError::invalid(*self, s, offset, reason)
                    })?)
                }
                Scheme::Cran | Scheme::Hackage => {
                    if s.is_empty() {
                        return Err(VersionError::Empty { scheme: *self });
                    }
                    let seps: &[u8] = if *self == Scheme::Cran { b".-" } else { b"." };
                    Repr::Numeric(numeric::parse(s, seps).map_err(|(offset, reason)| {
                        VersionError::invalid(*self, s, offset, reason)
                    })?)
                }
                Scheme::NuGet => {
                    if s.is_empty() {
                        return Err(VersionError::Empty { scheme: *self });
                    }
                    Repr::NuGet(nuget::parse(s).map_err(|(offset, reason)| {
                        VersionError::invalid(*self, s, offset, reason)
                    })?)
                }
            };
        Ok(Version {
            scheme: *self,
            text: s.to_owned(),
            repr,
        })
    }

    /// Compares two version strings under this scheme.
    pub fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        Ok(self.parse(a)?.cmp(&self.parse(b)?))
    }
}

/// Parsing a [`Scheme`] from its name failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown version scheme {0:?} (expected one of: dpkg, rpm, apk, pep440, semver, npm, go, maven, rubygems, composer, nuget, pub, cran, hackage)"
)]
pub struct UnknownScheme(pub String);

impl std::str::FromStr for Scheme {
    type Err = UnknownScheme;

    /// Parses a [`Scheme::name`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scheme::ALL
            .iter()
            .copied()
            .find(|k| k.name() == s)
            .ok_or_else(|| UnknownScheme(s.to_owned()))
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a version string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The string is empty (or only whitespace).
    #[error("empty {scheme} version")]
    Empty {
        /// The scheme asked for.
        scheme: Scheme,
    },
    /// The string is longer than [`MAX_LEN`].
    #[error("{scheme} version is {len} bytes long; the limit is {max}")]
    TooLong {
        /// The scheme asked for.
        scheme: Scheme,
        /// The input length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The string does not follow the scheme's syntax.
    #[error("invalid {scheme} version {version:?} at byte {offset}: {reason}")]
    Invalid {
        /// The scheme asked for.
        scheme: Scheme,
        /// The rejected version string.
        version: String,
        /// Byte offset of the problem.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

impl VersionError {
    pub(crate) fn invalid(
        scheme: Scheme,
        version: &str,
        offset: usize,
        reason: &'static str,
    ) -> Self {
        VersionError::Invalid {
            scheme,
            version: version.to_owned(),
            offset,
            reason,
        }
    }
}

#[derive(Debug, Clone)]
enum Repr {
    Dpkg(dpkg::DpkgVersion),
    Rpm(rpm::Evr),
    Apk(apk::ApkVersion),
    Pep440(pep440::PyVersion),
    Semver(semver::SemVersion),
    Maven(maven::MavenVersion),
    RubyGems(rubygems::GemVersion),
    Composer(composer::ComposerVersion),
    NuGet(nuget::NuGetVersion),
    Numeric(numeric::NumericVersion),
}

/// A parsed version. Versions of the same scheme order by that scheme's rules; versions of
/// different schemes (which should never be compared) order by scheme first. `Ord` is a
/// total order for every scheme except [`Scheme::Maven`], which reproduces
/// `ComparableVersion`'s corner-case cycles (see [`maven`]).
#[derive(Debug, Clone)]
pub struct Version {
    scheme: Scheme,
    text: String,
    repr: Repr,
}

impl Version {
    /// The scheme this version was parsed with.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }
    /// The original string.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.repr, &other.repr) {
            (Repr::Dpkg(a), Repr::Dpkg(b)) => a.compare(b),
            (Repr::Rpm(a), Repr::Rpm(b)) => a.compare(b),
            (Repr::Apk(a), Repr::Apk(b)) => a.compare(b),
            (Repr::Pep440(a), Repr::Pep440(b)) => a.compare(b),
            (Repr::Semver(a), Repr::Semver(b)) if self.scheme == other.scheme => {
                if self.scheme == Scheme::Pub {
                    a.compare_pub(b)
                } else {
                    a.compare(b)
                }
            }
            (Repr::Maven(a), Repr::Maven(b)) => a.compare(b),
            (Repr::RubyGems(a), Repr::RubyGems(b)) => a.compare(b),
            (Repr::Composer(a), Repr::Composer(b)) => a.compare(b),
            (Repr::NuGet(a), Repr::NuGet(b)) => a.compare(b),
            (Repr::Numeric(a), Repr::Numeric(b)) if self.scheme == other.scheme => a.compare(b),
            _ => self.scheme.cmp(&other.scheme),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

/// Fuzz entry point: the first byte picks the scheme; the rest is split at `\n` into up to
/// three versions (with no `\n`, it is split in the middle into two), which are parsed and
/// compared. Checks that the ordering is reflexive, antisymmetric and (except for Maven,
/// whose reference ordering is not transitive in corner cases) transitive on them; a
/// violation is a bug, reported by panicking. Never panics otherwise.
pub fn fuzz_version(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let scheme = Scheme::ALL
        .get(usize::from(first) % Scheme::ALL.len())
        .copied()
        .unwrap_or(Scheme::Dpkg);
    let texts: Vec<String> = if rest.contains(&b'\n') {
        rest.splitn(3, |&c| c == b'\n')
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect()
    } else {
        let (a, b) = rest.split_at(rest.len() / 2);
        vec![
            String::from_utf8_lossy(a).into_owned(),
            String::from_utf8_lossy(b).into_owned(),
        ]
    };
    let versions: Vec<Version> = texts.iter().filter_map(|t| scheme.parse(t).ok()).collect();
    for a in &versions {
        assert_eq!(
            a.cmp(a),
            Ordering::Equal,
            "{scheme}: {a:?} is not equal to itself"
        );
        for b in &versions {
            assert_eq!(
                a.cmp(b),
                b.cmp(a).reverse(),
                "{scheme}: {a} vs {b} is not antisymmetric"
            );
            if scheme == Scheme::Maven {
                continue;
            }
            for c in &versions {
                let (ab, bc) = (a.cmp(b), b.cmp(c));
                if ab == bc || bc == Ordering::Equal {
                    assert_eq!(a.cmp(c), ab, "{scheme}: {a}, {b}, {c} is not transitive");
                } else if ab == Ordering::Equal {
                    assert_eq!(a.cmp(c), bc, "{scheme}: {a}, {b}, {c} is not transitive");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic xorshift generator.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % (n as u64)).unwrap_or(0)
        }
    }

    const ALPHABET: &[u8] = b"0000123456789....---+~^:_abcdefgilmnoprstvABRCZ!#*\x00\xff\xc3\xa9 ";
    const SEEDS: &[&str] = &[
        "1:2.3.4-5ubuntu1~18.04",
        "0.9.8_rc1-r2",
        "1!2.0.post1.dev3+local.7",
        "v1.2.3-beta.1+build.5",
        "1.0-SNAPSHOT",
        "2.0.0.rc1",
        "1.0.0-RC1",
        "0.0.0-20191109021931-daa7c04131f5",
        "10.0001^git1~pre",
        "1.0.0-alpha.1",
        "1.2.3_alpha_p2-r0",
        "1.0-dev",
        "1.0.0.1-beta.x+meta",
        "1.0.a.2",
        "0.8.21.r2",
        "1-r0-1",
        "1.2-SP1",
        "0.01-2",
        "1.0.0.RC1",
        "1-ga-1",
        "2.0-1.sp.0",
        "1.0dev1",
        "1.0.alpha0",
        "1-0.1",
    ];

    fn random_version(rng: &mut Rng) -> Vec<u8> {
        if rng.below(2) == 0 {
            let len = rng.below(24);
            (0..len)
                .map(|_| ALPHABET[rng.below(ALPHABET.len())])
                .collect()
        } else {
            let mut s = SEEDS[rng.below(SEEDS.len())].as_bytes().to_vec();
            for _ in 0..rng.below(5) {
                let at = rng.below(s.len() + 1);
                match rng.below(4) {
                    0 => s.insert(at, ALPHABET[rng.below(ALPHABET.len())]),
                    1 if at < s.len() => {
                        s.remove(at);
                    }
                    2 => s.truncate(at),
                    _ => s.extend(std::iter::repeat_n(b'9', rng.below(60))),
                }
            }
            s
        }
    }

    #[test]
    fn fuzz_version_survives_random_and_mutated_input() {
        random_rounds(0x9E37_79B9_7F4A_7C15, 12_000);
    }

    /// A longer run: `STRATA_FUZZ_ROUNDS=2000000 cargo test -p strata-version --release --lib
    /// -- --ignored fuzz_version_long`.
    #[test]
    #[ignore = "long-running; run on demand"]
    fn fuzz_version_long() {
        let rounds = std::env::var("STRATA_FUZZ_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(500_000);
        random_rounds(0xD1B5_4A32_D192_ED03, rounds);
    }

    fn random_rounds(seed: u64, rounds: usize) {
        let mut rng = Rng(seed);
        for round in 0..rounds {
            let mut data = vec![u8::try_from(round % 256).unwrap_or(0)];
            let n = 2 + rng.below(2);
            for i in 0..n {
                if i > 0 {
                    data.push(b'\n');
                }
                data.extend(random_version(&mut rng).into_iter().filter(|&c| c != b'\n'));
            }
            fuzz_version(&data);
        }
        // Raw bytes without separators, too.
        for round in 0..rounds / 6 {
            let len = rng.below(64);
            let mut data = vec![u8::try_from(round % 256).unwrap_or(0)];
            data.extend((0..len).map(|_| u8::try_from(rng.next() & 0xff).unwrap_or(0)));
            fuzz_version(&data);
        }
    }

    #[test]
    fn long_input_is_rejected_quickly() {
        let long = "1".repeat(MAX_LEN + 1);
        for &s in Scheme::ALL {
            assert!(
                matches!(s.parse(&long), Err(VersionError::TooLong { .. })),
                "{s}"
            );
        }
        let ok = format!("{}.{}", "9".repeat(500), "0".repeat(500));
        for &s in Scheme::ALL {
            let _ = s.compare(&ok, &ok);
        }
    }

    #[test]
    fn osv_ecosystems() {
        let e = Scheme::for_osv_ecosystem;
        assert_eq!(e("Debian:12"), Some(Scheme::Dpkg));
        assert_eq!(e("Ubuntu:22.04:LTS"), Some(Scheme::Dpkg));
        assert_eq!(e("Alpine:v3.19"), Some(Scheme::Apk));
        assert_eq!(e("Rocky Linux:9"), Some(Scheme::Rpm));
        assert_eq!(e("Nonsense"), None);
    }
}
