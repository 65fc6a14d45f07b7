//! The per-layer cache: hits skip the blob, corrupt entries are ignored, LRU eviction,
//! several openers at once.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use strata_image::{
    CacheOptions, CapturePaths, CaptureSpec, Descriptor, ImageFs, ImageSource, OciLayoutSource,
    OpenOptions, Platform, ResolvedImage, SourceError, open_image,
};

use crate::common::*;

struct Counting {
    inner: OciLayoutSource,
    opened: Arc<AtomicUsize>,
}

impl ImageSource for Counting {
    fn reference(&self) -> &str {
        self.inner.reference()
    }
    fn resolve(&mut self, platform: &Platform) -> Result<ResolvedImage, SourceError> {
        self.inner.resolve(platform)
    }
    fn open_blob(&mut self, desc: &Descriptor) -> Result<Box<dyn Read + Send + '_>, SourceError> {
        self.opened.fetch_add(1, Ordering::SeqCst);
        self.inner.open_blob(desc)
    }
}

fn open_counting(layout: &Path, cache_dir: &Path, capture: &dyn CaptureSpec) -> (ImageFs, usize) {
    let opened = Arc::new(AtomicUsize::new(0));
    let src = Counting {
        inner: OciLayoutSource::open(layout, None, "test".into(), 8 << 20).unwrap(),
        opened: Arc::clone(&opened),
    };
    let opts = OpenOptions {
        cache: Some(CacheOptions {
            dir: cache_dir.to_owned(),
            max_bytes: 1 << 30,
        }),
        ..OpenOptions::uncached()
    };
    let fs = open_image(Box::new(src), &opts, capture).unwrap();
    (fs, opened.load(Ordering::SeqCst))
}

fn layout(dir: &Path) {
    let l0 = layer_tar(&[
        E::Dir("etc/"),
        E::File("etc/a", b"a0"),
        E::Symlink("etc/l", "a"),
    ]);
    let l1 = layer_tar(&[E::File("etc/a", b"a1"), E::File("etc/.wh.l", b"")]);
    oci_layout(dir, &[Layer::gz(l0), Layer::zst(l1)]);
}

fn cache_files(cache: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(cache.join("layers"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "layer"))
        .collect();
    v.sort();
    v
}

#[test]
fn a_hit_skips_the_blob_and_gives_the_same_index() {
    let tmp = tempfile::tempdir().unwrap();
    let lay = tmp.path().join("layout");
    let cache = tmp.path().join("cache");
    layout(&lay);
    let capture = CapturePaths::new(["/etc/a"]);
    let (first, opened) = open_counting(&lay, &cache, &capture);
    assert_eq!(opened, 2);
    assert!(first.meta.layers.iter().all(|l| !l.from_cache));
    let (second, opened) = open_counting(&lay, &cache, &capture);
    assert_eq!(opened, 0);
    assert!(second.meta.layers.iter().all(|l| l.from_cache));
    assert_eq!(listing(&first), listing(&second));
    assert_eq!(first.versions("/etc/a"), second.versions("/etc/a"));
    assert_eq!(&second.read("/etc/a").unwrap().unwrap().data[..], b"a1");
    assert_eq!(cache_files(&cache).len(), 2);

    // Another capture spec is another key: a miss.
    let (_, opened) = open_counting(&lay, &cache, &CapturePaths::new(["/etc/l"]));
    assert_eq!(opened, 2);
    assert_eq!(cache_files(&cache).len(), 4);
}

#[test]
fn corrupt_entries_are_ignored_and_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let lay = tmp.path().join("layout");
    let cache = tmp.path().join("cache");
    layout(&lay);
    let capture = CapturePaths::new(["/etc/a"]);
    let (first, _) = open_counting(&lay, &cache, &capture);
    for f in cache_files(&cache) {
        let mut data = std::fs::read(&f).unwrap();
        let mid = data.len() / 2;
        data[mid] ^= 0xff;
        std::fs::write(&f, &data).unwrap();
    }
    let (second, opened) = open_counting(&lay, &cache, &capture);
    assert_eq!(opened, 2);
    assert_eq!(listing(&first), listing(&second));
    // Rewritten: hits again.
    let (_, opened) = open_counting(&lay, &cache, &capture);
    assert_eq!(opened, 0);
    // A truncated (half-written) entry is also ignored.
    for f in cache_files(&cache) {
        let data = std::fs::read(&f).unwrap();
        std::fs::write(&f, &data[..data.len() / 3]).unwrap();
    }
    let (third, opened) = open_counting(&lay, &cache, &capture);
    assert_eq!(opened, 2);
    assert_eq!(third.versions("/etc/a"), first.versions("/etc/a"));
}

#[test]
fn least_recently_used_entries_are_evicted() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    // Three images of one layer each, ~40 KiB of captured data per layer.
    let mut layouts = Vec::new();
    for i in 0..3u8 {
        let lay = tmp.path().join(format!("layout{i}"));
        let data = vec![i; 40_000];
        oci_layout(&lay, &[Layer::plain(layer_tar(&[E::File("f", &data)]))]);
        layouts.push(lay);
    }
    let capture = CapturePaths::new(["/f"]);
    let opts = |max: u64| OpenOptions {
        cache: Some(CacheOptions {
            dir: cache.clone(),
            max_bytes: max,
        }),
        ..OpenOptions::uncached()
    };
    let open = |lay: &Path, max: u64| {
        let src = OciLayoutSource::open(lay, None, "t".into(), 8 << 20).unwrap();
        open_image(Box::new(src), &opts(max), &capture).unwrap()
    };
    open(&layouts[0], 1 << 20);
    std::thread::sleep(std::time::Duration::from_millis(20));
    open(&layouts[1], 1 << 20);
    std::thread::sleep(std::time::Duration::from_millis(20));
    // Touch layout 0 (a hit refreshes its mtime), then add a third with a cap of ~2 entries.
    assert!(open(&layouts[0], 1 << 20).meta.layers[0].from_cache);
    std::thread::sleep(std::time::Duration::from_millis(20));
    open(&layouts[2], 100_000);
    let total: u64 = cache_files(&cache)
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    assert!(total <= 100_000, "{total}");
    assert_eq!(cache_files(&cache).len(), 2);
    // Layout 1 was the least recently used.
    assert!(open(&layouts[0], 1 << 20).meta.layers[0].from_cache);
    assert!(open(&layouts[2], 1 << 20).meta.layers[0].from_cache);
    assert!(!open(&layouts[1], 1 << 20).meta.layers[0].from_cache);
}

#[test]
fn several_openers_share_one_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let lay = tmp.path().join("layout");
    let cache = tmp.path().join("cache");
    layout(&lay);
    let capture = CapturePaths::new(["/etc/a"]);
    let (reference, _) = open_counting(&lay, &tmp.path().join("other-cache"), &capture);
    let expected = listing(&reference);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|_| s.spawn(|| open_counting(&lay, &cache, &capture).0))
            .collect();
        for h in handles {
            let fs = h.join().unwrap();
            assert_eq!(listing(&fs), expected);
            assert_eq!(&fs.read("/etc/a").unwrap().unwrap().data[..], b"a1");
        }
    });
    assert_eq!(cache_files(&cache).len(), 2);
    let leftovers: Vec<_> = std::fs::read_dir(cache.join("layers"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn progress_is_reported_per_layer() {
    use std::sync::Mutex;
    use strata_image::Progress;
    let tmp = tempfile::tempdir().unwrap();
    let lay = tmp.path().join("layout");
    layout(&lay);
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let opts = OpenOptions {
        cache: Some(CacheOptions {
            dir: tmp.path().join("cache"),
            max_bytes: 1 << 30,
        }),
        progress: Some(Arc::new(move |p: &Progress| {
            sink.lock().unwrap().push(p.clone())
        })),
        ..OpenOptions::uncached()
    };
    let capture = CapturePaths::new(["/etc/a"]);
    let target = format!("oci:{}", lay.display());
    for from_cache in [false, true] {
        events.lock().unwrap().clear();
        let fs = strata_image::open_target(&target, &opts, &capture).unwrap();
        let mut got = events.lock().unwrap().clone();
        let total: u64 = fs.meta.layers.iter().map(|l| l.size).sum();
        assert_eq!(
            got.remove(0),
            Progress::Resolved {
                layers: 2,
                total_bytes: total
            }
        );
        got.sort_by_key(|p| match p {
            Progress::LayerDone { index, .. } => *index,
            Progress::Resolved { .. } => usize::MAX,
        });
        let want: Vec<Progress> = fs
            .meta
            .layers
            .iter()
            .map(|l| Progress::LayerDone {
                index: l.index,
                size: l.size,
                from_cache,
            })
            .collect();
        assert_eq!(got, want);
    }
}
