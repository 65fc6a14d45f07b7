//! The human table.

use std::fmt::Write as _;
use std::io::Write;

use strata_types::{Digest, Package, Sbom};

use crate::{ReportError, sorted_packages};

const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";
const HEADERS: [&str; 5] = ["NAME", "VERSION", "TYPE", "SOURCE", "LAYER"];
/// Longest cell printed; longer values are cut with `…`.
const MAX_CELL: usize = 80;

/// Writes a table of packages: a header line naming the target, distro and package
/// count, then NAME, VERSION, TYPE, SOURCE and LAYER (short diff id) columns, then any
/// warnings. `color` adds ANSI bold to the headings; pass `false` unless writing to a
/// terminal. Control and bidirectional-override characters in package data are escaped
/// so that a hostile package name cannot rewrite the terminal.
pub fn write_table(sbom: &Sbom, color: bool, out: &mut dyn Write) -> Result<(), ReportError> {
    let packages = sorted_packages(sbom);
    let mut s = String::new();
    let (b, r) = if color { (BOLD, RESET) } else { ("", "") };

    let distro = match &sbom.distro {
        Some(d) => match &d.pretty_name {
            Some(p) => clean(p),
            None => clean(&d.purl_qualifier()),
        },
        None => "unknown".to_owned(),
    };
    let count = packages.len();
    let _ = writeln!(
        s,
        "{b}{}{r} ({}) · distro: {distro} · {count} package{}",
        clean(&sbom.target.reference),
        sbom.target.kind,
        if count == 1 { "" } else { "s" }
    );

    if !packages.is_empty() {
        s.push('\n');
        let mut rows: Vec<Vec<String>> = packages.iter().map(|p| row(p)).collect();
        let mut header: Vec<String> = HEADERS.iter().map(|h| (*h).to_owned()).collect();
        // Directory scans have no layers: leave the column out rather than print it empty.
        if rows.iter().all(|r| r.last().is_none_or(String::is_empty)) {
            header.pop();
            for r in &mut rows {
                r.pop();
            }
        }
        let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
            }
        }
        push_row(&mut s, &header, &widths, b, r);
        for row in &rows {
            push_row(&mut s, row, &widths, "", "");
        }
    }

    if !sbom.warnings.is_empty() {
        let _ = writeln!(s, "\n{b}WARNINGS{r}");
        for w in &sbom.warnings {
            let layer = w
                .layer
                .as_ref()
                .map(|l| format!(" (layer {})", short(l)))
                .unwrap_or_default();
            let _ = writeln!(s, "  {}{layer}: {}", clean(&w.path), clean(&w.message));
        }
    }
    out.write_all(s.as_bytes())?;
    Ok(())
}

fn row(p: &Package) -> Vec<String> {
    let source = match (&p.source_name, &p.source_version) {
        (Some(n), Some(v)) if v != &p.version => format!("{n} {v}"),
        (Some(n), _) => n.clone(),
        (None, _) => String::new(),
    };
    vec![
        clean(&p.name),
        clean(&p.version),
        p.package_type.as_str().to_owned(),
        clean(&source),
        p.layer_diff_id.as_ref().map(short).unwrap_or_default(),
    ]
}

pub(crate) fn push_row(s: &mut String, cells: &[String], widths: &[usize], b: &str, r: &str) {
    let mut line = String::new();
    let last = cells.len().saturating_sub(1);
    for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
        if i == last {
            line.push_str(cell);
        } else {
            let pad = w.saturating_sub(width(cell));
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', pad + 2));
        }
    }
    let trimmed = line.trim_end();
    let _ = writeln!(s, "{b}{trimmed}{r}");
}

/// Terminal columns taken by `s`: 2 for East Asian wide characters and most emoji, 0 for
/// combining marks and variation selectors, 1 otherwise. An approximation of UAX #11
/// good enough to keep columns aligned for common package names.
pub(crate) fn width(s: &str) -> usize {
    s.chars()
        .map(|c| match u32::from(c) {
            0x0300..=0x036f | 0x200b..=0x200f | 0xfe00..=0xfe0f => 0,
            0x1100..=0x115f
            | 0x2e80..=0x303e
            | 0x3041..=0x33ff
            | 0x3400..=0x4dbf
            | 0x4e00..=0x9fff
            | 0xa000..=0xa4cf
            | 0xac00..=0xd7a3
            | 0xf900..=0xfaff
            | 0xfe30..=0xfe4f
            | 0xff00..=0xff60
            | 0xffe0..=0xffe6
            | 0x1f300..=0x1f64f
            | 0x1f900..=0x1f9ff
            | 0x20000..=0x3fffd => 2,
            _ => 1,
        })
        .sum()
}

/// The first 12 hex digits of a digest.
fn short(d: &Digest) -> String {
    d.hex().chars().take(12).collect()
}

/// Escapes characters that would change what a terminal shows, and cuts long values.
pub(crate) fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_CELL + 8));
    for (n, c) in s.chars().enumerate() {
        if n >= MAX_CELL {
            out.push('…');
            break;
        }
        let dangerous = c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if dangerous {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_escapes_terminal_controls() {
        assert_eq!(clean("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(clean("tab\there"), "tab\\there");
        assert_eq!(clean("rtl\u{202e}x"), "rtl\\u{202e}x");
        assert_eq!(clean("ünïcode"), "ünïcode");
        assert_eq!(width("日本語"), 6);
        assert_eq!(width("e\u{301}"), 1);
        assert_eq!(width("abc"), 3);
        let long = "x".repeat(200);
        assert_eq!(clean(&long).chars().count(), MAX_CELL + 1);
    }
}
