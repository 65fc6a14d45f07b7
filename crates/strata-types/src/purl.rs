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

#[cfg(test)]
mod tests {
    use super::*;

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
