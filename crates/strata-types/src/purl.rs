//! package-url construction (<https://github.com/package-url/purl-spec>).

use std::fmt::Write;

/// Builds a purl string. Qualifiers are sorted by key and empty values dropped, as the
/// specification's canonical form requires.
#[derive(Debug, Clone)]
pub struct PurlBuilder<'a> {
    ty: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
    version: Option<&'a str>,
    qualifiers: Vec<(&'a str, String)>,
    subpath: Option<&'a str>,
}

impl<'a> PurlBuilder<'a> {
    pub fn new(ty: &'a str, name: &'a str) -> Self {
        PurlBuilder {
            ty,
            namespace: None,
            name,
            version: None,
            qualifiers: Vec::new(),
            subpath: None,
        }
    }

    pub fn namespace(mut self, ns: &'a str) -> Self {
        if !ns.is_empty() {
            self.namespace = Some(ns);
        }
        self
    }

    pub fn version(mut self, v: &'a str) -> Self {
        if !v.is_empty() {
            self.version = Some(v);
        }
        self
    }

    pub fn qualifier(mut self, key: &'a str, value: impl Into<String>) -> Self {
        let value = value.into();
        if !value.is_empty() {
            self.qualifiers.push((key, value));
        }
        self
    }

    pub fn subpath(mut self, subpath: &'a str) -> Self {
        if !subpath.is_empty() {
            self.subpath = Some(subpath);
        }
        self
    }

    pub fn build(mut self) -> String {
        let mut out = String::with_capacity(64);
        out.push_str("pkg:");
        out.push_str(&self.ty.to_ascii_lowercase());
        out.push('/');
        if let Some(ns) = self.namespace {
            for (i, seg) in ns.split('/').filter(|s| !s.is_empty()).enumerate() {
                if i > 0 {
                    out.push('/');
                }
                encode_into(&mut out, seg, false);
            }
            out.push('/');
        }
        encode_into(&mut out, self.name, false);
        if let Some(v) = self.version {
            out.push('@');
            encode_into(&mut out, v, false);
        }
        if !self.qualifiers.is_empty() {
            self.qualifiers.sort_by(|a, b| a.0.cmp(b.0));
            out.push('?');
            for (i, (k, v)) in self.qualifiers.iter().enumerate() {
                if i > 0 {
                    out.push('&');
                }
                out.push_str(&k.to_ascii_lowercase());
                out.push('=');
                encode_into(&mut out, v, true);
            }
        }
        if let Some(sp) = self.subpath {
            out.push('#');
            for (i, seg) in sp.split('/').filter(|s| !s.is_empty()).enumerate() {
                if i > 0 {
                    out.push('/');
                }
                encode_into(&mut out, seg, false);
            }
        }
        out
    }
}

/// Percent-encodes everything but unreserved characters. `:` stays as is (the spec
/// allows it unencoded everywhere), and `/` is kept inside qualifier values.
fn encode_into(out: &mut String, s: &str, qualifier_value: bool) {
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~' | b':')
            || (qualifier_value && b == b'/');
        if keep {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// A parsed purl. Components are percent-decoded; the type is lowercased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    pub ty: String,
    /// Segments joined with `/` (`@angular`, `github.com/pkg`), empty when absent.
    pub namespace: String,
    pub name: String,
    pub version: Option<String>,
    /// In the order written, keys lowercased.
    pub qualifiers: Vec<(String, String)>,
    pub subpath: Option<String>,
}

/// Why a string is not a purl.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a package URL ({reason}): {purl:.200}")]
pub struct PurlError {
    pub purl: String,
    pub reason: &'static str,
}

impl Purl {
    /// Parses `pkg:type/namespace/name@version?qualifiers#subpath` as the purl
    /// specification reads it (right to left: subpath, qualifiers, version, name).
    pub fn parse(s: &str) -> Result<Purl, PurlError> {
        let err = |reason| PurlError {
            purl: s.to_owned(),
            reason,
        };
        let rest = s
            .strip_prefix("pkg:")
            .ok_or_else(|| err("does not start with pkg:"))?;
        let rest = rest.trim_start_matches('/');
        let (rest, subpath) = match rest.split_once('#') {
            Some((r, sp)) => (r, Some(sp)),
            None => (rest, None),
        };
        let (rest, qualifiers) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (ty, path) = rest.split_once('/').ok_or_else(|| err("no name"))?;
        if ty.is_empty()
            || !ty
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'))
        {
            return Err(err("invalid type"));
        }
        let path = path.trim_end_matches('/');
        // The version starts at the last `@` of the path (`@` in a scope is encoded or
        // comes before a `/`).
        let (path, version) = match path.rsplit_once('@') {
            Some((p, v)) if !p.is_empty() && !p.ends_with('/') => (p, Some(v)),
            _ => (path, None),
        };
        let mut segments: Vec<String> = Vec::new();
        for seg in path.split('/').filter(|x| !x.is_empty()) {
            segments.push(decode(seg).ok_or_else(|| err("invalid percent-encoding"))?);
        }
        let name = segments.pop().ok_or_else(|| err("no name"))?;
        let version = match version {
            Some(v) if !v.is_empty() => {
                Some(decode(v).ok_or_else(|| err("invalid percent-encoding"))?)
            }
            _ => None,
        };
        let mut quals = Vec::new();
        for pair in qualifiers
            .unwrap_or("")
            .split('&')
            .filter(|x| !x.is_empty())
        {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| err("qualifier without ="))?;
            let v = decode(v).ok_or_else(|| err("invalid percent-encoding"))?;
            if !v.is_empty() {
                quals.push((k.to_ascii_lowercase(), v));
            }
        }
        let subpath = match subpath {
            Some(sp) => {
                let mut parts = Vec::new();
                for seg in sp
                    .split('/')
                    .filter(|x| !x.is_empty() && *x != "." && *x != "..")
                {
                    parts.push(decode(seg).ok_or_else(|| err("invalid percent-encoding"))?);
                }
                (!parts.is_empty()).then(|| parts.join("/"))
            }
            None => None,
        };
        Ok(Purl {
            ty: ty.to_ascii_lowercase(),
            namespace: segments.join("/"),
            name,
            version,
            qualifiers: quals,
            subpath,
        })
    }

    /// The value of qualifier `key`.
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Percent-decoding; `None` for a broken escape or bytes that are not UTF-8.
fn decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_owned());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips_what_the_builder_writes() {
        let built = PurlBuilder::new("deb", "libc6")
            .namespace("debian")
            .version("2.36-9+deb12u4")
            .qualifier("distro", "debian-12")
            .qualifier("arch", "amd64")
            .qualifier("upstream", "glibc")
            .build();
        let p = Purl::parse(&built).unwrap();
        assert_eq!(p.ty, "deb");
        assert_eq!(p.namespace, "debian");
        assert_eq!(p.name, "libc6");
        assert_eq!(p.version.as_deref(), Some("2.36-9+deb12u4"));
        assert_eq!(p.qualifier("upstream"), Some("glibc"));
        assert_eq!(p.qualifier("distro"), Some("debian-12"));
    }

    #[test]
    fn parse_scopes_namespaces_and_subpaths() {
        let p = Purl::parse("pkg:npm/%40angular/core@16.0.0").unwrap();
        assert_eq!(
            (p.namespace.as_str(), p.name.as_str()),
            ("@angular", "core")
        );
        let p = Purl::parse("pkg:npm/@babel/core@7.0.0").unwrap();
        assert_eq!((p.namespace.as_str(), p.name.as_str()), ("@babel", "core"));
        assert_eq!(p.version.as_deref(), Some("7.0.0"));
        let p = Purl::parse("pkg:golang/github.com/gorilla/mux@v1.8.0#api/v2").unwrap();
        assert_eq!(p.namespace, "github.com/gorilla");
        assert_eq!(p.subpath.as_deref(), Some("api/v2"));
        let p =
            Purl::parse("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar").unwrap();
        assert_eq!(p.qualifier("type"), Some("jar"));
        let p = Purl::parse("pkg:PyPI/Jinja2").unwrap();
        assert_eq!((p.ty.as_str(), p.version), ("pypi", None));
    }

    #[test]
    fn parse_rejects_what_is_not_a_purl() {
        for bad in [
            "",
            "npm/x@1",
            "pkg:",
            "pkg:npm",
            "pkg:npm/",
            "pkg:n pm/x",
            "pkg:npm/x%zz",
            "pkg:npm/x?a",
        ] {
            assert!(Purl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn deb_purl_matches_common_form() {
        let p = PurlBuilder::new("deb", "libc6")
            .namespace("debian")
            .version("2.36-9+deb12u4")
            .qualifier("distro", "debian-12")
            .qualifier("arch", "amd64")
            .qualifier("upstream", "glibc")
            .build();
        assert_eq!(
            p,
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc"
        );
    }

    #[test]
    fn empty_parts_are_dropped() {
        let p = PurlBuilder::new("npm", "left pad")
            .namespace("")
            .version("")
            .qualifier("arch", "")
            .build();
        assert_eq!(p, "pkg:npm/left%20pad");
    }

    #[test]
    fn scoped_npm_namespace_is_encoded() {
        let p = PurlBuilder::new("npm", "core")
            .namespace("@babel")
            .version("7.0.0")
            .build();
        assert_eq!(p, "pkg:npm/%40babel/core@7.0.0");
    }
}
