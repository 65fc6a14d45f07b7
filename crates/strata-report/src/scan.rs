//! Printers for `strata scan` results.

use std::fmt::Write as _;
use std::io::Write;
use std::str::FromStr;

use strata_types::{FixState, ScanReport, Severity};

use crate::table::{clean, push_row, width};
use crate::{ReportError, write_pretty};

/// The scan output formats, named as on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScanFormat {
    Table,
    Json,
}

impl ScanFormat {
    pub const ALL: [ScanFormat; 2] = [ScanFormat::Table, ScanFormat::Json];

    pub fn as_str(self) -> &'static str {
        match self {
            ScanFormat::Table => "table",
            ScanFormat::Json => "json",
        }
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
                expected: "table, json",
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
    }
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
        report.findings.len(),
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        }
    );
    if report.findings.is_empty() {
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
    // Group: findings are most severe first; keep each package's findings together in
    // the order its worst finding appears.
    let mut order: Vec<(&str, &str, &str)> = Vec::new();
    for f in &report.findings {
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
        for f in report.findings.iter().filter(|f| {
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
                    clean(&f.id),
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
    out.write_all(s.as_bytes())?;
    Ok(())
}
