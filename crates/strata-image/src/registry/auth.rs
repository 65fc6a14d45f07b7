//! Registry authentication: `WWW-Authenticate` challenges and credentials from
//! `~/.docker/config.json` (inline `auths`, `credHelpers`, `credsStore`).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde::Deserialize;

use crate::reference::{DOCKER_HUB_CONFIG_KEY, DOCKER_HUB_DOMAIN};

/// Longest `WWW-Authenticate` header parsed.
const MAX_CHALLENGE_LEN: usize = 16 * 1024;
/// Most auth-params accepted in one header.
const MAX_PARAMS: usize = 64;
/// Largest `config.json` read.
const MAX_CONFIG_SIZE: u64 = 4 * 1024 * 1024;
/// Largest credential-helper answer read.
const MAX_HELPER_OUTPUT: u64 = 1024 * 1024;
/// How long a credential helper may run.
const HELPER_TIMEOUT: Duration = Duration::from_secs(30);

/// A user name and password (or, when the user name is `<token>`, an identity token).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// The value of an `Authorization: Basic` header.
    pub fn basic_header(&self) -> String {
        let raw = format!("{}:{}", self.username, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

/// One authentication challenge of a `WWW-Authenticate` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme, lowercased (`bearer`, `basic`).
    pub scheme: String,
    /// Auth-params in order; names lowercased.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A malformed `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed WWW-Authenticate header at byte {offset}: {message}")]
pub struct ChallengeError {
    pub offset: usize,
    pub message: &'static str,
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token68(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }
    fn skip_ws_commas(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.pos += 1;
        }
    }
    fn token(&mut self) -> &str {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        std::str::from_utf8(self.b.get(start..self.pos).unwrap_or_default()).unwrap_or_default()
    }
    fn err(&self, message: &'static str) -> ChallengeError {
        ChallengeError {
            offset: self.pos,
            message,
        }
    }
    fn quoted(&mut self) -> Result<String, ChallengeError> {
        // At the opening quote.
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated quoted string")),
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(c) => {
                            out.push(c);
                            self.pos += 1;
                        }
                        None => return Err(self.err("unterminated quoted string")),
                    }
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
        String::from_utf8(out).map_err(|_| self.err("quoted string is not UTF-8"))
    }
    /// True if a `token BWS "="` (an auth-param, not a token68) starts here.
    fn at_param(&self) -> bool {
        let mut i = self.pos;
        let start = i;
        while self.b.get(i).copied().is_some_and(is_tchar) {
            i += 1;
        }
        if i == start {
            return false;
        }
        while matches!(self.b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        if self.b.get(i) != Some(&b'=') {
            return false;
        }
        // `abc==` is a token68, `abc=x` or `abc="x"` is a param.
        let mut j = i + 1;
        while matches!(self.b.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        !matches!(self.b.get(j), Some(b'=') | Some(b',') | None)
    }
}

/// Parses a `WWW-Authenticate` header into its challenges (RFC 9110 §11.6.1).
pub fn parse_www_authenticate(header: &str) -> Result<Vec<Challenge>, ChallengeError> {
    if header.len() > MAX_CHALLENGE_LEN {
        return Err(ChallengeError {
            offset: MAX_CHALLENGE_LEN,
            message: "header too long",
        });
    }
    let mut c = Cursor {
        b: header.as_bytes(),
        pos: 0,
    };
    let mut out: Vec<Challenge> = Vec::new();
    let mut total_params = 0usize;
    c.skip_ws_commas();
    while c.peek().is_some() {
        let scheme = c.token().to_ascii_lowercase();
        if scheme.is_empty() {
            return Err(c.err("expected an authentication scheme"));
        }
        let mut ch = Challenge {
            scheme,
            params: Vec::new(),
        };
        c.skip_ws();
        if c.peek().is_some_and(is_token68) && !c.at_param() {
            // token68 (e.g. `Negotiate abc==`): kept as a param named "".
            let start = c.pos;
            while c.peek().is_some_and(is_token68) {
                c.pos += 1;
            }
            while c.peek() == Some(b'=') {
                c.pos += 1;
            }
            let t = header.get(start..c.pos).unwrap_or_default();
            ch.params.push((String::new(), t.to_owned()));
            c.skip_ws();
        } else {
            while c.at_param() {
                total_params += 1;
                if total_params > MAX_PARAMS {
                    return Err(c.err("too many parameters"));
                }
                let name = c.token().to_ascii_lowercase();
                c.skip_ws();
                // at_param() guaranteed the '='.
                c.pos += 1;
                c.skip_ws();
                let value = match c.peek() {
                    Some(b'"') => c.quoted()?,
                    Some(b) if is_tchar(b) => c.token().to_owned(),
                    _ => return Err(c.err("expected a token or quoted string after '='")),
                };
                ch.params.push((name, value));
                c.skip_ws();
                match c.peek() {
                    None => break,
                    Some(b',') => {
                        c.skip_ws_commas();
                    }
                    Some(_) => return Err(c.err("expected ',' between parameters")),
                }
            }
        }
        out.push(ch);
        c.skip_ws_commas();
    }
    if out.is_empty() {
        return Err(ChallengeError {
            offset: 0,
            message: "no challenge",
        });
    }
    Ok(out)
}

/// Fuzz entry point: the challenge parser must never panic.
pub fn fuzz_www_authenticate(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(chs) = parse_www_authenticate(s)
    {
        for ch in &chs {
            let _ = (ch.param("realm"), ch.param("service"), ch.param("scope"));
        }
    }
}

/// Where Docker keeps its client configuration: `$DOCKER_CONFIG/config.json`, else
/// `$HOME/.docker/config.json`.
pub fn default_docker_config() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME")
        .filter(|d| !d.is_empty())
        .map(|h| PathBuf::from(h).join(".docker").join("config.json"))
}

/// Problems reading credentials.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is larger than {MAX_CONFIG_SIZE} bytes")]
    TooLarge { path: PathBuf },
    #[error("{path}: invalid JSON at line {line}, column {column}: {message}")]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: auths.{key:?}.auth is not base64 of `user:password`")]
    BadAuth { path: PathBuf, key: String },
    #[error("{path}: credential helper name {name:?} is not valid")]
    BadHelperName { path: PathBuf, name: String },
    #[error("credential helper {program} (from {path}) failed: {message}")]
    Helper {
        program: String,
        path: PathBuf,
        message: String,
    },
}

#[derive(Deserialize, Default)]
struct DockerConfig {
    #[serde(default)]
    auths: std::collections::BTreeMap<String, AuthEntry>,
    #[serde(rename = "credHelpers", default)]
    cred_helpers: std::collections::BTreeMap<String, String>,
    #[serde(rename = "credsStore", default)]
    creds_store: Option<String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(rename = "identitytoken", default)]
    identity_token: Option<String>,
}

/// `https://host:5000/v1/` -> `host:5000`.
fn normalize_key(key: &str) -> &str {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    k.split('/').next().unwrap_or(k)
}

fn key_matches(key: &str, domain: &str) -> bool {
    let k = normalize_key(key);
    if domain == DOCKER_HUB_DOMAIN {
        matches!(k, "index.docker.io" | "docker.io" | "registry-1.docker.io")
    } else {
        k == domain
    }
}

/// Looks up credentials for a registry `domain` (as in a reference: `docker.io`,
/// `localhost:5000`) in a Docker `config.json`. A missing file means no credentials.
pub fn credentials_from_docker_config(
    path: &Path,
    domain: &str,
) -> Result<Option<Credentials>, CredentialsError> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(CredentialsError::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    let mut buf = Vec::new();
    file.take(MAX_CONFIG_SIZE + 1)
        .read_to_end(&mut buf)
        .map_err(|source| CredentialsError::Io {
            path: path.to_owned(),
            source,
        })?;
    if buf.len() as u64 > MAX_CONFIG_SIZE {
        return Err(CredentialsError::TooLarge {
            path: path.to_owned(),
        });
    }
    let cfg: DockerConfig = serde_json::from_slice(&buf).map_err(|e| CredentialsError::Json {
        path: path.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;

    let server_url = if domain == DOCKER_HUB_DOMAIN {
        DOCKER_HUB_CONFIG_KEY
    } else {
        domain
    };

    // A registry-specific helper wins.
    if let Some((_, helper)) = cfg
        .cred_helpers
        .iter()
        .find(|(k, _)| key_matches(k, domain))
    {
        return run_named_helper(helper, path, server_url);
    }
    // Inline credentials.
    if let Some((key, entry)) = cfg.auths.iter().find(|(k, _)| key_matches(k, domain)) {
        if let Some(token) = entry.identity_token.as_deref().filter(|t| !t.is_empty()) {
            return Ok(Some(Credentials {
                username: "<token>".to_owned(),
                password: token.to_owned(),
            }));
        }
        if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
            let bad = || CredentialsError::BadAuth {
                path: path.to_owned(),
                key: key.clone(),
            };
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|_| bad())?;
            let text = String::from_utf8(decoded).map_err(|_| bad())?;
            let (u, p) = text.split_once(':').ok_or_else(bad)?;
            return Ok(Some(Credentials {
                username: u.to_owned(),
                password: p.to_owned(),
            }));
        }
        if let (Some(u), Some(p)) = (&entry.username, &entry.password) {
            return Ok(Some(Credentials {
                username: u.clone(),
                password: p.clone(),
            }));
        }
    }
    // The default store.
    if let Some(store) = cfg.creds_store.as_deref().filter(|s| !s.is_empty()) {
        return run_named_helper(store, path, server_url);
    }
    Ok(None)
}

fn run_named_helper(
    name: &str,
    config_path: &Path,
    server_url: &str,
) -> Result<Option<Credentials>, CredentialsError> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        || name.starts_with('.')
    {
        return Err(CredentialsError::BadHelperName {
            path: config_path.to_owned(),
            name: name.to_owned(),
        });
    }
    run_credential_helper(
        Path::new(&format!("docker-credential-{name}")),
        config_path,
        server_url,
    )
}

#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// Runs `<program> get` with the server URL on stdin, as the Docker credential-helper
/// protocol says. `Ok(None)` when the helper has no credentials for that server.
pub fn run_credential_helper(
    program: &Path,
    config_path: &Path,
    server_url: &str,
) -> Result<Option<Credentials>, CredentialsError> {
    let prog = program.display().to_string();
    let fail = |message: String| CredentialsError::Helper {
        program: prog.clone(),
        path: config_path.to_owned(),
        message,
    };
    let mut child = Command::new(program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                fail("not found in PATH".to_owned())
            } else {
                fail(e.to_string())
            }
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading stdin is not an error here.
        let _ = stdin.write_all(server_url.as_bytes());
    }
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(s) = stdout {
            let _ = s.take(MAX_HELPER_OUTPUT).read_to_end(&mut out);
        }
        out
    });
    let err_reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(s) = stderr {
            let _ = s.take(64 * 1024).read_to_end(&mut out);
        }
        out
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if start.elapsed() > HELPER_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(fail(format!(
                    "timed out after {}s",
                    HELPER_TIMEOUT.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(fail(e.to_string())),
        }
    };
    let out = reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    let out_text = String::from_utf8_lossy(&out);
    if !status.success() {
        if out_text.contains("credentials not found") {
            return Ok(None);
        }
        let msg = if out_text.trim().is_empty() {
            String::from_utf8_lossy(&err).trim().to_owned()
        } else {
            out_text.trim().to_owned()
        };
        return Err(fail(format!("{status}: {msg}")));
    }
    let answer: HelperAnswer =
        serde_json::from_slice(&out).map_err(|e| fail(format!("invalid JSON answer: {e}")))?;
    if answer.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(Credentials {
        username: answer.username,
        password: answer.secret,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn challenges() {
        let cases: Vec<(&str, Vec<Challenge>)> = vec![
            (
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull""#,
                vec![Challenge {
                    scheme: "bearer".into(),
                    params: p(&[
                        ("realm", "https://auth.docker.io/token"),
                        ("service", "registry.docker.io"),
                        ("scope", "repository:library/debian:pull"),
                    ]),
                }],
            ),
            (
                r#"Basic realm="Registry Realm""#,
                vec![Challenge {
                    scheme: "basic".into(),
                    params: p(&[("realm", "Registry Realm")]),
                }],
            ),
            (
                r#"Bearer realm = "a\"b" , error=insufficient_scope, Basic realm=x"#,
                vec![
                    Challenge {
                        scheme: "bearer".into(),
                        params: p(&[("realm", "a\"b"), ("error", "insufficient_scope")]),
                    },
                    Challenge {
                        scheme: "basic".into(),
                        params: p(&[("realm", "x")]),
                    },
                ],
            ),
            (
                "Negotiate abc==, Basic",
                vec![
                    Challenge {
                        scheme: "negotiate".into(),
                        params: p(&[("", "abc==")]),
                    },
                    Challenge {
                        scheme: "basic".into(),
                        params: vec![],
                    },
                ],
            ),
        ];
        for (header, want) in cases {
            assert_eq!(
                parse_www_authenticate(header).as_ref(),
                Ok(&want),
                "{header}"
            );
        }
        let ch = parse_www_authenticate(r#"Bearer realm="r",scope="s""#).unwrap();
        assert_eq!(ch.first().and_then(|c| c.param("scope")), Some("s"));
    }

    #[test]
    fn challenge_errors() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 0, "no challenge"),
            (r#"Bearer realm="abc"#, 17, "unterminated quoted string"),
            (
                r#"Bearer realm="a" x"#,
                17,
                "expected ',' between parameters",
            ),
            ("=x", 0, "expected an authentication scheme"),
        ];
        for (h, off, msg) in cases {
            assert_eq!(
                parse_www_authenticate(h),
                Err(ChallengeError {
                    offset: *off,
                    message: msg
                }),
                "{h}"
            );
        }
        let long = "a".repeat(MAX_CHALLENGE_LEN + 1);
        assert!(matches!(
            parse_www_authenticate(&long),
            Err(ChallengeError {
                message: "header too long",
                ..
            })
        ));
    }

    #[test]
    fn fuzz_challenge_survives_random_input() {
        let seeds: &[&[u8]] = &[
            br#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull""#,
            br#"Basic realm="x", Negotiate abc==, Bearer a=b"#,
        ];
        let mut rng = crate::registry::testrand::Rng::new(3);
        for i in 0..4000 {
            let seed = seeds.get(i % seeds.len()).copied().unwrap_or_default();
            fuzz_www_authenticate(&rng.mutate(seed, b"\",= \\\tab"));
        }
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn docker_config_auths() {
        let dir = tempfile::tempdir().unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode("alice:s3:cret");
        let cfg = write(
            dir.path(),
            "config.json",
            &format!(
                r#"{{"auths":{{
                "https://index.docker.io/v1/":{{"auth":"{b64}"}},
                "localhost:5000":{{"username":"bob","password":"pw"}},
                "http://reg.example:8443/v2/":{{"auth":"{b64}"}},
                "bad.example":{{"auth":"!!!"}}
            }}}}"#
            ),
        );
        let get = |d: &str| credentials_from_docker_config(&cfg, d);
        let alice = Credentials {
            username: "alice".into(),
            password: "s3:cret".into(),
        };
        assert_eq!(get("docker.io").unwrap(), Some(alice.clone()));
        assert_eq!(get("reg.example:8443").unwrap(), Some(alice));
        assert_eq!(
            get("localhost:5000").unwrap(),
            Some(Credentials {
                username: "bob".into(),
                password: "pw".into()
            })
        );
        assert_eq!(get("other:5000").unwrap(), None);
        assert!(matches!(
            get("bad.example"),
            Err(CredentialsError::BadAuth { key, .. }) if key == "bad.example"
        ));
        assert_eq!(
            credentials_from_docker_config(&dir.path().join("missing.json"), "docker.io").unwrap(),
            None
        );
        let broken = write(dir.path(), "broken.json", "{\n \"auths\": [");
        match credentials_from_docker_config(&broken, "docker.io") {
            Err(CredentialsError::Json { line: 2, .. }) => {}
            other => panic!("{other:?}"),
        }
        let evil = write(dir.path(), "evil.json", r#"{"credsStore":"../../bin/sh"}"#);
        assert!(matches!(
            credentials_from_docker_config(&evil, "docker.io"),
            Err(CredentialsError::BadHelperName { .. })
        ));
    }

    #[test]
    fn credential_helper_protocol() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let helper = write(
            dir.path(),
            "docker-credential-test",
            "#!/bin/sh\nread server\nif [ \"$1\" != get ]; then exit 3; fi\n\
             case \"$server\" in\n\
               localhost:5000) echo '{\"ServerURL\":\"localhost:5000\",\"Username\":\"u\",\"Secret\":\"s\"}';;\n\
               broken) echo 'something bad' >&2; exit 2;;\n\
               *) echo 'credentials not found in native keychain'; exit 1;;\n\
             esac\n",
        );
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let cfg = dir.path().join("config.json");
        assert_eq!(
            run_credential_helper(&helper, &cfg, "localhost:5000").unwrap(),
            Some(Credentials {
                username: "u".into(),
                password: "s".into()
            })
        );
        assert_eq!(
            run_credential_helper(&helper, &cfg, "elsewhere").unwrap(),
            None
        );
        match run_credential_helper(&helper, &cfg, "broken") {
            Err(CredentialsError::Helper { message, .. }) => {
                assert!(message.contains("something bad"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        match run_credential_helper(&dir.path().join("nope"), &cfg, "x") {
            Err(CredentialsError::Helper { message, .. }) => {
                assert_eq!(message, "not found in PATH")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn basic_header() {
        let c = Credentials {
            username: "a".into(),
            password: "b".into(),
        };
        assert_eq!(c.basic_header(), "Basic YTpi");
        assert_eq!(
            format!("{c:?}"),
            "Credentials { username: \"a\", password: \"<redacted>\" }"
        );
    }
}
