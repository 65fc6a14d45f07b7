//! `strata replay` and `strata rules validate|list` through the library, and bad input.

use std::io::Cursor;
use std::path::PathBuf;

use strata_rules::cli::{self, ReplayFailure, ReplayOptions};
use strata_rules::replay::{AlertFormat, EventError, ReplayError, replay};
use strata_rules::{Code, Selector, load_strs};

const RULES: &str = "\
- list: shells
  items: [bash, sh]
- macro: spawned
  condition: evt.type in (execve, execveat)
- rule: Shell spawned
  desc: a shell
  condition: spawned and proc.name in (shells) and not proc.pname=sshd
  output: 'Shell %proc.name by %proc.pname (cmd=%proc.cmdline uid=%user.uid gp=%proc.aname[2] lower=%toupper(proc.name))'
  priority: NOTICE
  tags: [shell, T1059]
- rule: Etc write
  desc: writes below /etc
  condition: evt.type in (open, openat) and evt.is_open_write=true and fd.name pmatch (/etc)
  output: 'write %fd.name'
  priority: ERROR
  tags: [fs]
";

const EVENTS: &str = r#"{"ts":1796325012000000123,"type":"execve","hostname":"h1","proc":{"name":"bash","args":["-i"],"ancestors":[{"name":"nginx"},{"name":"systemd"}]},"user":{"uid":33}}

{"ts":1796325013000000000,"type":"execve","proc":{"name":"bash","ancestors":[{"name":"sshd"}]}}
{"ts":1796325014000000000,"type":"openat","args":[{"name":"flags","value":"O_WRONLY|O_CREAT"}],"fd":{"num":3,"type":"file","name":"/etc/cron.d/x"}}
{"ts":1796325015000000000,"type":"openat","args":[{"name":"flags","value":"O_RDONLY"}],"fd":{"num":3,"type":"file","name":"/etc/passwd"}}
"#;

#[test]
fn replay_prints_falco_json_alerts() {
    let res = load_strs(&[("r.yaml", RULES)]);
    assert!(res.ok(), "{:?}", res.diagnostics);
    let mut out = Vec::new();
    let stats = replay(
        &res.ruleset,
        Cursor::new(EVENTS),
        &mut out,
        AlertFormat::Json,
    )
    .unwrap();
    assert_eq!((stats.events, stats.alerts), (4, 2));
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines[0],
        serde_json::json!({
            "time": "2026-12-03T19:10:12.000000123Z",
            "rule": "Shell spawned",
            "priority": "Notice",
            "output": "19:10:12.000000123: Notice Shell bash by nginx (cmd=bash -i uid=33 gp=systemd lower=BASH)",
            "output_fields": {
                "proc.name": "bash", "proc.pname": "nginx", "proc.cmdline": "bash -i",
                "user.uid": 33, "proc.aname[2]": "systemd", "toupper(proc.name)": "BASH"
            },
            "source": "syscall",
            "tags": ["shell", "T1059"],
            "hostname": "h1"
        })
    );
    assert_eq!(lines[1]["rule"], "Etc write");
    assert_eq!(lines[1]["priority"], "Error");
    // An event without a hostname gets this machine's, as Falco's alerts do.
    let here = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    assert_eq!(lines[1]["hostname"], here.trim());
}

#[test]
fn replay_text_and_disabling() {
    let mut res = load_strs(&[("r.yaml", RULES)]);
    let mut out = Vec::new();
    replay(
        &res.ruleset,
        Cursor::new(EVENTS),
        &mut out,
        AlertFormat::Text,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "19:10:12.000000123: Notice Shell bash by nginx (cmd=bash -i uid=33 gp=systemd lower=BASH)\n\
         19:10:14.000000000: Error write /etc/cron.d/x\n"
    );
    assert_eq!(
        res.ruleset.set_enabled(&Selector::Tag("fs".into()), false),
        1
    );
    assert_eq!(
        res.ruleset
            .set_enabled(&Selector::Name("Shell*".into()), false),
        1
    );
    let mut out = Vec::new();
    let stats = replay(
        &res.ruleset,
        Cursor::new(EVENTS),
        &mut out,
        AlertFormat::Text,
    )
    .unwrap();
    assert_eq!(stats.alerts, 0);
    assert_eq!(
        res.ruleset.set_enabled(&Selector::Name("*".into()), true),
        2
    );
    assert_eq!(res.ruleset.candidates("execve").len(), 1);
    assert_eq!(res.ruleset.candidates("openat").len(), 1);
    assert_eq!(res.ruleset.candidates("connect").len(), 0);
}

#[test]
fn malformed_event_lines_are_clear_errors() {
    let res = load_strs(&[("r.yaml", RULES)]);
    let cases: &[(&str, usize, &str)] = &[
        (
            "{\"ts\":1,\"type\":\"execve\"}\n{not json}\n",
            2,
            "key must be a string",
        ),
        ("{\"ts\":1}\n", 1, "missing field `type`"),
        ("{\"ts\":1,\"type\":\"\"}\n", 1, "must not be empty"),
        (
            "{\"ts\":1,\"type\":\"open\",\"bogus\":1}\n",
            1,
            "unknown field `bogus`",
        ),
        ("{\"ts\":\"x\",\"type\":\"open\"}\n", 1, "invalid type"),
        (
            "\n\n{\"ts\":1,\"type\":\"open\",\"proc\":{\"pid\":\"a\"}}\n",
            3,
            "invalid type",
        ),
    ];
    for (input, line, msg) in cases {
        let mut out = Vec::new();
        let err = replay(
            &res.ruleset,
            Cursor::new(*input),
            &mut out,
            AlertFormat::Json,
        )
        .unwrap_err();
        let ReplayError::Event(e) = err else {
            panic!("{input}: {err}")
        };
        assert_eq!(e.line(), *line, "{input}");
        assert!(e.to_string().contains(msg), "{input}: {e}");
    }
    let mut out = Vec::new();
    let err = replay(
        &res.ruleset,
        Cursor::new("\n{\"ts\": bad}\n"),
        &mut out,
        AlertFormat::Json,
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "line 2, column 8: expected value");
    // An over-long line is rejected without reading it all into memory.
    let long = format!("{{\"ts\":1,\"type\":\"{}\"}}\n", "a".repeat(2 << 20));
    let mut out = Vec::new();
    let err = replay(&res.ruleset, Cursor::new(long), &mut out, AlertFormat::Json).unwrap_err();
    assert!(
        matches!(err, ReplayError::Event(EventError::TooLong { line: 1 })),
        "{err}"
    );
}

fn tmp_file(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("strata-rules-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

#[test]
fn validate_reports_file_line_column_name_and_hint() {
    let bad = tmp_file(
        "bad.yaml",
        "- macro: m\n  condition: proc.name = cat\n- rule: R1\n  desc: d\n  condition: m and proc.nobody = 1\n  output: o\n  priority: INFO\n- rule: R2\n  desc: d\n  condition: evt.type = open and fd.name regex '[a-'\n  output: o\n  priority: INFO\n- rule: R3\n  desc: d\n  condition: evt.type=open and (fd.name = a\n  output: o\n  priority: INFO\n",
    );
    let v = cli::validate(std::slice::from_ref(&bad));
    assert!(!v.result.ok());
    let errs: Vec<_> = v.result.errors().collect();
    assert_eq!(errs.len(), 3, "{}", v.report);
    assert_eq!(errs[0].code, Code::UnknownField);
    assert_eq!((errs[0].line, errs[0].col), (5, 20));
    assert_eq!(errs[0].item.as_deref(), Some("rule 'R1'"));
    assert!(
        errs[0]
            .hint
            .as_deref()
            .unwrap()
            .contains("skip-if-unknown-filter")
    );
    assert_eq!(errs[1].code, Code::InvalidCondition);
    assert!(
        errs[1].message.contains("invalid regular expression"),
        "{}",
        errs[1].message
    );
    assert_eq!(errs[2].code, Code::ConditionSyntax);
    assert_eq!((errs[2].line, errs[2].col), (15, 44));
    let rendered = &v.report;
    assert!(
        rendered.contains(&format!("{}:5:20", bad.display())),
        "{rendered}"
    );
    assert!(
        rendered.contains("5 |   condition: m and proc.nobody = 1"),
        "{rendered}"
    );
    assert!(
        rendered.ends_with("invalid: 0 rules, 3 error(s), 0 warning(s)\n"),
        "{rendered}"
    );
}

#[test]
fn list_shows_event_types() {
    let res = load_strs(&[("r.yaml", RULES)]);
    assert_eq!(
        cli::list(&res),
        "Shell spawned\tNotice\tsyscall\tenabled\texecve,execveat\n\
         Etc write\tError\tsyscall\tenabled\topen,openat\n"
    );
}

#[test]
fn list_shows_wide_and_negated_event_type_sets_readably() {
    let rules = "- rule: Not exec\n  desc: d\n  condition: evt.type != execve and proc.name = x\n  \
                 output: o\n  priority: INFO\n\
                 - rule: Many\n  desc: d\n  condition: evt.type in (open, openat, openat2, creat, \
                 connect, accept, accept4, bind, execve, execveat, setuid, setgid, setresuid, \
                 setresgid)\n  output: o\n  priority: INFO\n";
    let listed = cli::list(&load_strs(&[("r.yaml", rules)]));
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(
        lines[0].ends_with("\tenabled\t(all but execve)"),
        "{}",
        lines[0]
    );
    let many = lines[1].rsplit('\t').next().unwrap();
    let mut got: Vec<&str> = many.split(',').collect();
    got.sort_unstable();
    let mut want = vec![
        "accept",
        "accept4",
        "bind",
        "connect",
        "creat",
        "execve",
        "execveat",
        "open",
        "openat",
        "openat2",
        "setgid",
        "setresgid",
        "setresuid",
        "setuid",
    ];
    want.sort_unstable();
    assert_eq!(got, want, "{}", lines[1]);
}

#[test]
fn replay_file_errors() {
    let rules = tmp_file("r.yaml", RULES);
    let events = tmp_file("e.jsonl", EVENTS);
    let opts = ReplayOptions {
        rules: vec![rules.clone()],
        format: AlertFormat::Text,
        disable: vec!["Etc*".into()],
        disable_tags: vec![],
        only_tags: vec![],
        enable: vec![],
    };
    let mut out = Vec::new();
    let stats = cli::replay_file(&events, &opts, &mut out).unwrap();
    assert_eq!(stats.alerts, 1);
    let missing = PathBuf::from("/nonexistent/e.jsonl");
    assert!(matches!(
        cli::replay_file(&missing, &opts, &mut out),
        Err(ReplayFailure::Open { .. })
    ));
    let bad_rules = tmp_file("bad2.yaml", "- rule: x\n");
    let opts = ReplayOptions {
        rules: vec![bad_rules],
        ..opts
    };
    assert!(matches!(
        cli::replay_file(&events, &opts, &mut out),
        Err(ReplayFailure::Rules(_))
    ));
}

#[test]
fn hostile_rules_are_bounded_errors() {
    // Parentheses nested 100,000 deep.
    let deep = format!(
        "- rule: r\n  desc: d\n  condition: {}evt.type=open{}\n  output: o\n  priority: INFO\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let res = load_strs(&[("deep.yaml", &deep)]);
    let e = res.errors().next().unwrap();
    assert_eq!(e.code, Code::ConditionSyntax);
    assert!(e.message.contains("nesting deeper than 100"), "{e}");
    // A macro that refers to itself.
    let res = load_strs(&[(
        "loop.yaml",
        "- macro: a\n  condition: evt.type=open and a\n- rule: r\n  desc: d\n  condition: a\n  output: o\n  priority: INFO\n",
    )]);
    let codes: Vec<Code> = res.errors().map(|e| e.code).collect();
    assert_eq!(codes, vec![Code::MacroLoop, Code::MacroLoop]);
    // Exponential macro expansion is cut off.
    let mut y = String::from("- macro: m0\n  condition: evt.type=open\n");
    for i in 1..40 {
        y.push_str(&format!(
            "- macro: m{i}\n  condition: (m{0} or m{0})\n",
            i - 1
        ));
    }
    y.push_str("- rule: r\n  desc: d\n  condition: m39\n  output: o\n  priority: INFO\n");
    let res = load_strs(&[("exp.yaml", &y)]);
    assert_eq!(res.errors().next().unwrap().code, Code::InvalidCondition);
    // A huge list loads and is a hash set.
    let items: Vec<String> = (0..200_000).map(|i| format!("p{i}")).collect();
    let big = format!(
        "- list: big\n  items: [{}]\n- rule: r\n  desc: d\n  condition: evt.type=execve and proc.name in (big)\n  output: o\n  priority: INFO\n",
        items.join(", ")
    );
    let res = load_strs(&[("big.yaml", &big)]);
    assert!(res.ok(), "{:?}", res.diagnostics.first());
    let mut ev = strata_rules::Event {
        evt_type: "execve".into(),
        ..Default::default()
    };
    ev.proc.name = "p199999".into();
    assert_eq!(res.ruleset.evaluate(&ev).len(), 1);
    // Malformed YAML.
    let res = load_strs(&[("y.yaml", "- rule: [unclosed\n")]);
    let e = res.errors().next().unwrap();
    assert_eq!((e.code, e.line), (Code::YamlSyntax, 2));
}

#[test]
fn diagnostics_serialize_for_json_output() {
    let res = load_strs(&[(
        "x.yaml",
        "- rule: R\n  desc: d\n  condition: evt.type=open and\n  output: o\n  priority: INFO\n",
    )]);
    let v = serde_json::to_value(&res.diagnostics).unwrap();
    assert_eq!(
        v,
        serde_json::json!([{
            "severity": "error",
            "code": "condition_syntax",
            "file": "x.yaml",
            "line": 3,
            "col": 31,
            "item": "rule 'R'",
            "message": "condition syntax error: unexpected end of condition, expected a check",
            "hint": "check the operators, quotes and parentheses here"
        }])
    );
}

#[test]
fn yaml_alias_bomb_is_bounded() {
    let mut y = String::from("- list: a0\n  items: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        y.push_str(&format!(
            "- list: a{i}\n  items: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n",
            p = i - 1
        ));
    }
    let start = std::time::Instant::now();
    let res = load_strs(&[("bomb.yaml", &y)]);
    let e = res.errors().next().unwrap();
    assert_eq!(e.code, Code::YamlSyntax);
    assert!(e.message.contains("too large"), "{e}");
    assert!(start.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn selection_order_and_exact_names_first() {
    let rules = "- rule: Shell*\n  desc: d\n  condition: evt.type = execve\n  output: o\n  priority: INFO\n  tags: [a]\n\
                 - rule: Shell spawned\n  desc: d\n  condition: evt.type = execve\n  output: o\n  priority: INFO\n  tags: [b]\n\
                 - rule: Off\n  desc: d\n  condition: evt.type = execve\n  output: o\n  priority: INFO\n  enabled: false\n";
    let enabled = |opts: &ReplayOptions| {
        let mut rs = load_strs(&[("r.yaml", rules)]).ruleset;
        opts.select(&mut rs);
        rs.rules()
            .iter()
            .filter(|r| r.enabled)
            .map(|r| r.name.clone())
            .collect::<Vec<_>>()
    };
    let base = ReplayOptions {
        rules: vec![],
        format: AlertFormat::Json,
        disable: vec![],
        disable_tags: vec![],
        only_tags: vec![],
        enable: vec![],
    };
    assert_eq!(enabled(&base), ["Shell*", "Shell spawned"]);
    // "Shell*" is a rule's exact name: it selects that rule, not every "Shell..." rule.
    let o = ReplayOptions {
        disable: vec!["Shell*".into()],
        ..base.clone()
    };
    assert_eq!(enabled(&o), ["Shell spawned"]);
    // A pattern that is nobody's name is a wildcard.
    let o = ReplayOptions {
        disable: vec!["Sh*".into()],
        ..base.clone()
    };
    assert_eq!(enabled(&o), Vec::<String>::new());
    let o = ReplayOptions {
        only_tags: vec!["b".into()],
        ..base.clone()
    };
    assert_eq!(enabled(&o), ["Shell spawned"]);
    // Enabling comes last and wins, also for a rule shipped disabled.
    let o = ReplayOptions {
        disable_tags: vec!["b".into()],
        enable: vec!["Off".into(), "Shell spawned".into()],
        ..base.clone()
    };
    assert_eq!(enabled(&o), ["Shell*", "Shell spawned", "Off"]);
}

#[test]
fn evt_time_is_nanoseconds_in_json_output_fields_as_falco_writes_it() {
    let rules = "- rule: T\n  desc: d\n  condition: evt.type = execve\n  output: at %evt.time by %proc.name\n  priority: INFO\n";
    let rs = load_strs(&[("r.yaml", rules)]).ruleset;
    let line = r#"{"ts": 1796325012000000123, "type": "execve", "proc": {"pid": 1, "name": "sh"}}"#;
    let mut out = Vec::new();
    replay(&rs, Cursor::new(line), &mut out, AlertFormat::Json).unwrap();
    let alert: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        alert["output_fields"]["evt.time"],
        1_796_325_012_000_000_123_u64
    );
    assert_eq!(alert["output_fields"]["proc.name"], "sh");
    // The text keeps Falco's time of day with nanoseconds.
    let text = alert["output"].as_str().unwrap();
    assert!(text.contains(".000000123 by sh"), "{text}");
}
