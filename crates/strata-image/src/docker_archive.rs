//! `docker save` tarballs: the classic layout (`manifest.json` naming `<id>/layer.tar`
//! and `<hex>.json`) and the layout of Docker 25+ (`manifest.json` naming
//! `blobs/sha256/<hex>`, beside an OCI `index.json`).

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;
use strata_types::Digest;

use crate::hash::{Hasher, digest_like, sha256};
use crate::layer::Compression;
use crate::oci::{is_manifest_type, parse_index, parse_manifest};
use crate::source::{Descriptor, ImageSource, Platform, ResolvedImage, SourceError};
use crate::store::{Store, blob_path, parse_json};

pub const MEDIA_DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar";
pub const MEDIA_DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
pub const MEDIA_OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
pub const MEDIA_DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

/// One image of a `docker save` `manifest.json`.
#[derive(Clone, Debug, Deserialize)]
pub struct ArchiveManifestEntry {
    #[serde(rename = "Config")]
    pub config: String,
    #[serde(rename = "RepoTags", default)]
    pub repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    pub layers: Vec<String>,
}

/// Parses a `docker save` `manifest.json`.
pub fn parse_archive_manifest(data: &[u8]) -> Result<Vec<ArchiveManifestEntry>, SourceError> {
    let entries: Vec<ArchiveManifestEntry> = parse_json(data, "manifest.json")?;
    if entries.is_empty() {
        return Err(SourceError::Invalid(
            "manifest.json lists no images".to_owned(),
        ));
    }
    Ok(entries)
}

/// The digest named by `blobs/<alg>/<hex>` or `<hex>.json`, if the name has that form.
fn digest_from_name(name: &str) -> Option<Digest> {
    if let Some(rest) = name.strip_prefix("blobs/")
        && let Some((alg, hex)) = rest.split_once('/')
    {
        return format!("{alg}:{hex}").parse().ok();
    }
    let hex = name.strip_suffix(".json")?;
    format!("sha256:{hex}").parse().ok()
}

#[derive(Deserialize)]
struct RootFs {
    #[serde(default)]
    diff_ids: Vec<Digest>,
}

#[derive(Deserialize)]
struct ConfigRootFs {
    rootfs: RootFs,
}

/// A `docker save` tarball, read by seeking; nothing is extracted.
pub struct DockerArchiveSource {
    reference: String,
    tag: Option<String>,
    store: Store,
    max_json: u64,
    blob_names: HashMap<Digest, String>,
}

impl DockerArchiveSource {
    /// Indexes the tarball at `path`. `tag` (`name:tag`) chooses an image when the
    /// archive holds several; otherwise the first is used.
    pub fn open(
        path: &Path,
        tag: Option<String>,
        reference: String,
        max_json: u64,
    ) -> Result<DockerArchiveSource, SourceError> {
        let store = Store::open_tar(path, 1024 * 1024)?;
        if store.size("manifest.json").is_none() {
            return Err(SourceError::NotFound {
                what: format!(
                    "manifest.json in {} (not a docker save tarball)",
                    store.describe()
                ),
            });
        }
        Ok(DockerArchiveSource {
            reference,
            tag,
            store,
            max_json,
            blob_names: HashMap::new(),
        })
    }

    fn sniff(&mut self, name: &str) -> Result<Compression, SourceError> {
        let mut head = [0u8; 4];
        let mut r = self.store.open(name)?;
        let mut n = 0;
        while n < head.len() {
            let Some(rest) = head.get_mut(n..) else { break };
            match r.read(rest) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) => {
                    return Err(SourceError::Io {
                        context: format!("read {name}"),
                        source: e,
                    });
                }
            }
        }
        Ok(Compression::sniff(head.get(..n).unwrap_or(&[])))
    }

    fn hash_member(&mut self, name: &str, like: &Digest) -> Result<Digest, SourceError> {
        let mut h = Hasher::like(like);
        let mut r = self.store.open(name)?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = r.read(&mut buf).map_err(|e| SourceError::Io {
                context: format!("read {name}"),
                source: e,
            })?;
            if n == 0 {
                break;
            }
            h.update(buf.get(..n).unwrap_or(&[]));
        }
        Ok(h.finish())
    }

    /// In the Docker 25+ layout, finds the OCI manifest whose config is `config`,
    /// for the manifest digest and the layers' media types.
    fn oci_manifest_for(&mut self, config: &Digest) -> Option<(Digest, Vec<Descriptor>)> {
        let data = self
            .store
            .read_limited("index.json", self.max_json, "index.json")
            .ok()?;
        let index = parse_index(&data).ok()?;
        for m in &index.manifests {
            if !is_manifest_type(&m.media_type) {
                continue;
            }
            let Ok(bytes) =
                self.store
                    .read_blob(&m.digest, Some(m.size), self.max_json, "image manifest")
            else {
                continue;
            };
            if let Ok(manifest) = parse_manifest(&bytes)
                && manifest.config.digest == *config
            {
                return Some((m.digest.clone(), manifest.layers));
            }
        }
        None
    }
}

impl ImageSource for DockerArchiveSource {
    fn reference(&self) -> &str {
        &self.reference
    }

    fn resolve(&mut self, _platform: &Platform) -> Result<ResolvedImage, SourceError> {
        let data = self
            .store
            .read_limited("manifest.json", self.max_json, "manifest.json")?;
        let entries = parse_archive_manifest(&data).map_err(|e| match e {
            SourceError::Json { message, .. } => SourceError::Json {
                what: format!("manifest.json in {}", self.store.describe()),
                message,
            },
            other => other,
        })?;
        let chosen = match &self.tag {
            None => entries.first(),
            Some(t) => entries.iter().find(|e| {
                e.repo_tags
                    .as_ref()
                    .is_some_and(|tags| tags.iter().any(|x| x == t))
            }),
        };
        let Some(image) = chosen.cloned() else {
            let tags: Vec<String> = entries
                .iter()
                .flat_map(|e| e.repo_tags.clone().unwrap_or_default())
                .collect();
            return Err(SourceError::NotFound {
                what: format!(
                    "image {:?} in {} (tags: {})",
                    self.tag.as_deref().unwrap_or(""),
                    self.store.describe(),
                    tags.join(", ")
                ),
            });
        };
        let config_name = crate::layer::normalize(&image.config)
            .map_err(|()| SourceError::Invalid(format!("bad Config path {:?}", image.config)))?
            .trim_start_matches('/')
            .to_owned();
        let config_json = self
            .store
            .read_limited(&config_name, self.max_json, "image config")?;
        let named = digest_from_name(&config_name);
        let config_digest = match &named {
            Some(n) => digest_like(n, &config_json),
            None => sha256(&config_json),
        };
        if let Some(named) = named
            && named != config_digest
        {
            return Err(SourceError::DigestMismatch {
                what: format!("image config ({config_name})"),
                expected: named,
                actual: config_digest,
            });
        }
        let rootfs: ConfigRootFs = parse_json(
            &config_json,
            &format!("image config {config_name} in {}", self.store.describe()),
        )?;
        let oci = self.oci_manifest_for(&config_digest);

        let mut layers = Vec::with_capacity(image.layers.len());
        for (i, raw) in image.layers.iter().enumerate() {
            let name = crate::layer::normalize(raw)
                .map_err(|()| SourceError::Invalid(format!("bad layer path {raw:?}")))?
                .trim_start_matches('/')
                .to_owned();
            let size = self
                .store
                .size(&name)
                .ok_or_else(|| SourceError::NotFound {
                    what: format!("layer {i} ({name}) in {}", self.store.describe()),
                })?;
            let compression = self.sniff(&name)?;
            let from_oci = oci
                .as_ref()
                .and_then(|(_, ls)| ls.get(i))
                .filter(|d| d.size == size);
            let digest = match (digest_from_name(&name), from_oci) {
                (Some(d), _) => d,
                (None, Some(d)) => d.digest.clone(),
                (None, None) => match (compression, rootfs.rootfs.diff_ids.get(i)) {
                    // An uncompressed layer's blob digest is its diff_id.
                    (Compression::None, Some(diff)) => diff.clone(),
                    (_, Some(diff)) => self.hash_member(&name, diff)?,
                    (_, None) => {
                        return Err(SourceError::Invalid(format!(
                            "layer {i} ({name}) has no diff_id in the image config"
                        )));
                    }
                },
            };
            let media_type = match compression {
                Compression::None => MEDIA_DOCKER_LAYER,
                Compression::Gzip => MEDIA_DOCKER_LAYER_GZIP,
                Compression::Zstd => MEDIA_OCI_LAYER_ZSTD,
            };
            self.blob_names.insert(digest.clone(), name);
            layers.push(Descriptor {
                media_type: media_type.to_owned(),
                digest,
                size,
            });
        }
        Ok(ResolvedImage {
            manifest_digest: oci.map(|(d, _)| d),
            config: Descriptor {
                media_type: MEDIA_DOCKER_CONFIG.to_owned(),
                digest: config_digest,
                size: config_json.len() as u64,
            },
            config_json,
            layers,
            repo_tags: image.repo_tags.unwrap_or_default(),
        })
    }

    fn open_blob(&mut self, desc: &Descriptor) -> Result<Box<dyn Read + Send + '_>, SourceError> {
        let name = match self.blob_names.get(&desc.digest) {
            Some(n) => n.clone(),
            None => blob_path(&desc.digest),
        };
        self.store.open(&name)
    }

    fn open_blob_detached(
        &self,
        desc: &Descriptor,
    ) -> Result<Option<Box<dyn Read + Send + 'static>>, SourceError> {
        let name = match self.blob_names.get(&desc.digest) {
            Some(n) => n.clone(),
            None => blob_path(&desc.digest),
        };
        self.store.open_detached(&name).map(Some)
    }
}

/// Fuzz entry point: parses arbitrary bytes as a `docker save` `manifest.json`.
pub fn fuzz_docker_manifest(data: &[u8]) {
    if let Ok(entries) = parse_archive_manifest(data) {
        for e in &entries {
            let _ = crate::layer::normalize(&e.config);
            let _ = digest_from_name(&e.config);
            for l in &e.layers {
                let _ = crate::layer::normalize(l).map(|n| digest_from_name(&n));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_to_digests() {
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            digest_from_name(&format!("blobs/sha256/{hex}")).map(|d| d.to_string()),
            Some(format!("sha256:{hex}"))
        );
        assert_eq!(
            digest_from_name(&format!("{hex}.json")).map(|d| d.to_string()),
            Some(format!("sha256:{hex}"))
        );
        assert_eq!(digest_from_name("abc/layer.tar"), None);
    }

    #[test]
    fn manifest_json() {
        let m = br#"[{"Config":"a.json","RepoTags":null,"Layers":["x/layer.tar"]}]"#;
        let e = parse_archive_manifest(m).unwrap();
        assert_eq!(e[0].layers, vec!["x/layer.tar".to_owned()]);
        assert!(matches!(
            parse_archive_manifest(b"[]"),
            Err(SourceError::Invalid(_))
        ));
        assert!(matches!(
            parse_archive_manifest(b"{"),
            Err(SourceError::Json { .. })
        ));
    }
}
