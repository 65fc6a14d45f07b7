//! The SBOM document: what was scanned, with what, and which packages it holds.
//!
//! This is plain data. Printers (table, strata JSON, CycloneDX, SPDX) live in
//! `strata-report`; the strata JSON format is this structure serialised with serde and
//! is documented field by field in `docs/sbom-json.md`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Digest, Distro, Package};

/// The version of the strata JSON schema this crate writes. Minor versions only add
/// optional fields; a major version change means readers must be updated.
pub const SBOM_SCHEMA_VERSION: &str = "1.0";

/// An SBOM for one scan target.
///
/// Field order is the serialised order and part of the JSON contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sbom {
    /// `"1.0"` for documents written by this version ([`SBOM_SCHEMA_VERSION`]).
    pub schema_version: String,
    /// The program that produced the document.
    pub tool: Tool,
    /// When the document was produced, RFC 3339 (`2024-05-01T12:00:00Z`). Supplied by
    /// the caller so that output is reproducible in tests.
    pub created: String,
    /// What was scanned.
    pub target: Target,
    /// The operating system, when one was recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distro: Option<Distro>,
    /// Installed packages, sorted by [`Sbom::sort_packages`] order.
    #[serde(default)]
    pub packages: Vec<Package>,
    /// Problems that did not stop the scan (an unreadable package database, a truncated
    /// file). Empty when everything was read.
    #[serde(default)]
    pub warnings: Vec<Warning>,
}

impl Sbom {
    /// An empty SBOM with the current schema version.
    pub fn new(tool: Tool, target: Target, created: impl Into<String>) -> Self {
        Sbom {
            schema_version: SBOM_SCHEMA_VERSION.to_owned(),
            tool,
            created: created.into(),
            target,
            distro: None,
            packages: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Sorts packages by (type, name, version, arch), then by purl and location so that
    /// the order is total and output is reproducible.
    pub fn sort_packages(&mut self) {
        self.packages.sort_by(compare_packages);
    }
}

/// The order of [`Sbom::packages`]: type, name, version, arch (no arch first), then purl
/// and locations as tie breakers.
pub fn compare_packages(a: &Package, b: &Package) -> std::cmp::Ordering {
    a.key()
        .cmp(&b.key())
        .then_with(|| a.purl.cmp(&b.purl))
        .then_with(|| a.locations.cmp(&b.locations))
}

/// The program that produced a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Tool {
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Tool {
            name: name.into(),
            version: version.into(),
        }
    }
}

/// How a target was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// A `docker save` tarball.
    DockerArchive,
    /// An OCI image layout, directory or tar (`oci:PATH`).
    Oci,
    /// The Docker Engine API (`docker:NAME[:TAG]`).
    Docker,
    /// An OCI Distribution registry (`registry:HOST/REPO:TAG`).
    Registry,
    /// A directory (`dir:PATH`).
    Dir,
    /// An existing SBOM document (`sbom:FILE`).
    Sbom,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::DockerArchive => "docker-archive",
            TargetKind::Oci => "oci",
            TargetKind::Docker => "docker",
            TargetKind::Registry => "registry",
            TargetKind::Dir => "dir",
            TargetKind::Sbom => "sbom",
        }
    }

    /// True for kinds that describe a container image (all but `dir` and `sbom`).
    pub fn is_image(self) -> bool {
        !matches!(self, TargetKind::Dir | TargetKind::Sbom)
    }
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The thing that was scanned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The reference exactly as the user wrote it (`alpine:3.19`, `oci:./layout`).
    pub reference: String,
    pub kind: TargetKind,
    /// The image id: the digest of the image configuration blob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<Digest>,
    /// The digest of the image manifest, when known (registry, OCI layout, daemon repo digest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<Digest>,
    /// Tags naming the image (`docker.io/library/alpine:3.19`).
    #[serde(default)]
    pub repo_tags: Vec<String>,
    /// The image's platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// The image's layers, base first. Empty for directories.
    #[serde(default)]
    pub layers: Vec<Layer>,
}

impl Target {
    /// A target with only a reference and kind.
    pub fn new(reference: impl Into<String>, kind: TargetKind) -> Self {
        Target {
            reference: reference.into(),
            kind,
            image_id: None,
            manifest_digest: None,
            repo_tags: Vec::new(),
            platform: None,
            layers: Vec::new(),
        }
    }

    /// The layer with this diff id, if the target lists it.
    pub fn layer_by_diff_id(&self, diff_id: &Digest) -> Option<&Layer> {
        self.layers.iter().find(|l| &l.diff_id == diff_id)
    }
}

/// One image layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    /// Position in the image, 0 = base layer.
    pub index: u32,
    /// The digest of the blob as stored (compressed for registries and OCI layouts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// The digest of the uncompressed tar (the config's `rootfs.diff_ids` entry).
    pub diff_id: Digest,
    /// The blob's media type (`application/vnd.oci.image.layer.v1.tar+gzip`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The blob's size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// `os/arch[/variant]`, as in `linux/arm64/v8`. Serialised as that string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    pub fn new(os: impl Into<String>, architecture: impl Into<String>) -> Self {
        Platform {
            os: os.into(),
            architecture: architecture.into(),
            variant: None,
        }
    }

    pub fn with_variant(mut self, variant: impl Into<String>) -> Self {
        let v = variant.into();
        self.variant = if v.is_empty() { None } else { Some(v) };
        self
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlatformError {
    #[error("platform {0:?} is not `os/arch[/variant]`")]
    Malformed(String),
}

impl FromStr for Platform {
    type Err = PlatformError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || PlatformError::Malformed(s.to_owned());
        let mut parts = s.split('/');
        let os = parts
            .next()
            .filter(|p| valid_segment(p))
            .ok_or_else(malformed)?;
        let arch = parts
            .next()
            .filter(|p| valid_segment(p))
            .ok_or_else(malformed)?;
        let variant = match parts.next() {
            None => None,
            Some(v) if valid_segment(v) => Some(v.to_owned()),
            Some(_) => return Err(malformed()),
        };
        if parts.next().is_some() {
            return Err(malformed());
        }
        Ok(Platform {
            os: os.to_owned(),
            architecture: arch.to_owned(),
            variant,
        })
    }
}

fn valid_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl TryFrom<String> for Platform {
    type Error = PlatformError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Platform> for String {
    fn from(p: Platform) -> String {
        p.to_string()
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// A problem that did not stop the scan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The file concerned, inside the image or directory.
    pub path: String,
    /// The diff id of the layer holding that file, for images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Digest>,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Location, PackageType};

    fn pkg(t: PackageType, name: &str, version: &str, arch: Option<&str>) -> Package {
        Package {
            package_type: t,
            name: name.to_owned(),
            version: version.to_owned(),
            arch: arch.map(str::to_owned),
            source_name: None,
            source_version: None,
            licenses: Vec::new(),
            purl: format!("pkg:{}/{name}@{version}", t.purl_type()),
            layer_diff_id: None,
            locations: vec![Location {
                path: "/x".to_owned(),
                layer_diff_id: None,
            }],
            rpm: None,
            dev: false,
        }
    }

    #[test]
    fn platform_round_trips() {
        let p: Platform = "linux/arm64/v8".parse().unwrap();
        assert_eq!(p, Platform::new("linux", "arm64").with_variant("v8"));
        assert_eq!(p.to_string(), "linux/arm64/v8");
        let p: Platform = "linux/amd64".parse().unwrap();
        assert_eq!(p.variant, None);
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            "\"linux/amd64\"".to_owned()
        );
        for bad in ["", "linux", "linux/", "/amd64", "a/b/c/d", "linux/amd 64"] {
            assert_eq!(
                bad.parse::<Platform>(),
                Err(PlatformError::Malformed(bad.to_owned())),
                "{bad:?}"
            );
        }
        assert!(serde_json::from_str::<Platform>("\"linux\"").is_err());
    }

    #[test]
    fn packages_sort_by_type_name_version_arch() {
        let mut sbom = Sbom::new(
            Tool::new("strata", "0.1.0"),
            Target::new("x", TargetKind::Dir),
            "2024-01-01T00:00:00Z",
        );
        sbom.packages = vec![
            pkg(PackageType::Rpm, "a", "1", None),
            pkg(PackageType::Deb, "b", "1", Some("amd64")),
            pkg(PackageType::Deb, "b", "1", None),
            pkg(PackageType::Deb, "a", "2", None),
            pkg(PackageType::Apk, "z", "1", None),
        ];
        sbom.sort_packages();
        let got: Vec<_> = sbom
            .packages
            .iter()
            .map(|p| (p.package_type, p.name.as_str(), p.arch.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (PackageType::Deb, "a", None),
                (PackageType::Deb, "b", None),
                (PackageType::Deb, "b", Some("amd64")),
                (PackageType::Apk, "z", None),
                (PackageType::Rpm, "a", None),
            ]
        );
    }

    #[test]
    fn json_round_trip_keeps_schema_version() {
        let sbom = Sbom::new(
            Tool::new("strata", "0.1.0"),
            Target::new("alpine:3.19", TargetKind::Registry),
            "2024-01-01T00:00:00Z",
        );
        let s = serde_json::to_string(&sbom).unwrap();
        assert!(
            s.starts_with("{\"schema_version\":\"1.0\",\"tool\":"),
            "{s}"
        );
        let back: Sbom = serde_json::from_str(&s).unwrap();
        assert_eq!(back, sbom);
        assert!(
            serde_json::from_str::<TargetKind>("\"docker-archive\"").unwrap()
                == TargetKind::DockerArchive
        );
    }
}
