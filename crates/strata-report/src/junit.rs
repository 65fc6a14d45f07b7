//! JUnit XML for CI systems that show test reports (GitLab, Jenkins, Azure DevOps): one
//! test case per finding; a finding that fails the gate is a failure, a suppressed one is
//! skipped (with the reason), the rest pass. Gate failures that belong to no single
//! finding (`max` counts) are failures of a `policy` test case.

use std::fmt::Write as _;
use std::io::Write;

use strata_types::ScanReport;

use crate::ReportError;
use crate::scan::{fix_text, sorted_findings};

/// Escapes text for XML 1.0 attributes and content, dropping characters XML cannot hold.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || matches!(c, '\u{fffe}' | '\u{ffff}') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

pub fn write_scan_junit(report: &ScanReport, out: &mut dyn Write) -> Result<(), ReportError> {
    let findings = sorted_findings(report);
    let policy_failures: &[String] = report
        .policy
        .as_ref()
        .map(|p| p.failures.as_slice())
        .unwrap_or_default();
    let failed = findings.iter().filter(|f| f.gate_failure.is_some()).count()
        + usize::from(!policy_failures.is_empty());
    let skipped = findings.iter().filter(|f| f.suppressed.is_some()).count();
    let tests = findings.len() + 1;
    let name = format!("strata scan {}", report.sbom.target.reference);
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuites name=\"strata\" tests=\"{tests}\" failures=\"{failed}\" errors=\"0\" skipped=\"{skipped}\">"
    );
    let _ = writeln!(
        s,
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failed}\" errors=\"0\" skipped=\"{skipped}\">",
        xml(&name)
    );
    // The gate as a whole, so that a passing scan still shows one test.
    let _ = writeln!(
        s,
        "    <testcase classname=\"strata.policy\" name=\"policy\">"
    );
    for f in policy_failures {
        let _ = writeln!(s, "      <failure message=\"{}\" type=\"policy\"/>", xml(f));
    }
    s.push_str("    </testcase>\n");
    for f in findings {
        let class = if f.package.purl.is_empty() {
            format!("{}/{}", f.package.package_type.as_str(), f.package.name)
        } else {
            f.package.purl.clone()
        };
        let _ = writeln!(
            s,
            "    <testcase classname=\"{}\" name=\"{}\">",
            xml(&class),
            xml(&format!(
                "{} in {} {}",
                f.id, f.package.name, f.installed_version
            ))
        );
        if let Some(reason) = &f.gate_failure {
            let _ = writeln!(
                s,
                "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                xml(reason),
                f.severity,
                xml(&format!(
                    "{} {} is affected by {} ({}); fix: {}.{}",
                    f.package.name,
                    f.installed_version,
                    f.id,
                    f.severity,
                    fix_text(f),
                    f.summary
                        .as_deref()
                        .map(|s| format!("\n{s}"))
                        .unwrap_or_default()
                ))
            );
        } else if let Some(sup) = &f.suppressed {
            let _ = writeln!(
                s,
                "      <skipped message=\"{}\"/>",
                xml(&format!(
                    "suppressed by {} {}: {}",
                    sup.by.as_str(),
                    sup.id,
                    sup.justification
                ))
            );
        }
        s.push_str("    </testcase>\n");
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    out.write_all(s.as_bytes())?;
    Ok(())
}
