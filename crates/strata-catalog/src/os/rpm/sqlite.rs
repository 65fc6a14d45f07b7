//! A minimal read-only SQLite reader for `rpmdb.sqlite`: enough of the file format
//! (<https://www.sqlite.org/fileformat.html>) to walk the schema table and the
//! `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)` table b-tree in rowid order.
//!
//! Bounded: every page is visited at most once (b-tree pages and overflow pages share
//! one visited set, so loops and shared chains are errors), so time is linear in the
//! file and the blobs returned together are never larger than the file.
//!
//! Limitation: only the main database file is read. Frames still in a `-wal` file (a
//! database that was not checkpointed when the image was built) are not seen.

use super::{DbError, RawBlob};

const MAGIC: &[u8; 16] = b"SQLite format 3\0";
const HEADER_SIZE: usize = 100;

const INTERIOR_TABLE: u8 = 0x05;
const LEAF_TABLE: u8 = 0x0d;

struct Db<'a> {
    bytes: &'a [u8],
    page_size: usize,
    usable: usize,
    pages: u32,
    visited: Vec<bool>,
    /// Bytes of on-page payload copied so far. Cells of a valid database never
    /// overlap, so this never exceeds the file size; more means overlapping cells
    /// crafted to multiply memory use.
    copied: usize,
}

/// One value of a record, as far as this reader needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Value<'a> {
    Null,
    Int(i64),
    Other,
    Blob(&'a [u8]),
    Text(&'a [u8]),
}

fn be16(b: &[u8], at: usize) -> Option<usize> {
    let s = b.get(at..at + 2)?;
    Some(usize::from(u16::from_be_bytes([s[0], s[1]])))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// SQLite's varint: 1–9 bytes, big-endian, 7 bits per byte (8 in the ninth).
fn varint(b: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for i in 0..9 {
        let byte = *b.get(at + i)?;
        if i == 8 {
            return Some(((v << 8) | u64::from(byte), 9));
        }
        v = (v << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

impl<'a> Db<'a> {
    fn open(bytes: &'a [u8]) -> Result<Self, DbError> {
        if bytes.len() < HEADER_SIZE {
            return Err(DbError::Truncated {
                offset: 0,
                needed: HEADER_SIZE as u64,
                len: bytes.len() as u64,
            });
        }
        if bytes.get(..16) != Some(MAGIC.as_slice()) {
            return Err(DbError::BadMagic {
                offset: 0,
                expected: "\"SQLite format 3\"",
            });
        }
        let raw = be16(bytes, 16).unwrap_or(0);
        let page_size = if raw == 1 { 65536 } else { raw };
        if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(DbError::Malformed {
                offset: 16,
                message: format!("invalid page size {raw}"),
            });
        }
        let reserved = usize::from(bytes.get(20).copied().unwrap_or(0));
        let usable = page_size - reserved;
        if usable < 480 {
            return Err(DbError::Malformed {
                offset: 20,
                message: format!("{reserved} reserved bytes leave a usable page size of {usable}"),
            });
        }
        let encoding = be32(bytes, 56).unwrap_or(0);
        if encoding > 1 {
            return Err(DbError::Unsupported {
                offset: 56,
                message: format!("text encoding {encoding} (only UTF-8 is supported)"),
            });
        }
        let pages = u32::try_from(bytes.len() / page_size).unwrap_or(u32::MAX);
        Ok(Db {
            bytes,
            page_size,
            usable,
            pages,
            visited: vec![false; pages as usize + 1],
            copied: 0,
        })
    }

    /// Marks page `n` (1-based) visited and returns it.
    fn take_page(&mut self, n: u32, what: &str) -> Result<&'a [u8], DbError> {
        if n == 0 || n > self.pages {
            return Err(DbError::Page {
                page: n,
                message: format!(
                    "{what} page number out of range (file has {} pages)",
                    self.pages
                ),
            });
        }
        let seen = self.visited.get_mut(n as usize).ok_or(DbError::Page {
            page: n,
            message: "page out of range".into(),
        })?;
        if *seen {
            return Err(DbError::Page {
                page: n,
                message: format!("{what} page reached twice (loop or shared page)"),
            });
        }
        *seen = true;
        let start = (n as usize - 1) * self.page_size;
        let bytes: &'a [u8] = self.bytes;
        bytes
            .get(start..start + self.page_size)
            .ok_or(DbError::Page {
                page: n,
                message: "page out of range".into(),
            })
    }

    /// All rows of the table b-tree rooted at `root`, in rowid order.
    fn table_rows(&mut self, root: u32) -> Result<Vec<(i64, Vec<u8>)>, DbError> {
        let mut rows = Vec::new();
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            let page = self.take_page(n, "b-tree")?;
            let hdr = if n == 1 { HEADER_SIZE } else { 0 };
            let bad = |message: String| DbError::Page { page: n, message };
            let kind = *page.get(hdr).ok_or_else(|| bad("empty page".into()))?;
            let ncells = be16(page, hdr + 3).ok_or_else(|| bad("truncated header".into()))?;
            let (ptrs, interior) = match kind {
                INTERIOR_TABLE => (hdr + 12, true),
                LEAF_TABLE => (hdr + 8, false),
                other => {
                    return Err(bad(format!(
                        "page type {other:#04x} where a table b-tree page was expected"
                    )));
                }
            };
            if ptrs + 2 * ncells > self.usable {
                return Err(bad(format!("{ncells} cells do not fit in the page")));
            }
            let mut children = Vec::new();
            for i in 0..ncells {
                let cell = be16(page, ptrs + 2 * i).unwrap_or(0);
                if cell < ptrs + 2 * ncells || cell >= self.usable {
                    return Err(bad(format!("cell {i} offset {cell} out of range")));
                }
                if interior {
                    let child = be32(page, cell)
                        .ok_or_else(|| bad(format!("cell {i} at {cell} truncated")))?;
                    children.push(child);
                } else {
                    rows.push(self.leaf_cell(n, page, cell)?);
                }
            }
            if interior {
                let right = be32(page, hdr + 8).unwrap_or(0);
                children.push(right);
                // Depth-first, left to right: push in reverse.
                stack.extend(children.into_iter().rev());
            }
        }
        Ok(rows)
    }

    /// Reads one table leaf cell: (rowid, full payload).
    fn leaf_cell(
        &mut self,
        n: u32,
        page: &'a [u8],
        cell: usize,
    ) -> Result<(i64, Vec<u8>), DbError> {
        let bad = |message: String| DbError::Page { page: n, message };
        let (plen, a) =
            varint(page, cell).ok_or_else(|| bad(format!("cell at {cell}: truncated length")))?;
        let (rowid, b) = varint(page, cell + a)
            .ok_or_else(|| bad(format!("cell at {cell}: truncated rowid")))?;
        let start = cell + a + b;
        if plen > self.bytes.len() as u64 {
            return Err(bad(format!(
                "cell at {cell}: payload of {plen} bytes is larger than the file"
            )));
        }
        let plen = plen as usize;
        let u = self.usable;
        let x = u - 35;
        let local = if plen <= x {
            plen
        } else {
            let m = ((u - 12) * 32 / 255) - 23;
            let k = m + ((plen - m) % (u - 4));
            if k <= x { k } else { m }
        };
        let local_bytes = page
            .get(start..start + local)
            .filter(|_| start + local <= u)
            .ok_or_else(|| bad(format!("cell at {cell}: local payload runs past the page")))?;
        self.copied += local;
        if self.copied > self.bytes.len() {
            return Err(bad(format!(
                "cell at {cell}: cells overlap (more payload than the file holds)"
            )));
        }
        let mut payload = Vec::with_capacity(local);
        payload.extend_from_slice(local_bytes);
        if local < plen {
            let mut next = be32(page, start + local)
                .ok_or_else(|| bad(format!("cell at {cell}: truncated overflow pointer")))?;
            while payload.len() < plen {
                if next == 0 {
                    return Err(bad(format!(
                        "cell at {cell}: overflow chain ends after {} of {plen} bytes",
                        payload.len()
                    )));
                }
                let ov = self.take_page(next, "overflow")?;
                let want = (plen - payload.len()).min(u - 4);
                payload.extend_from_slice(ov.get(4..4 + want).unwrap_or_default());
                next = be32(ov, 0).unwrap_or(0);
            }
        }
        Ok((rowid as i64, payload))
    }
}

/// The values of a record (<https://www.sqlite.org/fileformat.html#record_format>).
fn record(payload: &[u8]) -> Option<Vec<Value<'_>>> {
    let (hlen, mut pos) = varint(payload, 0)?;
    let hlen = usize::try_from(hlen).ok()?;
    if hlen > payload.len() {
        return None;
    }
    let mut body = hlen;
    let mut out = Vec::new();
    while pos < hlen {
        let (st, n) = varint(payload, pos)?;
        pos += n;
        let (len, kind) = match st {
            0 | 8 | 9 => (0, st),
            1..=4 => (st as usize, st),
            5 => (6, st),
            6 | 7 => (8, st),
            10 | 11 => return None,
            n if n % 2 == 0 => (usize::try_from((n - 12) / 2).ok()?, 12),
            n => (usize::try_from((n - 13) / 2).ok()?, 13),
        };
        let bytes = payload.get(body..body.checked_add(len)?)?;
        body += len;
        out.push(match kind {
            0 => Value::Null,
            8 => Value::Int(0),
            9 => Value::Int(1),
            1..=6 => {
                let mut v: i64 = if bytes.first().is_some_and(|b| b & 0x80 != 0) {
                    -1
                } else {
                    0
                };
                for &b in bytes {
                    v = (v << 8) | i64::from(b);
                }
                Value::Int(v)
            }
            12 => Value::Blob(bytes),
            13 => Value::Text(bytes),
            _ => Value::Other,
        });
    }
    Some(out)
}

/// The header blobs of an `rpmdb.sqlite`, in `hnum` order. A zero-length file is an
/// empty database; a database without a `Packages` table is an error (rpm refuses it).
pub fn read_blobs(bytes: &[u8]) -> Result<Vec<RawBlob>, DbError> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let mut db = Db::open(bytes)?;
    let mut root = None;
    for (rowid, payload) in db.table_rows(1)? {
        let bad = || DbError::Row {
            table: "sqlite_schema",
            rowid,
            message: "malformed schema record".into(),
        };
        let rec = record(&payload).ok_or_else(bad)?;
        let is_packages = matches!(rec.first(), Some(Value::Text(b"table")))
            && matches!(rec.get(1), Some(Value::Text(name)) if name.eq_ignore_ascii_case(b"Packages"));
        if is_packages {
            match rec.get(3) {
                Some(Value::Int(r)) => {
                    root = Some(u32::try_from(*r).map_err(|_| bad())?);
                }
                _ => return Err(bad()),
            }
            break;
        }
    }
    let Some(root) = root else {
        return Err(DbError::MissingTable { name: "Packages" });
    };
    let rows = db.table_rows(root)?;
    let mut out = Vec::with_capacity(rows.len());
    for (rowid, payload) in rows {
        let rec = record(&payload).ok_or_else(|| DbError::Row {
            table: "Packages",
            rowid,
            message: "malformed record".into(),
        })?;
        let blob = match rec.get(1) {
            Some(Value::Blob(b) | Value::Text(b)) => b.to_vec(),
            _ => {
                return Err(DbError::Row {
                    table: "Packages",
                    rowid,
                    message: "column blob is not a blob".into(),
                });
            }
        };
        out.push(RawBlob {
            id: u32::try_from(rowid).unwrap_or(0),
            location: format!("Packages row hnum={rowid}"),
            data: blob,
        });
    }
    Ok(out)
}

/// Builds small SQLite files for tests: 512-byte pages, no overflow.
#[cfg(test)]
pub(crate) mod build {
    pub enum V<'a> {
        Null,
        Int(u8),
        Text(&'a str),
        Blob(&'a [u8]),
    }

    pub const PAGE: usize = 512;

    pub fn varint(out: &mut Vec<u8>, mut v: u64) {
        let mut tmp = Vec::new();
        tmp.push((v & 0x7f) as u8);
        v >>= 7;
        while v > 0 {
            tmp.push((v & 0x7f) as u8 | 0x80);
            v >>= 7;
        }
        tmp.reverse();
        out.extend_from_slice(&tmp);
    }

    pub fn record(values: &[V<'_>]) -> Vec<u8> {
        let mut types = Vec::new();
        let mut body = Vec::new();
        for v in values {
            match v {
                V::Null => varint(&mut types, 0),
                V::Int(i) => {
                    varint(&mut types, 1);
                    body.push(*i);
                }
                V::Text(t) => {
                    varint(&mut types, 13 + 2 * t.len() as u64);
                    body.extend_from_slice(t.as_bytes());
                }
                V::Blob(b) => {
                    varint(&mut types, 12 + 2 * b.len() as u64);
                    body.extend_from_slice(b);
                }
            }
        }
        let mut out = Vec::new();
        varint(&mut out, types.len() as u64 + 1);
        out.extend_from_slice(&types);
        out.extend_from_slice(&body);
        out
    }

    /// A leaf table page holding `cells` (rowid, record); `first` for page 1.
    pub fn leaf(cells: &[(u64, Vec<u8>)], first: bool) -> Vec<u8> {
        let mut page = vec![0u8; PAGE];
        let hdr = if first { 100 } else { 0 };
        page[hdr] = 0x0d;
        page[hdr + 3..hdr + 5].copy_from_slice(&(cells.len() as u16).to_be_bytes());
        let mut end = PAGE;
        for (i, (rowid, payload)) in cells.iter().enumerate() {
            let mut cell = Vec::new();
            varint(&mut cell, payload.len() as u64);
            varint(&mut cell, *rowid);
            cell.extend_from_slice(payload);
            end -= cell.len();
            page[end..end + cell.len()].copy_from_slice(&cell);
            let ptr = hdr + 8 + 2 * i;
            page[ptr..ptr + 2].copy_from_slice(&(end as u16).to_be_bytes());
        }
        page[hdr + 5..hdr + 7].copy_from_slice(&(end as u16).to_be_bytes());
        page
    }

    /// An interior table page with the given children (rowid keys are dummies).
    pub fn interior(children: &[u32], right: u32) -> Vec<u8> {
        let mut page = vec![0u8; PAGE];
        page[0] = 0x05;
        page[3..5].copy_from_slice(&(children.len() as u16).to_be_bytes());
        page[8..12].copy_from_slice(&right.to_be_bytes());
        let mut end = PAGE;
        for (i, c) in children.iter().enumerate() {
            end -= 5;
            page[end..end + 4].copy_from_slice(&c.to_be_bytes());
            page[end + 4] = i as u8;
            page[12 + 2 * i..14 + 2 * i].copy_from_slice(&(end as u16).to_be_bytes());
        }
        page
    }

    /// A database: page 1 is the schema naming `Packages` at `root`, then `pages`.
    pub fn db(root: u8, pages: &[Vec<u8>]) -> Vec<u8> {
        let schema = record(&[
            V::Text("table"),
            V::Text("Packages"),
            V::Text("Packages"),
            V::Int(root),
            V::Text("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB)"),
        ]);
        let mut first = leaf(&[(1, schema)], true);
        first[..16].copy_from_slice(b"SQLite format 3\0");
        first[16..18].copy_from_slice(&(PAGE as u16).to_be_bytes());
        first[18] = 1;
        first[19] = 1;
        first[28..32].copy_from_slice(&(pages.len() as u32 + 1).to_be_bytes());
        first[56..60].copy_from_slice(&1u32.to_be_bytes());
        let mut out = first;
        for p in pages {
            out.extend_from_slice(p);
        }
        out
    }

    pub fn row(blob: &[u8]) -> Vec<u8> {
        record(&[V::Null, V::Blob(blob)])
    }
}

#[cfg(test)]
mod tests {
    use super::build::{PAGE, db, interior, leaf, row};
    use super::*;

    #[test]
    fn hand_built_database_with_interior_page() {
        let file = db(
            2,
            &[
                interior(&[3], 4),
                leaf(&[(1, row(b"one")), (2, row(b"two"))], false),
                leaf(&[(3, row(b"three"))], false),
            ],
        );
        let got: Vec<(u32, Vec<u8>)> = read_blobs(&file)
            .unwrap()
            .into_iter()
            .map(|b| (b.id, b.data))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, b"one".to_vec()),
                (2, b"two".to_vec()),
                (3, b"three".to_vec())
            ]
        );
    }

    #[test]
    fn b_tree_loop_is_an_error() {
        let file = db(2, &[interior(&[3], 2), leaf(&[(1, row(b"x"))], false)]);
        assert_eq!(
            read_blobs(&file).unwrap_err(),
            DbError::Page {
                page: 2,
                message: "b-tree page reached twice (loop or shared page)".into()
            }
        );
    }

    #[test]
    fn root_page_out_of_range() {
        let file = db(9, &[leaf(&[], false)]);
        assert_eq!(
            read_blobs(&file).unwrap_err(),
            DbError::Page {
                page: 9,
                message: "b-tree page number out of range (file has 2 pages)".into()
            }
        );
    }

    #[test]
    fn overlapping_cells_cannot_multiply_memory() {
        let blob = [7u8; 100];
        let mut page = leaf(&[(1, row(&blob))], false);
        // 150 cell pointers all naming the same 106-byte cell at offset 406.
        let cell = [page[8], page[9]];
        assert_eq!(usize::from(u16::from_be_bytes(cell)), PAGE - 106);
        page[3..5].copy_from_slice(&150u16.to_be_bytes());
        for i in 0..150 {
            page[8 + 2 * i..10 + 2 * i].copy_from_slice(&cell);
        }
        let file = db(2, &[page]);
        assert_eq!(
            read_blobs(&file).unwrap_err(),
            DbError::Page {
                page: 2,
                message: "cell at 406: cells overlap (more payload than the file holds)".into()
            }
        );
    }

    #[test]
    fn varints() {
        assert_eq!(varint(&[0x05], 0), Some((5, 1)));
        assert_eq!(varint(&[0x81, 0x00], 0), Some((128, 2)));
        assert_eq!(varint(&[0xff; 9], 0), Some((u64::MAX, 9)));
        assert_eq!(varint(&[0x81], 0), None);
    }

    #[test]
    fn records() {
        // header len 3, NULL, blob of 2 bytes (serial 16)
        let payload = [3, 0, 16, 0xaa, 0xbb];
        assert_eq!(
            record(&payload),
            Some(vec![Value::Null, Value::Blob(&[0xaa, 0xbb])])
        );
        // int 1 byte negative
        assert_eq!(record(&[2, 1, 0xff]), Some(vec![Value::Int(-1)]));
        assert_eq!(record(&[2, 16, 0xaa]), None);
    }

    #[test]
    fn empty_file_is_an_empty_database() {
        assert_eq!(read_blobs(&[]).unwrap(), vec![]);
    }

    #[test]
    fn garbage_is_refused() {
        assert_eq!(
            read_blobs(&[7; 200]).unwrap_err(),
            DbError::BadMagic {
                offset: 0,
                expected: "\"SQLite format 3\""
            }
        );
        assert_eq!(
            read_blobs(&[7; 20]).unwrap_err(),
            DbError::Truncated {
                offset: 0,
                needed: 100,
                len: 20
            }
        );
    }
}
