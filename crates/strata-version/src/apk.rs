//! Alpine apk versions: `number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}`.
//!
//! Ordering follows apk-tools (`apk version -t`) for well-formed versions: numeric
//! components (a component after the first with a leading zero compares as a string),
//! then the optional letter, then suffixes (`alpha < beta < pre < rc < (none) < cvs < svn <
//! git < hg < p`, each with an optional number), then the `-r` build number. The commit
//! hash is ignored. Malformed versions are still ordered, compatibly with the OSV tooling
//! that produced the reference vectors, and always as a total order: text left over after
//! the build number (or a `-` that does not start `-r#`) makes a version sort lower and is
//! otherwise ignored; other leftover text sorts lower still, and two such versions with
//! equal parsed parts order as plain strings.

use std::cmp::Ordering;

use crate::util::{cmp_digits, run_len};

const SUFFIXES: &[&str] = &["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"];
/// Rank of "no suffix": after the four pre-release suffixes, before the post-release ones.
const NO_SUFFIX: u8 = 4;

fn suffix_rank(i: usize) -> u8 {
    let r = u8::try_from(i).unwrap_or(u8::MAX);
    if r < NO_SUFFIX { r } else { r + 1 }
}

/// A parsed apk version.
#[derive(Debug, Clone)]
pub struct ApkVersion {
    text: String,
    /// Numeric components as written (digits only; may be empty after a trailing `.`).
    numbers: Vec<String>,
    letter: Option<u8>,
    /// (rank, number digits) per suffix.
    suffixes: Vec<(u8, String)>,
    /// Build number digits (`-r#`); empty means 0.
    build: String,
    /// Unparsed text after the build number.
    remainder: String,
    /// Something other than `-...` followed the suffixes and hash: ties between such
    /// versions break by the whole string.
    invalid: bool,
}

impl ApkVersion {
    /// Whether the version is well formed (nothing unparsed).
    pub fn is_valid(&self) -> bool {
        !self.invalid && self.remainder.is_empty()
    }
}

/// Whether `s` is a well-formed apk version (`apk version -c` would accept it): nothing is
/// left over after `number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}`.
pub fn is_valid(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= crate::MAX_LEN
        && s.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && parse(s).is_valid()
}

/// Finds every `_suffix{digits}` match in `s`, left to right, without overlaps.
fn suffix_matches(s: &str) -> Vec<(String, u8, String)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b.get(i) == Some(&b'_') {
            let rest = s.get(i + 1..).unwrap_or_default();
            if let Some((idx, name)) = SUFFIXES
                .iter()
                .enumerate()
                .find(|(_, n)| rest.starts_with(**n))
            {
                let start = i + 1 + name.len();
                let n = run_len(b.get(start..).unwrap_or_default(), |c| c.is_ascii_digit());
                let whole = s.get(i..start + n).unwrap_or_default().to_owned();
                let num = s.get(start..start + n).unwrap_or_default().to_owned();
                out.push((whole, suffix_rank(idx), num));
                i = start + n;
                continue;
            }
        }
        i += 1;
    }
    out
}

pub(crate) fn parse(s: &str) -> ApkVersion {
    let b = s.as_bytes();
    // Numbers: (digits '.'?)*
    let mut numbers = Vec::new();
    let mut pos = 0;
    loop {
        let n = run_len(b.get(pos..).unwrap_or_default(), |c| c.is_ascii_digit());
        if n == 0 {
            break;
        }
        numbers.push(s.get(pos..pos + n).unwrap_or_default().to_owned());
        pos += n;
        if b.get(pos) == Some(&b'.') {
            pos += 1;
            if !b.get(pos).is_some_and(u8::is_ascii_digit) {
                numbers.push(String::new());
                break;
            }
        } else {
            break;
        }
    }
    let mut rest = s.get(pos..).unwrap_or_default();
    let letter = rest
        .as_bytes()
        .first()
        .copied()
        .filter(u8::is_ascii_lowercase);
    if letter.is_some() {
        rest = rest.get(1..).unwrap_or_default();
    }
    let mut suffixes = Vec::new();
    for (whole, rank, num) in suffix_matches(rest) {
        suffixes.push((rank, num));
        rest = rest.strip_prefix(whole.as_str()).unwrap_or(rest);
    }
    if let Some(h) = rest.strip_prefix('~') {
        let n = run_len(h.as_bytes(), |c| {
            c.is_ascii_digit() || (b'a'..=b'f').contains(&c)
        });
        if n > 0 {
            rest = h.get(n..).unwrap_or_default();
        }
    }
    let mut build = String::new();
    let mut invalid = false;
    if !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("-r") {
            let n = run_len(r.as_bytes(), |c| c.is_ascii_digit());
            build = r.get(..n).unwrap_or_default().to_owned();
            rest = r.get(n..).unwrap_or_default();
        } else if !rest.starts_with('-') {
            invalid = true;
        }
    }
    ApkVersion {
        text: s.to_owned(),
        numbers,
        letter,
        suffixes,
        build,
        remainder: rest.to_owned(),
        invalid,
    }
}

impl ApkVersion {
    pub(crate) fn compare(&self, other: &Self) -> Ordering {
        let n = self.numbers.len().max(other.numbers.len());
        for i in 0..n {
            let a = self.numbers.get(i).map_or("0", String::as_str);
            let b = other.numbers.get(i).map_or("0", String::as_str);
            // After the first component, a leading zero means a string comparison.
            let o = if i > 0 && (a.starts_with('0') || b.starts_with('0')) {
                a.cmp(b)
            } else {
                cmp_digits(a, b)
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        let o = self.letter.cmp(&other.letter);
        if o != Ordering::Equal {
            return o;
        }
        let none = (NO_SUFFIX, String::new());
        for i in 0..self.suffixes.len().max(other.suffixes.len()) {
            let a = self.suffixes.get(i).unwrap_or(&none);
            let b = other.suffixes.get(i).unwrap_or(&none);
            let o = a.0.cmp(&b.0).then_with(|| cmp_digits(&a.1, &b.1));
            if o != Ordering::Equal {
                return o;
            }
        }
        let o = cmp_digits(&self.build, &other.build);
        if o != Ordering::Equal {
            return o;
        }
        // Leftover text sorts lower; malformed text lower still, then by the whole string.
        let rank = |v: &Self| match (v.invalid, v.remainder.is_empty()) {
            (true, _) => 0,
            (false, false) => 1,
            (false, true) => 2,
        };
        rank(self).cmp(&rank(other)).then_with(|| {
            if self.invalid && other.invalid {
                self.text.as_bytes().cmp(other.text.as_bytes())
            } else {
                Ordering::Equal
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        parse(a).compare(&parse(b))
    }

    #[test]
    fn basics() {
        assert_eq!(cmp("1.0", "1.0_rc1"), Ordering::Greater);
        assert_eq!(cmp("1.0_p1", "1.0"), Ordering::Greater);
        assert_eq!(cmp("1.0-r1", "1.0-r01"), Ordering::Equal);
        assert_eq!(cmp("1.01", "1.1"), Ordering::Less);
        assert!(parse("1.2.3_rc1~abc-r2").is_valid());
        assert!(!parse("1.2.3foo").is_valid());
    }
}
