//! Which distribution an image is: `/etc/os-release` (or `/usr/lib/os-release`), with
//! `alpine-release`, `debian_version` and `redhat-release` as fallbacks for images
//! that lack it or whose os-release omits the version (distroless).

use strata_types::Distro;

/// Every file distro detection may read, so the image reader captures them.
pub const RELEASE_FILES: &[&str] = &[
    "/etc/os-release",
    "/usr/lib/os-release",
    "/etc/alpine-release",
    "/etc/debian_version",
    "/etc/redhat-release",
    "/etc/centos-release",
    "/etc/system-release",
];

/// Detects the distribution. `read` returns a file's contents from the final filesystem.
pub fn detect_distro(read: &dyn Fn(&str) -> Option<Vec<u8>>) -> Option<Distro> {
    for path in ["/etc/os-release", "/usr/lib/os-release"] {
        let Some(bytes) = read(path) else { continue };
        let Some(mut distro) = parse_os_release(&String::from_utf8_lossy(&bytes), path) else {
            continue;
        };
        if distro.version_id.is_empty()
            && distro.id == "debian"
            && let Some(v) = read("/etc/debian_version").and_then(|b| debian_major(&b))
        {
            distro.version_id = v;
        }
        return Some(distro);
    }
    if let Some(bytes) = read("/etc/alpine-release") {
        let version = String::from_utf8_lossy(&bytes).trim().to_owned();
        if !version.is_empty() {
            return Some(Distro {
                id: "alpine".to_owned(),
                version_id: version,
                source_file: "/etc/alpine-release".to_owned(),
                ..Distro::default()
            });
        }
    }
    if let Some(bytes) = read("/etc/debian_version") {
        return Some(Distro {
            id: "debian".to_owned(),
            version_id: debian_major(&bytes).unwrap_or_default(),
            source_file: "/etc/debian_version".to_owned(),
            ..Distro::default()
        });
    }
    for path in [
        "/etc/redhat-release",
        "/etc/centos-release",
        "/etc/system-release",
    ] {
        if let Some(d) = read(path).and_then(|b| parse_redhat_release(&b, path)) {
            return Some(d);
        }
    }
    None
}

/// Parses os-release's shell-style `KEY=value` lines (values optionally quoted, with
/// backslash escapes inside double quotes). Returns `None` without an `ID`.
pub fn parse_os_release(text: &str, source_file: &str) -> Option<Distro> {
    let mut distro = Distro {
        source_file: source_file.to_owned(),
        ..Distro::default()
    };
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        let value = unquote(raw.trim());
        match key.trim() {
            "ID" => distro.id = value.to_ascii_lowercase(),
            "VERSION_ID" => distro.version_id = value,
            "VERSION_CODENAME" if !value.is_empty() => distro.codename = Some(value),
            "ID_LIKE" => {
                distro.id_like = value.split_whitespace().map(str::to_owned).collect();
            }
            "PRETTY_NAME" if !value.is_empty() => distro.pretty_name = Some(value),
            _ => {}
        }
    }
    (!distro.id.is_empty()).then_some(distro)
}

fn unquote(raw: &str) -> String {
    let bytes = raw.as_bytes();
    if bytes.len() >= 2 && bytes[0] == b'\'' && bytes[bytes.len() - 1] == b'\'' {
        return raw[1..raw.len() - 1].to_owned();
    }
    if bytes.len() >= 2 && bytes[0] == b'"' && bytes[bytes.len() - 1] == b'"' {
        let inner = &raw[1..raw.len() - 1];
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            } else {
                out.push(c);
            }
        }
        return out;
    }
    raw.to_owned()
}

/// `12.5` -> `12`; `bookworm/sid` -> none (testing and unstable have no number).
fn debian_major(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let major = text.trim().split('.').next()?.trim();
    (!major.is_empty() && major.bytes().all(|b| b.is_ascii_digit())).then(|| major.to_owned())
}

/// `Rocky Linux release 8.10 (Green Obsidian)` -> rocky 8.10.
fn parse_redhat_release(bytes: &[u8], path: &str) -> Option<Distro> {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().next()?.trim();
    let (name, rest) = line.split_once(" release ")?;
    let version = rest.split_whitespace().next()?.to_owned();
    let lower = name.to_ascii_lowercase();
    let id = [
        ("red hat enterprise linux", "rhel"),
        ("centos", "centos"),
        ("rocky", "rocky"),
        ("almalinux", "almalinux"),
        ("scientific", "scientific"),
        ("fedora", "fedora"),
        ("amazon linux", "amzn"),
        ("oracle linux", "ol"),
    ]
    .iter()
    .find(|(prefix, _)| lower.starts_with(prefix))
    .map_or_else(
        || {
            lower
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned()
        },
        |(_, id)| (*id).to_owned(),
    );
    Some(Distro {
        id,
        version_id: version,
        pretty_name: Some(line.to_owned()),
        source_file: path.to_owned(),
        ..Distro::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn detect(files: &[(&str, &str)]) -> Option<Distro> {
        let map: HashMap<String, Vec<u8>> = files
            .iter()
            .map(|(p, c)| ((*p).to_owned(), c.as_bytes().to_vec()))
            .collect();
        detect_distro(&|p: &str| map.get(p).cloned())
    }

    #[test]
    fn os_release_quoting() {
        let d = detect(&[(
            "/etc/os-release",
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID_LIKE='a b'\n",
        )])
        .unwrap();
        assert_eq!(d.id, "debian");
        assert_eq!(d.version_id, "12");
        assert_eq!(d.codename.as_deref(), Some("bookworm"));
        assert_eq!(d.id_like, ["a", "b"]);
        assert_eq!(
            d.pretty_name.as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
    }

    #[test]
    fn distroless_takes_version_from_debian_version() {
        let d = detect(&[
            (
                "/etc/os-release",
                "ID=\"debian\"\nPRETTY_NAME=\"Distroless\"\n",
            ),
            ("/etc/debian_version", "10.8\n"),
        ])
        .unwrap();
        assert_eq!((d.id.as_str(), d.version_id.as_str()), ("debian", "10"));
    }

    #[test]
    fn fallbacks() {
        let d = detect(&[("/etc/alpine-release", "3.19.1\n")]).unwrap();
        assert_eq!((d.id.as_str(), d.version_id.as_str()), ("alpine", "3.19.1"));
        let d = detect(&[("/etc/debian_version", "bookworm/sid\n")]).unwrap();
        assert_eq!((d.id.as_str(), d.version_id.as_str()), ("debian", ""));
        let d = detect(&[(
            "/etc/redhat-release",
            "Red Hat Enterprise Linux release 8.10 (Ootpa)",
        )])
        .unwrap();
        assert_eq!((d.id.as_str(), d.version_id.as_str()), ("rhel", "8.10"));
        let d = detect(&[("/etc/redhat-release", "CentOS release 5.7 (Final)")]).unwrap();
        assert_eq!((d.id.as_str(), d.version_id.as_str()), ("centos", "5.7"));
        assert!(detect(&[("/etc/os-release", "")]).is_none());
        assert!(detect(&[]).is_none());
    }
}
