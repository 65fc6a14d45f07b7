//! Alerts, polling, and a small HTTP server for the webhook tests.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use strata_sinks::Alert;

/// An alert of `rule` whose output and fields carry `n`.
pub fn alert(rule: &str, n: u32) -> Alert {
    let mut fields = serde_json::Map::new();
    fields.insert("proc.name".into(), "cat".into());
    fields.insert("n".into(), n.into());
    Alert {
        time: format!("2024-05-06T07:08:09.{n:09}Z"),
        rule: rule.into(),
        priority: "Warning".into(),
        output: format!("07:08:09.{n:09}: Warning file opened n={n}"),
        output_fields: fields,
        source: "syscall".into(),
        tags: vec!["filesystem".into(), "mitre_credential_access".into()],
        hostname: "node-1".into(),
    }
}

/// Polls `cond` every few milliseconds until it holds or `timeout` passes.
pub fn wait_for(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A growable in-memory writer shared with the test.
#[derive(Clone, Default)]
pub struct SharedBuf(pub Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuf {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    /// Statuses to answer with, in order; 200 once empty.
    script: VecDeque<u16>,
    /// Accept connections and never answer.
    hang: bool,
    /// Every request answered (whatever the status).
    requests: Vec<Request>,
    /// Requests answered with a 2xx.
    accepted: Vec<Request>,
    connections: usize,
}

/// An HTTP/1.1 server on 127.0.0.1 (keep-alive, one thread per connection).
#[derive(Clone)]
pub struct HttpServer {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl HttpServer {
    pub fn start() -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let st = Arc::clone(&state);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let st = Arc::clone(&st);
                std::thread::spawn(move || handle(conn, &st));
            }
        });
        HttpServer { addr, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn script(&self, statuses: &[u16]) {
        self.state.lock().unwrap().script.extend(statuses);
    }

    pub fn hang(&self) {
        self.state.lock().unwrap().hang = true;
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn accepted(&self) -> Vec<Request> {
        self.state.lock().unwrap().accepted.clone()
    }

    pub fn connections(&self) -> usize {
        self.state.lock().unwrap().connections
    }

    /// The `n` output field of every accepted alert, in arrival order.
    pub fn accepted_ns(&self) -> Vec<u64> {
        self.accepted()
            .iter()
            .map(|r| {
                let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
                v["output_fields"]["n"].as_u64().unwrap()
            })
            .collect()
    }
}

fn handle(conn: TcpStream, st: &Mutex<State>) {
    let hang = {
        let mut s = st.lock().unwrap();
        s.connections += 1;
        s.hang
    };
    if hang {
        // Keep the connection open, never answer (until the test process ends).
        std::thread::sleep(Duration::from_secs(3600));
        return;
    }
    let mut out = conn.try_clone().unwrap();
    let mut r = BufReader::new(conn);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .map_or(0, |(_, v)| v.parse().unwrap());
        let mut body = vec![0; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        let req = Request {
            method,
            path,
            headers,
            body,
        };
        let status = {
            let mut s = st.lock().unwrap();
            let status = s.script.pop_front().unwrap_or(200);
            s.requests.push(req.clone());
            if (200..300).contains(&status) {
                s.accepted.push(req);
            }
            status
        };
        let resp = format!("HTTP/1.1 {status} X\r\nContent-Length: 2\r\n\r\nok");
        if out.write_all(resp.as_bytes()).is_err() {
            return;
        }
    }
}

/// A local port with nothing listening on it.
pub fn dead_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}
