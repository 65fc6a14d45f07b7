//! Turning what a source saw (a [`Record`]: a syscall of a pid with its arguments) into the
//! rules engine's [`Event`], with the process, its ancestors, user, descriptor and
//! container filled in from the process table, `/proc` and the container cache.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use strata_rules::event::{Ancestor, Container, Event, EventArg, Fd, Group, Process, User};

use crate::cgroup::CgroupMap;
use crate::docker::{ContainerCache, ContainerInfo, Lookup};
use crate::process::{ProcInfo, ProcessTable};
use crate::procfs::{ProcFs, caps_to_string, read_regular_file};
use crate::sockets;

/// `AT_FDCWD`: a path relative to the working directory.
pub const AT_FDCWD: i64 = -100;
/// Ancestors attached to each event (`proc.aname[1..=5]`).
const MAX_ANCESTORS: usize = 6;

/// A socket address from the syscall's arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SockAddr {
    /// IPv4 or IPv6 with a port.
    Inet(IpAddr, u16),
    /// A unix socket path (empty for unnamed; abstract names start with `@`).
    Unix(String),
    /// Another family.
    Other(u16),
}

/// What the descriptor of an event is and how to find it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FdRef {
    /// The call involves no descriptor.
    None,
    /// An open: the path as passed, relative to `dirfd`; the result is the new descriptor.
    Open {
        /// Path argument.
        path: String,
        /// Directory descriptor ([`AT_FDCWD`] for the working directory).
        dirfd: i64,
        /// `O_*` flags.
        flags: u64,
    },
    /// A call on a path that opens nothing (unlink, mkdir, chmod, link, rename).
    Path {
        /// Path argument.
        path: String,
        /// Directory descriptor.
        dirfd: i64,
    },
    /// An existing descriptor.
    Fd(i64),
    /// `dup2`/`dup3`: `newfd` now refers to what `oldfd` refers to.
    Dup {
        /// The duplicated descriptor.
        oldfd: i64,
        /// The new descriptor.
        newfd: i64,
    },
    /// A socket and the address passed to connect/bind or returned by accept.
    Socket {
        /// The socket descriptor (for accept: the new one).
        fd: i64,
        /// The address.
        addr: SockAddr,
        /// The call.
        role: SocketRole,
        /// For accept: the listening socket (its bound address is the local end).
        listen_fd: Option<i64>,
    },
    /// A memfd created by `memfd_create`.
    Memfd {
        /// Its name.
        name: String,
    },
}

/// Which side of a connection a socket call stands on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketRole {
    /// `connect`: the address is the server's.
    Connect,
    /// `accept`: the address is the client's.
    Accept,
    /// `bind`: the address is the local one.
    Bind,
}

/// One thing a source saw.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Nanoseconds since the epoch.
    pub ts: u64,
    /// Event type (`openat`, `connect`, ...).
    pub evt_type: &'static str,
    /// Process (thread-group) id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// Effective uid at the time of the call (as the kernel saw it).
    pub uid: u32,
    /// Effective gid.
    pub gid: u32,
    /// `comm` at the time of the call.
    pub comm: String,
    /// The kernel's cgroup v2 id of the process (0 when unknown).
    pub cgroup_id: u64,
    /// The inode of the process's mount namespace (0 when unknown).
    pub mntns: u32,
    /// Return value.
    pub res: i64,
    /// Arguments rendered as Falco renders them.
    pub args: Vec<(&'static str, String)>,
    /// The descriptor.
    pub fd: FdRef,
}

/// Mount namespaces of the host and of the running containers (from their init
/// process), so every event can be placed by the namespace the kernel reports with it.
#[derive(Debug)]
struct NamespaceMap {
    host: u32,
    containers: HashMap<u32, String>,
    /// Namespaces seen with a live process whose container `/proc` or the kernel's cgroup
    /// named: they place the events of processes gone before they were read, also where
    /// the daemon tells nothing (unreachable, or not Docker's container).
    learned: HashMap<u32, String>,
    last_refresh: Option<std::time::Instant>,
}

/// Most namespaces learned from processes.
const MAX_LEARNED_NAMESPACES: usize = 65_536;

/// `mnt:[4026531841]` → 4026531841.
fn ns_inode(link: &str) -> Option<u32> {
    link.split_once(":[")?.1.strip_suffix(']')?.parse().ok()
}

impl NamespaceMap {
    fn new(procfs: &ProcFs) -> NamespaceMap {
        NamespaceMap {
            host: procfs
                .link(1, "ns/mnt")
                .and_then(|l| ns_inode(&l))
                .unwrap_or(0),
            containers: HashMap::new(),
            learned: HashMap::new(),
            last_refresh: None,
        }
    }

    /// Remembers that `ns` belongs to a container (see `learned`).
    fn learn(&mut self, ns: u32, container_id: &str) {
        if ns == 0 || ns == self.host || self.learned.contains_key(&ns) {
            return;
        }
        if self.learned.len() >= MAX_LEARNED_NAMESPACES {
            self.learned.clear();
        }
        self.learned.insert(ns, container_id.to_owned());
    }

    /// `Some(None)`: the host; `Some(Some(id))`: that container; `None`: not known.
    fn lookup(
        &mut self,
        ns: u32,
        containers: &ContainerCache,
        procfs: &ProcFs,
    ) -> Option<Option<String>> {
        // (The host's namespace is unknown where /proc/1 cannot be read: then only
        // containers' namespaces are answered.)
        if ns == 0 {
            return None;
        }
        if ns == self.host {
            return Some(None);
        }
        if let Some(id) = self.containers.get(&ns) {
            return Some(Some(id.clone()));
        }
        let due = self
            .last_refresh
            .is_none_or(|t| t.elapsed() >= std::time::Duration::from_millis(200));
        if !due {
            return None;
        }
        self.last_refresh = Some(std::time::Instant::now());
        self.containers.clear();
        for c in containers.known() {
            if c.pid == 0 {
                continue;
            }
            if let Some(n) = procfs.link(c.pid, "ns/mnt").and_then(|l| ns_inode(&l)) {
                self.containers.insert(n, c.container.full_id.clone());
            }
        }
        self.containers.get(&ns).map(|id| Some(id.clone()))
    }

    /// The container a namespace was learned for (weaker than [`NamespaceMap::lookup`]:
    /// it only speaks for processes `/proc` could not tell about).
    fn learned(&self, ns: u32) -> Option<&String> {
        self.learned.get(&ns)
    }
}

/// The container a process ran in, as the kernel's ids tell it.
#[derive(Debug, Default)]
struct ProcPlacement {
    container_id: Option<String>,
    runtime: &'static str,
}

/// The cached context of one process (see [`Enricher::event_cached`]).
#[derive(Debug, Default)]
struct Template {
    ev: Event,
    /// The user the template was built for.
    uid: u32,
    /// The container whose metadata was not known yet when the template was built.
    waiting_for_container: Option<String>,
}

/// User names from `/etc/passwd` and `/etc/group`, per root file system (host or container).
#[derive(Debug, Default)]
struct Accounts {
    users: HashMap<u32, (String, String, String)>,
    groups: HashMap<u32, String>,
}

/// Fuzz entry: a container's own `/etc/passwd` and `/etc/group`.
#[doc(hidden)]
pub fn fuzz_accounts(passwd: &str, group: &str) {
    let _ = parse_accounts(passwd, group);
}

fn parse_accounts(passwd: &str, group: &str) -> Accounts {
    let mut a = Accounts::default();
    for line in passwd.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if let (Some(name), Some(uid), Some(home), Some(shell)) =
            (f.first(), f.get(2), f.get(5), f.get(6))
            && let Ok(uid) = uid.parse()
        {
            a.users
                .entry(uid)
                .or_insert_with(|| ((*name).to_owned(), (*home).to_owned(), (*shell).to_owned()));
        }
    }
    for line in group.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if let (Some(name), Some(gid)) = (f.first(), f.get(2))
            && let Ok(gid) = gid.parse()
        {
            a.groups.entry(gid).or_insert_with(|| (*name).to_owned());
        }
    }
    a
}

/// Builds events from records.
pub struct Enricher {
    procs: ProcessTable,
    cgroups: Option<CgroupMap>,
    namespaces: NamespaceMap,
    containers: Arc<ContainerCache>,
    accounts: HashMap<String, Arc<Accounts>>,
    /// Sockets each process connected, accepted or bound, by descriptor: a socket stays
    /// describable after its process exited (`/proc` is gone by then).
    sockets: HashMap<u32, HashMap<i64, Fd>>,
    /// Per process, the last event built for it: the process, user, group and container
    /// parts are reused by its next events, which only rewrite their own fields (type,
    /// arguments, result, descriptor). Dropped on exec, exit, id changes and container
    /// changes.
    templates: HashMap<u32, Template>,
    /// The event of the last exec or exit.
    scratch: Event,
    hostname: String,
    num: u64,
    /// Events from a container whose metadata was not known yet.
    pub container_misses: u64,
}

impl Enricher {
    /// An enricher over `/proc` at `procfs` and the container cache.
    pub fn new(procfs: ProcFs, containers: Arc<ContainerCache>, hostname: String) -> Enricher {
        Enricher {
            namespaces: NamespaceMap::new(&procfs),
            procs: ProcessTable::new(procfs),
            cgroups: None,
            containers,
            accounts: HashMap::new(),
            sockets: HashMap::new(),
            templates: HashMap::new(),
            scratch: Event::default(),
            hostname,
            num: 0,
            container_misses: 0,
        }
    }

    /// Attributes events to containers by the kernel's cgroup id, resolved under `root`
    /// (`/sys/fs/cgroup`), before falling back to `/proc/PID/cgroup`.
    pub fn with_cgroup_root(mut self, root: impl Into<PathBuf>) -> Enricher {
        self.cgroups = Some(CgroupMap::new(root));
        self
    }

    /// Where the kernel's ids alone place an event, for a process the table does not know
    /// (it exited before `/proc` could be read): the mount namespace decides, then a cgroup
    /// that names a container. `None` when neither is known.
    fn placement_from_kernel(&mut self, cgroup_id: u64, mntns: u32) -> Option<ProcPlacement> {
        if let Some(found) = self
            .namespaces
            .lookup(mntns, &self.containers, self.procs.procfs())
        {
            return Some(match found {
                Some(id) => ProcPlacement {
                    container_id: Some(id),
                    runtime: "docker",
                },
                None => ProcPlacement {
                    container_id: None,
                    runtime: "",
                },
            });
        }
        if let Some(Some(c)) = self.cgroups.as_mut().and_then(|m| m.lookup(cgroup_id)) {
            self.namespaces.learn(mntns, &c.id);
            return Some(ProcPlacement {
                container_id: Some(c.id),
                runtime: c.runtime,
            });
        }
        // Last, what live processes taught about the namespace.
        self.namespaces.learned(mntns).map(|id| ProcPlacement {
            container_id: Some(id.clone()),
            runtime: "docker",
        })
    }

    /// Applies the kernel's cgroup id to the process's container.
    fn apply_cgroup(&mut self, pid: u32, cgroup_id: u64) {
        let Some(map) = &mut self.cgroups else { return };
        let Some(found) = map.lookup(cgroup_id) else {
            return;
        };
        if let Some(p) = self.procs.get_mut(pid) {
            // On cgroup v1 hosts containers share their v2 cgroup with the runtime, so only
            // a cgroup that names a container decides.
            let changed = match found {
                Some(c) => {
                    let changed = p.container_id.as_deref() != Some(c.id.as_str());
                    if changed {
                        p.container_id = Some(c.id);
                        p.runtime = c.runtime;
                    }
                    changed
                }
                None => false,
            };
            if changed {
                self.templates.remove(&pid);
            }
        }
    }

    /// Applies the kernel's mount namespace: the host's means the host, a container's init
    /// process's means that container. Decides over cgroups and `/proc`.
    fn apply_namespace(&mut self, pid: u32, mntns: u32) {
        let Some(found) = self
            .namespaces
            .lookup(mntns, &self.containers, self.procs.procfs())
        else {
            // A process whose facts `/proc` gave teaches its namespace's container; one
            // that was gone before it could be read is placed by what was learned.
            let Some(p) = self.procs.peek(pid) else {
                return;
            };
            match (&p.container_id, p.live_facts_from_parent) {
                (Some(id), false) => {
                    let id = id.clone();
                    self.namespaces.learn(mntns, &id);
                }
                (_, true) => {
                    if let Some(id) = self.namespaces.learned(mntns).cloned()
                        && p.container_id.as_ref() != Some(&id)
                        && let Some(p) = self.procs.get_mut(pid)
                    {
                        p.container_id = Some(id);
                        p.runtime = "docker";
                        self.templates.remove(&pid);
                    }
                }
                (None, false) => {}
            }
            return;
        };
        if let Some(p) = self.procs.get_mut(pid)
            && p.container_id != found
        {
            p.container_id = found;
            if p.container_id.is_some() {
                p.runtime = "docker";
            }
            self.templates.remove(&pid);
        }
    }

    /// The process table.
    pub fn processes(&mut self) -> &mut ProcessTable {
        &mut self.procs
    }

    fn next_num(&mut self) -> u64 {
        self.num += 1;
        self.num
    }

    /// A fork (no event; the child inherits the parent's facts).
    pub fn fork(&mut self, parent: u32, child: u32, ts: u64) {
        // The fork tracepoint reports threads too; a thread is no new process and would
        // stay in the table for good (only thread-group leaders report their exit).
        let tgid = self.procs.procfs().read(child, "status").and_then(|b| {
            String::from_utf8_lossy(&b).lines().find_map(|l| {
                l.strip_prefix("Tgid:")
                    .and_then(|v| v.trim().parse::<u32>().ok())
            })
        });
        if tgid.is_some_and(|t| t != child) {
            return;
        }
        self.procs.on_fork(parent, child, ts);
        // Descriptors are inherited.
        if let Some(socks) = self.sockets.get(&parent).cloned() {
            self.sockets.insert(child, socks);
        }
    }

    /// An exit: the `procexit` event, then the process is marked gone.
    pub fn exit(&mut self, pid: u32, ts: u64, code: i64, cgroup_id: u64) -> Event {
        let rec = Record {
            cgroup_id,
            mntns: 0,
            ts,
            evt_type: "procexit",
            pid,
            tid: pid,
            uid: self.procs.peek(pid).map_or(0, |p| p.uid),
            gid: self.procs.peek(pid).map_or(0, |p| p.gid),
            comm: self
                .procs
                .peek(pid)
                .map(|p| p.comm.clone())
                .unwrap_or_default(),
            res: code,
            args: vec![("status", code.to_string())],
            fd: FdRef::None,
        };
        let ev = self.event(&rec);
        self.procs.on_exit(pid);
        self.sockets.remove(&pid);
        self.templates.remove(&pid);
        ev
    }

    /// Keeps an event in the enricher's buffer and lends it out.
    pub fn keep(&mut self, ev: Event) -> &Event {
        self.scratch = ev;
        &self.scratch
    }

    /// [`Enricher::exit`] into a buffer the enricher keeps (no copy for the caller).
    pub fn exit_ref(&mut self, pid: u32, ts: u64, code: i64, cgroup_id: u64) -> &Event {
        self.scratch = self.exit(pid, ts, code, cgroup_id);
        &self.scratch
    }

    /// A successful exec: the `execve` event with the new image.
    #[allow(clippy::too_many_arguments)]
    pub fn exec(
        &mut self,
        ts: u64,
        pid: u32,
        ppid: u32,
        filename: &str,
        argv: &[String],
        comm: &str,
        uid: u32,
        gid: u32,
        cgroup_id: u64,
        mntns: u32,
    ) -> Event {
        self.templates.remove(&pid);
        self.procs
            .on_exec(pid, ppid, filename, argv, comm, uid, gid);
        self.apply_cgroup(pid, cgroup_id);
        self.apply_namespace(pid, mntns);
        self.apply_set_id_bits(pid);
        self.mark_healthcheck(pid, argv);
        self.forget_runtime_cwd(pid);
        let args = vec![
            ("res", "0".to_owned()),
            (
                "exe",
                argv.first().cloned().unwrap_or_else(|| filename.to_owned()),
            ),
            ("args", argv.get(1..).unwrap_or_default().join(" ")),
            ("filename", filename.to_owned()),
        ];
        // Effective ids after the exec (set-id bits applied).
        let (uid, gid) = self.procs.peek(pid).map_or((uid, gid), |p| (p.uid, p.gid));
        let rec = Record {
            cgroup_id,
            mntns,
            ts,
            evt_type: "execve",
            pid,
            tid: pid,
            uid,
            gid,
            comm: comm.to_owned(),
            res: 0,
            args,
            fd: FdRef::None,
        };
        self.event(&rec)
    }

    /// The container a process entered from outside it: its own, when its parent (if
    /// known) is in another or none. Every process the runtime starts in a container
    /// (`docker exec`, a health check, the entrypoint) is such a one.
    fn entered_container(&self, pid: u32) -> Option<String> {
        let p = self.procs.peek(pid)?;
        let id = p.container_id.as_ref()?;
        self.procs
            .peek(p.ppid)
            .is_none_or(|pp| pp.container_id.as_ref() != Some(id))
            .then(|| id.clone())
    }

    /// A process that entered a container and was gone before `/proc` could be read has
    /// only its parent's working directory, which is the runtime's on the host
    /// (`/run/containerd/...`): better none than that one.
    fn forget_runtime_cwd(&mut self, pid: u32) {
        if self
            .procs
            .peek(pid)
            .is_some_and(|p| p.live_facts_from_parent)
            && self.entered_container(pid).is_some()
            && let Some(p) = self.procs.get_mut(pid)
        {
            p.cwd.clear();
        }
    }

    /// Marks a process as its container's health check: the runtime started it with
    /// exactly the check's command line. Its children inherit the mark through the fork.
    fn mark_healthcheck(&mut self, pid: u32, argv: &[String]) {
        if self.procs.peek(pid).is_none_or(|p| p.healthcheck) {
            return;
        }
        let Some(id) = self.entered_container(pid) else {
            return;
        };
        let Lookup::Known(c) = self.containers.get(&id) else {
            return;
        };
        if c.healthcheck.as_deref().is_some_and(|h| h == argv)
            && let Some(p) = self.procs.get_mut(pid)
        {
            p.healthcheck = true;
        }
    }

    /// After a successful setuid/setgid/capset family call: the process's ids and
    /// capabilities are read again.
    pub fn refresh_ids(&mut self, pid: u32) {
        self.templates.remove(&pid);
        let procfs = self.procs.procfs().clone();
        if let Some(st) = procfs.status(pid)
            && let Some(p) = self.procs.get_mut(pid)
        {
            p.uid = st.euid;
            p.ruid = st.ruid;
            p.gid = st.egid;
            p.caps = [st.cap_inh, st.cap_prm, st.cap_eff];
        }
    }

    fn accounts(&mut self, key: &str, pid: u32) -> Arc<Accounts> {
        if let Some(a) = self.accounts.get(key) {
            return a.clone();
        }
        let procfs = self.procs.procfs();
        let (passwd, group) = if key == "host" {
            (
                read_regular_file(std::path::Path::new("/etc/passwd")),
                read_regular_file(std::path::Path::new("/etc/group")),
            )
        } else {
            (
                read_regular_file(&procfs.in_root(pid, "/etc/passwd")),
                read_regular_file(&procfs.in_root(pid, "/etc/group")),
            )
        };
        let loaded = passwd.is_some();
        let a = Arc::new(parse_accounts(
            &String::from_utf8_lossy(&passwd.unwrap_or_default()),
            &String::from_utf8_lossy(&group.unwrap_or_default()),
        ));
        // A container whose files could not be read is asked again next time.
        if loaded {
            if self.accounts.len() > 4096 {
                self.accounts.clear();
            }
            self.accounts.insert(key.to_owned(), a.clone());
        }
        a
    }

    /// The event for one record, reusing the process's context from its previous event
    /// (no `/proc` reads, no copies of the process, its ancestors or its container).
    pub fn event_cached(&mut self, rec: &Record) -> &Event {
        let pid = rec.pid;
        self.apply_cgroup(pid, rec.cgroup_id);
        self.apply_namespace(pid, rec.mntns);
        let fresh = match self.templates.get(&pid) {
            None => true,
            Some(t) => {
                t.uid != rec.uid
                    || t.waiting_for_container
                        .as_deref()
                        .is_some_and(|id| matches!(self.containers.get(id), Lookup::Known(_)))
            }
        };
        if fresh {
            let ev = self.event(rec);
            let waiting_for_container = ev
                .container
                .as_ref()
                .filter(|c| c.image.is_empty() && !c.full_id.is_empty())
                .map(|c| c.full_id.clone());
            if self.templates.len() >= 65_536 {
                self.templates.clear();
            }
            let t = self.templates.entry(pid).or_default();
            t.ev = ev;
            t.uid = rec.uid;
            t.waiting_for_container = waiting_for_container;
            return &t.ev;
        }
        let num = self.next_num();
        let cwd = self
            .templates
            .get(&pid)
            .map(|t| t.ev.proc.cwd.clone())
            .filter(|_| matches!(&rec.fd, FdRef::Open { path, .. } | FdRef::Path { path, .. } if !path.starts_with('/')))
            .unwrap_or_default();
        let fd = self.fd(rec, &cwd);
        let Some(t) = self.templates.get_mut(&pid) else {
            return &self.scratch;
        };
        let ev = &mut t.ev;
        ev.num = num;
        ev.ts = rec.ts;
        if ev.evt_type != rec.evt_type {
            ev.evt_type.clear();
            ev.evt_type.push_str(rec.evt_type);
        }
        ev.res = rec.res;
        ev.args.truncate(rec.args.len());
        for (i, (n, v)) in rec.args.iter().enumerate() {
            match ev.args.get_mut(i) {
                Some(a) => {
                    if a.name != *n {
                        a.name.clear();
                        a.name.push_str(n);
                    }
                    a.value.clear();
                    a.value.push_str(v);
                }
                None => ev.args.push(EventArg {
                    name: (*n).to_owned(),
                    value: v.clone(),
                }),
            }
        }
        ev.proc.tid = i64::from(rec.tid);
        if !rec.comm.is_empty() && ev.proc.name != rec.comm {
            ev.proc.name.clear();
            ev.proc.name.push_str(&rec.comm);
        }
        ev.fd = fd;
        &t.ev
    }

    /// The event for one record.
    pub fn event(&mut self, rec: &Record) -> Event {
        let num = self.next_num();
        let pid = rec.pid;
        self.apply_cgroup(pid, rec.cgroup_id);
        self.apply_namespace(pid, rec.mntns);
        let info: ProcInfo = match self.procs.get(pid).cloned() {
            Some(info) => info,
            None => {
                // Gone before it could be read: the kernel's ids still say where it ran.
                let placed = self
                    .placement_from_kernel(rec.cgroup_id, rec.mntns)
                    .unwrap_or_default();
                ProcInfo {
                    pid,
                    comm: rec.comm.clone(),
                    uid: rec.uid,
                    gid: rec.gid,
                    loginuid: -1,
                    container_id: placed.container_id,
                    runtime: placed.runtime,
                    ..ProcInfo::default()
                }
            }
        };
        let container = match &info.container_id {
            Some(id) => match self.containers.get(id) {
                Lookup::Known(c) => Some(c),
                Lookup::Unknown => {
                    self.container_misses += 1;
                    None
                }
            },
            None => None,
        };
        let upper = self.exe_upper_layer(&info, container.as_deref());
        let ancestors = self.procs.ancestors(pid, MAX_ANCESTORS);
        // The session leader's name (`proc.sname`) and the process group leader's name and
        // executable (`proc.vpgid.name`, `proc.vpgid.exe`).
        let leader = |procs: &mut ProcessTable, id: u32| {
            if id == 0 || id == pid {
                return None;
            }
            procs.get(id).map(|p| (p.comm.clone(), p.exepath.clone()))
        };
        let sname = if info.sid == pid {
            info.comm.clone()
        } else {
            leader(&mut self.procs, info.sid)
                .map(|l| l.0)
                .unwrap_or_default()
        };
        let (vpgid_name, vpgid_exe) = if info.pgrp == pid {
            (info.comm.clone(), info.exepath.clone())
        } else {
            leader(&mut self.procs, info.pgrp).unwrap_or_default()
        };
        let accounts = match info.container_id.as_deref() {
            Some(id) => self.accounts(id, pid),
            None => self.accounts("host", pid),
        };
        let mut info = info;
        let uid = rec.uid;
        let gid = rec.gid;
        let (uname, home, shell) = accounts.users.get(&uid).cloned().unwrap_or_default();
        let loginname = u32::try_from(info.loginuid)
            .ok()
            .and_then(|l| accounts.users.get(&l).map(|u| u.0.clone()))
            .unwrap_or_default();
        let fd = self.fd(rec, &info.cwd);
        let comm = if rec.comm.is_empty() {
            info.comm.clone()
        } else {
            rec.comm.clone()
        };
        let k8s = container
            .as_deref()
            .and_then(|c| crate::docker::pod_of(c, &self.containers));
        Event {
            num,
            ts: rec.ts,
            evt_type: rec.evt_type.to_owned(),
            res: rec.res,
            args: rec
                .args
                .iter()
                .map(|(n, v)| EventArg {
                    name: (*n).to_owned(),
                    value: v.clone(),
                })
                .collect(),
            dir: None,
            hostname: Some(self.hostname.clone()),
            proc: Process {
                pid: i64::from(pid),
                tid: i64::from(rec.tid),
                ppid: i64::from(info.ppid),
                vpid: i64::from(info.vpid),
                sid: i64::from(info.sid),
                vpgid: i64::from(info.pgrp),
                name: comm,
                exe: std::mem::take(&mut info.exe),
                exepath: std::mem::take(&mut info.exepath),
                args: std::mem::take(&mut info.args),
                cwd: std::mem::take(&mut info.cwd),
                tty: info.tty,
                env: Vec::new(),
                start_ts: info.start_ts,
                sname,
                vpgid_name,
                vpgid_exe,
                is_vpgid_leader: info.pgrp == pid,
                is_exe_upper_layer: upper,
                is_exe_from_memfd: info.exe_from_memfd,
                is_container_healthcheck: info.healthcheck,
                exe_ino_ctime: info.exe_ctime,
                exe_ino_mtime: info.exe_mtime,
                cap_permitted: caps_to_string(info.caps[1]),
                cap_effective: caps_to_string(info.caps[2]),
                cap_inheritable: caps_to_string(info.caps[0]),
                ancestors: ancestors
                    .into_iter()
                    .map(|a| Ancestor {
                        pid: i64::from(a.pid),
                        name: a.comm,
                        exe: a.exe,
                        exepath: a.exepath,
                        args: a.args,
                        start_ts: a.start_ts,
                    })
                    .collect(),
            },
            user: User {
                uid: i64::from(uid),
                name: uname,
                loginuid: info.loginuid,
                loginname,
                homedir: home,
                shell,
            },
            group: Group {
                gid: i64::from(gid),
                name: accounts.groups.get(&gid).cloned().unwrap_or_default(),
            },
            fd,
            container: match (&info.container_id, container) {
                (_, Some(c)) => Some(c.container.clone()),
                (Some(id), None) => Some(Container {
                    id: id.chars().take(12).collect(),
                    full_id: id.clone(),
                    runtime: info.runtime.to_owned(),
                    ..Container::default()
                }),
                (None, None) => None,
            },
            k8s,
            audit: None,
        }
    }

    /// Decides once per exec whether the executable is in the container's upper layer.
    fn exe_upper_layer(&mut self, info: &ProcInfo, container: Option<&ContainerInfo>) -> bool {
        if let Some(v) = info.exe_upper_layer {
            return v;
        }
        let (Some(c), false) = (container, info.exepath.is_empty()) else {
            return false;
        };
        let Some(upper) = &c.upper_dir else {
            return false;
        };
        let path: PathBuf = upper.join(info.exepath.trim_start_matches('/'));
        let v = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file());
        if let Some(p) = self.procs.get_mut(info.pid) {
            p.exe_upper_layer = Some(v);
        }
        v
    }

    fn fd(&mut self, rec: &Record, cwd: &str) -> Option<Fd> {
        let procfs = self.procs.procfs().clone();
        match &rec.fd {
            FdRef::None => None,
            FdRef::Open { path, dirfd, flags } => {
                let name = resolve_path(&procfs, rec.pid, cwd, path, *dirfd);
                let directory = flags & 0o200_000 != 0;
                Some(Fd {
                    num: if rec.res >= 0 { rec.res } else { -1 },
                    fd_type: if directory { "directory" } else { "file" }.to_owned(),
                    nameraw: path.clone(),
                    name,
                    ..Fd::default()
                })
            }
            FdRef::Path { path, dirfd } => Some(Fd {
                num: -1,
                fd_type: "file".to_owned(),
                nameraw: path.clone(),
                name: resolve_path(&procfs, rec.pid, cwd, path, *dirfd),
                ..Fd::default()
            }),
            FdRef::Fd(fd) => Some(
                self.known_socket(rec.pid, *fd)
                    .unwrap_or_else(|| describe_fd(&procfs, rec.pid, *fd)),
            ),
            FdRef::Dup { oldfd, newfd } => {
                // close(2) is not traced, so a socket remembered at `oldfd` may be long
                // gone and its number reused (a program that connected somewhere, then
                // spawns a child that dup2()s a pipe onto its standard input). While the
                // process lives, `/proc` tells what the new descriptor really is; the
                // remembered socket speaks only for a process that is gone.
                let now = procfs.link(rec.pid, &format!("fd/{newfd}"));
                let mut f = match now {
                    Some(link) if sockets::socket_inode(&link).is_none() => {
                        describe_link(*newfd, link)
                    }
                    _ => self
                        .known_socket(rec.pid, *oldfd)
                        .unwrap_or_else(|| describe_fd(&procfs, rec.pid, *newfd)),
                };
                f.num = *newfd;
                if rec.res >= 0 && matches!(f.fd_type.as_str(), "ipv4" | "ipv6" | "unix") {
                    self.remember_socket(rec.pid, f.clone());
                }
                Some(f)
            }
            FdRef::Memfd { name } => Some(Fd {
                num: rec.res,
                fd_type: "memfd".to_owned(),
                name: format!("/memfd:{name}"),
                ..Fd::default()
            }),
            FdRef::Socket {
                fd,
                addr,
                role,
                listen_fd,
            } => {
                let local = listen_fd
                    .and_then(|l| self.known_socket(rec.pid, l))
                    .and_then(|l| Some((l.sip?.parse().ok()?, u16::try_from(l.sport?).ok()?)));
                let f = socket_fd(*fd, addr, *role, local);
                if *fd >= 0 && (rec.res >= 0 || rec.res == -115) {
                    self.remember_socket(rec.pid, f.clone());
                }
                Some(f)
            }
        }
    }
}

impl Enricher {
    /// A setuid or setgid executable changes the effective ids at exec. The kernel's
    /// record has the real ids, and `/proc` is gone for short-lived processes, so the
    /// file's mode decides: through `/proc/PID/exe` while the process lives, else through
    /// the container's merged root file system (or the host's).
    fn apply_set_id_bits(&mut self, pid: u32) {
        use std::os::unix::fs::MetadataExt;
        let Some(info) = self.procs.peek(pid).cloned() else {
            return;
        };
        if info.exepath.is_empty() || info.exe_from_memfd {
            return;
        }
        let procfs = self.procs.procfs().clone();
        // The executed path, not `/proc/PID/exe`: by the time the event is read the process
        // may have executed something else (setpriv ... true). Through the process's own
        // root while it lives, else the container's merged file system, else the host's.
        let rel = info.exepath.trim_start_matches('/');
        let mut meta = if info.exepath.starts_with('/') {
            std::fs::metadata(procfs.root().join(pid.to_string()).join("root").join(rel)).ok()
        } else {
            std::fs::metadata(procfs.root().join(pid.to_string()).join("exe")).ok()
        };
        if meta.is_none() && info.exepath.starts_with('/') {
            let path = match &info.container_id {
                Some(id) => match self.containers.get(id) {
                    Lookup::Known(c) => c.merged_dir.as_ref().map(|m| m.join(rel)),
                    Lookup::Unknown => None,
                },
                None => Some(PathBuf::from(&info.exepath)),
            };
            meta = path.and_then(|p| std::fs::metadata(p).ok());
        }
        let Some(meta) = meta else { return };
        let mode = meta.mode();
        if let Some(p) = self.procs.get_mut(pid) {
            if mode & 0o4000 != 0 {
                p.uid = meta.uid();
            }
            if mode & 0o2000 != 0 {
                p.gid = meta.gid();
            }
        }
    }

    fn known_socket(&self, pid: u32, fd: i64) -> Option<Fd> {
        self.sockets.get(&pid)?.get(&fd).cloned()
    }

    fn remember_socket(&mut self, pid: u32, f: Fd) {
        if self.sockets.len() > 65_536 {
            self.sockets.clear();
        }
        let per = self.sockets.entry(pid).or_default();
        if per.len() > 1024 {
            per.clear();
        }
        per.insert(f.num, f);
    }
}

/// Joins a relative path to the directory it is relative to and removes `.` and `..`.
pub fn resolve_path(procfs: &ProcFs, pid: u32, cwd: &str, path: &str, dirfd: i64) -> String {
    if path.starts_with('/') {
        return normalize(path);
    }
    let base = if dirfd == AT_FDCWD {
        procfs.link(pid, "cwd").unwrap_or_else(|| cwd.to_owned())
    } else {
        procfs.link(pid, &format!("fd/{dirfd}")).unwrap_or_default()
    };
    if base.is_empty() {
        return path.to_owned();
    }
    normalize(&format!("{base}/{path}"))
}

/// Lexical normalisation of an absolute path.
pub fn normalize(path: &str) -> String {
    // Most paths are already normal: no empty, `.` or `..` segment, no trailing slash.
    let normal = path.starts_with('/')
        && (path.len() == 1 || !path.ends_with('/'))
        && !path.contains("//")
        && !path.contains("/./")
        && !path.contains("/../")
        && !path.ends_with("/.")
        && !path.ends_with("/..");
    if normal {
        return path.to_owned();
    }
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let mut out = String::with_capacity(path.len());
    for p in &parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

fn describe_fd(procfs: &ProcFs, pid: u32, fd: i64) -> Fd {
    let link = procfs.link(pid, &format!("fd/{fd}")).unwrap_or_default();
    if sockets::socket_inode(&link).is_some() {
        if let Some(s) = sockets::lookup(procfs, pid, fd) {
            return inet_fd(fd, &s.local, &s.remote, s.l4proto, false);
        }
        return Fd {
            num: fd,
            fd_type: "unix".to_owned(),
            name: link,
            ..Fd::default()
        };
    }
    describe_link(fd, link)
}

/// A descriptor that is not a socket, from what `/proc/PID/fd/N` links to.
fn describe_link(fd: i64, link: String) -> Fd {
    let fd_type = if link.starts_with("pipe:") {
        "pipe"
    } else if link.starts_with("/memfd:") {
        "memfd"
    } else if link.starts_with("anon_inode:[eventpoll]") {
        "eventpoll"
    } else if link.starts_with("anon_inode:") {
        "event"
    } else {
        "file"
    };
    Fd {
        num: fd,
        fd_type: fd_type.to_owned(),
        name: link,
        ..Fd::default()
    }
}

fn family(ip: &IpAddr) -> &'static str {
    if ip.is_ipv4() { "ipv4" } else { "ipv6" }
}

fn inet_fd(
    num: i64,
    client: &(IpAddr, u16),
    server: &(IpAddr, u16),
    proto: &str,
    is_server: bool,
) -> Fd {
    Fd {
        num,
        fd_type: family(&server.0).to_owned(),
        name: format!("{}:{}->{}:{}", client.0, client.1, server.0, server.1),
        l4proto: proto.to_owned(),
        cip: Some(client.0.to_string()),
        sip: Some(server.0.to_string()),
        cport: Some(i64::from(client.1)),
        sport: Some(i64::from(server.1)),
        connected: true,
        is_server,
        ..Fd::default()
    }
}

/// A socket from the call's own arguments. The local end of a connect is not looked up
/// (reading `/proc/PID/net/*` per connection would cost more than everything else on the
/// event path); `local` is the listening socket's bound address for accept.
fn socket_fd(fd: i64, addr: &SockAddr, role: SocketRole, local: Option<(IpAddr, u16)>) -> Fd {
    match addr {
        SockAddr::Inet(ip, port) => {
            let unspecified = |ip: &IpAddr| -> IpAddr {
                if ip.is_ipv4() {
                    IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)
                } else {
                    IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
                }
            };
            let proto = "tcp";
            match role {
                SocketRole::Connect => {
                    let local = (unspecified(ip), 0);
                    let mut f = inet_fd(fd, &local, &(*ip, *port), proto, false);
                    f.connected = true;
                    f
                }
                SocketRole::Accept => {
                    let local = local.unwrap_or((unspecified(ip), 0));
                    inet_fd(fd, &(*ip, *port), &local, proto, true)
                }
                SocketRole::Bind => {
                    let mut f = inet_fd(fd, &(unspecified(ip), 0), &(*ip, *port), proto, true);
                    f.name = format!("{ip}:{port}");
                    f.connected = false;
                    f
                }
            }
        }
        SockAddr::Unix(path) => Fd {
            num: fd,
            fd_type: "unix".to_owned(),
            name: path.clone(),
            ..Fd::default()
        },
        SockAddr::Other(family) => Fd {
            num: fd,
            fd_type: if *family == 16 { "netlink" } else { "socket" }.to_owned(),
            ..Fd::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record of `pid` (its thread-group leader, root, comm `test`), with no cgroup or
    /// namespace from the kernel.
    fn record(pid: u32, evt_type: &'static str, res: i64, fd: FdRef) -> Record {
        Record {
            ts: 1,
            evt_type,
            pid,
            tid: pid,
            uid: 0,
            gid: 0,
            comm: "test".into(),
            cgroup_id: 0,
            mntns: 0,
            res,
            args: vec![],
            fd,
        }
    }

    /// An enricher over this machine's `/proc`, without a daemon.
    fn own_enricher() -> Enricher {
        Enricher::new(
            ProcFs::default(),
            ContainerCache::offline(),
            "node-1".into(),
        )
    }

    #[test]
    fn paths() {
        assert_eq!(normalize("/etc/../etc/./shadow"), "/etc/shadow");
        assert_eq!(normalize("/../.."), "/");
        assert_eq!(normalize("//a//b/"), "/a/b");
        let (pid, cwd) = (u32::MAX, "/srv/app");
        let fs = ProcFs::new("/nonexistent-proc");
        assert_eq!(
            resolve_path(&fs, pid, cwd, "../etc/passwd", AT_FDCWD),
            "/srv/etc/passwd"
        );
        assert_eq!(resolve_path(&fs, pid, cwd, "/etc/shadow", 3), "/etc/shadow");
        assert_eq!(resolve_path(&fs, pid, cwd, "x", 3), "x");
    }

    #[test]
    fn accounts() {
        let a = parse_accounts(
            "root:x:0:0:root:/root:/bin/bash\nbad\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n",
            "root:x:0:\nshadow:x:42:\n",
        );
        assert_eq!(a.users.get(&33).map(|u| u.0.as_str()), Some("www-data"));
        assert_eq!(a.groups.get(&42).map(String::as_str), Some("shadow"));
    }

    #[test]
    fn processes_gone_before_their_events_keep_their_container() {
        use std::os::unix::fs::MetadataExt;
        let cgroups = tempfile::tempdir().unwrap();
        let id = "c".repeat(64);
        let scope = cgroups
            .path()
            .join("system.slice")
            .join(format!("docker-{id}.scope"));
        std::fs::create_dir_all(&scope).unwrap();
        let user = cgroups.path().join("user.slice");
        std::fs::create_dir_all(&user).unwrap();
        let ino = |p: &std::path::Path| std::fs::metadata(p).unwrap().ino();
        // No /proc at all: every pid is unknown to the table.
        let mut e = Enricher::new(
            ProcFs::new("/nonexistent-proc"),
            ContainerCache::offline(),
            "node-1".into(),
        )
        .with_cgroup_root(cgroups.path());
        let rec = |pid: u32, cgroup_id: u64| Record {
            comm: "cat".into(),
            cgroup_id,
            ..record(
                pid,
                "openat",
                3,
                FdRef::Open {
                    path: "/etc/shadow".into(),
                    dirfd: AT_FDCWD,
                    flags: 0,
                },
            )
        };
        for _ in 0..2 {
            let ev = e.event_cached(&rec(4242, ino(&scope)));
            let c = ev.container.as_ref().expect("placed in its container");
            assert_eq!(
                (c.full_id.as_str(), c.runtime.as_str()),
                (id.as_str(), "docker")
            );
            assert_eq!(ev.proc.name, "cat");
        }
        assert_eq!(e.event(&rec(4243, ino(&user))).container, None);
        assert_eq!(e.event(&rec(4244, 0)).container, None);
    }

    #[test]
    fn mount_namespaces_learned_from_live_processes_place_the_gone_ones() {
        use std::os::unix::fs::MetadataExt;
        let cgroups = tempfile::tempdir().unwrap();
        let id = "d".repeat(64);
        let scope = cgroups.path().join("docker").join(&id);
        std::fs::create_dir_all(&scope).unwrap();
        let cgroup_id = std::fs::metadata(&scope).unwrap().ino();
        // No /proc, no daemon: the host's namespace is unknown, as where /proc/1 is
        // unreadable.
        let mut e = Enricher::new(
            ProcFs::new("/nonexistent-proc"),
            ContainerCache::offline(),
            "node-1".into(),
        )
        .with_cgroup_root(cgroups.path());
        let open = |pid: u32, cgroup_id: u64, mntns: u32| Record {
            cgroup_id,
            mntns,
            ..record(
                pid,
                "openat",
                3,
                FdRef::Open {
                    path: "/etc/shadow".into(),
                    dirfd: AT_FDCWD,
                    flags: 0,
                },
            )
        };
        // A process whose event carries no cgroup id (fanotify) in an unknown namespace.
        assert_eq!(e.event(&open(500, 0, 4_026_532_999)).container, None);
        // A process of the container, placed by its cgroup id, in that namespace.
        let placed = e.event(&open(501, cgroup_id, 4_026_532_999)).container;
        assert_eq!(placed.map(|c| c.full_id), Some(id.clone()));
        // Now one gone before it was read, with only the namespace to go by.
        let gone = e.event(&open(502, 0, 4_026_532_999)).container;
        assert_eq!(gone.map(|c| c.full_id), Some(id));
        assert_eq!(e.event(&open(503, 0, 4_026_533_000)).container, None);
    }

    #[test]
    fn a_dup_of_a_descriptor_that_was_a_socket_once_is_what_it_is_now() {
        use std::os::fd::AsRawFd;
        let mut e = own_enricher();
        let me = std::process::id();
        let rec = |evt_type: &'static str, fd: FdRef| record(me, evt_type, 0, fd);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stream = std::net::TcpStream::connect(addr).unwrap();
        let sock_fd = i64::from(stream.as_raw_fd());
        let connect = FdRef::Socket {
            fd: sock_fd,
            addr: SockAddr::Inet(addr.ip(), addr.port()),
            role: SocketRole::Connect,
            listen_fd: None,
        };
        let ev = e.event(&rec("connect", connect));
        assert_eq!(ev.fd.as_ref().map(|f| f.fd_type.as_str()), Some("ipv4"));
        // While the socket is open, a dup of it is the socket.
        let dup = |e: &mut Enricher, newfd: i64| {
            e.event(&rec(
                "dup2",
                FdRef::Dup {
                    oldfd: sock_fd,
                    newfd,
                },
            ))
            .fd
            .map(|f| f.fd_type)
        };
        assert_eq!(dup(&mut e, sock_fd).as_deref(), Some("ipv4"));
        // Closed, its number reused by a file: the remembered socket no longer speaks.
        drop(stream);
        let file = std::fs::File::open("/proc/self/stat").unwrap();
        let file_fd = i64::from(file.as_raw_fd());
        assert_eq!(dup(&mut e, file_fd).as_deref(), Some("file"));
    }

    #[test]
    fn events_for_own_process() {
        let mut e = own_enricher();
        let me = std::process::id();
        let ev = e.event(&Record {
            args: vec![("flags", "O_RDONLY".into())],
            ..record(
                me,
                "openat",
                3,
                FdRef::Open {
                    path: "/etc/../etc/hostname".into(),
                    dirfd: AT_FDCWD,
                    flags: 0,
                },
            )
        });
        assert_eq!(ev.num, 1);
        assert_eq!(
            ev.fd.as_ref().map(|f| f.name.as_str()),
            Some("/etc/hostname")
        );
        assert_eq!(
            ev.fd.as_ref().map(|f| f.nameraw.as_str()),
            Some("/etc/../etc/hostname")
        );
        assert_eq!(ev.user.name, "root");
        assert!(!ev.proc.ancestors.is_empty());
        // The test binary's own file times, and its process group leader.
        let exe = std::fs::metadata("/proc/self/exe").unwrap();
        {
            use std::os::unix::fs::MetadataExt;
            assert_eq!(ev.proc.exe_ino_mtime / 1_000_000_000, exe.mtime() as u64);
            assert_eq!(ev.proc.exe_ino_ctime / 1_000_000_000, exe.ctime() as u64);
        }
        // The group's leader may have exited (a group outlives its leader): then its name
        // is unknown.
        let leader_comm = std::fs::read_to_string(format!("/proc/{}/comm", ev.proc.vpgid))
            .map(|c| c.trim().to_owned())
            .unwrap_or_default();
        assert_eq!(ev.proc.vpgid_name, leader_comm, "{:?}", ev.proc);
        assert_eq!(ev.hostname.as_deref(), Some("node-1"));
        // Not in a container unless this test itself runs in one.
        let in_container = std::fs::read_to_string("/proc/self/cgroup")
            .ok()
            .and_then(|c| crate::cgroup::container_from_proc_cgroup(&c))
            .is_some();
        assert_eq!(ev.container.is_some(), in_container);
    }
}
