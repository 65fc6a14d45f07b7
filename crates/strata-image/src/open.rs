//! Opening an image: resolve it through its source, read (or fetch from the cache)
//! each layer in order, and build the index of the final filesystem.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use strata_types::Digest;

use crate::cache::LayerCache;
use crate::capture::CaptureSpec;
use crate::docker_archive::DockerArchiveSource;
use crate::error::{ImageError, LayerErrorKind};
use crate::fs::{ImageFs, ImageMeta, LayerMeta};
use crate::hash::digest_like;
use crate::layer::{Budget, LayerJob, read_layer};
use crate::oci::OciLayoutSource;
use crate::options::OpenOptions;
use crate::source::{ImageSource, Platform, SourceError};

#[derive(Deserialize)]
struct RootFs {
    #[serde(default)]
    diff_ids: Vec<Digest>,
}

#[derive(Deserialize)]
struct History {
    #[serde(default)]
    created_by: Option<String>,
    #[serde(default)]
    empty_layer: bool,
}

#[derive(Deserialize)]
struct ImageConfig {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
    rootfs: RootFs,
    #[serde(default)]
    history: Vec<History>,
}

/// Opens an image from any source and builds its file index, capturing the files
/// `capture` wants. Each layer blob is streamed once (or taken from the cache).
pub fn open_image(
    mut source: Box<dyn ImageSource>,
    opts: &OpenOptions,
    capture: &dyn CaptureSpec,
) -> Result<ImageFs, ImageError> {
    let reference = source.reference().to_owned();
    let limits = &opts.limits;
    let platform = opts.platform.clone().unwrap_or_else(Platform::host);
    let resolved = source
        .resolve(&platform)
        .map_err(|source| ImageError::Source {
            reference: reference.clone(),
            source: Box::new(source),
        })?;
    let config_error = |message: String| ImageError::Config {
        reference: reference.clone(),
        digest: resolved.config.digest.to_string(),
        message,
    };
    if resolved.config_json.len() as u64 > limits.max_json_bytes {
        return Err(config_error(format!(
            "{} bytes, over the limit of {}",
            resolved.config_json.len(),
            limits.max_json_bytes
        )));
    }
    let actual = digest_like(&resolved.config.digest, &resolved.config_json);
    if actual != resolved.config.digest {
        return Err(config_error(format!("digest mismatch: got {actual}")));
    }
    let config: ImageConfig = serde_json::from_slice(&resolved.config_json)
        .map_err(|e| config_error(format!("invalid JSON: {e}")))?;
    let diff_ids = config.rootfs.diff_ids;
    if diff_ids.len() != resolved.layers.len() {
        return Err(config_error(format!(
            "config lists {} diff_ids but the manifest has {} layers",
            diff_ids.len(),
            resolved.layers.len()
        )));
    }
    let mut created_by = config
        .history
        .into_iter()
        .filter(|h| !h.empty_layer)
        .map(|h| h.created_by);

    let layers: Vec<LayerMeta> = resolved
        .layers
        .iter()
        .zip(&diff_ids)
        .enumerate()
        .map(|(index, (d, diff_id))| LayerMeta {
            index,
            digest: d.digest.clone(),
            diff_id: diff_id.clone(),
            media_type: d.media_type.clone(),
            size: d.size,
            created_by: created_by.next().flatten(),
            from_cache: false,
        })
        .collect();
    let meta = ImageMeta {
        reference: reference.clone(),
        manifest_digest: resolved.manifest_digest.clone(),
        config_digest: Some(resolved.config.digest.clone()),
        repo_tags: resolved.repo_tags.clone(),
        os: config.os,
        architecture: config.architecture,
        variant: config.variant,
        layers,
    };

    let cache = opts.cache.as_ref().map(LayerCache::new);
    let key = capture.cache_key();
    let mut budget = Budget {
        image_bytes_left: limits.max_image_bytes,
        captured_left: limits.max_captured_total,
        entries_left: limits.max_entries,
    };
    let mut fs = ImageFs::new(meta);
    for (index, (desc, diff_id)) in resolved.layers.iter().zip(&diff_ids).enumerate() {
        let job = LayerJob {
            reference: &reference,
            index,
            desc,
            diff_id,
        };
        let cached = cache.as_ref().and_then(|c| c.get(diff_id, &key));
        let from_cache = cached.is_some();
        let result = match cached {
            Some(r) => {
                budget.image_bytes_left =
                    budget.image_bytes_left.saturating_sub(r.uncompressed_size);
                let captured: u64 = r.captured.iter().map(|(_, d)| d.len() as u64).sum();
                budget.captured_left = budget.captured_left.saturating_sub(captured);
                budget.entries_left = budget.entries_left.saturating_sub(r.entries.len() as u64);
                r
            }
            None => {
                let mut blob = source
                    .open_blob(desc)
                    .map_err(|e| job.error(None, None, LayerErrorKind::Source(e)))?;
                let r = read_layer(&job, &mut *blob, limits, &mut budget, capture)?;
                drop(blob);
                if let Some(c) = &cache {
                    c.put(diff_id, &key, &r);
                }
                r
            }
        };
        fs.apply_layer(index, &result, capture);
        if let Some(l) = fs.meta.layers.get_mut(index) {
            l.from_cache = from_cache;
        }
    }
    Ok(fs)
}

/// What a target string names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// `docker-archive:PATH[:TAG]` or a bare path to a `docker save` tarball.
    DockerArchive { path: PathBuf, tag: Option<String> },
    /// `oci:PATH[:TAG]`: an OCI layout directory or tarball.
    Oci { path: PathBuf, tag: Option<String> },
    /// `dir:PATH`: a root filesystem on disk.
    Dir(PathBuf),
    /// `docker:NAME[:TAG]`: an image in the Docker daemon.
    Docker(String),
    /// `registry:HOST/REPO[:TAG|@DIGEST]`.
    Registry(String),
    /// A bare `NAME[:TAG]` that is not a local path: the daemon, then the registry.
    Name(String),
}

/// Splits `PATH[:TAG]`: the whole string if it exists as a path, else at the last `:`
/// when the part before it exists and the tag has no `/`.
fn path_and_tag(rest: &str) -> (PathBuf, Option<String>) {
    if Path::new(rest).exists() {
        return (PathBuf::from(rest), None);
    }
    if let Some((p, t)) = rest.rsplit_once(':')
        && !t.is_empty()
        && !t.contains('/')
        && Path::new(p).exists()
    {
        return (PathBuf::from(p), Some(t.to_owned()));
    }
    (PathBuf::from(rest), None)
}

/// Parses a target string as the user wrote it.
pub fn parse_target(target: &str) -> Result<Target, ImageError> {
    let bad = |message: &str| ImageError::Target {
        target: target.to_owned(),
        message: message.to_owned(),
    };
    if let Some((scheme, rest)) = target.split_once(':') {
        let need = |rest: &str| {
            if rest.is_empty() {
                Err(bad("nothing after the scheme"))
            } else {
                Ok(())
            }
        };
        match scheme {
            "oci" => {
                need(rest)?;
                let (path, tag) = path_and_tag(rest);
                return Ok(Target::Oci { path, tag });
            }
            "docker-archive" => {
                need(rest)?;
                let (path, tag) = path_and_tag(rest);
                return Ok(Target::DockerArchive { path, tag });
            }
            "dir" => {
                need(rest)?;
                return Ok(Target::Dir(PathBuf::from(rest)));
            }
            "docker" => {
                need(rest)?;
                return Ok(Target::Docker(rest.to_owned()));
            }
            "registry" => {
                need(rest)?;
                return Ok(Target::Registry(rest.to_owned()));
            }
            "sbom" => return Err(bad("an SBOM is not an image; it is read by the CLI")),
            _ => {}
        }
    }
    if target.is_empty() {
        return Err(bad("empty target"));
    }
    let p = Path::new(target);
    if p.is_file() {
        return Ok(Target::DockerArchive {
            path: p.to_owned(),
            tag: None,
        });
    }
    if p.is_dir() {
        if p.join("index.json").is_file() {
            return Ok(Target::Oci {
                path: p.to_owned(),
                tag: None,
            });
        }
        return Ok(Target::Dir(p.to_owned()));
    }
    if target.starts_with('/') || target.starts_with('.') {
        return Err(bad("no such file or directory"));
    }
    Ok(Target::Name(target.to_owned()))
}

fn source_error(reference: &str) -> impl Fn(SourceError) -> ImageError + '_ {
    move |source| ImageError::Source {
        reference: reference.to_owned(),
        source: Box::new(source),
    }
}

/// Opens a `docker save` tarball. This is also the seam for the daemon source: it
/// spools `docker save` output to a file and calls this with `reference` set to the
/// user's `docker:NAME` target.
pub fn open_docker_archive(
    path: &Path,
    tag: Option<String>,
    reference: &str,
    opts: &OpenOptions,
    capture: &dyn CaptureSpec,
) -> Result<ImageFs, ImageError> {
    let src =
        DockerArchiveSource::open(path, tag, reference.to_owned(), opts.limits.max_json_bytes)
            .map_err(source_error(reference))?;
    open_image(Box::new(src), opts, capture)
}

/// Opens an OCI layout directory or tarball.
pub fn open_oci_layout(
    path: &Path,
    tag: Option<String>,
    reference: &str,
    opts: &OpenOptions,
    capture: &dyn CaptureSpec,
) -> Result<ImageFs, ImageError> {
    let src = OciLayoutSource::open(path, tag, reference.to_owned(), opts.limits.max_json_bytes)
        .map_err(source_error(reference))?;
    open_image(Box::new(src), opts, capture)
}

/// Parses `target` and opens it. Local targets (`docker-archive:`, `oci:`, `dir:` and
/// bare paths) are handled here. `docker:`, `registry:` and bare names need the daemon
/// and registry sources, which plug in through [`open_docker_archive`] (daemon: a spooled
/// `docker save` tarball) and [`open_image`] (registry: an [`ImageSource`]); without them
/// this returns [`ImageError::Target`].
pub fn open_target(
    target: &str,
    opts: &OpenOptions,
    capture: &dyn CaptureSpec,
) -> Result<ImageFs, ImageError> {
    match parse_target(target)? {
        Target::DockerArchive { path, tag } => {
            let bare = !target.starts_with("docker-archive:");
            match open_docker_archive(&path, tag, target, opts, capture) {
                // A bare path may also be an OCI layout tarball.
                Err(ImageError::Source { source, .. })
                    if bare
                        && matches!(*source, SourceError::NotFound { .. })
                        && is_oci_tar(&path, opts) =>
                {
                    open_oci_layout(&path, None, target, opts, capture)
                }
                other => other,
            }
        }
        Target::Oci { path, tag } => open_oci_layout(&path, tag, target, opts, capture),
        Target::Dir(path) => crate::dir::open_dir(&path, target, opts, capture),
        Target::Docker(_) | Target::Registry(_) | Target::Name(_) => Err(ImageError::Target {
            target: target.to_owned(),
            message: "the Docker daemon and registry sources are not available to open_target; \
                      use open_docker_archive / open_image with those sources"
                .to_owned(),
        }),
    }
}

fn is_oci_tar(path: &Path, opts: &OpenOptions) -> bool {
    OciLayoutSource::open(path, None, String::new(), opts.limits.max_json_bytes).is_ok()
}
