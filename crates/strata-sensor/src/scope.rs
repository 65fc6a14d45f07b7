//! `--scope`: which events the monitor evaluates. With no selector everything is watched;
//! otherwise an event is watched when any selector admits it, so teams can start with
//! their internet-facing, privileged or compliance-scope workloads.

use strata_rules::Event;

/// One selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// `label:KEY` (present) or `label:KEY=VALUE`.
    Label(String, Option<String>),
    /// `image:GLOB` over the image reference (`nginx:*`, `registry.local/team/*`).
    Image(String),
    /// `name:GLOB` over the container name.
    Name(String),
    /// `privileged`: privileged containers.
    Privileged,
    /// `host`: processes outside containers.
    Host,
    /// `container`: every container.
    AnyContainer,
}

/// The scope: no selectors means everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    selectors: Vec<Selector>,
}

/// A `--scope` value that does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid --scope {spec:?}: {message}")]
pub struct ScopeError {
    /// The value.
    pub spec: String,
    /// What is wrong.
    pub message: String,
}

impl Scope {
    /// Parses `--scope` values.
    pub fn parse<S: AsRef<str>>(specs: &[S]) -> Result<Scope, ScopeError> {
        let mut selectors = Vec::new();
        for spec in specs {
            let spec = spec.as_ref();
            let err = |m: &str| ScopeError {
                spec: spec.to_owned(),
                message: m.to_owned(),
            };
            let sel = match spec.split_once(':') {
                Some(("label", kv)) => match kv.split_once('=') {
                    Some(("", _)) => return Err(err("the label key is empty")),
                    Some((k, v)) => Selector::Label(k.to_owned(), Some(v.to_owned())),
                    None if kv.is_empty() => return Err(err("the label key is empty")),
                    None => Selector::Label(kv.to_owned(), None),
                },
                Some(("image", g)) if !g.is_empty() => Selector::Image(g.to_owned()),
                Some(("name", g)) if !g.is_empty() => Selector::Name(g.to_owned()),
                Some((kind @ ("image" | "name"), _)) => {
                    return Err(err(&format!("{kind}: needs a pattern")));
                }
                None if spec == "privileged" => Selector::Privileged,
                None if spec == "host" => Selector::Host,
                None if spec == "container" => Selector::AnyContainer,
                _ => {
                    return Err(err(
                        "expected label:KEY[=VALUE], image:GLOB, name:GLOB, privileged, container or host",
                    ));
                }
            };
            selectors.push(sel);
        }
        Ok(Scope { selectors })
    }

    /// Whether everything is watched.
    pub fn is_everything(&self) -> bool {
        self.selectors.is_empty()
    }

    /// Whether the event is in scope.
    pub fn admits(&self, ev: &Event) -> bool {
        if self.selectors.is_empty() {
            return true;
        }
        let c = ev.container.as_ref();
        // A container whose metadata is still being looked up (its first moments, or a
        // daemon that does not answer) carries only its id: it is watched rather than
        // let through unseen, whatever the selectors say about labels and images.
        let pending = c.is_some_and(|c| c.name.is_empty() && c.image.is_empty());
        let pod_labels = ev.k8s.as_ref().map_or(&[][..], |k| &k.pod_labels[..]);
        self.selectors.iter().any(|s| match (s, c) {
            (Selector::Host, None) => true,
            (Selector::Host, Some(_)) | (_, None) => false,
            (_, Some(_)) if pending => true,
            (Selector::AnyContainer, Some(_)) => true,
            (Selector::Privileged, Some(c)) => c.privileged,
            // The container's labels, then its Kubernetes pod's.
            (Selector::Label(k, v), Some(c)) => c
                .labels
                .iter()
                .chain(pod_labels)
                .any(|l| &l.key == k && v.as_ref().is_none_or(|v| &l.value == v)),
            (Selector::Image(g), Some(c)) => glob(g, &c.image),
            (Selector::Name(g), Some(c)) => glob(g, &c.name),
        })
    }
}

/// `*` matches any run of characters, `?` one character; everything else is literal.
/// Linear-time backtracking over the last `*` (no exponential blow-up).
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_rules::event::{Container, Label};

    fn ev(c: Option<Container>) -> Event {
        Event {
            container: c,
            ..Event::default()
        }
    }

    #[test]
    fn selectors() {
        let web = Container {
            name: "web-1".into(),
            image: "registry.local/team/web:2.1".into(),
            labels: vec![Label {
                key: "tier".into(),
                value: "edge".into(),
            }],
            ..Container::default()
        };
        let priv_c = Container {
            privileged: true,
            name: "db".into(),
            ..Container::default()
        };
        // Only its id: the daemon has not answered yet.
        let pending = Container {
            id: "0123456789ab".into(),
            ..Container::default()
        };
        // A pod's container: the pod's labels come with the event's k8s part.
        let mut in_pod = ev(Some(Container {
            name: "k8s_api_checkout".into(),
            image: "checkout:1".into(),
            ..Container::default()
        }));
        in_pod.k8s = Some(strata_rules::event::K8s {
            pod_labels: vec![Label {
                key: "tier".into(),
                value: "payments".into(),
            }],
            ..Default::default()
        });
        let cases: &[(&[&str], [bool; 5])] = &[
            (&[], [true, true, true, true, true]),
            (&["host"], [true, false, false, false, false]),
            (&["container"], [false, true, true, true, true]),
            (&["privileged"], [false, false, true, true, false]),
            (&["label:tier"], [false, true, false, true, true]),
            (&["label:tier=edge"], [false, true, false, true, false]),
            (&["label:tier=payments"], [false, false, false, true, true]),
            (&["label:tier=core"], [false, false, false, true, false]),
            (
                &["image:registry.local/team/*"],
                [false, true, false, true, false],
            ),
            (&["name:web-?"], [false, true, false, true, false]),
            (
                &["name:db", "label:tier=edge"],
                [false, true, true, true, false],
            ),
        ];
        for (specs, want) in cases {
            let s = Scope::parse(specs).unwrap();
            let got = [
                s.admits(&ev(None)),
                s.admits(&ev(Some(web.clone()))),
                s.admits(&ev(Some(priv_c.clone()))),
                s.admits(&ev(Some(pending.clone()))),
                s.admits(&in_pod),
            ];
            assert_eq!(&got, want, "{specs:?}");
        }
    }

    #[test]
    fn bad_specs() {
        for bad in [
            "label:",
            "label:=x",
            "image:",
            "name:",
            "nonsense",
            "privileged:yes",
            "host:x",
        ] {
            let e = Scope::parse(&[bad]).unwrap_err();
            assert_eq!(e.spec, bad);
        }
    }

    #[test]
    fn globs() {
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b*c", "aXXbYY"));
        assert!(glob("nginx:*", "nginx:1.25"));
        assert!(!glob("nginx", "nginx:1.25"));
        assert!(glob("?", "é"));
        let long = "a".repeat(10_000);
        assert!(!glob(&format!("{}b", "*a".repeat(50)), &long));
    }
}
