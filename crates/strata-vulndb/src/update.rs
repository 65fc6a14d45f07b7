//! `strata db update`: download OSV's per-ecosystem `all.zip` archives with conditional
//! requests, then import the changed ones into a new generation.
//!
//! Downloads are kept in `DIR/downloads/<ecosystem>.zip` with `<ecosystem>.json` holding
//! the `ETag` and `Last-Modified` of the response, sent back as `If-None-Match` and
//! `If-Modified-Since` next time. A download is written to a temporary file and renamed
//! into place only when complete.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::{Database, ImportOptions, ImportReport, Progress};

/// OSV's public bucket.
pub const DEFAULT_BASE_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// The ecosystems downloaded when none are named: the distributions and languages strata
/// catalogues.
pub const DEFAULT_ECOSYSTEMS: &[&str] = &[
    "AlmaLinux",
    "Alpine",
    "crates.io",
    "Debian",
    "Go",
    "Maven",
    "npm",
    "NuGet",
    "Packagist",
    "PyPI",
    "Red Hat",
    "Rocky Linux",
    "RubyGems",
    "SUSE",
    "Ubuntu",
];

/// Largest archive downloaded, in bytes.
pub const MAX_ARCHIVE_BYTES: u64 = 4 << 30;

/// Options of [`update`].
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// Base URL; `<base>/<ecosystem>/all.zip` is fetched.
    pub base_url: String,
    pub ecosystems: Vec<String>,
    /// Never touch the network: use the database (and downloads) already present.
    pub offline: bool,
    pub timeout: Duration,
}

impl Default for UpdateOptions {
    fn default() -> Self {
        UpdateOptions {
            base_url: DEFAULT_BASE_URL.to_owned(),
            ecosystems: DEFAULT_ECOSYSTEMS.iter().map(|s| (*s).to_owned()).collect(),
            offline: false,
            timeout: Duration::from_secs(300),
        }
    }
}

/// What happened to one ecosystem's archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Fetch {
    Downloaded {
        bytes: u64,
    },
    NotModified,
    /// Not fetched (offline).
    Skipped,
    Failed {
        message: String,
    },
}

/// The result of [`update`].
#[derive(Debug, Clone, Serialize)]
pub struct UpdateReport {
    pub fetched: Vec<(String, Fetch)>,
    /// Set when a new generation was built.
    pub import: Option<ImportReport>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Validators {
    url: String,
    etag: Option<String>,
    last_modified: Option<String>,
    /// Whether the archive beside these validators is in the database. A download is
    /// written with `false` and marked once its import is swapped in, so an update killed
    /// or failing between the two imports the archive next time even though the server
    /// answers 304. (Files of older versions lack the field: they were imported.)
    #[serde(default = "imported_by_default")]
    imported: bool,
}

fn imported_by_default() -> bool {
    true
}

fn meta_path(downloads: &Path, ecosystem: &str) -> PathBuf {
    downloads.join(format!("{}.json", file_stem(ecosystem)))
}

fn read_validators(downloads: &Path, ecosystem: &str) -> Option<Validators> {
    std::fs::read(meta_path(downloads, ecosystem))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
}

/// Marks the archives of `ecosystems` as imported (after a successful import).
fn mark_imported(downloads: &Path, ecosystems: &[&str]) -> Result<()> {
    for e in ecosystems {
        let Some(mut v) = read_validators(downloads, e) else {
            continue;
        };
        if v.imported {
            continue;
        }
        v.imported = true;
        let path = meta_path(downloads, e);
        let tmp = downloads.join(format!(".{}.json.part", file_stem(e)));
        let bytes = serde_json::to_vec(&v).unwrap_or_default();
        std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|err| Error::io(&path, err))?;
    }
    Ok(())
}

fn file_stem(ecosystem: &str) -> String {
    ecosystem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn url_for(base: &str, ecosystem: &str) -> String {
    let mut enc = String::new();
    for b in ecosystem.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            enc.push(char::from(b));
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{}/{enc}/all.zip", base.trim_end_matches('/'))
}

/// The folder holding downloaded archives.
pub fn downloads_dir(db_dir: &Path) -> PathBuf {
    db_dir.join("downloads")
}

/// Downloads what changed and imports it into a new generation. Ecosystems that fail to
/// download are reported and keep their previous archive; the update fails only when
/// every download fails and there is no database to fall back on.
pub fn update(
    dir: &Path,
    opts: &UpdateOptions,
    mut progress: Option<&mut dyn FnMut(UpdateProgress<'_>)>,
) -> Result<UpdateReport> {
    let downloads = downloads_dir(dir);
    std::fs::create_dir_all(&downloads).map_err(|e| Error::io(&downloads, e))?;
    let mut fetched = Vec::new();
    let mut changed = false;
    if opts.offline {
        for e in &opts.ecosystems {
            fetched.push((e.clone(), Fetch::Skipped));
        }
    } else {
        let agent = agent(opts);
        for e in &opts.ecosystems {
            let mut on_bytes = |bytes: u64, total: Option<u64>| {
                if let Some(p) = progress.as_mut() {
                    p(UpdateProgress::Downloading {
                        ecosystem: e,
                        bytes,
                        total,
                    });
                }
            };
            let outcome = fetch_one(&agent, &downloads, &opts.base_url, e, &mut on_bytes);
            changed |= matches!(outcome, Fetch::Downloaded { .. });
            fetched.push((e.clone(), outcome));
        }
    }
    let exists = Database::exists(dir);
    // Archives downloaded by an earlier update whose import never finished.
    let pending = |e: &str| {
        read_validators(&downloads, e).is_some_and(|v| !v.imported)
            && downloads.join(format!("{}.zip", file_stem(e))).is_file()
    };
    // With a database present only the archives that changed or are pending are imported
    // (over it); without one, every archive at hand.
    let chosen: Vec<&str> = fetched
        .iter()
        .filter(|(e, f)| !exists || matches!(f, Fetch::Downloaded { .. }) || pending(e))
        .map(|(e, _)| e.as_str())
        .filter(|e| downloads.join(format!("{}.zip", file_stem(e))).is_file())
        .collect();
    changed |= chosen.iter().any(|e| pending(e));
    let archives: Vec<PathBuf> = chosen
        .iter()
        .map(|e| downloads.join(format!("{}.zip", file_stem(e))))
        .collect();
    if !changed && exists {
        return Ok(UpdateReport {
            fetched,
            import: None,
        });
    }
    if archives.is_empty() {
        if exists {
            return Ok(UpdateReport {
                fetched,
                import: None,
            });
        }
        let why = fetched
            .iter()
            .filter_map(|(e, f)| match f {
                Fetch::Failed { message } => Some(format!("{e}: {message}")),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("; ");
        return Err(if opts.offline {
            Error::Offline(format!(
                "no database in {} and no downloaded archives; run `strata db update` online or `strata db import`",
                dir.display()
            ))
        } else {
            Error::Download {
                url: opts.base_url.clone(),
                message: if why.is_empty() {
                    "nothing downloaded".into()
                } else {
                    why
                },
            }
        });
    }
    let mut on_import = |p: Progress| {
        if let Some(f) = progress.as_mut() {
            f(UpdateProgress::Import(p));
        }
    };
    let report = Database::import(
        dir,
        &archives,
        ImportOptions {
            fresh: false,
            progress: Some(&mut on_import),
        },
    )?;
    mark_imported(&downloads, &chosen)?;
    Ok(UpdateReport {
        fetched,
        import: Some(report),
    })
}

fn agent(opts: &UpdateOptions) -> ureq::Agent {
    let loopback = ["http://127.", "http://localhost", "http://[::1]"]
        .iter()
        .any(|p| opts.base_url.starts_with(p));
    let mut builder = ureq::Agent::config_builder();
    if loopback {
        builder = builder.proxy(None);
    }
    let config = builder
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(opts.timeout))
        .timeout_per_read(Some(opts.timeout))
        .max_redirects(5)
        .user_agent(concat!("strata/", env!("CARGO_PKG_VERSION")))
        .build();
    ureq::Agent::new_with_config(config)
}

/// What [`update`] is doing, for a progress display.
#[derive(Debug, Clone, Copy)]
pub enum UpdateProgress<'a> {
    /// Bytes of one archive received so far, and its length when the server said.
    Downloading {
        ecosystem: &'a str,
        bytes: u64,
        total: Option<u64>,
    },
    /// The import of what was downloaded.
    Import(Progress),
}

/// A reader that reports how much has passed through it, every `STEP` bytes.
struct Counting<'a, R> {
    inner: R,
    bytes: u64,
    reported: u64,
    total: Option<u64>,
    report: &'a mut dyn FnMut(u64, Option<u64>),
}

impl<R: std::io::Read> std::io::Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        const STEP: u64 = 256 << 10;
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        if n == 0 || self.bytes - self.reported >= STEP {
            self.reported = self.bytes;
            (self.report)(self.bytes, self.total);
        }
        Ok(n)
    }
}

fn fetch_one(
    agent: &ureq::Agent,
    downloads: &Path,
    base: &str,
    ecosystem: &str,
    on_bytes: &mut dyn FnMut(u64, Option<u64>),
) -> Fetch {
    let url = url_for(base, ecosystem);
    let stem = file_stem(ecosystem);
    let zip_path = downloads.join(format!("{stem}.zip"));
    let meta_path = meta_path(downloads, ecosystem);
    let validators: Validators = read_validators(downloads, ecosystem)
        .filter(|v: &Validators| v.url == url && zip_path.is_file())
        .unwrap_or_default();
    let mut req = agent.get(&url);
    if let Some(etag) = &validators.etag {
        req = req.header("If-None-Match", etag);
    }
    if let Some(lm) = &validators.last_modified {
        req = req.header("If-Modified-Since", lm);
    }
    let resp = match req.call() {
        Ok(r) => r,
        Err(e) => {
            return Fetch::Failed {
                message: format!("{url}: {e}"),
            };
        }
    };
    let status = resp.status().as_u16();
    if status == 304 {
        return Fetch::NotModified;
    }
    if status != 200 {
        return Fetch::Failed {
            message: format!("{url}: HTTP {status}"),
        };
    }
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let new_validators = Validators {
        url: url.clone(),
        etag: header("etag"),
        last_modified: header("last-modified"),
        imported: false,
    };
    let total = header("content-length").and_then(|v| v.parse::<u64>().ok());
    let tmp = downloads.join(format!(".{stem}.zip.part"));
    let result = (|| -> std::io::Result<u64> {
        let mut out = File::create(&tmp)?;
        let mut reader = Counting {
            inner: resp.into_body().into_reader().take(MAX_ARCHIVE_BYTES + 1),
            bytes: 0,
            reported: 0,
            total,
            report: on_bytes,
        };
        let n = std::io::copy(&mut reader, &mut out)?;
        if n > MAX_ARCHIVE_BYTES {
            return Err(std::io::Error::other(format!(
                "larger than the limit of {MAX_ARCHIVE_BYTES} bytes"
            )));
        }
        out.flush()?;
        out.sync_all()?;
        // The archive first, then its validators marked not imported. A kill between the
        // two renames leaves the new archive under the old validators: the next update
        // sends the old ETag, the server answers 200, and the archive is fetched and
        // imported again (the other order would pair the old archive with the new ETag,
        // get 304, and import the old data as if it were new).
        std::fs::rename(&tmp, &zip_path)?;
        let meta = serde_json::to_vec(&new_validators).unwrap_or_default();
        let meta_tmp = downloads.join(format!(".{stem}.json.part"));
        std::fs::write(&meta_tmp, meta)?;
        std::fs::rename(&meta_tmp, &meta_path)?;
        Ok(n)
    })();
    match result {
        Ok(bytes) => Fetch::Downloaded { bytes },
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Fetch::Failed {
                message: format!("{url}: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_encode_ecosystems() {
        assert_eq!(
            url_for("https://x.test/", "Rocky Linux"),
            "https://x.test/Rocky%20Linux/all.zip"
        );
        assert_eq!(
            url_for("https://x.test", "crates.io"),
            "https://x.test/crates.io/all.zip"
        );
        assert_eq!(file_stem("Red Hat"), "Red_Hat");
    }
}
