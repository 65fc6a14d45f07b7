//! The event types strata knows (Falco's syscall event names), numbered for the rule index.

/// Every known event type name. The position in this table is the event type id.
pub static EVENT_TYPES: &[&str] = &[
    "accept",
    "accept4",
    "access",
    "acct",
    "add_key",
    "adjtimex",
    "alarm",
    "asyncevent",
    "bind",
    "bpf",
    "brk",
    "capset",
    "chdir",
    "chmod",
    "chown",
    "chroot",
    "clock_settime",
    "clone",
    "clone3",
    "close",
    "connect",
    "container",
    "copy_file_range",
    "creat",
    "delete_module",
    "dup",
    "dup2",
    "dup3",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "eventfd",
    "eventfd2",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "faccessat",
    "faccessat2",
    "fanotify_init",
    "fanotify_mark",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "fchown",
    "fchownat",
    "fcntl",
    "fdatasync",
    "finit_module",
    "flock",
    "fork",
    "fsconfig",
    "fsmount",
    "fsopen",
    "fspick",
    "fstat",
    "fstatfs",
    "fsync",
    "ftruncate",
    "futex",
    "futimesat",
    "getcwd",
    "getdents",
    "getdents64",
    "getegid",
    "geteuid",
    "getgid",
    "getgroups",
    "getpeername",
    "getpid",
    "getppid",
    "getresgid",
    "getresuid",
    "getrlimit",
    "getsockname",
    "getsockopt",
    "gettid",
    "getuid",
    "init_module",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "io_uring_enter",
    "io_uring_register",
    "io_uring_setup",
    "ioctl",
    "ioperm",
    "iopl",
    "ioprio_set",
    "kcmp",
    "keyctl",
    "kill",
    "landlock_create_ruleset",
    "lchown",
    "link",
    "linkat",
    "listen",
    "llseek",
    "lseek",
    "lstat",
    "madvise",
    "memfd_create",
    "memfd_secret",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "mlock",
    "mlock2",
    "mlockall",
    "mmap",
    "mmap2",
    "mount",
    "move_mount",
    "mprotect",
    "mq_open",
    "mremap",
    "msync",
    "munlock",
    "munlockall",
    "munmap",
    "name_to_handle_at",
    "nanosleep",
    "newfstatat",
    "open",
    "open_by_handle_at",
    "open_tree",
    "openat",
    "openat2",
    "page_fault",
    "personality",
    "pidfd_getfd",
    "pidfd_open",
    "pidfd_send_signal",
    "pipe",
    "pipe2",
    "pivot_root",
    "pluginevent",
    "poll",
    "ppoll",
    "prctl",
    "pread",
    "preadv",
    "prlimit",
    "process_madvise",
    "process_vm_readv",
    "process_vm_writev",
    "procexit",
    "ptrace",
    "pwrite",
    "pwritev",
    "quotactl",
    "read",
    "readlink",
    "readlinkat",
    "readv",
    "reboot",
    "recvfrom",
    "recvmmsg",
    "recvmsg",
    "remap_file_pages",
    "rename",
    "renameat",
    "renameat2",
    "request_key",
    "rmdir",
    "rt_sigaction",
    "rt_sigprocmask",
    "sched_yield",
    "seccomp",
    "select",
    "semctl",
    "semget",
    "semop",
    "sendfile",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "setdomainname",
    "setfsgid",
    "setfsuid",
    "setgid",
    "setgroups",
    "sethostname",
    "setns",
    "setpgid",
    "setregid",
    "setresgid",
    "setresuid",
    "setreuid",
    "setrlimit",
    "setsid",
    "setsockopt",
    "settimeofday",
    "setuid",
    "shutdown",
    "sigaltstack",
    "signaldeliver",
    "signalfd",
    "signalfd4",
    "socket",
    "socketpair",
    "splice",
    "stat",
    "statfs",
    "swapoff",
    "swapon",
    "switch",
    "symlink",
    "symlinkat",
    "sync",
    "syncfs",
    "sysinfo",
    "syslog",
    "tee",
    "tgkill",
    "timerfd_create",
    "times",
    "tkill",
    "truncate",
    "umount",
    "umount2",
    "uname",
    "unlink",
    "unlinkat",
    "unshare",
    "userfaultfd",
    "utime",
    "utimensat",
    "utimes",
    "vfork",
    "vmsplice",
    "wait4",
    "waitid",
    "write",
    "writev",
];

/// The id of an event type name (one hash lookup).
pub fn id_of(name: &str) -> Option<u16> {
    static INDEX: std::sync::OnceLock<crate::filter::FxMap<&'static str, u16>> =
        std::sync::OnceLock::new();
    INDEX
        .get_or_init(|| {
            EVENT_TYPES
                .iter()
                .enumerate()
                .filter_map(|(i, n)| u16::try_from(i).ok().map(|i| (*n, i)))
                .collect()
        })
        .get(name)
        .copied()
}

/// A set of event types: types of the table, and whether types outside it (an event type
/// a replay file or a newer source names) belong too, as they do for `evt.type != X`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeSet {
    bits: Vec<u64>,
    other: bool,
}

impl TypeSet {
    fn words() -> usize {
        EVENT_TYPES.len().div_ceil(64)
    }
    /// No types.
    pub fn none() -> TypeSet {
        TypeSet {
            bits: vec![0; Self::words()],
            other: false,
        }
    }
    /// Every type.
    pub fn all() -> TypeSet {
        let mut s = Self::none();
        for i in 0..EVENT_TYPES.len() {
            s.insert(i);
        }
        s.other = true;
        s
    }
    /// Whether event types outside the table belong to the set.
    pub fn has_other(&self) -> bool {
        self.other
    }
    /// Adds a type.
    pub fn insert(&mut self, i: usize) {
        if let Some(w) = self.bits.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }
    /// Membership.
    pub fn contains(&self, i: usize) -> bool {
        self.bits
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
    /// Set union.
    pub fn union(&mut self, o: &TypeSet) {
        for (a, b) in self.bits.iter_mut().zip(&o.bits) {
            *a |= b;
        }
        self.other |= o.other;
    }
    /// Set intersection.
    pub fn intersect(&mut self, o: &TypeSet) {
        for (a, b) in self.bits.iter_mut().zip(&o.bits) {
            *a &= b;
        }
        self.other &= o.other;
    }
    /// Complement.
    pub fn complement(&self) -> TypeSet {
        let mut s = TypeSet::all();
        for (a, b) in s.bits.iter_mut().zip(&self.bits) {
            *a &= !b;
        }
        s.other = !self.other;
        s
    }
    /// Number of types in the set.
    pub fn len(&self) -> usize {
        self.bits.iter().map(|w| w.count_ones() as usize).sum()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// True for the set of every type.
    pub fn is_all(&self) -> bool {
        *self == TypeSet::all()
    }
    /// The names in the set, in table order.
    pub fn names(&self) -> Vec<&'static str> {
        EVENT_TYPES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.contains(*i))
            .map(|(_, n)| *n)
            .collect()
    }
}
