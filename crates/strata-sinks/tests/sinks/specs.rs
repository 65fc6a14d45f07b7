//! Every spec form parses; bad specs are rejected with a message naming the bad part.

use std::path::PathBuf;
use std::time::Duration;

use strata_sinks::spec::{FileSpec, SyslogSpec, SyslogTransport, WebhookSpec};
use strata_sinks::{Facility, Format, SinkSpec, parse_sink_spec};

#[test]
fn every_form_parses() {
    let ok = |s: &str| parse_sink_spec(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    assert_eq!(
        ok("stdout"),
        SinkSpec::Stdout {
            format: Format::Json
        }
    );
    assert_eq!(
        ok("stdout:json"),
        SinkSpec::Stdout {
            format: Format::Json
        }
    );
    assert_eq!(
        ok("stdout:text"),
        SinkSpec::Stdout {
            format: Format::Text
        }
    );
    assert_eq!(
        ok("file:/var/log/strata/alerts.jsonl"),
        SinkSpec::File(FileSpec {
            path: PathBuf::from("/var/log/strata/alerts.jsonl"),
            max_size: 100 << 20,
            keep: 5
        })
    );
    assert_eq!(
        ok("file:a.jsonl,max_size=10K,keep=0"),
        SinkSpec::File(FileSpec {
            path: PathBuf::from("a.jsonl"),
            max_size: 10 << 10,
            keep: 0
        })
    );
    assert_eq!(
        ok("webhook:http://127.0.0.1:8080/hook"),
        SinkSpec::Webhook(WebhookSpec {
            url: "http://127.0.0.1:8080/hook".into(),
            timeout: Duration::from_secs(5),
            spool: None,
            spool_max: 64 << 20,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            headers: vec![],
        })
    );
    assert_eq!(
        ok(
            "webhook:https://siem.example/in?x=1,timeout=2s,spool=/var/spool/strata,spool_max=1M,backoff=100ms,max_backoff=5s,header=Authorization:Bearer a,b,header=X-Env: prod"
        ),
        SinkSpec::Webhook(WebhookSpec {
            url: "https://siem.example/in?x=1".into(),
            timeout: Duration::from_secs(2),
            spool: Some(PathBuf::from("/var/spool/strata")),
            spool_max: 1 << 20,
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            headers: vec![
                ("Authorization".into(), "Bearer a,b".into()),
                ("X-Env".into(), "prod".into())
            ],
        })
    );
    assert_eq!(
        ok("syslog:udp://127.0.0.1:5514"),
        SinkSpec::Syslog(SyslogSpec {
            transport: SyslogTransport::Udp {
                host: "127.0.0.1".into(),
                port: 5514
            },
            facility: Facility::LOCAL0
        })
    );
    assert_eq!(
        ok("syslog:tcp://[::1]:601,facility=auth"),
        SinkSpec::Syslog(SyslogSpec {
            transport: SyslogTransport::Tcp {
                host: "::1".into(),
                port: 601
            },
            facility: Facility::AUTH
        })
    );
    assert_eq!(
        ok("syslog:tcp://logs.internal"),
        SinkSpec::Syslog(SyslogSpec {
            transport: SyslogTransport::Tcp {
                host: "logs.internal".into(),
                port: 514
            },
            facility: Facility::LOCAL0
        })
    );
    assert_eq!(
        ok("syslog:unix:///dev/log,facility=local7"),
        SinkSpec::Syslog(SyslogSpec {
            transport: SyslogTransport::Unix(PathBuf::from("/dev/log")),
            facility: Facility::from_name("local7").unwrap()
        })
    );
    assert_eq!(ok("syslog"), ok("syslog:unix:///dev/log"));
    assert_eq!(
        "stdout:text".parse::<SinkSpec>().unwrap(),
        SinkSpec::Stdout {
            format: Format::Text
        }
    );
}

#[test]
fn bad_specs_are_rejected_with_the_bad_part() {
    let cases: &[(&str, &[&str])] = &[
        ("", &["empty sink spec"]),
        ("kafka:broker:9092", &["unknown sink kind \"kafka\""]),
        ("stdout:yaml", &["stdout sink", "\"yaml\""]),
        ("file:", &["file sink", "missing path"]),
        (
            "file:a.jsonl,max_size=10Q",
            &["\"max_size\"", "unknown unit \"Q\""],
        ),
        ("file:a.jsonl,max_size=0", &["\"max_size\"", "more than 0"]),
        (
            "file:a.jsonl,keep=-1",
            &["\"keep\"", "\"-1\" is not a count"],
        ),
        (
            "file:a.jsonl,rotate=1",
            &["file sink", "unknown option \"rotate\"", "max_size, keep"],
        ),
        ("webhook:", &["webhook sink", "missing URL"]),
        ("webhook:ftp://h/x", &["webhook sink", "\"ftp\""]),
        ("webhook:localhost:8080/x", &["webhook sink", "scheme"]),
        (
            "webhook:http://h/x,timeout=5",
            &["\"timeout\"", "missing unit"],
        ),
        (
            "webhook:http://h/x,timeout=0s",
            &["\"timeout\"", "more than 0"],
        ),
        (
            "webhook:http://h/x,timout=5s",
            &["unknown option \"timout\""],
        ),
        (
            "webhook:http://h/x,header=NoColon",
            &["\"header\"", "NAME:VALUE"],
        ),
        (
            "webhook:http://h/x,header=Bad Name:v",
            &["\"header\"", "not a valid header name"],
        ),
        (
            "webhook:http://h/x,spool=",
            &["\"spool\"", "missing directory"],
        ),
        (
            "syslog:udp://host:99999",
            &["syslog sink", "\"99999\" is not a port"],
        ),
        ("syslog:tcp://:514", &["syslog sink", "missing host"]),
        ("syslog:udp://::1:514", &["brackets"]),
        ("syslog:http://h", &["syslog sink", "unknown target"]),
        ("syslog:unix://", &["missing socket path"]),
        (
            "syslog:udp://h:514,facility=local9",
            &["\"facility\"", "unknown facility \"local9\""],
        ),
    ];
    for (spec, wanted) in cases {
        let err = parse_sink_spec(spec).expect_err(spec).to_string();
        for w in *wanted {
            assert!(err.contains(w), "{spec:?}: {err:?} should contain {w:?}");
        }
    }
}

#[test]
fn errors_do_not_echo_header_values() {
    let err = parse_sink_spec("webhook:http://h/x,header=Authorization:Bearer sekrit,bogus=1")
        .expect_err("bogus option")
        .to_string();
    assert!(!err.contains("sekrit"), "{err}");
}
