//! Falco-compatible runtime detection rules.
//!
//! Load Falco rule files with [`load_files`] (or a [`Loader`]), evaluate [`Event`]s with
//! [`RuleSet::matching`] / [`RuleSet::evaluate`], replay JSONL event files with
//! [`replay::replay`]. Fuzz entry points: [`fuzz_rules_condition`], [`fuzz_rules_yaml`],
//! [`fuzz_rules_events`].
pub mod cli;
pub mod condition;
pub mod engine;
pub mod event;
pub mod evttypes;
pub mod fields;
pub mod filter;
pub mod k8saudit;
pub mod loader;
pub mod output;
pub mod replay;
pub mod time;
pub use strata_yaml as yaml;

pub use engine::{Alert, CompiledRule, RuleSet, Selector};
pub use event::Event;
pub use loader::{Code, Diagnostic, LoadResult, Loader, Priority, Severity, load_files, load_strs};

/// Fuzz target: the condition parser and compiler must never panic.
pub fn fuzz_rules_condition(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(expr) = condition::parse(s) {
        let lists = |_: &str| None;
        let mut interner = filter::Interner::default();
        let mut cx = filter::CompileCtx::new(fields::Source::Syscall, &lists, &mut interner);
        if let Ok(f) = filter::compile(&expr, &mut cx) {
            let _ = filter::evttypes(&f);
            let ev = Event {
                evt_type: "openat".into(),
                ..Event::default()
            };
            let mut s = filter::Scratch::default();
            let _ = f.eval(
                &ev,
                filter::EvtInfo {
                    type_id: evttypes::id_of("openat"),
                },
                &mut s,
            );
        }
    }
}

/// Fuzz target: the YAML rules loader must never panic.
pub fn fuzz_rules_yaml(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let res = load_strs(&[("fuzz.yaml", s)]);
    for r in res.ruleset.rules() {
        let _ = r.event_types();
    }
}

/// The rules the events fuzz target evaluates.
const FUZZ_RULES: &str = "- macro: m\n  condition: evt.type in (open, openat, execve)\n\
        - rule: r\n  desc: d\n  condition: m and (proc.aname[2] glob '*sh' or fd.name pmatch (/etc) \
        or tolower(proc.cmdline) contains x or fd.sip in (10.0.0.0/8) or proc.env[HOME] exists \
        or proc.duration > 5 or container.duration < 0 or proc.exe_ino.ctime_duration_proc_start > 1)\n  \
        output: '%evt.time %proc.cmdline %fd.name %b64(evt.buffer) %container.mount.dest[/]'\n  priority: INFO\n\
        - rule: k\n  desc: d\n  condition: ka.verb in (create, get) and (ka.req.pod.containers.image.repository in (a, b) \
        or jevt.value[/a/0/b] exists or ka.uri.param[x] = y or ka.user.groups intersects (g))\n  \
        output: '%ka.user.name %ka.req.pod.containers.image %jevt.obj'\n  priority: INFO\n  source: k8s_audit\n";

/// Fuzz target: the JSONL event reader (and evaluation against a small rule set) must never
/// panic.
pub fn fuzz_rules_events(data: &[u8]) {
    static RULES: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
    let rules = RULES.get_or_init(|| load_strs(&[("fuzz.yaml", FUZZ_RULES)]).ruleset);
    let mut out = Vec::new();
    let _ = replay::replay(rules, data, &mut out, replay::AlertFormat::Json);
}

#[cfg(test)]
mod fuzz_tests {
    use strata_testkit::rng::XorShift as Rng;

    const TOKENS: &[&str] = &[
        "(",
        ")",
        " and ",
        " or ",
        "not ",
        "proc.name",
        "=",
        "!=",
        " in ",
        "(a, b)",
        "'q'",
        "\"x\\\"y\"",
        "fd.name",
        " pmatch ",
        " glob ",
        " regex ",
        "'[a-'",
        "evt.type",
        "open",
        "proc.aname[2]",
        "tolower(",
        "val(",
        "evt.arg.flags",
        " contains ",
        " exists",
        "fd.sip",
        "10.0.0.0/8",
        "len(",
        "b64(",
        "fd.num",
        "<",
        ">=",
        "-1",
        "m",
        ",",
        "[",
        "]",
        "%",
        "\n",
        "- rule: ",
        "- macro: ",
        "- list: ",
        "  condition: ",
        "  items: [",
        "  append: true\n",
        "  override:\n    condition: append\n",
        "  output: %proc.name\n",
        "  priority: INFO\n",
        "  desc: d\n",
        "  exceptions:\n    - name: e\n      fields: [proc.name]\n      values: [[a]]\n",
        "{",
        "}",
        "\"type\":",
        "\"ts\":",
        "\"proc\":",
        "\"fd\":",
        "1",
        "\"openat\"",
        "null",
        ":",
    ];

    fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
        let mut v = seed.to_vec();
        for _ in 0..1 + rng.below(8) {
            match rng.below(4) {
                0 if !v.is_empty() => {
                    let i = rng.below(v.len());
                    v[i] = rng.next_u64() as u8;
                }
                1 if !v.is_empty() => {
                    let i = rng.below(v.len());
                    let j = (i + rng.below(16)).min(v.len());
                    v.drain(i..j);
                }
                _ => {
                    let i = rng.below(v.len() + 1);
                    let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                    v.splice(i..i, t.iter().copied());
                }
            }
        }
        v
    }

    fn run(seeds: &[&str], f: fn(&[u8]), n: usize, seed: u64) {
        // STRATA_FUZZ_ITERS raises the count for a longer local campaign.
        let n = std::env::var("STRATA_FUZZ_ITERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(n);
        let mut rng = Rng(seed);
        for s in seeds {
            f(s.as_bytes());
        }
        for _ in 0..n {
            let s = seeds[rng.below(seeds.len())];
            let input = mutate(&mut rng, s.as_bytes());
            f(&input);
        }
    }

    #[test]
    fn fuzz_rules_load() {
        let res = super::load_strs(&[("fuzz.yaml", super::FUZZ_RULES)]);
        assert!(res.ok(), "{:?}", res.diagnostics);
        assert_eq!(res.ruleset.rules().len(), 2);
    }

    #[test]
    fn fuzz_rules_condition_never_panics() {
        run(
            &[
                "evt.type in (open, openat) and proc.name = cat",
                "not (fd.name pmatch (/etc, /usr) or proc.aname[2] glob '*sh')",
                "tolower(proc.cmdline) contains val(proc.name) and fd.sip in (10.0.0.0/8)",
                "proc.name regex '[a-z]+' and len(proc.args) > 3 and evt.arg[0] exists",
            ],
            super::fuzz_rules_condition,
            3000,
            0x9e37_79b9_7f4a_7c15,
        );
    }

    #[test]
    fn fuzz_rules_yaml_never_panics() {
        run(
            &[
                "- list: l\n  items: [a, \"b c\"]\n- macro: m\n  condition: proc.name in (l)\n- rule: r\n  desc: d\n  condition: evt.type=open and m\n  output: x %proc.name\n  priority: WARNING\n",
                "- rule: r\n  append: true\n  condition: and fd.name=/tmp\n",
                "- required_engine_version: 0.57.0\n- required_plugin_versions:\n  - name: container\n    version: 0.4.0\n",
                "---\n- rule: r\n  override:\n    enabled: replace\n  enabled: false\n",
            ],
            super::fuzz_rules_yaml,
            3000,
            0x1234_5678_9abc_def1,
        );
    }

    #[test]
    fn fuzz_rules_events_never_panics() {
        run(
            &[
                "{\"ts\":1,\"type\":\"openat\",\"proc\":{\"name\":\"cat\",\"args\":[\"a\"],\"ancestors\":[{\"name\":\"bash\"},{\"name\":\"zsh\"}]},\"fd\":{\"type\":\"file\",\"name\":\"/etc/passwd\"}}\n",
                "{\"ts\":2,\"type\":\"connect\",\"fd\":{\"type\":\"ipv4\",\"sip\":\"10.1.2.3\",\"sport\":443}}\n{\"ts\":3,\"type\":\"execve\",\"args\":[{\"name\":\"data\",\"value\":\"aGk=\"}]}\n",
                "{\"ts\":4,\"type\":\"open\",\"container\":{\"id\":\"x\",\"mounts\":[{\"source\":\"/\",\"dest\":\"/host\"}]},\"proc\":{\"env\":[\"HOME=/root\"]}}\n",
                "{\"ts\":5,\"type\":\"k8s_audit\",\"audit\":{\"verb\":\"create\",\"requestURI\":\"/x?x=y\",\"user\":{\"username\":\"u\",\"groups\":[\"g\"]},\"requestObject\":{\"spec\":{\"containers\":[{\"image\":\"a:1@sha256:00\"},{\"image\":\"reg:5000/b\"}]}},\"a\":[{\"b\":1}]}}\n",
            ],
            super::fuzz_rules_events,
            3000,
            0x0bad_cafe_dead_beef,
        );
    }
}
