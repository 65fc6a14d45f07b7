//! The webhook sink against a real HTTP server on 127.0.0.1.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use strata_sinks::{Dispatcher, DispatcherOptions, Format, Metrics, WriterSink, parse_sink_spec};

use crate::helpers::{HttpServer, SharedBuf, alert, dead_port, wait_for};

const LONG: Duration = Duration::from_secs(20);

fn dispatcher(spec: &str, metrics: &Arc<Metrics>) -> Dispatcher {
    let spec = parse_sink_spec(spec).unwrap();
    Dispatcher::from_specs(&[spec], Arc::clone(metrics), DispatcherOptions::default()).unwrap()
}

#[test]
fn delivers_each_alert_as_a_json_post() {
    let server = HttpServer::start();
    let metrics = Arc::new(Metrics::new());
    let url = server.url("/hook?k=v");
    let d = dispatcher(
        &format!("webhook:{url},header=Authorization:Bearer t0ken,header=X-Env:prod"),
        &metrics,
    );
    let alerts: Vec<_> = (0..3).map(|n| alert("Write below etc", n)).collect();
    for a in &alerts {
        d.send(a);
    }
    let stats = metrics.sinks()[0].clone();
    assert_eq!(stats.name(), format!("webhook:http://{}/hook", server.addr));
    wait_for("3 deliveries", LONG, || stats.delivered.load(Relaxed) == 3);
    let report = d.shutdown(LONG);
    assert_eq!(report.unfinished, Vec::<String>::new());
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    for (r, a) in reqs.iter().zip(&alerts) {
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/hook?k=v");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("authorization"), Some("Bearer t0ken"));
        assert_eq!(r.header("x-env"), Some("prod"));
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body, serde_json::to_value(a).unwrap());
    }
    assert_eq!(stats.errors.load(Relaxed), 0);
    assert_eq!(stats.spooled.load(Relaxed), 0);
}

#[test]
fn retries_with_backoff_after_server_errors() {
    let server = HttpServer::start();
    server.script(&[500, 503, 429]);
    let metrics = Arc::new(Metrics::new());
    let d = dispatcher(
        &format!("webhook:{},backoff=20ms,max_backoff=40ms", server.url("/")),
        &metrics,
    );
    let start = Instant::now();
    d.send(&alert("r", 1));
    d.send(&alert("r", 2));
    let stats = metrics.sinks()[0].clone();
    wait_for("2 deliveries", LONG, || stats.delivered.load(Relaxed) == 2);
    // Backoff 20 ms, then 40 ms, then 40 ms (capped) before the fourth attempt.
    assert!(
        start.elapsed() >= Duration::from_millis(100),
        "{:?}",
        start.elapsed()
    );
    d.shutdown(LONG);
    assert_eq!(server.requests().len(), 5);
    assert_eq!(server.accepted_ns(), [1, 2]);
    assert_eq!(stats.errors.load(Relaxed), 3);
    // The first alert waited in the (memory) spool, the second queued behind it.
    assert_eq!(stats.spooled.load(Relaxed), 2);
    assert_eq!(stats.failed.load(Relaxed), 0);
    assert!(stats.last_error().unwrap().contains("HTTP 429"));
}

#[test]
fn a_client_error_rejects_the_alert_for_good() {
    let server = HttpServer::start();
    server.script(&[400]);
    let metrics = Arc::new(Metrics::new());
    let d = dispatcher(&format!("webhook:{}", server.url("/")), &metrics);
    d.send(&alert("r", 1));
    d.send(&alert("r", 2));
    let stats = metrics.sinks()[0].clone();
    wait_for("1 delivery", LONG, || stats.delivered.load(Relaxed) == 1);
    d.shutdown(LONG);
    assert_eq!(stats.failed.load(Relaxed), 1);
    assert_eq!(server.accepted_ns(), [2]);
}

fn spool_files(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    v.sort();
    v
}

#[test]
fn spools_while_down_and_a_restarted_sink_delivers_in_order_exactly_once() {
    let spool = tempfile::tempdir().unwrap();
    let down = format!("http://127.0.0.1:{}/hook", dead_port());

    // First run: nothing listens; every alert ends up in the spool.
    let metrics = Arc::new(Metrics::new());
    let d = dispatcher(
        &format!("webhook:{down},spool={},backoff=1h", spool.path().display()),
        &metrics,
    );
    for n in 0..5 {
        d.send(&alert("r", n));
    }
    let stats = metrics.sinks()[0].clone();
    wait_for("5 spooled", LONG, || stats.spooled.load(Relaxed) == 5);
    let report = d.shutdown(LONG);
    assert_eq!(report.unfinished, Vec::<String>::new());
    assert_eq!(stats.delivered.load(Relaxed), 0);
    assert_eq!(stats.failed.load(Relaxed), 0);
    assert_eq!(stats.spool_pending.load(Relaxed), 5);
    assert!(stats.errors.load(Relaxed) >= 1);
    assert_eq!(spool_files(spool.path()).len(), 5);

    // Second run ("after a restart"): the endpoint is up; the spool goes first, then new alerts.
    let server = HttpServer::start();
    let metrics = Arc::new(Metrics::new());
    let d = dispatcher(
        &format!(
            "webhook:{},spool={}",
            server.url("/hook"),
            spool.path().display()
        ),
        &metrics,
    );
    for n in 5..8 {
        d.send(&alert("r", n));
    }
    let stats = metrics.sinks()[0].clone();
    wait_for("8 deliveries", LONG, || stats.delivered.load(Relaxed) == 8);
    d.shutdown(LONG);
    assert_eq!(server.accepted_ns(), (0..8).collect::<Vec<_>>());
    assert_eq!(server.requests().len(), 8);
    assert_eq!(stats.spool_pending.load(Relaxed), 0);
    assert_eq!(spool_files(spool.path()), Vec::<String>::new());

    // Third run: nothing left to send again.
    let metrics = Arc::new(Metrics::new());
    let d = dispatcher(
        &format!(
            "webhook:{},spool={}",
            server.url("/hook"),
            spool.path().display()
        ),
        &metrics,
    );
    d.shutdown(LONG);
    assert_eq!(server.requests().len(), 8);
}

#[test]
fn two_sinks_cannot_share_a_spool_directory() {
    let spool = tempfile::tempdir().unwrap();
    let spec = format!(
        "webhook:http://127.0.0.1:9/x,spool={}",
        spool.path().display()
    );
    let metrics = Arc::new(Metrics::new());
    let d = dispatcher(&spec, &metrics);
    let err = Dispatcher::from_specs(
        &[parse_sink_spec(&spec).unwrap()],
        Arc::clone(&metrics),
        DispatcherOptions::default(),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("in use"), "{err}");
    d.shutdown(LONG);
}

#[test]
fn a_hanging_endpoint_blocks_only_its_own_sink() {
    let server = HttpServer::start();
    server.hang();
    let metrics = Arc::new(Metrics::new());
    let mut d = Dispatcher::from_specs(
        &[parse_sink_spec(&format!("webhook:{},timeout=60s", server.url("/"))).unwrap()],
        Arc::clone(&metrics),
        DispatcherOptions { queue_len: 16 },
    )
    .unwrap();
    let out = SharedBuf::default();
    let text = d
        .add("text", Box::new(WriterSink::new(out.clone(), Format::Text)))
        .unwrap();
    let hook = metrics.sinks()[0].clone();

    d.send(&alert("r", 0));
    wait_for("the webhook to connect", LONG, || server.connections() == 1);
    let mut slowest = Duration::ZERO;
    for n in 1..50 {
        let t = Instant::now();
        d.send(&alert("r", n));
        slowest = slowest.max(t.elapsed());
        wait_for("the text sink", LONG, || {
            text.delivered.load(Relaxed) == u64::from(n) + 1
        });
    }
    assert!(
        slowest < Duration::from_millis(500),
        "send took {slowest:?}"
    );
    assert_eq!(out.text().lines().count(), 50);
    // One alert stuck in the request, 16 queued, the rest dropped.
    assert_eq!(hook.queued.load(Relaxed), 16);
    assert_eq!(hook.dropped.load(Relaxed), 50 - 1 - 16);
    assert_eq!(text.dropped.load(Relaxed), 0);

    let t = Instant::now();
    let report = d.shutdown(Duration::from_millis(300));
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(report.finished, ["text"]);
    assert_eq!(report.unfinished, [hook.name()]);
}

#[test]
fn https_goes_through_tls() {
    // A plain-HTTP server behind an https:// URL: the TLS handshake fails, the alert is
    // kept for a retry (this runs the rustls client; a missing crypto provider would panic).
    let server = HttpServer::start();
    let metrics = Arc::new(Metrics::new());
    let d = dispatcher(
        &format!("webhook:https://{}/hook,backoff=1h,timeout=5s", server.addr),
        &metrics,
    );
    d.send(&alert("r", 1));
    let stats = metrics.sinks()[0].clone();
    wait_for("a spooled alert", LONG, || stats.spooled.load(Relaxed) == 1);
    d.shutdown(LONG);
    assert_eq!(stats.delivered.load(Relaxed), 0);
    assert_eq!(server.accepted().len(), 0);
    // The memory spool is lost at shutdown and counted.
    assert_eq!(stats.failed.load(Relaxed), 1);
    let err = stats.last_error().unwrap();
    assert!(err.contains("undelivered at shutdown"), "{err}");
}
