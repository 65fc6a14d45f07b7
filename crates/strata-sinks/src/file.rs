//! The `file:` sink: JSON Lines with size-based rotation.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use strata_rules::Alert;

use crate::dispatch::{Sink, SinkContext};
use crate::error::SinkError;
use crate::spec::{FileSpec, Format};
use crate::writer::format_line;

/// Appends one JSON alert per line to `path`. Before a write would make the file larger
/// than `max_size`, the file is rotated: `PATH.keep` is removed, `PATH.i` becomes
/// `PATH.i+1`, `PATH` becomes `PATH.1`. Each alert is one `write` (no user-space buffer).
/// New files are created with mode 0640.
pub struct FileSink {
    spec: FileSpec,
    file: Option<File>,
    size: u64,
    buf: Vec<u8>,
}

impl FileSink {
    /// Opens (creates) the file; fails when it cannot be opened for appending.
    pub fn open(spec: &FileSpec) -> Result<FileSink, SinkError> {
        let (file, size) = open_append(&spec.path)?;
        Ok(FileSink {
            spec: spec.clone(),
            file: Some(file),
            size,
            buf: Vec::with_capacity(1024),
        })
    }

    fn rotate(&mut self) -> Result<(), SinkError> {
        self.file = None;
        let path = &self.spec.path;
        if self.spec.keep == 0 {
            remove_if_exists(path)?;
        } else {
            remove_if_exists(&numbered(path, self.spec.keep))?;
            for i in (1..self.spec.keep).rev() {
                let from = numbered(path, i);
                match std::fs::rename(&from, numbered(path, i + 1)) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(SinkError::io(from, e)),
                }
            }
            std::fs::rename(path, numbered(path, 1)).map_err(|e| SinkError::io(path, e))?;
        }
        let (file, size) = open_append(path)?;
        self.file = Some(file);
        self.size = size;
        Ok(())
    }

    fn write(&mut self) -> Result<(), SinkError> {
        let len = self.buf.len() as u64;
        if self.spec.max_size > 0 && self.size > 0 && self.size + len > self.spec.max_size {
            self.rotate()?;
        }
        let file = match &mut self.file {
            Some(f) => f,
            None => {
                let (f, size) = open_append(&self.spec.path)?;
                self.size = size;
                self.file.insert(f)
            }
        };
        if let Err(e) = file.write_all(&self.buf) {
            // Reopen next time (the file may have been removed or the disk filled).
            self.file = None;
            return Err(SinkError::io(&self.spec.path, e));
        }
        self.size += len;
        Ok(())
    }
}

fn numbered(path: &Path, i: u32) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".{i}"));
    PathBuf::from(s)
}

fn remove_if_exists(path: &Path) -> Result<(), SinkError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(SinkError::io(path, e)),
    }
}

fn open_append(path: &Path) -> Result<(File, u64), SinkError> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o640)
        .open(path)
        .map_err(|e| SinkError::io(path, e))?;
    let size = file.metadata().map_err(|e| SinkError::io(path, e))?.len();
    Ok((file, size))
}

impl Sink for FileSink {
    fn deliver(&mut self, alert: &Alert, cx: &SinkContext) {
        self.buf.clear();
        format_line(alert, Format::Json, &mut self.buf);
        cx.stats().record_delivery(self.write());
    }

    fn close(&mut self, _cx: &SinkContext) {
        if let Some(f) = &self.file {
            let _ = f.sync_data();
        }
    }
}
