//! RPM versions: `rpmvercmp` segment ordering (with `~` and `^`) and `[epoch:]version[-release]`.

use std::cmp::Ordering;

use crate::util::{cmp_digits, run_len, strip_zeros};
use crate::{Scheme, VersionError};

/// rpm's `rpmvercmp`: compares two version (or release) strings segment by segment.
///
/// Runs of bytes other than ASCII letters, digits, `~` and `^` only separate segments;
/// `~` sorts before anything (even the end), `^` sorts after the end but before anything
/// else; numeric segments are newer than alphabetic ones and compare as numbers of any
/// length; when all segments match, the string with segments left over is newer.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    let sep = |c: u8| !(c.is_ascii_alphanumeric() || c == b'~' || c == b'^');
    loop {
        a = a.get(run_len(a, sep)..).unwrap_or_default();
        b = b.get(run_len(b, sep)..).unwrap_or_default();
        match (a.first(), b.first()) {
            (Some(b'~'), Some(b'~')) => {
                a = a.get(1..).unwrap_or_default();
                b = b.get(1..).unwrap_or_default();
                continue;
            }
            (Some(b'~'), _) => return Ordering::Less,
            (_, Some(b'~')) => return Ordering::Greater,
            (Some(b'^'), Some(b'^')) => {
                a = a.get(1..).unwrap_or_default();
                b = b.get(1..).unwrap_or_default();
                continue;
            }
            (Some(b'^'), None) => return Ordering::Greater,
            (None, Some(b'^')) => return Ordering::Less,
            (Some(b'^'), _) => return Ordering::Less,
            (_, Some(b'^')) => return Ordering::Greater,
            (None, _) | (_, None) => break,
            (Some(&c), Some(_)) => {
                let numeric = c.is_ascii_digit();
                let class = |x: u8| {
                    if numeric {
                        x.is_ascii_digit()
                    } else {
                        x.is_ascii_alphabetic()
                    }
                };
                let (na, nb) = (run_len(a, class), run_len(b, class));
                if nb == 0 {
                    return if numeric {
                        Ordering::Greater
                    } else {
                        Ordering::Less
                    };
                }
                let (sa, sb) = (
                    a.get(..na).unwrap_or_default(),
                    b.get(..nb).unwrap_or_default(),
                );
                let o = if numeric {
                    cmp_digits(ascii(sa), ascii(sb))
                } else {
                    sa.cmp(sb)
                };
                if o != Ordering::Equal {
                    return o;
                }
                a = a.get(na..).unwrap_or_default();
                b = b.get(nb..).unwrap_or_default();
            }
        }
    }
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

fn ascii(s: &[u8]) -> &str {
    std::str::from_utf8(s).unwrap_or_default()
}

/// A parsed `[epoch:]version[-release]`.
#[derive(Debug, Clone)]
pub struct Evr {
    epoch: String,
    version: String,
    release: Option<String>,
}

impl Evr {
    /// The epoch digits without leading zeros, `0` when absent.
    pub fn epoch(&self) -> &str {
        &self.epoch
    }
    /// The version part.
    pub fn version(&self) -> &str {
        &self.version
    }
    /// The release, `None` when the string had no `-`.
    pub fn release(&self) -> Option<&str> {
        self.release.as_deref()
    }

    pub(crate) fn compare(&self, other: &Self) -> Ordering {
        cmp_digits(&self.epoch, &other.epoch)
            .then_with(|| cmp_part(&self.version, &other.version))
            .then_with(|| match (&self.release, &other.release) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(a), Some(b)) => rpmvercmp(a, b),
            })
    }
}

/// An empty part sorts before any non-empty one; otherwise `rpmvercmp`.
fn cmp_part(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => rpmvercmp(a, b),
    }
}

/// Parses `[epoch:]version[-release]`. The text before the first `:` is an epoch only when
/// it is all digits (an empty epoch means 0); otherwise the colon belongs to the version, as
/// in module-stream versions. The release follows the last `-`. A missing release sorts
/// before any present one (matching OSV tooling), so `1 < 1-0`.
pub(crate) fn parse(input: &str) -> Result<Evr, VersionError> {
    if input.is_empty() {
        return Err(VersionError::Empty {
            scheme: Scheme::Rpm,
        });
    }
    if let Some(pos) = input.find(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(VersionError::invalid(
            Scheme::Rpm,
            input,
            pos,
            "whitespace or control character",
        ));
    }
    let (epoch, rest) = match input.split_once(':') {
        Some((e, rest)) if e.bytes().all(|c| c.is_ascii_digit()) => (strip_zeros(e), rest),
        _ => ("0", input),
    };
    let epoch = if epoch.is_empty() { "0" } else { epoch };
    let (version, release) = match rest.rsplit_once('-') {
        Some((v, r)) => (v, Some(r.to_owned())),
        None => (rest, None),
    };
    Ok(Evr {
        epoch: epoch.to_owned(),
        version: version.to_owned(),
        release,
    })
}

/// Architectures recognised as the `.arch` suffix of a NEVRA.
const ARCHES: &[&str] = &[
    "aarch64", "i386", "i486", "i586", "i686", "noarch", "ppc64le", "ppc64", "riscv", "riscv64",
    "s390x", "src", "x86_64", "armv7hl",
];

/// A parsed `name-[epoch:]version-release[.arch]` (or `[epoch:]version-release[.arch]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nevra {
    /// The package name, when present.
    pub name: Option<String>,
    /// The epoch; `0` when absent.
    pub epoch: String,
    /// The version.
    pub version: String,
    /// The release.
    pub release: String,
    /// The architecture, when the last `.` part is a known architecture.
    pub arch: Option<String>,
    /// Whether an epoch was written.
    pub epoch_written: bool,
}

impl Nevra {
    /// Parses a NEVRA: the name is everything before the second-to-last `-`; the arch is
    /// the last `.`-separated part of the release when it is a known architecture.
    pub fn parse(input: &str) -> Result<Nevra, VersionError> {
        if input.len() > crate::MAX_LEN {
            return Err(VersionError::TooLong {
                scheme: Scheme::Rpm,
                len: input.len(),
                max: crate::MAX_LEN,
            });
        }
        let last = input.rfind('-').ok_or_else(|| {
            VersionError::invalid(
                Scheme::Rpm,
                input,
                0,
                "missing `-` between version and release",
            )
        })?;
        let (name, evr) = match input.get(..last).and_then(|h| h.rfind('-')) {
            Some(i) => (
                Some(input.get(..i).unwrap_or_default().to_owned()),
                input.get(i + 1..).unwrap_or_default(),
            ),
            None => (None, input),
        };
        let (ev, ra) = evr.split_once('-').unwrap_or((evr, ""));
        let (epoch, version, epoch_written) = match ev.split_once(':') {
            Some((e, v)) => (if e.is_empty() { "0" } else { e }, v, !e.is_empty()),
            None => ("0", ev, false),
        };
        let (release, arch) = match ra.rsplit_once('.') {
            Some((r, a)) if ARCHES.contains(&a) => (r, Some(a.to_owned())),
            _ => (ra, None),
        };
        Ok(Nevra {
            name,
            epoch: epoch.to_owned(),
            version: version.to_owned(),
            release: release.to_owned(),
            arch,
            epoch_written,
        })
    }

    /// Orders by name (absent first), epoch, version, release, then arch (absent first).
    pub fn compare(&self, other: &Nevra) -> Ordering {
        fn opt(a: &Option<String>, b: &Option<String>) -> Ordering {
            match (a, b) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(a), Some(b)) => rpmvercmp(a, b),
            }
        }
        opt(&self.name, &other.name)
            .then_with(|| rpmvercmp(&self.epoch, &other.epoch))
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| rpmvercmp(&self.release, &other.release))
            .then_with(|| opt(&self.arch, &other.arch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments() {
        assert_eq!(rpmvercmp("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(rpmvercmp("1.0^git1", "1.0"), Ordering::Greater);
        assert_eq!(rpmvercmp("1.0^git1", "1.01"), Ordering::Less);
        assert_eq!(rpmvercmp("", "~"), Ordering::Greater);
        assert_eq!(rpmvercmp("1a", "1.a"), Ordering::Equal);
    }

    #[test]
    fn evr() {
        let p = |s| parse(s).unwrap();
        assert_eq!(p("1:2-3").compare(&p("2-3")), Ordering::Greater);
        assert_eq!(p("1").compare(&p("1-0")), Ordering::Less);
        assert_eq!(p("01:2").compare(&p("1:2")), Ordering::Equal);
        let n = p("a:1");
        assert_eq!((n.epoch(), n.version(), n.release()), ("0", "a:1", None));
    }
}
