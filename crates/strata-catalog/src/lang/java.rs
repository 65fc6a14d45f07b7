//! Java: Gradle's `gradle.lockfile` and Maven's `pom.xml` (its direct dependencies).
//! Jars and their `pom.properties` are read elsewhere.

use std::collections::{HashMap, HashSet};

use strata_types::PackageType;

use super::{Entries, LangEntry, file_name, lang_detector, line_of, parent, read_text};
use crate::{DetectError, DetectInput};

/// `gradle.lockfile` (Gradle 6+) and `gradle/dependency-locks/*.lockfile` (older).
#[derive(Debug, Default)]
pub struct GradleLockDetector;

fn wants_gradle(path: &str) -> bool {
    let name = file_name(path);
    name == "gradle.lockfile"
        || (name.ends_with(".lockfile") && file_name(parent(path)) == "dependency-locks")
}

lang_detector!(
    GradleLockDetector,
    "java-gradle-lockfile",
    wants_gradle,
    gradle_lock_entries
);

/// `group:artifact:version=configuration,...` lines; `#` comments and the `empty=`
/// line are skipped, other lines are warnings. A package only in test configurations
/// is marked dev.
pub(crate) fn gradle_lock_entries(input: &DetectInput<'_>) -> Entries {
    let text = read_text(input)?;
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("empty=") {
            continue;
        }
        let (coords, configs) = line.split_once('=').unwrap_or((line, ""));
        let parts: Vec<&str> = coords.split(':').collect();
        let [group, artifact, version] = parts.as_slice() else {
            warnings.push(format!(
                "{}:{}: not `group:artifact:version=configurations`: `{line}`; skipped",
                input.path,
                i + 1
            ));
            continue;
        };
        if group.is_empty() || artifact.is_empty() || version.is_empty() {
            warnings.push(format!(
                "{}:{}: empty group, artifact or version: `{line}`; skipped",
                input.path,
                i + 1
            ));
            continue;
        }
        let configs: Vec<&str> = configs
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        let dev = (!configs.is_empty()).then(|| {
            configs
                .iter()
                .all(|c| c.to_ascii_lowercase().starts_with("test"))
        });
        let name = format!("{group}:{artifact}");
        if seen.insert((name.clone(), (*version).to_owned())) {
            entries.push(LangEntry::new(PackageType::Maven, &name, version).dev(dev));
        }
    }
    Ok((entries, warnings))
}

/// `pom.xml`.
#[derive(Debug, Default)]
pub struct PomXmlDetector;

lang_detector!(
    PomXmlDetector,
    "java-pom-xml",
    |p| file_name(p) == "pom.xml",
    pom_entries
);

/// The most XML nodes a pom may have.
const MAX_XML_NODES: u32 = 2_000_000;

/// How many times `${...}` may be expanded in one value (nested properties), and the
/// longest value that expansion may produce.
const MAX_INTERPOLATIONS: usize = 32;
const MAX_INTERPOLATED_LEN: usize = 1024;

/// A pom's text: UTF-8, or ISO-8859-1 where the XML declaration says so.
fn pom_text<'a>(input: &DetectInput<'a>) -> Result<std::borrow::Cow<'a, str>, DetectError> {
    match read_text(input) {
        Ok(t) => Ok(std::borrow::Cow::Borrowed(t)),
        Err(e @ DetectError::TooLarge { .. }) => Err(e),
        Err(e) => {
            let head = input.contents.get(..100).unwrap_or(input.contents);
            let head = String::from_utf8_lossy(head).to_ascii_lowercase();
            if head.starts_with("<?xml") && (head.contains("iso-8859-1") || head.contains("latin1"))
            {
                Ok(std::borrow::Cow::Owned(
                    input.contents.iter().map(|&b| char::from(b)).collect(),
                ))
            } else {
                Err(e)
            }
        }
    }
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn child_text<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> Option<&'a str> {
    child(node, name)
        .and_then(|c| c.text())
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Replaces `${name}` from `props`; `None` when a property is unknown, or nesting is
/// too deep, or the result too long (a property bomb).
fn interpolate(value: &str, props: &HashMap<String, String>) -> Option<String> {
    if value.len() > MAX_INTERPOLATED_LEN {
        return (!value.contains("${")).then(|| value.to_owned());
    }
    let mut out = value.to_owned();
    for _ in 0..MAX_INTERPOLATIONS {
        let Some(start) = out.find("${") else {
            return Some(out);
        };
        let end = start + out.get(start..)?.find('}')?;
        let key = out.get(start + 2..end)?;
        let replacement = props.get(key)?;
        if out.len() + replacement.len() > MAX_INTERPOLATED_LEN {
            return None;
        }
        out = format!(
            "{}{}{}",
            out.get(..start)?,
            replacement,
            out.get(end + 1..)?
        );
    }
    None
}

/// The direct dependencies of `project/dependencies` (not plugins, profiles or
/// `dependencyManagement`). Versions may be literal or `${property}` from the same
/// pom's `<properties>` (and `project.version` and friends); a dependency without a
/// version takes the one in the same pom's `dependencyManagement`. Version ranges,
/// unknown properties (a parent's, a BOM's) and missing versions are warnings. `test`
/// scope marks dev.
pub(crate) fn pom_entries(input: &DetectInput<'_>) -> Entries {
    let text = pom_text(input)?;
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_XML_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(&text, opts).map_err(|e| {
        let pos = e.pos();
        DetectError::malformed(
            input.path,
            Some(pos.row as usize),
            format!("invalid XML: {e}"),
        )
    })?;
    let project = doc.root_element();
    if project.tag_name().name() != "project" {
        return Err(DetectError::malformed(
            input.path,
            Some(line_of(text.as_bytes(), project.range().start)),
            format!(
                "the root element is <{}>, not <project>",
                project.tag_name().name()
            ),
        ));
    }
    let mut props: HashMap<String, String> = HashMap::new();
    if let Some(p) = child(project, "properties") {
        for prop in p.children().filter(|c| c.is_element()) {
            props.insert(
                prop.tag_name().name().to_owned(),
                prop.text().unwrap_or("").trim().to_owned(),
            );
        }
    }
    let parent_node = child(project, "parent");
    let own_or_parent = |field: &str| {
        child_text(project, field).or_else(|| parent_node.and_then(|p| child_text(p, field)))
    };
    for field in ["groupId", "artifactId", "version"] {
        if let Some(v) = own_or_parent(field) {
            props.insert(format!("project.{field}"), v.to_owned());
            props.insert(format!("pom.{field}"), v.to_owned());
        }
        if let Some(v) = parent_node.and_then(|p| child_text(p, field)) {
            props.insert(format!("project.parent.{field}"), v.to_owned());
        }
    }

    // dependencyManagement versions of this pom: (group, artifact) → version.
    let mut managed: HashMap<(String, String), String> = HashMap::new();
    if let Some(deps) =
        child(project, "dependencyManagement").and_then(|d| child(d, "dependencies"))
    {
        for dep in deps
            .children()
            .filter(|c| c.is_element() && c.tag_name().name() == "dependency")
        {
            let g = child_text(dep, "groupId").and_then(|v| interpolate(v, &props));
            let a = child_text(dep, "artifactId").and_then(|v| interpolate(v, &props));
            let v = child_text(dep, "version").and_then(|v| interpolate(v, &props));
            if let (Some(g), Some(a), Some(v)) = (g, a, v) {
                managed.insert((g, a), v);
            }
        }
    }

    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = HashSet::new();
    let Some(deps) = child(project, "dependencies") else {
        return Ok((entries, warnings));
    };
    for dep in deps
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "dependency")
    {
        let line = line_of(text.as_bytes(), dep.range().start);
        let warn = |warnings: &mut Vec<String>, msg: String| {
            warnings.push(format!("{}:{line}: {msg}; skipped", input.path));
        };
        let raw_group = child_text(dep, "groupId");
        let raw_artifact = child_text(dep, "artifactId");
        let (Some(raw_group), Some(raw_artifact)) = (raw_group, raw_artifact) else {
            warn(
                &mut warnings,
                "dependency without groupId or artifactId".into(),
            );
            continue;
        };
        let (Some(group), Some(artifact)) = (
            interpolate(raw_group, &props),
            interpolate(raw_artifact, &props),
        ) else {
            warn(
                &mut warnings,
                format!("{raw_group}:{raw_artifact}: a property is not defined in this pom"),
            );
            continue;
        };
        let name = format!("{group}:{artifact}");
        let version = match child_text(dep, "version") {
            Some(raw) => match interpolate(raw, &props) {
                Some(v) => v,
                None => {
                    warn(
                        &mut warnings,
                        format!("{name}: version `{raw}` uses a property not defined in this pom"),
                    );
                    continue;
                }
            },
            None => match managed.get(&(group.clone(), artifact.clone())) {
                Some(v) => v.clone(),
                None => {
                    warn(
                        &mut warnings,
                        format!("{name}: no version (managed by a parent or an imported BOM)"),
                    );
                    continue;
                }
            },
        };
        if version.is_empty() || version.starts_with(['[', '(']) || version.contains(',') {
            warn(
                &mut warnings,
                format!("{name}: `{version}` is a version range, not a version"),
            );
            continue;
        }
        let mut qualifiers = Vec::new();
        if let Some(c) = child_text(dep, "classifier").and_then(|c| interpolate(c, &props)) {
            qualifiers.push(("classifier", c));
        }
        if let Some(t) = child_text(dep, "type").and_then(|t| interpolate(t, &props))
            && t != "jar"
        {
            qualifiers.push(("type", t));
        }
        if !seen.insert((name.clone(), version.clone(), qualifiers.clone())) {
            continue;
        }
        let dev = child_text(dep, "scope").map(|s| s == "test");
        let mut e = LangEntry::new(PackageType::Maven, &name, &version).dev(dev);
        e.qualifiers = qualifiers;
        entries.push(e);
    }
    Ok((entries, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_is_bounded() {
        let mut props = HashMap::new();
        props.insert("a".to_owned(), "${b}${b}".to_owned());
        props.insert("b".to_owned(), "${c}${c}".to_owned());
        props.insert("c".to_owned(), "x".repeat(600));
        props.insert("v".to_owned(), "1.${w}".to_owned());
        props.insert("w".to_owned(), "2".to_owned());
        props.insert("loop".to_owned(), "${loop}".to_owned());
        assert_eq!(interpolate("${v}", &props).as_deref(), Some("1.2"));
        assert_eq!(interpolate("${a}", &props), None);
        assert_eq!(interpolate("${loop}", &props), None);
        assert_eq!(interpolate("${missing}", &props), None);
        assert_eq!(interpolate("plain", &props).as_deref(), Some("plain"));
    }
}
