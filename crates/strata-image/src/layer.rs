//! Streams one layer blob: checks its digest and size, decompresses it, checks the
//! uncompressed digest against the config's diff_id, and turns its tar entries into a
//! list of changes plus the captured files.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;

use strata_types::Digest;

use crate::capture::CaptureSpec;
use crate::error::{ImageError, LayerError, LayerErrorKind};
use crate::fs::EntryKind;
use crate::hash::{HashCount, Hasher, limit_hit};
use crate::options::Limits;
use crate::source::Descriptor;
use crate::tar::{StreamInput, TarErrorKind, TarKind, TarLimits, TarReader};

/// How a layer blob is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    /// The compression a layer media type declares; `None` for an unknown type.
    pub fn from_media_type(media_type: &str) -> Option<Compression> {
        match media_type {
            "application/vnd.oci.image.layer.v1.tar"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar"
            | "application/vnd.docker.image.rootfs.diff.tar" => Some(Compression::None),
            "application/vnd.oci.image.layer.v1.tar+gzip"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
            | "application/vnd.docker.image.rootfs.diff.tar.gzip"
            | "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" => {
                Some(Compression::Gzip)
            }
            "application/vnd.oci.image.layer.v1.tar+zstd"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
            | "application/vnd.docker.image.rootfs.diff.tar.zstd" => Some(Compression::Zstd),
            _ => None,
        }
    }

    /// The compression the first bytes of a blob show.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Compression::None => "uncompressed",
            Compression::Gzip => "gzip-compressed",
            Compression::Zstd => "zstd-compressed",
        }
    }
}

/// What one layer entry does to the filesystem below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// Adds or replaces the path.
    Add(EntryKind),
    /// `.wh.<name>`: deletes the path (and everything under it) from lower layers.
    Whiteout,
    /// `.wh..wh..opq`: hides everything lower layers put under this directory.
    Opaque,
}

/// One entry of a layer, with its path normalised to `/a/b`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LayerEntry {
    pub(crate) path: String,
    pub(crate) change: Change,
    pub(crate) mode: u32,
    pub(crate) uid: u64,
    pub(crate) gid: u64,
    pub(crate) size: u64,
    pub(crate) mtime: i64,
    /// Symlink target as written; hard link target normalised to `/a/b`.
    pub(crate) link: Option<String>,
}

/// Everything the index needs from one layer; also what the cache stores.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LayerResult {
    pub(crate) entries: Vec<LayerEntry>,
    /// Captured regular files (and hard links to captured files), last write wins.
    pub(crate) captured: Vec<(String, Arc<[u8]>)>,
    pub(crate) uncompressed_size: u64,
}

/// Budgets shared by all layers of one image.
#[derive(Clone, Debug)]
pub(crate) struct Budget {
    pub(crate) image_bytes_left: u64,
    pub(crate) captured_left: u64,
    pub(crate) entries_left: u64,
    /// Set when a charge went over a budget (layers read in parallel or from the cache).
    pub(crate) over: Option<&'static str>,
}

impl Budget {
    pub(crate) fn new(limits: &Limits) -> Budget {
        Budget {
            image_bytes_left: limits.max_image_bytes,
            captured_left: limits.max_captured_total,
            entries_left: limits.max_entries,
            over: None,
        }
    }

    /// Charges a layer that was read without this budget (cache hit, parallel read).
    pub(crate) fn charge(&mut self, r: &LayerResult) {
        let captured: u64 = r.captured.iter().map(|(_, d)| d.len() as u64).sum();
        let entries = r.entries.len() as u64;
        let mut take = |left: &mut u64, n: u64, what: &'static str| match left.checked_sub(n) {
            Some(v) => *left = v,
            None => {
                *left = 0;
                self.over.get_or_insert(what);
            }
        };
        take(
            &mut self.image_bytes_left,
            r.uncompressed_size,
            "uncompressed image size (bytes)",
        );
        take(
            &mut self.captured_left,
            captured,
            "captured bytes of the image",
        );
        take(&mut self.entries_left, entries, "number of entries");
    }

    /// An error if a charge went over a budget.
    pub(crate) fn check(&self, reference: &str, limits: &Limits) -> Result<(), ImageError> {
        let Some(what) = self.over else {
            return Ok(());
        };
        let limit = match what {
            "uncompressed image size (bytes)" => limits.max_image_bytes,
            "captured bytes of the image" => limits.max_captured_total,
            _ => limits.max_entries,
        };
        Err(ImageError::Limit {
            reference: reference.to_owned(),
            what,
            limit,
            path: "(whole image)".to_owned(),
        })
    }
}

/// Which layer is being read, for error messages and checks.
pub(crate) struct LayerJob<'a> {
    pub(crate) reference: &'a str,
    pub(crate) index: usize,
    pub(crate) desc: &'a Descriptor,
    pub(crate) diff_id: &'a Digest,
}

impl LayerJob<'_> {
    pub(crate) fn error(
        &self,
        entry: Option<&str>,
        offset: Option<u64>,
        kind: LayerErrorKind,
    ) -> ImageError {
        ImageError::Layer(Box::new(LayerError {
            reference: self.reference.to_owned(),
            index: self.index,
            digest: self.desc.digest.clone(),
            entry: entry.map(str::to_owned),
            offset,
            kind,
        }))
    }
}

/// Normalises a tar path to `/a/b`. `..` may not climb above the root: such paths are
/// rejected (`Err`), as Docker does. Absolute paths are taken relative to the root.
pub(crate) fn normalize(raw: &str) -> Result<String, ()> {
    let mut out = String::with_capacity(raw.len() + 1);
    for comp in raw.split('/') {
        match comp {
            "" | "." => {}
            ".." => match out.rfind('/') {
                Some(i) if !out.is_empty() => out.truncate(i),
                _ => return Err(()),
            },
            c => {
                out.push('/');
                out.push_str(c);
            }
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// Where a symlink at `path` with target `target` points, as a normalised absolute
/// path (`..` stops at the root, as it does inside a container).
pub(crate) fn symlink_target(path: &str, target: &str) -> String {
    let mut out = String::with_capacity(path.len() + target.len() + 1);
    if !target.starts_with('/') {
        out.push_str(parent(path).trim_end_matches('/'));
    }
    for comp in target.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                let cut = out.rfind('/').unwrap_or(0);
                out.truncate(cut);
            }
            c => {
                out.push('/');
                out.push_str(c);
            }
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// The parent directory of a normalised path (`/a/b` -> `/a`, `/a` -> `/`).
pub(crate) fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => path.get(..i).unwrap_or("/"),
    }
}

fn join(dir: &str, name: &str) -> String {
    let mut s = String::with_capacity(dir.len() + 1 + name.len());
    s.push_str(dir);
    if !dir.ends_with('/') {
        s.push('/');
    }
    s.push_str(name);
    s
}

enum Decoder<R: BufRead> {
    Plain(R),
    Gzip(Box<flate2::bufread::MultiGzDecoder<R>>),
    Zstd(zstd::stream::read::Decoder<'static, R>),
}

impl<R: BufRead> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(r) => r.read(buf),
            Decoder::Zstd(r) => r.read(buf),
        }
    }
}

impl<R: BufRead> Decoder<R> {
    fn into_inner(self) -> R {
        match self {
            Decoder::Plain(r) => r,
            Decoder::Gzip(r) => r.into_inner(),
            Decoder::Zstd(r) => r.finish(),
        }
    }
}

/// Maps an I/O error from the decompress/tar pipeline to a layer error kind.
fn classify(e: io::Error, compression: Compression) -> LayerErrorKind {
    if let Some(l) = limit_hit(&e) {
        return LayerErrorKind::LimitExceeded {
            what: l.what,
            limit: l.limit,
        };
    }
    match (e.kind(), compression) {
        (io::ErrorKind::UnexpectedEof, Compression::None) => {
            LayerErrorKind::Truncated(format!("blob ends early ({e})"))
        }
        (io::ErrorKind::UnexpectedEof, c) => {
            LayerErrorKind::Truncated(format!("{} stream ends early ({e})", c.describe()))
        }
        (io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData | io::ErrorKind::Other, c)
            if c != Compression::None =>
        {
            LayerErrorKind::Decompress(e.to_string())
        }
        _ => LayerErrorKind::Io(e),
    }
}

/// Reads one layer blob. `blob` yields the bytes as stored.
pub(crate) fn read_layer(
    job: &LayerJob<'_>,
    blob: &mut (dyn Read + Send),
    limits: &Limits,
    budget: &mut Budget,
    capture: &dyn CaptureSpec,
    pipeline: bool,
) -> Result<LayerResult, ImageError> {
    let desc = job.desc;
    let declared = Compression::from_media_type(&desc.media_type).ok_or_else(|| {
        job.error(
            None,
            None,
            LayerErrorKind::UnknownMediaType(desc.media_type.clone()),
        )
    })?;

    let compressed = HashCount::new(
        blob,
        Some(Hasher::like(&desc.digest)),
        desc.size,
        "blob size (bytes, from its descriptor)",
    );
    let mut buffered = BufReader::with_capacity(1024 * 1024, compressed);
    let head = match buffered.fill_buf() {
        Ok(h) => h,
        Err(e) => return Err(job.error(None, Some(0), classify(e, Compression::None))),
    };
    let sniffed = Compression::sniff(head);
    let compression = match declared {
        // Uncompressed by media type but compressed by magic: trust the magic (a tar
        // header cannot start with these bytes).
        Compression::None => sniffed,
        c if c == sniffed || head.is_empty() => c,
        _ => {
            return Err(job.error(
                None,
                Some(0),
                LayerErrorKind::CompressionMismatch {
                    media_type: desc.media_type.clone(),
                    sniffed: sniffed.describe(),
                },
            ));
        }
    };
    let decoder = match compression {
        Compression::None => Decoder::Plain(buffered),
        Compression::Gzip => {
            Decoder::Gzip(Box::new(flate2::bufread::MultiGzDecoder::new(buffered)))
        }
        Compression::Zstd => match zstd::stream::read::Decoder::with_buffer(buffered) {
            Ok(d) => Decoder::Zstd(d),
            Err(e) => {
                return Err(job.error(None, Some(0), LayerErrorKind::Decompress(e.to_string())));
            }
        },
    };
    // An uncompressed blob whose digest is its diff_id is hashed once.
    let same_stream = compression == Compression::None && desc.digest == *job.diff_id;
    let hasher = (!same_stream).then(|| Hasher::like(job.diff_id));
    let mut decoder = decoder;
    let parsed = if compression == Compression::None || !pipeline {
        parse_stream(
            job,
            &mut decoder,
            hasher,
            compression,
            limits,
            budget,
            capture,
        )
    } else {
        // Decompress on a second thread while this one hashes and indexes.
        pipelined(&mut decoder, |input| {
            parse_stream(job, input, hasher, compression, limits, budget, capture)
        })
    };
    let (result, diff) = parsed?;

    let mut compressed = decoder.into_inner().into_inner();
    if let Err(e) = compressed.drain() {
        return Err(job.error(None, None, classify(e, Compression::None)));
    }
    let (_, blob_size, blob_digest) = compressed.finish();
    if blob_size != desc.size {
        return Err(job.error(
            None,
            None,
            LayerErrorKind::SizeMismatch {
                expected: desc.size,
                actual: blob_size,
            },
        ));
    }
    if let Some(actual) = blob_digest
        && actual != desc.digest
    {
        return Err(job.error(
            None,
            None,
            LayerErrorKind::DigestMismatch {
                expected: desc.digest.clone(),
                actual,
            },
        ));
    }
    if let Some(actual) = diff
        && actual != *job.diff_id
    {
        return Err(job.error(
            None,
            None,
            LayerErrorKind::DiffIdMismatch {
                expected: job.diff_id.clone(),
                actual,
            },
        ));
    }
    Ok(result)
}

const CHUNK: usize = 1024 * 1024;

/// Runs `consume` over the output of `decoder`, which is read on another thread in
/// chunks (at most a few MiB in flight).
fn pipelined<D: Read + Send, T>(decoder: &mut D, consume: impl FnOnce(&mut dyn Read) -> T) -> T {
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(4);
        s.spawn(move || {
            loop {
                let mut buf = vec![0u8; CHUNK];
                // Bytes read before an error are sent before the error.
                let (n, err) = fill(decoder, &mut buf);
                if n > 0 {
                    buf.truncate(n);
                    if tx.send(Ok(buf)).is_err() {
                        break;
                    }
                }
                if let Some(e) = err {
                    let _ = tx.send(Err(e));
                    break;
                }
                if n < CHUNK {
                    break;
                }
            }
        });
        let mut reader = ChannelReader {
            rx,
            buf: Vec::new(),
            pos: 0,
            done: false,
        };
        // `reader` (the receiver) is dropped when `consume` returns, which stops the
        // producer if it is still running.
        consume(&mut reader)
    })
}

/// Reads until `buf` is full, the stream ends or fails; returns what was read and the
/// error, if any.
fn fill(r: &mut dyn Read, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..) {
        if rest.is_empty() {
            break;
        }
        match r.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (filled, Some(e)),
        }
    }
    (filled, None)
}

struct ChannelReader {
    rx: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    buf: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.buf.len() {
            if self.done {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(b)) => {
                    self.buf = b;
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Ok(0);
                }
            }
        }
        let avail = self.buf.get(self.pos..).unwrap_or(&[]);
        let n = avail.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), avail.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.pos += n;
        Ok(n)
    }
}

/// Indexes one uncompressed layer stream: hashes it (when `hasher` is given), applies
/// the size limits and walks its tar entries. Returns the result and the digest.
fn parse_stream(
    job: &LayerJob<'_>,
    input: &mut dyn Read,
    hasher: Option<Hasher>,
    compression: Compression,
    limits: &Limits,
    budget: &mut Budget,
    capture: &dyn CaptureSpec,
) -> Result<(LayerResult, Option<Digest>), ImageError> {
    let layer_limit = limits.max_layer_bytes.min(budget.image_bytes_left);
    let what = if limits.max_layer_bytes <= budget.image_bytes_left {
        "uncompressed layer size (bytes)"
    } else {
        "uncompressed image size (bytes)"
    };
    let uncompressed = HashCount::new(input, hasher, layer_limit, what);
    let input = StreamInput::new(BufReader::with_capacity(256 * 1024, uncompressed));
    let tar_limits = TarLimits {
        max_meta: limits.max_tar_meta,
        max_entries: budget.entries_left,
    };
    let mut tar = TarReader::new(input, tar_limits);
    let mut result = LayerResult::default();
    // Index into `result.captured` by path (captured files only).
    let mut captured_at: HashMap<String, usize> = HashMap::new();
    // Targets of wanted symlinks: wanted too when they come later in this layer.
    let mut link_targets: HashSet<String> = HashSet::new();

    loop {
        let last = result.entries.last().map(|e| e.path.as_str());
        let entry = match tar.next_entry() {
            Ok(Some(e)) => e,
            Ok(None) => break,
            Err(e) => {
                let kind = match e.kind {
                    TarErrorKind::Io(io) => classify(io, compression),
                    TarErrorKind::Truncated(w) => {
                        LayerErrorKind::Truncated(format!("archive ends inside {w}"))
                    }
                    TarErrorKind::TooLarge(what, limit) => {
                        LayerErrorKind::LimitExceeded { what, limit }
                    }
                    other => LayerErrorKind::Tar(other.to_string()),
                };
                let after = last.map(|p| format!("(header after {p})"));
                return Err(job.error(after.as_deref(), Some(e.offset), kind));
            }
        };
        let offset = Some(entry.header_offset);
        let Ok(path) = normalize(&entry.path) else {
            return Err(job.error(
                Some(&entry.path),
                offset,
                LayerErrorKind::PathEscape(entry.path.clone()),
            ));
        };
        let name = path.rsplit('/').next().unwrap_or("");
        if let Some(target) = name.strip_prefix(".wh.") {
            let change = if target == ".wh..opq" {
                Some((parent(&path).to_owned(), Change::Opaque))
            } else if target.starts_with(".wh.") || target.is_empty() {
                None // aufs bookkeeping (.wh..wh.plnk and the like)
            } else {
                Some((join(parent(&path), target), Change::Whiteout))
            };
            if let Some((p, change)) = change {
                result.entries.push(LayerEntry {
                    path: p,
                    change,
                    mode: 0,
                    uid: 0,
                    gid: 0,
                    size: 0,
                    mtime: entry.mtime,
                    link: None,
                });
            }
            continue;
        }
        if path == "/" {
            continue;
        }
        let kind = match entry.kind {
            TarKind::File => EntryKind::File,
            TarKind::HardLink => EntryKind::HardLink,
            TarKind::Symlink => EntryKind::Symlink,
            TarKind::Dir => EntryKind::Dir,
            TarKind::CharDev => EntryKind::CharDev,
            TarKind::BlockDev => EntryKind::BlockDev,
            TarKind::Fifo => EntryKind::Fifo,
            TarKind::Other(_) => continue,
        };
        let link = match (kind, entry.link) {
            (EntryKind::HardLink, Some(l)) => match normalize(&l) {
                Ok(n) => Some(n),
                Err(()) => {
                    return Err(job.error(
                        Some(&entry.path),
                        offset,
                        LayerErrorKind::PathEscape(l),
                    ));
                }
            },
            (EntryKind::HardLink, None) => {
                return Err(job.error(
                    Some(&entry.path),
                    offset,
                    LayerErrorKind::Tar("hard link without a target".to_owned()),
                ));
            }
            (EntryKind::Symlink, l) => Some(l.unwrap_or_default()),
            _ => None,
        };
        let wanted = matches!(
            kind,
            EntryKind::File | EntryKind::HardLink | EntryKind::Symlink
        ) && (capture.wants(&path)
            || (!link_targets.is_empty() && link_targets.contains(path.as_str())));
        if kind == EntryKind::Symlink
            && wanted
            && let Some(t) = link.as_deref()
        {
            link_targets.insert(symlink_target(&path, t));
        }
        if kind == EntryKind::File && wanted {
            let size = entry.size;
            if size > limits.max_captured_file {
                return Err(job.error(
                    Some(&entry.path),
                    offset,
                    LayerErrorKind::LimitExceeded {
                        what: "captured file size (bytes)",
                        limit: limits.max_captured_file,
                    },
                ));
            }
            if size > budget.captured_left {
                return Err(job.error(
                    Some(&entry.path),
                    offset,
                    LayerErrorKind::LimitExceeded {
                        what: "captured bytes of the image",
                        limit: limits.max_captured_total,
                    },
                ));
            }
            let mut data = Vec::with_capacity(usize::try_from(size.min(1 << 20)).unwrap_or(0));
            if let Err(e) = (&mut tar).take(size).read_to_end(&mut data) {
                let at = Some(tar.position());
                return Err(job.error(Some(&entry.path), at, classify(e, compression)));
            }
            budget.captured_left -= size;
            let data: Arc<[u8]> = data.into();
            match captured_at
                .get(&path)
                .and_then(|&i| result.captured.get_mut(i))
            {
                Some(slot) => slot.1 = data,
                None => {
                    captured_at.insert(path.clone(), result.captured.len());
                    result.captured.push((path.clone(), data));
                }
            }
        } else if kind == EntryKind::HardLink && wanted {
            let target = link.as_deref().unwrap_or("");
            let found = captured_at
                .get(target)
                .and_then(|&i| result.captured.get(i))
                .map(|(_, d)| Arc::clone(d));
            if let Some(data) = found {
                match captured_at
                    .get(&path)
                    .and_then(|&i| result.captured.get_mut(i))
                {
                    Some(slot) => slot.1 = data,
                    None => {
                        captured_at.insert(path.clone(), result.captured.len());
                        result.captured.push((path.clone(), data));
                    }
                }
            }
        }
        result.entries.push(LayerEntry {
            path,
            change: Change::Add(kind),
            mode: entry.mode,
            uid: entry.uid,
            gid: entry.gid,
            size: entry.size,
            mtime: entry.mtime,
            link,
        });
    }
    budget.entries_left = budget
        .entries_left
        .saturating_sub(result.entries.len() as u64);

    // Read what follows the end-of-archive marker so both digests cover every byte.
    let end_offset = tar.position();
    let mut buffered = tar.into_inner().into_inner();
    if let Err(e) = io::copy(&mut buffered, &mut io::sink()) {
        return Err(job.error(None, Some(end_offset), classify(e, compression)));
    }
    let (_, usize_, diff) = buffered.into_inner().finish();
    result.uncompressed_size = usize_;
    budget.image_bytes_left = budget.image_bytes_left.saturating_sub(usize_);
    Ok((result, diff))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_paths() {
        assert_eq!(normalize("./etc/passwd").unwrap(), "/etc/passwd");
        assert_eq!(normalize("/etc//x/./y").unwrap(), "/etc/x/y");
        assert_eq!(normalize("a/b/../c").unwrap(), "/a/c");
        assert_eq!(normalize("./").unwrap(), "/");
        assert!(normalize("../etc").is_err());
        assert!(normalize("a/../../etc").is_err());
        assert_eq!(parent("/a/b"), "/a");
        assert_eq!(parent("/a"), "/");
        assert_eq!(
            symlink_target("/etc/os-release", "../usr/lib/os-release"),
            "/usr/lib/os-release"
        );
        assert_eq!(symlink_target("/etc/x", "/a/./b"), "/a/b");
        assert_eq!(symlink_target("/etc/x", "../../../../y"), "/y");
        assert_eq!(symlink_target("/x", "."), "/");
    }

    #[test]
    fn media_types() {
        assert_eq!(
            Compression::from_media_type("application/vnd.oci.image.layer.v1.tar+zstd"),
            Some(Compression::Zstd)
        );
        assert_eq!(Compression::from_media_type("text/plain"), None);
        assert_eq!(Compression::sniff(&[0x1f, 0x8b, 8]), Compression::Gzip);
    }
}
