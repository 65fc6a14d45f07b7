//! The per-layer cache: a layer's entry list and captured files, keyed by the layer's
//! diff_id and the capture spec's key.
//!
//! Several strata processes may share one cache directory: entries are written to a
//! temporary file in the same directory, fsynced and renamed into place; readers check
//! a trailing sha256 and ignore (and remove) entries that do not verify. When the
//! directory grows past its cap, the least recently used entries (by mtime, which a
//! hit refreshes) are removed.

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use sha2::{Digest as _, Sha256};
use strata_types::Digest;

use crate::fs::EntryKind;
use crate::layer::{Change, LayerEntry, LayerResult};
use crate::options::CacheOptions;

const MAGIC: &[u8; 8] = b"STRATALC";
const VERSION: u32 = 1;
const SUFFIX: &str = "layer";

/// A cache directory.
pub struct LayerCache {
    dir: PathBuf,
    max_bytes: u64,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl LayerCache {
    pub fn new(opts: &CacheOptions) -> LayerCache {
        LayerCache {
            dir: opts.dir.join("layers"),
            max_bytes: opts.max_bytes,
        }
    }

    fn key_string(diff_id: &Digest, capture_key: &str) -> String {
        format!("strata-layer-v{VERSION}\0{diff_id}\0{capture_key}")
    }

    fn path_for(&self, key: &str) -> PathBuf {
        let hash = crate::hash::sha256(key.as_bytes());
        self.dir.join(format!("{}.{SUFFIX}", hash.hex()))
    }

    /// The cached result for a layer, if present and intact.
    pub(crate) fn get(&self, diff_id: &Digest, capture_key: &str) -> Option<LayerResult> {
        let key = Self::key_string(diff_id, capture_key);
        let path = self.path_for(&key);
        let mut file = File::open(&path).ok()?;
        // Never larger than the whole cache may be: anything bigger is not ours.
        let len = file.metadata().ok()?.len();
        if len > self.max_bytes {
            let _ = fs::remove_file(&path);
            return None;
        }
        let mut data = Vec::with_capacity(usize::try_from(len).ok()?);
        Read::by_ref(&mut file)
            .take(self.max_bytes.saturating_add(1))
            .read_to_end(&mut data)
            .ok()?;
        match decode(&data, &key) {
            Some(r) => {
                // Refresh the mtime: it is the LRU clock.
                let _ = file.set_modified(SystemTime::now());
                Some(r)
            }
            None => {
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    /// Stores a layer's result. Failures are ignored: the cache is an optimisation.
    pub(crate) fn put(&self, diff_id: &Digest, capture_key: &str, result: &LayerResult) {
        let key = Self::key_string(diff_id, capture_key);
        let data = encode(result, &key);
        if data.len() as u64 > self.max_bytes {
            return;
        }
        if self.write_atomic(&self.path_for(&key), &data).is_ok() {
            self.evict();
        }
    }

    fn write_atomic(&self, dest: &Path, data: &[u8]) -> std::io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let tmp = self.dir.join(format!(
            ".tmp-{}-{nanos}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let result = (|| {
            let file = File::create_new(&tmp)?;
            let mut w = BufWriter::new(file);
            w.write_all(data)?;
            let file = w.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            fs::rename(&tmp, dest)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Removes least recently used entries until the directory fits its cap, and
    /// temporary files abandoned more than an hour ago.
    pub fn evict(&self) {
        let Ok(rd) = fs::read_dir(&self.dir) else {
            return;
        };
        let now = SystemTime::now();
        let mut files = Vec::new();
        let mut total: u64 = 0;
        for e in rd.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let name = e.file_name();
            let name = name.to_string_lossy();
            let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            if name.starts_with(".tmp-") {
                if now.duration_since(mtime).unwrap_or_default() > Duration::from_secs(3600) {
                    let _ = fs::remove_file(e.path());
                }
                continue;
            }
            if !name.ends_with(SUFFIX) {
                continue;
            }
            total += meta.len();
            files.push((mtime, meta.len(), e.path()));
        }
        if total <= self.max_bytes {
            return;
        }
        files.sort();
        for (_, len, path) in files {
            if total <= self.max_bytes {
                break;
            }
            if fs::remove_file(&path).is_ok() {
                total = total.saturating_sub(len);
            }
        }
    }
}

fn kind_code(c: Change) -> u8 {
    match c {
        Change::Add(EntryKind::File) => 0,
        Change::Add(EntryKind::HardLink) => 1,
        Change::Add(EntryKind::Symlink) => 2,
        Change::Add(EntryKind::Dir) => 3,
        Change::Add(EntryKind::CharDev) => 4,
        Change::Add(EntryKind::BlockDev) => 5,
        Change::Add(EntryKind::Fifo) => 6,
        Change::Add(EntryKind::Socket) => 7,
        Change::Whiteout => 8,
        Change::Opaque => 9,
    }
}

fn code_kind(c: u8) -> Option<Change> {
    Some(match c {
        0 => Change::Add(EntryKind::File),
        1 => Change::Add(EntryKind::HardLink),
        2 => Change::Add(EntryKind::Symlink),
        3 => Change::Add(EntryKind::Dir),
        4 => Change::Add(EntryKind::CharDev),
        5 => Change::Add(EntryKind::BlockDev),
        6 => Change::Add(EntryKind::Fifo),
        7 => Change::Add(EntryKind::Socket),
        8 => Change::Whiteout,
        9 => Change::Opaque,
        _ => return None,
    })
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u64).to_le_bytes());
    out.extend_from_slice(b);
}

pub(crate) fn encode(r: &LayerResult, key: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + r.entries.len() * 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    put_bytes(&mut out, key.as_bytes());
    out.extend_from_slice(&r.uncompressed_size.to_le_bytes());
    out.extend_from_slice(&(r.entries.len() as u64).to_le_bytes());
    for e in &r.entries {
        put_bytes(&mut out, e.path.as_bytes());
        out.push(kind_code(e.change));
        out.extend_from_slice(&e.mode.to_le_bytes());
        out.extend_from_slice(&e.uid.to_le_bytes());
        out.extend_from_slice(&e.gid.to_le_bytes());
        out.extend_from_slice(&e.size.to_le_bytes());
        out.extend_from_slice(&e.mtime.to_le_bytes());
        match &e.link {
            Some(l) => {
                out.push(1);
                put_bytes(&mut out, l.as_bytes());
            }
            None => out.push(0),
        }
    }
    out.extend_from_slice(&(r.captured.len() as u64).to_le_bytes());
    for (p, d) in &r.captured {
        put_bytes(&mut out, p.as_bytes());
        put_bytes(&mut out, d);
    }
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    out
}

struct Cursor<'a> {
    data: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.data.split_at_checked(n)?;
        self.data = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.u64()?).ok()?;
        self.take(n)
    }
    fn string(&mut self) -> Option<String> {
        std::str::from_utf8(self.bytes()?).ok().map(str::to_owned)
    }
}

pub(crate) fn decode(data: &[u8], key: &str) -> Option<LayerResult> {
    let (body, sum) = data.split_at_checked(data.len().checked_sub(32)?)?;
    if Sha256::digest(body).as_slice() != sum {
        return None;
    }
    let mut c = Cursor { data: body };
    if c.take(8)? != MAGIC || c.u32()? != VERSION || c.bytes()? != key.as_bytes() {
        return None;
    }
    let uncompressed_size = c.u64()?;
    let n = c.u64()?;
    // Every entry takes at least 46 bytes: bound the allocation by the input.
    let mut entries = Vec::with_capacity(usize::try_from(n.min(body.len() as u64 / 46)).ok()?);
    for _ in 0..n {
        let path = c.string()?;
        let change = code_kind(c.u8()?)?;
        let mode = c.u32()?;
        let uid = c.u64()?;
        let gid = c.u64()?;
        let size = c.u64()?;
        let mtime = c.i64()?;
        let link = match c.u8()? {
            0 => None,
            1 => Some(c.string()?),
            _ => return None,
        };
        entries.push(LayerEntry {
            path,
            change,
            mode,
            uid,
            gid,
            size,
            mtime,
            link,
        });
    }
    let n = c.u64()?;
    let mut captured = Vec::with_capacity(usize::try_from(n.min(body.len() as u64 / 16)).ok()?);
    for _ in 0..n {
        let path = c.string()?;
        let data: Arc<[u8]> = c.bytes()?.into();
        captured.push((path, data));
    }
    if !c.data.is_empty() {
        return None;
    }
    Some(LayerResult {
        entries,
        captured,
        uncompressed_size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LayerResult {
        LayerResult {
            entries: vec![
                LayerEntry {
                    path: "/etc/os-release".into(),
                    change: Change::Add(EntryKind::Symlink),
                    mode: 0o777,
                    uid: 0,
                    gid: 0,
                    size: 0,
                    mtime: -5,
                    link: Some("../usr/lib/os-release".into()),
                },
                LayerEntry {
                    path: "/old".into(),
                    change: Change::Whiteout,
                    mode: 0,
                    uid: 1,
                    gid: 2,
                    size: 3,
                    mtime: 4,
                    link: None,
                },
            ],
            captured: vec![("/a".into(), Arc::from(&b"hello"[..]))],
            uncompressed_size: 10240,
        }
    }

    #[test]
    fn round_trip_and_corruption() {
        let r = sample();
        let enc = encode(&r, "k");
        assert_eq!(decode(&enc, "k"), Some(r));
        assert_eq!(decode(&enc, "other"), None);
        for i in [0, 9, enc.len() / 2, enc.len() - 1] {
            let mut bad = enc.clone();
            bad[i] ^= 1;
            assert_eq!(decode(&bad, "k"), None, "flip at {i}");
        }
        assert_eq!(decode(&enc[..enc.len() - 1], "k"), None);
        assert_eq!(decode(&[], "k"), None);
    }
}
