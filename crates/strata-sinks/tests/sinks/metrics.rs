//! The /metrics endpoint scraped with a raw HTTP request.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use strata_sinks::metrics::{write_header, write_sample};
use strata_sinks::{Metrics, MetricsServer};

fn request(addr: SocketAddr, raw: &[u8]) -> (String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(raw).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap();
    (head.to_owned(), body.to_owned())
}

#[test]
fn metrics_are_served_in_prometheus_text_format() {
    let metrics = Arc::new(Metrics::new());
    metrics.alerts.inc("Terminal shell in container");
    metrics.alerts.inc("Terminal shell in container");
    metrics.rate_limited.inc("Noisy \"rule\"");
    let sink = metrics.register_sink("webhook:http://h/x");
    sink.delivered.fetch_add(7, Relaxed);
    sink.spooled.fetch_add(2, Relaxed);
    sink.dropped.fetch_add(1, Relaxed);
    let server = MetricsServer::start(
        "127.0.0.1:0".parse().unwrap(),
        Arc::clone(&metrics),
        |out: &mut String| {
            write_header(
                out,
                "strata_events_total",
                "Events read, by source.",
                "counter",
            );
            write_sample(out, "strata_events_total", &[("source", "syscall")], 42);
        },
    )
    .unwrap();
    let addr = server.local_addr();

    let (head, body) = request(addr, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.contains("Content-Type: text/plain; version=0.0.4"),
        "{head}"
    );
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(len, body.len());
    for line in [
        "# HELP strata_alerts_total Alerts sent to the sinks, by rule.",
        "# TYPE strata_alerts_total counter",
        "strata_alerts_total{rule=\"Terminal shell in container\"} 2",
        "strata_alerts_rate_limited_total{rule=\"Noisy \\\"rule\\\"\"} 1",
        "strata_sink_delivered_total{sink=\"webhook:http://h/x\"} 7",
        "strata_sink_spooled_total{sink=\"webhook:http://h/x\"} 2",
        "strata_sink_dropped_total{sink=\"webhook:http://h/x\"} 1",
        "strata_sink_failed_total{sink=\"webhook:http://h/x\"} 0",
        "# TYPE strata_sink_queued gauge",
        "# TYPE strata_events_total counter",
        "strata_events_total{source=\"syscall\"} 42",
    ] {
        assert!(
            body.lines().any(|l| l == line),
            "missing {line:?} in\n{body}"
        );
    }

    // A query string is fine; counters move between scrapes.
    metrics.alerts.inc("Terminal shell in container");
    let (_, body) = request(addr, b"GET /metrics?x=1 HTTP/1.0\r\n\r\n");
    assert!(body.contains("strata_alerts_total{rule=\"Terminal shell in container\"} 3\n"));

    let (head, _) = request(addr, b"GET / HTTP/1.1\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 404 "), "{head}");
    let (head, _) = request(addr, b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 405 "), "{head}");
    let mut huge = b"GET /metrics HTTP/1.1\r\n".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 20_000));
    let (head, _) = request(addr, &huge);
    assert!(head.starts_with("HTTP/1.1 431 "), "{head}");

    server.stop();
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err());
}
