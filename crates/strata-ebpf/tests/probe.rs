//! Loads the probe (as root) and checks the events of real processes, with their
//! arguments. Outside CI a machine that cannot load it prints `SKIPPED: reason`; under
//! `CI=true` that fails.
#![cfg(feature = "probe")]

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::process::Command;
use std::time::{Duration, Instant};

use strata_ebpf::{Args, Kind, Probe, ProbeOptions, RawEvent};

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn load() -> Option<Probe> {
    if !Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
    {
        strata_testkit::skip_or_fail("the eBPF probe test needs root");
        return None;
    }
    match Probe::load(&ProbeOptions::default()) {
        Ok(p) => Some(p),
        Err(e) => {
            strata_testkit::skip_or_fail(&format!("cannot load the eBPF probe: {e}"));
            None
        }
    }
}

/// Polls for `wait`, keeping every event.
fn collect(probe: &mut Probe, events: &mut Vec<RawEvent>, wait: Duration) {
    let end = Instant::now() + wait;
    while Instant::now() < end {
        let started = Instant::now();
        let timeout = Duration::from_millis(50);
        probe
            .poll(timeout, |ev| events.push(ev))
            .expect("poll the ring buffer");
        assert!(
            started.elapsed() < timeout + Duration::from_millis(200),
            "poll blocked for {:?}",
            started.elapsed()
        );
    }
}

/// Polls until `found` holds for the events (at most 10 s).
fn wait_for(
    probe: &mut Probe,
    events: &mut Vec<RawEvent>,
    what: &str,
    found: impl Fn(&[RawEvent]) -> bool,
) {
    let end = Instant::now() + Duration::from_secs(10);
    while !found(events) {
        assert!(Instant::now() < end, "no event for: {what}");
        collect(probe, events, Duration::from_millis(100));
    }
}

fn run(cmd: &mut Command) -> u32 {
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let pid = child.id();
    let status = child.wait().expect("wait");
    assert!(status.success(), "{cmd:?}: {status}");
    pid
}

fn of(events: &[RawEvent], pid: u32, kind: Kind) -> Vec<&RawEvent> {
    events
        .iter()
        .filter(|e| e.pid == pid && e.kind == kind)
        .collect()
}

#[test]
fn probe_reports_real_processes() {
    let Some(mut probe) = load() else { return };
    for w in probe.warnings() {
        eprintln!("warning: {w}");
    }
    assert!(
        probe
            .attached()
            .iter()
            .any(|t| t == "syscalls/sys_exit_openat")
    );
    assert!(
        probe
            .attached()
            .iter()
            .any(|t| t == "sched/sched_process_exec")
    );
    let mut events = Vec::new();

    // --- exec with argv, fork, openat, exit: `sh` forks `cat` -------------------------
    let dir = std::env::temp_dir();
    let unique = format!(
        "strata-ebpf-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let file = dir.join(format!("{unique}.txt"));
    std::fs::File::create(&file)
        .and_then(|mut f| f.write_all(b"hello\n"))
        .expect("write the temp file");
    let path = file.to_string_lossy().into_owned();
    let sh = run(Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("/bin/cat {path} >/dev/null; true")));
    wait_for(&mut probe, &mut events, "exec of cat", |evs| {
        evs.iter().any(|e| {
            e.kind == Kind::Exec
                && matches!(&e.args, Args::Exec { argv, .. } if argv.get(1) == Some(&path))
        })
    });
    let exec = events
        .iter()
        .find(|e| {
            e.kind == Kind::Exec
                && matches!(&e.args, Args::Exec { argv, .. } if argv.get(1) == Some(&path))
        })
        .cloned()
        .expect("exec event");
    let cat = exec.pid;
    assert_eq!(exec.ppid, sh, "{exec:?}");
    assert_eq!(exec.comm, "cat");
    let Args::Exec {
        filename,
        exe_path,
        argv,
        argv_truncated,
        ..
    } = &exec.args
    else {
        unreachable!()
    };
    assert_eq!(filename, "/bin/cat");
    assert_eq!(exe_path, "/bin/cat");
    assert_eq!(argv, &vec!["/bin/cat".to_string(), path.clone()]);
    assert!(!argv_truncated);
    let now_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    assert!(
        exec.ts_ns <= now_ns && now_ns - exec.ts_ns < 60_000_000_000,
        "exec ts {} is not wall clock (now {now_ns})",
        exec.ts_ns
    );
    wait_for(&mut probe, &mut events, "openat and exit of cat", |evs| {
        !of(evs, cat, Kind::Exit).is_empty()
            && of(evs, cat, Kind::Openat)
                .iter()
                .any(|e| matches!(&e.args, Args::Open { path: p, .. } if p == &path))
    });
    let open = of(&events, cat, Kind::Openat)
        .into_iter()
        .find(|e| matches!(&e.args, Args::Open { path: p, .. } if p == &path))
        .expect("openat");
    assert!(open.ret >= 0, "{open:?}");
    assert!(
        matches!(open.args, Args::Open { dirfd: -100, .. }),
        "{open:?}"
    );
    let exit = of(&events, cat, Kind::Exit)[0];
    assert!(
        matches!(
            exit.args,
            Args::Exit {
                code: 0,
                signal: 0,
                ..
            }
        ),
        "{exit:?}"
    );
    let fork = of(&events, sh, Kind::Fork);
    assert!(
        fork.iter()
            .any(|e| matches!(e.args, Args::Fork { child_pid, .. } if child_pid == cat)),
        "no fork of {cat} by {sh}: {fork:?}"
    );

    // --- the probe ignores its own process ---------------------------------------------
    let own = dir.join(format!("{unique}.own"));
    std::fs::write(&own, b"x").expect("write own file");
    let own_path = own.to_string_lossy().into_owned();

    // --- failed exec ---------------------------------------------------------------------
    let missing = dir.join(format!("{unique}.missing"));
    let missing_path = missing.to_string_lossy().into_owned();
    let _ = run(Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("{missing_path} 2>/dev/null; true")));
    wait_for(&mut probe, &mut events, "failed exec", |evs| {
        evs.iter().any(|e| {
            e.kind == Kind::ExecFailed
                && matches!(&e.args, Args::Exec { filename, .. } if filename == &missing_path)
        })
    });
    let failed = events
        .iter()
        .find(|e| {
            e.kind == Kind::ExecFailed
                && matches!(&e.args, Args::Exec { filename, .. } if filename == &missing_path)
        })
        .expect("failed exec");
    assert_eq!(failed.ret, -2, "{failed:?}");

    // --- connect to a listener of the test, bind, accept --------------------------------
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let script = format!(
        "import socket\n\
         c = socket.create_connection(('127.0.0.1', {port}))\n\
         l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(1)\n\
         d = socket.create_connection(l.getsockname())\n\
         a, peer = l.accept()\n\
         print(l.getsockname()[1])\n"
    );
    let out = Command::new("python3")
        .arg("-c")
        .arg(&script)
        .output()
        .expect("python3");
    assert!(out.status.success(), "{out:?}");
    let (conn, _) = listener.accept().expect("accept");
    drop(conn);
    let py_port: u16 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("port");
    wait_for(&mut probe, &mut events, "connect, bind and accept", |evs| {
        let sock = |kind: Kind, want_port: Option<u16>| {
            evs.iter().any(|e| {
                e.kind == kind
                    && e.comm.starts_with("python3")
                    && matches!(&e.args, Args::Socket { addr: Some(a), .. }
                        if a.ip == Some(LOCALHOST) && want_port.is_none_or(|p| a.port == p))
            })
        };
        sock(Kind::Connect, Some(port))
            && sock(Kind::Bind, None)
            && sock(Kind::Connect, Some(py_port))
            && (sock(Kind::Accept, None) || sock(Kind::Accept4, None))
    });
    let connect = events
        .iter()
        .find(|e| {
            e.kind == Kind::Connect
                && matches!(&e.args, Args::Socket { addr: Some(a), .. } if a.port == port)
        })
        .expect("connect");
    assert_eq!(connect.ret, 0, "{connect:?}");
    let Args::Socket { addr: Some(a), .. } = &connect.args else {
        unreachable!()
    };
    assert_eq!(a.family, 2);

    // --- setuid family -------------------------------------------------------------------
    let setpriv = run(Command::new("setpriv").args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "true",
    ]));
    wait_for(&mut probe, &mut events, "setuid family", |evs| {
        evs.iter().any(|e| {
            e.pid == setpriv
                && matches!(e.kind, Kind::Setuid | Kind::Setreuid | Kind::Setresuid)
                && matches!(e.args, Args::SetIds { real, effective, .. }
                    if real == Some(65534) || effective == Some(65534))
        })
    });

    // --- unshare + mount ------------------------------------------------------------------
    let unshare = run(Command::new("unshare").args(["--mount", "true"]));
    wait_for(&mut probe, &mut events, "unshare and mount", |evs| {
        evs.iter().any(|e| {
            e.pid == unshare
                && e.kind == Kind::Unshare
                && matches!(e.args, Args::Unshare { flags } if flags & 0x0002_0000 != 0)
        }) && evs.iter().any(|e| {
            e.pid == unshare
                && e.kind == Kind::Mount
                && matches!(&e.args, Args::Mount { target, .. } if target == "/")
        })
    });

    // --- memfd_create ------------------------------------------------------------------------
    let memfd =
        run(Command::new("python3").args(["-c", "import os; os.memfd_create('strata-memfd')"]));
    wait_for(&mut probe, &mut events, "memfd_create", |evs| {
        evs.iter().any(|e| {
            e.pid == memfd
                && e.kind == Kind::MemfdCreate
                && e.ret >= 0
                && matches!(&e.args, Args::MemfdCreate { name, .. } if name == "strata-memfd")
        })
    });

    // --- dup2 -------------------------------------------------------------------------------
    let dup = run(Command::new("/bin/sh").args(["-c", "exec 3>/dev/null; exec 7>&3"]));
    wait_for(&mut probe, &mut events, "dup2", |evs| {
        evs.iter().any(|e| {
            e.pid == dup
                && matches!(e.kind, Kind::Dup2 | Kind::Dup3)
                && matches!(
                    e.args,
                    Args::Dup {
                        oldfd: 3,
                        newfd: 7,
                        ..
                    }
                )
        })
    });

    // --- links, renames, removals, directories, modes ------------------------------------
    // coreutils may make either the *at call or the old one: both are traced.
    let work = dir.join(format!("{unique}.d"));
    std::fs::create_dir(&work).unwrap();
    let d = work.to_str().unwrap().to_owned();
    run(Command::new("/bin/sh").arg("-c").arg(format!(
        "cd {d} && mkdir sub && : > file && ln -s /etc/hostname sym && ln file hard \
         && mv hard moved && chmod 600 moved && rm moved"
    )));
    let path_of = |e: &RawEvent| match &e.args {
        Args::Path { path, .. } => Some(path.clone()),
        Args::Link { newpath, .. } => Some(newpath.clone()),
        _ => None,
    };
    for (what, kinds, name) in [
        ("mkdir", &[Kind::Mkdir, Kind::Mkdirat][..], "sub"),
        ("symlink", &[Kind::Symlink, Kind::Symlinkat][..], "sym"),
        ("link", &[Kind::Link, Kind::Linkat][..], "hard"),
        ("rename", &[Kind::Rename, Kind::Renameat2][..], "moved"),
        (
            "chmod",
            &[Kind::Chmod, Kind::Fchmodat, Kind::Fchmodat2][..],
            "moved",
        ),
        ("unlink", &[Kind::Unlink, Kind::Unlinkat][..], "moved"),
    ] {
        wait_for(&mut probe, &mut events, what, |evs| {
            evs.iter().any(|e| {
                kinds.contains(&e.kind)
                    && e.ret == 0
                    && path_of(e).is_some_and(|p| p == name || p.ends_with(&format!("/{name}")))
            })
        });
    }
    assert!(
        events.iter().any(|e| matches!(&e.args,
            Args::Link { oldpath, newpath, .. } if oldpath == "/etc/hostname" && newpath.ends_with("sym"))),
        "the symlink's target"
    );

    // --- setns, capset, ptrace, bpf -------------------------------------------------------
    // Into the test's own mount namespace: a setns that changes nothing.
    let me = std::process::id().to_string();
    let nsenter = run(Command::new("nsenter").args(["-t", &me, "-m", "true"]));
    wait_for(&mut probe, &mut events, "setns", |evs| {
        !of(evs, nsenter, Kind::Setns).is_empty()
    });
    let setpriv = run(Command::new("setpriv").args(["--inh-caps=-all", "true"]));
    wait_for(&mut probe, &mut events, "capset", |evs| {
        of(evs, setpriv, Kind::Capset).iter().any(|e| e.ret == 0)
    });
    let py = run(Command::new("python3").args([
        "-c",
        "import ctypes\n\
         libc = ctypes.CDLL(None, use_errno=True)\n\
         libc.ptrace(0, 0, None, None)\n\
         libc.syscall(321, 0, None, 0)",
    ]));
    wait_for(&mut probe, &mut events, "ptrace and bpf", |evs| {
        of(evs, py, Kind::Ptrace)
            .iter()
            .any(|e| matches!(e.args, Args::Ptrace { request: 0, .. }))
            && of(evs, py, Kind::Bpf)
                .iter()
                .any(|e| matches!(e.args, Args::Bpf { cmd: 0, .. }) && e.ret < 0)
    });

    // --- packet and raw sockets (other sockets are not recorded) -----------------------------
    let packet = run(Command::new("python3").args([
        "-c",
        "import socket\n\
         socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()\n\
         socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0x0300).close()\n\
         socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()",
    ]));
    wait_for(&mut probe, &mut events, "packet and raw sockets", |evs| {
        let sockets: Vec<&Args> = evs
            .iter()
            .filter(|e| e.pid == packet && e.kind == Kind::Socket && e.ret >= 0)
            .map(|e| &e.args)
            .collect();
        // (the type carries SOCK_CLOEXEC, which Python sets)
        let is = |a: &Args, d: u64, p: u64| {
            matches!(a, Args::NewSocket { domain, ty, protocol }
                if *domain == d && ty & 0xf == 3 && *protocol == p)
        };
        sockets.len() == 2 && is(sockets[0], 17, 0x0300) && is(sockets[1], 2, 1)
    });

    // --- own events are filtered in the kernel ---------------------------------------------
    collect(&mut probe, &mut events, Duration::from_millis(200));
    let me = std::process::id();
    assert!(
        !events.iter().any(|e| e.pid == me),
        "events of the sensor's own process arrived"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(&e.args, Args::Open { path, .. } if path == &own_path))
    );

    let drops = probe.drops().expect("read the drop counter");
    eprintln!(
        "{} events, {} drops, {} decode errors",
        events.len(),
        drops,
        probe.decode_errors()
    );
    assert_eq!(probe.decode_errors(), 0);
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(&own);
    let _ = std::fs::remove_dir_all(&work);
}

/// Repeated identical opens by one thread are folded in the kernel (counted, not sent),
/// within the window; a new program (exec) in the same process is news again; with a zero
/// window every open is sent.
#[test]
fn repeated_opens_are_folded_in_the_kernel() {
    let Some(mut probe) = load() else { return };
    let file = std::env::temp_dir().join(format!("strata-ebpf-fold-{}.txt", std::process::id()));
    std::fs::write(&file, b"x").expect("write the temp file");
    let path = file.to_string_lossy().into_owned();
    let script = format!(
        "i=0; while [ $i -lt 300 ]; do : <{path}; i=$((i+1)); done; exec /bin/cat {path} >/dev/null"
    );
    let folded_before = probe.folded().expect("folded counter");
    let sh = run(Command::new("/bin/sh").arg("-c").arg(&script));
    let mut events = Vec::new();
    wait_for(&mut probe, &mut events, "exit of the loop", |evs| {
        !of(evs, sh, Kind::Exit).is_empty()
    });
    collect(&mut probe, &mut events, Duration::from_millis(300));
    let opens: Vec<&RawEvent> = of(&events, sh, Kind::Openat)
        .into_iter()
        .chain(of(&events, sh, Kind::Open))
        .filter(|e| matches!(&e.args, Args::Open { path: p, .. } if p == &path))
        .collect();
    let by_sh = opens.iter().filter(|e| e.comm == "sh").count();
    let by_cat = opens.iter().filter(|e| e.comm == "cat").count();
    // 300 opens within the 1 s window: one record, or a few if the machine is slow.
    assert!(
        (1..=10).contains(&by_sh),
        "{by_sh} records of 300 opens: {opens:?}"
    );
    assert_eq!(by_cat, 1, "the exec'd cat's open is news: {opens:?}");
    let folded = probe.folded().expect("folded counter") - folded_before;
    assert!(folded >= 290, "only {folded} opens folded");
    drop(probe);

    // Window zero: nothing folded, every open sent.
    let mut probe = match Probe::load(&ProbeOptions {
        fold_window: Duration::ZERO,
        ..ProbeOptions::default()
    }) {
        Ok(p) => p,
        Err(e) => panic!("the probe loaded once, not twice: {e}"),
    };
    let sh = run(Command::new("/bin/sh").arg("-c").arg(&script));
    let mut events = Vec::new();
    wait_for(&mut probe, &mut events, "exit of the loop", |evs| {
        !of(evs, sh, Kind::Exit).is_empty()
    });
    collect(&mut probe, &mut events, Duration::from_millis(300));
    let by_sh = of(&events, sh, Kind::Openat)
        .into_iter()
        .chain(of(&events, sh, Kind::Open))
        .filter(|e| e.comm == "sh" && matches!(&e.args, Args::Open { path: p, .. } if p == &path))
        .count();
    assert_eq!(by_sh, 300, "with no window every open is sent");
    assert_eq!(probe.folded().expect("folded counter"), 0);
    let _ = std::fs::remove_file(&file);
}
