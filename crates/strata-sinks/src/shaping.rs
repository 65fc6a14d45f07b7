//! Alert shaping before dispatch: a per-rule [`RateLimiter`] and a [`Deduper`]. Both take
//! the current time as a parameter, so callers (and tests) control the clock.

use std::collections::{HashMap, VecDeque};
use std::str::FromStr;
use std::time::{Duration, Instant};

use strata_rules::Alert;

use crate::error::SinkError;

/// A rate: `count` alerts per `period`, with bursts of up to `burst` alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub count: u32,
    pub period: Duration,
    pub burst: u32,
}

impl FromStr for RateLimit {
    type Err = SinkError;

    /// `N/s`, `N/m` or `N/h`, optionally `,burst=B` (the burst defaults to N).
    fn from_str(s: &str) -> Result<RateLimit, SinkError> {
        let err = |m: String| SinkError::spec("rate limit", m);
        let (rate, burst) = match s.trim().split_once(',') {
            Some((r, b)) => {
                let Some(b) = b.trim().strip_prefix("burst=") else {
                    return Err(err(format!("unknown option {b:?} (expected burst=N)")));
                };
                let b: u32 = b
                    .parse()
                    .ok()
                    .filter(|&b| b > 0)
                    .ok_or_else(|| err(format!("burst {b:?} is not a count above 0")))?;
                (r, Some(b))
            }
            None => (s.trim(), None),
        };
        let Some((n, unit)) = rate.split_once('/') else {
            return Err(err(format!("{rate:?} is not N/s, N/m or N/h")));
        };
        let count: u32 = n
            .parse()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| err(format!("{n:?} is not a count above 0")))?;
        let period = match unit {
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return Err(err(format!("unknown unit {unit:?} (expected s, m or h)"))),
        };
        Ok(RateLimit {
            count,
            period,
            burst: burst.unwrap_or(count),
        })
    }
}

#[derive(Debug)]
struct Bucket {
    /// Tokens scaled by the period in nanoseconds (exact integer arithmetic).
    scaled: u128,
    last: Instant,
}

/// Per-rule token buckets. Each rule starts with a full bucket of `burst` tokens and gains
/// `count` tokens per `period`; an alert takes one token or is suppressed.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: HashMap<String, Bucket>,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> RateLimiter {
        RateLimiter {
            limit,
            buckets: HashMap::new(),
        }
    }

    /// Whether an alert of `rule` at time `now` passes (and takes a token).
    pub fn allow(&mut self, rule: &str, now: Instant) -> bool {
        let period = self.limit.period.as_nanos().max(1);
        let capacity = u128::from(self.limit.burst) * period;
        let bucket = match self.buckets.get_mut(rule) {
            Some(b) => b,
            None => self.buckets.entry(rule.to_owned()).or_insert(Bucket {
                scaled: capacity,
                last: now,
            }),
        };
        let elapsed = now.saturating_duration_since(bucket.last).as_nanos();
        if now > bucket.last {
            bucket.last = now;
        }
        bucket.scaled = bucket
            .scaled
            .saturating_add(elapsed.saturating_mul(u128::from(self.limit.count)))
            .min(capacity);
        if bucket.scaled >= period {
            bucket.scaled -= period;
            true
        } else {
            false
        }
    }
}

/// The `output_fields` key of a dedup summary holding how many alerts were collapsed.
pub const REPEAT_COUNT_FIELD: &str = "strata.repeat_count";
/// The `output_fields` key of a dedup summary holding the time of the first collapsed alert.
pub const REPEAT_FIRST_TIME_FIELD: &str = "strata.repeat_first_time";

#[derive(Debug)]
struct Window {
    generation: u64,
    closes: Instant,
    suppressed: u64,
    first_time: String,
    last: Option<Alert>,
}

/// Collapses repeats: the first alert of a (rule, output) pair passes and opens a window;
/// the same pair within the window is suppressed. When the window closes and something
/// was suppressed, one summary is emitted: the last suppressed alert, with
/// [`REPEAT_COUNT_FIELD`] (number suppressed) and [`REPEAT_FIRST_TIME_FIELD`] (time of the
/// first suppressed alert) added to its `output_fields`.
///
/// The output is compared without its leading `"<time>: "` (strata-rules puts the event
/// time there). At most `max_keys` windows are open; alerts of further pairs pass
/// unchanged.
#[derive(Debug)]
pub struct Deduper {
    window: Duration,
    max_keys: usize,
    open: HashMap<(String, String), Window>,
    order: VecDeque<(Instant, u64, (String, String))>,
    generation: u64,
}

/// The output text without the event time strata-rules prefixes it with.
fn output_key(output: &str) -> &str {
    match output.split_once(": ") {
        Some((t, rest))
            if !t.is_empty()
                && t.bytes().all(|b| {
                    b.is_ascii_digit() || matches!(b, b':' | b'.' | b'-' | b'T' | b'Z' | b'+')
                }) =>
        {
            rest
        }
        _ => output,
    }
}

impl Deduper {
    pub fn new(window: Duration, max_keys: usize) -> Deduper {
        Deduper {
            window,
            max_keys,
            open: HashMap::new(),
            order: VecDeque::new(),
            generation: 0,
        }
    }

    /// Offers an alert at time `now`. Summaries of windows closed by `now` are pushed to
    /// `out` first, then the alert if it passes.
    pub fn offer(&mut self, alert: Alert, now: Instant, out: &mut Vec<Alert>) {
        self.expire(now, out);
        let key = (alert.rule.clone(), output_key(&alert.output).to_owned());
        if let Some(w) = self.open.get_mut(&key) {
            if w.suppressed == 0 {
                w.first_time.clone_from(&alert.time);
            }
            w.suppressed += 1;
            w.last = Some(alert);
            return;
        }
        if self.open.len() < self.max_keys {
            self.generation += 1;
            let closes = now + self.window;
            self.order.push_back((closes, self.generation, key.clone()));
            self.open.insert(
                key,
                Window {
                    generation: self.generation,
                    closes,
                    suppressed: 0,
                    first_time: String::new(),
                    last: None,
                },
            );
        }
        out.push(alert);
    }

    /// Pushes to `out` the summaries of the windows closed at `now`.
    pub fn expire(&mut self, now: Instant, out: &mut Vec<Alert>) {
        while let Some((closes, _, _)) = self.order.front() {
            if *closes > now {
                break;
            }
            let Some((_, generation, key)) = self.order.pop_front() else {
                break;
            };
            if self
                .open
                .get(&key)
                .is_some_and(|w| w.generation == generation)
                && let Some(w) = self.open.remove(&key)
            {
                summarize(w, out);
            }
        }
    }

    /// Closes every window (at shutdown), pushing their summaries to `out`.
    pub fn flush(&mut self, out: &mut Vec<Alert>) {
        let mut windows: Vec<Window> = self.open.drain().map(|(_, w)| w).collect();
        windows.sort_by_key(|w| (w.closes, w.generation));
        self.order.clear();
        for w in windows {
            summarize(w, out);
        }
    }

    /// When the next window closes (for the caller's timer).
    pub fn next_expiry(&self) -> Option<Instant> {
        self.order.front().map(|(t, _, _)| *t)
    }

    /// Open windows.
    pub fn len(&self) -> usize {
        self.open.len()
    }

    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }
}

fn summarize(w: Window, out: &mut Vec<Alert>) {
    if let Some(mut a) = w.last {
        a.output_fields
            .insert(REPEAT_COUNT_FIELD.into(), w.suppressed.into());
        a.output_fields
            .insert(REPEAT_FIRST_TIME_FIELD.into(), w.first_time.into());
        out.push(a);
    }
}
