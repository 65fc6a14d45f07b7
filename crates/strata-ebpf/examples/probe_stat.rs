//! Loads the probe and counts events for a while:
//! `probe_stat [SECONDS] [-v] [--ring BYTES]`. With `-v` it prints every event. At the end it prints the rate per kind and the drops.
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use strata_ebpf::{Probe, ProbeOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut seconds = 10u64;
    let mut verbose = false;
    let mut options = ProbeOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-v" => verbose = true,
            "--ring" => options.ring_buffer_bytes = args.next().ok_or("--ring BYTES")?.parse()?,
            _ => seconds = arg.parse()?,
        }
    }
    let started = Instant::now();
    let mut probe = Probe::load(&options)?;
    eprintln!(
        "loaded in {:?}: {} tracepoints attached",
        started.elapsed(),
        probe.attached().len()
    );
    for w in probe.warnings() {
        eprintln!("warning: {w}");
    }
    let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut total = 0u64;
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    while Instant::now() < end {
        probe.poll(Duration::from_millis(100), |ev| {
            total += 1;
            *counts.entry(ev.syscall_name()).or_default() += 1;
            if verbose {
                println!(
                    "{} {} pid={} tid={} ppid={} uid={} cg={} comm={} ret={} {:?}",
                    ev.ts_ns,
                    ev.syscall_name(),
                    ev.pid,
                    ev.tid,
                    ev.ppid,
                    ev.uid,
                    ev.cgroup_id,
                    ev.comm,
                    ev.ret,
                    ev.args
                );
            }
        })?;
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "{total} events in {secs:.1} s ({:.0}/s), drops {}, decode errors {}",
        total as f64 / secs,
        probe.drops()?,
        probe.decode_errors()
    );
    for (name, n) in counts {
        eprintln!("  {name:<14} {n:>10} ({:.0}/s)", n as f64 / secs);
    }
    Ok(())
}
