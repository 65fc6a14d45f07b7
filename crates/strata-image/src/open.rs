//! Opening an image: resolve it through its source, read (or fetch from the cache)
//! each layer in order, and build the index of the final filesystem.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Deserialize;
use strata_types::Digest;

use crate::cache::LayerCache;
use crate::capture::CaptureSpec;
use crate::docker_archive::DockerArchiveSource;
use crate::error::{ImageError, LayerErrorKind};
use crate::fs::{ImageFs, ImageMeta, LayerMeta};
use crate::hash::digest_like;
use crate::layer::{Budget, LayerJob, LayerResult, read_layer};
use crate::oci::OciLayoutSource;
use crate::options::{OpenOptions, Progress};
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
        warnings: Vec::new(),
    };

    let cache = opts.cache.as_ref().map(LayerCache::new);
    let key = capture.cache_key();
    let mut budget = Budget::new(limits);
    let jobs: Vec<LayerJob<'_>> = resolved
        .layers
        .iter()
        .zip(&diff_ids)
        .enumerate()
        .map(|(index, (desc, diff_id))| LayerJob {
            reference: &reference,
            index,
            desc,
            diff_id,
        })
        .collect();

    opts.report(Progress::Resolved {
        layers: jobs.len(),
        total_bytes: jobs.iter().map(|j| j.desc.size).sum(),
    });
    // Cache hits first: their blobs are never opened.
    let mut results: Vec<Option<(LayerResult, bool)>> = Vec::with_capacity(jobs.len());
    for job in &jobs {
        let hit = cache.as_ref().and_then(|c| c.get(job.diff_id, &key));
        if let Some(r) = &hit {
            budget.charge(r);
            opts.report(Progress::LayerDone {
                index: job.index,
                size: job.desc.size,
                from_cache: true,
            });
        }
        results.push(hit.map(|r| (r, true)));
    }
    let todo: Vec<usize> = (0..jobs.len())
        .filter(|&i| results.get(i).is_some_and(Option::is_none))
        .collect();

    let cores = match opts.parallelism {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
        n => n,
    };
    let threads = cores.min(todo.len());
    let detached = if threads > 1 {
        open_detached(source.as_ref(), &jobs, &todo)?
    } else {
        None
    };
    match detached {
        Some(readers) => {
            let done = read_parallel(
                readers,
                &jobs,
                threads,
                opts,
                &budget,
                capture,
                cache.as_ref(),
                &key,
            )?;
            for (i, r) in done {
                budget.charge(&r);
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some((r, false));
                }
            }
        }
        None => {
            for &i in &todo {
                let Some(job) = jobs.get(i) else { continue };
                let mut blob = source
                    .open_blob(job.desc)
                    .map_err(|e| job.error(None, None, LayerErrorKind::Source(Box::new(e))))?;
                let r = read_layer(job, &mut *blob, limits, &mut budget, capture, cores > 1)?;
                drop(blob);
                if let Some(c) = &cache {
                    c.put(job.diff_id, &key, &r);
                }
                opts.report(Progress::LayerDone {
                    index: i,
                    size: job.desc.size,
                    from_cache: false,
                });
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some((r, false));
                }
            }
        }
    }

    budget.check(&reference, limits)?;

    let mut fs = ImageFs::new(meta);
    for (index, slot) in results.into_iter().enumerate() {
        let Some((result, from_cache)) = slot else {
            continue;
        };
        fs.apply_layer(index, result, capture);
        if let Some(l) = fs.meta.layers.get_mut(index) {
            l.from_cache = from_cache;
        }
    }
    Ok(fs)
}

type Detached = Vec<(usize, Box<dyn Read + Send + 'static>)>;

/// Opens every layer still to read as an independent stream, or `None` when the source
/// cannot.
fn open_detached(
    source: &dyn ImageSource,
    jobs: &[LayerJob<'_>],
    todo: &[usize],
) -> Result<Option<Detached>, ImageError> {
    let mut readers = Vec::with_capacity(todo.len());
    for &i in todo {
        let Some(job) = jobs.get(i) else { continue };
        match source.open_blob_detached(job.desc) {
            Ok(Some(r)) => readers.push((i, r)),
            Ok(None) => return Ok(None),
            Err(e) => return Err(job.error(None, None, LayerErrorKind::Source(Box::new(e)))),
        }
    }
    Ok(Some(readers))
}

/// Reads layers on `threads` threads. Returns results in layer order, or the error of
/// the lowest failing layer (layers are started in order, so that one is deterministic).
#[allow(clippy::too_many_arguments)]
fn read_parallel(
    readers: Detached,
    jobs: &[LayerJob<'_>],
    threads: usize,
    opts: &OpenOptions,
    budget: &Budget,
    capture: &dyn CaptureSpec,
    cache: Option<&LayerCache>,
    key: &str,
) -> Result<Vec<(usize, LayerResult)>, ImageError> {
    let queue = Mutex::new(readers.into_iter());
    let failed = AtomicBool::new(false);
    let out: Mutex<Vec<(usize, Result<LayerResult, ImageError>)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    if failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let next = match queue.lock() {
                        Ok(mut q) => q.next(),
                        Err(_) => None,
                    };
                    let Some((i, mut blob)) = next else { break };
                    let Some(job) = jobs.get(i) else { continue };
                    // Each layer may use what was left when reading started; the totals
                    // are checked once all are read.
                    let mut b = budget.clone();
                    let r = read_layer(job, &mut *blob, &opts.limits, &mut b, capture, true);
                    drop(blob);
                    match &r {
                        Ok(res) => {
                            if let Some(c) = cache {
                                c.put(job.diff_id, key, res);
                            }
                            opts.report(Progress::LayerDone {
                                index: i,
                                size: job.desc.size,
                                from_cache: false,
                            });
                        }
                        Err(_) => failed.store(true, Ordering::Relaxed),
                    }
                    if let Ok(mut o) = out.lock() {
                        o.push((i, r));
                    }
                }
            });
        }
    });
    let mut out = out
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(i, r)| r.map(|r| (i, r))).collect()
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

/// Splits `PATH[:TAG]`: the whole string if it exists as a path, else at the first
/// `:` whose left side exists (tags may contain `:` and `/`, as in `repo/x:1`).
fn path_and_tag(rest: &str) -> (PathBuf, Option<String>) {
    if Path::new(rest).exists() {
        return (PathBuf::from(rest), None);
    }
    for (i, _) in rest.match_indices(':') {
        let (Some(p), Some(t)) = (rest.get(..i), rest.get(i + 1..)) else {
            continue;
        };
        if !t.is_empty() && Path::new(p).exists() {
            return (PathBuf::from(p), Some(t.to_owned()));
        }
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
        Target::Docker(name) => open_from_daemon(&name, target, opts, capture),
        Target::Registry(reference) => open_from_registry(&reference, target, opts, capture),
        // A bare name: the local daemon first (what `docker run` would use), then the
        // registry when the daemon is not there or does not have the image.
        Target::Name(name) => match open_from_daemon(&name, target, opts, capture) {
            Err(ImageError::Source { source, .. })
                if matches!(
                    *source,
                    SourceError::Daemon(
                        crate::daemon::DaemonError::ImageNotFound { .. }
                            | crate::daemon::DaemonError::NotRunning { .. }
                    )
                ) =>
            {
                open_from_registry(&name, target, opts, capture)
            }
            other => other,
        },
    }
}

/// Exports `name` from the Docker daemon into the spool directory and reads the
/// tarball; the spooled file is removed afterwards, whatever happens.
fn open_from_daemon(
    name: &str,
    reference: &str,
    opts: &OpenOptions,
    capture: &dyn CaptureSpec,
) -> Result<ImageFs, ImageError> {
    let spool_base = opts
        .spool_dir
        .clone()
        .or_else(|| opts.cache.as_ref().map(|c| c.dir.join("spool")))
        .or_else(|| crate::options::CacheOptions::default_dir().map(|d| d.join("spool")))
        .unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&spool_base).map_err(|source| ImageError::Io {
        path: spool_base.display().to_string(),
        source,
    })?;
    let spool = SpoolDir::create(&spool_base)?;
    let exported = crate::daemon::export_image(name, opts.docker_host.as_deref(), &spool.0)
        .map_err(|e| ImageError::Source {
            reference: reference.to_owned(),
            source: Box::new(SourceError::Daemon(e)),
        })?;
    let mut fs = open_docker_archive(&exported.path, None, reference, opts, capture)?;
    if fs.meta.repo_tags.is_empty() {
        fs.meta.repo_tags = exported.repo_tags;
    }
    Ok(fs)
}

fn open_from_registry(
    image: &str,
    reference: &str,
    opts: &OpenOptions,
    capture: &dyn CaptureSpec,
) -> Result<ImageFs, ImageError> {
    let source = crate::registry::registry_source(image, &opts.registry).map_err(|e| {
        ImageError::Source {
            reference: reference.to_owned(),
            source: Box::new(SourceError::Registry(e)),
        }
    })?;
    let mut fs = open_image(Box::new(source), opts, capture)?;
    fs.meta.reference = reference.to_owned();
    Ok(fs)
}

/// A private directory for one export, removed on drop.
struct SpoolDir(PathBuf);

impl SpoolDir {
    fn create(base: &Path) -> Result<SpoolDir, ImageError> {
        let pid = std::process::id();
        for attempt in 0..1000u32 {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let dir = base.join(format!("export-{pid}-{nanos:x}-{attempt}"));
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(SpoolDir(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(source) => {
                    return Err(ImageError::Io {
                        path: dir.display().to_string(),
                        source,
                    });
                }
            }
        }
        Err(ImageError::Io {
            path: base.display().to_string(),
            source: std::io::Error::other("cannot create a spool directory"),
        })
    }
}

impl Drop for SpoolDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn is_oci_tar(path: &Path, opts: &OpenOptions) -> bool {
    OciLayoutSource::open(path, None, String::new(), opts.limits.max_json_bytes).is_ok()
}
