//! `strata db`: build, update and inspect the local vulnerability database.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use strata_vulndb::update::{self, Fetch, UpdateOptions};
use strata_vulndb::{Database, ImportOptions, ImportReport, Status};

/// Warnings printed in full; the rest are counted.
const MAX_WARNINGS_SHOWN: usize = 50;

#[derive(Debug, clap::Subcommand)]
pub enum DbCommand {
    /// Import OSV records (JSON/YAML files, folders, .zip, .tar.zst), Alpine secdb files,
    /// Debian security tracker JSON and NVD CVE API 2.0 pages into a new database generation.
    Import {
        /// Files, folders or archives to import.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        db: DbArgs,
        /// Start from an empty database instead of adding to the current one.
        #[arg(long)]
        fresh: bool,
        /// Output format: text or json.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Show the database's sources, record counts per ecosystem and age.
    Status {
        #[command(flatten)]
        db: DbArgs,
        /// Output format: text or json.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Download OSV's per-ecosystem all.zip archives (only what changed) and import them.
    Update {
        #[command(flatten)]
        db: DbArgs,
        /// Where the archives are: BASE/ECOSYSTEM/all.zip.
        #[arg(long, env = "STRATA_DB_BASE_URL", default_value = update::DEFAULT_BASE_URL)]
        base_url: String,
        /// An ecosystem to download, as OSV names it (repeatable; default: the ones strata
        /// catalogues).
        #[arg(long = "ecosystem", value_name = "ECOSYSTEM")]
        ecosystems: Vec<String>,
        /// Never touch the network.
        #[arg(long, env = "STRATA_OFFLINE", value_parser = clap::builder::BoolishValueParser::new())]
        offline: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct DbArgs {
    /// The database directory (default: $STRATA_DB_DIR, $XDG_CACHE_HOME/strata/db or
    /// ~/.cache/strata/db).
    #[arg(long = "db", value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

impl DbArgs {
    fn resolve(&self) -> Result<PathBuf> {
        match &self.dir {
            Some(d) => Ok(d.clone()),
            None => strata_vulndb::default_db_dir().ok_or_else(|| {
                anyhow!("no database directory: pass --db DIR or set STRATA_DB_DIR")
            }),
        }
    }
}

fn json_format(format: &str) -> Result<bool> {
    match format {
        "text" | "table" => Ok(false),
        "json" => Ok(true),
        other => Err(anyhow!("unknown --format {other:?} (use text or json)")),
    }
}

pub fn run_db(cmd: DbCommand) -> Result<ExitCode> {
    match cmd {
        DbCommand::Import {
            paths,
            db,
            fresh,
            format,
        } => {
            let json = json_format(&format)?;
            let dir = db.resolve()?;
            for p in &paths {
                if !p.exists() {
                    return Err(anyhow!("{}: no such file or folder", p.display()));
                }
            }
            let report = Database::import(
                &dir,
                &paths,
                ImportOptions {
                    fresh,
                    progress: None,
                },
            )
            .with_context(|| format!("importing into {}", dir.display()))?;
            print_warnings(&report);
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &report)?;
                writeln!(out)?;
            } else {
                print_import(&mut out, &dir, &report)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Status { db, format } => {
            let json = json_format(&format)?;
            let dir = db.resolve()?;
            let database = Database::open(&dir)?;
            let status = database.status()?;
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &status)?;
                writeln!(out)?;
            } else {
                print_status(&mut out, &status)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Update {
            db,
            base_url,
            ecosystems,
            offline,
        } => {
            let dir = db.resolve()?;
            let mut opts = UpdateOptions {
                base_url,
                offline,
                ..UpdateOptions::default()
            };
            if !ecosystems.is_empty() {
                opts.ecosystems = ecosystems;
            }
            let mut line = ProgressLine::on_terminal();
            let mut show = |p: update::UpdateProgress<'_>| line.update(&p);
            let progress: Option<&mut dyn FnMut(update::UpdateProgress<'_>)> =
                if ProgressLine::wanted() {
                    Some(&mut show)
                } else {
                    None
                };
            let report = update::update(&dir, &opts, progress);
            ProgressLine::clear();
            let report = report?;
            let mut out = std::io::stdout().lock();
            let mut failed = 0;
            if offline {
                writeln!(out, "offline: nothing downloaded")?;
            }
            for (eco, fetch) in &report.fetched {
                match fetch {
                    Fetch::Downloaded { bytes } => {
                        writeln!(out, "{eco}: downloaded {bytes} bytes")?
                    }
                    Fetch::NotModified => writeln!(out, "{eco}: not modified")?,
                    Fetch::Skipped => {}
                    Fetch::Failed { message } => {
                        failed += 1;
                        eprintln!("warning: {eco}: {message}");
                    }
                }
            }
            match &report.import {
                Some(r) => {
                    print_warnings(r);
                    print_import(&mut out, &dir, r)?;
                }
                None => {
                    let generation = Database::open(&dir)?.generation();
                    writeln!(
                        out,
                        "database in {} unchanged (generation {generation})",
                        dir.display()
                    )?;
                }
            }
            // Some archives failed: the database is usable but not complete.
            Ok(if failed > 0 {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

fn print_warnings(report: &ImportReport) {
    let mut err = std::io::stderr().lock();
    for w in report.skipped.iter().take(MAX_WARNINGS_SHOWN) {
        let _ = writeln!(err, "warning: skipped {w}");
    }
    if report.skipped.len() > MAX_WARNINGS_SHOWN {
        let _ = writeln!(
            err,
            "warning: ... and {} more skipped (use --format json to see all)",
            report.skipped.len() - MAX_WARNINGS_SHOWN
        );
    }
}

fn print_import(out: &mut impl Write, dir: &Path, r: &ImportReport) -> Result<()> {
    writeln!(
        out,
        "imported {} records and {} NVD entries ({} skipped, {} older than stored) into {} generation {} in {:.1}s; database size {:.1} MiB",
        r.records,
        r.nvd_entries,
        r.skipped.len(),
        r.older_than_stored,
        dir.display(),
        r.generation,
        r.elapsed.as_secs_f64(),
        r.db_bytes as f64 / (1024.0 * 1024.0)
    )?;
    if r.kev_entries + r.epss_entries > 0 {
        writeln!(
            out,
            "enrichment: {} KEV entries, {} EPSS scores",
            r.kev_entries, r.epss_entries
        )?;
    }
    for (eco, n) in &r.per_ecosystem {
        writeln!(out, "  {eco:<32} {n:>8}")?;
    }
    Ok(())
}

fn print_status(out: &mut impl Write, s: &Status) -> Result<()> {
    writeln!(out, "database:   {}", s.dir.display())?;
    writeln!(
        out,
        "generation: {} (schema {})",
        s.generation, s.schema_version
    )?;
    writeln!(out, "built:      {}", s.built_at)?;
    writeln!(
        out,
        "records:    {} ({} withdrawn), NVD entries: {}",
        s.records, s.withdrawn, s.nvd_entries
    )?;
    writeln!(
        out,
        "KEV:        {} entries{}",
        s.kev_entries,
        s.kev_catalog_version
            .as_deref()
            .map(|v| format!(" (catalog {v})"))
            .unwrap_or_default()
    )?;
    writeln!(
        out,
        "EPSS:       {} scores{}",
        s.epss_entries,
        s.epss_score_date
            .as_deref()
            .map(|d| format!(" (scored {d})"))
            .unwrap_or_default()
    )?;
    match &s.newest {
        Some((id, modified)) => writeln!(out, "newest:     {id} (modified {modified})")?,
        None => writeln!(out, "newest:     -")?,
    }
    writeln!(
        out,
        "size:       {:.1} MiB",
        s.db_bytes as f64 / (1024.0 * 1024.0)
    )?;
    writeln!(out, "sources:")?;
    for src in &s.sources {
        writeln!(
            out,
            "  {:<40} {:<16} {:>8} records {:>6} skipped  imported {}",
            src.name, src.kind, src.records, src.skipped, src.imported_at
        )?;
    }
    writeln!(out, "ecosystems:")?;
    for e in &s.ecosystems {
        writeln!(
            out,
            "  {:<32} {:>8} records {:>7} packages",
            e.ecosystem, e.records, e.packages
        )?;
    }
    Ok(())
}

/// One line of progress on stderr, rewritten in place; only when stderr is a terminal,
/// so that logs and machine-readable output never see it.
struct ProgressLine {
    last: String,
}

impl ProgressLine {
    fn wanted() -> bool {
        use std::io::IsTerminal;
        std::io::stderr().is_terminal()
    }

    fn on_terminal() -> Self {
        ProgressLine {
            last: String::new(),
        }
    }

    fn update(&mut self, p: &update::UpdateProgress<'_>) {
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        let text = match *p {
            update::UpdateProgress::Downloading {
                ecosystem,
                bytes,
                total: Some(total),
            } if total > 0 => {
                let width = 30usize;
                let done =
                    usize::try_from(bytes.min(total) * width as u64 / total).unwrap_or(width);
                format!(
                    "{ecosystem:<16} [{}{}] {:6.1}/{:.1} MiB",
                    "#".repeat(done),
                    " ".repeat(width - done),
                    mib(bytes),
                    mib(total)
                )
            }
            update::UpdateProgress::Downloading {
                ecosystem, bytes, ..
            } => format!("{ecosystem:<16} {:6.1} MiB", mib(bytes)),
            update::UpdateProgress::Import(strata_vulndb::Progress::Batch { records }) => {
                format!("importing: {records} records")
            }
            update::UpdateProgress::Import(strata_vulndb::Progress::Built { generation }) => {
                format!("generation {generation} built")
            }
            update::UpdateProgress::Import(_) => return,
        };
        if text != self.last {
            eprint!("\r\x1b[K{text}");
            self.last = text;
        }
    }

    fn clear() {
        if Self::wanted() {
            eprint!("\r\x1b[K");
        }
    }
}
