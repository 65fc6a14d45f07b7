//! The rpm header blob: the binary record every rpm database stores per package.
//!
//! Layout (all integers big-endian), as stored in the databases (no lead, no magic):
//!
//! ```text
//! il: u32   number of index entries
//! dl: u32   length of the data store
//! il × { tag: i32, type: u32, offset: i32, count: u32 }
//! dl bytes of data store
//! ```
//!
//! Parsing validates the counts and each entry's type and offset up front (cheap,
//! O(il)); string values are checked when they are read, so reading the handful of tags
//! a detector needs costs O(il + dl) per tag and never more.

use std::fmt::Write as _;

/// Most index entries a header may have. Real packages have a few hundred.
pub const MAX_ENTRIES: u32 = 0x1_0000;
/// Largest data store accepted (rpm itself refuses headers over 256 MiB).
pub const MAX_DATA_LEN: u32 = 256 * 1024 * 1024;
/// Most files one header may list.
pub const MAX_FILES: usize = 1_000_000;

const ENTRY_SIZE: usize = 16;
const PREAMBLE_SIZE: usize = 8;

/// Tag numbers used here (rpm's `rpmtag.h`).
pub mod tag {
    pub const SIGMD5: i32 = 261;
    pub const NAME: i32 = 1000;
    pub const VERSION: i32 = 1001;
    pub const RELEASE: i32 = 1002;
    pub const EPOCH: i32 = 1003;
    pub const SUMMARY: i32 = 1004;
    pub const SIZE: i32 = 1009;
    pub const VENDOR: i32 = 1011;
    pub const LICENSE: i32 = 1014;
    pub const ARCH: i32 = 1022;
    pub const OLDFILENAMES: i32 = 1027;
    pub const SOURCERPM: i32 = 1044;
    pub const DIRINDEXES: i32 = 1116;
    pub const BASENAMES: i32 = 1117;
    pub const DIRNAMES: i32 = 1118;
    pub const LONGSIZE: i32 = 5009;
    pub const MODULARITYLABEL: i32 = 5096;
}

/// rpm's value types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagType {
    Null,
    Char,
    Int8,
    Int16,
    Int32,
    Int64,
    String,
    Bin,
    StringArray,
    I18nString,
}

impl TagType {
    fn from_u32(v: u32) -> Option<Self> {
        Some(match v {
            0 => TagType::Null,
            1 => TagType::Char,
            2 => TagType::Int8,
            3 => TagType::Int16,
            4 => TagType::Int32,
            5 => TagType::Int64,
            6 => TagType::String,
            7 => TagType::Bin,
            8 => TagType::StringArray,
            9 => TagType::I18nString,
            _ => return None,
        })
    }

    /// Size of one element for fixed-size types.
    fn fixed_size(self) -> Option<usize> {
        match self {
            TagType::Null => Some(0),
            TagType::Char | TagType::Int8 | TagType::Bin => Some(1),
            TagType::Int16 => Some(2),
            TagType::Int32 => Some(4),
            TagType::Int64 => Some(8),
            TagType::String | TagType::StringArray | TagType::I18nString => None,
        }
    }
}

/// What is wrong with a header blob. Offsets are relative to the start of the blob.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("header truncated: {needed} bytes needed at offset {offset}, blob has {len}")]
    Truncated {
        offset: usize,
        needed: usize,
        len: usize,
    },
    #[error("header index count {count} (offset 0) exceeds the limit of {limit}")]
    TooManyEntries { count: u32, limit: u32 },
    #[error("header data length {len} (offset 4) exceeds the limit of {limit}")]
    DataTooLarge { len: u32, limit: u32 },
    #[error("header entry {index} (offset {offset}, tag {tag}): unknown type {ty}")]
    BadType {
        index: usize,
        offset: usize,
        tag: i32,
        ty: u32,
    },
    #[error(
        "header entry {index} (offset {offset}, tag {tag}): data at {data_offset} (count {count}) lies outside the {data_len}-byte data store"
    )]
    OutOfBounds {
        index: usize,
        offset: usize,
        tag: i32,
        data_offset: i64,
        count: u32,
        data_len: usize,
    },
    #[error("tag {tag}: expected {expected}, found type {found:?} with count {count}")]
    WrongType {
        tag: i32,
        expected: &'static str,
        found: TagType,
        count: u32,
    },
    #[error(
        "tag {tag}: string {string} at offset {offset} is not NUL-terminated within the data store"
    )]
    Unterminated {
        tag: i32,
        string: u32,
        offset: usize,
    },
    #[error("header has no {name} tag ({tag})")]
    Missing { tag: i32, name: &'static str },
    #[error("file list: {message}")]
    FileList { message: String },
}

/// One index entry, validated so that fixed-size data lies inside the data store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub tag: i32,
    pub ty: TagType,
    /// Offset into the data store.
    pub offset: usize,
    pub count: u32,
}

/// A parsed header borrowing the blob.
#[derive(Debug, Clone)]
pub struct Header<'a> {
    entries: Vec<Entry>,
    /// The data store.
    data: &'a [u8],
    /// Offset of the data store in the blob, for error messages.
    data_start: usize,
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn be_i32(b: &[u8], at: usize) -> Option<i32> {
    be_u32(b, at).map(|v| i32::from_be_bytes(v.to_be_bytes()))
}

impl<'a> Header<'a> {
    /// Parses a header blob as stored in an rpm database.
    pub fn parse(blob: &'a [u8]) -> Result<Self, HeaderError> {
        let truncated = |offset: usize, needed: usize| HeaderError::Truncated {
            offset,
            needed,
            len: blob.len(),
        };
        let il = be_u32(blob, 0).ok_or_else(|| truncated(0, PREAMBLE_SIZE))?;
        let dl = be_u32(blob, 4).ok_or_else(|| truncated(0, PREAMBLE_SIZE))?;
        if il > MAX_ENTRIES {
            return Err(HeaderError::TooManyEntries {
                count: il,
                limit: MAX_ENTRIES,
            });
        }
        if dl > MAX_DATA_LEN {
            return Err(HeaderError::DataTooLarge {
                len: dl,
                limit: MAX_DATA_LEN,
            });
        }
        // Both bounded above, so no overflow on any supported platform; still checked.
        let index_len = (il as usize)
            .checked_mul(ENTRY_SIZE)
            .ok_or_else(|| truncated(PREAMBLE_SIZE, usize::MAX))?;
        let data_start = PREAMBLE_SIZE + index_len;
        let data_end = data_start
            .checked_add(dl as usize)
            .ok_or_else(|| truncated(data_start, usize::MAX))?;
        if blob.len() < data_end {
            return Err(truncated(PREAMBLE_SIZE, data_end - PREAMBLE_SIZE));
        }
        let data = blob.get(data_start..data_end).unwrap_or_default();
        let mut entries = Vec::with_capacity(il as usize);
        for index in 0..il as usize {
            let at = PREAMBLE_SIZE + index * ENTRY_SIZE;
            let (Some(tag), Some(ty), Some(off), Some(count)) = (
                be_i32(blob, at),
                be_u32(blob, at + 4),
                be_i32(blob, at + 8),
                be_u32(blob, at + 12),
            ) else {
                return Err(truncated(at, ENTRY_SIZE));
            };
            let ty = TagType::from_u32(ty).ok_or(HeaderError::BadType {
                index,
                offset: at,
                tag,
                ty,
            })?;
            let oob = || HeaderError::OutOfBounds {
                index,
                offset: at,
                tag,
                data_offset: i64::from(off),
                count,
                data_len: data.len(),
            };
            let offset = usize::try_from(off).map_err(|_| oob())?;
            if offset > data.len() {
                return Err(oob());
            }
            if let Some(size) = ty.fixed_size() {
                let len = size.checked_mul(count as usize).ok_or_else(oob)?;
                if offset.checked_add(len).is_none_or(|end| end > data.len()) {
                    return Err(oob());
                }
            } else if count == 0 || offset >= data.len() {
                // A string needs at least its terminating NUL inside the store.
                return Err(oob());
            }
            entries.push(Entry {
                tag,
                ty,
                offset,
                count,
            });
        }
        Ok(Header {
            entries,
            data,
            data_start,
        })
    }

    /// All index entries, in blob order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The first entry with `tag`.
    pub fn entry(&self, tag: i32) -> Option<&Entry> {
        self.entries.iter().find(|e| e.tag == tag)
    }

    /// `count` NUL-terminated strings starting at the entry's offset.
    fn strings(&self, e: &Entry) -> Result<Vec<&'a [u8]>, HeaderError> {
        let mut out = Vec::new();
        let mut pos = e.offset;
        for i in 0..e.count {
            let rest = self.data.get(pos..).unwrap_or_default();
            let Some(nul) = rest.iter().position(|&b| b == 0) else {
                return Err(HeaderError::Unterminated {
                    tag: e.tag,
                    string: i,
                    offset: self.data_start + pos,
                });
            };
            out.push(rest.get(..nul).unwrap_or_default());
            pos += nul + 1;
        }
        Ok(out)
    }

    fn first_string(&self, e: &Entry) -> Result<&'a [u8], HeaderError> {
        let rest = self.data.get(e.offset..).unwrap_or_default();
        let nul = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or(HeaderError::Unterminated {
                tag: e.tag,
                string: 0,
                offset: self.data_start + e.offset,
            })?;
        Ok(rest.get(..nul).unwrap_or_default())
    }

    /// A STRING (or the first I18NSTRING / STRING_ARRAY element) value, lossily UTF-8.
    pub fn string(&self, tag: i32) -> Result<Option<String>, HeaderError> {
        let Some(e) = self.entry(tag) else {
            return Ok(None);
        };
        match e.ty {
            TagType::String | TagType::I18nString | TagType::StringArray => {
                let s = self.first_string(e)?;
                Ok(Some(String::from_utf8_lossy(s).into_owned()))
            }
            found => Err(HeaderError::WrongType {
                tag,
                expected: "a string",
                found,
                count: e.count,
            }),
        }
    }

    /// A STRING_ARRAY (or single STRING) value.
    pub fn string_array(&self, tag: i32) -> Result<Option<Vec<String>>, HeaderError> {
        let Some(e) = self.entry(tag) else {
            return Ok(None);
        };
        match e.ty {
            TagType::String | TagType::StringArray | TagType::I18nString => {
                let list = self.strings(e)?;
                Ok(Some(
                    list.into_iter()
                        .map(|s| String::from_utf8_lossy(s).into_owned())
                        .collect(),
                ))
            }
            found => Err(HeaderError::WrongType {
                tag,
                expected: "a string array",
                found,
                count: e.count,
            }),
        }
    }

    /// An INT32 array value.
    pub fn u32_array(&self, tag: i32) -> Result<Option<Vec<u32>>, HeaderError> {
        let Some(e) = self.entry(tag) else {
            return Ok(None);
        };
        if e.ty != TagType::Int32 {
            return Err(HeaderError::WrongType {
                tag,
                expected: "INT32",
                found: e.ty,
                count: e.count,
            });
        }
        // Bounds were checked at parse time.
        let bytes = self
            .data
            .get(e.offset..e.offset + 4 * e.count as usize)
            .unwrap_or_default();
        Ok(Some(
            bytes
                .chunks_exact(4)
                .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ))
    }

    /// The first element of an INT32 (or INT16/INT8/INT64 that fits) value.
    pub fn u64_first(&self, tag: i32) -> Result<Option<u64>, HeaderError> {
        let Some(e) = self.entry(tag) else {
            return Ok(None);
        };
        let d = self.data.get(e.offset..).unwrap_or_default();
        let v = match (e.ty, e.count) {
            (_, 0) => None,
            (TagType::Int8 | TagType::Char, _) => d.first().map(|&b| u64::from(b)),
            (TagType::Int16, _) => d
                .get(..2)
                .map(|b| u64::from(u16::from_be_bytes([b[0], b[1]]))),
            (TagType::Int32, _) => be_u32(d, 0).map(u64::from),
            (TagType::Int64, _) => d
                .get(..8)
                .map(|b| u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])),
            _ => None,
        };
        match v {
            Some(v) => Ok(Some(v)),
            None => Err(HeaderError::WrongType {
                tag,
                expected: "an integer",
                found: e.ty,
                count: e.count,
            }),
        }
    }

    /// A BIN value.
    pub fn bin(&self, tag: i32) -> Result<Option<&'a [u8]>, HeaderError> {
        let Some(e) = self.entry(tag) else {
            return Ok(None);
        };
        if e.ty != TagType::Bin {
            return Err(HeaderError::WrongType {
                tag,
                expected: "BIN",
                found: e.ty,
                count: e.count,
            });
        }
        Ok(self.data.get(e.offset..e.offset + e.count as usize))
    }

    /// The files the package installs, as absolute paths: `DIRNAMES[DIRINDEXES[i]] +
    /// BASENAMES[i]`, or the legacy `OLDFILENAMES`. Empty for packages without files.
    pub fn installed_files(&self) -> Result<Vec<String>, HeaderError> {
        let Some(basenames) = self.string_array(tag::BASENAMES)? else {
            return Ok(self.string_array(tag::OLDFILENAMES)?.unwrap_or_default());
        };
        let file_list = |message: String| HeaderError::FileList { message };
        if basenames.len() > MAX_FILES {
            return Err(file_list(format!(
                "{} files exceed the limit of {MAX_FILES}",
                basenames.len()
            )));
        }
        let dirnames = self
            .string_array(tag::DIRNAMES)?
            .ok_or_else(|| file_list("BASENAMES without DIRNAMES".to_owned()))?;
        let dirindexes = self
            .u32_array(tag::DIRINDEXES)?
            .ok_or_else(|| file_list("BASENAMES without DIRINDEXES".to_owned()))?;
        if dirindexes.len() != basenames.len() {
            return Err(file_list(format!(
                "{} BASENAMES but {} DIRINDEXES",
                basenames.len(),
                dirindexes.len()
            )));
        }
        // Paths share their directories, so the list may be larger than the data
        // store, but not unboundedly: many empty basenames under one long directory
        // name would otherwise take quadratic memory.
        let budget = self.data.len().saturating_mul(32).saturating_add(1 << 20);
        let mut total = 0usize;
        let mut out = Vec::with_capacity(basenames.len());
        for (i, (base, &di)) in basenames.iter().zip(&dirindexes).enumerate() {
            let dir = dirnames.get(di as usize).ok_or_else(|| {
                file_list(format!(
                    "file {i} ({base}): directory index {di} out of range ({} DIRNAMES)",
                    dirnames.len()
                ))
            })?;
            total = total.saturating_add(dir.len() + base.len());
            if total > budget {
                return Err(file_list(format!(
                    "file {i}: the file list exceeds {budget} bytes"
                )));
            }
            let mut path = String::with_capacity(dir.len() + base.len());
            path.push_str(dir);
            path.push_str(base);
            out.push(path);
        }
        Ok(out)
    }
}

/// The fields a package detector needs, read from one header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageInfo {
    pub name: String,
    pub epoch: Option<u32>,
    pub version: String,
    pub release: String,
    pub arch: Option<String>,
    pub source_rpm: Option<String>,
    pub license: Option<String>,
    pub vendor: Option<String>,
    pub modularity_label: Option<String>,
    /// Installed size in bytes (SIZE, or LONGSIZE for packages over 4 GiB).
    pub size: Option<u64>,
    /// SIGMD5 as lowercase hex.
    pub sigmd5: Option<String>,
    pub summary: Option<String>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

impl PackageInfo {
    /// Reads the package fields. NAME, VERSION and RELEASE are required.
    pub fn from_header(h: &Header<'_>) -> Result<Self, HeaderError> {
        let required = |tag: i32, name: &'static str| -> Result<String, HeaderError> {
            h.string(tag)?.ok_or(HeaderError::Missing { tag, name })
        };
        let epoch = match h.u64_first(tag::EPOCH)? {
            Some(e) => Some(u32::try_from(e).map_err(|_| HeaderError::WrongType {
                tag: tag::EPOCH,
                expected: "a 32-bit epoch",
                found: TagType::Int64,
                count: 1,
            })?),
            None => None,
        };
        let size = match h.u64_first(tag::SIZE)? {
            Some(s) => Some(s),
            None => h.u64_first(tag::LONGSIZE)?,
        };
        let sigmd5 = h.bin(tag::SIGMD5)?.map(|b| {
            let mut s = String::with_capacity(b.len() * 2);
            for byte in b {
                let _ = write!(s, "{byte:02x}");
            }
            s
        });
        Ok(PackageInfo {
            name: required(tag::NAME, "NAME")?,
            epoch,
            version: required(tag::VERSION, "VERSION")?,
            release: required(tag::RELEASE, "RELEASE")?,
            arch: non_empty(h.string(tag::ARCH)?),
            // rpm writes a literal "(none)" into gpg-pubkey headers.
            source_rpm: non_empty(h.string(tag::SOURCERPM)?).filter(|s| s != "(none)"),
            license: non_empty(h.string(tag::LICENSE)?),
            vendor: non_empty(h.string(tag::VENDOR)?),
            modularity_label: non_empty(h.string(tag::MODULARITYLABEL)?),
            size,
            sigmd5,
            summary: non_empty(h.string(tag::SUMMARY)?),
        })
    }

    /// `[epoch:]version-release`.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }

    /// The source package's name and `version-release`, split from the right of
    /// `name-version-release.src.rpm`.
    pub fn source_nvr(&self) -> Option<(String, String, String)> {
        split_source_rpm(self.source_rpm.as_deref()?)
    }
}

/// Splits `name-version-release.src.rpm` (or `.nosrc.rpm`) into its three parts.
pub fn split_source_rpm(s: &str) -> Option<(String, String, String)> {
    let s = s.strip_suffix(".rpm").unwrap_or(s);
    let s = s
        .strip_suffix(".src")
        .or_else(|| s.strip_suffix(".nosrc"))
        .unwrap_or(s);
    let (rest, release) = s.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    Some((name.to_owned(), version.to_owned(), release.to_owned()))
}

/// Builds header blobs for tests.
#[cfg(test)]
pub(crate) mod build {
    use super::TagType;

    pub enum Val<'a> {
        Str(&'a str),
        I18n(&'a str),
        StrArray(&'a [&'a str]),
        Int32(&'a [u32]),
        Bin(&'a [u8]),
    }

    /// A well-formed header blob with the given tags.
    pub fn header(tags: &[(i32, Val<'_>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data: Vec<u8> = Vec::new();
        for (tag, val) in tags {
            let (ty, count) = match val {
                Val::Str(s) => {
                    let off = data.len();
                    data.extend_from_slice(s.as_bytes());
                    data.push(0);
                    (TagType::String as u32, (off, 1))
                }
                Val::I18n(s) => {
                    let off = data.len();
                    data.extend_from_slice(s.as_bytes());
                    data.push(0);
                    (TagType::I18nString as u32, (off, 1))
                }
                Val::StrArray(list) => {
                    let off = data.len();
                    for s in *list {
                        data.extend_from_slice(s.as_bytes());
                        data.push(0);
                    }
                    (TagType::StringArray as u32, (off, list.len()))
                }
                Val::Int32(list) => {
                    while !data.len().is_multiple_of(4) {
                        data.push(0);
                    }
                    let off = data.len();
                    for v in *list {
                        data.extend_from_slice(&v.to_be_bytes());
                    }
                    (TagType::Int32 as u32, (off, list.len()))
                }
                Val::Bin(b) => {
                    let off = data.len();
                    data.extend_from_slice(b);
                    (TagType::Bin as u32, (off, b.len()))
                }
            };
            index.extend_from_slice(&tag.to_be_bytes());
            index.extend_from_slice(&ty.to_be_bytes());
            index.extend_from_slice(&(count.0 as u32).to_be_bytes());
            index.extend_from_slice(&(count.1 as u32).to_be_bytes());
        }
        let mut out = Vec::new();
        out.extend_from_slice(&((index.len() / 16) as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&index);
        out.extend_from_slice(&data);
        out
    }

    /// A typical package header.
    pub fn package(name: &str, version: &str, release: &str, epoch: Option<u32>) -> Vec<u8> {
        let src = format!("{name}-{version}-{release}.src.rpm");
        let mut tags = vec![
            (super::tag::NAME, Val::Str(name)),
            (super::tag::VERSION, Val::Str(version)),
            (super::tag::RELEASE, Val::Str(release)),
            (super::tag::SUMMARY, Val::I18n("a test package")),
            (super::tag::SIZE, Val::Int32(&[1234])),
            (super::tag::LICENSE, Val::Str("MIT")),
            (super::tag::ARCH, Val::Str("x86_64")),
            (super::tag::SOURCERPM, Val::Str(&src)),
            (super::tag::DIRINDEXES, Val::Int32(&[0, 1, 1])),
            (super::tag::BASENAMES, Val::StrArray(&["bin", "a", "b"])),
            (
                super::tag::DIRNAMES,
                Val::StrArray(&["/usr/", "/usr/share/t/"]),
            ),
            (super::tag::SIGMD5, Val::Bin(&[0xab; 16])),
        ];
        let ep;
        if let Some(e) = epoch {
            ep = [e];
            tags.push((super::tag::EPOCH, Val::Int32(&ep)));
        }
        header(&tags)
    }
}

#[cfg(test)]
mod tests {
    use super::build::{Val, header, package};
    use super::*;

    #[test]
    fn parses_package_fields_and_files() {
        let blob = package("foo", "1.2", "3.el9", Some(2));
        let h = Header::parse(&blob).unwrap();
        let info = PackageInfo::from_header(&h).unwrap();
        assert_eq!(
            info,
            PackageInfo {
                name: "foo".into(),
                epoch: Some(2),
                version: "1.2".into(),
                release: "3.el9".into(),
                arch: Some("x86_64".into()),
                source_rpm: Some("foo-1.2-3.el9.src.rpm".into()),
                license: Some("MIT".into()),
                vendor: None,
                modularity_label: None,
                size: Some(1234),
                sigmd5: Some("ab".repeat(16)),
                summary: Some("a test package".into()),
            }
        );
        assert_eq!(info.evr(), "2:1.2-3.el9");
        assert_eq!(
            h.installed_files().unwrap(),
            vec!["/usr/bin", "/usr/share/t/a", "/usr/share/t/b"]
        );
    }

    #[test]
    fn source_rpm_split_from_the_right() {
        assert_eq!(
            split_source_rpm("util-linux-2.32.1-42.el8_8.src.rpm"),
            Some(("util-linux".into(), "2.32.1".into(), "42.el8_8".into()))
        );
        assert_eq!(split_source_rpm("foo.src.rpm"), None);
        assert_eq!(
            split_source_rpm("x-1-2.nosrc.rpm"),
            Some(("x".into(), "1".into(), "2".into()))
        );
    }

    #[test]
    fn huge_index_count_is_refused_without_allocating() {
        let mut blob = vec![0x80, 0, 0, 0, 0, 0, 0, 0];
        blob.extend_from_slice(&[0; 64]);
        assert_eq!(
            Header::parse(&blob).unwrap_err(),
            HeaderError::TooManyEntries {
                count: 1 << 31,
                limit: MAX_ENTRIES
            }
        );
    }

    #[test]
    fn truncated_blobs() {
        assert_eq!(
            Header::parse(&[0, 0, 0]).unwrap_err(),
            HeaderError::Truncated {
                offset: 0,
                needed: 8,
                len: 3
            }
        );
        let blob = package("foo", "1", "1", None);
        let cut = &blob[..blob.len() - 1];
        assert!(matches!(
            Header::parse(cut).unwrap_err(),
            HeaderError::Truncated { offset: 8, .. }
        ));
    }

    #[test]
    fn offset_outside_the_data_store() {
        let mut blob = header(&[(tag::NAME, Val::Str("foo"))]);
        // entry 0's offset field is at 8 + 8.
        blob[16..20].copy_from_slice(&1000i32.to_be_bytes());
        assert_eq!(
            Header::parse(&blob).unwrap_err(),
            HeaderError::OutOfBounds {
                index: 0,
                offset: 8,
                tag: tag::NAME,
                data_offset: 1000,
                count: 1,
                data_len: 4
            }
        );
        blob[16..20].copy_from_slice(&(-4i32).to_be_bytes());
        assert!(matches!(
            Header::parse(&blob).unwrap_err(),
            HeaderError::OutOfBounds {
                data_offset: -4,
                ..
            }
        ));
    }

    #[test]
    fn int_array_count_past_the_end() {
        let mut blob = header(&[(tag::DIRINDEXES, Val::Int32(&[1, 2]))]);
        blob[20..24].copy_from_slice(&0x4000_0000u32.to_be_bytes());
        assert!(matches!(
            Header::parse(&blob).unwrap_err(),
            HeaderError::OutOfBounds {
                tag: tag::DIRINDEXES,
                count: 0x4000_0000,
                ..
            }
        ));
    }

    #[test]
    fn unterminated_string_and_bad_type() {
        let mut blob = header(&[(tag::NAME, Val::Str("foo"))]);
        let last = blob.len() - 1;
        blob[last] = b'x';
        let h = Header::parse(&blob).unwrap();
        assert_eq!(
            h.string(tag::NAME).unwrap_err(),
            HeaderError::Unterminated {
                tag: tag::NAME,
                string: 0,
                offset: 24
            }
        );
        blob[12..16].copy_from_slice(&77u32.to_be_bytes());
        assert_eq!(
            Header::parse(&blob).unwrap_err(),
            HeaderError::BadType {
                index: 0,
                offset: 8,
                tag: tag::NAME,
                ty: 77
            }
        );
    }

    #[test]
    fn file_list_cannot_blow_up_memory() {
        let long_dir = "/d".repeat(20_000);
        let bases = vec![""; 60_000];
        let idx = vec![0u32; 60_000];
        let blob = header(&[
            (tag::DIRINDEXES, Val::Int32(&idx)),
            (tag::BASENAMES, Val::StrArray(&bases)),
            (tag::DIRNAMES, Val::StrArray(&[long_dir.as_str()])),
        ]);
        let h = Header::parse(&blob).unwrap();
        let err = h.installed_files().unwrap_err();
        assert!(
            matches!(&err, HeaderError::FileList { message } if message.contains("exceeds")),
            "{err:?}"
        );
    }

    #[test]
    fn missing_name_and_bad_dirindex() {
        let blob = header(&[
            (tag::VERSION, Val::Str("1")),
            (tag::DIRINDEXES, Val::Int32(&[5])),
            (tag::BASENAMES, Val::StrArray(&["x"])),
            (tag::DIRNAMES, Val::StrArray(&["/"])),
        ]);
        let h = Header::parse(&blob).unwrap();
        assert_eq!(
            PackageInfo::from_header(&h).unwrap_err(),
            HeaderError::Missing {
                tag: tag::NAME,
                name: "NAME"
            }
        );
        assert_eq!(
            h.installed_files().unwrap_err(),
            HeaderError::FileList {
                message: "file 0 (x): directory index 5 out of range (1 DIRNAMES)".into()
            }
        );
    }
}
