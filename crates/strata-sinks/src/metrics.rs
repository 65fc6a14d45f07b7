//! Counters of alerts and sinks, their Prometheus text exposition, and a minimal
//! `GET /metrics` HTTP server.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::SinkError;

/// Counters keyed by one label value (a rule name), created on first use.
#[derive(Debug, Default)]
pub struct LabeledCounter {
    map: RwLock<HashMap<String, AtomicU64>>,
}

impl LabeledCounter {
    /// Adds one to the counter of `label`.
    pub fn inc(&self, label: &str) {
        {
            let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(c) = map.get(label) {
                c.fetch_add(1, Relaxed);
                return;
            }
        }
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        map.entry(label.to_owned())
            .or_default()
            .fetch_add(1, Relaxed);
    }

    /// The counter of `label` (0 when never counted).
    pub fn get(&self, label: &str) -> u64 {
        let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
        map.get(label).map_or(0, |c| c.load(Relaxed))
    }

    /// Every label and its value, sorted by label.
    pub fn snapshot(&self) -> Vec<(String, u64)> {
        let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
        let mut v: Vec<_> = map
            .iter()
            .map(|(k, c)| (k.clone(), c.load(Relaxed)))
            .collect();
        v.sort();
        v
    }
}

/// The counters of one sink. Sinks update them from their own thread.
#[derive(Debug, Default)]
pub struct SinkStats {
    name: String,
    /// Alerts the sink delivered (written, or accepted by the endpoint with a 2xx).
    pub delivered: AtomicU64,
    /// Alerts the sink gave up on: write errors, endpoint rejections (4xx other than
    /// 408/429), undelivered in-memory alerts at shutdown.
    pub failed: AtomicU64,
    /// Alerts not queued because the sink's queue was full (or its thread was gone).
    pub dropped: AtomicU64,
    /// Alerts put aside for a later retry (spool directory, or memory without one).
    pub spooled: AtomicU64,
    /// Spooled alerts removed, oldest first, to keep the spool within its size limit.
    pub spool_evicted: AtomicU64,
    /// Failed delivery attempts (each retry counts).
    pub errors: AtomicU64,
    /// Gauge: alerts waiting in the queue.
    pub queued: AtomicU64,
    /// Gauge: alerts waiting in the spool.
    pub spool_pending: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl SinkStats {
    /// Counters for the sink named `name` (not registered anywhere; see [`Metrics::register_sink`]).
    pub fn new(name: &str) -> SinkStats {
        SinkStats {
            name: name.to_owned(),
            ..SinkStats::default()
        }
    }

    /// The sink's name (the `sink` label).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Counts the outcome of one delivery attempt that is not retried: delivered, or
    /// failed with its error remembered.
    pub fn record_delivery<E: std::fmt::Display>(&self, result: Result<(), E>) {
        match result {
            Ok(()) => {
                self.delivered.fetch_add(1, Relaxed);
            }
            Err(e) => {
                self.failed.fetch_add(1, Relaxed);
                self.errors.fetch_add(1, Relaxed);
                self.set_error(e.to_string());
            }
        }
    }

    /// Remembers the last delivery error, for the operator.
    pub fn set_error(&self, message: impl Into<String>) {
        *self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(message.into());
    }

    /// The last delivery error, if any.
    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// All counters of the alert path. Share it as `Arc<Metrics>`.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Alerts handed to the dispatcher, by rule.
    pub alerts: LabeledCounter,
    /// Alerts suppressed by the rate limiter, by rule (counted by the caller).
    pub rate_limited: LabeledCounter,
    /// Alerts collapsed by the deduper, by rule (counted by the caller).
    pub deduplicated: LabeledCounter,
    sinks: Mutex<Vec<Arc<SinkStats>>>,
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics::default()
    }

    /// Creates the counters of a new sink. Names are made unique with a `#2`, `#3`... suffix.
    pub fn register_sink(&self, name: &str) -> Arc<SinkStats> {
        let mut sinks = self.sinks.lock().unwrap_or_else(PoisonError::into_inner);
        let mut unique = name.to_owned();
        let mut n = 1;
        while sinks.iter().any(|s| s.name == unique) {
            n += 1;
            unique = format!("{name}#{n}");
        }
        let stats = Arc::new(SinkStats::new(&unique));
        sinks.push(Arc::clone(&stats));
        stats
    }

    /// The counters of every registered sink, in registration order.
    pub fn sinks(&self) -> Vec<Arc<SinkStats>> {
        self.sinks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The counters of the sink named `name`.
    pub fn sink(&self, name: &str) -> Option<Arc<SinkStats>> {
        self.sinks().into_iter().find(|s| s.name == name)
    }

    /// Appends the Prometheus text exposition (format 0.0.4) of every counter to `out`.
    pub fn render(&self, out: &mut String) {
        for (name, help, counter) in [
            (
                "strata_alerts_total",
                "Alerts sent to the sinks, by rule.",
                &self.alerts,
            ),
            (
                "strata_alerts_rate_limited_total",
                "Alerts suppressed by the per-rule rate limit, by rule.",
                &self.rate_limited,
            ),
            (
                "strata_alerts_deduplicated_total",
                "Repeated alerts collapsed into a summary, by rule.",
                &self.deduplicated,
            ),
        ] {
            write_header(out, name, help, "counter");
            for (rule, v) in counter.snapshot() {
                write_sample(out, name, &[("rule", &rule)], v);
            }
        }
        let sinks = self.sinks();
        type Field = fn(&SinkStats) -> &AtomicU64;
        let series: [(&str, &str, &str, Field); 8] = [
            (
                "strata_sink_delivered_total",
                "Alerts delivered by the sink.",
                "counter",
                |s| &s.delivered,
            ),
            (
                "strata_sink_failed_total",
                "Alerts the sink gave up on.",
                "counter",
                |s| &s.failed,
            ),
            (
                "strata_sink_dropped_total",
                "Alerts dropped because the sink's queue was full.",
                "counter",
                |s| &s.dropped,
            ),
            (
                "strata_sink_spooled_total",
                "Alerts spooled for a later retry.",
                "counter",
                |s| &s.spooled,
            ),
            (
                "strata_sink_spool_evicted_total",
                "Spooled alerts removed to keep the spool within its size limit.",
                "counter",
                |s| &s.spool_evicted,
            ),
            (
                "strata_sink_errors_total",
                "Failed delivery attempts.",
                "counter",
                |s| &s.errors,
            ),
            (
                "strata_sink_queued",
                "Alerts waiting in the sink's queue.",
                "gauge",
                |s| &s.queued,
            ),
            (
                "strata_sink_spool_pending",
                "Alerts waiting in the sink's spool.",
                "gauge",
                |s| &s.spool_pending,
            ),
        ];
        for (name, help, kind, field) in series {
            write_header(out, name, help, kind);
            for s in &sinks {
                write_sample(out, name, &[("sink", &s.name)], field(s).load(Relaxed));
            }
        }
    }

    /// [`Metrics::render`] into a new string.
    pub fn render_string(&self) -> String {
        let mut s = String::new();
        self.render(&mut s);
        s
    }
}

/// Writes the `# HELP` and `# TYPE` lines of a metric family.
pub fn write_header(out: &mut String, name: &str, help: &str, kind: &str) {
    let help = help.replace('\\', "\\\\").replace('\n', "\\n");
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Writes one sample line `name{k="v",...} value`, escaping the label values.
pub fn write_sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: u64) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(k);
            out.push_str("=\"");
            escape_label_value(out, v);
            out.push('"');
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

/// Appends `v` escaped for a label value: `\` → `\\`, `"` → `\"`, newline → `\n`.
pub fn escape_label_value(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// The largest request head the metrics server reads.
const MAX_HEAD: usize = 8 * 1024;
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// A minimal HTTP/1.1 server answering `GET /metrics` (one connection at a time, one
/// request per connection, 5 s read/write timeouts, 8 KiB request head). Stops on
/// [`MetricsServer::stop`] or drop.
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Binds `addr` and serves in a background thread. Each scrape renders `metrics`, then
    /// calls `extra` to append the caller's own families (see [`write_header`] and
    /// [`write_sample`]).
    pub fn start(
        addr: SocketAddr,
        metrics: Arc<Metrics>,
        extra: impl Fn(&mut String) + Send + Sync + 'static,
    ) -> Result<MetricsServer, SinkError> {
        let net_err = |source| SinkError::Net {
            target: addr.to_string(),
            source,
        };
        let listener = TcpListener::bind(addr).map_err(net_err)?;
        let local = listener.local_addr().map_err(net_err)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("strata-metrics".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if stop2.load(Relaxed) {
                        break;
                    }
                    if let Ok(stream) = conn {
                        let _ = serve(stream, &metrics, &extra);
                    }
                }
            })
            .map_err(net_err)?;
        Ok(MetricsServer {
            addr: local,
            stop,
            thread: Some(thread),
        })
    }

    /// The address the server listens on (with the port chosen for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and waits for its thread.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        self.stop.store(true, Relaxed);
        if let Some(t) = self.thread.take() {
            // Wake the accept call.
            let mut wake = self.addr;
            if wake.ip().is_unspecified() {
                wake.set_ip(match wake {
                    SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                    SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
                });
            }
            if TcpStream::connect_timeout(&wake, Duration::from_secs(1)).is_ok() {
                let _ = t.join();
            }
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

fn serve(
    mut stream: TcpStream,
    metrics: &Metrics,
    extra: &(impl Fn(&mut String) + Send + Sync),
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    let complete = loop {
        if head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n") {
            break true;
        }
        if head.len() > MAX_HEAD {
            break false;
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break false;
        }
        head.extend_from_slice(&buf[..n]);
    };
    let (status, body, content_type) = if !complete {
        if head.len() > MAX_HEAD {
            (
                "431 Request Header Fields Too Large",
                String::new(),
                "text/plain",
            )
        } else {
            return Ok(());
        }
    } else {
        let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
        let line = String::from_utf8_lossy(line);
        let mut parts = line.trim_end().split(' ');
        let method = parts.next().unwrap_or_default();
        let target = parts.next().unwrap_or_default();
        let path = target.split('?').next().unwrap_or_default();
        match (method, path) {
            ("GET" | "HEAD", "/metrics") => {
                let mut body = String::with_capacity(4096);
                metrics.render(&mut body);
                extra(&mut body);
                if method == "HEAD" {
                    (
                        "200 OK",
                        String::new(),
                        "text/plain; version=0.0.4; charset=utf-8",
                    )
                } else {
                    ("200 OK", body, "text/plain; version=0.0.4; charset=utf-8")
                }
            }
            (_, "/metrics") => (
                "405 Method Not Allowed",
                "method not allowed\n".into(),
                "text/plain",
            ),
            _ => ("404 Not Found", "not found\n".into(), "text/plain"),
        }
    };
    let resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(resp.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()?;
    let _ = stream.shutdown(Shutdown::Write);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_escapes_labels_and_declares_types() {
        let m = Metrics::new();
        m.alerts.inc("Read \"shadow\" \\ file\n");
        m.alerts.inc("Read \"shadow\" \\ file\n");
        let s = m.register_sink("stdout");
        s.delivered.fetch_add(3, Relaxed);
        let dup = m.register_sink("stdout");
        assert_eq!(dup.name(), "stdout#2");
        let text = m.render_string();
        assert!(
            text.contains("# TYPE strata_alerts_total counter\n"),
            "{text}"
        );
        assert!(
            text.contains("strata_alerts_total{rule=\"Read \\\"shadow\\\" \\\\ file\\n\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("strata_sink_delivered_total{sink=\"stdout\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("strata_sink_delivered_total{sink=\"stdout#2\"} 0\n"),
            "{text}"
        );
        assert!(text.contains("# TYPE strata_sink_queued gauge\n"), "{text}");
        // Every sample line belongs to a family declared before it.
        let mut declared = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                declared.push(rest.split(' ').next().unwrap_or_default().to_owned());
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap_or_default();
                assert_eq!(declared.last().map(String::as_str), Some(name), "{line}");
            }
        }
    }
}
