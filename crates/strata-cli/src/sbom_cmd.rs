//! `strata sbom`: catalog an image's packages and print them in one of the SBOM formats.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Result, anyhow};
use strata_catalog::{CapturedFiles, Cataloger};
use strata_image::{CacheOptions, CaptureSpec, ImageFs, OpenOptions, Platform};
use strata_report::{ReportOptions, SbomFormat, write_sbom};
use strata_types::{Digest, Sbom};

use crate::ImageArgs;
use crate::output::{Output, now_rfc3339};

#[derive(Debug, clap::Args)]
pub struct SbomArgs {
    /// The image or directory: a `docker save` tarball, `oci:PATH`, `docker:NAME[:TAG]`,
    /// `registry:HOST/REPO:TAG`, `dir:PATH`.
    pub target: String,
    /// Output format: table, json, cyclonedx, spdx-json.
    #[arg(short, long, default_value = "table", env = "STRATA_FORMAT")]
    pub format: String,
    /// Write the report to FILE instead of stdout (atomically: all or nothing).
    #[arg(short, long, value_name = "FILE", env = "STRATA_OUTPUT")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub image: ImageArgs,
}

pub fn run(args: &SbomArgs) -> Result<ExitCode> {
    let format: SbomFormat = args.format.parse()?;
    let sbom = target_sbom(&args.target, &args.image)?;
    let mut out = Output::open(args.output.as_deref())?;
    let options = ReportOptions {
        color: out.is_terminal(),
        ..ReportOptions::default()
    };
    write_sbom(&sbom, format, &options, out.writer())?;
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

/// The SBOM of a target: read from `sbom:FILE` (so `strata sbom sbom:bom.spdx.json
/// --format cyclonedx` converts), else catalogued from the image or tree; `--strict`
/// applied.
pub fn target_sbom(target: &str, args: &ImageArgs) -> Result<Sbom> {
    let sbom = match target.strip_prefix("sbom:") {
        Some(file) => sbom_from_file(target, file)?,
        None => {
            let cataloger = Cataloger::all();
            let image = open(target, args, &cataloger)?;
            let catalog = catalog_image(&cataloger, &image)?;
            build_sbom(target, &image, catalog)?
        }
    };
    check_strict(&sbom, args)?;
    Ok(sbom)
}

/// Opens a target with the detectors' capture set.
fn open(target: &str, args: &ImageArgs, cataloger: &Cataloger) -> Result<ImageFs> {
    let platform = match &args.platform {
        Some(p) => Some(Platform::parse(p).ok_or_else(|| {
            anyhow!("--platform {p:?} is not OS/ARCH[/VARIANT] (for example linux/amd64)")
        })?),
        None => None,
    };
    let cache = if args.no_cache {
        None
    } else {
        match &args.cache_dir {
            Some(dir) => Some(CacheOptions {
                dir: dir.clone(),
                ..CacheOptions::default_location().unwrap_or(CacheOptions {
                    dir: dir.clone(),
                    max_bytes: 2 << 30,
                })
            }),
            None => CacheOptions::default_location(),
        }
    };
    let registry = strata_image::registry::RegistryOptions {
        username: args.username.clone(),
        password: args.password.clone(),
        insecure: args.insecure,
        ..strata_image::registry::RegistryOptions::default()
    };
    let mut limits = strata_image::Limits::default();
    if let Some(max) = args.max_layer_size {
        limits.max_layer_bytes = max;
    }
    let opts = OpenOptions {
        platform,
        cache,
        registry,
        limits,
        ..OpenOptions::default()
    };
    let skip = strata_image::PathFilter::new(&args.skip_dirs, &args.skip_files)
        .map_err(|e| anyhow!("--skip-dirs/--skip-files: {e}"))?;
    let capture = Capture {
        cataloger,
        skip: &skip,
    };
    strata_image::open_target(target, &opts, &capture).map_err(anyhow::Error::from)
}

fn build_sbom(target: &str, image: &ImageFs, catalog: strata_catalog::Catalog) -> Result<Sbom> {
    let meta = &image.meta;
    use strata_types::TargetKind;
    let kind = match strata_image::parse_target(target)? {
        strata_image::Target::DockerArchive { .. } => TargetKind::DockerArchive,
        strata_image::Target::Oci { .. } => TargetKind::Oci,
        strata_image::Target::Dir(_) => TargetKind::Dir,
        strata_image::Target::Registry(_) => TargetKind::Registry,
        strata_image::Target::Docker(_) | strata_image::Target::Name(_) => TargetKind::Docker,
    };
    let layers = meta
        .layers
        .iter()
        .map(|l| strata_types::Layer {
            index: u32::try_from(l.index).unwrap_or(u32::MAX),
            digest: Some(l.digest.clone()),
            diff_id: l.diff_id.clone(),
            media_type: Some(l.media_type.clone()),
            size: Some(l.size),
        })
        .collect();
    let platform = (!meta.os.is_empty()).then(|| strata_types::Platform {
        os: meta.os.clone(),
        architecture: meta.architecture.clone(),
        variant: meta.variant.clone(),
    });
    let tool = strata_types::Tool::new("strata", env!("CARGO_PKG_VERSION"));
    let mut sbom = Sbom::new(
        tool,
        strata_types::Target {
            reference: target.to_owned(),
            kind,
            image_id: meta.config_digest.clone(),
            manifest_digest: meta.manifest_digest.clone(),
            repo_tags: meta.repo_tags.clone(),
            platform,
            layers,
        },
        now_rfc3339(),
    );
    sbom.distro = catalog.distro;
    sbom.packages = catalog.packages;
    sbom.warnings = meta
        .warnings
        .iter()
        .map(|w| {
            let (path, message) = w.split_once(": ").unwrap_or(("", w.as_str()));
            strata_types::Warning {
                path: path.to_owned(),
                layer: None,
                message: message.to_owned(),
            }
        })
        .chain(catalog.warnings)
        .collect();
    for w in &sbom.warnings {
        // Detector messages usually start with the path already.
        if w.message.contains(&w.path) {
            eprintln!("warning: {}", w.message);
        } else {
            eprintln!("warning: {}: {}", w.path, w.message);
        }
    }
    Ok(sbom)
}

/// Reads an existing SBOM (`sbom:FILE`, CycloneDX or SPDX JSON) instead of an image.
fn sbom_from_file(target: &str, file: &str) -> Result<Sbom> {
    use std::io::Read;
    use strata_report::sbom_in::{MAX_SBOM_BYTES, read_sbom};
    let f = std::fs::File::open(file).map_err(|e| anyhow!("{file}: {e}"))?;
    let mut bytes = Vec::new();
    // One byte over the limit is enough to know it is too large.
    f.take(MAX_SBOM_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| anyhow!("{file}: {e}"))?;
    let imported = read_sbom(&bytes, file)?;
    let tool = strata_types::Tool::new("strata", env!("CARGO_PKG_VERSION"));
    let mut sbom = Sbom::new(
        tool,
        strata_types::Target {
            reference: target.to_owned(),
            kind: strata_types::TargetKind::Sbom,
            image_id: None,
            manifest_digest: None,
            repo_tags: Vec::new(),
            platform: None,
            layers: Vec::new(),
        },
        now_rfc3339(),
    );
    sbom.distro = imported.distro;
    sbom.packages = imported.packages;
    sbom.warnings = imported
        .warnings
        .into_iter()
        .map(|message| strata_types::Warning {
            path: file.to_owned(),
            layer: None,
            message,
        })
        .collect();
    for w in &sbom.warnings {
        eprintln!("warning: {}", w.message);
    }
    Ok(sbom)
}

/// `--strict`: a warning (a file that could not be read or parsed) fails the run.
fn check_strict(sbom: &Sbom, args: &ImageArgs) -> Result<()> {
    if args.strict && !sbom.warnings.is_empty() {
        return Err(anyhow!(
            "{} warning(s) and --strict: the report would be incomplete",
            sbom.warnings.len()
        ));
    }
    Ok(())
}

/// The detectors' file selection less the skipped paths, as the image reader wants it.
struct Capture<'a> {
    cataloger: &'a Cataloger,
    skip: &'a strata_image::PathFilter,
}

impl CaptureSpec for Capture<'_> {
    fn wants(&self, path: &str) -> bool {
        self.cataloger.wants(path) && !self.skip.skips_file(path)
    }
    fn cache_key(&self) -> String {
        let mut key = self.cataloger.cache_key();
        if !self.skip.is_empty() {
            key.push_str("+skip:");
            key.push_str(&self.skip.cache_key());
        }
        key
    }
    fn skips_dir(&self, dir: &str) -> bool {
        self.skip.skips_dir(dir)
    }
}

/// Runs the detectors over an opened image. A symlink loop on a path the scan reads
/// (`/etc/os-release -> os-release`, say) is an error: the image is broken where it
/// matters, and reporting "no distribution" instead would hide that.
fn catalog_image(cataloger: &Cataloger, image: &ImageFs) -> Result<strata_catalog::Catalog> {
    let files = ImageFiles {
        fs: image,
        loops: std::sync::Mutex::new(Vec::new()),
    };
    let catalog = cataloger.catalog(&files);
    let loops = files.loops.into_inner().unwrap_or_else(|e| e.into_inner());
    if let Some(e) = loops.into_iter().next() {
        return Err(
            anyhow::Error::from(e).context(format!("{}: reading the image", image.meta.reference))
        );
    }
    Ok(catalog)
}

/// The image's captured files, as the catalog reads them.
struct ImageFiles<'a> {
    fs: &'a ImageFs,
    /// Symlink loops met while reading, reported after cataloguing.
    loops: std::sync::Mutex<Vec<strata_image::ImageError>>,
}

impl CapturedFiles for ImageFiles<'_> {
    fn captured_paths(&self) -> Vec<String> {
        self.fs.captured_paths().map(str::to_owned).collect()
    }

    fn versions(&self, path: &str) -> Vec<strata_catalog::FileVersion> {
        let Some(history) = self.fs.versions(path) else {
            return Vec::new();
        };
        let Some(last) = history.final_version else {
            return Vec::new();
        };
        history
            .versions
            .into_iter()
            .take(last + 1)
            .map(|v| strata_catalog::FileVersion {
                layer: v.layer,
                data: v.data,
            })
            .collect()
    }

    fn read(&self, path: &str) -> Option<Arc<[u8]>> {
        match self.fs.read(path) {
            Ok(v) => v.map(|v| v.data),
            Err(e @ strata_image::ImageError::SymlinkLoop { .. }) => {
                self.loops.lock().unwrap_or_else(|e| e.into_inner()).push(e);
                None
            }
            // A directory or an uncaptured entry where a file was expected reads as absent.
            Err(_) => None,
        }
    }

    fn layer_diff_id(&self, index: usize) -> Option<Digest> {
        self.fs.meta.layers.get(index).map(|l| l.diff_id.clone())
    }
}
