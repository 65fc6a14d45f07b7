//! The in-memory index of an image's final filesystem.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use strata_types::Digest;

use crate::capture::CaptureSpec;
use crate::error::ImageError;
use crate::layer::{Change, LayerResult};

/// The kind of a filesystem entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryKind {
    File,
    /// A hard link; `link_target` is the absolute path of the file it links to.
    HardLink,
    Symlink,
    Dir,
    CharDev,
    BlockDev,
    Fifo,
    Socket,
}

/// One path of the final filesystem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub kind: EntryKind,
    /// Permission bits (`0o7777`).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Size in bytes (for a hard link, its target's size).
    pub size: u64,
    pub mtime: i64,
    /// A symlink's target as written, or a hard link's target as an absolute path.
    pub link_target: Option<String>,
    /// The layer that last wrote this path; `None` for `dir:` targets.
    pub layer: Option<usize>,
}

/// One captured version of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileVersion {
    /// The layer that wrote this version; `None` for `dir:` targets.
    pub layer: Option<usize>,
    pub data: Arc<[u8]>,
}

/// Every captured version of one path, lowest layer first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileHistory {
    pub versions: Vec<FileVersion>,
    /// Index into `versions` of the version in the final filesystem; `None` when the
    /// path was deleted or replaced by something that was not captured.
    pub final_version: Option<usize>,
}

impl FileHistory {
    /// The version in the final filesystem.
    pub fn final_data(&self) -> Option<&FileVersion> {
        self.final_version.and_then(|i| self.versions.get(i))
    }

    /// The layer that introduced the final contents: the lowest layer of the unbroken
    /// run of identical versions ending at the final one.
    pub fn introduced_by(&self) -> Option<usize> {
        let i = self.final_version?;
        let fin = self.versions.get(i)?;
        let mut first = fin.layer;
        for v in self.versions.get(..i).unwrap_or(&[]).iter().rev() {
            if v.data == fin.data {
                first = v.layer;
            } else {
                break;
            }
        }
        first
    }
}

/// One layer of the image, as the manifest and config describe it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerMeta {
    pub index: usize,
    pub digest: Digest,
    pub diff_id: Digest,
    pub media_type: String,
    /// Size of the blob as stored.
    pub size: u64,
    /// The config history's `created_by` for this layer, when present.
    pub created_by: Option<String>,
    /// Whether the layer's index came from the cache (its blob was not read).
    pub from_cache: bool,
}

/// What is known about the image besides its files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageMeta {
    /// The target as the user wrote it.
    pub reference: String,
    pub manifest_digest: Option<Digest>,
    /// `None` for `dir:` targets.
    pub config_digest: Option<Digest>,
    pub repo_tags: Vec<String>,
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
    pub layers: Vec<LayerMeta>,
    /// Paths skipped while reading (unreadable parts of a `dir:` target), each with
    /// the reason.
    pub warnings: Vec<String>,
}

/// The final filesystem of an image: every path, plus the captured files' contents.
#[derive(Clone, Debug, Default)]
pub struct ImageFs {
    pub meta: ImageMeta,
    entries: BTreeMap<String, Entry>,
    versions: BTreeMap<String, Vec<FileVersion>>,
}

const MAX_SYMLINK_HOPS: usize = 40;

/// Keys strictly under directory `dir` (normalised, `/` for the root).
fn descendants(map: &BTreeMap<String, Entry>, dir: &str) -> Vec<String> {
    if dir == "/" {
        return map.keys().filter(|k| *k != "/").cloned().collect();
    }
    let mut lo = String::with_capacity(dir.len() + 1);
    lo.push_str(dir);
    lo.push('/');
    let mut hi = String::with_capacity(dir.len() + 1);
    hi.push_str(dir);
    hi.push('0'); // '0' is the character after '/'
    map.range(lo..hi).map(|(k, _)| k.clone()).collect()
}

fn remove_tree(map: &mut BTreeMap<String, Entry>, path: &str) {
    for k in descendants(map, path) {
        map.remove(&k);
    }
}

impl ImageFs {
    pub(crate) fn new(meta: ImageMeta) -> Self {
        ImageFs {
            meta,
            entries: BTreeMap::new(),
            versions: BTreeMap::new(),
        }
    }

    /// Inserts one entry directly (for `dir:` targets).
    pub(crate) fn insert(&mut self, path: String, entry: Entry) {
        self.entries.insert(path, entry);
    }

    pub(crate) fn add_version(&mut self, path: String, version: FileVersion) {
        self.versions.entry(path).or_default().push(version);
    }

    /// Applies one layer on top of the current state.
    pub(crate) fn apply_layer(
        &mut self,
        index: usize,
        layer: LayerResult,
        capture: &dyn CaptureSpec,
    ) {
        let LayerResult {
            entries, captured, ..
        } = layer;
        // Whiteouts and opaque markers only affect lower layers: apply them first.
        for e in &entries {
            match e.change {
                Change::Whiteout => {
                    remove_tree(&mut self.entries, &e.path);
                    self.entries.remove(&e.path);
                }
                Change::Opaque => remove_tree(&mut self.entries, &e.path),
                Change::Add(_) => {}
            }
        }
        let captured_here: HashSet<&str> = captured.iter().map(|(p, _)| p.as_str()).collect();
        for e in entries {
            let Change::Add(kind) = e.change else {
                continue;
            };
            let mut size = e.size;
            // A hard link to a file captured in a lower layer shares its contents.
            let mut linked = None;
            if kind == EntryKind::HardLink {
                let target = e.link.as_deref().and_then(|t| self.entries.get(t));
                size = target.map_or(0, |t| t.size);
                if capture.wants(&e.path) && !captured_here.contains(e.path.as_str()) {
                    linked = e
                        .link
                        .as_deref()
                        .and_then(|t| self.final_version(t))
                        .map(|v| (e.path.clone(), v.data));
                }
            }
            if kind != EntryKind::Dir
                && self
                    .entries
                    .get(&e.path)
                    .is_some_and(|old| old.kind == EntryKind::Dir)
            {
                remove_tree(&mut self.entries, &e.path);
            }
            self.entries.insert(
                e.path,
                Entry {
                    kind,
                    mode: e.mode,
                    uid: e.uid,
                    gid: e.gid,
                    size,
                    mtime: e.mtime,
                    link_target: e.link,
                    layer: Some(index),
                },
            );
            if let Some((path, data)) = linked {
                let layer = Some(index);
                self.push_version(&path, FileVersion { layer, data });
            }
        }
        for (path, data) in captured {
            let layer = Some(index);
            self.push_version(&path, FileVersion { layer, data });
        }
    }

    fn push_version(&mut self, path: &str, v: FileVersion) {
        let list = self.versions.entry(path.to_owned()).or_default();
        match list.last_mut() {
            Some(last) if last.layer == v.layer => *last = v,
            _ => list.push(v),
        }
    }

    /// The captured version of `path` (not following symlinks) in the final filesystem.
    fn final_version(&self, path: &str) -> Option<FileVersion> {
        let entry = self.entries.get(path)?;
        if !matches!(entry.kind, EntryKind::File | EntryKind::HardLink) {
            return None;
        }
        self.versions
            .get(path)?
            .iter()
            .rev()
            .find(|v| v.layer == entry.layer)
            .cloned()
    }

    /// The entry at `path` (not following symlinks). `path` is normalised first.
    pub fn entry(&self, path: &str) -> Option<&Entry> {
        let p = crate::layer::normalize(path).ok()?;
        self.entries.get(&p)
    }

    /// Every path of the final filesystem with its entry, in path order.
    pub fn walk(&self) -> impl Iterator<Item = (&str, &Entry)> + '_ {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Every path strictly under directory `dir`, in path order (a range scan of the
    /// index, not a walk of the whole image). `dir` is not resolved through symlinks.
    pub fn walk_under(&self, dir: &str) -> impl Iterator<Item = (&str, &Entry)> + '_ {
        let mut lo = crate::layer::normalize(dir).unwrap_or_else(|()| "/".to_owned());
        if !lo.ends_with('/') {
            lo.push('/');
        }
        self.entries
            .range(lo.clone()..)
            .take_while(move |(k, _)| k.starts_with(&lo))
            .map(|(k, v)| (k.as_str(), v))
    }

    /// The number of paths in the final filesystem.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every path that has at least one captured version, in path order (including
    /// paths deleted by a later layer; see [`ImageFs::versions`]).
    pub fn captured_paths(&self) -> impl Iterator<Item = &str> + '_ {
        self.versions.keys().map(String::as_str)
    }

    /// The per-layer history of a captured path (not following symlinks).
    pub fn versions(&self, path: &str) -> Option<FileHistory> {
        let p = crate::layer::normalize(path).ok()?;
        let versions = self.versions.get(&p)?.clone();
        let final_version = self.entries.get(&p).and_then(|entry| {
            if !matches!(entry.kind, EntryKind::File | EntryKind::HardLink) {
                return None;
            }
            versions.iter().rposition(|v| v.layer == entry.layer)
        });
        Some(FileHistory {
            versions,
            final_version,
        })
    }

    /// Resolves `path` inside the image, following symlinks in every component
    /// (absolute targets start at the image root; `..` never climbs above it).
    /// `Ok(None)` when some component does not exist.
    pub fn resolve(&self, path: &str) -> Result<Option<String>, ImageError> {
        let mut stack: Vec<&str> = path.rsplit('/').collect();
        let mut cur = String::with_capacity(path.len() + 1);
        let mut hops = 0;
        while let Some(comp) = stack.pop() {
            match comp {
                "" | "." => continue,
                ".." => {
                    if let Some(i) = cur.rfind('/') {
                        cur.truncate(i);
                    }
                    continue;
                }
                _ => {}
            }
            let len = cur.len();
            cur.push('/');
            cur.push_str(comp);
            let Some(entry) = self.entries.get(&cur) else {
                // Layers need not list parent directories: a missing component with
                // something under it is an implicit directory.
                let more = stack.iter().any(|c| !c.is_empty() && *c != ".");
                if more && self.has_children(&cur) {
                    continue;
                }
                return Ok(None);
            };
            if entry.kind == EntryKind::Symlink {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(ImageError::SymlinkLoop {
                        path: path.to_owned(),
                    });
                }
                let target = entry.link_target.as_deref().unwrap_or("");
                if target.starts_with('/') {
                    cur.clear();
                } else {
                    cur.truncate(len);
                }
                stack.extend(target.rsplit('/'));
            } else if !stack.iter().all(|c| c.is_empty() || *c == ".")
                && entry.kind != EntryKind::Dir
            {
                return Ok(None);
            }
        }
        if cur.is_empty() {
            cur.push('/');
        }
        Ok(Some(cur))
    }

    fn has_children(&self, dir: &str) -> bool {
        let mut lo = String::with_capacity(dir.len() + 1);
        lo.push_str(dir);
        lo.push('/');
        self.entries
            .range(lo.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&lo))
    }

    /// Reads a captured file, following symlinks inside the image. `Ok(None)` when the
    /// path does not exist; an error when it exists but is not a regular file or was not
    /// captured, or when symlinks loop.
    pub fn read(&self, path: &str) -> Result<Option<FileVersion>, ImageError> {
        let Some(resolved) = self.resolve(path)? else {
            return Ok(None);
        };
        let Some(entry) = self.entries.get(&resolved) else {
            return Ok(None);
        };
        if !matches!(entry.kind, EntryKind::File | EntryKind::HardLink) {
            return Err(ImageError::NotAFile { path: resolved });
        }
        match self.final_version(&resolved) {
            Some(v) => Ok(Some(v)),
            None => Err(ImageError::NotCaptured { path: resolved }),
        }
    }
}
