//! Small helpers shared by the kernel-facing sources: native-endian fields of netlink and
//! fanotify records, and the wall clock their events are stamped with.

use std::time::{SystemTime, UNIX_EPOCH};

/// The native-endian `u32` at `at`, if the buffer holds it.
pub fn ne_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// The native-endian `u16` at `at`, if the buffer holds it.
pub fn ne_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

/// Nanoseconds since the Unix epoch (0 before it, saturating far after).
pub fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        let b = 0x0102_0304u32.to_ne_bytes();
        assert_eq!(ne_u32(&b, 0), Some(0x0102_0304));
        assert_eq!(ne_u32(&b, 1), None);
        assert_eq!(ne_u32(&b, usize::MAX), None);
        assert_eq!(ne_u16(&b, 2).map(|v| v.to_ne_bytes()), Some([b[2], b[3]]));
        assert_eq!(ne_u16(&b, 3), None);
        assert!(now_ns() > 1_600_000_000_000_000_000);
    }
}
