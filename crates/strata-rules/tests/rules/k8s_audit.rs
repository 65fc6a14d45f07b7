//! Kubernetes audit events against Falco's `k8s_audit_rules.yaml`.

use strata_rules::{Event, load_files};

use crate::falco_dir;

fn audit(v: serde_json::Value) -> Event {
    serde_json::from_value(
        serde_json::json!({"ts": 1_796_325_012_000_000_000_u64, "type": "k8s_audit", "audit": v}),
    )
    .unwrap()
}

fn pod_create(user: &str, images: &[(&str, bool)]) -> Event {
    let containers: Vec<serde_json::Value> = images
        .iter()
        .map(|(img, privileged)| serde_json::json!({"name": "c", "image": img, "securityContext": {"privileged": privileged}}))
        .collect();
    audit(serde_json::json!({
        "kind": "Event", "stage": "ResponseComplete", "verb": "create",
        "requestURI": "/api/v1/namespaces/default/pods?fieldManager=kubectl",
        "user": {"username": user, "groups": ["system:authenticated"]},
        "objectRef": {"resource": "pods", "namespace": "default", "name": "p1"},
        "responseStatus": {"code": 201},
        "requestObject": {"kind": "Pod", "spec": {"containers": containers}}
    }))
}

#[test]
fn k8s_audit_rules_evaluate_audit_events() {
    let Some(d) = falco_dir() else { return };
    let res = load_files(&[d.join("plugins-rules/k8saudit/k8s_audit_rules.yaml")]);
    assert!(res.ok());
    let fired = |e: &Event| -> Vec<String> {
        let mut v: Vec<String> = res
            .ruleset
            .evaluate(e)
            .into_iter()
            .map(|a| a.rule)
            .collect();
        v.sort();
        v
    };
    // A privileged pod by an unknown user.
    let got = fired(&pod_create(
        "mallory",
        &[("docker.io/library/nginx:1.25", true)],
    ));
    assert!(
        got.contains(&"Create Privileged Pod".to_string()),
        "{got:?}"
    );
    assert!(got.contains(&"Disallowed K8s User".to_string()), "{got:?}");
    // Near misses: unprivileged; an allowed privileged image (tag stripped); allowed user.
    let got = fired(&pod_create("minikube", &[("nginx:1.25", false)]));
    assert!(
        !got.contains(&"Create Privileged Pod".to_string()),
        "{got:?}"
    );
    assert!(!got.contains(&"Disallowed K8s User".to_string()), "{got:?}");
    let got = fired(&pod_create(
        "minikube",
        &[("docker.io/falcosecurity/falco:0.42.0", true)],
    ));
    assert!(
        !got.contains(&"Create Privileged Pod".to_string()),
        "{got:?}"
    );
    // `in` on a list field needs every value in the set: one unlisted image still fires.
    let got = fired(&pod_create(
        "minikube",
        &[
            ("docker.io/falcosecurity/falco:0.42.0", true),
            ("evil/miner:1", false),
        ],
    ));
    assert!(
        got.contains(&"Create Privileged Pod".to_string()),
        "{got:?}"
    );
    // Alerts carry the k8s_audit source and the fields of the output.
    let alerts = res
        .ruleset
        .evaluate(&pod_create("mallory", &[("nginx", true)]));
    let a = alerts
        .iter()
        .find(|a| a.rule == "Create Privileged Pod")
        .unwrap();
    assert_eq!(a.source, "k8s_audit");
    assert_eq!(a.output_fields["ka.user.name"], "mallory");
    assert_eq!(a.output_fields["ka.target.namespace"], "default");
    // Syscall events never reach k8s_audit rules.
    let ev = Event {
        evt_type: "execve".into(),
        ..Default::default()
    };
    assert!(res.ruleset.evaluate(&ev).is_empty());
}

#[test]
fn json_pointers_and_uri_params() {
    let y = "- rule: P\n  desc: d\n  condition: jevt.value[/annotations/authorization.k8s.io~1decision] = allow and ka.uri.param[fieldManager] = kubectl and ka.user.groups intersects (system:masters)\n  output: '%ka.verb %jevt.value[/user/username]'\n  priority: INFO\n  source: k8s_audit\n";
    let res = strata_rules::load_strs(&[("p.yaml", y)]);
    assert!(res.ok(), "{:?}", res.diagnostics);
    let mut e = audit(serde_json::json!({
        "verb": "get", "requestURI": "/api/v1/pods?limit=5&fieldManager=kubectl",
        "annotations": {"authorization.k8s.io/decision": "allow"},
        "user": {"username": "bob", "groups": ["dev", "system:masters"]}
    }));
    let alerts = res.ruleset.evaluate(&e);
    assert_eq!(alerts.len(), 1);
    assert!(
        alerts[0].output.ends_with("Informational get bob"),
        "{}",
        alerts[0].output
    );
    e.audit.as_mut().unwrap()["user"]["groups"] = serde_json::json!(["dev"]);
    assert!(res.ruleset.evaluate(&e).is_empty());
}
