//! Reading import inputs: files, folders, `.zip` (OSV's `all.zip` layout), `.tar`,
//! `.tar.gz`, `.tar.zst`. Every member is read with a size bound.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::osv::Problem;

/// Largest document (one file or archive member) read, in bytes. Whole-feed files (the
/// Debian tracker JSON) are large; single OSV records are bounded again by the parser.
pub const MAX_DOCUMENT_BYTES: u64 = 256 << 20;
/// Most archive members or files visited under one input.
pub const MAX_MEMBERS: usize = 2_000_000;
const MAX_DEPTH: usize = 32;

/// How a document is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Yaml,
    /// FIRST EPSS scores (`.csv`, or `.csv.gz` decompressed on reading).
    Csv,
}

/// A document to import.
pub(crate) struct Doc {
    /// `file` or `archive!member`.
    pub location: String,
    pub format: Format,
    pub bytes: Vec<u8>,
}

/// Something that could not be read; the import continues.
pub(crate) struct Unreadable {
    pub location: String,
    pub problem: Problem,
    pub message: String,
}

pub(crate) enum Item {
    Doc(Doc),
    Unreadable(Unreadable),
    /// A file that is not a document or archive (README, LICENSE, ...).
    Ignored,
}

/// How a file is stored: the document format, and whether it is gzip-compressed.
fn format_of(name: &str) -> Option<(Format, bool)> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".csv") {
        Some((Format::Csv, false))
    } else if lower.ends_with(".csv.gz") {
        Some((Format::Csv, true))
    } else {
        format_of_text(&lower).map(|f| (f, false))
    }
}

fn format_of_text(lower: &str) -> Option<Format> {
    if lower.ends_with(".json") {
        Some(Format::Json)
    } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        Some(Format::Yaml)
    } else {
        None
    }
}

#[derive(Clone, Copy)]
enum Archive {
    Zip,
    Tar,
    TarGz,
    TarZst,
}

fn archive_of(name: &str) -> Option<Archive> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".zip") {
        Some(Archive::Zip)
    } else if lower.ends_with(".tar.zst") || lower.ends_with(".tzst") {
        Some(Archive::TarZst)
    } else if lower.ends_with(".tar.gz") || lower.ends_with(".tgz") {
        Some(Archive::TarGz)
    } else if lower.ends_with(".tar") {
        Some(Archive::Tar)
    } else {
        None
    }
}

/// The item for a file's bytes: gzip is undone, and CSV files other than EPSS scores
/// (spreadsheets shipped beside advisories) are ignored, not reported.
fn doc_item(location: String, (format, gz): (Format, bool), bytes: Vec<u8>) -> Item {
    let bytes = if gz {
        match read_bounded(
            flate2::read::GzDecoder::new(bytes.as_slice()),
            None,
            &location,
        ) {
            Ok(b) => b,
            Err(u) => return Item::Unreadable(u),
        }
    } else {
        bytes
    };
    if format == Format::Csv && !crate::feeds::looks_like_epss(&bytes) {
        return Item::Ignored;
    }
    Item::Doc(Doc {
        location,
        format,
        bytes,
    })
}

/// Visits every document under `path`. Errors returned are fatal for this input only
/// when the input itself cannot be opened.
pub(crate) fn walk(
    path: &Path,
    visit: &mut dyn FnMut(Item) -> crate::Result<()>,
) -> crate::Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| crate::Error::io(path, e))?;
    let mut count = 0usize;
    if meta.is_dir() {
        walk_dir(path, 0, &mut count, visit)
    } else {
        walk_file(path, &mut count, visit)
    }
}

fn walk_dir(
    dir: &Path,
    depth: usize,
    count: &mut usize,
    visit: &mut dyn FnMut(Item) -> crate::Result<()>,
) -> crate::Result<()> {
    if depth > MAX_DEPTH {
        return visit(Item::Unreadable(Unreadable {
            location: dir.display().to_string(),
            problem: Problem::TooLarge,
            message: format!("deeper than {MAX_DEPTH} folders; not read"),
        }));
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| crate::Error::io(dir, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            walk_dir(&p, depth + 1, count, visit)?;
        } else if meta.is_file() {
            walk_file(&p, count, visit)?;
        }
        // Symlinks are not followed inside folders.
    }
    Ok(())
}

fn bump(count: &mut usize, location: &str) -> Result<(), Unreadable> {
    *count += 1;
    if *count > MAX_MEMBERS {
        return Err(Unreadable {
            location: location.to_owned(),
            problem: Problem::TooLarge,
            message: format!("more than {MAX_MEMBERS} files; the rest is not read"),
        });
    }
    Ok(())
}

fn read_bounded(
    mut r: impl Read,
    declared: Option<u64>,
    location: &str,
) -> Result<Vec<u8>, Unreadable> {
    if let Some(size) = declared
        && size > MAX_DOCUMENT_BYTES
    {
        return Err(Unreadable {
            location: location.to_owned(),
            problem: Problem::TooLarge,
            message: format!("{size} bytes, more than the limit of {MAX_DOCUMENT_BYTES}"),
        });
    }
    let mut buf = Vec::with_capacity(declared.unwrap_or(0).min(1 << 20) as usize);
    (&mut r)
        .take(MAX_DOCUMENT_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Unreadable {
            location: location.to_owned(),
            problem: Problem::Unreadable,
            message: e.to_string(),
        })?;
    if buf.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(Unreadable {
            location: location.to_owned(),
            problem: Problem::TooLarge,
            message: format!("more than the limit of {MAX_DOCUMENT_BYTES} bytes"),
        });
    }
    Ok(buf)
}

fn walk_file(
    path: &Path,
    count: &mut usize,
    visit: &mut dyn FnMut(Item) -> crate::Result<()>,
) -> crate::Result<()> {
    let name = path.display().to_string();
    if let Err(u) = bump(count, &name) {
        return visit(Item::Unreadable(u));
    }
    if let Some(kind) = archive_of(&name) {
        let file = File::open(path).map_err(|e| crate::Error::io(path, e))?;
        return match kind {
            Archive::Zip => walk_zip(file, &name, count, visit),
            Archive::Tar => walk_tar(file, &name, count, visit),
            Archive::TarGz => walk_tar(flate2::read::GzDecoder::new(file), &name, count, visit),
            Archive::TarZst => match zstd::stream::read::Decoder::new(file) {
                Ok(d) => walk_tar(d, &name, count, visit),
                Err(e) => visit(Item::Unreadable(Unreadable {
                    location: name,
                    problem: Problem::Unreadable,
                    message: format!("zstd: {e}"),
                })),
            },
        };
    }
    let Some(format) = format_of(&name) else {
        return visit(Item::Ignored);
    };
    let file = File::open(path).map_err(|e| crate::Error::io(path, e))?;
    let size = file.metadata().ok().map(|m| m.len());
    match read_bounded(file, size, &name) {
        Ok(bytes) => visit(doc_item(name, format, bytes)),
        Err(u) => visit(Item::Unreadable(u)),
    }
}

fn walk_tar(
    r: impl Read,
    name: &str,
    count: &mut usize,
    visit: &mut dyn FnMut(Item) -> crate::Result<()>,
) -> crate::Result<()> {
    let mut archive = tar::Archive::new(r);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            return visit(Item::Unreadable(Unreadable {
                location: name.to_owned(),
                problem: Problem::Unreadable,
                message: format!("tar: {e}"),
            }));
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                // A damaged tar stream cannot be resynchronised: stop reading this input.
                return visit(Item::Unreadable(Unreadable {
                    location: name.to_owned(),
                    problem: Problem::Unreadable,
                    message: format!("tar: {e}"),
                }));
            }
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let member = entry
            .path()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "<bad path>".to_owned());
        let location = format!("{name}!{member}");
        if let Err(u) = bump(count, &location) {
            return visit(Item::Unreadable(u));
        }
        let Some(format) = format_of(&member) else {
            visit(Item::Ignored)?;
            continue;
        };
        let size = entry.header().size().ok();
        match read_bounded(entry, size, &location) {
            Ok(bytes) => visit(doc_item(location, format, bytes))?,
            Err(u) => {
                let stop = u.problem == Problem::Unreadable;
                visit(Item::Unreadable(u))?;
                if stop {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

fn walk_zip(
    file: File,
    name: &str,
    count: &mut usize,
    visit: &mut dyn FnMut(Item) -> crate::Result<()>,
) -> crate::Result<()> {
    let mut zip = match zip::ZipArchive::new(file) {
        Ok(z) => z,
        Err(e) => {
            return visit(Item::Unreadable(Unreadable {
                location: name.to_owned(),
                problem: Problem::Unreadable,
                message: format!("zip: {e}"),
            }));
        }
    };
    for i in 0..zip.len() {
        let entry = match zip.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                visit(Item::Unreadable(Unreadable {
                    location: format!("{name}!#{i}"),
                    problem: Problem::Unreadable,
                    message: format!("zip: {e}"),
                }))?;
                continue;
            }
        };
        if !entry.is_file() {
            continue;
        }
        let location = format!("{name}!{}", entry.name());
        if let Err(u) = bump(count, &location) {
            return visit(Item::Unreadable(u));
        }
        let Some(format) = format_of(entry.name()) else {
            visit(Item::Ignored)?;
            continue;
        };
        let size = Some(entry.size());
        match read_bounded(entry, size, &location) {
            Ok(bytes) => visit(doc_item(location, format, bytes))?,
            Err(u) => visit(Item::Unreadable(u))?,
        }
    }
    Ok(())
}
