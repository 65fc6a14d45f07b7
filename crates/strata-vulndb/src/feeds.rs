//! Distro-native feeds and NVD pages, converted to the OSV model.
//!
//! - Alpine secdb (`{distroversion, packages: [{pkg: {name, secfixes: {VERSION: [ID...]}}}]}`,
//!   JSON or YAML): one record `ALPINE-<release>-<ID>` per release and id, one `affected`
//!   entry per package, ecosystem `Alpine:<release>`, range `introduced 0, fixed VERSION`.
//!   The secfixes key `0` ("never affected") is skipped.
//! - Debian security tracker JSON (`{source: {CVE: {releases: {codename: {...}}}}}`): one
//!   record `DEBIAN-<CVE>` per CVE, one `affected` entry per (source, release), ecosystem
//!   `Debian:<N>`; `resolved` gives a `fixed` event (`fixed_version` `0` = not affected,
//!   skipped), `open`/`undetermined` gives an open range; `urgency` is kept as a rating.
//! - NVD CVE API 2.0 pages: the CVSS vectors of each CVE, used to fill severities of
//!   records without one through their CVE aliases.
//! - CISA's Known Exploited Vulnerabilities catalog (`{catalogVersion, vulnerabilities:
//!   [{cveID, dateAdded, dueDate, knownRansomwareCampaignUse, ...}]}`) and FIRST EPSS
//!   scores (CSV: `#model_version:…,score_date:…`, then `cve,epss,percentile`): per-CVE
//!   enrichment of findings.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::osv::{Affected, Event, Problem, Range, RangeKind, Record, RecordError, Severity};

/// The `modified` time of records from feeds that carry none.
pub const EPOCH: &str = "1970-01-01T00:00:00Z";

/// The kind of a parsed document.
#[derive(Debug)]
pub(crate) enum Document {
    Osv(Value),
    OsvList(Vec<Value>),
    AlpineSecdb(Value),
    DebianTracker(Value),
    NvdPage(Value),
    Kev(Value),
    Unrecognised(&'static str),
}

pub(crate) fn classify(v: Value) -> Document {
    match v {
        Value::Object(ref o) => {
            if o.contains_key("id") && (o.contains_key("modified") || o.contains_key("affected")) {
                Document::Osv(v)
            } else if o.contains_key("catalogVersion") && o.contains_key("vulnerabilities") {
                Document::Kev(v)
            } else if o.get("format").and_then(Value::as_str) == Some("NVD_CVE")
                || (o.contains_key("vulnerabilities") && o.contains_key("resultsPerPage"))
            {
                Document::NvdPage(v)
            } else if o.contains_key("packages") && o.contains_key("distroversion") {
                Document::AlpineSecdb(v)
            } else if is_debian_tracker(o) {
                Document::DebianTracker(v)
            } else {
                Document::Unrecognised(
                    "a JSON/YAML object that is no OSV record, NVD page, Alpine secdb or Debian tracker",
                )
            }
        }
        Value::Array(items) => {
            if !items.is_empty()
                && items
                    .iter()
                    .all(|i| i.get("id").is_some() && i.get("modified").is_some())
            {
                Document::OsvList(items)
            } else {
                Document::Unrecognised("an array that is not a list of OSV records")
            }
        }
        _ => Document::Unrecognised("not an object"),
    }
}

fn is_debian_tracker(o: &Map<String, Value>) -> bool {
    !o.is_empty()
        && o.values().all(|v| v.is_object())
        && o.values().any(|v| {
            v.as_object().is_some_and(|cves| {
                cves.values()
                    .any(|c| c.get("releases").is_some_and(Value::is_object))
            })
        })
}

fn introduced_fixed(fixed: Option<&str>) -> Range {
    let mut events = vec![Event::Introduced("0".to_owned())];
    if let Some(f) = fixed {
        events.push(Event::Fixed(f.to_owned()));
    }
    Range {
        kind: RangeKind::Ecosystem,
        repo: None,
        events,
    }
}

fn new_record(id: String, alias: &str, summary: Option<String>) -> Record {
    Record {
        id,
        modified: EPOCH.to_owned(),
        published: None,
        withdrawn: None,
        summary,
        details: None,
        aliases: vec![alias.to_owned()],
        upstream: Vec::new(),
        references: Vec::new(),
        severity: Vec::new(),
        affected: Vec::new(),
    }
}

fn err(path: impl Into<String>, message: impl Into<String>) -> RecordError {
    RecordError {
        problem: Problem::WrongType,
        id: None,
        path: path.into(),
        message: message.into(),
    }
}

/// Converts one Alpine secdb document, merging into `out` (keyed by record id). Entries
/// that cannot be read are returned as errors; the rest is kept.
pub(crate) fn alpine_secdb(
    doc: &Value,
    out: &mut BTreeMap<String, Record>,
) -> Result<Vec<RecordError>, RecordError> {
    let release = doc
        .get("distroversion")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| err("distroversion", "missing or not a string"))?;
    let ecosystem = format!("Alpine:{release}");
    let packages = match doc.get("packages") {
        // An empty `packages:` (secdb files of repositories without fixes) is YAML null.
        // and `packages: {}` in JSON files converted from it.
        Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(m)) if m.is_empty() => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        _ => return Err(err("packages", "missing or not an array")),
    };
    let apk = strata_version::Scheme::Apk;
    let mut problems = Vec::new();
    for (i, p) in packages.iter().enumerate() {
        let path = format!("packages[{i}].pkg");
        let Some(pkg) = p.get("pkg").and_then(Value::as_object) else {
            problems.push(err(&path, "missing or not an object"));
            continue;
        };
        let Some(name) = pkg
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        else {
            problems.push(err(format!("{path}.name"), "missing or not a string"));
            continue;
        };
        let secfixes = match pkg.get("secfixes") {
            None | Some(Value::Null) => continue,
            Some(Value::Object(m)) => m,
            Some(_) => {
                problems.push(err(format!("{path}.secfixes"), "not a mapping"));
                continue;
            }
        };
        for (version, ids) in secfixes {
            if version == "0" {
                continue;
            }
            if apk.parse(version).is_err() {
                problems.push(RecordError {
                    problem: Problem::BadRange,
                    id: None,
                    path: format!("{path}.secfixes.{version}"),
                    message: format!("{version:?} is not an apk version"),
                });
                continue;
            }
            let list: Vec<&str> = match ids {
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                Value::String(s) => vec![s.as_str()],
                Value::Null => Vec::new(),
                // An empty map where a list was meant (`"2.8.0-r0": {}`) names no id.
                Value::Object(m) if m.is_empty() => Vec::new(),
                _ => {
                    problems.push(err(
                        format!("{path}.secfixes.{version}"),
                        "not a list of ids",
                    ));
                    continue;
                }
            };
            for vid in list.iter().flat_map(|s| s.split_whitespace()) {
                if !vid.contains('-') || vid.len() > 64 {
                    continue;
                }
                let id = format!("ALPINE-{release}-{vid}");
                let rec = out
                    .entry(id.clone())
                    .or_insert_with(|| new_record(id, vid, None));
                if let Some(existing) = rec
                    .affected
                    .iter_mut()
                    .find(|a| a.ecosystem == ecosystem && a.name == name)
                {
                    // The same id fixed twice: keep the lowest fixed version.
                    let older = existing.ranges.first().and_then(|r| {
                        r.events.iter().find_map(|e| match e {
                            Event::Fixed(f) => Some(f.clone()),
                            _ => None,
                        })
                    });
                    if let Some(older) = older
                        && apk.compare(version, &older) == Ok(Ordering::Less)
                    {
                        existing.ranges = vec![introduced_fixed(Some(version))];
                    }
                    continue;
                }
                rec.affected.push(Affected {
                    ecosystem: ecosystem.clone(),
                    name: name.to_owned(),
                    purl: None,
                    ranges: vec![introduced_fixed(Some(version))],
                    versions: Vec::new(),
                    severity: Vec::new(),
                    ecosystem_specific: None,
                    database_specific: None,
                });
            }
        }
    }
    Ok(problems)
}

/// Debian release code names and their numbers.
pub fn debian_release(codename: &str) -> Option<&'static str> {
    Some(match codename {
        "wheezy" => "7",
        "jessie" => "8",
        "stretch" => "9",
        "buster" => "10",
        "bullseye" => "11",
        "bookworm" => "12",
        "trixie" => "13",
        "forky" => "14",
        "duke" => "15",
        _ => return None,
    })
}

/// Converts a Debian security tracker document, merging into `out`.
pub(crate) fn debian_tracker(
    doc: &Value,
    out: &mut BTreeMap<String, Record>,
) -> Result<Vec<RecordError>, RecordError> {
    let sources = doc.as_object().ok_or_else(|| err("", "not an object"))?;
    let dpkg = strata_version::Scheme::Dpkg;
    let mut problems = Vec::new();
    for (source, cves) in sources {
        let Some(cves) = cves.as_object() else {
            problems.push(err(source, "not an object"));
            continue;
        };
        for (cve, info) in cves {
            if !cve.starts_with("CVE-") {
                continue; // TEMP-... ids name nothing outside Debian.
            }
            let path = format!("{source}.{cve}");
            let releases = match info.get("releases") {
                Some(Value::Object(m)) => m,
                // The tracker writes an empty map as `[]`.
                Some(Value::Array(a)) if a.is_empty() => continue,
                _ => {
                    problems.push(err(format!("{path}.releases"), "missing or not an object"));
                    continue;
                }
            };
            let summary = info
                .get("description")
                .and_then(Value::as_str)
                .map(|d| d.chars().take(300).collect::<String>());
            let id = format!("DEBIAN-{cve}");
            for (codename, rel) in releases {
                let Some(number) = debian_release(codename) else {
                    continue;
                };
                let status = rel
                    .get("status")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let fixed = rel.get("fixed_version").and_then(Value::as_str);
                let range = match (status, fixed) {
                    ("resolved", Some("0")) => continue,
                    ("resolved", Some(v)) => {
                        if dpkg.parse(v).is_err() {
                            problems.push(RecordError {
                                problem: Problem::BadRange,
                                id: Some(id.clone()),
                                path: format!("{path}.releases.{codename}.fixed_version"),
                                message: format!("{v:?} is not a dpkg version"),
                            });
                            continue;
                        }
                        introduced_fixed(Some(v))
                    }
                    ("open" | "undetermined", _) => introduced_fixed(None),
                    _ => continue,
                };
                let mut specific = Map::new();
                let mut severity = Vec::new();
                if let Some(u) = rel.get("urgency").and_then(Value::as_str) {
                    specific.insert("urgency".into(), json!(u));
                    let word = crate::osv::rating_word(u);
                    if !word.is_empty() && word != "NOT YET ASSIGNED" {
                        severity.push(Severity {
                            kind: "rating".into(),
                            value: u.to_owned(),
                            base_score: None,
                            rating: Some(word),
                            source: "debian-tracker".into(),
                        });
                    }
                }
                specific.insert("status".into(), json!(status));
                if let Some(n) = rel.get("nodsa") {
                    specific.insert("nodsa".into(), n.clone());
                }
                let rec = out
                    .entry(id.clone())
                    .or_insert_with(|| new_record(id.clone(), cve, summary.clone()));
                rec.affected.push(Affected {
                    ecosystem: format!("Debian:{number}"),
                    name: source.clone(),
                    purl: Some(format!("pkg:deb/debian/{source}?arch=source")),
                    ranges: vec![range],
                    versions: Vec::new(),
                    severity,
                    ecosystem_specific: Some(Value::Object(specific)),
                    database_specific: None,
                });
            }
        }
    }
    Ok(problems)
}

/// The CVSS data of one CVE from an NVD page.
#[derive(Debug, Clone, PartialEq)]
pub struct NvdEntry {
    pub cve: String,
    pub modified: Option<String>,
    /// Primary (NVD) metrics first, in the order v4.0, v3.1, v3.0, v2.
    pub severity: Vec<Severity>,
}

/// Reads an NVD CVE API 2.0 page. Invalid metrics are returned as problems and left out.
pub(crate) fn nvd_page(doc: &Value) -> Result<(Vec<NvdEntry>, Vec<RecordError>), RecordError> {
    let vulns = doc
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .ok_or_else(|| err("vulnerabilities", "missing or not an array"))?;
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for (i, v) in vulns.iter().enumerate() {
        let path = format!("vulnerabilities[{i}].cve");
        let Some(cve) = v.get("cve") else {
            problems.push(err(&path, "missing"));
            continue;
        };
        let Some(id) = cve.get("id").and_then(Value::as_str) else {
            problems.push(err(format!("{path}.id"), "missing or not a string"));
            continue;
        };
        let mut severity = Vec::new();
        let mut primary = Vec::new();
        for (key, kind) in [
            ("cvssMetricV40", "CVSS_V4"),
            ("cvssMetricV31", "CVSS_V3"),
            ("cvssMetricV30", "CVSS_V3"),
            ("cvssMetricV2", "CVSS_V2"),
        ] {
            let Some(list) = cve
                .get("metrics")
                .and_then(|m| m.get(key))
                .and_then(Value::as_array)
            else {
                continue;
            };
            for (j, metric) in list.iter().enumerate() {
                let mpath = format!("{path}.metrics.{key}[{j}].cvssData.vectorString");
                let Some(vector) = metric
                    .get("cvssData")
                    .and_then(|d| d.get("vectorString"))
                    .and_then(Value::as_str)
                else {
                    problems.push(err(&mpath, "missing"));
                    continue;
                };
                match crate::osv::cvss_severity(kind, vector, "nvd", &mpath) {
                    Ok(mut s) => {
                        if s.base_score.is_none() {
                            // Only when strata computed none: NVD's stated score.
                            s.base_score = metric
                                .get("cvssData")
                                .and_then(|d| d.get("baseScore"))
                                .and_then(Value::as_f64);
                            s.rating = metric
                                .get("cvssData")
                                .and_then(|d| d.get("baseSeverity"))
                                .and_then(Value::as_str)
                                .map(crate::osv::rating_word);
                        }
                        let is_primary =
                            metric.get("type").and_then(Value::as_str) == Some("Primary");
                        if is_primary {
                            primary.push(s);
                        } else {
                            severity.push(s);
                        }
                    }
                    Err(mut e) => {
                        e.id = Some(id.to_owned());
                        problems.push(e);
                    }
                }
            }
        }
        primary.extend(severity);
        entries.push(NvdEntry {
            cve: id.to_owned(),
            modified: cve
                .get("lastModified")
                .and_then(Value::as_str)
                .map(str::to_owned),
            severity: primary,
        });
    }
    Ok((entries, problems))
}

/// One entry of CISA's Known Exploited Vulnerabilities catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevEntry {
    pub cve: String,
    /// `YYYY-MM-DD`, when CISA added it to the catalog.
    pub date_added: String,
    /// `YYYY-MM-DD`, the remediation deadline for US federal agencies.
    pub due_date: Option<String>,
    /// `knownRansomwareCampaignUse`: `Known` or `Unknown`.
    pub ransomware: Option<String>,
    /// `vulnerabilityName`.
    pub name: Option<String>,
}

/// One CVE's FIRST EPSS score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpssScore {
    /// Probability of exploitation activity in the next 30 days, 0 to 1.
    pub score: f64,
    /// The score's percentile among all scored CVEs, 0 to 1.
    pub percentile: f64,
}

/// `CVE-YYYY-NNNN…`.
pub(crate) fn is_cve_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, num)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && (4..=12).contains(&num.len())
        && num.bytes().all(|b| b.is_ascii_digit())
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// Reads a KEV catalog: its version and entries. Unusable entries are returned as
/// problems and left out.
#[allow(clippy::type_complexity)]
pub(crate) fn kev_catalog(
    doc: &Value,
) -> Result<(Option<String>, Vec<KevEntry>, Vec<RecordError>), RecordError> {
    let vulns = doc
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .ok_or_else(|| err("vulnerabilities", "missing or not an array"))?;
    let version = doc
        .get("catalogVersion")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let text = |v: &Value, key: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let mut entries = Vec::with_capacity(vulns.len());
    let mut problems = Vec::new();
    for (i, v) in vulns.iter().enumerate() {
        let path = format!("vulnerabilities[{i}]");
        let Some(cve) = text(v, "cveID") else {
            problems.push(err(format!("{path}.cveID"), "missing or not a string"));
            continue;
        };
        if !is_cve_id(&cve) {
            problems.push(err(
                format!("{path}.cveID"),
                format!("{cve:?} is not a CVE id"),
            ));
            continue;
        }
        let bad_date = |key: &str, d: &str| RecordError {
            problem: Problem::WrongType,
            id: Some(cve.clone()),
            path: format!("{path}.{key}"),
            message: format!("{d:?} is not a YYYY-MM-DD date"),
        };
        let date_added = match text(v, "dateAdded") {
            Some(d) if is_date(&d) => d,
            Some(d) => {
                problems.push(bad_date("dateAdded", &d));
                continue;
            }
            None => {
                problems.push(RecordError {
                    id: Some(cve.clone()),
                    ..err(format!("{path}.dateAdded"), "missing or not a string")
                });
                continue;
            }
        };
        // A bad due date loses only the due date.
        let due_date = match text(v, "dueDate") {
            Some(d) if !is_date(&d) => {
                problems.push(bad_date("dueDate", &d));
                None
            }
            other => other,
        };
        entries.push(KevEntry {
            cve,
            date_added,
            due_date,
            ransomware: text(v, "knownRansomwareCampaignUse"),
            name: text(v, "vulnerabilityName"),
        });
    }
    Ok((version, entries, problems))
}

/// True when `bytes` start like a FIRST EPSS CSV: the `#model_version` comment or the
/// `cve,epss` header.
pub(crate) fn looks_like_epss(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(512)];
    let head = String::from_utf8_lossy(head);
    head.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|l| l.starts_with("#model_version") || l.starts_with("cve,epss"))
}

/// The model and date of an EPSS file, from its comment line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EpssMeta {
    pub model_version: Option<String>,
    pub score_date: Option<String>,
}

/// Reads an EPSS CSV. Rows that cannot be read are returned as problems (`line N`).
#[allow(clippy::type_complexity)]
pub(crate) fn epss_csv(
    bytes: &[u8],
) -> Result<(EpssMeta, Vec<(String, EpssScore)>, Vec<RecordError>), RecordError> {
    let text = std::str::from_utf8(bytes).map_err(|e| RecordError {
        problem: Problem::Syntax,
        id: None,
        path: format!("byte {}", e.valid_up_to()),
        message: "not UTF-8".to_owned(),
    })?;
    let mut meta = EpssMeta::default();
    let mut columns: Option<(usize, usize, Option<usize>)> = None;
    let mut scores = Vec::new();
    let mut problems = Vec::new();
    let bad = |n: usize, message: String| RecordError {
        problem: Problem::WrongType,
        id: None,
        path: format!("line {n}"),
        message,
    };
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            for part in comment.split(',') {
                match part.split_once(':') {
                    Some(("model_version", v)) => meta.model_version = Some(v.trim().to_owned()),
                    Some(("score_date", v)) => meta.score_date = Some(v.trim().to_owned()),
                    _ => {}
                }
            }
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let Some((c_cve, c_epss, c_pct)) = columns else {
            let find = |name: &str| fields.iter().position(|f| f.eq_ignore_ascii_case(name));
            match (find("cve"), find("epss")) {
                (Some(c), Some(e)) => columns = Some((c, e, find("percentile"))),
                _ => {
                    return Err(RecordError {
                        path: format!("line {n}"),
                        ..err("", "no `cve,epss,percentile` header")
                    });
                }
            }
            continue;
        };
        let Some(cve) = fields.get(c_cve).copied().filter(|c| is_cve_id(c)) else {
            problems.push(bad(
                n,
                format!("{line:?}: no CVE id in column {}", c_cve + 1),
            ));
            continue;
        };
        let number = |col: Option<usize>, name: &str| -> Result<f64, String> {
            let raw = col.and_then(|c| fields.get(c)).copied();
            match raw.map(str::parse::<f64>) {
                Some(Ok(v)) if (0.0..=1.0).contains(&v) => Ok(v),
                Some(Ok(v)) => Err(format!("{cve}: {name} {v} is outside 0..1")),
                Some(Err(_)) => Err(format!(
                    "{cve}: {name} {:?} is not a number",
                    raw.unwrap_or("")
                )),
                None => Err(format!("{cve}: no {name}")),
            }
        };
        let score = number(Some(c_epss), "epss");
        let percentile = match c_pct {
            Some(_) => number(c_pct, "percentile"),
            // Files from before percentiles were published carry the score only.
            None => Ok(f64::NAN),
        };
        match (score, percentile) {
            (Ok(score), Ok(percentile)) => {
                scores.push((cve.to_owned(), EpssScore { score, percentile }));
            }
            (Err(m), _) | (_, Err(m)) => problems.push(RecordError {
                id: Some(cve.to_owned()),
                ..bad(n, m)
            }),
        }
    }
    if columns.is_none() {
        return Err(err("", "no `cve,epss,percentile` header"));
    }
    Ok((meta, scores, problems))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn alpine_keeps_lowest_fix_and_skips_zero() {
        let doc = json!({"distroversion": "v3.18", "packages": [
            {"pkg": {"name": "zlib", "secfixes": {
                "1.2.12-r0": ["CVE-2018-25032"],
                "1.2.11-r4": ["CVE-2018-25032 XSA-1"],
                "0": ["CVE-2000-1"]
            }}}
        ]});
        let mut out = BTreeMap::new();
        assert!(alpine_secdb(&doc, &mut out).unwrap().is_empty());
        assert_eq!(
            out.keys().collect::<Vec<_>>(),
            vec!["ALPINE-v3.18-CVE-2018-25032", "ALPINE-v3.18-XSA-1"]
        );
        let r = &out["ALPINE-v3.18-CVE-2018-25032"];
        assert_eq!(r.affected.len(), 1);
        assert_eq!(
            r.affected[0].ranges[0].events,
            vec![
                Event::Introduced("0".into()),
                Event::Fixed("1.2.11-r4".into())
            ]
        );
    }

    #[test]
    fn kev_and_epss_rows() {
        let doc = json!({"catalogVersion": "2024.01.01", "vulnerabilities": [
            {"cveID": "CVE-2021-44228", "dateAdded": "2021-12-10", "dueDate": "2021-12-24",
             "knownRansomwareCampaignUse": "Known"},
            {"cveID": "CVE-2014-6271", "dateAdded": "2022-01-28", "dueDate": "soon"},
            {"cveID": "CVE-1", "dateAdded": "2022-01-28"},
            {"dateAdded": "2022-01-28"},
        ]});
        let (version, entries, problems) = kev_catalog(&doc).unwrap();
        assert_eq!(version.as_deref(), Some("2024.01.01"));
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].due_date, None);
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "vulnerabilities[1].dueDate",
                "vulnerabilities[2].cveID",
                "vulnerabilities[3].cveID"
            ]
        );
        let csv = b"#model_version:v2023.03.01,score_date:2024-03-01T00:00:00+0000\n\
                    cve,epss,percentile\nCVE-2021-44228,0.97565,0.99996\nCVE-2024-1,x,0.1\n\
                    CVE-2024-0002,0.5\nnope,0.1,0.1\n";
        assert!(looks_like_epss(csv));
        assert!(!looks_like_epss(b"name,value\n"));
        let (meta, scores, problems) = epss_csv(csv).unwrap();
        assert_eq!(meta.model_version.as_deref(), Some("v2023.03.01"));
        assert_eq!(scores.len(), 1);
        assert_eq!(scores[0].1.score, 0.97565);
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["line 4", "line 5", "line 6"]);
    }
}
