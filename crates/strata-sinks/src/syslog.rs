//! The `syslog:` sink: RFC 5424 messages over UDP (RFC 5426), TCP with octet counting
//! (RFC 6587) or a unix datagram socket.
//!
//! ```text
//! <PRI>1 TIMESTAMP HOSTNAME strata PROCID MSGID [strata@32473 rule="..." priority="..." source="..." tags="..."] OUTPUT
//! ```
//!
//! PRI is `facility * 8 + severity`, the severity being the Falco priority's syslog level
//! (Emergency 0 ... Debug 7; unknown priorities are Notice). TIMESTAMP is the alert's time
//! cut to microseconds (RFC 5424 allows at most 6 fraction digits), `-` when it is not
//! RFC 3339. MSGID is the rule name with every character outside printable ASCII replaced
//! by `_`, at most 32 characters. The SD-ID uses the documentation enterprise number 32473
//! (RFC 5612). The MSG has no BOM. Datagram messages are cut to [`MAX_DATAGRAM`] bytes.
//! Undeliverable messages are counted as `failed` (syslog is not spooled); a broken TCP
//! connection is reopened on the next alert, after a backoff.

use std::io::Write;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use strata_rules::Alert;

use crate::dispatch::{Sink, SinkContext};
use crate::error::SinkError;
use crate::spec::{SyslogSpec, SyslogTransport, join_host_port};

/// The largest UDP or unix datagram sent; longer messages are cut (on a UTF-8 boundary).
pub const MAX_DATAGRAM: usize = 8 * 1024;
const TCP_TIMEOUT: Duration = Duration::from_secs(5);
const TCP_RETRY: Duration = Duration::from_secs(1);
const TCP_RETRY_MAX: Duration = Duration::from_secs(30);

/// A syslog facility (0..=23).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facility(u8);

const FACILITIES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];

impl Facility {
    pub const AUTH: Facility = Facility(4);
    pub const LOCAL0: Facility = Facility(16);

    /// The facility named `name` (`security` is `audit`, `console` is `alert`).
    pub fn from_name(name: &str) -> Option<Facility> {
        let name = name.to_ascii_lowercase();
        let name = match name.as_str() {
            "security" => "audit",
            "console" => "alert",
            n => n,
        };
        FACILITIES
            .iter()
            .position(|&f| f == name)
            .and_then(|i| u8::try_from(i).ok())
            .map(Facility)
    }

    /// The facility code.
    pub fn code(self) -> u8 {
        self.0
    }
}

/// The syslog severity of a Falco priority name (case-insensitive).
pub fn severity(priority: &str) -> u8 {
    match priority.to_ascii_lowercase().as_str() {
        "emergency" => 0,
        "alert" => 1,
        "critical" => 2,
        "error" => 3,
        "warning" => 4,
        "notice" => 5,
        "informational" | "info" => 6,
        "debug" => 7,
        _ => 5,
    }
}

/// Formats `alert` as one RFC 5424 message (no framing, no trailing newline).
pub fn format_rfc5424(alert: &Alert, facility: Facility, procid: u32) -> String {
    let pri = u32::from(facility.code()) * 8 + u32::from(severity(&alert.priority));
    let mut m = String::with_capacity(256 + alert.output.len());
    m.push('<');
    m.push_str(&pri.to_string());
    m.push_str(">1 ");
    m.push_str(&timestamp(&alert.time));
    m.push(' ');
    push_header_field(&mut m, &alert.hostname, 255);
    m.push_str(" strata ");
    m.push_str(&procid.to_string());
    m.push(' ');
    push_header_field(&mut m, &alert.rule, 32);
    m.push_str(" [strata@32473");
    for (name, value) in [
        ("rule", alert.rule.as_str()),
        ("priority", alert.priority.as_str()),
        ("source", alert.source.as_str()),
    ] {
        push_param(&mut m, name, value);
    }
    if !alert.tags.is_empty() {
        push_param(&mut m, "tags", &alert.tags.join(","));
    }
    m.push(']');
    if !alert.output.is_empty() {
        m.push(' ');
        m.push_str(&alert.output);
    }
    m
}

fn push_param(m: &mut String, name: &str, value: &str) {
    m.push(' ');
    m.push_str(name);
    m.push_str("=\"");
    for c in value.chars() {
        if matches!(c, '"' | '\\' | ']') {
            m.push('\\');
        }
        m.push(c);
    }
    m.push('"');
}

/// Printable ASCII (33..=126) with others replaced by `_`, at most `max`; `-` when empty.
fn push_header_field(m: &mut String, value: &str, max: usize) {
    if value.is_empty() {
        m.push('-');
        return;
    }
    for c in value.chars().take(max) {
        m.push(if c.is_ascii_graphic() { c } else { '_' });
    }
}

/// RFC 3339 time with at most 6 fraction digits, or `-`.
fn timestamp(t: &str) -> String {
    let b = t.as_bytes();
    let ok_prefix = b.len() >= 20
        && b.iter().take(19).enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T' || c == b't',
            13 | 16 => c == b':',
            _ => c.is_ascii_digit(),
        });
    if !ok_prefix {
        return "-".into();
    }
    let (base, rest) = t.split_at(19);
    let (frac, zone) = match rest.strip_prefix('.') {
        Some(r) => {
            let n = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
            (&r[..n], &r[n..])
        }
        None => ("", rest),
    };
    let zone_ok = zone.eq_ignore_ascii_case("z")
        || (zone.len() == 6
            && matches!(zone.as_bytes()[0], b'+' | b'-')
            && zone.as_bytes()[3] == b':'
            && zone
                .bytes()
                .enumerate()
                .all(|(i, c)| i == 0 || i == 3 || c.is_ascii_digit()));
    if !zone_ok {
        return "-".into();
    }
    let mut out = base.replacen('t', "T", 1);
    if !frac.is_empty() {
        out.push('.');
        out.push_str(&frac[..frac.len().min(6)]);
    }
    out.push_str(&zone.to_ascii_uppercase());
    out
}

fn cut(msg: &str, max: usize) -> &str {
    if msg.len() <= max {
        return msg;
    }
    let mut end = max;
    while !msg.is_char_boundary(end) {
        end -= 1;
    }
    &msg[..end]
}

enum Transport {
    Udp(UdpSocket),
    Tcp {
        addrs: Vec<SocketAddr>,
        stream: Option<TcpStream>,
        retry_at: Option<Instant>,
        retry: Duration,
    },
    Unix {
        sock: UnixDatagram,
        path: PathBuf,
    },
}

/// The syslog sink. See the module docs.
pub struct SyslogSink {
    transport: Transport,
    facility: Facility,
    procid: u32,
    frame: Vec<u8>,
}

fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, SinkError> {
    let target = join_host_port(host, port);
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|source| SinkError::Net {
            target: target.clone(),
            source,
        })?
        .collect();
    if addrs.is_empty() {
        return Err(SinkError::Net {
            target,
            source: std::io::Error::other("no address"),
        });
    }
    Ok(addrs)
}

impl SyslogSink {
    /// Resolves the address and opens the socket (TCP connects on the first alert).
    pub fn new(spec: &SyslogSpec) -> Result<SyslogSink, SinkError> {
        let transport = match &spec.transport {
            SyslogTransport::Udp { host, port } => {
                let addrs = resolve(host, *port)?;
                let net = |source| SinkError::Net {
                    target: join_host_port(host, *port),
                    source,
                };
                let first = addrs[0];
                let local: SocketAddr = if first.is_ipv4() {
                    (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
                } else {
                    (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
                };
                let sock = UdpSocket::bind(local).map_err(net)?;
                sock.connect(first).map_err(net)?;
                Transport::Udp(sock)
            }
            SyslogTransport::Tcp { host, port } => Transport::Tcp {
                addrs: resolve(host, *port)?,
                stream: None,
                retry_at: None,
                retry: TCP_RETRY,
            },
            SyslogTransport::Unix(path) => Transport::Unix {
                sock: UnixDatagram::unbound().map_err(|source| SinkError::Net {
                    target: path.display().to_string(),
                    source,
                })?,
                path: path.clone(),
            },
        };
        Ok(SyslogSink {
            transport,
            facility: spec.facility,
            procid: std::process::id(),
            frame: Vec::with_capacity(1024),
        })
    }

    fn send(&mut self, msg: &str) -> std::io::Result<()> {
        match &mut self.transport {
            Transport::Udp(sock) => sock.send(cut(msg, MAX_DATAGRAM).as_bytes()).map(drop),
            Transport::Unix { sock, path } => sock
                .send_to(cut(msg, MAX_DATAGRAM).as_bytes(), &*path)
                .map(drop),
            Transport::Tcp {
                addrs,
                stream,
                retry_at,
                retry,
            } => {
                self.frame.clear();
                self.frame
                    .extend_from_slice(format!("{} ", msg.len()).as_bytes());
                self.frame.extend_from_slice(msg.as_bytes());
                // A write on a connection the peer closed may succeed once: try a fresh
                // connection again when the write fails.
                for _ in 0..2 {
                    if stream.is_none() {
                        if retry_at.is_some_and(|t| Instant::now() < t) {
                            return Err(std::io::Error::other("reconnecting later"));
                        }
                        match connect(addrs) {
                            Ok(s) => {
                                *stream = Some(s);
                                *retry_at = None;
                                *retry = TCP_RETRY;
                            }
                            Err(e) => {
                                *retry_at = Some(Instant::now() + *retry);
                                *retry = (*retry * 2).min(TCP_RETRY_MAX);
                                return Err(e);
                            }
                        }
                    }
                    if let Some(s) = stream {
                        match s.write_all(&self.frame) {
                            Ok(()) => return Ok(()),
                            Err(_) => *stream = None,
                        }
                    }
                }
                Err(std::io::Error::other("connection lost"))
            }
        }
    }
}

fn connect(addrs: &[SocketAddr]) -> std::io::Result<TcpStream> {
    let mut last = std::io::Error::other("no address");
    for a in addrs {
        match TcpStream::connect_timeout(a, TCP_TIMEOUT) {
            Ok(s) => {
                s.set_write_timeout(Some(TCP_TIMEOUT))?;
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

impl Sink for SyslogSink {
    fn deliver(&mut self, alert: &Alert, cx: &SinkContext) {
        let msg = format_rfc5424(alert, self.facility, self.procid);
        cx.stats().record_delivery(self.send(&msg));
    }

    fn close(&mut self, _cx: &SinkContext) {
        if let Transport::Tcp {
            stream: Some(s), ..
        } = &mut self.transport
        {
            let _ = s.flush();
            let _ = s.shutdown(std::net::Shutdown::Write);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_cut_to_microseconds() {
        assert_eq!(
            timestamp("2024-01-02T03:04:05.123456789Z"),
            "2024-01-02T03:04:05.123456Z"
        );
        assert_eq!(timestamp("2024-01-02T03:04:05Z"), "2024-01-02T03:04:05Z");
        assert_eq!(
            timestamp("2024-01-02t03:04:05.1+02:00"),
            "2024-01-02T03:04:05.1+02:00"
        );
        assert_eq!(timestamp("yesterday"), "-");
        assert_eq!(timestamp("2024-01-02T03:04:05.1"), "-");
    }

    #[test]
    fn facilities_and_severities() {
        assert_eq!(Facility::from_name("auth"), Some(Facility::AUTH));
        assert_eq!(Facility::from_name("LOCAL7").map(Facility::code), Some(23));
        assert_eq!(Facility::from_name("local8"), None);
        assert_eq!(severity("Emergency"), 0);
        assert_eq!(severity("INFORMATIONAL"), 6);
        assert_eq!(severity("Debug"), 7);
    }

    #[test]
    fn cut_respects_utf8() {
        assert_eq!(cut("aé", 2), "a");
        assert_eq!(cut("abc", 5), "abc");
    }
}
