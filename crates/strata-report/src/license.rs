//! Turning the license strings package managers write into SPDX license expressions.
//!
//! Only mappings that are certainly right are made: an SPDX identifier (in any case), a
//! deprecated SPDX identifier with one exact replacement (`GPL-2.0+`), a Debian DEP-5
//! short name (`GPL-2+`, `Expat`) or a Fedora legacy rpm name (`GPLv2+`, `ASL 2.0`), joined
//! by `AND`/`OR`/`WITH` and parentheses. Anything else (`BSD`, `Artistic`, `public-domain`,
//! free text) gives `None`, and printers fall back to `NOASSERTION` or a plain name.

/// Longest input considered; longer strings are not license expressions.
const MAX_INPUT: usize = 1024;
/// Deepest parenthesis nesting accepted.
const MAX_DEPTH: usize = 8;

/// SPDX license identifiers strata emits. Every entry is on the SPDX license list (a
/// test checks them against the list shipped with the CycloneDX schema).
pub(crate) const KNOWN_LICENSES: &[&str] = &[
    "0BSD",
    "AFL-2.1",
    "AFL-3.0",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "Apache-1.1",
    "Apache-2.0",
    "APSL-2.0",
    "Artistic-1.0",
    "Artistic-1.0-Perl",
    "Artistic-2.0",
    "Beerware",
    "BlueOak-1.0.0",
    "BSD-1-Clause",
    "BSD-2-Clause",
    "BSD-2-Clause-Patent",
    "BSD-3-Clause",
    "BSD-3-Clause-Clear",
    "BSD-4-Clause",
    "BSD-4-Clause-UC",
    "BSL-1.0",
    "bzip2-1.0.6",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC-BY-SA-3.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "CDDL-1.0",
    "CDDL-1.1",
    "CPL-1.0",
    "curl",
    "ECL-2.0",
    "EPL-1.0",
    "EPL-2.0",
    "EUPL-1.1",
    "EUPL-1.2",
    "FSFAP",
    "FSFUL",
    "FSFULLR",
    "FTL",
    "GFDL-1.1-only",
    "GFDL-1.1-or-later",
    "GFDL-1.2-only",
    "GFDL-1.2-or-later",
    "GFDL-1.3-only",
    "GFDL-1.3-or-later",
    "GPL-1.0-only",
    "GPL-1.0-or-later",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "HPND",
    "ICU",
    "IJG",
    "ISC",
    "LGPL-2.0-only",
    "LGPL-2.0-or-later",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "Libpng",
    "libpng-2.0",
    "libtiff",
    "LPPL-1.3c",
    "MIT",
    "MIT-0",
    "MPL-1.0",
    "MPL-1.1",
    "MPL-2.0",
    "MPL-2.0-no-copyleft-exception",
    "MS-PL",
    "MS-RL",
    "NCSA",
    "OFL-1.1",
    "OLDAP-2.8",
    "OpenSSL",
    "PHP-3.0",
    "PHP-3.01",
    "PostgreSQL",
    "PSF-2.0",
    "Python-2.0",
    "Ruby",
    "Sleepycat",
    "TCL",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "Unlicense",
    "UPL-1.0",
    "Vim",
    "W3C",
    "WTFPL",
    "X11",
    "Zlib",
    "zlib-acknowledgement",
    "ZPL-2.1",
];

/// SPDX license exception identifiers accepted after `WITH`.
pub(crate) const KNOWN_EXCEPTIONS: &[&str] = &[
    "Autoconf-exception-2.0",
    "Autoconf-exception-3.0",
    "Bison-exception-2.2",
    "Classpath-exception-2.0",
    "Font-exception-2.0",
    "GCC-exception-2.0",
    "GCC-exception-3.1",
    "Libtool-exception",
    "Linux-syscall-note",
    "LLVM-exception",
    "Qt-LGPL-exception-1.1",
    "u-boot-exception-2.0",
];

/// Names with exactly one SPDX meaning. Keys compare case-insensitively.
const ALIASES: &[(&str, &str)] = &[
    // Deprecated SPDX identifiers.
    ("GPL-1.0", "GPL-1.0-only"),
    ("GPL-1.0+", "GPL-1.0-or-later"),
    ("GPL-2.0", "GPL-2.0-only"),
    ("GPL-2.0+", "GPL-2.0-or-later"),
    ("GPL-3.0", "GPL-3.0-only"),
    ("GPL-3.0+", "GPL-3.0-or-later"),
    ("LGPL-2.0", "LGPL-2.0-only"),
    ("LGPL-2.0+", "LGPL-2.0-or-later"),
    ("LGPL-2.1", "LGPL-2.1-only"),
    ("LGPL-2.1+", "LGPL-2.1-or-later"),
    ("LGPL-3.0", "LGPL-3.0-only"),
    ("LGPL-3.0+", "LGPL-3.0-or-later"),
    ("AGPL-3.0", "AGPL-3.0-only"),
    // Debian DEP-5 short names.
    ("GPL-1", "GPL-1.0-only"),
    ("GPL-1+", "GPL-1.0-or-later"),
    ("GPL-2", "GPL-2.0-only"),
    ("GPL-2+", "GPL-2.0-or-later"),
    ("GPL-3", "GPL-3.0-only"),
    ("GPL-3+", "GPL-3.0-or-later"),
    ("LGPL-2", "LGPL-2.0-only"),
    ("LGPL-2+", "LGPL-2.0-or-later"),
    ("LGPL-3", "LGPL-3.0-only"),
    ("LGPL-3+", "LGPL-3.0-or-later"),
    ("AGPL-3", "AGPL-3.0-only"),
    ("AGPL-3+", "AGPL-3.0-or-later"),
    ("Expat", "MIT"),
    // Fedora legacy (pre-SPDX) rpm license names.
    ("GPLv2", "GPL-2.0-only"),
    ("GPLv2+", "GPL-2.0-or-later"),
    ("GPLv3", "GPL-3.0-only"),
    ("GPLv3+", "GPL-3.0-or-later"),
    ("LGPLv3", "LGPL-3.0-only"),
    ("LGPLv3+", "LGPL-3.0-or-later"),
    ("AGPLv3", "AGPL-3.0-only"),
    ("AGPLv3+", "AGPL-3.0-or-later"),
    ("ASL 2.0", "Apache-2.0"),
    ("MPLv1.1", "MPL-1.1"),
    ("MPLv2.0", "MPL-2.0"),
    ("Boost", "BSL-1.0"),
];

fn lookup(word: &str) -> Option<&'static str> {
    ALIASES
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(word))
        .map(|(_, v)| *v)
        .or_else(|| {
            KNOWN_LICENSES
                .iter()
                .find(|id| id.eq_ignore_ascii_case(word))
                .copied()
        })
}

fn lookup_exception(word: &str) -> Option<&'static str> {
    KNOWN_EXCEPTIONS
        .iter()
        .find(|id| id.eq_ignore_ascii_case(word))
        .copied()
}

/// A single SPDX license identifier for `raw`, when `raw` names exactly one license.
pub fn spdx_license_id(raw: &str) -> Option<&'static str> {
    let raw = raw.trim();
    if raw.len() > MAX_INPUT {
        return None;
    }
    let words: Vec<&str> = raw.split_whitespace().collect();
    match words.as_slice() {
        [w] => lookup(w),
        [a, b] => lookup(&format!("{a} {b}")),
        _ => None,
    }
}

/// A valid SPDX license expression for `raw`, normalised (canonical identifier case,
/// upper-case operators), or `None` when any part of it has no certain SPDX meaning.
pub fn spdx_license_expression(raw: &str) -> Option<String> {
    if raw.len() > MAX_INPUT {
        return None;
    }
    let tokens = tokenize(raw)?;
    if tokens.is_empty() {
        return None;
    }
    let mut p = Parser {
        tokens: &tokens,
        pos: 0,
    };
    let expr = p.or_expr(0)?;
    if p.pos != tokens.len() {
        return None;
    }
    Some(expr.text)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    With,
    Word(String),
}

fn tokenize(raw: &str) -> Option<Vec<Token>> {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in raw.chars() {
        if c == '(' || c == ')' || c.is_whitespace() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            if !c.is_whitespace() {
                words.push(c.to_string());
            }
        } else if c.is_ascii_graphic() {
            cur.push(c);
        } else {
            return None;
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let mut tokens = Vec::with_capacity(words.len());
    let mut i = 0;
    while let Some(w) = words.get(i) {
        let tok = match w.as_str() {
            "(" => Token::Open,
            ")" => Token::Close,
            x if x.eq_ignore_ascii_case("and") => Token::And,
            x if x.eq_ignore_ascii_case("or") => Token::Or,
            x if x.eq_ignore_ascii_case("with") => Token::With,
            x => {
                // Two-word legacy names such as `ASL 2.0`.
                if let Some(next) = words.get(i + 1) {
                    let pair = format!("{x} {next}");
                    if let Some(id) = ALIASES
                        .iter()
                        .find(|(k, _)| k.contains(' ') && k.eq_ignore_ascii_case(&pair))
                        .map(|(_, v)| *v)
                    {
                        tokens.push(Token::Word(id.to_owned()));
                        i += 2;
                        continue;
                    }
                }
                Token::Word(x.to_owned())
            }
        };
        tokens.push(tok);
        i += 1;
    }
    Some(tokens)
}

struct Expr {
    text: String,
    /// The operator at the top level of `text` (outside parentheses), if any.
    top: Option<Op>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    And,
    Or,
}

struct Parser<'a> {
    tokens: &'a [Token],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn or_expr(&mut self, depth: usize) -> Option<Expr> {
        let first = self.and_expr(depth)?;
        let mut parts = vec![first];
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            parts.push(self.and_expr(depth)?);
        }
        Some(join(parts, Op::Or))
    }

    fn and_expr(&mut self, depth: usize) -> Option<Expr> {
        let first = self.with_expr(depth)?;
        let mut parts = vec![first];
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            parts.push(self.with_expr(depth)?);
        }
        // AND binds tighter than OR: an OR operand needs its parentheses back.
        if parts.len() == 1 {
            return Some(join(parts, Op::And));
        }
        let parts = parts
            .into_iter()
            .map(|e| {
                if e.top == Some(Op::Or) {
                    Expr {
                        text: format!("({})", e.text),
                        top: None,
                    }
                } else {
                    e
                }
            })
            .collect();
        Some(join(parts, Op::And))
    }

    fn with_expr(&mut self, depth: usize) -> Option<Expr> {
        let base = self.primary(depth)?;
        if self.peek() == Some(&Token::With) {
            self.pos += 1;
            // Only a single license may carry an exception.
            if base.top.is_some() {
                return None;
            }
            let Some(Token::Word(w)) = self.peek() else {
                return None;
            };
            let exc = lookup_exception(w)?;
            self.pos += 1;
            return Some(Expr {
                text: format!("{} WITH {exc}", base.text),
                top: None,
            });
        }
        Some(base)
    }

    fn primary(&mut self, depth: usize) -> Option<Expr> {
        match self.peek()? {
            Token::Open => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.pos += 1;
                let inner = self.or_expr(depth + 1)?;
                if self.peek() != Some(&Token::Close) {
                    return None;
                }
                self.pos += 1;
                Some(inner)
            }
            Token::Word(w) => {
                let id = lookup(w)?;
                self.pos += 1;
                Some(Expr {
                    text: id.to_owned(),
                    top: None,
                })
            }
            _ => None,
        }
    }
}

fn join(parts: Vec<Expr>, op: Op) -> Expr {
    if parts.len() == 1 {
        if let Some(e) = parts.into_iter().next() {
            return e;
        }
        return Expr {
            text: String::new(),
            top: None,
        };
    }
    let mut text = String::new();
    for (i, p) in parts.into_iter().enumerate() {
        if i > 0 {
            text.push_str(match op {
                Op::And => " AND ",
                Op::Or => " OR ",
            });
        }
        // Inside an OR list, AND operands keep their meaning without parentheses; inside
        // an AND list, OR operands were already parenthesised by `and_expr`.
        text.push_str(&p.text);
    }
    Expr {
        text,
        top: Some(op),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_certain_names() {
        let cases = [
            ("MIT", Some("MIT")),
            ("mit", Some("MIT")),
            ("GPL-2+", Some("GPL-2.0-or-later")),
            ("GPL-2", Some("GPL-2.0-only")),
            ("GPLv2+", Some("GPL-2.0-or-later")),
            ("ASL 2.0", Some("Apache-2.0")),
            ("BSD-3-clause", Some("BSD-3-Clause")),
            ("Expat", Some("MIT")),
            ("GPL-2.0+", Some("GPL-2.0-or-later")),
            ("BSD", None),
            ("Artistic", None),
            ("public-domain", None),
            ("Public Domain", None),
            ("", None),
            ("LicenseRef-foo", None),
        ];
        for (raw, want) in cases {
            assert_eq!(
                spdx_license_expression(raw).as_deref(),
                want,
                "expression {raw:?}"
            );
            assert_eq!(spdx_license_id(raw), want, "id {raw:?}");
        }
    }

    #[test]
    fn compound_expressions() {
        let cases = [
            (
                "GPLv2+ and LGPLv3+",
                Some("GPL-2.0-or-later AND LGPL-3.0-or-later"),
            ),
            ("ASL 2.0 or MIT", Some("Apache-2.0 OR MIT")),
            (
                "MIT AND (Apache-2.0 OR BSD-2-Clause)",
                Some("MIT AND (Apache-2.0 OR BSD-2-Clause)"),
            ),
            ("(MIT)", Some("MIT")),
            ("((MIT OR ISC))", Some("MIT OR ISC")),
            ("MIT OR ISC AND Zlib", Some("MIT OR ISC AND Zlib")),
            ("(MIT OR ISC) AND Zlib", Some("(MIT OR ISC) AND Zlib")),
            (
                "GPL-2.0-or-later WITH Classpath-exception-2.0",
                Some("GPL-2.0-or-later WITH Classpath-exception-2.0"),
            ),
            ("GPLv2+ and BSD", None),
            ("GPL-2+ with OpenSSL exception", None),
            ("(MIT OR ISC) WITH LLVM-exception", None),
            ("MIT AND", None),
            ("AND MIT", None),
            ("(MIT", None),
            ("MIT)", None),
            ("MIT, BSD", None),
            ("((((((((((MIT))))))))))", None),
        ];
        for (raw, want) in cases {
            assert_eq!(spdx_license_expression(raw).as_deref(), want, "{raw:?}");
            if let Some(w) = want {
                // Normalised output parses to itself.
                assert_eq!(spdx_license_expression(w).as_deref(), Some(w));
            }
        }
        assert_eq!(spdx_license_id("MIT AND ISC"), None);
    }

    #[test]
    fn known_ids_are_on_the_spdx_list() {
        // The SPDX license list as shipped with the CycloneDX schema (see tests/schemas).
        let list: serde_json::Value =
            serde_json::from_str(include_str!("../tests/schemas/spdx.SNAPSHOT.schema.json"))
                .unwrap();
        let ids: Vec<&str> = list["enum"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        assert!(ids.len() > 500);
        for id in KNOWN_LICENSES.iter().chain(KNOWN_EXCEPTIONS) {
            assert!(ids.contains(id), "{id} is not on the SPDX list");
        }
    }

    #[test]
    fn known_lists_are_sorted_case_insensitively_unique() {
        let mut seen = std::collections::HashSet::new();
        for id in KNOWN_LICENSES.iter().chain(KNOWN_EXCEPTIONS) {
            assert!(seen.insert(id.to_ascii_lowercase()), "duplicate {id}");
        }
        for (_, v) in ALIASES {
            assert!(KNOWN_LICENSES.contains(v), "alias target {v} not known");
        }
    }
}
