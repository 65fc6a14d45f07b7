//! Pulling images over the OCI Distribution API.
//!
//! [`registry_source`] gives an [`ImageSource`] for a reference such as `debian:12` or
//! `localhost:5000/team/app@sha256:...`. Manifests are fetched with the OCI and Docker
//! schema 2 `Accept` types, an index is resolved to the wanted platform, every manifest
//! and the config are checked against their digests, and blob streams are checked
//! against the size and digest the manifest declares. Authentication follows the
//! registry's `WWW-Authenticate` challenge (Bearer token or Basic) with credentials
//! from the options or from Docker's `config.json`.

mod auth;
mod manifest;
#[cfg(test)]
pub(crate) mod testrand;

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use sha2::Digest as _;
use strata_types::Digest;
use ureq::Agent;
use ureq::http::Response;

use crate::reference::{Reference, ReferenceError};
use crate::source::{Descriptor, ImageSource, Platform, ResolvedImage, SourceError};

pub use auth::{
    Challenge, ChallengeError, Credentials, CredentialsError, credentials_from_docker_config,
    default_docker_config, fuzz_www_authenticate, parse_www_authenticate, run_credential_helper,
};
pub use manifest::{
    DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, IndexEntry, MANIFEST_ACCEPT, ManifestError, OCI_INDEX,
    OCI_MANIFEST, ParsedManifest, fuzz_manifest, parse_manifest, select_platform,
};

/// Largest image config accepted.
const MAX_CONFIG_SIZE: u64 = 32 * 1024 * 1024;
/// Largest error body or token answer read.
const MAX_SMALL_BODY: u64 = 1024 * 1024;

/// How to reach a registry.
#[derive(Clone)]
pub struct RegistryOptions {
    /// Explicit credentials (`--username/--password`, `STRATA_REGISTRY_*`); they take
    /// precedence over Docker's `config.json`.
    pub username: Option<String>,
    pub password: Option<String>,
    /// Allow plain HTTP and unverified TLS: https is tried first, then http.
    pub insecure: bool,
    /// Docker's client config; `None` means `$DOCKER_CONFIG/config.json` or
    /// `~/.docker/config.json`.
    pub docker_config: Option<PathBuf>,
    /// Do not read Docker's `config.json` at all.
    pub ignore_docker_config: bool,
    pub connect_timeout: Duration,
    /// Longest wait for a response head or for any single read of a body.
    pub read_timeout: Duration,
    /// Largest manifest or index accepted.
    pub max_manifest_size: u64,
    /// How often a request answered with 429, 500, 502, 503 or 504 is retried (after
    /// `Retry-After`, at most 10 s, or 0.5 s, 1 s, 2 s, ...).
    pub max_retries: u32,
}

impl std::fmt::Debug for RegistryOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryOptions")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("insecure", &self.insecure)
            .field("docker_config", &self.docker_config)
            .field("ignore_docker_config", &self.ignore_docker_config)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("max_manifest_size", &self.max_manifest_size)
            .field("max_retries", &self.max_retries)
            .finish()
    }
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            username: None,
            password: None,
            insecure: false,
            docker_config: None,
            ignore_docker_config: false,
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(120),
            max_manifest_size: 8 * 1024 * 1024,
            max_retries: 2,
        }
    }
}

impl RegistryOptions {
    /// Defaults, with `STRATA_REGISTRY_USERNAME`, `STRATA_REGISTRY_PASSWORD` and
    /// `STRATA_REGISTRY_INSECURE` (`true`/`1`) applied.
    pub fn from_env() -> RegistryOptions {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        RegistryOptions {
            username: var("STRATA_REGISTRY_USERNAME"),
            password: var("STRATA_REGISTRY_PASSWORD"),
            insecure: var("STRATA_REGISTRY_INSECURE").is_some_and(|v| v == "true" || v == "1"),
            ..RegistryOptions::default()
        }
    }
}

/// Errors talking to a registry.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("registry {registry}: {message}")]
    Protocol { registry: String, message: String },
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    #[error("registry {registry}: cannot connect to {url}: {message}")]
    Connect {
        registry: String,
        url: String,
        message: String,
    },
    #[error(
        "registry {registry}: authentication required for {repository}; \
         use docker login or --username"
    )]
    AuthRequired {
        registry: String,
        repository: String,
    },
    #[error(
        "registry {registry}: authentication failed for {repository} as user {username:?}: \
         {message}; check the username and password"
    )]
    AuthFailed {
        registry: String,
        repository: String,
        username: String,
        message: String,
    },
    #[error("registry {registry}: access to {repository} denied (HTTP 403): {message}")]
    Denied {
        registry: String,
        repository: String,
        message: String,
    },
    #[error("registry {registry}: manifest unknown: {reference}")]
    ManifestUnknown { registry: String, reference: String },
    #[error("registry {registry}: blob unknown in {repository}: {digest}")]
    BlobUnknown {
        registry: String,
        repository: String,
        digest: String,
    },
    #[error("registry {registry}: {what} returned HTTP {status}: {message}")]
    Status {
        registry: String,
        what: String,
        status: u16,
        message: String,
    },
    #[error("registry {registry}: {what} has digest {actual}, expected {expected}")]
    DigestMismatch {
        registry: String,
        what: String,
        expected: String,
        actual: String,
    },
    #[error("registry {registry}: {what} is {actual} bytes, the descriptor says {expected}")]
    SizeMismatch {
        registry: String,
        what: String,
        expected: u64,
        actual: u64,
    },
    #[error("registry {registry}: {what} is larger than the limit of {limit} bytes")]
    TooLarge {
        registry: String,
        what: String,
        limit: u64,
    },
    #[error("registry {registry}: {what}: {source}")]
    Manifest {
        registry: String,
        what: String,
        #[source]
        source: ManifestError,
    },
    #[error("registry {registry}: {source}")]
    Challenge {
        registry: String,
        #[source]
        source: ChallengeError,
    },
    #[error("registry {registry}: {source}")]
    Credentials {
        registry: String,
        #[source]
        source: CredentialsError,
    },
}

/// A remote image as an [`ImageSource`].
pub struct RegistrySource {
    input: String,
    reference: Reference,
    opts: RegistryOptions,
    agent: Agent,
    scheme: Option<&'static str>,
    authorization: Option<String>,
    credentials: Option<Option<Credentials>>,
    credentials_error: Option<CredentialsError>,
    index_digest: Option<Digest>,
    manifest_digest: Option<Digest>,
}

/// An [`ImageSource`] for `reference` (`debian:12`, `localhost:5000/app@sha256:...`).
/// Nothing is fetched until [`ImageSource::resolve`].
pub fn registry_source(
    reference: &str,
    opts: &RegistryOptions,
) -> Result<RegistrySource, RegistryError> {
    RegistrySource::new(reference, opts)
}

fn hex_lower(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(
            HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'),
        ));
        s.push(char::from(
            HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0'),
        ));
    }
    s
}

/// Hashes with the algorithm of `like` (sha256 or sha512).
enum Hasher {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl Hasher {
    fn for_digest(like: &Digest) -> Hasher {
        if like.algorithm().as_str() == "sha512" {
            Hasher::Sha512(sha2::Sha512::new())
        } else {
            Hasher::Sha256(sha2::Sha256::new())
        }
    }
    fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }
    fn finish(self) -> String {
        match self {
            Hasher::Sha256(h) => format!("sha256:{}", hex_lower(&h.finalize())),
            Hasher::Sha512(h) => format!("sha512:{}", hex_lower(&h.finalize())),
        }
    }
}

fn pct_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A short message from a registry error body (`{"errors":[{"code":..,"message":..}]}`).
fn error_message(resp: Response<ureq::Body>) -> String {
    let body = resp
        .into_body()
        .into_with_config()
        .limit(MAX_SMALL_BODY)
        .read_to_vec()
        .unwrap_or_default();
    #[derive(serde::Deserialize)]
    struct Errs {
        errors: Vec<ErrItem>,
    }
    #[derive(serde::Deserialize)]
    struct ErrItem {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    if let Ok(e) = serde_json::from_slice::<Errs>(&body)
        && !e.errors.is_empty()
    {
        return e
            .errors
            .iter()
            .map(|i| format!("{}: {}", i.code, i.message))
            .collect::<Vec<_>>()
            .join("; ");
    }
    let text = String::from_utf8_lossy(&body);
    let text = text.trim();
    let mut short: String = text.chars().take(300).collect();
    if short.len() < text.len() {
        short.push_str("...");
    }
    if short.is_empty() {
        "(no details)".to_owned()
    } else {
        short
    }
}

impl RegistrySource {
    /// Parses `reference` and prepares an HTTP agent; no network traffic yet.
    pub fn new(reference: &str, opts: &RegistryOptions) -> Result<RegistrySource, RegistryError> {
        let parsed = Reference::parse(reference)?;
        let tls = ureq::tls::TlsConfig::builder()
            .disable_verification(opts.insecure)
            .build();
        let loopback = {
            let h = parsed.hostname();
            h == "localhost" || h == "::1" || h.starts_with("127.")
        };
        let mut builder = Agent::config_builder();
        if loopback {
            // A registry on this machine is never reached through an HTTP proxy.
            builder = builder.proxy(None);
        }
        let config = builder
            .http_status_as_error(false)
            .timeout_connect(Some(opts.connect_timeout))
            .timeout_recv_response(Some(opts.read_timeout))
            .timeout_per_read(Some(opts.read_timeout))
            .max_redirects(10)
            // Blob redirects go to storage hosts with signed URLs: never forward credentials.
            .redirect_auth_headers(ureq::config::RedirectAuthHeaders::Never)
            .user_agent(concat!("strata/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build();
        Ok(RegistrySource {
            input: reference.to_owned(),
            reference: parsed,
            opts: opts.clone(),
            agent: Agent::new_with_config(config),
            scheme: None,
            authorization: None,
            credentials: None,
            credentials_error: None,
            index_digest: None,
            manifest_digest: None,
        })
    }

    /// The parsed reference.
    pub fn parsed_reference(&self) -> &Reference {
        &self.reference
    }

    /// The digest of the index the image was chosen from, after `resolve`, when the
    /// reference named a multi-platform index.
    pub fn index_digest(&self) -> Option<&Digest> {
        self.index_digest.as_ref()
    }

    /// The digest of the image manifest, after `resolve`.
    pub fn manifest_digest(&self) -> Option<&Digest> {
        self.manifest_digest.as_ref()
    }

    fn registry(&self) -> String {
        self.reference.domain.clone()
    }

    /// The credentials to answer a challenge with: the explicit ones, else Docker's
    /// config. A broken config or credential helper does not stop an anonymous
    /// attempt; its error is reported if the registry then wants credentials.
    fn credentials(&mut self) -> Option<Credentials> {
        if let Some(c) = &self.credentials {
            return c.clone();
        }
        let found = if let Some(u) = &self.opts.username {
            Some(Credentials {
                username: u.clone(),
                password: self.opts.password.clone().unwrap_or_default(),
            })
        } else if self.opts.ignore_docker_config {
            None
        } else {
            match self
                .opts
                .docker_config
                .clone()
                .or_else(default_docker_config)
            {
                Some(path) => match credentials_from_docker_config(&path, &self.reference.domain) {
                    Ok(c) => c,
                    Err(e) => {
                        self.credentials_error = Some(e);
                        None
                    }
                },
                None => None,
            }
        };
        self.credentials = Some(found.clone());
        found
    }

    /// The error for "credentials needed but none available": the reason the lookup
    /// failed, if it did, else "authentication required".
    fn no_credentials(&mut self) -> RegistryError {
        match self.credentials_error.take() {
            Some(source) => RegistryError::Credentials {
                registry: self.registry(),
                source,
            },
            None => RegistryError::AuthRequired {
                registry: self.registry(),
                repository: self.reference.repository.clone(),
            },
        }
    }

    /// One GET against the registry host, choosing the scheme on first use.
    fn send_once(
        &mut self,
        path: &str,
        accept: Option<&str>,
    ) -> Result<Response<ureq::Body>, RegistryError> {
        let schemes: &[&'static str] = match self.scheme {
            Some("http") => &["http"],
            Some(_) => &["https"],
            None if self.opts.insecure => &["https", "http"],
            None => &["https"],
        };
        let mut last = None;
        for scheme in schemes {
            let url = format!("{scheme}://{}{path}", self.reference.api_host());
            let mut req = self.agent.get(&url);
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            if let Some(auth) = &self.authorization {
                req = req.header("Authorization", auth);
            }
            match req.call() {
                Ok(resp) => {
                    self.scheme = Some(scheme);
                    return Ok(resp);
                }
                Err(e) => last = Some((url, e)),
            }
        }
        let (url, e) = last.unwrap_or_else(|| {
            (
                self.reference.api_host().to_owned(),
                ureq::Error::ConnectionFailed,
            )
        });
        let mut message = e.to_string();
        if !self.opts.insecure && matches!(e, ureq::Error::Tls(_) | ureq::Error::Io(_)) {
            if message.contains("certificate") {
                message.push_str(
                    " (the registry's TLS certificate is not trusted; \
                     use --insecure to skip verification)",
                );
            } else {
                message.push_str(" (if the registry serves plain HTTP, use --insecure)");
            }
        }
        Err(RegistryError::Connect {
            registry: self.registry(),
            url,
            message,
        })
    }

    /// GET with authentication and retries of transient failures (429 and 5xx
    /// gateway/availability answers).
    fn send(
        &mut self,
        path: &str,
        accept: Option<&str>,
    ) -> Result<Response<ureq::Body>, RegistryError> {
        let mut attempt = 0u32;
        loop {
            let resp = self.send_authed(path, accept)?;
            let status = resp.status().as_u16();
            if !matches!(status, 429 | 500 | 502 | 503 | 504) || attempt >= self.opts.max_retries {
                return Ok(resp);
            }
            let backoff = Duration::from_millis(500u64.saturating_mul(1u64 << attempt.min(6)));
            let wait = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map_or(backoff, |secs| Duration::from_secs(secs.min(10)));
            drop(resp);
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    /// GET with authentication: on a 401 the challenge is answered once and the
    /// request retried.
    fn send_authed(
        &mut self,
        path: &str,
        accept: Option<&str>,
    ) -> Result<Response<ureq::Body>, RegistryError> {
        let mut answered = false;
        loop {
            let resp = self.send_once(path, accept)?;
            if resp.status().as_u16() != 401 {
                return Ok(resp);
            }
            if answered {
                let msg = error_message(resp);
                return Err(self.auth_error(msg));
            }
            let header = resp
                .headers()
                .get_all("www-authenticate")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect::<Vec<_>>()
                .join(", ");
            if header.is_empty() {
                return Err(self.auth_error(error_message(resp)));
            }
            self.authenticate(&header)?;
            answered = true;
        }
    }

    fn auth_error(&mut self, message: String) -> RegistryError {
        match self.credentials.clone().flatten() {
            Some(c) => RegistryError::AuthFailed {
                registry: self.registry(),
                repository: self.reference.repository.clone(),
                username: c.username,
                message,
            },
            None => self.no_credentials(),
        }
    }

    fn authenticate(&mut self, header: &str) -> Result<(), RegistryError> {
        let challenges =
            parse_www_authenticate(header).map_err(|source| RegistryError::Challenge {
                registry: self.registry(),
                source,
            })?;
        if let Some(bearer) = challenges.iter().find(|c| c.scheme == "bearer") {
            let token = self.fetch_token(bearer)?;
            self.authorization = Some(format!("Bearer {token}"));
            return Ok(());
        }
        if challenges.iter().any(|c| c.scheme == "basic") {
            let Some(creds) = self.credentials() else {
                return Err(self.no_credentials());
            };
            self.authorization = Some(creds.basic_header());
            return Ok(());
        }
        Err(RegistryError::Protocol {
            registry: self.registry(),
            message: format!(
                "unsupported authentication scheme(s): {}",
                challenges
                    .iter()
                    .map(|c| c.scheme.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
    }

    fn fetch_token(&mut self, challenge: &Challenge) -> Result<String, RegistryError> {
        let registry = self.registry();
        let realm = challenge
            .param("realm")
            .filter(|r| r.starts_with("https://") || r.starts_with("http://"))
            .ok_or_else(|| RegistryError::Protocol {
                registry: registry.clone(),
                message: "Bearer challenge without an http(s) realm".to_owned(),
            })?
            .to_owned();
        if realm.starts_with("http://") && !self.opts.insecure && self.scheme != Some("http") {
            return Err(RegistryError::Protocol {
                registry,
                message: format!(
                    "token server {realm} uses plain HTTP; refusing without --insecure"
                ),
            });
        }
        let scope = challenge.param("scope").map_or_else(
            || format!("repository:{}:pull", self.reference.repository),
            str::to_owned,
        );
        let service = challenge.param("service").map(str::to_owned);
        let creds = self.credentials();

        let resp = match &creds {
            Some(c) if c.username == "<token>" => {
                // An identity (refresh) token: OAuth2 refresh-token grant.
                let mut form = format!(
                    "grant_type=refresh_token&client_id=strata&refresh_token={}&scope={}",
                    pct_encode(&c.password),
                    pct_encode(&scope)
                );
                if let Some(s) = &service {
                    form.push_str(&format!("&service={}", pct_encode(s)));
                }
                self.agent
                    .post(&realm)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .send(form.as_bytes())
            }
            _ => {
                let sep = if realm.contains('?') { '&' } else { '?' };
                let mut url = format!("{realm}{sep}scope={}", pct_encode(&scope));
                if let Some(s) = &service {
                    url.push_str(&format!("&service={}", pct_encode(s)));
                }
                let mut req = self.agent.get(&url);
                if let Some(c) = &creds {
                    req = req.header("Authorization", c.basic_header());
                }
                req.call()
            }
        };
        let resp = resp.map_err(|e| RegistryError::Connect {
            registry: registry.clone(),
            url: realm.clone(),
            message: format!("token server: {e}"),
        })?;
        let status = resp.status().as_u16();
        if status == 401 || status == 403 {
            let msg = format!("token server {realm}: {}", error_message(resp));
            return Err(match creds {
                Some(c) => RegistryError::AuthFailed {
                    registry,
                    repository: self.reference.repository.clone(),
                    username: c.username,
                    message: msg,
                },
                None => self.no_credentials(),
            });
        }
        if status != 200 {
            return Err(RegistryError::Status {
                registry,
                what: format!("token server {realm}"),
                status,
                message: error_message(resp),
            });
        }
        #[derive(serde::Deserialize)]
        struct TokenAnswer {
            #[serde(default)]
            token: Option<String>,
            #[serde(default)]
            access_token: Option<String>,
        }
        let body = resp
            .into_body()
            .into_with_config()
            .limit(MAX_SMALL_BODY)
            .read_to_vec()
            .map_err(|e| RegistryError::Protocol {
                registry: registry.clone(),
                message: format!("token server {realm}: {e}"),
            })?;
        let answer: TokenAnswer =
            serde_json::from_slice(&body).map_err(|e| RegistryError::Protocol {
                registry: registry.clone(),
                message: format!("token server {realm}: invalid JSON answer: {e}"),
            })?;
        answer
            .token
            .or(answer.access_token)
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| RegistryError::Protocol {
                registry,
                message: format!("token server {realm}: answer has no usable token"),
            })
    }

    fn status_error(&self, what: String, resp: Response<ureq::Body>) -> RegistryError {
        let status = resp.status().as_u16();
        let message = error_message(resp);
        match status {
            403 => RegistryError::Denied {
                registry: self.registry(),
                repository: self.reference.repository.clone(),
                message,
            },
            _ => RegistryError::Status {
                registry: self.registry(),
                what,
                status,
                message,
            },
        }
    }

    /// Fetches a manifest by tag or digest, checks its size limit and digest.
    /// Returns the body, its media type and its digest.
    fn fetch_manifest(
        &mut self,
        reference: &str,
        expected: Option<&Digest>,
    ) -> Result<(Vec<u8>, Option<String>, Digest), RegistryError> {
        let what = if reference.contains(':') {
            format!("{}@{reference}", self.reference.name())
        } else {
            format!("{}:{reference}", self.reference.name())
        };
        let path = format!("/v2/{}/manifests/{reference}", self.reference.repository);
        let resp = self.send(&path, Some(MANIFEST_ACCEPT))?;
        match resp.status().as_u16() {
            200 => {}
            404 => {
                return Err(RegistryError::ManifestUnknown {
                    registry: self.registry(),
                    reference: what,
                });
            }
            _ => return Err(self.status_error(format!("manifest {what}"), resp)),
        }
        let limit = self.opts.max_manifest_size;
        let too_large = || RegistryError::TooLarge {
            registry: self.registry(),
            what: format!("manifest {what}"),
            limit,
        };
        if resp.body().content_length().is_some_and(|l| l > limit) {
            return Err(too_large());
        }
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let header_digest = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<Digest>().ok());
        let body = match resp
            .into_body()
            .into_with_config()
            .limit(limit)
            .read_to_vec()
        {
            Ok(b) => b,
            Err(ureq::Error::BodyExceedsLimit(_)) => return Err(too_large()),
            Err(e) => {
                return Err(RegistryError::Protocol {
                    registry: self.registry(),
                    message: format!("reading manifest {what}: {e}"),
                });
            }
        };
        let sha256 = sha2::Sha256::digest(&body);
        let mut raw = [0u8; 32];
        raw.copy_from_slice(&sha256);
        let actual256 = Digest::sha256_from_bytes(&raw);
        let check = |want: &Digest| -> Result<(), RegistryError> {
            let mut h = Hasher::for_digest(want);
            h.update(&body);
            let got = h.finish();
            if got != want.to_string() {
                return Err(RegistryError::DigestMismatch {
                    registry: self.registry(),
                    what: format!("manifest {what}"),
                    expected: want.to_string(),
                    actual: got,
                });
            }
            Ok(())
        };
        if let Some(want) = expected {
            check(want)?;
        }
        if let Some(h) = &header_digest {
            check(h)?;
        }
        let digest = match expected {
            Some(d) => d.clone(),
            None => actual256,
        };
        Ok((body, content_type, digest))
    }

    fn blob_response(&mut self, desc: &Descriptor) -> Result<Response<ureq::Body>, RegistryError> {
        let path = format!("/v2/{}/blobs/{}", self.reference.repository, desc.digest);
        let resp = self.send(&path, None)?;
        match resp.status().as_u16() {
            200 => {}
            404 => {
                return Err(RegistryError::BlobUnknown {
                    registry: self.registry(),
                    repository: self.reference.repository.clone(),
                    digest: desc.digest.to_string(),
                });
            }
            _ => return Err(self.status_error(format!("blob {}", desc.digest), resp)),
        }
        if let Some(len) = resp.body().content_length()
            && len != desc.size
        {
            return Err(RegistryError::SizeMismatch {
                registry: self.registry(),
                what: format!("blob {}", desc.digest),
                expected: desc.size,
                actual: len,
            });
        }
        Ok(resp)
    }

    /// Reads a whole small blob (the config), checking its size and digest.
    fn fetch_small_blob(&mut self, desc: &Descriptor, limit: u64) -> Result<Vec<u8>, SourceError> {
        let what = format!("blob {}", desc.digest);
        if desc.size > limit {
            return Err(RegistryError::TooLarge {
                registry: self.registry(),
                what,
                limit,
            }
            .into());
        }
        let resp = self.blob_response(desc)?;
        let mut reader = VerifyingReader::new(
            resp.into_body().into_reader(),
            desc,
            format!("{} from registry {}", what, self.reference.domain),
        );
        let mut out = Vec::new();
        reader
            .read_to_end(&mut out)
            .map_err(|source| SourceError::Io {
                context: format!("registry {}: reading {what}", self.reference.domain),
                source,
            })?;
        Ok(out)
    }

    fn parse(
        &self,
        body: &[u8],
        content_type: Option<&str>,
        what: String,
    ) -> Result<ParsedManifest, RegistryError> {
        parse_manifest(body, content_type).map_err(|source| RegistryError::Manifest {
            registry: self.registry(),
            what,
            source,
        })
    }
}

impl ImageSource for RegistrySource {
    fn reference(&self) -> &str {
        &self.input
    }

    fn resolve(&mut self, platform: &Platform) -> Result<ResolvedImage, SourceError> {
        let top = self.reference.manifest_reference();
        let expected = self.reference.digest.clone();
        let (body, ct, digest) = self.fetch_manifest(&top, expected.as_ref())?;
        let what = format!("manifest {}", self.reference);
        let (manifest_digest, config, layers) =
            match self.parse(&body, ct.as_deref(), what.clone())? {
                ParsedManifest::Image { config, layers } => (digest, config, layers),
                ParsedManifest::Index { entries } => {
                    self.index_digest = Some(digest);
                    let entry = select_platform(&entries, platform)
                        .map_err(|available| SourceError::PlatformNotFound {
                            reference: self.input.clone(),
                            wanted: platform.to_string(),
                            available,
                        })?
                        .clone();
                    let (child, ct, child_digest) =
                        self.fetch_manifest(&entry.digest.to_string(), Some(&entry.digest))?;
                    if child.len() as u64 != entry.size {
                        return Err(RegistryError::SizeMismatch {
                            registry: self.registry(),
                            what: format!("manifest {}", entry.digest),
                            expected: entry.size,
                            actual: child.len() as u64,
                        }
                        .into());
                    }
                    let child_what = format!("manifest {}@{}", self.reference.name(), entry.digest);
                    match self.parse(&child, ct.as_deref(), child_what.clone())? {
                        ParsedManifest::Image { config, layers } => (child_digest, config, layers),
                        ParsedManifest::Index { .. } => {
                            return Err(RegistryError::Manifest {
                                registry: self.registry(),
                                what: child_what,
                                source: ManifestError::UnsupportedMediaType(
                                    "nested image index".to_owned(),
                                ),
                            }
                            .into());
                        }
                    }
                }
            };
        let config_json = self.fetch_small_blob(&config, MAX_CONFIG_SIZE)?;
        self.manifest_digest = Some(manifest_digest.clone());
        let repo_tags = match &self.reference.tag {
            Some(t) => {
                let mut r = self.reference.clone();
                r.digest = None;
                r.tag = Some(t.clone());
                vec![r.familiar()]
            }
            None => Vec::new(),
        };
        Ok(ResolvedImage {
            manifest_digest: Some(manifest_digest),
            config,
            config_json,
            layers,
            repo_tags,
        })
    }

    fn open_blob(&mut self, desc: &Descriptor) -> Result<Box<dyn Read + Send + '_>, SourceError> {
        let resp = self.blob_response(desc)?;
        Ok(Box::new(VerifyingReader::new(
            resp.into_body().into_reader(),
            desc,
            format!(
                "blob {} from registry {}",
                desc.digest, self.reference.domain
            ),
        )))
    }
}

/// Passes a blob through while counting and hashing it: more bytes than declared,
/// fewer bytes at the end, or a different digest are read errors.
pub struct VerifyingReader<R> {
    inner: R,
    hasher: Option<Hasher>,
    expected_digest: String,
    expected_size: u64,
    read: u64,
    what: String,
}

impl<R: Read> VerifyingReader<R> {
    pub fn new(inner: R, desc: &Descriptor, what: String) -> VerifyingReader<R> {
        VerifyingReader {
            inner,
            hasher: Some(Hasher::for_digest(&desc.digest)),
            expected_digest: desc.digest.to_string(),
            expected_size: desc.size,
            read: 0,
            what,
        }
    }

    fn finish(&mut self) -> std::io::Result<()> {
        let Some(h) = self.hasher.take() else {
            return Ok(());
        };
        if self.read != self.expected_size {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "{}: stream ended after {} of {} bytes",
                    self.what, self.read, self.expected_size
                ),
            ));
        }
        let got = h.finish();
        if got != self.expected_digest {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{}: content has digest {got}, expected {}",
                    self.what, self.expected_digest
                ),
            ));
        }
        Ok(())
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.hasher.is_none() {
            return Ok(0);
        }
        // Never ask for more than the declared size plus one byte (to detect excess).
        let remaining = self
            .expected_size
            .saturating_sub(self.read)
            .saturating_add(1);
        let want = buf
            .len()
            .min(usize::try_from(remaining).unwrap_or(usize::MAX));
        let slice = buf.get_mut(..want).unwrap_or_default();
        let n = self.inner.read(slice)?;
        if n == 0 {
            self.finish()?;
            return Ok(0);
        }
        self.read += n as u64;
        if self.read > self.expected_size {
            self.hasher = None;
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{}: more than the {} bytes the descriptor declares",
                    self.what, self.expected_size
                ),
            ));
        }
        if let (Some(h), Some(data)) = (self.hasher.as_mut(), slice.get(..n)) {
            h.update(data);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc_for(data: &[u8]) -> Descriptor {
        let h = sha2::Sha256::digest(data);
        let mut raw = [0u8; 32];
        raw.copy_from_slice(&h);
        Descriptor {
            media_type: "application/octet-stream".into(),
            digest: Digest::sha256_from_bytes(&raw),
            size: data.len() as u64,
        }
    }

    #[test]
    fn verifying_reader() {
        let data = b"hello world".repeat(1000);
        let desc = desc_for(&data);
        let mut out = Vec::new();
        VerifyingReader::new(&data[..], &desc, "blob".into())
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);

        // Truncated.
        let e = VerifyingReader::new(&data[..100], &desc, "blob".into())
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
        assert_eq!(e.to_string(), "blob: stream ended after 100 of 11000 bytes");

        // Too long.
        let mut longer = data.clone();
        longer.push(b'!');
        let e = VerifyingReader::new(&longer[..], &desc, "blob".into())
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("more than the 11000 bytes"), "{e}");

        // Same size, different content.
        let mut other = data.clone();
        if let Some(b) = other.get_mut(5) {
            *b = b'X';
        }
        let e = VerifyingReader::new(&other[..], &desc, "blob".into())
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert!(
            e.to_string().contains(&format!("expected {}", desc.digest)),
            "{e}"
        );
    }

    #[test]
    fn verifying_reader_sha512() {
        let data = b"sha512 content".to_vec();
        let hex = hex_lower(&sha2::Sha512::digest(&data));
        let desc = Descriptor {
            media_type: "application/octet-stream".into(),
            digest: format!("sha512:{hex}").parse().unwrap(),
            size: data.len() as u64,
        };
        let mut out = Vec::new();
        VerifyingReader::new(&data[..], &desc, "blob".into())
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);
        let e = VerifyingReader::new(&b"sha512 CONTENT"[..], &desc, "blob".into())
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(e.to_string().contains("content has digest sha512:"), "{e}");
    }

    #[test]
    fn percent_encoding() {
        assert_eq!(
            pct_encode("repository:library/debian:pull"),
            "repository%3Alibrary%2Fdebian%3Apull"
        );
        assert_eq!(pct_encode("a b~"), "a%20b~");
    }

    #[test]
    fn options_debug_hides_the_password() {
        let opts = RegistryOptions {
            username: Some("u".into()),
            password: Some("hunter2".into()),
            ..RegistryOptions::default()
        };
        let text = format!("{opts:?}");
        assert!(text.contains("password: Some(\"<redacted>\")"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn explicit_credentials_win() {
        let opts = RegistryOptions {
            username: Some("u".into()),
            password: Some("p".into()),
            docker_config: Some(PathBuf::from("/nonexistent/config.json")),
            ..RegistryOptions::default()
        };
        let mut src = registry_source("localhost:5000/x", &opts).unwrap();
        assert_eq!(
            src.credentials(),
            Some(Credentials {
                username: "u".into(),
                password: "p".into()
            })
        );
        assert!(matches!(
            registry_source("Bad Ref", &opts),
            Err(RegistryError::Reference(_))
        ));
    }
}
