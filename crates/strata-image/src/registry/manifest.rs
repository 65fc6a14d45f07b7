//! Image manifests and indexes (OCI and Docker schema 2): parsing and platform choice.

use serde::Deserialize;
use strata_types::Digest;

use crate::source::{Descriptor, Platform};

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_SCHEMA1: &[&str] = &[
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
    "application/vnd.docker.distribution.manifest.v1+json",
];

/// The `Accept` header for manifest requests: every manifest and index type strata reads.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// Most layers or index entries accepted in one manifest.
const MAX_ENTRIES: usize = 10_000;

/// One entry of an image index.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct IndexEntry {
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    #[serde(default)]
    pub platform: Option<Platform>,
}

/// A parsed manifest document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParsedManifest {
    /// An OCI image index or Docker manifest list.
    Index { entries: Vec<IndexEntry> },
    /// An image manifest.
    Image {
        config: Descriptor,
        layers: Vec<Descriptor>,
    },
}

/// Why a manifest document cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("invalid manifest JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "Docker schema 1 manifests are not supported (deprecated since 2017); \
         re-push the image with a current client"
    )]
    Schema1,
    #[error("unsupported manifest media type {0:?}")]
    UnsupportedMediaType(String),
    #[error("manifest has no {0}")]
    Missing(&'static str),
    #[error("manifest lists more than {MAX_ENTRIES} entries")]
    TooManyEntries,
}

#[derive(Deserialize)]
struct RawManifest {
    #[serde(rename = "schemaVersion", default)]
    schema_version: Option<u64>,
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
    #[serde(default)]
    manifests: Option<Vec<IndexEntry>>,
}

fn bare_media_type(ct: &str) -> &str {
    ct.split(';').next().unwrap_or_default().trim()
}

/// True for the media types of image indexes.
pub fn is_index_type(mt: &str) -> bool {
    mt == OCI_INDEX || mt == DOCKER_MANIFEST_LIST
}

/// True for the media types of image manifests.
pub fn is_manifest_type(mt: &str) -> bool {
    mt == OCI_MANIFEST || mt == DOCKER_MANIFEST
}

/// Parses a manifest or index. `content_type` is the HTTP `Content-Type`, if any;
/// the document's own `mediaType` wins when present.
pub fn parse_manifest(
    body: &[u8],
    content_type: Option<&str>,
) -> Result<ParsedManifest, ManifestError> {
    let header_type = content_type.map(bare_media_type).filter(|t| !t.is_empty());
    if let Some(t) = header_type
        && DOCKER_SCHEMA1.contains(&t)
    {
        return Err(ManifestError::Schema1);
    }
    let raw: RawManifest = serde_json::from_slice(body).map_err(|e| ManifestError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    if raw.schema_version == Some(1) {
        return Err(ManifestError::Schema1);
    }
    let media_type = raw
        .media_type
        .as_deref()
        .or(header_type)
        .filter(|t| *t != "application/json" && *t != "text/plain");
    let is_index = match media_type {
        Some(t) if is_index_type(t) => true,
        Some(t) if is_manifest_type(t) => false,
        Some(t) if DOCKER_SCHEMA1.contains(&t) => return Err(ManifestError::Schema1),
        Some(t) => return Err(ManifestError::UnsupportedMediaType(t.to_owned())),
        None => raw.manifests.is_some(),
    };
    if is_index {
        let entries = raw
            .manifests
            .ok_or(ManifestError::Missing("\"manifests\""))?;
        if entries.len() > MAX_ENTRIES {
            return Err(ManifestError::TooManyEntries);
        }
        Ok(ParsedManifest::Index { entries })
    } else {
        let config = raw.config.ok_or(ManifestError::Missing("\"config\""))?;
        let layers = raw.layers.ok_or(ManifestError::Missing("\"layers\""))?;
        if layers.len() > MAX_ENTRIES {
            return Err(ManifestError::TooManyEntries);
        }
        Ok(ParsedManifest::Image { config, layers })
    }
}

/// The variant an architecture has when none is written (Docker's normalisation).
fn default_variant(arch: &str) -> Option<&'static str> {
    match arch {
        "arm64" => Some("v8"),
        "arm" => Some("v7"),
        _ => None,
    }
}

/// Picks the entry for `wanted` from an index. With no wanted variant, the
/// architecture's default variant (or an entry without variant) is preferred.
/// On failure returns the list of available platforms for the message.
pub fn select_platform<'a>(
    entries: &'a [IndexEntry],
    wanted: &Platform,
) -> Result<&'a IndexEntry, String> {
    let candidates = || {
        entries.iter().filter_map(|e| {
            let p = e.platform.as_ref()?;
            // Attestations and other non-images are stored as unknown/unknown.
            if p.os == "unknown" || !(e.media_type.is_empty() || is_manifest_type(&e.media_type)) {
                return None;
            }
            Some((e, p))
        })
    };
    let norm = |p: &Platform| -> Option<String> {
        p.variant
            .clone()
            .or_else(|| default_variant(&p.architecture).map(str::to_owned))
    };
    let mut fallback = None;
    for (e, p) in candidates() {
        if p.os != wanted.os || p.architecture != wanted.architecture {
            continue;
        }
        match &wanted.variant {
            Some(_) => {
                if norm(p) == norm(wanted) {
                    return Ok(e);
                }
            }
            None => {
                if norm(p) == norm(wanted) {
                    return Ok(e);
                }
                fallback.get_or_insert(e);
            }
        }
    }
    if let Some(e) = fallback {
        return Ok(e);
    }
    let mut available: Vec<String> = candidates().map(|(_, p)| p.to_string()).collect();
    available.dedup();
    if available.is_empty() {
        Err("none".to_owned())
    } else {
        Err(available.join(", "))
    }
}

/// Fuzz entry point: manifest parsing and platform choice must never panic.
pub fn fuzz_manifest(data: &[u8]) {
    let (ct, body) = match data.split_first() {
        Some((0, rest)) => (Some(OCI_INDEX), rest),
        Some((1, rest)) => (Some(DOCKER_MANIFEST), rest),
        Some((2, rest)) => (Some(DOCKER_SCHEMA1[0]), rest),
        _ => (None, data),
    };
    if let Ok(ParsedManifest::Index { entries }) = parse_manifest(body, ct) {
        let _ = select_platform(&entries, &Platform::host());
        for variant in [None, Some("v8".to_owned())] {
            let p = Platform {
                os: "linux".to_owned(),
                architecture: "arm64".to_owned(),
                variant,
            };
            let _ = select_platform(&entries, &p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: u8) -> String {
        format!("sha256:{}", format!("{n:02x}").repeat(32))
    }

    fn index_json() -> String {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[
            {{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":10,"platform":{{"os":"linux","architecture":"amd64"}}}},
            {{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":11,"platform":{{"os":"linux","architecture":"arm","variant":"v6"}}}},
            {{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":12,"platform":{{"os":"linux","architecture":"arm","variant":"v7"}}}},
            {{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":13,"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}},
            {{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":14,"platform":{{"os":"unknown","architecture":"unknown"}}}}
            ]}}"#,
            d(1),
            d(2),
            d(3),
            d(4),
            d(5)
        )
    }

    fn entries() -> Vec<IndexEntry> {
        match parse_manifest(index_json().as_bytes(), None).unwrap() {
            ParsedManifest::Index { entries } => entries,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_index_and_picks_platforms() {
        let e = entries();
        assert_eq!(e.len(), 5);
        let pick = |s: &str| {
            select_platform(&e, &Platform::parse(s).unwrap())
                .map(|x| x.digest.to_string())
                .map_err(|a| a.clone())
        };
        assert_eq!(pick("linux/amd64"), Ok(d(1)));
        assert_eq!(pick("linux/arm"), Ok(d(3)));
        assert_eq!(pick("linux/arm/v6"), Ok(d(2)));
        assert_eq!(pick("linux/arm64"), Ok(d(4)));
        assert_eq!(pick("linux/arm64/v8"), Ok(d(4)));
        assert_eq!(
            pick("linux/s390x"),
            Err("linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64/v8".to_owned())
        );
        assert_eq!(
            pick("windows/amd64"),
            Err("linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64/v8".to_owned())
        );
    }

    #[test]
    fn parses_docker_manifest() {
        let body = format!(
            r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST}",
            "config":{{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"{}","size":100}},
            "layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"{}","size":200}}]}}"#,
            d(9),
            d(8)
        );
        let m = parse_manifest(body.as_bytes(), Some(DOCKER_MANIFEST)).unwrap();
        let ParsedManifest::Image { config, layers } = m else {
            panic!("not an image manifest")
        };
        assert_eq!(config.digest.to_string(), d(9));
        assert_eq!(config.size, 100);
        assert_eq!(layers.len(), 1);
        assert_eq!(layers.first().map(|l| l.size), Some(200));
    }

    #[test]
    fn docker_manifest_list_by_content_type() {
        // No mediaType in the body: the Content-Type decides.
        let body = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{DOCKER_MANIFEST}","digest":"{}","size":7,
            "platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
            d(3)
        );
        let m = parse_manifest(
            body.as_bytes(),
            Some("application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8"),
        )
        .unwrap();
        let ParsedManifest::Index { entries } = m else {
            panic!("not an index")
        };
        assert_eq!(
            select_platform(&entries, &Platform::parse("linux/amd64").unwrap())
                .map(|e| e.digest.to_string()),
            Ok(d(3))
        );
        // An image manifest served as a list is a parse error naming what is missing.
        assert_eq!(
            parse_manifest(br#"{"schemaVersion":2}"#, Some(DOCKER_MANIFEST_LIST)),
            Err(ManifestError::Missing("\"manifests\""))
        );
    }

    #[test]
    fn manifest_errors() {
        assert_eq!(
            parse_manifest(b"{}", Some(DOCKER_SCHEMA1[0])),
            Err(ManifestError::Schema1)
        );
        assert_eq!(
            parse_manifest(br#"{"schemaVersion":1,"fsLayers":[]}"#, None),
            Err(ManifestError::Schema1)
        );
        assert_eq!(
            parse_manifest(br#"{"manifests":[]}"#, Some("application/json")),
            Ok(ParsedManifest::Index { entries: vec![] })
        );
        assert_eq!(
            parse_manifest(br#"{"mediaType":"application/x-foo"}"#, None),
            Err(ManifestError::UnsupportedMediaType(
                "application/x-foo".to_owned()
            ))
        );
        assert_eq!(
            parse_manifest(
                format!(r#"{{"mediaType":"{OCI_MANIFEST}"}}"#).as_bytes(),
                None
            ),
            Err(ManifestError::Missing("\"config\""))
        );
        match parse_manifest(b"{\n  \"layers\": [1,", None) {
            Err(ManifestError::Json { line: 2, .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn fuzz_manifest_survives_random_input() {
        let idx = index_json().into_bytes();
        let mut rng = crate::registry::testrand::Rng::new(11);
        for i in 0..3000u32 {
            let mut input = rng.mutate(&idx, b"{}[]\":,0123456789abcdefv");
            if i % 3 == 0 {
                input.insert(0, (i % 4) as u8);
            }
            fuzz_manifest(&input);
        }
    }
}
