//! GitHub-flavoured Markdown for pull-request comments.

use std::fmt::Write as _;
use std::io::Write;

use strata_types::{ScanReport, Severity};

use crate::ReportError;
use crate::scan::{advisory_url, fix_text, is_plain_url, policy_lines, sorted_active};

/// Most table rows written. GitHub rejects comments over 65,536 characters; 500 rows of
/// typical length stay well under that, and nobody reads further in a comment anyway.
pub const MARKDOWN_MAX_ROWS: usize = 500;
/// Longest cell text kept, in characters; longer values are cut with `…`.
const MAX_CELL: usize = 100;

/// Makes `s` literal Markdown text that is safe inside a table cell: pipes and Markdown
/// punctuation are backslash-escaped, `<`/`>`/`&` too (so package data cannot inject HTML),
/// newlines become `<br>` (a raw newline would end the table row), and other control and
/// bidirectional-override characters are shown escaped.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("<br>");
            }
            '\n' => out.push_str("<br>"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control()
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                out.extend(c.escape_default());
            }
            c => out.push(c),
        }
    }
    out
}

/// [`escape`] after cutting `s` to [`MAX_CELL`] characters (cut first, so an escape is
/// never split).
fn cell(s: &str) -> String {
    if s.chars().count() <= MAX_CELL {
        return escape(s);
    }
    let mut cut: String = s.chars().take(MAX_CELL - 1).collect();
    cut.push('…');
    escape(&cut)
}

fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Negligible => "Negligible",
        Severity::Unknown => "Unknown",
    }
}

/// Writes a Markdown report: a heading naming the target, a summary line with the count
/// per severity, then a table of findings (severity, id linked to its advisory, package,
/// installed version, fixed in), most severe first, cut after [`MARKDOWN_MAX_ROWS`] rows
/// with a note saying how many were left out.
pub fn write_scan_markdown(report: &ScanReport, out: &mut dyn Write) -> Result<(), ReportError> {
    write_scan_markdown_with(report, MARKDOWN_MAX_ROWS, out)
}

pub fn write_scan_markdown_with(
    report: &ScanReport,
    max_rows: usize,
    out: &mut dyn Write,
) -> Result<(), ReportError> {
    let sbom = &report.sbom;
    let mut s = String::new();
    let _ = writeln!(s, "## strata scan: {}\n", escape(&sbom.target.reference));
    let findings = sorted_active(report);
    let packages = sbom.packages.len();
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {many}")
        }
    };
    if findings.is_empty() {
        let _ = writeln!(
            s,
            "No vulnerabilities found in {}.",
            plural(packages, "package", "packages")
        );
    } else {
        let counts: Vec<String> = report
            .counts()
            .iter()
            .map(|(sev, n)| format!("{n} {sev}"))
            .collect();
        let affected = {
            let mut keys: Vec<_> = findings.iter().map(|f| f.package.key()).collect();
            keys.sort();
            keys.dedup();
            keys.len()
        };
        let _ = writeln!(
            s,
            "**{}** ({}) in {} of {}.",
            plural(findings.len(), "vulnerability", "vulnerabilities"),
            counts.join(", "),
            affected,
            plural(packages, "package", "packages"),
        );
    }
    let policy = policy_lines(report);
    if !policy.is_empty() {
        s.push('\n');
        for l in &policy {
            let _ = writeln!(s, "- {}", escape(l.trim_start()));
        }
    }
    let _ = writeln!(
        s,
        "\nDatabase generation {}, built {}.",
        report.database.generation,
        escape(&report.database.built_at)
    );
    if !findings.is_empty() {
        s.push_str("\n| Severity | Vulnerability | Package | Installed | Fixed in |\n");
        s.push_str("| --- | --- | --- | --- | --- |\n");
        for f in findings.iter().take(max_rows) {
            let url = advisory_url(f);
            // `advisory_url` only returns plain URLs, but a link is written only for one
            // that cannot break out of the parentheses.
            let id = if is_plain_url(&url) && !url.contains(['(', ')']) {
                format!("[{}]({url})", cell(&f.id))
            } else {
                cell(&f.id)
            };
            let _ = writeln!(
                s,
                "| {} | {id} | {} | {} | {} |",
                severity_label(f.severity),
                cell(&f.package.name),
                cell(&f.installed_version),
                cell(&fix_text(f)),
            );
        }
        let left_out = findings.len().saturating_sub(max_rows);
        if left_out > 0 {
            let _ = writeln!(
                s,
                "\n_{} not shown (the table stops at {max_rows} rows); see `--format json` for all of them._",
                plural(left_out, "more finding", "more findings")
            );
        }
    }
    out.write_all(s.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_cells_literal() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("a\nb\r\nc\rd"), "a<br>b<br>c<br>d");
        assert_eq!(escape("<b>x</b>"), "\\<b\\>x\\</b\\>");
        assert_eq!(escape("2.36-9+deb12u4"), "2.36-9+deb12u4");
        assert_eq!(
            escape("`x` *y* _z_ [l](u)"),
            "\\`x\\` \\*y\\* \\_z\\_ \\[l\\](u)"
        );
        assert_eq!(escape("e\u{1b}[31m"), "e\\u{1b}\\[31m");
        assert_eq!(escape("rtl\u{202e}"), "rtl\\u{202e}");
        assert_eq!(escape("ü"), "ü");
        assert_eq!(cell(&"x".repeat(300)).chars().count(), MAX_CELL);
    }
}
