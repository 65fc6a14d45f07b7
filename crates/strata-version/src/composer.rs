//! Composer / Packagist versions, ordered like PHP's `version_compare` after normalisation:
//! a leading `v` is dropped, `-`, `_` and `+` become `.`, a `.` is inserted between digits and
//! letters, then parts compare numerically or by their special-form weight
//! (`dev < alpha = a < beta = b < RC = rc < (number) < pl = p`).

use std::cmp::Ordering;

use crate::util::{cmp_digits, strip_zeros};

/// A parsed Composer version.
#[derive(Debug, Clone)]
pub struct ComposerVersion {
    parts: Vec<String>,
}

/// Parses a version. Only `[A-Za-z0-9._+-]` (after an optional `v`) is accepted: other
/// characters, which Composer rejects too, would make `version_compare`'s ordering
/// inconsistent (`1.2.3.#` equal to both `1.2.3` and `1.2.3.1`).
pub(crate) fn parse(input: &str) -> Result<ComposerVersion, (usize, &'static str)> {
    let s = input
        .strip_prefix('v')
        .or_else(|| input.strip_prefix('V'))
        .unwrap_or(input);
    let skip = input.len() - s.len();
    if let Some(bad) = s
        .bytes()
        .position(|c| !(c.is_ascii_alphanumeric() || b"._+-".contains(&c)))
    {
        return Err((skip + bad, "character not allowed in a Composer version"));
    }
    let mut canon = String::with_capacity(s.len() * 2);
    let mut prev: Option<char> = None;
    for c in s.chars() {
        let c = if matches!(c, '-' | '_' | '+') { '.' } else { c };
        if let Some(p) = prev {
            let (pd, cd) = (p.is_ascii_digit(), c.is_ascii_digit());
            if p != '.' && c != '.' && pd != cd {
                canon.push('.');
            }
        }
        canon.push(c);
        prev = Some(c);
    }
    Ok(ComposerVersion {
        parts: canon.split('.').map(str::to_owned).collect(),
    })
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

fn weight(s: &str) -> u8 {
    if s.starts_with("RC") {
        return 3;
    }
    const SPECIAL: &[&str] = &["dev", "a", "b", "rc", "#", "p"];
    SPECIAL
        .iter()
        .position(|p| s.starts_with(p))
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(0)
}

fn cmp_parts(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (is_number(x), is_number(y)) {
            (true, true) => cmp_digits(strip_zeros(x), strip_zeros(y)),
            (false, false) => weight(x).cmp(&weight(y)),
            (true, false) => weight("#").cmp(&weight(y)),
            (false, true) => weight(x).cmp(&weight("#")),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    let hash = ["#".to_owned()];
    match a.len().cmp(&b.len()) {
        Ordering::Equal => Ordering::Equal,
        Ordering::Greater => {
            let rest = a.get(b.len()..).unwrap_or_default();
            if rest.first().is_some_and(|p| is_number(p)) {
                Ordering::Greater
            } else {
                cmp_parts(rest, &hash)
            }
        }
        Ordering::Less => {
            let rest = b.get(a.len()..).unwrap_or_default();
            if rest.first().is_some_and(|p| is_number(p)) {
                Ordering::Less
            } else {
                cmp_parts(&hash, rest)
            }
        }
    }
}

impl ComposerVersion {
    pub(crate) fn compare(&self, other: &Self) -> Ordering {
        cmp_parts(&self.parts, &other.parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        parse(a).unwrap().compare(&parse(b).unwrap())
    }

    #[test]
    fn php_examples() {
        assert_eq!(cmp("1.0-dev", "1.0a1"), Ordering::Less);
        assert_eq!(cmp("1.0rc1", "1.0"), Ordering::Less);
        assert_eq!(cmp("1.0", "1.0pl1"), Ordering::Less);
        assert_eq!(cmp("1.0.0rc2", "1.0.0.rc2"), Ordering::Equal);
        assert_eq!(cmp("v1.0", "1.0"), Ordering::Equal);
        assert_eq!(
            parse("1.2.3.#").unwrap_err(),
            (6, "character not allowed in a Composer version")
        );
    }
}
