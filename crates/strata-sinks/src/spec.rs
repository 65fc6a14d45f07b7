//! `--sink` spec strings: [`parse_sink_spec`] and the [`SinkSpec`] it returns.
//!
//! Options follow the first part after commas, as `key=value`. A comma starts a new option
//! only when what follows looks like `key=` (lowercase letters and `_`); otherwise it stays
//! part of the previous value, so `header=Accept:a, b` keeps its comma. A comma inside a
//! URL followed by `word=` must be percent-encoded (`%2C`).

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::error::SinkError;
use crate::syslog::Facility;

/// One parsed `--sink` spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkSpec {
    /// `stdout`, `stdout:json`, `stdout:text`.
    Stdout { format: Format },
    /// `file:PATH[,max_size=100M][,keep=5]`.
    File(FileSpec),
    /// `webhook:URL[,timeout=5s][,spool=DIR][,spool_max=64M][,header=K:V]...`.
    Webhook(WebhookSpec),
    /// `syslog:udp://HOST:PORT`, `syslog:tcp://HOST:PORT`, `syslog:unix:///dev/log`.
    Syslog(SyslogSpec),
}

/// How an alert is written to a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Falco's JSON alert, one per line.
    #[default]
    Json,
    /// The alert's `output` line only.
    Text,
}

/// A JSON Lines file with size-based rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    pub path: PathBuf,
    /// Rotate before a write would make the file larger than this (bytes); 0 never rotates.
    pub max_size: u64,
    /// Rotated files kept (`PATH.1` newest ... `PATH.keep` oldest).
    pub keep: u32,
}

/// An HTTP(S) endpoint receiving each alert as a JSON POST body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSpec {
    /// `http://` or `https://` URL.
    pub url: String,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Directory spooling undelivered alerts across restarts; `None` keeps them in memory.
    pub spool: Option<PathBuf>,
    /// Bytes of undelivered alerts kept (on disk or in memory); the oldest go first.
    pub spool_max: u64,
    /// First retry delay; doubles after each failure up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
}

/// A syslog receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogSpec {
    pub transport: SyslogTransport,
    pub facility: Facility,
}

/// Where syslog messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyslogTransport {
    /// One RFC 5424 message per datagram (RFC 5426).
    Udp { host: String, port: u16 },
    /// Octet-counted frames (RFC 6587).
    Tcp { host: String, port: u16 },
    /// One message per datagram on a unix socket.
    Unix(PathBuf),
}

/// Defaults of the options.
pub const DEFAULT_MAX_SIZE: u64 = 100 << 20;
pub const DEFAULT_KEEP: u32 = 5;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_SPOOL_MAX: u64 = 64 << 20;
pub const DEFAULT_BACKOFF: Duration = Duration::from_millis(500);
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(30);
pub const DEFAULT_SYSLOG_PORT: u16 = 514;

impl FromStr for SinkSpec {
    type Err = SinkError;
    fn from_str(s: &str) -> Result<SinkSpec, SinkError> {
        parse_sink_spec(s)
    }
}

/// Parses one `--sink` value. Errors name the sink kind or option at fault.
pub fn parse_sink_spec(spec: &str) -> Result<SinkSpec, SinkError> {
    let spec = spec.trim();
    let (kind, rest) = match spec.split_once(':') {
        Some((k, r)) => (k, Some(r)),
        None => (spec, None),
    };
    match kind {
        "stdout" => {
            let format = match rest {
                None | Some("json") => Format::Json,
                Some("text") => Format::Text,
                Some(other) => {
                    return Err(SinkError::spec(
                        "stdout sink",
                        format!("unknown format {other:?} (expected json or text)"),
                    ));
                }
            };
            Ok(SinkSpec::Stdout { format })
        }
        "file" => parse_file(rest.unwrap_or_default()).map(SinkSpec::File),
        "webhook" => parse_webhook(rest.unwrap_or_default()).map(SinkSpec::Webhook),
        "syslog" => parse_syslog(rest.unwrap_or_default()).map(SinkSpec::Syslog),
        "" => Err(SinkError::spec("sink", "empty sink spec")),
        other => Err(SinkError::spec(
            "sink",
            format!("unknown sink kind {other:?} (expected stdout, file, webhook or syslog)"),
        )),
    }
}

/// Splits `head,key=v,key=v` into the head and its options (see the module docs).
fn split_options(rest: &str) -> (String, Vec<(String, String)>) {
    let mut parts: Vec<String> = Vec::new();
    for seg in rest.split(',') {
        let starts_option = seg.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        });
        match parts.last_mut() {
            Some(last) if !starts_option => {
                last.push(',');
                last.push_str(seg);
            }
            _ => parts.push(seg.to_owned()),
        }
    }
    let mut it = parts.into_iter();
    // The first part is the head even when it looks like `key=value`.
    let head = it.next().unwrap_or_default();
    let opts = it
        .filter_map(|p| p.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect();
    (head, opts)
}

fn unknown_option(part: &str, key: &str, expected: &str) -> SinkError {
    SinkError::spec(
        part,
        format!("unknown option {key:?} (expected {expected})"),
    )
}

fn parse_file(rest: &str) -> Result<FileSpec, SinkError> {
    const PART: &str = "file sink";
    let (path, opts) = split_options(rest);
    if path.is_empty() {
        return Err(SinkError::spec(PART, "missing path (file:PATH)"));
    }
    let mut spec = FileSpec {
        path: PathBuf::from(path),
        max_size: DEFAULT_MAX_SIZE,
        keep: DEFAULT_KEEP,
    };
    for (k, v) in opts {
        match k.as_str() {
            "max_size" => spec.max_size = parse_size(&v).map_err(|m| option_error(PART, &k, m))?,
            "keep" => {
                spec.keep = v.parse().map_err(|_| {
                    option_error(PART, &k, format!("{v:?} is not a count (use e.g. keep=5)"))
                })?;
            }
            _ => return Err(unknown_option(PART, &k, "max_size, keep")),
        }
    }
    Ok(spec)
}

fn option_error(part: &str, key: &str, message: impl std::fmt::Display) -> SinkError {
    SinkError::spec(format!("{part} option {key:?}"), message.to_string())
}

fn parse_webhook(rest: &str) -> Result<WebhookSpec, SinkError> {
    const PART: &str = "webhook sink";
    let (url, opts) = split_options(rest);
    if url.is_empty() {
        return Err(SinkError::spec(
            PART,
            "missing URL (webhook:http://HOST/PATH)",
        ));
    }
    check_url(&url).map_err(|m| SinkError::spec(PART, m))?;
    let mut spec = WebhookSpec {
        url,
        timeout: DEFAULT_TIMEOUT,
        spool: None,
        spool_max: DEFAULT_SPOOL_MAX,
        backoff: DEFAULT_BACKOFF,
        max_backoff: DEFAULT_MAX_BACKOFF,
        headers: Vec::new(),
    };
    for (k, v) in opts {
        let err = |m: String| option_error(PART, &k, m);
        match k.as_str() {
            "timeout" => spec.timeout = parse_duration(&v).map_err(err)?,
            "backoff" => spec.backoff = parse_duration(&v).map_err(err)?,
            "max_backoff" => spec.max_backoff = parse_duration(&v).map_err(err)?,
            "spool" => {
                if v.is_empty() {
                    return Err(err("missing directory".into()));
                }
                spec.spool = Some(PathBuf::from(&v));
            }
            "spool_max" => spec.spool_max = parse_size(&v).map_err(err)?,
            "header" => {
                let h = parse_header(&v).map_err(err)?;
                spec.headers.push(h);
            }
            _ => {
                return Err(unknown_option(
                    PART,
                    &k,
                    "timeout, spool, spool_max, backoff, max_backoff, header",
                ));
            }
        }
    }
    spec.max_backoff = spec.max_backoff.max(spec.backoff);
    Ok(spec)
}

fn check_url(url: &str) -> Result<(), String> {
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("http" | "https") => {}
        Some(other) => return Err(format!("URL scheme {other:?} (expected http or https)")),
        None => {
            return Err(format!(
                "URL {url:?} has no scheme (expected http:// or https://)"
            ));
        }
    }
    let uri = ureq::http::Uri::try_from(url).map_err(|e| format!("URL {url:?}: {e}"))?;
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("URL {url:?} has no host"));
    }
    Ok(())
}

fn parse_header(v: &str) -> Result<(String, String), String> {
    let Some((name, value)) = v.split_once(':') else {
        return Err("expected NAME:VALUE".into());
    };
    let name = name.trim();
    let value = value.trim();
    ureq::http::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("{name:?} is not a valid header name"))?;
    ureq::http::HeaderValue::from_str(value).map_err(|_| {
        format!("the value of header {name:?} has characters not allowed in a header")
    })?;
    Ok((name.to_owned(), value.to_owned()))
}

fn parse_syslog(rest: &str) -> Result<SyslogSpec, SinkError> {
    const PART: &str = "syslog sink";
    let (target, opts) = split_options(rest);
    let transport = if target.is_empty() {
        SyslogTransport::Unix(PathBuf::from("/dev/log"))
    } else if let Some(path) = target.strip_prefix("unix://") {
        if path.is_empty() {
            return Err(SinkError::spec(
                PART,
                "missing socket path (syslog:unix:///dev/log)",
            ));
        }
        SyslogTransport::Unix(PathBuf::from(path))
    } else if let Some(addr) = target.strip_prefix("udp://") {
        let (host, port) = parse_host_port(addr).map_err(|m| SinkError::spec(PART, m))?;
        SyslogTransport::Udp { host, port }
    } else if let Some(addr) = target.strip_prefix("tcp://") {
        let (host, port) = parse_host_port(addr).map_err(|m| SinkError::spec(PART, m))?;
        SyslogTransport::Tcp { host, port }
    } else {
        return Err(SinkError::spec(
            PART,
            format!(
                "unknown target {target:?} (expected udp://HOST:PORT, tcp://HOST:PORT or unix://PATH)"
            ),
        ));
    };
    let mut spec = SyslogSpec {
        transport,
        facility: Facility::LOCAL0,
    };
    for (k, v) in opts {
        match k.as_str() {
            "facility" => {
                spec.facility = Facility::from_name(&v).ok_or_else(|| {
                    option_error(
                        PART,
                        &k,
                        format!("unknown facility {v:?} (expected kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, ntp, audit, alert, clock or local0..local7)"),
                    )
                })?;
            }
            _ => return Err(unknown_option(PART, &k, "facility")),
        }
    }
    Ok(spec)
}

/// `host:port`, `[v6]:port`, or a host alone (port 514).
fn parse_host_port(s: &str) -> Result<(String, u16), String> {
    let s = s.trim_end_matches('/');
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let Some((h, after)) = rest.split_once(']') else {
            return Err(format!("address {s:?}: missing ']'"));
        };
        match after.strip_prefix(':') {
            Some(p) => (h, Some(p)),
            None if after.is_empty() => (h, None),
            None => return Err(format!("address {s:?}: unexpected {after:?} after ']'")),
        }
    } else {
        match s.rsplit_once(':') {
            Some((h, _)) if h.contains(':') => {
                return Err(format!(
                    "address {s:?}: put IPv6 addresses in brackets ([::1]:514)"
                ));
            }
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if host.is_empty() {
        return Err(format!("address {s:?}: missing host"));
    }
    let port = match port {
        None => DEFAULT_SYSLOG_PORT,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n != 0 => n,
            _ => return Err(format!("address {s:?}: {p:?} is not a port number")),
        },
    };
    Ok((host.to_owned(), port))
}

/// A byte size: a number with an optional unit `K`, `M`, `G` (powers of 1024; `KB`, `KiB`
/// and lowercase are accepted). Must be more than 0.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size (use e.g. 100M)"))?;
    let mult: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (expected K, M or G)")),
    };
    match n.checked_mul(mult) {
        Some(0) => Err(format!("{s:?}: must be more than 0")),
        Some(v) => Ok(v),
        None => Err(format!("{s:?} is too large")),
    }
}

/// A duration: a whole number with a unit `ms`, `s`, `m` or `h`. Must be more than 0.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (use e.g. 5s or 500ms)"))?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        "" => return Err(format!("{s:?}: missing unit (ms, s, m or h)")),
        _ => {
            return Err(format!(
                "{s:?}: unknown unit {unit:?} (expected ms, s, m or h)"
            ));
        }
    };
    if d.is_zero() {
        return Err(format!("{s:?}: must be more than 0"));
    }
    Ok(d)
}

impl SinkSpec {
    /// A short name for metrics labels and messages: the kind and target, without URL
    /// credentials, query or headers.
    pub fn name(&self) -> String {
        match self {
            SinkSpec::Stdout { .. } => "stdout".to_owned(),
            SinkSpec::File(f) => format!("file:{}", f.path.display()),
            SinkSpec::Webhook(w) => format!("webhook:{}", redact_url(&w.url)),
            SinkSpec::Syslog(s) => match &s.transport {
                SyslogTransport::Udp { host, port } => {
                    format!("syslog:udp://{}", join_host_port(host, *port))
                }
                SyslogTransport::Tcp { host, port } => {
                    format!("syslog:tcp://{}", join_host_port(host, *port))
                }
                SyslogTransport::Unix(p) => format!("syslog:unix://{}", p.display()),
            },
        }
    }
}

pub(crate) fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `scheme://host[:port]/path`, without user info and query.
pub(crate) fn redact_url(url: &str) -> String {
    match ureq::http::Uri::try_from(url) {
        Ok(u) => format!(
            "{}://{}{}{}",
            u.scheme_str().unwrap_or("http"),
            u.host().unwrap_or_default(),
            u.port_u16().map(|p| format!(":{p}")).unwrap_or_default(),
            u.path()
        ),
        Err(_) => "(invalid url)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_keep_commas_that_do_not_start_an_option() {
        let (head, opts) = split_options("http://h/x,header=Accept:a, b,timeout=1s");
        assert_eq!(head, "http://h/x");
        assert_eq!(
            opts,
            vec![
                ("header".to_owned(), "Accept:a, b".to_owned()),
                ("timeout".to_owned(), "1s".to_owned())
            ]
        );
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_size("100M"), Ok(100 << 20));
        assert_eq!(parse_size("1kib"), Ok(1024));
        assert_eq!(parse_size("12"), Ok(12));
        assert!(parse_size("0").is_err());
        assert!(parse_size("1T").is_err());
        assert!(parse_size("M").is_err());
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("0s").is_err());
    }

    #[test]
    fn host_ports() {
        assert_eq!(parse_host_port("h:1"), Ok(("h".into(), 1)));
        assert_eq!(parse_host_port("[::1]:9"), Ok(("::1".into(), 9)));
        assert_eq!(parse_host_port("h"), Ok(("h".into(), 514)));
        assert!(parse_host_port("::1:9").is_err());
        assert!(parse_host_port("h:0").is_err());
        assert!(parse_host_port(":5").is_err());
    }

    #[test]
    fn names_hide_credentials() {
        let s =
            parse_sink_spec("webhook:https://u:p@h:8443/a?token=x,header=Authorization:Bearer z")
                .map(|s| s.name());
        assert_eq!(s.ok().as_deref(), Some("webhook:https://h:8443/a"));
    }
}
