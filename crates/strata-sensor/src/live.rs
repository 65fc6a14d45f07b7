//! The live source: the eBPF probe's records turned into enriched events, Docker Engine
//! events, and the loop that feeds them to the monitor.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

use strata_ebpf::{Args, Kind, Probe, ProbeOptions, RawEvent};
use strata_rules::Event;
use strata_rules::event::{Container, EventArg};
use strata_sinks::Dispatcher;

use crate::docker::{ContainerCache, DockerEvent, DockerWatcher, Lookup};
use crate::enrich::{AT_FDCWD, Enricher, FdRef, Record, SockAddr, SocketRole};
use crate::monitor::{Monitor, MonitorError};
use crate::procfs::{ProcFs, caps_to_string};

/// Open flags as Falco renders them.
pub fn open_flags(flags: u64) -> String {
    let mut out = String::with_capacity(48);
    out.push_str(match flags & 3 {
        0 => "O_RDONLY",
        1 => "O_WRONLY",
        _ => "O_RDWR",
    });
    const NAMED: [(u64, &str); 10] = [
        (0o100, "O_CREAT"),
        (0o200, "O_EXCL"),
        (0o400, "O_NOCTTY"),
        (0o1000, "O_TRUNC"),
        (0o2000, "O_APPEND"),
        (0o4000, "O_NONBLOCK"),
        (0o200_000, "O_DIRECTORY"),
        (0o400_000, "O_NOFOLLOW"),
        (0o2_000_000, "O_CLOEXEC"),
        (0o20_000_000, "O_TMPFILE"),
    ];
    for (bit, name) in NAMED {
        if flags & bit == bit {
            out.push('|');
            out.push_str(name);
        }
    }
    out
}

/// Namespace flags of unshare/setns.
pub fn clone_flags(flags: u64) -> String {
    const NAMED: [(u64, &str); 11] = [
        (0x200, "CLONE_FS"),
        (0x400, "CLONE_FILES"),
        (0x40000, "CLONE_SYSVSEM"),
        (0x20000, "CLONE_NEWNS"),
        (0x0200_0000, "CLONE_NEWCGROUP"),
        (0x0400_0000, "CLONE_NEWUTS"),
        (0x0800_0000, "CLONE_NEWIPC"),
        (0x1000_0000, "CLONE_NEWUSER"),
        (0x2000_0000, "CLONE_NEWPID"),
        (0x4000_0000, "CLONE_NEWNET"),
        (0x80, "CLONE_NEWTIME"),
    ];
    let parts: Vec<&str> = NAMED
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    if parts.is_empty() {
        "0".to_owned()
    } else {
        parts.join("|")
    }
}

/// ptrace requests by number.
pub fn ptrace_request(req: i64) -> String {
    let name = match req {
        0 => "PTRACE_TRACEME",
        1 => "PTRACE_PEEKTEXT",
        2 => "PTRACE_PEEKDATA",
        3 => "PTRACE_PEEKUSR",
        4 => "PTRACE_POKETEXT",
        5 => "PTRACE_POKEDATA",
        6 => "PTRACE_POKEUSER",
        7 => "PTRACE_CONT",
        8 => "PTRACE_KILL",
        9 => "PTRACE_SINGLESTEP",
        12 => "PTRACE_GETREGS",
        13 => "PTRACE_SETREGS",
        16 => "PTRACE_ATTACH",
        17 => "PTRACE_DETACH",
        24 => "PTRACE_SYSCALL",
        0x4200 => "PTRACE_SETOPTIONS",
        0x4206 => "PTRACE_SEIZE",
        0x4207 => "PTRACE_INTERRUPT",
        _ => return req.to_string(),
    };
    name.to_owned()
}

fn bpf_cmd(cmd: u64) -> String {
    let name = match cmd {
        0 => "BPF_MAP_CREATE",
        1 => "BPF_MAP_LOOKUP_ELEM",
        2 => "BPF_MAP_UPDATE_ELEM",
        5 => "BPF_PROG_LOAD",
        8 => "BPF_PROG_ATTACH",
        17 => "BPF_RAW_TRACEPOINT_OPEN",
        18 => "BPF_BTF_LOAD",
        28 => "BPF_LINK_CREATE",
        _ => return cmd.to_string(),
    };
    name.to_owned()
}

/// A socket family as Falco renders `evt.arg.domain` (`AF_PACKET`, `AF_INET`, ...).
pub fn socket_family(domain: u64) -> String {
    match domain {
        1 => "AF_UNIX".to_owned(),
        2 => "AF_INET".to_owned(),
        10 => "AF_INET6".to_owned(),
        16 => "AF_NETLINK".to_owned(),
        17 => "AF_PACKET".to_owned(),
        n => n.to_string(),
    }
}

fn id_arg(v: Option<u32>) -> String {
    v.map_or_else(|| "-1".to_owned(), |v| v.to_string())
}

fn sockaddr(a: Option<&strata_ebpf::SockAddr>) -> SockAddr {
    match a {
        Some(a) => match (a.ip, &a.unix_path) {
            (Some(ip), _) => SockAddr::Inet(ip, a.port),
            (None, Some(p)) => SockAddr::Unix(p.clone()),
            (None, None) => SockAddr::Other(a.family),
        },
        None => SockAddr::Other(0),
    }
}

/// Feeds one probe record to the enricher; returns the event to evaluate, if any
/// (forks produce none).
pub fn convert(en: &mut Enricher, raw: RawEvent) -> Option<&Event> {
    let ts = raw.ts_ns;
    let pid = raw.pid;
    // The kernel's uid is the real uid; rules see the effective one from the table.
    let table_uid = en.processes().get(pid).map(|p| (p.uid, p.ruid, p.caps));
    let euid = table_uid.map_or(raw.uid, |t| t.0);
    let mut rec = Record {
        ts,
        evt_type: raw.syscall_name(),
        pid,
        tid: raw.tid,
        uid: euid,
        gid: raw.gid,
        comm: raw.comm.clone(),
        cgroup_id: raw.cgroup_id,
        mntns: raw.mntns,
        res: raw.ret,
        args: Vec::new(),
        fd: FdRef::None,
    };
    let mut refresh_ids = false;
    match raw.args {
        Args::Exec {
            filename,
            exe_path,
            argv,
            ..
        } if raw.kind == Kind::Exec => {
            let path = if exe_path.is_empty() {
                &filename
            } else {
                &exe_path
            };
            let mut ev = en.exec(
                ts,
                pid,
                raw.ppid,
                path,
                &argv,
                &raw.comm,
                raw.uid,
                raw.gid,
                raw.cgroup_id,
                raw.mntns,
            );
            ev.args.push(EventArg {
                name: "ruid".into(),
                value: raw.uid.to_string(),
            });
            ev.args.push(EventArg {
                name: "euid".into(),
                value: ev.user.uid.to_string(),
            });
            return Some(en.keep(ev));
        }
        Args::Exec { filename, .. } => {
            rec.args = vec![("filename", filename)];
        }
        Args::Fork { child_pid, .. } => {
            en.fork(pid, child_pid, ts);
            return None;
        }
        Args::Exit { code, signal, .. } => {
            let status = if signal != 0 {
                -i64::from(signal)
            } else {
                i64::from(code)
            };
            return Some(en.exit_ref(pid, ts, status, raw.cgroup_id));
        }
        Args::Open {
            dirfd,
            path,
            flags,
            mode,
            ..
        } => {
            rec.args = vec![
                ("flags", open_flags(flags)),
                ("mode", format!("0{mode:o}")),
                ("name", path.clone()),
            ];
            rec.fd = FdRef::Open {
                path,
                dirfd: i64::from(dirfd),
                flags,
            };
        }
        Args::Socket { fd, addr, .. } => {
            let (role, sock_fd, listen_fd) = match raw.kind {
                Kind::Accept | Kind::Accept4 => (SocketRole::Accept, raw.ret, Some(i64::from(fd))),
                Kind::Bind => (SocketRole::Bind, i64::from(fd), None),
                _ => (SocketRole::Connect, i64::from(fd), None),
            };
            rec.args = vec![("fd", fd.to_string())];
            rec.fd = FdRef::Socket {
                fd: sock_fd,
                addr: sockaddr(addr.as_ref()),
                role,
                listen_fd,
            };
        }
        Args::SetIds {
            real,
            effective,
            saved,
        } => {
            // Who called: the real uid before the call (see the built-in rules' header).
            rec.uid = table_uid.map_or(raw.uid, |t| t.1);
            let (r, e, s) = match raw.kind {
                Kind::Setuid | Kind::Setreuid | Kind::Setresuid => ("ruid", "euid", "suid"),
                _ => ("rgid", "egid", "sgid"),
            };
            rec.args = match raw.kind {
                Kind::Setuid => vec![("uid", id_arg(effective))],
                Kind::Setgid => vec![("gid", id_arg(effective))],
                Kind::Setreuid | Kind::Setregid => vec![(r, id_arg(real)), (e, id_arg(effective))],
                _ => vec![
                    (r, id_arg(real)),
                    (e, id_arg(effective)),
                    (s, id_arg(saved)),
                ],
            };
            refresh_ids = raw.ret == 0;
        }
        Args::Capset {
            effective,
            permitted,
            inheritable,
            ..
        } => {
            let old = table_uid.map_or(0, |t| t.2[1] | t.2[2]);
            let added = (effective | permitted) & !old;
            rec.args = vec![
                ("cap_effective", caps_to_string(effective)),
                ("cap_permitted", caps_to_string(permitted)),
                ("cap_inheritable", caps_to_string(inheritable)),
            ];
            if added != 0 && raw.ret == 0 {
                rec.args.push(("added", caps_to_string(added)));
            }
            refresh_ids = raw.ret == 0;
        }
        Args::Unshare { flags } => rec.args = vec![("flags", clone_flags(flags))],
        Args::Setns { fd, nstype } => {
            rec.args = vec![("fd", fd.to_string()), ("nstype", clone_flags(nstype))];
        }
        Args::Mount {
            source,
            target,
            fstype,
            flags,
        } => {
            rec.args = vec![
                ("dev", source),
                ("dir", target.clone()),
                ("type", fstype),
                ("flags", flags.to_string()),
            ];
            rec.fd = FdRef::Path {
                path: target,
                dirfd: AT_FDCWD,
            };
        }
        Args::Ptrace {
            request,
            pid: target,
            ..
        } => {
            rec.args = vec![
                ("request", ptrace_request(request)),
                ("pid", target.to_string()),
            ];
        }
        Args::Module {
            fd,
            len,
            params,
            flags,
        } => {
            rec.args = vec![
                ("length", len.to_string()),
                ("uargs", params),
                ("flags", flags.to_string()),
            ];
            if let Some(fd) = fd {
                rec.args.push(("fd", fd.to_string()));
            }
        }
        Args::MemfdCreate { name, flags } => {
            rec.args = vec![("name", name.clone()), ("flags", flags.to_string())];
            rec.fd = FdRef::Memfd { name };
        }
        Args::Bpf { cmd, .. } => rec.args = vec![("cmd", bpf_cmd(cmd))],
        Args::NewSocket {
            domain,
            ty,
            protocol,
        } => {
            rec.args = vec![
                ("domain", socket_family(domain)),
                ("type", ty.to_string()),
                ("proto", protocol.to_string()),
            ];
        }
        Args::Dup {
            oldfd,
            newfd,
            flags,
        } => {
            rec.args = vec![
                ("oldfd", oldfd.to_string()),
                ("newfd", newfd.to_string()),
                ("flags", flags.to_string()),
            ];
            rec.fd = FdRef::Dup {
                oldfd: i64::from(oldfd),
                newfd: i64::from(newfd),
            };
        }
        Args::Link {
            olddirfd,
            oldpath,
            newdirfd,
            newpath,
            flags,
        } => {
            let old_resolved = match olddirfd {
                Some(d) => {
                    let cwd = en
                        .processes()
                        .get(pid)
                        .map(|p| p.cwd.clone())
                        .unwrap_or_default();
                    crate::enrich::resolve_path(
                        en.processes().procfs(),
                        pid,
                        &cwd,
                        &oldpath,
                        i64::from(d),
                    )
                }
                None => oldpath.clone(),
            };
            rec.args = match raw.kind {
                Kind::Symlinkat | Kind::Symlink => {
                    vec![("target", oldpath), ("linkpath", newpath.clone())]
                }
                _ => vec![
                    ("oldpath", old_resolved),
                    ("newpath", newpath.clone()),
                    ("flags", flags.to_string()),
                ],
            };
            rec.fd = FdRef::Path {
                path: newpath,
                dirfd: i64::from(newdirfd),
            };
        }
        Args::Path {
            dirfd,
            path,
            flags,
            mode,
        } => {
            rec.args = vec![
                ("path", path.clone()),
                ("flags", flags.to_string()),
                ("mode", format!("0{mode:o}")),
            ];
            rec.fd = FdRef::Path {
                path,
                dirfd: i64::from(dirfd),
            };
        }
        Args::Fchmod { fd, mode } => {
            rec.args = vec![("fd", fd.to_string()), ("mode", format!("0{mode:o}"))];
            rec.fd = FdRef::Fd(i64::from(fd));
        }
        // A kind this sensor does not know yet: the event with its type and result only.
        _ => {}
    }
    if refresh_ids {
        // The ids change with this call: the event shows the caller as it was, then the
        // process is read again.
        let ev = en.event(&rec);
        en.refresh_ids(pid);
        return Some(en.keep(ev));
    }
    Some(en.event_cached(&rec))
}

/// A Docker Engine event as a runtime event (`evt.type = container`).
pub fn docker_event(ev: &DockerEvent, cache: &ContainerCache, hostname: &str, num: u64) -> Event {
    let (container, k8s, healthcheck) = match cache.get(&ev.container_id) {
        // The daemon runs health checks as exec sessions too, announced with the check's
        // command line.
        Lookup::Known(c) => (
            c.container.clone(),
            crate::docker::pod_of(&c, cache),
            !ev.command.is_empty() && ev.command == c.container.healthcheck,
        ),
        Lookup::Unknown => (
            Container {
                id: ev.container_id.chars().take(12).collect(),
                full_id: ev.container_id.clone(),
                runtime: "docker".to_owned(),
                ..Container::default()
            },
            None,
            false,
        ),
    };
    Event {
        num,
        ts: ev.ts,
        evt_type: "container".to_owned(),
        args: vec![
            EventArg {
                name: "action".into(),
                value: ev.action.clone(),
            },
            EventArg {
                name: "command".into(),
                value: ev.command.clone(),
            },
        ],
        hostname: Some(hostname.to_owned()),
        proc: strata_rules::event::Process {
            is_container_healthcheck: healthcheck,
            ..Default::default()
        },
        container: Some(container),
        k8s,
        ..Event::default()
    }
}

/// Which live source to run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LiveSource {
    /// eBPF if it loads, else the process connector.
    #[default]
    Auto,
    /// The eBPF probe.
    Ebpf,
    /// The netlink process connector (process life cycles only).
    Proc,
}

/// fanotify buffers (64 KiB, up to about 2,700 events each) read in one poll of the loop.
const MAX_FANOTIFY_BUFFERS_PER_POLL: usize = 16;

/// The source behind the live loop.
enum Backend {
    Ebpf(Box<Probe>),
    Proc(Box<ProcSources>),
}

/// The sources without eBPF: the process connector, with fanotify for file events and
/// sock_diag for sockets when they can be had.
struct ProcSources {
    conn: crate::proc_connector::ProcConnector,
    files: Option<crate::fanotify::FileWatch>,
    sockets: Option<crate::sock_diag::SocketWatch>,
}

impl ProcSources {
    /// Reads the connector without waiting. A process in a mount namespace not seen
    /// before is a new container (or another unshared root): its root mount gets a mark;
    /// one in a new network namespace gets its sockets watched.
    fn read_connector(&mut self, f: &mut dyn FnMut(RawEvent)) -> Result<usize, String> {
        let mut execs = Vec::new();
        let n = self
            .conn
            .poll(Duration::ZERO, &mut |r| {
                if r.kind == Kind::Exec {
                    execs.push((r.pid, r.mntns));
                }
                f(r);
            })
            .map_err(|e| format!("process connector: {e}"))?;
        for (pid, ns) in execs {
            if let Some(files) = &mut self.files {
                files.watch_root_of(pid, ns);
            }
            if let Some(sockets) = &mut self.sockets {
                sockets.watch_netns_of(pid);
            }
        }
        Ok(n)
    }

    fn poll(&mut self, timeout: Duration, f: &mut dyn FnMut(RawEvent)) -> Result<usize, String> {
        let mut fds = vec![self.conn.raw_fd()];
        fds.extend(self.files.as_ref().map(|w| w.raw_fd()));
        let timeout = match &self.sockets {
            Some(s) => timeout.min(s.poll_interval),
            None => timeout,
        };
        let ready = crate::fanotify::poll_fds(&fds, timeout);
        let mut n = self.read_connector(f)?;
        if ready.get(1) == Some(&true) {
            // Each buffer of file events is read first and handled after the connector
            // is read again: every exec notice queued before those events is then
            // applied, so an event meets the program that made it. At most this many
            // buffers per call, so a steady stream of file events never keeps the loop
            // from its rules, ticks and stop flag.
            for _ in 0..MAX_FANOTIFY_BUFFERS_PER_POLL {
                let Some(files) = &mut self.files else { break };
                let Some(records) = files.read_batch().map_err(|e| format!("fanotify: {e}"))?
                else {
                    break;
                };
                n += self.read_connector(f)?;
                if let Some(files) = &mut self.files {
                    n += files.handle_all(records, f);
                }
            }
        }
        if let Some(sockets) = &mut self.sockets {
            // As with file events: the connector is read again after the dump, so that a
            // process that executed and connected since the last read meets its socket
            // as what it became.
            let mut found = Vec::new();
            sockets.poll(&mut |r| found.push(r));
            if !found.is_empty() {
                n += self.read_connector(f)?;
                n += found.len();
                found.into_iter().for_each(&mut *f);
            }
        }
        Ok(n)
    }

    fn drops(&self) -> u64 {
        self.lost_by_part().iter().map(|(_, n)| n).sum()
    }

    fn lost_by_part(&self) -> Vec<(&'static str, u64)> {
        let mut parts = vec![("proc_connector", self.conn.overruns)];
        if let Some(w) = &self.files {
            parts.push(("fanotify_overflow", w.overflows));
            parts.push(("fanotify_reopen", w.reopen_errors));
        }
        if let Some(s) = &self.sockets {
            parts.push(("sock_diag", s.overflows));
        }
        parts
    }
}

impl Backend {
    fn poll(&mut self, timeout: Duration, f: &mut dyn FnMut(RawEvent)) -> Result<usize, String> {
        match self {
            Backend::Ebpf(p) => p.poll(timeout, f).map_err(|e| format!("eBPF source: {e}")),
            Backend::Proc(p) => p.poll(timeout, f),
        }
    }

    fn drops(&self) -> u64 {
        match self {
            Backend::Ebpf(p) => p.drops().unwrap_or(0),
            Backend::Proc(p) => p.drops(),
        }
    }

    fn lost_by_part(&self) -> Vec<(&'static str, u64)> {
        match self {
            Backend::Ebpf(p) => vec![("ebpf_ring", p.drops().unwrap_or(0))],
            Backend::Proc(p) => p.lost_by_part(),
        }
    }

    fn folded(&self) -> u64 {
        match self {
            Backend::Ebpf(p) => p.folded().unwrap_or(0),
            Backend::Proc(..) => 0,
        }
    }

    fn decode_errors(&self) -> u64 {
        match self {
            Backend::Ebpf(p) => p.decode_errors(),
            Backend::Proc(..) => 0,
        }
    }
}

/// Options of the live source.
#[derive(Clone, Debug, Default)]
pub struct LiveOptions {
    /// The source.
    pub source: LiveSource,
    /// Docker endpoint (default: `DOCKER_HOST`, then the standard socket).
    pub docker_endpoint: Option<String>,
    /// Do not ask a Docker daemon for container metadata.
    pub no_docker: bool,
    /// Ring buffer size.
    pub ring_buffer_bytes: Option<usize>,
    /// eBPF: the window in which repeated identical opens are folded in the kernel.
    pub fold_window: Duration,
    /// Stop after this long.
    pub duration: Option<Duration>,
}

/// What the live source started with, for the start-up message.
#[derive(Clone, Debug)]
pub struct LiveStart {
    /// `ebpf` or `proc`.
    pub source: &'static str,
    /// Why `auto` did not pick eBPF.
    pub fallback_reason: Option<String>,
    /// Tracepoints attached.
    pub attached: usize,
    /// Attach points that were skipped, with the reason.
    pub warnings: Vec<String>,
    /// How container metadata is found, or why it is not.
    pub containers: String,
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// Runs the eBPF source until `stop` is set or the duration passes. `started` is called
/// once the probe is attached (the caller prints it; tests wait for it).
pub fn run_live(
    opts: &LiveOptions,
    monitor: &mut Monitor,
    dispatcher: &Dispatcher,
    stop: &AtomicBool,
    started: &mut dyn FnMut(&LiveStart),
) -> Result<(), MonitorError> {
    let mut probe_opts = ProbeOptions::default();
    if let Some(n) = opts.ring_buffer_bytes {
        probe_opts.ring_buffer_bytes = n;
    }
    probe_opts.fold_window = opts.fold_window;
    let mut file_warnings = Vec::new();
    let mut open_proc = || {
        let conn = crate::proc_connector::ProcConnector::open(ProcFs::default())
            .map_err(|e| format!("process connector: {e} (it needs root)"))?;
        let files = match crate::fanotify::FileWatch::open(ProcFs::default()) {
            Ok(mut w) => {
                w.watch_running();
                file_warnings.extend(
                    w.mark_failures
                        .iter()
                        .map(|f| format!("fanotify: a container root was not marked: {f}")),
                );
                Some(w)
            }
            Err(e) => {
                file_warnings.push(format!(
                    "fanotify: {e}; no file events (only process, privilege and shell rules can fire)"
                ));
                None
            }
        };
        let sockets = match crate::sock_diag::SocketWatch::open(ProcFs::default()) {
            Ok(w) => {
                file_warnings.extend(w.failures.iter().map(|f| format!("sock_diag: {f}")));
                Some(w)
            }
            Err(e) => {
                file_warnings.push(format!("sock_diag: {e}; no network events"));
                None
            }
        };
        Ok::<_, String>(Backend::Proc(Box::new(ProcSources {
            conn,
            files,
            sockets,
        })))
    };
    let mut fallback_reason = None;
    let mut backend = match opts.source {
        LiveSource::Ebpf => Probe::load(&probe_opts)
            .map(|p| Backend::Ebpf(Box::new(p)))
            .map_err(|e| MonitorError::Source(format!("eBPF source: {e}")))?,
        LiveSource::Proc => open_proc().map_err(MonitorError::Source)?,
        LiveSource::Auto => match Probe::load(&probe_opts) {
            Ok(p) => Backend::Ebpf(Box::new(p)),
            Err(e) => {
                let b = open_proc().map_err(|pe| {
                    MonitorError::Source(format!("no live source: eBPF: {e}; {pe}"))
                })?;
                fallback_reason = Some(e.to_string());
                b
            }
        },
    };
    let (docker_tx, docker_rx) = sync_channel::<DockerEvent>(4096);
    let (cache, containers) = if opts.no_docker {
        (
            ContainerCache::offline(),
            "disabled (--no-docker)".to_owned(),
        )
    } else {
        match DockerWatcher::start(opts.docker_endpoint.clone(), Some(docker_tx)) {
            Ok(w) => {
                let n = w.cache.known().len();
                (w.cache, format!("Docker Engine ({n} running containers)"))
            }
            Err(e) => (
                ContainerCache::offline(),
                format!("unavailable, events carry container ids only ({e})"),
            ),
        }
    };
    let host = hostname();
    let mut en = Enricher::new(ProcFs::default(), Arc::clone(&cache), host.clone());
    // Only the cgroup v2 tree (see cgroup::v2_mount); without one the kernel's cgroup ids
    // name no container and `/proc/PID/cgroup` decides alone.
    if let Some(root) = std::fs::read_to_string("/proc/self/mountinfo")
        .ok()
        .and_then(|m| crate::cgroup::v2_mount(&m))
    {
        en = en.with_cgroup_root(root);
    }
    let (source, attached, warnings) = match &backend {
        Backend::Ebpf(p) => ("ebpf", p.attached().len(), p.warnings().to_vec()),
        Backend::Proc(p) => (
            match (p.files.is_some(), p.sockets.is_some()) {
                (true, true) => "proc+fanotify+sock_diag",
                (true, false) => "proc+fanotify",
                (false, true) => "proc+sock_diag",
                (false, false) => "proc",
            },
            0,
            file_warnings,
        ),
    };
    started(&LiveStart {
        source,
        fallback_reason,
        attached,
        warnings,
        containers,
    });
    let start = Instant::now();
    let mut batch: Vec<RawEvent> = Vec::with_capacity(4096);
    let mut last_tick = Instant::now();
    let mut docker_num: u64 = 0;
    while !stop.load(Ordering::Relaxed) && !crate::monitor::deadline_passed(start, opts.duration) {
        batch.clear();
        backend
            .poll(Duration::from_millis(100), &mut |r| batch.push(r))
            .map_err(MonitorError::Source)?;
        let now = Instant::now();
        for raw in batch.drain(..) {
            if let Some(ev) = convert(&mut en, raw) {
                monitor.handle(ev, now, dispatcher);
            }
        }
        for dev in docker_rx.try_iter() {
            docker_num += 1;
            monitor.stats.docker_events.fetch_add(1, Ordering::Relaxed);
            let ev = docker_event(&dev, &cache, &host, docker_num);
            monitor.handle(&ev, now, dispatcher);
        }
        if now.duration_since(last_tick) >= Duration::from_millis(500) {
            last_tick = now;
            monitor.tick(now, dispatcher);
            publish_source_counters(monitor, &backend, &en, &cache);
        }
    }
    publish_source_counters(monitor, &backend, &en, &cache);
    monitor.finish(dispatcher);
    Ok(())
}

/// Copies the source's own counters (kernel drops and folds, undecodable records,
/// container misses) into the monitor's statistics.
fn publish_source_counters(
    monitor: &Monitor,
    backend: &Backend,
    en: &Enricher,
    cache: &ContainerCache,
) {
    let stats = &monitor.stats;
    stats.kernel_drops.store(backend.drops(), Ordering::Relaxed);
    *stats
        .lost_by_part
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = backend.lost_by_part();
    let c = &cache.stats;
    for (to, from) in [
        (&stats.docker_lookups, &c.lookups),
        (&stats.docker_lookup_failures, &c.lookup_failures),
        (&stats.docker_lookup_queue_full, &c.lookup_queue_full),
        (&stats.docker_stream_reconnects, &c.stream_reconnects),
        (&stats.docker_events_dropped, &c.events_dropped),
    ] {
        to.store(from.load(Ordering::Relaxed), Ordering::Relaxed);
    }
    stats
        .kernel_folded
        .store(backend.folded(), Ordering::Relaxed);
    stats
        .container_misses
        .store(en.container_misses, Ordering::Relaxed);
    stats
        .malformed
        .store(backend.decode_errors(), Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renderings() {
        assert_eq!(socket_family(17), "AF_PACKET");
        assert_eq!(socket_family(10), "AF_INET6");
        assert_eq!(socket_family(44), "44");
        assert_eq!(open_flags(0), "O_RDONLY");
        assert_eq!(open_flags(0o1101), "O_WRONLY|O_CREAT|O_TRUNC");
        assert_eq!(open_flags(0o2_000_002), "O_RDWR|O_CLOEXEC");
        assert_eq!(clone_flags(0x1002_0000), "CLONE_NEWNS|CLONE_NEWUSER");
        assert_eq!(clone_flags(0), "0");
        assert_eq!(ptrace_request(16), "PTRACE_ATTACH");
        assert_eq!(ptrace_request(999), "999");
    }
}
