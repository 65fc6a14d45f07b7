//! strata's runtime event model: one shape for every event source (eBPF, proc connector,
//! fanotify, replay files). Serialized as one JSON object per line (see `docs/events-jsonl.md`).

use serde::{Deserialize, Serialize};

/// One runtime event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Sequence number (`evt.num`). Sources must number events from 1: Falco's rules use
    /// `evt.num=0` as "never true". Replay uses the line number when it is 0 or absent.
    #[serde(default)]
    pub num: u64,
    /// Nanoseconds since the Unix epoch.
    pub ts: u64,
    /// Event type, named like the syscall (`execve`, `openat`, `connect`, `setuid`, ...).
    #[serde(rename = "type")]
    pub evt_type: String,
    /// Syscall return value (`evt.rawres`): >= 0 success, < 0 a negated errno.
    #[serde(default)]
    pub res: i64,
    /// Event arguments by Falco name (`flags`, `path`, `uid`, ...), already rendered as text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<EventArg>,
    /// Event direction is always exit (`<`) for strata's sources; kept for `evt.dir`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
    /// Host name of the machine that produced the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// The process (thread) that made the syscall.
    #[serde(default)]
    pub proc: Process,
    /// The user the process runs as.
    #[serde(default)]
    pub user: User,
    /// The group the process runs as.
    #[serde(default)]
    pub group: Group,
    /// The file descriptor involved, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fd: Option<Fd>,
    /// The container, if the process runs in one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<Container>,
    /// Kubernetes metadata, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k8s: Option<K8s>,
    /// A Kubernetes audit event (`type: k8s_audit`), as the API server sends it. Events with
    /// this set are offered to `source: k8s_audit` rules only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<serde_json::Value>,
}

/// One named event argument.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventArg {
    /// Falco's argument name (`flags`, `path`, `fd`, ...).
    pub name: String,
    /// The rendered value.
    pub value: String,
}

/// A process and its ancestry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Process {
    /// Process id (host namespace).
    pub pid: i64,
    /// Thread id.
    pub tid: i64,
    /// Parent process id.
    pub ppid: i64,
    /// Process id inside its pid namespace.
    pub vpid: i64,
    /// Session id.
    pub sid: i64,
    /// Process group id in its namespace.
    pub vpgid: i64,
    /// `comm`: the name of the executable (up to 16 chars in the kernel).
    pub name: String,
    /// argv[0].
    pub exe: String,
    /// Full path of the executable.
    pub exepath: String,
    /// Arguments, without argv[0].
    pub args: Vec<String>,
    /// Current working directory.
    pub cwd: String,
    /// Controlling terminal (0 = none).
    pub tty: i64,
    /// Environment as `KEY=VALUE` strings.
    pub env: Vec<String>,
    /// Start time, nanoseconds since the epoch.
    pub start_ts: u64,
    /// Name of the session leader.
    pub sname: String,
    /// Name of the process-group leader.
    pub vpgid_name: String,
    /// Executable of the process-group leader.
    pub vpgid_exe: String,
    /// Whether this process is the process-group leader.
    pub is_vpgid_leader: bool,
    /// The executable lives in an overlayfs upper layer (written after the container started).
    pub is_exe_upper_layer: bool,
    /// The executable was run from a memfd.
    pub is_exe_from_memfd: bool,
    /// The process runs the container's health check (it or an ancestor was started by
    /// the runtime with the check's command line).
    pub is_container_healthcheck: bool,
    /// Executable inode change time, nanoseconds since the epoch.
    pub exe_ino_ctime: u64,
    /// Executable inode modification time, nanoseconds since the epoch.
    pub exe_ino_mtime: u64,
    /// Permitted capabilities (`CAP_SYS_ADMIN CAP_NET_RAW ...`).
    pub cap_permitted: String,
    /// Effective capabilities.
    pub cap_effective: String,
    /// Inheritable capabilities.
    pub cap_inheritable: String,
    /// Ancestors, nearest first: `ancestors[0]` is the parent.
    pub ancestors: Vec<Ancestor>,
}

/// One ancestor of a process.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ancestor {
    /// Process id.
    pub pid: i64,
    /// `comm` name.
    pub name: String,
    /// argv[0].
    pub exe: String,
    /// Full path of the executable.
    pub exepath: String,
    /// Arguments, without argv[0].
    pub args: Vec<String>,
    /// Start time, nanoseconds since the epoch.
    pub start_ts: u64,
}

/// The user a process runs as.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct User {
    /// Effective uid.
    pub uid: i64,
    /// User name.
    pub name: String,
    /// Audit login uid (-1 when unset).
    pub loginuid: i64,
    /// Audit login user name.
    pub loginname: String,
    /// Home directory.
    pub homedir: String,
    /// Login shell.
    pub shell: String,
}

/// The group a process runs as.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Group {
    /// Effective gid.
    pub gid: i64,
    /// Group name.
    pub name: String,
}

/// A file descriptor: a file, a directory, or a socket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Fd {
    /// Descriptor number (-1 when the call failed).
    pub num: i64,
    /// Kind: `file`, `directory`, `ipv4`, `ipv6`, `unix`, `pipe`, `event`, `signalfd`,
    /// `eventpoll`, `inotify`, `timerfd`, `netlink`, `bpf`, `userfaultfd`, `io_uring`, `memfd`.
    #[serde(rename = "type")]
    pub fd_type: String,
    /// Full name: the path for files; `cip:cport->sip:sport` for sockets.
    pub name: String,
    /// Name as passed to the syscall, before normalisation.
    pub nameraw: String,
    /// Layer-4 protocol for sockets: `tcp`, `udp`, `icmp`, `raw`.
    pub l4proto: String,
    /// Client IP address.
    pub cip: Option<String>,
    /// Server IP address.
    pub sip: Option<String>,
    /// Client port.
    pub cport: Option<i64>,
    /// Server port.
    pub sport: Option<i64>,
    /// Whether the socket is connected.
    pub connected: bool,
    /// Whether the local side is the server (`fd.lip` = `fd.sip`).
    pub is_server: bool,
    /// Device number.
    pub dev: i64,
    /// Inode number.
    pub ino: i64,
    /// Whether the name changed (for example by a rename of an open file).
    pub name_changed: bool,
    /// Server DNS name if known.
    pub sip_name: Option<String>,
    /// Client DNS name if known.
    pub cip_name: Option<String>,
}

/// The container a process runs in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Container {
    /// Short (12 character) container id; `host` for the host.
    pub id: String,
    /// Full container id.
    pub full_id: String,
    /// Container name.
    pub name: String,
    /// Image reference as given (`docker.io/library/nginx:1.25`).
    pub image: String,
    /// Image repository (`docker.io/library/nginx`).
    pub image_repository: String,
    /// Image tag.
    pub image_tag: String,
    /// Image digest (`sha256:...`).
    pub image_digest: String,
    /// Image id.
    pub image_id: String,
    /// Runtime: `docker`, `containerd`, `cri-o`, `podman`.
    #[serde(rename = "type")]
    pub runtime: String,
    /// Privileged container.
    pub privileged: bool,
    /// Labels.
    pub labels: Vec<Label>,
    /// Mounts.
    pub mounts: Vec<Mount>,
    /// Start time, nanoseconds since the epoch.
    pub start_ts: u64,
    /// The container's health check as the runtime runs it (`/bin/sh -c curl -f ...`),
    /// `NONE` when the image's check is disabled; empty when it has none.
    pub healthcheck: String,
    /// Host network, pid and IPC namespaces shared with the container.
    pub host_network: bool,
    pub host_pid: bool,
    pub host_ipc: bool,
    /// The container's IP address (its first network's), empty when it has none of its own.
    pub ip: String,
    /// Capabilities added to and dropped from the runtime's default set (`SYS_ADMIN`,
    /// `ALL`), as the runtime reports them.
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
}

/// A key-value label.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// A container mount.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Mount {
    /// Host path.
    pub source: String,
    /// Path inside the container.
    pub dest: String,
    /// Mode string (`rw`, `ro`, ...).
    pub mode: String,
    /// Read-write.
    pub rdwr: bool,
    /// Propagation (`rprivate`, ...).
    pub propagation: String,
}

/// Kubernetes metadata for the container's pod.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct K8s {
    /// Namespace.
    pub ns_name: String,
    /// Pod name.
    pub pod_name: String,
    /// Pod uid.
    pub pod_uid: String,
    /// Pod labels.
    pub pod_labels: Vec<Label>,
}

impl Event {
    /// The value of a named argument.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }
}
