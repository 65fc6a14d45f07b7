//! The sensor's user-space event path: probe records (as the kernel sends them) converted,
//! enriched (process table, ancestors, user, descriptor, container), and evaluated against
//! the built-in rules, with the alerts discarded. Records come from this process (its
//! `/proc` entries are real) over a mix like a busy host's: mostly openat, some connect,
//! a few execve and setuid.
//!
//! `cargo bench -p strata-sensor --bench pipeline` prints events per second.

use std::sync::Arc;
use std::time::Instant;

use strata_ebpf::{Args, ExecSyscall, Kind, RawEvent, SockAddr};
use strata_sensor::docker::ContainerCache;
use strata_sensor::enrich::Enricher;
use strata_sensor::live::convert;
use strata_sensor::monitor::{Monitor, load_rules};
use strata_sensor::procfs::ProcFs;
use strata_sensor::scope::Scope;
use strata_sinks::{Dispatcher, DispatcherOptions, Metrics};

fn main() {
    divan::main();
}

fn raw(kind: Kind, args: Args, ret: i64) -> RawEvent {
    let pid = std::process::id();
    RawEvent {
        ts_ns: 1_796_325_012_000_000_000,
        kind,
        pid,
        tid: pid,
        ppid: 1,
        uid: 0,
        gid: 0,
        cgroup_id: 0,
        mntns: 0,
        comm: "bench".into(),
        ret,
        args,
    }
}

fn mix() -> Vec<RawEvent> {
    let mut out = Vec::new();
    for i in 0..1000u32 {
        let e = match i % 100 {
            0..=79 => raw(
                Kind::Openat,
                Args::Open {
                    dirfd: -100,
                    path: format!("/usr/lib/x86_64-linux-gnu/lib{}.so", i % 50),
                    flags: 0o2_000_000,
                    mode: 0,
                    resolve: 0,
                },
                3,
            ),
            80..=94 => raw(
                Kind::Connect,
                Args::Socket {
                    fd: 3,
                    addr: Some(SockAddr {
                        family: 2,
                        ip: Some(
                            "10.1.2.3"
                                .parse()
                                .unwrap_or(std::net::IpAddr::from([10, 1, 2, 3])),
                        ),
                        port: 443,
                        unix_path: None,
                    }),
                    flags: 0,
                },
                0,
            ),
            95..=98 => raw(
                Kind::Exec,
                Args::Exec {
                    syscall: ExecSyscall::Execve,
                    dirfd: -100,
                    flags: 0,
                    filename: "/usr/bin/cat".into(),
                    exe_path: "/usr/bin/cat".into(),
                    argv: vec!["cat".into(), "/etc/hostname".into()],
                    argv_truncated: false,
                    old_pid: 0,
                },
                0,
            ),
            _ => raw(
                Kind::Setuid,
                Args::SetIds {
                    real: None,
                    effective: Some(1000),
                    saved: None,
                },
                0,
            ),
        };
        out.push(e);
    }
    out
}

#[divan::bench(sample_count = 20)]
fn builtin_rules_1000_events(bencher: divan::Bencher<'_, '_>) {
    let loaded = load_rules(&[], true);
    assert!(loaded.ok());
    let mut monitor = Monitor::new(loaded.ruleset, Scope::default(), None, None);
    let dispatcher = Dispatcher::new(Arc::new(Metrics::new()), DispatcherOptions::default());
    let mut en = Enricher::new(ProcFs::default(), ContainerCache::offline(), "bench".into());
    let events = mix();
    bencher
        .counter(divan::counter::ItemsCount::new(events.len()))
        .with_inputs(|| events.clone())
        .bench_local_values(|evs| {
            let now = Instant::now();
            for e in evs {
                if let Some(ev) = convert(&mut en, e) {
                    monitor.handle(ev, now, &dispatcher);
                }
            }
        });
}
