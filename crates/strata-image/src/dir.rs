//! `dir:PATH`: a root filesystem on disk, walked without following symlinks (they are
//! recorded, and resolved later inside the index, never on the host).

use std::fs;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

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

/// What one worker found: entries, captured files and warnings, merged at the end.
#[derive(Default)]
struct Found {
    entries: Vec<(String, Entry)>,
    captured: Vec<(String, Arc<[u8]>)>,
    warnings: Vec<String>,
}

impl Found {
    /// Records a skipped path; a vanished one is not worth a warning.
    fn skipped(&mut self, path: &str, e: &std::io::Error) {
        if e.kind() != std::io::ErrorKind::NotFound {
            self.warnings.push(format!("{path}: skipped: {e}"));
        }
    }
}

/// The walk's shared state: directories still to read, how many workers are reading
/// one (the walk ends when both are zero), the budgets, and the first fatal error.
struct Walk<'a> {
    queue: Mutex<(Vec<(PathBuf, String)>, usize)>,
    ready: Condvar,
    entries: AtomicU64,
    captured_left: AtomicU64,
    error: Mutex<Option<ImageError>>,
    failed: AtomicBool,
    reference: &'a str,
    limits: &'a crate::options::Limits,
    capture: &'a dyn CaptureSpec,
}

impl Walk<'_> {
    /// The next directory to read, waiting while other workers may still add some;
    /// `None` when the walk is over.
    fn next(&self) -> Option<(PathBuf, String)> {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if self.failed.load(Ordering::Relaxed) {
                return None;
            }
            if let Some(dir) = q.0.pop() {
                q.1 += 1;
                return Some(dir);
            }
            if q.1 == 0 {
                return None;
            }
            q = self.ready.wait(q).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// A worker finished a directory and found `subdirs` below it.
    fn finished(&self, subdirs: Vec<(PathBuf, String)>) {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        q.0.extend(subdirs);
        q.1 -= 1;
        drop(q);
        self.ready.notify_all();
    }

    fn fail(&self, e: ImageError) {
        let mut slot = self.error.lock().unwrap_or_else(|e| e.into_inner());
        slot.get_or_insert(e);
        self.failed.store(true, Ordering::Relaxed);
        self.ready.notify_all();
    }

    /// Takes `len` bytes from the image-wide capture budget.
    fn take_budget(&self, len: u64) -> bool {
        self.captured_left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(len)
            })
            .is_ok()
    }

    fn worker(&self) -> Found {
        /// Ends the walk for everyone if this worker unwinds mid-directory; otherwise the
        /// others would wait for its directory forever and the panic would become a hang.
        struct Unwinding<'a, 'b>(&'a Walk<'b>);
        impl Drop for Unwinding<'_, '_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.failed.store(true, Ordering::Relaxed);
                    self.0.finished(Vec::new());
                }
            }
        }
        let mut found = Found::default();
        while let Some((disk, image_dir)) = self.next() {
            let mut subdirs = Vec::new();
            let result = {
                let _unwinding = Unwinding(self);
                self.read_dir(&disk, &image_dir, &mut subdirs, &mut found)
            };
            if let Err(e) = result {
                self.fail(e);
            }
            self.finished(subdirs);
        }
        found
    }

    fn read_dir(
        &self,
        disk: &Path,
        image_dir: &str,
        subdirs: &mut Vec<(PathBuf, String)>,
        found: &mut Found,
    ) -> Result<(), ImageError> {
        let limits = self.limits;
        let rd = match fs::read_dir(disk) {
            Ok(rd) => rd,
            Err(e) if !image_dir.is_empty() && skippable(&e) => {
                found.skipped(image_dir, &e);
                return Ok(());
            }
            Err(e) => return Err(io_err(disk, e)),
        };
        for dent in rd {
            let dent = match dent {
                Ok(d) => d,
                Err(e) if skippable(&e) => {
                    found.skipped(image_dir, &e);
                    continue;
                }
                Err(e) => return Err(io_err(disk, e)),
            };
            let name = dent.file_name();
            let mut path = String::with_capacity(image_dir.len() + 1 + name.len());
            path.push_str(image_dir);
            path.push('/');
            path.push_str(&name.to_string_lossy());
            let disk_path = dent.path();
            // DirEntry::metadata does not follow symlinks.
            let md = match dent.metadata() {
                Ok(md) => md,
                Err(e) if skippable(&e) => {
                    found.skipped(&path, &e);
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
            if self.entries.fetch_add(1, Ordering::Relaxed) >= limits.max_entries {
                return Err(ImageError::Limit {
                    reference: self.reference.to_owned(),
                    what: "number of files",
                    limit: limits.max_entries,
                    path,
                });
            }
            let link_target = if kind == EntryKind::Symlink {
                match fs::read_link(&disk_path) {
                    Ok(t) => Some(t.to_string_lossy().into_owned()),
                    Err(e) if skippable(&e) => {
                        found.skipped(&path, &e);
                        continue;
                    }
                    Err(e) => return Err(io_err(&disk_path, e)),
                }
            } else {
                None
            };
            if kind == EntryKind::Dir
                && !SKIP_DIRS.contains(&path.as_str())
                && !self.capture.skips_dir(&path)
            {
                subdirs.push((disk_path.clone(), path.clone()));
            }
            if kind == EntryKind::File && self.capture.wants(&path) {
                let data = match read_captured(
                    &disk_path,
                    &md,
                    limits.max_captured_file,
                    self.reference,
                    &path,
                ) {
                    Ok(d) => d,
                    // One oversized or unreadable file in a live tree is skipped with a
                    // warning; the rest of the tree is still worth scanning.
                    Err(ImageError::Limit { what, limit, .. }) => {
                        found
                            .warnings
                            .push(format!("{path}: skipped: {what} over the limit of {limit}"));
                        None
                    }
                    Err(ImageError::Io { source, .. }) if skippable(&source) => {
                        found.skipped(&path, &source);
                        None
                    }
                    Err(e) => return Err(e),
                };
                if let Some(data) = data {
                    if !self.take_budget(data.len() as u64) {
                        return Err(ImageError::Limit {
                            reference: self.reference.to_owned(),
                            what: "captured bytes of the image",
                            limit: limits.max_captured_total,
                            path,
                        });
                    }
                    found.captured.push((path.clone(), data));
                }
            }
            found.entries.push((
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
            ));
        }
        Ok(())
    }
}

/// Walks the root filesystem at `root` and builds its index, one worker per core: trees
/// of many small files (node_modules, site-packages) are bound by per-file system calls,
/// which overlap well.
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
    let walk = Walk {
        queue: Mutex::new((vec![(root.to_owned(), String::new())], 0)),
        ready: Condvar::new(),
        entries: AtomicU64::new(0),
        captured_left: AtomicU64::new(limits.max_captured_total),
        error: Mutex::new(None),
        failed: AtomicBool::new(false),
        reference,
        limits,
        capture,
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, 8);
    let results: Vec<Found> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| scope.spawn(|| walk.worker()))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    if let Some(e) = walk.error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let mut image = ImageFs::new(ImageMeta {
        reference: reference.to_owned(),
        ..ImageMeta::default()
    });
    for found in results {
        for (path, entry) in found.entries {
            image.insert(path, entry);
        }
        for (path, data) in found.captured {
            image.add_version(path, FileVersion { layer: None, data });
        }
        image.meta.warnings.extend(found.warnings);
    }
    // Workers finish in any order; the report must not.
    image.meta.warnings.sort();
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
    // Non-blocking and not following links: a file swapped for a FIFO or a symlink after
    // it was listed must neither hang the walk nor lead outside the tree.
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
            .open(disk)
    };
    let file = match file {
        Ok(f) => f,
        // ELOOP: it became a symlink; treat it as changed under us.
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Ok(None),
        Err(e) => return Err(io_err(disk, e)),
    };
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
