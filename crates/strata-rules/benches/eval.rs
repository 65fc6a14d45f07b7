//! Evaluation throughput with Falco's stable `falco_rules.yaml` over a realistic event mix
//! (mostly openat/read/close/connect, a few execve and setuid).
//!
//! `cargo bench -p strata-rules --bench eval` prints items/s (events per second) and, through
//! divan's allocation profiler, the allocations per iteration (0 in steady state).

use strata_rules::Event;
use strata_rules::filter::Scratch;

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    divan::main();
}

fn ruleset() -> Option<strata_rules::RuleSet> {
    let dir = std::env::var_os("STRATA_TEST_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
        });
    let path = dir.join("falco/rules-falco-rules-5.1.0/falco_rules.yaml");
    if !path.is_file() {
        eprintln!(
            "SKIPPED: {} not found (set STRATA_TEST_DATA)",
            path.display()
        );
        return None;
    }
    let res = strata_rules::load_files(&[path]);
    if !res.ok() {
        eprintln!("rules failed to load");
        return None;
    }
    Some(res.ruleset)
}

/// An event of the mix; a schema change fails the benchmark instead of measuring empty
/// events that no rule looks at.
fn event(v: serde_json::Value) -> Event {
    match serde_json::from_value(v) {
        Ok(e) => e,
        Err(e) => panic!("a benchmark event no longer parses: {e}"),
    }
}

/// 1000 events: 40% openat, 20% read, 20% close, 15% connect, 4% execve, 1% setuid.
fn mix() -> Vec<Event> {
    let files = [
        "/etc/ld.so.cache",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "/var/log/nginx/access.log",
        "/proc/self/status",
        "/etc/passwd",
        "/srv/app/config.yaml",
        "/tmp/upload-1234",
        "/etc/shadow",
    ];
    let procs = [
        ("nginx", "systemd"),
        ("python3", "bash"),
        ("java", "containerd-shim"),
        ("node", "npm"),
    ];
    let container = serde_json::json!({"id": "3ad7b26ded6d", "name": "web", "image": "nginx:1.25",
        "image_repository": "docker.io/library/nginx", "image_tag": "1.25"});
    let mut out = Vec::with_capacity(1000);
    for i in 0..1000usize {
        let (name, parent) = procs[i % procs.len()];
        let in_ct = i % 3 != 0;
        let proc_ = serde_json::json!({"pid": 1000 + i, "name": name, "exe": name,
            "exepath": format!("/usr/bin/{name}"), "args": ["-c", "run"], "start_ts": 1,
            "ancestors": [{"pid": 900, "name": parent}, {"pid": 1, "name": "systemd"}]});
        let ty = match i % 100 {
            0..40 => "openat",
            40..60 => "read",
            60..80 => "close",
            80..95 => "connect",
            95..99 => "execve",
            _ => "setuid",
        };
        let mut e = serde_json::json!({"num": i + 1, "ts": 1_796_325_012_000_000_000_u64 + i as u64,
            "type": ty, "res": 3, "proc": proc_, "user": {"uid": 33, "name": "www-data", "loginuid": -1}});
        match ty {
            "openat" | "read" | "close" => {
                e["fd"] =
                    serde_json::json!({"num": 3, "type": "file", "name": files[i % files.len()]});
                e["args"] = serde_json::json!([{"name": "flags", "value": if i % 5 == 0 {"O_WRONLY|O_APPEND"} else {"O_RDONLY|O_CLOEXEC"}}]);
            }
            "connect" => {
                e["fd"] = serde_json::json!({"num": 5, "type": "ipv4", "l4proto": "tcp",
                    "name": "172.17.0.2:40000->93.184.216.34:443", "cip": "172.17.0.2", "sip": "93.184.216.34",
                    "cport": 40000, "sport": 443, "connected": true});
            }
            "setuid" => e["args"] = serde_json::json!([{"name": "uid", "value": "0"}]),
            _ => {}
        }
        if in_ct {
            e["container"] = container.clone();
        }
        out.push(event(e));
    }
    out
}

#[divan::bench]
fn falco_rules_mix(bencher: divan::Bencher<'_, '_>) {
    let Some(rs) = ruleset() else { return };
    let events = mix();
    let mut scratch = Scratch::default();
    let mut hits = Vec::with_capacity(32);
    // Warm the scratch buffers so the measured loop is steady state; the mix must
    // exercise the rules (reads of /etc/shadow by untrusted programs fire).
    let mut fired = 0usize;
    for e in &events {
        rs.matching(e, &mut scratch, &mut hits);
        fired += hits.len();
    }
    assert!(
        fired > 0,
        "no rule fired on the benchmark mix: it measures nothing real"
    );
    bencher
        .counter(divan::counter::ItemsCount::new(events.len()))
        .bench_local(|| {
            let mut n = 0usize;
            for e in &events {
                rs.matching(e, &mut scratch, &mut hits);
                n += hits.len();
            }
            divan::black_box(n)
        });
}
