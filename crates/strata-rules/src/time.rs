//! Time formatting without a date library: UTC only, nanosecond precision.

use std::fmt::Write;

/// (year, month, day) for days since 1970-01-01 (proleptic Gregorian).
pub fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn split(ts: u64) -> (i64, u64, u64, u64, u64) {
    let secs = ts / 1_000_000_000;
    let ns = ts % 1_000_000_000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    (days, rem / 3600, (rem % 3600) / 60, rem % 60, ns)
}

/// `HH:MM:SS.nnnnnnnnn` (or without nanoseconds).
pub fn fmt_time(buf: &mut String, ts: u64, nanos: bool) {
    buf.clear();
    let (_, h, m, s, ns) = split(ts);
    let _ = write!(buf, "{h:02}:{m:02}:{s:02}");
    if nanos {
        let _ = write!(buf, ".{ns:09}");
    }
}

/// `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` (or without nanoseconds).
pub fn fmt_datetime(buf: &mut String, ts: u64, nanos: bool) {
    buf.clear();
    let (days, h, m, s, ns) = split(ts);
    let (y, mo, d) = civil(days);
    let _ = write!(buf, "{y:04}-{mo:02}-{d:02} {h:02}:{m:02}:{s:02}");
    if nanos {
        let _ = write!(buf, ".{ns:09}");
    }
}

/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
pub fn fmt_iso8601(buf: &mut String, ts: u64) {
    buf.clear();
    let (days, h, m, s, ns) = split(ts);
    let (y, mo, d) = civil(days);
    let _ = write!(buf, "{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}.{ns:09}Z");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let mut b = String::new();
        // 2026-12-03T19:10:12.000000123Z
        let ts = 1_796_325_012_000_000_123;
        fmt_iso8601(&mut b, ts);
        assert_eq!(b, "2026-12-03T19:10:12.000000123Z");
        fmt_time(&mut b, ts, true);
        assert_eq!(b, "19:10:12.000000123");
        fmt_datetime(&mut b, 0, false);
        assert_eq!(b, "1970-01-01 00:00:00");
        assert_eq!(civil(-1), (1969, 12, 31));
        assert_eq!(civil(19_782), (2024, 2, 29));
    }
}
