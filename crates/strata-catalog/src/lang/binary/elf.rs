//! The few ELF structures the binary detectors need: the file header, the section
//! headers with their names, and the loadable segments, each read with bounds checks.
//! Nothing here trusts a count or an offset from the file: counts are capped by what
//! fits in the file, and every read is checked against the file's length.

/// `\x7fELF`.
pub(crate) const MAGIC: &[u8; 4] = b"\x7fELF";

const PT_LOAD: u32 = 1;
const SHT_NOBITS: u32 = 8;
/// Segment flags.
pub(crate) const PF_X: u32 = 1;
pub(crate) const PF_W: u32 = 2;

/// The most section or program headers read; real binaries have a few dozen.
const MAX_HEADERS: usize = 1 << 16;

/// A structural problem at a file offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ElfError {
    pub offset: u64,
    pub message: String,
}

impl ElfError {
    fn new(offset: u64, message: impl Into<String>) -> Self {
        ElfError {
            offset,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ElfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ELF at offset {:#x}: {}", self.offset, self.message)
    }
}

/// One section header.
#[derive(Debug, Clone)]
pub(crate) struct Section<'a> {
    pub name: &'a [u8],
    pub kind: u32,
    pub addr: u64,
    pub offset: u64,
    pub size: u64,
}

/// One loadable segment (`PT_LOAD`).
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
}

/// A parsed ELF file, borrowing its bytes.
#[derive(Debug)]
pub(crate) struct Elf<'a> {
    pub data: &'a [u8],
    pub big_endian: bool,
    pub sections: Vec<Section<'a>>,
    pub segments: Vec<Segment>,
}

/// True when `data` starts with the ELF magic.
pub(crate) fn is_elf(data: &[u8]) -> bool {
    data.starts_with(MAGIC)
}

/// A bounds-checked reader of integers in the file's byte order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    pub data: &'a [u8],
    pub big_endian: bool,
}

impl<'a> Reader<'a> {
    pub(crate) fn bytes(&self, offset: u64, len: u64) -> Result<&'a [u8], ElfError> {
        let start = usize::try_from(offset).ok();
        let end = offset
            .checked_add(len)
            .and_then(|e| usize::try_from(e).ok());
        match (start, end) {
            (Some(s), Some(e)) => self.data.get(s..e),
            _ => None,
        }
        .ok_or_else(|| {
            ElfError::new(
                offset,
                format!(
                    "{len} bytes at offset {offset:#x} run past the end of the file ({} bytes)",
                    self.data.len()
                ),
            )
        })
    }

    fn array<const N: usize>(&self, offset: u64) -> Result<[u8; N], ElfError> {
        let b = self.bytes(offset, N as u64)?;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }

    pub(crate) fn u16(&self, offset: u64) -> Result<u16, ElfError> {
        let a = self.array::<2>(offset)?;
        Ok(if self.big_endian {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        })
    }

    pub(crate) fn u32(&self, offset: u64) -> Result<u32, ElfError> {
        let a = self.array::<4>(offset)?;
        Ok(if self.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    }

    pub(crate) fn u64(&self, offset: u64) -> Result<u64, ElfError> {
        let a = self.array::<8>(offset)?;
        Ok(if self.big_endian {
            u64::from_be_bytes(a)
        } else {
            u64::from_le_bytes(a)
        })
    }

    /// A 4- or 8-byte word.
    pub(crate) fn word(&self, offset: u64, is_64: bool) -> Result<u64, ElfError> {
        if is_64 {
            self.u64(offset)
        } else {
            self.u32(offset).map(u64::from)
        }
    }
}

/// Header field offsets for the two classes.
struct Layout {
    phoff: u64,
    shoff: u64,
    phentsize: u64,
    phnum: u64,
    shentsize: u64,
    shnum: u64,
    shstrndx: u64,
    min_shent: u64,
    min_phent: u64,
}

const LAYOUT_32: Layout = Layout {
    phoff: 28,
    shoff: 32,
    phentsize: 42,
    phnum: 44,
    shentsize: 46,
    shnum: 48,
    shstrndx: 50,
    min_shent: 40,
    min_phent: 32,
};

const LAYOUT_64: Layout = Layout {
    phoff: 32,
    shoff: 40,
    phentsize: 54,
    phnum: 56,
    shentsize: 58,
    shnum: 60,
    shstrndx: 62,
    min_shent: 64,
    min_phent: 56,
};

impl<'a> Elf<'a> {
    /// Parses the headers. The caller has checked the magic.
    pub(crate) fn parse(data: &'a [u8]) -> Result<Self, ElfError> {
        if !is_elf(data) {
            return Err(ElfError::new(0, "not an ELF file"));
        }
        let is_64 = match data.get(4) {
            Some(1) => false,
            Some(2) => true,
            other => {
                return Err(ElfError::new(
                    4,
                    format!("unknown ELF class {other:?} (expected 1 or 2)"),
                ));
            }
        };
        let big_endian = match data.get(5) {
            Some(1) => false,
            Some(2) => true,
            other => {
                return Err(ElfError::new(
                    5,
                    format!("unknown ELF data encoding {other:?} (expected 1 or 2)"),
                ));
            }
        };
        let r = Reader { data, big_endian };
        let l = if is_64 { &LAYOUT_64 } else { &LAYOUT_32 };
        let phoff = r.word(l.phoff, is_64)?;
        let shoff = r.word(l.shoff, is_64)?;
        let phentsize = u64::from(r.u16(l.phentsize)?);
        let mut phnum = u64::from(r.u16(l.phnum)?);
        let shentsize = u64::from(r.u16(l.shentsize)?);
        let mut shnum = u64::from(r.u16(l.shnum)?);
        let mut shstrndx = u64::from(r.u16(l.shstrndx)?);

        // Extended numbering: the real counts live in section 0.
        if shoff != 0 && shentsize >= l.min_shent {
            let (size_off, link_off, info_off) = if is_64 { (32, 40, 44) } else { (20, 24, 28) };
            if shnum == 0 {
                shnum = r.word(shoff.saturating_add(size_off), is_64)?;
            }
            if shstrndx == 0xffff {
                shstrndx = u64::from(r.u32(shoff.saturating_add(link_off))?);
            }
            if phnum == 0xffff {
                phnum = u64::from(r.u32(shoff.saturating_add(info_off))?);
            }
        }

        let segments = if phoff == 0 || phnum == 0 {
            Vec::new()
        } else {
            if phentsize < l.min_phent {
                return Err(ElfError::new(
                    l.phentsize,
                    format!("program header size {phentsize} is below {}", l.min_phent),
                ));
            }
            let count = capped(phnum, phentsize, data.len(), phoff);
            let mut segs = Vec::with_capacity(count);
            for i in 0..count as u64 {
                let at = phoff + i * phentsize;
                let p_type = r.u32(at)?;
                if p_type != PT_LOAD {
                    continue;
                }
                let seg = if is_64 {
                    Segment {
                        flags: r.u32(at + 4)?,
                        offset: r.u64(at + 8)?,
                        vaddr: r.u64(at + 16)?,
                        filesz: r.u64(at + 32)?,
                    }
                } else {
                    Segment {
                        offset: u64::from(r.u32(at + 4)?),
                        vaddr: u64::from(r.u32(at + 8)?),
                        filesz: u64::from(r.u32(at + 16)?),
                        flags: r.u32(at + 24)?,
                    }
                };
                segs.push(seg);
            }
            segs
        };

        let sections = if shoff == 0 || shnum == 0 {
            Vec::new()
        } else {
            if shentsize < l.min_shent {
                return Err(ElfError::new(
                    l.shentsize,
                    format!("section header size {shentsize} is below {}", l.min_shent),
                ));
            }
            let count = capped(shnum, shentsize, data.len(), shoff);
            let mut raw = Vec::with_capacity(count);
            for i in 0..count as u64 {
                let at = shoff + i * shentsize;
                let name = r.u32(at)?;
                let kind = r.u32(at + 4)?;
                let (addr, offset, size) = if is_64 {
                    (r.u64(at + 16)?, r.u64(at + 24)?, r.u64(at + 32)?)
                } else {
                    (
                        u64::from(r.u32(at + 12)?),
                        u64::from(r.u32(at + 16)?),
                        u64::from(r.u32(at + 20)?),
                    )
                };
                raw.push((name, kind, addr, offset, size));
            }
            // Section names; a broken name table leaves every name empty rather than
            // failing: the detectors can still search segments.
            let strtab: &[u8] = usize::try_from(shstrndx)
                .ok()
                .and_then(|i| raw.get(i))
                .filter(|s| s.1 != SHT_NOBITS)
                .and_then(|s| r.bytes(s.3, s.4).ok())
                .unwrap_or(&[]);
            raw.into_iter()
                .map(|(name, kind, addr, offset, size)| Section {
                    name: c_str_at(strtab, name),
                    kind,
                    addr,
                    offset,
                    size,
                })
                .collect()
        };

        Ok(Elf {
            data,
            big_endian,
            sections,
            segments,
        })
    }

    pub(crate) fn reader(&self) -> Reader<'a> {
        Reader {
            data: self.data,
            big_endian: self.big_endian,
        }
    }

    /// The first section called `name`.
    pub(crate) fn section(&self, name: &str) -> Option<&Section<'a>> {
        self.sections.iter().find(|s| s.name == name.as_bytes())
    }

    /// The file bytes of a section; an error when they lie outside the file.
    pub(crate) fn section_data(&self, s: &Section<'a>) -> Result<&'a [u8], ElfError> {
        if s.kind == SHT_NOBITS {
            return Ok(&[]);
        }
        self.reader().bytes(s.offset, s.size).map_err(|_| {
            ElfError::new(
                s.offset,
                format!(
                    "section {} ({} bytes at offset {:#x}) runs past the end of the file ({} bytes)",
                    String::from_utf8_lossy(s.name),
                    s.size,
                    s.offset,
                    self.data.len()
                ),
            )
        })
    }

    /// The file bytes of a segment, clipped to the file.
    pub(crate) fn segment_data(&self, s: &Segment) -> &'a [u8] {
        let start = usize::try_from(s.offset).unwrap_or(usize::MAX);
        let len = usize::try_from(s.filesz).unwrap_or(usize::MAX);
        let end = start.saturating_add(len).min(self.data.len());
        self.data.get(start..end).unwrap_or(&[])
    }

    /// The file offset of `len` bytes at virtual address `addr`, when one loadable
    /// segment holds them all in the file.
    pub(crate) fn vaddr_to_offset(&self, addr: u64, len: u64) -> Option<u64> {
        let end = addr.checked_add(len)?;
        self.segments.iter().find_map(|s| {
            let seg_end = s.vaddr.checked_add(s.filesz)?;
            (s.vaddr <= addr && end <= seg_end).then(|| s.offset.checked_add(addr - s.vaddr))?
        })
    }

    /// `len` bytes at virtual address `addr`.
    pub(crate) fn read_vaddr(&self, addr: u64, len: u64) -> Option<&'a [u8]> {
        let off = self.vaddr_to_offset(addr, len)?;
        self.reader().bytes(off, len).ok()
    }
}

/// How many `entsize`-byte headers at `offset` to read: at most `count`, at most what
/// fits in the file, at most [`MAX_HEADERS`].
fn capped(count: u64, entsize: u64, file_len: usize, offset: u64) -> usize {
    let room = (file_len as u64).saturating_sub(offset) / entsize.max(1);
    usize::try_from(count.min(room).min(MAX_HEADERS as u64)).unwrap_or(0)
}

/// The NUL-terminated string at `offset` of a string table; empty when out of range.
fn c_str_at(table: &[u8], offset: u32) -> &[u8] {
    let Some(rest) = usize::try_from(offset).ok().and_then(|o| table.get(o..)) else {
        return &[];
    };
    let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    rest.get(..end).unwrap_or(&[])
}
