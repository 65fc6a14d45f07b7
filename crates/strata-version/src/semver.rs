//! SemVer 2.0.0 ordering, parsed leniently the way package ecosystems write versions
//! (crates.io, npm, Go module versions with their `v` prefix and pseudo-versions, Hex, OSV
//! `SEMVER` ranges): an optional `v`/`V`/`=` prefix, one to three numeric components
//! (missing ones are 0), numeric components beyond the third are treated as build metadata,
//! leading zeros are tolerated. Build metadata never affects ordering.

use std::cmp::Ordering;

use crate::util::{cmp_digits, run_len, strip_zeros};

/// A parsed semantic version.
#[derive(Debug, Clone)]
pub struct SemVersion {
    core: [String; 3],
    pre: Vec<String>,
    /// Build metadata identifiers (they only take part in Pub's ordering).
    build: Vec<String>,
}

impl SemVersion {
    /// Major, minor and patch as digit strings without leading zeros.
    pub fn core(&self) -> [&str; 3] {
        [&self.core[0], &self.core[1], &self.core[2]]
    }
    /// Pre-release identifiers.
    pub fn pre(&self) -> &[String] {
        &self.pre
    }
}

pub(crate) fn parse(s: &str) -> Result<SemVersion, (usize, &'static str)> {
    let b = s.as_bytes();
    let mut pos = 0;
    if matches!(b.first(), Some(b'v' | b'V' | b'=')) {
        pos = 1;
    }
    let mut core = [String::from("0"), String::from("0"), String::from("0")];
    for (i, slot) in core.iter_mut().enumerate() {
        if i > 0 {
            if b.get(pos) != Some(&b'.') || !b.get(pos + 1).is_some_and(u8::is_ascii_digit) {
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
    // Extra numeric components: build metadata.
    let mut build = Vec::new();
    if b.get(pos) == Some(&b'.') {
        let n = run_len(b.get(pos..).unwrap_or_default(), |c| {
            c.is_ascii_digit() || c == b'.'
        });
        let extra = s.get(pos..pos + n).unwrap_or_default();
        build.extend(
            extra
                .split('.')
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
        );
        pos += n;
    }
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'-';
    let mut pre = Vec::new();
    if b.get(pos) == Some(&b'-') {
        pos += 1;
        loop {
            let n = run_len(b.get(pos..).unwrap_or_default(), ident);
            if n == 0 {
                return Err((pos, "empty pre-release identifier"));
            }
            pre.push(s.get(pos..pos + n).unwrap_or_default().to_owned());
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
        let meta = s.get(pos..pos + n).unwrap_or_default();
        build.extend(meta.split('.').map(str::to_owned));
        pos += n;
    }
    if pos != b.len() {
        return Err((pos, "unexpected character"));
    }
    Ok(SemVersion { core, pre, build })
}

fn cmp_ident(a: &str, b: &str) -> Ordering {
    let an = a.bytes().all(|c| c.is_ascii_digit());
    let bn = b.bytes().all(|c| c.is_ascii_digit());
    match (an, bn) {
        (true, true) => cmp_digits(a, b),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

fn cmp_idents(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let c = cmp_ident(x, y);
        if c != Ordering::Equal {
            return c;
        }
    }
    a.len().cmp(&b.len())
}

impl SemVersion {
    /// SemVer 2.0.0 precedence: build metadata is ignored.
    pub(crate) fn compare(&self, o: &Self) -> Ordering {
        for (a, b) in self.core.iter().zip(&o.core) {
            let c = cmp_digits(a, b);
            if c != Ordering::Equal {
                return c;
            }
        }
        match (self.pre.is_empty(), o.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ => cmp_idents(&self.pre, &o.pre),
        }
    }

    /// Pub's ordering: SemVer precedence, then a version with build metadata sorts after
    /// the same version without, and build identifiers compare like pre-release ones.
    pub(crate) fn compare_pub(&self, o: &Self) -> Ordering {
        self.compare(o)
            .then_with(|| match (self.build.is_empty(), o.build.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                _ => cmp_idents(&self.build, &o.build),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        parse(a).unwrap().compare(&parse(b).unwrap())
    }

    #[test]
    fn spec_order() {
        let order = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
        ];
        for w in order.windows(2) {
            assert_eq!(cmp(w[0], w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
        }
        assert_eq!(cmp("v1.2", "1.2.0+build"), Ordering::Equal);
        assert_eq!(
            cmp(
                "v0.0.0-20191109021931-daa7c04131f5",
                "v0.0.0-20200101000000-aaaaaaaaaaaa"
            ),
            Ordering::Less
        );
        assert!(parse("1.2.3-").is_err());
        assert!(parse("1.2.3 x").is_err());
    }
}
