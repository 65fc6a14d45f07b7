//! A small streaming tar reader (ustar, GNU long names, PAX extended headers).
//!
//! It reads headers from any [`TarInput`]: a stream (a layer being decompressed, whose
//! skipped bytes still have to be read so they are hashed) or a file (a `docker save`
//! tarball, where skipping is a seek). Metadata records (long names, PAX headers) are
//! capped in size; every error carries the byte offset of the header it concerns.

use std::fs::File;
use std::io::{self, BufReader, Read};

const BLOCK: u64 = 512;

/// Where a [`TarReader`] reads from.
pub(crate) trait TarInput: Read {
    /// Skips `n` bytes; fails with `UnexpectedEof` when fewer remain.
    fn skip(&mut self, n: u64) -> io::Result<()>;
}

/// A forward-only stream; skipping reads (and discards) the bytes.
pub(crate) struct StreamInput<R> {
    inner: R,
    scratch: Vec<u8>,
}

impl<R: Read> StreamInput<R> {
    pub(crate) fn new(inner: R) -> Self {
        StreamInput {
            inner,
            scratch: Vec::new(),
        }
    }

    pub(crate) fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for StreamInput<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl<R: Read> TarInput for StreamInput<R> {
    fn skip(&mut self, mut n: u64) -> io::Result<()> {
        if n == 0 {
            return Ok(());
        }
        if self.scratch.is_empty() {
            self.scratch = vec![0; 1024 * 1024];
        }
        while n > 0 {
            let want = usize::try_from(n.min(self.scratch.len() as u64)).unwrap_or(0);
            let Some(buf) = self.scratch.get_mut(..want) else {
                return Err(io::Error::other("skip buffer"));
            };
            let got = match self.inner.read(buf) {
                Ok(g) => g,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if got == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "stream ended inside an entry",
                ));
            }
            n -= got as u64;
        }
        Ok(())
    }
}

/// A seekable file of known length; skipping is a seek.
pub(crate) struct FileInput {
    file: BufReader<File>,
    pos: u64,
    len: u64,
}

impl FileInput {
    pub(crate) fn new(file: File) -> io::Result<Self> {
        let len = file.metadata()?.len();
        Ok(FileInput {
            file: BufReader::with_capacity(64 * 1024, file),
            pos: 0,
            len,
        })
    }
}

impl Read for FileInput {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl TarInput for FileInput {
    fn skip(&mut self, n: u64) -> io::Result<()> {
        let end = self.pos.saturating_add(n);
        if end > self.len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file ended inside an entry",
            ));
        }
        let delta = i64::try_from(n).map_err(|_| io::Error::other("skip too large"))?;
        self.file.seek_relative(delta)?;
        self.pos = end;
        Ok(())
    }
}

/// The kind of a tar entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TarKind {
    File,
    HardLink,
    Symlink,
    CharDev,
    BlockDev,
    Dir,
    Fifo,
    /// A type strata does not interpret (volume labels, ...); its data is skipped.
    Other(u8),
}

/// One entry's header, after long names and PAX records were applied.
#[derive(Clone, Debug)]
pub(crate) struct TarEntry {
    /// The path as written in the archive (not normalised).
    pub(crate) path: String,
    pub(crate) link: Option<String>,
    pub(crate) kind: TarKind,
    pub(crate) mode: u32,
    pub(crate) uid: u64,
    pub(crate) gid: u64,
    pub(crate) size: u64,
    pub(crate) mtime: i64,
    /// Offset of the entry's (last) header block.
    pub(crate) header_offset: u64,
    /// Offset of the entry's data.
    pub(crate) data_offset: u64,
}

#[derive(Debug)]
pub(crate) enum TarErrorKind {
    Io(io::Error),
    Truncated(&'static str),
    BadChecksum,
    BadField(&'static str),
    TooLarge(&'static str, u64),
    Unsupported(String),
}

/// A tar error at a byte offset of the archive.
#[derive(Debug)]
pub(crate) struct TarError {
    pub(crate) offset: u64,
    pub(crate) kind: TarErrorKind,
}

impl std::fmt::Display for TarErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TarErrorKind::Io(e) => write!(f, "{e}"),
            TarErrorKind::Truncated(what) => write!(f, "archive ends inside {what}"),
            TarErrorKind::BadChecksum => write!(f, "header checksum mismatch (not a tar archive?)"),
            TarErrorKind::BadField(name) => write!(f, "header field {name} is not a number"),
            TarErrorKind::TooLarge(what, limit) => {
                write!(f, "{what} exceeds the limit of {limit}")
            }
            TarErrorKind::Unsupported(what) => write!(f, "unsupported: {what}"),
        }
    }
}

/// Bounds for one archive.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TarLimits {
    /// Largest GNU long name or PAX header record set.
    pub(crate) max_meta: u64,
    /// Most entries in one archive.
    pub(crate) max_entries: u64,
}

impl Default for TarLimits {
    fn default() -> Self {
        TarLimits {
            max_meta: 1024 * 1024,
            max_entries: 10_000_000,
        }
    }
}

#[derive(Default)]
struct Pax {
    path: Option<String>,
    link: Option<String>,
    size: Option<u64>,
    uid: Option<u64>,
    gid: Option<u64>,
    mtime: Option<i64>,
    sparse: bool,
}

/// Reads entries one after another. Data not read by the caller is skipped.
pub(crate) struct TarReader<I> {
    input: I,
    pos: u64,
    remaining: u64,
    padding: u64,
    done: bool,
    entries: u64,
    limits: TarLimits,
}

fn err(offset: u64, kind: TarErrorKind) -> TarError {
    TarError { offset, kind }
}

fn io_err(offset: u64, e: io::Error, what: &'static str) -> TarError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        err(offset, TarErrorKind::Truncated(what))
    } else {
        err(offset, TarErrorKind::Io(e))
    }
}

impl<I: TarInput> TarReader<I> {
    pub(crate) fn new(input: I, limits: TarLimits) -> Self {
        TarReader {
            input,
            pos: 0,
            remaining: 0,
            padding: 0,
            done: false,
            entries: 0,
            limits,
        }
    }

    /// The current offset in the archive.
    pub(crate) fn position(&self) -> u64 {
        self.pos
    }

    pub(crate) fn into_inner(self) -> I {
        self.input
    }

    fn skip(&mut self, n: u64, what: &'static str) -> Result<(), TarError> {
        self.input.skip(n).map_err(|e| io_err(self.pos, e, what))?;
        self.pos += n;
        Ok(())
    }

    /// Reads one 512-byte block. `Ok(false)` on a clean end of input at a block boundary.
    fn read_block(&mut self, block: &mut [u8; 512]) -> Result<bool, TarError> {
        let mut filled = 0;
        while filled < block.len() {
            let Some(rest) = block.get_mut(filled..) else {
                break;
            };
            match self.input.read(rest) {
                Ok(0) => {
                    if filled == 0 {
                        return Ok(false);
                    }
                    return Err(err(self.pos, TarErrorKind::Truncated("a header block")));
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_err(self.pos, e, "a header block")),
            }
        }
        self.pos += BLOCK;
        Ok(true)
    }

    fn read_meta(&mut self, size: u64, what: &'static str) -> Result<Vec<u8>, TarError> {
        if size > self.limits.max_meta {
            return Err(err(
                self.pos,
                TarErrorKind::TooLarge(what, self.limits.max_meta),
            ));
        }
        let len =
            usize::try_from(size).map_err(|_| err(self.pos, TarErrorKind::BadField("size")))?;
        let mut data = vec![0; len];
        self.input
            .read_exact(&mut data)
            .map_err(|e| io_err(self.pos, e, what))?;
        self.pos += size;
        self.skip(pad(size), what)?;
        Ok(data)
    }

    /// The next entry, or `None` at the end of the archive.
    pub(crate) fn next_entry(&mut self) -> Result<Option<TarEntry>, TarError> {
        if self.done {
            return Ok(None);
        }
        let rest = self.remaining + self.padding;
        self.remaining = 0;
        self.padding = 0;
        self.skip(rest, "an entry's data")?;

        let mut long_name: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        let mut pax = Pax::default();
        let mut block = [0u8; 512];
        loop {
            let header_offset = self.pos;
            if !self.read_block(&mut block)? {
                if long_name.is_some() || long_link.is_some() || pax.path.is_some() {
                    return Err(err(
                        header_offset,
                        TarErrorKind::Truncated("an entry header"),
                    ));
                }
                self.done = true;
                return Ok(None);
            }
            if block.iter().all(|&b| b == 0) {
                self.done = true;
                return Ok(None);
            }
            self.entries += 1;
            if self.entries > self.limits.max_entries {
                return Err(err(
                    header_offset,
                    TarErrorKind::TooLarge("number of entries", self.limits.max_entries),
                ));
            }
            check_checksum(&block).map_err(|k| err(header_offset, k))?;
            let size =
                parse_num(field(&block, 124, 12), "size").map_err(|k| err(header_offset, k))?;
            let typeflag = block.get(156).copied().unwrap_or(0);
            match typeflag {
                b'L' => {
                    long_name = Some(self.read_meta(size, "GNU long name")?);
                    continue;
                }
                b'K' => {
                    long_link = Some(self.read_meta(size, "GNU long link name")?);
                    continue;
                }
                b'x' | b'X' => {
                    let data = self.read_meta(size, "PAX header")?;
                    parse_pax(&data, &mut pax).map_err(|k| err(header_offset, k))?;
                    continue;
                }
                b'g' => {
                    // Global PAX headers (usually just a comment) are read and ignored.
                    self.read_meta(size, "PAX global header")?;
                    continue;
                }
                b'S' => {
                    return Err(err(
                        header_offset,
                        TarErrorKind::Unsupported("GNU sparse file entry".to_owned()),
                    ));
                }
                _ => {}
            }
            if pax.sparse {
                return Err(err(
                    header_offset,
                    TarErrorKind::Unsupported("PAX sparse file entry".to_owned()),
                ));
            }
            let kind = match typeflag {
                b'0' | 0 | b'7' => TarKind::File,
                b'1' => TarKind::HardLink,
                b'2' => TarKind::Symlink,
                b'3' => TarKind::CharDev,
                b'4' => TarKind::BlockDev,
                b'5' => TarKind::Dir,
                b'6' => TarKind::Fifo,
                other => TarKind::Other(other),
            };
            let path = match (pax.path.take(), long_name.take()) {
                (Some(p), _) => p,
                (None, Some(n)) => lossy(trim_nul(&n)),
                (None, None) => header_name(&block),
            };
            let link = match (pax.link.take(), long_link.take()) {
                (Some(l), _) => Some(l),
                (None, Some(l)) => Some(lossy(trim_nul(&l))),
                (None, None) => {
                    let l = trim_nul(field(&block, 157, 100));
                    (!l.is_empty()).then(|| lossy(l))
                }
            };
            let mut size = pax.size.unwrap_or(size);
            if matches!(
                kind,
                TarKind::HardLink
                    | TarKind::Symlink
                    | TarKind::CharDev
                    | TarKind::BlockDev
                    | TarKind::Dir
                    | TarKind::Fifo
            ) {
                size = 0;
            }
            let mode = parse_num(field(&block, 100, 8), "mode").unwrap_or(0);
            let uid = pax
                .uid
                .unwrap_or_else(|| parse_num(field(&block, 108, 8), "uid").unwrap_or(0));
            let gid = pax
                .gid
                .unwrap_or_else(|| parse_num(field(&block, 116, 8), "gid").unwrap_or(0));
            let mtime = pax.mtime.unwrap_or_else(|| {
                parse_num(field(&block, 136, 12), "mtime")
                    .ok()
                    .and_then(|m| i64::try_from(m).ok())
                    .unwrap_or(0)
            });
            self.remaining = size;
            self.padding = pad(size);
            return Ok(Some(TarEntry {
                path,
                link,
                kind,
                mode: u32::try_from(mode & 0o7777).unwrap_or(0),
                uid,
                gid,
                size,
                mtime,
                header_offset,
                data_offset: self.pos,
            }));
        }
    }
}

impl<I: TarInput> Read for TarReader<I> {
    /// Reads the current entry's data; `Ok(0)` at its end.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = usize::try_from(self.remaining.min(buf.len() as u64)).unwrap_or(buf.len());
        let Some(dst) = buf.get_mut(..want) else {
            return Ok(0);
        };
        let n = self.input.read(dst)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "archive ends inside an entry's data",
            ));
        }
        self.remaining -= n as u64;
        self.pos += n as u64;
        Ok(n)
    }
}

fn pad(size: u64) -> u64 {
    (BLOCK - size % BLOCK) % BLOCK
}

fn field(block: &[u8; 512], start: usize, len: usize) -> &[u8] {
    block.get(start..start + len).unwrap_or(&[])
}

fn trim_nul(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => b.get(..i).unwrap_or(b),
        None => b,
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn header_name(block: &[u8; 512]) -> String {
    let name = trim_nul(field(block, 0, 100));
    let posix = field(block, 257, 6) == b"ustar\0";
    let prefix = if posix {
        trim_nul(field(block, 345, 155))
    } else {
        &[]
    };
    if prefix.is_empty() {
        lossy(name)
    } else {
        let mut s = String::with_capacity(prefix.len() + 1 + name.len());
        s.push_str(&String::from_utf8_lossy(prefix));
        s.push('/');
        s.push_str(&String::from_utf8_lossy(name));
        s
    }
}

fn check_checksum(block: &[u8; 512]) -> Result<(), TarErrorKind> {
    let stored = parse_num(field(block, 148, 8), "checksum")?;
    let mut unsigned: u64 = 0;
    let mut signed: i64 = 0;
    for (i, &b) in block.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += u64::from(b);
        signed += i64::from(b as i8);
    }
    if stored == unsigned || i64::try_from(stored).is_ok_and(|s| s == signed) {
        Ok(())
    } else {
        Err(TarErrorKind::BadChecksum)
    }
}

/// Parses an octal or base-256 numeric header field.
fn parse_num(f: &[u8], name: &'static str) -> Result<u64, TarErrorKind> {
    let Some(&first) = f.first() else {
        return Ok(0);
    };
    if first & 0x80 != 0 {
        if first == 0xff {
            return Err(TarErrorKind::BadField(name));
        }
        let mut v = u64::from(first & 0x7f);
        for &b in f.get(1..).unwrap_or(&[]) {
            if v > (u64::MAX >> 8) {
                return Err(TarErrorKind::BadField(name));
            }
            v = (v << 8) | u64::from(b);
        }
        return Ok(v);
    }
    let mut v: u64 = 0;
    let mut started = false;
    for &b in f {
        match b {
            b' ' if !started => {}
            b'0'..=b'7' => {
                started = true;
                v = v
                    .checked_mul(8)
                    .and_then(|v| v.checked_add(u64::from(b - b'0')))
                    .ok_or(TarErrorKind::BadField(name))?;
            }
            b' ' | 0 => break,
            _ => return Err(TarErrorKind::BadField(name)),
        }
    }
    Ok(v)
}

fn parse_dec(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in v {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(n)
}

fn parse_pax(data: &[u8], pax: &mut Pax) -> Result<(), TarErrorKind> {
    let mut rest = data;
    while !rest.is_empty() {
        if rest.iter().all(|&b| b == 0) {
            break;
        }
        let sp = rest
            .iter()
            .position(|&b| b == b' ')
            .ok_or(TarErrorKind::BadField("PAX record length"))?;
        let len = rest
            .get(..sp)
            .and_then(parse_dec)
            .and_then(|l| usize::try_from(l).ok())
            .ok_or(TarErrorKind::BadField("PAX record length"))?;
        let record = rest
            .get(sp + 1..len)
            .ok_or(TarErrorKind::BadField("PAX record length"))?;
        rest = rest.get(len..).unwrap_or(&[]);
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        let eq = record
            .iter()
            .position(|&b| b == b'=')
            .ok_or(TarErrorKind::BadField("PAX record"))?;
        let key = record.get(..eq).unwrap_or(&[]);
        let value = record.get(eq + 1..).unwrap_or(&[]);
        match key {
            b"path" => pax.path = Some(lossy(value)),
            b"linkpath" => pax.link = Some(lossy(value)),
            b"size" => {
                pax.size = Some(parse_dec(value).ok_or(TarErrorKind::BadField("PAX size"))?);
            }
            b"uid" => pax.uid = parse_dec(value),
            b"gid" => pax.gid = parse_dec(value),
            b"mtime" => {
                let int = value.split(|&b| b == b'.').next().unwrap_or(&[]);
                pax.mtime = parse_dec(int).and_then(|m| i64::try_from(m).ok());
            }
            k if k.starts_with(b"GNU.sparse.") => pax.sparse = true,
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = ::tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut h = ::tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(::tar::EntryType::Regular);
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn reads_entries_and_long_names() {
        let long = format!("dir/{}", "x".repeat(300));
        let data = build(&[("a.txt", b"hello"), (&long, b"world!")]);
        let mut r = TarReader::new(StreamInput::new(&data[..]), TarLimits::default());
        let e = r.next_entry().unwrap().unwrap();
        assert_eq!(
            (e.path.as_str(), e.size, e.kind),
            ("a.txt", 5, TarKind::File)
        );
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello");
        let e = r.next_entry().unwrap().unwrap();
        assert_eq!(e.path, long);
        assert_eq!(e.size, 6);
        assert!(r.next_entry().unwrap().is_none());
    }

    #[test]
    fn truncated_data_is_an_error() {
        let data = build(&[("a.txt", &[7u8; 2000])]);
        let cut = &data[..1024];
        let mut r = TarReader::new(StreamInput::new(cut), TarLimits::default());
        r.next_entry().unwrap().unwrap();
        let e = r.next_entry().unwrap_err();
        assert!(matches!(e.kind, TarErrorKind::Truncated(_)), "{e:?}");
    }

    #[test]
    fn bad_checksum() {
        let mut data = build(&[("a.txt", b"x")]);
        data[0] = b'b';
        let mut r = TarReader::new(StreamInput::new(&data[..]), TarLimits::default());
        let e = r.next_entry().unwrap_err();
        assert!(matches!(e.kind, TarErrorKind::BadChecksum));
        assert_eq!(e.offset, 0);
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_num(b"0000644\0", "m").unwrap(), 0o644);
        assert_eq!(parse_num(b"  644 \0", "m").unwrap(), 0o644);
        assert_eq!(parse_num(&[0x80, 0, 0, 1, 0], "s").unwrap(), 256);
        assert!(parse_num(&[0xff, 0, 0], "s").is_err());
        assert!(parse_num(b"12a", "s").is_err());
    }

    #[test]
    fn pax_records() {
        let mut p = Pax::default();
        parse_pax(b"16 path=foo/bar\n11 size=42\n", &mut p).unwrap();
        assert_eq!(p.path.as_deref(), Some("foo/bar"));
        assert_eq!(p.size, Some(42));
        assert!(parse_pax(b"99 path=x\n", &mut Pax::default()).is_err());
    }
}
