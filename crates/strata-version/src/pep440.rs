//! Python package versions (PEP 440), with the pre-PEP-440 "legacy" ordering for strings that
//! are not valid PEP 440 (as `packaging` < 22 did): legacy versions sort before every valid
//! one.

use std::cmp::Ordering;

use crate::util::{cmp_digits, run_len, strip_zeros};

/// A parsed Python version.
#[derive(Debug, Clone)]
pub enum PyVersion {
    /// A valid PEP 440 version.
    Pep440(Pep440),
    /// Anything else, ordered by the legacy `setuptools` key.
    Legacy(Vec<String>),
}

/// The parts of a PEP 440 version that take part in ordering.
#[derive(Debug, Clone)]
pub struct Pep440 {
    epoch: String,
    release: Vec<String>,
    /// (0 = a, 1 = b, 2 = rc, number)
    pre: Option<(u8, String)>,
    post: Option<String>,
    dev: Option<String>,
    local: Vec<String>,
}

struct Cur<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cur<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }
    fn digits(&mut self) -> Option<String> {
        let n = run_len(self.s.get(self.pos..).unwrap_or_default(), |c| {
            c.is_ascii_digit()
        });
        if n == 0 {
            return None;
        }
        let d = std::str::from_utf8(self.s.get(self.pos..self.pos + n).unwrap_or_default())
            .unwrap_or_default();
        self.pos += n;
        Some(strip_zeros(d).to_owned())
    }
    fn sep(&mut self) -> bool {
        if matches!(self.peek(), Some(b'-' | b'_' | b'.')) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn label<'l>(&mut self, labels: &[&'l str]) -> Option<&'l str> {
        let rest = self.s.get(self.pos..).unwrap_or_default();
        let l = labels.iter().find(|l| rest.starts_with(l.as_bytes()))?;
        self.pos += l.len();
        Some(l)
    }
    /// `[-_.]? LABEL [-_.]? N?`; restores the position when no label follows.
    fn tagged<'l>(&mut self, labels: &[&'l str]) -> Option<(&'l str, String)> {
        let start = self.pos;
        self.sep();
        let Some(l) = self.label(labels) else {
            self.pos = start;
            return None;
        };
        let after = self.pos;
        self.sep();
        let n = match self.digits() {
            Some(n) => n,
            None => {
                self.pos = after;
                "0".to_owned()
            }
        };
        Some((l, n))
    }
}

fn parse_pep440(s: &str) -> Option<Pep440> {
    let lower = s.trim().to_ascii_lowercase();
    let mut c = Cur {
        s: lower.as_bytes(),
        pos: 0,
    };
    if c.peek() == Some(b'v') {
        c.pos += 1;
    }
    let first = c.digits()?;
    let (epoch, mut release) = if c.peek() == Some(b'!') {
        c.pos += 1;
        (first, vec![c.digits()?])
    } else {
        ("0".to_owned(), vec![first])
    };
    loop {
        let save = c.pos;
        if c.peek() == Some(b'.') {
            c.pos += 1;
            if let Some(d) = c.digits() {
                release.push(d);
                continue;
            }
        }
        c.pos = save;
        break;
    }
    let pre = c
        .tagged(&["preview", "alpha", "beta", "pre", "rc", "a", "b", "c"])
        .map(|(l, n)| {
            let k = match l {
                "a" | "alpha" => 0,
                "b" | "beta" => 1,
                _ => 2,
            };
            (k, n)
        });
    let post = {
        let save = c.pos;
        if c.peek() == Some(b'-') {
            c.pos += 1;
            match c.digits() {
                Some(n) => Some(n),
                None => {
                    c.pos = save;
                    c.tagged(&["post", "rev", "r"]).map(|(_, n)| n)
                }
            }
        } else {
            c.tagged(&["post", "rev", "r"]).map(|(_, n)| n)
        }
    };
    let dev = c.tagged(&["dev"]).map(|(_, n)| n);
    let mut local = Vec::new();
    if c.peek() == Some(b'+') {
        c.pos += 1;
        loop {
            let n = run_len(c.s.get(c.pos..).unwrap_or_default(), |b| {
                b.is_ascii_alphanumeric()
            });
            if n == 0 {
                return None;
            }
            let part = std::str::from_utf8(c.s.get(c.pos..c.pos + n).unwrap_or_default()).ok()?;
            local.push(part.to_owned());
            c.pos += n;
            if c.peek().is_none() {
                break;
            }
            if !c.sep() {
                return None;
            }
        }
    }
    if c.pos != c.s.len() {
        return None;
    }
    while release.len() > 1 && release.last().is_some_and(|r| r == "0") {
        release.pop();
    }
    Some(Pep440 {
        epoch,
        release,
        pre,
        post,
        dev,
        local,
    })
}

/// The legacy (`LegacyVersion`) sort key.
fn legacy_key(s: &str) -> Vec<String> {
    let lower = s.to_ascii_lowercase();
    let b = lower.as_bytes();
    let mut pieces: Vec<&str> = Vec::new();
    let mut i = 0;
    let mut other_start = 0;
    while i < b.len() {
        let c = b.get(i).copied().unwrap_or(0);
        let n = if c.is_ascii_digit() {
            run_len(b.get(i..).unwrap_or_default(), |c| c.is_ascii_digit())
        } else if c.is_ascii_lowercase() {
            run_len(b.get(i..).unwrap_or_default(), |c| c.is_ascii_lowercase())
        } else if c == b'.' || c == b'-' {
            1
        } else {
            0
        };
        if n == 0 {
            i += 1;
            continue;
        }
        if other_start < i {
            pieces.push(lower.get(other_start..i).unwrap_or_default());
        }
        pieces.push(lower.get(i..i + n).unwrap_or_default());
        i += n;
        other_start = i;
    }
    if other_start < b.len() {
        pieces.push(lower.get(other_start..).unwrap_or_default());
    }
    let mut parts: Vec<String> = Vec::new();
    let mapped = pieces
        .into_iter()
        .map(|p| match p {
            "pre" | "preview" | "rc" => "c",
            "-" => "final-",
            "dev" => "@",
            p => p,
        })
        .filter(|p| !p.is_empty() && *p != ".")
        .map(|p| {
            if p.as_bytes().first().is_some_and(u8::is_ascii_digit) {
                format!("{p:0>8}")
            } else {
                format!("*{p}")
            }
        })
        .chain(std::iter::once("*final".to_owned()));
    for part in mapped {
        if part.starts_with('*') {
            if part.as_str() < "*final" {
                while parts.last().is_some_and(|p| p == "*final-") {
                    parts.pop();
                }
            }
            while parts.last().is_some_and(|p| p == "00000000") {
                parts.pop();
            }
        }
        parts.push(part);
    }
    parts
}

pub(crate) fn parse(s: &str) -> PyVersion {
    match parse_pep440(s) {
        Some(v) => PyVersion::Pep440(v),
        None => PyVersion::Legacy(legacy_key(s)),
    }
}

fn cmp_seq(a: &[String], b: &[String]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let o = cmp_digits(
            a.get(i).map_or("0", String::as_str),
            b.get(i).map_or("0", String::as_str),
        );
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Pre-release slot: dev-only releases sort before all pre-releases, finals after them.
fn pre_key(v: &Pep440) -> (u8, u8, &str) {
    match (&v.pre, &v.post, &v.dev) {
        (None, None, Some(_)) => (0, 0, ""),
        (None, _, _) => (2, 0, ""),
        (Some((k, n)), _, _) => (1, *k, n.as_str()),
    }
}

fn cmp_local(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let xn = x.bytes().all(|c| c.is_ascii_digit());
        let yn = y.bytes().all(|c| c.is_ascii_digit());
        let o = match (xn, yn) {
            (true, true) => cmp_digits(x, y),
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

impl Pep440 {
    fn compare(&self, o: &Self) -> Ordering {
        cmp_digits(&self.epoch, &o.epoch)
            .then_with(|| cmp_seq(&self.release, &o.release))
            .then_with(|| {
                let (a, b) = (pre_key(self), pre_key(o));
                a.0.cmp(&b.0)
                    .then(a.1.cmp(&b.1))
                    .then_with(|| cmp_digits(a.2, b.2))
            })
            .then_with(|| match (&self.post, &o.post) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(a), Some(b)) => cmp_digits(a, b),
            })
            .then_with(|| match (&self.dev, &o.dev) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => cmp_digits(a, b),
            })
            .then_with(|| cmp_local(&self.local, &o.local))
    }
}

impl PyVersion {
    /// Whether the string was a valid PEP 440 version (as opposed to a legacy one).
    pub fn is_pep440(&self) -> bool {
        matches!(self, PyVersion::Pep440(_))
    }

    pub(crate) fn compare(&self, other: &Self) -> Ordering {
        match (self, other) {
            (PyVersion::Pep440(a), PyVersion::Pep440(b)) => a.compare(b),
            (PyVersion::Legacy(_), PyVersion::Pep440(_)) => Ordering::Less,
            (PyVersion::Pep440(_), PyVersion::Legacy(_)) => Ordering::Greater,
            (PyVersion::Legacy(a), PyVersion::Legacy(b)) => a.cmp(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        parse(a).compare(&parse(b))
    }

    #[test]
    fn pep440_order() {
        let order = [
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.1.dev1",
        ];
        for w in order.windows(2) {
            assert_eq!(cmp(w[0], w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
        }
        assert_eq!(cmp("1.0-1", "1.0.post1"), Ordering::Equal);
        assert_eq!(cmp("v1.0RC1", "1.0rc1"), Ordering::Equal);
        assert!(!parse("1.0.").is_pep440());
        assert!(!parse("1.0+").is_pep440());
        assert_eq!(cmp("0.1-bulbasaur", "0.1"), Ordering::Less);
    }
}
