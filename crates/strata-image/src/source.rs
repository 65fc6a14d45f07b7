//! The boundary between where an image comes from (a tarball, an OCI layout, the Docker
//! daemon, a registry) and the layer reader that builds the file index.

use std::io::Read;

use serde::{Deserialize, Serialize};
use strata_types::Digest;

/// An OCI content descriptor: what a manifest says about one blob.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Descriptor {
    #[serde(rename = "mediaType")]
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
}

/// An operating system and architecture, as in an OCI image index (`linux/amd64`,
/// `linux/arm64/v8`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    /// The platform strata runs on, in OCI's names (`amd64`, `arm64`, ...).
    pub fn host() -> Platform {
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            "s390x" => "s390x",
            "riscv64" => "riscv64",
            "arm" => "arm",
            other => other,
        };
        Platform {
            os: "linux".to_owned(),
            architecture: architecture.to_owned(),
            variant: None,
        }
    }

    /// Parses `os/arch[/variant]`.
    pub fn parse(s: &str) -> Option<Platform> {
        let mut parts = s.split('/');
        let os = parts.next().filter(|p| !p.is_empty())?;
        let architecture = parts.next().filter(|p| !p.is_empty())?;
        let variant = parts.next().filter(|p| !p.is_empty()).map(str::to_owned);
        if parts.next().is_some() {
            return None;
        }
        Some(Platform {
            os: os.to_owned(),
            architecture: architecture.to_owned(),
            variant,
        })
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// One image, chosen from an index if the source had several platforms.
#[derive(Clone, Debug)]
pub struct ResolvedImage {
    /// The digest of the image manifest, when the source has one (docker-save tarballs
    /// in the classic layout do not).
    pub manifest_digest: Option<Digest>,
    /// The image config descriptor and its raw JSON (already digest-checked).
    pub config: Descriptor,
    pub config_json: Vec<u8>,
    /// Layer blobs in order, lowest first, as the manifest lists them.
    pub layers: Vec<Descriptor>,
    /// Tags or names the source knows the image by (`debian:12`).
    pub repo_tags: Vec<String>,
}

/// Where an image's manifest, config and blobs come from.
///
/// Implementations only fetch bytes; the caller checks every blob's digest while
/// it streams and decides how to decompress it from the media type.
pub trait ImageSource: Send {
    /// The reference as the user wrote it, for messages and reports.
    fn reference(&self) -> &str;

    /// Reads the manifest (choosing `platform` from an index) and the image config.
    fn resolve(&mut self, platform: &Platform)
    -> Result<ResolvedImage, crate::source::SourceError>;

    /// Opens one blob for streaming. The stream yields the blob's bytes as stored
    /// (compressed or not).
    fn open_blob(
        &mut self,
        desc: &Descriptor,
    ) -> Result<Box<dyn Read + Send + '_>, crate::source::SourceError>;

    /// Opens a blob as a stream that does not borrow the source, so that several layers
    /// can be read at once (local files can; a registry connection may not). The default
    /// says "not supported" and layers are then read one after another.
    fn open_blob_detached(
        &self,
        _desc: &Descriptor,
    ) -> Result<Option<Box<dyn Read + Send + 'static>>, crate::source::SourceError> {
        Ok(None)
    }
}

/// Errors from an image source, before layer contents are read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("no image for platform {wanted} in {reference}; available: {available}")]
    PlatformNotFound {
        reference: String,
        wanted: String,
        available: String,
    },
    /// An archive ends early.
    #[error("{path}: truncated: archive ends inside {member} at offset {offset}")]
    Truncated {
        path: String,
        member: String,
        offset: u64,
    },
    /// A document or blob is larger than its limit (checked before reading it).
    #[error("{what} is {size} bytes, over the limit of {limit}")]
    TooLarge { what: String, size: u64, limit: u64 },
    /// A manifest, index or config does not match its digest.
    #[error("{what}: digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        what: String,
        expected: Digest,
        actual: Digest,
    },
    /// A JSON document (manifest, index, config) does not parse.
    #[error("{what}: invalid JSON: {message}")]
    Json { what: String, message: String },
    /// A file the layout needs is missing.
    #[error("{what} not found")]
    NotFound { what: String },
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    #[error(transparent)]
    Daemon(#[from] crate::daemon::DaemonError),
}
