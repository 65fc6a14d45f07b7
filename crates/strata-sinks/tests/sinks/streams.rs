//! stdout-style writer sinks and the rotating file sink.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use strata_sinks::spec::FileSpec;
use strata_sinks::{
    Dispatcher, DispatcherOptions, FileSink, Format, Metrics, Sink, SinkContext, SinkStats,
    WriterSink, parse_sink_spec,
};

use crate::helpers::{SharedBuf, alert, wait_for};

#[test]
fn json_lines_are_falco_alerts_and_text_lines_are_the_output() {
    let metrics = Arc::new(Metrics::new());
    let mut d = Dispatcher::new(Arc::clone(&metrics), DispatcherOptions::default());
    let json = SharedBuf::default();
    let text = SharedBuf::default();
    d.add(
        "json",
        Box::new(WriterSink::new(json.clone(), Format::Json)),
    )
    .unwrap();
    d.add(
        "text",
        Box::new(WriterSink::new(text.clone(), Format::Text)),
    )
    .unwrap();
    let alerts: Vec<_> = (0..3).map(|n| alert("Read sensitive file", n)).collect();
    for a in &alerts {
        d.send(a);
    }
    let report = d.shutdown(Duration::from_secs(10));
    assert_eq!(report.finished, ["json", "text"]);
    let lines: Vec<serde_json::Value> = json
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for (v, a) in lines.iter().zip(&alerts) {
        let obj = v.as_object().unwrap();
        let mut keys: Vec<_> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "hostname",
                "output",
                "output_fields",
                "priority",
                "rule",
                "source",
                "tags",
                "time"
            ]
        );
        assert_eq!(v["output"], a.output.as_str());
        assert_eq!(v["time"], a.time.as_str());
        assert_eq!(v["priority"], "Warning");
        assert_eq!(v["output_fields"]["proc.name"], "cat");
        assert_eq!(v["tags"][1], "mitre_credential_access");
    }
    let expected: String = alerts.iter().map(|a| format!("{}\n", a.output)).collect();
    assert_eq!(text.text(), expected);
    assert_eq!(metrics.alerts.get("Read sensitive file"), 3);
    assert_eq!(metrics.sink("json").unwrap().delivered.load(Relaxed), 3);
}

fn read_lines(path: &std::path::Path) -> Vec<u64> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["output_fields"]["n"].as_u64().unwrap()
        })
        .collect()
}

#[test]
fn file_rotates_by_size_and_keeps_n_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alerts.jsonl");
    let line_len = {
        let mut b = Vec::new();
        strata_sinks::writer::format_line(&alert("r", 100), Format::Json, &mut b);
        b.len() as u64
    };
    // Three lines (of alerts 100..) fit in a file, a fourth does not.
    let max_size = 3 * line_len + line_len / 2;
    let spec = FileSpec {
        path: path.clone(),
        max_size,
        keep: 2,
    };
    let stats = Arc::new(SinkStats::new("file"));
    let cx = SinkContext::new(Arc::clone(&stats));
    let mut sink = FileSink::open(&spec).unwrap();
    for n in 100..111 {
        sink.deliver(&alert("r", n), &cx);
    }
    sink.close(&cx);
    assert_eq!(stats.delivered.load(Relaxed), 11);
    assert_eq!(stats.failed.load(Relaxed), 0);
    // 11 alerts: [100,101,102] [103,104,105] [106,107,108] [109,110]; keep=2 drops the first.
    assert_eq!(read_lines(&path), [109, 110]);
    assert_eq!(
        read_lines(&dir.path().join("alerts.jsonl.1")),
        [106, 107, 108]
    );
    assert_eq!(
        read_lines(&dir.path().join("alerts.jsonl.2")),
        [103, 104, 105]
    );
    assert!(!dir.path().join("alerts.jsonl.3").exists());
    for name in ["alerts.jsonl", "alerts.jsonl.1", "alerts.jsonl.2"] {
        let size = std::fs::metadata(dir.path().join(name)).unwrap().len();
        assert!(size <= max_size, "{name}: {size} > {max_size}");
    }

    // Reopening appends and counts the existing size.
    let mut sink = FileSink::open(&spec).unwrap();
    sink.deliver(&alert("r", 111), &cx);
    sink.deliver(&alert("r", 112), &cx);
    assert_eq!(read_lines(&path), [112]);
    assert_eq!(
        read_lines(&dir.path().join("alerts.jsonl.1")),
        [109, 110, 111]
    );
    assert_eq!(
        read_lines(&dir.path().join("alerts.jsonl.2")),
        [106, 107, 108]
    );
}

#[test]
fn file_keep_zero_truncates_and_a_file_spec_works_through_the_dispatcher() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.jsonl");
    let spec = parse_sink_spec(&format!("file:{},max_size=1,keep=0", path.display())).unwrap();
    let metrics = Arc::new(Metrics::new());
    let d = Dispatcher::from_specs(&[spec], Arc::clone(&metrics), DispatcherOptions::default())
        .unwrap();
    let name = format!("file:{}", path.display());
    for n in 0..4 {
        d.send(&alert("r", n));
    }
    let stats = metrics.sink(&name).unwrap();
    wait_for("4 file writes", Duration::from_secs(10), || {
        stats.delivered.load(Relaxed) == 4
    });
    assert_eq!(d.shutdown(Duration::from_secs(5)).finished, [name]);
    // Every write rotated the previous one away.
    assert_eq!(read_lines(&path), [3]);
    assert!(!dir.path().join("a.jsonl.1").exists());
}

#[test]
fn an_unwritable_file_is_an_error_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let spec = FileSpec {
        path: dir.path().join("missing/dir/a.jsonl"),
        max_size: 1 << 20,
        keep: 1,
    };
    let err = FileSink::open(&spec).err().unwrap().to_string();
    assert!(err.contains("missing/dir/a.jsonl"), "{err}");
}
