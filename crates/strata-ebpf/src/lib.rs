//! The kernel probe of the runtime sensor `strata monitor`.
//!
//! `bpf/probe.bpf.c` holds eBPF programs for tracepoints (`sched/sched_process_{exec,fork,exit}`
//! and `syscalls/sys_{enter,exit}_*` of file, network, privilege and namespace syscalls)
//! that write one record per event to a ring buffer. With the cargo feature `probe`,
//! `build.rs` compiles it with clang and [`Probe::load`] loads and attaches it (as root);
//! [`Probe::poll`] hands out decoded [`RawEvent`]s. Without the feature no clang is needed
//! and [`Probe::load`] returns [`ProbeError::Unsupported`].
//!
//! The record decoder, [`decode`], is always built: it is pure and panic-free on any
//! input. Fuzz entry point: [`fuzz_decode`].
mod error;
mod probe;
pub mod record;
#[cfg(feature = "probe")]
mod sys;

pub use error::ProbeError;
pub use probe::{Probe, ProbeOptions};
pub use record::{Args, DecodeError, ExecSyscall, Kind, RawEvent, SockAddr, decode};

/// Fuzz target: [`decode`] must never panic, whatever the bytes.
pub fn fuzz_decode(data: &[u8]) {
    let _ = decode(data);
}
