//! OSV ecosystem names and per-ecosystem package name normalisation.

/// The ecosystem names of the OSV schema (the part before the first `:`).
pub const KNOWN_ECOSYSTEMS: &[&str] = &[
    "AlmaLinux",
    "Alpaquita",
    "Alpine",
    "Android",
    "Azure Linux",
    "BellSoft Hardened Containers",
    "Bioconductor",
    "Bitnami",
    "Chainguard",
    "ConanCenter",
    "CRAN",
    "crates.io",
    "Debian",
    "Echo",
    "GHC",
    "GitHub Actions",
    "GIT",
    "Go",
    "Hackage",
    "Hex",
    "Julia",
    "Kubernetes",
    "Linux",
    "Mageia",
    "Maven",
    "MinimOS",
    "npm",
    "NuGet",
    "openEuler",
    "openSUSE",
    "OSS-Fuzz",
    "Packagist",
    "Photon OS",
    "Pub",
    "PyPI",
    "Red Hat",
    "Rocky Linux",
    "RubyGems",
    "SUSE",
    "SwiftURL",
    "Ubuntu",
    "VSCode",
    "Wolfi",
];

/// The part of an ecosystem string before the first `:` (`Debian:12` -> `Debian`).
pub fn base(ecosystem: &str) -> &str {
    ecosystem.split(':').next().unwrap_or_default()
}

/// True when the base name of `ecosystem` is one the OSV schema defines.
pub fn is_known(ecosystem: &str) -> bool {
    KNOWN_ECOSYSTEMS.contains(&base(ecosystem))
}

/// The name under which a package is stored and looked up: PEP 503 for PyPI (lower case,
/// runs of `-`, `_`, `.` become one `-`), as written for every other ecosystem.
pub fn normalize_name(ecosystem: &str, name: &str) -> String {
    match base(ecosystem) {
        "PyPI" => {
            let mut out = String::with_capacity(name.len());
            let mut in_sep = false;
            for c in name.trim().chars() {
                if matches!(c, '-' | '_' | '.') {
                    if !in_sep {
                        out.push('-');
                    }
                    in_sep = true;
                } else {
                    out.extend(c.to_lowercase());
                    in_sep = false;
                }
            }
            out
        }
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503() {
        assert_eq!(normalize_name("PyPI", "Foo.Bar__baz-"), "foo-bar-baz-");
        assert_eq!(normalize_name("PyPI", "Django"), "django");
        assert_eq!(normalize_name("npm", "Foo_Bar"), "Foo_Bar");
    }

    #[test]
    fn known() {
        assert!(is_known("Debian:12"));
        assert!(is_known("Red Hat:rhel_aus:8.6::appstream"));
        assert!(is_known("crates.io"));
        assert!(!is_known("debian:12"));
        assert!(!is_known("Cargo"));
    }
}
