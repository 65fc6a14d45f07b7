//! Printers for `strata scan` results.

use std::fmt::Write as _;
use std::io::Write;
use std::str::FromStr;

use strata_types::{Finding, FixState, ScanReport, Severity};

use crate::markdown::write_scan_markdown;
use crate::sarif::write_scan_sarif;
use crate::scan_cyclonedx::write_scan_cyclonedx;
use crate::table::{clean, push_row, width};
use crate::{ReportError, write_pretty};

/// The scan output formats, named as on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScanFormat {
    Table,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// CycloneDX 1.6 JSON: the SBOM's components plus a `vulnerabilities` array.
    CycloneDx,
    /// GitHub-flavoured Markdown, for pull-request comments.
    Markdown,
    /// JUnit XML: a test case per finding, failures for those that fail the gate.
    Junit,
    /// OpenVEX 0.2.0: the accepted exceptions as VEX statements.
    OpenVex,
    /// GitLab's container-scanning report (schema 15.2.4), for `reports: container_scanning`.
    Gitlab,
}

impl ScanFormat {
    /// Every format, in the order the command line lists them.
    pub const ALL: [ScanFormat; 8] = [
        ScanFormat::Table,
        ScanFormat::Json,
        ScanFormat::Sarif,
        ScanFormat::CycloneDx,
        ScanFormat::Markdown,
        ScanFormat::Junit,
        ScanFormat::OpenVex,
        ScanFormat::Gitlab,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ScanFormat::Table => "table",
            ScanFormat::Json => "json",
            ScanFormat::Sarif => "sarif",
            ScanFormat::CycloneDx => "cyclonedx",
            ScanFormat::Markdown => "markdown",
            ScanFormat::Junit => "junit",
            ScanFormat::OpenVex => "openvex",
            ScanFormat::Gitlab => "gitlab",
        }
    }

    /// True for formats meant for programs rather than people.
    pub fn is_machine_readable(self) -> bool {
        !matches!(self, ScanFormat::Table | ScanFormat::Markdown)
    }
}

impl std::fmt::Display for ScanFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ScanFormat {
    type Err = ReportError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ScanFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| ReportError::UnknownFormat {
                given: s.to_owned(),
                expected: "table, json, sarif, cyclonedx, markdown, junit, openvex, gitlab",
            })
    }
}

/// Writes `report` in `format`.
pub fn write_scan(
    report: &ScanReport,
    format: ScanFormat,
    color: bool,
    out: &mut dyn Write,
) -> Result<(), ReportError> {
    match format {
        ScanFormat::Table => write_scan_table(report, color, out),
        ScanFormat::Json => write_pretty(report, "json", out),
        ScanFormat::Sarif => write_scan_sarif(report, out),
        ScanFormat::CycloneDx => write_scan_cyclonedx(report, out),
        ScanFormat::Markdown => write_scan_markdown(report, out),
        ScanFormat::Junit => crate::junit::write_scan_junit(report, out),
        ScanFormat::OpenVex => crate::openvex::write_scan_openvex(report, out),
        ScanFormat::Gitlab => crate::gitlab::write_scan_gitlab(report, out),
    }
}

/// The findings in the order every scan printer uses: most severe first, then by id and
/// package, so that the output does not depend on the order matching produced them in.
pub(crate) fn sorted_findings(report: &ScanReport) -> Vec<&Finding> {
    let mut v: Vec<&Finding> = report.findings.iter().collect();
    v.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| strata_types::compare_packages(&a.package, &b.package))
            .then_with(|| a.installed_version.cmp(&b.installed_version))
    });
    v
}

/// The findings that are not suppressed, in [`sorted_findings`] order: what tables list.
pub(crate) fn sorted_active(report: &ScanReport) -> Vec<&Finding> {
    let mut v = sorted_findings(report);
    v.retain(|f| f.suppressed.is_none());
    v
}

/// Plain-text lines about the policy step: suppressed counts, the gate's verdict and
/// reasons, expired and stale exceptions. Empty when no policy, exception or VEX applied.
pub(crate) fn policy_lines(report: &ScanReport) -> Vec<String> {
    let mut lines = Vec::new();
    let (mut by_exception, mut by_vex) = (0usize, 0usize);
    for f in report.suppressed() {
        match f.suppressed.as_ref().map(|s| s.by) {
            Some(strata_types::SuppressedBy::Exception) => by_exception += 1,
            _ => by_vex += 1,
        }
    }
    if by_exception + by_vex > 0 {
        lines.push(format!(
            "{} suppressed ({by_exception} by exception, {by_vex} by VEX); see --format json or sarif for each reason",
            by_exception + by_vex
        ));
    }
    let Some(p) = &report.policy else {
        return lines;
    };
    let failing: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.gate_failure.is_some())
        .collect();
    if p.passed {
        lines.push(format!("gate passed (evaluated on {})", p.evaluated_on));
    } else {
        lines.push(format!(
            "gate failed: {} finding(s) fail the policy{} (evaluated on {})",
            failing.len(),
            if p.failures.is_empty() {
                String::new()
            } else {
                format!(", {} limit(s) exceeded", p.failures.len())
            },
            p.evaluated_on
        ));
    }
    for f in p.failures.iter() {
        lines.push(format!("  {f}"));
    }
    for e in &p.expired_exceptions {
        lines.push(format!(
            "expired exception: {} ({}) expired on {}; it no longer suppresses anything",
            e.id,
            e.source,
            e.expires.as_deref().unwrap_or("?")
        ));
    }
    for e in &p.stale_exceptions {
        lines.push(format!(
            "stale exception: {} ({}) matches no finding",
            e.id, e.source
        ));
    }
    lines
}

/// The highest CVSS base score among the finding's ratings, preferring newer CVSS
/// versions the way severity is chosen (4.0, then 3.1/3.0, then 2.0).
pub(crate) fn best_cvss_score(f: &Finding) -> Option<f64> {
    ["4.0", "3.1", "3.0", "2.0"].iter().find_map(|v| {
        f.cvss
            .iter()
            .filter(|c| c.version == *v)
            .filter_map(|c| c.score)
            .filter(|s| s.is_finite())
            .reduce(f64::max)
    })
}

/// What the user can do: the fixed versions, or why there are none.
pub(crate) fn fix_text(f: &Finding) -> String {
    match f.fix_state {
        FixState::Fixed if !f.fixed_versions.is_empty() => f.fixed_versions.join(", "),
        FixState::Fixed => "fixed (version unknown)".to_owned(),
        FixState::NotFixed => "no fix yet".to_owned(),
        FixState::WontFix => "won't fix".to_owned(),
    }
}

/// A page about the vulnerability: the record's first usable reference, else the page of
/// the database that names ids of that kind.
pub(crate) fn advisory_url(f: &Finding) -> String {
    f.references
        .iter()
        .find(|r| is_plain_url(r))
        .cloned()
        .unwrap_or_else(|| id_url(&f.id))
}

/// The canonical page for a vulnerability id: NVD for CVEs, GitHub for GHSAs, OSV (which
/// indexes every other id strata imports) for the rest.
pub(crate) fn id_url(id: &str) -> String {
    let enc = percent_encode(id);
    if id.starts_with("CVE-") {
        format!("https://nvd.nist.gov/vuln/detail/{enc}")
    } else if id.starts_with("GHSA-") {
        format!("https://github.com/advisories/{enc}")
    } else {
        format!("https://osv.dev/vulnerability/{enc}")
    }
}

/// The name of the database that `id_url` points at, for CycloneDX `source.name`.
pub(crate) fn id_source(id: &str) -> &'static str {
    if id.starts_with("CVE-") {
        "NVD"
    } else if id.starts_with("GHSA-") {
        "GitHub"
    } else {
        "OSV"
    }
}

/// Record references are data from outside: use only http(s) URLs made of characters that
/// are valid in a URI as they stand, so that schema `uri` formats and Markdown links hold.
pub(crate) fn is_plain_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty()
            && !r.starts_with('/')
            && r.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#@!$&'*+,;=%".contains(&b))
    })
}

/// Percent-encodes everything but RFC 3986 unreserved characters and `/`, so any string
/// (spaces, `:`, non-ASCII) becomes a valid URI path or relative reference.
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn paint(color: bool, severity: Severity, text: &str) -> String {
    if !color {
        return text.to_owned();
    }
    let code = match severity {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Negligible | Severity::Unknown => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// A table grouped by package (most severe package first), one row per finding, with
/// the fixed version or the fix state.
pub fn write_scan_table(
    report: &ScanReport,
    color: bool,
    out: &mut dyn Write,
) -> Result<(), ReportError> {
    let sbom = &report.sbom;
    let mut s = String::new();
    let distro = sbom
        .distro
        .as_ref()
        .map(|d| d.pretty_name.clone().unwrap_or_else(|| d.purl_qualifier()))
        .unwrap_or_else(|| "unknown".to_owned());
    let counts: Vec<String> = report
        .counts()
        .iter()
        .map(|(sev, n)| paint(color, *sev, &format!("{n} {sev}")))
        .collect();
    let _ = writeln!(
        s,
        "{} ({}) · distro: {} · {} packages · {} vulnerabilities{}",
        clean(&sbom.target.reference),
        sbom.target.kind.as_str(),
        clean(&distro),
        sbom.packages.len(),
        report.active().count(),
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        }
    );
    let policy = policy_lines(report);
    if report.active().next().is_none() {
        for l in &policy {
            let _ = writeln!(s, "{}", clean_line(l));
        }
        out.write_all(s.as_bytes())?;
        return Ok(());
    }
    s.push('\n');
    let header = [
        "PACKAGE",
        "VERSION",
        "TYPE",
        "VULNERABILITY",
        "SEVERITY",
        "FIXED IN",
    ]
    .map(str::to_owned)
    .to_vec();
    // Group: findings sorted most severe first; keep each package's findings together in
    // the order its worst finding appears.
    let findings = sorted_active(report);
    let mut order: Vec<(&str, &str, &str)> = Vec::new();
    for f in &findings {
        let key = (
            f.package.name.as_str(),
            f.package.version.as_str(),
            f.package.purl.as_str(),
        );
        if !order.contains(&key) {
            order.push(key);
        }
    }
    let mut rows: Vec<(Vec<String>, Severity)> = Vec::new();
    for key in &order {
        let mut first = true;
        for f in findings.iter().filter(|f| {
            (
                f.package.name.as_str(),
                f.package.version.as_str(),
                f.package.purl.as_str(),
            ) == *key
        }) {
            let fixed = match f.fix_state {
                FixState::Fixed => f.fixed_versions.join(", "),
                FixState::NotFixed => "(no fix yet)".to_owned(),
                FixState::WontFix => "(won't fix)".to_owned(),
            };
            let (name, version, ty) = if first {
                (
                    clean(&f.package.name),
                    clean(&f.package.version),
                    f.package.package_type.as_str().to_owned(),
                )
            } else {
                (String::new(), String::new(), String::new())
            };
            first = false;
            rows.push((
                vec![
                    name,
                    version,
                    ty,
                    // Known exploited (CISA KEV) is what to fix first: mark it by the id.
                    if f.known_exploited {
                        format!("{} [KEV]", clean(&f.id))
                    } else {
                        clean(&f.id)
                    },
                    f.severity.as_str().to_owned(),
                    clean(&fixed),
                ],
                f.severity,
            ));
        }
    }
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for (cells, _) in &rows {
        for (w, c) in widths.iter_mut().zip(cells) {
            *w = (*w).max(width(c));
        }
    }
    let (b, r) = if color {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("", "")
    };
    push_row(&mut s, &header, &widths, b, r);
    for (cells, severity) in rows {
        let (b, r) = if color {
            match severity {
                Severity::Critical => ("\x1b[1;31m", "\x1b[0m"),
                Severity::High => ("\x1b[31m", "\x1b[0m"),
                _ => ("", ""),
            }
        } else {
            ("", "")
        };
        push_row(&mut s, &cells, &widths, b, r);
    }
    if !policy.is_empty() {
        s.push('\n');
        for l in &policy {
            let _ = writeln!(s, "{}", clean_line(l));
        }
    }
    out.write_all(s.as_bytes())?;
    Ok(())
}

/// Control characters from outside (ids, file names) escaped, without the cell limit.
fn clean_line(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}
