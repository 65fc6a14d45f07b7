//! The runtime sensor behind `strata monitor`: event sources, the process table, container
//! context from the Docker Engine, built-in rules and the monitor loop.

pub mod cgroup;
pub mod docker;
pub mod enrich;
pub mod fanotify;
pub mod live;
pub mod monitor;
pub mod proc_connector;
pub mod process;
pub mod procfs;
pub mod scope;
pub mod sock_diag;
pub mod sockets;
mod wire;

/// Fuzz target: a netlink process-connector datagram (kernel data, parsed defensively).
pub fn fuzz_proc_connector(data: &[u8]) {
    let _ = proc_connector::parse_datagram(data);
}

/// Fuzz target: a buffer read from a fanotify descriptor.
pub fn fuzz_fanotify(data: &[u8]) {
    let _ = fanotify::parse_records(data);
}

/// Fuzz target: a buffer read from a sock_diag socket (kernel data, parsed defensively).
pub fn fuzz_sock_diag(data: &[u8]) {
    let mut out = Vec::new();
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    // Both the TCP and the UDP readings of a dump (they differ in what a state means).
    let proto = if first & 1 == 0 {
        sock_diag::Proto::Tcp
    } else {
        sock_diag::Proto::Udp
    };
    let _ = sock_diag::parse_dump(rest, 1, proto, &mut out);
}

/// Fuzz target: what a container controls and the sensor reads: its `/etc/passwd` and
/// `/etc/group` (split at the first NUL), and `--scope` values.
pub fn fuzz_container_files(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (passwd, group) = text.split_once('\0').unwrap_or((&text, ""));
    enrich::fuzz_accounts(passwd, group);
    let _ = scope::Scope::parse(&text.split('\n').collect::<Vec<_>>());
}

/// Fuzz target: Docker Engine answers (an event line, a container inspection).
pub fn fuzz_docker_json(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = docker::parse_event_line(text);
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
            let _ = docker::parse_inspect(&v);
        }
        let _ = docker::parse_rfc3339_ns(text);
        let _ = docker::split_image(text);
    }
}

/// Fuzz target: `/proc` files (stat, status, cmdline, mountinfo) and cgroup paths the sensor reads.
pub fn fuzz_procfs_text(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = procfs::parse_stat(&text);
    let _ = procfs::parse_status(&text);
    let _ = procfs::parse_cmdline(data);
    let _ = procfs::mount_points(&text).count();
    let _ = cgroup::container_from_proc_cgroup(&text);
    let _ = sockets::find_in_table(&text, 1, "tcp");
}

#[cfg(test)]
mod fuzz_smoke {
    /// The fuzz entry points survive random and truncated input (the fuzzer runs them on
    /// nightly; this keeps them exercised on stable).
    #[test]
    fn fuzz_entry_points_survive_random_input() {
        let mut rng = strata_testkit::rng::XorShift(0x9e37_79b9_7f4a_7c15);
        let seeds: [&[u8]; 4] = [
            br#"{"Type":"container","Action":"exec_start: sh","Actor":{"ID":"abc"},"timeNano":1}"#,
            b"4242 (a b) S 1 4242 4242 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 77",
            b"0::/system.slice/docker-0123456789012345678901234567890123456789012345678901234567890123.scope",
            b"Uid:\t1\t2\t3\t4\nCapEff:\tffff\n",
        ];
        for seed in seeds {
            for cut in 0..=seed.len() {
                crate::fuzz_docker_json(&seed[..cut]);
                crate::fuzz_procfs_text(&seed[..cut]);
                crate::fuzz_proc_connector(&seed[..cut]);
                crate::fuzz_fanotify(&seed[..cut]);
                crate::fuzz_sock_diag(&seed[..cut]);
                crate::fuzz_container_files(&seed[..cut]);
            }
        }
        for _ in 0..3000 {
            let v = rng.bytes(96);
            crate::fuzz_docker_json(&v);
            crate::fuzz_procfs_text(&v);
            crate::fuzz_proc_connector(&v);
            crate::fuzz_fanotify(&v);
            crate::fuzz_sock_diag(&v);
            crate::fuzz_container_files(&v);
        }
    }
}
