//! Image references parsed the way Docker parses them.
//!
//! `debian` means `docker.io/library/debian:latest`; `localhost:5000/team/app:1.2` names
//! a registry because its first component has a port; `[::1]:5000/x` is an IPv6 registry.
//! A reference may carry a tag, a digest (`@sha256:...`), or both (then the digest wins
//! when pulling).

use std::fmt;

use strata_types::Digest;

/// The domain Docker uses for Docker Hub in names.
pub const DOCKER_HUB_DOMAIN: &str = "docker.io";
/// The host that serves Docker Hub's registry API.
pub const DOCKER_HUB_API_HOST: &str = "registry-1.docker.io";
/// The key Docker Hub credentials are stored under in `~/.docker/config.json`.
pub const DOCKER_HUB_CONFIG_KEY: &str = "https://index.docker.io/v1/";

/// Longest reference accepted, in bytes (names are limited to 255 by Docker).
const MAX_REFERENCE_LEN: usize = 4096;
const MAX_NAME_LEN: usize = 255;
const MAX_TAG_LEN: usize = 128;

/// A parsed, normalised image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// The registry as named (`docker.io`, `localhost:5000`, `[::1]:5000`).
    pub domain: String,
    /// The repository path (`library/debian`, `team/app`).
    pub repository: String,
    /// The tag, `latest` when neither a tag nor a digest was given.
    pub tag: Option<String>,
    /// The digest after `@`, when given.
    pub digest: Option<Digest>,
}

/// Why a string is not a valid image reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("invalid image reference {input:?}: the reference is empty")]
    Empty { input: String },
    #[error("invalid image reference: longer than {MAX_REFERENCE_LEN} bytes")]
    TooLong,
    #[error(
        "invalid image reference {input:?}: repository name is longer than {MAX_NAME_LEN} characters"
    )]
    NameTooLong { input: String },
    #[error("invalid image reference {input:?}: repository name must be lowercase")]
    Uppercase { input: String },
    #[error(
        "invalid image reference {input:?}: path component {component:?} is not valid \
         (lowercase letters, digits and single separators `.`, `_`, `__`, `-` between them)"
    )]
    BadComponent { input: String, component: String },
    #[error("invalid image reference {input:?}: registry {domain:?} is not a valid host[:port]")]
    BadDomain { input: String, domain: String },
    #[error(
        "invalid image reference {input:?}: tag {tag:?} is not valid \
         (letters, digits, `_`, `.`, `-`; at most 128 characters; not starting with `.` or `-`)"
    )]
    BadTag { input: String, tag: String },
    #[error("invalid image reference {input:?}: digest: {message}")]
    BadDigest { input: String, message: String },
    #[error(
        "invalid image reference {input:?}: a 64-character hexadecimal string is an image ID, \
         not a repository name"
    )]
    HexName { input: String },
}

impl Reference {
    /// Parses a reference as `docker pull` would, filling in Docker Hub, `library/`
    /// and the `latest` tag.
    pub fn parse(input: &str) -> Result<Reference, ReferenceError> {
        if input.len() > MAX_REFERENCE_LEN {
            return Err(ReferenceError::TooLong);
        }
        let owned = || input.to_owned();
        if input.is_empty() {
            return Err(ReferenceError::Empty { input: owned() });
        }

        // Digest: everything after the first '@'.
        let (name_and_tag, digest) = match input.split_once('@') {
            Some((left, d)) => {
                let digest: Digest = d.parse().map_err(|e: strata_types::DigestError| {
                    ReferenceError::BadDigest {
                        input: owned(),
                        message: e.to_string(),
                    }
                })?;
                (left, Some(digest))
            }
            None => (input, None),
        };
        if name_and_tag.is_empty() {
            return Err(ReferenceError::Empty { input: owned() });
        }

        // Tag: after the last ':' that comes after the last '/'.
        let last_slash = name_and_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_and_tag
            .get(last_slash..)
            .and_then(|tail| tail.rfind(':'))
        {
            Some(colon) => {
                let at = last_slash + colon;
                let tag = name_and_tag.get(at + 1..).unwrap_or_default();
                (name_and_tag.get(..at).unwrap_or_default(), Some(tag))
            }
            None => (name_and_tag, None),
        };
        if let Some(tag) = tag
            && !valid_tag(tag)
        {
            return Err(ReferenceError::BadTag {
                input: owned(),
                tag: tag.to_owned(),
            });
        }
        if name.is_empty() {
            return Err(ReferenceError::Empty { input: owned() });
        }

        // Domain: the first component if it looks like a host.
        let (domain, remainder) = match name.split_once('/') {
            Some((first, rest))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.bytes().any(|b| b.is_ascii_uppercase()) =>
            {
                (first.to_owned(), rest)
            }
            _ => (DOCKER_HUB_DOMAIN.to_owned(), name),
        };
        if !valid_domain(&domain) {
            return Err(ReferenceError::BadDomain {
                input: owned(),
                domain,
            });
        }
        let domain = if domain == "index.docker.io" {
            DOCKER_HUB_DOMAIN.to_owned()
        } else {
            domain
        };

        if remainder.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(ReferenceError::Uppercase { input: owned() });
        }
        for component in remainder.split('/') {
            if !valid_component(component) {
                return Err(ReferenceError::BadComponent {
                    input: owned(),
                    component: component.to_owned(),
                });
            }
        }
        if domain == DOCKER_HUB_DOMAIN
            && remainder.len() == 64
            && remainder.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(ReferenceError::HexName { input: owned() });
        }
        let repository = if domain == DOCKER_HUB_DOMAIN && !remainder.contains('/') {
            format!("library/{remainder}")
        } else {
            remainder.to_owned()
        };
        if domain.len() + 1 + repository.len() > MAX_NAME_LEN {
            return Err(ReferenceError::NameTooLong { input: owned() });
        }

        let tag = match (tag, &digest) {
            (Some(t), _) => Some(t.to_owned()),
            (None, None) => Some("latest".to_owned()),
            (None, Some(_)) => None,
        };
        Ok(Reference {
            domain,
            repository,
            tag,
            digest,
        })
    }

    /// The host (and port) that serves the registry API: `registry-1.docker.io` for
    /// Docker Hub, the domain otherwise.
    pub fn api_host(&self) -> &str {
        if self.domain == DOCKER_HUB_DOMAIN {
            DOCKER_HUB_API_HOST
        } else {
            &self.domain
        }
    }

    /// The host without the port, brackets removed for IPv6 (`::1`).
    pub fn hostname(&self) -> &str {
        host_without_port(&self.domain)
    }

    /// What to put after `/manifests/`: the digest if given, else the tag.
    pub fn manifest_reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".to_owned(),
        }
    }

    /// `domain/repository`, without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.repository)
    }

    /// The short form Docker shows (`debian:12`, `localhost:5000/app:1`).
    pub fn familiar(&self) -> String {
        let mut s = if self.domain == DOCKER_HUB_DOMAIN {
            self.repository
                .strip_prefix("library/")
                .unwrap_or(&self.repository)
                .to_owned()
        } else {
            self.name()
        };
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(&d.to_string());
        }
        s
    }
}

impl fmt::Display for Reference {
    /// The fully qualified form: `docker.io/library/debian:12`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.domain, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Reference {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reference::parse(s)
    }
}

/// `host:port` -> `host`, `[::1]:5000` -> `::1`.
pub(crate) fn host_without_port(domain: &str) -> &str {
    if let Some(rest) = domain.strip_prefix('[') {
        return rest.split_once(']').map_or(rest, |(h, _)| h);
    }
    domain.split_once(':').map_or(domain, |(h, _)| h)
}

fn valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    match b.first() {
        None => false,
        Some(first) => {
            (first.is_ascii_alphanumeric() || *first == b'_')
                && b.len() <= MAX_TAG_LEN
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
        }
    }
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    let mut i = 0;
    let mut expect_alnum = true;
    if b.is_empty() {
        return false;
    }
    while i < b.len() {
        let Some(&x) = b.get(i) else { return false };
        if alnum(x) {
            expect_alnum = false;
            i += 1;
            continue;
        }
        if expect_alnum {
            return false;
        }
        // A separator: '.', '_', '__' or one or more '-'.
        let sep_len = match x {
            b'.' => 1,
            b'_' => {
                if b.get(i + 1) == Some(&b'_') {
                    2
                } else {
                    1
                }
            }
            b'-' => b.iter().skip(i).take_while(|&&c| c == b'-').count(),
            _ => return false,
        };
        i += sep_len;
        expect_alnum = true;
    }
    !expect_alnum
}

/// `host[:port]` where host is DNS labels or `[ipv6]`.
fn valid_domain(domain: &str) -> bool {
    let (host, port) = if let Some(rest) = domain.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return false;
        };
        if v6.is_empty() || !v6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return false;
        }
        match after {
            "" => return true,
            p => match p.strip_prefix(':') {
                Some(port) => (None, Some(port)),
                None => return false,
            },
        }
    } else {
        match domain.split_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(domain), None),
        }
    };
    if let Some(port) = port
        && (port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    match host {
        None => true,
        Some(h) => {
            !h.is_empty()
                && h.split('.').all(|label| {
                    let lb = label.as_bytes();
                    !lb.is_empty()
                        && lb.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
                        && lb.first() != Some(&b'-')
                        && lb.last() != Some(&b'-')
                })
        }
    }
}

/// Fuzz entry point: the reference parser must never panic.
pub fn fuzz_reference(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(r) = Reference::parse(s)
    {
        // A parsed reference prints back to something that parses to the same value.
        let again = Reference::parse(&r.to_string());
        debug_assert_eq!(again.as_ref().ok(), Some(&r));
        let _ = (
            r.familiar(),
            r.api_host(),
            r.hostname(),
            r.manifest_reference(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn valid_references() {
        // input, domain, repository, tag, digest
        type Case<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, Option<&'a str>);
        let cases: &[Case<'_>] = &[
            (
                "debian",
                "docker.io",
                "library/debian",
                Some("latest"),
                None,
            ),
            ("debian:12", "docker.io", "library/debian", Some("12"), None),
            (
                "library/debian:12",
                "docker.io",
                "library/debian",
                Some("12"),
                None,
            ),
            (
                "docker.io/debian",
                "docker.io",
                "library/debian",
                Some("latest"),
                None,
            ),
            (
                "index.docker.io/debian",
                "docker.io",
                "library/debian",
                Some("latest"),
                None,
            ),
            (
                "docker.io/bitnami/redis:7.2",
                "docker.io",
                "bitnami/redis",
                Some("7.2"),
                None,
            ),
            (
                "localhost:5000/team/app:1.2",
                "localhost:5000",
                "team/app",
                Some("1.2"),
                None,
            ),
            ("localhost/app", "localhost", "app", Some("latest"), None),
            (
                "127.0.0.1:5000/x",
                "127.0.0.1:5000",
                "x",
                Some("latest"),
                None,
            ),
            ("[::1]:5000/x", "[::1]:5000", "x", Some("latest"), None),
            ("[::1]/x:v1", "[::1]", "x", Some("v1"), None),
            (
                "ghcr.io/owner/img:v1.0-rc_1",
                "ghcr.io",
                "owner/img",
                Some("v1.0-rc_1"),
                None,
            ),
            ("Registry/app", "Registry", "app", Some("latest"), None),
            (
                "quay.io/a__b/c-d--e.f",
                "quay.io",
                "a__b/c-d--e.f",
                Some("latest"),
                None,
            ),
            ("x/y/z/w", "docker.io", "x/y/z/w", Some("latest"), None),
        ];
        for (input, domain, repo, tag, digest) in cases {
            let r = Reference::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(r.domain, *domain, "{input}");
            assert_eq!(r.repository, *repo, "{input}");
            assert_eq!(r.tag.as_deref(), *tag, "{input}");
            assert_eq!(
                r.digest.as_ref().map(ToString::to_string).as_deref(),
                *digest
            );
        }
    }

    #[test]
    fn digests() {
        let r = Reference::parse(&format!("library/debian@{D}")).unwrap();
        assert_eq!(r.repository, "library/debian");
        assert_eq!(r.tag, None);
        assert_eq!(
            r.digest.as_ref().map(ToString::to_string).as_deref(),
            Some(D)
        );
        assert_eq!(r.manifest_reference(), D);

        let r = Reference::parse(&format!("localhost:5000/app:1@{D}")).unwrap();
        assert_eq!(r.domain, "localhost:5000");
        assert_eq!(r.tag.as_deref(), Some("1"));
        assert_eq!(r.manifest_reference(), D);
        assert_eq!(r.to_string(), format!("localhost:5000/app:1@{D}"));
    }

    #[test]
    fn hosts_and_forms() {
        let r = Reference::parse("debian:12").unwrap();
        assert_eq!(r.api_host(), "registry-1.docker.io");
        assert_eq!(r.to_string(), "docker.io/library/debian:12");
        assert_eq!(r.familiar(), "debian:12");
        let r = Reference::parse("[::1]:5000/x").unwrap();
        assert_eq!(r.api_host(), "[::1]:5000");
        assert_eq!(r.hostname(), "::1");
        let r = Reference::parse("127.0.0.1:5000/x").unwrap();
        assert_eq!(r.hostname(), "127.0.0.1");
        assert_eq!(r.familiar(), "127.0.0.1:5000/x:latest");
    }

    #[test]
    fn invalid_references() {
        let long = format!("a/{}", "b".repeat(300));
        type Check = fn(&ReferenceError) -> bool;
        let cases: Vec<(&str, Check)> = vec![
            ("", |e| matches!(e, ReferenceError::Empty { .. })),
            (":tag", |e| matches!(e, ReferenceError::Empty { .. })),
            ("Debian", |e| matches!(e, ReferenceError::Uppercase { .. })),
            ("docker.io/Debian", |e| {
                matches!(e, ReferenceError::Uppercase { .. })
            }),
            ("debian:", |e| matches!(e, ReferenceError::BadTag { .. })),
            ("debian:-x", |e| matches!(e, ReferenceError::BadTag { .. })),
            ("debian:a/b", |e| {
                matches!(e, ReferenceError::BadDomain { .. })
            }),
            ("debian@sha256:abc", |e| {
                matches!(e, ReferenceError::BadDigest { .. })
            }),
            ("debian@md5:abc", |e| {
                matches!(e, ReferenceError::BadDigest { .. })
            }),
            ("a//b", |e| matches!(e, ReferenceError::BadComponent { .. })),
            ("a/-b", |e| matches!(e, ReferenceError::BadComponent { .. })),
            ("a/b.", |e| matches!(e, ReferenceError::BadComponent { .. })),
            ("a/b___c", |e| {
                matches!(e, ReferenceError::BadComponent { .. })
            }),
            ("localhost:port/x", |e| {
                matches!(e, ReferenceError::BadDomain { .. })
            }),
            ("[zz]:5000/x", |e| {
                matches!(e, ReferenceError::BadDomain { .. })
            }),
            ("-bad.io/x", |e| {
                matches!(e, ReferenceError::BadDomain { .. })
            }),
            ("my registry.io/x", |e| {
                matches!(e, ReferenceError::BadDomain { .. })
            }),
            ("localhost:5000/", |e| {
                matches!(e, ReferenceError::BadComponent { .. })
            }),
            (
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                |e| matches!(e, ReferenceError::HexName { .. }),
            ),
            (&long, |e| matches!(e, ReferenceError::NameTooLong { .. })),
        ];
        for (input, check) in cases {
            match Reference::parse(input) {
                Ok(r) => panic!("{input:?} parsed as {r:?}"),
                Err(e) => assert!(check(&e), "{input:?}: unexpected error {e:?}"),
            }
        }
    }

    #[test]
    fn error_messages_name_the_problem() {
        let e = Reference::parse("Debian:12").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid image reference \"Debian:12\": repository name must be lowercase"
        );
        let e = Reference::parse("debian:-x").unwrap_err();
        assert!(e.to_string().contains("tag \"-x\" is not valid"), "{e}");
    }

    #[test]
    fn fuzz_reference_survives_random_input() {
        let seeds: &[&[u8]] = &[
            b"debian:12",
            b"localhost:5000/team/app:1.2",
            b"[::1]:5000/x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            b"a__b/c--d.e_f:TAG",
        ];
        let mut rng = crate::registry::testrand::Rng::new(7);
        for i in 0..4000 {
            let seed = seeds.get(i % seeds.len()).copied().unwrap_or_default();
            let input = rng.mutate(seed, b":/@[]._-aZ9");
            fuzz_reference(&input);
        }
    }
}
