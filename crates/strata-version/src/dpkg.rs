//! Debian package versions (deb-version(7), Debian Policy 5.6.12):
//! `[epoch:]upstream_version[-debian_revision]`.

use std::cmp::Ordering;

use crate::util::{cmp_digits, run_len, strip_zeros};
use crate::{Scheme, VersionError};

/// A parsed dpkg version.
#[derive(Debug, Clone)]
pub struct DpkgVersion {
    /// Epoch digits without leading zeros (`"0"` when absent).
    epoch: String,
    upstream: String,
    /// Empty when absent; dpkg treats an absent revision like an empty one.
    revision: String,
}

impl DpkgVersion {
    /// The epoch, `0` when absent, as digits without leading zeros.
    pub fn epoch(&self) -> &str {
        &self.epoch
    }
    /// The upstream version.
    pub fn upstream(&self) -> &str {
        &self.upstream
    }
    /// The Debian revision, empty when absent.
    pub fn revision(&self) -> &str {
        &self.revision
    }
}

fn err(s: &str, offset: usize, reason: &'static str) -> VersionError {
    VersionError::invalid(Scheme::Dpkg, s, offset, reason)
}

/// Parses a dpkg version. Like `dpkg --compare-versions` it ignores surrounding whitespace.
/// Unlike dpkg, which only warns, it rejects an upstream version that does not start with a
/// digit and characters outside `[A-Za-z0-9.+~_]` (plus `-` and `:` in the upstream part).
/// `_` is tolerated (dpkg warns but compares it) because real-world revisions such as
/// `4.el6.x86_64` contain it.
pub(crate) fn parse(input: &str) -> Result<DpkgVersion, VersionError> {
    let lead = input.len() - input.trim_start().len();
    let s = input.trim();
    if s.is_empty() {
        return Err(VersionError::Empty {
            scheme: Scheme::Dpkg,
        });
    }
    if let Some(pos) = s.find(char::is_whitespace) {
        return Err(err(input, lead + pos, "embedded whitespace"));
    }
    let (epoch, rest, rest_off) = match s.find(':') {
        Some(colon) => {
            let e = &s[..colon];
            if e.is_empty() {
                return Err(err(input, lead, "epoch is empty"));
            }
            if let Some(bad) = e.bytes().position(|c| !c.is_ascii_digit()) {
                return Err(err(input, lead + bad, "epoch is not a number"));
            }
            // dpkg stores the epoch in an int and rejects larger values.
            let e = strip_zeros(e);
            if cmp_digits(e, "2147483647") == Ordering::Greater {
                return Err(err(input, lead, "epoch is too big"));
            }
            (e.to_owned(), &s[colon + 1..], lead + colon + 1)
        }
        None => ("0".to_owned(), s, lead),
    };
    let (upstream, revision) = match rest.rfind('-') {
        Some(dash) => {
            let rev = &rest[dash + 1..];
            if rev.is_empty() {
                return Err(err(input, rest_off + dash, "revision is empty"));
            }
            (&rest[..dash], rev)
        }
        None => (rest, ""),
    };
    if upstream.is_empty() {
        return Err(err(input, rest_off, "upstream version is empty"));
    }
    if !upstream.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return Err(err(
            input,
            rest_off,
            "upstream version does not start with a digit",
        ));
    }
    if let Some(bad) = upstream
        .bytes()
        .position(|c| !(c.is_ascii_alphanumeric() || b".+~-:_".contains(&c)))
    {
        return Err(err(
            input,
            rest_off + bad,
            "invalid character in upstream version",
        ));
    }
    let rev_off = rest_off + upstream.len() + 1;
    if let Some(bad) = revision
        .bytes()
        .position(|c| !(c.is_ascii_alphanumeric() || b".+~_".contains(&c)))
    {
        return Err(err(input, rev_off + bad, "invalid character in revision"));
    }
    Ok(DpkgVersion {
        epoch,
        upstream: upstream.to_owned(),
        revision: revision.to_owned(),
    })
}

/// Sort weight of a non-digit byte: `~` before the end of the part, the end before letters,
/// letters before everything else.
fn weight(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// The Debian comparison of one version part: alternating non-digit and digit runs.
pub(crate) fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while !a.is_empty() || !b.is_empty() {
        let na = run_len(a, |c| !c.is_ascii_digit());
        let nb = run_len(b, |c| !c.is_ascii_digit());
        let mut i = 0;
        while i < na || i < nb {
            let ca = if i < na { a.get(i).copied() } else { None };
            let cb = if i < nb { b.get(i).copied() } else { None };
            let o = weight(ca).cmp(&weight(cb));
            if o != Ordering::Equal {
                return o;
            }
            i += 1;
        }
        a = a.get(na..).unwrap_or_default();
        b = b.get(nb..).unwrap_or_default();
        let da = run_len(a, |c| c.is_ascii_digit());
        let db = run_len(b, |c| c.is_ascii_digit());
        let (ra, rb) = (
            a.get(..da).unwrap_or_default(),
            b.get(..db).unwrap_or_default(),
        );
        // Both runs are ASCII digits, so they are valid UTF-8.
        let o = cmp_digits(
            std::str::from_utf8(ra).unwrap_or_default(),
            std::str::from_utf8(rb).unwrap_or_default(),
        );
        if o != Ordering::Equal {
            return o;
        }
        a = a.get(da..).unwrap_or_default();
        b = b.get(db..).unwrap_or_default();
    }
    Ordering::Equal
}

impl DpkgVersion {
    pub(crate) fn compare(&self, other: &Self) -> Ordering {
        cmp_digits(&self.epoch, &other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        parse(a).unwrap().compare(&parse(b).unwrap())
    }

    #[test]
    fn policy_examples() {
        assert_eq!(cmp("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(cmp("1.0~~", "1.0~"), Ordering::Less);
        assert_eq!(cmp("1.0a", "1.0+"), Ordering::Less);
        assert_eq!(cmp("1:0.1", "2.0"), Ordering::Greater);
        assert_eq!(cmp("1.0-0", "1.0"), Ordering::Equal);
        assert_eq!(cmp("1.01", "1.1"), Ordering::Equal);
        assert_eq!(cmp("1.2-3-4", "1.2-3-5"), Ordering::Less);
    }

    #[test]
    fn errors_name_the_offset() {
        let e = parse("2:7.4.!052-1").unwrap_err();
        assert!(matches!(e, VersionError::Invalid { offset: 6, .. }), "{e}");
        let e = parse("1.0-").unwrap_err();
        assert!(matches!(e, VersionError::Invalid { offset: 3, .. }), "{e}");
    }
}
