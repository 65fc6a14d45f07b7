//! VEX documents in: OpenVEX, CycloneDX VEX and CSAF VEX. `not_affected` with a
//! justification suppresses a finding; other statuses annotate it.
//!
//! The JSON is read through the positioned YAML reader (JSON is YAML's flow style), so a
//! wrong field is reported at its line and column like policy mistakes are.

use strata_types::purl::Purl;
use strata_types::{Finding, SuppressedBy, Suppression, VexNote};

use crate::PolicyError;
use crate::reader::Reader;
use crate::yaml::{self, Node, Value};

/// VEX files larger than this are refused (Red Hat's biggest CSAF files are ~30 MiB).
pub const MAX_VEX_SIZE: usize = 128 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VexStatus {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

impl VexStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VexStatus::NotAffected => "not_affected",
            VexStatus::Affected => "affected",
            VexStatus::Fixed => "fixed",
            VexStatus::UnderInvestigation => "under_investigation",
        }
    }
}

/// One statement: these vulnerabilities have this status in these products.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VexStatement {
    /// The vulnerability's name and aliases.
    pub vulnerabilities: Vec<String>,
    /// Package URLs (`pkg:...`) of the products, subcomponents included.
    pub products: Vec<String>,
    pub status: VexStatus,
    /// The justification keyword (`vulnerable_code_not_present`, ...).
    pub justification: Option<String>,
    /// The free-text impact statement or analysis detail.
    pub detail: Option<String>,
    /// `FILE:LINE:COLUMN` of the statement.
    pub source: String,
}

/// A VEX document's statements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VexDocument {
    pub file: String,
    /// `openvex`, `cyclonedx` or `csaf`.
    pub format: &'static str,
    /// The document's own id (`@id`, `serialNumber`, `tracking.id`), else the file name.
    pub id: String,
    pub statements: Vec<VexStatement>,
}

impl Reader<'_> {
    fn seq<'n>(&self, node: &'n Node, what: &str) -> Result<&'n [Node], PolicyError> {
        match &node.value {
            Value::Seq(items) => Ok(items),
            Value::Null => Ok(&[]),
            _ => Err(self.err(
                node,
                format!("`{what}` must be an array, not a {}", node.kind()),
                format!("write `\"{what}\": [...]`"),
            )),
        }
    }

    fn text(&self, node: &Node, what: &str) -> Result<String, PolicyError> {
        node.as_str().map(str::to_owned).ok_or_else(|| {
            self.err(
                node,
                format!("`{what}` must be a string, not a {}", node.kind()),
                format!("write `\"{what}\": \"...\"`"),
            )
        })
    }

    fn opt_text(&self, node: &Node, key: &str) -> Result<Option<String>, PolicyError> {
        node.get(key).map(|v| self.text(v, key)).transpose()
    }
}

/// Parses a VEX document, recognising its format from its content.
pub fn parse_vex(text: &str, file: &str) -> Result<VexDocument, PolicyError> {
    let at = |line: usize, col: usize, message: String, hint: &str| PolicyError::Invalid {
        file: file.to_owned(),
        line,
        col,
        message,
        hint: hint.to_owned(),
    };
    if text.len() > MAX_VEX_SIZE {
        return Err(at(
            1,
            1,
            format!("larger than {} MiB", MAX_VEX_SIZE >> 20),
            "split the document",
        ));
    }
    // serde_json first: its syntax errors are the ones JSON users recognise.
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        return Err(at(
            e.line(),
            e.column(),
            format!("invalid JSON: {e}"),
            "VEX documents are JSON (OpenVEX, CycloneDX or CSAF); check the syntax near this position",
        ));
    }
    let docs = yaml::parse_documents(text).map_err(|e| {
        at(
            e.line,
            e.col,
            format!("cannot read the JSON: {}", e.message),
            "re-indent the file with spaces (tabs are not supported here)",
        )
    })?;
    let Some(root) = docs.first() else {
        return Err(at(
            1,
            1,
            "empty document".into(),
            "give an OpenVEX, CycloneDX or CSAF document",
        ));
    };
    let r = Reader { file };
    if !matches!(root.value, Value::Map(_)) {
        return Err(r.err(
            root,
            "a VEX document must be a JSON object",
            "give an OpenVEX, CycloneDX or CSAF document",
        ));
    }
    let context = root
        .get("@context")
        .and_then(Node::as_str)
        .unwrap_or_default();
    if context.contains("openvex") {
        openvex(&r, root)
    } else if root.get("bomFormat").and_then(Node::as_str) == Some("CycloneDX") {
        cyclonedx(&r, root)
    } else if root
        .get("document")
        .is_some_and(|d| d.get("csaf_version").is_some() || d.get("category").is_some())
    {
        csaf(&r, root)
    } else {
        Err(r.err(
            root,
            "not a VEX document this version reads",
            "expected OpenVEX (`@context` https://openvex.dev/ns/...), CycloneDX (`bomFormat`) or CSAF (`document.csaf_version`)",
        ))
    }
}

/// OpenVEX's status justifications (OpenVEX specification, "Status Justifications").
const OPENVEX_JUSTIFICATIONS: &[&str] = &[
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

/// CycloneDX 1.4+'s `analysis.justification` values.
const CYCLONEDX_JUSTIFICATIONS: &[&str] = &[
    "code_not_present",
    "code_not_reachable",
    "requires_configuration",
    "requires_dependency",
    "requires_environment",
    "protected_by_compiler",
    "protected_at_runtime",
    "protected_at_perimeter",
    "protected_by_mitigating_control",
];

fn doc_id(r: &Reader<'_>, id: Option<&Node>) -> String {
    id.and_then(Node::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| r.file.to_owned())
}

fn openvex(r: &Reader<'_>, root: &Node) -> Result<VexDocument, PolicyError> {
    let mut statements = Vec::new();
    let Some(items) = root.get("statements") else {
        return Err(r.err(
            root,
            "an OpenVEX document needs `statements`",
            "add `\"statements\": [...]`",
        ));
    };
    for st in r.seq(items, "statements")? {
        let vuln = st.get("vulnerability").ok_or_else(|| {
            r.err(
                st,
                "a statement needs `vulnerability`",
                "add `\"vulnerability\": {\"name\": \"CVE-...\"}`",
            )
        })?;
        let mut vulnerabilities = Vec::new();
        match &vuln.value {
            Value::Scalar { text, .. } => vulnerabilities.push(text.clone()),
            Value::Map(_) => {
                let name = vuln.get("name").ok_or_else(|| {
                    r.err(
                        vuln,
                        "`vulnerability` needs `name`",
                        "add `\"name\": \"CVE-...\"`",
                    )
                })?;
                vulnerabilities.push(r.text(name, "name")?);
                if let Some(a) = vuln.get("aliases") {
                    for alias in r.seq(a, "aliases")? {
                        vulnerabilities.push(r.text(alias, "aliases")?);
                    }
                }
            }
            _ => {
                return Err(r.err(
                    vuln,
                    "`vulnerability` must be an object",
                    "write `\"vulnerability\": {\"name\": \"CVE-...\"}`",
                ));
            }
        }
        let mut products = Vec::new();
        if let Some(p) = st.get("products") {
            for prod in r.seq(p, "products")? {
                openvex_product(r, prod, &mut products)?;
            }
        }
        let status_node = st.get("status").ok_or_else(|| {
            r.err(
                st,
                "a statement needs `status`",
                "add `\"status\": \"not_affected\"` (or affected, fixed, under_investigation)",
            )
        })?;
        let status = match r.text(status_node, "status")?.as_str() {
            "not_affected" => VexStatus::NotAffected,
            "affected" => VexStatus::Affected,
            "fixed" => VexStatus::Fixed,
            "under_investigation" => VexStatus::UnderInvestigation,
            other => {
                return Err(r.err(
                    status_node,
                    format!("unknown status {other:?}"),
                    "use not_affected, affected, fixed or under_investigation",
                ));
            }
        };
        let justification = match st.get("justification") {
            Some(node) => {
                let j = r.text(node, "justification")?;
                if !OPENVEX_JUSTIFICATIONS.contains(&j.as_str()) {
                    return Err(r.err(
                        node,
                        format!("unknown OpenVEX justification {j:?}"),
                        format!("use one of {}", OPENVEX_JUSTIFICATIONS.join(", ")),
                    ));
                }
                Some(j)
            }
            None => None,
        };
        statements.push(VexStatement {
            vulnerabilities,
            products,
            status,
            justification,
            detail: match r.opt_text(st, "impact_statement")? {
                Some(d) => Some(d),
                None => r.opt_text(st, "action_statement")?,
            },
            source: r.source(st),
        });
    }
    Ok(VexDocument {
        file: r.file.to_owned(),
        format: "openvex",
        id: doc_id(r, root.get("@id")),
        statements,
    })
}

fn openvex_product(r: &Reader<'_>, prod: &Node, out: &mut Vec<String>) -> Result<(), PolicyError> {
    match &prod.value {
        Value::Scalar { text, .. } => out.push(text.clone()),
        Value::Map(_) => {
            if let Some(id) = prod.get("@id") {
                out.push(r.text(id, "@id")?);
            }
            if let Some(p) = prod.get("identifiers").and_then(|i| i.get("purl")) {
                out.push(r.text(p, "purl")?);
            }
            if let Some(subs) = prod.get("subcomponents") {
                for s in r.seq(subs, "subcomponents")? {
                    openvex_product(r, s, out)?;
                }
            }
        }
        _ => {
            return Err(r.err(
                prod,
                "a product must be an object",
                "write `{\"@id\": \"pkg:...\"}`",
            ));
        }
    }
    Ok(())
}

fn cyclonedx(r: &Reader<'_>, root: &Node) -> Result<VexDocument, PolicyError> {
    // bom-ref -> purl of every component, nested ones included.
    let mut refs: Vec<(String, String)> = Vec::new();
    fn walk(
        r: &Reader<'_>,
        node: &Node,
        refs: &mut Vec<(String, String)>,
    ) -> Result<(), PolicyError> {
        for c in r.seq(node, "components")? {
            if let (Some(b), Some(p)) = (
                c.get("bom-ref").and_then(Node::as_str),
                c.get("purl").and_then(Node::as_str),
            ) {
                refs.push((b.to_owned(), p.to_owned()));
            }
            if let Some(sub) = c.get("components") {
                walk(r, sub, refs)?;
            }
        }
        Ok(())
    }
    if let Some(c) = root.get("components") {
        walk(r, c, &mut refs)?;
    }
    if let Some(c) = root.get("metadata").and_then(|m| m.get("component"))
        && let (Some(b), Some(p)) = (
            c.get("bom-ref").and_then(Node::as_str),
            c.get("purl").and_then(Node::as_str),
        )
    {
        refs.push((b.to_owned(), p.to_owned()));
    }
    let mut statements = Vec::new();
    let vulns = root.get("vulnerabilities").ok_or_else(|| {
        r.err(
            root,
            "a CycloneDX VEX document needs `vulnerabilities`",
            "add `\"vulnerabilities\": [...]` with `analysis.state`",
        )
    })?;
    for v in r.seq(vulns, "vulnerabilities")? {
        let id = v
            .get("id")
            .ok_or_else(|| r.err(v, "a vulnerability needs `id`", "add `\"id\": \"CVE-...\"`"))?;
        let mut vulnerabilities = vec![r.text(id, "id")?];
        if let Some(refs) = v.get("references") {
            for rf in r.seq(refs, "references")? {
                if let Some(i) = rf.get("id").and_then(Node::as_str) {
                    vulnerabilities.push(i.to_owned());
                }
            }
        }
        let Some(analysis) = v.get("analysis") else {
            // A vulnerability without analysis says nothing VEX-wise.
            continue;
        };
        let state_node = analysis.get("state").ok_or_else(|| {
            r.err(
                analysis,
                "`analysis` needs `state`",
                "add `\"state\": \"not_affected\"`",
            )
        })?;
        let status = match r.text(state_node, "state")?.as_str() {
            "not_affected" | "false_positive" => VexStatus::NotAffected,
            "exploitable" => VexStatus::Affected,
            "resolved" | "resolved_with_pedigree" => VexStatus::Fixed,
            "in_triage" => VexStatus::UnderInvestigation,
            other => {
                return Err(r.err(
                    state_node,
                    format!("unknown analysis state {other:?}"),
                    "use not_affected, false_positive, exploitable, resolved, resolved_with_pedigree or in_triage",
                ));
            }
        };
        let mut products = Vec::new();
        if let Some(affects) = v.get("affects") {
            for a in r.seq(affects, "affects")? {
                let Some(rf) = a.get("ref") else {
                    return Err(r.err(
                        a,
                        "`affects` entries need `ref`",
                        "add `\"ref\": \"<bom-ref or purl>\"`",
                    ));
                };
                let rf = r.text(rf, "ref")?;
                match refs.iter().find(|(b, _)| *b == rf) {
                    Some((_, p)) => products.push(p.clone()),
                    None => products.push(rf),
                }
            }
        }
        let mut justification = r.opt_text(analysis, "justification")?;
        if let (Some(j), Some(node)) = (&justification, analysis.get("justification"))
            && !CYCLONEDX_JUSTIFICATIONS.contains(&j.as_str())
        {
            return Err(r.err(
                node,
                format!("unknown CycloneDX analysis justification {j:?}"),
                format!("use one of {}", CYCLONEDX_JUSTIFICATIONS.join(", ")),
            ));
        }
        if justification.is_none() && r.text(state_node, "state")? == "false_positive" {
            justification = Some("false_positive".to_owned());
        }
        statements.push(VexStatement {
            vulnerabilities,
            products,
            status,
            justification,
            detail: r.opt_text(analysis, "detail")?,
            source: r.source(v),
        });
    }
    Ok(VexDocument {
        file: r.file.to_owned(),
        format: "cyclonedx",
        id: doc_id(r, root.get("serialNumber")),
        statements,
    })
}

fn csaf(r: &Reader<'_>, root: &Node) -> Result<VexDocument, PolicyError> {
    // product_id -> purl, from branches, full_product_names and relationships.
    let mut purls: Vec<(String, String)> = Vec::new();
    fn product(node: &Node, purls: &mut Vec<(String, String)>) {
        if let (Some(id), Some(p)) = (
            node.get("product_id").and_then(Node::as_str),
            node.get("product_identification_helper")
                .and_then(|h| h.get("purl"))
                .and_then(Node::as_str),
        ) {
            purls.push((id.to_owned(), p.to_owned()));
        }
    }
    fn branches(node: &Node, purls: &mut Vec<(String, String)>, depth: usize) {
        if depth > 32 {
            return;
        }
        if let Value::Seq(items) = &node.value {
            for b in items {
                if let Some(p) = b.get("product") {
                    product(p, purls);
                }
                if let Some(sub) = b.get("branches") {
                    branches(sub, purls, depth + 1);
                }
            }
        }
    }
    let tree = root.get("product_tree");
    if let Some(t) = tree {
        if let Some(b) = t.get("branches") {
            branches(b, &mut purls, 0);
        }
        if let Some(Value::Seq(names)) = t.get("full_product_names").map(|n| &n.value) {
            for n in names {
                product(n, &mut purls);
            }
        }
        if let Some(Value::Seq(rels)) = t.get("relationships").map(|n| &n.value) {
            let mut extra = Vec::new();
            for rel in rels {
                let (Some(id), Some(reference)) = (
                    rel.get("full_product_name")
                        .and_then(|f| f.get("product_id"))
                        .and_then(Node::as_str),
                    rel.get("product_reference").and_then(Node::as_str),
                ) else {
                    continue;
                };
                if let Some((_, p)) = purls.iter().find(|(pid, _)| pid == reference) {
                    extra.push((id.to_owned(), p.clone()));
                }
            }
            purls.extend(extra);
        }
    }
    purls.sort();
    purls.dedup();
    let purl_of = |id: &str| -> Option<String> {
        purls
            .binary_search_by(|(p, _)| p.as_str().cmp(id))
            .ok()
            .map(|i| purls[i].1.clone())
    };
    let mut statements = Vec::new();
    let vulns = root.get("vulnerabilities").ok_or_else(|| {
        r.err(
            root,
            "a CSAF document needs `vulnerabilities`",
            "add `\"vulnerabilities\": [...]` with `product_status`",
        )
    })?;
    for v in r.seq(vulns, "vulnerabilities")? {
        let mut vulnerabilities = Vec::new();
        if let Some(c) = v.get("cve") {
            vulnerabilities.push(r.text(c, "cve")?);
        }
        if let Some(ids) = v.get("ids") {
            for i in r.seq(ids, "ids")? {
                if let Some(t) = i.get("text").and_then(Node::as_str) {
                    vulnerabilities.push(t.to_owned());
                }
            }
        }
        if vulnerabilities.is_empty() {
            return Err(r.err(
                v,
                "a vulnerability needs `cve` or `ids`",
                "add `\"cve\": \"CVE-...\"`",
            ));
        }
        let Some(status) = v.get("product_status") else {
            continue;
        };
        // Justifications per product: flags (machine-readable) and impact threats (text).
        let mut flags: Vec<(String, String)> = Vec::new();
        if let Some(fl) = v.get("flags") {
            for f in r.seq(fl, "flags")? {
                let Some(label) = f.get("label").and_then(Node::as_str) else {
                    continue;
                };
                if let Some(ids) = f.get("product_ids") {
                    for id in r.seq(ids, "product_ids")? {
                        flags.push((r.text(id, "product_ids")?, label.to_owned()));
                    }
                }
            }
        }
        let mut impacts: Vec<(String, String)> = Vec::new();
        if let Some(th) = v.get("threats") {
            for t in r.seq(th, "threats")? {
                if t.get("category").and_then(Node::as_str) != Some("impact") {
                    continue;
                }
                let Some(details) = t.get("details").and_then(Node::as_str) else {
                    continue;
                };
                if let Some(ids) = t.get("product_ids") {
                    for id in r.seq(ids, "product_ids")? {
                        impacts.push((r.text(id, "product_ids")?, details.to_owned()));
                    }
                }
            }
        }
        for (key, st) in [
            ("known_not_affected", VexStatus::NotAffected),
            ("known_affected", VexStatus::Affected),
            ("first_affected", VexStatus::Affected),
            ("last_affected", VexStatus::Affected),
            ("fixed", VexStatus::Fixed),
            ("first_fixed", VexStatus::Fixed),
            ("under_investigation", VexStatus::UnderInvestigation),
        ] {
            let Some(list) = status.get(key) else {
                continue;
            };
            let ids = r.seq(list, key)?;
            if st == VexStatus::NotAffected {
                // Each product carries its own justification.
                for id in ids {
                    let id = r.text(id, key)?;
                    let Some(purl) = purl_of(&id) else { continue };
                    statements.push(VexStatement {
                        vulnerabilities: vulnerabilities.clone(),
                        products: vec![purl],
                        status: st,
                        justification: flags.iter().find(|(p, _)| *p == id).map(|(_, l)| l.clone()),
                        detail: impacts
                            .iter()
                            .find(|(p, _)| *p == id)
                            .map(|(_, d)| d.clone()),
                        source: r.source(list),
                    });
                }
            } else {
                let mut products = Vec::new();
                for id in ids {
                    if let Some(p) = purl_of(&r.text(id, key)?) {
                        products.push(p);
                    }
                }
                if !products.is_empty() {
                    statements.push(VexStatement {
                        vulnerabilities: vulnerabilities.clone(),
                        products,
                        status: st,
                        justification: None,
                        detail: None,
                        source: r.source(list),
                    });
                }
            }
        }
    }
    Ok(VexDocument {
        file: r.file.to_owned(),
        format: "csaf",
        id: doc_id(
            r,
            root.get("document")
                .and_then(|d| d.get("tracking"))
                .and_then(|t| t.get("id")),
        ),
        statements,
    })
}

/// The id an alias names: `CVE-1` for `https://www.cve.org/CVERecord?id=CVE-1` or
/// `https://nvd.nist.gov/vuln/detail/CVE-1`.
fn alias_id(alias: &str) -> &str {
    let tail = alias.rsplit(['/', '=']).next().unwrap_or(alias);
    tail.strip_suffix(".html").unwrap_or(tail)
}

fn names(st: &VexStatement, f: &Finding) -> bool {
    st.vulnerabilities.iter().any(|v| {
        let v = alias_id(v);
        !v.is_empty()
            && (f.id.eq_ignore_ascii_case(v)
                || f.aliases.iter().any(|a| a.eq_ignore_ascii_case(v))
                || f.advisories.iter().any(|a| a.eq_ignore_ascii_case(v)))
    })
}

fn fold(s: &str, ty: &str) -> String {
    let s = s.to_ascii_lowercase();
    if ty == "pypi" {
        s.replace(['_', '.'], "-")
    } else {
        s
    }
}

/// True when the VEX product purl names the finding's package (and version, when it
/// gives one). Of the qualifiers only `arch` is compared, when both purls have one: a
/// statement about a source package (`arch=src`) says nothing about its binaries.
pub fn product_matches(product: &str, f: &Finding) -> bool {
    let (Ok(p), Ok(ours)) = (Purl::parse(product), Purl::parse(&f.package.purl)) else {
        return false;
    };
    if p.ty != ours.ty
        || fold(&p.name, &p.ty) != fold(&ours.name, &ours.ty)
        || (!p.namespace.is_empty() && !p.namespace.eq_ignore_ascii_case(&ours.namespace))
    {
        return false;
    }
    if let (Some(a), Some(b)) = (p.qualifier("arch"), ours.qualifier("arch"))
        && !a.eq_ignore_ascii_case(b)
    {
        return false;
    }
    match &p.version {
        None => true,
        Some(v) => {
            let epoch = p.qualifier("epoch").filter(|e| *e != "0");
            let with_epoch = epoch.map(|e| format!("{e}:{v}"));
            let candidates = [Some(f.installed_version.as_str()), ours.version.as_deref()];
            candidates.iter().flatten().any(|c| {
                *c == v || with_epoch.as_deref() == Some(*c) || c.strip_prefix("0:") == Some(v)
            })
        }
    }
}

/// Applies the documents to one finding. Statements supersede earlier ones, as OpenVEX
/// reads them: the last statement about the finding (documents in the order given,
/// statements in file order) decides. When it is `not_affected` with a justification or
/// an impact statement, it suppresses the finding; any other last statement annotates it
/// (a vendor's later `affected` undoes an earlier `not_affected`).
pub fn apply(f: &mut Finding, docs: &[VexDocument]) {
    let mut last: Option<(&VexDocument, &VexStatement)> = None;
    for doc in docs {
        for st in &doc.statements {
            if names(st, f) && st.products.iter().any(|p| product_matches(p, f)) {
                last = Some((doc, st));
            }
        }
    }
    if let Some((doc, st)) = last {
        let justified = st.justification.is_some() || st.detail.is_some();
        if st.status == VexStatus::NotAffected && justified {
            f.suppressed = Some(Suppression {
                by: SuppressedBy::Vex,
                id: doc.id.clone(),
                source: Some(st.source.clone()),
                reason: st.justification.clone(),
                justification: st
                    .detail
                    .clone()
                    .or_else(|| st.justification.clone())
                    .unwrap_or_default(),
                approved_by: None,
                ticket: None,
                expires: None,
            });
            f.vex = None;
            return;
        }
        f.vex = Some(VexNote {
            status: st.status.as_str().to_owned(),
            source: format!("{} ({})", st.source, doc.id),
            detail: st.detail.clone().or_else(|| st.justification.clone()),
        });
    }
}
