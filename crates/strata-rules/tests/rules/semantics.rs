//! Loader semantics not covered by Falco's edge-case files: `override`, exceptions, ordering
//! across files, enable/disable, field arguments, operators and transformers.

use strata_rules::{Code, Event, Priority, load_strs};

const BASE: &str = "\
- list: bins
  items: [cat, less]
- macro: is_bin
  condition: proc.name in (bins)
- rule: R
  desc: base
  condition: evt.type=open and is_bin
  output: 'seen %proc.name'
  priority: WARNING
  tags: [a]
  exceptions:
    - name: by_file
      fields: [fd.name]
      values: [[/etc/skip]]
";

fn ev(ty: &str, name: &str, fd: &str) -> Event {
    let mut e = Event {
        evt_type: ty.into(),
        ts: 1,
        ..Default::default()
    };
    e.proc.name = name.into();
    e.fd = Some(strata_rules::event::Fd {
        fd_type: "file".into(),
        name: fd.into(),
        ..Default::default()
    });
    e
}

fn fired(extra: &str, e: &Event) -> Vec<String> {
    let res = load_strs(&[("base.yaml", BASE), ("user.yaml", extra)]);
    assert!(res.ok(), "{extra}: {:#?}", res.diagnostics);
    res.ruleset
        .evaluate(e)
        .into_iter()
        .map(|a| a.output)
        .collect()
}

fn first_error(extra: &str) -> Code {
    let res = load_strs(&[("base.yaml", BASE), ("user.yaml", extra)]);
    res.errors().next().map(|e| e.code).expect(extra)
}

#[test]
fn overrides_append_and_replace() {
    let cat = ev("open", "cat", "/tmp/x");
    assert_eq!(
        fired("", &cat),
        vec!["00:00:00.000000001: Warning seen cat"]
    );
    // Exceptions from the base file apply.
    assert!(fired("", &ev("open", "cat", "/etc/skip")).is_empty());
    // list items: append / replace.
    let more = ev("open", "more", "/tmp/x");
    assert_eq!(
        fired(
            "- list: bins\n  items: [more]\n  override:\n    items: append\n",
            &more
        )
        .len(),
        1
    );
    assert!(
        fired(
            "- list: bins\n  items: [more]\n  override:\n    items: replace\n",
            &cat
        )
        .is_empty()
    );
    // macro condition append.
    assert_eq!(
        fired(
            "- macro: is_bin\n  condition: or proc.name=more\n  override:\n    condition: append\n",
            &more
        )
        .len(),
        1
    );
    // rule condition append, output replace, priority replace.
    let out = fired(
        "- rule: R\n  condition: and fd.name startswith /tmp\n  output: 'new %fd.name'\n  priority: CRITICAL\n  override:\n    condition: append\n    output: replace\n    priority: replace\n",
        &cat,
    );
    assert_eq!(out, vec!["00:00:00.000000001: Critical new /tmp/x"]);
    assert!(fired(
        "- rule: R\n  condition: and fd.name startswith /var\n  override:\n    condition: append\n",
        &cat
    )
    .is_empty());
    // output append.
    assert_eq!(
        fired(
            "- rule: R\n  output: (more)\n  override:\n    output: append\n",
            &cat
        ),
        vec!["00:00:00.000000001: Warning seen cat (more)"]
    );
    // enabled replace.
    assert!(
        fired(
            "- rule: R\n  enabled: false\n  override:\n    enabled: replace\n",
            &cat
        )
        .is_empty()
    );
    // exceptions append (new values for an existing item, and a new item).
    let tmp = ev("open", "cat", "/tmp/x");
    assert!(fired(
        "- rule: R\n  exceptions:\n    - name: by_file\n      values: [[/tmp/x]]\n  override:\n    exceptions: append\n",
        &tmp
    )
    .is_empty());
    assert!(fired(
        "- rule: R\n  exceptions:\n    - name: by_proc\n      fields: proc.name\n      comps: in\n      values: [cat, dog]\n  override:\n    exceptions: append\n",
        &tmp
    )
    .is_empty());
    // exceptions replace drops the base exception.
    assert_eq!(
        fired(
            "- rule: R\n  exceptions: []\n  override:\n    exceptions: replace\n",
            &ev("open", "cat", "/etc/skip")
        )
        .len(),
        1
    );
    // tags append.
    let res = load_strs(&[
        ("base.yaml", BASE),
        (
            "u.yaml",
            "- rule: R\n  tags: [b]\n  override:\n    tags: append\n",
        ),
    ]);
    assert_eq!(res.ruleset.rules()[0].tags, vec!["a", "b"]);
}

#[test]
fn override_errors() {
    assert_eq!(
        first_error("- rule: R\n  priority: ERROR\n  override:\n    priority: append\n"),
        Code::InvalidValue
    );
    assert_eq!(
        first_error("- rule: R\n  override:\n    condition: append\n"),
        Code::MissingKey
    );
    assert_eq!(
        first_error(
            "- rule: R\n  condition: and x.y=1\n  output: o\n  override:\n    condition: append\n"
        ),
        Code::InvalidValue
    );
    assert_eq!(
        first_error("- rule: Nope\n  condition: and a\n  override:\n    condition: append\n"),
        Code::AppendWithoutBase
    );
    assert_eq!(
        first_error(
            "- rule: R\n  condition: and a\n  append: true\n  override:\n    condition: append\n"
        ),
        Code::InvalidValue
    );
    assert_eq!(
        first_error("- rule: R\n  condition: and a\n  override:\n    condition: merge\n"),
        Code::InvalidValue
    );
    assert_eq!(
        first_error("- list: nope\n  items: [a]\n  override:\n    items: append\n"),
        Code::AppendWithoutBase
    );
}

#[test]
fn operators_fields_and_transformers() {
    let mk = |cond: &str| {
        format!(
            "- rule: T\n  desc: d\n  condition: {cond}\n  output: o\n  priority: INFO\n  warn_evttypes: false\n"
        )
    };
    let mut e = ev("execve", "Bash", "/etc/pam.d/sshd");
    e.proc.args = vec!["-c".into(), "echo aGVsbG8=".into()];
    e.proc.exepath = "/usr/bin/bash".into();
    e.proc.ancestors = vec![
        strata_rules::event::Ancestor {
            name: "sshd".into(),
            pid: 10,
            ..Default::default()
        },
        strata_rules::event::Ancestor {
            name: "systemd".into(),
            pid: 1,
            ..Default::default()
        },
    ];
    e.args = vec![strata_rules::event::EventArg {
        name: "flags".into(),
        value: "O_RDONLY|O_CLOEXEC".into(),
    }];
    e.container = Some(strata_rules::event::Container {
        id: "abc".into(),
        labels: vec![strata_rules::event::Label {
            key: "app".into(),
            value: "web".into(),
        }],
        mounts: vec![strata_rules::event::Mount {
            source: "/var/run/docker.sock".into(),
            dest: "/run/docker.sock".into(),
            ..Default::default()
        }],
        ..Default::default()
    });
    let cases: &[(&str, bool)] = &[
        ("proc.name = Bash", true),
        ("proc.name == Bash", true),
        ("proc.name icontains ash", true),
        ("proc.name contains ash and proc.name contains B", true),
        ("tolower(proc.name) = bash", true),
        ("toupper(proc.name) = BASH", true),
        ("len(proc.name) = 4", true),
        ("len(proc.name) > 3 and len(proc.name) < 5", true),
        ("basename(proc.exepath) = bash", true),
        (
            "proc.aname[1] = sshd and proc.aname[2] = systemd and proc.aname[3] exists",
            false,
        ),
        ("proc.aname[1] = sshd and proc.aname[2] = systemd", true),
        ("proc.aname = systemd", true),
        ("proc.aname in (init, systemd)", true),
        ("proc.apid[2] = 1", true),
        ("proc.pname = sshd", true),
        ("proc.cmdline = 'Bash -c echo aGVsbG8='", true),
        ("proc.args startswith -c", true),
        ("proc.cmdline endswith '='", true),
        ("proc.cmdline regex 'Bash -c .*'", true),
        ("proc.cmdline regex 'ash'", false),
        ("proc.exepath glob '/usr/*/ba?h'", true),
        ("proc.name iglob 'BA*'", true),
        ("proc.name glob 'BA*'", false),
        ("fd.name pmatch (/etc/pam.d, /root)", true),
        ("fd.name pmatch (/etc/pam)", false),
        ("fd.directory = /etc/pam.d and fd.filename = sshd", true),
        (
            "evt.arg.flags contains O_CLOEXEC and evt.arg[0] startswith O_RDONLY",
            true,
        ),
        ("evt.arg[flags] exists and not evt.arg.mode exists", true),
        ("evt.is_open_read = true", false),
        ("proc.name bcontains 617368", true),
        ("proc.name bstartswith 42", true),
        ("container.label[app] = web", true),
        (
            "container.mount.dest[/var/run/docker.sock] = /run/docker.sock",
            true,
        ),
        ("container.mount.dest[/var/run/*] exists", true),
        ("container.mount.source[0] = /var/run/docker.sock", true),
        ("proc.name = val(proc.name)", true),
        ("proc.name != val(proc.pname)", true),
        ("proc.name intersects (Bash, zsh)", true),
        (
            "proc.pid >= 0 and proc.pid <= 0 and proc.pid in (0, 1)",
            true,
        ),
        ("b64(proc.args) exists", true),
        (
            "not proc.name in (sh, zsh) and not (proc.name = x or proc.name = y)",
            true,
        ),
        ("proc.name in ()", false),
        ("fd.num exists", true),
        ("fd.sip exists", false),
        ("proc.env[HOME] exists", false),
    ];
    let mut failures = Vec::new();
    for (cond, want) in cases {
        let res = load_strs(&[("t.yaml", &mk(cond))]);
        if !res.ok() {
            failures.push(format!("{cond}: {:?}", res.errors().next()));
            continue;
        }
        let got = !res.ruleset.evaluate(&e).is_empty();
        if got != *want {
            failures.push(format!("{cond}: got {got}, want {want}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn type_errors_are_reported() {
    let mk = |cond: &str| {
        format!("- rule: T\n  desc: d\n  condition: {cond}\n  output: o\n  priority: INFO\n")
    };
    for (cond, msg) in [
        ("evt.type=open and fd.num = abc", "'abc' is not a number"),
        (
            "evt.type=open and fd.num contains 1",
            "operator 'contains' cannot be used",
        ),
        ("evt.type=open and fd.sip = notanip", "not an IP address"),
        (
            "evt.type=open and container.privileged = maybe",
            "not a boolean",
        ),
        ("evt.type=open and proc.aname[x] = a", "numeric index"),
        (
            "evt.type=open and proc.name[1] = a",
            "does not take an argument",
        ),
        (
            "evt.type=open and container.label = a",
            "requires an argument",
        ),
        (
            "evt.type=open and tolower(fd.num) = 1",
            "needs a string field",
        ),
        (
            "evt.type=open and proc.name = val(fd.num)",
            "cannot compare",
        ),
        (
            "evt.type=open and ka.verb = get",
            "belongs to source 'k8s_audit'",
        ),
        (
            "evt.type=open and proc.name bcontains zz",
            "not a hex byte string",
        ),
    ] {
        let res = load_strs(&[("t.yaml", &mk(cond))]);
        let e = res
            .errors()
            .next()
            .unwrap_or_else(|| panic!("{cond}: no error"));
        assert!(e.message.contains(msg), "{cond}: {e}");
        assert_eq!(e.item.as_deref(), Some("rule 'T'"));
    }
}

#[test]
fn priorities_engine_versions_and_plugins() {
    assert_eq!(Priority::parse("info"), Some(Priority::Informational));
    assert_eq!(Priority::parse("WARN"), None);
    assert_eq!(Priority::Informational.name(), "Informational");
    for (y, ok) in [
        ("- required_engine_version: 0.57.0\n", true),
        ("- required_engine_version: 15\n", true),
        ("- required_engine_version: 0.58.0\n", false),
        ("- required_engine_version: 58\n", false),
        (
            "- required_plugin_versions:\n  - name: container\n    version: 0.4.0\n",
            true,
        ),
        (
            "- required_plugin_versions:\n  - name: container\n    version: 1.0.0\n",
            false,
        ),
        (
            "- required_plugin_versions:\n  - name: cloudtrail\n    version: 0.1.0\n    alternatives:\n      - name: k8saudit\n        version: 0.1.0\n",
            true,
        ),
        (
            "- required_plugin_versions:\n  - name: cloudtrail\n    version: 0.1.0\n",
            false,
        ),
    ] {
        assert_eq!(load_strs(&[("v.yaml", y)]).ok(), ok, "{y}");
    }
}

#[test]
fn macro_errors_point_into_the_macro() {
    let res = load_strs(&[(
        "m.yaml",
        "- macro: m\n  condition: proc.name = a and fd.bogus = 1\n- rule: R\n  desc: d\n  condition: evt.type = open and m\n  output: o\n  priority: INFO\n",
    )]);
    let e = res.errors().next().unwrap();
    assert_eq!(e.code, Code::UnknownField);
    assert_eq!((e.line, e.col), (2, 32));
    assert!(e.message.contains("in macro 'm'"), "{e}");
}

#[test]
fn positions_inside_block_and_multiline_scalars() {
    let y = "- rule: A\n  desc: d\n  condition: >\n    evt.type = open\n    and proc.nobody = 1\n  output: o\n  priority: INFO\n\
             - rule: B\n  desc: d\n  condition: evt.type = open and\n    fd.bogus = 2\n  output: o\n  priority: INFO\n\
             - rule: C\n  desc: d\n  condition: \"evt.type = open and fd.nope = 3\"\n  output: o\n  priority: INFO\n";
    let res = load_strs(&[("p.yaml", y)]);
    let pos: Vec<(usize, usize)> = res.errors().map(|e| (e.line, e.col)).collect();
    assert_eq!(pos, vec![(5, 9), (11, 5), (16, 35)]);
}

/// An event whose type is outside strata's table (a replay file's own type) meets the rules
/// whose condition admits any other type: none on evt.type, or a negated one; never a rule
/// that names its types.
#[test]
fn unknown_event_types_meet_rules_that_admit_other_types() {
    let rules = "\
- rule: Not exec
  desc: d
  condition: evt.type != execve and proc.name = cat
  output: 'not exec %evt.type'
  priority: NOTICE
- rule: Any
  desc: d
  condition: proc.name = cat
  output: 'any %evt.type'
  priority: NOTICE
- rule: Not in
  desc: d
  condition: not evt.type in (open, openat) and proc.name = cat
  output: 'not in %evt.type'
  priority: NOTICE
- rule: Open only
  desc: d
  condition: evt.type in (open, openat) and proc.name = cat
  output: 'open %evt.type'
  priority: NOTICE
";
    let res = load_strs(&[("r.yaml", rules)]);
    assert!(res.ok(), "{:#?}", res.diagnostics);
    let names = |e: &Event| -> Vec<String> {
        res.ruleset
            .evaluate(e)
            .into_iter()
            .map(|a| a.rule)
            .collect()
    };
    assert_eq!(
        names(&ev("strata_custom_type", "cat", "/x")),
        ["Not exec", "Any", "Not in"]
    );
    assert_eq!(
        names(&ev("open", "cat", "/x")),
        ["Not exec", "Any", "Open only"]
    );
    assert_eq!(names(&ev("execve", "cat", "/x")), ["Any", "Not in"]);
}
