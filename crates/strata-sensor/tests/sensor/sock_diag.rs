//! The sock_diag source on the real kernel: a process in a network namespace of its own
//! listens and connects; the watch enters the namespace, reports the listener and the
//! connection with their processes, and lets the namespace go when its processes end.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use strata_ebpf::{Args, Kind, RawEvent};
use strata_sensor::procfs::ProcFs;
use strata_sensor::sock_diag::SocketWatch;

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("Uid:")
                    .map(|v| v.split_whitespace().nth(1) == Some("0"))
            })
        })
        .unwrap_or(false)
}

fn poll_until(
    w: &mut SocketWatch,
    events: &mut Vec<RawEvent>,
    deadline: Duration,
    done: impl Fn(&[RawEvent]) -> bool,
) {
    let start = Instant::now();
    while start.elapsed() < deadline && !done(events) {
        std::thread::sleep(w.poll_interval);
        w.poll(&mut |e| events.push(e));
    }
}

#[test]
fn sockets_of_a_new_network_namespace_are_reported_with_their_processes() {
    if !is_root() {
        strata_testkit::skip_or_fail("sock_diag in other network namespaces needs root");
        return;
    }
    for tool in ["unshare", "ip", "python3", "bash"] {
        if Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .map_or(true, |s| !s.success())
        {
            strata_testkit::skip_or_fail(&format!("{tool} is not installed"));
            return;
        }
    }
    let mut w = SocketWatch::open(ProcFs::default()).unwrap();
    let before = w.namespaces();
    // The listener never accepts: the connection completes in its queue all the same.
    let script = "ip link set lo up; \
        python3 -c 'import socket,time; s=socket.socket(); s.bind((\"127.0.0.1\", 47123)); s.listen(); time.sleep(4)' & \
        sleep 0.5; exec 3<>/dev/tcp/127.0.0.1/47123; sleep 2; true";
    let mut child = Command::new("unshare")
        .args(["-n", "bash", "-c", script])
        .spawn()
        .unwrap();
    let pid = child.id();
    // unshare execs bash in place: once the namespace differs from ours, it is there.
    let own = std::fs::read_link("/proc/self/ns/net").unwrap();
    let start = Instant::now();
    while std::fs::read_link(format!("/proc/{pid}/ns/net"))
        .ok()
        .as_ref()
        == Some(&own)
    {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "unshare -n did not happen"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(w.watch_netns_of(pid), "{:?}", w.failures);
    assert!(!w.watch_netns_of(pid), "a namespace is watched once");
    assert_eq!(w.namespaces(), before + 1);

    let mut events = Vec::new();
    let port_of = |e: &RawEvent| match &e.args {
        Args::Socket { addr: Some(a), .. } => a.port,
        _ => 0,
    };
    let connect = |e: &RawEvent| e.kind == Kind::Connect && e.pid == pid && port_of(e) == 47123;
    poll_until(&mut w, &mut events, Duration::from_secs(5), |ev| {
        ev.iter().any(connect) && ev.iter().any(|e| e.kind == Kind::Bind)
    });
    let c = events
        .iter()
        .find(|e| connect(e))
        .unwrap_or_else(|| panic!("no connect: {events:#?}"));
    assert_eq!(c.comm, "bash");
    match &c.args {
        Args::Socket {
            fd, addr: Some(a), ..
        } => {
            assert_eq!(*fd, 3);
            assert_eq!(a.ip, Some("127.0.0.1".parse().unwrap()));
        }
        other => panic!("{other:?}"),
    }
    let b = events
        .iter()
        .find(|e| e.kind == Kind::Bind && port_of(e) == 47123)
        .unwrap_or_else(|| panic!("no bind: {events:#?}"));
    assert!(b.comm.starts_with("python"), "{b:?}");
    // The connection's other end, in the listener's queue, is an accept (no process holds
    // it yet).
    assert!(
        events.iter().any(|e| e.kind == Kind::Accept),
        "no accept: {events:#?}"
    );
    // Nothing is reported twice while the sockets stay.
    let n = events.len();
    std::thread::sleep(w.poll_interval);
    w.poll(&mut |e| events.push(e));
    assert_eq!(events.len(), n, "{:#?}", &events[n..]);

    assert!(child.wait().unwrap().success());
    // Its processes gone, the namespace is let go (the listener may outlive bash a moment).
    let start = Instant::now();
    while w.namespaces() > before && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(w.poll_interval);
        w.poll(&mut |_| {});
    }
    assert_eq!(w.namespaces(), before, "the namespace was not let go");
}
