//! Maven versions, ordered like `org.apache.maven.artifact.versioning.ComparableVersion`
//! (maven-artifact 3.8): the lower-cased string is split into items at `.`, at `-` and at
//! digit/letter transitions (the last two open a nested list), trailing null items are
//! removed from every list, and lists compare item by item, padding with null.
//!
//! Items: numbers (any length), qualifiers (`alpha` < `beta` < `milestone` < `rc` =`cr` <
//! `snapshot` < `""` = `ga` = `final` = `release` < `sp` < unknown, unknown ones
//! alphabetically; `a1`, `b1`, `m1` mean `alpha-1`, `beta-1`, `milestone-1`) and lists.
//! Only ASCII digits count as digits.
//!
//! Like `ComparableVersion` itself, this ordering is antisymmetric but NOT transitive in
//! some corner cases, and the reference vectors pin those cases down: the generated chain
//! `2.9.0.RC3 < 2.9.0 < 2.9.0-1 < 2.9.0.RC1` (a number beats a nested list, so
//! `2.9.0-1 < 2.9.0.RC1`) cannot hold in any total order, as `RC1 < RC3`. Compare pairs
//! (as range matching does); sorting a set that mixes such versions may not yield a
//! consistent order.
//!
//! Because a nested list is always the last item of its parent, a version is stored as a
//! chain of segments (`segments[k + 1]` is the list nested at the end of `segments[k]`),
//! which keeps parsing and comparison iterative.

use std::cmp::Ordering;

use crate::util::{cmp_digits, strip_zeros};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Atom {
    Int(String),
    Qualifier(String),
}

const QUALIFIERS: &[&str] = &["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
/// `comparableQualifier("")`: the rank of a release.
const RELEASE: &str = "5";

fn comparable_qualifier(q: &str) -> String {
    match QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => i.to_string(),
        None => format!("{}-{q}", QUALIFIERS.len()),
    }
}

impl Atom {
    fn qualifier(value: &str, followed_by_digit: bool) -> Atom {
        let v = match value {
            "a" if followed_by_digit => "alpha",
            "b" if followed_by_digit => "beta",
            "m" if followed_by_digit => "milestone",
            "ga" | "final" | "release" => "",
            "cr" => "rc",
            v => v,
        };
        Atom::Qualifier(v.to_owned())
    }

    fn item(is_digit: bool, buf: &str) -> Atom {
        if is_digit {
            Atom::Int(strip_zeros(buf).to_owned())
        } else {
            Atom::qualifier(buf, false)
        }
    }

    fn is_null(&self) -> bool {
        match self {
            Atom::Int(v) => v == "0",
            Atom::Qualifier(q) => q.is_empty(),
        }
    }

    /// `compareTo(null)`: against a missing item.
    fn cmp_null(&self) -> Ordering {
        match self {
            Atom::Int(v) if v == "0" => Ordering::Equal,
            Atom::Int(_) => Ordering::Greater,
            Atom::Qualifier(q) => comparable_qualifier(q).as_str().cmp(RELEASE),
        }
    }

    fn cmp(&self, other: &Atom) -> Ordering {
        match (self, other) {
            (Atom::Int(a), Atom::Int(b)) => cmp_digits(a, b),
            (Atom::Int(_), Atom::Qualifier(_)) => Ordering::Greater,
            (Atom::Qualifier(_), Atom::Int(_)) => Ordering::Less,
            (Atom::Qualifier(a), Atom::Qualifier(b)) => {
                comparable_qualifier(a).cmp(&comparable_qualifier(b))
            }
        }
    }
}

/// A parsed Maven version.
#[derive(Debug, Clone)]
pub struct MavenVersion {
    segments: Vec<Vec<Atom>>,
}

pub(crate) fn parse(s: &str) -> MavenVersion {
    let v = s.to_lowercase();
    let mut segs: Vec<Vec<Atom>> = vec![Vec::new()];
    fn push(segs: &mut [Vec<Atom>], a: Atom) {
        if let Some(cur) = segs.last_mut() {
            cur.push(a);
        }
    }
    let mut is_digit = false;
    let mut start = 0;
    for (i, c) in v.char_indices() {
        let buf = v.get(start..i).unwrap_or_default();
        if c == '.' || c == '-' {
            if i == start {
                push(&mut segs, Atom::Int("0".to_owned()));
            } else {
                push(&mut segs, Atom::item(is_digit, buf));
            }
            start = i + 1;
            if c == '-' {
                segs.push(Vec::new());
            }
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                push(&mut segs, Atom::qualifier(buf, true));
                start = i;
                segs.push(Vec::new());
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                push(&mut segs, Atom::item(true, buf));
                start = i;
                segs.push(Vec::new());
            }
            is_digit = false;
        }
    }
    if v.len() > start {
        push(
            &mut segs,
            Atom::item(is_digit, v.get(start..).unwrap_or_default()),
        );
    }
    // normalize(), innermost list first: drop an empty nested list, then trailing nulls.
    for k in (0..segs.len()).rev() {
        if k + 2 == segs.len() && segs.last().is_some_and(Vec::is_empty) {
            segs.pop();
        }
        if let Some(seg) = segs.get_mut(k) {
            while seg.last().is_some_and(Atom::is_null) {
                seg.pop();
            }
        }
    }
    // A nested list left with nothing but its own nested list is the same as that list
    // (`1-ga-1` = `1-1`, as Maven 3.9 orders them).
    let last = segs.len().saturating_sub(1);
    let segments = segs
        .into_iter()
        .enumerate()
        .filter(|(k, seg)| *k == 0 || *k == last || !seg.is_empty())
        .map(|(_, seg)| seg)
        .collect::<Vec<_>>();
    MavenVersion { segments }
}

/// The item at one position of a list.
#[derive(Clone, Copy)]
enum Slot<'a> {
    Atom(&'a Atom),
    List,
    Missing,
}

fn slot(segs: &[Vec<Atom>], k: usize, i: usize) -> Slot<'_> {
    let seg = segs.get(k).map(Vec::as_slice).unwrap_or_default();
    match seg.get(i) {
        Some(a) => Slot::Atom(a),
        None if i == seg.len() && k + 1 < segs.len() => Slot::List,
        None => Slot::Missing,
    }
}

/// `ListItem.compareTo(null)` for the list `segs[k]`: its first item decides.
fn list_cmp_null(segs: &[Vec<Atom>], mut k: usize) -> Ordering {
    loop {
        match slot(segs, k, 0) {
            Slot::Atom(a) => return a.cmp_null(),
            Slot::List => k += 1,
            Slot::Missing => return Ordering::Equal,
        }
    }
}

impl MavenVersion {
    pub(crate) fn compare(&self, other: &Self) -> Ordering {
        let (a, b) = (&self.segments, &other.segments);
        let mut k = 0;
        'depth: loop {
            let la = a.get(k).map_or(0, Vec::len) + usize::from(k + 1 < a.len());
            let lb = b.get(k).map_or(0, Vec::len) + usize::from(k + 1 < b.len());
            for i in 0..la.max(lb) {
                let o = match (slot(a, k, i), slot(b, k, i)) {
                    (Slot::Atom(x), Slot::Atom(y)) => x.cmp(y),
                    (Slot::Atom(Atom::Int(_)), Slot::List) => Ordering::Greater,
                    (Slot::Atom(Atom::Qualifier(_)), Slot::List) => Ordering::Less,
                    (Slot::List, Slot::Atom(Atom::Int(_))) => Ordering::Less,
                    (Slot::List, Slot::Atom(Atom::Qualifier(_))) => Ordering::Greater,
                    (Slot::List, Slot::List) => {
                        k += 1;
                        continue 'depth;
                    }
                    (Slot::Atom(x), Slot::Missing) => x.cmp_null(),
                    (Slot::Missing, Slot::Atom(y)) => y.cmp_null().reverse(),
                    (Slot::List, Slot::Missing) => list_cmp_null(a, k + 1),
                    (Slot::Missing, Slot::List) => list_cmp_null(b, k + 1).reverse(),
                    (Slot::Missing, Slot::Missing) => Ordering::Equal,
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
            return Ordering::Equal;
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
    fn comparable_version_examples() {
        assert_eq!(cmp("1-alpha-1", "1a1"), Ordering::Equal);
        assert_eq!(cmp("1.0-SNAPSHOT", "1.0"), Ordering::Less);
        assert_eq!(cmp("1.0", "1.0-sp"), Ordering::Less);
        assert_eq!(cmp("1.ga", "1"), Ordering::Equal);
        assert_eq!(cmp("2.0.1-xyz", "2.0.1-123"), Ordering::Less);
        assert_eq!(cmp("1.0a", "1-a"), Ordering::Equal);
        // ComparableVersion's own cycle, kept for fidelity (see the module docs).
        assert_eq!(cmp("2.9.0-1", "2.9.0.RC1"), Ordering::Less);
        assert_eq!(cmp("2.9.0.RC1", "2.9"), Ordering::Less);
        assert_eq!(cmp("2.9", "2.9.0-1"), Ordering::Less);
        let deep = "1-".repeat(500);
        assert_eq!(cmp(&deep, &deep), Ordering::Equal);
    }
}
