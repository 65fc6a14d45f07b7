//! Output formats. Each format is a printer over plain data.
//!
//! SBOM printers take a [`Sbom`] and write one of the formats in [`SbomFormat`]:
//!
//! * [`write_table`]: a human table;
//! * [`write_json`]: strata's own versioned JSON (documented in `docs/sbom-json.md`);
//! * [`write_cyclonedx`]: CycloneDX 1.6 JSON;
//! * [`write_spdx_json`]: SPDX 2.3 JSON.
//!
//! Scan printers take a [`strata_types::ScanReport`] and write one of the formats in
//! [`ScanFormat`]: a table, strata JSON, SARIF 2.1.0, CycloneDX 1.6 with vulnerabilities,
//! Markdown for pull-request comments, JUnit XML, OpenVEX for the accepted exceptions, or
//! GitLab's container-scanning report (see [`write_scan`]). Suppressed findings are kept wherever the format can say why
//! (JSON, SARIF `suppressions`, JUnit `skipped`); tables count them instead.
//!
//! Output is deterministic: packages are printed in [`strata_types::compare_packages`]
//! order whatever order the caller left them in, and the CycloneDX serial number and the
//! SPDX document namespace are derived from the content (see [`IdMode`]).

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use strata_types::{Package, Sbom};

mod cyclonedx;
mod fuzz;
mod gitlab;
mod ids;
mod json;
mod junit;
pub mod license;
mod markdown;
mod openvex;
mod sarif;
pub mod sbom_in;
mod scan;
mod scan_cyclonedx;
mod spdx;
mod table;

pub use cyclonedx::{write_cyclonedx, write_cyclonedx_with};
pub use fuzz::{fuzz_license_expression, fuzz_sbom_printers};
pub use gitlab::{GITLAB_SCHEMA_VERSION, write_scan_gitlab};
pub use ids::{IdMode, content_uuid};
pub use json::write_json;
pub use junit::write_scan_junit;
pub use markdown::{MARKDOWN_MAX_ROWS, write_scan_markdown, write_scan_markdown_with};
pub use openvex::write_scan_openvex;
pub use sarif::write_scan_sarif;
pub use scan::{ScanFormat, write_scan, write_scan_table};
pub use scan_cyclonedx::write_scan_cyclonedx;
pub use spdx::{write_spdx_json, write_spdx_json_with};
pub use table::write_table;

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write the report: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot serialise the {format} report: {source}")]
    Serialize {
        format: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("unknown format {given:?}; expected one of: {expected}")]
    UnknownFormat {
        given: String,
        expected: &'static str,
    },
    #[error(
        "the SBOM's `created` time {0:?} is not an RFC 3339 UTC timestamp (like 2024-05-01T12:00:00Z)"
    )]
    BadTimestamp(String),
}

/// The SBOM output formats, named as on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SbomFormat {
    Table,
    Json,
    CycloneDx,
    SpdxJson,
}

impl SbomFormat {
    /// Every format, in the order the command line lists them.
    pub const ALL: [SbomFormat; 4] = [
        SbomFormat::Table,
        SbomFormat::Json,
        SbomFormat::CycloneDx,
        SbomFormat::SpdxJson,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SbomFormat::Table => "table",
            SbomFormat::Json => "json",
            SbomFormat::CycloneDx => "cyclonedx",
            SbomFormat::SpdxJson => "spdx-json",
        }
    }

    /// True for formats meant for programs rather than people.
    pub fn is_machine_readable(self) -> bool {
        !matches!(self, SbomFormat::Table)
    }
}

impl fmt::Display for SbomFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SbomFormat {
    type Err = ReportError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SbomFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| ReportError::UnknownFormat {
                given: s.to_owned(),
                expected: "table, json, cyclonedx, spdx-json",
            })
    }
}

/// Options shared by the printers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReportOptions {
    /// ANSI colour in the table (set it only when writing to a terminal).
    pub color: bool,
    /// How document identifiers (CycloneDX serial number, SPDX namespace) are made.
    pub ids: IdMode,
}

/// Writes `sbom` in `format`.
pub fn write_sbom(
    sbom: &Sbom,
    format: SbomFormat,
    options: &ReportOptions,
    out: &mut dyn Write,
) -> Result<(), ReportError> {
    match format {
        SbomFormat::Table => write_table(sbom, options.color, out),
        SbomFormat::Json => write_json(sbom, out),
        SbomFormat::CycloneDx => write_cyclonedx_with(sbom, options.ids, out),
        SbomFormat::SpdxJson => write_spdx_json_with(sbom, options.ids, out),
    }
}

/// The packages in output order.
pub(crate) fn sorted_packages(sbom: &Sbom) -> Vec<&Package> {
    let mut v: Vec<&Package> = sbom.packages.iter().collect();
    v.sort_by(|a, b| strata_types::compare_packages(a, b));
    v
}

/// Serialises `value` as pretty JSON followed by a newline.
pub(crate) fn write_pretty<T: serde::Serialize>(
    value: &T,
    format: &'static str,
    out: &mut dyn Write,
) -> Result<(), ReportError> {
    let mut buf = serde_json::to_vec_pretty(value)
        .map_err(|source| ReportError::Serialize { format, source })?;
    buf.push(b'\n');
    out.write_all(&buf)?;
    Ok(())
}

/// Checks `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (RFC 3339 in UTC, as SPDX requires).
pub(crate) fn check_utc_timestamp(s: &str) -> Result<(), ReportError> {
    let bad = || ReportError::BadTimestamp(s.to_owned());
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range)
            .is_some_and(|d| !d.is_empty() && d.iter().all(u8::is_ascii_digit))
    };
    let num = |range: std::ops::Range<usize>| -> u32 {
        b.get(range)
            .map(|d| {
                d.iter()
                    .fold(0u32, |acc, c| acc * 10 + u32::from(c.saturating_sub(b'0')))
            })
            .unwrap_or(0)
    };
    let shape = digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && b.get(10) == Some(&b'T')
        && digits(11..13)
        && b.get(13) == Some(&b':')
        && digits(14..16)
        && b.get(16) == Some(&b':')
        && digits(17..19);
    if !shape {
        return Err(bad());
    }
    let in_range = (1..=12).contains(&num(5..7))
        && (1..=31).contains(&num(8..10))
        && num(11..13) <= 23
        && num(14..16) <= 59
        && num(17..19) <= 60;
    if !in_range {
        return Err(bad());
    }
    let rest = b.get(19..).unwrap_or_default();
    let rest = match rest.strip_prefix(b".") {
        Some(frac) => {
            let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 || n > 9 {
                return Err(bad());
            }
            frac.get(n..).unwrap_or_default()
        }
        None => rest,
    };
    if rest != b"Z" {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_and_print() {
        for f in SbomFormat::ALL {
            assert_eq!(f.as_str().parse::<SbomFormat>().unwrap(), f);
        }
        let err = "spdx".parse::<SbomFormat>().unwrap_err();
        assert!(matches!(&err, ReportError::UnknownFormat { given, .. } if given == "spdx"));
        assert_eq!(
            err.to_string(),
            "unknown format \"spdx\"; expected one of: table, json, cyclonedx, spdx-json"
        );
    }

    #[test]
    fn timestamps() {
        for ok in [
            "2024-05-01T12:00:00Z",
            "2024-12-31T23:59:60Z",
            "2024-05-01T12:00:00.123Z",
        ] {
            assert!(check_utc_timestamp(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "2024-05-01",
            "2024-05-01T12:00:00",
            "2024-05-01T12:00:00+02:00",
            "2024-13-01T12:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T12:00:00.Z",
            "2024-05-01 12:00:00Z",
            "2024-05-01T12:00:00Zjunk",
            "２０２４-05-01T12:00:00Z",
        ] {
            assert!(
                matches!(check_utc_timestamp(bad), Err(ReportError::BadTimestamp(s)) if s == bad),
                "{bad}"
            );
        }
    }
}
