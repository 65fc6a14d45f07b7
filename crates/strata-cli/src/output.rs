//! Where reports go: stdout, or a file written atomically so a failed run never leaves
//! a half-written report where the last good one was.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub enum Output {
    Stdout(io::StdoutLock<'static>),
    File {
        target: PathBuf,
        tmp: tempfile::NamedTempFile,
    },
}

impl Output {
    pub fn open(path: Option<&Path>) -> Result<Output> {
        let Some(path) = path else {
            return Ok(Output::Stdout(io::stdout().lock()));
        };
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".strata-")
            .tempfile_in(dir)
            .with_context(|| format!("cannot create the output file in {}", dir.display()))?;
        Ok(Output::File {
            target: path.to_owned(),
            tmp,
        })
    }

    /// True when writing to a terminal (colour and progress allowed).
    pub fn is_terminal(&self) -> bool {
        use std::io::IsTerminal;
        matches!(self, Output::Stdout(_)) && io::stdout().is_terminal()
    }

    pub fn writer(&mut self) -> &mut dyn Write {
        match self {
            Output::Stdout(s) => s,
            Output::File { tmp, .. } => tmp.as_file_mut(),
        }
    }

    pub fn finish(self) -> Result<()> {
        match self {
            Output::Stdout(mut s) => s.flush().context("cannot write to stdout"),
            Output::File { target, tmp } => {
                tmp.as_file()
                    .sync_all()
                    .context("cannot write the output file")?;
                tmp.persist(&target)
                    .with_context(|| format!("cannot write {}", target.display()))?;
                Ok(())
            }
        }
    }
}

/// The current time as RFC 3339 UTC (`2026-12-03T19:00:00Z`), without a date library.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339_from_unix(secs)
}

fn rfc3339_from_unix(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Seconds since the epoch of an RFC 3339 UTC time (`2026-12-03T19:45:10Z`, fractions
/// and offsets other than `Z` ignored); `None` when it is not one.
pub fn unix_from_rfc3339(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        for secs in [0, 951_782_400, 1_796_325_012, 4_102_444_800] {
            assert_eq!(unix_from_rfc3339(&rfc3339_from_unix(secs)), Some(secs));
        }
        assert_eq!(
            unix_from_rfc3339("2026-12-03T19:45:10.123+01:00"),
            Some(1_796_327_110)
        );
        for bad in [
            "",
            "2026-13-01T00:00:00Z",
            "2026-12-03",
            "yesterday at noon!!",
        ] {
            assert_eq!(unix_from_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn rfc3339() {
        assert_eq!(rfc3339_from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_from_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_from_unix(1_796_324_400), "2026-12-03T19:00:00Z");
    }
}
