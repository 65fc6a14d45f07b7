//! RubyGems versions (`Gem::Version`): numeric and alphabetic segments; a segment of letters
//! makes a pre-release; `-` means `.pre.`; trailing zeros are insignificant.

use std::cmp::Ordering;

use crate::util::{cmp_digits, run_len, strip_zeros};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Num(String),
    Str(String),
}

/// A parsed RubyGems version.
#[derive(Debug, Clone)]
pub struct GemVersion {
    segments: Vec<Seg>,
}

/// Checks (a slightly lenient form of) `Gem::Version`'s pattern:
/// `[0-9][0-9a-zA-Z]*(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`, surrounded by
/// optional whitespace; the empty string means `0`.
pub(crate) fn parse(input: &str) -> Result<GemVersion, (usize, &'static str)> {
    let lead = input.len() - input.trim_start().len();
    let s = input.trim();
    let b = s.as_bytes();
    if !b.is_empty() {
        if !b.first().is_some_and(u8::is_ascii_digit) {
            return Err((lead, "must start with a digit"));
        }
        // The first segment may carry letters (`1beta`), as RubyGems' scanner accepts.
        let mut pos = run_len(b, |c| c.is_ascii_alphanumeric());
        while b.get(pos) == Some(&b'.') {
            let n = run_len(b.get(pos + 1..).unwrap_or_default(), |c| {
                c.is_ascii_alphanumeric()
            });
            if n == 0 {
                return Err((lead + pos, "empty segment"));
            }
            pos += 1 + n;
        }
        if b.get(pos) == Some(&b'-') {
            loop {
                let n = run_len(b.get(pos + 1..).unwrap_or_default(), |c| {
                    c.is_ascii_alphanumeric() || c == b'-'
                });
                if n == 0 {
                    return Err((lead + pos, "empty pre-release segment"));
                }
                pos += 1 + n;
                if b.get(pos) != Some(&b'.') {
                    break;
                }
            }
        }
        if pos != b.len() {
            return Err((lead + pos, "unexpected character"));
        }
    }
    let canonical = if s.is_empty() {
        "0".to_owned()
    } else {
        s.replace('-', ".pre.")
    };
    let cb = canonical.as_bytes();
    let mut segs = Vec::new();
    let mut i = 0;
    while i < cb.len() {
        let rest = cb.get(i..).unwrap_or_default();
        let d = run_len(rest, |c| c.is_ascii_digit());
        let a = run_len(rest, |c| c.is_ascii_alphabetic());
        if d > 0 {
            segs.push(Seg::Num(
                strip_zeros(canonical.get(i..i + d).unwrap_or_default()).to_owned(),
            ));
            i += d;
        } else if a > 0 {
            segs.push(Seg::Str(
                canonical.get(i..i + a).unwrap_or_default().to_owned(),
            ));
            i += a;
        } else {
            i += 1;
        }
    }
    // Drop trailing zeros from the numeric part and from the part after the first string.
    let split = segs
        .iter()
        .position(|s| matches!(s, Seg::Str(_)))
        .unwrap_or(segs.len());
    let mut tail = segs.split_off(split);
    let zero = Seg::Num("0".to_owned());
    while segs.last() == Some(&zero) {
        segs.pop();
    }
    while tail.last() == Some(&zero) {
        tail.pop();
    }
    segs.extend(tail);
    Ok(GemVersion { segments: segs })
}

impl GemVersion {
    /// Whether this is a pre-release (has a letter segment).
    pub fn is_prerelease(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Seg::Str(_)))
    }

    pub(crate) fn compare(&self, other: &Self) -> Ordering {
        let zero = Seg::Num("0".to_owned());
        for i in 0..self.segments.len().max(other.segments.len()) {
            let a = self.segments.get(i).unwrap_or(&zero);
            let b = other.segments.get(i).unwrap_or(&zero);
            let o = match (a, b) {
                (Seg::Num(x), Seg::Num(y)) => cmp_digits(x, y),
                (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
                (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
                (Seg::Str(x), Seg::Str(y)) => x.cmp(y),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        parse(a).unwrap().compare(&parse(b).unwrap())
    }

    #[test]
    fn gem_order() {
        assert_eq!(cmp("1.0.a2", "1.0.a.2"), Ordering::Equal);
        assert_eq!(cmp("1.0", "1.0.b1"), Ordering::Greater);
        assert_eq!(cmp("1.0.0", "1"), Ordering::Equal);
        assert_eq!(cmp("1.0-1", "1.0.pre.1"), Ordering::Equal);
        assert_eq!(cmp("", "0"), Ordering::Equal);
        assert!(parse("1..2").is_err());
        assert!(parse("a1").is_err());
    }
}
