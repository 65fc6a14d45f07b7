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

use std::cmp::Ordering;
use std::collections::BTreeMap;

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
    Unrecognised(&'static str),
}

pub(crate) fn classify(v: Value) -> Document {
    match v {
        Value::Object(ref o) => {
            if o.contains_key("id") && (o.contains_key("modified") || o.contains_key("affected")) {
                Document::Osv(v)
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
        aliases: vec![alias.to_owned()],
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
                            // v4.0: NVD states the score; keep it, it is the source's word.
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
}
