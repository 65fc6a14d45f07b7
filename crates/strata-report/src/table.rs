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
        let rows: Vec<[String; 5]> = packages.iter().map(|p| row(p)).collect();
        let mut widths = HEADERS.map(|h| h.chars().count());
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let header = HEADERS.map(str::to_owned);
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

fn row(p: &Package) -> [String; 5] {
    let source = match (&p.source_name, &p.source_version) {
        (Some(n), Some(v)) if v != &p.version => format!("{n} {v}"),
        (Some(n), _) => n.clone(),
        (None, _) => String::new(),
    };
    [
        clean(&p.name),
        clean(&p.version),
        p.package_type.as_str().to_owned(),
        clean(&source),
        p.layer_diff_id.as_ref().map(short).unwrap_or_default(),
    ]
}

fn push_row(s: &mut String, cells: &[String; 5], widths: &[usize; 5], b: &str, r: &str) {
    let mut line = String::new();
    let last = cells.len().saturating_sub(1);
    for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
        if i == last {
            line.push_str(cell);
        } else {
            let pad = w.saturating_sub(cell.chars().count());
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', pad + 2));
        }
    }
    let trimmed = line.trim_end();
    let _ = writeln!(s, "{b}{trimmed}{r}");
}

/// The first 12 hex digits of a digest.
fn short(d: &Digest) -> String {
    d.hex().chars().take(12).collect()
}

/// Escapes characters that would change what a terminal shows, and cuts long values.
fn clean(s: &str) -> String {
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
        let long = "x".repeat(200);
        assert_eq!(clean(&long).chars().count(), MAX_CELL + 1);
    }
}
