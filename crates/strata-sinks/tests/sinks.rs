//! Integration tests of strata-sinks: specs, the dispatcher, every sink against a real
//! local receiver, alert shaping and the metrics endpoint.
#![allow(clippy::unwrap_used)]

#[path = "sinks/dispatcher.rs"]
mod dispatcher;
#[path = "sinks/helpers.rs"]
mod helpers;
#[path = "sinks/metrics.rs"]
mod metrics;
#[path = "sinks/shaping.rs"]
mod shaping;
#[path = "sinks/specs.rs"]
mod specs;
#[path = "sinks/streams.rs"]
mod streams;
#[path = "sinks/syslog.rs"]
mod syslog;
#[path = "sinks/webhook.rs"]
mod webhook;
