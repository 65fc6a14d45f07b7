//! CVSS vectors: parsing and validation of v2, v3.0, v3.1 and v4.0 vectors, and base
//! scores for v2 and v3.x computed with the formulas of the FIRST specifications.
//! v4.0 vectors are validated and stored, but not scored ("score unavailable").

use std::collections::BTreeMap;

/// Longest vector accepted.
pub const MAX_VECTOR_LEN: usize = 512;

/// The CVSS version of a vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CvssVersion {
    #[serde(rename = "2.0")]
    V2,
    #[serde(rename = "3.0")]
    V3_0,
    #[serde(rename = "3.1")]
    V3_1,
    #[serde(rename = "4.0")]
    V4,
}

/// A parsed, validated vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Cvss {
    pub version: CvssVersion,
    /// Metric name to value, as written.
    pub metrics: BTreeMap<String, String>,
    /// The base score, when this version is scored here (v2, v3.x).
    pub base_score: Option<f64>,
}

/// Why a vector is invalid; `offset` is the byte offset in the vector.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid CVSS vector {vector:?} at byte {offset}: {reason}")]
pub struct CvssError {
    pub vector: String,
    pub offset: usize,
    pub reason: String,
}

type Spec = &'static [(&'static str, &'static [&'static str], bool)];

// (metric, allowed values, mandatory)
const V2: Spec = &[
    ("AV", &["L", "A", "N"], true),
    ("AC", &["H", "M", "L"], true),
    ("Au", &["M", "S", "N"], true),
    ("C", &["N", "P", "C"], true),
    ("I", &["N", "P", "C"], true),
    ("A", &["N", "P", "C"], true),
    ("E", &["U", "POC", "F", "H", "ND"], false),
    ("RL", &["OF", "TF", "W", "U", "ND"], false),
    ("RC", &["UC", "UR", "C", "ND"], false),
    ("CDP", &["N", "L", "LM", "MH", "H", "ND"], false),
    ("TD", &["N", "L", "M", "H", "ND"], false),
    ("CR", &["L", "M", "H", "ND"], false),
    ("IR", &["L", "M", "H", "ND"], false),
    ("AR", &["L", "M", "H", "ND"], false),
];

const V3: Spec = &[
    ("AV", &["N", "A", "L", "P"], true),
    ("AC", &["L", "H"], true),
    ("PR", &["N", "L", "H"], true),
    ("UI", &["N", "R"], true),
    ("S", &["U", "C"], true),
    ("C", &["H", "L", "N"], true),
    ("I", &["H", "L", "N"], true),
    ("A", &["H", "L", "N"], true),
    ("E", &["X", "H", "F", "P", "U"], false),
    ("RL", &["X", "U", "W", "T", "O"], false),
    ("RC", &["X", "C", "R", "U"], false),
    ("CR", &["X", "H", "M", "L"], false),
    ("IR", &["X", "H", "M", "L"], false),
    ("AR", &["X", "H", "M", "L"], false),
    ("MAV", &["X", "N", "A", "L", "P"], false),
    ("MAC", &["X", "L", "H"], false),
    ("MPR", &["X", "N", "L", "H"], false),
    ("MUI", &["X", "N", "R"], false),
    ("MS", &["X", "U", "C"], false),
    ("MC", &["X", "N", "L", "H"], false),
    ("MI", &["X", "N", "L", "H"], false),
    ("MA", &["X", "N", "L", "H"], false),
];

const V4: Spec = &[
    ("AV", &["N", "A", "L", "P"], true),
    ("AC", &["L", "H"], true),
    ("AT", &["N", "P"], true),
    ("PR", &["N", "L", "H"], true),
    ("UI", &["N", "P", "A"], true),
    ("VC", &["H", "L", "N"], true),
    ("VI", &["H", "L", "N"], true),
    ("VA", &["H", "L", "N"], true),
    ("SC", &["H", "L", "N"], true),
    ("SI", &["H", "L", "N"], true),
    ("SA", &["H", "L", "N"], true),
    ("E", &["X", "A", "P", "U"], false),
    ("CR", &["X", "H", "M", "L"], false),
    ("IR", &["X", "H", "M", "L"], false),
    ("AR", &["X", "H", "M", "L"], false),
    ("MAV", &["X", "N", "A", "L", "P"], false),
    ("MAC", &["X", "L", "H"], false),
    ("MAT", &["X", "N", "P"], false),
    ("MPR", &["X", "N", "L", "H"], false),
    ("MUI", &["X", "N", "P", "A"], false),
    ("MVC", &["X", "H", "L", "N"], false),
    ("MVI", &["X", "H", "L", "N"], false),
    ("MVA", &["X", "H", "L", "N"], false),
    ("MSC", &["X", "H", "L", "N"], false),
    ("MSI", &["X", "S", "H", "L", "N"], false),
    ("MSA", &["X", "S", "H", "L", "N"], false),
    ("S", &["X", "N", "P"], false),
    ("AU", &["X", "N", "Y"], false),
    ("R", &["X", "A", "U", "I"], false),
    ("V", &["X", "D", "C"], false),
    ("RE", &["X", "L", "M", "H"], false),
    ("U", &["X", "Clear", "Green", "Amber", "Red"], false),
];

fn err(vector: &str, offset: usize, reason: impl Into<String>) -> CvssError {
    CvssError {
        vector: vector.chars().take(MAX_VECTOR_LEN).collect(),
        offset,
        reason: reason.into(),
    }
}

/// Parses and validates a vector. A v2 vector may be written bare (`AV:N/AC:L/...`), with
/// a `CVSS:2.0/` prefix, or in parentheses.
pub fn parse(vector: &str) -> Result<Cvss, CvssError> {
    if vector.len() > MAX_VECTOR_LEN {
        return Err(err(vector, MAX_VECTOR_LEN, "vector too long"));
    }
    let trimmed = vector.trim();
    let lead = vector.len() - vector.trim_start().len();
    let (version, body, mut offset) = if let Some(rest) = trimmed.strip_prefix("CVSS:3.1/") {
        (CvssVersion::V3_1, rest, 9)
    } else if let Some(rest) = trimmed.strip_prefix("CVSS:3.0/") {
        (CvssVersion::V3_0, rest, 9)
    } else if let Some(rest) = trimmed.strip_prefix("CVSS:4.0/") {
        (CvssVersion::V4, rest, 9)
    } else if let Some(rest) = trimmed.strip_prefix("CVSS:2.0/") {
        (CvssVersion::V2, rest, 9)
    } else if trimmed.starts_with("CVSS:") {
        return Err(err(vector, lead, "unknown CVSS version prefix"));
    } else if let Some(rest) = trimmed.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        (CvssVersion::V2, rest, 1)
    } else {
        (CvssVersion::V2, trimmed, 0)
    };
    offset += lead;
    let spec = match version {
        CvssVersion::V2 => V2,
        CvssVersion::V3_0 | CvssVersion::V3_1 => V3,
        CvssVersion::V4 => V4,
    };
    let mut metrics = BTreeMap::new();
    for part in body.split('/') {
        let Some((key, value)) = part.split_once(':') else {
            return Err(err(vector, offset, format!("{part:?} is not METRIC:VALUE")));
        };
        let Some((_, allowed, _)) = spec.iter().find(|(k, _, _)| *k == key) else {
            return Err(err(vector, offset, format!("unknown metric {key:?}")));
        };
        if !allowed.contains(&value) {
            return Err(err(
                vector,
                offset + key.len() + 1,
                format!(
                    "invalid value {value:?} for metric {key} (allowed: {})",
                    allowed.join(", ")
                ),
            ));
        }
        if metrics.insert(key.to_owned(), value.to_owned()).is_some() {
            return Err(err(vector, offset, format!("metric {key} given twice")));
        }
        offset += part.len() + 1;
    }
    for (key, _, mandatory) in spec {
        if *mandatory && !metrics.contains_key(*key) {
            return Err(err(
                vector,
                vector.len(),
                format!("mandatory metric {key} missing"),
            ));
        }
    }
    let mut cvss = Cvss {
        version,
        metrics,
        base_score: None,
    };
    cvss.base_score = match version {
        CvssVersion::V2 => v2_base(&cvss.metrics),
        CvssVersion::V3_0 | CvssVersion::V3_1 => v3_base(&cvss.metrics, version),
        CvssVersion::V4 => None,
    };
    Ok(cvss)
}

fn m<'a>(metrics: &'a BTreeMap<String, String>, key: &str) -> &'a str {
    metrics.get(key).map(String::as_str).unwrap_or_default()
}

fn v2_base(metrics: &BTreeMap<String, String>) -> Option<f64> {
    let av: f64 = match m(metrics, "AV") {
        "L" => 0.395,
        "A" => 0.646,
        "N" => 1.0,
        _ => return None,
    };
    let ac = match m(metrics, "AC") {
        "H" => 0.35,
        "M" => 0.61,
        "L" => 0.71,
        _ => return None,
    };
    let au = match m(metrics, "Au") {
        "M" => 0.45,
        "S" => 0.56,
        "N" => 0.704,
        _ => return None,
    };
    let cia = |k: &str| -> Option<f64> {
        match m(metrics, k) {
            "N" => Some(0.0),
            "P" => Some(0.275),
            "C" => Some(0.660),
            _ => None,
        }
    };
    let (c, i, a) = (cia("C")?, cia("I")?, cia("A")?);
    let impact = 10.41 * (1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a));
    let exploitability = 20.0 * av * ac * au;
    let f = if impact == 0.0 { 0.0 } else { 1.176 };
    let base = ((0.6 * impact) + (0.4 * exploitability) - 1.5) * f;
    Some(round1(base.max(0.0)))
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// CVSS v3.1 Roundup: the smallest number with one decimal that is >= x, computed on
/// integers to avoid floating-point artefacts (spec appendix A).
fn roundup_31(x: f64) -> f64 {
    let int_input = (x * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) + 1) as f64 / 10.0
    }
}

fn roundup_30(x: f64) -> f64 {
    (x * 10.0).ceil() / 10.0
}

fn v3_base(metrics: &BTreeMap<String, String>, version: CvssVersion) -> Option<f64> {
    let changed = match m(metrics, "S") {
        "U" => false,
        "C" => true,
        _ => return None,
    };
    let av: f64 = match m(metrics, "AV") {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let ac = match m(metrics, "AC") {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let pr = match (m(metrics, "PR"), changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let ui = match m(metrics, "UI") {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let cia = |k: &str| -> Option<f64> {
        match m(metrics, k) {
            "H" => Some(0.56),
            "L" => Some(0.22),
            "N" => Some(0.0),
            _ => None,
        }
    };
    let (c, i, a) = (cia("C")?, cia("I")?, cia("A")?);
    let iss = 1.0 - ((1.0 - c) * (1.0 - i) * (1.0 - a));
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Some(0.0);
    }
    let raw = if changed {
        (1.08 * (impact + exploitability)).min(10.0)
    } else {
        (impact + exploitability).min(10.0)
    };
    Some(if version == CvssVersion::V3_0 {
        roundup_30(raw)
    } else {
        roundup_31(raw)
    })
}

/// The qualitative rating of a score: `NONE`, `LOW`, `MEDIUM`, `HIGH`, `CRITICAL` (v3/v4
/// scale); v2 has no `CRITICAL` and no `NONE`.
pub fn rating(version: CvssVersion, score: f64) -> &'static str {
    match version {
        CvssVersion::V2 => {
            if score < 4.0 {
                "LOW"
            } else if score < 7.0 {
                "MEDIUM"
            } else {
                "HIGH"
            }
        }
        _ => {
            if score == 0.0 {
                "NONE"
            } else if score < 4.0 {
                "LOW"
            } else if score < 7.0 {
                "MEDIUM"
            } else if score < 9.0 {
                "HIGH"
            } else {
                "CRITICAL"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn score(v: &str) -> Option<f64> {
        parse(v).unwrap().base_score
    }

    #[test]
    fn v31_known_scores() {
        // Scores from the FIRST calculator / NVD.
        for (v, s) in [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
            ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N", 4.3),
            ("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H", 9.0),
            ("CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N", 4.7),
            ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
            ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9),
            ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8),
            (
                "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C",
                8.1,
            ),
        ] {
            assert_eq!(score(v), Some(s), "{v}");
        }
    }

    #[test]
    fn v2_known_scores() {
        for (v, s) in [
            ("AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5),
            ("AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0),
            ("AV:N/AC:M/Au:N/C:N/I:P/A:N", 4.3),
            ("AV:L/AC:L/Au:N/C:P/I:N/A:N", 2.1),
            ("AV:N/AC:L/Au:N/C:N/I:N/A:P", 5.0),
            ("AV:N/AC:M/Au:N/C:P/I:P/A:P", 6.8),
            ("(AV:N/AC:L/Au:S/C:P/I:P/A:P)", 6.5),
            ("CVSS:2.0/AV:N/AC:L/Au:N/C:N/I:N/A:N", 0.0),
        ] {
            assert_eq!(score(v), Some(s), "{v}");
        }
    }

    #[test]
    fn v4_is_validated_but_not_scored() {
        let c = parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").unwrap();
        assert_eq!(c.version, CvssVersion::V4);
        assert_eq!(c.base_score, None);
        let e = parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N").unwrap_err();
        assert_eq!(e.reason, "mandatory metric SA missing");
    }

    #[test]
    fn invalid_vectors_name_the_place() {
        let e = parse("CVSS:3.1/AV:N/AC:X/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap_err();
        assert_eq!(e.offset, 17);
        assert!(
            e.reason.starts_with("invalid value \"X\" for metric AC"),
            "{}",
            e.reason
        );
        assert_eq!(
            parse("CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
                .unwrap_err()
                .reason,
            "metric AV given twice"
        );
        assert_eq!(
            parse("CVSS:9.9/AV:N").unwrap_err().reason,
            "unknown CVSS version prefix"
        );
        assert_eq!(
            parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H")
                .unwrap_err()
                .reason,
            "mandatory metric A missing"
        );
        assert_eq!(
            parse("garbage").unwrap_err().reason,
            "\"garbage\" is not METRIC:VALUE"
        );
    }

    #[test]
    fn ratings() {
        assert_eq!(rating(CvssVersion::V3_1, 9.8), "CRITICAL");
        assert_eq!(rating(CvssVersion::V3_1, 0.0), "NONE");
        assert_eq!(rating(CvssVersion::V2, 9.8), "HIGH");
        assert_eq!(rating(CvssVersion::V3_1, 4.0), "MEDIUM");
    }
}
