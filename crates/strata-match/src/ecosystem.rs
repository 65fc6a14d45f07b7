//! Where a package's advisories live: the OSV ecosystem, the name they use, and the
//! version to compare.

use strata_types::{Distro, Package, PackageType};

/// One lookup in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// As OSV writes it: `Debian:12`, `Alpine:v3.18`, `PyPI`.
    pub ecosystem: String,
    pub name: String,
    /// The version to check, in the ecosystem's ordering.
    pub version: String,
}

/// The lookups for one package; empty when no advisory source covers it.
pub fn queries_for(package: &Package, distro: Option<&Distro>) -> Vec<Query> {
    let q = |ecosystem: String, name: &str, version: &str| Query {
        ecosystem,
        name: name.to_owned(),
        version: version.to_owned(),
    };
    match package.package_type {
        PackageType::Deb => {
            let Some(d) = distro else { return Vec::new() };
            // Debian and Ubuntu advisories are keyed by source package and source version
            // (a binNMU `+b1` binary shares its source's fixes).
            let name = package.source_name.as_deref().unwrap_or(&package.name);
            let version = package
                .source_version
                .as_deref()
                .unwrap_or(&package.version);
            match d.id.as_str() {
                "debian" => {
                    let major = d.version_id.split('.').next().unwrap_or_default();
                    if major.is_empty() {
                        return Vec::new();
                    }
                    vec![q(format!("Debian:{major}"), name, version)]
                }
                "ubuntu" if !d.version_id.is_empty() => vec![
                    q(format!("Ubuntu:{}", d.version_id), name, version),
                    q(format!("Ubuntu:{}:LTS", d.version_id), name, version),
                    q(format!("Ubuntu:Pro:{}:LTS", d.version_id), name, version),
                ],
                _ => Vec::new(),
            }
        }
        PackageType::Apk => {
            let Some(d) = distro else { return Vec::new() };
            let name = package.source_name.as_deref().unwrap_or(&package.name);
            let mut parts = d.version_id.split('.');
            let (Some(major), Some(minor)) = (parts.next(), parts.next()) else {
                return Vec::new();
            };
            match d.id.as_str() {
                "alpine" => vec![q(
                    format!("Alpine:v{major}.{minor}"),
                    name,
                    &package.version,
                )],
                _ => Vec::new(),
            }
        }
        PackageType::Rpm => {
            let Some(d) = distro else { return Vec::new() };
            let major = d.version_id.split('.').next().unwrap_or_default();
            let ecosystem = match d.id.as_str() {
                "rocky" => format!("Rocky Linux:{major}"),
                "almalinux" => format!("AlmaLinux:{major}"),
                _ => return Vec::new(),
            };
            vec![q(ecosystem, &package.name, &package.version)]
        }
        PackageType::Python => vec![q("PyPI".into(), &package.name, &package.version)],
        PackageType::Npm => vec![q("npm".into(), &package.name, &package.version)],
        PackageType::Cargo => vec![q("crates.io".into(), &package.name, &package.version)],
        PackageType::Go => {
            if package.name == "stdlib" {
                // Go's own advisories name the standard library `stdlib`, versioned
                // without the `go` prefix.
                let v = package.version.trim_start_matches("go");
                vec![q("Go".into(), "stdlib", v)]
            } else {
                vec![q("Go".into(), &package.name, &package.version)]
            }
        }
        PackageType::Maven => vec![q("Maven".into(), &package.name, &package.version)],
        PackageType::Gem => vec![q("RubyGems".into(), &package.name, &package.version)],
        PackageType::Composer => vec![q("Packagist".into(), &package.name, &package.version)],
        PackageType::Nuget => vec![q("NuGet".into(), &package.name, &package.version)],
    }
}
