//! Reading process facts from `/proc`: bounded reads, every error ignored by the caller
//! (a process may exit at any moment), nothing that can panic on odd contents.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest `/proc` file read (cmdline, status, cgroup).
const MAX_PROC_FILE: u64 = 64 * 1024;
/// Clock ticks per second of `/proc/PID/stat` times (USER_HZ, 100 on every Linux ABI).
const USER_HZ: u64 = 100;

/// Capability names by bit, as Falco renders them.
pub const CAP_NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// A capability set as Falco prints it: `CAP_CHOWN CAP_KILL ...`.
pub fn caps_to_string(mask: u64) -> String {
    let mut out = String::new();
    for (bit, name) in CAP_NAMES.iter().enumerate() {
        if mask & (1u64 << bit) != 0 {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(name);
        }
    }
    out
}

/// What `/proc/PID/stat` says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    /// `comm`.
    pub comm: String,
    /// Parent pid.
    pub ppid: u32,
    /// Process group.
    pub pgrp: u32,
    /// Session.
    pub session: u32,
    /// Controlling terminal device number (0 = none).
    pub tty_nr: i64,
    /// Start time in clock ticks after boot.
    pub start_ticks: u64,
}

/// Parses `/proc/PID/stat`. The name may contain spaces and parentheses: it ends at the
/// last `)`.
pub fn parse_stat(s: &str) -> Option<Stat> {
    let open = s.find('(')?;
    let close = s.rfind(')')?;
    let comm = s.get(open + 1..close)?.to_owned();
    let rest: Vec<&str> = s.get(close + 1..)?.split_ascii_whitespace().collect();
    // rest[0] is the state; fields are numbered from 3 in proc(5).
    let field = |n: usize| rest.get(n - 3).copied();
    Some(Stat {
        comm,
        ppid: field(4)?.parse().ok()?,
        pgrp: field(5)?.parse().ok()?,
        session: field(6)?.parse().ok()?,
        tty_nr: field(7)?.parse().ok()?,
        start_ticks: field(22)?.parse().ok()?,
    })
}

/// What `/proc/PID/status` says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// Real uid.
    pub ruid: u32,
    /// Effective uid.
    pub euid: u32,
    /// Effective gid.
    pub egid: u32,
    /// Inheritable, permitted and effective capabilities.
    pub cap_inh: u64,
    /// Permitted.
    pub cap_prm: u64,
    /// Effective.
    pub cap_eff: u64,
    /// The pid in the innermost pid namespace.
    pub vpid: u32,
}

/// Parses `/proc/PID/status`.
pub fn parse_status(s: &str) -> Status {
    let mut st = Status::default();
    for line in s.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let second = || {
            value
                .split_ascii_whitespace()
                .nth(1)
                .and_then(|v| v.parse().ok())
        };
        let hex = || u64::from_str_radix(value, 16).ok();
        match key {
            "Uid" => {
                st.ruid = value
                    .split_ascii_whitespace()
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                st.euid = second().unwrap_or(0);
            }
            "Gid" => st.egid = second().unwrap_or(0),
            "CapInh" => st.cap_inh = hex().unwrap_or(0),
            "CapPrm" => st.cap_prm = hex().unwrap_or(0),
            "CapEff" => st.cap_eff = hex().unwrap_or(0),
            "NSpid" => {
                st.vpid = value
                    .split_ascii_whitespace()
                    .last()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
            }
            _ => {}
        }
    }
    st
}

/// Splits `/proc/PID/cmdline` (NUL-separated) into arguments.
pub fn parse_cmdline(bytes: &[u8]) -> Vec<String> {
    let bytes = bytes.strip_suffix(b"\0").unwrap_or(bytes);
    if bytes.is_empty() {
        return Vec::new();
    }
    bytes
        .split(|&b| b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

/// The `/proc` file system (another root in tests).
#[derive(Clone, Debug)]
pub struct ProcFs {
    /// Shared: the sensor clones this on its event path.
    root: std::sync::Arc<Path>,
    boot_ns: u64,
}

impl Default for ProcFs {
    fn default() -> Self {
        ProcFs::new("/proc")
    }
}

impl ProcFs {
    /// `/proc` at `root`.
    pub fn new(root: impl Into<PathBuf>) -> ProcFs {
        let root = root.into();
        let btime = read_small(&root.join("stat"))
            .and_then(|b| {
                String::from_utf8_lossy(&b).lines().find_map(|l| {
                    l.strip_prefix("btime ")
                        .and_then(|v| v.trim().parse::<u64>().ok())
                })
            })
            .unwrap_or(0);
        ProcFs {
            root: std::sync::Arc::from(root),
            boot_ns: btime.saturating_mul(1_000_000_000),
        }
    }

    /// The root (`/proc`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn pid_path(&self, pid: u32, name: &str) -> PathBuf {
        self.root.join(pid.to_string()).join(name)
    }

    /// `/proc/PID/NAME`, at most 64 KiB.
    pub fn read(&self, pid: u32, name: &str) -> Option<Vec<u8>> {
        read_small(&self.pid_path(pid, name))
    }

    /// `/proc/PID/NAME` up to 16 MiB (the socket tables of a busy namespace).
    pub fn read_large(&self, pid: u32, name: &str) -> Option<Vec<u8>> {
        let f = std::fs::File::open(self.pid_path(pid, name)).ok()?;
        let mut out = Vec::new();
        f.take(16 << 20).read_to_end(&mut out).ok()?;
        Some(out)
    }

    /// The target of the link `/proc/PID/NAME` (`exe`, `cwd`, `fd/3`).
    pub fn link(&self, pid: u32, name: &str) -> Option<String> {
        std::fs::read_link(self.pid_path(pid, name))
            .ok()
            .map(|p| p.to_string_lossy().into_owned())
    }

    /// The change and modification times of the process's executable, nanoseconds since
    /// the epoch (`/proc/PID/exe` followed to the file, a deleted one included).
    pub fn exe_times(&self, pid: u32) -> Option<(u64, u64)> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(self.pid_path(pid, "exe")).ok()?;
        let ns = |secs: i64, nanos: i64| {
            u64::try_from(secs)
                .ok()?
                .checked_mul(1_000_000_000)?
                .checked_add(u64::try_from(nanos).ok()?)
        };
        Some((
            ns(m.ctime(), m.ctime_nsec()).unwrap_or(0),
            ns(m.mtime(), m.mtime_nsec()).unwrap_or(0),
        ))
    }

    /// The inode of the process's mount namespace (`/proc/PID/ns/mnt`).
    pub fn mntns(&self, pid: u32) -> Option<u32> {
        self.link(pid, "ns/mnt")
            .and_then(|l| l.split_once(":[")?.1.strip_suffix(']')?.parse().ok())
    }

    /// `/proc/PID/comm`, without its newline; empty when the process is gone.
    pub fn comm(&self, pid: u32) -> String {
        self.read(pid, "comm")
            .map(|c| String::from_utf8_lossy(&c).trim_end().to_owned())
            .unwrap_or_default()
    }

    /// `/proc/PID/stat`.
    pub fn stat(&self, pid: u32) -> Option<Stat> {
        parse_stat(&String::from_utf8_lossy(&self.read(pid, "stat")?))
    }

    /// `/proc/PID/status`.
    pub fn status(&self, pid: u32) -> Option<Status> {
        Some(parse_status(&String::from_utf8_lossy(
            &self.read(pid, "status")?,
        )))
    }

    /// Process start time in nanoseconds since the epoch, from its stat start ticks.
    pub fn start_ns(&self, start_ticks: u64) -> u64 {
        self.boot_ns
            .saturating_add(start_ticks.saturating_mul(1_000_000_000 / USER_HZ))
    }

    /// A path inside the process's root (`/proc/PID/root/PATH`), for container files.
    pub fn in_root(&self, pid: u32, path: &str) -> PathBuf {
        self.pid_path(pid, "root")
            .join(path.trim_start_matches('/'))
    }
}

/// Reads at most 64 KiB of a kernel file (`/proc`): these are what they say they are.
pub fn read_small(path: &Path) -> Option<Vec<u8>> {
    let f = std::fs::File::open(path).ok()?;
    let mut out = Vec::new();
    f.take(MAX_PROC_FILE).read_to_end(&mut out).ok()?;
    Some(out)
}

/// Reads at most 64 KiB of a file a container controls (its `/etc/passwd`), if it is a
/// regular file. Anything else is refused before it is opened, and again after: a FIFO
/// or a device there must not stall or poke the sensor (the open is non-blocking, so a
/// FIFO swapped in between the checks cannot block either).
pub fn read_regular_file(path: &Path) -> Option<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .ok()?;
    if !f.metadata().ok()?.is_file() {
        return None;
    }
    let mut out = Vec::new();
    f.take(MAX_PROC_FILE).read_to_end(&mut out).ok()?;
    Some(out)
}

/// The mount points of a `/proc/PID/mountinfo` text with their file system types, in
/// order (mount points unescaped: mountinfo writes space, tab, newline and backslash as
/// `\ooo`). Malformed lines are skipped.
pub fn mount_points(mountinfo: &str) -> impl Iterator<Item = (String, &str)> {
    mountinfo.lines().filter_map(|line| {
        // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER
        let (left, right) = line.split_once(" - ")?;
        let point = left.split(' ').nth(4)?;
        let fstype = right.split(' ').next()?;
        Some((unescape_mount_point(point), fstype))
    })
}

fn unescape_mount_point(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && let Some(oct) = b.get(i + 1..i + 4)
            && oct.iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((oct[0] - b'0') * 64 + (oct[1] - b'0') * 8 + (oct[2] - b'0'));
            i += 4;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("passwd");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        // Returns at once instead of waiting for a writer.
        assert_eq!(read_regular_file(&fifo), None);
        assert_eq!(read_regular_file(Path::new("/dev/zero")), None);
        assert_eq!(read_regular_file(dir.path()), None);
        let file = dir.path().join("group");
        std::fs::write(&file, "root:x:0:\n").unwrap();
        assert_eq!(
            read_regular_file(&file).as_deref(),
            Some(&b"root:x:0:\n"[..])
        );
        // A link to a regular file is followed (a container's /etc/passwd may be one).
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert!(read_regular_file(&link).is_some());
    }

    #[test]
    fn stat_lines() {
        let s = "4242 (my (odd) name) S 100 4242 4242 34816 4242 4194560 1 0 0 0 0 0 0 0 20 0 1 0 123456 0 0";
        let st = parse_stat(s).unwrap();
        assert_eq!(st.comm, "my (odd) name");
        assert_eq!(
            (st.ppid, st.pgrp, st.session, st.tty_nr),
            (100, 4242, 4242, 34816)
        );
        assert_eq!(st.start_ticks, 123_456);
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("1 (x) S"), None);
        assert_eq!(parse_stat(")("), None);
    }

    #[test]
    fn status_lines() {
        let s = "Name:\tbash\nUid:\t1000\t0\t0\t0\nGid:\t1000\t27\t27\t27\nNSpid:\t4242\t7\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t0000000000200000\n";
        let st = parse_status(s);
        assert_eq!((st.ruid, st.euid, st.egid, st.vpid), (1000, 0, 27, 7));
        assert_eq!(st.cap_eff, 1 << 21);
        assert_eq!(caps_to_string(st.cap_eff), "CAP_SYS_ADMIN");
        assert_eq!(caps_to_string(st.cap_prm).split(' ').count(), 41);
        assert_eq!(parse_status("junk\n::\nUid: x"), Status::default());
    }

    #[test]
    fn cmdlines() {
        assert_eq!(parse_cmdline(b"sh\0-c\0echo hi\0"), ["sh", "-c", "echo hi"]);
        assert_eq!(parse_cmdline(b""), Vec::<String>::new());
        assert_eq!(parse_cmdline(b"a\0\0b"), ["a", "", "b"]);
    }

    #[test]
    fn own_process() {
        let fs = ProcFs::default();
        let pid = std::process::id();
        let st = fs.stat(pid).unwrap();
        assert!(st.ppid > 0);
        assert!(fs.start_ns(st.start_ticks) > 1_600_000_000_000_000_000);
        assert!(fs.link(pid, "exe").is_some());
        assert!(!parse_cmdline(&fs.read(pid, "cmdline").unwrap()).is_empty());
    }
}
