//! The rate limiter and the deduper, with an injected clock.

use std::time::{Duration, Instant};

use strata_sinks::shaping::{REPEAT_COUNT_FIELD, REPEAT_FIRST_TIME_FIELD};
use strata_sinks::{Alert, Deduper, RateLimit, RateLimiter};

use crate::helpers::alert;

const MS: Duration = Duration::from_millis(1);

#[test]
fn rate_limits_parse() {
    let r: RateLimit = "10/s".parse().unwrap();
    assert_eq!(
        r,
        RateLimit {
            count: 10,
            period: Duration::from_secs(1),
            burst: 10
        }
    );
    let r: RateLimit = "600/m,burst=50".parse().unwrap();
    assert_eq!(
        (r.count, r.period, r.burst),
        (600, Duration::from_secs(60), 50)
    );
    for (bad, wanted) in [
        ("10", "not N/s"),
        ("0/s", "\"0\" is not a count"),
        ("10/d", "unknown unit \"d\""),
        ("10/s,burst=0", "burst \"0\""),
        ("10/s,bust=3", "unknown option"),
    ] {
        let err = bad.parse::<RateLimit>().unwrap_err().to_string();
        assert!(err.contains(wanted), "{bad}: {err}");
    }
}

#[test]
fn token_bucket_per_rule() {
    let t0 = Instant::now();
    let mut rl = RateLimiter::new("10/s".parse().unwrap());
    let passed = (0..15).filter(|_| rl.allow("a", t0)).count();
    assert_eq!(passed, 10, "the burst");
    // Another rule has its own bucket.
    assert!(rl.allow("b", t0));
    // One token per 100 ms, exactly.
    assert!(!rl.allow("a", t0 + 99 * MS));
    assert!(rl.allow("a", t0 + 100 * MS));
    assert!(!rl.allow("a", t0 + 100 * MS));
    assert!(rl.allow("a", t0 + 300 * MS));
    assert!(rl.allow("a", t0 + 300 * MS));
    assert!(!rl.allow("a", t0 + 300 * MS));
    // After a long pause the bucket is full again, but no fuller than the burst.
    let later = t0 + Duration::from_secs(3600);
    assert_eq!((0..20).filter(|_| rl.allow("a", later)).count(), 10);
    // A clock going backwards gives no tokens.
    assert!(!rl.allow("a", t0));

    let mut rl = RateLimiter::new("1/s,burst=3".parse().unwrap());
    assert_eq!((0..5).filter(|_| rl.allow("a", t0)).count(), 3);
    assert!(!rl.allow("a", t0 + 999 * MS));
    assert!(rl.allow("a", t0 + 1000 * MS));
}

fn at(a: &Alert, time: &str) -> Alert {
    let mut a = a.clone();
    a.time = time.into();
    // Same rendered output, new event time in the prefix (as strata-rules writes it).
    let text = a.output.split_once(": ").unwrap().1.to_owned();
    a.output = format!("{}: {text}", &time[11..29]);
    a
}

#[test]
fn repeats_are_collapsed_into_one_summary_per_window() {
    let t0 = Instant::now();
    let window = Duration::from_secs(10);
    let mut d = Deduper::new(window, 100);
    let mut out = Vec::new();
    let a = alert("r", 1);
    let other = alert("r", 2);

    d.offer(at(&a, "2024-01-01T00:00:00.000000000Z"), t0, &mut out);
    assert_eq!(out.len(), 1, "the first passes");
    d.offer(
        at(&a, "2024-01-01T00:00:01.000000000Z"),
        t0 + 1000 * MS,
        &mut out,
    );
    d.offer(
        at(&other, "2024-01-01T00:00:01.500000000Z"),
        t0 + 1500 * MS,
        &mut out,
    );
    d.offer(
        at(&a, "2024-01-01T00:00:02.000000000Z"),
        t0 + 2000 * MS,
        &mut out,
    );
    d.offer(
        at(&a, "2024-01-01T00:00:03.000000000Z"),
        t0 + 3000 * MS,
        &mut out,
    );
    assert_eq!(out.len(), 2, "a different output passes, repeats do not");
    assert_eq!(out[1].output_fields["n"], 2);
    assert_eq!(d.len(), 2);
    assert_eq!(d.next_expiry(), Some(t0 + window));

    d.expire(t0 + window - MS, &mut out);
    assert_eq!(out.len(), 2, "the window is still open");
    d.expire(t0 + window, &mut out);
    assert_eq!(out.len(), 3);
    let summary = &out[2];
    assert_eq!(summary.rule, "r");
    assert_eq!(summary.output_fields[REPEAT_COUNT_FIELD], 3);
    assert_eq!(
        summary.output_fields[REPEAT_FIRST_TIME_FIELD],
        "2024-01-01T00:00:01.000000000Z"
    );
    assert_eq!(
        summary.time, "2024-01-01T00:00:03.000000000Z",
        "the last repeat"
    );
    assert_eq!(summary.output_fields["proc.name"], "cat");

    // The other window had no repeats: it closes without a summary.
    d.expire(t0 + 1500 * MS + window, &mut out);
    assert_eq!(out.len(), 3);
    assert!(d.is_empty());

    // After the window, the alert passes again and opens a new window; offering past its
    // end first emits that window's summary.
    d.offer(
        at(&a, "2024-01-01T00:00:20.000000000Z"),
        t0 + 20 * window,
        &mut out,
    );
    d.offer(
        at(&a, "2024-01-01T00:00:21.000000000Z"),
        t0 + 20 * window + MS,
        &mut out,
    );
    assert_eq!(out.len(), 4);
    d.offer(
        at(&a, "2024-01-01T00:00:40.000000000Z"),
        t0 + 21 * window,
        &mut out,
    );
    assert_eq!(out.len(), 6);
    assert_eq!(out[4].output_fields[REPEAT_COUNT_FIELD], 1);
    assert!(!out[5].output_fields.contains_key(REPEAT_COUNT_FIELD));

    // Shutdown: open windows flush their summaries.
    d.offer(
        at(&a, "2024-01-01T00:00:41.000000000Z"),
        t0 + 21 * window + MS,
        &mut out,
    );
    d.flush(&mut out);
    assert_eq!(out.len(), 7);
    assert_eq!(out[6].output_fields[REPEAT_COUNT_FIELD], 1);
    assert!(d.is_empty());
}

#[test]
fn windows_beyond_the_key_limit_pass_unchanged() {
    let t0 = Instant::now();
    let mut d = Deduper::new(Duration::from_secs(10), 1);
    let mut out = Vec::new();
    for _ in 0..3 {
        d.offer(alert("a", 1), t0, &mut out);
        d.offer(alert("b", 1), t0, &mut out);
    }
    // "a" is tracked (1 passes), "b" is not (3 pass).
    assert_eq!(out.iter().filter(|a| a.rule == "a").count(), 1);
    assert_eq!(out.iter().filter(|a| a.rule == "b").count(), 3);
}
