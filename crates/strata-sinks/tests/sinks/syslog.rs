//! The syslog sink received by real UDP, TCP and unix datagram listeners, each message
//! checked field by field against RFC 5424.

use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use strata_sinks::{Alert, Dispatcher, DispatcherOptions, Metrics, parse_sink_spec};

use crate::helpers::{alert, wait_for};

const LONG: Duration = Duration::from_secs(20);

/// The parts of an RFC 5424 message.
#[derive(Debug, PartialEq)]
struct Syslog {
    pri: u32,
    version: u32,
    timestamp: String,
    hostname: String,
    app: String,
    procid: String,
    msgid: String,
    sd: Vec<(String, Vec<(String, String)>)>,
    msg: String,
}

/// A strict parser of the RFC 5424 grammar (section 6).
fn parse(m: &str) -> Result<Syslog, String> {
    let rest = m.strip_prefix('<').ok_or("no '<'")?;
    let (pri, rest) = rest.split_once('>').ok_or("no '>'")?;
    if pri.is_empty() || pri.len() > 3 || !pri.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("bad PRI {pri:?}"));
    }
    if pri.len() > 1 && pri.starts_with('0') {
        return Err("PRI with leading zero".into());
    }
    let pri: u32 = pri.parse().map_err(|_| "PRI")?;
    if pri > 191 {
        return Err("PRI > 191".into());
    }
    let mut fields = rest.splitn(7, ' ');
    let mut next = |what: &str| fields.next().ok_or(format!("missing {what}"));
    let version: u32 = next("VERSION")?.parse().map_err(|_| "VERSION")?;
    let timestamp = next("TIMESTAMP")?.to_owned();
    let header = |v: &str, max: usize, what: &str| -> Result<String, String> {
        if v.is_empty() || v.len() > max || !v.bytes().all(|b| (33..=126).contains(&b)) {
            Err(format!("bad {what} {v:?}"))
        } else {
            Ok(v.to_owned())
        }
    };
    let hostname = header(next("HOSTNAME")?, 255, "HOSTNAME")?;
    let app = header(next("APP-NAME")?, 48, "APP-NAME")?;
    let procid = header(next("PROCID")?, 128, "PROCID")?;
    let msgid = header(next("MSGID")?, 32, "MSGID")?;
    let rest = next("STRUCTURED-DATA")?;
    // Timestamp: FULL-DATE "T" FULL-TIME with TIME-SECFRAC of 1 to 6 digits.
    if timestamp != "-" {
        let b = timestamp.as_bytes();
        let ok = b.len() >= 20
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':';
        if !ok {
            return Err(format!("bad TIMESTAMP {timestamp:?}"));
        }
        if let Some(frac) = timestamp[19..].strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if !(1..=6).contains(&digits) {
                return Err(format!("TIME-SECFRAC of {digits} digits"));
            }
        }
    }
    let (sd, msg) = parse_sd(rest)?;
    Ok(Syslog {
        pri,
        version,
        timestamp,
        hostname,
        app,
        procid,
        msgid,
        sd,
        msg,
    })
}

type Sd = Vec<(String, Vec<(String, String)>)>;

fn parse_sd(s: &str) -> Result<(Sd, String), String> {
    if let Some(rest) = s.strip_prefix('-') {
        return Ok((
            Vec::new(),
            rest.strip_prefix(' ').unwrap_or(rest).to_owned(),
        ));
    }
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.len() <= 32
            && n.bytes()
                .all(|b| (33..=126).contains(&b) && !matches!(b, b'=' | b']' | b'"' | b' '))
    };
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while chars.peek() == Some(&'[') {
        chars.next();
        let mut id = String::new();
        while let Some(&c) = chars.peek() {
            if c == ' ' || c == ']' {
                break;
            }
            id.push(c);
            chars.next();
        }
        if !name_ok(&id) {
            return Err(format!("bad SD-ID {id:?}"));
        }
        let mut params = Vec::new();
        loop {
            match chars.next() {
                Some(']') => break,
                Some(' ') => {}
                other => {
                    return Err(format!(
                        "expected ' ' or ']' after SD element, got {other:?}"
                    ));
                }
            }
            let mut name = String::new();
            for c in chars.by_ref() {
                if c == '=' {
                    break;
                }
                name.push(c);
            }
            if !name_ok(&name) {
                return Err(format!("bad PARAM-NAME {name:?}"));
            }
            if chars.next() != Some('"') {
                return Err("PARAM-VALUE without '\"'".into());
            }
            let mut value = String::new();
            loop {
                match chars.next() {
                    None => return Err("unterminated PARAM-VALUE".into()),
                    Some('"') => break,
                    Some(']') => return Err("unescaped ']' in PARAM-VALUE".into()),
                    Some('\\') => match chars.next() {
                        Some(c @ ('"' | '\\' | ']')) => value.push(c),
                        Some(c) => {
                            value.push('\\');
                            value.push(c);
                        }
                        None => return Err("unterminated PARAM-VALUE".into()),
                    },
                    Some(c) => value.push(c),
                }
            }
            params.push((name, value));
        }
        out.push((id, params));
    }
    let rest: String = chars.collect();
    let msg = match rest.strip_prefix(' ') {
        Some(m) => m.to_owned(),
        None if rest.is_empty() => String::new(),
        None => return Err(format!("no space after STRUCTURED-DATA: {rest:?}")),
    };
    Ok((out, msg))
}

/// An alert whose rule and fields need escaping and sanitizing.
fn tricky() -> Alert {
    let mut a = alert(
        "Shell \"in\" [container] \\ über a very long rule name indeed",
        7,
    );
    a.priority = "Critical".into();
    a.source = "syscall]x".into();
    a.time = "2024-05-06T07:08:09.123456789Z".into();
    a.output = "07:08:09.123456789: Critical shell in container (user=root ] \"q\")".into();
    a
}

fn check(m: &str, a: &Alert, pri: u32) {
    let s = parse(m).unwrap_or_else(|e| panic!("{e}: {m:?}"));
    assert_eq!(s.pri, pri, "{m}");
    assert_eq!(s.version, 1);
    assert_eq!(s.timestamp, "2024-05-06T07:08:09.123456Z");
    assert_eq!(s.hostname, "node-1");
    assert_eq!(s.app, "strata");
    assert_eq!(s.procid, std::process::id().to_string());
    assert_eq!(s.msgid, "Shell_\"in\"_[container]_\\__ber_a_");
    assert_eq!(s.msgid.len(), 32);
    assert_eq!(
        s.sd,
        [(
            "strata@32473".to_owned(),
            vec![
                ("rule".to_owned(), a.rule.clone()),
                ("priority".to_owned(), a.priority.clone()),
                ("source".to_owned(), a.source.clone()),
                ("tags".to_owned(), a.tags.join(",")),
            ]
        )]
    );
    assert_eq!(s.msg, a.output);
}

fn dispatch(spec: &str, alerts: &[Alert]) -> Arc<Metrics> {
    let metrics = Arc::new(Metrics::new());
    let d = Dispatcher::from_specs(
        &[parse_sink_spec(spec).unwrap()],
        Arc::clone(&metrics),
        DispatcherOptions::default(),
    )
    .unwrap();
    for a in alerts {
        d.send(a);
    }
    let stats = metrics.sinks()[0].clone();
    wait_for("syslog deliveries", LONG, || {
        stats.delivered.load(Relaxed) == alerts.len() as u64
    });
    assert_eq!(d.shutdown(LONG).unfinished, Vec::<String>::new());
    metrics
}

#[test]
fn the_parser_rejects_what_it_should() {
    assert!(parse("<34>1 - h a p m [x@1 k=\"a]\"]").is_err());
    assert!(parse("<34>1 2024-05-06T07:08:09.1234567Z h a p m -").is_err());
    assert!(parse("<192>1 - h a p m -").is_err());
    assert!(parse("<34>1 - h a p m [x@1 k=\"a\\]\"] msg").is_ok());
}

#[test]
fn udp_messages_follow_rfc5424() {
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(Some(LONG)).unwrap();
    let port = rx.local_addr().unwrap().port();
    let a = tricky();
    dispatch(
        &format!("syslog:udp://127.0.0.1:{port},facility=auth"),
        std::slice::from_ref(&a),
    );
    let mut buf = vec![0; 65536];
    let n = rx.recv(&mut buf).unwrap();
    let m = std::str::from_utf8(&buf[..n]).unwrap();
    // auth (4) * 8 + critical (2)
    check(m, &a, 34);
}

#[test]
fn tcp_messages_are_octet_counted() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let a = tricky();
    let mut b = alert("Plain", 1);
    b.priority = "Debug".into();
    dispatch(
        &format!("syslog:tcp://127.0.0.1:{port}"),
        &[a.clone(), b.clone()],
    );
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(LONG)).unwrap();
    let mut data = Vec::new();
    conn.read_to_end(&mut data).unwrap();
    let mut frames = Vec::new();
    let mut rest = &data[..];
    while !rest.is_empty() {
        let sp = rest.iter().position(|&c| c == b' ').unwrap();
        let len: usize = std::str::from_utf8(&rest[..sp]).unwrap().parse().unwrap();
        frames.push(
            std::str::from_utf8(&rest[sp + 1..sp + 1 + len])
                .unwrap()
                .to_owned(),
        );
        rest = &rest[sp + 1 + len..];
    }
    assert_eq!(frames.len(), 2);
    // local0 (16) * 8 + critical (2)
    check(&frames[0], &a, 130);
    let s = parse(&frames[1]).unwrap();
    assert_eq!(s.pri, 16 * 8 + 7);
    assert_eq!(s.msgid, "Plain");
    assert_eq!(s.msg, b.output);
}

#[test]
fn unix_datagrams_follow_rfc5424() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.sock");
    let rx = UnixDatagram::bind(&path).unwrap();
    rx.set_read_timeout(Some(LONG)).unwrap();
    let a = tricky();
    dispatch(
        &format!("syslog:unix://{},facility=local7", path.display()),
        std::slice::from_ref(&a),
    );
    let mut buf = vec![0; 65536];
    let n = rx.recv(&mut buf).unwrap();
    check(std::str::from_utf8(&buf[..n]).unwrap(), &a, 23 * 8 + 2);
}

#[test]
fn an_absent_receiver_counts_failures() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nobody.sock");
    let metrics = Arc::new(Metrics::new());
    let d = Dispatcher::from_specs(
        &[parse_sink_spec(&format!("syslog:unix://{}", path.display())).unwrap()],
        Arc::clone(&metrics),
        DispatcherOptions::default(),
    )
    .unwrap();
    d.send(&alert("r", 1));
    let stats = metrics.sinks()[0].clone();
    wait_for("a failure", LONG, || stats.failed.load(Relaxed) == 1);
    d.shutdown(LONG);
    assert_eq!(stats.delivered.load(Relaxed), 0);
    assert!(stats.last_error().is_some());
}

/// Reads octet-counted frames from a TCP connection until `n` arrived (or the peer closes).
fn read_frames(conn: &mut std::net::TcpStream, n: usize) -> Vec<Syslog> {
    conn.set_read_timeout(Some(LONG)).unwrap();
    let mut data = Vec::new();
    let mut frames = Vec::new();
    let mut buf = [0u8; 4096];
    while frames.len() < n {
        let got = conn.read(&mut buf).unwrap();
        if got == 0 {
            break;
        }
        data.extend_from_slice(&buf[..got]);
        while let Some(sp) = data.iter().position(|&c| c == b' ') {
            let len: usize = std::str::from_utf8(&data[..sp]).unwrap().parse().unwrap();
            if data.len() < sp + 1 + len {
                break;
            }
            frames.push(parse(std::str::from_utf8(&data[sp + 1..sp + 1 + len]).unwrap()).unwrap());
            data.drain(..sp + 1 + len);
        }
    }
    frames
}

/// The collector goes away and comes back on the same port: the sink counts what it could
/// not send, connects again after its back-off, and later alerts arrive.
#[test]
fn tcp_reconnects_after_the_collector_restarts() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let metrics = Arc::new(Metrics::new());
    let d = Dispatcher::from_specs(
        &[parse_sink_spec(&format!("syslog:tcp://{addr}")).unwrap()],
        Arc::clone(&metrics),
        DispatcherOptions::default(),
    )
    .unwrap();
    let stats = metrics.sinks()[0].clone();
    d.send(&alert("Before", 1));
    let (mut conn, _) = listener.accept().unwrap();
    assert_eq!(read_frames(&mut conn, 1)[0].msgid, "Before");
    // The collector stops: its connection and its listener are gone.
    drop(conn);
    drop(listener);
    std::thread::sleep(Duration::from_millis(200));
    d.send(&alert("While down", 2));
    d.send(&alert("While down", 3));
    wait_for("a failure counted", LONG, || {
        stats.failed.load(Relaxed) >= 1
    });
    // Back on the same port; after the back-off (1 s, then doubling) the sink connects.
    let listener = TcpListener::bind(addr).unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    d.send(&alert("After", 4));
    d.send(&alert("After", 5));
    let (mut conn, _) = listener.accept().unwrap();
    // Everything the sink sends on the new connection, up to its close at shutdown.
    wait_for("the alerts after", LONG, || {
        stats.delivered.load(Relaxed) >= 3
    });
    assert_eq!(d.shutdown(LONG).unfinished, Vec::<String>::new());
    let frames = read_frames(&mut conn, usize::MAX);
    let after = frames.iter().filter(|f| f.msgid == "After").count();
    assert_eq!(after, 2, "{frames:?}");
}
