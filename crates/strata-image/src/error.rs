//! Errors of the layer reader and the image file index.

use std::fmt;

use strata_types::Digest;

use crate::source::SourceError;

/// Everything that can go wrong opening an image and building its file index.
///
/// Errors about a layer name the layer (index and digest), the entry path inside it
/// when one was being read, and the byte offset in the uncompressed layer stream.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The image source failed (missing file, bad manifest, platform not found, ...).
    #[error("{reference}: {source}")]
    Source {
        reference: String,
        #[source]
        source: Box<SourceError>,
    },
    /// The image config is malformed or inconsistent with the manifest.
    #[error("{reference}: image config {digest}: {message}")]
    Config {
        reference: String,
        digest: String,
        message: String,
    },
    /// Reading one layer failed.
    #[error(transparent)]
    Layer(Box<LayerError>),
    /// A symlink chain inside the image is too long or loops.
    #[error("too many levels of symbolic links resolving {path}")]
    SymlinkLoop { path: String },
    /// The path exists in the image but its contents were not captured.
    #[error("{path} exists in the image but was not captured (the capture spec did not want it)")]
    NotCaptured { path: String },
    /// The path exists but is not a regular file.
    #[error("{path} is not a regular file")]
    NotAFile { path: String },
    /// A limit of [`crate::Limits`] was exceeded outside any one layer.
    #[error("{reference}: {what} exceeds the limit of {limit} (at {path})")]
    Limit {
        reference: String,
        what: &'static str,
        limit: u64,
        path: String,
    },
    /// The target string could not be understood or its kind is not available.
    #[error("target {target:?}: {message}")]
    Target { target: String, message: String },
    /// An I/O error on the local filesystem (`dir:` targets).
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Reading one layer failed: which layer, where in it, and what.
#[derive(Debug, thiserror::Error)]
#[error("{reference}: layer {index} ({digest}){}{}: {kind}",
    entry.as_ref().map(|e| format!(" entry {e:?}")).unwrap_or_default(),
    offset.map(|o| format!(" at offset {o}")).unwrap_or_default())]
pub struct LayerError {
    pub reference: String,
    pub index: usize,
    pub digest: Digest,
    /// The path of the tar entry being read, as written in the archive.
    pub entry: Option<String>,
    /// Offset in the uncompressed layer stream.
    pub offset: Option<u64>,
    pub kind: LayerErrorKind,
}

impl ImageError {
    /// The layer error, if this is one.
    pub fn as_layer(&self) -> Option<&LayerError> {
        match self {
            ImageError::Layer(l) => Some(l),
            _ => None,
        }
    }
}

/// What went wrong inside one layer.
#[derive(Debug)]
pub enum LayerErrorKind {
    /// The layer's media type is not a known layer type.
    UnknownMediaType(String),
    /// The media type and the first bytes of the blob disagree.
    CompressionMismatch {
        media_type: String,
        sniffed: &'static str,
    },
    /// The blob's digest does not match its descriptor.
    DigestMismatch { expected: Digest, actual: Digest },
    /// The uncompressed stream's digest does not match the config's `rootfs.diff_ids`.
    DiffIdMismatch { expected: Digest, actual: Digest },
    /// The blob's size does not match its descriptor.
    SizeMismatch { expected: u64, actual: u64 },
    /// The stream ended early (truncated blob, gzip stream that ends early, short tar).
    Truncated(String),
    /// The compressed stream is corrupt.
    Decompress(String),
    /// The tar stream is malformed.
    Tar(String),
    /// A tar entry (or hard link target) would escape the root with `..`.
    PathEscape(String),
    /// A size or count limit was exceeded (a decompression bomb, a huge captured file).
    LimitExceeded { what: &'static str, limit: u64 },
    /// Reading the blob failed.
    Io(std::io::Error),
    /// The source could not open the blob.
    Source(Box<SourceError>),
}

impl fmt::Display for LayerErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayerErrorKind::UnknownMediaType(m) => write!(f, "unknown layer media type {m:?}"),
            LayerErrorKind::CompressionMismatch {
                media_type,
                sniffed,
            } => write!(
                f,
                "media type {media_type:?} does not match the blob's contents, which look {sniffed}"
            ),
            LayerErrorKind::DigestMismatch { expected, actual } => {
                write!(f, "blob digest mismatch: expected {expected}, got {actual}")
            }
            LayerErrorKind::DiffIdMismatch { expected, actual } => write!(
                f,
                "uncompressed digest does not match the config's diff_id: expected {expected}, got {actual}"
            ),
            LayerErrorKind::SizeMismatch { expected, actual } => write!(
                f,
                "blob size mismatch: descriptor says {expected} bytes, blob has {actual}"
            ),
            LayerErrorKind::Truncated(m) => write!(f, "truncated: {m}"),
            LayerErrorKind::Decompress(m) => write!(f, "corrupt compressed stream: {m}"),
            LayerErrorKind::Tar(m) => write!(f, "malformed tar: {m}"),
            LayerErrorKind::PathEscape(p) => {
                write!(f, "path {p:?} escapes the root with `..`; rejected")
            }
            LayerErrorKind::LimitExceeded { what, limit } => {
                write!(f, "{what} exceeds the limit of {limit}")
            }
            LayerErrorKind::Io(e) => write!(f, "read error: {e}"),
            LayerErrorKind::Source(e) => write!(f, "cannot open blob: {e}"),
        }
    }
}
