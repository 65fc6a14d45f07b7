//! The process table: what the sensor knows about every live process, filled from exec,
//! fork and exit events and, for processes that started before the sensor, from `/proc`.
//! Bounded: exited processes are kept for a while (their children and late events still
//! need them), then dropped; a full table is cleared of exited entries first.

use std::collections::{HashMap, VecDeque};

use crate::cgroup;
use crate::procfs::{ProcFs, parse_cmdline};

/// Most processes kept.
const MAX_PROCS: usize = 131_072;
/// Exited processes kept for late lookups.
const KEEP_EXITED: usize = 4096;

/// One process.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProcInfo {
    /// Host pid.
    pub pid: u32,
    /// Parent pid.
    pub ppid: u32,
    /// `comm`.
    pub comm: String,
    /// argv[0].
    pub exe: String,
    /// The executable's path.
    pub exepath: String,
    /// argv[1..].
    pub args: Vec<String>,
    /// Working directory (as the process sees it).
    pub cwd: String,
    /// Controlling terminal (0 = none).
    pub tty: i64,
    /// Start time, nanoseconds since the epoch.
    pub start_ts: u64,
    /// Session id.
    pub sid: u32,
    /// Process group id.
    pub pgrp: u32,
    /// Pid in its own pid namespace.
    pub vpid: u32,
    /// Effective uid.
    pub uid: u32,
    /// Real uid.
    pub ruid: u32,
    /// Effective gid.
    pub gid: u32,
    /// Audit login uid (-1 unset).
    pub loginuid: i64,
    /// Inheritable, permitted, effective capabilities.
    pub caps: [u64; 3],
    /// Full container id; `None` on the host.
    pub container_id: Option<String>,
    /// Container runtime.
    pub runtime: &'static str,
    /// Whether the executable is in the container's upper layer (decided once per exec).
    pub exe_upper_layer: Option<bool>,
    /// The executable is a memfd.
    pub exe_from_memfd: bool,
    /// The process runs its container's health check (inherited by its children).
    pub healthcheck: bool,
    /// The facts only `/proc` has (working directory, ids, capabilities, cgroup) are the
    /// parent's: the process was gone before they could be read.
    pub live_facts_from_parent: bool,
    /// Change and modification times of the executable, ns since the epoch (0: unknown).
    pub exe_ctime: u64,
    pub exe_mtime: u64,
    /// The process has exited.
    pub exited: bool,
}

/// Every process the sensor knows.
#[derive(Debug)]
pub struct ProcessTable {
    procs: HashMap<u32, ProcInfo>,
    exited: VecDeque<u32>,
    procfs: ProcFs,
    /// Processes read from `/proc` because no event had introduced them.
    pub loaded_from_proc: u64,
}

impl ProcessTable {
    /// An empty table reading `/proc` from `procfs`.
    pub fn new(procfs: ProcFs) -> ProcessTable {
        ProcessTable {
            procs: HashMap::new(),
            exited: VecDeque::new(),
            procfs,
            loaded_from_proc: 0,
        }
    }

    /// The `/proc` the table reads.
    pub fn procfs(&self) -> &ProcFs {
        &self.procfs
    }

    /// Number of processes known.
    pub fn len(&self) -> usize {
        self.procs.len()
    }

    /// Whether no process is known.
    pub fn is_empty(&self) -> bool {
        self.procs.is_empty()
    }

    /// A process, read from `/proc` when no event introduced it.
    pub fn get(&mut self, pid: u32) -> Option<&ProcInfo> {
        if !self.procs.contains_key(&pid) {
            let info = self.load(pid)?;
            self.loaded_from_proc += 1;
            self.insert(info);
        }
        self.procs.get(&pid)
    }

    /// A process without reading `/proc`.
    pub fn peek(&self, pid: u32) -> Option<&ProcInfo> {
        self.procs.get(&pid)
    }

    /// A process, mutable.
    pub fn get_mut(&mut self, pid: u32) -> Option<&mut ProcInfo> {
        self.get(pid)?;
        self.procs.get_mut(&pid)
    }

    fn insert(&mut self, info: ProcInfo) {
        if self.procs.len() >= MAX_PROCS {
            self.procs.retain(|_, p| !p.exited);
            self.exited.clear();
            if self.procs.len() >= MAX_PROCS {
                self.procs.clear();
            }
        }
        self.procs.insert(info.pid, info);
    }

    /// Reads everything about `pid` from `/proc`.
    fn load(&self, pid: u32) -> Option<ProcInfo> {
        let fs = &self.procfs;
        let stat = fs.stat(pid)?;
        let mut info = ProcInfo {
            pid,
            ppid: stat.ppid,
            comm: stat.comm,
            tty: stat.tty_nr,
            start_ts: fs.start_ns(stat.start_ticks),
            sid: stat.session,
            pgrp: stat.pgrp,
            loginuid: -1,
            ..ProcInfo::default()
        };
        let argv = fs
            .read(pid, "cmdline")
            .map(|b| parse_cmdline(&b))
            .unwrap_or_default();
        if let Some((first, rest)) = argv.split_first() {
            info.exe = first.clone();
            info.args = rest.to_vec();
        }
        info.exepath = fs.link(pid, "exe").unwrap_or_default();
        info.live_facts_from_parent = !self.fill_live(&mut info);
        Some(info)
    }

    /// Facts only `/proc` has (cwd, ids, capabilities, cgroup), read while the process lives.
    /// Whether they could be read (else the process is gone and keeps what it had).
    fn fill_live(&self, info: &mut ProcInfo) -> bool {
        let fs = &self.procfs;
        let pid = info.pid;
        let Some(cwd) = fs.link(pid, "cwd") else {
            return false;
        };
        info.cwd = cwd;
        if let Some(st) = fs.status(pid) {
            info.uid = st.euid;
            info.ruid = st.ruid;
            info.gid = st.egid;
            info.caps = [st.cap_inh, st.cap_prm, st.cap_eff];
            info.vpid = st.vpid;
        }
        if let Some(l) = fs.read(pid, "loginuid") {
            info.loginuid = String::from_utf8_lossy(&l)
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|&u| u != u32::MAX)
                .map_or(-1, i64::from);
        }
        if let Some(cg) = fs.read(pid, "cgroup") {
            let text = String::from_utf8_lossy(&cg);
            match cgroup::container_from_proc_cgroup(&text) {
                Some(c) => {
                    info.container_id = Some(c.id);
                    info.runtime = c.runtime;
                }
                None => info.container_id = None,
            }
        }
        if info.exepath.starts_with("/memfd:") {
            info.exe_from_memfd = true;
        }
        (info.exe_ctime, info.exe_mtime) = fs.exe_times(pid).unwrap_or_default();
        true
    }

    /// A fork: the child starts as a copy of its parent.
    pub fn on_fork(&mut self, parent: u32, child: u32, ts: u64) {
        let mut info = match self.get(parent) {
            Some(p) => p.clone(),
            None => ProcInfo::default(),
        };
        info.pid = child;
        info.ppid = parent;
        info.start_ts = ts;
        info.exited = false;
        info.vpid = 0;
        self.insert(info);
    }

    /// A successful exec: new executable and arguments; live facts re-read from `/proc`.
    #[allow(clippy::too_many_arguments)]
    pub fn on_exec(
        &mut self,
        pid: u32,
        ppid: u32,
        filename: &str,
        argv: &[String],
        comm: &str,
        uid: u32,
        gid: u32,
    ) -> &ProcInfo {
        let known = self.procs.remove(&pid);
        let fresh_from_proc = known.is_none();
        let mut info = known.or_else(|| self.load(pid)).unwrap_or(ProcInfo {
            pid,
            loginuid: -1,
            ..ProcInfo::default()
        });
        info.pid = pid;
        if ppid != 0 {
            info.ppid = ppid;
        }
        info.comm = comm.to_owned();
        info.exepath = filename.to_owned();
        match argv.split_first() {
            Some((first, rest)) => {
                info.exe = first.clone();
                info.args = rest.to_vec();
            }
            None => {
                info.exe = filename.to_owned();
                info.args.clear();
            }
        }
        info.uid = uid;
        info.ruid = uid;
        info.gid = gid;
        info.exe_upper_layer = None;
        info.exe_from_memfd = false;
        info.live_facts_from_parent = !self.fill_live(&mut info);
        // The terminal, session and process group as they are now: the copy from the fork
        // has the parent's, and `docker exec -t` (runc) gives the child its terminal and
        // session between the fork and the exec. (An entry just loaded has them.)
        if !fresh_from_proc && let Some(st) = self.procfs.stat(pid) {
            info.tty = st.tty_nr;
            info.sid = st.session;
            info.pgrp = st.pgrp;
        }
        // The kernel's ids at the exec win over `/proc`, which may already show a later
        // set*id call (runc drops to the container user right after its exec).
        info.uid = uid;
        info.ruid = uid;
        info.gid = gid;
        // The kernel's path for the executable is authoritative (it resolves symlinks and
        // shows memfds as `/memfd:NAME (deleted)`).
        if let Some(exe) = self.procfs.link(pid, "exe") {
            info.exe_from_memfd = exe.starts_with("/memfd:");
            if info.exe_from_memfd || !filename.starts_with('/') {
                info.exepath = exe;
            }
        }
        if filename.starts_with("/dev/fd/") || filename.starts_with("/proc/self/fd/") {
            info.exe_from_memfd |= info.exepath.starts_with("/memfd:");
        }
        self.insert(info);
        self.procs.get(&pid).unwrap_or_else(|| unreachable_info())
    }

    /// An exit: kept a while for late events and children.
    pub fn on_exit(&mut self, pid: u32) {
        if let Some(p) = self.procs.get_mut(&pid) {
            p.exited = true;
            self.exited.push_back(pid);
            while self.exited.len() > KEEP_EXITED {
                if let Some(old) = self.exited.pop_front()
                    && self.procs.get(&old).is_some_and(|p| p.exited)
                {
                    self.procs.remove(&old);
                }
            }
        }
    }

    /// The ancestors of `pid`, nearest first, at most `max`.
    pub fn ancestors(&mut self, pid: u32, max: usize) -> Vec<ProcInfo> {
        let mut out = Vec::new();
        let mut cur = self.get(pid).map(|p| p.ppid);
        while let Some(ppid) = cur {
            if ppid == 0 || out.len() >= max || out.iter().any(|a: &ProcInfo| a.pid == ppid) {
                break;
            }
            match self.get(ppid) {
                Some(p) => {
                    cur = Some(p.ppid);
                    // Only what events show of an ancestor.
                    out.push(ProcInfo {
                        pid: p.pid,
                        ppid: p.ppid,
                        comm: p.comm.clone(),
                        exe: p.exe.clone(),
                        exepath: p.exepath.clone(),
                        args: p.args.clone(),
                        start_ts: p.start_ts,
                        ..ProcInfo::default()
                    });
                }
                None => break,
            }
        }
        out
    }
}

fn unreachable_info() -> &'static ProcInfo {
    static EMPTY: std::sync::OnceLock<ProcInfo> = std::sync::OnceLock::new();
    EMPTY.get_or_init(ProcInfo::default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_and_ancestors() {
        let mut t = ProcessTable::new(ProcFs::default());
        let me = std::process::id();
        let info = t.get(me).unwrap().clone();
        assert_eq!(info.pid, me);
        assert!(!info.exepath.is_empty());
        let anc = t.ancestors(me, 10);
        assert!(!anc.is_empty());
        assert_eq!(anc[0].pid, info.ppid);
        assert_eq!(t.loaded_from_proc as usize, 1 + anc.len());
    }

    #[test]
    fn fork_exec_exit() {
        let mut t = ProcessTable::new(ProcFs::new("/nonexistent-proc"));
        // Unknown processes cannot be read from a missing /proc.
        assert!(t.get(10).is_none());
        t.on_exec(10, 1, "/bin/bash", &["bash".into()], "bash", 0, 0);
        t.on_fork(10, 11, 5);
        let child = t.get(11).unwrap().clone();
        assert_eq!(
            (child.ppid, child.comm.as_str(), child.start_ts),
            (10, "bash", 5)
        );
        let p = t
            .on_exec(
                11,
                0,
                "/usr/bin/cat",
                &["cat".into(), "/etc/shadow".into()],
                "cat",
                1000,
                1000,
            )
            .clone();
        assert_eq!(
            (p.ppid, p.exe.as_str(), p.exepath.as_str()),
            (10, "cat", "/usr/bin/cat")
        );
        assert_eq!(p.args, ["/etc/shadow"]);
        assert_eq!(
            t.ancestors(11, 5).iter().map(|a| a.pid).collect::<Vec<_>>(),
            [10]
        );
        t.on_exit(11);
        assert!(t.peek(11).unwrap().exited);
    }

    #[test]
    fn exited_processes_are_bounded() {
        let mut t = ProcessTable::new(ProcFs::new("/nonexistent-proc"));
        for pid in 1..(KEEP_EXITED as u32 + 100) {
            t.on_exec(pid, 0, "/bin/true", &[], "true", 0, 0);
            t.on_exit(pid);
        }
        assert!(t.len() <= KEEP_EXITED);
    }

    #[test]
    fn ancestor_loops_end() {
        let mut t = ProcessTable::new(ProcFs::new("/nonexistent-proc"));
        t.on_exec(20, 21, "/a", &[], "a", 0, 0);
        t.on_exec(21, 20, "/b", &[], "b", 0, 0);
        assert_eq!(t.ancestors(20, 10).len(), 2);
    }
}
