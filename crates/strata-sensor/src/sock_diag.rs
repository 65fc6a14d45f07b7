//! Network events without eBPF: the kernel's socket tables, dumped through netlink
//! `sock_diag` in every network namespace that has processes (the host's and each
//! container's), compared with the previous dump. A socket not seen before becomes the
//! probe's `connect`, `accept` or `bind` [`RawEvent`], so the network rules run on it
//! unchanged:
//!
//! - a TCP socket in any state but LISTEN is an `accept` when a listener of the same
//!   namespace holds its local port, else a `connect` (to its remote address);
//! - a connected UDP socket is a `connect`;
//! - a new TCP listener, or an unconnected UDP socket with a port, is a `bind`.
//!
//! The process is found from the socket's inode among the descriptors of the namespace's
//! processes. What polling cannot tell: a connection opened and closed between two dumps
//! (every `poll_interval`) is seen only if it left a TIME_WAIT socket behind, and then
//! without its process (the container is still known, from the namespace).

// Netlink sockets and setns need a handful of libc calls; each unsafe block is one call on
// memory this module owns.
#![allow(unsafe_code)]

use std::collections::{HashMap, HashSet};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use strata_ebpf::{Args, Kind, RawEvent, SockAddr};

use crate::procfs::ProcFs;
use crate::wire::{ne_u16, ne_u32, now_ns};

const NETLINK_SOCK_DIAG: libc::c_int = 4;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLMSG_HDR: usize = 16;
/// `struct inet_diag_msg`: family, state, timer, retrans (u8 each), the 48-byte
/// `inet_diag_sockid`, then expires, rqueue, wqueue, uid and inode (u32 each).
const DIAG_MSG_LEN: usize = 72;

const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;
const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;

#[cfg(test)]
const TCP_ESTABLISHED: u8 = 1;
const TCP_SYN_RECV: u8 = 3;
#[cfg(test)]
const TCP_TIME_WAIT: u8 = 6;
const TCP_CLOSE: u8 = 7;
const TCP_LISTEN: u8 = 10;
const TCP_NEW_SYN_RECV: u8 = 12;

/// The TCP states dumped: all but the half-open connections of a listener's queue, whose
/// cookies are not those of the sockets they become.
const TCP_STATES: u32 = !((1 << TCP_SYN_RECV) | (1 << TCP_NEW_SYN_RECV));

/// Sockets remembered per namespace at most; past this, new ones are not reported until
/// old ones close (counted in [`SocketWatch::overflows`]).
const MAX_KNOWN: usize = 262_144;
/// Namespaces watched at most.
const MAX_NAMESPACES: usize = 4096;

/// Transport protocol of a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Proto {
    Tcp,
    Udp,
}

/// One socket of a dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiagSocket {
    pub proto: Proto,
    /// TCP state (`TCP_*`; UDP uses ESTABLISHED for connected and CLOSE for unconnected).
    pub state: u8,
    pub local: (IpAddr, u16),
    pub remote: (IpAddr, u16),
    /// The socket's cookie, unique while the machine runs.
    pub cookie: u64,
    /// Owner uid.
    pub uid: u32,
    /// Inode (0 for TIME_WAIT sockets, which no descriptor holds).
    pub inode: u32,
}

/// A dump request: `nlmsghdr` then `inet_diag_req_v2` (family, protocol, ext, pad, states
/// bit mask, and an all-zero socket id).
pub fn dump_request(seq: u32, family: u8, proto: u8, states: u32) -> Vec<u8> {
    let mut m = Vec::with_capacity(NLMSG_HDR + 56);
    m.extend_from_slice(&((NLMSG_HDR + 56) as u32).to_ne_bytes());
    m.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    m.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    m.extend_from_slice(&seq.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes());
    m.extend_from_slice(&[family, proto, 0, 0]);
    m.extend_from_slice(&states.to_ne_bytes());
    m.extend_from_slice(&[0u8; 48]);
    m
}

fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn addr(family: u8, b: &[u8]) -> Option<IpAddr> {
    match family {
        AF_INET => {
            let a: [u8; 4] = b.get(..4)?.try_into().ok()?;
            Some(IpAddr::V4(Ipv4Addr::from(a)))
        }
        AF_INET6 => {
            let a: [u8; 16] = b.get(..16)?.try_into().ok()?;
            let v6 = Ipv6Addr::from(a);
            Some(v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4))
        }
        _ => None,
    }
}

/// What one buffer of a dump held.
#[derive(Debug, PartialEq, Eq)]
pub enum DumpPart {
    /// More messages follow.
    More,
    /// The dump is complete.
    Done,
    /// The kernel answered with an error (a negative errno).
    Error(i32),
}

/// Parses one buffer read from a `sock_diag` socket, appending its sockets to `out`.
/// Messages of another sequence number are skipped; a malformed message ends the buffer.
/// Nothing here panics, whatever the bytes.
pub fn parse_dump(b: &[u8], seq: u32, proto: Proto, out: &mut Vec<DiagSocket>) -> DumpPart {
    let mut off = 0usize;
    while let (Some(len), Some(kind)) = (ne_u32(b, off), ne_u16(b, off + 4)) {
        let len = len as usize;
        if len < NLMSG_HDR || off + len > b.len() {
            break;
        }
        let msg = &b[off..off + len];
        if ne_u32(msg, 8) == Some(seq) {
            match kind {
                NLMSG_DONE => return DumpPart::Done,
                NLMSG_ERROR => {
                    let errno = ne_u32(msg, NLMSG_HDR).map_or(-1, |e| e as i32);
                    return if errno == 0 {
                        DumpPart::Done
                    } else {
                        DumpPart::Error(errno)
                    };
                }
                SOCK_DIAG_BY_FAMILY => {
                    if let Some(s) = msg.get(NLMSG_HDR..).and_then(|d| parse_msg(d, proto)) {
                        out.push(s);
                    }
                }
                _ => {}
            }
        }
        // messages are 4-byte aligned
        off += (len + 3) & !3;
    }
    DumpPart::More
}

fn parse_msg(d: &[u8], proto: Proto) -> Option<DiagSocket> {
    if d.len() < DIAG_MSG_LEN {
        return None;
    }
    let family = d[0];
    let id = &d[4..52];
    let cookie = u64::from(ne_u32(id, 40)?) | (u64::from(ne_u32(id, 44)?) << 32);
    Some(DiagSocket {
        proto,
        state: d[1],
        local: (addr(family, &id[4..20])?, be_u16(id, 0)?),
        remote: (addr(family, &id[20..36])?, be_u16(id, 2)?),
        cookie,
        uid: ne_u32(d, 64)?,
        inode: ne_u32(d, 68)?,
    })
}

/// What a socket seen for the first time stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Meaning {
    Connect,
    Accept,
    Bind,
}

/// The phase of a socket's life that is news: bound or listening (0), connected (1), or
/// neither (`None`: a TCP socket not yet connected or listening, a UDP socket with no
/// port). A socket is reported once per phase, so one that binds and later connects, or
/// is created, then connects, is reported when it gets there.
pub fn phase(s: &DiagSocket) -> Option<u8> {
    match (s.proto, s.state) {
        (Proto::Tcp, TCP_LISTEN) => Some(0),
        (Proto::Tcp, TCP_CLOSE) => None,
        (Proto::Tcp, _) => Some(1),
        (Proto::Udp, _) if s.remote.1 != 0 && !s.remote.0.is_unspecified() => Some(1),
        (Proto::Udp, _) if s.local.1 != 0 => Some(0),
        (Proto::Udp, _) => None,
    }
}

/// Classifies a new socket against the listeners of its namespace (local addresses and
/// ports of TCP LISTEN sockets).
pub fn meaning(s: &DiagSocket, listeners: &HashSet<(IpAddr, u16)>) -> Option<Meaning> {
    match (s.proto, s.state) {
        (Proto::Tcp, TCP_LISTEN) => Some(Meaning::Bind),
        (Proto::Tcp, TCP_CLOSE) => None,
        (Proto::Tcp, _) => {
            let (ip, port) = s.local;
            let listening = listeners.contains(&(ip, port))
                || listeners.contains(&(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port))
                || listeners.contains(&(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port));
            Some(if listening {
                Meaning::Accept
            } else {
                Meaning::Connect
            })
        }
        (Proto::Udp, _) => match phase(s)? {
            0 => Some(Meaning::Bind),
            _ => Some(Meaning::Connect),
        },
    }
}

fn sockaddr((ip, port): (IpAddr, u16)) -> SockAddr {
    SockAddr {
        family: if ip.is_ipv4() { 2 } else { 10 },
        ip: Some(ip),
        port,
        unix_path: None,
    }
}

/// A `sock_diag` netlink socket. It dumps the tables of the network namespace it was
/// created in, and holds that namespace while it is open.
struct DiagChannel {
    fd: OwnedFd,
    seq: u32,
    buf: Vec<u8>,
}

impl DiagChannel {
    fn open() -> io::Result<DiagChannel> {
        // SAFETY: plain socket(2) call; the result is checked before use.
        let raw = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                NETLINK_SOCK_DIAG,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a descriptor we just opened and own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // A dump never waits forever on a wedged kernel answer.
        let tv = libc::timeval {
            tv_sec: 1,
            tv_usec: 0,
        };
        // SAFETY: `tv` lives for the call and its size is passed.
        unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                std::ptr::from_ref(&tv).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            );
        }
        Ok(DiagChannel {
            fd,
            seq: 0,
            buf: vec![0u8; 64 * 1024],
        })
    }

    /// Opens a channel in the network namespace of `ns` (a `/proc/PID/ns/net` path): a
    /// short-lived thread enters the namespace and creates the socket there, so the
    /// sensor's own threads never change namespace.
    fn open_in(ns: &Path) -> io::Result<DiagChannel> {
        let ns = std::fs::File::open(ns)?;
        std::thread::spawn(move || {
            // SAFETY: setns on a namespace descriptor we hold; it changes only this
            // thread, which ends right after.
            if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                return Err(io::Error::last_os_error());
            }
            DiagChannel::open()
        })
        .join()
        .map_err(|_| io::Error::other("the namespace thread panicked"))?
    }

    /// Dumps the sockets of one family and protocol.
    fn dump(&mut self, family: u8, proto: Proto, out: &mut Vec<DiagSocket>) -> io::Result<()> {
        self.seq = self.seq.wrapping_add(1);
        let (ipproto, states) = match proto {
            // every state; TIME_WAIT is how a connection shorter than a poll shows
            Proto::Tcp => (IPPROTO_TCP, TCP_STATES),
            Proto::Udp => (IPPROTO_UDP, !0u32),
        };
        let req = dump_request(self.seq, family, ipproto, states);
        // SAFETY: `req` is a live buffer of the length passed.
        let sent = unsafe { libc::send(self.fd.as_raw_fd(), req.as_ptr().cast(), req.len(), 0) };
        if sent < 0 {
            return Err(io::Error::last_os_error());
        }
        loop {
            // SAFETY: `buf` is ours and its length is passed.
            let n = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    self.buf.as_mut_ptr().cast(),
                    self.buf.len(),
                    0,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if n == 0 {
                return Ok(());
            }
            let got = self.buf.get(..n as usize).unwrap_or_default();
            match parse_dump(got, self.seq, proto, out) {
                DumpPart::More => {}
                DumpPart::Done => return Ok(()),
                // the kernel has no table for this family (IPv6 disabled)
                DumpPart::Error(e) if -e == libc::ENOENT || -e == libc::EAFNOSUPPORT => {
                    return Ok(());
                }
                DumpPart::Error(e) => return Err(io::Error::from_raw_os_error(-e)),
            }
        }
    }

    fn dump_all(&mut self) -> io::Result<Vec<DiagSocket>> {
        let mut out = Vec::new();
        for family in [AF_INET, AF_INET6] {
            for proto in [Proto::Tcp, Proto::Udp] {
                self.dump(family, proto, &mut out)?;
            }
        }
        Ok(out)
    }
}

/// One watched network namespace.
struct Namespace {
    channel: DiagChannel,
    /// A process in the namespace, checked each poll; when it is gone another is looked
    /// for, and the namespace is dropped (its socket closed) when none is left.
    anchor: u32,
    /// Its mount namespace, standing for the container of a socket whose process is gone.
    mntns: u32,
    /// Cookies and phases of the sockets of the last dump.
    known: HashSet<(u64, u8)>,
    /// False until the first dump: the sockets of a namespace that existed when the sensor
    /// started are its baseline, not events.
    baselined: bool,
}

/// Socket events from `sock_diag` in every network namespace with processes.
pub struct SocketWatch {
    procfs: ProcFs,
    namespaces: HashMap<u64, Namespace>,
    /// How often the tables are dumped.
    pub poll_interval: Duration,
    last_poll: Option<Instant>,
    own_pid: u32,
    /// Namespaces that could not be entered or dumped, with the reason (the first few).
    pub failures: Vec<String>,
    /// Sockets not tracked because a namespace had [`MAX_KNOWN`] already.
    pub overflows: u64,
}

fn netns_of(procfs: &ProcFs, pid: u32) -> Option<u64> {
    procfs
        .link(pid, "ns/net")?
        .strip_prefix("net:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

fn pids(procfs: &ProcFs) -> Vec<u32> {
    std::fs::read_dir(procfs.root())
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

impl SocketWatch {
    /// Watches the network namespaces of every running process; their current sockets
    /// are the baseline. Needs root (entering namespaces, reading other processes' fds).
    pub fn open(procfs: ProcFs) -> io::Result<SocketWatch> {
        let mut w = SocketWatch {
            procfs,
            namespaces: HashMap::new(),
            poll_interval: Duration::from_millis(200),
            last_poll: None,
            own_pid: std::process::id(),
            failures: Vec::new(),
            overflows: 0,
        };
        // The sensor's own namespace first: if even that fails, there is no source.
        let own = w.own_pid;
        let ns = netns_of(&w.procfs, own)
            .ok_or_else(|| io::Error::other("cannot read /proc/self/ns/net"))?;
        let channel = DiagChannel::open()?;
        w.add(ns, own, channel, false);
        for pid in pids(&w.procfs) {
            w.watch_netns_of_at_start(pid);
        }
        w.poll_now(&mut |_| {});
        Ok(w)
    }

    fn add(&mut self, ns: u64, pid: u32, channel: DiagChannel, baselined: bool) {
        let mntns = self.procfs.mntns(pid).unwrap_or(0);
        self.namespaces.insert(
            ns,
            Namespace {
                channel,
                anchor: pid,
                mntns,
                known: HashSet::new(),
                baselined,
            },
        );
    }

    fn watch_netns_of_at_start(&mut self, pid: u32) {
        self.watch(pid, false);
    }

    /// Starts watching the network namespace of `pid` if it is new (a process just
    /// executed: a new container, or `unshare -n`). Its sockets are all news.
    pub fn watch_netns_of(&mut self, pid: u32) -> bool {
        self.watch(pid, true)
    }

    fn watch(&mut self, pid: u32, baselined: bool) -> bool {
        let Some(ns) = netns_of(&self.procfs, pid) else {
            return false;
        };
        if self.namespaces.contains_key(&ns) || self.namespaces.len() >= MAX_NAMESPACES {
            return false;
        }
        let path = self.procfs.root().join(pid.to_string()).join("ns/net");
        match DiagChannel::open_in(&path) {
            Ok(channel) => {
                self.add(ns, pid, channel, baselined);
                true
            }
            Err(e) => {
                if self.failures.len() < 16 {
                    self.failures
                        .push(format!("network namespace of pid {pid}: {e}"));
                }
                false
            }
        }
    }

    /// Dumps the tables if `poll_interval` has passed since the last dump, handing each
    /// new socket as a [`RawEvent`] to `f`.
    pub fn poll(&mut self, f: &mut dyn FnMut(RawEvent)) -> usize {
        let due = self
            .last_poll
            .is_none_or(|t| t.elapsed() >= self.poll_interval);
        if due { self.poll_now(f) } else { 0 }
    }

    fn poll_now(&mut self, f: &mut dyn FnMut(RawEvent)) -> usize {
        self.last_poll = Some(Instant::now());
        self.reanchor();
        let mut n = 0;
        let ids: Vec<u64> = self.namespaces.keys().copied().collect();
        for id in ids {
            n += self.poll_namespace(id, f);
        }
        n
    }

    /// Moves each namespace's anchor to a living process, dropping namespaces that have
    /// none (so a stopped container's namespace is not held open).
    fn reanchor(&mut self) {
        let dead: Vec<u64> = self
            .namespaces
            .iter()
            .filter(|&(&ns, n)| netns_of(&self.procfs, n.anchor) != Some(ns))
            .map(|(&ns, _)| ns)
            .collect();
        if dead.is_empty() {
            return;
        }
        let mut found: HashMap<u64, u32> = HashMap::new();
        for pid in pids(&self.procfs) {
            if let Some(ns) = netns_of(&self.procfs, pid)
                && dead.contains(&ns)
            {
                found.entry(ns).or_insert(pid);
            }
        }
        for ns in dead {
            match found.get(&ns) {
                Some(&pid) => {
                    if let Some(n) = self.namespaces.get_mut(&ns) {
                        n.anchor = pid;
                        n.mntns = self.procfs.mntns(pid).unwrap_or(n.mntns);
                    }
                }
                None => {
                    self.namespaces.remove(&ns);
                }
            }
        }
    }

    fn poll_namespace(&mut self, id: u64, f: &mut dyn FnMut(RawEvent)) -> usize {
        let Some(ns) = self.namespaces.get_mut(&id) else {
            return 0;
        };
        let sockets = match ns.channel.dump_all() {
            Ok(s) => s,
            Err(e) => {
                if self.failures.len() < 16 {
                    self.failures
                        .push(format!("sock_diag dump of network namespace {id}: {e}"));
                }
                return 0;
            }
        };
        let listeners: HashSet<(IpAddr, u16)> = sockets
            .iter()
            .filter(|s| s.proto == Proto::Tcp && s.state == TCP_LISTEN)
            .map(|s| s.local)
            .collect();
        let baselined = ns.baselined;
        ns.baselined = true;
        let mut fresh = Vec::new();
        let mut now_known = HashSet::with_capacity(sockets.len());
        for s in sockets {
            let Some(phase) = phase(&s) else { continue };
            if now_known.len() >= MAX_KNOWN {
                self.overflows += 1;
                continue;
            }
            let key = (s.cookie, phase);
            now_known.insert(key);
            // A socket closing is not news, nor a connection that only moved on to
            // TIME_WAIT (the cookie stays).
            if baselined && !ns.known.contains(&key) {
                fresh.push(s);
            }
        }
        ns.known = now_known;
        let (anchor, mntns) = (ns.anchor, ns.mntns);
        if fresh.is_empty() {
            return 0;
        }
        let owners = self.owners(id, &fresh);
        let mut n = 0;
        for s in fresh {
            let Some(m) = meaning(&s, &listeners) else {
                continue;
            };
            let (pid, fd) = owners.get(&s.inode).copied().unwrap_or((0, -1));
            if pid == self.own_pid {
                continue;
            }
            f(self.raw(&s, m, pid, fd, if pid == 0 { mntns } else { 0 }, anchor));
            n += 1;
        }
        n
    }

    /// Which process and descriptor hold each socket inode, among the processes of the
    /// namespace.
    fn owners(&self, ns: u64, sockets: &[DiagSocket]) -> HashMap<u32, (u32, i32)> {
        let mut wanted: HashSet<u32> = sockets
            .iter()
            .map(|s| s.inode)
            .filter(|&i| i != 0)
            .collect();
        let mut out = HashMap::new();
        if wanted.is_empty() {
            return out;
        }
        for pid in pids(&self.procfs) {
            if netns_of(&self.procfs, pid) != Some(ns) {
                continue;
            }
            let dir = self.procfs.root().join(pid.to_string()).join("fd");
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let Some(fd) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                    continue;
                };
                let Ok(link) = std::fs::read_link(e.path()) else {
                    continue;
                };
                if let Some(inode) = link
                    .to_str()
                    .and_then(crate::sockets::socket_inode)
                    .and_then(|i| u32::try_from(i).ok())
                    && wanted.remove(&inode)
                {
                    out.insert(inode, (pid, fd));
                }
            }
            if wanted.is_empty() {
                break;
            }
        }
        out
    }

    fn raw(
        &self,
        s: &DiagSocket,
        m: Meaning,
        pid: u32,
        fd: i32,
        mntns: u32,
        anchor: u32,
    ) -> RawEvent {
        let (kind, ret, fd, addr) = match m {
            Meaning::Connect => (Kind::Connect, 0, fd, sockaddr(s.remote)),
            Meaning::Accept => (Kind::Accept, i64::from(fd), -1, sockaddr(s.remote)),
            Meaning::Bind => (Kind::Bind, 0, fd, sockaddr(s.local)),
        };
        RawEvent {
            ts_ns: now_ns(),
            kind,
            pid,
            tid: pid,
            ppid: 0,
            uid: s.uid,
            gid: 0,
            cgroup_id: 0,
            mntns: if pid == 0 {
                mntns
            } else {
                self.procfs
                    .mntns(pid)
                    .or_else(|| self.procfs.mntns(anchor))
                    .unwrap_or(0)
            },
            comm: if pid == 0 {
                String::new()
            } else {
                self.procfs.comm(pid)
            },
            ret,
            args: Args::Socket {
                fd,
                addr: Some(addr),
                flags: 0,
            },
        }
    }

    /// Namespaces watched now.
    pub fn namespaces(&self) -> usize {
        self.namespaces.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(seq: u32, kind: u16, payload: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&((NLMSG_HDR + payload.len()) as u32).to_ne_bytes());
        m.extend_from_slice(&kind.to_ne_bytes());
        m.extend_from_slice(&0u16.to_ne_bytes());
        m.extend_from_slice(&seq.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend_from_slice(payload);
        while m.len() % 4 != 0 {
            m.push(0);
        }
        m
    }

    fn diag(family: u8, state: u8, local: ([u8; 16], u16), remote: ([u8; 16], u16)) -> Vec<u8> {
        let mut d = vec![family, state, 0, 0];
        d.extend_from_slice(&local.1.to_be_bytes());
        d.extend_from_slice(&remote.1.to_be_bytes());
        d.extend_from_slice(&local.0);
        d.extend_from_slice(&remote.0);
        d.extend_from_slice(&0u32.to_ne_bytes()); // if
        d.extend_from_slice(&7u32.to_ne_bytes()); // cookie lo
        d.extend_from_slice(&1u32.to_ne_bytes()); // cookie hi
        d.extend_from_slice(&[0u8; 12]); // expires, rqueue, wqueue
        d.extend_from_slice(&1000u32.to_ne_bytes());
        d.extend_from_slice(&4242u32.to_ne_bytes());
        d.extend_from_slice(&[0u8; 8]); // an attribute the parser skips
        d
    }

    fn v4(a: [u8; 4]) -> [u8; 16] {
        let mut o = [0u8; 16];
        o[..4].copy_from_slice(&a);
        o
    }

    #[test]
    fn request_layout() {
        let r = dump_request(9, AF_INET6, IPPROTO_TCP, 1 << TCP_LISTEN);
        assert_eq!(r.len(), 72);
        assert_eq!(ne_u32(&r, 0), Some(72));
        assert_eq!(ne_u16(&r, 4), Some(SOCK_DIAG_BY_FAMILY));
        assert_eq!(ne_u16(&r, 6), Some(NLM_F_REQUEST | NLM_F_DUMP));
        assert_eq!(ne_u32(&r, 8), Some(9));
        assert_eq!(&r[16..18], &[AF_INET6, IPPROTO_TCP]);
        assert_eq!(ne_u32(&r, 20), Some(1 << TCP_LISTEN));
    }

    #[test]
    fn dump_parsing() {
        let mut b = msg(
            5,
            SOCK_DIAG_BY_FAMILY,
            &diag(
                AF_INET,
                TCP_ESTABLISHED,
                (v4([172, 17, 0, 2]), 40000),
                (v4([169, 254, 169, 254]), 80),
            ),
        );
        // another request's answer, a v6 socket, then the end
        b.extend(msg(
            4,
            SOCK_DIAG_BY_FAMILY,
            &diag(AF_INET, 1, (v4([1; 4]), 1), (v4([2; 4]), 2)),
        ));
        let mut mapped = [0u8; 16];
        mapped[10] = 0xff;
        mapped[11] = 0xff;
        mapped[12..].copy_from_slice(&[127, 0, 0, 1]);
        b.extend(msg(
            5,
            SOCK_DIAG_BY_FAMILY,
            &diag(AF_INET6, TCP_LISTEN, (mapped, 8080), ([0; 16], 0)),
        ));
        let mut out = Vec::new();
        assert_eq!(parse_dump(&b, 5, Proto::Tcp, &mut out), DumpPart::More);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].local, ("172.17.0.2".parse().unwrap(), 40000));
        assert_eq!(out[0].remote, ("169.254.169.254".parse().unwrap(), 80));
        assert_eq!(out[0].cookie, 7 | (1 << 32));
        assert_eq!((out[0].uid, out[0].inode), (1000, 4242));
        assert_eq!(out[1].local, ("127.0.0.1".parse().unwrap(), 8080));
        assert_eq!(out[1].remote.0, "::".parse::<IpAddr>().unwrap());
        assert_eq!(
            parse_dump(&msg(5, NLMSG_DONE, &[0; 4]), 5, Proto::Tcp, &mut out),
            DumpPart::Done
        );
        let err = msg(5, NLMSG_ERROR, &(-2i32).to_ne_bytes());
        assert_eq!(
            parse_dump(&err, 5, Proto::Tcp, &mut out),
            DumpPart::Error(-2)
        );
        // truncated and junk buffers end quietly
        for cut in 0..b.len() {
            let mut o = Vec::new();
            let _ = parse_dump(&b[..cut], 5, Proto::Tcp, &mut o);
            assert!(o.len() <= 2);
        }
        assert_eq!(
            parse_dump(&[0xff; 40], 5, Proto::Tcp, &mut out),
            DumpPart::More
        );
    }

    #[test]
    fn meanings() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let sock = |proto, state, local: (&str, u16), remote: (&str, u16)| DiagSocket {
            proto,
            state,
            local: (ip(local.0), local.1),
            remote: (ip(remote.0), remote.1),
            cookie: 1,
            uid: 0,
            inode: 1,
        };
        let listeners: HashSet<(IpAddr, u16)> = [(ip("0.0.0.0"), 80), (ip("127.0.0.1"), 5432)]
            .into_iter()
            .collect();
        let m = |s: &DiagSocket| meaning(s, &listeners);
        assert_eq!(
            m(&sock(
                Proto::Tcp,
                TCP_ESTABLISHED,
                ("10.0.0.2", 80),
                ("10.0.0.9", 51000)
            )),
            Some(Meaning::Accept)
        );
        assert_eq!(
            m(&sock(
                Proto::Tcp,
                TCP_ESTABLISHED,
                ("127.0.0.1", 5432),
                ("127.0.0.1", 40000)
            )),
            Some(Meaning::Accept)
        );
        assert_eq!(
            m(&sock(
                Proto::Tcp,
                2,
                ("10.0.0.2", 41000),
                ("169.254.169.254", 80)
            )),
            Some(Meaning::Connect)
        );
        assert_eq!(
            m(&sock(
                Proto::Tcp,
                TCP_TIME_WAIT,
                ("10.0.0.2", 41001),
                ("1.2.3.4", 4444)
            )),
            Some(Meaning::Connect)
        );
        assert_eq!(
            m(&sock(
                Proto::Tcp,
                TCP_LISTEN,
                ("0.0.0.0", 8080),
                ("0.0.0.0", 0)
            )),
            Some(Meaning::Bind)
        );
        assert_eq!(
            m(&sock(
                Proto::Udp,
                TCP_ESTABLISHED,
                ("10.0.0.2", 39000),
                ("10.0.0.1", 53)
            )),
            Some(Meaning::Connect)
        );
        assert_eq!(
            m(&sock(
                Proto::Udp,
                TCP_CLOSE,
                ("0.0.0.0", 5353),
                ("0.0.0.0", 0)
            )),
            Some(Meaning::Bind)
        );
        assert_eq!(
            m(&sock(Proto::Udp, TCP_CLOSE, ("0.0.0.0", 0), ("0.0.0.0", 0))),
            None
        );
        // created, or bound before listen or connect: nothing yet
        assert_eq!(
            m(&sock(
                Proto::Tcp,
                TCP_CLOSE,
                ("0.0.0.0", 8081),
                ("0.0.0.0", 0)
            )),
            None
        );
        let bound = sock(Proto::Udp, TCP_CLOSE, ("0.0.0.0", 5353), ("0.0.0.0", 0));
        let connected = sock(
            Proto::Udp,
            TCP_ESTABLISHED,
            ("10.0.0.2", 5353),
            ("10.0.0.1", 53),
        );
        assert_ne!(phase(&bound), phase(&connected));
        assert_eq!(
            phase(&sock(Proto::Tcp, TCP_CLOSE, ("0.0.0.0", 0), ("0.0.0.0", 0))),
            None
        );
    }
}
