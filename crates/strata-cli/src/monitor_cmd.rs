//! `strata monitor`: argument parsing and wiring only; the sensor is `strata_sensor`, the
//! sinks `strata_sinks`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use strata_rules::cli::render_diagnostic;
use strata_sensor::live::{LiveOptions, LiveSource, LiveStart, run_live};
use strata_sensor::monitor::{Monitor, load_rules, render_metrics, run_replay};
use strata_sensor::scope::Scope;
use strata_sinks::{
    Deduper, Dispatcher, DispatcherOptions, Metrics, MetricsServer, RateLimit, RateLimiter,
    parse_sink_spec,
};

/// Watch running containers and alert on suspicious behaviour.
#[derive(Debug, clap::Args)]
pub struct MonitorArgs {
    /// Event source: `auto` (eBPF if it loads, else the process connector), `ebpf` (kernel
    /// tracepoints; needs root and a build with `--features ebpf`), `proc` (without eBPF:
    /// the netlink process connector for process starts, exits, uid/gid changes and ptrace,
    /// fanotify for file opens and writes, sock_diag for connections and listeners; needs
    /// root), or `replay:FILE` (strata's JSONL events, docs/events-jsonl.md).
    #[arg(
        long,
        default_value = "auto",
        env = "STRATA_SOURCE",
        value_name = "SOURCE"
    )]
    pub source: String,
    /// More rule files (Falco syntax), loaded after the built-in rules in order.
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Do not load the built-in rules.
    #[arg(long)]
    pub no_builtin_rules: bool,
    /// Where alerts go (repeatable): stdout, stdout:json, stdout:text,
    /// file:PATH[,max_size=100M][,keep=5], webhook:URL[,spool=DIR][,timeout=5s],
    /// syslog:udp://HOST:PORT, syslog:tcp://HOST:PORT, syslog:unix:///dev/log.
    #[arg(long = "sink", value_name = "SPEC", default_value = "stdout:json")]
    pub sinks: Vec<String>,
    /// Watch only what a selector admits (repeatable, any may match): label:KEY[=VALUE],
    /// image:GLOB, name:GLOB, privileged, container, host. Default: everything.
    #[arg(long = "scope", value_name = "SELECTOR")]
    pub scope: Vec<String>,
    /// At most this many alerts per rule (`10/s`, `600/m,burst=50`).
    #[arg(long, value_name = "RATE")]
    pub rate_limit: Option<String>,
    /// Collapse identical alerts within this window into one with a count (`10s`).
    #[arg(long, value_name = "DURATION")]
    pub dedup_window: Option<String>,
    /// Serve Prometheus metrics on this address (`127.0.0.1:9376`) at /metrics.
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<SocketAddr>,
    /// Stop after this long (`30s`, `5m`); default: until SIGINT or SIGTERM.
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,
    /// Docker Engine endpoint for container metadata (default: DOCKER_HOST, then
    /// unix:///var/run/docker.sock).
    #[arg(long, value_name = "URL")]
    pub docker_host: Option<String>,
    /// Do not ask a Docker daemon for container metadata.
    #[arg(long)]
    pub no_docker: bool,
    /// Size of the eBPF ring buffer (`8M`; a power of two). Larger absorbs longer bursts;
    /// it is mapped twice, so it counts twice in the sensor's resident memory.
    #[arg(long, value_name = "SIZE", default_value = "8M")]
    pub ring_buffer_size: String,
    /// eBPF: an open that repeats its thread's last open exactly (same program,
    /// credentials, namespace, absolute path, flags, success) within this window is counted
    /// in the kernel (strata_kernel_folded_total), not sent; `0` sends every open.
    #[arg(long, value_name = "DURATION", default_value = "1s")]
    pub fold_window: String,
    #[command(flatten)]
    pub selection: crate::rules_cmd::RuleSelection,
}

fn duration(flag: &str, v: Option<&String>) -> anyhow::Result<Option<Duration>> {
    v.map(|s| {
        strata_sinks::spec::parse_duration(s)
            .map_err(|e| anyhow::anyhow!("invalid {flag} {s:?}: {e}"))
    })
    .transpose()
}

/// Runs `strata monitor`. Exit 0 after a clean stop, 2 on bad arguments or a source that
/// cannot start.
pub fn run(args: MonitorArgs) -> anyhow::Result<ExitCode> {
    let scope = Scope::parse(&args.scope)?;
    let run_for = duration("--duration", args.duration.as_ref())?;
    let fold_window = if args.fold_window == "0" {
        Duration::ZERO
    } else {
        duration("--fold-window", Some(&args.fold_window))?.unwrap_or_default()
    };
    let ring_bytes = strata_sinks::spec::parse_size(&args.ring_buffer_size)
        .ok()
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| n.is_power_of_two() && *n >= 4096)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "invalid --ring-buffer-size {:?}: expected a power of two of at least 4K (8M, 16M)",
                args.ring_buffer_size
            )
        })?;
    let dedup = duration("--dedup-window", args.dedup_window.as_ref())?;
    let limiter = args
        .rate_limit
        .as_deref()
        .map(|r| {
            r.parse::<RateLimit>()
                .map_err(|e| anyhow::anyhow!("invalid --rate-limit {r:?}: {e}"))
        })
        .transpose()?
        .map(RateLimiter::new);
    let specs = args
        .sinks
        .iter()
        .map(|s| parse_sink_spec(s))
        .collect::<Result<Vec<_>, _>>()?;

    let loaded = load_rules(&args.rules, !args.no_builtin_rules);
    let mut stderr = std::io::stderr();
    for d in &loaded.diagnostics {
        write!(stderr, "{}", render_diagnostic(d))?;
    }
    if !loaded.ok() {
        bail!("rules failed to load");
    }
    let mut rules = loaded.ruleset;
    args.selection
        .options(Vec::new(), strata_rules::replay::AlertFormat::Json)
        .select(&mut rules);
    let enabled = rules.rules().iter().filter(|r| r.enabled).count();

    let metrics = Arc::new(Metrics::new());
    let dispatcher = Dispatcher::from_specs(&specs, metrics.clone(), DispatcherOptions::default())?;
    let mut monitor = Monitor::new(
        rules,
        scope,
        limiter,
        dedup.map(|w| Deduper::new(w, 65_536)),
    );
    let source_name = args.source.split(':').next().unwrap_or_default().to_owned();
    let _server = match args.metrics {
        Some(addr) => {
            let stats = monitor.stats.clone();
            let source = source_name.clone();
            let server = MetricsServer::start(addr, metrics.clone(), move |out| {
                render_metrics(out, &stats, &source)
            })
            .with_context(|| format!("starting the metrics endpoint on {addr}"))?;
            eprintln!(
                "strata monitor: metrics on http://{}/metrics",
                server.local_addr()
            );
            Some(server)
        }
        None => None,
    };

    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, stop.clone()).context("installing signal handlers")?;
    }

    let result = if let Some(path) = args.source.strip_prefix("replay:") {
        eprintln!("strata monitor: source replay:{path}, {enabled} rules enabled");
        run_replay(std::path::Path::new(path), &mut monitor, &dispatcher, &stop)
            .map_err(anyhow::Error::from)
    } else if let Some(source) = match args.source.as_str() {
        "auto" => Some(LiveSource::Auto),
        "ebpf" => Some(LiveSource::Ebpf),
        "proc" => Some(LiveSource::Proc),
        _ => None,
    } {
        let opts = LiveOptions {
            source,
            docker_endpoint: args.docker_host.clone(),
            no_docker: args.no_docker,
            ring_buffer_bytes: Some(ring_bytes),
            fold_window,
            duration: run_for,
        };
        let auto = source == LiveSource::Auto;
        run_live(&opts, &mut monitor, &dispatcher, &stop, &mut |s: &LiveStart| {
            let what = if s.source == "ebpf" {
                format!("ebpf ({} tracepoints attached)", s.attached)
            } else {
                format!(
                    "proc (process starts, exits, uid/gid changes and ptrace from the process connector; {}; {})",
                    if s.source.contains("fanotify") {
                        "file opens and writes from fanotify"
                    } else {
                        "no file events"
                    },
                    if s.source.contains("sock_diag") {
                        "connections and listeners from sock_diag every 200 ms"
                    } else {
                        "no network events"
                    }
                )
            };
            eprintln!(
                "strata monitor: source {what}{}, {enabled} rules enabled, container metadata: {}",
                if auto { ", chosen by auto" } else { "" },
                s.containers
            );
            if let Some(r) = &s.fallback_reason {
                eprintln!("warning: eBPF is unavailable ({r}); fell back to the process connector");
            }
            for w in &s.warnings {
                eprintln!("warning: {w}");
            }
        })
        .map_err(anyhow::Error::from)
    } else {
        bail!(
            "invalid --source {:?}: expected auto, ebpf, proc or replay:FILE",
            args.source
        );
    };

    let report = dispatcher.shutdown(Duration::from_secs(5));
    let st = &monitor.stats;
    eprintln!(
        "strata monitor: {} events, {} alerts, {} malformed, {} lost in the kernel, {} out of scope, {} repeated opens folded in the kernel",
        st.events.load(Ordering::Relaxed),
        st.alerts.load(Ordering::Relaxed),
        st.malformed.load(Ordering::Relaxed),
        st.kernel_drops.load(Ordering::Relaxed),
        st.out_of_scope.load(Ordering::Relaxed),
        st.kernel_folded.load(Ordering::Relaxed),
    );
    if !report.unfinished.is_empty() {
        eprintln!(
            "warning: sinks still busy at shutdown: {}",
            report.unfinished.join(", ")
        );
    }
    result?;
    Ok(ExitCode::SUCCESS)
}
