//! The [`Sink`] trait and the [`Dispatcher`] that fans alerts out to sinks without
//! blocking its caller.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use strata_rules::Alert;

use crate::error::SinkError;
use crate::metrics::{Metrics, SinkStats};
use crate::spec::SinkSpec;

/// A destination of alerts. Each sink runs on its own thread, so its methods may block
/// (within its own timeouts); they never block the sensor.
pub trait Sink: Send {
    /// Delivers one alert, updating `cx.stats()`.
    fn deliver(&mut self, alert: &Alert, cx: &SinkContext);

    /// When `Some`, [`Sink::tick`] is called after this long without alerts (for retries).
    fn poll_interval(&self) -> Option<Duration> {
        None
    }

    /// Background work (retries) when no alert arrived for [`Sink::poll_interval`].
    fn tick(&mut self, cx: &SinkContext) {
        let _ = cx;
    }

    /// Called once after the queue is drained at shutdown; `cx.deadline()` is set.
    fn close(&mut self, cx: &SinkContext) {
        let _ = cx;
    }
}

/// What a sink sees of the dispatcher: its counters and the shutdown deadline.
#[derive(Debug)]
pub struct SinkContext {
    stats: Arc<SinkStats>,
    deadline: Arc<OnceLock<Instant>>,
}

impl SinkContext {
    /// Context for driving a sink by hand (tests, tools), with no deadline.
    pub fn new(stats: Arc<SinkStats>) -> SinkContext {
        SinkContext {
            stats,
            deadline: Arc::new(OnceLock::new()),
        }
    }

    /// The sink's counters.
    pub fn stats(&self) -> &SinkStats {
        &self.stats
    }

    /// When the dispatcher is shutting down, the time by which the sink should be done.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline.get().copied()
    }

    /// The time left before the deadline (`None`: no deadline; zero: past it).
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline()
            .map(|d| d.saturating_duration_since(Instant::now()))
    }
}

/// Settings of a [`Dispatcher`].
#[derive(Debug, Clone)]
pub struct DispatcherOptions {
    /// Alerts each sink's queue holds before alerts are dropped for that sink.
    pub queue_len: usize,
}

impl Default for DispatcherOptions {
    fn default() -> Self {
        DispatcherOptions { queue_len: 4096 }
    }
}

struct Worker {
    tx: Option<SyncSender<Arc<Alert>>>,
    stats: Arc<SinkStats>,
    thread: Option<JoinHandle<()>>,
}

/// Fans each alert out to every sink. [`Dispatcher::send`] never blocks: each sink has a
/// bounded queue and a thread; an alert that does not fit in a sink's queue is counted in
/// that sink's `dropped`.
pub struct Dispatcher {
    workers: Vec<Worker>,
    metrics: Arc<Metrics>,
    opts: DispatcherOptions,
    deadline: Arc<OnceLock<Instant>>,
    done_tx: mpsc::Sender<usize>,
    done_rx: Receiver<usize>,
}

/// What [`Dispatcher::shutdown`] managed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShutdownReport {
    /// Sinks that drained their queue and closed in time.
    pub finished: Vec<String>,
    /// Sinks still busy at the deadline (their threads are left running, detached).
    pub unfinished: Vec<String>,
}

impl Dispatcher {
    /// A dispatcher with no sinks.
    pub fn new(metrics: Arc<Metrics>, opts: DispatcherOptions) -> Dispatcher {
        let (done_tx, done_rx) = mpsc::channel();
        Dispatcher {
            workers: Vec::new(),
            metrics,
            opts,
            deadline: Arc::new(OnceLock::new()),
            done_tx,
            done_rx,
        }
    }

    /// A dispatcher with one sink per spec (see [`crate::build_sink`]).
    pub fn from_specs(
        specs: &[SinkSpec],
        metrics: Arc<Metrics>,
        opts: DispatcherOptions,
    ) -> Result<Dispatcher, SinkError> {
        let mut d = Dispatcher::new(metrics, opts);
        for spec in specs {
            let sink = crate::build_sink(spec)?;
            d.add(&spec.name(), sink)?;
        }
        Ok(d)
    }

    /// Starts `sink` on its own thread; returns its counters (registered in the metrics).
    pub fn add(&mut self, name: &str, sink: Box<dyn Sink>) -> Result<Arc<SinkStats>, SinkError> {
        let stats = self.metrics.register_sink(name);
        let (tx, rx) = mpsc::sync_channel::<Arc<Alert>>(self.opts.queue_len.max(1));
        let cx = SinkContext {
            stats: Arc::clone(&stats),
            deadline: Arc::clone(&self.deadline),
        };
        let index = self.workers.len();
        let done = self.done_tx.clone();
        let thread = std::thread::Builder::new()
            .name(format!("strata-sink-{index}"))
            .spawn(move || {
                run(sink, &rx, &cx);
                let _ = done.send(index);
            })
            .map_err(|source| SinkError::Thread {
                name: name.to_owned(),
                source,
            })?;
        self.workers.push(Worker {
            tx: Some(tx),
            stats: Arc::clone(&stats),
            thread: Some(thread),
        });
        Ok(stats)
    }

    /// The shared metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Queues `alert` for every sink; never blocks. Counts the alert under its rule.
    pub fn send(&self, alert: &Alert) {
        self.send_shared(Arc::new(alert.clone()));
    }

    /// [`Dispatcher::send`] without copying the alert.
    pub fn send_shared(&self, alert: Arc<Alert>) {
        self.metrics.alerts.inc(&alert.rule);
        for w in &self.workers {
            let Some(tx) = &w.tx else { continue };
            w.stats.queued.fetch_add(1, Relaxed);
            match tx.try_send(Arc::clone(&alert)) {
                Ok(()) => {}
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                    w.stats.queued.fetch_sub(1, Relaxed);
                    w.stats.dropped.fetch_add(1, Relaxed);
                }
            }
        }
    }

    /// Closes the queues and waits up to `timeout` for every sink to deliver what is
    /// queued and close (a webhook sink keeps undelivered alerts in its spool directory).
    pub fn shutdown(mut self, timeout: Duration) -> ShutdownReport {
        let deadline = Instant::now() + timeout;
        let _ = self.deadline.set(deadline);
        for w in &mut self.workers {
            w.tx = None;
        }
        let mut done = vec![false; self.workers.len()];
        let mut left = self.workers.len();
        while left > 0 {
            let wait = deadline.saturating_duration_since(Instant::now());
            match self.done_rx.recv_timeout(wait) {
                Ok(i) => {
                    if let Some(d) = done.get_mut(i)
                        && !*d
                    {
                        *d = true;
                        left -= 1;
                    }
                }
                Err(_) => break,
            }
        }
        let mut report = ShutdownReport::default();
        for (w, finished) in self.workers.iter_mut().zip(done) {
            let name = w.stats.name().to_owned();
            if finished {
                if let Some(t) = w.thread.take() {
                    let _ = t.join();
                }
                report.finished.push(name);
            } else {
                report.unfinished.push(name);
            }
        }
        report
    }
}

fn run(mut sink: Box<dyn Sink>, rx: &Receiver<Arc<Alert>>, cx: &SinkContext) {
    loop {
        let msg = match sink.poll_interval() {
            Some(wait) => rx.recv_timeout(wait),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match msg {
            Ok(alert) => {
                cx.stats.queued.fetch_sub(1, Relaxed);
                sink.deliver(&alert, cx);
            }
            Err(RecvTimeoutError::Timeout) => sink.tick(cx),
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    sink.close(cx);
}
