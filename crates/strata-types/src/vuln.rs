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
    /// When the fix became available, RFC 3339 or `YYYY-MM-DD`: the earliest `published`
    /// date (else `modified`) of the advisories that name a fixed version. An
    /// approximation: OSV keeps no date per range event. Grace periods count from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_published: Option<String>,
    /// Why the finding does not count against the gate. Suppressed findings stay in the
    /// report so that nothing is silently dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
    /// What a VEX document says about this finding when it does not suppress it
    /// (`affected`, `fixed`, `under_investigation`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vex: Option<VexNote>,
    /// Why this finding fails the gate (the policy rule), when it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate_failure: Option<String>,
}

/// What suppressed a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressedBy {
    /// An exception in the policy or exceptions file.
    Exception,
    /// A VEX statement (`not_affected`).
    Vex,
}

impl SuppressedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressedBy::Exception => "exception",
            SuppressedBy::Vex => "vex",
        }
    }
}

/// The exception or VEX statement that suppressed a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub by: SuppressedBy,
    /// The exception's vulnerability id, or the VEX document's id.
    pub id: String,
    /// Where it was read: `strata.yaml:12:5`, the VEX file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// For VEX: the justification keyword (`vulnerable_code_not_present`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Why it is acceptable, in the approver's or the VEX author's words.
    pub justification: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// `YYYY-MM-DD`, the last day the exception applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// A VEX statement that annotates a finding without suppressing it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexNote {
    /// `affected`, `fixed`, `under_investigation`, or `not_affected` without a justification.
    pub status: String,
    /// The VEX file and document id.
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// An exception the policy step reports on: expired, or matching no finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionNote {
    pub id: String,
    /// Where the exception is written: `FILE:LINE:COLUMN`.
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

/// The gate's verdict, when a policy or `--fail-on` was applied.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyOutcome {
    /// True when the gate passed.
    pub passed: bool,
    /// The policy file, when one was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_file: Option<String>,
    /// The date the policy was evaluated on (`YYYY-MM-DD`): expiry and grace periods count
    /// from it.
    pub evaluated_on: String,
    /// Reasons the gate failed that belong to no single finding (`max` counts); each
    /// failing finding carries its own reason in [`Finding::gate_failure`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
    /// Exceptions past their expiry date: they no longer suppress anything.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expired_exceptions: Vec<ExceptionNote>,
    /// Exceptions that matched no finding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stale_exceptions: Vec<ExceptionNote>,
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
/// (1.1: `known_exploited`, `kev_date_added`, `epss`; 1.2: `fix_published`, `suppressed`,
/// `vex`, `gate_failure` and the report's `policy`). See docs/scan-json.md.
pub const SCAN_SCHEMA_VERSION: &str = "1.2";

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
    /// `"1.2"` for documents written by this version ([`SCAN_SCHEMA_VERSION`]).
    pub schema_version: String,
    /// The scanned target, its distribution and packages, as `strata sbom` reports them.
    pub sbom: crate::Sbom,
    pub database: DatabaseInfo,
    /// Findings after `--severity` and `--ignore-unfixed` filters, most severe first.
    /// Suppressed findings are included, with [`Finding::suppressed`] set.
    pub findings: Vec<Finding>,
    /// The gate's verdict, when a policy or `--fail-on` applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyOutcome>,
}

impl ScanReport {
    /// Counts of findings that are not suppressed, per severity, most severe first,
    /// omitting zeros.
    pub fn counts(&self) -> Vec<(Severity, usize)> {
        Severity::ALL
            .iter()
            .rev()
            .map(|s| (*s, self.active().filter(|f| f.severity == *s).count()))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// The findings that are not suppressed.
    pub fn active(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppressed.is_none())
    }

    /// The suppressed findings.
    pub fn suppressed(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppressed.is_some())
    }
}
