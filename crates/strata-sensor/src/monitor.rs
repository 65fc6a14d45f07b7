//! The monitor loop: events from a source, scoped, evaluated against the rules, shaped
//! (rate limit, de-duplication) and handed to the sinks' dispatcher, which never blocks.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use strata_rules::filter::Scratch;
use strata_rules::{Alert, Event, LoadResult, Loader, RuleSet};
use strata_sinks::{Deduper, Dispatcher, RateLimiter};

use crate::scope::Scope;

/// strata's built-in rules (Falco syntax), loaded before any `--rules` file.
pub const BUILTIN_RULES: &str = include_str!("../rules/strata_rules.yaml");
/// The name diagnostics give the built-in file.
pub const BUILTIN_RULES_NAME: &str = "<builtin>/strata_rules.yaml";
/// Longest replay line.
const MAX_LINE: usize = 1 << 20;

/// Loads the built-in rules (unless `builtin` is false), then `files` in order.
pub fn load_rules(files: &[PathBuf], builtin: bool) -> LoadResult {
    let mut l = Loader::new();
    if builtin {
        l.add_str(BUILTIN_RULES_NAME, BUILTIN_RULES);
    }
    for f in files {
        l.add_file(f);
    }
    l.finish()
}

/// Counters of the monitor, shared with the metrics endpoint.
#[derive(Debug, Default)]
pub struct MonitorStats {
    /// Events read from the source.
    pub events: AtomicU64,
    /// Events outside `--scope`.
    pub out_of_scope: AtomicU64,
    /// Alerts raised by rules (before shaping).
    pub alerts: AtomicU64,
    /// Alerts held back by the rate limiter.
    pub rate_limited: AtomicU64,
    /// Alerts folded into a repeat count.
    pub deduplicated: AtomicU64,
    /// Lines or records that could not be read.
    pub malformed: AtomicU64,
    /// Events the kernel could not hand over (ring buffer full).
    pub kernel_drops: AtomicU64,
    /// Opens the kernel folded into an identical earlier record of their thread.
    pub kernel_folded: AtomicU64,
    /// Events from a container whose metadata was not known yet.
    pub container_misses: AtomicU64,
    /// Docker events received.
    pub docker_events: AtomicU64,
    /// Losses by the part of the source that lost them (`ebpf_ring`, `proc_connector`,
    /// `fanotify_overflow`, `fanotify_reopen`, `sock_diag`); their sum is `kernel_drops`.
    pub lost_by_part: std::sync::Mutex<Vec<(&'static str, u64)>>,
    /// The container context: inspections that succeeded, failed or timed out, were not
    /// queued (queue full); reopened event streams; Docker events dropped (queue full).
    pub docker_lookups: AtomicU64,
    pub docker_lookup_failures: AtomicU64,
    pub docker_lookup_queue_full: AtomicU64,
    pub docker_stream_reconnects: AtomicU64,
    pub docker_events_dropped: AtomicU64,
}

/// Rules, scope and alert shaping.
pub struct Monitor {
    rules: RuleSet,
    scope: Scope,
    scratch: Scratch,
    hits: Vec<u32>,
    limiter: Option<RateLimiter>,
    deduper: Option<Deduper>,
    pending: Vec<Alert>,
    /// Counters.
    pub stats: Arc<MonitorStats>,
}

impl Monitor {
    /// A monitor over compiled rules.
    pub fn new(
        rules: RuleSet,
        scope: Scope,
        limiter: Option<RateLimiter>,
        deduper: Option<Deduper>,
    ) -> Monitor {
        Monitor {
            rules,
            scope,
            scratch: Scratch::default(),
            hits: Vec::new(),
            limiter,
            deduper,
            pending: Vec::new(),
            stats: Arc::new(MonitorStats::default()),
        }
    }

    /// Evaluates one event; alerts that pass the shaping go to `dispatcher`.
    pub fn handle(&mut self, ev: &Event, now: Instant, dispatcher: &Dispatcher) {
        self.stats.events.fetch_add(1, Ordering::Relaxed);
        if !self.scope.admits(ev) {
            self.stats.out_of_scope.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.rules.matching(ev, &mut self.scratch, &mut self.hits);
        for i in 0..self.hits.len() {
            let Some(alert) = self.rules.alert(self.hits[i], ev, &mut self.scratch) else {
                continue;
            };
            self.stats.alerts.fetch_add(1, Ordering::Relaxed);
            if let Some(l) = &mut self.limiter
                && !l.allow(&alert.rule, now)
            {
                self.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
                dispatcher.metrics().rate_limited.inc(&alert.rule);
                continue;
            }
            match &mut self.deduper {
                Some(d) => {
                    let before = self.pending.len();
                    let rule = alert.rule.clone();
                    d.offer(alert, now, &mut self.pending);
                    if self.pending.len() == before {
                        self.stats.deduplicated.fetch_add(1, Ordering::Relaxed);
                        dispatcher.metrics().deduplicated.inc(&rule);
                    }
                }
                None => self.pending.push(alert),
            }
        }
        self.flush_pending(dispatcher);
    }

    /// Emits de-duplication summaries whose window has closed.
    pub fn tick(&mut self, now: Instant, dispatcher: &Dispatcher) {
        if let Some(d) = &mut self.deduper {
            d.expire(now, &mut self.pending);
        }
        self.flush_pending(dispatcher);
    }

    /// Emits every held summary (at shutdown).
    pub fn finish(&mut self, dispatcher: &Dispatcher) {
        if let Some(d) = &mut self.deduper {
            d.flush(&mut self.pending);
        }
        self.flush_pending(dispatcher);
    }

    fn flush_pending(&mut self, dispatcher: &Dispatcher) {
        for a in self.pending.drain(..) {
            dispatcher.send_shared(Arc::new(a));
        }
    }
}

/// Why the monitor could not run.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// The replay file could not be opened.
    #[error("{path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The live source could not start.
    #[error("{0}")]
    Source(String),
}

/// Replays a JSONL events file through the monitor. A malformed line is counted and
/// reported on stderr (the first ten), and the replay goes on.
pub fn run_replay(
    path: &Path,
    monitor: &mut Monitor,
    dispatcher: &Dispatcher,
    stop: &AtomicBool,
) -> Result<(), MonitorError> {
    let f = std::fs::File::open(path).map_err(|source| MonitorError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut r = BufReader::new(f);
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    while !stop.load(Ordering::Relaxed) {
        buf.clear();
        line_no += 1;
        let n = match r
            .by_ref()
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
        {
            Ok(n) => n,
            Err(e) => {
                eprintln!(
                    "warning: {}: line {line_no}: {e}; replay stopped",
                    path.display()
                );
                monitor.stats.malformed.fetch_add(1, Ordering::Relaxed);
                break;
            }
        };
        if n == 0 {
            break;
        }
        if buf.len() > MAX_LINE {
            // Skip the rest of an over-long line.
            monitor.stats.malformed.fetch_add(1, Ordering::Relaxed);
            warn_malformed(
                monitor,
                path,
                &format!("line {line_no}: longer than {MAX_LINE} bytes"),
            );
            while !buf.ends_with(b"\n") {
                buf.clear();
                match r.by_ref().take(MAX_LINE as u64).read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            continue;
        }
        let line = buf.trim_ascii();
        if line.is_empty() {
            continue;
        }
        match strata_rules::replay::parse_event(line, line_no) {
            Ok(mut ev) => {
                if ev.num == 0 {
                    ev.num = line_no as u64;
                }
                monitor.handle(&ev, Instant::now(), dispatcher);
            }
            Err(e) => {
                monitor.stats.malformed.fetch_add(1, Ordering::Relaxed);
                warn_malformed(monitor, path, &e.to_string());
            }
        }
    }
    monitor.finish(dispatcher);
    Ok(())
}

fn warn_malformed(monitor: &Monitor, path: &Path, msg: &str) {
    let n = monitor.stats.malformed.load(Ordering::Relaxed);
    if n <= 10 {
        eprintln!("warning: {}: {msg}; line skipped", path.display());
    } else if n == 11 {
        eprintln!(
            "warning: {}: more malformed lines; counting them silently",
            path.display()
        );
    }
}

/// Renders the monitor's counters in Prometheus text format.
pub fn render_metrics(out: &mut String, stats: &MonitorStats, source: &str) {
    use strata_sinks::metrics::{write_header, write_sample};
    // Per source (ebpf, proc, replay), except the container context, which is the
    // daemon's whatever the source.
    let counters: [(&str, &str, &AtomicU64, bool); 13] = [
        (
            "strata_events_total",
            "Events read from the source.",
            &stats.events,
            true,
        ),
        (
            "strata_events_out_of_scope_total",
            "Events outside --scope.",
            &stats.out_of_scope,
            true,
        ),
        (
            "strata_rule_matches_total",
            "Alerts raised by rules before rate limiting and de-duplication.",
            &stats.alerts,
            true,
        ),
        (
            "strata_malformed_total",
            "Events or lines that could not be read.",
            &stats.malformed,
            true,
        ),
        (
            "strata_kernel_drops_total",
            "Events lost in the kernel (ring buffer full).",
            &stats.kernel_drops,
            true,
        ),
        (
            "strata_kernel_folded_total",
            "Opens folded in the kernel into an identical earlier open of their thread (--fold-window).",
            &stats.kernel_folded,
            true,
        ),
        (
            "strata_container_misses_total",
            "Events from a container whose metadata was not known yet.",
            &stats.container_misses,
            true,
        ),
        (
            "strata_docker_events_total",
            "Docker Engine events received.",
            &stats.docker_events,
            true,
        ),
        (
            "strata_docker_lookups_total",
            "Container inspections answered by the Docker Engine.",
            &stats.docker_lookups,
            false,
        ),
        (
            "strata_docker_lookup_failures_total",
            "Container inspections that failed or timed out.",
            &stats.docker_lookup_failures,
            false,
        ),
        (
            "strata_docker_lookup_queue_full_total",
            "Container inspections not queued because the queue was full.",
            &stats.docker_lookup_queue_full,
            false,
        ),
        (
            "strata_docker_stream_reconnects_total",
            "Times the Docker event stream was reopened.",
            &stats.docker_stream_reconnects,
            false,
        ),
        (
            "strata_docker_events_dropped_total",
            "Docker events dropped because the event path's queue was full.",
            &stats.docker_events_dropped,
            false,
        ),
    ];
    // Alerts held back by the rate limiter are counted per rule by the dispatcher's
    // metrics (`strata_alerts_rate_limited_total{rule=...}`): a family has one name.
    let by_source = [("source", source)];
    for (name, help, v, labelled) in counters {
        write_header(out, name, help, "counter");
        let labels: &[(&str, &str)] = if labelled { &by_source } else { &[] };
        write_sample(out, name, labels, v.load(Ordering::Relaxed));
    }
    let parts = stats
        .lost_by_part
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    if !parts.is_empty() {
        let name = "strata_source_lost_total";
        write_header(
            out,
            name,
            "Events lost, by the part of the source that lost them.",
            "counter",
        );
        for (part, n) in parts {
            write_sample(out, name, &[("source", source), ("part", part)], n);
        }
    }
}

/// A stop flag that `--duration` or a signal sets.
pub fn deadline_passed(start: Instant, duration: Option<Duration>) -> bool {
    duration.is_some_and(|d| start.elapsed() >= d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exposition as a Prometheus server reads it: every family declared once by a
    /// `# TYPE` line, each sample after its family's declaration and beside its siblings.
    fn check_exposition(text: &str) -> Result<usize, String> {
        let mut declared = std::collections::HashSet::new();
        let mut current = String::new();
        let mut samples = 0;
        for (n, line) in text.lines().enumerate() {
            let at = n + 1;
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let name = rest.split(' ').next().unwrap_or_default().to_owned();
                if !declared.insert(name.clone()) {
                    return Err(format!("line {at}: family {name} declared twice"));
                }
                current = name;
            } else if line.starts_with("# HELP ") || line.is_empty() {
            } else {
                let name = line.split(['{', ' ']).next().unwrap_or_default();
                if name != current {
                    return Err(format!("line {at}: sample {name} outside its family"));
                }
                let value = line.rsplit(' ').next().unwrap_or_default();
                value
                    .parse::<f64>()
                    .map_err(|e| format!("line {at}: value {value:?}: {e}"))?;
                samples += 1;
            }
        }
        Ok(samples)
    }

    #[test]
    fn metrics_declare_each_family_once() {
        let metrics = strata_sinks::Metrics::new();
        metrics.rate_limited.inc("Noisy rule");
        metrics.alerts.inc("Noisy rule");
        let stats = MonitorStats::default();
        stats.rate_limited.fetch_add(1, Ordering::Relaxed);
        *stats.lost_by_part.lock().unwrap() = vec![("proc_connector", 2), ("fanotify_overflow", 1)];
        stats.docker_lookup_failures.fetch_add(3, Ordering::Relaxed);
        let mut out = metrics.render_string();
        render_metrics(&mut out, &stats, "proc");
        let samples = check_exposition(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        assert!(samples >= 10, "{out}");
        for sample in [
            "strata_alerts_rate_limited_total{rule=\"Noisy rule\"} 1",
            "strata_source_lost_total{source=\"proc\",part=\"proc_connector\"} 2",
            "strata_docker_lookup_failures_total 3",
        ] {
            assert!(out.contains(sample), "{sample}\n{out}");
        }
        // The checker itself rejects a second declaration.
        let twice = "# TYPE a counter\na 1\n# TYPE a counter\na{x=\"y\"} 1\n";
        assert!(check_exposition(twice).is_err());
    }
}
