//! SARIF 2.1.0 (<https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html>) for
//! scan reports, shaped for GitHub code scanning: one rule per vulnerability id with a
//! `security-severity`, one result per finding located at the file the package was read
//! from.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;
use strata_types::{Finding, FixState, ScanReport, Severity, SuppressedBy};
use uuid::Uuid;

use crate::ids::strata_namespace;
use crate::markdown::escape as md;
use crate::scan::{advisory_url, best_cvss_score, fix_text, percent_encode, sorted_findings};
use crate::table::clean;
use crate::{ReportError, write_pretty};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The `partialFingerprints` key. Versioned, as SARIF recommends, so that a change in how
/// the value is computed can never be mistaken for the old one.
pub(crate) const FINGERPRINT_KEY: &str = "strataVulnerability/v1";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
struct Run {
    tool: Tool,
    results: Vec<SarifResult>,
    properties: RunProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties {
    target: String,
    target_kind: &'static str,
    database_generation: u64,
    database_built_at: String,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: String,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    short_description: Text,
    full_description: Text,
    help_uri: String,
    help: Help,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<String>,
    tags: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<SarifSuppression>,
    properties: ResultProperties,
}

/// A suppressed finding stays a result; code scanning shows it as dismissed with why.
#[derive(Serialize)]
struct SarifSuppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<SuppressionLocation>,
    properties: SuppressionProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SuppressionLocation {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SuppressionProperties {
    by: &'static str,
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    approved_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ticket: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties {
    #[serde(skip_serializing_if = "String::is_empty")]
    purl: String,
    package_type: &'static str,
    installed_version: String,
    severity: Severity,
    fix_state: FixState,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixed_versions: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gate_failure: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vex_status: Option<String>,
}

/// The SARIF level GitHub uses to rank results when it does not read
/// `security-severity`: only critical and high block as errors; `unknown` is a note, not
/// silence.
pub(crate) fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Negligible | Severity::Unknown => "note",
    }
}

/// GitHub's `security-severity`: the CVSS base score when there is one. Without one, a
/// score inside strata's severity band, so that GitHub ranks the alert as strata did
/// (critical 9.0+, high 7.0+, medium 4.0+, low above 0); nothing for negligible and
/// unknown, which have no CVSS band.
fn security_severity(score: Option<f64>, severity: Severity) -> Option<String> {
    let score = score.or(match severity {
        Severity::Critical => Some(9.5),
        Severity::High => Some(8.0),
        Severity::Medium => Some(5.5),
        Severity::Low => Some(2.0),
        Severity::Negligible | Severity::Unknown => None,
    })?;
    Some(format!("{:.1}", score.clamp(0.0, 10.0)))
}

/// Stable across scans for the same vulnerability in the same package (the purl, or the
/// type, name and version when there is no purl), whatever file it was found in or which
/// other findings exist: code scanning uses it to recognise an alert it has already seen.
pub(crate) fn fingerprint(f: &Finding) -> String {
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
    let name = format!("sarif-fingerprint\0{}\0{package}", f.id);
    Uuid::new_v5(&strata_namespace(), name.as_bytes())
        .simple()
        .to_string()
}

/// The file the package was read from, relative (code scanning resolves URIs against the
/// repository root, so the leading `/` goes), percent-encoded to stay a valid URI. Packages
/// without a file point at the target itself.
fn artifact_uri(f: &Finding, report: &ScanReport) -> String {
    let path = f
        .package
        .locations
        .iter()
        .map(|l| l.path.trim_start_matches('/'))
        .find(|p| !p.is_empty());
    match path {
        Some(p) => percent_encode(p),
        None => {
            let t = &report.sbom.target.reference;
            // `dir:PATH` and `sbom:FILE` name a file or folder; keep just that.
            let t = t
                .strip_prefix("dir:")
                .or_else(|| t.strip_prefix("sbom:"))
                .unwrap_or(t);
            let t = t.trim_start_matches('/');
            percent_encode(if t.is_empty() { "." } else { t })
        }
    }
}

/// The SARIF `suppressions` of a finding: `external` (the exception or VEX file lives
/// outside the scanned code), `accepted`, with the justification and its source.
fn suppressions(f: &Finding) -> Vec<SarifSuppression> {
    let Some(s) = &f.suppressed else {
        return Vec::new();
    };
    let file = s
        .source
        .as_deref()
        .and_then(|src| src.split(':').next())
        .filter(|p| !p.is_empty());
    let justification = match (s.by, &s.reason) {
        (SuppressedBy::Vex, Some(r)) => format!("VEX {}: {r}: {}", s.id, s.justification),
        (SuppressedBy::Vex, None) => format!("VEX {}: {}", s.id, s.justification),
        (SuppressedBy::Exception, _) => format!(
            "Exception for {} approved by {} ({}), expires {}: {}",
            s.id,
            s.approved_by.as_deref().unwrap_or("?"),
            s.ticket.as_deref().unwrap_or("no ticket"),
            s.expires.as_deref().unwrap_or("never"),
            s.justification
        ),
    };
    vec![SarifSuppression {
        kind: "external",
        status: "accepted",
        justification,
        location: file.map(|p| SuppressionLocation {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri: percent_encode(p.trim_start_matches('/')),
                },
            },
        }),
        properties: SuppressionProperties {
            by: s.by.as_str(),
            id: s.id.clone(),
            reason: s.reason.clone(),
            approved_by: s.approved_by.clone(),
            ticket: s.ticket.clone(),
            expires: s.expires.clone(),
        },
    }]
}

fn message(f: &Finding) -> String {
    let fix = match f.fix_state {
        FixState::Fixed => format!("fixed in {}", fix_text(f)),
        FixState::NotFixed => "no fixed version is available yet".to_owned(),
        FixState::WontFix => "the vendor will not fix it".to_owned(),
    };
    format!(
        "{} {} is affected by {} ({}); {fix}.",
        clean(&f.package.name),
        clean(&f.installed_version),
        clean(&f.id),
        f.severity
    )
}

/// A single-line summary, cut to GitHub's limit for short descriptions with room to spare.
fn one_line(s: &str, max: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let mut cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

fn rule(id: &str, findings: &[&Finding]) -> Rule {
    // Findings of one id in several packages share a rule: it takes the worst severity
    // and score among them, and the first summary and references (findings are sorted).
    let severity = findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or_default();
    let score = findings
        .iter()
        .filter_map(|f| best_cvss_score(f))
        .reduce(f64::max);
    let summary = findings.iter().find_map(|f| f.summary.as_deref());
    let first = findings.first().copied();
    let url = first.map_or_else(|| crate::scan::id_url(id), advisory_url);
    let aliases: Vec<&str> = first
        .map(|f| f.aliases.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let vectors: Vec<String> = first
        .map(|f| {
            f.cvss
                .iter()
                .map(|c| {
                    let score = c.score.map(|s| format!(" {s:.1}")).unwrap_or_default();
                    let source = c
                        .source
                        .as_deref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default();
                    format!("CVSS {}{score}: {}{source}", c.version, c.vector)
                })
                .collect()
        })
        .unwrap_or_default();

    let short = match summary {
        Some(s) => one_line(&format!("{id}: {s}"), 200),
        None => format!("{id} ({severity})"),
    };
    let mut full = summary.map_or_else(|| format!("{id} ({severity})"), |s| s.trim().to_owned());
    // Summaries are titles as often as sentences: end them before appending another.
    if !full.ends_with(['.', '!', '?']) {
        full.push('.');
    }
    if !aliases.is_empty() {
        full.push_str(&format!(" Also known as {}.", aliases.join(", ")));
    }

    let mut text = vec![format!("{id}: {severity}")];
    let mut markdown = vec![format!("**{}** ({severity})", md(id))];
    if let Some(s) = summary {
        text.push(s.trim().to_owned());
        markdown.push(md(s.trim()));
    }
    if !aliases.is_empty() {
        text.push(format!("Aliases: {}", aliases.join(", ")));
        markdown.push(format!("Aliases: {}", md(&aliases.join(", "))));
    }
    for v in &vectors {
        text.push(v.clone());
        markdown.push(format!("- {}", md(v)));
    }
    if let Some(src) = first.map(|f| f.severity_source.as_str()) {
        text.push(format!("Severity from: {src}"));
        markdown.push(format!("Severity from: {}", md(src)));
    }
    text.push(format!("More: {url}"));
    markdown.push(format!("[More about {}]({url})", md(id)));

    Rule {
        id: id.to_owned(),
        short_description: Text { text: short },
        full_description: Text { text: full },
        help_uri: url,
        help: Help {
            text: text.join("\n"),
            markdown: markdown.join("\n\n"),
        },
        default_configuration: Configuration {
            level: level(severity),
        },
        properties: RuleProperties {
            security_severity: security_severity(score, severity),
            tags: vec!["security".to_owned(), severity.as_str().to_owned()],
        },
    }
}

/// Writes SARIF 2.1.0: one run whose driver is strata, rules sorted by vulnerability id,
/// results most severe first. Nothing in it depends on the time of writing.
pub fn write_scan_sarif(report: &ScanReport, out: &mut dyn Write) -> Result<(), ReportError> {
    let findings = sorted_findings(report);
    let mut by_id: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &findings {
        by_id.entry(f.id.as_str()).or_default().push(f);
    }
    let index: BTreeMap<&str, usize> = by_id.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let rules: Vec<Rule> = by_id.iter().map(|(id, fs)| rule(id, fs)).collect();

    let results = findings
        .iter()
        .map(|f| SarifResult {
            rule_id: f.id.clone(),
            rule_index: index.get(f.id.as_str()).copied().unwrap_or_default(),
            level: level(f.severity),
            message: Text { text: message(f) },
            locations: vec![Location {
                physical_location: PhysicalLocation {
                    artifact_location: ArtifactLocation {
                        uri: artifact_uri(f, report),
                    },
                },
            }],
            partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fingerprint(f))]),
            suppressions: suppressions(f),
            properties: ResultProperties {
                purl: f.package.purl.clone(),
                package_type: f.package.package_type.as_str(),
                installed_version: f.installed_version.clone(),
                severity: f.severity,
                fix_state: f.fix_state,
                fixed_versions: f.fixed_versions.clone(),
                aliases: f.aliases.clone(),
                gate_failure: f.gate_failure.clone(),
                vex_status: f.vex.as_ref().map(|v| v.status.clone()),
            },
        })
        .collect();

    let tool_version = &report.sbom.tool.version;
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "strata",
                    version: if tool_version.is_empty() {
                        env!("CARGO_PKG_VERSION").to_owned()
                    } else {
                        tool_version.clone()
                    },
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules,
                },
            },
            results,
            properties: RunProperties {
                target: report.sbom.target.reference.clone(),
                target_kind: report.sbom.target.kind.as_str(),
                database_generation: report.database.generation,
                database_built_at: report.database.built_at.clone(),
            },
        }],
    };
    write_pretty(&log, "sarif", out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_scores() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(level(Severity::Negligible), "note");
        assert_eq!(level(Severity::Unknown), "note");
        assert_eq!(
            security_severity(Some(9.8), Severity::Low).as_deref(),
            Some("9.8")
        );
        assert_eq!(
            security_severity(Some(10.0), Severity::Critical).as_deref(),
            Some("10.0")
        );
        assert_eq!(
            security_severity(None, Severity::High).as_deref(),
            Some("8.0")
        );
        assert_eq!(security_severity(None, Severity::Unknown), None);
    }

    #[test]
    fn one_line_flattens_and_cuts() {
        assert_eq!(one_line("a\n b\t c", 10), "a b c");
        assert_eq!(one_line("abcdef", 4), "abc…");
    }
}
