//! Container context from the Docker Engine API: a cache of container metadata filled at
//! start-up (every running container), refreshed on Docker events, and completed by
//! lookups on a background thread. The event path only reads the cache and never waits
//! for the daemon.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, RwLock};
use std::thread;
use std::time::{Duration, Instant};

use crate::wire::now_ns;
use serde_json::Value;
use strata_rules::event::{Container, K8s, Label, Mount};

/// Longest time spent inspecting the running containers before the sensor starts.
const STARTUP_LOOKUPS: Duration = Duration::from_secs(5);
/// Longest wait for one answer of the daemon to a lookup.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(2);
/// The event stream is reopened after this long without a byte (with `since`, so nothing is lost).
const EVENTS_IDLE: Duration = Duration::from_secs(30);
/// An id the daemon does not know is asked again after this long.
const NEGATIVE_TTL: Duration = Duration::from_secs(10);
/// Longest Docker event line read.
const MAX_EVENT_LINE: usize = 1 << 20;
/// Most containers kept.
const MAX_CONTAINERS: usize = 65_536;

/// What strata knows about one container.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContainerInfo {
    /// The fields rules see (`container.*`).
    pub container: Container,
    /// The health check's command line as the daemon runs it (see [`healthcheck_argv`]).
    pub healthcheck: Option<Vec<String>>,
    /// The overlay upper directory on the host (files written since the container started).
    pub upper_dir: Option<PathBuf>,
    /// The container's merged root file system on the host.
    pub merged_dir: Option<PathBuf>,
    /// The container's init process on the host.
    pub pid: u32,
    /// Its Kubernetes pod, when the kubelet started it (`k8s.*`).
    pub k8s: Option<K8s>,
    /// The id of its pod's sandbox container, which holds the pod's labels.
    pub k8s_sandbox_id: Option<String>,
}

/// Label keys the kubelet's runtime (cri-dockerd, as dockershim did before it) puts on
/// every container of a pod.
const K8S_POD_NAME: &str = "io.kubernetes.pod.name";
const K8S_POD_NAMESPACE: &str = "io.kubernetes.pod.namespace";
const K8S_POD_UID: &str = "io.kubernetes.pod.uid";
const K8S_SANDBOX_ID: &str = "io.kubernetes.sandbox.id";
const K8S_CONTAINER_TYPE: &str = "io.kubernetes.docker.type";

/// The Kubernetes pod of a container from its labels, and the id of the pod's sandbox.
/// The pod's own labels are on the sandbox ("pause") container only, beside the
/// `io.kubernetes.*` ones and the annotations (`annotation.*`); app containers carry just
/// the pod's name, namespace and uid.
pub fn k8s_of(labels: &[Label]) -> (Option<K8s>, Option<String>) {
    let get = |k: &str| labels.iter().find(|l| l.key == k).map(|l| l.value.clone());
    let Some(pod_name) = get(K8S_POD_NAME) else {
        return (None, None);
    };
    let sandbox = get(K8S_CONTAINER_TYPE).as_deref() == Some("podsandbox");
    let pod_labels = if sandbox {
        labels
            .iter()
            .filter(|l| !l.key.starts_with("io.kubernetes.") && !l.key.starts_with("annotation."))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    let k8s = K8s {
        ns_name: get(K8S_POD_NAMESPACE).unwrap_or_default(),
        pod_name,
        pod_uid: get(K8S_POD_UID).unwrap_or_default(),
        pod_labels,
    };
    let sandbox_id = if sandbox {
        None
    } else {
        get(K8S_SANDBOX_ID).map(|s| s.to_ascii_lowercase())
    };
    (Some(k8s), sandbox_id)
}

/// The pod of a container, with the pod's labels from its sandbox container when the
/// cache knows it (a miss queues a lookup; the labels come with later events).
pub fn pod_of(c: &ContainerInfo, cache: &ContainerCache) -> Option<K8s> {
    let mut k8s = c.k8s.clone()?;
    if let Some(sandbox) = &c.k8s_sandbox_id
        && let Lookup::Known(s) = cache.get(sandbox)
        && let Some(pod) = &s.k8s
    {
        k8s.pod_labels.clone_from(&pod.pod_labels);
    }
    Some(k8s)
}

/// Parses `docker inspect` output for one container. `None` when it is not a container.
pub fn parse_inspect(v: &Value) -> Option<ContainerInfo> {
    let full_id = v.get("Id")?.as_str()?.to_ascii_lowercase();
    if full_id.len() < 12 || !full_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or_default();
    let image = s("/Config/Image").to_owned();
    let (image_repository, image_tag, digest_in_ref) = split_image(&image);
    let mut labels: Vec<Label> = v
        .pointer("/Config/Labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, val)| Label {
                    key: k.clone(),
                    value: val.as_str().unwrap_or_default().to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    labels.sort_by(|a, b| a.key.cmp(&b.key));
    let mounts = v
        .get("Mounts")
        .and_then(Value::as_array)
        .map(|ms| {
            ms.iter()
                .map(|m| {
                    let ms = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or_default();
                    Mount {
                        source: ms("Source").to_owned(),
                        dest: ms("Destination").to_owned(),
                        mode: ms("Mode").to_owned(),
                        rdwr: m.get("RW").and_then(Value::as_bool).unwrap_or(false),
                        propagation: ms("Propagation").to_owned(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let image_id = s("/Image").to_owned();
    let (k8s, k8s_sandbox_id) = k8s_of(&labels);
    let strings = |p: &str| -> Vec<String> {
        v.pointer(p)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let healthcheck = healthcheck_argv(
        &strings("/Config/Healthcheck/Test"),
        &strings("/Config/Shell"),
    );
    let container = Container {
        id: full_id.chars().take(12).collect(),
        full_id: full_id.clone(),
        name: s("/Name").trim_start_matches('/').to_owned(),
        image: image.clone(),
        image_repository,
        image_tag,
        image_digest: digest_in_ref,
        image_id: image_id
            .strip_prefix("sha256:")
            .unwrap_or(&image_id)
            .chars()
            .take(12)
            .collect(),
        runtime: "docker".to_owned(),
        privileged: v
            .pointer("/HostConfig/Privileged")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        labels,
        mounts,
        start_ts: parse_rfc3339_ns(s("/State/StartedAt")).unwrap_or(0),
        healthcheck: healthcheck
            .as_ref()
            .map_or_else(String::new, |h| h.join(" ")),
        host_network: s("/HostConfig/NetworkMode") == "host",
        host_pid: s("/HostConfig/PidMode") == "host",
        host_ipc: s("/HostConfig/IpcMode") == "host",
        ip: container_ip(v),
        cap_add: strings("/HostConfig/CapAdd"),
        cap_drop: strings("/HostConfig/CapDrop"),
    };
    let upper = s("/GraphDriver/Data/UpperDir");
    let merged = s("/GraphDriver/Data/MergedDir");
    Some(ContainerInfo {
        container,
        healthcheck,
        upper_dir: (!upper.is_empty()).then(|| PathBuf::from(upper)),
        merged_dir: (!merged.is_empty()).then(|| PathBuf::from(merged)),
        pid: v
            .pointer("/State/Pid")
            .and_then(Value::as_u64)
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(0),
        k8s,
        k8s_sandbox_id,
    })
}

/// The command line the daemon runs for a container's health check, from
/// `Config.Healthcheck.Test`: `["CMD", prog, args...]` as it is, `["CMD-SHELL", script]`
/// through the container's shell (`Config.Shell`, else `/bin/sh -c`), `["NONE"]` as the
/// word `NONE` (checks disabled); `None` when there is no check.
pub fn healthcheck_argv(test: &[String], shell: &[String]) -> Option<Vec<String>> {
    let (kind, rest) = test.split_first()?;
    match kind.as_str() {
        "CMD" if !rest.is_empty() => Some(rest.to_vec()),
        "CMD-SHELL" if !rest.is_empty() => {
            let mut argv = if shell.is_empty() {
                vec!["/bin/sh".to_owned(), "-c".to_owned()]
            } else {
                shell.to_vec()
            };
            argv.push(rest.join(" "));
            Some(argv)
        }
        "NONE" => Some(vec!["NONE".to_owned()]),
        _ => None,
    }
}

/// The container's address on its first network (by name), or the legacy top-level one.
fn container_ip(v: &Value) -> String {
    let top = v
        .pointer("/NetworkSettings/IPAddress")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !top.is_empty() {
        return top.to_owned();
    }
    v.pointer("/NetworkSettings/Networks")
        .and_then(Value::as_object)
        .and_then(|nets| {
            let mut names: Vec<&String> = nets.keys().collect();
            names.sort();
            names.into_iter().find_map(|n| {
                nets[n]
                    .get("IPAddress")
                    .and_then(Value::as_str)
                    .filter(|ip| !ip.is_empty())
            })
        })
        .unwrap_or_default()
        .to_owned()
}

/// Splits an image reference into repository, tag and digest:
/// `docker.io/library/nginx:1.25` → (`docker.io/library/nginx`, `1.25`, ``);
/// `localhost:5000/app@sha256:ab..` → (`localhost:5000/app`, ``, `sha256:ab..`).
pub fn split_image(image: &str) -> (String, String, String) {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, d.to_owned()),
        None => (image, String::new()),
    };
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[last_slash..].rfind(':') {
        Some(colon) => {
            let at = last_slash + colon;
            (name[..at].to_owned(), name[at + 1..].to_owned(), digest)
        }
        None => (name.to_owned(), String::new(), digest),
    }
}

/// `2026-12-04T07:15:06.123456789Z` (or with a `+01:00` offset) as nanoseconds since the epoch.
pub fn parse_rfc3339_ns(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 20 || b.get(4) != Some(&b'-') || b.get(10) != Some(&b'T') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut nanos: i64 = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        let mut scale = 100_000_000;
        for c in frac[..digits].bytes().take(9) {
            nanos += i64::from(c - b'0') * scale;
            scale /= 10;
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) => {
            let oh: i64 = o.get(1..3)?.parse().ok()?;
            let om: i64 = o.get(4..6)?.parse().ok()?;
            let sign = if o.starts_with('-') { -1 } else { 1 };
            sign * (oh * 3600 + om * 60)
        }
        _ => return None,
    };
    // Days from the civil date (proleptic Gregorian), Howard Hinnant's algorithm.
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset;
    u64::try_from(secs)
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(u64::try_from(nanos).ok()?)
}

enum Slot {
    Known(Arc<ContainerInfo>),
    /// A lookup is queued or running.
    Pending,
    /// The daemon did not know it (or did not answer) at this time.
    Missing(Instant),
}

/// Counters of the container context.
#[derive(Debug, Default)]
pub struct ContainerStats {
    /// Successful inspections.
    pub lookups: AtomicU64,
    /// Lookups that failed or timed out.
    pub lookup_failures: AtomicU64,
    /// Lookups not queued because the queue was full.
    pub lookup_queue_full: AtomicU64,
    /// Docker events received.
    pub docker_events: AtomicU64,
    /// Times the event stream had to be reopened.
    pub stream_reconnects: AtomicU64,
    /// Events not handed to the event path because its queue was full.
    pub events_dropped: AtomicU64,
}

/// The container cache shared by the event path and the background threads.
pub struct ContainerCache {
    slots: RwLock<HashMap<String, Slot>>,
    lookup_tx: Option<SyncSender<String>>,
    /// Counters.
    pub stats: ContainerStats,
}

/// The answer of [`ContainerCache::get`].
#[derive(Clone, Debug)]
pub enum Lookup {
    /// Known.
    Known(Arc<ContainerInfo>),
    /// Not known (yet): only the id can be reported.
    Unknown,
}

impl ContainerCache {
    /// A cache that never asks a daemon (replay, tests).
    pub fn offline() -> Arc<ContainerCache> {
        Arc::new(ContainerCache {
            slots: RwLock::new(HashMap::new()),
            lookup_tx: None,
            stats: ContainerStats::default(),
        })
    }

    /// Inserts or replaces a container.
    pub fn insert(&self, info: ContainerInfo) {
        let mut slots = self.slots.write().unwrap_or_else(|e| e.into_inner());
        if slots.len() >= MAX_CONTAINERS {
            slots.retain(|_, s| matches!(s, Slot::Known(_)));
        }
        slots.insert(info.container.full_id.clone(), Slot::Known(Arc::new(info)));
    }

    /// Forgets a container.
    pub fn remove(&self, full_id: &str) {
        self.slots
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(full_id);
    }

    /// The container with this full id. Never blocks on the daemon: an unknown id is queued
    /// for a lookup on the background thread and reported as [`Lookup::Unknown`] meanwhile.
    pub fn get(&self, full_id: &str) -> Lookup {
        {
            let slots = self.slots.read().unwrap_or_else(|e| e.into_inner());
            match slots.get(full_id) {
                Some(Slot::Known(info)) => return Lookup::Known(info.clone()),
                Some(Slot::Pending) => return Lookup::Unknown,
                Some(Slot::Missing(at)) if at.elapsed() < NEGATIVE_TTL => return Lookup::Unknown,
                _ => {}
            }
        }
        if let Some(tx) = &self.lookup_tx {
            let mut slots = self.slots.write().unwrap_or_else(|e| e.into_inner());
            match tx.try_send(full_id.to_owned()) {
                Ok(()) => {
                    slots.insert(full_id.to_owned(), Slot::Pending);
                }
                Err(TrySendError::Full(_)) => {
                    self.stats.lookup_queue_full.fetch_add(1, Ordering::Relaxed);
                }
                Err(TrySendError::Disconnected(_)) => {}
            }
        }
        Lookup::Unknown
    }

    fn mark_missing(&self, full_id: &str) {
        let mut slots = self.slots.write().unwrap_or_else(|e| e.into_inner());
        if !matches!(slots.get(full_id), Some(Slot::Known(_))) {
            slots.insert(full_id.to_owned(), Slot::Missing(Instant::now()));
        }
    }

    /// Containers currently known.
    pub fn known(&self) -> Vec<Arc<ContainerInfo>> {
        self.slots
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter_map(|s| match s {
                Slot::Known(i) => Some(i.clone()),
                _ => None,
            })
            .collect()
    }
}

/// A Docker event the monitor turns into a runtime event (`evt.type = container`).
#[derive(Clone, Debug, PartialEq)]
pub struct DockerEvent {
    /// Nanoseconds since the epoch.
    pub ts: u64,
    /// `start`, `die`, `stop`, `exec_create`, `exec_start`, ...
    pub action: String,
    /// The command of an exec (`sh -c ...`), from the action text.
    pub command: String,
    /// Full container id.
    pub container_id: String,
}

/// Parses one line of `GET /events`. `None` for non-container events and junk.
pub fn parse_event_line(line: &str) -> Option<DockerEvent> {
    let v: Value = serde_json::from_str(line).ok()?;
    if v.get("Type").and_then(Value::as_str) != Some("container") {
        return None;
    }
    let raw_action = v.get("Action").and_then(Value::as_str)?;
    let (action, command) = match raw_action.split_once(": ") {
        Some((a, c)) => (a.to_owned(), c.to_owned()),
        None => (raw_action.to_owned(), String::new()),
    };
    let id = v
        .pointer("/Actor/ID")
        .or_else(|| v.get("id"))
        .and_then(Value::as_str)?
        .to_ascii_lowercase();
    let ts = v
        .get("timeNano")
        .and_then(Value::as_u64)
        .or_else(|| {
            v.get("time")
                .and_then(Value::as_u64)
                .map(|s| s * 1_000_000_000)
        })
        .unwrap_or(0);
    Some(DockerEvent {
        ts,
        action,
        command,
        container_id: id,
    })
}

fn inspect(endpoint: Option<&str>, id: &str) -> Result<Option<ContainerInfo>, String> {
    let path = format!("/containers/{id}/json");
    match strata_image::daemon::get_json(endpoint, &path, LOOKUP_TIMEOUT) {
        Ok(Some(v)) => {
            let mut info =
                parse_inspect(&v).ok_or_else(|| format!("unexpected answer to GET {path}"))?;
            if info.container.image_digest.is_empty() {
                info.container.image_digest = image_digest(endpoint, &v).unwrap_or_default();
            }
            Ok(Some(info))
        }
        Ok(None) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// The repository digest of the container's image, when it was pulled from a registry.
fn image_digest(endpoint: Option<&str>, inspect: &Value) -> Option<String> {
    let image_id = inspect.get("Image")?.as_str()?;
    let v = strata_image::daemon::get_json(
        endpoint,
        &format!("/images/{image_id}/json"),
        LOOKUP_TIMEOUT,
    )
    .ok()??;
    let digests = v.get("RepoDigests")?.as_array()?;
    digests
        .iter()
        .filter_map(Value::as_str)
        .find_map(|d| d.split_once('@').map(|(_, dg)| dg.to_owned()))
}

/// The background side of the container context: an initial listing, the Docker event
/// stream and the lookup worker. Threads stop when the process ends.
pub struct DockerWatcher {
    /// The cache the threads fill.
    pub cache: Arc<ContainerCache>,
}

impl DockerWatcher {
    /// Lists the running containers (waiting at most a few seconds), then starts the
    /// event stream and the lookup threads. Docker events of interest go to `events`
    /// (dropped, never blocking, when its queue is full). Errors only when the daemon
    /// cannot be reached at all.
    pub fn start(
        endpoint: Option<String>,
        events: Option<SyncSender<DockerEvent>>,
    ) -> Result<DockerWatcher, String> {
        strata_image::daemon::ping(endpoint.as_deref()).map_err(|e| e.to_string())?;
        let (tx, rx) = sync_channel::<String>(4096);
        let cache = Arc::new(ContainerCache {
            slots: RwLock::new(HashMap::new()),
            lookup_tx: Some(tx),
            stats: ContainerStats::default(),
        });
        let list = strata_image::daemon::get_json(
            endpoint.as_deref(),
            "/containers/json",
            Duration::from_secs(5),
        )
        .map_err(|e| e.to_string())?;
        // The running containers are inspected now, so the first events already carry
        // their context; but a daemon that lists and then hangs must not hold the sensor's
        // start: after the first failure, or after a few seconds, the rest is queued for
        // the lookup thread.
        let deadline = Instant::now() + STARTUP_LOOKUPS;
        let mut inline = true;
        let ids = list
            .as_ref()
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("Id").and_then(Value::as_str));
        for id in ids {
            if inline && Instant::now() < deadline {
                match inspect_into(endpoint.as_deref(), &cache, id) {
                    Inspected::Found | Inspected::NotFound => continue,
                    Inspected::Failed => inline = false,
                }
            }
            let _ = cache.get(&id.to_ascii_lowercase());
        }
        let start_ns = now_ns();
        {
            let cache = cache.clone();
            let endpoint = endpoint.clone();
            thread::Builder::new()
                .name("strata-docker-lookup".into())
                .spawn(move || lookup_loop(endpoint.as_deref(), &cache, &rx))
                .map_err(|e| e.to_string())?;
        }
        {
            let cache = cache.clone();
            thread::Builder::new()
                .name("strata-docker-events".into())
                .spawn(move || events_loop(endpoint.as_deref(), &cache, events.as_ref(), start_ns))
                .map_err(|e| e.to_string())?;
        }
        Ok(DockerWatcher { cache })
    }
}

/// What one inspection gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Inspected {
    /// Known now (cached).
    Found,
    /// The daemon does not know the id.
    NotFound,
    /// The daemon failed or did not answer in time.
    Failed,
}

/// Inspects a container into the cache, counting the answer.
fn inspect_into(endpoint: Option<&str>, cache: &ContainerCache, id: &str) -> Inspected {
    match inspect(endpoint, id) {
        Ok(Some(info)) => {
            cache.stats.lookups.fetch_add(1, Ordering::Relaxed);
            cache.insert(info);
            Inspected::Found
        }
        Ok(None) => Inspected::NotFound,
        Err(_) => {
            cache.stats.lookup_failures.fetch_add(1, Ordering::Relaxed);
            Inspected::Failed
        }
    }
}

fn lookup_loop(endpoint: Option<&str>, cache: &ContainerCache, rx: &Receiver<String>) {
    while let Ok(id) = rx.recv() {
        if inspect_into(endpoint, cache, &id) != Inspected::Found {
            cache.mark_missing(&id);
        }
    }
}

fn events_loop(
    endpoint: Option<&str>,
    cache: &ContainerCache,
    out: Option<&SyncSender<DockerEvent>>,
    start_ns: u64,
) {
    // `since` makes a reopened stream replay what happened while it was closed.
    let mut since_ns = start_ns;
    loop {
        let path = format!(
            "/events?since={}.{:09}&filters=%7B%22type%22%3A%5B%22container%22%5D%7D",
            since_ns / 1_000_000_000,
            since_ns % 1_000_000_000
        );
        match strata_image::daemon::get_stream(endpoint, &path, EVENTS_IDLE) {
            Ok(body) => read_events(body, endpoint, cache, out, &mut since_ns),
            Err(_) => thread::sleep(Duration::from_secs(1)),
        }
        cache
            .stats
            .stream_reconnects
            .fetch_add(1, Ordering::Relaxed);
    }
}

fn read_events(
    body: Box<dyn Read + Send>,
    endpoint: Option<&str>,
    cache: &ContainerCache,
    out: Option<&SyncSender<DockerEvent>>,
    since_ns: &mut u64,
) {
    let mut reader = BufReader::new(body);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader
            .by_ref()
            .take(MAX_EVENT_LINE as u64)
            .read_until(b'\n', &mut line)
        {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let Ok(text) = std::str::from_utf8(&line) else {
            continue;
        };
        let Some(ev) = parse_event_line(text.trim()) else {
            continue;
        };
        cache.stats.docker_events.fetch_add(1, Ordering::Relaxed);
        if ev.ts > *since_ns {
            *since_ns = ev.ts + 1;
        }
        match ev.action.as_str() {
            "create" | "start" | "rename" | "update" | "exec_create" | "exec_start" => {
                inspect_into(endpoint, cache, &ev.container_id);
            }
            "destroy" => cache.remove(&ev.container_id),
            _ => {}
        }
        if let Some(tx) = out
            && tx.try_send(ev).is_err()
        {
            cache.stats.events_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_pods_from_labels() {
        let l = |k: &str, v: &str| Label {
            key: k.to_owned(),
            value: v.to_owned(),
        };
        let sandbox = [
            l("annotation.kubernetes.io/config.seen", "2026-12-04"),
            l("app", "checkout"),
            l("io.kubernetes.docker.type", "podsandbox"),
            l("io.kubernetes.pod.name", "checkout-7d4b9"),
            l("io.kubernetes.pod.namespace", "payments"),
            l("io.kubernetes.pod.uid", "5f0c"),
            l("tier", "web"),
        ];
        let (k8s, sandbox_id) = k8s_of(&sandbox);
        let k8s = k8s.unwrap();
        assert_eq!(
            (
                k8s.pod_name.as_str(),
                k8s.ns_name.as_str(),
                k8s.pod_uid.as_str()
            ),
            ("checkout-7d4b9", "payments", "5f0c")
        );
        assert_eq!(k8s.pod_labels, vec![l("app", "checkout"), l("tier", "web")]);
        assert_eq!(sandbox_id, None);
        let app = [
            l("io.kubernetes.container.name", "api"),
            l("io.kubernetes.docker.type", "container"),
            l("io.kubernetes.pod.name", "checkout-7d4b9"),
            l("io.kubernetes.pod.namespace", "payments"),
            l("io.kubernetes.sandbox.id", "ABC123"),
            l("maintainer", "someone"),
        ];
        let (k8s, sandbox_id) = k8s_of(&app);
        assert_eq!(k8s.unwrap().pod_labels, vec![]);
        assert_eq!(sandbox_id.as_deref(), Some("abc123"));
        assert_eq!(k8s_of(&[l("app", "x")]), (None, None));
    }

    #[test]
    fn image_references() {
        let cases = [
            ("nginx", ("nginx", "", "")),
            ("nginx:1.25", ("nginx", "1.25", "")),
            (
                "docker.io/library/nginx:1.25",
                ("docker.io/library/nginx", "1.25", ""),
            ),
            ("localhost:5000/app", ("localhost:5000/app", "", "")),
            ("localhost:5000/app:v1", ("localhost:5000/app", "v1", "")),
            ("app@sha256:abcd", ("app", "", "sha256:abcd")),
            ("r.io/a/b:t@sha256:ef", ("r.io/a/b", "t", "sha256:ef")),
        ];
        for (input, (repo, tag, digest)) in cases {
            assert_eq!(
                split_image(input),
                (repo.to_owned(), tag.to_owned(), digest.to_owned()),
                "{input}"
            );
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_rfc3339_ns("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_ns("2026-12-04T07:15:06.123456789Z"),
            Some(1_796_368_506_123_456_789)
        );
        assert_eq!(
            parse_rfc3339_ns("2026-12-04T08:15:06.5+01:00"),
            Some(1_796_368_506_500_000_000)
        );
        for bad in [
            "",
            "0001-01-01T00:00:00",
            "2026-13-01T00:00:00Z",
            "x026-12-04T07:15:06Z",
            "2026-12-04T07:15:06.1Q",
        ] {
            assert_eq!(parse_rfc3339_ns(bad), None, "{bad}");
        }
        // Docker's zero time for a container that never started.
        assert_eq!(parse_rfc3339_ns("0001-01-01T00:00:00Z"), None);
    }

    #[test]
    fn inspect_answer() {
        let v: Value = serde_json::from_str(
            r#"{"Id":"3AD7B26DED6D8E7E2A9B14FB5E8C6C2E6D3B0E9D5A4C3B2A1F0E9D8C7B6A5F4E","Name":"/web",
            "Image":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "State":{"Pid":4242,"StartedAt":"2026-12-04T07:15:06Z"},
            "Config":{"Image":"nginx:1.25","Labels":{"tier":"edge","app":"web"},
              "Healthcheck":{"Test":["CMD-SHELL","curl -f http://localhost/ || exit 1"],"Interval":30000000000}},
            "HostConfig":{"Privileged":true,"CapAdd":["NET_ADMIN"],"CapDrop":["MKNOD","NET_RAW"],
              "NetworkMode":"host","PidMode":"","IpcMode":"host"},
            "NetworkSettings":{"IPAddress":"","Networks":{"web":{"IPAddress":"172.18.0.2"},"aaa":{"IPAddress":""}}},
            "GraphDriver":{"Data":{"UpperDir":"/var/lib/docker/overlay2/x/diff"}},
            "Mounts":[{"Source":"/var/run/docker.sock","Destination":"/var/run/docker.sock","Mode":"","RW":true,"Propagation":"rprivate"}]}"#,
        )
        .unwrap();
        let info = parse_inspect(&v).unwrap();
        let c = &info.container;
        assert_eq!(c.id, "3ad7b26ded6d");
        assert_eq!(c.name, "web");
        assert_eq!(
            (c.image_repository.as_str(), c.image_tag.as_str()),
            ("nginx", "1.25")
        );
        assert_eq!(c.image_id, "0123456789ab");
        assert!(c.privileged);
        assert_eq!(c.labels.first().map(|l| l.key.as_str()), Some("app"));
        assert_eq!(c.mounts.len(), 1);
        assert!(c.mounts[0].rdwr);
        assert_eq!(info.pid, 4242);
        assert_eq!(c.cap_add, ["NET_ADMIN"]);
        assert_eq!(c.cap_drop, ["MKNOD", "NET_RAW"]);
        assert_eq!(
            (c.host_network, c.host_pid, c.host_ipc),
            (true, false, true)
        );
        assert_eq!(c.ip, "172.18.0.2");
        assert_eq!(
            c.healthcheck,
            "/bin/sh -c curl -f http://localhost/ || exit 1"
        );
        assert_eq!(
            info.healthcheck.as_deref(),
            Some(
                &[
                    "/bin/sh".to_owned(),
                    "-c".to_owned(),
                    "curl -f http://localhost/ || exit 1".to_owned()
                ][..]
            )
        );
        assert_eq!(
            info.upper_dir,
            Some(PathBuf::from("/var/lib/docker/overlay2/x/diff"))
        );
        assert_eq!(parse_inspect(&serde_json::json!({"Id": "nothex"})), None);
        assert_eq!(parse_inspect(&serde_json::json!([])), None);
    }

    #[test]
    fn healthcheck_command_lines() {
        let v = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            healthcheck_argv(&v(&["CMD", "/healthcheck", "--quick"]), &[]),
            Some(v(&["/healthcheck", "--quick"]))
        );
        assert_eq!(
            healthcheck_argv(
                &v(&["CMD-SHELL", "pg_isready"]),
                &v(&["/bin/bash", "-o", "pipefail", "-c"])
            ),
            Some(v(&["/bin/bash", "-o", "pipefail", "-c", "pg_isready"]))
        );
        assert_eq!(healthcheck_argv(&v(&["NONE"]), &[]), Some(v(&["NONE"])));
        assert_eq!(healthcheck_argv(&v(&["CMD"]), &[]), None);
        assert_eq!(healthcheck_argv(&v(&["BOGUS", "x"]), &[]), None);
        assert_eq!(healthcheck_argv(&[], &[]), None);
    }

    #[test]
    fn event_lines() {
        let ev = parse_event_line(
            r#"{"Type":"container","Action":"exec_start: sh -c id","Actor":{"ID":"ABC123abc123","Attributes":{}},"time":1,"timeNano":1000000001}"#,
        )
        .unwrap();
        assert_eq!(ev.action, "exec_start");
        assert_eq!(ev.command, "sh -c id");
        assert_eq!(ev.container_id, "abc123abc123");
        assert_eq!(ev.ts, 1_000_000_001);
        assert_eq!(
            parse_event_line(r#"{"Type":"network","Action":"connect","Actor":{"ID":"x"}}"#),
            None
        );
        assert_eq!(parse_event_line("{"), None);
        assert_eq!(parse_event_line(r#"{"Type":"container"}"#), None);
    }

    #[test]
    fn offline_cache_never_queues() {
        let cache = ContainerCache::offline();
        assert!(matches!(cache.get("abc"), Lookup::Unknown));
        cache.insert(parse_inspect(&serde_json::json!({"Id": "a".repeat(64)})).unwrap());
        assert!(matches!(cache.get(&"a".repeat(64)), Lookup::Known(_)));
        cache.remove(&"a".repeat(64));
        assert!(matches!(cache.get(&"a".repeat(64)), Lookup::Unknown));
    }
}
