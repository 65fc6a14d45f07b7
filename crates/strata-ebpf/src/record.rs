//! The records that `bpf/probe.bpf.c` writes to the ring buffer, and their decoder.
//!
//! Layout (native endian), which must stay in step with the C side:
//!
//! | offset | field |
//! | --- | --- |
//! | 0 | `u64` kernel time (`bpf_ktime_get_boot_ns`) |
//! | 8 | `u64` cgroup v2 id |
//! | 16 | `i64` return value |
//! | 24 | `u32` tgid, tid, ppid, uid, gid |
//! | 44 | `u16` kind, `u8` blob count, `u8` version ([`RECORD_VERSION`]) |
//! | 48 | `comm`, 16 bytes, NUL padded |
//! | 64 | `u32` mount namespace inode, `u32` reserved |
//! | 72 | six `u64`: the raw syscall arguments, or per-kind values |
//! | 120 | blobs: each a `u16` length and that many bytes |
//!
//! [`decode`] treats the bytes as untrusted: every length is checked, nothing panics and
//! nothing allocates more than a small multiple of the input length.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use thiserror::Error;

/// The version byte of the record layout this decoder reads.
pub const RECORD_VERSION: u8 = 2;
/// Length of the common header.
pub const HEADER_LEN: usize = 72;
/// Length of the header plus the six argument slots.
pub const FIXED_LEN: usize = HEADER_LEN + 6 * 8;

const AF_UNIX: u16 = 1;
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// What a record reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// A successful execve/execveat (from `sched_process_exec`).
    Exec,
    /// An execve/execveat that returned an error.
    ExecFailed,
    /// A new task (process or thread) from `sched_process_fork`.
    Fork,
    /// The exit of a thread-group leader.
    Exit,
    Openat,
    Openat2,
    Connect,
    Accept,
    Accept4,
    Bind,
    Setuid,
    Setgid,
    Setreuid,
    Setregid,
    Setresuid,
    Setresgid,
    Capset,
    Unshare,
    Setns,
    Mount,
    Ptrace,
    InitModule,
    FinitModule,
    MemfdCreate,
    Bpf,
    Dup2,
    Dup3,
    Symlinkat,
    Linkat,
    Unlinkat,
    Renameat2,
    Fchmodat,
    Fchmodat2,
    Mkdirat,
    Chmod,
    Fchmod,
    /// The pre-`*at` calls musl (Alpine) makes on x86_64.
    Open,
    Creat,
    Unlink,
    Rename,
    Mkdir,
    Symlink,
    Link,
    Dup,
    /// A packet (`AF_PACKET`) or raw (`SOCK_RAW`) socket; other sockets are not recorded.
    Socket,
}

/// `(wire id, kind, Falco event type)`; ids 16 and 17 (execve, execveat) are used only
/// inside the probe.
const KINDS: &[(u16, Kind, &str)] = &[
    (1, Kind::Exec, "execve"),
    (2, Kind::ExecFailed, "execve"),
    (3, Kind::Fork, "clone"),
    (4, Kind::Exit, "procexit"),
    (10, Kind::Openat, "openat"),
    (11, Kind::Openat2, "openat2"),
    (12, Kind::Connect, "connect"),
    (13, Kind::Accept, "accept"),
    (14, Kind::Accept4, "accept4"),
    (15, Kind::Bind, "bind"),
    (18, Kind::Setuid, "setuid"),
    (19, Kind::Setgid, "setgid"),
    (20, Kind::Setreuid, "setreuid"),
    (21, Kind::Setregid, "setregid"),
    (22, Kind::Setresuid, "setresuid"),
    (23, Kind::Setresgid, "setresgid"),
    (24, Kind::Capset, "capset"),
    (25, Kind::Unshare, "unshare"),
    (26, Kind::Setns, "setns"),
    (27, Kind::Mount, "mount"),
    (28, Kind::Ptrace, "ptrace"),
    (29, Kind::InitModule, "init_module"),
    (30, Kind::FinitModule, "finit_module"),
    (31, Kind::MemfdCreate, "memfd_create"),
    (32, Kind::Bpf, "bpf"),
    (33, Kind::Dup2, "dup2"),
    (34, Kind::Dup3, "dup3"),
    (35, Kind::Symlinkat, "symlinkat"),
    (36, Kind::Linkat, "linkat"),
    (37, Kind::Unlinkat, "unlinkat"),
    (38, Kind::Renameat2, "renameat2"),
    (39, Kind::Fchmodat, "fchmodat"),
    (40, Kind::Mkdirat, "mkdirat"),
    (41, Kind::Chmod, "chmod"),
    (42, Kind::Fchmod, "fchmod"),
    (43, Kind::Fchmodat2, "fchmodat"),
    (44, Kind::Open, "open"),
    (45, Kind::Creat, "creat"),
    (46, Kind::Unlink, "unlink"),
    (47, Kind::Rename, "rename"),
    (48, Kind::Mkdir, "mkdir"),
    (49, Kind::Symlink, "symlink"),
    (50, Kind::Link, "link"),
    (51, Kind::Dup, "dup"),
    (52, Kind::Socket, "socket"),
];

impl Kind {
    /// Every kind, in wire-id order.
    pub fn all() -> impl Iterator<Item = Kind> {
        KINDS.iter().map(|&(_, k, _)| k)
    }

    /// The kind with this wire id.
    pub fn from_id(id: u16) -> Option<Kind> {
        KINDS.iter().find(|&&(i, _, _)| i == id).map(|&(_, k, _)| k)
    }

    /// The wire id of this kind (the `enum kind` value in `probe.bpf.c`).
    pub fn id(self) -> u16 {
        KINDS
            .iter()
            .find(|&&(_, k, _)| k == self)
            .map_or(0, |&(i, _, _)| i)
    }

    /// The Falco event type (`evt.type`): `execve`, `openat`, `connect`, `setuid`,
    /// `procexit`, `clone` for [`Kind::Fork`], ...
    pub fn syscall_name(self) -> &'static str {
        KINDS
            .iter()
            .find(|&&(_, k, _)| k == self)
            .map_or("unknown", |&(_, _, n)| n)
    }
}

/// A socket address as passed to connect/bind or returned by accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SockAddr {
    /// `AF_*` address family.
    pub family: u16,
    /// The IP address for `AF_INET` / `AF_INET6`.
    pub ip: Option<IpAddr>,
    /// The port (host order) for `AF_INET` / `AF_INET6`, else 0.
    pub port: u16,
    /// The path for `AF_UNIX`; abstract names start with `@`.
    pub unix_path: Option<String>,
}

impl SockAddr {
    /// Parses a raw `struct sockaddr`; `None` when it is too short to hold a family.
    pub fn parse(b: &[u8]) -> Option<SockAddr> {
        let family = u16::from_ne_bytes([*b.first()?, *b.get(1)?]);
        let mut sa = SockAddr {
            family,
            ip: None,
            port: 0,
            unix_path: None,
        };
        match family {
            AF_INET => {
                if let (Some(p), Some(a)) = (b.get(2..4), b.get(4..8)) {
                    sa.port = u16::from_be_bytes([p[0], p[1]]);
                    sa.ip = Some(IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3])));
                }
            }
            AF_INET6 => {
                if let (Some(p), Some(a)) = (b.get(2..4), b.get(8..24)) {
                    sa.port = u16::from_be_bytes([p[0], p[1]]);
                    let mut octets = [0u8; 16];
                    octets.copy_from_slice(a);
                    sa.ip = Some(IpAddr::V6(Ipv6Addr::from(octets)));
                }
            }
            AF_UNIX => {
                let path = b.get(2..).unwrap_or_default();
                sa.unix_path = Some(match path.split_first() {
                    // abstract socket: the name is every byte after the leading NUL
                    Some((0, rest)) if !rest.is_empty() => {
                        format!("@{}", String::from_utf8_lossy(trim_nuls(rest)))
                    }
                    _ => lossy_cstr(path),
                });
            }
            _ => {}
        }
        Some(sa)
    }
}

/// Whether an exec record came from `execve` or `execveat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecSyscall {
    Execve,
    Execveat,
    /// The exec began before the probe was loaded: only the kernel's file name is known.
    Unknown,
}

/// Per-kind arguments. File descriptors and directory fds are `i32` (`AT_FDCWD` is
/// -100); flags and modes are the raw values.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Args {
    /// [`Kind::Exec`] and [`Kind::ExecFailed`].
    Exec {
        syscall: ExecSyscall,
        dirfd: i32,
        flags: u64,
        /// The file name as passed to the syscall.
        filename: String,
        /// The kernel's name of the executed file (`bprm->filename`); empty on failure.
        exe_path: String,
        argv: Vec<String>,
        /// More arguments than were captured (20 arguments or 1024 bytes at most).
        argv_truncated: bool,
        /// The tid that called exec (differs from `tid` when a non-leader thread execs).
        old_pid: u32,
    },
    Fork {
        /// The new task's id (a thread id when the fork created a thread).
        child_pid: u32,
        parent_pid: u32,
    },
    Exit {
        /// The raw wait status (`exit_code` of the task).
        status: i32,
        /// `(status >> 8) & 0xff`.
        code: i32,
        /// The terminating signal, 0 for a normal exit.
        signal: i32,
        core_dumped: bool,
    },
    /// openat, openat2 (`resolve` only for openat2).
    Open {
        dirfd: i32,
        path: String,
        flags: u64,
        mode: u64,
        resolve: u64,
    },
    /// connect, bind (the address passed in), accept, accept4 (the peer returned).
    Socket {
        fd: i32,
        addr: Option<SockAddr>,
        /// accept4 flags.
        flags: u64,
    },
    /// The set*id family; `None` for -1 (unchanged). setuid/setgid set `effective`
    /// only here (the kernel may also set real and saved when privileged).
    SetIds {
        real: Option<u32>,
        effective: Option<u32>,
        saved: Option<u32>,
    },
    Capset {
        version: u32,
        pid: i32,
        effective: u64,
        permitted: u64,
        inheritable: u64,
    },
    Unshare {
        flags: u64,
    },
    Setns {
        fd: i32,
        nstype: u64,
    },
    Mount {
        source: String,
        target: String,
        fstype: String,
        flags: u64,
    },
    Ptrace {
        request: i64,
        pid: i32,
        addr: u64,
        data: u64,
    },
    /// init_module (`fd` is `None`, `len` the image size) and finit_module.
    Module {
        fd: Option<i32>,
        len: u64,
        params: String,
        flags: u64,
    },
    MemfdCreate {
        name: String,
        flags: u64,
    },
    /// socket(2): the new descriptor is the return value.
    NewSocket {
        domain: u64,
        ty: u64,
        protocol: u64,
    },
    Bpf {
        cmd: u64,
        size: u64,
    },
    /// dup2, dup3.
    Dup {
        oldfd: i32,
        newfd: i32,
        flags: u64,
    },
    /// symlinkat (`olddirfd` is `None`: the target is stored, not resolved), linkat,
    /// renameat2.
    Link {
        olddirfd: Option<i32>,
        oldpath: String,
        newdirfd: i32,
        newpath: String,
        flags: u64,
    },
    /// unlinkat, mkdirat, fchmodat, fchmodat2, chmod (`dirfd` is `AT_FDCWD`).
    Path {
        dirfd: i32,
        path: String,
        flags: u64,
        mode: u64,
    },
    Fchmod {
        fd: i32,
        mode: u64,
    },
}

/// One decoded record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    /// Nanoseconds since the Unix epoch once converted by [`crate::Probe::poll`]; as
    /// returned by [`decode`], the kernel's boot-time clock.
    pub ts_ns: u64,
    pub kind: Kind,
    /// Thread-group id (the process id).
    pub pid: u32,
    pub tid: u32,
    pub ppid: u32,
    pub uid: u32,
    pub gid: u32,
    pub cgroup_id: u64,
    /// Inode of the task's mount namespace (0 when unknown).
    pub mntns: u32,
    pub comm: String,
    pub ret: i64,
    pub args: Args,
}

impl RawEvent {
    /// The Falco event type, telling `execveat` from `execve`.
    pub fn syscall_name(&self) -> &'static str {
        match &self.args {
            Args::Exec {
                syscall: ExecSyscall::Execveat,
                ..
            } => "execveat",
            _ => self.kind.syscall_name(),
        }
    }
}

/// Why a record could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("record truncated: {len} bytes, need at least {need}")]
    Truncated { len: usize, need: usize },
    #[error("record version {0}, this decoder reads version {RECORD_VERSION}")]
    Version(u8),
    #[error("unknown record kind {0}")]
    UnknownKind(u16),
    #[error("blob {index} of {count} runs past the end of the record")]
    BlobOverrun { index: usize, count: usize },
    #[error("{kind:?} record has {found} blobs, expected {expected}")]
    BlobCount {
        kind: Kind,
        expected: usize,
        found: usize,
    },
    #[error("{0} bytes after the last blob")]
    TrailingBytes(usize),
}

fn u16_at(b: &[u8], off: usize) -> u16 {
    let mut a = [0u8; 2];
    if let Some(s) = b.get(off..off + 2) {
        a.copy_from_slice(s);
    }
    u16::from_ne_bytes(a)
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    let mut a = [0u8; 4];
    if let Some(s) = b.get(off..off + 4) {
        a.copy_from_slice(s);
    }
    u32::from_ne_bytes(a)
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    if let Some(s) = b.get(off..off + 8) {
        a.copy_from_slice(s);
    }
    u64::from_ne_bytes(a)
}

fn trim_nuls(b: &[u8]) -> &[u8] {
    let end = b.iter().rposition(|&c| c != 0).map_or(0, |i| i + 1);
    &b[..end]
}

/// The bytes up to the first NUL, as lossy UTF-8.
fn lossy_cstr(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

fn fd(v: u64) -> i32 {
    v as u32 as i32
}

fn id(v: u64) -> Option<u32> {
    let v = v as u32;
    (v != u32::MAX).then_some(v)
}

/// Decodes one ring-buffer record. Pure, bounded and panic-free on any input.
pub fn decode(b: &[u8]) -> Result<RawEvent, DecodeError> {
    if b.len() < FIXED_LEN {
        return Err(DecodeError::Truncated {
            len: b.len(),
            need: FIXED_LEN,
        });
    }
    let version = b[47];
    if version != RECORD_VERSION {
        return Err(DecodeError::Version(version));
    }
    let kind_id = u16_at(b, 44);
    let kind = Kind::from_id(kind_id).ok_or(DecodeError::UnknownKind(kind_id))?;
    let count = usize::from(b[46]);
    let mut blobs: Vec<&[u8]> = Vec::with_capacity(count);
    let mut off = FIXED_LEN;
    for index in 0..count {
        let len = usize::from(u16_at(b, off));
        let blob = b
            .get(off + 2..off + 2 + len)
            .ok_or(DecodeError::BlobOverrun { index, count })?;
        blobs.push(blob);
        off += 2 + len;
    }
    if off != b.len() {
        return Err(DecodeError::TrailingBytes(b.len() - off));
    }
    let a: [u64; 6] = std::array::from_fn(|i| u64_at(b, HEADER_LEN + 8 * i));
    let args = decode_args(kind, &a, &blobs)?;
    Ok(RawEvent {
        ts_ns: u64_at(b, 0),
        cgroup_id: u64_at(b, 8),
        ret: u64_at(b, 16) as i64,
        pid: u32_at(b, 24),
        tid: u32_at(b, 28),
        ppid: u32_at(b, 32),
        uid: u32_at(b, 36),
        gid: u32_at(b, 40),
        kind,
        comm: lossy_cstr(&b[48..64]),
        mntns: u32_at(b, 64),
        args,
    })
}

fn want(kind: Kind, blobs: &[&[u8]], expected: usize) -> Result<(), DecodeError> {
    if blobs.len() == expected {
        Ok(())
    } else {
        Err(DecodeError::BlobCount {
            kind,
            expected,
            found: blobs.len(),
        })
    }
}

fn s(blobs: &[&[u8]], i: usize) -> String {
    blobs.get(i).map(|b| lossy_cstr(b)).unwrap_or_default()
}

fn decode_args(kind: Kind, a: &[u64; 6], blobs: &[&[u8]]) -> Result<Args, DecodeError> {
    let nblobs = match kind {
        Kind::Exec | Kind::ExecFailed => return decode_exec(kind, a, blobs),
        Kind::Openat2
        | Kind::Capset
        | Kind::Symlinkat
        | Kind::Linkat
        | Kind::Renameat2
        | Kind::Rename
        | Kind::Symlink
        | Kind::Link => 2,
        Kind::Mount => 3,
        Kind::Fork
        | Kind::Exit
        | Kind::Setuid
        | Kind::Setgid
        | Kind::Setreuid
        | Kind::Setregid
        | Kind::Setresuid
        | Kind::Setresgid
        | Kind::Unshare
        | Kind::Setns
        | Kind::Ptrace
        | Kind::Bpf
        | Kind::Dup2
        | Kind::Dup3
        | Kind::Dup
        | Kind::Socket
        | Kind::Fchmod => 0,
        _ => 1,
    };
    want(kind, blobs, nblobs)?;
    Ok(match kind {
        Kind::Fork => Args::Fork {
            child_pid: a[0] as u32,
            parent_pid: a[1] as u32,
        },
        Kind::Exit => {
            let status = a[0] as u32 as i32;
            Args::Exit {
                status,
                code: (status >> 8) & 0xff,
                signal: status & 0x7f,
                core_dumped: status & 0x80 != 0,
            }
        }
        Kind::Openat => Args::Open {
            dirfd: fd(a[0]),
            path: s(blobs, 0),
            flags: a[2],
            mode: a[3],
            resolve: 0,
        },
        Kind::Openat2 => {
            let how = blobs.get(1).copied().unwrap_or_default();
            Args::Open {
                dirfd: fd(a[0]),
                path: s(blobs, 0),
                flags: u64_at(how, 0),
                mode: u64_at(how, 8),
                resolve: u64_at(how, 16),
            }
        }
        Kind::Connect | Kind::Bind | Kind::Accept | Kind::Accept4 => Args::Socket {
            fd: fd(a[0]),
            addr: blobs.first().and_then(|b| SockAddr::parse(b)),
            flags: if kind == Kind::Accept4 { a[3] } else { 0 },
        },
        Kind::Setuid | Kind::Setgid => Args::SetIds {
            real: None,
            effective: id(a[0]),
            saved: None,
        },
        Kind::Setreuid | Kind::Setregid => Args::SetIds {
            real: id(a[0]),
            effective: id(a[1]),
            saved: None,
        },
        Kind::Setresuid | Kind::Setresgid => Args::SetIds {
            real: id(a[0]),
            effective: id(a[1]),
            saved: id(a[2]),
        },
        Kind::Capset => {
            let head = blobs.first().copied().unwrap_or_default();
            let data = blobs.get(1).copied().unwrap_or_default();
            // struct __user_cap_data_struct { effective, permitted, inheritable } x 2
            let cap = |i: usize| {
                u64::from(u32_at(data, 4 * i)) | (u64::from(u32_at(data, 12 + 4 * i)) << 32)
            };
            Args::Capset {
                version: u32_at(head, 0),
                pid: u32_at(head, 4) as i32,
                effective: cap(0),
                permitted: cap(1),
                inheritable: cap(2),
            }
        }
        Kind::Unshare => Args::Unshare { flags: a[0] },
        Kind::Setns => Args::Setns {
            fd: fd(a[0]),
            nstype: a[1],
        },
        Kind::Mount => Args::Mount {
            source: s(blobs, 0),
            target: s(blobs, 1),
            fstype: s(blobs, 2),
            flags: a[3],
        },
        Kind::Ptrace => Args::Ptrace {
            request: a[0] as i64,
            pid: fd(a[1]),
            addr: a[2],
            data: a[3],
        },
        Kind::InitModule => Args::Module {
            fd: None,
            len: a[1],
            params: s(blobs, 0),
            flags: 0,
        },
        Kind::FinitModule => Args::Module {
            fd: Some(fd(a[0])),
            len: 0,
            params: s(blobs, 0),
            flags: a[2],
        },
        Kind::MemfdCreate => Args::MemfdCreate {
            name: s(blobs, 0),
            flags: a[1],
        },
        Kind::Bpf => Args::Bpf {
            cmd: a[0],
            size: a[2],
        },
        Kind::Socket => Args::NewSocket {
            domain: a[0],
            ty: a[1],
            protocol: a[2],
        },
        Kind::Dup2 | Kind::Dup3 => Args::Dup {
            oldfd: fd(a[0]),
            newfd: fd(a[1]),
            flags: if kind == Kind::Dup3 { a[2] } else { 0 },
        },
        Kind::Symlinkat => Args::Link {
            olddirfd: None,
            oldpath: s(blobs, 0),
            newdirfd: fd(a[1]),
            newpath: s(blobs, 1),
            flags: 0,
        },
        Kind::Linkat | Kind::Renameat2 => Args::Link {
            olddirfd: Some(fd(a[0])),
            oldpath: s(blobs, 0),
            newdirfd: fd(a[2]),
            newpath: s(blobs, 1),
            flags: a[4],
        },
        Kind::Unlinkat => Args::Path {
            dirfd: fd(a[0]),
            path: s(blobs, 0),
            flags: a[2],
            mode: 0,
        },
        Kind::Mkdirat | Kind::Fchmodat => Args::Path {
            dirfd: fd(a[0]),
            path: s(blobs, 0),
            flags: 0,
            mode: a[2],
        },
        Kind::Fchmodat2 => Args::Path {
            dirfd: fd(a[0]),
            path: s(blobs, 0),
            flags: a[3],
            mode: a[2],
        },
        Kind::Chmod => Args::Path {
            dirfd: -100,
            path: s(blobs, 0),
            flags: 0,
            mode: a[1],
        },
        Kind::Fchmod => Args::Fchmod {
            fd: fd(a[0]),
            mode: a[1],
        },
        Kind::Open => Args::Open {
            dirfd: -100,
            path: s(blobs, 0),
            flags: a[1],
            mode: a[2],
            resolve: 0,
        },
        // creat(path, mode) is open(path, O_CREAT|O_WRONLY|O_TRUNC, mode).
        Kind::Creat => Args::Open {
            dirfd: -100,
            path: s(blobs, 0),
            flags: 0o1101,
            mode: a[1],
            resolve: 0,
        },
        Kind::Unlink => Args::Path {
            dirfd: -100,
            path: s(blobs, 0),
            flags: 0,
            mode: 0,
        },
        Kind::Mkdir => Args::Path {
            dirfd: -100,
            path: s(blobs, 0),
            flags: 0,
            mode: a[1],
        },
        Kind::Rename | Kind::Link => Args::Link {
            olddirfd: Some(-100),
            oldpath: s(blobs, 0),
            newdirfd: -100,
            newpath: s(blobs, 1),
            flags: 0,
        },
        Kind::Symlink => Args::Link {
            olddirfd: None,
            oldpath: s(blobs, 0),
            newdirfd: -100,
            newpath: s(blobs, 1),
            flags: 0,
        },
        // The new descriptor is the return value.
        Kind::Dup => Args::Dup {
            oldfd: fd(a[0]),
            newfd: -1,
            flags: 0,
        },
        Kind::Exec | Kind::ExecFailed => return decode_exec(kind, a, blobs),
    })
}

/// Exec blobs: the file name, `a[3]` arguments, the exe path.
fn decode_exec(kind: Kind, a: &[u64; 6], blobs: &[&[u8]]) -> Result<Args, DecodeError> {
    let argc = usize::try_from(a[3]).unwrap_or(usize::MAX).min(256);
    want(kind, blobs, argc + 2)?;
    let syscall = match a[2] {
        16 => ExecSyscall::Execve,
        17 => ExecSyscall::Execveat,
        _ => ExecSyscall::Unknown,
    };
    Ok(Args::Exec {
        syscall,
        dirfd: fd(a[0]),
        flags: a[1],
        filename: s(blobs, 0),
        exe_path: s(blobs, argc + 1),
        argv: blobs[1..=argc].iter().map(|b| lossy_cstr(b)).collect(),
        argv_truncated: a[4] != 0,
        old_pid: a[5] as u32,
    })
}

/// Builds records in the wire format, for the tests.
#[cfg(test)]
pub(crate) mod encode {
    use super::*;

    pub(crate) struct Record {
        pub ts: u64,
        pub cgroup_id: u64,
        pub ret: i64,
        pub ids: [u32; 5],
        pub kind: u16,
        pub comm: &'static str,
        pub a: [u64; 6],
        pub blobs: Vec<Vec<u8>>,
    }

    impl Record {
        pub(crate) fn new(kind: Kind) -> Record {
            Record {
                ts: 1_000_000_007,
                cgroup_id: 4242,
                ret: 0,
                ids: [100, 101, 1, 1000, 1001],
                kind: kind.id(),
                comm: "cat",
                a: [0; 6],
                blobs: Vec::new(),
            }
        }

        pub(crate) fn bytes(&self) -> Vec<u8> {
            let mut b = Vec::new();
            b.extend_from_slice(&self.ts.to_ne_bytes());
            b.extend_from_slice(&self.cgroup_id.to_ne_bytes());
            b.extend_from_slice(&self.ret.to_ne_bytes());
            for id in self.ids {
                b.extend_from_slice(&id.to_ne_bytes());
            }
            b.extend_from_slice(&self.kind.to_ne_bytes());
            b.push(self.blobs.len() as u8);
            b.push(RECORD_VERSION);
            let mut comm = [0u8; 16];
            comm[..self.comm.len()].copy_from_slice(self.comm.as_bytes());
            b.extend_from_slice(&comm);
            b.extend_from_slice(&4_026_531_841u32.to_ne_bytes());
            b.extend_from_slice(&0u32.to_ne_bytes());
            for v in self.a {
                b.extend_from_slice(&v.to_ne_bytes());
            }
            for blob in &self.blobs {
                b.extend_from_slice(&(blob.len() as u16).to_ne_bytes());
                b.extend_from_slice(blob);
            }
            b
        }
    }
}

#[cfg(test)]
mod tests {
    use super::encode::Record;
    use super::*;

    fn rec(kind: Kind, a: [u64; 6], blobs: &[&[u8]]) -> Record {
        let mut r = Record::new(kind);
        r.a = a;
        r.blobs = blobs.iter().map(|b| b.to_vec()).collect();
        r
    }

    fn sockaddr_in(ip: [u8; 4], port: u16) -> Vec<u8> {
        let mut b = AF_INET.to_ne_bytes().to_vec();
        b.extend_from_slice(&port.to_be_bytes());
        b.extend_from_slice(&ip);
        b.extend_from_slice(&[0; 8]);
        b
    }

    fn sockaddr_in6(ip: Ipv6Addr, port: u16) -> Vec<u8> {
        let mut b = AF_INET6.to_ne_bytes().to_vec();
        b.extend_from_slice(&port.to_be_bytes());
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&ip.octets());
        b.extend_from_slice(&[0; 4]);
        b
    }

    fn sockaddr_un(path: &[u8]) -> Vec<u8> {
        let mut b = AF_UNIX.to_ne_bytes().to_vec();
        b.extend_from_slice(path);
        b
    }

    fn caps(eff: u64, perm: u64, inh: u64) -> Vec<u8> {
        let mut b = Vec::new();
        for half in [0, 32] {
            for v in [eff, perm, inh] {
                b.extend_from_slice(&((v >> half) as u32).to_ne_bytes());
            }
        }
        b
    }

    const CWD: u64 = -100i64 as u64;

    /// One hand-built record of every kind, and what it must decode to.
    fn cases() -> Vec<(Record, Args)> {
        let how: Vec<u8> = [0o101u64, 0o644, 8]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let mut cap_head = 0x2008_0522u32.to_ne_bytes().to_vec();
        cap_head.extend_from_slice(&0i32.to_ne_bytes());
        let v6: Ipv6Addr = "::1".parse().unwrap_or(Ipv6Addr::LOCALHOST);
        let mut v = vec![
            (
                rec(
                    Kind::Exec,
                    [CWD, 0, 16, 2, 0, 77],
                    &[b"/bin/cat", b"cat", b"/etc/hostname", b"/usr/bin/cat"],
                ),
                Args::Exec {
                    syscall: ExecSyscall::Execve,
                    dirfd: -100,
                    flags: 0,
                    filename: "/bin/cat".into(),
                    exe_path: "/usr/bin/cat".into(),
                    argv: vec!["cat".into(), "/etc/hostname".into()],
                    argv_truncated: false,
                    old_pid: 77,
                },
            ),
            (
                rec(
                    Kind::ExecFailed,
                    [3, 0x1000, 17, 1, 1, 0],
                    &[b"x", b"x\xff", b""],
                ),
                Args::Exec {
                    syscall: ExecSyscall::Execveat,
                    dirfd: 3,
                    flags: 0x1000,
                    filename: "x".into(),
                    exe_path: String::new(),
                    argv: vec!["x\u{fffd}".into()],
                    argv_truncated: true,
                    old_pid: 0,
                },
            ),
            (
                rec(Kind::Fork, [200, 100, 0, 0, 0, 0], &[]),
                Args::Fork {
                    child_pid: 200,
                    parent_pid: 100,
                },
            ),
            (
                rec(Kind::Exit, [(3 << 8), 0, 0, 0, 0, 0], &[]),
                Args::Exit {
                    status: 3 << 8,
                    code: 3,
                    signal: 0,
                    core_dumped: false,
                },
            ),
            (
                rec(Kind::Exit, [0x89, 0, 0, 0, 0, 0], &[]),
                Args::Exit {
                    status: 0x89,
                    code: 0,
                    signal: 9,
                    core_dumped: true,
                },
            ),
            (
                rec(Kind::Openat, [CWD, 0xdead, 0o2101, 0o600, 0, 0], &[b"a/b"]),
                Args::Open {
                    dirfd: -100,
                    path: "a/b".into(),
                    flags: 0o2101,
                    mode: 0o600,
                    resolve: 0,
                },
            ),
            (
                rec(Kind::Openat2, [5, 0xdead, 0xbeef, 24, 0, 0], &[b"f", &how]),
                Args::Open {
                    dirfd: 5,
                    path: "f".into(),
                    flags: 0o101,
                    mode: 0o644,
                    resolve: 8,
                },
            ),
            (
                rec(
                    Kind::Connect,
                    [4, 0, 16, 0, 0, 0],
                    &[&sockaddr_in([127, 0, 0, 1], 8080)],
                ),
                Args::Socket {
                    fd: 4,
                    addr: Some(SockAddr {
                        family: AF_INET,
                        ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                        port: 8080,
                        unix_path: None,
                    }),
                    flags: 0,
                },
            ),
            (
                rec(Kind::Bind, [4, 0, 28, 0, 0, 0], &[&sockaddr_in6(v6, 443)]),
                Args::Socket {
                    fd: 4,
                    addr: Some(SockAddr {
                        family: AF_INET6,
                        ip: Some(IpAddr::V6(v6)),
                        port: 443,
                        unix_path: None,
                    }),
                    flags: 0,
                },
            ),
            (
                rec(
                    Kind::Accept,
                    [3, 0, 0, 0, 0, 0],
                    &[&sockaddr_un(b"/run/x.sock\0\0")],
                ),
                Args::Socket {
                    fd: 3,
                    addr: Some(SockAddr {
                        family: AF_UNIX,
                        ip: None,
                        port: 0,
                        unix_path: Some("/run/x.sock".into()),
                    }),
                    flags: 0,
                },
            ),
            (
                rec(
                    Kind::Accept4,
                    [3, 0, 0, 0x80000, 0, 0],
                    &[&sockaddr_un(b"\0abstract")],
                ),
                Args::Socket {
                    fd: 3,
                    addr: Some(SockAddr {
                        family: AF_UNIX,
                        ip: None,
                        port: 0,
                        unix_path: Some("@abstract".into()),
                    }),
                    flags: 0x80000,
                },
            ),
            (
                rec(Kind::Accept, [3, 0, 0, 0, 0, 0], &[b""]),
                Args::Socket {
                    fd: 3,
                    addr: None,
                    flags: 0,
                },
            ),
            (
                rec(Kind::Setuid, [0, 0, 0, 0, 0, 0], &[]),
                Args::SetIds {
                    real: None,
                    effective: Some(0),
                    saved: None,
                },
            ),
            (
                rec(Kind::Setgid, [5, 0, 0, 0, 0, 0], &[]),
                Args::SetIds {
                    real: None,
                    effective: Some(5),
                    saved: None,
                },
            ),
            (
                rec(Kind::Setreuid, [0xffff_ffff, 1, 0, 0, 0, 0], &[]),
                Args::SetIds {
                    real: None,
                    effective: Some(1),
                    saved: None,
                },
            ),
            (
                rec(Kind::Setregid, [2, 0xffff_ffff, 0, 0, 0, 0], &[]),
                Args::SetIds {
                    real: Some(2),
                    effective: None,
                    saved: None,
                },
            ),
            (
                rec(Kind::Setresuid, [1, 2, 3, 0, 0, 0], &[]),
                Args::SetIds {
                    real: Some(1),
                    effective: Some(2),
                    saved: Some(3),
                },
            ),
            (
                rec(Kind::Setresgid, [1, 2, 0xffff_ffff, 0, 0, 0], &[]),
                Args::SetIds {
                    real: Some(1),
                    effective: Some(2),
                    saved: None,
                },
            ),
            (
                rec(
                    Kind::Capset,
                    [0; 6],
                    &[&cap_head, &caps(1 << 21 | 1 << 40, u64::MAX, 0)],
                ),
                Args::Capset {
                    version: 0x2008_0522,
                    pid: 0,
                    effective: 1 << 21 | 1 << 40,
                    permitted: u64::MAX,
                    inheritable: 0,
                },
            ),
            (
                rec(Kind::Unshare, [0x2000_0000, 0, 0, 0, 0, 0], &[]),
                Args::Unshare { flags: 0x2000_0000 },
            ),
            (
                rec(Kind::Setns, [9, 0x4000_0000, 0, 0, 0, 0], &[]),
                Args::Setns {
                    fd: 9,
                    nstype: 0x4000_0000,
                },
            ),
            (
                rec(
                    Kind::Mount,
                    [0, 0, 0, 0x4000, 0, 0],
                    &[b"none", b"/mnt", b"tmpfs"],
                ),
                Args::Mount {
                    source: "none".into(),
                    target: "/mnt".into(),
                    fstype: "tmpfs".into(),
                    flags: 0x4000,
                },
            ),
            (
                rec(Kind::Ptrace, [16, 1234, 0, 0, 0, 0], &[]),
                Args::Ptrace {
                    request: 16,
                    pid: 1234,
                    addr: 0,
                    data: 0,
                },
            ),
            (
                rec(Kind::InitModule, [0, 4096, 0, 0, 0, 0], &[b"debug=1"]),
                Args::Module {
                    fd: None,
                    len: 4096,
                    params: "debug=1".into(),
                    flags: 0,
                },
            ),
            (
                rec(Kind::FinitModule, [3, 0, 2, 0, 0, 0], &[b""]),
                Args::Module {
                    fd: Some(3),
                    len: 0,
                    params: String::new(),
                    flags: 2,
                },
            ),
            (
                rec(Kind::MemfdCreate, [0, 1, 0, 0, 0, 0], &[b"x"]),
                Args::MemfdCreate {
                    name: "x".into(),
                    flags: 1,
                },
            ),
            (
                rec(Kind::Bpf, [5, 0, 144, 0, 0, 0], &[]),
                Args::Bpf { cmd: 5, size: 144 },
            ),
            (
                rec(Kind::Dup2, [3, 4, 0, 0, 0, 0], &[]),
                Args::Dup {
                    oldfd: 3,
                    newfd: 4,
                    flags: 0,
                },
            ),
            (
                rec(Kind::Dup3, [3, 4, 0x80000, 0, 0, 0], &[]),
                Args::Dup {
                    oldfd: 3,
                    newfd: 4,
                    flags: 0x80000,
                },
            ),
            (
                rec(
                    Kind::Symlinkat,
                    [0, CWD, 0, 0, 0, 0],
                    &[b"/etc/shadow", b"l"],
                ),
                Args::Link {
                    olddirfd: None,
                    oldpath: "/etc/shadow".into(),
                    newdirfd: -100,
                    newpath: "l".into(),
                    flags: 0,
                },
            ),
            (
                rec(Kind::Linkat, [CWD, 0, 7, 0, 0x400, 0], &[b"a", b"b"]),
                Args::Link {
                    olddirfd: Some(-100),
                    oldpath: "a".into(),
                    newdirfd: 7,
                    newpath: "b".into(),
                    flags: 0x400,
                },
            ),
            (
                rec(Kind::Renameat2, [CWD, 0, CWD, 0, 1, 0], &[b"a", b"b"]),
                Args::Link {
                    olddirfd: Some(-100),
                    oldpath: "a".into(),
                    newdirfd: -100,
                    newpath: "b".into(),
                    flags: 1,
                },
            ),
            (
                rec(Kind::Unlinkat, [CWD, 0, 0x200, 0, 0, 0], &[b"d"]),
                Args::Path {
                    dirfd: -100,
                    path: "d".into(),
                    flags: 0x200,
                    mode: 0,
                },
            ),
            (
                rec(Kind::Fchmodat, [CWD, 0, 0o4755, 0, 0, 0], &[b"f"]),
                Args::Path {
                    dirfd: -100,
                    path: "f".into(),
                    flags: 0,
                    mode: 0o4755,
                },
            ),
            (
                rec(Kind::Fchmodat2, [CWD, 0, 0o755, 0x100, 0, 0], &[b"f"]),
                Args::Path {
                    dirfd: -100,
                    path: "f".into(),
                    flags: 0x100,
                    mode: 0o755,
                },
            ),
            (
                rec(Kind::Mkdirat, [3, 0, 0o700, 0, 0, 0], &[b"d"]),
                Args::Path {
                    dirfd: 3,
                    path: "d".into(),
                    flags: 0,
                    mode: 0o700,
                },
            ),
            (
                rec(Kind::Chmod, [0, 0o777, 0, 0, 0, 0], &[b"/tmp/x"]),
                Args::Path {
                    dirfd: -100,
                    path: "/tmp/x".into(),
                    flags: 0,
                    mode: 0o777,
                },
            ),
            (
                rec(Kind::Fchmod, [4, 0o644, 0, 0, 0, 0], &[]),
                Args::Fchmod { fd: 4, mode: 0o644 },
            ),
            (
                rec(Kind::Open, [0, 0o101, 0o644, 0, 0, 0], &[b"/etc/x"]),
                Args::Open {
                    dirfd: -100,
                    path: "/etc/x".into(),
                    flags: 0o101,
                    mode: 0o644,
                    resolve: 0,
                },
            ),
            (
                rec(Kind::Creat, [0, 0o600, 0, 0, 0, 0], &[b"f"]),
                Args::Open {
                    dirfd: -100,
                    path: "f".into(),
                    flags: 0o1101,
                    mode: 0o600,
                    resolve: 0,
                },
            ),
            (
                rec(Kind::Unlink, [0; 6], &[b"/bin/sh"]),
                Args::Path {
                    dirfd: -100,
                    path: "/bin/sh".into(),
                    flags: 0,
                    mode: 0,
                },
            ),
            (
                rec(Kind::Mkdir, [0, 0o755, 0, 0, 0, 0], &[b"/etc/d"]),
                Args::Path {
                    dirfd: -100,
                    path: "/etc/d".into(),
                    flags: 0,
                    mode: 0o755,
                },
            ),
            (
                rec(Kind::Rename, [0; 6], &[b"a", b"/etc/b"]),
                Args::Link {
                    olddirfd: Some(-100),
                    oldpath: "a".into(),
                    newdirfd: -100,
                    newpath: "/etc/b".into(),
                    flags: 0,
                },
            ),
            (
                rec(Kind::Link, [0; 6], &[b"/etc/shadow", b"s"]),
                Args::Link {
                    olddirfd: Some(-100),
                    oldpath: "/etc/shadow".into(),
                    newdirfd: -100,
                    newpath: "s".into(),
                    flags: 0,
                },
            ),
            (
                rec(Kind::Symlink, [0; 6], &[b"/etc/shadow", b"s"]),
                Args::Link {
                    olddirfd: None,
                    oldpath: "/etc/shadow".into(),
                    newdirfd: -100,
                    newpath: "s".into(),
                    flags: 0,
                },
            ),
            (
                rec(Kind::Socket, [17, 3, 768, 0, 0, 0], &[]),
                Args::NewSocket {
                    domain: 17,
                    ty: 3,
                    protocol: 768,
                },
            ),
            (
                rec(Kind::Dup, [5, 0, 0, 0, 0, 0], &[]),
                Args::Dup {
                    oldfd: 5,
                    newfd: -1,
                    flags: 0,
                },
            ),
        ];
        v[0].0.ret = 0;
        v[1].0.ret = -2;
        v
    }

    #[test]
    fn every_kind_round_trips() {
        let cases = cases();
        for kind in Kind::all() {
            assert!(
                cases.iter().any(|(r, _)| r.kind == kind.id()),
                "no case for {kind:?}"
            );
            assert_eq!(Kind::from_id(kind.id()), Some(kind));
            assert_ne!(kind.syscall_name(), "unknown");
        }
        for (r, args) in cases {
            let bytes = r.bytes();
            let ev = decode(&bytes).unwrap_or_else(|e| panic!("{:?}: {e}", r.kind));
            assert_eq!(ev.args, args, "kind {}", r.kind);
            assert_eq!(ev.kind.id(), r.kind);
            assert_eq!(ev.ts_ns, r.ts);
            assert_eq!(ev.cgroup_id, r.cgroup_id);
            assert_eq!(ev.ret, r.ret);
            assert_eq!(
                [ev.pid, ev.tid, ev.ppid, ev.uid, ev.gid],
                [100, 101, 1, 1000, 1001]
            );
            assert_eq!(ev.comm, "cat");
        }
    }

    #[test]
    fn falco_names() {
        assert_eq!(Kind::Exec.syscall_name(), "execve");
        assert_eq!(Kind::Exit.syscall_name(), "procexit");
        assert_eq!(Kind::Fork.syscall_name(), "clone");
        assert_eq!(Kind::Setresuid.syscall_name(), "setresuid");
        let (r, _) = &cases()[1];
        let ev = decode(&r.bytes()).expect("decode");
        assert_eq!(ev.syscall_name(), "execveat");
    }

    #[test]
    fn bad_records_are_errors() {
        let good = rec(Kind::Openat, [0; 6], &[b"/etc/passwd"]).bytes();
        assert!(decode(&good).is_ok());
        for len in 0..good.len() {
            assert!(
                decode(&good[..len]).is_err(),
                "prefix of {len} bytes decoded"
            );
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(decode(&trailing), Err(DecodeError::TrailingBytes(1)));
        let mut version = good.clone();
        version[47] = 9;
        assert_eq!(decode(&version), Err(DecodeError::Version(9)));
        let mut kind = good.clone();
        kind[44..46].copy_from_slice(&16u16.to_ne_bytes());
        assert_eq!(decode(&kind), Err(DecodeError::UnknownKind(16)));
        let mut blobs = good.clone();
        blobs[46] = 2;
        assert!(matches!(
            decode(&blobs),
            Err(DecodeError::BlobOverrun { index: 1, .. })
        ));
        let mut overrun = good.clone();
        overrun[FIXED_LEN..FIXED_LEN + 2].copy_from_slice(&u16::MAX.to_ne_bytes());
        assert!(matches!(
            decode(&overrun),
            Err(DecodeError::BlobOverrun { index: 0, .. })
        ));
        // the wrong number of blobs for the kind
        let two = rec(Kind::Openat, [0; 6], &[b"a", b"b"]).bytes();
        assert!(matches!(decode(&two), Err(DecodeError::BlobCount { .. })));
        // an exec record whose argc does not match its blobs
        let exec = rec(Kind::Exec, [0, 0, 16, 1000, 0, 0], &[b"a", b"b"]).bytes();
        assert!(matches!(decode(&exec), Err(DecodeError::BlobCount { .. })));
        // short socket addresses decode without an address or port
        assert_eq!(SockAddr::parse(&[2]), None);
        let short = SockAddr::parse(&AF_INET.to_ne_bytes()).expect("family");
        assert_eq!((short.ip, short.port), (None, 0));
    }

    use strata_testkit::rng::XorShift as Rng;

    #[test]
    fn fuzz_decode_never_panics() {
        let seeds: Vec<Vec<u8>> = cases().into_iter().map(|(r, _)| r.bytes()).collect();
        let mut rng = Rng(0x005e_ed0f_eb9f_u64);
        for _ in 0..20_000 {
            let mut b = seeds[rng.below(seeds.len())].clone();
            for _ in 0..=rng.below(4) {
                match rng.below(4) {
                    0 if !b.is_empty() => {
                        let i = rng.below(b.len());
                        b[i] = rng.next_u64() as u8;
                    }
                    1 => b.truncate(rng.below(b.len() + 1)),
                    2 => b.push(rng.next_u64() as u8),
                    _ if b.len() > 46 => b[46] = rng.next_u64() as u8,
                    _ => {}
                }
            }
            crate::fuzz_decode(&b);
        }
        for len in 0..300 {
            let junk: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
            crate::fuzz_decode(&junk);
        }
    }
}
