//! Steady-state evaluation allocates nothing: with Falco's stable rules loaded and the
//! scratch buffers warm, matching a realistic mix of events makes no heap allocation on
//! the evaluating thread (counted by the test binary's allocator, see main.rs).

use strata_rules::filter::Scratch;

use crate::{falco_dir, thread_allocations};

/// Events like the benchmark's: mostly openat/read/close/connect, a few execve and setuid,
/// two thirds in a container.
fn mix() -> Vec<strata_rules::Event> {
    let files = [
        "/etc/ld.so.cache",
        "/var/log/nginx/access.log",
        "/etc/shadow",
        "/tmp/x",
    ];
    let mut out = Vec::new();
    for i in 0..200usize {
        let ty = match i % 20 {
            0..8 => "openat",
            8..12 => "read",
            12..16 => "close",
            16..18 => "connect",
            18 => "execve",
            _ => "setuid",
        };
        let mut e = serde_json::json!({
            "num": i + 1, "ts": 1_796_325_012_000_000_000_u64 + i as u64, "type": ty, "res": 3,
            "proc": {"pid": 1000 + i, "name": "nginx", "exe": "nginx", "exepath": "/usr/sbin/nginx",
                     "args": ["-g", "daemon off;"], "start_ts": 1,
                     "ancestors": [{"pid": 900, "name": "bash"}, {"pid": 1, "name": "systemd"}]},
            "user": {"uid": 33, "name": "www-data", "loginuid": -1}});
        match ty {
            "connect" => {
                e["fd"] = serde_json::json!({"num": 5, "type": "ipv4", "l4proto": "tcp",
                    "name": "172.17.0.2:40000->169.254.169.254:80", "cip": "172.17.0.2",
                    "sip": "169.254.169.254", "cport": 40000, "sport": 80, "connected": true});
            }
            "setuid" => e["args"] = serde_json::json!([{"name": "uid", "value": "0"}]),
            "execve" => {
                e["proc"]["name"] = "sh".into();
                e["proc"]["exepath"] = "/bin/sh".into();
            }
            _ => {
                e["fd"] =
                    serde_json::json!({"num": 3, "type": "file", "name": files[i % files.len()]});
                e["args"] = serde_json::json!([{"name": "flags",
                    "value": if i % 3 == 0 { "O_WRONLY|O_CREAT" } else { "O_RDONLY" }}]);
            }
        }
        if i % 3 != 0 {
            e["container"] = serde_json::json!({"id": "3ad7b26ded6d", "name": "web",
                "image": "nginx:1.25", "image_repository": "docker.io/library/nginx",
                "image_tag": "1.25", "privileged": i % 7 == 0});
        }
        out.push(serde_json::from_value(e).unwrap());
    }
    out
}

#[test]
fn steady_state_matching_allocates_nothing() {
    let Some(d) = falco_dir() else { return };
    let res = strata_rules::load_files(&[d.join("rules-falco-rules-5.1.0/falco_rules.yaml")]);
    assert!(res.ok());
    let rs = res.ruleset;
    let events = mix();
    let mut scratch = Scratch::default();
    let mut hits = Vec::with_capacity(64);
    let mut warm_hits = 0;
    for e in &events {
        rs.matching(e, &mut scratch, &mut hits);
        warm_hits += hits.len();
    }
    // The mix is not all benign: some rules must fire, or the test would prove little.
    assert!(warm_hits > 0);
    // The counter counts: one allocation is seen.
    let probe = thread_allocations();
    std::hint::black_box(vec![0u8; 16]);
    assert_eq!(thread_allocations() - probe, 1);

    let before = thread_allocations();
    let mut n = 0;
    for _ in 0..5 {
        for e in &events {
            rs.matching(e, &mut scratch, &mut hits);
            n += hits.len();
        }
    }
    let allocations = thread_allocations() - before;
    assert_eq!(n, warm_hits * 5);
    assert_eq!(
        allocations,
        0,
        "allocations in {} evaluations",
        events.len() * 5
    );
}
