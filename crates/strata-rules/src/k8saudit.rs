//! Kubernetes audit events (`source: k8s_audit`): the `ka.*`, `jevt.*` and `json.*` fields,
//! extracted from the audit event JSON with JSON pointers (`*` walks every array element).

use serde_json::Value;

use crate::event::Event;
use crate::filter::{Arg, Extractor, V};

/// The JSON path of each `ka.*` field; `*` means every element of an array.
fn path_of(field: &str) -> Option<&'static str> {
    Some(match field {
        "ka.auditid" => "/auditID",
        "ka.stage" => "/stage",
        "ka.auth.decision" => "/annotations/authorization.k8s.io~1decision",
        "ka.auth.reason" => "/annotations/authorization.k8s.io~1reason",
        "ka.user.name" => "/user/username",
        "ka.user.groups" => "/user/groups/*",
        "ka.impuser.name" => "/impersonatedUser/username",
        "ka.verb" => "/verb",
        "ka.uri" => "/requestURI",
        "ka.target.name" => "/objectRef/name",
        "ka.target.namespace" => "/objectRef/namespace",
        "ka.target.resource" => "/objectRef/resource",
        "ka.target.subresource" => "/objectRef/subresource",
        "ka.target.pod.name" => "/requestObject/metadata/name",
        "ka.req.binding.subjects" => "/requestObject/subjects/*",
        "ka.req.binding.role" => "/requestObject/roleRef/name",
        "ka.req.configmap.name" => "/objectRef/name",
        "ka.req.configmap.obj" => "/requestObject/data",
        "ka.req.pod.containers.image" | "ka.req.pod.containers.image.repository" => {
            "/requestObject/spec/containers/*/image"
        }
        "ka.req.container.image" | "ka.req.container.image.repository" => {
            "/requestObject/spec/containers/0/image"
        }
        "ka.req.pod.initContainers.image" => "/requestObject/spec/initContainers/*/image",
        "ka.req.pod.ephemeralContainers.image" => "/requestObject/spec/ephemeralContainers/*/image",
        "ka.req.pod.host_ipc" => "/requestObject/spec/hostIPC",
        "ka.req.pod.host_network" | "ka.req.container.host_network" => {
            "/requestObject/spec/hostNetwork"
        }
        "ka.req.pod.host_pid" => "/requestObject/spec/hostPID",
        "ka.req.pod.containers.host_port" => "/requestObject/spec/containers/*/ports/*/hostPort",
        "ka.req.pod.containers.privileged" => {
            "/requestObject/spec/containers/*/securityContext/privileged"
        }
        "ka.req.container.privileged" => {
            "/requestObject/spec/containers/0/securityContext/privileged"
        }
        "ka.req.pod.initContainers.privileged" => {
            "/requestObject/spec/initContainers/*/securityContext/privileged"
        }
        "ka.req.pod.ephemeralContainers.privileged" => {
            "/requestObject/spec/ephemeralContainers/*/securityContext/privileged"
        }
        "ka.req.pod.containers.allow_privilege_escalation" => {
            "/requestObject/spec/containers/*/securityContext/allowPrivilegeEscalation"
        }
        "ka.req.pod.containers.read_only_fs" => {
            "/requestObject/spec/containers/*/securityContext/readOnlyRootFilesystem"
        }
        "ka.req.pod.run_as_user" => "/requestObject/spec/securityContext/runAsUser",
        "ka.req.pod.containers.run_as_user" | "ka.req.pod.containers.eff_run_as_user" => {
            "/requestObject/spec/containers/*/securityContext/runAsUser"
        }
        "ka.req.pod.run_as_group" => "/requestObject/spec/securityContext/runAsGroup",
        "ka.req.pod.containers.run_as_group" | "ka.req.pod.containers.eff_run_as_group" => {
            "/requestObject/spec/containers/*/securityContext/runAsGroup"
        }
        "ka.req.pod.containers.proc_mount" => {
            "/requestObject/spec/containers/*/securityContext/procMount"
        }
        "ka.req.role.rules" => "/requestObject/rules/*",
        "ka.req.role.rules.apiGroups" => "/requestObject/rules/*/apiGroups/*",
        "ka.req.role.rules.nonResourceURLs" => "/requestObject/rules/*/nonResourceURLs/*",
        "ka.req.role.rules.verbs" => "/requestObject/rules/*/verbs/*",
        "ka.req.role.rules.resources" => "/requestObject/rules/*/resources/*",
        "ka.req.pod.fs_group" => "/requestObject/spec/securityContext/fsGroup",
        "ka.req.pod.supplemental_groups" => {
            "/requestObject/spec/securityContext/supplementalGroups/*"
        }
        "ka.req.pod.containers.add_capabilities" => {
            "/requestObject/spec/containers/*/securityContext/capabilities/add/*"
        }
        "ka.req.service.type" => "/requestObject/spec/type",
        "ka.req.service.ports" => "/requestObject/spec/ports/*",
        "ka.req.pod.volumes.hostpath" => "/requestObject/spec/volumes/*/hostPath/path",
        "ka.req.volume.hostpath" => "/requestObject/spec/volumes/*/hostPath/path",
        "ka.req.pod.volumes.flexvolume_driver" => "/requestObject/spec/volumes/*/flexVolume/driver",
        "ka.resp.name" => "/responseObject/metadata/name",
        "ka.response.code" => "/responseStatus/code",
        "ka.response.reason" => "/responseStatus/reason",
        "ka.useragent" => "/userAgent",
        "ka.sourceips" => "/sourceIPs/*",
        _ => return None,
    })
}

/// Every value at `path` (`*` expands arrays), in document order.
fn collect<'a>(root: &'a Value, path: &str, out: &mut Vec<&'a Value>) {
    let Some(rest) = path.strip_prefix('/') else {
        if path.is_empty() {
            out.push(root);
        }
        return;
    };
    let (seg, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if seg == "*" {
        if let Value::Array(items) = root {
            for it in items {
                collect(it, tail, out);
            }
        }
        return;
    }
    let key = seg.replace("~1", "/").replace("~0", "~");
    let next = match root {
        Value::Object(m) => m.get(&key),
        Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    };
    if let Some(n) = next {
        collect(n, tail, out);
    }
}

fn render<'a>(v: &'a Value, field: &str, buf: &'a mut String) -> V<'a> {
    let s: &'a str = match v {
        Value::String(s) => s,
        Value::Null => return V::Missing,
        other => {
            *buf = other.to_string();
            buf
        }
    };
    if field.ends_with(".image.repository") {
        // Drop the tag or digest: the last ':' after the last '/'.
        let cut = s.find('@').unwrap_or(s.len());
        let s2 = &s[..cut];
        let slash = s2.rfind('/').map_or(0, |i| i + 1);
        return match s2[slash..].rfind(':') {
            Some(i) => V::Str(&s2[..slash + i]),
            None => V::Str(s2),
        };
    }
    V::Str(s)
}

fn values<'a>(ev: &'a Event, x: &Extractor) -> Vec<&'a Value> {
    let mut out = Vec::new();
    let Some(root) = ev.audit.as_ref() else {
        return out;
    };
    match x.field {
        "jevt.value" | "json.value" => {
            if let Arg::Key(p) = &x.arg {
                collect(root, p, &mut out);
            }
        }
        "jevt.obj" | "json.obj" => out.push(root),
        "jevt.time" | "jevt.time.iso8601" => collect(root, "/stageTimestamp", &mut out),
        "ka.uri.param" => {}
        f => {
            if let Some(p) = path_of(f) {
                collect(root, p, &mut out);
            }
        }
    }
    out
}

/// Number of values of a (list) field.
pub fn count(ev: &Event, x: &Extractor) -> usize {
    values(ev, x).len()
}

/// The `i`th value of a field (the first for scalar fields).
pub fn extract<'a>(ev: &'a Event, x: &Extractor, i: usize, buf: &'a mut String) -> V<'a> {
    if ev.audit.is_none() {
        return V::Missing;
    }
    match x.field {
        "jevt.rawtime" => return V::Int(ev.ts as i64),
        "ka.uri.param" => {
            let (Some(root), Arg::Key(k)) = (ev.audit.as_ref(), &x.arg) else {
                return V::Missing;
            };
            let uri = root.get("requestURI").and_then(Value::as_str).unwrap_or("");
            let query = uri.split_once('?').map_or("", |(_, q)| q);
            return query
                .split('&')
                .find_map(|kv| kv.strip_prefix(&**k).and_then(|r| r.strip_prefix('=')))
                .map_or(V::Missing, V::Str);
        }
        "ka.req.binding.subject.has_name" => {
            let (Some(root), Arg::Key(k)) = (ev.audit.as_ref(), &x.arg) else {
                return V::Missing;
            };
            let mut subjects = Vec::new();
            collect(root, "/requestObject/subjects/*/name", &mut subjects);
            let has = subjects.iter().any(|s| s.as_str() == Some(&**k));
            return V::Str(if has { "true" } else { "false" });
        }
        _ => {}
    }
    match values(ev, x).get(i) {
        Some(v) => render(v, x.field, buf),
        None => V::Missing,
    }
}
