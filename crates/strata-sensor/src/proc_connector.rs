//! The netlink process connector: the kernel's fork, exec, uid/gid change, ptrace and exit
//! notifications, for machines where the eBPF probe cannot load. It sees process life
//! cycles only (no file or network syscalls); every other fact is read from `/proc`.
//! Notifications are turned into the probe's [`RawEvent`]s, so the rest of the sensor is
//! the same for both sources.

// The netlink socket needs a handful of libc calls; each unsafe block is one call on
// memory this module owns.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use strata_ebpf::{Args, ExecSyscall, Kind, RawEvent};

use crate::procfs::{ProcFs, parse_cmdline};
use crate::wire::{ne_u16, ne_u32, now_ns};

const NETLINK_CONNECTOR: libc::c_int = 11;
const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
const PROC_CN_MCAST_LISTEN: u32 = 1;
const NLMSG_HDR: usize = 16;
const CN_MSG_HDR: usize = 20;
const NLMSG_DONE: u16 = 3;
const NLMSG_ERROR: u16 = 2;

const PROC_EVENT_FORK: u32 = 0x1;
const PROC_EVENT_EXEC: u32 = 0x2;
const PROC_EVENT_UID: u32 = 0x4;
const PROC_EVENT_GID: u32 = 0x40;
const PROC_EVENT_PTRACE: u32 = 0x100;
const PROC_EVENT_EXIT: u32 = 0x8000_0000;

/// A subscription to the process connector.
pub struct ProcConnector {
    fd: OwnedFd,
    procfs: ProcFs,
    buf: Vec<u8>,
    /// Times the kernel reported lost notifications (the socket buffer overflowed).
    pub overruns: u64,
}

/// One notification, as the kernel sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notification {
    /// A new task.
    Fork {
        /// Parent thread-group id.
        parent_tgid: u32,
        /// Child thread id.
        child_pid: u32,
        /// Child thread-group id.
        child_tgid: u32,
    },
    /// A successful exec.
    Exec {
        /// Thread-group id.
        tgid: u32,
    },
    /// Real and effective uid (or gid) changed.
    Ids {
        /// Thread id.
        pid: u32,
        /// Thread-group id.
        tgid: u32,
        /// New real id.
        real: u32,
        /// New effective id.
        effective: u32,
        /// Whether these are group ids.
        group: bool,
    },
    /// A tracer attached (`tracer_tgid` != 0) or detached.
    Ptrace {
        /// The traced process.
        tgid: u32,
        /// The tracer.
        tracer_tgid: u32,
    },
    /// A task exited.
    Exit {
        /// Thread id.
        pid: u32,
        /// Thread-group id.
        tgid: u32,
        /// The wait status.
        code: u32,
    },
}

/// Parses one datagram: any number of netlink messages, each a connector message with one
/// `proc_event`. Unknown or short parts are skipped; nothing here can panic.
pub fn parse_datagram(b: &[u8]) -> Vec<Notification> {
    let mut out = Vec::new();
    let mut off = 0usize;
    while off + NLMSG_HDR <= b.len() {
        let Some(len) = ne_u32(b, off).map(|l| l as usize) else {
            break;
        };
        if len < NLMSG_HDR || off + len > b.len() {
            break;
        }
        let ty = ne_u16(b, off + 4).unwrap_or(0);
        let msg = &b[off..off + len];
        off += (len + 3) & !3;
        if ty == NLMSG_ERROR || len < NLMSG_HDR + CN_MSG_HDR {
            continue;
        }
        let cn = &msg[NLMSG_HDR..];
        if ne_u32(cn, 0) != Some(CN_IDX_PROC) || ne_u32(cn, 4) != Some(CN_VAL_PROC) {
            continue;
        }
        let ev = &cn[CN_MSG_HDR..];
        let (Some(what), Some(data)) = (ne_u32(ev, 0), ev.get(16..)) else {
            continue;
        };
        let u = |i: usize| ne_u32(data, i * 4);
        let n = match what {
            PROC_EVENT_FORK => (|| {
                Some(Notification::Fork {
                    parent_tgid: u(1)?,
                    child_pid: u(2)?,
                    child_tgid: u(3)?,
                })
            })(),
            PROC_EVENT_EXEC => u(1).map(|tgid| Notification::Exec { tgid }),
            PROC_EVENT_UID | PROC_EVENT_GID => (|| {
                Some(Notification::Ids {
                    pid: u(0)?,
                    tgid: u(1)?,
                    real: u(2)?,
                    effective: u(3)?,
                    group: what == PROC_EVENT_GID,
                })
            })(),
            PROC_EVENT_PTRACE => (|| {
                Some(Notification::Ptrace {
                    tgid: u(1)?,
                    tracer_tgid: u(3)?,
                })
            })(),
            PROC_EVENT_EXIT => (|| {
                Some(Notification::Exit {
                    pid: u(0)?,
                    tgid: u(1)?,
                    code: u(2)?,
                })
            })(),
            _ => None,
        };
        out.extend(n);
    }
    out
}

impl ProcConnector {
    /// Subscribes (needs root: CAP_NET_ADMIN).
    pub fn open(procfs: ProcFs) -> io::Result<ProcConnector> {
        // SAFETY: plain socket(2) call; the result is checked before use.
        let raw = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                NETLINK_CONNECTOR,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a descriptor we just opened and own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: zeroed sockaddr_nl is a valid value; the fields set below are plain ints.
        let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        addr.nl_pid = 0;
        addr.nl_groups = CN_IDX_PROC;
        // SAFETY: `addr` lives for the call and its size is passed.
        let rc = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                std::ptr::from_ref(&addr).cast::<libc::sockaddr>(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut msg = Vec::with_capacity(NLMSG_HDR + CN_MSG_HDR + 4);
        let total = (NLMSG_HDR + CN_MSG_HDR + 4) as u32;
        msg.extend_from_slice(&total.to_ne_bytes());
        msg.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
        msg.extend_from_slice(&0u16.to_ne_bytes()); // flags
        msg.extend_from_slice(&0u32.to_ne_bytes()); // seq
        msg.extend_from_slice(&std::process::id().to_ne_bytes());
        msg.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
        msg.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
        msg.extend_from_slice(&0u32.to_ne_bytes()); // seq
        msg.extend_from_slice(&0u32.to_ne_bytes()); // ack
        msg.extend_from_slice(&4u16.to_ne_bytes()); // len
        msg.extend_from_slice(&0u16.to_ne_bytes()); // flags
        msg.extend_from_slice(&PROC_CN_MCAST_LISTEN.to_ne_bytes());
        // SAFETY: `msg` is a live buffer of the length passed.
        let sent = unsafe { libc::send(fd.as_raw_fd(), msg.as_ptr().cast(), msg.len(), 0) };
        if sent < 0 {
            return Err(io::Error::last_os_error());
        }
        // A larger receive buffer absorbs bursts (fork bombs, builds).
        let size: libc::c_int = 8 << 20;
        // SAFETY: `size` lives for the call and its size is passed.
        unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUFFORCE,
                std::ptr::from_ref(&size).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
        Ok(ProcConnector {
            fd,
            procfs,
            buf: vec![0u8; 64 * 1024],
            overruns: 0,
        })
    }

    /// The descriptor to poll.
    pub fn raw_fd(&self) -> i32 {
        self.fd.as_raw_fd()
    }

    /// Waits at most `timeout` for notifications and hands each as a [`RawEvent`] to `f`.
    pub fn poll(&mut self, timeout: Duration, f: &mut dyn FnMut(RawEvent)) -> io::Result<usize> {
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: one pollfd that lives for the call.
        let ready = unsafe { libc::poll(&mut pfd, 1, ms) };
        if ready <= 0 {
            return Ok(0);
        }
        let mut delivered = 0;
        loop {
            // SAFETY: `buf` is a live buffer of the length passed.
            let n = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    self.buf.as_mut_ptr().cast(),
                    self.buf.len(),
                    libc::MSG_DONTWAIT,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(libc::EAGAIN) => return Ok(delivered),
                    Some(libc::ENOBUFS) => {
                        self.overruns += 1;
                        continue;
                    }
                    Some(libc::EINTR) => continue,
                    _ => return Err(e),
                }
            }
            let len = usize::try_from(n).unwrap_or(0);
            let notes = parse_datagram(self.buf.get(..len).unwrap_or_default());
            for note in notes {
                if let Some(raw) = self.to_raw(note) {
                    delivered += 1;
                    f(raw);
                }
            }
        }
    }

    fn raw(&self, kind: Kind, pid: u32, args: Args) -> RawEvent {
        let comm = self.procfs.comm(pid);
        RawEvent {
            ts_ns: now_ns(),
            kind,
            pid,
            tid: pid,
            ppid: 0,
            uid: 0,
            gid: 0,
            cgroup_id: 0,
            mntns: self.procfs.mntns(pid).unwrap_or(0),
            comm,
            ret: 0,
            args,
        }
    }

    /// The notification as the probe would have reported it (exec reads its file name and
    /// arguments from `/proc`).
    fn to_raw(&self, note: Notification) -> Option<RawEvent> {
        Some(match note {
            Notification::Fork {
                parent_tgid,
                child_pid,
                child_tgid,
            } => {
                // A new thread is not a new process.
                if child_pid != child_tgid {
                    return None;
                }
                let mut r = self.raw(
                    Kind::Fork,
                    parent_tgid,
                    Args::Fork {
                        child_pid: child_tgid,
                        parent_pid: parent_tgid,
                    },
                );
                r.comm.clear();
                r
            }
            Notification::Exec { tgid } => {
                let argv = self
                    .procfs
                    .read(tgid, "cmdline")
                    .map(|b| parse_cmdline(&b))
                    .unwrap_or_default();
                let exe = self.procfs.link(tgid, "exe").unwrap_or_default();
                let stat = self.procfs.stat(tgid);
                let status = self.procfs.status(tgid);
                let mut r = self.raw(
                    Kind::Exec,
                    tgid,
                    Args::Exec {
                        syscall: ExecSyscall::Unknown,
                        dirfd: -100,
                        flags: 0,
                        filename: argv.first().cloned().unwrap_or_else(|| exe.clone()),
                        exe_path: exe,
                        argv,
                        argv_truncated: false,
                        old_pid: tgid,
                    },
                );
                r.ppid = stat.map_or(0, |s| s.ppid);
                if let Some(st) = status {
                    r.uid = st.ruid;
                    r.gid = st.egid;
                }
                r
            }
            Notification::Ids {
                pid,
                tgid,
                real,
                effective,
                group,
            } => {
                if pid != tgid {
                    return None;
                }
                let kind = if group {
                    Kind::Setresgid
                } else {
                    Kind::Setresuid
                };
                self.raw(
                    kind,
                    tgid,
                    Args::SetIds {
                        real: Some(real),
                        effective: Some(effective),
                        saved: None,
                    },
                )
            }
            Notification::Ptrace { tgid, tracer_tgid } => {
                if tracer_tgid == 0 {
                    return None;
                }
                self.raw(
                    Kind::Ptrace,
                    tracer_tgid,
                    Args::Ptrace {
                        request: 16,
                        pid: i32::try_from(tgid).unwrap_or(-1),
                        addr: 0,
                        data: 0,
                    },
                )
            }
            Notification::Exit { pid, tgid, code } => {
                if pid != tgid {
                    return None;
                }
                let status = code as i32;
                self.raw(
                    Kind::Exit,
                    tgid,
                    Args::Exit {
                        status,
                        code: (status >> 8) & 0xff,
                        signal: status & 0x7f,
                        core_dumped: status & 0x80 != 0,
                    },
                )
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(what: u32, data: &[u32]) -> Vec<u8> {
        let mut ev = Vec::new();
        ev.extend_from_slice(&what.to_ne_bytes());
        ev.extend_from_slice(&0u32.to_ne_bytes());
        ev.extend_from_slice(&0u64.to_ne_bytes());
        for d in data {
            ev.extend_from_slice(&d.to_ne_bytes());
        }
        let mut cn = Vec::new();
        cn.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
        cn.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
        cn.extend_from_slice(&[0u8; 8]);
        cn.extend_from_slice(&(ev.len() as u16).to_ne_bytes());
        cn.extend_from_slice(&0u16.to_ne_bytes());
        cn.extend_from_slice(&ev);
        let mut out = Vec::new();
        out.extend_from_slice(&((NLMSG_HDR + cn.len()) as u32).to_ne_bytes());
        out.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
        out.extend_from_slice(&[0u8; 10]);
        out.extend_from_slice(&cn);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out
    }

    #[test]
    fn datagrams() {
        let mut d = msg(PROC_EVENT_FORK, &[10, 10, 11, 11]);
        d.extend(msg(PROC_EVENT_EXEC, &[11, 11]));
        d.extend(msg(PROC_EVENT_UID, &[11, 11, 1000, 0]));
        d.extend(msg(PROC_EVENT_PTRACE, &[12, 12, 11, 11]));
        d.extend(msg(PROC_EVENT_EXIT, &[11, 11, 256, 17, 10, 10]));
        d.extend(msg(0x200, &[1, 1]));
        let n = parse_datagram(&d);
        assert_eq!(
            n,
            [
                Notification::Fork {
                    parent_tgid: 10,
                    child_pid: 11,
                    child_tgid: 11
                },
                Notification::Exec { tgid: 11 },
                Notification::Ids {
                    pid: 11,
                    tgid: 11,
                    real: 1000,
                    effective: 0,
                    group: false
                },
                Notification::Ptrace {
                    tgid: 12,
                    tracer_tgid: 11
                },
                Notification::Exit {
                    pid: 11,
                    tgid: 11,
                    code: 256
                },
            ]
        );
    }

    #[test]
    fn junk_never_panics() {
        let good = msg(PROC_EVENT_EXEC, &[1, 1]);
        for cut in 0..good.len() {
            let _ = parse_datagram(&good[..cut]);
        }
        let mut bad = good.clone();
        bad[0] = 0xff;
        assert!(parse_datagram(&bad).is_empty());
        let mut rng = strata_testkit::rng::XorShift(7);
        for _ in 0..2000 {
            let v = rng.bytes(64);
            let _ = parse_datagram(&v);
        }
    }
}
