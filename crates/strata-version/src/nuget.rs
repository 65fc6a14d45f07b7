//! NuGet versions (NuGet SemVer 2): up to four numeric components (missing ones are 0),
//! an optional pre-release compared case-insensitively by SemVer rules, and ignored build
//! metadata.

use std::cmp::Ordering;

use crate::util::{cmp_digits, run_len, strip_zeros};

/// A parsed NuGet version.
#[derive(Debug, Clone)]
pub struct NuGetVersion {
    numbers: [String; 4],
    pre: Vec<String>,
}

pub(crate) fn parse(s: &str) -> Result<NuGetVersion, (usize, &'static str)> {
    let b = s.as_bytes();
    let mut pos = usize::from(matches!(b.first(), Some(b'v' | b'V')));
    let mut numbers: [String; 4] = Default::default();
    for n in numbers.iter_mut() {
        *n = "0".to_owned();
    }
    for (i, slot) in numbers.iter_mut().enumerate() {
        if i > 0 {
            if b.get(pos) != Some(&b'.') {
                break;
            }
            pos += 1;
        }
        let n = run_len(b.get(pos..).unwrap_or_default(), |c| c.is_ascii_digit());
        if n == 0 {
            return Err((pos, "expected a number"));
        }
        *slot = strip_zeros(s.get(pos..pos + n).unwrap_or_default()).to_owned();
        pos += n;
    }
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'-';
    let mut pre = Vec::new();
    if b.get(pos) == Some(&b'-') {
        pos += 1;
        loop {
            let n = run_len(b.get(pos..).unwrap_or_default(), ident);
            if n == 0 {
                return Err((pos, "empty pre-release label"));
            }
            pre.push(s.get(pos..pos + n).unwrap_or_default().to_ascii_lowercase());
            pos += n;
            if b.get(pos) == Some(&b'.') {
                pos += 1;
            } else {
                break;
            }
        }
    }
    if b.get(pos) == Some(&b'+') {
        pos += 1;
        let n = run_len(b.get(pos..).unwrap_or_default(), |c| ident(c) || c == b'.');
        if n == 0 {
            return Err((pos, "empty build metadata"));
        }
        pos += n;
    }
    if pos != b.len() {
        return Err((pos, "unexpected character"));
    }
    Ok(NuGetVersion { numbers, pre })
}

impl NuGetVersion {
    pub(crate) fn compare(&self, o: &Self) -> Ordering {
        for (a, b) in self.numbers.iter().zip(&o.numbers) {
            let c = cmp_digits(a, b);
            if c != Ordering::Equal {
                return c;
            }
        }
        match (self.pre.is_empty(), o.pre.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            _ => {}
        }
        for (a, b) in self.pre.iter().zip(&o.pre) {
            let an = a.bytes().all(|c| c.is_ascii_digit());
            let bn = b.bytes().all(|c| c.is_ascii_digit());
            let c = match (an, bn) {
                (true, true) => cmp_digits(a, b),
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                (false, false) => a.cmp(b),
            };
            if c != Ordering::Equal {
                return c;
            }
        }
        self.pre.len().cmp(&o.pre.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        parse(a).unwrap().compare(&parse(b).unwrap())
    }

    #[test]
    fn nuget_order() {
        assert_eq!(cmp("1.0", "1.0.0.0"), Ordering::Equal);
        assert_eq!(cmp("1.0.0-BETA", "1.0.0-beta"), Ordering::Equal);
        assert_eq!(cmp("1.0.0", "1.0.0.1-alpha"), Ordering::Less);
        assert!(parse("1.0.0.0.0").is_err());
    }
}
