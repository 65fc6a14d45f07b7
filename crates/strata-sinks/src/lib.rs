//! Where `strata monitor` sends its alerts.
//!
//! - [`parse_sink_spec`] reads a `--sink` value into a [`SinkSpec`]; [`build_sink`] makes
//!   the [`Sink`].
//! - [`Dispatcher`] fans each [`Alert`] out to every sink without blocking the caller: each
//!   sink has its own thread and a bounded queue; an alert that does not fit in a full queue
//!   is counted as dropped for that sink. [`Dispatcher::shutdown`] drains the queues
//!   within a timeout.
//! - [`RateLimiter`] (per-rule token bucket) and [`Deduper`] shape alerts before dispatch;
//!   both take the current [`std::time::Instant`] as a parameter.
//! - [`Metrics`] counts alerts per rule and, per sink, alerts delivered / failed / dropped /
//!   spooled; [`Metrics::render`] writes the Prometheus text format and [`MetricsServer`]
//!   serves it on `GET /metrics`.
//!
//! # Sink specs
//!
//! | spec | |
//! |---|---|
//! | `stdout`, `stdout:json` | Falco's JSON alert, one per line |
//! | `stdout:text` | the alert's `output` line |
//! | `file:PATH[,max_size=100M][,keep=5]` | JSON Lines; rotated to `PATH.1`..`PATH.keep` before a write would pass `max_size` |
//! | `webhook:URL[,timeout=5s][,spool=DIR][,spool_max=64M][,backoff=500ms][,max_backoff=30s][,header=NAME:VALUE]...` | POST of the JSON alert; see [`webhook`] |
//! | `syslog:udp://HOST[:PORT][,facility=local0]` | RFC 5424 over UDP; see [`syslog`] |
//! | `syslog:tcp://HOST[:PORT][,facility=local0]` | RFC 5424, octet-counted frames over TCP |
//! | `syslog:unix://PATH[,facility=local0]`, `syslog` | RFC 5424 datagrams to a unix socket (default `/dev/log`) |
//!
//! Sizes take `K`, `M`, `G` (powers of 1024); durations take `ms`, `s`, `m`, `h`. Syslog
//! ports default to 514. Options are separated by commas (see [`spec`] for commas inside
//! values).
//!
//! # Dedup summaries
//!
//! A [`Deduper`] summary is an ordinary [`Alert`]: the last collapsed alert, with
//! `output_fields["strata.repeat_count"]` (how many were collapsed) and
//! `output_fields["strata.repeat_first_time"]` (the time of the first collapsed one).

pub mod dispatch;
pub mod error;
pub mod file;
pub mod metrics;
pub mod shaping;
pub mod spec;
pub mod syslog;
pub mod webhook;
pub mod writer;

pub use dispatch::{Dispatcher, DispatcherOptions, ShutdownReport, Sink, SinkContext};
pub use error::SinkError;
pub use file::FileSink;
pub use metrics::{Metrics, MetricsServer, SinkStats};
pub use shaping::{Deduper, RateLimit, RateLimiter};
pub use spec::{Format, SinkSpec, parse_sink_spec};
pub use strata_rules::Alert;
pub use syslog::{Facility, SyslogSink};
pub use webhook::WebhookSink;
pub use writer::{WriterSink, stdout_sink};

/// Opens the sink a spec describes (files are created, spool directories locked, syslog
/// addresses resolved); no alert is sent.
pub fn build_sink(spec: &SinkSpec) -> Result<Box<dyn Sink>, SinkError> {
    Ok(match spec {
        SinkSpec::Stdout { format } => Box::new(stdout_sink(*format)),
        SinkSpec::File(f) => Box::new(FileSink::open(f)?),
        SinkSpec::Webhook(w) => Box::new(WebhookSink::new(w)?),
        SinkSpec::Syslog(s) => Box::new(SyslogSink::new(s)?),
    })
}

/// Fuzz target: `--sink` and `--rate-limit` values (operator input, parsed strictly).
pub fn fuzz_sink_spec(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_sink_spec(text);
        let _ = text.parse::<RateLimit>();
        let _ = spec::parse_duration(text);
        let _ = spec::parse_size(text);
    }
}
