//! `dir:PATH`: a root filesystem on disk, walked without following symlinks (they are
//! recorded, and resolved later inside the index, never on the host).

use std::fs::{self, File};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::capture::CaptureSpec;
use crate::error::ImageError;
use crate::fs::{Entry, EntryKind, FileVersion, ImageFs, ImageMeta};
use crate::options::OpenOptions;

/// Virtual filesystems whose contents are not part of a root filesystem.
const SKIP_DIRS: &[&str] = &["/proc", "/sys"];

fn io_err(path: &Path, source: std::io::Error) -> ImageError {
    ImageError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// A live tree changes while it is walked, and parts of it may be unreadable to the
/// user: a path that vanished or may not be read is skipped, not fatal.
fn skippable(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
    )
}

/// Records a skipped path; a vanished one is not worth a warning.
fn note_skipped(image: &mut ImageFs, path: &str, e: &std::io::Error) {
    if e.kind() != std::io::ErrorKind::NotFound {
        image.meta.warnings.push(format!("{path}: skipped: {e}"));
    }
}

/// Walks the root filesystem at `root` and builds its index.
pub fn open_dir(
    root: &Path,
    reference: &str,
    opts: &OpenOptions,
    capture: &dyn CaptureSpec,
) -> Result<ImageFs, ImageError> {
    let limits = &opts.limits;
    let meta = fs::metadata(root).map_err(|e| io_err(root, e))?;
    if !meta.is_dir() {
        return Err(ImageError::Target {
            target: reference.to_owned(),
            message: format!("{} is not a directory", root.display()),
        });
    }
    let mut image = ImageFs::new(ImageMeta {
        reference: reference.to_owned(),
        ..ImageMeta::default()
    });
    let mut captured_left = limits.max_captured_total;
    let mut count: u64 = 0;
    let mut stack: Vec<(PathBuf, String)> = vec![(root.to_owned(), String::new())];
    while let Some((disk, image_dir)) = stack.pop() {
        let rd = match fs::read_dir(&disk) {
            Ok(rd) => rd,
            Err(e) if !image_dir.is_empty() && skippable(&e) => {
                note_skipped(&mut image, &image_dir, &e);
                continue;
            }
            Err(e) => return Err(io_err(&disk, e)),
        };
        for dent in rd {
            let dent = match dent {
                Ok(d) => d,
                Err(e) if skippable(&e) => {
                    note_skipped(&mut image, &image_dir, &e);
                    continue;
                }
                Err(e) => return Err(io_err(&disk, e)),
            };
            let name = dent.file_name();
            let mut path = String::with_capacity(image_dir.len() + 1 + name.len());
            path.push_str(&image_dir);
            path.push('/');
            path.push_str(&name.to_string_lossy());
            let disk_path = dent.path();
            // DirEntry::metadata does not follow symlinks.
            let md = match dent.metadata() {
                Ok(md) => md,
                Err(e) if skippable(&e) => {
                    note_skipped(&mut image, &path, &e);
                    continue;
                }
                Err(e) => return Err(io_err(&disk_path, e)),
            };
            let ft = md.file_type();
            let kind = if ft.is_symlink() {
                EntryKind::Symlink
            } else if ft.is_dir() {
                EntryKind::Dir
            } else if ft.is_file() {
                EntryKind::File
            } else if ft.is_char_device() {
                EntryKind::CharDev
            } else if ft.is_block_device() {
                EntryKind::BlockDev
            } else if ft.is_fifo() {
                EntryKind::Fifo
            } else {
                EntryKind::Socket
            };
            count += 1;
            if count > limits.max_entries {
                return Err(ImageError::Limit {
                    reference: reference.to_owned(),
                    what: "number of files",
                    limit: limits.max_entries,
                    path,
                });
            }
            let link_target = if kind == EntryKind::Symlink {
                match fs::read_link(&disk_path) {
                    Ok(t) => Some(t.to_string_lossy().into_owned()),
                    Err(e) if skippable(&e) => {
                        note_skipped(&mut image, &path, &e);
                        continue;
                    }
                    Err(e) => return Err(io_err(&disk_path, e)),
                }
            } else {
                None
            };
            if kind == EntryKind::Dir
                && !SKIP_DIRS.contains(&path.as_str())
                && !capture.skips_dir(&path)
            {
                stack.push((disk_path.clone(), path.clone()));
            }
            if kind == EntryKind::File && capture.wants(&path) {
                let data = match read_captured(
                    &disk_path,
                    &md,
                    limits.max_captured_file,
                    reference,
                    &path,
                ) {
                    Ok(d) => d,
                    // One oversized or unreadable file in a live tree is skipped with a
                    // warning; the rest of the tree is still worth scanning.
                    Err(ImageError::Limit { what, limit, .. }) => {
                        image
                            .meta
                            .warnings
                            .push(format!("{path}: skipped: {what} over the limit of {limit}"));
                        None
                    }
                    Err(ImageError::Io { source, .. }) if skippable(&source) => {
                        note_skipped(&mut image, &path, &source);
                        None
                    }
                    Err(e) => return Err(e),
                };
                if let Some(data) = data {
                    let len = data.len() as u64;
                    if len > captured_left {
                        return Err(ImageError::Limit {
                            reference: reference.to_owned(),
                            what: "captured bytes of the image",
                            limit: limits.max_captured_total,
                            path,
                        });
                    }
                    captured_left -= len;
                    image.add_version(path.clone(), FileVersion { layer: None, data });
                }
            }
            image.insert(
                path,
                Entry {
                    kind,
                    mode: md.mode() & 0o7777,
                    uid: u64::from(md.uid()),
                    gid: u64::from(md.gid()),
                    size: if kind == EntryKind::File { md.len() } else { 0 },
                    mtime: md.mtime(),
                    link_target,
                    layer: None,
                },
            );
        }
    }
    Ok(image)
}

/// Reads a wanted file, making sure it is still the file that was listed (not swapped
/// for a symlink in between). `None` if it changed under us.
fn read_captured(
    disk: &Path,
    listed: &fs::Metadata,
    limit: u64,
    reference: &str,
    path: &str,
) -> Result<Option<Arc<[u8]>>, ImageError> {
    if listed.len() > limit {
        return Err(ImageError::Limit {
            reference: reference.to_owned(),
            what: "captured file size (bytes)",
            limit,
            path: path.to_owned(),
        });
    }
    let file = File::open(disk).map_err(|e| io_err(disk, e))?;
    let md = file.metadata().map_err(|e| io_err(disk, e))?;
    if md.dev() != listed.dev() || md.ino() != listed.ino() || !md.is_file() {
        return Ok(None);
    }
    let mut data = Vec::with_capacity(usize::try_from(md.len().min(limit)).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|e| io_err(disk, e))?;
    if data.len() as u64 > limit {
        return Err(ImageError::Limit {
            reference: reference.to_owned(),
            what: "captured file size (bytes)",
            limit,
            path: path.to_owned(),
        });
    }
    Ok(Some(data.into()))
}
