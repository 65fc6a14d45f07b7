//! Berkeley DB `Packages` (hash, and btree where met), read page by page.
//!
//! Page 0 is the metadata page (magic, page size, last page number); every other page
//! starts with a 26-byte header (`lsn`, `pgno`, `prev_pgno`, `next_pgno`, `entries`,
//! `hf_offset`, `level`, `type`) followed by an array of 16-bit item offsets. Hash
//! pages hold key/data item pairs; a data item too large for the page is an "off-page"
//! item pointing to a chain of overflow pages. Integers are in the byte order of the
//! machine that wrote the file; the metadata magic tells which.
//!
//! All pages are scanned once in page order (as rpm's own salvage tools and most
//! scanners do), so no bucket arithmetic is needed. Overflow pages are marked as used
//! when a chain is followed: a chain that loops or shares a page with another chain is
//! an error, so the time is linear in the file size and the output never exceeds it.

use super::{DbError, RawBlob};

const HASH_MAGIC: u32 = 0x0006_1561;
const BTREE_MAGIC: u32 = 0x0005_3162;

const PAGE_HEADER: usize = 26;

const P_HASH_UNSORTED: u8 = 2;
const P_LBTREE: u8 = 5;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;

const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;

const B_KEYDATA: u8 = 1;
const B_OVERFLOW: u8 = 3;
const B_DELETE: u8 = 0x80;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    Little,
    Big,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Hash,
    Btree,
}

struct Db<'a> {
    bytes: &'a [u8],
    order: Order,
    page_size: usize,
    pages: u32,
    used_overflow: Vec<bool>,
    /// Bytes of on-page items copied so far; more than the file size means items
    /// overlap (crafted offsets), which would otherwise multiply memory use.
    copied: usize,
}

/// An item on a page: inline bytes or a reference to an overflow chain.
enum Item<'a> {
    Inline(&'a [u8]),
    Overflow { first: u32, len: u32 },
}

impl<'a> Db<'a> {
    fn u32_at(&self, b: &[u8], at: usize) -> Option<u32> {
        let s = b.get(at..at + 4)?;
        let a = [s[0], s[1], s[2], s[3]];
        Some(match self.order {
            Order::Little => u32::from_le_bytes(a),
            Order::Big => u32::from_be_bytes(a),
        })
    }

    fn u16_at(&self, b: &[u8], at: usize) -> Option<usize> {
        let s = b.get(at..at + 2)?;
        let a = [s[0], s[1]];
        Some(usize::from(match self.order {
            Order::Little => u16::from_le_bytes(a),
            Order::Big => u16::from_be_bytes(a),
        }))
    }

    fn page(&self, n: u32) -> Option<&'a [u8]> {
        let start = (n as usize).checked_mul(self.page_size)?;
        let bytes: &'a [u8] = self.bytes;
        bytes.get(start..start.checked_add(self.page_size)?)
    }

    /// The item offsets of a page, each checked to lie after the offset array and
    /// inside the page.
    fn index(&self, n: u32, page: &[u8]) -> Result<Vec<usize>, DbError> {
        let entries = self.u16_at(page, 20).unwrap_or(0);
        let first_item = PAGE_HEADER + 2 * entries;
        if first_item > self.page_size {
            return Err(DbError::Page {
                page: n,
                message: format!("{entries} entries do not fit in the page"),
            });
        }
        let mut out = Vec::with_capacity(entries);
        for i in 0..entries {
            let off = self.u16_at(page, PAGE_HEADER + 2 * i).unwrap_or(0);
            if off < first_item || off >= self.page_size {
                return Err(DbError::Page {
                    page: n,
                    message: format!("item {i} offset {off} out of range"),
                });
            }
            out.push(off);
        }
        Ok(out)
    }

    /// Item `i` of a hash page. Items are packed from the end of the page down, so an
    /// on-page item ends where the previous one starts.
    fn hash_item(
        &self,
        n: u32,
        page: &'a [u8],
        index: &[usize],
        i: usize,
    ) -> Result<Item<'a>, DbError> {
        let bad = |message: String| DbError::Page { page: n, message };
        let off = index.get(i).copied().unwrap_or(0);
        let end = if i == 0 {
            self.page_size
        } else {
            index.get(i - 1).copied().unwrap_or(0)
        };
        match page.get(off).copied() {
            Some(H_KEYDATA) => {
                if end <= off {
                    return Err(bad(format!("item {i} at {off}: items overlap")));
                }
                Ok(Item::Inline(page.get(off + 1..end).unwrap_or_default()))
            }
            Some(H_OFFPAGE) => {
                let (Some(first), Some(len)) =
                    (self.u32_at(page, off + 4), self.u32_at(page, off + 8))
                else {
                    return Err(bad(format!("item {i} at {off}: truncated off-page item")));
                };
                Ok(Item::Overflow { first, len })
            }
            Some(t) => Err(DbError::Unsupported {
                offset: (n as u64) * self.page_size as u64 + off as u64,
                message: format!(
                    "page {n} item {i}: hash item type {t} (duplicates are not used by rpm)"
                ),
            }),
            None => Err(bad(format!("item {i} at {off} out of range"))),
        }
    }

    /// Item `i` of a btree leaf page; `None` for deleted items.
    fn btree_item(
        &self,
        n: u32,
        page: &'a [u8],
        index: &[usize],
        i: usize,
    ) -> Result<Option<Item<'a>>, DbError> {
        let bad = |message: String| DbError::Page { page: n, message };
        let off = index.get(i).copied().unwrap_or(0);
        let ty = page
            .get(off + 2)
            .copied()
            .ok_or_else(|| bad(format!("item {i} at {off} truncated")))?;
        if ty & B_DELETE != 0 {
            return Ok(None);
        }
        match ty {
            B_KEYDATA => {
                let len = self.u16_at(page, off).unwrap_or(0);
                let data = page.get(off + 3..off + 3 + len).ok_or_else(|| {
                    bad(format!("item {i} at {off}: {len} bytes run past the page"))
                })?;
                Ok(Some(Item::Inline(data)))
            }
            B_OVERFLOW => {
                let (Some(first), Some(len)) =
                    (self.u32_at(page, off + 4), self.u32_at(page, off + 8))
                else {
                    return Err(bad(format!("item {i} at {off}: truncated overflow item")));
                };
                Ok(Some(Item::Overflow { first, len }))
            }
            t => Err(DbError::Unsupported {
                offset: (n as u64) * self.page_size as u64 + off as u64,
                message: format!("page {n} item {i}: btree item type {t}"),
            }),
        }
    }

    /// Follows an overflow chain, reading exactly `len` bytes.
    fn overflow(&mut self, from: u32, first: u32, len: u32) -> Result<Vec<u8>, DbError> {
        let len = len as usize;
        if len > self.bytes.len() {
            return Err(DbError::Page {
                page: from,
                message: format!("off-page item of {len} bytes is larger than the file"),
            });
        }
        let mut out = Vec::with_capacity(len);
        let mut next = first;
        while out.len() < len {
            if next == 0 || next >= self.pages {
                return Err(DbError::Page {
                    page: from,
                    message: format!(
                        "overflow chain from page {first} reaches page {next} (file has {} pages) after {} of {len} bytes",
                        self.pages,
                        out.len()
                    ),
                });
            }
            let used = self
                .used_overflow
                .get_mut(next as usize)
                .ok_or(DbError::Page {
                    page: next,
                    message: "overflow page out of range".into(),
                })?;
            if *used {
                return Err(DbError::Page {
                    page: next,
                    message: format!(
                        "overflow chain from page {first} loops or shares page {next}"
                    ),
                });
            }
            *used = true;
            let page = self.page(next).ok_or(DbError::Page {
                page: next,
                message: "overflow page out of range".into(),
            })?;
            if page.get(25) != Some(&P_OVERFLOW) {
                return Err(DbError::Page {
                    page: next,
                    message: format!(
                        "page type {} in the overflow chain from page {first}",
                        page.get(25).copied().unwrap_or(0)
                    ),
                });
            }
            let on_page = self.u16_at(page, 22).unwrap_or(0);
            let chunk = page
                .get(PAGE_HEADER..PAGE_HEADER + on_page)
                .ok_or(DbError::Page {
                    page: next,
                    message: format!("overflow length {on_page} runs past the page"),
                })?;
            if out.len() + chunk.len() > len {
                return Err(DbError::Page {
                    page: next,
                    message: format!(
                        "overflow chain from page {first} holds more than {len} bytes"
                    ),
                });
            }
            out.extend_from_slice(chunk);
            next = self.u32_at(page, 16).unwrap_or(0);
        }
        Ok(out)
    }

    fn resolve(&mut self, n: u32, item: Item<'a>) -> Result<Vec<u8>, DbError> {
        match item {
            Item::Inline(b) => {
                self.copied += b.len();
                if self.copied > self.bytes.len() {
                    return Err(DbError::Page {
                        page: n,
                        message: "items overlap (more data than the file holds)".into(),
                    });
                }
                Ok(b.to_vec())
            }
            Item::Overflow { first, len } => self.overflow(n, first, len),
        }
    }
}

/// The header blobs of a Berkeley DB `Packages` file, in page order.
pub fn read_blobs(bytes: &[u8]) -> Result<Vec<RawBlob>, DbError> {
    if bytes.len() < 512 {
        return Err(DbError::Truncated {
            offset: 0,
            needed: 512,
            len: bytes.len() as u64,
        });
    }
    let magic_bytes = [bytes[12], bytes[13], bytes[14], bytes[15]];
    let (order, kind) = match (
        u32::from_le_bytes(magic_bytes),
        u32::from_be_bytes(magic_bytes),
    ) {
        (HASH_MAGIC, _) => (Order::Little, Kind::Hash),
        (BTREE_MAGIC, _) => (Order::Little, Kind::Btree),
        (_, HASH_MAGIC) => (Order::Big, Kind::Hash),
        (_, BTREE_MAGIC) => (Order::Big, Kind::Btree),
        _ => {
            return Err(DbError::BadMagic {
                offset: 12,
                expected: "a Berkeley DB hash or btree magic",
            });
        }
    };
    let mut db = Db {
        bytes,
        order,
        page_size: 0,
        pages: 0,
        used_overflow: Vec::new(),
        copied: 0,
    };
    let page_size = db.u32_at(bytes, 20).unwrap_or(0) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(DbError::Malformed {
            offset: 20,
            message: format!("invalid page size {page_size}"),
        });
    }
    if bytes[24] != 0 {
        return Err(DbError::Unsupported {
            offset: 24,
            message: "encrypted database".into(),
        });
    }
    if bytes[26] & 0x01 != 0 {
        return Err(DbError::Unsupported {
            offset: 26,
            message: "database with page checksums".into(),
        });
    }
    let last_pgno = db.u32_at(bytes, 32).unwrap_or(0);
    let in_file = u32::try_from(bytes.len() / page_size).unwrap_or(u32::MAX);
    if last_pgno >= in_file {
        return Err(DbError::Truncated {
            offset: 32,
            needed: (u64::from(last_pgno) + 1) * page_size as u64,
            len: bytes.len() as u64,
        });
    }
    db.page_size = page_size;
    db.pages = last_pgno + 1;
    db.used_overflow = vec![false; db.pages as usize];

    let mut out = Vec::new();
    for n in 1..db.pages {
        let Some(page) = db.page(n) else { break };
        let ty = page.get(25).copied().unwrap_or(0);
        let is_data_page = match kind {
            Kind::Hash => ty == P_HASH || ty == P_HASH_UNSORTED,
            Kind::Btree => ty == P_LBTREE,
        };
        if !is_data_page {
            continue;
        }
        let index = db.index(n, page)?;
        for pair in 0..index.len() / 2 {
            let (k, d) = (2 * pair, 2 * pair + 1);
            let (key, data) = match kind {
                Kind::Hash => (
                    db.hash_item(n, page, &index, k)?,
                    db.hash_item(n, page, &index, d)?,
                ),
                Kind::Btree => {
                    match (
                        db.btree_item(n, page, &index, k)?,
                        db.btree_item(n, page, &index, d)?,
                    ) {
                        (Some(k), Some(d)) => (k, d),
                        _ => continue,
                    }
                }
            };
            let key = db.resolve(n, key)?;
            let data = db.resolve(n, data)?;
            let id = match key.get(..4) {
                Some(k) => db.u32_at(k, 0).unwrap_or(0),
                None => 0,
            };
            // rpm keeps a bookkeeping record under key 0 (the next instance number).
            if id == 0 || data.len() < 8 {
                continue;
            }
            out.push(RawBlob {
                id,
                location: format!("page {n}, item {d}"),
                data,
            });
        }
    }
    Ok(out)
}

/// Builds small Berkeley DB hash files for tests.
#[cfg(test)]
pub(crate) mod build {
    /// A little- or big-endian hash db with one page per record: each record is
    /// a key/data pair on its own hash page, the data stored off-page in a chain of
    /// overflow pages holding at most `chunk` bytes each.
    pub fn hash_db(records: &[(u32, &[u8])], big_endian: bool, chunk: usize) -> Vec<u8> {
        const PS: usize = 4096;
        let u32b = |v: u32| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let u16b = |v: u16| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut pages: Vec<Vec<u8>> = vec![vec![0; PS]];
        for (key, data) in records {
            let hash_pgno = pages.len() as u32;
            pages.push(vec![0; PS]);
            let chunks: Vec<&[u8]> = data.chunks(chunk).collect();
            let first_ov = pages.len() as u32;
            for (i, c) in chunks.iter().enumerate() {
                let pgno = pages.len() as u32;
                let mut p = vec![0; PS];
                p[8..12].copy_from_slice(&u32b(pgno));
                let next = if i + 1 < chunks.len() { pgno + 1 } else { 0 };
                p[16..20].copy_from_slice(&u32b(next));
                p[22..24].copy_from_slice(&u16b(c.len() as u16));
                p[25] = 7;
                p[26..26 + c.len()].copy_from_slice(c);
                pages.push(p);
            }
            let p = &mut pages[hash_pgno as usize];
            p[8..12].copy_from_slice(&u32b(hash_pgno));
            p[20..22].copy_from_slice(&u16b(2));
            p[25] = 13;
            // key item: type + 4 bytes at the end of the page
            let key_off = PS - 5;
            p[key_off] = 1;
            p[key_off + 1..PS].copy_from_slice(&u32b(*key));
            // data item: 12-byte off-page record before it
            let data_off = key_off - 12;
            p[data_off] = 3;
            p[data_off + 4..data_off + 8].copy_from_slice(&u32b(first_ov));
            p[data_off + 8..data_off + 12].copy_from_slice(&u32b(data.len() as u32));
            p[26..28].copy_from_slice(&u16b(key_off as u16));
            p[28..30].copy_from_slice(&u16b(data_off as u16));
        }
        let last = pages.len() as u32 - 1;
        let meta = &mut pages[0];
        meta[12..16].copy_from_slice(&u32b(super::HASH_MAGIC));
        meta[16..20].copy_from_slice(&u32b(9));
        meta[20..24].copy_from_slice(&u32b(PS as u32));
        meta[25] = 8;
        meta[32..36].copy_from_slice(&u32b(last));
        pages.concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_byte_orders_and_multi_page_overflow() {
        let blob: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        for big in [false, true] {
            let db = build::hash_db(&[(1, &blob), (7, b"0123456789")], big, 4000);
            let got = read_blobs(&db).unwrap();
            assert_eq!(got.len(), 2);
            assert_eq!((got[0].id, &got[0].data), (1, &blob));
            assert_eq!(
                (got[1].id, got[1].data.as_slice()),
                (7, b"0123456789".as_slice())
            );
            assert_eq!(got[0].location, "page 1, item 1");
        }
    }

    #[test]
    fn overflow_loop_is_an_error_naming_the_page() {
        let blob = vec![1u8; 9000];
        let mut db = build::hash_db(&[(1, &blob)], false, 4000);
        // Pages: 0 meta, 1 hash, 2..4 overflow. Point page 3's next back at page 2.
        let p3 = 3 * 4096;
        db[p3 + 16..p3 + 20].copy_from_slice(&2u32.to_le_bytes());
        assert_eq!(
            read_blobs(&db).unwrap_err(),
            DbError::Page {
                page: 2,
                message: "overflow chain from page 2 loops or shares page 2".into()
            }
        );
    }

    #[test]
    fn overflow_past_the_end_and_bad_offsets() {
        let mut db = build::hash_db(&[(1, b"abcdefghij")], false, 4000);
        let data_off = 4096 + 4096 - 5 - 12;
        db[data_off + 4..data_off + 8].copy_from_slice(&99u32.to_le_bytes());
        assert_eq!(
            read_blobs(&db).unwrap_err(),
            DbError::Page {
                page: 1,
                message: "overflow chain from page 99 reaches page 99 (file has 3 pages) after 0 of 10 bytes".into()
            }
        );
        let mut db = build::hash_db(&[(1, b"abcdefghij")], false, 4000);
        db[4096 + 26..4096 + 28].copy_from_slice(&5000u16.to_le_bytes());
        assert_eq!(
            read_blobs(&db).unwrap_err(),
            DbError::Page {
                page: 1,
                message: "item 0 offset 5000 out of range".into()
            }
        );
    }

    #[test]
    fn zeroed_and_truncated_files() {
        assert_eq!(
            read_blobs(&[0; 4096]).unwrap_err(),
            DbError::BadMagic {
                offset: 12,
                expected: "a Berkeley DB hash or btree magic"
            }
        );
        let db = build::hash_db(&[(1, b"abcdefghij")], false, 4000);
        assert_eq!(
            read_blobs(&db[..8192]).unwrap_err(),
            DbError::Truncated {
                offset: 32,
                needed: 3 * 4096,
                len: 8192
            }
        );
    }
}
