//! The dispatcher never blocks: a full queue drops, for that sink only.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use strata_sinks::{Alert, Dispatcher, DispatcherOptions, Metrics, Sink, SinkContext};

use crate::helpers::{alert, wait_for};

/// A sink that reports each alert it starts on, then waits for a go.
struct Gated {
    started: mpsc::Sender<u32>,
    go: Arc<Mutex<mpsc::Receiver<()>>>,
    closed: mpsc::Sender<()>,
}

impl Sink for Gated {
    fn deliver(&mut self, alert: &Alert, cx: &SinkContext) {
        let n = alert.output_fields["n"].as_u64().unwrap() as u32;
        self.started.send(n).unwrap();
        self.go.lock().unwrap().recv().unwrap();
        cx.stats().delivered.fetch_add(1, Relaxed);
    }

    fn close(&mut self, cx: &SinkContext) {
        assert!(cx.deadline().is_some());
        self.closed.send(()).unwrap();
    }
}

#[test]
fn a_full_queue_drops_and_shutdown_drains_the_rest() {
    let metrics = Arc::new(Metrics::new());
    let mut d = Dispatcher::new(Arc::clone(&metrics), DispatcherOptions { queue_len: 2 });
    let (started_tx, started) = mpsc::channel();
    let (go, go_rx) = mpsc::channel();
    let (closed_tx, closed) = mpsc::channel();
    let stats = d
        .add(
            "gated",
            Box::new(Gated {
                started: started_tx,
                go: Arc::new(Mutex::new(go_rx)),
                closed: closed_tx,
            }),
        )
        .unwrap();
    d.send(&alert("r", 0));
    assert_eq!(started.recv_timeout(Duration::from_secs(20)).unwrap(), 0);
    for n in 1..=4 {
        d.send(&alert("r", n));
    }
    // 0 in the sink, 1 and 2 queued, 3 and 4 dropped.
    assert_eq!(stats.queued.load(Relaxed), 2);
    assert_eq!(stats.dropped.load(Relaxed), 2);
    assert_eq!(metrics.alerts.get("r"), 5);
    for _ in 0..3 {
        go.send(()).unwrap();
    }
    let report = d.shutdown(Duration::from_secs(20));
    assert_eq!(report.finished, ["gated"]);
    closed.recv_timeout(Duration::from_secs(1)).unwrap();
    assert_eq!(started.try_iter().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(stats.delivered.load(Relaxed), 3);
    assert_eq!(stats.queued.load(Relaxed), 0);
}

#[test]
fn a_dispatcher_without_sinks_counts_and_returns() {
    let metrics = Arc::new(Metrics::new());
    let d = Dispatcher::new(Arc::clone(&metrics), DispatcherOptions::default());
    d.send(&alert("x", 1));
    assert_eq!(metrics.alerts.get("x"), 1);
    wait_for("nothing", Duration::from_secs(1), || true);
    assert_eq!(d.shutdown(Duration::ZERO), Default::default());
}
