//! Files of an image archive: a directory, or a tarball indexed in one pass (entry
//! offsets recorded, nothing extracted; reading a member is a seek).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use strata_types::Digest;

use crate::hash::digest_like;
use crate::source::SourceError;
use crate::tar::{FileInput, TarErrorKind, TarKind, TarLimits, TarReader};

#[derive(Clone, Debug)]
pub(crate) enum Member {
    Data { offset: u64, size: u64 },
    Link(String),
}

/// Where an archive's members are.
pub(crate) enum Store {
    Dir(PathBuf),
    Tar {
        path: PathBuf,
        file: File,
        members: HashMap<String, Member>,
    },
}

fn io_error(context: String, source: io::Error) -> SourceError {
    SourceError::Io { context, source }
}

/// `./a//b` -> `a/b`; `None` if it climbs out with `..`.
fn member_name(raw: &str) -> Option<String> {
    crate::layer::normalize(raw)
        .ok()
        .map(|p| p.trim_start_matches('/').to_owned())
}

impl Store {
    /// Indexes a tar file: one pass over its headers, seeking over the data.
    pub(crate) fn open_tar(path: &Path, max_meta: u64) -> Result<Store, SourceError> {
        let shown = path.display().to_string();
        let file = File::open(path).map_err(|e| io_error(format!("open {shown}"), e))?;
        let input = FileInput::new(
            file.try_clone()
                .map_err(|e| io_error(format!("open {shown}"), e))?,
        )
        .map_err(|e| io_error(format!("stat {shown}"), e))?;
        let mut tar = TarReader::new(
            input,
            TarLimits {
                max_meta,
                max_entries: 1_000_000,
            },
        );
        let mut members = HashMap::new();
        let mut last = String::from("(start of archive)");
        loop {
            let entry = match tar.next_entry() {
                Ok(Some(e)) => e,
                Ok(None) => break,
                Err(e) => {
                    return Err(match e.kind {
                        TarErrorKind::Truncated(_) => SourceError::Truncated {
                            path: shown,
                            member: last,
                            offset: e.offset,
                        },
                        TarErrorKind::Io(io) => {
                            io_error(format!("{shown}: reading after member {last}"), io)
                        }
                        other => SourceError::Invalid(format!(
                            "{shown}: malformed tar at offset {} (after member {last}): {other}",
                            e.offset
                        )),
                    });
                }
            };
            let Some(name) = member_name(&entry.path) else {
                return Err(SourceError::Invalid(format!(
                    "{shown}: member {:?} escapes the archive with `..`",
                    entry.path
                )));
            };
            last.clone_from(&name);
            match entry.kind {
                TarKind::File => {
                    members.insert(
                        name,
                        Member::Data {
                            offset: entry.data_offset,
                            size: entry.size,
                        },
                    );
                }
                TarKind::HardLink => {
                    if let Some(t) = entry.link.as_deref().and_then(member_name) {
                        members.insert(name, Member::Link(t));
                    }
                }
                TarKind::Symlink => {
                    if let Some(t) = entry.link.as_deref() {
                        let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
                        let joined = if t.starts_with('/') {
                            t.to_owned()
                        } else {
                            format!("{dir}/{t}")
                        };
                        if let Some(t) = member_name(&joined) {
                            members.insert(name, Member::Link(t));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(Store::Tar {
            path: path.to_owned(),
            file,
            members,
        })
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            Store::Dir(p) | Store::Tar { path: p, .. } => p.display().to_string(),
        }
    }

    fn locate(&self, name: &str) -> Option<(u64, u64)> {
        let Store::Tar { members, .. } = self else {
            return None;
        };
        let mut name = name;
        for _ in 0..8 {
            match members.get(name)? {
                Member::Data { offset, size } => return Some((*offset, *size)),
                Member::Link(t) => name = t,
            }
        }
        None
    }

    /// The size of a member, `None` if it does not exist.
    pub(crate) fn size(&self, name: &str) -> Option<u64> {
        match self {
            Store::Dir(root) => std::fs::metadata(root.join(name))
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len()),
            Store::Tar { .. } => self.locate(name).map(|(_, s)| s),
        }
    }

    /// Opens a member for streaming.
    pub(crate) fn open(&mut self, name: &str) -> Result<Box<dyn Read + Send + '_>, SourceError> {
        let shown = self.describe();
        let not_found = || SourceError::NotFound {
            what: format!("{name} in {shown}"),
        };
        match self {
            Store::Dir(root) => {
                let p = root.join(name);
                // Only regular files: opening a FIFO planted in a layout would block.
                if !std::fs::metadata(&p).is_ok_and(|m| m.is_file()) {
                    return Err(not_found());
                }
                match File::open(&p) {
                    Ok(f) => Ok(Box::new(f)),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Err(not_found()),
                    Err(e) => Err(io_error(format!("open {}", p.display()), e)),
                }
            }
            Store::Tar { .. } => {
                let (offset, size) = self.locate(name).ok_or_else(not_found)?;
                let Store::Tar { file, .. } = self else {
                    return Err(not_found());
                };
                file.seek(SeekFrom::Start(offset))
                    .map_err(|e| io_error(format!("seek in {shown}"), e))?;
                Ok(Box::new(
                    io::BufReader::with_capacity(256 * 1024, &*file).take(size),
                ))
            }
        }
    }

    /// Opens a member as an independent stream (its own file handle).
    pub(crate) fn open_detached(
        &self,
        name: &str,
    ) -> Result<Box<dyn Read + Send + 'static>, SourceError> {
        let shown = self.describe();
        let not_found = || SourceError::NotFound {
            what: format!("{name} in {shown}"),
        };
        let (path, offset, size) = match self {
            Store::Dir(root) => {
                let p = root.join(name);
                if !std::fs::metadata(&p).is_ok_and(|m| m.is_file()) {
                    return Err(not_found());
                }
                (p, 0, None)
            }
            Store::Tar { path, .. } => {
                let (offset, size) = self.locate(name).ok_or_else(not_found)?;
                (path.clone(), offset, Some(size))
            }
        };
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(not_found()),
            Err(e) => return Err(io_error(format!("open {}", path.display()), e)),
        };
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| io_error(format!("seek in {shown}"), e))?;
        Ok(match size {
            Some(size) => Box::new(io::BufReader::with_capacity(256 * 1024, file).take(size)),
            None => Box::new(file),
        })
    }

    /// Reads a whole member, refusing it before reading when it is over `limit`.
    pub(crate) fn read_limited(
        &mut self,
        name: &str,
        limit: u64,
        what: &str,
    ) -> Result<Vec<u8>, SourceError> {
        let size = self.size(name).ok_or_else(|| SourceError::NotFound {
            what: format!("{what} ({name} in {})", self.describe()),
        })?;
        if size > limit {
            return Err(SourceError::TooLarge {
                what: format!("{what} ({name})"),
                size,
                limit,
            });
        }
        let shown = self.describe();
        let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        self.open(name)?
            .take(limit.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|e| io_error(format!("read {name} in {shown}"), e))?;
        if data.len() as u64 > limit {
            return Err(SourceError::TooLarge {
                what: format!("{what} ({name})"),
                size: data.len() as u64,
                limit,
            });
        }
        Ok(data)
    }

    /// Reads a blob by digest (`blobs/<alg>/<hex>`), checking size and digest.
    pub(crate) fn read_blob(
        &mut self,
        digest: &Digest,
        size: Option<u64>,
        limit: u64,
        what: &str,
    ) -> Result<Vec<u8>, SourceError> {
        let name = blob_path(digest);
        let data = self.read_limited(&name, limit, what)?;
        if let Some(size) = size
            && data.len() as u64 != size
        {
            return Err(SourceError::Invalid(format!(
                "{what} {digest}: size is {} bytes, descriptor says {size}",
                data.len()
            )));
        }
        let actual = digest_like(digest, &data);
        if actual != *digest {
            return Err(SourceError::DigestMismatch {
                what: format!("{what} ({name})"),
                expected: digest.clone(),
                actual,
            });
        }
        Ok(data)
    }
}

/// `blobs/sha256/<hex>` for a digest.
pub(crate) fn blob_path(d: &Digest) -> String {
    format!("blobs/{}/{}", d.algorithm().as_str(), d.hex())
}

/// Parses JSON from bytes that were already size-checked.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    data: &[u8],
    what: &str,
) -> Result<T, SourceError> {
    serde_json::from_slice(data).map_err(|e| SourceError::Json {
        what: what.to_owned(),
        message: e.to_string(),
    })
}
