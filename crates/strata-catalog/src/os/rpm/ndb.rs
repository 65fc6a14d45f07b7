//! rpm's own NDB `Packages.db` format (rpm ≥ 4.15, used by SUSE).
//!
//! The file is made of 16-byte blocks. It starts with `slotnpages` 4 KiB slot pages;
//! the first 32 bytes hold the database header (`RpmP` magic, version 0, generation,
//! slot page count, next package index). Every other 16-byte slot is `Slot` magic,
//! package index, block offset and block count (0 offset = free slot). A slot's blocks
//! hold one blob: a 16-byte head (`BlbS`, package index, timestamp, length), the
//! header blob, zero padding, and a 12-byte tail (Adler-32 of everything before it,
//! length, `BlbE`). All integers are little-endian.
//!
//! Packages are returned in block-offset order, which is the order `rpm -qa` lists them.

use super::{DbError, RawBlob};

const DB_MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
const SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const HEAD_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");
const TAIL_MAGIC: u32 = u32::from_le_bytes(*b"BlbE");

const HEADER_SIZE: usize = 32;
const SLOT_SIZE: usize = 16;
const BLK_SIZE: u64 = 16;
const PAGE_SIZE: usize = 4096;
const HEAD_SIZE: u64 = 16;
const TAIL_SIZE: u64 = 12;

fn le32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Adler-32 (RFC 1950).
pub(crate) fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

struct Slot {
    number: usize,
    pkgidx: u32,
    blkoff: u32,
    blkcnt: u32,
}

/// The header blobs of an NDB `Packages.db`.
pub fn read_blobs(bytes: &[u8]) -> Result<Vec<RawBlob>, DbError> {
    if bytes.len() < HEADER_SIZE {
        return Err(DbError::Truncated {
            offset: 0,
            needed: HEADER_SIZE as u64,
            len: bytes.len() as u64,
        });
    }
    if le32(bytes, 0) != Some(DB_MAGIC) {
        return Err(DbError::BadMagic {
            offset: 0,
            expected: "\"RpmP\"",
        });
    }
    let version = le32(bytes, 4).unwrap_or(0);
    if version != 0 {
        return Err(DbError::Unsupported {
            offset: 4,
            message: format!("NDB version {version}"),
        });
    }
    let slotnpages = le32(bytes, 12).unwrap_or(0) as usize;
    let slots_end = slotnpages.saturating_mul(PAGE_SIZE);
    if slotnpages == 0 || slots_end > bytes.len() {
        return Err(DbError::Malformed {
            offset: 12,
            message: format!(
                "{slotnpages} slot pages do not fit in the {}-byte file",
                bytes.len()
            ),
        });
    }
    let file_blocks = bytes.len() as u64 / BLK_SIZE;
    let min_blkoff = (slots_end as u64) / BLK_SIZE;
    let mut slots = Vec::new();
    for (number, at) in (HEADER_SIZE..slots_end).step_by(SLOT_SIZE).enumerate() {
        let number = number + HEADER_SIZE / SLOT_SIZE;
        let field = |k: usize| le32(bytes, at + 4 * k).unwrap_or(0);
        if field(0) != SLOT_MAGIC {
            return Err(DbError::Slot {
                slot: number,
                offset: at as u64,
                message: "bad slot magic".into(),
            });
        }
        let (pkgidx, blkoff, blkcnt) = (field(1), field(2), field(3));
        if blkoff == 0 {
            continue;
        }
        let bad = |message: String| DbError::Slot {
            slot: number,
            offset: at as u64,
            message,
        };
        if u64::from(blkoff) + u64::from(blkcnt) > file_blocks {
            return Err(bad(format!(
                "blocks {blkoff}+{blkcnt} point past the end of the file ({file_blocks} blocks)"
            )));
        }
        if pkgidx == 0 || blkcnt == 0 || u64::from(blkoff) < min_blkoff {
            return Err(bad(format!(
                "invalid slot (package {pkgidx}, block offset {blkoff}, count {blkcnt})"
            )));
        }
        slots.push(Slot {
            number,
            pkgidx,
            blkoff,
            blkcnt,
        });
    }
    slots.sort_by_key(|s| s.blkoff);
    let mut out = Vec::with_capacity(slots.len());
    let mut prev_end = min_blkoff;
    for s in &slots {
        let start = u64::from(s.blkoff) * BLK_SIZE;
        let bad = |message: String| DbError::Blob {
            pkgidx: s.pkgidx,
            offset: start,
            message,
        };
        if u64::from(s.blkoff) < prev_end {
            return Err(DbError::Slot {
                slot: s.number,
                offset: (s.number * SLOT_SIZE) as u64,
                message: format!("blob at block {} overlaps the previous blob", s.blkoff),
            });
        }
        prev_end = u64::from(s.blkoff) + u64::from(s.blkcnt);
        let end = prev_end * BLK_SIZE;
        // In range: checked against the file size above.
        let region = bytes
            .get(start as usize..end as usize)
            .ok_or_else(|| bad("blob out of range".into()))?;
        if (region.len() as u64) < HEAD_SIZE + TAIL_SIZE {
            return Err(bad(format!("{} blocks are too few for a blob", s.blkcnt)));
        }
        if le32(region, 0) != Some(HEAD_MAGIC) {
            return Err(bad("bad blob head magic".into()));
        }
        if le32(region, 4) != Some(s.pkgidx) {
            return Err(bad(format!(
                "blob head names package {} but the slot names {}",
                le32(region, 4).unwrap_or(0),
                s.pkgidx
            )));
        }
        let bloblen = le32(region, 12).unwrap_or(0);
        let need = (HEAD_SIZE + u64::from(bloblen) + TAIL_SIZE).div_ceil(BLK_SIZE);
        if need != u64::from(s.blkcnt) {
            return Err(bad(format!(
                "blob length {bloblen} needs {need} blocks, the slot has {}",
                s.blkcnt
            )));
        }
        let tail_at = region.len() - TAIL_SIZE as usize;
        let (adl, tail_len, tail_magic) = (
            le32(region, tail_at).unwrap_or(0),
            le32(region, tail_at + 4).unwrap_or(0),
            le32(region, tail_at + 8).unwrap_or(0),
        );
        if tail_magic != TAIL_MAGIC {
            return Err(bad("bad blob tail magic".into()));
        }
        if tail_len != bloblen {
            return Err(bad(format!(
                "blob tail length {tail_len} differs from head length {bloblen}"
            )));
        }
        let covered = region.get(..tail_at).unwrap_or_default();
        let computed = adler32(covered);
        if computed != adl {
            return Err(bad(format!(
                "checksum mismatch: stored {adl:#010x}, computed {computed:#010x}"
            )));
        }
        let data = region
            .get(HEAD_SIZE as usize..HEAD_SIZE as usize + bloblen as usize)
            .ok_or_else(|| bad("blob out of range".into()))?;
        out.push(RawBlob {
            id: s.pkgidx,
            location: format!("slot {}, blob at offset {start}", s.number),
            data: data.to_vec(),
        });
    }
    Ok(out)
}

/// Builds NDB files for tests.
#[cfg(test)]
pub(crate) mod build {
    use super::*;

    /// A one-slot-page database holding `blobs` (package indexes 1, 2, ...).
    pub fn ndb(blobs: &[&[u8]]) -> Vec<u8> {
        let mut out = vec![0u8; PAGE_SIZE];
        out[0..4].copy_from_slice(b"RpmP");
        out[8..12].copy_from_slice(&1u32.to_le_bytes());
        out[12..16].copy_from_slice(&1u32.to_le_bytes());
        out[16..20].copy_from_slice(&(blobs.len() as u32 + 1).to_le_bytes());
        for at in (HEADER_SIZE..PAGE_SIZE).step_by(SLOT_SIZE) {
            out[at..at + 4].copy_from_slice(b"Slot");
        }
        for (i, blob) in blobs.iter().enumerate() {
            let pkgidx = i as u32 + 1;
            let blkoff = (out.len() as u64 / BLK_SIZE) as u32;
            let blkcnt = (HEAD_SIZE + blob.len() as u64 + TAIL_SIZE).div_ceil(BLK_SIZE) as u32;
            let slot = HEADER_SIZE + i * SLOT_SIZE;
            out[slot + 4..slot + 8].copy_from_slice(&pkgidx.to_le_bytes());
            out[slot + 8..slot + 12].copy_from_slice(&blkoff.to_le_bytes());
            out[slot + 12..slot + 16].copy_from_slice(&blkcnt.to_le_bytes());
            let mut region = Vec::new();
            region.extend_from_slice(b"BlbS");
            region.extend_from_slice(&pkgidx.to_le_bytes());
            region.extend_from_slice(&0u32.to_le_bytes());
            region.extend_from_slice(&(blob.len() as u32).to_le_bytes());
            region.extend_from_slice(blob);
            region.resize(blkcnt as usize * 16 - 12, 0);
            let adl = adler32(&region);
            region.extend_from_slice(&adl.to_le_bytes());
            region.extend_from_slice(&(blob.len() as u32).to_le_bytes());
            region.extend_from_slice(b"BlbE");
            out.extend_from_slice(&region);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adler32_known_value() {
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
        assert_eq!(adler32(b""), 1);
    }

    #[test]
    fn reads_blobs_in_block_order() {
        let db = build::ndb(&[b"first blob", b"second"]);
        let got = read_blobs(&db).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[0].id, got[0].data.as_slice()),
            (1, b"first blob".as_slice())
        );
        assert_eq!(
            (got[1].id, got[1].data.as_slice()),
            (2, b"second".as_slice())
        );
        assert_eq!(got[0].location, "slot 2, blob at offset 4096");
    }

    #[test]
    fn slot_past_the_end() {
        let mut db = build::ndb(&[b"first blob"]);
        db[40..44].copy_from_slice(&100_000u32.to_le_bytes());
        assert_eq!(
            read_blobs(&db).unwrap_err(),
            DbError::Slot {
                slot: 2,
                offset: 32,
                message: "blocks 100000+3 point past the end of the file (259 blocks)".into()
            }
        );
    }

    #[test]
    fn corrupted_blob_checksum_and_magic() {
        let mut db = build::ndb(&[b"first blob"]);
        db[4096 + 16] ^= 1;
        assert_eq!(
            read_blobs(&db).unwrap_err(),
            DbError::Blob {
                pkgidx: 1,
                offset: 4096,
                message: "checksum mismatch: stored 0x6dc30556, computed 0x6dd70557".into()
            }
        );
        let mut db = build::ndb(&[b"first blob"]);
        db[4096] = b'X';
        assert!(matches!(
            read_blobs(&db).unwrap_err(),
            DbError::Blob {
                pkgidx: 1,
                offset: 4096,
                ..
            }
        ));
    }

    #[test]
    fn garbage_and_zeroes() {
        assert_eq!(
            read_blobs(&[0; 8192]).unwrap_err(),
            DbError::BadMagic {
                offset: 0,
                expected: "\"RpmP\""
            }
        );
        let db = build::ndb(&[]);
        assert_eq!(read_blobs(&db).unwrap(), vec![]);
        assert!(matches!(
            read_blobs(&db[..100]).unwrap_err(),
            DbError::Malformed { offset: 12, .. }
        ));
    }
}
