//! The table of fields that rule conditions and outputs may use, with their types.
//!
//! Names, types and argument forms follow Falco's; `docs/fields.md` is generated from
//! [`fields_markdown`].

/// The value type of a field, as Falco names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Text (Falco `CHARBUF`).
    String,
    /// Signed 64-bit integer.
    Int64,
    /// Unsigned 64-bit integer.
    Uint64,
    /// A TCP/UDP port (Falco `PORT`).
    Port,
    /// Boolean.
    Bool,
    /// An IPv4 or IPv6 address (Falco `IPADDR`).
    IpAddr,
    /// A network containing an address (Falco `IPNET`).
    IpNet,
    /// Absolute time, nanoseconds since the epoch (Falco `ABSTIME`).
    AbsTime,
    /// Relative time in nanoseconds (Falco `RELTIME`).
    RelTime,
    /// A list of strings (Falco list fields).
    StringList,
}

impl FieldType {
    /// Falco's name for the type.
    pub fn falco_name(self) -> &'static str {
        match self {
            FieldType::String => "CHARBUF",
            FieldType::Int64 => "INT64",
            FieldType::Uint64 => "UINT64",
            FieldType::Port => "PORT",
            FieldType::Bool => "BOOL",
            FieldType::IpAddr => "IPADDR",
            FieldType::IpNet => "IPNET",
            FieldType::AbsTime => "ABSTIME",
            FieldType::RelTime => "RELTIME",
            FieldType::StringList => "LIST(CHARBUF)",
        }
    }
    /// Numeric types compare as numbers.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            FieldType::Int64
                | FieldType::Uint64
                | FieldType::Port
                | FieldType::AbsTime
                | FieldType::RelTime
        )
    }
}

/// Which argument a field takes (`proc.aname[2]`, `evt.arg.flags`, `container.label[app]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgSpec {
    /// No argument.
    None,
    /// An optional numeric index.
    OptIndex,
    /// An optional key.
    OptKey,
    /// A required key or numeric index.
    Required,
}

/// The event source a field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// System calls (`source: syscall`, the default).
    Syscall,
    /// Kubernetes audit logs (`source: k8s_audit`), read from [`crate::Event::audit`].
    K8sAudit,
}

impl Source {
    /// Falco's name for the source.
    pub fn name(self) -> &'static str {
        match self {
            Source::Syscall => "syscall",
            Source::K8sAudit => "k8s_audit",
        }
    }
    /// Parses a rule's `source` value.
    pub fn from_name(s: &str) -> Option<Source> {
        match s {
            "syscall" => Some(Source::Syscall),
            "k8s_audit" => Some(Source::K8sAudit),
            _ => None,
        }
    }
}

/// Identifies a field's extractor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum FieldId {
    EvtNum,
    EvtTime,
    EvtTimeS,
    EvtTimeIso8601,
    EvtDatetime,
    EvtDatetimeS,
    EvtRawtime,
    EvtRawtimeS,
    EvtRawtimeNs,
    EvtType,
    EvtDir,
    EvtRes,
    EvtRawres,
    EvtFailed,
    EvtArgs,
    EvtArg,
    EvtRawarg,
    EvtIsOpenRead,
    EvtIsOpenWrite,
    EvtIsOpenExec,
    EvtIsOpenCreate,
    EvtBuffer,
    EvtBuflen,
    EvtHostname,
    EvtSource,
    EvtLatency,
    ProcPid,
    ProcTid,
    ProcPpid,
    ProcVpid,
    ProcSid,
    ProcVpgid,
    ProcName,
    ProcExe,
    ProcExepath,
    ProcArgs,
    ProcCmdline,
    ProcCmdnargs,
    ProcCmdlenargs,
    ProcPname,
    ProcPexe,
    ProcPexepath,
    ProcPcmdline,
    ProcAname,
    ProcAexe,
    ProcAexepath,
    ProcApid,
    ProcAcmdline,
    ProcCwd,
    ProcTty,
    ProcEnv,
    ProcSname,
    ProcVpgidName,
    ProcVpgidExe,
    ProcIsVpgidLeader,
    ProcIsExeUpperLayer,
    ProcIsContainerHealthcheck,
    ProcIsExeFromMemfd,
    ProcExeInoCtime,
    ProcExeInoMtime,
    ProcExeInoCtimeDurationProcStart,
    ProcDuration,
    ProcPpidDuration,
    ProcStartTs,
    ThreadTid,
    ThreadCapPermitted,
    ThreadCapEffective,
    ThreadCapInheritable,
    UserUid,
    UserName,
    UserLoginuid,
    UserLoginname,
    UserHomedir,
    UserShell,
    GroupGid,
    GroupName,
    FdNum,
    FdType,
    FdTypechar,
    FdName,
    FdNameraw,
    FdDirectory,
    FdFilename,
    FdIp,
    FdCip,
    FdSip,
    FdLip,
    FdRip,
    FdPort,
    FdCport,
    FdSport,
    FdLport,
    FdRport,
    FdL4proto,
    FdSockfamily,
    FdNet,
    FdCnet,
    FdSnet,
    FdLnet,
    FdRnet,
    FdConnected,
    FdNameChanged,
    FdCipName,
    FdSipName,
    FdLipName,
    FdRipName,
    FdDev,
    FdIno,
    FdIsServer,
    FsPathName,
    FsPathNameraw,
    FsPathSource,
    FsPathTarget,
    ContainerId,
    ContainerFullId,
    ContainerName,
    ContainerImage,
    ContainerImageId,
    ContainerImageRepository,
    ContainerImageTag,
    ContainerImageDigest,
    ContainerType,
    ContainerPrivileged,
    ContainerMounts,
    ContainerMount,
    ContainerMountSource,
    ContainerMountDest,
    ContainerMountMode,
    ContainerMountRdwr,
    ContainerMountPropagation,
    ContainerStartTs,
    ContainerDuration,
    ContainerHealthcheck,
    ContainerHostNetwork,
    ContainerHostPid,
    ContainerHostIpc,
    ContainerIp,
    ContainerCapAdd,
    ContainerCapDrop,
    ContainerLabel,
    ContainerLabels,
    K8sNsName,
    K8sPodName,
    K8sPodUid,
    K8sPodLabel,
    K8sPodLabels,
    /// A field Falco defines for which strata's event model has no data: always missing.
    Unavailable,
    /// A k8s_audit field (type-checked only).
    K8sAudit,
}

/// One field of the table.
#[derive(Debug, Clone, Copy)]
pub struct FieldInfo {
    /// Full name (`proc.aname`).
    pub name: &'static str,
    /// Value type.
    pub ty: FieldType,
    /// Argument form.
    pub arg: ArgSpec,
    /// Source.
    pub source: Source,
    /// Extractor.
    pub id: FieldId,
    /// One-line description.
    pub desc: &'static str,
}

use ArgSpec as A;
use FieldId as F;
use FieldType as T;

const fn s(
    name: &'static str,
    ty: FieldType,
    arg: ArgSpec,
    id: FieldId,
    desc: &'static str,
) -> FieldInfo {
    FieldInfo {
        name,
        ty,
        arg,
        source: Source::Syscall,
        id,
        desc,
    }
}

const fn k(name: &'static str, ty: FieldType, desc: &'static str) -> FieldInfo {
    FieldInfo {
        name,
        ty,
        arg: ArgSpec::OptKey,
        source: Source::K8sAudit,
        id: FieldId::K8sAudit,
        desc,
    }
}

/// Every field strata knows.
pub static FIELDS: &[FieldInfo] = &[
    s(
        "evt.num",
        T::Uint64,
        A::None,
        F::EvtNum,
        "event sequence number (line number in a replay file)",
    ),
    s(
        "evt.time",
        T::String,
        A::None,
        F::EvtTime,
        "event time as HH:MM:SS.nnnnnnnnn (UTC)",
    ),
    s(
        "evt.time.s",
        T::String,
        A::None,
        F::EvtTimeS,
        "event time as HH:MM:SS (UTC)",
    ),
    s(
        "evt.time.iso8601",
        T::String,
        A::None,
        F::EvtTimeIso8601,
        "event time in ISO 8601 with nanoseconds",
    ),
    s(
        "evt.datetime",
        T::String,
        A::None,
        F::EvtDatetime,
        "event date and time, YYYY-MM-DD HH:MM:SS.nnnnnnnnn",
    ),
    s(
        "evt.datetime.s",
        T::String,
        A::None,
        F::EvtDatetimeS,
        "event date and time, YYYY-MM-DD HH:MM:SS",
    ),
    s(
        "evt.rawtime",
        T::AbsTime,
        A::None,
        F::EvtRawtime,
        "event time in nanoseconds since the epoch",
    ),
    s(
        "evt.rawtime.s",
        T::AbsTime,
        A::None,
        F::EvtRawtimeS,
        "integer seconds part of the event time",
    ),
    s(
        "evt.rawtime.ns",
        T::AbsTime,
        A::None,
        F::EvtRawtimeNs,
        "nanoseconds part of the event time",
    ),
    s(
        "evt.type",
        T::String,
        A::None,
        F::EvtType,
        "event type, named like the syscall",
    ),
    s(
        "evt.dir",
        T::String,
        A::None,
        F::EvtDir,
        "event direction: always `<` (exit) in strata",
    ),
    s(
        "evt.res",
        T::String,
        A::None,
        F::EvtRes,
        "result: SUCCESS or the errno name (ENOENT, ...)",
    ),
    s(
        "evt.rawres",
        T::Int64,
        A::None,
        F::EvtRawres,
        "raw return value",
    ),
    s(
        "evt.failed",
        T::Bool,
        A::None,
        F::EvtFailed,
        "true when the call returned an error",
    ),
    s(
        "evt.args",
        T::String,
        A::None,
        F::EvtArgs,
        "all arguments as `name=value` pairs",
    ),
    s(
        "evt.arg",
        T::String,
        A::Required,
        F::EvtArg,
        "one argument by name (`evt.arg.flags`, `evt.arg[flags]`) or index (`evt.arg[0]`)",
    ),
    s(
        "evt.rawarg",
        T::String,
        A::Required,
        F::EvtRawarg,
        "one argument by name, raw",
    ),
    s(
        "evt.is_open_read",
        T::Bool,
        A::None,
        F::EvtIsOpenRead,
        "open call with read access (O_RDONLY or O_RDWR)",
    ),
    s(
        "evt.is_open_write",
        T::Bool,
        A::None,
        F::EvtIsOpenWrite,
        "open call with write access (O_WRONLY or O_RDWR)",
    ),
    s(
        "evt.is_open_exec",
        T::Bool,
        A::None,
        F::EvtIsOpenExec,
        "open call that creates an executable file (mode has an x bit)",
    ),
    s(
        "evt.is_open_create",
        T::Bool,
        A::None,
        F::EvtIsOpenCreate,
        "open call with O_CREAT",
    ),
    s(
        "evt.buffer",
        T::String,
        A::None,
        F::EvtBuffer,
        "I/O buffer (argument `data`)",
    ),
    s(
        "evt.buflen",
        T::Uint64,
        A::None,
        F::EvtBuflen,
        "length of the I/O buffer",
    ),
    s(
        "evt.hostname",
        T::String,
        A::None,
        F::EvtHostname,
        "host name",
    ),
    s(
        "evt.source",
        T::String,
        A::None,
        F::EvtSource,
        "event source name (`syscall`)",
    ),
    s(
        "evt.latency",
        T::RelTime,
        A::None,
        F::Unavailable,
        "syscall latency (not available)",
    ),
    s(
        "evt.cpu",
        T::Int64,
        A::None,
        F::Unavailable,
        "CPU number (not available)",
    ),
    s(
        "evt.category",
        T::String,
        A::None,
        F::Unavailable,
        "event category (not available)",
    ),
    s(
        "evt.count",
        T::Uint64,
        A::None,
        F::Unavailable,
        "event counter (not available)",
    ),
    s(
        "evt.info",
        T::String,
        A::None,
        F::EvtArgs,
        "event arguments as text",
    ),
    s(
        "syscall.type",
        T::String,
        A::None,
        F::EvtType,
        "syscall name",
    ),
    s("proc.pid", T::Int64, A::None, F::ProcPid, "process id"),
    s("proc.tid", T::Int64, A::None, F::ProcTid, "thread id"),
    s(
        "proc.ppid",
        T::Int64,
        A::None,
        F::ProcPpid,
        "parent process id",
    ),
    s(
        "proc.vpid",
        T::Int64,
        A::None,
        F::ProcVpid,
        "process id in its pid namespace",
    ),
    s("proc.sid", T::Int64, A::None, F::ProcSid, "session id"),
    s(
        "proc.vpgid",
        T::Int64,
        A::None,
        F::ProcVpgid,
        "process group id in its namespace",
    ),
    s(
        "proc.name",
        T::String,
        A::None,
        F::ProcName,
        "process name (comm)",
    ),
    s("proc.exe", T::String, A::None, F::ProcExe, "argv[0]"),
    s(
        "proc.exepath",
        T::String,
        A::None,
        F::ProcExepath,
        "full path of the executable",
    ),
    s(
        "proc.args",
        T::String,
        A::None,
        F::ProcArgs,
        "arguments joined by spaces",
    ),
    s(
        "proc.cmdline",
        T::String,
        A::None,
        F::ProcCmdline,
        "name and arguments",
    ),
    s(
        "proc.cmdnargs",
        T::Uint64,
        A::None,
        F::ProcCmdnargs,
        "number of arguments",
    ),
    s(
        "proc.cmdlenargs",
        T::Uint64,
        A::None,
        F::ProcCmdlenargs,
        "total length of the arguments",
    ),
    s(
        "proc.pname",
        T::String,
        A::None,
        F::ProcPname,
        "parent name",
    ),
    s(
        "proc.pexe",
        T::String,
        A::None,
        F::ProcPexe,
        "parent argv[0]",
    ),
    s(
        "proc.pexepath",
        T::String,
        A::None,
        F::ProcPexepath,
        "parent executable path",
    ),
    s(
        "proc.pcmdline",
        T::String,
        A::None,
        F::ProcPcmdline,
        "parent command line",
    ),
    s(
        "proc.aname",
        T::String,
        A::OptIndex,
        F::ProcAname,
        "ancestor name: [1] is the parent; without index, any ancestor",
    ),
    s(
        "proc.aexe",
        T::String,
        A::OptIndex,
        F::ProcAexe,
        "ancestor argv[0]: [1] is the parent; without index, any ancestor",
    ),
    s(
        "proc.aexepath",
        T::String,
        A::OptIndex,
        F::ProcAexepath,
        "ancestor executable path; without index, any ancestor",
    ),
    s(
        "proc.apid",
        T::Int64,
        A::OptIndex,
        F::ProcApid,
        "ancestor pid; without index, any ancestor",
    ),
    s(
        "proc.acmdline",
        T::String,
        A::OptIndex,
        F::ProcAcmdline,
        "ancestor command line; without index, any ancestor",
    ),
    s(
        "proc.cwd",
        T::String,
        A::None,
        F::ProcCwd,
        "current working directory",
    ),
    s(
        "proc.tty",
        T::Int64,
        A::None,
        F::ProcTty,
        "controlling terminal (0 = none)",
    ),
    s(
        "proc.env",
        T::String,
        A::OptKey,
        F::ProcEnv,
        "environment; `proc.env[NAME]` is one variable",
    ),
    s(
        "proc.sname",
        T::String,
        A::None,
        F::ProcSname,
        "session leader name",
    ),
    s(
        "proc.vpgid.name",
        T::String,
        A::None,
        F::ProcVpgidName,
        "process group leader name",
    ),
    s(
        "proc.vpgid.exe",
        T::String,
        A::None,
        F::ProcVpgidExe,
        "process group leader argv[0]",
    ),
    s(
        "proc.is_vpgid_leader",
        T::Bool,
        A::None,
        F::ProcIsVpgidLeader,
        "process is its group's leader",
    ),
    s(
        "proc.is_exe_upper_layer",
        T::Bool,
        A::None,
        F::ProcIsExeUpperLayer,
        "executable is in the overlayfs upper layer",
    ),
    s(
        "proc.is_exe_from_memfd",
        T::Bool,
        A::None,
        F::ProcIsExeFromMemfd,
        "executable comes from a memfd",
    ),
    s(
        "proc.exe_ino.ctime",
        T::AbsTime,
        A::None,
        F::ProcExeInoCtime,
        "executable inode change time",
    ),
    s(
        "proc.exe_ino.mtime",
        T::AbsTime,
        A::None,
        F::ProcExeInoMtime,
        "executable inode modification time",
    ),
    s(
        "proc.exe_ino.ctime_duration_proc_start",
        T::RelTime,
        A::None,
        F::ProcExeInoCtimeDurationProcStart,
        "process start time minus executable ctime",
    ),
    s(
        "proc.duration",
        T::RelTime,
        A::None,
        F::ProcDuration,
        "nanoseconds since the process started",
    ),
    s(
        "proc.ppid.duration",
        T::RelTime,
        A::None,
        F::ProcPpidDuration,
        "nanoseconds since the parent started",
    ),
    s(
        "proc.start_ts",
        T::AbsTime,
        A::None,
        F::ProcStartTs,
        "process start time",
    ),
    s(
        "proc.is_container_healthcheck",
        T::Bool,
        A::None,
        F::ProcIsContainerHealthcheck,
        "the process runs the container's health check (it or an ancestor was started by the runtime with the check's command)",
    ),
    s(
        "proc.is_container_liveness_probe",
        T::Bool,
        A::None,
        F::Unavailable,
        "(not available)",
    ),
    s(
        "proc.is_container_readiness_probe",
        T::Bool,
        A::None,
        F::Unavailable,
        "(not available)",
    ),
    s(
        "proc.loginshellid",
        T::Int64,
        A::None,
        F::Unavailable,
        "(not available)",
    ),
    s(
        "proc.nthreads",
        T::Uint64,
        A::None,
        F::Unavailable,
        "(not available)",
    ),
    s(
        "proc.nchilds",
        T::Uint64,
        A::None,
        F::Unavailable,
        "(not available)",
    ),
    s(
        "proc.pid.ts",
        T::AbsTime,
        A::None,
        F::ProcStartTs,
        "process start time",
    ),
    s("thread.tid", T::Int64, A::None, F::ThreadTid, "thread id"),
    s(
        "thread.cap_permitted",
        T::String,
        A::None,
        F::ThreadCapPermitted,
        "permitted capabilities",
    ),
    s(
        "thread.cap_effective",
        T::String,
        A::None,
        F::ThreadCapEffective,
        "effective capabilities",
    ),
    s(
        "thread.cap_inheritable",
        T::String,
        A::None,
        F::ThreadCapInheritable,
        "inheritable capabilities",
    ),
    s("user.uid", T::Int64, A::None, F::UserUid, "user id"),
    s("user.name", T::String, A::None, F::UserName, "user name"),
    s(
        "user.loginuid",
        T::Int64,
        A::None,
        F::UserLoginuid,
        "audit login uid (-1 if unset)",
    ),
    s(
        "user.loginname",
        T::String,
        A::None,
        F::UserLoginname,
        "audit login user name",
    ),
    s(
        "user.homedir",
        T::String,
        A::None,
        F::UserHomedir,
        "home directory",
    ),
    s(
        "user.shell",
        T::String,
        A::None,
        F::UserShell,
        "login shell",
    ),
    s("group.gid", T::Int64, A::None, F::GroupGid, "group id"),
    s("group.name", T::String, A::None, F::GroupName, "group name"),
    s(
        "fd.num",
        T::Int64,
        A::None,
        F::FdNum,
        "file descriptor number",
    ),
    s(
        "fd.type",
        T::String,
        A::None,
        F::FdType,
        "descriptor type (file, directory, ipv4, ipv6, unix, ...)",
    ),
    s(
        "fd.typechar",
        T::String,
        A::None,
        F::FdTypechar,
        "descriptor type as one character (f, 4, 6, u, p, ...)",
    ),
    s(
        "fd.name",
        T::String,
        A::None,
        F::FdName,
        "full name: path or connection tuple",
    ),
    s(
        "fd.nameraw",
        T::String,
        A::None,
        F::FdNameraw,
        "name as passed to the syscall",
    ),
    s(
        "fd.directory",
        T::String,
        A::None,
        F::FdDirectory,
        "directory part of the path",
    ),
    s(
        "fd.filename",
        T::String,
        A::None,
        F::FdFilename,
        "file name part of the path",
    ),
    s(
        "fd.ip",
        T::IpAddr,
        A::None,
        F::FdIp,
        "client or server address (matches either)",
    ),
    s("fd.cip", T::IpAddr, A::None, F::FdCip, "client address"),
    s("fd.sip", T::IpAddr, A::None, F::FdSip, "server address"),
    s("fd.lip", T::IpAddr, A::None, F::FdLip, "local address"),
    s("fd.rip", T::IpAddr, A::None, F::FdRip, "remote address"),
    s(
        "fd.port",
        T::Port,
        A::None,
        F::FdPort,
        "client or server port (matches either)",
    ),
    s("fd.cport", T::Port, A::None, F::FdCport, "client port"),
    s("fd.sport", T::Port, A::None, F::FdSport, "server port"),
    s("fd.lport", T::Port, A::None, F::FdLport, "local port"),
    s("fd.rport", T::Port, A::None, F::FdRport, "remote port"),
    s(
        "fd.l4proto",
        T::String,
        A::None,
        F::FdL4proto,
        "layer-4 protocol (tcp, udp, icmp, raw)",
    ),
    s(
        "fd.sockfamily",
        T::String,
        A::None,
        F::FdSockfamily,
        "socket family (ip, unix)",
    ),
    s(
        "fd.net",
        T::IpNet,
        A::None,
        F::FdNet,
        "client or server address, compared with a network",
    ),
    s(
        "fd.cnet",
        T::IpNet,
        A::None,
        F::FdCnet,
        "client address, compared with a network",
    ),
    s(
        "fd.snet",
        T::IpNet,
        A::None,
        F::FdSnet,
        "server address, compared with a network",
    ),
    s(
        "fd.lnet",
        T::IpNet,
        A::None,
        F::FdLnet,
        "local address, compared with a network",
    ),
    s(
        "fd.rnet",
        T::IpNet,
        A::None,
        F::FdRnet,
        "remote address, compared with a network",
    ),
    s(
        "fd.connected",
        T::Bool,
        A::None,
        F::FdConnected,
        "socket is connected",
    ),
    s(
        "fd.name_changed",
        T::Bool,
        A::None,
        F::FdNameChanged,
        "the name changed during the event",
    ),
    s(
        "fd.cip.name",
        T::String,
        A::None,
        F::FdCipName,
        "client DNS name",
    ),
    s(
        "fd.sip.name",
        T::String,
        A::None,
        F::FdSipName,
        "server DNS name",
    ),
    s(
        "fd.lip.name",
        T::String,
        A::None,
        F::FdLipName,
        "local DNS name",
    ),
    s(
        "fd.rip.name",
        T::String,
        A::None,
        F::FdRipName,
        "remote DNS name",
    ),
    s("fd.dev", T::Uint64, A::None, F::FdDev, "device number"),
    s("fd.ino", T::Uint64, A::None, F::FdIno, "inode number"),
    s(
        "fd.is_server",
        T::Bool,
        A::None,
        F::FdIsServer,
        "the local side is the server",
    ),
    s(
        "fd.uid",
        T::String,
        A::None,
        F::Unavailable,
        "(not available)",
    ),
    s(
        "fs.path.name",
        T::String,
        A::None,
        F::FsPathName,
        "path argument of a filesystem call",
    ),
    s(
        "fs.path.nameraw",
        T::String,
        A::None,
        F::FsPathNameraw,
        "path argument, raw",
    ),
    s(
        "fs.path.source",
        T::String,
        A::None,
        F::FsPathSource,
        "source path of rename/link calls",
    ),
    s(
        "fs.path.target",
        T::String,
        A::None,
        F::FsPathTarget,
        "target path of rename/link calls",
    ),
    s(
        "container.id",
        T::String,
        A::None,
        F::ContainerId,
        "container id (12 chars), `host` outside containers",
    ),
    s(
        "container.full_id",
        T::String,
        A::None,
        F::ContainerFullId,
        "full container id",
    ),
    s(
        "container.name",
        T::String,
        A::None,
        F::ContainerName,
        "container name, `host` outside containers",
    ),
    s(
        "container.image",
        T::String,
        A::None,
        F::ContainerImage,
        "image reference",
    ),
    s(
        "container.image.id",
        T::String,
        A::None,
        F::ContainerImageId,
        "image id",
    ),
    s(
        "container.image.repository",
        T::String,
        A::None,
        F::ContainerImageRepository,
        "image repository",
    ),
    s(
        "container.image.tag",
        T::String,
        A::None,
        F::ContainerImageTag,
        "image tag",
    ),
    s(
        "container.image.digest",
        T::String,
        A::None,
        F::ContainerImageDigest,
        "image digest",
    ),
    s(
        "container.type",
        T::String,
        A::None,
        F::ContainerType,
        "runtime (docker, containerd, cri-o, podman)",
    ),
    s(
        "container.privileged",
        T::Bool,
        A::None,
        F::ContainerPrivileged,
        "privileged container",
    ),
    s(
        "container.mounts",
        T::String,
        A::None,
        F::ContainerMounts,
        "all mounts as `source:dest:mode:rdwr:propagation`, comma separated",
    ),
    s(
        "container.mount",
        T::String,
        A::Required,
        F::ContainerMount,
        "one mount by index or by source (glob)",
    ),
    s(
        "container.mount.source",
        T::String,
        A::Required,
        F::ContainerMountSource,
        "mount source by index or by destination (glob)",
    ),
    s(
        "container.mount.dest",
        T::String,
        A::Required,
        F::ContainerMountDest,
        "mount destination by index or by source (glob)",
    ),
    s(
        "container.mount.mode",
        T::String,
        A::Required,
        F::ContainerMountMode,
        "mount mode by index or by source (glob)",
    ),
    s(
        "container.mount.rdwr",
        T::String,
        A::Required,
        F::ContainerMountRdwr,
        "mount read-write flag by index or by source (glob)",
    ),
    s(
        "container.mount.propagation",
        T::String,
        A::Required,
        F::ContainerMountPropagation,
        "mount propagation by index or by source (glob)",
    ),
    s(
        "container.start_ts",
        T::AbsTime,
        A::None,
        F::ContainerStartTs,
        "container start time",
    ),
    s(
        "container.duration",
        T::RelTime,
        A::None,
        F::ContainerDuration,
        "nanoseconds since the container started",
    ),
    s(
        "container.healthcheck",
        T::String,
        A::None,
        F::ContainerHealthcheck,
        "the health check's command line, `NONE` when disabled",
    ),
    s(
        "container.liveness_probe",
        T::String,
        A::None,
        F::Unavailable,
        "(not available)",
    ),
    s(
        "container.readiness_probe",
        T::String,
        A::None,
        F::Unavailable,
        "(not available)",
    ),
    s(
        "container.ip",
        T::String,
        A::None,
        F::ContainerIp,
        "the container's IP address (its first network's)",
    ),
    s(
        "container.cni.json",
        T::String,
        A::None,
        F::Unavailable,
        "(not available)",
    ),
    s(
        "container.host_pid",
        T::Bool,
        A::None,
        F::ContainerHostPid,
        "the container shares the host's pid namespace",
    ),
    s(
        "container.host_network",
        T::Bool,
        A::None,
        F::ContainerHostNetwork,
        "the container shares the host's network namespace",
    ),
    s(
        "container.host_ipc",
        T::Bool,
        A::None,
        F::ContainerHostIpc,
        "the container shares the host's IPC namespace",
    ),
    s(
        "container.cap_add",
        T::String,
        A::None,
        F::ContainerCapAdd,
        "capabilities added to the runtime's default set, comma separated (strata)",
    ),
    s(
        "container.cap_drop",
        T::String,
        A::None,
        F::ContainerCapDrop,
        "capabilities dropped from the runtime's default set, comma separated (strata)",
    ),
    s(
        "container.label",
        T::String,
        A::Required,
        F::ContainerLabel,
        "one container label by key",
    ),
    s(
        "container.labels",
        T::String,
        A::None,
        F::ContainerLabels,
        "all labels as `key:value`, comma separated",
    ),
    s(
        "k8s.ns.name",
        T::String,
        A::None,
        F::K8sNsName,
        "Kubernetes namespace",
    ),
    s(
        "k8s.pod.name",
        T::String,
        A::None,
        F::K8sPodName,
        "pod name",
    ),
    s("k8s.pod.uid", T::String, A::None, F::K8sPodUid, "pod uid"),
    s(
        "k8s.pod.id",
        T::String,
        A::None,
        F::K8sPodUid,
        "pod uid (legacy name)",
    ),
    s(
        "k8s.pod.label",
        T::String,
        A::Required,
        F::K8sPodLabel,
        "one pod label by key",
    ),
    s(
        "k8s.pod.labels",
        T::String,
        A::None,
        F::K8sPodLabels,
        "all pod labels",
    ),
    k("jevt.time", T::String, "audit event time"),
    k("jevt.time.iso8601", T::String, "audit event time, ISO 8601"),
    k(
        "jevt.rawtime",
        T::AbsTime,
        "audit event time in nanoseconds",
    ),
    k(
        "jevt.value",
        T::String,
        "value at a JSON pointer (`jevt.value[/user/username]`)",
    ),
    k("jevt.obj", T::String, "the whole audit event as JSON"),
    k("json.value", T::String, "value at a JSON pointer"),
    k("json.obj", T::String, "the whole event as JSON"),
    k("ka.auditid", T::String, "audit id"),
    k("ka.stage", T::String, "audit stage"),
    k("ka.auth.decision", T::String, "authorization decision"),
    k("ka.auth.reason", T::String, "authorization reason"),
    k("ka.user.name", T::String, "user name"),
    k("ka.user.groups", T::StringList, "user groups"),
    k("ka.impuser.name", T::String, "impersonated user"),
    k("ka.verb", T::String, "request verb"),
    k("ka.uri", T::String, "request URI"),
    k("ka.uri.param", T::String, "request URI parameter by name"),
    k("ka.target.name", T::String, "target object name"),
    k("ka.target.namespace", T::String, "target namespace"),
    k("ka.target.resource", T::String, "target resource"),
    k("ka.target.subresource", T::String, "target subresource"),
    k("ka.target.pod.name", T::String, "target pod name"),
    k(
        "ka.req.binding.subjects",
        T::StringList,
        "role binding subjects",
    ),
    k("ka.req.binding.role", T::String, "role binding role"),
    k(
        "ka.req.binding.subject.has_name",
        T::String,
        "a binding subject has this name",
    ),
    k("ka.req.configmap.name", T::String, "configmap name"),
    k("ka.req.configmap.obj", T::String, "configmap object"),
    k(
        "ka.req.pod.containers.image",
        T::StringList,
        "pod container images",
    ),
    k("ka.req.container.image", T::String, "first container image"),
    k(
        "ka.req.pod.containers.image.repository",
        T::StringList,
        "pod container image repositories",
    ),
    k(
        "ka.req.container.image.repository",
        T::String,
        "first container image repository",
    ),
    k("ka.req.pod.host_ipc", T::String, "hostIPC"),
    k("ka.req.pod.host_network", T::String, "hostNetwork"),
    k(
        "ka.req.container.host_network",
        T::String,
        "hostNetwork (legacy)",
    ),
    k("ka.req.pod.host_pid", T::String, "hostPID"),
    k(
        "ka.req.pod.containers.host_port",
        T::StringList,
        "container host ports",
    ),
    k(
        "ka.req.pod.containers.privileged",
        T::StringList,
        "container privileged flags",
    ),
    k(
        "ka.req.container.privileged",
        T::String,
        "first container privileged flag",
    ),
    k(
        "ka.req.pod.containers.allow_privilege_escalation",
        T::StringList,
        "allowPrivilegeEscalation",
    ),
    k(
        "ka.req.pod.containers.read_only_fs",
        T::StringList,
        "readOnlyRootFilesystem",
    ),
    k("ka.req.pod.run_as_user", T::String, "pod runAsUser"),
    k(
        "ka.req.pod.containers.run_as_user",
        T::StringList,
        "container runAsUser",
    ),
    k(
        "ka.req.pod.containers.eff_run_as_user",
        T::StringList,
        "effective runAsUser",
    ),
    k("ka.req.pod.run_as_group", T::String, "pod runAsGroup"),
    k(
        "ka.req.pod.containers.run_as_group",
        T::StringList,
        "container runAsGroup",
    ),
    k(
        "ka.req.pod.containers.eff_run_as_group",
        T::StringList,
        "effective runAsGroup",
    ),
    k(
        "ka.req.pod.containers.proc_mount",
        T::StringList,
        "procMount",
    ),
    k("ka.req.role.rules", T::StringList, "role rules"),
    k(
        "ka.req.role.rules.apiGroups",
        T::StringList,
        "role rule apiGroups",
    ),
    k(
        "ka.req.role.rules.nonResourceURLs",
        T::StringList,
        "role rule nonResourceURLs",
    ),
    k("ka.req.role.rules.verbs", T::StringList, "role rule verbs"),
    k(
        "ka.req.role.rules.resources",
        T::StringList,
        "role rule resources",
    ),
    k("ka.req.pod.fs_group", T::String, "fsGroup"),
    k(
        "ka.req.pod.supplemental_groups",
        T::StringList,
        "supplementalGroups",
    ),
    k(
        "ka.req.pod.containers.add_capabilities",
        T::StringList,
        "added capabilities",
    ),
    k("ka.req.service.type", T::String, "service type"),
    k("ka.req.service.ports", T::StringList, "service ports"),
    k(
        "ka.req.pod.volumes.hostpath",
        T::StringList,
        "hostPath volumes",
    ),
    k(
        "ka.req.volume.hostpath",
        T::String,
        "hostPath volume (legacy)",
    ),
    k(
        "ka.req.pod.volumes.flexvolume_driver",
        T::StringList,
        "flexVolume drivers",
    ),
    k(
        "ka.req.pod.volumes.volume_type",
        T::StringList,
        "volume types",
    ),
    k(
        "ka.req.pod.initContainers.image",
        T::StringList,
        "init container images",
    ),
    k(
        "ka.req.pod.initContainers.privileged",
        T::StringList,
        "init container privileged flags",
    ),
    k(
        "ka.req.pod.ephemeralContainers.image",
        T::StringList,
        "ephemeral container images",
    ),
    k(
        "ka.req.pod.ephemeralContainers.privileged",
        T::StringList,
        "ephemeral container privileged flags",
    ),
    k("ka.resp.name", T::String, "response object name"),
    k("ka.response.code", T::String, "response code"),
    k("ka.response.reason", T::String, "response reason"),
    k("ka.useragent", T::String, "user agent"),
    k("ka.sourceips", T::StringList, "source IPs"),
    k("ka.cluster.name", T::String, "cluster name"),
];

/// A field reference resolved against the table: the field and its argument, if any.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The table entry.
    pub info: &'static FieldInfo,
    /// The argument (`2` of `proc.aname[2]`, `flags` of `evt.arg.flags`).
    pub arg: Option<String>,
}

/// Why a field reference does not resolve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// No such field.
    #[error("unknown field '{0}'")]
    Unknown(String),
    /// The field needs an argument.
    #[error("field '{0}' requires an argument, e.g. {0}[...]")]
    MissingArg(String),
    /// The field takes no argument.
    #[error("field '{0}' does not take an argument")]
    UnexpectedArg(String),
    /// The index is not a number.
    #[error("field '{0}' needs a numeric index, got '{1}'")]
    BadIndex(String, String),
    /// The field belongs to another source.
    #[error("field '{0}' belongs to source '{1}', not '{2}'")]
    WrongSource(String, &'static str, &'static str),
}

/// Looks a field up by its name and optional `[arg]`.
pub fn resolve(name: &str, arg: Option<&str>, source: Source) -> Result<Resolved, FieldError> {
    let (info, arg) = match FIELDS.iter().find(|f| f.name == name) {
        Some(info) => (info, arg.map(str::to_string)),
        None => {
            // `evt.arg.flags` is `evt.arg[flags]`.
            let dotted = ["evt.arg.", "evt.rawarg."]
                .iter()
                .find_map(|p| name.strip_prefix(p).map(|rest| (&p[..p.len() - 1], rest)));
            match dotted {
                Some((base, rest)) if !rest.is_empty() && arg.is_none() => {
                    let info = FIELDS
                        .iter()
                        .find(|f| f.name == base)
                        .ok_or_else(|| FieldError::Unknown(name.to_string()))?;
                    (info, Some(rest.to_string()))
                }
                _ => return Err(FieldError::Unknown(name.to_string())),
            }
        }
    };
    if info.source != source {
        return Err(FieldError::WrongSource(
            name.to_string(),
            info.source.name(),
            source.name(),
        ));
    }
    match (info.arg, &arg) {
        (ArgSpec::None, Some(_)) => return Err(FieldError::UnexpectedArg(name.to_string())),
        (ArgSpec::Required, None) => return Err(FieldError::MissingArg(name.to_string())),
        (ArgSpec::OptIndex, Some(a)) if a.parse::<u32>().is_err() => {
            return Err(FieldError::BadIndex(name.to_string(), a.clone()));
        }
        _ => {}
    }
    Ok(Resolved { info, arg })
}

/// The field table as Markdown (the content of `docs/fields.md`).
pub fn fields_markdown() -> String {
    let mut out = String::from(
        "# Fields\n\n\
         Generated from `strata_rules::fields::FIELDS` by \
         `STRATA_UPDATE_DOCS=1 cargo test -p strata-rules`; do not edit by hand.\n\n\
         Field names, types and argument forms are Falco's, so Falco rule files load unchanged.\n\
         A field marked *(not available)* is accepted in rules but strata's event model has no data \
         for it yet: it always extracts as missing (`<NA>` in outputs; comparisons are false).\n\
         `k8s_audit` fields are read from the Kubernetes audit event of events that carry one \
         (`\"audit\"` in the JSONL schema), by JSON pointer; `LIST` fields hold one value per \
         array element (`in` needs every value in the set, `intersects` any).\n\n\
         Argument forms: `[N]` an optional index, `[key]` an optional key, `[required]` a key or \
         index that must be given (`evt.arg.NAME` is the same as `evt.arg[NAME]`).\n",
    );
    for source in [Source::Syscall, Source::K8sAudit] {
        out.push_str(&format!(
            "\n## Source `{}`\n\n| field | type | argument | description |\n| --- | --- | --- | --- |\n",
            source.name()
        ));
        for f in FIELDS.iter().filter(|f| f.source == source) {
            let arg = match f.arg {
                ArgSpec::None => "",
                ArgSpec::OptIndex => "`[N]`",
                ArgSpec::OptKey => "`[key]`",
                ArgSpec::Required => "`[required]`",
            };
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                f.name,
                f.ty.falco_name(),
                arg,
                f.desc.replace('|', "\\|")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn resolves_forms() {
        let r = resolve("evt.arg.flags", None, Source::Syscall).unwrap();
        assert_eq!(
            (r.info.id, r.arg.as_deref()),
            (FieldId::EvtArg, Some("flags"))
        );
        let r = resolve("proc.aname", Some("2"), Source::Syscall).unwrap();
        assert_eq!(r.info.id, FieldId::ProcAname);
        assert_eq!(
            resolve("proc.aname", Some("x"), Source::Syscall).unwrap_err(),
            FieldError::BadIndex("proc.aname".into(), "x".into())
        );
        assert_eq!(
            resolve("proc.nobody", None, Source::Syscall).unwrap_err(),
            FieldError::Unknown("proc.nobody".into())
        );
        assert!(matches!(
            resolve("ka.verb", None, Source::Syscall),
            Err(FieldError::WrongSource(..))
        ));
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = FIELDS.iter().map(|f| f.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }
}
