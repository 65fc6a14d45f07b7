//! `strata monitor` end to end: the eBPF sensor watches real containers started from the
//! minbase test image while the test performs each attack class, and a benign web server
//! answers requests for a minute. Needs root, Docker, tracefs and a build with
//! `--features ebpf`; skips outside CI without them and fails under CI=true.
//! Replay (`--source replay:FILE`) is tested without privileges.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{STRATA, strata};

/// A container removed when the test ends, whatever happens.
struct Container {
    name: String,
    id: String,
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rm", "-f", &self.name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn docker(args: &[&str]) -> std::process::Output {
    Command::new("docker").args(args).output().unwrap()
}

fn run_container(name: &str, image: &str, opts: &[&str], cmd: &[&str]) -> Container {
    let _ = docker(&["rm", "-f", name]);
    let mut args = vec!["run", "-d", "--name", name, "--network", "host"];
    args.extend_from_slice(opts);
    args.push(image);
    args.extend_from_slice(cmd);
    let out = docker(&args);
    assert!(
        out.status.success(),
        "docker run {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Container {
        name: name.to_owned(),
        id: String::from_utf8_lossy(&out.stdout).trim().to_owned(),
    }
}

/// `docker exec -it CONTAINER sh -c SCRIPT` with a terminal, which script(1) provides.
fn exec_with_terminal(c: &Container, script: &str) -> std::process::Output {
    Command::new("script")
        .args([
            "-qec",
            &format!("docker exec -it {} sh -c '{script}'", c.name),
            "/dev/null",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The alerts as `rule | output` lines, for failure messages.
fn dump_alerts(alerts: &[Value]) -> String {
    alerts
        .iter()
        .map(|a| format!("{} | {}", a["rule"], a["output"]))
        .collect::<Vec<_>>()
        .join("\n")
}

fn exec(c: &Container, user: Option<&str>, cmd: &[&str]) -> std::process::Output {
    let mut args = vec!["exec"];
    if let Some(u) = user {
        args.extend_from_slice(&["-u", u]);
    }
    args.push(&c.name);
    args.extend_from_slice(cmd);
    docker(&args)
}

/// The sensor, killed when dropped.
struct Sensor {
    child: Child,
    /// What the sensor printed on stderr before its start-up line.
    startup: String,
    stdout: Option<std::thread::JoinHandle<String>>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Sensor {
    fn start(source: &str, extra: &[&str]) -> Sensor {
        let mut child = Command::new(STRATA)
            .args([
                "monitor",
                "--source",
                source,
                "--sink",
                "stdout:json",
                "--duration",
                "600s",
            ])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        // Wait for the start-up line on stderr, keep reading the rest in the background.
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let stderr = std::thread::spawn(move || {
            let mut all = String::new();
            let mut r = BufReader::new(err);
            let mut line = String::new();
            while r.read_line(&mut line).unwrap_or(0) > 0 {
                let _ = tx.send(line.clone());
                all.push_str(&line);
                line.clear();
            }
            all
        });
        let stdout = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = String::new();
        loop {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(l) if l.contains("strata monitor: source ") => break,
                Ok(l) => seen.push_str(&l),
                Err(_) => {
                    panic!("strata monitor did not start within 60 s; stderr so far:\n{seen}")
                }
            }
        }
        Sensor {
            child,
            startup: seen,
            stdout: Some(stdout),
            stderr: Some(stderr),
        }
    }

    /// The Prometheus exposition of a sensor started with `--metrics 127.0.0.1:0`.
    fn scrape_metrics(&self) -> String {
        let addr = self
            .startup
            .lines()
            .find_map(|l| l.strip_prefix("strata monitor: metrics on http://"))
            .and_then(|l| l.strip_suffix("/metrics"))
            .unwrap_or_else(|| panic!("no metrics address in {:?}", self.startup))
            .to_owned();
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or_default();
        assert!(
            head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
            "{head}"
        );
        body.to_owned()
    }

    /// Stops the sensor with SIGTERM; returns its alerts and stderr.
    fn stop(mut self) -> (Vec<Value>, String) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if self.child.try_wait().unwrap().is_some() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "strata monitor did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let out = self.stdout.take().unwrap().join().unwrap();
        let err = self.stderr.take().unwrap().join().unwrap();
        let alerts = out
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("alert line {l:?}: {e}"))
            })
            .collect();
        (alerts, err)
    }
}

impl Drop for Sensor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn live_prerequisites() -> bool {
    if !cfg!(feature = "ebpf") {
        strata_testkit::skip_or_fail(
            "strata was built without `--features ebpf`; the live sensor test needs it",
        );
        return false;
    }
    root_prerequisite()
}

fn root_prerequisite() -> bool {
    // The effective uid from /proc/self/status.
    let euid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("Uid:")
                    .map(|v| v.split_whitespace().nth(1).unwrap_or("").to_owned())
            })
        })
        .unwrap_or_default();
    if euid != "0" {
        strata_testkit::skip_or_fail(
            "the live sensor tests need root (eBPF, the process connector)",
        );
        return false;
    }
    if !std::path::Path::new("/sys/kernel/tracing/events").exists() {
        strata_testkit::skip_or_fail("tracefs is not mounted at /sys/kernel/tracing");
        return false;
    }
    true
}

/// The minbase test image, loaded into the daemon, when the prerequisites hold.
fn minbase_when(prerequisites: bool) -> Option<strata_testkit::images::TestImage> {
    if !prerequisites {
        return None;
    }
    let img = strata_testkit::images::minbase()?;
    img.ensure_loaded().unwrap();
    Some(img)
}

fn field<'a>(a: &'a Value, name: &str) -> &'a Value {
    a.pointer(&format!("/output_fields/{}", name.replace('/', "~1")))
        .unwrap_or(&Value::Null)
}

/// The alerts of `rule` for the container.
fn alerts_for<'a>(alerts: &'a [Value], rule: &str, short_id: &str) -> Vec<&'a Value> {
    alerts
        .iter()
        .filter(|a| a["rule"] == rule && field(a, "container.id") == short_id)
        .collect()
}

#[test]
fn live_attacks_in_containers_raise_alerts_and_a_web_server_does_not() {
    let Some(img) = minbase_when(live_prerequisites()) else {
        return;
    };
    let tag = std::process::id();

    // The benign workload: a web server (perl, the container's entrypoint) that reads a
    // file for every request, with a Docker health check every two seconds (the daemon
    // runs it as an exec session with a shell), started before the sensor so that its
    // start-up is not what is judged.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let server_src = format!(
        "use IO::Socket::INET; my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1:{port}', Listen => 16, ReuseAddr => 1) or die $!; \
         while (my $c = $s->accept) {{ my $r = <$c>; open(my $f, '<', '/etc/debian_version') or die $!; my @page = <$f>; close $f; \
         print $c \"HTTP/1.0 200 OK\\r\\nContent-Length: 5\\r\\n\\r\\nhello\"; close $c; }}"
    );
    let web = run_container(
        &format!("strata-mon-web-{tag}"),
        &img.reference,
        &[
            "--health-cmd",
            "cat /etc/hostname >/dev/null",
            "--health-interval",
            "2s",
        ],
        &["perl", "-e", &server_src],
    );
    let web_up = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            web_up.elapsed() < Duration::from_secs(30),
            "the web server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // A rule of the test's own that shows the sensor saw the web server at work, in its
    // container, with the container's name and image: without it, "no alert from the web
    // server" would also pass if its events were lost or put in the wrong place.
    let rules_dir = tempfile::tempdir().unwrap();
    let probe_rule = rules_dir.path().join("probe.yaml");
    std::fs::write(
        &probe_rule,
        "- rule: Test probe web server page read\n  desc: test\n  condition: evt.type in (open, openat, openat2) and fd.name=/etc/debian_version and proc.name=perl and container.id != host\n  output: page read (container_id=%container.id name=%container.name image=%container.image.repository)\n  priority: DEBUG\n",
    )
    .unwrap();
    let sensor = Sensor::start("ebpf", &["--rules", probe_rule.to_str().unwrap()]);
    // Without a seccomp filter: Docker's default profile refuses unshare and mount before
    // any tracepoint sees them (for every tracepoint-based sensor), and the test wants the
    // attempts themselves.
    let target = run_container(
        &format!("strata-mon-target-{tag}"),
        &img.reference,
        &["--security-opt", "seccomp=unconfined"],
        &["sleep", "600"],
    );
    // Container metadata comes from the Docker event stream: every event of a container
    // older than a second carries it (asserted on every alert below).
    std::thread::sleep(Duration::from_secs(1));

    // A minute of requests to the web server, in the background.
    let served = Arc::new(AtomicU64::new(0));
    let load = {
        let served = served.clone();
        std::thread::spawn(move || {
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(60) {
                if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                    let _ = s.write_all(b"GET / HTTP/1.0\r\n\r\n");
                    let mut body = String::new();
                    let _ = s.read_to_string(&mut body);
                    if body.ends_with("hello") {
                        served.fetch_add(1, Ordering::Relaxed);
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };

    // The attacks.
    let ok = |o: std::process::Output, what: &str| {
        assert!(
            o.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    ok(
        exec(&target, None, &["sh", "-c", "id >/dev/null"]),
        "docker exec sh",
    );
    ok(
        exec(&target, None, &["touch", "/etc/strata-planted"]),
        "write below /etc",
    );
    ok(
        exec(&target, None, &["cat", "/etc/shadow"]),
        "read /etc/shadow",
    );
    ok(
        exec(&target, None, &["cp", "/usr/bin/true", "/tmp/dropped"]),
        "drop a binary",
    );
    ok(
        exec(&target, None, &["chmod", "+x", "/tmp/dropped"]),
        "chmod +x",
    );
    ok(
        exec(&target, None, &["/tmp/dropped"]),
        "run the dropped binary",
    );
    // A reverse shell's redirection: bash connects to a listener and puts the socket on stdout.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let rport = listener.local_addr().unwrap().port();
    let accept = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut got = String::new();
        let _ = s.read_to_string(&mut got);
        got
    });
    ok(
        exec(
            &target,
            None,
            &[
                "bash",
                "-c",
                &format!("exec 1>/dev/tcp/127.0.0.1/{rport}; echo pwned"),
            ],
        ),
        "reverse shell redirection",
    );
    assert_eq!(accept.join().unwrap().trim(), "pwned");
    // `docker exec -it ... sh`: a shell with a terminal (script(1) gives docker one).
    ok(
        exec_with_terminal(&target, "sleep 0.3; true"),
        "docker exec -it sh",
    );
    // A packet socket (sniffing, ARP spoofing): Docker grants CAP_NET_RAW by default.
    ok(
        exec(
            &target,
            None,
            &[
                "perl",
                "-e",
                "socket(my $s, 17, 3, 0x300) or die \"socket: $!\"",
            ],
        ),
        "packet socket",
    );
    // unshare and mount are refused without CAP_SYS_ADMIN; the attempts are what counts.
    let _ = exec(&target, None, &["unshare", "-m", "true"]);
    let _ = exec(&target, None, &["mount", "-t", "tmpfs", "none", "/mnt"]);
    // A setuid-root program run by an unprivileged user switches to root.
    ok(
        exec(
            &target,
            None,
            &["cp", "/usr/bin/setpriv", "/usr/local/bin/sp"],
        ),
        "copy setpriv",
    );
    ok(
        exec(&target, None, &["chmod", "4755", "/usr/local/bin/sp"]),
        "setuid bit",
    );
    ok(
        exec(
            &target,
            Some("1000:1000"),
            &[
                "/usr/local/bin/sp",
                "--reuid=0",
                "--regid=0",
                "--clear-groups",
                "true",
            ],
        ),
        "setuid-root program as uid 1000",
    );
    // A host process reading /etc/shadow is reported as the host's.
    ok(
        Command::new("cat")
            .arg("/etc/shadow")
            .stdout(Stdio::null())
            .output()
            .unwrap(),
        "host cat /etc/shadow",
    );

    load.join().unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let (alerts, stderr) = sensor.stop();
    let short = |c: &Container| c.id.chars().take(12).collect::<String>();
    let (tid, wid) = (short(&target), short(&web));
    let dump = || dump_alerts(&alerts);

    let expect = |rule: &str, check: &dyn Fn(&Value) -> bool, what: &str| {
        let found = alerts_for(&alerts, rule, &tid);
        assert!(
            found.iter().any(|a| check(a)),
            "expected {rule:?} for {what} in container {tid}; alerts:\n{}\nstderr:\n{stderr}",
            dump()
        );
        for a in &found {
            // Container context: name and image, not just the id.
            assert_eq!(
                field(a, "container.image.repository"),
                "strata-test/minbase",
                "{rule}: {a}"
            );
            assert_eq!(
                field(a, "container.name"),
                target.name.as_str(),
                "{rule}: {a}"
            );
        }
    };
    let cmd_has = |needle: &'static str| {
        move |a: &Value| {
            field(a, "proc.cmdline")
                .as_str()
                .is_some_and(|c| c.contains(needle))
        }
    };
    expect(
        "Shell spawned in container",
        &cmd_has("id >/dev/null"),
        "docker exec sh -c",
    );
    expect(
        "Docker exec into container",
        &|a| field(a, "evt.arg.command") == "touch /etc/strata-planted",
        "docker exec touch",
    );
    expect(
        "Write below system directory in container",
        &|a| field(a, "fd.name") == "/etc/strata-planted",
        "touch /etc/strata-planted",
    );
    expect(
        "Sensitive file read",
        &|a| field(a, "fd.name") == "/etc/shadow",
        "cat /etc/shadow",
    );
    expect(
        "Executable not in the image run in container",
        &|a| field(a, "proc.exepath") == "/tmp/dropped",
        "running /tmp/dropped",
    );
    expect(
        "Reverse shell (socket duplicated onto standard input or output)",
        &|a| {
            field(a, "fd.name")
                .as_str()
                .is_some_and(|n| n.ends_with(&format!("127.0.0.1:{rport}")))
        },
        "bash /dev/tcp redirection",
    );
    expect(
        "Interactive shell in container",
        &|a| {
            field(a, "proc.cmdline")
                .as_str()
                .is_some_and(|c| c.contains("sleep 0.3"))
        },
        "docker exec -it sh",
    );
    expect(
        "Packet socket opened in container",
        &|a| field(a, "proc.name") == "perl",
        "perl socket(AF_PACKET, SOCK_RAW)",
    );
    expect(
        "Namespace or mount change in container",
        &|a| {
            field(a, "proc.cmdline")
                .as_str()
                .is_some_and(|c| c.starts_with("unshare"))
        },
        "unshare -m",
    );
    expect(
        "Namespace or mount change in container",
        &|a| {
            field(a, "proc.cmdline")
                .as_str()
                .is_some_and(|c| c.starts_with("mount"))
        },
        "mount -t tmpfs",
    );
    expect(
        "Setuid to root by non-root process",
        &|a| field(a, "user.uid") == 1000,
        "setpriv --reuid=0 as uid 1000",
    );
    expect(
        "Setuid-root program run by non-root user in container",
        &|a| field(a, "evt.arg.ruid") == "1000",
        "a setuid-root program",
    );
    assert!(
        alerts
            .iter()
            .any(|a| a["rule"] == "Sensitive file read" && field(a, "container.id") == "host"),
        "the host's read of /etc/shadow must be reported as the host's; alerts:\n{}",
        dump()
    );

    // The benign workload, health checks included, raised nothing but the test's probe
    // rule, which shows that its events were seen, in its container, with its name and
    // image; and it was really serving.
    let (probe, benign): (Vec<&Value>, Vec<&Value>) = alerts
        .iter()
        .filter(|a| field(a, "container.id") == wid.as_str())
        .partition(|a| a["rule"] == "Test probe web server page read");
    assert!(
        benign.is_empty(),
        "the web server raised alerts: {benign:#?}"
    );
    // Identical opens of one thread fold into one record a second (--fold-window 1s).
    assert!(
        probe.len() >= 20,
        "the sensor saw the web server read its page only {} times",
        probe.len()
    );
    for a in &probe {
        assert_eq!(field(a, "container.name"), web.name.as_str(), "{a}");
        assert_eq!(
            field(a, "container.image.repository"),
            "strata-test/minbase",
            "{a}"
        );
    }
    let health = docker(&["inspect", "--format", "{{.State.Health.Status}}", &web.id]);
    assert_eq!(
        String::from_utf8_lossy(&health.stdout).trim(),
        "healthy",
        "the web container's health check did not run"
    );
    assert!(
        served.load(Ordering::Relaxed) >= 100,
        "the web server answered only {} requests",
        served.load(Ordering::Relaxed)
    );
    assert!(
        stderr.contains(" events, "),
        "no summary on stderr: {stderr}"
    );
    // Kernel losses are not asserted: other tests of this binary load the machine at the
    // same time; scripts/bench-monitor.sh measures the sustained rate without losses.
}

/// The fallback source for machines without eBPF: process life cycles from the netlink
/// process connector, enriched from `/proc` and the Docker Engine. Its facts are read from
/// `/proc` after the kernel's notice, so a program that execs again within microseconds
/// (setpriv ... true) is seen as what it became; the setuid program here stays.
#[test]
fn proc_connector_source_sees_shells_and_setuid_programs_in_containers() {
    let Some(img) = minbase_when(root_prerequisite()) else {
        return;
    };
    let tag = std::process::id();
    // A rule on the Kubernetes fields, which come from the labels the kubelet's runtime
    // puts on a pod's containers (the pod's own labels are on its sandbox container).
    let rules_dir = tempfile::tempdir().unwrap();
    let k8s_rule = rules_dir.path().join("k8s.yaml");
    std::fs::write(
        &k8s_rule,
        "- rule: Shell in a payments pod\n  desc: test\n  condition: evt.type in (execve, execveat) and proc.name in (sh, bash) and k8s.ns.name=payments\n  output: shell in pod (pod=%k8s.pod.name ns=%k8s.ns.name uid=%k8s.pod.uid app=%k8s.pod.label[app] container_id=%container.id)\n  priority: NOTICE\n",
    )
    .unwrap();
    let sensor = Sensor::start(
        "proc",
        &[
            "--rules",
            k8s_rule.to_str().unwrap(),
            "--metrics",
            "127.0.0.1:0",
        ],
    );
    let target = run_container(
        &format!("strata-mon-proc-{tag}"),
        &img.reference,
        &[],
        &["sleep", "600"],
    );
    // Its own network namespace (the default bridge), in a pod.
    let bridged = |name: String, labels: &[String]| {
        let _ = docker(&["rm", "-f", &name]);
        let mut args = vec![
            "run".to_owned(),
            "-d".to_owned(),
            "--name".to_owned(),
            name.clone(),
        ];
        for l in labels {
            args.push("--label".to_owned());
            args.push(l.clone());
        }
        args.extend([img.reference.clone(), "sleep".to_owned(), "600".to_owned()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = docker(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Container {
            name,
            id: String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        }
    };
    let pod_labels = |kind: &str| {
        vec![
            "io.kubernetes.pod.name=checkout-7d4b9".to_owned(),
            "io.kubernetes.pod.namespace=payments".to_owned(),
            "io.kubernetes.pod.uid=5f0c8e4e-4b1a-4d47-9d0e-2f6c3c1b7a10".to_owned(),
            format!("io.kubernetes.docker.type={kind}"),
        ]
    };
    let mut sandbox_labels = pod_labels("podsandbox");
    sandbox_labels.push("app=checkout".to_owned());
    let sandbox = bridged(format!("strata-mon-sandbox-{tag}"), &sandbox_labels);
    let mut app_labels = pod_labels("container");
    app_labels.push(format!("io.kubernetes.sandbox.id={}", sandbox.id));
    let net = bridged(format!("strata-mon-net-{tag}"), &app_labels);
    std::thread::sleep(Duration::from_secs(2));
    let ok = |o: std::process::Output, what: &str| {
        assert!(
            o.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    ok(
        exec(&target, None, &["sh", "-c", "id >/dev/null"]),
        "docker exec sh",
    );
    ok(
        exec(
            &target,
            None,
            &["cp", "/usr/bin/sleep", "/usr/local/bin/ss"],
        ),
        "copy setpriv",
    );
    ok(
        exec(&target, None, &["chmod", "4755", "/usr/local/bin/ss"]),
        "setuid bit",
    );
    ok(
        exec(&target, Some("1000:1000"), &["/usr/local/bin/ss", "2"]),
        "setuid-root program as uid 1000",
    );
    // File events come from fanotify beside the process connector. The processes live a
    // moment after the access: facts about a process are read from /proc after the
    // kernel's notice (see docs/monitor.md).
    ok(
        exec(&target, None, &["sh", "-c", "exec 3</etc/shadow; sleep 1"]),
        "read /etc/shadow",
    );
    ok(
        exec(
            &target,
            None,
            &["sh", "-c", "echo x >/etc/strata-proc-marker; sleep 1"],
        ),
        "write below /etc",
    );
    // Sockets come from sock_diag dumps of the container's network namespace, every 200 ms:
    // a connection held open for a second to a listener on the host's bridge address (an
    // unusual port), and one to the metadata address, held open by a listener that the
    // test puts on that address inside the container's own network namespace (no packet
    // leaves this machine). A connection that opens and closes between two dumps is not
    // seen.
    let inspect = |c: &Container, format: &str| {
        let out = docker(&["inspect", "--format", format, &c.id]);
        assert!(out.status.success(), "docker inspect {}", c.name);
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let gateway = inspect(&net, "{{.NetworkSettings.Gateway}}");
    assert!(!gateway.is_empty(), "no gateway for the bridged container");
    let net_pid = inspect(&net, "{{.State.Pid}}");
    let added = Command::new("nsenter")
        .args([
            "-t",
            &net_pid,
            "-n",
            "ip",
            "addr",
            "add",
            "169.254.169.254/32",
            "dev",
            "lo",
        ])
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "metadata address in the container's namespace: {}",
        String::from_utf8_lossy(&added.stderr)
    );
    ok(
        docker(&[
            "exec",
            "-d",
            &net.name,
            "perl",
            "-MIO::Socket::INET",
            "-e",
            "my $s = IO::Socket::INET->new(LocalAddr => '169.254.169.254:80', Listen => 4, ReuseAddr => 1) or die $!; \
             my $c = $s->accept; sleep 3;",
        ]),
        "metadata listener",
    );
    let listener = std::net::TcpListener::bind((gateway.as_str(), 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepter = std::thread::spawn(move || {
        let held = listener.accept().map(|(c, _)| c);
        std::thread::sleep(Duration::from_secs(2));
        drop(held);
    });
    ok(
        exec(
            &net,
            None,
            &[
                "bash",
                "-c",
                &format!("exec 3<>/dev/tcp/{gateway}/{port}; sleep 1; true"),
            ],
        ),
        "connect to the host listener",
    );
    accepter.join().unwrap();
    let _ = exec(
        &net,
        None,
        &[
            "timeout",
            "2",
            "bash",
            "-c",
            "exec 3<>/dev/tcp/169.254.169.254/80; sleep 1; true",
        ],
    );
    std::thread::sleep(Duration::from_secs(1));
    // The exposition of the live sensor: each family once, the losses by part of the
    // source, the container lookups that found the test's containers.
    let metrics = sensor.scrape_metrics();
    let mut families = std::collections::HashSet::new();
    for l in metrics.lines().filter_map(|l| l.strip_prefix("# TYPE ")) {
        assert!(
            families.insert(l.to_owned()),
            "declared twice: {l}\n{metrics}"
        );
    }
    let sample = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
            .unwrap_or_else(|| panic!("no sample {name}\n{metrics}"))
    };
    assert!(sample("strata_docker_lookups_total") >= 3, "{metrics}");
    assert!(
        sample("strata_events_total{source=\"proc\"}") > 100,
        "{metrics}"
    );
    for part in [
        "proc_connector",
        "fanotify_overflow",
        "fanotify_reopen",
        "sock_diag",
    ] {
        sample(&format!(
            "strata_source_lost_total{{source=\"proc\",part=\"{part}\"}}"
        ));
    }
    let (alerts, stderr) = sensor.stop();
    assert!(
        stderr.contains("strata monitor: source proc")
            && stderr.contains("fanotify")
            && stderr.contains("sock_diag"),
        "{stderr}"
    );
    let tid: String = target.id.chars().take(12).collect();
    let dump = || dump_alerts(&alerts);
    for rule in [
        "Shell spawned in container",
        "Setuid-root program run by non-root user in container",
        "Executable not in the image run in container",
        "Docker exec into container",
        "Sensitive file read",
        "Write below system directory in container",
    ] {
        let found = alerts_for(&alerts, rule, &tid);
        assert!(
            !found.is_empty(),
            "expected {rule:?} in {tid}; alerts:\n{}\n{stderr}",
            dump()
        );
        for a in found {
            assert_eq!(
                field(a, "container.image.repository"),
                "strata-test/minbase",
                "{rule}: {a}"
            );
        }
    }
    let net_id: String = net.id.chars().take(12).collect();
    for rule in [
        "Outbound connection to unusual port from container",
        "Connection to cloud metadata service from container",
        "Shell in a payments pod",
    ] {
        assert!(
            !alerts_for(&alerts, rule, &net_id).is_empty(),
            "expected {rule:?} in {net_id}; alerts:\n{}\n{stderr}",
            dump()
        );
    }
    let pod = alerts_for(&alerts, "Shell in a payments pod", &net_id);
    for a in &pod {
        assert_eq!(field(a, "k8s.pod.name"), "checkout-7d4b9", "{a}");
        assert_eq!(
            field(a, "k8s.pod.uid"),
            "5f0c8e4e-4b1a-4d47-9d0e-2f6c3c1b7a10",
            "{a}"
        );
    }
    // The pod's labels come from its sandbox once the cache knows it.
    assert!(
        pod.iter()
            .any(|a| field(a, "k8s.pod.label[app]") == "checkout"),
        "{pod:#?}"
    );
    assert!(
        alerts_for(&alerts, "Shell in a payments pod", &tid).is_empty(),
        "a container outside the pod"
    );
    // The connection is the shell's: its process was found from the socket's inode.
    let text = |v: &Value| v.to_string().trim_matches('"').to_owned();
    assert!(
        alerts_for(
            &alerts,
            "Outbound connection to unusual port from container",
            &net_id
        )
        .iter()
        .any(|a| text(field(a, "fd.sport")) == port.to_string()
            && text(field(a, "proc.name")) == "bash"),
        "no unusual-port alert for bash and port {port}:\n{}",
        dump()
    );
}

#[test]
fn replay_source_counts_malformed_lines_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    std::fs::write(
        &events,
        concat!(
            "{\"ts\":1796325012000000000,\"type\":\"openat\",\"res\":3,\"args\":[{\"name\":\"flags\",\"value\":\"O_RDONLY\"}],\"proc\":{\"pid\":7,\"name\":\"cat\"},\"fd\":{\"num\":3,\"type\":\"file\",\"name\":\"/etc/shadow\"},\"container\":{\"id\":\"3ad7b26ded6d\",\"image\":\"nginx:1.25\",\"image_repository\":\"nginx\"}}\n",
            "not json\n",
            "{\"ts\":1,\"type\":\"openat\",\"unknown\":1}\n",
            "\n",
            "{\"ts\":1796325012000000001,\"type\":\"execve\",\"proc\":{\"pid\":8,\"vpid\":9,\"name\":\"sh\",\"ancestors\":[{\"pid\":1,\"name\":\"containerd-shim\"}]},\"container\":{\"id\":\"3ad7b26ded6d\",\"image_repository\":\"nginx\"}}\n",
        ),
    )
    .unwrap();
    let run = strata(&[
        "monitor",
        "--source",
        &format!("replay:{}", events.display()),
        "--sink",
        "stdout:json",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let rules: Vec<String> = run
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["rule"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        rules,
        ["Sensitive file read", "Shell spawned in container"],
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("line 2"), "{}", run.stderr);
    assert!(run.stderr.contains("line 3"), "{}", run.stderr);
    assert!(
        run.stderr.contains("2 events, 2 alerts, 2 malformed"),
        "{}",
        run.stderr
    );

    // --scope keeps only what it admits; text output is Falco's line.
    let run = strata(&[
        "monitor",
        "--source",
        &format!("replay:{}", events.display()),
        "--sink",
        "stdout:text",
        "--scope",
        "host",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, "", "nothing on the host in this file");
    assert!(run.stderr.contains("2 out of scope"), "{}", run.stderr);
}

/// Alert shaping end to end: 50 reads of /etc/shadow by 50 processes, 10 ms apart.
#[test]
fn rate_limit_and_dedup_shape_the_alert_stream() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    let mut text = String::new();
    for i in 0..50u64 {
        text.push_str(&format!(
            "{{\"ts\":{},\"type\":\"openat\",\"res\":3,\"args\":[{{\"name\":\"flags\",\"value\":\"O_RDONLY\"}}],\"proc\":{{\"pid\":{},\"name\":\"cat\"}},\"fd\":{{\"num\":3,\"type\":\"file\",\"name\":\"/etc/shadow\"}},\"container\":{{\"id\":\"3ad7b26ded6d\",\"image_repository\":\"nginx\"}}}}\n",
            1_796_325_012_000_000_000 + i * 10_000_000,
            100 + i
        ));
    }
    std::fs::write(&events, text).unwrap();
    let alerts = |extra: &[&str]| -> Vec<Value> {
        let source = format!("replay:{}", events.display());
        let mut args = vec!["monitor", "--source", &source, "--sink", "stdout:json"];
        args.extend_from_slice(extra);
        let run = strata(&args);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        run.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    assert_eq!(alerts(&[]).len(), 50);
    // 5 a second: the replay takes milliseconds, so five pass and 45 are held back.
    assert_eq!(alerts(&["--rate-limit", "5/s"]).len(), 5);
    // Identical alerts within 10 s: the first at once, then one carrying the other 49.
    let folded = alerts(&["--dedup-window", "10s"]);
    assert_eq!(folded.len(), 2, "{folded:#?}");
    assert_eq!(
        field(&folded[1], "strata.repeat_count"),
        49,
        "{:#}",
        folded[1]
    );
    assert_eq!(
        field(&folded[1], "strata.repeat_first_time"),
        "2026-12-03T19:10:12.010000000Z"
    );
}

#[test]
fn bad_monitor_arguments_exit_2_and_say_what_is_wrong() {
    let cases: &[(&[&str], &str)] = &[
        (&["--source", "nonsense"], "invalid --source"),
        (&["--scope", "label:"], "invalid --scope"),
        (&["--sink", "ftp://x"], "sink"),
        (&["--rate-limit", "lots"], "invalid --rate-limit"),
        (&["--duration", "forever"], "invalid --duration"),
        (&["--ring-buffer-size", "3M"], "invalid --ring-buffer-size"),
        (
            &["--source", "replay:/nonexistent/events.jsonl"],
            "/nonexistent/events.jsonl",
        ),
    ];
    for (args, want) in cases {
        let mut full = vec!["monitor"];
        full.extend_from_slice(args);
        let run = strata(&full);
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(want), "{args:?}: {}", run.stderr);
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "- rule: x\n  condition: evt.type = (\n").unwrap();
    let run = strata(&[
        "monitor",
        "--source",
        "replay:/dev/null",
        "--rules",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("bad.yaml:"), "{}", run.stderr);
}

/// Falco's own stable `falco_rules.yaml`, alone (no built-in rules), on the live eBPF
/// stream: each action in a real container must raise Falco's rule for it, with the fields
/// Falco's conditions read (fd.name and fd.directory, evt.arg.domain, evt.rawres and
/// fd.type of a dup2, proc.is_exe_upper_layer, evt.arg.target of a symlink, proc.args).
#[test]
fn falco_stable_rules_fire_on_live_container_events() {
    let Some(img) = minbase_when(live_prerequisites()) else {
        return;
    };
    let Some(data) = strata_testkit::require(strata_testkit::find_data_dir()) else {
        return;
    };
    let falco = data.join("falco/rules-falco-rules-5.1.0/falco_rules.yaml");
    let tag = std::process::id();
    let sensor = Sensor::start(
        "ebpf",
        &["--no-builtin-rules", "--rules", falco.to_str().unwrap()],
    );
    let c = run_container(
        &format!("strata-mon-falco-{tag}"),
        &img.reference,
        &[],
        &["sleep", "600"],
    );
    std::thread::sleep(Duration::from_secs(1));
    let sh = |script: &str| {
        let o = exec(&c, None, &["bash", "-c", script]);
        assert!(
            o.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accept = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut got = String::new();
        let _ = s.read_to_string(&mut got);
        got
    });
    // Other tests of this binary run the same attacks at the same time: every command
    // here carries the test's tag, and only alerts with it count.
    sh(&format!(
        "cat /etc/shadow /etc/strata-{tag} >/dev/null 2>&1; true"
    ));
    let tty = exec_with_terminal(&c, &format!("sleep 0.3; true strata-{tag}"));
    assert!(tty.status.success(), "docker exec -it: {tty:?}");
    sh(&format!(
        "perl -e 'socket(my $s, 17, 3, 0x300) or die \"socket: $!\"; # strata-{tag}'"
    ));
    sh(&format!("exec 1>/dev/tcp/127.0.0.1/{port}; echo pwned"));
    assert_eq!(accept.join().unwrap().trim(), "pwned");
    sh(&format!(
        "cp /usr/bin/true /tmp/dropped-{tag} && chmod +x /tmp/dropped-{tag} && /tmp/dropped-{tag}"
    ));
    sh(&format!("ln -s /etc/shadow /tmp/shadow-link-{tag}"));
    sh(&format!(
        "find / -xdev -name id_rsa -o -name strata-{tag} >/dev/null 2>&1; true"
    ));
    sh(&format!(
        "grep -rs aws_secret_access_key /root/strata-{tag} >/dev/null; true"
    ));
    std::thread::sleep(Duration::from_secs(1));
    let (alerts, stderr) = sensor.stop();
    let dump = || dump_alerts(&alerts);
    let tagged = move |name: &'static str| {
        move |a: &Value| {
            field(a, name)
                .as_str()
                .is_some_and(|v| v.contains(&format!("-{tag}")))
        }
    };
    let to_listener = move |a: &Value| {
        field(a, "fd.name")
            .as_str()
            .is_some_and(|n| n.ends_with(&format!("127.0.0.1:{port}")))
    };
    type Check = Box<dyn Fn(&Value) -> bool>;
    let checks: [(&str, Check); 8] = [
        (
            "Read sensitive file untrusted",
            Box::new(tagged("proc.cmdline")),
        ),
        (
            "Terminal shell in container",
            Box::new(tagged("proc.cmdline")),
        ),
        (
            "Packet socket created in container",
            Box::new(tagged("proc.cmdline")),
        ),
        (
            "Redirect STDOUT/STDIN to Network Connection in Container",
            Box::new(to_listener),
        ),
        (
            "Drop and execute new binary in container",
            Box::new(tagged("proc.exepath")),
        ),
        (
            "Create Symlink Over Sensitive Files",
            Box::new(tagged("evt.arg.linkpath")),
        ),
        (
            "Search Private Keys or Passwords",
            Box::new(tagged("proc.cmdline")),
        ),
        ("Find AWS Credentials", Box::new(tagged("proc.cmdline"))),
    ];
    for (rule, check) in checks {
        assert!(
            alerts.iter().any(|a| a["rule"] == rule && check(a)),
            "Falco's rule {rule:?} did not fire for container {}; alerts:\n{}\nstderr:\n{stderr}",
            c.name,
            dump()
        );
    }
}

/// A Docker endpoint in front of the real daemon that answers everything but container
/// inspections, which it holds open without a word until the test ends: a daemon that
/// hangs. (The one fault here that a real daemon cannot be made to show on demand.)
fn hanging_inspections(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::net::{UnixListener, UnixStream};
    let path = dir.join("docker.sock");
    let listener = UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut client) = conn else { break };
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match client.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                    if head.len() > 1 << 16 {
                        return;
                    }
                }
                let line = String::from_utf8_lossy(&head)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                let target = line.split(' ').nth(1).unwrap_or_default();
                if target.contains("/containers/") && !target.contains("/containers/json") {
                    std::thread::sleep(Duration::from_secs(600));
                    return;
                }
                let Ok(mut daemon) = UnixStream::connect("/var/run/docker.sock") else {
                    return;
                };
                if daemon.write_all(&head).is_err() {
                    return;
                }
                let _ = std::io::copy(&mut daemon, &mut client);
            });
        }
    });
    path
}

/// Container lookups that time out: the sensor starts, keeps its event path going (alerts
/// for a container carry its id), counts the failed lookups, and stops on SIGTERM.
#[test]
fn monitor_keeps_watching_when_container_lookups_hang() {
    let Some(img) = minbase_when(live_prerequisites()) else {
        return;
    };
    let tag = std::process::id();
    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("unix://{}", hanging_inspections(dir.path()).display());
    let started = Instant::now();
    // eBPF: the kernel's cgroup id places every event in its container, with or without
    // the daemon, even for a process gone before /proc could be read.
    let sensor = Sensor::start(
        "ebpf",
        &["--docker-host", &endpoint, "--metrics", "127.0.0.1:0"],
    );
    // Other tests' containers may be running: their inspections hang too, but the start
    // waits for them a few seconds at most.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the sensor took {:?} to start",
        started.elapsed()
    );
    let c = run_container(
        &format!("strata-mon-hang-{tag}"),
        &img.reference,
        &[],
        &["sleep", "600"],
    );
    std::thread::sleep(Duration::from_secs(1));
    let o = exec(
        &c,
        None,
        &[
            "perl",
            "-e",
            "open(my $f, '<', '/etc/shadow') or die $!; sleep 1",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The lookup of the new container times out (2 s) and is counted.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let metrics = sensor.scrape_metrics();
        let failures = metrics
            .lines()
            .find_map(|l| l.strip_prefix("strata_docker_lookup_failures_total "))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0);
        if failures >= 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no failed lookup counted:\n{metrics}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let stopping = Instant::now();
    let (alerts, stderr) = sensor.stop();
    assert!(stopping.elapsed() < Duration::from_secs(10), "{stderr}");
    let short: String = c.id.chars().take(12).collect();
    let read = alerts_for(&alerts, "Sensitive file read", &short);
    assert!(
        !read.is_empty(),
        "no alert for the container while its lookups hang: {alerts:#?}\n{stderr}"
    );
    // Its id, from the cgroup; nothing the daemon would have said.
    for a in read {
        assert_eq!(field(a, "container.image.repository"), &Value::Null, "{a}");
    }
}
