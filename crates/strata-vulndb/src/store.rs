//! The on-disk database: generations of one SQLite file, swapped atomically.
//!
//! Layout of the database directory:
//!
//! ```text
//! DIR/lock                  flock'ed by writers (one writer at a time)
//! DIR/CURRENT               "gen-00000007\n": the generation readers open
//! DIR/gen-00000007/vulndb.sqlite
//! DIR/gen-00000006/...      the previous generation, kept until the next write
//! ```
//!
//! A writer copies the current generation into `gen-N+1` (or starts empty), writes into
//! it, syncs it, and only then replaces `CURRENT` through a rename. A writer killed at any
//! moment leaves `CURRENT` naming the old, complete generation; its half-built directory is
//! removed by the next writer.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::feeds::{self, Document, EpssScore, KevEntry, NvdEntry};
use crate::input::{self, Format, Item};
use crate::osv::{self, Affected, Problem, Record, RecordError, Reference, Severity};

/// The schema this version reads and writes.
pub const SCHEMA_VERSION: u32 = 2;
const DB_FILE: &str = "vulndb.sqlite";
const CURRENT: &str = "CURRENT";
const LOCK: &str = "lock";
const BATCH: usize = 2_000;

const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE records (
    id TEXT PRIMARY KEY,
    modified TEXT NOT NULL,
    published TEXT,
    withdrawn TEXT,
    summary TEXT,
    aliases TEXT NOT NULL,
    severity TEXT NOT NULL,
    source TEXT NOT NULL,
    raw BLOB NOT NULL,
    upstream TEXT NOT NULL DEFAULT '[]',
    refs TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE aliases (alias TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (alias, id)) WITHOUT ROWID;
CREATE INDEX aliases_id ON aliases (id);
CREATE TABLE affected (
    record_id TEXT NOT NULL,
    ecosystem TEXT NOT NULL,
    name TEXT NOT NULL,
    package TEXT NOT NULL,
    purl TEXT,
    data TEXT NOT NULL
);
CREATE INDEX affected_package ON affected (ecosystem, name);
CREATE INDEX affected_record ON affected (record_id);
CREATE TABLE nvd (cve TEXT PRIMARY KEY, modified TEXT, severity TEXT NOT NULL);
CREATE TABLE sources (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    records INTEGER NOT NULL,
    skipped INTEGER NOT NULL
);
";

/// Tables added by schema 2 (also created by the migration from schema 1).
const KEV_EPSS: &str = "
CREATE TABLE kev (
    cve TEXT PRIMARY KEY,
    date_added TEXT NOT NULL,
    due_date TEXT,
    ransomware TEXT,
    name TEXT
);
CREATE TABLE epss (cve TEXT PRIMARY KEY, score REAL NOT NULL, percentile REAL NOT NULL);
";

/// Schema 1 to 2: upstream ids and references per record, KEV and EPSS tables. Records
/// imported before keep empty upstream/references until imported again.
const MIGRATE_1_TO_2: &str = "
ALTER TABLE records ADD COLUMN upstream TEXT NOT NULL DEFAULT '[]';
ALTER TABLE records ADD COLUMN refs TEXT NOT NULL DEFAULT '[]';
UPDATE meta SET value = '2' WHERE key = 'schema_version';
";

/// A problem with one record or document; it was skipped and the import went on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The file, or `archive!member`.
    pub location: String,
    /// The record id when it could be read.
    pub id: Option<String>,
    pub problem: Problem,
    /// The field (`affected[0].ranges[0].events`) or position (`line 3 column 7`).
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.location)?;
        if let Some(id) = &self.id {
            write!(f, ": {id}")?;
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {} ({})", self.message, self.problem)
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// Records written (new or newer than the stored version).
    pub records: u64,
    /// Records not written because the database already had a newer version.
    pub older_than_stored: u64,
    /// NVD CVE entries written.
    pub nvd_entries: u64,
    /// CISA KEV catalog entries written.
    pub kev_entries: u64,
    /// FIRST EPSS scores written.
    pub epss_entries: u64,
    /// Records or documents skipped, each with the reason.
    pub skipped: Vec<Warning>,
    /// Records written by this import, per ecosystem (a record counts once per ecosystem).
    pub per_ecosystem: BTreeMap<String, u64>,
    /// JSON/YAML documents read.
    pub documents: u64,
    /// Files that are no document (README, LICENSE, ...).
    pub ignored_files: u64,
    /// The generation now current.
    pub generation: u64,
    /// The database file's size after the import, in bytes.
    pub db_bytes: u64,
    #[serde(with = "millis")]
    pub elapsed: Duration,
}

mod millis {
    pub fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_u128(d.as_millis())
    }
}

/// Steps of an import, reported to [`ImportOptions::progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The writer lock is held and the new generation directory exists.
    Started { generation: u64 },
    /// A batch of records was committed into the new generation.
    Batch { records: u64 },
    /// The new generation is complete and synced, `CURRENT` not yet replaced.
    Built { generation: u64 },
    /// `CURRENT` names the new generation; old generations not yet removed.
    Swapped { generation: u64 },
}

/// Options of [`Database::import`].
#[derive(Default)]
pub struct ImportOptions<'a> {
    /// Start from an empty database instead of the current one.
    pub fresh: bool,
    /// Called at each step (for progress output, and tests that kill the writer).
    pub progress: Option<&'a mut dyn FnMut(Progress)>,
}

/// One matchable `affected` entry with its record's data: what the matcher consumes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AffectedEntry {
    pub record_id: String,
    pub aliases: Vec<String>,
    /// The record's `upstream` ids (see [`Record::upstream`]).
    pub upstream: Vec<String>,
    pub modified: String,
    pub published: Option<String>,
    /// The record's summary, else the start of its details.
    pub summary: Option<String>,
    /// The record's references, in its order.
    pub references: Vec<Reference>,
    /// Record-level severities; when the record has no CVSS vector of its own, those of
    /// its CVE (from imported NVD pages) follow with `source: "nvd"`.
    pub severity: Vec<Severity>,
    /// The package, ranges, versions and package-level severities.
    pub affected: Affected,
}

/// A stored record.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    pub record: Record,
    /// The input it came from.
    pub source: String,
    /// The record as imported (JSON; YAML records are converted).
    pub raw: Value,
}

/// Record counts of one ecosystem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EcosystemCount {
    pub ecosystem: String,
    /// Records with at least one entry for this ecosystem (withdrawn ones included).
    pub records: u64,
    /// Distinct package names.
    pub packages: u64,
}

/// One imported source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceInfo {
    pub name: String,
    pub kind: String,
    pub imported_at: String,
    pub records: u64,
    pub skipped: u64,
}

/// What `strata db status` shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    pub dir: PathBuf,
    pub generation: u64,
    pub schema_version: u32,
    pub built_at: String,
    pub records: u64,
    pub withdrawn: u64,
    pub nvd_entries: u64,
    pub kev_entries: u64,
    /// The imported KEV catalog's `catalogVersion`.
    pub kev_catalog_version: Option<String>,
    pub epss_entries: u64,
    /// The imported EPSS file's `score_date`.
    pub epss_score_date: Option<String>,
    pub ecosystems: Vec<EcosystemCount>,
    /// The record with the newest `modified` time: (id, modified).
    pub newest: Option<(String, String)>,
    pub sources: Vec<SourceInfo>,
    pub db_bytes: u64,
}

/// A read transaction on a [`Database`]; see [`Database::snapshot`].
#[derive(Debug)]
pub struct Snapshot<'a> {
    db: &'a Database,
}

impl Drop for Snapshot<'_> {
    fn drop(&mut self) {
        // Nothing was written: ending the transaction cannot lose anything.
        let _ = self.db.conn.execute_batch("COMMIT");
    }
}

/// A read-only handle on the current generation.
pub struct Database {
    dir: PathBuf,
    path: PathBuf,
    generation: u64,
    conn: Connection,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("path", &self.path)
            .field("generation", &self.generation)
            .finish()
    }
}

fn gen_name(generation: u64) -> String {
    format!("gen-{generation:08}")
}

fn parse_gen(name: &str) -> Option<u64> {
    name.strip_prefix("gen-")?.parse().ok()
}

/// The generation `CURRENT` names, if any.
fn current_generation(dir: &Path) -> Result<Option<u64>> {
    let path = dir.join(CURRENT);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_gen(text.trim())
            .map(Some)
            .ok_or_else(|| Error::Corrupt {
                dir: dir.to_owned(),
                message: format!("{CURRENT} holds {:?}, not gen-N", text.trim()),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io(dir, e))
}

/// A one-line summary from a record's details: the first non-empty line, at most 200
/// characters (records from some databases carry only details).
fn short_summary(details: &str) -> Option<String> {
    const MAX: usize = 200;
    let line = details.lines().map(str::trim).find(|l| !l.is_empty())?;
    if line.chars().count() <= MAX {
        return Some(line.to_owned());
    }
    let mut cut: String = line.chars().take(MAX - 1).collect();
    cut.push('…');
    Some(cut)
}

/// Formats a time as RFC 3339 UTC (`2026-12-03T19:45:10Z`).
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

fn sql<T>(path: &Path, r: rusqlite::Result<T>) -> Result<T> {
    r.map_err(|e| Error::sqlite(path, e))
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned())
}

impl Database {
    /// Opens the current generation in `dir` read-only.
    pub fn open(dir: &Path) -> Result<Database> {
        // A writer may swap and clean up between reading CURRENT and opening the file;
        // read CURRENT again once in that case.
        let mut last = None;
        for _ in 0..3 {
            let Some(generation) = current_generation(dir)? else {
                return Err(Error::NoDatabase {
                    dir: dir.to_owned(),
                });
            };
            let path = dir.join(gen_name(generation)).join(DB_FILE);
            if !path.is_file() {
                last = Some(Error::Corrupt {
                    dir: dir.to_owned(),
                    message: format!(
                        "{CURRENT} names {} which has no {DB_FILE}",
                        gen_name(generation)
                    ),
                });
                continue;
            }
            let conn = sql(
                &path,
                Connection::open_with_flags(
                    &path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                ),
            )?;
            let db = Database {
                dir: dir.to_owned(),
                path,
                generation,
                conn,
            };
            db.check_schema()?;
            return Ok(db);
        }
        Err(last.unwrap_or(Error::NoDatabase {
            dir: dir.to_owned(),
        }))
    }

    /// True when `dir` holds a database.
    pub fn exists(dir: &Path) -> bool {
        matches!(current_generation(dir), Ok(Some(_)))
    }

    fn check_schema(&self) -> Result<()> {
        let found: Option<String> = sql(
            &self.path,
            self.conn
                .query_row(
                    "SELECT value FROM meta WHERE key = 'schema_version'",
                    [],
                    |r| r.get(0),
                )
                .optional(),
        )?;
        match found {
            Some(v) if v == SCHEMA_VERSION.to_string() => Ok(()),
            other => Err(Error::Schema {
                path: self.path.clone(),
                found: other.unwrap_or_else(|| "none".into()),
                expected: SCHEMA_VERSION,
            }),
        }
    }

    /// The generation this handle reads.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The SQLite file this handle reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Imports `paths` into a new generation of the database in `dir` and makes it current.
    /// Malformed records are skipped with a warning; only an unusable database directory or
    /// an input path that does not exist fails the import (and leaves the old database).
    pub fn import(
        dir: &Path,
        paths: &[PathBuf],
        mut opts: ImportOptions<'_>,
    ) -> Result<ImportReport> {
        let start = Instant::now();
        let mut writer = Writer::begin(dir, opts.fresh)?;
        if let Some(p) = opts.progress.as_mut() {
            p(Progress::Started {
                generation: writer.generation,
            });
        }
        let mut report = ImportReport::default();
        let mut converted: BTreeMap<String, (Record, String)> = BTreeMap::new();
        for path in paths {
            let source = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string());
            let enrichment = |r: &ImportReport| r.nvd_entries + r.kev_entries + r.epss_entries;
            let before = (report.records, report.skipped.len(), enrichment(&report));
            let mut kinds = BTreeSet::new();
            let mut native = BTreeMap::new();
            input::walk(path, &mut |item| {
                match item {
                    Item::Ignored => report.ignored_files += 1,
                    Item::Unreadable(u) => report.skipped.push(Warning {
                        location: u.location,
                        id: None,
                        problem: u.problem,
                        path: String::new(),
                        message: u.message,
                    }),
                    Item::Doc(doc) => {
                        report.documents += 1;
                        writer.document(
                            doc,
                            &source,
                            &mut report,
                            &mut kinds,
                            &mut native,
                            &mut opts.progress,
                        )?;
                    }
                }
                Ok(())
            })?;
            for (id, rec) in native {
                converted.insert(id, (rec, source.clone()));
            }
            let records = report.records - before.0 + (enrichment(&report) - before.2);
            let kind = kinds.into_iter().collect::<Vec<_>>().join("+");
            writer.source(
                &source,
                if kind.is_empty() { "none" } else { &kind },
                records,
                (report.skipped.len() - before.1) as u64,
            )?;
        }
        // Records converted from distro feeds are merged over all inputs, then written.
        let mut source_counts: BTreeMap<String, u64> = BTreeMap::new();
        for (_, (rec, source)) in converted {
            let raw = rec.to_osv();
            if writer.record(&rec, &raw, &source, &mut report, &mut opts.progress)? {
                *source_counts.entry(source).or_default() += 1;
            }
        }
        for (source, n) in source_counts {
            writer.add_source_records(&source, n)?;
        }
        let generation = writer.generation;
        writer.finish(&mut opts.progress)?;
        report.generation = generation;
        report.db_bytes = std::fs::metadata(dir.join(gen_name(generation)).join(DB_FILE))
            .map(|m| m.len())
            .unwrap_or_default();
        report.elapsed = start.elapsed();
        Ok(report)
    }

    /// The entries for one package: `ecosystem` as OSV writes it (`Debian:12`, `PyPI`),
    /// `name` as the package manager writes it (normalised here). Withdrawn records are
    /// left out. Sorted by record id.
    pub fn affected_for(&self, ecosystem: &str, name: &str) -> Result<Vec<AffectedEntry>> {
        struct Row {
            id: String,
            aliases: String,
            modified: String,
            published: Option<String>,
            summary: Option<String>,
            severity: String,
            ecosystem: String,
            package: String,
            purl: Option<String>,
            data: String,
            upstream: String,
            refs: String,
        }
        let key = crate::ecosystem::normalize_name(ecosystem, name);
        let mut stmt = sql(
            &self.path,
            self.conn.prepare_cached(
                "SELECT r.id, r.aliases, r.modified, r.published, r.summary, r.severity, \
                 a.ecosystem, a.package, a.purl, a.data, r.upstream, r.refs \
                 FROM affected a JOIN records r ON r.id = a.record_id \
                 WHERE a.ecosystem = ?1 AND a.name = ?2 AND r.withdrawn IS NULL \
                 ORDER BY r.id, a.rowid",
            ),
        )?;
        let rows = sql(
            &self.path,
            stmt.query_map(params![ecosystem, key], |r| {
                Ok(Row {
                    id: r.get(0)?,
                    aliases: r.get(1)?,
                    modified: r.get(2)?,
                    published: r.get(3)?,
                    summary: r.get(4)?,
                    severity: r.get(5)?,
                    ecosystem: r.get(6)?,
                    package: r.get(7)?,
                    purl: r.get(8)?,
                    data: r.get(9)?,
                    upstream: r.get(10)?,
                    refs: r.get(11)?,
                })
            }),
        )?;
        let mut out = Vec::new();
        for row in rows {
            let row = sql(&self.path, row)?;
            let id = row.id;
            let aliases: Vec<String> = self.decode(&row.aliases, &id)?;
            let mut severity: Vec<Severity> = self.decode(&row.severity, &id)?;
            self.fill_from_nvd(&id, &aliases, &mut severity)?;
            let data: AffectedData = self.decode(&row.data, &id)?;
            let upstream: Vec<String> = self.decode(&row.upstream, &id)?;
            let references: Vec<Reference> = self.decode(&row.refs, &id)?;
            out.push(AffectedEntry {
                record_id: id,
                aliases,
                upstream,
                modified: row.modified,
                published: row.published,
                summary: row.summary,
                references,
                severity,
                affected: Affected {
                    ecosystem: row.ecosystem,
                    name: row.package,
                    purl: row.purl,
                    ranges: data.ranges,
                    versions: data.versions,
                    severity: data.severity,
                    ecosystem_specific: data.ecosystem_specific,
                    database_specific: data.database_specific,
                },
            });
        }
        Ok(out)
    }

    fn decode<T: serde::de::DeserializeOwned>(&self, text: &str, id: &str) -> Result<T> {
        serde_json::from_str(text).map_err(|e| Error::Corrupt {
            dir: self.dir.clone(),
            message: format!("record {id}: stored JSON unreadable: {e}"),
        })
    }

    fn fill_from_nvd(
        &self,
        id: &str,
        aliases: &[String],
        severity: &mut Vec<Severity>,
    ) -> Result<()> {
        if severity.iter().any(|s| s.kind.starts_with("CVSS_")) {
            return Ok(());
        }
        let mut stmt = sql(
            &self.path,
            self.conn
                .prepare_cached("SELECT severity FROM nvd WHERE cve = ?1"),
        )?;
        for cve in std::iter::once(id)
            .chain(aliases.iter().map(String::as_str))
            .filter(|a| a.starts_with("CVE-"))
        {
            let found: Option<String> =
                sql(&self.path, stmt.query_row([cve], |r| r.get(0)).optional())?;
            if let Some(text) = found {
                let extra: Vec<Severity> = self.decode(&text, id)?;
                severity.extend(extra);
                return Ok(());
            }
        }
        Ok(())
    }

    /// One record by id, withdrawn or not.
    pub fn record(&self, id: &str) -> Result<Option<StoredRecord>> {
        let row: Option<(String, Vec<u8>)> = sql(
            &self.path,
            self.conn
                .query_row("SELECT source, raw FROM records WHERE id = ?1", [id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional(),
        )?;
        let Some((source, raw)) = row else {
            return Ok(None);
        };
        let bytes = zstd::decode_all(raw.as_slice()).map_err(|e| Error::Corrupt {
            dir: self.dir.clone(),
            message: format!("record {id}: stored data unreadable: {e}"),
        })?;
        let raw: Value = serde_json::from_slice(&bytes).map_err(|e| Error::Corrupt {
            dir: self.dir.clone(),
            message: format!("record {id}: stored JSON unreadable: {e}"),
        })?;
        // OSV records are stored as imported, feed records converted to OSV.
        let record = osv::parse_record(&raw).map_err(|e| Error::Corrupt {
            dir: self.dir.clone(),
            message: format!("record {id}: {e}"),
        })?;
        Ok(Some(StoredRecord {
            record,
            source,
            raw,
        }))
    }

    /// Ids of the records that name `alias` (a CVE, GHSA, ... id) among their aliases.
    pub fn ids_for_alias(&self, alias: &str) -> Result<Vec<String>> {
        let mut stmt = sql(
            &self.path,
            self.conn
                .prepare_cached("SELECT id FROM aliases WHERE alias = ?1 ORDER BY id"),
        )?;
        let rows = sql(&self.path, stmt.query_map([alias], |r| r.get(0)))?;
        rows.map(|r| sql(&self.path, r)).collect()
    }

    /// The CVSS data imported from NVD for one CVE.
    pub fn nvd(&self, cve: &str) -> Result<Option<Vec<Severity>>> {
        let found: Option<String> = sql(
            &self.path,
            self.conn
                .query_row("SELECT severity FROM nvd WHERE cve = ?1", [cve], |r| {
                    r.get(0)
                })
                .optional(),
        )?;
        found.map(|t| self.decode(&t, cve)).transpose()
    }

    /// Holds one read transaction until the guard is dropped: the many small queries of
    /// a scan then share one lock and one consistent view of the file, instead of
    /// taking and checking the lock once each.
    pub fn snapshot(&self) -> Result<Snapshot<'_>> {
        sql(&self.path, self.conn.execute_batch("BEGIN DEFERRED"))?;
        Ok(Snapshot { db: self })
    }

    /// The CISA KEV entry of one CVE, when the catalog was imported and lists it.
    pub fn kev(&self, cve: &str) -> Result<Option<KevEntry>> {
        sql(
            &self.path,
            self.conn
                .prepare_cached(
                    "SELECT cve, date_added, due_date, ransomware, name FROM kev WHERE cve = ?1",
                )
                .and_then(|mut s| {
                    s.query_row([cve], |r| {
                        Ok(KevEntry {
                            cve: r.get(0)?,
                            date_added: r.get(1)?,
                            due_date: r.get(2)?,
                            ransomware: r.get(3)?,
                            name: r.get(4)?,
                        })
                    })
                    .optional()
                }),
        )
    }

    /// The EPSS score of one CVE, when an EPSS file was imported and scores it
    /// (`percentile` is NaN for files without percentiles).
    pub fn epss(&self, cve: &str) -> Result<Option<EpssScore>> {
        sql(
            &self.path,
            self.conn
                .prepare_cached("SELECT score, percentile FROM epss WHERE cve = ?1")
                .and_then(|mut s| {
                    s.query_row([cve], |r| {
                        let percentile: f64 = r.get(1)?;
                        Ok(EpssScore {
                            score: r.get(0)?,
                            percentile: if percentile < 0.0 {
                                f64::NAN
                            } else {
                                percentile
                            },
                        })
                    })
                    .optional()
                }),
        )
    }

    /// Every ecosystem string with entries, sorted (`Alpine:v3.11`, `Debian:12`, `PyPI`).
    pub fn ecosystems(&self) -> Result<Vec<String>> {
        let mut stmt = sql(
            &self.path,
            self.conn
                .prepare_cached("SELECT DISTINCT ecosystem FROM affected ORDER BY ecosystem"),
        )?;
        let rows = sql(&self.path, stmt.query_map([], |r| r.get(0)))?;
        rows.map(|r| sql(&self.path, r)).collect()
    }

    /// Counts, sources and timestamps of the database.
    pub fn status(&self) -> Result<Status> {
        let p = &self.path;
        let c = &self.conn;
        let count = |q: &str| -> Result<u64> {
            sql(p, c.query_row(q, [], |r| r.get::<_, i64>(0))).map(|n| n as u64)
        };
        let records = count("SELECT COUNT(*) FROM records")?;
        let withdrawn = count("SELECT COUNT(*) FROM records WHERE withdrawn IS NOT NULL")?;
        let nvd_entries = count("SELECT COUNT(*) FROM nvd")?;
        let kev_entries = count("SELECT COUNT(*) FROM kev")?;
        let epss_entries = count("SELECT COUNT(*) FROM epss")?;
        let meta = |key: &str| -> Result<Option<String>> {
            sql(
                p,
                c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                    .optional(),
            )
        };
        let built_at = meta("built_at")?.unwrap_or_default();
        let kev_catalog_version = meta("kev_catalog_version")?;
        let epss_score_date = meta("epss_score_date")?;
        let newest: Option<(String, String)> = sql(
            p,
            c.query_row(
                "SELECT id, modified FROM records ORDER BY modified DESC, id LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional(),
        )?;
        let mut stmt = sql(
            p,
            c.prepare(
                "SELECT ecosystem, COUNT(DISTINCT record_id), COUNT(DISTINCT name) \
                 FROM affected GROUP BY ecosystem ORDER BY ecosystem",
            ),
        )?;
        let ecosystems = sql(
            p,
            stmt.query_map([], |r| {
                Ok(EcosystemCount {
                    ecosystem: r.get(0)?,
                    records: r.get::<_, i64>(1)? as u64,
                    packages: r.get::<_, i64>(2)? as u64,
                })
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>()),
        )?;
        let mut stmt = sql(
            p,
            c.prepare(
                "SELECT name, kind, imported_at, records, skipped FROM sources ORDER BY name",
            ),
        )?;
        let sources = sql(
            p,
            stmt.query_map([], |r| {
                Ok(SourceInfo {
                    name: r.get(0)?,
                    kind: r.get(1)?,
                    imported_at: r.get(2)?,
                    records: r.get::<_, i64>(3)? as u64,
                    skipped: r.get::<_, i64>(4)? as u64,
                })
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>()),
        )?;
        Ok(Status {
            dir: self.dir.clone(),
            generation: self.generation,
            schema_version: SCHEMA_VERSION,
            built_at,
            records,
            withdrawn,
            nvd_entries,
            kev_entries,
            kev_catalog_version,
            epss_entries,
            epss_score_date,
            ecosystems,
            newest,
            sources,
            db_bytes: std::fs::metadata(p).map(|m| m.len()).unwrap_or_default(),
        })
    }
}

#[derive(Serialize, Deserialize)]
struct AffectedData {
    ranges: Vec<osv::Range>,
    versions: Vec<String>,
    severity: Vec<Severity>,
    ecosystem_specific: Option<Value>,
    database_specific: Option<Value>,
}

/// Writes one new generation.
struct Writer {
    dir: PathBuf,
    generation: u64,
    gen_dir: PathBuf,
    path: PathBuf,
    conn: Connection,
    pending: usize,
    written: u64,
    compressor: zstd::bulk::Compressor<'static>,
    _lock: File,
}

impl Writer {
    fn begin(dir: &Path, fresh: bool) -> Result<Writer> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let lock_path = dir.join(LOCK);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e))?;
        lock.lock().map_err(|e| Error::io(&lock_path, e))?;
        let current = current_generation(dir)?;
        // Remove what killed writers left behind, and generations older than the previous.
        let keep: Vec<u64> = current.into_iter().collect();
        cleanup(dir, &keep, current.map(|c| c.saturating_sub(1)))?;
        let generation = current.map_or(1, |c| c + 1);
        let gen_dir = dir.join(gen_name(generation));
        std::fs::create_dir_all(&gen_dir).map_err(|e| Error::io(&gen_dir, e))?;
        let path = gen_dir.join(DB_FILE);
        let copy_from = match current {
            Some(c) if !fresh => Some(dir.join(gen_name(c)).join(DB_FILE)),
            _ => None,
        };
        if let Some(src) = &copy_from {
            std::fs::copy(src, &path).map_err(|e| Error::io(src, e))?;
        }
        let conn = sql(&path, Connection::open(&path))?;
        sql(
            &path,
            conn.execute_batch(
                "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY; \
                 PRAGMA cache_size = -65536;",
            ),
        )?;
        if copy_from.is_none() {
            sql(&path, conn.execute_batch(SCHEMA))?;
            sql(&path, conn.execute_batch(KEV_EPSS))?;
            sql(
                &path,
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)",
                    [SCHEMA_VERSION.to_string()],
                ),
            )?;
        } else {
            let found: Option<String> = sql(
                &path,
                conn.query_row(
                    "SELECT value FROM meta WHERE key = 'schema_version'",
                    [],
                    |r| r.get(0),
                )
                .optional(),
            )?;
            // The copy is private to this writer, so migrating it in place is safe.
            let found = if found.as_deref() == Some("1") {
                sql(&path, conn.execute_batch(MIGRATE_1_TO_2))?;
                sql(&path, conn.execute_batch(KEV_EPSS))?;
                Some("2".to_owned())
            } else {
                found
            };
            if found.as_deref() != Some(&SCHEMA_VERSION.to_string()) {
                return Err(Error::Schema {
                    path,
                    found: found.unwrap_or_else(|| "none".into()),
                    expected: SCHEMA_VERSION,
                });
            }
        }
        sql(&path, conn.execute_batch("BEGIN"))?;
        Ok(Writer {
            dir: dir.to_owned(),
            generation,
            gen_dir,
            path,
            conn,
            pending: 0,
            written: 0,
            compressor: zstd::bulk::Compressor::new(3).map_err(|e| Error::io(dir, e))?,
            _lock: lock,
        })
    }

    fn warn(report: &mut ImportReport, location: &str, e: RecordError) {
        report.skipped.push(Warning {
            location: location.to_owned(),
            id: e.id,
            problem: e.problem,
            path: e.path,
            message: e.message,
        });
    }

    fn document(
        &mut self,
        doc: input::Doc,
        source: &str,
        report: &mut ImportReport,
        kinds: &mut BTreeSet<&'static str>,
        native: &mut BTreeMap<String, Record>,
        progress: &mut Option<&mut dyn FnMut(Progress)>,
    ) -> Result<()> {
        let parsed = match doc.format {
            Format::Json => osv::parse_json(&doc.bytes),
            Format::Yaml => osv::parse_yaml(&doc.bytes),
            Format::Csv => {
                kinds.insert("epss");
                match feeds::epss_csv(&doc.bytes) {
                    Ok((meta, scores, problems)) => {
                        problems
                            .into_iter()
                            .for_each(|e| Self::warn(report, &doc.location, e));
                        for (cve, score) in &scores {
                            self.epss(cve, score)?;
                        }
                        report.epss_entries += scores.len() as u64;
                        self.meta("epss_score_date", meta.score_date.as_deref())?;
                        self.meta("epss_model_version", meta.model_version.as_deref())?;
                    }
                    Err(e) => Self::warn(report, &doc.location, e),
                }
                return Ok(());
            }
        };
        let value = match parsed {
            Ok(v) => v,
            Err(e) => {
                Self::warn(report, &doc.location, e);
                return Ok(());
            }
        };
        drop(doc.bytes);
        match feeds::classify(value) {
            Document::Osv(v) => {
                kinds.insert("osv");
                self.osv_value(&v, &doc.location, source, report, progress)?;
            }
            Document::OsvList(items) => {
                kinds.insert("osv");
                for v in &items {
                    self.osv_value(v, &doc.location, source, report, progress)?;
                }
            }
            Document::AlpineSecdb(v) => {
                kinds.insert("alpine-secdb");
                match feeds::alpine_secdb(&v, native) {
                    Ok(problems) => problems
                        .into_iter()
                        .for_each(|e| Self::warn(report, &doc.location, e)),
                    Err(e) => Self::warn(report, &doc.location, e),
                }
            }
            Document::DebianTracker(v) => {
                kinds.insert("debian-tracker");
                match feeds::debian_tracker(&v, native) {
                    Ok(problems) => problems
                        .into_iter()
                        .for_each(|e| Self::warn(report, &doc.location, e)),
                    Err(e) => Self::warn(report, &doc.location, e),
                }
            }
            Document::NvdPage(v) => {
                kinds.insert("nvd");
                match feeds::nvd_page(&v) {
                    Ok((entries, problems)) => {
                        problems
                            .into_iter()
                            .for_each(|e| Self::warn(report, &doc.location, e));
                        for e in entries {
                            self.nvd(&e)?;
                            report.nvd_entries += 1;
                        }
                    }
                    Err(e) => Self::warn(report, &doc.location, e),
                }
            }
            Document::Kev(v) => {
                kinds.insert("kev");
                match feeds::kev_catalog(&v) {
                    Ok((version, entries, problems)) => {
                        problems
                            .into_iter()
                            .for_each(|e| Self::warn(report, &doc.location, e));
                        for e in &entries {
                            self.kev(e)?;
                        }
                        report.kev_entries += entries.len() as u64;
                        self.meta("kev_catalog_version", version.as_deref())?;
                    }
                    Err(e) => Self::warn(report, &doc.location, e),
                }
            }
            Document::Unrecognised(why) => report.skipped.push(Warning {
                location: doc.location,
                id: None,
                problem: Problem::Unrecognised,
                path: String::new(),
                message: why.to_owned(),
            }),
        }
        Ok(())
    }

    fn osv_value(
        &mut self,
        v: &Value,
        location: &str,
        source: &str,
        report: &mut ImportReport,
        progress: &mut Option<&mut dyn FnMut(Progress)>,
    ) -> Result<()> {
        match osv::parse_record(v) {
            Ok(rec) => {
                self.record(&rec, v, source, report, progress)?;
            }
            Err(e) => Self::warn(report, location, e),
        }
        Ok(())
    }

    /// Writes a record unless a newer version is stored. Returns whether it was written.
    fn record(
        &mut self,
        rec: &Record,
        raw: &Value,
        source: &str,
        report: &mut ImportReport,
        progress: &mut Option<&mut dyn FnMut(Progress)>,
    ) -> Result<bool> {
        if !self.write_record(rec, raw, source, report)? {
            return Ok(false);
        }
        self.written += 1;
        self.pending += 1;
        if self.pending >= BATCH {
            self.commit()?;
            if let Some(p) = progress.as_mut() {
                p(Progress::Batch {
                    records: self.written,
                });
            }
        }
        Ok(true)
    }

    fn write_record(
        &mut self,
        rec: &Record,
        raw: &Value,
        source: &str,
        report: &mut ImportReport,
    ) -> Result<bool> {
        let p = &self.path;
        let c = &self.conn;
        let stored: Option<String> = sql(
            p,
            c.prepare_cached("SELECT modified FROM records WHERE id = ?1")
                .and_then(|mut s| s.query_row([&rec.id], |r| r.get(0)).optional()),
        )?;
        if let Some(stored) = &stored {
            if stored.as_str() > rec.modified.as_str() {
                report.older_than_stored += 1;
                return Ok(false);
            }
            sql(
                p,
                c.prepare_cached("DELETE FROM affected WHERE record_id = ?1")
                    .and_then(|mut s| s.execute([&rec.id])),
            )?;
            sql(
                p,
                c.prepare_cached("DELETE FROM aliases WHERE id = ?1")
                    .and_then(|mut s| s.execute([&rec.id])),
            )?;
        }
        let raw_bytes = serde_json::to_vec(raw).unwrap_or_default();
        let compressed = self
            .compressor
            .compress(&raw_bytes)
            .map_err(|e| Error::io(&self.path, e))?;
        sql(
            p,
            c.prepare_cached(
                "INSERT OR REPLACE INTO records \
                 (id, modified, published, withdrawn, summary, aliases, severity, source, raw, \
                 upstream, refs) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    rec.id,
                    rec.modified,
                    rec.published,
                    rec.withdrawn,
                    rec.summary
                        .clone()
                        .or_else(|| rec.details.as_deref().and_then(short_summary)),
                    to_json(&rec.aliases),
                    to_json(&rec.severity),
                    source,
                    compressed,
                    to_json(&rec.upstream),
                    to_json(&rec.references),
                ])
            }),
        )?;
        let mut alias_stmt = sql(
            p,
            c.prepare_cached("INSERT OR IGNORE INTO aliases (alias, id) VALUES (?1, ?2)"),
        )?;
        for a in &rec.aliases {
            sql(p, alias_stmt.execute(params![a, rec.id]))?;
        }
        let mut aff_stmt = sql(
            p,
            c.prepare_cached(
                "INSERT INTO affected (record_id, ecosystem, name, package, purl, data) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            ),
        )?;
        let mut ecosystems = BTreeSet::new();
        for a in &rec.affected {
            let data = AffectedData {
                ranges: a.ranges.clone(),
                versions: a.versions.clone(),
                severity: a.severity.clone(),
                ecosystem_specific: a.ecosystem_specific.clone(),
                database_specific: a.database_specific.clone(),
            };
            sql(
                p,
                aff_stmt.execute(params![
                    rec.id,
                    a.ecosystem,
                    crate::ecosystem::normalize_name(&a.ecosystem, &a.name),
                    a.name,
                    a.purl,
                    to_json(&data)
                ]),
            )?;
            ecosystems.insert(a.ecosystem.clone());
        }
        for e in ecosystems {
            *report.per_ecosystem.entry(e).or_default() += 1;
        }
        report.records += 1;
        Ok(true)
    }

    fn commit(&mut self) -> Result<()> {
        sql(&self.path, self.conn.execute_batch("COMMIT; BEGIN"))?;
        self.pending = 0;
        Ok(())
    }

    fn nvd(&mut self, e: &NvdEntry) -> Result<()> {
        sql(
            &self.path,
            self.conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO nvd (cve, modified, severity) VALUES (?1, ?2, ?3)",
                )
                .and_then(|mut s| s.execute(params![e.cve, e.modified, to_json(&e.severity)])),
        )?;
        Ok(())
    }

    fn kev(&mut self, e: &KevEntry) -> Result<()> {
        sql(
            &self.path,
            self.conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO kev (cve, date_added, due_date, ransomware, name) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        e.cve,
                        e.date_added,
                        e.due_date,
                        e.ransomware,
                        e.name
                    ])
                }),
        )?;
        Ok(())
    }

    fn epss(&mut self, cve: &str, e: &EpssScore) -> Result<()> {
        // NaN (a file without percentiles) is stored as NULL by SQLite; keep it readable.
        let pct = if e.percentile.is_nan() {
            -1.0
        } else {
            e.percentile
        };
        sql(
            &self.path,
            self.conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO epss (cve, score, percentile) VALUES (?1, ?2, ?3)",
                )
                .and_then(|mut s| s.execute(params![cve, e.score, pct])),
        )?;
        Ok(())
    }

    fn meta(&mut self, key: &str, value: Option<&str>) -> Result<()> {
        let Some(value) = value else { return Ok(()) };
        sql(
            &self.path,
            self.conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                params![key, value],
            ),
        )?;
        Ok(())
    }

    fn source(&mut self, name: &str, kind: &str, records: u64, skipped: u64) -> Result<()> {
        sql(
            &self.path,
            self.conn.execute(
                "INSERT OR REPLACE INTO sources (name, kind, imported_at, records, skipped) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    name,
                    kind,
                    rfc3339(SystemTime::now()),
                    records as i64,
                    skipped as i64
                ],
            ),
        )?;
        Ok(())
    }

    fn add_source_records(&mut self, name: &str, n: u64) -> Result<()> {
        sql(
            &self.path,
            self.conn.execute(
                "UPDATE sources SET records = records + ?2 WHERE name = ?1",
                params![name, n as i64],
            ),
        )?;
        Ok(())
    }

    fn finish(self, progress: &mut Option<&mut dyn FnMut(Progress)>) -> Result<()> {
        let Writer {
            dir,
            generation,
            gen_dir,
            path,
            conn,
            _lock,
            ..
        } = self;
        sql(
            &path,
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('built_at', ?1)",
                [rfc3339(SystemTime::now())],
            ),
        )?;
        // Table statistics for the planner, without the per-value samples (sqlite_stat4):
        // with those, every query whose bound value changes is compiled again, which
        // made a scan's thousands of lookups spend their time in the SQL parser.
        sql(
            &path,
            conn.execute_batch("COMMIT; ANALYZE; DELETE FROM sqlite_stat4; ANALYZE sqlite_schema;"),
        )?;
        conn.close().map_err(|(_, e)| Error::sqlite(&path, e))?;
        File::open(&path)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io(&path, e))?;
        sync_dir(&gen_dir)?;
        if let Some(p) = progress.as_mut() {
            p(Progress::Built { generation });
        }
        let tmp = dir.join(format!("{CURRENT}.tmp"));
        {
            let mut f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
            writeln!(f, "{}", gen_name(generation)).map_err(|e| Error::io(&tmp, e))?;
            f.sync_all().map_err(|e| Error::io(&tmp, e))?;
        }
        let cur = dir.join(CURRENT);
        std::fs::rename(&tmp, &cur).map_err(|e| Error::io(&cur, e))?;
        sync_dir(&dir)?;
        if let Some(p) = progress.as_mut() {
            p(Progress::Swapped { generation });
        }
        cleanup(&dir, &[generation], Some(generation.saturating_sub(1)))?;
        drop(_lock);
        Ok(())
    }
}

/// Removes generation directories other than `keep` and `previous`.
fn cleanup(dir: &Path, keep: &[u64], previous: Option<u64>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(g) = parse_gen(&name.to_string_lossy()) else {
            continue;
        };
        if keep.contains(&g) || previous == Some(g) {
            continue;
        }
        let p = entry.path();
        std::fs::remove_dir_all(&p).map_err(|e| Error::io(&p, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats() {
        assert_eq!(rfc3339(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_327_110);
        assert_eq!(rfc3339(t), "2026-12-03T19:45:10Z");
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339(t), "2000-02-29T00:00:00Z");
    }
}
