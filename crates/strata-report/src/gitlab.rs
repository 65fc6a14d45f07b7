//! GitLab's container-scanning security report (schema 15.2.4), for a CI job's
//! `artifacts: reports: container_scanning`.
//!
//! The format has no way to say that a finding was accepted (15.x has no dismissal field,
//! and its only `flags` type claims a likely false positive, which an exception is not),
//! so suppressed findings are left out and counted in a `scan.messages` entry instead;
//! `--format json` or `sarif` keeps each reason.

use std::io::Write;

use serde::Serialize;
use strata_types::{Finding, FixState, ScanReport, Severity};
use uuid::Uuid;

use crate::ids::strata_namespace;
use crate::scan::{id_url, is_plain_url, sorted_active};
use crate::{ReportError, check_utc_timestamp, write_pretty};

/// The schema version the output conforms to (and is tested against).
pub const GITLAB_SCHEMA_VERSION: &str = "15.2.4";

// Length limits of the schema; longer text is cut rather than making the report invalid.
const MAX_NAME: usize = 255;
const MAX_DESCRIPTION: usize = 1_048_576;
const MAX_SOLUTION: usize = 7000;

#[derive(Serialize)]
struct Report<'a> {
    version: &'static str,
    scan: Scan<'a>,
    vulnerabilities: Vec<Vulnerability<'a>>,
}

#[derive(Serialize)]
struct Scan<'a> {
    analyzer: Tool<'a>,
    scanner: Tool<'a>,
    #[serde(rename = "type")]
    scan_type: &'static str,
    start_time: String,
    end_time: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    messages: Vec<Message>,
}

#[derive(Serialize)]
struct Tool<'a> {
    id: &'static str,
    name: &'static str,
    version: &'a str,
    vendor: Vendor,
}

#[derive(Serialize)]
struct Vendor {
    name: &'static str,
}

#[derive(Serialize)]
struct Message {
    level: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Vulnerability<'a> {
    id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    solution: Option<String>,
    identifiers: Vec<Identifier>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<Link<'a>>,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Identifier {
    #[serde(rename = "type")]
    id_type: String,
    name: String,
    value: String,
    url: String,
}

#[derive(Serialize)]
struct Link<'a> {
    url: &'a str,
}

#[derive(Serialize)]
struct Location<'a> {
    dependency: Dependency<'a>,
    operating_system: &'a str,
    image: &'a str,
}

#[derive(Serialize)]
struct Dependency<'a> {
    package: PackageName<'a>,
    version: &'a str,
}

#[derive(Serialize)]
struct PackageName<'a> {
    name: &'a str,
}

/// GitLab's severity names. strata's `negligible` (a distribution saying the issue has no
/// real security impact) becomes `Info`, not `Low`: GitLab sorts and gates on `Low`, and
/// counting "unimportant" issues there would bury the real ones. This matches CycloneDX's
/// `info` in `--format cyclonedx`.
pub(crate) fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Negligible => "Info",
        Severity::Unknown => "Unknown",
    }
}

/// Stable across scans for the same vulnerability in the same package (the purl, or the
/// type, name and installed version when there is no purl), so GitLab keeps tracking one
/// vulnerability rather than seeing a new one on every pipeline.
fn vulnerability_uuid(f: &Finding) -> Uuid {
    let package = if f.package.purl.is_empty() {
        format!(
            "{}/{}@{}",
            f.package.package_type.as_str(),
            f.package.name,
            f.installed_version
        )
    } else {
        f.package.purl.clone()
    };
    let name = format!("gitlab-vulnerability\0{}\0{package}", f.id);
    Uuid::new_v5(&strata_namespace(), name.as_bytes())
}

/// The identifier type GitLab groups by: `cve`, `ghsa`, else the id's prefix lowercased
/// (`dsa`, `rustsec`, `alpine`), or `other` for ids without a usable prefix.
fn identifier_type(id: &str) -> String {
    let prefix = id.split('-').next().unwrap_or("");
    if id.contains('-') && !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_alphanumeric()) {
        prefix.to_ascii_lowercase()
    } else {
        "other".to_owned()
    }
}

fn identifiers(f: &Finding, uuid: &Uuid) -> Vec<Identifier> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<Identifier> = std::iter::once(&f.id)
        .chain(&f.aliases)
        .filter(|id| !id.trim().is_empty() && seen.insert(id.as_str()))
        .map(|id| Identifier {
            id_type: identifier_type(id),
            name: id.clone(),
            value: id.clone(),
            url: id_url(id),
        })
        .collect();
    // The schema needs at least one; a finding without any id is still worth reporting.
    if out.is_empty() {
        out.push(Identifier {
            id_type: "strata".to_owned(),
            name: "strata finding".to_owned(),
            value: uuid.to_string(),
            url: id_url(&uuid.to_string()),
        });
    }
    out
}

fn solution(f: &Finding) -> Option<String> {
    match f.fix_state {
        FixState::Fixed if !f.fixed_versions.is_empty() => Some(format!(
            "Upgrade {} to {}",
            f.package.name,
            f.fixed_versions.join(" or ")
        )),
        FixState::Fixed => Some(format!("Upgrade {} to a fixed version", f.package.name)),
        FixState::NotFixed | FixState::WontFix => None,
    }
}

fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_owned(),
        None => s.to_owned(),
    }
}

/// `YYYY-MM-DDTHH:MM:SS`, the schema's form, from the SBOM's UTC `created` time, so the
/// same scan gives the same document.
fn gitlab_time(created: &str) -> Result<String, ReportError> {
    check_utc_timestamp(created)?;
    Ok(created[..19].to_owned())
}

/// Writes `report` as a GitLab container-scanning report: one vulnerability per finding
/// that is not suppressed, most severe first.
pub fn write_scan_gitlab(report: &ScanReport, out: &mut dyn Write) -> Result<(), ReportError> {
    let time = gitlab_time(&report.sbom.created)?;
    let tool_version = if report.sbom.tool.version.is_empty() {
        env!("CARGO_PKG_VERSION")
    } else {
        report.sbom.tool.version.as_str()
    };
    let tool = || Tool {
        id: "strata",
        name: "strata",
        version: tool_version,
        vendor: Vendor { name: "strata" },
    };
    let os = report
        .sbom
        .distro
        .as_ref()
        .map(|d| format!("{} {}", d.id, d.version_id).trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    let image = match report.sbom.target.reference.as_str() {
        "" => "unknown",
        r => r,
    };
    let vulnerabilities = sorted_active(report)
        .into_iter()
        .map(|f| {
            let uuid = vulnerability_uuid(f);
            let mut links: Vec<Link<'_>> = Vec::new();
            for r in f.references.iter().filter(|r| is_plain_url(r)) {
                if !links.iter().any(|l| l.url == r) {
                    links.push(Link { url: r });
                }
            }
            Vulnerability {
                identifiers: identifiers(f, &uuid),
                id: uuid.to_string(),
                name: cut(&f.id, MAX_NAME),
                description: f.summary.as_deref().map(|s| cut(s, MAX_DESCRIPTION)),
                severity: severity_name(f.severity),
                solution: solution(f).map(|s| cut(&s, MAX_SOLUTION)),
                links,
                location: Location {
                    dependency: Dependency {
                        package: PackageName {
                            name: &f.package.name,
                        },
                        version: &f.installed_version,
                    },
                    operating_system: &os,
                    image,
                },
            }
        })
        .collect();
    let suppressed = report.suppressed().count();
    let messages = if suppressed > 0 {
        vec![Message {
            level: "info",
            value: format!(
                "{suppressed} suppressed finding(s) (by exception or VEX) are not listed; see strata's JSON or SARIF report for each reason"
            ),
        }]
    } else {
        Vec::new()
    };
    let doc = Report {
        version: GITLAB_SCHEMA_VERSION,
        scan: Scan {
            analyzer: tool(),
            scanner: tool(),
            scan_type: "container_scanning",
            start_time: time.clone(),
            end_time: time,
            status: "success",
            messages,
        },
        vulnerabilities,
    };
    write_pretty(&doc, "gitlab", out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_types() {
        assert_eq!(identifier_type("CVE-2021-44228"), "cve");
        assert_eq!(identifier_type("GHSA-jfh8-c2jp-5v3q"), "ghsa");
        assert_eq!(identifier_type("RUSTSEC-2021-0001"), "rustsec");
        assert_eq!(identifier_type("nodash"), "other");
        assert_eq!(identifier_type("-x"), "other");
        assert_eq!(identifier_type("a b-1"), "other");
    }

    #[test]
    fn cut_counts_characters() {
        assert_eq!(cut("héllo", 2), "hé");
        assert_eq!(cut("ab", 5), "ab");
    }
}
