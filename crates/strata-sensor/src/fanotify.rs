//! File events without eBPF: fanotify marks on the host's root file system and on the root
//! mount of every container (found from the mount namespaces of the processes the process
//! connector reports). Opens, first modifications and closes after writing become the
//! probe's `openat` [`RawEvent`]s, so the file rules run on them unchanged.
//!
//! What fanotify cannot tell: the flags of an open when it happens (every open is reported
//! as a read when it happens; a file opened for writing is reported again as a write at its
//! first modification, or when it is closed if it never was), and the process's descriptor
//! number (`fd.num` is 0). Like the process connector's, its facts about the process are
//! read from `/proc` when the event is read: a process that exited within a millisecond or
//! so keeps its container (found from the file's mount) but loses its name and command line.

// fanotify needs a handful of libc calls; each unsafe block is one call on memory this
// module owns.
#![allow(unsafe_code)]

use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use strata_ebpf::{Args, Kind, RawEvent};

use crate::procfs::ProcFs;
use crate::wire::now_ns;

const FAN_MODIFY: u64 = 0x02;
const FAN_CLOSE_WRITE: u64 = 0x08;
const FAN_OPEN: u64 = 0x20;
const FAN_Q_OVERFLOW: u64 = 0x4000;

const FAN_CLOEXEC: u32 = 0x01;
const FAN_NONBLOCK: u32 = 0x02;
const FAN_CLASS_NOTIF: u32 = 0x00;
const FAN_REPORT_FD_ERROR: u32 = 0x2000;

const FAN_MARK_ADD: u32 = 0x01;
const FAN_MARK_MOUNT: u32 = 0x10;

const FANOTIFY_METADATA_VERSION: u8 = 3;
/// `struct fanotify_event_metadata`: event_len u32, vers u8, reserved u8, metadata_len u16,
/// mask u64, fd i32, pid i32.
const METADATA_LEN: usize = 24;

/// The events this source asks for.
const MASK: u64 = FAN_OPEN | FAN_MODIFY | FAN_CLOSE_WRITE;

/// `O_RDONLY` and `O_WRONLY` as the events carry them.
const O_RDONLY: u64 = 0;
const O_WRONLY: u64 = 1;

/// Paths remembered as modified (their write already reported) at most; past this the
/// oldest half is forgotten, at worst reporting a write once more at its close.
const MAX_MODIFIED: usize = 65_536;

/// One fanotify event record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FanRecord {
    /// The event bits.
    pub mask: u64,
    /// The descriptor fanotify opened for us (-1 for overflow events): it must be closed.
    pub fd: i32,
    /// The process (thread-group id).
    pub pid: i32,
}

/// Parses a buffer read from a fanotify descriptor. Records of a version other than the
/// one this code knows, or shorter than their header, end the parse; nothing here panics.
pub fn parse_records(b: &[u8]) -> Vec<FanRecord> {
    let mut out = Vec::new();
    let mut off = 0usize;
    while let Some(rec) = b.get(off..off + METADATA_LEN) {
        let u32_at = |i: usize| {
            rec.get(i..i + 4)
                .map(|s| u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
        };
        let Some(event_len) = u32_at(0).map(|l| l as usize) else {
            break;
        };
        let vers = rec[4];
        let metadata_len = usize::from(u16::from_ne_bytes([rec[6], rec[7]]));
        if event_len < METADATA_LEN
            || metadata_len < METADATA_LEN
            || vers != FANOTIFY_METADATA_VERSION
        {
            break;
        }
        let mut mask = [0u8; 8];
        mask.copy_from_slice(&rec[8..16]);
        let (Some(fd), Some(pid)) = (u32_at(16), u32_at(20)) else {
            break;
        };
        out.push(FanRecord {
            mask: u64::from_ne_bytes(mask),
            fd: fd as i32,
            pid: pid as i32,
        });
        match off.checked_add(event_len) {
            Some(next) if next <= b.len() => off = next,
            _ => break,
        }
    }
    out
}

/// File systems whose files no file rule is about (kernel interfaces, container layers
/// seen from the host).
const UNWATCHED_FS: &[&str] = &[
    "proc",
    "sysfs",
    "cgroup",
    "cgroup2",
    "devpts",
    "mqueue",
    "debugfs",
    "tracefs",
    "securityfs",
    "pstore",
    "bpf",
    "configfs",
    "fusectl",
    "hugetlbfs",
    "autofs",
    "binfmt_misc",
    "nsfs",
    "efivarfs",
    "overlay",
    "rpc_pipefs",
    "selinuxfs",
    // fanotify reopens each file for its event: reopening devices has side effects
    // (a watchdog armed, a pty allocated).
    "devtmpfs",
];

/// The mount points of `/proc/self/mountinfo` worth a mark, in order.
pub fn host_mount_points(mountinfo: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (point, fstype) in crate::procfs::mount_points(mountinfo) {
        if UNWATCHED_FS.contains(&fstype) || point.starts_with("/run/docker/netns") {
            continue;
        }
        if !out.contains(&point) {
            out.push(point);
        }
    }
    out
}

/// What one record means for the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Meaning {
    /// An open, reported as a read.
    Open,
    /// The first modification of a file the process has open.
    Modify,
    /// A file opened for writing was closed.
    CloseWrite,
}

fn meanings(mask: u64) -> impl Iterator<Item = Meaning> {
    // In queue order: an open comes before a write, a write before the close.
    [
        (FAN_OPEN, Meaning::Open),
        (FAN_MODIFY, Meaning::Modify),
        (FAN_CLOSE_WRITE, Meaning::CloseWrite),
    ]
    .into_iter()
    .filter(move |(bit, _)| mask & bit != 0)
    .map(|(_, m)| m)
}

/// A fanotify group with its marks.
pub struct FileWatch {
    fd: OwnedFd,
    procfs: ProcFs,
    buf: Vec<u8>,
    own_pid: i32,
    /// Mount namespaces whose root mount is marked (the host's included).
    marked: HashSet<u32>,
    /// The device of each marked container root, with its mount namespace: a file event
    /// of a process that exited before it was read is placed in its container by the
    /// device of the file's mount.
    root_devices: HashMap<u64, u32>,
    /// `(pid, path)` whose write was reported at its first modification.
    modified: HashMap<(i32, String), u64>,
    seq: u64,
    /// Times the kernel's queue overflowed (events were lost).
    pub overflows: u64,
    /// Events lost because the kernel could not reopen their file for us.
    pub reopen_errors: u64,
    /// Container roots that could not be marked, with the reason (the first ten).
    pub mark_failures: Vec<String>,
}

impl FileWatch {
    /// Creates the group and marks the host's root file system (needs root: CAP_SYS_ADMIN).
    pub fn open(procfs: ProcFs) -> io::Result<FileWatch> {
        let flags = FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK;
        // O_NONBLOCK: the reopen of a FIFO must not wait for a writer.
        let event_flags =
            (libc::O_RDONLY | libc::O_LARGEFILE | libc::O_CLOEXEC | libc::O_NONBLOCK) as u32;
        // With FAN_REPORT_FD_ERROR (Linux 6.13) a file the kernel cannot reopen for us is
        // an event with the error in place of the descriptor; older kernels refuse the flag
        // and fail the read() instead, which `read_batch` counts and skips.
        // SAFETY: plain fanotify_init(2) calls; the result is checked before use.
        let mut raw = unsafe { libc::fanotify_init(flags | FAN_REPORT_FD_ERROR, event_flags) };
        if raw < 0 {
            // SAFETY: as above.
            raw = unsafe { libc::fanotify_init(flags, event_flags) };
        }
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a descriptor we just opened and own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut w = FileWatch {
            fd,
            procfs,
            buf: vec![0u8; 64 * 1024],
            own_pid: i32::try_from(std::process::id()).unwrap_or(-1),
            marked: HashSet::new(),
            root_devices: HashMap::new(),
            modified: HashMap::new(),
            seq: 0,
            overflows: 0,
            reopen_errors: 0,
            mark_failures: Vec::new(),
        };
        // Each of the host's own mounts, not whole file systems: a file-system mark on the
        // disk below /var/lib/docker would see every container file a second time through
        // overlayfs' internal mounts of its layers.
        w.mark("/", FAN_MARK_MOUNT)?;
        let mountinfo =
            std::fs::read_to_string(w.procfs.root().join("self/mountinfo")).unwrap_or_default();
        for point in host_mount_points(&mountinfo) {
            if point != "/" {
                // A mount that refuses a mark (a FUSE file system, say) goes unwatched.
                let _ = w.mark(&point, FAN_MARK_MOUNT);
            }
        }
        if let Some(ns) = w.procfs.mntns(std::process::id()) {
            w.marked.insert(ns);
        }
        Ok(w)
    }

    fn mark(&self, path: &str, kind: u32) -> io::Result<()> {
        let c = CString::new(path).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: `c` is a live NUL-terminated string for the call.
        let rc = unsafe {
            libc::fanotify_mark(
                self.fd.as_raw_fd(),
                FAN_MARK_ADD | kind,
                MASK,
                libc::AT_FDCWD,
                c.as_ptr(),
            )
        };
        if rc < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// The descriptor to poll.
    pub fn raw_fd(&self) -> i32 {
        self.fd.as_raw_fd()
    }

    /// Marks the root mount of `pid`'s mount namespace unless it is marked already; called
    /// for every process the process connector reports, so containers are covered from
    /// their first exec. Returns whether a new mark was added.
    pub fn watch_root_of(&mut self, pid: u32, mntns: u32) -> bool {
        if mntns == 0 || self.marked.contains(&mntns) {
            return false;
        }
        // Marked or not, one try per namespace (a process that is gone is not retried).
        self.marked.insert(mntns);
        let root = self.procfs.root().join(pid.to_string()).join("root");
        match self.mark(&root.to_string_lossy(), FAN_MARK_MOUNT) {
            Ok(()) => {
                if let Ok(meta) = std::fs::metadata(&root) {
                    self.root_devices.insert(meta.dev(), mntns);
                }
                true
            }
            Err(e) => {
                if self.mark_failures.len() < 10 {
                    self.mark_failures.push(format!("{}: {e}", root.display()));
                }
                false
            }
        }
    }

    /// Marks the roots of every process already running in another mount namespace.
    pub fn watch_running(&mut self) -> usize {
        let Ok(dir) = std::fs::read_dir(self.procfs.root()) else {
            return 0;
        };
        let pids: Vec<u32> = dir
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        let mut n = 0;
        for pid in pids {
            if let Some(ns) = self.procfs.mntns(pid)
                && self.watch_root_of(pid, ns)
            {
                n += 1;
            }
        }
        n
    }

    /// Reads one buffer of queued records (never blocks); `None` when nothing is queued.
    /// The caller reads the process connector after this and before [`FileWatch::handle_all`],
    /// so every exec notice queued before these file events is applied first.
    pub fn read_batch(&mut self) -> io::Result<Option<Vec<FanRecord>>> {
        loop {
            // SAFETY: `buf` is a live buffer of the length passed.
            let n = unsafe {
                libc::read(
                    self.fd.as_raw_fd(),
                    self.buf.as_mut_ptr().cast(),
                    self.buf.len(),
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(libc::EAGAIN) => return Ok(None),
                    Some(libc::EINTR) => continue,
                    // Errors of the descriptor or the buffer: nothing more can be read.
                    Some(libc::EBADF | libc::EINVAL | libc::EFAULT) | None => return Err(e),
                    // The kernel could not reopen the file of the event at the head of
                    // the queue (ENXIO for a terminal, EACCES on FUSE, ESTALE, ...): that
                    // one event is lost, the queue goes on.
                    Some(_) => {
                        self.reopen_errors += 1;
                        return Ok(Some(Vec::new()));
                    }
                }
            }
            let len = usize::try_from(n).unwrap_or(0);
            if len == 0 {
                return Ok(None);
            }
            return Ok(Some(parse_records(self.buf.get(..len).unwrap_or_default())));
        }
    }

    /// Hands the file events of `records` to `f` (and closes their descriptors).
    pub fn handle_all(&mut self, records: Vec<FanRecord>, f: &mut dyn FnMut(RawEvent)) -> usize {
        records.into_iter().map(|rec| self.handle(rec, f)).sum()
    }

    fn handle(&mut self, rec: FanRecord, f: &mut dyn FnMut(RawEvent)) -> usize {
        if rec.mask & FAN_Q_OVERFLOW != 0 {
            // Closes may have been lost with the rest: what is remembered as modified may
            // be stale (and would hide a later write of a new process with the same pid).
            self.overflows += 1;
            self.modified.clear();
        }
        if rec.fd < 0 {
            // With FAN_REPORT_FD_ERROR: the error of the reopen, in place of a descriptor.
            if rec.mask & FAN_Q_OVERFLOW == 0 {
                self.reopen_errors += 1;
            }
            return 0;
        }
        // SAFETY: fanotify opened this descriptor for us; we own it from here on and it
        // closes when `file` drops, whatever happens below.
        let file = unsafe { OwnedFd::from_raw_fd(rec.fd) };
        // The sensor's own reads (container passwd files, /proc) would feed back forever.
        if rec.pid == self.own_pid || rec.pid <= 0 {
            return 0;
        }
        let Ok(path) = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) else {
            return 0;
        };
        let file = std::fs::File::from(file);
        let root_ns = file
            .metadata()
            .ok()
            .and_then(|m| self.root_devices.get(&m.dev()).copied());
        drop(file);
        let path = path.to_string_lossy().into_owned();
        let pid = rec.pid as u32;
        let mut n = 0;
        for m in meanings(rec.mask) {
            let flags = match m {
                Meaning::Open => O_RDONLY,
                Meaning::Modify => {
                    if self.modified.contains_key(&(rec.pid, path.clone())) {
                        continue;
                    }
                    if self.modified.len() >= MAX_MODIFIED {
                        self.forget_oldest();
                    }
                    self.seq += 1;
                    self.modified.insert((rec.pid, path.clone()), self.seq);
                    O_WRONLY
                }
                Meaning::CloseWrite => {
                    if self.modified.remove(&(rec.pid, path.clone())).is_some() {
                        continue;
                    }
                    O_WRONLY
                }
            };
            f(self.raw(pid, &path, flags, root_ns));
            n += 1;
        }
        n
    }

    fn forget_oldest(&mut self) {
        let mut seqs: Vec<u64> = self.modified.values().copied().collect();
        seqs.sort_unstable();
        let cut = seqs.get(seqs.len() / 2).copied().unwrap_or(0);
        self.modified.retain(|_, s| *s > cut);
    }

    fn raw(&self, pid: u32, path: &str, flags: u64, root_ns: Option<u32>) -> RawEvent {
        let comm = self.procfs.comm(pid);
        RawEvent {
            ts_ns: now_ns(),
            kind: Kind::Openat,
            pid,
            tid: pid,
            ppid: 0,
            uid: 0,
            gid: 0,
            cgroup_id: 0,
            // The process's own namespace while it lives; else that of the container
            // whose root holds the file.
            mntns: self.procfs.mntns(pid).or(root_ns).unwrap_or(0),
            comm,
            ret: 0,
            args: Args::Open {
                dirfd: -100,
                path: path.to_owned(),
                flags,
                mode: 0,
                resolve: 0,
            },
        }
    }
}

/// Waits at most `timeout` until one of `fds` is readable; returns which are.
pub fn poll_fds(fds: &[i32], timeout: Duration) -> Vec<bool> {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: `pfds` lives for the call and its length is passed.
    let ready = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, ms) };
    if ready <= 0 {
        return vec![false; fds.len()];
    }
    pfds.iter().map(|p| p.revents != 0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(mask: u64, fd: i32, pid: i32, extra: usize) -> Vec<u8> {
        let len = (METADATA_LEN + extra) as u32;
        let mut v = Vec::new();
        v.extend_from_slice(&len.to_ne_bytes());
        v.push(FANOTIFY_METADATA_VERSION);
        v.push(0);
        v.extend_from_slice(&(METADATA_LEN as u16).to_ne_bytes());
        v.extend_from_slice(&mask.to_ne_bytes());
        v.extend_from_slice(&fd.to_ne_bytes());
        v.extend_from_slice(&pid.to_ne_bytes());
        v.extend(std::iter::repeat_n(0u8, extra));
        v
    }

    #[test]
    fn parses_records_and_stops_at_damage() {
        let mut b = record(FAN_OPEN, 5, 100, 0);
        b.extend(record(FAN_MODIFY | FAN_CLOSE_WRITE, 6, 101, 8));
        b.extend(record(FAN_Q_OVERFLOW, -1, 0, 0));
        assert_eq!(
            parse_records(&b),
            [
                FanRecord {
                    mask: FAN_OPEN,
                    fd: 5,
                    pid: 100
                },
                FanRecord {
                    mask: FAN_MODIFY | FAN_CLOSE_WRITE,
                    fd: 6,
                    pid: 101
                },
                FanRecord {
                    mask: FAN_Q_OVERFLOW,
                    fd: -1,
                    pid: 0
                },
            ]
        );
        // A wrong version, a length below the header, and a length past the end.
        let mut bad = record(FAN_OPEN, 5, 100, 0);
        bad[4] = 2;
        assert!(parse_records(&bad).is_empty());
        let mut short = record(FAN_OPEN, 5, 100, 0);
        short[0] = 8;
        assert!(parse_records(&short).is_empty());
        let mut long = record(FAN_OPEN, 5, 100, 0);
        long[0..4].copy_from_slice(&1000u32.to_ne_bytes());
        assert_eq!(parse_records(&long).len(), 1);
        for cut in 0..b.len() {
            assert!(parse_records(&b[..cut]).len() <= 3);
        }
    }

    #[test]
    fn host_mounts_skip_kernel_and_layer_file_systems() {
        let mi = "\
22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
23 22 0:21 / /proc rw,nosuid shared:2 - proc proc rw
24 22 0:5 / /dev rw,nosuid shared:3 - devtmpfs udev rw
25 24 0:22 / /dev/pts rw shared:4 - devpts devpts rw
26 22 0:23 / /sys/fs/cgroup rw shared:5 - cgroup2 cgroup2 rw
27 22 0:24 / /mnt/my\\040disk rw shared:6 - xfs /dev/vdb rw
28 22 0:25 / /var/lib/docker/overlay2/abc/merged rw - overlay overlay rw,lowerdir=x
29 22 0:26 / /tmp rw shared:7 - tmpfs tmpfs rw
bad line
";
        // devtmpfs (/dev) is left out: reopening devices has side effects.
        assert_eq!(host_mount_points(mi), ["/", "/mnt/my disk", "/tmp"]);
    }

    #[test]
    fn meanings_in_queue_order() {
        let all: Vec<Meaning> = meanings(FAN_CLOSE_WRITE | FAN_OPEN | FAN_MODIFY).collect();
        assert_eq!(all, [Meaning::Open, Meaning::Modify, Meaning::CloseWrite]);
        // FAN_ACCESS, FAN_CLOSE_NOWRITE, FAN_OPEN_EXEC: not asked for, and meaning nothing.
        for bit in [0x01, 0x10, 0x1000] {
            assert_eq!(meanings(bit).count(), 0);
            assert_eq!(MASK & bit, 0);
        }
    }
}
