//! The OSV record model (https://ossf.github.io/osv-schema/) and a validating parser that
//! names the offending field of a malformed record.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::cvss;
use crate::ecosystem;

/// Largest JSON document parsed, in bytes (whole-feed files such as the Debian security
/// tracker JSON are large; single records are far smaller).
pub const MAX_JSON_BYTES: usize = 256 << 20;
/// Largest YAML document parsed, in bytes.
pub const MAX_YAML_BYTES: usize = 64 << 20;
const MAX_ID_LEN: usize = 256;

/// One vulnerability record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    pub modified: String,
    pub published: Option<String>,
    /// When set, the record was withdrawn and is kept out of matching.
    pub withdrawn: Option<String>,
    pub summary: Option<String>,
    /// The CommonMark description.
    pub details: Option<String>,
    pub aliases: Vec<String>,
    /// Ids of upstream vulnerabilities this record refers to (a USN names the Ubuntu CVE
    /// record, which names the CVE): the same vulnerability, seen downstream.
    pub upstream: Vec<String>,
    /// `references[]`, in the record's order.
    pub references: Vec<Reference>,
    /// Record-level severities: `severity[]` and `database_specific.severity`.
    pub severity: Vec<Severity>,
    pub affected: Vec<Affected>,
}

/// One `references[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// `ADVISORY`, `WEB`, `FIX`, `REPORT`, ... as written.
    pub kind: String,
    pub url: String,
}

/// A severity as the source wrote it, plus the computed CVSS base score where available.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Severity {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`, or `rating` for a plain vendor rating.
    pub kind: String,
    /// The vector or the rating text as written.
    pub value: String,
    /// The CVSS score (for v4.0 with the vector's Threat and Environmental metrics);
    /// `None` for ratings.
    pub base_score: Option<f64>,
    /// Upper-case rating: `CRITICAL`, `HIGH`, `MEDIUM`, `LOW`, `NONE`, or the vendor's own
    /// word upper-cased (`NEGLIGIBLE`, `UNIMPORTANT`, `MODERATE`, ...).
    pub rating: Option<String>,
    /// Where it came from: `severity`, `database_specific`, `ecosystem_specific`,
    /// `debian-tracker`, `nvd`.
    pub source: String,
}

/// One `affected[]` entry with a package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// As OSV writes it (`Debian:12`, `PyPI`, `Alpine:v3.18`).
    pub ecosystem: String,
    /// The package name as written.
    pub name: String,
    pub purl: Option<String>,
    pub ranges: Vec<Range>,
    pub versions: Vec<String>,
    /// `affected[].severity[]` and `ecosystem_specific` ratings.
    pub severity: Vec<Severity>,
    pub ecosystem_specific: Option<Value>,
    pub database_specific: Option<Value>,
}

/// A version range: events in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Range {
    pub kind: RangeKind,
    pub repo: Option<String>,
    pub events: Vec<Event>,
}

/// The range type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RangeKind {
    Semver,
    Ecosystem,
    Git,
}

/// A range event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

/// What is wrong with a record; the import turns it into a counted warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Problem {
    /// Not JSON/YAML, or not an object.
    Syntax,
    /// A field has the wrong type or a required field is missing.
    WrongType,
    /// An ecosystem name the OSV schema does not define.
    UnknownEcosystem,
    /// A range without events, without `introduced`, with an unknown type, ...
    BadRange,
    /// An invalid CVSS vector or unknown severity type.
    BadSeverity,
    /// Larger than the limits.
    TooLarge,
    /// A document that is no format strata imports.
    Unrecognised,
    /// A file or archive member that could not be read.
    Unreadable,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Problem::Syntax => "syntax",
            Problem::WrongType => "wrong-type",
            Problem::UnknownEcosystem => "unknown-ecosystem",
            Problem::BadRange => "bad-range",
            Problem::BadSeverity => "bad-severity",
            Problem::TooLarge => "too-large",
            Problem::Unrecognised => "unrecognised",
            Problem::Unreadable => "unreadable",
        })
    }
}

/// A malformed record: the problem, the JSON path of the field, and a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct RecordError {
    pub problem: Problem,
    /// The record id when it could be read.
    pub id: Option<String>,
    /// The field, e.g. `affected[0].ranges[1].events`.
    pub path: String,
    pub message: String,
}

fn bad(problem: Problem, path: impl Into<String>, message: impl Into<String>) -> RecordError {
    RecordError {
        problem,
        id: None,
        path: path.into(),
        message: message.into(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong(path: &str, expected: &str, v: &Value) -> RecordError {
    bad(
        Problem::WrongType,
        path,
        format!("expected {expected}, found {}", type_name(v)),
    )
}

fn opt_str(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Option<String>, RecordError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(wrong(&join(path, key), "a string", v)),
    }
}

fn str_list(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Vec<String>, RecordError> {
    let p = join(path, key);
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(wrong(&format!("{p}[{i}]"), "a string", other)),
            })
            .collect(),
        Some(v) => Err(wrong(&p, "an array of strings", v)),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn is_timestamp(s: &str) -> bool {
    // RFC 3339 date-time, checked loosely: `YYYY-MM-DDTHH:MM:SS` then anything.
    let b = s.as_bytes();
    b.len() >= 19
        && b.len() <= 64
        && b.iter().take(4).all(u8::is_ascii_digit)
        && b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && matches!(b.get(10), Some(b'T' | b't' | b' '))
        && b.get(13) == Some(&b':')
}

/// Normalises a rating word: upper case, `MODERATE` kept as written by the vendor.
pub(crate) fn rating_word(s: &str) -> String {
    s.trim().trim_end_matches('*').trim().to_uppercase()
}

/// A severity from a CVSS vector (validated, scored when possible).
pub(crate) fn cvss_severity(
    kind: &str,
    vector: &str,
    source: &str,
    path: &str,
) -> Result<Severity, RecordError> {
    let parsed = cvss::parse(vector).map_err(|e| bad(Problem::BadSeverity, path, e.to_string()))?;
    let expected = match parsed.version {
        cvss::CvssVersion::V2 => "CVSS_V2",
        cvss::CvssVersion::V3_0 | cvss::CvssVersion::V3_1 => "CVSS_V3",
        cvss::CvssVersion::V4 => "CVSS_V4",
    };
    if kind != expected {
        return Err(bad(
            Problem::BadSeverity,
            path,
            format!("type {kind} does not match the vector's version ({expected})"),
        ));
    }
    Ok(Severity {
        kind: kind.to_owned(),
        value: vector.to_owned(),
        base_score: parsed.base_score,
        rating: parsed
            .base_score
            .map(|s| cvss::rating(parsed.version, s).to_owned()),
        source: source.to_owned(),
    })
}

fn rating_severity(value: &str, source: &str) -> Severity {
    Severity {
        kind: "rating".to_owned(),
        value: value.to_owned(),
        base_score: None,
        rating: Some(rating_word(value)),
        source: source.to_owned(),
    }
}

fn severity_list(obj: &Map<String, Value>, path: &str) -> Result<Vec<Severity>, RecordError> {
    let p = join(path, "severity");
    let items = match obj.get("severity") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(v) => return Err(wrong(&p, "an array", v)),
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let ip = format!("{p}[{i}]");
        let Value::Object(o) = item else {
            return Err(wrong(&ip, "an object", item));
        };
        let kind = opt_str(o, "type", &ip)?
            .ok_or_else(|| bad(Problem::WrongType, join(&ip, "type"), "missing"))?;
        let score = opt_str(o, "score", &ip)?
            .ok_or_else(|| bad(Problem::WrongType, join(&ip, "score"), "missing"))?;
        match kind.as_str() {
            "CVSS_V2" | "CVSS_V3" | "CVSS_V4" => {
                out.push(cvss_severity(
                    &kind,
                    &score,
                    "severity",
                    &join(&ip, "score"),
                )?);
            }
            "Ubuntu" => {
                let mut s = rating_severity(&score, "severity");
                s.kind = "Ubuntu".to_owned();
                out.push(s);
            }
            other => {
                return Err(bad(
                    Problem::BadSeverity,
                    join(&ip, "type"),
                    format!("unknown severity type {other:?}"),
                ));
            }
        }
    }
    Ok(out)
}

fn parse_range(v: &Value, path: &str) -> Result<Range, RecordError> {
    let Value::Object(o) = v else {
        return Err(wrong(path, "an object", v));
    };
    let kind = match opt_str(o, "type", path)?.as_deref() {
        Some("SEMVER") => RangeKind::Semver,
        Some("ECOSYSTEM") => RangeKind::Ecosystem,
        Some("GIT") => RangeKind::Git,
        Some(other) => {
            return Err(bad(
                Problem::BadRange,
                join(path, "type"),
                format!("unknown range type {other:?}"),
            ));
        }
        None => return Err(bad(Problem::BadRange, join(path, "type"), "missing")),
    };
    let repo = opt_str(o, "repo", path)?;
    if kind == RangeKind::Git && repo.is_none() {
        return Err(bad(
            Problem::BadRange,
            join(path, "repo"),
            "a GIT range needs a repo",
        ));
    }
    let ep = join(path, "events");
    let events = match o.get("events") {
        Some(Value::Array(items)) if !items.is_empty() => items,
        Some(Value::Array(_)) => return Err(bad(Problem::BadRange, ep, "no events")),
        None | Some(Value::Null) => return Err(bad(Problem::BadRange, ep, "missing")),
        Some(v) => return Err(wrong(&ep, "an array", v)),
    };
    let mut out = Vec::with_capacity(events.len());
    for (i, ev) in events.iter().enumerate() {
        let evp = format!("{ep}[{i}]");
        let Value::Object(eo) = ev else {
            return Err(wrong(&evp, "an object", ev));
        };
        if eo.len() != 1 {
            return Err(bad(
                Problem::BadRange,
                &evp,
                format!("an event has exactly one key, found {}", eo.len()),
            ));
        }
        let Some((key, value)) = eo.iter().next() else {
            return Err(bad(Problem::BadRange, &evp, "empty event"));
        };
        let text = match value {
            Value::String(s) if !s.is_empty() => s.clone(),
            Value::String(_) => {
                return Err(bad(Problem::BadRange, join(&evp, key), "empty version"));
            }
            other => return Err(wrong(&join(&evp, key), "a string", other)),
        };
        out.push(match key.as_str() {
            "introduced" => Event::Introduced(text),
            "fixed" => Event::Fixed(text),
            "last_affected" => Event::LastAffected(text),
            "limit" => Event::Limit(text),
            other => {
                return Err(bad(
                    Problem::BadRange,
                    &evp,
                    format!("unknown event {other:?}"),
                ));
            }
        });
    }
    if !out.iter().any(|e| matches!(e, Event::Introduced(_))) {
        return Err(bad(Problem::BadRange, ep, "no \"introduced\" event"));
    }
    Ok(Range {
        kind,
        repo,
        events: out,
    })
}

fn specific_severity(spec: Option<&Value>, source: &str, out: &mut Vec<Severity>) {
    let Some(Value::Object(o)) = spec else {
        return;
    };
    for key in ["severity", "ubuntu_priority", "urgency"] {
        if let Some(Value::String(s)) = o.get(key)
            && !s.trim().is_empty()
        {
            out.push(rating_severity(s, source));
        }
    }
}

fn parse_affected(v: &Value, path: &str) -> Result<Option<Affected>, RecordError> {
    let Value::Object(o) = v else {
        return Err(wrong(path, "an object", v));
    };
    let pkg = match o.get("package") {
        None | Some(Value::Null) => None,
        Some(Value::Object(p)) => Some(p),
        Some(other) => return Err(wrong(&join(path, "package"), "an object", other)),
    };
    let mut ranges = Vec::new();
    match o.get("ranges") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, r) in items.iter().enumerate() {
                ranges.push(parse_range(r, &format!("{path}.ranges[{i}]"))?);
            }
        }
        Some(other) => return Err(wrong(&join(path, "ranges"), "an array", other)),
    }
    let versions = str_list(o, "versions", path)?;
    let mut severity = severity_list(o, path)?;
    let ecosystem_specific = o
        .get("ecosystem_specific")
        .filter(|v| !v.is_null())
        .cloned();
    let database_specific = o.get("database_specific").filter(|v| !v.is_null()).cloned();
    specific_severity(
        ecosystem_specific.as_ref(),
        "ecosystem_specific",
        &mut severity,
    );
    let Some(pkg) = pkg else {
        // Entries without a package (GIT-only) carry nothing to match packages against.
        return Ok(None);
    };
    let pp = join(path, "package");
    let eco = opt_str(pkg, "ecosystem", &pp)?
        .ok_or_else(|| bad(Problem::WrongType, join(&pp, "ecosystem"), "missing"))?;
    if !ecosystem::is_known(&eco) {
        return Err(bad(
            Problem::UnknownEcosystem,
            join(&pp, "ecosystem"),
            format!("unknown ecosystem {eco:?}"),
        ));
    }
    let name = opt_str(pkg, "name", &pp)?
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| bad(Problem::WrongType, join(&pp, "name"), "missing or empty"))?;
    let purl = opt_str(pkg, "purl", &pp)?;
    Ok(Some(Affected {
        ecosystem: eco,
        name,
        purl,
        ranges,
        versions,
        severity,
        ecosystem_specific,
        database_specific,
    }))
}

/// Reads one record from a parsed JSON/YAML value.
pub fn parse_record(v: &Value) -> Result<Record, RecordError> {
    let Value::Object(o) = v else {
        return Err(wrong("", "an object", v));
    };
    let id = match o.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= MAX_ID_LEN => s.clone(),
        Some(Value::String(_)) => {
            return Err(bad(
                Problem::WrongType,
                "id",
                "empty or longer than 256 bytes",
            ));
        }
        Some(other) => return Err(wrong("id", "a string", other)),
        None => return Err(bad(Problem::WrongType, "id", "missing")),
    };
    parse_record_fields(o, &id).map_err(|mut e| {
        e.id = Some(id.clone());
        e
    })
}

fn parse_record_fields(o: &Map<String, Value>, id: &str) -> Result<Record, RecordError> {
    let modified = opt_str(o, "modified", "")?
        .ok_or_else(|| bad(Problem::WrongType, "modified", "missing"))?;
    for (key, value) in [("modified", Some(&modified))] {
        if let Some(v) = value
            && !is_timestamp(v)
        {
            return Err(bad(
                Problem::WrongType,
                key,
                format!("{v:?} is not an RFC 3339 timestamp"),
            ));
        }
    }
    let published = opt_str(o, "published", "")?;
    let withdrawn = opt_str(o, "withdrawn", "")?;
    for (key, value) in [("published", &published), ("withdrawn", &withdrawn)] {
        if let Some(v) = value
            && !is_timestamp(v)
        {
            return Err(bad(
                Problem::WrongType,
                key,
                format!("{v:?} is not an RFC 3339 timestamp"),
            ));
        }
    }
    let summary = opt_str(o, "summary", "")?;
    let details = opt_str(o, "details", "")?;
    let aliases: Vec<String> = str_list(o, "aliases", "")?
        .into_iter()
        .filter(|a| a != id)
        .collect();
    let upstream: Vec<String> = str_list(o, "upstream", "")?
        .into_iter()
        .filter(|a| a != id)
        .collect();
    let references = parse_references(o)?;
    let mut severity = severity_list(o, "")?;
    if let Some(ds) = o.get("database_specific") {
        match ds {
            Value::Object(_) | Value::Null => {
                specific_severity(Some(ds), "database_specific", &mut severity);
            }
            other => return Err(wrong("database_specific", "an object", other)),
        }
    }
    let mut affected = Vec::new();
    match o.get("affected") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, a) in items.iter().enumerate() {
                if let Some(a) = parse_affected(a, &format!("affected[{i}]"))? {
                    affected.push(a);
                }
            }
        }
        Some(other) => return Err(wrong("affected", "an array", other)),
    }
    Ok(Record {
        id: id.to_owned(),
        modified,
        published,
        withdrawn,
        summary,
        details,
        aliases,
        upstream,
        references,
        severity,
        affected,
    })
}

fn parse_references(o: &Map<String, Value>) -> Result<Vec<Reference>, RecordError> {
    let items = match o.get("references") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(v) => return Err(wrong("references", "an array", v)),
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let p = format!("references[{i}]");
        let Value::Object(r) = item else {
            return Err(wrong(&p, "an object", item));
        };
        // A reference without a URL points nowhere; skip it rather than the record.
        let Some(url) = opt_str(r, "url", &p)?.filter(|u| !u.trim().is_empty()) else {
            continue;
        };
        let kind = opt_str(r, "type", &p)?.unwrap_or_else(|| "WEB".to_owned());
        out.push(Reference { kind, url });
    }
    Ok(out)
}

fn severity_json(list: &[Severity]) -> Vec<Value> {
    list.iter()
        .filter(|s| s.kind != "rating")
        .map(|s| serde_json::json!({"type": s.kind, "score": s.value}))
        .collect()
}

impl Record {
    /// The record as an OSV JSON document (used for records converted from distro feeds,
    /// so that every stored record reads back through [`parse_record`]).
    pub fn to_osv(&self) -> Value {
        let mut o = Map::new();
        o.insert("schema_version".into(), Value::from("1.6.0"));
        o.insert("id".into(), Value::from(self.id.clone()));
        o.insert("modified".into(), Value::from(self.modified.clone()));
        for (key, v) in [
            ("published", &self.published),
            ("withdrawn", &self.withdrawn),
            ("summary", &self.summary),
            ("details", &self.details),
        ] {
            if let Some(v) = v {
                o.insert(key.into(), Value::from(v.clone()));
            }
        }
        o.insert("aliases".into(), Value::from(self.aliases.clone()));
        if !self.upstream.is_empty() {
            o.insert("upstream".into(), Value::from(self.upstream.clone()));
        }
        if !self.references.is_empty() {
            let refs: Vec<Value> = self
                .references
                .iter()
                .map(|r| serde_json::json!({"type": r.kind, "url": r.url}))
                .collect();
            o.insert("references".into(), Value::Array(refs));
        }
        let sev = severity_json(&self.severity);
        if !sev.is_empty() {
            o.insert("severity".into(), Value::Array(sev));
        }
        if let Some(r) = self
            .severity
            .iter()
            .find(|s| s.kind == "rating" && s.source == "database_specific")
        {
            o.insert(
                "database_specific".into(),
                serde_json::json!({"severity": r.value}),
            );
        }
        let affected: Vec<Value> = self
            .affected
            .iter()
            .map(|a| {
                let mut pkg = Map::new();
                pkg.insert("ecosystem".into(), Value::from(a.ecosystem.clone()));
                pkg.insert("name".into(), Value::from(a.name.clone()));
                if let Some(p) = &a.purl {
                    pkg.insert("purl".into(), Value::from(p.clone()));
                }
                let ranges: Vec<Value> = a
                    .ranges
                    .iter()
                    .map(|r| {
                        let events: Vec<Value> = r
                            .events
                            .iter()
                            .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
                            .collect();
                        let mut rv = Map::new();
                        rv.insert(
                            "type".into(),
                            serde_json::to_value(r.kind).unwrap_or(Value::Null),
                        );
                        if let Some(repo) = &r.repo {
                            rv.insert("repo".into(), Value::from(repo.clone()));
                        }
                        rv.insert("events".into(), Value::Array(events));
                        Value::Object(rv)
                    })
                    .collect();
                let mut av = Map::new();
                av.insert("package".into(), Value::Object(pkg));
                av.insert("ranges".into(), Value::Array(ranges));
                if !a.versions.is_empty() {
                    av.insert("versions".into(), Value::from(a.versions.clone()));
                }
                let sev = severity_json(&a.severity);
                if !sev.is_empty() {
                    av.insert("severity".into(), Value::Array(sev));
                }
                for (key, v) in [
                    ("ecosystem_specific", &a.ecosystem_specific),
                    ("database_specific", &a.database_specific),
                ] {
                    if let Some(v) = v {
                        av.insert(key.into(), v.clone());
                    }
                }
                Value::Object(av)
            })
            .collect();
        o.insert("affected".into(), Value::Array(affected));
        Value::Object(o)
    }
}

/// Parses JSON text into a value; errors carry line and column.
pub fn parse_json(bytes: &[u8]) -> Result<Value, RecordError> {
    if bytes.len() > MAX_JSON_BYTES {
        return Err(bad(
            Problem::TooLarge,
            "",
            format!(
                "{} bytes, more than the limit of {MAX_JSON_BYTES}",
                bytes.len()
            ),
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        bad(
            Problem::Syntax,
            format!("line {} column {}", e.line(), e.column()),
            format!("invalid JSON: {e}"),
        )
    })
}

/// Parses YAML text into a value; errors carry the line.
pub fn parse_yaml(bytes: &[u8]) -> Result<Value, RecordError> {
    if bytes.len() > MAX_YAML_BYTES {
        return Err(bad(
            Problem::TooLarge,
            "",
            format!(
                "{} bytes, more than the limit of {MAX_YAML_BYTES}",
                bytes.len()
            ),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        bad(
            Problem::Syntax,
            format!("byte {}", e.valid_up_to()),
            "not UTF-8",
        )
    })?;
    crate::yaml::parse(text).map_err(|m| bad(Problem::Syntax, "", m))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn rec() -> Value {
        json!({
            "id": "GHSA-test",
            "modified": "2024-01-01T00:00:00Z",
            "aliases": ["CVE-2024-1"],
            "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
            "affected": [{
                "package": {"ecosystem": "PyPI", "name": "Foo_Bar"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2"}]}],
                "versions": ["1.0", "1.1"]
            }],
            "database_specific": {"severity": "HIGH"},
            "upstream": ["CVE-2024-1"],
            "references": [{"type": "ADVISORY", "url": "https://example.org/a"}, {"type": "WEB"}]
        })
    }

    #[test]
    fn to_osv_round_trips() {
        let r = parse_record(&rec()).unwrap();
        let back = parse_record(&r.to_osv()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn parses_a_record() {
        let r = parse_record(&rec()).unwrap();
        assert_eq!(r.aliases, vec!["CVE-2024-1"]);
        assert_eq!(r.upstream, vec!["CVE-2024-1"]);
        assert_eq!(
            r.references,
            vec![Reference {
                kind: "ADVISORY".into(),
                url: "https://example.org/a".into()
            }]
        );
        assert_eq!(r.severity.len(), 2);
        assert_eq!(r.severity[0].base_score, Some(9.8));
        assert_eq!(r.severity[0].rating.as_deref(), Some("CRITICAL"));
        assert_eq!(r.severity[1].rating.as_deref(), Some("HIGH"));
        assert_eq!(r.severity[1].source, "database_specific");
        assert_eq!(
            r.affected[0].ranges[0].events,
            vec![Event::Introduced("0".into()), Event::Fixed("1.2".into())]
        );
    }

    fn problem(v: Value) -> (Problem, String) {
        let e = parse_record(&v).unwrap_err();
        assert_eq!(e.id.as_deref(), v.get("id").and_then(Value::as_str));
        (e.problem, e.path)
    }

    #[test]
    fn malformed_records_name_the_field() {
        let mut v = rec();
        v["affected"][0]["package"]["ecosystem"] = json!("Cargo");
        assert_eq!(
            problem(v),
            (
                Problem::UnknownEcosystem,
                "affected[0].package.ecosystem".into()
            )
        );
        let mut v = rec();
        v["affected"][0]["ranges"][0]["events"] = json!([{"fixed": "1"}]);
        assert_eq!(
            problem(v),
            (Problem::BadRange, "affected[0].ranges[0].events".into())
        );
        let mut v = rec();
        v["affected"][0]["ranges"][0]["type"] = json!("RANGE");
        assert_eq!(
            problem(v),
            (Problem::BadRange, "affected[0].ranges[0].type".into())
        );
        let mut v = rec();
        v["severity"][0]["score"] = json!("CVSS:3.1/AV:Q");
        assert_eq!(
            problem(v),
            (Problem::BadSeverity, "severity[0].score".into())
        );
        let mut v = rec();
        v["aliases"] = json!("CVE-1");
        assert_eq!(problem(v), (Problem::WrongType, "aliases".into()));
        let mut v = rec();
        v["modified"] = json!(12);
        assert_eq!(problem(v), (Problem::WrongType, "modified".into()));
        let mut v = rec();
        v["affected"][0]["versions"] = json!([{}]);
        assert_eq!(
            problem(v),
            (Problem::WrongType, "affected[0].versions[0]".into())
        );
        assert_eq!(
            parse_record(&json!({"modified": "x"})).unwrap_err().path,
            "id"
        );
    }
}
