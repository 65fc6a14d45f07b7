//! Container ids from cgroup paths (`/proc/PID/cgroup`).
//!
//! Every runtime puts a container's processes in a cgroup whose path names the container:
//! `/system.slice/docker-<id>.scope` (Docker with systemd), `/docker/<id>` (Docker with
//! cgroupfs), `.../cri-containerd-<id>.scope`, `.../crio-<id>.scope`, `.../libpod-<id>.scope`
//! (Podman), `/kubepods/.../<id>`. The outermost container wins (Docker in Docker reports
//! the outer container, as Falco does).

/// A container named by a cgroup path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CgroupContainer {
    /// Full 64-hex-digit id.
    pub id: String,
    /// `docker`, `containerd`, `cri-o`, `podman`.
    pub runtime: &'static str,
}

fn is_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The container of one cgroup path (`/system.slice/docker-<id>.scope`), if any.
pub fn container_from_path(path: &str) -> Option<CgroupContainer> {
    let mut parent = "";
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        let base = seg.strip_suffix(".scope").unwrap_or(seg);
        let prefixed = [
            ("docker-", "docker"),
            ("cri-containerd-", "containerd"),
            ("crio-", "cri-o"),
            ("libpod-", "podman"),
            ("containerd-", "containerd"),
        ];
        for (prefix, runtime) in prefixed {
            if let Some(id) = base.strip_prefix(prefix).filter(|id| is_id(id)) {
                return Some(CgroupContainer {
                    id: id.to_ascii_lowercase(),
                    runtime,
                });
            }
        }
        if is_id(base) {
            let runtime = match parent {
                "docker" => "docker",
                p if p.starts_with("kubepods") || p.starts_with("pod") => "containerd",
                _ => "docker",
            };
            return Some(CgroupContainer {
                id: base.to_ascii_lowercase(),
                runtime,
            });
        }
        parent = seg;
    }
    None
}

/// The container named by the contents of `/proc/PID/cgroup` (v1 or v2 lines), if any.
pub fn container_from_proc_cgroup(content: &str) -> Option<CgroupContainer> {
    content.lines().find_map(|line| {
        // `hierarchy-id:controllers:path`; the path may itself contain ':'.
        let mut parts = line.splitn(3, ':');
        let (_, _, path) = (parts.next()?, parts.next()?, parts.next()?);
        container_from_path(path)
    })
}

/// The cgroup v2 path (`0::/path`) in `/proc/PID/cgroup`.
pub fn unified_path(content: &str) -> Option<&str> {
    content.lines().find_map(|l| l.strip_prefix("0::"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3ad7b26ded6d8e7e2a9b14fb5e8c6c2e6d3b0e9d5a4c3b2a1f0e9d8c7b6a5f4e";

    #[test]
    fn runtimes() {
        let cases = [
            (format!("0::/system.slice/docker-{ID}.scope"), "docker"),
            (format!("0::/docker/{ID}"), "docker"),
            (
                format!(
                    "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-{ID}.scope"
                ),
                "containerd",
            ),
            (format!("0::/kubepods.slice/x/crio-{ID}.scope"), "cri-o"),
            (
                format!("0::/machine.slice/libpod-{ID}.scope/container"),
                "podman",
            ),
            (
                format!("12:pids:/kubepods/besteffort/pod1/{ID}"),
                "containerd",
            ),
            (format!("0::/docker/{ID}/init.scope"), "docker"),
        ];
        for (content, runtime) in cases {
            let c = container_from_proc_cgroup(&content).unwrap_or_else(|| panic!("{content}"));
            assert_eq!(c.id, ID, "{content}");
            assert_eq!(c.runtime, runtime, "{content}");
        }
    }

    #[test]
    fn host_and_junk() {
        for content in [
            "0::/user.slice/user-0.slice/session-1.scope",
            "0::/init.scope",
            "0::/",
            "",
            "garbage",
            "0::/system.slice/docker-1234.scope",
            "0::/system.slice/docker.service",
        ] {
            assert_eq!(container_from_proc_cgroup(content), None, "{content}");
        }
    }

    #[test]
    fn outermost_wins() {
        let inner = "a".repeat(64);
        let content = format!("0::/docker/{ID}/docker/{inner}");
        assert_eq!(
            container_from_proc_cgroup(&content).map(|c| c.id),
            Some(ID.to_owned())
        );
    }
}

/// Where the cgroup v2 hierarchy is mounted, from `/proc/self/mountinfo`: `/sys/fs/cgroup`
/// on unified hosts, `/sys/fs/cgroup/unified` on hybrid (v1) ones, `None` without one.
///
/// Only that tree may be scanned for the kernel's cgroup ids: every v1 hierarchy (cpu,
/// memory, pids, ...) numbers its directories' inodes on its own, so the inode of one
/// container's `memory/docker/<id>` can equal the v2 id of another container's processes.
pub fn v2_mount(mountinfo: &str) -> Option<std::path::PathBuf> {
    crate::procfs::mount_points(mountinfo)
        .find(|(_, fstype)| *fstype == "cgroup2")
        .map(|(point, _)| std::path::PathBuf::from(point))
}

/// Cgroup v2 ids (the inode of the cgroup's directory, which the kernel reports with
/// every event) mapped to containers. The kernel's id stays right when a process has
/// exited before its events are read, which `/proc/PID/cgroup` cannot.
#[derive(Debug)]
pub struct CgroupMap {
    root: std::path::PathBuf,
    ids: std::collections::HashMap<u64, Option<CgroupContainer>>,
    last_scan: Option<std::time::Instant>,
    /// Scans of the cgroup tree.
    pub scans: u64,
}

/// Deepest cgroup directory scanned (`kubepods.slice/…/cri-containerd-ID.scope` is 4 deep).
const MAX_CGROUP_DEPTH: usize = 8;
/// Most cgroup directories scanned.
const MAX_CGROUP_DIRS: usize = 200_000;

impl CgroupMap {
    /// A map over the cgroup v2 tree at `root` (`/sys/fs/cgroup`).
    pub fn new(root: impl Into<std::path::PathBuf>) -> CgroupMap {
        CgroupMap {
            root: root.into(),
            ids: std::collections::HashMap::new(),
            last_scan: None,
            scans: 0,
        }
    }

    /// The container of a cgroup id: `Some(None)` for a known cgroup outside containers,
    /// `None` when the id is unknown (the tree is scanned again at most every 200 ms).
    pub fn lookup(&mut self, id: u64) -> Option<Option<CgroupContainer>> {
        if id == 0 {
            return None;
        }
        if let Some(c) = self.ids.get(&id) {
            return Some(c.clone());
        }
        let due = self
            .last_scan
            .is_none_or(|t| t.elapsed() >= std::time::Duration::from_millis(200));
        if !due {
            return None;
        }
        self.scan();
        self.ids.get(&id).cloned()
    }

    fn scan(&mut self) {
        use std::os::unix::fs::MetadataExt;
        self.last_scan = Some(std::time::Instant::now());
        self.scans += 1;
        if self.ids.len() > MAX_CGROUP_DIRS {
            self.ids.clear();
        }
        let mut stack = vec![(self.root.clone(), 0usize)];
        let mut seen = 0usize;
        while let Some((dir, depth)) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in rd.flatten() {
                let Ok(ft) = entry.file_type() else { continue };
                if !ft.is_dir() {
                    continue;
                }
                seen += 1;
                if seen > MAX_CGROUP_DIRS {
                    return;
                }
                let path = entry.path();
                let Ok(meta) = entry.metadata() else { continue };
                let rel = path
                    .strip_prefix(&self.root)
                    .map(|p| format!("/{}", p.to_string_lossy()))
                    .unwrap_or_default();
                self.ids.insert(meta.ino(), container_from_path(&rel));
                if depth + 1 < MAX_CGROUP_DEPTH {
                    stack.push((path, depth + 1));
                }
            }
        }
        if let Ok(meta) = std::fs::metadata(&self.root) {
            self.ids.insert(meta.ino(), None);
        }
    }
}

#[cfg(test)]
mod map_tests {
    use super::*;

    #[test]
    fn the_v2_hierarchy_from_mountinfo() {
        let hybrid = "\
25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
31 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
32 31 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
35 31 0:30 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory
";
        assert_eq!(
            v2_mount(hybrid),
            Some(std::path::PathBuf::from("/sys/fs/cgroup/unified"))
        );
        let unified = "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";
        assert_eq!(
            v2_mount(unified),
            Some(std::path::PathBuf::from("/sys/fs/cgroup"))
        );
        let v1_only = "35 31 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
        assert_eq!(v2_mount(v1_only), None);
        let spaced = "1 2 0:1 / /mnt/my\\040cgroups rw - cgroup2 none rw\n";
        assert_eq!(
            v2_mount(spaced),
            Some(std::path::PathBuf::from("/mnt/my cgroups"))
        );
        assert_eq!(v2_mount("garbage\n - \n"), None);
        // This machine's own table names one, or none; it never panics.
        if let Ok(own) = std::fs::read_to_string("/proc/self/mountinfo") {
            let _ = v2_mount(&own);
        }
    }

    #[test]
    fn ids_from_a_tree() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let id = "b".repeat(64);
        let scope = dir
            .path()
            .join("system.slice")
            .join(format!("docker-{id}.scope"));
        std::fs::create_dir_all(&scope).unwrap();
        let user = dir.path().join("user.slice");
        std::fs::create_dir_all(&user).unwrap();
        let mut m = CgroupMap::new(dir.path());
        let ino = |p: &std::path::Path| std::fs::metadata(p).unwrap().ino();
        assert_eq!(m.lookup(ino(&scope)).unwrap().unwrap().id, id);
        assert_eq!(m.lookup(ino(&user)), Some(None));
        assert_eq!(m.scans, 1, "the second lookup is served from the map");
        assert_eq!(m.lookup(0), None);
        // An unknown id right after a scan does not rescan.
        assert_eq!(m.lookup(u64::MAX), None);
        assert_eq!(m.scans, 1);
    }
}
