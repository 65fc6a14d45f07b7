//! Loading, attaching and reading the probe.

use std::time::Duration;

use crate::ProbeError;
use crate::record::RawEvent;

/// How to load the probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeOptions {
    /// Size of the ring buffer in bytes: a power of two, at least one page (default
    /// 16 MiB). Other values are rounded up to the next power of two.
    pub ring_buffer_bytes: usize,
    /// The process whose syscalls the kernel side ignores (the sensor itself, to avoid a
    /// feedback loop). Default: this process; `None` ignores nothing.
    pub ignore_tgid: Option<u32>,
    /// Opens by one thread that repeat its last open record exactly (same program,
    /// credentials, namespace, absolute path, flags and success) within this window are
    /// counted in the kernel ([`Probe::folded`]) instead of being sent. Default 1 s;
    /// zero sends every open.
    pub fold_window: Duration,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            ring_buffer_bytes: 16 << 20,
            ignore_tgid: Some(std::process::id()),
            fold_window: Duration::from_secs(1),
        }
    }
}

/// The loaded and attached probe. Dropping it detaches every program.
pub struct Probe {
    #[cfg(feature = "probe")]
    inner: imp::Inner,
    attached: Vec<String>,
    warnings: Vec<String>,
    decode_errors: u64,
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probe")
            .field("attached", &self.attached.len())
            .field("warnings", &self.warnings)
            .field("decode_errors", &self.decode_errors)
            .finish_non_exhaustive()
    }
}

impl Probe {
    /// The tracepoints attached, as `category/name`.
    pub fn attached(&self) -> &[String] {
        &self.attached
    }

    /// Attach points that were skipped (e.g. a syscall tracepoint this kernel lacks).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Records that did not decode (a version skew between the object and the decoder).
    pub fn decode_errors(&self) -> u64 {
        self.decode_errors
    }
}

#[cfg(not(feature = "probe"))]
impl Probe {
    /// Always [`ProbeError::Unsupported`]: this build has no eBPF object.
    pub fn load(_options: &ProbeOptions) -> Result<Probe, ProbeError> {
        Err(ProbeError::Unsupported(
            "strata-ebpf was built without the `probe` feature (rebuild with `--features probe`; \
             it needs clang)"
                .to_string(),
        ))
    }

    /// Never reached: [`Probe::load`] fails in this build.
    pub fn poll(
        &mut self,
        _timeout: Duration,
        _f: impl FnMut(RawEvent),
    ) -> Result<usize, ProbeError> {
        Ok(0)
    }

    /// Never reached: [`Probe::load`] fails in this build.
    pub fn drops(&self) -> Result<u64, ProbeError> {
        Ok(0)
    }

    /// Never reached: [`Probe::load`] fails in this build.
    pub fn folded(&self) -> Result<u64, ProbeError> {
        Ok(0)
    }
}

#[cfg(feature = "probe")]
impl Probe {
    /// Loads the object, attaches every program whose tracepoint exists (the others are
    /// listed in [`Probe::warnings`]) and sets the ignored tgid.
    pub fn load(options: &ProbeOptions) -> Result<Probe, ProbeError> {
        let (inner, attached, warnings) = imp::load(options)?;
        Ok(Probe {
            inner,
            attached,
            warnings,
            decode_errors: 0,
        })
    }

    /// Waits at most `timeout` for records, then hands every available one to `f`, with
    /// `ts_ns` converted to nanoseconds since the Unix epoch. Returns the number of
    /// events delivered. Never blocks longer than `timeout` (draining stops at the
    /// deadline, or after 4,096 records; the rest is left for the next call). The kernel wakes the reader at
    /// once for exec, fork and exit records, and for the others only once a quarter of
    /// the ring (at most 256 KiB) is pending, so their delay is bounded by `timeout`:
    /// call it in a loop with a short timeout (e.g. 100 ms).
    pub fn poll(
        &mut self,
        timeout: Duration,
        mut f: impl FnMut(RawEvent),
    ) -> Result<usize, ProbeError> {
        let deadline = std::time::Instant::now() + timeout;
        let mut delivered = self.inner.drain(deadline, &mut self.decode_errors, &mut f);
        if delivered > 0 {
            return Ok(delivered);
        }
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Ok(0);
            }
            let readable = self.inner.wait(left)?;
            delivered = self.inner.drain(deadline, &mut self.decode_errors, &mut f);
            if delivered > 0 || !readable {
                return Ok(delivered);
            }
        }
    }

    /// Records lost because the ring buffer was full, summed over the CPUs.
    pub fn drops(&self) -> Result<u64, ProbeError> {
        self.inner.drops()
    }

    /// Opens folded into an identical earlier record of their thread (see
    /// [`ProbeOptions::fold_window`]), summed over the CPUs.
    pub fn folded(&self) -> Result<u64, ProbeError> {
        self.inner.per_cpu_sum("folded")
    }
}

#[cfg(feature = "probe")]
mod imp {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use aya::maps::{Array, MapData, PerCpuArray, RingBuf};
    use aya::programs::{ProgramError, TracePoint};
    use aya::{Ebpf, EbpfError, EbpfLoader};

    use super::ProbeOptions;
    use crate::error::HINT_PRIVILEGES;
    use crate::record::{RawEvent, decode};
    use crate::{ProbeError, sys};

    #[repr(C, align(8))]
    struct Aligned<B: ?Sized> {
        bytes: B,
    }

    /// The clang-built object; aya parses it in place, so it must be 8-byte aligned.
    static OBJECT: &Aligned<[u8]> = &Aligned {
        bytes: *include_bytes!(concat!(env!("OUT_DIR"), "/probe.bpf.o")),
    };

    const TRACEFS: [&str; 2] = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];
    const VERIFIER_TAIL_LINES: usize = 30;

    pub(super) struct Inner {
        ring: RingBuf<MapData>,
        // Owns the programs and their links: dropping it detaches everything.
        ebpf: Ebpf,
        clock_offset: i128,
    }

    type Loaded = (Inner, Vec<String>, Vec<String>);

    pub(super) fn load(options: &ProbeOptions) -> Result<Loaded, ProbeError> {
        let ring_bytes = ring_size(options.ring_buffer_bytes)?;
        let tracefs = preflight()?;

        let mut loader = EbpfLoader::new();
        loader.map_max_entries("events", ring_bytes);
        // The per-thread stashes are task storage, which aya creates but has no Rust type
        // for; only the programs use them.
        loader.allow_unsupported_maps();
        let mut ebpf = loader.load(&OBJECT.bytes).map_err(load_error)?;

        {
            let map = ebpf
                .map_mut("config")
                .ok_or_else(|| missing_map("config"))?;
            // struct config: own_tgid, pad, fold_ns (u64, little-endian halves).
            let fold_ns = u64::try_from(options.fold_window.as_nanos()).unwrap_or(u64::MAX);
            let mut config: Array<_, [u32; 4]> = Array::try_from(map).map_err(map_err("config"))?;
            config
                .set(
                    0,
                    [
                        options.ignore_tgid.unwrap_or(0),
                        0,
                        fold_ns as u32,
                        (fold_ns >> 32) as u32,
                    ],
                    0,
                )
                .map_err(map_err("config"))?;
        }

        let names: Vec<String> = ebpf.programs().map(|(n, _)| n.to_string()).collect();
        let mut attached = Vec::new();
        let mut warnings = Vec::new();
        for name in names {
            let Some((category, event)) = tracepoint_of(&name) else {
                warnings.push(format!(
                    "program {name}: no tracepoint for this name, skipped"
                ));
                continue;
            };
            let tp_name = format!("{category}/{event}");
            if !tracefs.join("events").join(category).join(event).is_dir() {
                warnings.push(format!(
                    "tracepoint {tp_name} does not exist on this kernel, skipped"
                ));
                continue;
            }
            let program = ebpf
                .program_mut(&name)
                .ok_or_else(|| missing_map("program"))?;
            let tp: &mut TracePoint =
                program
                    .try_into()
                    .map_err(|e: ProgramError| ProbeError::Load {
                        source: Box::new(e),
                        hint: format!("program {name} is not a tracepoint program"),
                    })?;
            tp.load().map_err(|e| program_error(&name, e))?;
            tp.attach(category, event).map_err(|e| ProbeError::Attach {
                program: name.clone(),
                tracepoint: tp_name.clone(),
                source: Box::new(e),
                hint: format!(
                    "is tracefs mounted at {}? (`mount -t tracefs tracefs /sys/kernel/tracing`); {HINT_PRIVILEGES}",
                    tracefs.display()
                ),
            })?;
            attached.push(tp_name);
        }
        if attached.is_empty() {
            return Err(ProbeError::Environment {
                what: "no tracepoint of the probe could be attached".into(),
                hint: warnings.join("; "),
            });
        }

        let map = ebpf
            .take_map("events")
            .ok_or_else(|| missing_map("events"))?;
        let ring = RingBuf::try_from(map).map_err(map_err("events"))?;
        let clock_offset = sys::boot_to_realtime_offset().map_err(|source| ProbeError::Io {
            what: "clock_gettime",
            source,
        })?;
        attached.sort();
        Ok((
            Inner {
                ring,
                ebpf,
                clock_offset,
            },
            attached,
            warnings,
        ))
    }

    impl Inner {
        pub(super) fn wait(&self, timeout: Duration) -> Result<bool, ProbeError> {
            use std::os::fd::AsFd;
            sys::wait_readable(self.ring.as_fd(), timeout).map_err(|source| ProbeError::Io {
                what: "poll on the ring buffer",
                source,
            })
        }

        /// Most records handed over by one call of `drain`.
        const MAX_DRAIN: usize = 4096;

        pub(super) fn drain(
            &mut self,
            deadline: Instant,
            decode_errors: &mut u64,
            f: &mut impl FnMut(RawEvent),
        ) -> usize {
            let mut n = 0usize;
            let mut since_check = 0u32;
            // A bounded batch: the caller holds the decoded records until it has handled
            // them, and a full 8 MiB ring decodes to tens of MiB (16 MiB more resident
            // memory at 900,000 records a second).
            while n < Self::MAX_DRAIN
                && let Some(item) = self.ring.next()
            {
                let decoded = decode(&item);
                drop(item);
                match decoded {
                    Ok(mut ev) => {
                        let wall = i128::from(ev.ts_ns) + self.clock_offset;
                        ev.ts_ns = u64::try_from(wall.max(0)).unwrap_or(u64::MAX);
                        f(ev);
                        n += 1;
                    }
                    Err(_) => *decode_errors += 1,
                }
                since_check += 1;
                if since_check >= 256 {
                    since_check = 0;
                    if Instant::now() >= deadline {
                        break;
                    }
                }
            }
            n
        }

        pub(super) fn drops(&self) -> Result<u64, ProbeError> {
            self.per_cpu_sum("drops")
        }

        /// The sum over the CPUs of a one-entry per-CPU counter map.
        pub(super) fn per_cpu_sum(&self, name: &'static str) -> Result<u64, ProbeError> {
            let map = self.ebpf.map(name).ok_or_else(|| missing_map(name))?;
            let counter: PerCpuArray<_, u64> = PerCpuArray::try_from(map).map_err(map_err(name))?;
            let values = counter.get(&0, 0).map_err(map_err(name))?;
            Ok(values.iter().copied().fold(0u64, u64::saturating_add))
        }
    }

    /// `sys_enter_X` / `sys_exit_X` → `syscalls`, `sched_process_X` → `sched`.
    pub(super) fn tracepoint_of(program: &str) -> Option<(&'static str, &str)> {
        if program.starts_with("sys_enter_") || program.starts_with("sys_exit_") {
            Some(("syscalls", program))
        } else if program.starts_with("sched_") {
            Some(("sched", program))
        } else {
            None
        }
    }

    fn ring_size(bytes: usize) -> Result<u32, ProbeError> {
        let rounded = bytes
            .max(4096)
            .checked_next_power_of_two()
            .and_then(|b| u32::try_from(b).ok())
            .filter(|&b| b <= 1 << 30)
            .ok_or_else(|| {
                ProbeError::Options(format!(
                    "ring_buffer_bytes {bytes} is too large (at most 1 GiB)"
                ))
            })?;
        Ok(rounded)
    }

    /// Checks what the load needs and says how to fix what is missing; returns the tracefs
    /// mount point.
    fn preflight() -> Result<&'static Path, ProbeError> {
        if sys::euid() != 0 {
            return Err(ProbeError::Environment {
                what: format!("not running as root (euid {})", sys::euid()),
                hint: HINT_PRIVILEGES.into(),
            });
        }
        if !Path::new("/sys/kernel/btf/vmlinux").exists() {
            return Err(ProbeError::Environment {
                what: "the kernel has no BTF (/sys/kernel/btf/vmlinux is missing)".into(),
                hint: "the probe reads task_struct fields with CO-RE: use a kernel built with \
                       CONFIG_DEBUG_INFO_BTF=y (Debian's kernels are)"
                    .into(),
            });
        }
        TRACEFS
            .iter()
            .map(Path::new)
            .find(|p| p.join("events").is_dir())
            .ok_or_else(|| ProbeError::Environment {
                what: "tracefs is not mounted (no /sys/kernel/tracing/events)".into(),
                hint: "mount it: `mount -t tracefs tracefs /sys/kernel/tracing`".into(),
            })
    }

    fn missing_map(name: &'static str) -> ProbeError {
        ProbeError::Map {
            map: name,
            source: "not found in the eBPF object".into(),
        }
    }

    fn map_err<E: std::error::Error + Send + Sync + 'static>(
        map: &'static str,
    ) -> impl Fn(E) -> ProbeError {
        move |e| ProbeError::Map {
            map,
            source: Box::new(e),
        }
    }

    fn load_error(e: EbpfError) -> ProbeError {
        let text = e.to_string();
        let hint = if text.contains("Operation not permitted") || text.contains("EPERM") {
            HINT_PRIVILEGES.to_string()
        } else if matches!(e, EbpfError::BtfError(_) | EbpfError::BtfRelocationError(_)) {
            "CO-RE relocation against /sys/kernel/btf/vmlinux failed: the kernel lacks BTF \
             or a task_struct field the probe reads"
                .to_string()
        } else {
            "creating the maps needs root and enough locked memory".to_string()
        };
        ProbeError::Load {
            source: Box::new(e),
            hint,
        }
    }

    fn program_error(name: &str, e: ProgramError) -> ProbeError {
        match e {
            ProgramError::LoadError {
                io_error,
                verifier_log,
            } => {
                let log = verifier_log.to_string();
                let lines: Vec<&str> = log.lines().collect();
                let tail = lines[lines.len().saturating_sub(VERIFIER_TAIL_LINES)..].join("\n");
                if io_error.kind() == std::io::ErrorKind::PermissionDenied && log.is_empty() {
                    return ProbeError::Environment {
                        what: format!("loading program {name}: {io_error}"),
                        hint: HINT_PRIVILEGES.into(),
                    };
                }
                ProbeError::Verifier {
                    program: name.to_string(),
                    errno: io_error.to_string(),
                    log_tail: tail,
                }
            }
            other => ProbeError::Load {
                source: Box::new(other),
                hint: format!("loading program {name}"),
            },
        }
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn program_names_map_to_tracepoints() {
            assert_eq!(
                super::tracepoint_of("sys_enter_openat"),
                Some(("syscalls", "sys_enter_openat"))
            );
            assert_eq!(
                super::tracepoint_of("sched_process_exec"),
                Some(("sched", "sched_process_exec"))
            );
            assert_eq!(super::tracepoint_of("helper"), None);
            assert_eq!(super::ring_size(5000).ok(), Some(8192));
            assert_eq!(super::ring_size(16 << 20).ok(), Some(16 << 20));
            assert!(super::ring_size(usize::MAX).is_err());
        }
    }
}
