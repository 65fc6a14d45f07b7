//! Exporting images from a Docker Engine over its API.
//!
//! A small HTTP/1.1 client talks to the Engine over its unix socket
//! (`/var/run/docker.sock` or `DOCKER_HOST=unix://...`) or plain TCP
//! (`DOCKER_HOST=tcp://host:port`). [`export_image`] inspects an image and streams
//! `docker save` output into a file inside a directory the caller chooses; the
//! docker-archive source then reads that file.
//!
//! Every response head is bounded in size, bodies are framed by `Content-Length`,
//! chunked transfer encoding or the connection's end, and every error says which
//! endpoint and which image it concerns.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The socket used when neither an endpoint nor `DOCKER_HOST` is given.
pub const DEFAULT_ENDPOINT: &str = "unix:///var/run/docker.sock";

/// Largest response head accepted (status line and headers).
const MAX_HEAD: usize = 64 * 1024;
/// Most header lines accepted.
const MAX_HEADERS: usize = 128;
/// Longest chunk-size line or trailer line.
const MAX_CHUNK_LINE: usize = 4096;
/// Largest JSON or error body read into memory.
const MAX_SMALL_BODY: u64 = 16 * 1024 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for any single read (the daemon may take a while to start `save`).
const READ_TIMEOUT: Duration = Duration::from_secs(600);
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest image name accepted.
const MAX_NAME_LEN: usize = 1024;

/// Errors talking to the Docker daemon.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("docker daemon at {endpoint}: {message}")]
    Api { endpoint: String, message: String },
    #[error(
        "cannot connect to the Docker daemon at {endpoint}: {source}; \
         is the Docker daemon running?"
    )]
    NotRunning {
        endpoint: String,
        #[source]
        source: io::Error,
    },
    #[error(
        "permission denied connecting to the Docker daemon socket at {endpoint}; \
         add your user to the `docker` group or run with sufficient privileges"
    )]
    PermissionDenied { endpoint: String },
    #[error("invalid Docker endpoint {endpoint:?}: {message}")]
    InvalidEndpoint { endpoint: String, message: String },
    #[error("image not found in the Docker daemon: {name}")]
    ImageNotFound { name: String },
    #[error("invalid image name {name:?}: {message}")]
    InvalidName { name: String, message: String },
    #[error("docker daemon at {endpoint}: {what} returned HTTP {status}: {message}")]
    Status {
        endpoint: String,
        what: String,
        status: u16,
        message: String,
    },
    #[error("docker daemon at {endpoint}: malformed HTTP response: {source}")]
    Protocol {
        endpoint: String,
        #[source]
        source: HeadError,
    },
    #[error("docker daemon at {endpoint}: {context}: {source}")]
    Io {
        endpoint: String,
        context: String,
        #[source]
        source: io::Error,
    },
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Where the Docker Engine API listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Unix(PathBuf),
    /// `host:port`, plain HTTP.
    Tcp(String),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Unix(p) => write!(f, "unix://{}", p.display()),
            Endpoint::Tcp(a) => write!(f, "tcp://{a}"),
        }
    }
}

impl Endpoint {
    /// Parses `unix:///path` or `tcp://host:port` (as in `DOCKER_HOST`).
    pub fn parse(s: &str) -> Result<Endpoint, DaemonError> {
        let invalid = |message: &str| DaemonError::InvalidEndpoint {
            endpoint: s.to_owned(),
            message: message.to_owned(),
        };
        if let Some(path) = s.strip_prefix("unix://") {
            if path.is_empty() || !path.starts_with('/') {
                return Err(invalid("expected unix:///absolute/path/to/docker.sock"));
            }
            return Ok(Endpoint::Unix(PathBuf::from(path)));
        }
        if let Some(rest) = s
            .strip_prefix("tcp://")
            .or_else(|| s.strip_prefix("http://"))
        {
            let addr = rest.trim_end_matches('/');
            let (host, port) = match addr.rsplit_once(':') {
                Some((h, p)) if !p.contains(']') => (h, Some(p)),
                _ => (addr, None),
            };
            if host.is_empty() || host.contains('/') || host.contains(char::is_whitespace) {
                return Err(invalid("expected tcp://host:port"));
            }
            let port = match port {
                Some(p) => p
                    .parse::<u16>()
                    .map_err(|_| invalid("the port is not a number between 0 and 65535"))?,
                None => 2375,
            };
            if std::env::var("DOCKER_TLS_VERIFY").is_ok_and(|v| !v.is_empty()) {
                return Err(invalid(
                    "TLS connections to the Docker daemon (DOCKER_TLS_VERIFY) are not supported; \
                     use the unix socket or plain tcp://",
                ));
            }
            return Ok(Endpoint::Tcp(format!("{host}:{port}")));
        }
        if s.starts_with("https://") {
            return Err(invalid(
                "TLS connections to the Docker daemon are not supported",
            ));
        }
        if s.starts_with("ssh://") || s.starts_with("npipe://") || s.starts_with("fd://") {
            return Err(invalid(
                "only unix:// and tcp:// endpoints are supported (ssh://, npipe:// and fd:// are not)",
            ));
        }
        Err(invalid(
            "expected unix:///path/to/docker.sock or tcp://host:port",
        ))
    }

    /// The endpoint to use: `explicit`, else `DOCKER_HOST`, else the Docker CLI context
    /// (`DOCKER_CONTEXT` or `currentContext` in `config.json`), else the default socket.
    pub fn resolve(explicit: Option<&str>) -> Result<Endpoint, DaemonError> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let config_dir = env("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".docker")));
        Endpoint::resolve_with(
            explicit,
            env("DOCKER_HOST").as_deref(),
            env("DOCKER_CONTEXT").as_deref(),
            config_dir.as_deref(),
        )
    }

    /// [`Endpoint::resolve`] with the environment passed in.
    pub fn resolve_with(
        explicit: Option<&str>,
        docker_host: Option<&str>,
        docker_context: Option<&str>,
        config_dir: Option<&Path>,
    ) -> Result<Endpoint, DaemonError> {
        if let Some(e) = explicit.or(docker_host) {
            return Endpoint::parse(e);
        }
        if let Some(dir) = config_dir
            && let Some(host) = context_host(dir, docker_context)?
        {
            return Endpoint::parse(&host);
        }
        Endpoint::parse(DEFAULT_ENDPOINT)
    }
}

/// Largest Docker CLI config or context metadata file read.
const MAX_CONTEXT_FILE: u64 = 4 * 1024 * 1024;

fn read_small(path: &Path) -> Result<Option<Vec<u8>>, DaemonError> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(DaemonError::InvalidEndpoint {
                endpoint: path.display().to_string(),
                message: format!("cannot read Docker context configuration: {e}"),
            });
        }
    };
    let mut buf = Vec::new();
    file.take(MAX_CONTEXT_FILE + 1)
        .read_to_end(&mut buf)
        .map_err(|e| DaemonError::InvalidEndpoint {
            endpoint: path.display().to_string(),
            message: format!("cannot read Docker context configuration: {e}"),
        })?;
    if buf.len() as u64 > MAX_CONTEXT_FILE {
        return Err(DaemonError::InvalidEndpoint {
            endpoint: path.display().to_string(),
            message: "Docker context configuration is too large".to_owned(),
        });
    }
    Ok(Some(buf))
}

/// The daemon host of the Docker CLI context `name` (else `currentContext` of
/// `config.json`); `None` for the `default` context or when there is none.
fn context_host(config_dir: &Path, name: Option<&str>) -> Result<Option<String>, DaemonError> {
    use sha2::Digest as _;
    let name = match name {
        Some(n) => n.to_owned(),
        None => {
            let Some(bytes) = read_small(&config_dir.join("config.json"))? else {
                return Ok(None);
            };
            #[derive(serde::Deserialize)]
            struct Cfg {
                #[serde(rename = "currentContext", default)]
                current_context: Option<String>,
            }
            // A config.json that does not parse is the registry code's business;
            // here it just means "no context".
            match serde_json::from_slice::<Cfg>(&bytes) {
                Ok(Cfg {
                    current_context: Some(c),
                }) if !c.is_empty() => c,
                _ => return Ok(None),
            }
        }
    };
    if name == "default" {
        return Ok(None);
    }
    let id: String = sha2::Sha256::digest(name.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let meta_path = config_dir
        .join("contexts")
        .join("meta")
        .join(id)
        .join("meta.json");
    let missing = || DaemonError::InvalidEndpoint {
        endpoint: format!("context {name}"),
        message: format!(
            "Docker context {name:?} is selected but {} does not name a docker host",
            meta_path.display()
        ),
    };
    let Some(bytes) = read_small(&meta_path)? else {
        return Err(missing());
    };
    #[derive(serde::Deserialize)]
    struct Meta {
        #[serde(rename = "Endpoints", default)]
        endpoints: std::collections::BTreeMap<String, MetaEndpoint>,
    }
    #[derive(serde::Deserialize)]
    struct MetaEndpoint {
        #[serde(rename = "Host", default)]
        host: Option<String>,
    }
    let meta: Meta = serde_json::from_slice(&bytes).map_err(|e| DaemonError::InvalidEndpoint {
        endpoint: format!("context {name}"),
        message: format!("{}: invalid JSON: {e}", meta_path.display()),
    })?;
    meta.endpoints
        .get("docker")
        .and_then(|e| e.host.clone())
        .filter(|h| !h.is_empty())
        .map(Some)
        .ok_or_else(missing)
}

enum Conn {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Unix(s) => s.read(buf),
            Conn::Tcp(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Unix(s) => s.write(buf),
            Conn::Tcp(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Unix(s) => s.flush(),
            Conn::Tcp(s) => s.flush(),
        }
    }
}

fn connect_error(endpoint: &Endpoint, e: io::Error) -> DaemonError {
    if e.kind() == io::ErrorKind::PermissionDenied {
        DaemonError::PermissionDenied {
            endpoint: endpoint.to_string(),
        }
    } else {
        DaemonError::NotRunning {
            endpoint: endpoint.to_string(),
            source: e,
        }
    }
}

fn connect(endpoint: &Endpoint, read_timeout: Duration) -> Result<Conn, DaemonError> {
    match endpoint {
        Endpoint::Unix(path) => {
            let s = UnixStream::connect(path).map_err(|e| connect_error(endpoint, e))?;
            s.set_read_timeout(Some(read_timeout))
                .and_then(|()| s.set_write_timeout(Some(WRITE_TIMEOUT)))
                .map_err(|e| connect_error(endpoint, e))?;
            Ok(Conn::Unix(s))
        }
        Endpoint::Tcp(addr) => {
            let addrs = addr
                .to_socket_addrs()
                .map_err(|e| connect_error(endpoint, e))?;
            let mut last = io::Error::new(io::ErrorKind::NotFound, "no address resolved");
            for a in addrs {
                match TcpStream::connect_timeout(&a, CONNECT_TIMEOUT.min(read_timeout)) {
                    Ok(s) => {
                        s.set_read_timeout(Some(read_timeout))
                            .and_then(|()| s.set_write_timeout(Some(WRITE_TIMEOUT)))
                            .map_err(|e| connect_error(endpoint, e))?;
                        return Ok(Conn::Tcp(s));
                    }
                    Err(e) => last = e,
                }
            }
            Err(connect_error(endpoint, last))
        }
    }
}

/// A parsed HTTP/1.x response head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    pub status: u16,
    pub reason: String,
    /// Header names lowercased, in order.
    pub headers: Vec<(String, String)>,
}

impl ResponseHead {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn is_chunked(&self) -> bool {
        self.headers.iter().any(|(k, v)| {
            k == "transfer-encoding"
                && v.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("chunked"))
        })
    }
}

/// A malformed HTTP response head or chunked body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    #[error("response head longer than {MAX_HEAD} bytes")]
    TooLong,
    #[error("connection closed before the response head ended (after {0} bytes)")]
    Incomplete(usize),
    #[error("bad status line {0:?}")]
    StatusLine(String),
    #[error("bad header line {line} {text:?}")]
    Header { line: usize, text: String },
    #[error("more than {MAX_HEADERS} headers")]
    TooManyHeaders,
    #[error("bad Content-Length {0:?}")]
    ContentLength(String),
}

/// Parses a response head (status line and headers, through the empty line or the
/// end of `bytes`).
pub fn parse_response_head(bytes: &[u8]) -> Result<ResponseHead, HeadError> {
    if bytes.len() > MAX_HEAD {
        return Err(HeadError::TooLong);
    }
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let status_line = lines.next().unwrap_or_default();
    let bad_status = || HeadError::StatusLine(status_line.chars().take(200).collect());
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !(version == "HTTP/1.1" || version == "HTTP/1.0") {
        return Err(bad_status());
    }
    let code = parts.next().unwrap_or_default();
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_status());
    }
    let status: u16 = code.parse().map_err(|_| bad_status())?;
    if !(100..=599).contains(&status) {
        return Err(bad_status());
    }
    let reason = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    for (i, line) in lines.enumerate() {
        if line.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return Err(HeadError::TooManyHeaders);
        }
        let bad = || HeadError::Header {
            line: i + 2,
            text: line.chars().take(200).collect(),
        };
        let (name, value) = line.split_once(':').ok_or_else(bad)?;
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        {
            return Err(bad());
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    let head = ResponseHead {
        status,
        reason,
        headers,
    };
    if let Some(cl) = head.header("content-length")
        && cl.parse::<u64>().is_err()
    {
        return Err(HeadError::ContentLength(cl.to_owned()));
    }
    Ok(head)
}

/// Reads a response head from `r`, up to and including the empty line.
fn read_head<R: BufRead>(r: &mut R) -> Result<Vec<u8>, HeadError> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let n = r
            .by_ref()
            .take((MAX_HEAD + 1 - head.len()) as u64)
            .read_until(b'\n', &mut head)
            .map_err(|_| HeadError::Incomplete(before))?;
        if n == 0 {
            return Err(HeadError::Incomplete(head.len()));
        }
        if head.len() > MAX_HEAD {
            return Err(HeadError::TooLong);
        }
        let line = head.get(before..).unwrap_or_default();
        if line == b"\r\n" || line == b"\n" {
            return Ok(head);
        }
        if !head.ends_with(b"\n") {
            return Err(HeadError::Incomplete(head.len()));
        }
    }
}

fn invalid_data(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Decodes `Transfer-Encoding: chunked`.
pub struct ChunkedReader<R> {
    inner: R,
    /// Bytes left in the current chunk; `None` before the first size line.
    remaining: u64,
    done: bool,
    offset: u64,
}

impl<R: BufRead> ChunkedReader<R> {
    pub fn new(inner: R) -> ChunkedReader<R> {
        ChunkedReader {
            inner,
            remaining: 0,
            done: false,
            offset: 0,
        }
    }

    fn line(&mut self) -> io::Result<String> {
        let mut buf = Vec::new();
        let n = self
            .inner
            .by_ref()
            .take(MAX_CHUNK_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "chunked body ends without its final chunk (after {} bytes of data)",
                    self.offset
                ),
            ));
        }
        if buf.len() > MAX_CHUNK_LINE || !buf.ends_with(b"\n") {
            return Err(invalid_data(format!(
                "chunk line too long or unterminated after {} bytes of data",
                self.offset
            )));
        }
        let s = String::from_utf8_lossy(&buf);
        Ok(s.trim_end_matches(['\r', '\n']).to_owned())
    }

    fn next_chunk(&mut self) -> io::Result<()> {
        let line = self.line()?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        if size_text.is_empty()
            || size_text.len() > 16
            || !size_text.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(invalid_data(format!(
                "bad chunk size line {:?} after {} bytes of data",
                line.chars().take(64).collect::<String>(),
                self.offset
            )));
        }
        let size = u64::from_str_radix(size_text, 16)
            .map_err(|_| invalid_data(format!("bad chunk size {size_text:?}")))?;
        if size == 0 {
            // Trailers, up to the empty line.
            for _ in 0..MAX_HEADERS {
                if self.line()?.is_empty() {
                    self.done = true;
                    return Ok(());
                }
            }
            return Err(invalid_data("too many trailer lines".to_owned()));
        }
        self.remaining = size;
        Ok(())
    }
}

impl<R: BufRead> Read for ChunkedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.done {
            return Ok(0);
        }
        if self.remaining == 0 {
            self.next_chunk()?;
            if self.done {
                return Ok(0);
            }
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(buf.get_mut(..want).unwrap_or_default())?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "chunked body ends inside a chunk ({} bytes missing, after {} bytes of data)",
                    self.remaining, self.offset
                ),
            ));
        }
        self.remaining -= n as u64;
        self.offset += n as u64;
        if self.remaining == 0 {
            let end = self.line()?;
            if !end.is_empty() {
                return Err(invalid_data(format!(
                    "chunk not followed by CRLF after {} bytes of data",
                    self.offset
                )));
            }
        }
        Ok(n)
    }
}

/// A body of known length; ending early is an error.
struct LengthReader<R> {
    inner: R,
    remaining: u64,
}

impl<R: Read> Read for LengthReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(buf.get_mut(..want).unwrap_or_default())?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "body ends {} bytes before its Content-Length",
                    self.remaining
                ),
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

type Body = Box<dyn Read + Send>;

/// Frames a body after its head.
fn body_reader<R: BufRead + Send + 'static>(head: &ResponseHead, r: R) -> Body {
    if head.status == 204 || head.status == 304 || (100..200).contains(&head.status) {
        return Box::new(io::empty());
    }
    if head.is_chunked() {
        return Box::new(ChunkedReader::new(r));
    }
    if let Some(len) = head.header("content-length").and_then(|v| v.parse().ok()) {
        return Box::new(LengthReader {
            inner: r,
            remaining: len,
        });
    }
    Box::new(r)
}

/// Characters kept as they are in a request path.
fn encode_path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:@/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn check_name(name: &str) -> Result<(), DaemonError> {
    let invalid = |m: &str| DaemonError::InvalidName {
        name: name.to_owned(),
        message: m.to_owned(),
    };
    if name.is_empty() {
        return Err(invalid("empty"));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(invalid("too long"));
    }
    if name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid("contains whitespace or control characters"));
    }
    if name.split('/').any(|seg| seg == ".." || seg == ".") {
        return Err(invalid("contains a `.` or `..` path segment"));
    }
    Ok(())
}

struct Client {
    endpoint: Endpoint,
    read_timeout: Duration,
}

impl Client {
    fn new(endpoint: Option<&str>) -> Result<Client, DaemonError> {
        Ok(Client {
            endpoint: Endpoint::resolve(endpoint)?,
            read_timeout: READ_TIMEOUT,
        })
    }

    fn ep(&self) -> String {
        self.endpoint.to_string()
    }

    /// Sends a GET and returns the head and the framed body.
    fn get(&self, path: &str) -> Result<(ResponseHead, Body), DaemonError> {
        let mut conn = connect(&self.endpoint, self.read_timeout)?;
        let host = match &self.endpoint {
            Endpoint::Unix(_) => "localhost",
            Endpoint::Tcp(a) => a.as_str(),
        };
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: strata/{}\r\n\
             Accept: */*\r\nConnection: close\r\n\r\n",
            env!("CARGO_PKG_VERSION")
        );
        conn.write_all(request.as_bytes())
            .and_then(|()| conn.flush())
            .map_err(|source| DaemonError::Io {
                endpoint: self.ep(),
                context: format!("sending GET {path}"),
                source,
            })?;
        let mut reader = BufReader::with_capacity(64 * 1024, conn);
        loop {
            let raw = read_head(&mut reader).map_err(|source| DaemonError::Protocol {
                endpoint: self.ep(),
                source,
            })?;
            let head = parse_response_head(&raw).map_err(|source| DaemonError::Protocol {
                endpoint: self.ep(),
                source,
            })?;
            if (100..200).contains(&head.status) && head.status != 101 {
                continue;
            }
            let body = body_reader(&head, reader);
            return Ok((head, body));
        }
    }

    /// Reads a whole small body.
    fn small_body(&self, mut body: Body, what: &str) -> Result<Vec<u8>, DaemonError> {
        let mut out = Vec::new();
        body.by_ref()
            .take(MAX_SMALL_BODY + 1)
            .read_to_end(&mut out)
            .map_err(|source| DaemonError::Io {
                endpoint: self.ep(),
                context: format!("reading {what}"),
                source,
            })?;
        if out.len() as u64 > MAX_SMALL_BODY {
            return Err(DaemonError::Api {
                endpoint: self.ep(),
                message: format!("{what} is larger than {MAX_SMALL_BODY} bytes"),
            });
        }
        Ok(out)
    }

    /// The daemon's message from an error body (`{"message": "..."}`).
    fn error_text(&self, body: Body) -> String {
        let bytes = {
            let mut out = Vec::new();
            let _ = body.take(64 * 1024).read_to_end(&mut out);
            out
        };
        #[derive(serde::Deserialize)]
        struct Msg {
            message: String,
        }
        match serde_json::from_slice::<Msg>(&bytes) {
            Ok(m) => m.message,
            Err(_) => String::from_utf8_lossy(&bytes)
                .trim()
                .chars()
                .take(300)
                .collect(),
        }
    }

    fn status_error(&self, what: String, head: &ResponseHead, body: Body) -> DaemonError {
        DaemonError::Status {
            endpoint: self.ep(),
            what,
            status: head.status,
            message: self.error_text(body),
        }
    }
}

/// `GET path` for a small JSON answer, waiting at most `timeout` for each read (the
/// runtime sensor must not hang on a stuck daemon). `Ok(None)` when the daemon answers 404.
pub fn get_json(
    endpoint: Option<&str>,
    path: &str,
    timeout: Duration,
) -> Result<Option<serde_json::Value>, DaemonError> {
    let mut client = Client::new(endpoint)?;
    client.read_timeout = timeout;
    let (head, body) = client.get(path)?;
    match head.status {
        200 => {}
        404 => return Ok(None),
        _ => return Err(client.status_error(format!("GET {path}"), &head, body)),
    }
    let bytes = client.small_body(body, path)?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| DaemonError::Api {
            endpoint: client.ep(),
            message: format!("invalid JSON answer to GET {path}: {e}"),
        })
}

/// `GET path` for an endless stream (`/events`): the body as a reader, each read waiting
/// at most `idle_timeout` (the caller reconnects after a timeout).
pub fn get_stream(
    endpoint: Option<&str>,
    path: &str,
    idle_timeout: Duration,
) -> Result<Box<dyn Read + Send>, DaemonError> {
    let mut client = Client::new(endpoint)?;
    client.read_timeout = idle_timeout;
    let (head, body) = client.get(path)?;
    if head.status != 200 {
        return Err(client.status_error(format!("GET {path}"), &head, body));
    }
    Ok(body)
}

/// Checks that the daemon answers; returns its API version (the `Api-Version` header).
pub fn ping(endpoint: Option<&str>) -> Result<String, DaemonError> {
    let client = Client::new(endpoint)?;
    let (head, body) = client.get("/_ping")?;
    if head.status != 200 {
        return Err(client.status_error("GET /_ping".to_owned(), &head, body));
    }
    let version = head.header("api-version").unwrap_or_default().to_owned();
    let text = client.small_body(body, "ping answer")?;
    if text.trim_ascii() != b"OK" {
        return Err(DaemonError::Api {
            endpoint: client.ep(),
            message: format!(
                "unexpected ping answer {:?}",
                String::from_utf8_lossy(&text)
                    .chars()
                    .take(100)
                    .collect::<String>()
            ),
        });
    }
    Ok(version)
}

/// What `docker image inspect` says about an image.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct ImageInspect {
    #[serde(rename = "Id")]
    pub id: String,
    #[serde(rename = "RepoTags", default, deserialize_with = "null_as_empty")]
    pub repo_tags: Vec<String>,
    #[serde(rename = "RepoDigests", default, deserialize_with = "null_as_empty")]
    pub repo_digests: Vec<String>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    use serde::Deserialize;
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

/// `GET /images/{name}/json`.
pub fn inspect_image(name: &str, endpoint: Option<&str>) -> Result<ImageInspect, DaemonError> {
    check_name(name)?;
    let client = Client::new(endpoint)?;
    inspect_with(&client, name)
}

fn inspect_with(client: &Client, name: &str) -> Result<ImageInspect, DaemonError> {
    let path = format!("/images/{}/json", encode_path_segment(name));
    let (head, body) = client.get(&path)?;
    match head.status {
        200 => {}
        404 => {
            return Err(DaemonError::ImageNotFound {
                name: name.to_owned(),
            });
        }
        _ => return Err(client.status_error(format!("inspecting image {name}"), &head, body)),
    }
    let bytes = client.small_body(body, "image inspect answer")?;
    let inspect: ImageInspect = serde_json::from_slice(&bytes).map_err(|e| DaemonError::Api {
        endpoint: client.ep(),
        message: format!("invalid image inspect answer for {name}: {e}"),
    })?;
    let ok = inspect
        .id
        .strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    if !ok {
        return Err(DaemonError::Api {
            endpoint: client.ep(),
            message: format!("image {name} has an unexpected id {:?}", inspect.id),
        });
    }
    Ok(inspect)
}

/// An image exported from the daemon as a `docker save` tarball.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportedImage {
    /// The tarball, inside the directory passed to [`export_image`].
    pub path: PathBuf,
    /// `sha256:...`, the digest of the image config.
    pub image_id: String,
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
}

/// Exports `name` (`debian:12`, an image id, ...) from the daemon at `endpoint`
/// (default: `DOCKER_HOST`, then `/var/run/docker.sock`) into
/// `dest_dir/docker-<image id hex>.tar`. The file is written under a temporary name
/// in the same directory and renamed when complete; nothing is written elsewhere.
pub fn export_image(
    name: &str,
    endpoint: Option<&str>,
    dest_dir: &Path,
) -> Result<ExportedImage, DaemonError> {
    check_name(name)?;
    let client = Client::new(endpoint)?;
    let inspect = inspect_with(&client, name)?;
    let hex = inspect
        .id
        .strip_prefix("sha256:")
        .unwrap_or_default()
        .to_owned();

    let path = format!("/images/{}/get", encode_path_segment(name));
    let (head, body) = client.get(&path)?;
    match head.status {
        200 => {}
        404 => {
            return Err(DaemonError::ImageNotFound {
                name: name.to_owned(),
            });
        }
        _ => return Err(client.status_error(format!("exporting image {name}"), &head, body)),
    }

    std::fs::create_dir_all(dest_dir).map_err(|source| DaemonError::Write {
        path: dest_dir.to_owned(),
        source,
    })?;
    let final_path = dest_dir.join(format!("docker-{hex}.tar"));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp_path = dest_dir.join(format!(
        ".docker-{hex}.tar.{}.{nanos}.partial",
        std::process::id()
    ));
    let write_err = |source: io::Error| DaemonError::Write {
        path: tmp_path.clone(),
        source,
    };
    // create_new refuses to follow a symlink planted at the temporary name.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp_path)
        .map_err(write_err)?;
    let copied = copy_body(body, &mut file);
    let result = match copied {
        Ok(0) => Err(DaemonError::Api {
            endpoint: client.ep(),
            message: format!("exporting image {name}: the daemon sent an empty archive"),
        }),
        Ok(_) => file.sync_all().map_err(write_err),
        Err(CopyError::Read(source)) => Err(DaemonError::Io {
            endpoint: client.ep(),
            context: format!("reading the export of image {name}"),
            source,
        }),
        Err(CopyError::Write(source)) => Err(write_err(source)),
    };
    drop(file);
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp_path);
        return Err(e);
    }
    if let Err(source) = std::fs::rename(&tmp_path, &final_path) {
        let _ = std::fs::remove_file(&tmp_path);
        return Err(DaemonError::Write {
            path: final_path,
            source,
        });
    }
    Ok(ExportedImage {
        path: final_path,
        image_id: inspect.id,
        repo_tags: inspect.repo_tags,
        repo_digests: inspect.repo_digests,
    })
}

enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

fn copy_body(mut body: Body, out: &mut std::fs::File) -> Result<u64, CopyError> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        out.write_all(buf.get(..n).unwrap_or_default())
            .map_err(CopyError::Write)?;
        total += n as u64;
    }
}

/// Fuzz entry point: the response-head parser and the chunked decoder must never
/// panic on any bytes a daemon (or something pretending to be one) sends.
pub fn fuzz_http_response(data: &[u8]) {
    let mut r = BufReader::new(data);
    let Ok(raw) = read_head(&mut r) else {
        let _ = parse_response_head(data);
        return;
    };
    let Ok(head) = parse_response_head(&raw) else {
        return;
    };
    let rest = data.get(raw.len()..).unwrap_or_default().to_vec();
    let mut body = body_reader(&head, io::Cursor::new(rest));
    let mut sink = Vec::new();
    let _ = body.by_ref().take(1 << 20).read_to_end(&mut sink);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(
            Endpoint::parse("unix:///var/run/docker.sock").unwrap(),
            Endpoint::Unix(PathBuf::from("/var/run/docker.sock"))
        );
        assert_eq!(
            Endpoint::parse("tcp://127.0.0.1:2375").unwrap(),
            Endpoint::Tcp("127.0.0.1:2375".into())
        );
        assert_eq!(
            Endpoint::parse("tcp://docker").unwrap(),
            Endpoint::Tcp("docker:2375".into())
        );
        assert_eq!(
            Endpoint::parse("tcp://[::1]:2375").unwrap(),
            Endpoint::Tcp("[::1]:2375".into())
        );
        for bad in [
            "unix://",
            "unix://relative",
            "tcp://",
            "tcp://h:99999",
            "ssh://me@host",
            "bogus",
            "/var/run/docker.sock",
        ] {
            match Endpoint::parse(bad) {
                Err(DaemonError::InvalidEndpoint { endpoint, .. }) => assert_eq!(endpoint, bad),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn endpoint_precedence_and_docker_contexts() {
        use sha2::Digest as _;
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path();
        let resolve = |e: Option<&str>, h: Option<&str>, c: Option<&str>| {
            Endpoint::resolve_with(e, h, c, Some(cfg))
        };
        let unix = |p: &str| Endpoint::Unix(PathBuf::from(p));
        assert_eq!(
            resolve(None, None, None).unwrap(),
            unix("/var/run/docker.sock")
        );

        let ctx_dir = |name: &str| {
            let id: String = sha2::Sha256::digest(name.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            cfg.join("contexts/meta").join(id)
        };
        std::fs::create_dir_all(ctx_dir("rootless")).unwrap();
        std::fs::write(
            ctx_dir("rootless").join("meta.json"),
            r#"{"Name":"rootless","Metadata":{},"Endpoints":{"docker":{"Host":"unix:///run/user/1000/docker.sock","SkipTLSVerify":false}}}"#,
        )
        .unwrap();
        std::fs::write(
            cfg.join("config.json"),
            r#"{"auths":{},"currentContext":"rootless"}"#,
        )
        .unwrap();

        assert_eq!(
            resolve(None, None, None).unwrap(),
            unix("/run/user/1000/docker.sock")
        );
        assert_eq!(
            resolve(None, None, Some("default")).unwrap(),
            unix("/var/run/docker.sock")
        );
        assert_eq!(
            resolve(None, Some("tcp://127.0.0.1:2375"), None).unwrap(),
            Endpoint::Tcp("127.0.0.1:2375".into())
        );
        assert_eq!(
            resolve(Some("unix:///x.sock"), Some("tcp://h:1"), None).unwrap(),
            unix("/x.sock")
        );
        match resolve(None, None, Some("gone")) {
            Err(e @ DaemonError::InvalidEndpoint { .. }) => {
                assert!(
                    e.to_string()
                        .contains("Docker context \"gone\" is selected"),
                    "{e}"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn connect_errors_are_classified() {
        let ep = Endpoint::Unix(PathBuf::from("/run/x.sock"));
        let denied = connect_error(&ep, io::Error::from(io::ErrorKind::PermissionDenied));
        assert_eq!(
            denied.to_string(),
            "permission denied connecting to the Docker daemon socket at unix:///run/x.sock; \
             add your user to the `docker` group or run with sufficient privileges"
        );
        for kind in [io::ErrorKind::NotFound, io::ErrorKind::ConnectionRefused] {
            assert!(matches!(
                connect_error(&ep, io::Error::from(kind)),
                DaemonError::NotRunning { .. }
            ));
        }
    }

    #[test]
    fn response_heads() {
        let h = parse_response_head(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nApi-Version: 1.50\r\n\r\n",
        )
        .unwrap();
        assert_eq!(h.status, 200);
        assert_eq!(h.reason, "OK");
        assert_eq!(h.header("api-version"), Some("1.50"));
        assert!(h.is_chunked());

        let cases: &[(&[u8], HeadError)] = &[
            (
                b"HTTP/2 200 OK\r\n\r\n",
                HeadError::StatusLine("HTTP/2 200 OK".into()),
            ),
            (
                b"HTTP/1.1 20 OK\r\n\r\n",
                HeadError::StatusLine("HTTP/1.1 20 OK".into()),
            ),
            (
                b"HTTP/1.1 999 X\r\n\r\n",
                HeadError::StatusLine("HTTP/1.1 999 X".into()),
            ),
            (
                b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
                HeadError::Header {
                    line: 2,
                    text: "no colon".into(),
                },
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                HeadError::ContentLength("-1".into()),
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(parse_response_head(raw).as_ref(), Err(want));
        }
        let many: Vec<u8> = std::iter::once(b"HTTP/1.1 200 OK\r\n".to_vec())
            .chain((0..200).map(|i| format!("X-{i}: y\r\n").into_bytes()))
            .flatten()
            .collect();
        assert_eq!(parse_response_head(&many), Err(HeadError::TooManyHeaders));
        let mut r = BufReader::new(&b"HTTP/1.1 200 OK\r\nA: b"[..]);
        assert_eq!(read_head(&mut r), Err(HeadError::Incomplete(21)));
        let huge = vec![b'a'; MAX_HEAD + 10];
        let mut r = BufReader::new(&huge[..]);
        assert_eq!(read_head(&mut r), Err(HeadError::TooLong));
    }

    fn dechunk(raw: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        ChunkedReader::new(BufReader::new(raw)).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn chunked_decoding() {
        assert_eq!(
            dechunk(b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n").unwrap(),
            b"hello world"
        );
        assert_eq!(dechunk(b"0\r\n\r\n").unwrap(), b"");
        let errs: &[(&[u8], io::ErrorKind, &str)] = &[
            (
                b"5\r\nhel",
                io::ErrorKind::UnexpectedEof,
                "ends inside a chunk",
            ),
            (
                b"5\r\nhello\r\n",
                io::ErrorKind::UnexpectedEof,
                "without its final chunk",
            ),
            (
                b"zz\r\nhello\r\n",
                io::ErrorKind::InvalidData,
                "bad chunk size line",
            ),
            (
                b"5\r\nhelloXX0\r\n\r\n",
                io::ErrorKind::InvalidData,
                "not followed by CRLF",
            ),
            (
                b"fffffffffffffffff\r\n",
                io::ErrorKind::InvalidData,
                "bad chunk size line",
            ),
        ];
        for (raw, kind, msg) in errs {
            let e = dechunk(raw).unwrap_err();
            assert_eq!(e.kind(), *kind, "{e}");
            assert!(e.to_string().contains(msg), "{e}");
        }
    }

    #[test]
    fn length_framing() {
        let head = parse_response_head(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n").unwrap();
        let mut out = Vec::new();
        body_reader(&head, io::Cursor::new(b"hello, and more".to_vec()))
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"hello");
        let e = body_reader(&head, io::Cursor::new(b"he".to_vec()))
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn names_and_paths() {
        assert_eq!(
            encode_path_segment("localhost:5000/a b:1"),
            "localhost:5000/a%20b:1"
        );
        assert!(check_name("debian:12").is_ok());
        for bad in ["", "a b", "../../x", "x/../y", "a\nb"] {
            assert!(
                matches!(check_name(bad), Err(DaemonError::InvalidName { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn fuzz_http_response_survives_random_input() {
        let seeds: &[&[u8]] = &[
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 12\r\n\r\n{\"message\":1}",
            b"HTTP/1.0 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nbody",
        ];
        let mut rng = crate::registry::testrand::Rng::new(5);
        for i in 0..4000 {
            let seed = seeds.get(i % seeds.len()).copied().unwrap_or_default();
            fuzz_http_response(&rng.mutate(seed, b"\r\n: 0123456789abcdefHTTP/1."));
        }
    }
}
