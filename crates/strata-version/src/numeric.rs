//! Purely numeric dotted versions: CRAN (R's `package_version`, `.` or `-` separators) and
//! Hackage (Haskell's `Data.Version`). Components compare numerically, then the longer
//! version is greater (`1.0.0 > 1.0`).

use std::cmp::Ordering;

use crate::util::{cmp_digits, run_len, strip_zeros};

/// A parsed numeric version.
#[derive(Debug, Clone)]
pub struct NumericVersion {
    parts: Vec<String>,
}

/// Parses digit runs separated by one of `seps`.
pub(crate) fn parse(s: &str, seps: &[u8]) -> Result<NumericVersion, (usize, &'static str)> {
    let b = s.as_bytes();
    let mut parts = Vec::new();
    let mut pos = 0;
    loop {
        let n = run_len(b.get(pos..).unwrap_or_default(), |c| c.is_ascii_digit());
        if n == 0 {
            return Err((pos, "expected a number"));
        }
        parts.push(strip_zeros(s.get(pos..pos + n).unwrap_or_default()).to_owned());
        pos += n;
        match b.get(pos) {
            None => break,
            Some(c) if seps.contains(c) => pos += 1,
            Some(_) => return Err((pos, "unexpected character")),
        }
    }
    Ok(NumericVersion { parts })
}

impl NumericVersion {
    pub(crate) fn compare(&self, other: &Self) -> Ordering {
        for (a, b) in self.parts.iter().zip(&other.parts) {
            let o = cmp_digits(a, b);
            if o != Ordering::Equal {
                return o;
            }
        }
        self.parts.len().cmp(&other.parts.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_order() {
        let p = |s| parse(s, b".-").unwrap();
        assert_eq!(p("0.01.0").compare(&p("0.1-0")), Ordering::Equal);
        assert_eq!(p("0.1.0").compare(&p("0.1.0.0")), Ordering::Less);
        assert_eq!(p("0.9").compare(&p("0.75")), Ordering::Less);
        assert!(parse("1..2", b".").is_err());
        assert!(parse("1-2", b".").is_err());
    }
}
