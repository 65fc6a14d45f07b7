//! OCI image layouts (a directory or a tarball with `oci-layout`, `index.json` and
//! `blobs/<alg>/<hex>`), and the OCI/Docker manifest and index documents.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use strata_types::Digest;

use crate::source::{Descriptor, ImageSource, Platform, ResolvedImage, SourceError};
use crate::store::{Store, parse_json};

pub const MEDIA_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const MEDIA_OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const MEDIA_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const MEDIA_DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

const REF_NAME: &str = "org.opencontainers.image.ref.name";
const CONTAINERD_NAME: &str = "io.containerd.image.name";
const MAX_INDEX_DEPTH: usize = 4;

/// A descriptor as it appears in an index: with platform and annotations.
#[derive(Clone, Debug, Deserialize)]
pub struct IndexEntry {
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    #[serde(default)]
    pub platform: Option<Platform>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

impl IndexEntry {
    fn descriptor(&self) -> Descriptor {
        Descriptor {
            media_type: self.media_type.clone(),
            digest: self.digest.clone(),
            size: self.size,
        }
    }
}

/// An image index (OCI) or manifest list (Docker).
#[derive(Clone, Debug, Deserialize)]
pub struct ImageIndex {
    #[serde(rename = "schemaVersion", default)]
    pub schema_version: u32,
    #[serde(rename = "mediaType", default)]
    pub media_type: Option<String>,
    pub manifests: Vec<IndexEntry>,
}

/// An image manifest (OCI or Docker schema 2).
#[derive(Clone, Debug, Deserialize)]
pub struct ImageManifest {
    #[serde(rename = "schemaVersion", default)]
    pub schema_version: u32,
    #[serde(rename = "mediaType", default)]
    pub media_type: Option<String>,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

/// Parses an image index document.
pub fn parse_index(data: &[u8]) -> Result<ImageIndex, SourceError> {
    parse_index_named(data, "image index")
}

/// Parses an image manifest document.
pub fn parse_manifest(data: &[u8]) -> Result<ImageManifest, SourceError> {
    parse_manifest_named(data, "image manifest")
}

/// [`parse_index`], naming the document (`index.json in PATH`, `image index DIGEST`) in
/// errors.
pub(crate) fn parse_index_named(data: &[u8], what: &str) -> Result<ImageIndex, SourceError> {
    parse_json(data, what)
}

/// [`parse_manifest`], naming the document in errors.
pub(crate) fn parse_manifest_named(data: &[u8], what: &str) -> Result<ImageManifest, SourceError> {
    let m: ImageManifest = parse_json(data, what)?;
    if m.schema_version != 2 {
        return Err(SourceError::Invalid(format!(
            "{what}: schemaVersion {} is not supported (expected 2)",
            m.schema_version
        )));
    }
    Ok(m)
}

fn is_index(media_type: &str) -> bool {
    media_type == MEDIA_OCI_INDEX || media_type == MEDIA_DOCKER_LIST
}

pub(crate) fn is_manifest_type(media_type: &str) -> bool {
    media_type == MEDIA_OCI_MANIFEST || media_type == MEDIA_DOCKER_MANIFEST
}

/// Whether `have` satisfies `want` (a missing wanted variant matches any variant).
pub fn platform_matches(have: &Platform, want: &Platform) -> bool {
    have.os == want.os
        && have.architecture == want.architecture
        && (want.variant.is_none() || have.variant == want.variant)
}

/// An OCI image layout, as a directory or a tar file.
pub struct OciLayoutSource {
    reference: String,
    tag: Option<String>,
    store: Store,
    max_json: u64,
}

impl OciLayoutSource {
    /// Opens a layout at `path` (a directory, or a tar of one). `tag` chooses among
    /// several images by their `org.opencontainers.image.ref.name` annotation.
    pub fn open(
        path: &Path,
        tag: Option<String>,
        reference: String,
        max_json: u64,
    ) -> Result<OciLayoutSource, SourceError> {
        let store = if path.is_dir() {
            Store::Dir(PathBuf::from(path))
        } else if path.is_file() {
            Store::open_tar(path, 1024 * 1024)?
        } else {
            return Err(SourceError::NotFound {
                what: format!("OCI layout {}", path.display()),
            });
        };
        if store.size("index.json").is_none() {
            return Err(SourceError::NotFound {
                what: format!("index.json in {} (not an OCI layout)", store.describe()),
            });
        }
        Ok(OciLayoutSource {
            reference,
            tag,
            store,
            max_json,
        })
    }

    /// Walks indexes down to one manifest for `platform`.
    fn choose(
        &mut self,
        index: &ImageIndex,
        platform: &Platform,
        depth: usize,
        top: bool,
        available: &mut Vec<String>,
    ) -> Result<Option<(IndexEntry, Vec<u8>)>, SourceError> {
        if depth > MAX_INDEX_DEPTH {
            return Err(SourceError::Invalid(format!(
                "image indexes nested more than {MAX_INDEX_DEPTH} deep"
            )));
        }
        let candidates: Vec<&IndexEntry> = index
            .manifests
            .iter()
            .filter(|m| {
                !top || self.tag.as_deref().is_none_or(|t| {
                    m.annotations.get(REF_NAME).is_some_and(|n| n == t)
                        || m.annotations
                            .get(CONTAINERD_NAME)
                            .is_some_and(|n| n == t || n.ends_with(&format!(":{t}")))
                })
            })
            .collect();
        if top && candidates.is_empty() {
            let tags: Vec<&str> = index
                .manifests
                .iter()
                .filter_map(|m| m.annotations.get(REF_NAME).map(String::as_str))
                .collect();
            return Err(SourceError::NotFound {
                what: format!(
                    "tag {:?} in {} (tags: {})",
                    self.tag.as_deref().unwrap_or(""),
                    self.store.describe(),
                    tags.join(", ")
                ),
            });
        }
        let mut platformless: Option<&IndexEntry> = None;
        for m in &candidates {
            if is_index(&m.media_type) {
                let data = self.store.read_blob(
                    &m.digest,
                    Some(m.size),
                    self.max_json,
                    "nested image index",
                )?;
                let nested = parse_index_named(&data, &format!("image index {}", m.digest))?;
                if let Some(found) = self.choose(&nested, platform, depth + 1, false, available)? {
                    return Ok(Some(found));
                }
                continue;
            }
            if !m.media_type.is_empty() && !is_manifest_type(&m.media_type) {
                continue; // attestations, signatures, artifacts
            }
            match &m.platform {
                Some(p) if platform_matches(p, platform) => {
                    return self.fetch_manifest(m).map(Some);
                }
                Some(p) => {
                    if p.os != "unknown" {
                        available.push(p.to_string());
                    }
                }
                None => {
                    if platformless.is_none() {
                        platformless = Some(m);
                    }
                }
            }
        }
        match platformless {
            Some(m) => self.fetch_manifest(m).map(Some),
            None => Ok(None),
        }
    }

    fn fetch_manifest(&mut self, m: &IndexEntry) -> Result<(IndexEntry, Vec<u8>), SourceError> {
        let data =
            self.store
                .read_blob(&m.digest, Some(m.size), self.max_json, "image manifest")?;
        Ok((m.clone(), data))
    }
}

impl ImageSource for OciLayoutSource {
    fn reference(&self) -> &str {
        &self.reference
    }

    fn resolve(&mut self, platform: &Platform) -> Result<ResolvedImage, SourceError> {
        let data = self
            .store
            .read_limited("index.json", self.max_json, "index.json")?;
        let index = parse_index_named(&data, &format!("index.json in {}", self.store.describe()))?;
        let mut available = Vec::new();
        let Some((entry, manifest_bytes)) =
            self.choose(&index, platform, 0, true, &mut available)?
        else {
            available.sort();
            available.dedup();
            return Err(SourceError::PlatformNotFound {
                reference: self.reference.clone(),
                wanted: platform.to_string(),
                available: if available.is_empty() {
                    "none".to_owned()
                } else {
                    available.join(", ")
                },
            });
        };
        let manifest =
            parse_manifest_named(&manifest_bytes, &format!("image manifest {}", entry.digest))?;
        let config_json = self.store.read_blob(
            &manifest.config.digest,
            Some(manifest.config.size),
            self.max_json,
            "image config",
        )?;
        let mut repo_tags = Vec::new();
        if let Some(n) = entry.annotations.get(CONTAINERD_NAME) {
            repo_tags.push(n.clone());
        } else if let Some(n) = entry.annotations.get(REF_NAME) {
            repo_tags.push(n.clone());
        }
        Ok(ResolvedImage {
            manifest_digest: Some(entry.descriptor().digest),
            config: manifest.config,
            config_json,
            layers: manifest.layers,
            repo_tags,
        })
    }

    fn open_blob(&mut self, desc: &Descriptor) -> Result<Box<dyn Read + Send + '_>, SourceError> {
        self.store.open(&crate::store::blob_path(&desc.digest))
    }

    fn open_blob_detached(
        &self,
        desc: &Descriptor,
    ) -> Result<Option<Box<dyn Read + Send + 'static>>, SourceError> {
        self.store
            .open_detached(&crate::store::blob_path(&desc.digest))
            .map(Some)
    }
}

/// Fuzz entry point: parses arbitrary bytes as an index and as a manifest.
pub fn fuzz_oci_documents(data: &[u8]) {
    if let Ok(index) = parse_index(data) {
        let want = Platform::host();
        for m in &index.manifests {
            if let Some(p) = &m.platform {
                let _ = platform_matches(p, &want);
                let _ = p.to_string();
            }
        }
    }
    if let Ok(m) = parse_manifest(data) {
        for l in &m.layers {
            let _ = crate::layer::Compression::from_media_type(&l.media_type);
        }
    }
}
