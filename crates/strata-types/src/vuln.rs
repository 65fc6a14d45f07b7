//! Vulnerability findings: plain data produced by matching and consumed by policies
//! and printers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Package;

/// How bad a vulnerability is. Ordered: `Unknown < Negligible < Low < ... < Critical`.
/// `Unknown` is never silently treated as low: gates decide what to do with it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Unknown,
    Negligible,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 6] = [
        Severity::Unknown,
        Severity::Negligible,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Negligible => "negligible",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The qualitative rating of a CVSS base score (v3.x and v4.0 bands).
    pub fn from_cvss_score(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Negligible
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unrecognised severity name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity {0:?} (expected unknown, negligible, low, medium, high or critical)")]
pub struct SeverityParseError(pub String);

impl FromStr for Severity {
    type Err = SeverityParseError;

    /// Accepts strata's names and the vendor spellings seen in advisories
    /// (`MODERATE`, `Important`, `unimportant`, ...), case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "unknown" | "unassigned" | "not yet assigned" | "none" => Ok(Severity::Unknown),
            "negligible" | "unimportant" | "informational" | "info" => Ok(Severity::Negligible),
            "low" => Ok(Severity::Low),
            "medium" | "moderate" => Ok(Severity::Medium),
            "high" | "important" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(SeverityParseError(s.to_owned())),
        }
    }
}

/// One CVSS rating of a vulnerability.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    /// `2.0`, `3.0`, `3.1` or `4.0`.
    pub version: String,
    pub vector: String,
    /// The base score computed from the vector, when strata can compute it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Who published the vector (`nvd`, `ghsa`, the distribution, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Whether a fix exists for the installed package.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixState {
    /// A fixed version exists; upgrading to it removes the vulnerability.
    Fixed,
    /// Affected, and no fixed version is known yet.
    NotFixed,
    /// The vendor decided not to fix it.
    WontFix,
}

/// One vulnerability in one installed package.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The preferred id: the CVE when there is one, else the advisory id.
    pub id: String,
    /// Every other id of the same vulnerability (GHSA, DSA, RUSTSEC, ...), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The advisories that matched (their own ids, as the database holds them).
    pub advisories: Vec<String>,
    pub package: Package,
    pub installed_version: String,
    pub fix_state: FixState,
    /// The lowest version that fixes it, per matched range.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed_versions: Vec<String>,
    pub severity: Severity,
    /// Where `severity` came from: `debian`, `ghsa`, `cvss:3.1 (nvd)`, `none`, ...
    pub severity_source: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cvss: Vec<Cvss>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Advisory URLs from the matched records, advisory pages first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Listed in CISA's Known Exploited Vulnerabilities catalog (through the finding's
    /// CVE ids). Since schema 1.1.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub known_exploited: bool,
    /// When CISA added it to the KEV catalog (`YYYY-MM-DD`). Since schema 1.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev_date_added: Option<String>,
    /// The FIRST EPSS score of its CVE (the highest, when it has several). Since 1.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<Epss>,
}

/// A FIRST EPSS score: the probability of exploitation activity in the next 30 days.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Epss {
    /// 0 to 1.
    pub score: f64,
    /// The score's percentile among all scored CVEs, 0 to 1; absent in old EPSS files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentile: Option<f64>,
}

/// The version of the scan JSON schema. Minor versions only add optional fields
/// (1.1: `known_exploited`, `kev_date_added`, `epss`).
pub const SCAN_SCHEMA_VERSION: &str = "1.1";

/// Which vulnerability database a scan used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseInfo {
    pub generation: u64,
    /// When the database was built, RFC 3339.
    pub built_at: String,
    pub records: u64,
}

/// The result of `strata scan`: the scanned target's SBOM and the findings in it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// `"1.1"` for documents written by this version ([`SCAN_SCHEMA_VERSION`]).
    pub schema_version: String,
    /// The scanned target, its distribution and packages, as `strata sbom` reports them.
    pub sbom: crate::Sbom,
    pub database: DatabaseInfo,
    /// Findings after `--severity` and `--ignore-unfixed` filters, most severe first.
    pub findings: Vec<Finding>,
}

impl ScanReport {
    /// Finding counts per severity, most severe first, omitting zeros.
    pub fn counts(&self) -> Vec<(Severity, usize)> {
        Severity::ALL
            .iter()
            .rev()
            .map(|s| {
                (
                    *s,
                    self.findings.iter().filter(|f| f.severity == *s).count(),
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}
