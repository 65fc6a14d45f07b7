//! A minimal ELF writer for tests and for the fuzz entry points, which wrap their input
//! in a well-formed file to reach the section parsers: an ELF header, one `PT_LOAD`
//! segment per section, the sections' bytes from offset 0x1000 (16-byte aligned, the
//! virtual address being 0x400000 plus the file offset), a section name table and the
//! section headers.

const BASE: u64 = 0x40_0000;
const FIRST: u64 = 0x1000;

#[derive(Debug, Clone)]
pub(crate) struct ElfSpec {
    pub is_64: bool,
    pub big: bool,
    pub sections: Vec<(String, Vec<u8>, bool)>,
    pub section_headers: bool,
}

fn align16(n: u64) -> u64 {
    n.div_ceil(16) * 16
}

/// File offsets of sections of the given sizes.
fn offsets(sizes: &[usize]) -> Vec<u64> {
    let mut at = FIRST;
    sizes
        .iter()
        .map(|&s| {
            let o = at;
            at = align16(at + s as u64);
            o
        })
        .collect()
}

impl ElfSpec {
    pub(crate) fn new(is_64: bool, big: bool) -> Self {
        ElfSpec {
            is_64,
            big,
            sections: Vec::new(),
            section_headers: true,
        }
    }

    pub(crate) fn section(mut self, name: &str, data: &[u8], writable: bool) -> Self {
        self.sections
            .push((name.to_owned(), data.to_vec(), writable));
        self
    }

    pub(crate) fn without_section_headers(mut self) -> Self {
        self.section_headers = false;
        self
    }

    /// A Go binary in the pre-1.18 format: `.go.buildinfo` points at string headers
    /// in `.data`.
    #[cfg(test)]
    pub(crate) fn old_go(
        is_64: bool,
        big: bool,
        version: &str,
        modinfo: &str,
        sections: bool,
    ) -> Self {
        let ps: usize = if is_64 { 8 } else { 4 };
        let mut wrapped = b"0123456789abcdef".to_vec();
        wrapped.extend_from_slice(modinfo.as_bytes());
        wrapped.extend_from_slice(b"fedcba9876543210");
        let header_len = 32;
        let data_len = 4 * ps + version.len() + wrapped.len();
        let offs = offsets(&[header_len, data_len]);
        let data_addr = BASE + offs[1];
        let word = |v: u64, out: &mut Vec<u8>| match (is_64, big) {
            (true, true) => out.extend_from_slice(&v.to_be_bytes()),
            (true, false) => out.extend_from_slice(&v.to_le_bytes()),
            (false, true) => out.extend_from_slice(&(v as u32).to_be_bytes()),
            (false, false) => out.extend_from_slice(&(v as u32).to_le_bytes()),
        };
        let mut header = super::super::gobin::BUILDINFO_MAGIC.to_vec();
        header.push(ps as u8);
        header.push(u8::from(big));
        word(data_addr, &mut header);
        word(data_addr + 2 * ps as u64, &mut header);
        header.resize(header_len, 0);
        let version_addr = data_addr + 4 * ps as u64;
        let modinfo_addr = version_addr + version.len() as u64;
        let mut data = Vec::new();
        word(version_addr, &mut data);
        word(version.len() as u64, &mut data);
        word(modinfo_addr, &mut data);
        word(wrapped.len() as u64, &mut data);
        data.extend_from_slice(version.as_bytes());
        data.extend_from_slice(&wrapped);
        let mut spec = ElfSpec::new(is_64, big)
            .section(".go.buildinfo", &header, true)
            .section(".data", &data, true);
        spec.section_headers = sections;
        spec
    }
}

pub(crate) fn build_elf(spec: &ElfSpec) -> Vec<u8> {
    let (is_64, big) = (spec.is_64, spec.big);
    let u16b = |v: u16| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u32b = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u64b = |v: u64| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let word = |v: u64, out: &mut Vec<u8>| {
        if is_64 {
            out.extend_from_slice(&u64b(v));
        } else {
            out.extend_from_slice(&u32b(v as u32));
        }
    };
    let ehsize: u64 = if is_64 { 64 } else { 52 };
    let phentsize: u64 = if is_64 { 56 } else { 32 };
    let shentsize: u64 = if is_64 { 64 } else { 40 };

    let sizes: Vec<usize> = spec.sections.iter().map(|s| s.1.len()).collect();
    let offs = offsets(&sizes);
    let mut out = vec![0u8; FIRST as usize];
    for ((_, data, _), off) in spec.sections.iter().zip(&offs) {
        out.resize(*off as usize, 0);
        out.extend_from_slice(data);
    }
    // Section name table.
    let mut shstrtab = vec![0u8];
    let mut name_offs = Vec::new();
    for (name, _, _) in &spec.sections {
        name_offs.push(shstrtab.len() as u32);
        shstrtab.extend_from_slice(name.as_bytes());
        shstrtab.push(0);
    }
    let shstrtab_name = shstrtab.len() as u32;
    shstrtab.extend_from_slice(b".shstrtab\0");
    let shstrtab_off = out.len() as u64;
    out.extend_from_slice(&shstrtab);
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
    let shoff = out.len() as u64;
    let shnum = spec.sections.len() as u64 + 2;
    if spec.section_headers {
        out.extend(std::iter::repeat_n(0u8, shentsize as usize)); // SHN_UNDEF
        let mut add = |name: u32, kind: u32, flags: u64, addr: u64, off: u64, size: u64| {
            let mut h = Vec::new();
            h.extend_from_slice(&u32b(name));
            h.extend_from_slice(&u32b(kind));
            word(flags, &mut h);
            word(addr, &mut h);
            word(off, &mut h);
            word(size, &mut h);
            h.extend_from_slice(&u32b(0)); // link
            h.extend_from_slice(&u32b(0)); // info
            word(16, &mut h); // addralign
            word(0, &mut h); // entsize
            out.extend_from_slice(&h);
        };
        for (((_, data, w), off), name) in spec.sections.iter().zip(&offs).zip(&name_offs) {
            let flags = if *w { 3 } else { 6 };
            add(*name, 1, flags, BASE + off, *off, data.len() as u64);
        }
        add(shstrtab_name, 3, 0, 0, shstrtab_off, shstrtab.len() as u64);
    }

    // Header and program headers.
    let mut h = Vec::new();
    h.extend_from_slice(b"\x7fELF");
    h.push(if is_64 { 2 } else { 1 });
    h.push(if big { 2 } else { 1 });
    h.push(1);
    h.resize(16, 0);
    h.extend_from_slice(&u16b(2)); // ET_EXEC
    h.extend_from_slice(&u16b(if is_64 { 62 } else { 3 }));
    h.extend_from_slice(&u32b(1));
    word(0, &mut h); // entry
    word(ehsize, &mut h); // phoff
    word(if spec.section_headers { shoff } else { 0 }, &mut h);
    h.extend_from_slice(&u32b(0)); // flags
    h.extend_from_slice(&u16b(ehsize as u16));
    h.extend_from_slice(&u16b(phentsize as u16));
    h.extend_from_slice(&u16b(spec.sections.len() as u16));
    h.extend_from_slice(&u16b(shentsize as u16));
    h.extend_from_slice(&u16b(if spec.section_headers {
        shnum as u16
    } else {
        0
    }));
    h.extend_from_slice(&u16b(if spec.section_headers {
        shnum as u16 - 1
    } else {
        0
    }));
    for ((_, data, w), off) in spec.sections.iter().zip(&offs) {
        let flags: u32 = if *w { 6 } else { 5 };
        let (off, addr, size) = (*off, BASE + off, data.len() as u64);
        if is_64 {
            h.extend_from_slice(&u32b(1));
            h.extend_from_slice(&u32b(flags));
            h.extend_from_slice(&u64b(off));
            h.extend_from_slice(&u64b(addr));
            h.extend_from_slice(&u64b(addr));
            h.extend_from_slice(&u64b(size));
            h.extend_from_slice(&u64b(size));
            h.extend_from_slice(&u64b(16));
        } else {
            h.extend_from_slice(&u32b(1));
            h.extend_from_slice(&u32b(off as u32));
            h.extend_from_slice(&u32b(addr as u32));
            h.extend_from_slice(&u32b(addr as u32));
            h.extend_from_slice(&u32b(size as u32));
            h.extend_from_slice(&u32b(size as u32));
            h.extend_from_slice(&u32b(flags));
            h.extend_from_slice(&u32b(16));
        }
    }
    // More sections than fit before 0x1000 would overlap: not used that way.
    if let Some(head) = out.get_mut(..h.len()) {
        head.copy_from_slice(&h);
    }
    out
}
