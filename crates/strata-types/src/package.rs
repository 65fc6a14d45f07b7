use serde::{Deserialize, Serialize};

use crate::Digest;

/// The kind of package manager a package came from. Determines the purl type and
/// which version ordering applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackageType {
    Deb,
    Apk,
    Rpm,
    Python,
    Npm,
    Go,
    Cargo,
    Maven,
    Gem,
    Composer,
    Nuget,
}

impl PackageType {
    /// The package-url type (`pkg:<type>/...`).
    pub fn purl_type(self) -> &'static str {
        match self {
            PackageType::Deb => "deb",
            PackageType::Apk => "apk",
            PackageType::Rpm => "rpm",
            PackageType::Python => "pypi",
            PackageType::Npm => "npm",
            PackageType::Go => "golang",
            PackageType::Cargo => "cargo",
            PackageType::Maven => "maven",
            PackageType::Gem => "gem",
            PackageType::Composer => "composer",
            PackageType::Nuget => "nuget",
        }
    }

    /// True for packages managed by the operating system's package manager.
    pub fn is_os(self) -> bool {
        matches!(self, PackageType::Deb | PackageType::Apk | PackageType::Rpm)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PackageType::Deb => "deb",
            PackageType::Apk => "apk",
            PackageType::Rpm => "rpm",
            PackageType::Python => "python",
            PackageType::Npm => "npm",
            PackageType::Go => "go",
            PackageType::Cargo => "cargo",
            PackageType::Maven => "maven",
            PackageType::Gem => "gem",
            PackageType::Composer => "composer",
            PackageType::Nuget => "nuget",
        }
    }
}

/// Where a package was read from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    /// Absolute path inside the image or below the scanned directory, `/` separated.
    pub path: String,
    /// The uncompressed digest (diff id) of the layer holding the version of `path`
    /// that was read. `None` for directory scans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_diff_id: Option<Digest>,
}

/// rpm's own fields, kept because advisories for rpm distributions need them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpmDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u32>,
    pub version: String,
    pub release: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_rpm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modularity_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
}

/// One installed package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    #[serde(rename = "type")]
    pub package_type: PackageType,
    pub name: String,
    /// The full version as the package manager orders it: dpkg `[epoch:]upstream[-revision]`,
    /// rpm `[epoch:]version-release`, apk `version-rN`.
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// The source package (dpkg `Source:`, apk origin `o:`, rpm source rpm name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// The source package's version where it differs from `version` or is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    pub purl: String,
    /// The layer that introduced this package at this version: the earliest layer from
    /// which the package database lists it without interruption up to the final image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_diff_id: Option<Digest>,
    /// The files the package was read from.
    pub locations: Vec<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpm: Option<RpmDetails>,
    /// A development-only dependency, where the file it was read from says so (npm
    /// `dev`, Pipfile `develop`, composer `packages-dev`, ...). Listed all the same.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dev: bool,
}

impl Package {
    /// The identity used to compare package lists: (type, name, version, arch).
    pub fn key(&self) -> (PackageType, &str, &str, Option<&str>) {
        (
            self.package_type,
            &self.name,
            &self.version,
            self.arch.as_deref(),
        )
    }
}
