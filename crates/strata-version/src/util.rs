//! Small helpers shared by the schemes.

use std::cmp::Ordering;

/// Compares two runs of ASCII digits numerically without converting them to integers, so
/// arbitrarily long runs never overflow: leading zeros are dropped, then the longer run is
/// larger, then the runs compare byte by byte.
pub(crate) fn cmp_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Drops leading zeros from a run of digits, keeping a single `0` for an all-zero run.
pub(crate) fn strip_zeros(s: &str) -> &str {
    let t = s.trim_start_matches('0');
    if t.is_empty() && !s.is_empty() {
        "0"
    } else {
        t
    }
}

/// Length of the leading run of bytes of `s` matching `pred`.
pub(crate) fn run_len(s: &[u8], pred: impl Fn(u8) -> bool) -> usize {
    s.iter().take_while(|&&c| pred(c)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_compare_without_overflow() {
        assert_eq!(cmp_digits("007", "7"), Ordering::Equal);
        assert_eq!(cmp_digits("", "0"), Ordering::Equal);
        assert_eq!(
            cmp_digits("99999999999999999999999", "100000000000000000000000"),
            Ordering::Less
        );
        assert_eq!(cmp_digits("10", "9"), Ordering::Greater);
        assert_eq!(strip_zeros("000"), "0");
        assert_eq!(strip_zeros("010"), "10");
    }
}
