//! The few libc calls the reader needs; the only unsafe code of the crate.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

fn clock_ns(clock: libc::clockid_t) -> io::Result<i128> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec that outlives the call.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec))
}

/// `CLOCK_REALTIME - CLOCK_BOOTTIME` in nanoseconds (the BPF side uses
/// `bpf_ktime_get_boot_ns`), from the tightest of a few samples.
pub(crate) fn boot_to_realtime_offset() -> io::Result<i128> {
    let mut best: Option<(i128, i128)> = None; // (width, offset)
    for _ in 0..5 {
        let b1 = clock_ns(libc::CLOCK_BOOTTIME)?;
        let r = clock_ns(libc::CLOCK_REALTIME)?;
        let b2 = clock_ns(libc::CLOCK_BOOTTIME)?;
        let width = b2 - b1;
        let offset = r - (b1 + width / 2);
        if best.is_none_or(|(w, _)| width < w) {
            best = Some((width, offset));
        }
    }
    Ok(best.map_or(0, |(_, o)| o))
}

/// Waits until `fd` is readable or `timeout` passes; `Ok(true)` when readable.
pub(crate) fn wait_readable(fd: BorrowedFd<'_>, timeout: Duration) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: `pfd` is one valid pollfd for the duration of the call, and nfds is 1.
    let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
    match rc {
        0 => Ok(false),
        n if n > 0 => Ok(pfd.revents & libc::POLLIN != 0),
        _ => {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                Ok(false)
            } else {
                Err(e)
            }
        }
    }
}

/// The effective uid.
pub(crate) fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}
