//! The `webhook:` sink: each alert POSTed as JSON, with retries, backoff and a spool.
//!
//! While the spool is empty, an alert is POSTed as it arrives. When a POST fails with a
//! retryable error (connection or timeout, 408, 425, 429, 5xx) the alert goes to the spool
//! and so does every later alert, to keep their order; the spool is retried from its
//! oldest entry after a backoff (doubling from `backoff` up to `max_backoff`), and emptied
//! in order once the endpoint answers. Other answers (3xx: redirects are not followed,
//! 4xx) reject the alert for good (`failed`). With `spool=DIR` the spool is one file per
//! alert in DIR (written to a temporary name, fsync'd, renamed, directory fsync'd),
//! delivered first on the next start; DIR is locked (`DIR/.lock`) against a second sink.
//! Without it, the spool is kept in memory and what is left at shutdown is counted as
//! `failed`. At shutdown the spool is tried once more, until the first failure or the
//! deadline.
//! Delivery is at least once: an alert acknowledged by the endpoint just before a crash,
//! and not yet removed from the spool, is sent again.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use strata_rules::Alert;
use ureq::Agent;

use crate::dispatch::{Sink, SinkContext};
use crate::error::SinkError;
use crate::metrics::SinkStats;
use crate::spec::{WebhookSpec, redact_url};

/// Spooled alerts retried per call before the sink goes back to its queue.
const DRAIN_BATCH: usize = 64;

/// The webhook sink. See the module docs.
pub struct WebhookSink {
    url: String,
    shown_url: String,
    agent: Agent,
    timeout: Duration,
    headers: Vec<(String, String)>,
    spool: Spool,
    backoff: Backoff,
    started: bool,
}

enum Attempt {
    Ok,
    /// Rejected for good.
    Rejected(String),
    /// Worth retrying.
    Retry(String),
}

impl WebhookSink {
    /// Prepares the HTTP agent and opens (locks) the spool directory. No network traffic.
    pub fn new(spec: &WebhookSpec) -> Result<WebhookSink, SinkError> {
        let loopback = ureq::http::Uri::try_from(spec.url.as_str())
            .ok()
            .and_then(|u| u.host().map(str::to_owned))
            .is_some_and(|h| {
                let h = h.trim_start_matches('[').trim_end_matches(']');
                h == "localhost" || h == "::1" || h.starts_with("127.")
            });
        let mut builder = Agent::config_builder();
        if loopback {
            // An endpoint on this machine is never reached through an HTTP proxy.
            builder = builder.proxy(None);
        }
        let config = builder
            .http_status_as_error(false)
            .timeout_global(Some(spec.timeout))
            // A redirected POST may turn into a GET: treat 3xx as a rejection instead.
            .max_redirects(0)
            .user_agent(concat!("strata/", env!("CARGO_PKG_VERSION")))
            .build();
        let spool = match &spec.spool {
            Some(dir) => Spool::Disk(DiskSpool::open(dir, spec.spool_max)?),
            None => Spool::Memory {
                entries: VecDeque::new(),
                bytes: 0,
                max: spec.spool_max,
            },
        };
        Ok(WebhookSink {
            url: spec.url.clone(),
            shown_url: redact_url(&spec.url),
            agent: Agent::new_with_config(config),
            timeout: spec.timeout,
            headers: spec.headers.clone(),
            spool,
            backoff: Backoff::new(spec.backoff, spec.max_backoff),
            started: false,
        })
    }

    fn post(&self, body: &[u8], cx: &SinkContext) -> Attempt {
        let mut timeout = self.timeout;
        if let Some(left) = cx.remaining() {
            if left.is_zero() {
                return Attempt::Retry("shutdown deadline passed".into());
            }
            timeout = timeout.min(left);
        }
        let mut req = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json");
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let req = req.config().timeout_global(Some(timeout)).build();
        match req.send(body) {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                // Read (a bounded part of) the answer so the connection can be reused.
                let _ = resp.body_mut().with_config().limit(64 * 1024).read_to_vec();
                match status {
                    200..=299 => Attempt::Ok,
                    408 | 425 | 429 | 500..=599 => {
                        Attempt::Retry(format!("{}: HTTP {status}", self.shown_url))
                    }
                    _ => Attempt::Rejected(format!("{}: HTTP {status}", self.shown_url)),
                }
            }
            Err(e) => Attempt::Retry(format!("{}: {e}", self.shown_url)),
        }
    }

    /// Tries the spool from its oldest entry while deliveries succeed, at most `batch`.
    fn drain(&mut self, cx: &SinkContext, batch: usize) {
        let stats = cx.stats();
        for _ in 0..batch {
            if !self.backoff.due(Instant::now()) {
                return;
            }
            let body = match self.spool.front(stats) {
                Some(b) => b,
                None => return,
            };
            match self.post(&body, cx) {
                Attempt::Ok => {
                    self.spool.pop(stats);
                    self.backoff.reset();
                    stats.delivered.fetch_add(1, Relaxed);
                }
                Attempt::Rejected(m) => {
                    self.spool.pop(stats);
                    stats.failed.fetch_add(1, Relaxed);
                    stats.errors.fetch_add(1, Relaxed);
                    stats.set_error(m);
                }
                Attempt::Retry(m) => {
                    self.backoff.fail(Instant::now());
                    stats.errors.fetch_add(1, Relaxed);
                    stats.set_error(m);
                    return;
                }
            }
        }
    }

    fn start(&mut self, cx: &SinkContext) {
        if !self.started {
            self.started = true;
            cx.stats()
                .spool_pending
                .store(self.spool.len() as u64, Relaxed);
        }
    }
}

impl Sink for WebhookSink {
    fn deliver(&mut self, alert: &Alert, cx: &SinkContext) {
        self.start(cx);
        let stats = cx.stats();
        let Ok(body) = serde_json::to_vec(alert) else {
            stats.failed.fetch_add(1, Relaxed);
            return;
        };
        if self.spool.is_empty() {
            match self.post(&body, cx) {
                Attempt::Ok => {
                    self.backoff.reset();
                    stats.delivered.fetch_add(1, Relaxed);
                }
                Attempt::Rejected(m) => {
                    stats.failed.fetch_add(1, Relaxed);
                    stats.errors.fetch_add(1, Relaxed);
                    stats.set_error(m);
                }
                Attempt::Retry(m) => {
                    stats.errors.fetch_add(1, Relaxed);
                    stats.set_error(m);
                    self.backoff.fail(Instant::now());
                    self.spool.push(body, stats);
                }
            }
        } else {
            self.spool.push(body, stats);
            self.drain(cx, DRAIN_BATCH);
        }
    }

    fn poll_interval(&self) -> Option<Duration> {
        if self.spool.is_empty() && self.started {
            None
        } else {
            Some(
                self.backoff
                    .wait(Instant::now())
                    .max(Duration::from_millis(1)),
            )
        }
    }

    fn tick(&mut self, cx: &SinkContext) {
        self.start(cx);
        self.drain(cx, DRAIN_BATCH);
    }

    fn close(&mut self, cx: &SinkContext) {
        self.start(cx);
        // One pass while the endpoint answers and time is left; no waiting on backoff.
        self.backoff.reset();
        self.drain(cx, usize::MAX);
        if let Spool::Memory { entries, .. } = &mut self.spool {
            let lost = entries.len() as u64;
            if lost > 0 {
                cx.stats().failed.fetch_add(lost, Relaxed);
                cx.stats().set_error(format!(
                    "{lost} alerts undelivered at shutdown (no spool directory)"
                ));
            }
        }
    }
}

/// Exponential backoff without jitter.
#[derive(Debug)]
struct Backoff {
    initial: Duration,
    max: Duration,
    current: Duration,
    next: Option<Instant>,
}

impl Backoff {
    fn new(initial: Duration, max: Duration) -> Backoff {
        Backoff {
            initial,
            max,
            current: initial,
            next: None,
        }
    }

    fn reset(&mut self) {
        self.current = self.initial;
        self.next = None;
    }

    fn fail(&mut self, now: Instant) {
        self.next = Some(now + self.current);
        self.current = (self.current * 2).min(self.max);
    }

    fn due(&self, now: Instant) -> bool {
        self.next.is_none_or(|t| now >= t)
    }

    fn wait(&self, now: Instant) -> Duration {
        self.next
            .map_or(Duration::ZERO, |t| t.saturating_duration_since(now))
    }
}

enum Spool {
    Memory {
        entries: VecDeque<Vec<u8>>,
        bytes: u64,
        max: u64,
    },
    Disk(DiskSpool),
}

impl Spool {
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn len(&self) -> usize {
        match self {
            Spool::Memory { entries, .. } => entries.len(),
            Spool::Disk(d) => d.entries.len(),
        }
    }

    fn push(&mut self, body: Vec<u8>, stats: &SinkStats) {
        match self {
            Spool::Memory {
                entries,
                bytes,
                max,
            } => {
                let len = body.len() as u64;
                while *bytes + len > *max {
                    let Some(old) = entries.pop_front() else {
                        break;
                    };
                    *bytes -= old.len() as u64;
                    stats.spool_evicted.fetch_add(1, Relaxed);
                }
                if len > *max {
                    stats.failed.fetch_add(1, Relaxed);
                } else {
                    *bytes += len;
                    entries.push_back(body);
                    stats.spooled.fetch_add(1, Relaxed);
                }
            }
            Spool::Disk(d) => match d.push(&body) {
                Ok(evicted) => {
                    stats.spool_evicted.fetch_add(evicted, Relaxed);
                    stats.spooled.fetch_add(1, Relaxed);
                }
                Err(e) => {
                    stats.failed.fetch_add(1, Relaxed);
                    stats.set_error(e.to_string());
                }
            },
        }
        stats.spool_pending.store(self.len() as u64, Relaxed);
    }

    /// The oldest entry; unreadable disk entries are skipped (counted as failed).
    fn front(&mut self, stats: &SinkStats) -> Option<Vec<u8>> {
        match self {
            Spool::Memory { entries, .. } => entries.front().cloned(),
            Spool::Disk(d) => loop {
                let &(seq, _) = d.entries.front()?;
                match std::fs::read(d.entry_path(seq)) {
                    Ok(b) => return Some(b),
                    Err(e) => {
                        stats.failed.fetch_add(1, Relaxed);
                        stats.set_error(format!("{}: {e}", d.entry_path(seq).display()));
                        d.pop();
                        stats.spool_pending.store(d.entries.len() as u64, Relaxed);
                    }
                }
            },
        }
    }

    fn pop(&mut self, stats: &SinkStats) {
        match self {
            Spool::Memory { entries, bytes, .. } => {
                if let Some(b) = entries.pop_front() {
                    *bytes -= b.len() as u64;
                }
            }
            Spool::Disk(d) => d.pop(),
        }
        stats.spool_pending.store(self.len() as u64, Relaxed);
    }
}

/// One file per alert, `<20-digit sequence>.json`, oldest first. Locked with `.lock`.
struct DiskSpool {
    dir: PathBuf,
    _lock: File,
    entries: VecDeque<(u64, u64)>,
    bytes: u64,
    max: u64,
    next_seq: u64,
}

impl DiskSpool {
    fn open(dir: &Path, max: u64) -> Result<DiskSpool, SinkError> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| SinkError::io(dir, e))?;
        let lock_path = dir.join(".lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| SinkError::io(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(SinkError::SpoolLocked { path: dir.into() });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(SinkError::io(&lock_path, e)),
        }
        let mut entries = Vec::new();
        for ent in std::fs::read_dir(dir).map_err(|e| SinkError::io(dir, e))? {
            let ent = ent.map_err(|e| SinkError::io(dir, e))?;
            let name = ent.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(stem) = name.strip_suffix(".tmp")
                && stem.bytes().all(|b| b.is_ascii_digit())
            {
                // A write interrupted before its rename: never acknowledged as spooled.
                let _ = std::fs::remove_file(ent.path());
                continue;
            }
            let Some(stem) = name.strip_suffix(".json") else {
                continue;
            };
            if stem.len() != 20 || !stem.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(seq) = stem.parse::<u64>() else {
                continue;
            };
            let size = ent
                .metadata()
                .map_err(|e| SinkError::io(ent.path(), e))?
                .len();
            entries.push((seq, size));
        }
        entries.sort_unstable();
        let next_seq = entries.last().map_or(1, |&(s, _)| s + 1);
        let bytes = entries.iter().map(|&(_, s)| s).sum();
        Ok(DiskSpool {
            dir: dir.to_owned(),
            _lock: lock,
            entries: entries.into(),
            bytes,
            max,
            next_seq,
        })
    }

    fn entry_path(&self, seq: u64) -> PathBuf {
        self.dir.join(format!("{seq:020}.json"))
    }

    /// Writes one entry durably; returns how many old entries were evicted for room.
    fn push(&mut self, body: &[u8]) -> Result<u64, SinkError> {
        let len = body.len() as u64;
        if len > self.max {
            return Err(SinkError::io(
                &self.dir,
                std::io::Error::other(format!("alert of {len} bytes exceeds spool_max")),
            ));
        }
        let mut evicted = 0;
        while self.bytes + len > self.max && !self.entries.is_empty() {
            self.pop();
            evicted += 1;
        }
        let seq = self.next_seq;
        let tmp = self.dir.join(format!("{seq:020}.tmp"));
        let path = self.entry_path(seq);
        let write = || -> std::io::Result<()> {
            let mut f = OpenOptions::new()
                .create(true)
                .truncate(true)
                .write(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(body)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            File::open(&self.dir)?.sync_all()
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_file(&tmp);
            return Err(SinkError::io(&path, e));
        }
        self.next_seq += 1;
        self.entries.push_back((seq, len));
        self.bytes += len;
        Ok(evicted)
    }

    fn pop(&mut self) {
        if let Some((seq, size)) = self.entries.pop_front() {
            let _ = std::fs::remove_file(self.entry_path(seq));
            self.bytes -= size;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let t = Instant::now();
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(300));
        assert!(b.due(t));
        b.fail(t);
        assert!(!b.due(t + Duration::from_millis(99)));
        assert!(b.due(t + Duration::from_millis(100)));
        b.fail(t);
        assert_eq!(b.wait(t), Duration::from_millis(200));
        b.fail(t);
        assert_eq!(b.wait(t), Duration::from_millis(300));
        b.fail(t);
        assert_eq!(b.wait(t), Duration::from_millis(300));
        b.reset();
        assert!(b.due(t));
    }

    #[test]
    fn disk_spool_keeps_order_and_size_across_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let stats = SinkStats::new("t");
        {
            let mut s = Spool::Disk(DiskSpool::open(dir.path(), 10).expect("open"));
            for b in ["aaaa", "bbbb", "cccc"] {
                s.push(b.as_bytes().to_vec(), &stats);
            }
            // 12 bytes > 10: the oldest was evicted.
            assert_eq!(stats.spool_evicted.load(Relaxed), 1);
            assert!(matches!(
                DiskSpool::open(dir.path(), 10),
                Err(SinkError::SpoolLocked { .. })
            ));
        }
        let mut s = Spool::Disk(DiskSpool::open(dir.path(), 10).expect("reopen"));
        assert_eq!(s.front(&stats).as_deref(), Some(&b"bbbb"[..]));
        s.pop(&stats);
        s.push(b"dddd".to_vec(), &stats);
        assert_eq!(s.front(&stats).as_deref(), Some(&b"cccc"[..]));
        s.pop(&stats);
        assert_eq!(s.front(&stats).as_deref(), Some(&b"dddd"[..]));
        s.pop(&stats);
        assert!(s.is_empty());
    }
}
