//! CVSS vectors: parsing and validation of v2, v3.0, v3.1 and v4.0 vectors, and their
//! scores computed as the FIRST specifications define them: the base score for v2 and
//! v3.x; for v4.0 the score of section 8 of the v4.0 specification (MacroVectors EQ1..EQ6,
//! FIRST's lookup table of MacroVector scores, interpolation by severity distance), which
//! takes the Threat and Environmental metrics of the vector into account (CVSS-B, -BT, -BE
//! or -BTE, as the vector has them; missing ones are Not Defined). Supplemental metrics do
//! not change a score.

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
    /// The score: the base score for v2 and v3.x; for v4.0 the score with the Threat and
    /// Environmental metrics the vector has (CVSS-B when it has none). Set for every vector
    /// `parse` accepts.
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
        CvssVersion::V4 => v4_score(&cvss.metrics),
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

// CVSS v4.0 scoring (specification section 8, "CVSS v4.0 Scoring").
//
// A vector falls in one MacroVector, given by the levels of the six equivalence sets
// EQ1..EQ6 (0 = most severe). The MacroVector's score comes from FIRST's lookup table; the
// vector's score is that score minus the mean, over the equivalence sets that have a lower
// MacroVector, of (score - score of the next lower MacroVector) * (severity distance of
// the vector from the highest severity vector of its MacroVector / depth of the
// MacroVector), rounded half up to one decimal.
//
// Everything is computed exactly, on integers (scores in tenths, distances in steps): the
// result is a fraction with the denominator 10 * 840 * n (n <= 5 equivalence sets in the
// mean), so it is either exactly on a .x5 tie or at least 1/84000 away from one, and
// rounding it needs no floating-point tolerance. This gives the scores of FIRST's reference calculator since its rounding fix
// of 2024-11-01 (which lifts values one float ulp below a tie by 1e-6 before rounding).

/// The scores of the 270 MacroVectors in tenths: the lookup table FIRST publishes with the
/// specification (section 8.3, `cvss_lookup.js` of the reference calculator). One row per
/// EQ1 and EQ2 (`00`, `01`, `10`, `11`, `20`, `21`); in a row, EQ3 = 0 and then EQ3 = 1
/// take 18 entries each, ordered by EQ4, EQ5, EQ6; EQ3 = 2 (EQ6 is then always 1) takes the
/// last 9, ordered by EQ4, EQ5.
const V4_MACROVECTOR_SCORES: [[u8; 45]; 6] = [
    // EQ1 = 0, EQ2 = 0
    [
        100, 99, 98, 95, 95, 92, 100, 96, 93, 87, 91, 81, 93, 90, 89, 80, 81, 68, // EQ3 = 0
        98, 95, 95, 92, 90, 84, 93, 92, 89, 81, 81, 65, 88, 80, 78, 70, 69, 48, // EQ3 = 1
        92, 82, 72, 79, 69, 50, 69, 55, 27, // EQ3 = 2
    ],
    // EQ1 = 0, EQ2 = 1
    [
        99, 97, 95, 92, 92, 85, 95, 91, 90, 83, 84, 71, 92, 81, 82, 71, 72, 53, // EQ3 = 0
        95, 93, 92, 85, 85, 73, 92, 82, 80, 72, 70, 59, 84, 70, 71, 52, 50, 30, // EQ3 = 1
        86, 75, 52, 71, 52, 29, 63, 29, 17, // EQ3 = 2
    ],
    // EQ1 = 1, EQ2 = 0
    [
        98, 95, 94, 87, 91, 81, 94, 89, 86, 74, 77, 64, 87, 75, 74, 63, 63, 49, // EQ3 = 0
        94, 89, 88, 77, 76, 67, 86, 76, 74, 58, 59, 50, 72, 57, 57, 52, 52, 25, // EQ3 = 1
        83, 70, 54, 65, 58, 26, 53, 21, 13, // EQ3 = 2
    ],
    // EQ1 = 1, EQ2 = 1
    [
        95, 90, 88, 76, 76, 70, 90, 77, 75, 62, 61, 53, 77, 66, 68, 59, 52, 30, // EQ3 = 0
        89, 78, 76, 67, 62, 58, 74, 59, 57, 57, 47, 23, 61, 52, 57, 29, 24, 16, // EQ3 = 1
        71, 59, 30, 58, 26, 15, 23, 13, 6, // EQ3 = 2
    ],
    // EQ1 = 2, EQ2 = 0
    [
        93, 87, 86, 72, 75, 58, 86, 74, 74, 61, 56, 34, 70, 54, 52, 40, 40, 22, // EQ3 = 0
        85, 75, 74, 55, 62, 51, 72, 57, 55, 41, 46, 19, 53, 36, 34, 19, 19, 8, // EQ3 = 1
        64, 51, 20, 47, 21, 11, 24, 9, 4, // EQ3 = 2
    ],
    // EQ1 = 2, EQ2 = 1
    [
        88, 75, 73, 53, 60, 50, 73, 55, 59, 40, 41, 20, 54, 43, 45, 22, 20, 11, // EQ3 = 0
        75, 55, 58, 45, 40, 21, 61, 51, 48, 18, 20, 9, 46, 18, 17, 7, 8, 2, // EQ3 = 1
        53, 24, 14, 24, 12, 5, 10, 3, 1, // EQ3 = 2
    ],
];

/// The score of a MacroVector (`[EQ1, .., EQ6]`) in tenths; `None` when no such
/// MacroVector exists.
fn v4_macrovector_score(eq: [u8; 6]) -> Option<i64> {
    let [eq1, eq2, eq3, eq4, eq5, eq6] = eq.map(usize::from);
    if eq1 > 2 || eq2 > 1 || eq4 > 2 || eq5 > 2 || eq6 > 1 {
        return None;
    }
    let column = match (eq3, eq6) {
        (0 | 1, _) => eq3 * 18 + eq4 * 6 + eq5 * 2 + eq6,
        (2, 1) => 36 + eq4 * 3 + eq5,
        _ => return None,
    };
    let tenths = V4_MACROVECTOR_SCORES.get(eq1 * 2 + eq2)?.get(column)?;
    Some(i64::from(*tenths))
}

/// The highest severity vectors of each level of EQ1, as steps of (AV, PR, UI) (spec
/// table 24).
const V4_TOP_EQ1: [&[[u8; 3]]; 3] = [
    &[[0, 0, 0]],                       // AV:N/PR:N/UI:N
    &[[1, 0, 0], [0, 1, 0], [0, 0, 1]], // AV:A/PR:N/UI:N, AV:N/PR:L/UI:N, AV:N/PR:N/UI:P
    &[[3, 0, 0], [1, 1, 1]],            // AV:P/PR:N/UI:N, AV:A/PR:L/UI:P
];

/// EQ2, as steps of (AC, AT) (table 25).
const V4_TOP_EQ2: [&[[u8; 2]]; 2] = [
    &[[0, 0]],         // AC:L/AT:N
    &[[1, 0], [0, 1]], // AC:H/AT:N, AC:L/AT:P
];

/// EQ3 and EQ6 together, as steps of (VC, VI, VA, CR, IR, AR) (table 30).
fn v4_top_eq3_eq6(eq3: u8, eq6: u8) -> Option<&'static [[u8; 6]]> {
    Some(match (eq3, eq6) {
        // VC:H/VI:H/VA:H/CR:H/IR:H/AR:H
        (0, 0) => &[[0, 0, 0, 0, 0, 0]],
        // VC:H/VI:H/VA:L/CR:M/IR:M/AR:H, VC:H/VI:H/VA:H/CR:M/IR:M/AR:M
        (0, 1) => &[[0, 0, 1, 1, 1, 0], [0, 0, 0, 1, 1, 1]],
        // VC:L/VI:H/VA:H/CR:H/IR:H/AR:H, VC:H/VI:L/VA:H/CR:H/IR:H/AR:H
        (1, 0) => &[[1, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0]],
        // VC:L/VI:H/VA:L/CR:H/IR:M/AR:H, VC:L/VI:H/VA:H/CR:H/IR:M/AR:M,
        // VC:H/VI:L/VA:H/CR:M/IR:H/AR:M, VC:H/VI:L/VA:L/CR:M/IR:H/AR:H,
        // VC:L/VI:L/VA:H/CR:H/IR:H/AR:M
        (1, 1) => &[
            [1, 0, 1, 0, 1, 0],
            [1, 0, 0, 0, 1, 1],
            [0, 1, 0, 1, 0, 1],
            [0, 1, 1, 1, 0, 0],
            [1, 1, 0, 0, 0, 1],
        ],
        // VC:L/VI:L/VA:L/CR:H/IR:H/AR:H
        (2, 1) => &[[1, 1, 1, 0, 0, 0]],
        _ => return None,
    })
}

/// EQ4, as steps of (SC, SI, SA) (table 27).
const V4_TOP_EQ4: [&[[u8; 3]]; 3] = [
    &[[1, 0, 0]], // SC:H/SI:S/SA:S
    &[[1, 1, 1]], // SC:H/SI:H/SA:H
    &[[2, 2, 2]], // SC:L/SI:L/SA:L
];

/// The depth of the MacroVectors of each level, in steps, as FIRST's reference calculator
/// sets it (the largest severity distance within the MacroVector, plus one): EQ1, EQ2 and
/// EQ4 by level; EQ3+EQ6 for `00`, `01`, `10`, `11`, `21`.
const V4_DEPTH_EQ1: [i64; 3] = [1, 4, 5];
const V4_DEPTH_EQ2: [i64; 2] = [1, 2];
const V4_DEPTH_EQ4: [i64; 3] = [6, 5, 4];

fn v4_depth_eq3_eq6(eq3: u8, eq6: u8) -> Option<i64> {
    Some(match (eq3, eq6) {
        (0, 0) => 7,
        (0, 1) => 6,
        (1, 0) | (1, 1) => 8,
        (2, 1) => 10,
        _ => return None,
    })
}

/// A common multiple of all depths.
const V4_DEPTH_LCM: i64 = 840;

/// The value a v4.0 metric takes for scoring: a Modified Base metric other than X replaces
/// its Base metric (section 4.2); E:X counts as E:A and CR/IR/AR:X as H (section 8.2).
/// A metric missing from the vector is X.
fn v4_value<'a>(metrics: &'a BTreeMap<String, String>, key: &str) -> &'a str {
    let defined = |k: &str| metrics.get(k).map(String::as_str).filter(|v| *v != "X");
    let modified = match key {
        "AV" => "MAV",
        "AC" => "MAC",
        "AT" => "MAT",
        "PR" => "MPR",
        "UI" => "MUI",
        "VC" => "MVC",
        "VI" => "MVI",
        "VA" => "MVA",
        "SC" => "MSC",
        "SI" => "MSI",
        "SA" => "MSA",
        _ => "",
    };
    defined(modified)
        .or_else(|| defined(key))
        .unwrap_or(match key {
            "E" => "A",
            "CR" | "IR" | "AR" => "H",
            _ => "X",
        })
}

/// The metrics of a v4.0 vector that scoring uses, each as the number of steps its value is
/// below the most severe one, grouped as the equivalence sets use them.
struct V4Steps {
    /// AV (N, A, L, P), PR (N, L, H), UI (N, P, A).
    exploitability: [u8; 3],
    /// AC (L, H), AT (N, P).
    complexity: [u8; 2],
    /// VC, VI, VA (H, L, N), then CR, IR, AR (H, M, L).
    vulnerable: [u8; 6],
    /// SC, SI, SA (S, H, L, N; SC is never S).
    subsequent: [u8; 3],
    /// E (A, P, U).
    exploit_maturity: u8,
}

impl V4Steps {
    fn new(metrics: &BTreeMap<String, String>) -> Option<Self> {
        let step = |key: &str, order: &[&str]| -> Option<u8> {
            let value = v4_value(metrics, key);
            let i = order.iter().position(|v| *v == value)?;
            u8::try_from(i).ok()
        };
        const IMPACT: &[&str] = &["H", "L", "N"];
        const SUBSEQUENT: &[&str] = &["S", "H", "L", "N"];
        const REQUIREMENT: &[&str] = &["H", "M", "L"];
        Some(Self {
            exploitability: [
                step("AV", &["N", "A", "L", "P"])?,
                step("PR", &["N", "L", "H"])?,
                step("UI", &["N", "P", "A"])?,
            ],
            complexity: [step("AC", &["L", "H"])?, step("AT", &["N", "P"])?],
            vulnerable: [
                step("VC", IMPACT)?,
                step("VI", IMPACT)?,
                step("VA", IMPACT)?,
                step("CR", REQUIREMENT)?,
                step("IR", REQUIREMENT)?,
                step("AR", REQUIREMENT)?,
            ],
            subsequent: [
                step("SC", SUBSEQUENT)?,
                step("SI", SUBSEQUENT)?,
                step("SA", SUBSEQUENT)?,
            ],
            exploit_maturity: step("E", &["A", "P", "U"])?,
        })
    }

    /// No impact at all: VC, VI, VA, SC, SI and SA are all None.
    fn no_impact(&self) -> bool {
        let [vc, vi, va, ..] = self.vulnerable;
        [vc, vi, va] == [2, 2, 2] && self.subsequent == [3, 3, 3]
    }

    /// The MacroVector `[EQ1, .., EQ6]` (tables 24 to 29).
    fn macrovector(&self) -> [u8; 6] {
        let [av, pr, ui] = self.exploitability;
        let eq1 = if av == 0 && pr == 0 && ui == 0 {
            0
        } else if (av == 0 || pr == 0 || ui == 0) && av != 3 {
            1
        } else {
            2
        };
        let eq2 = u8::from(self.complexity != [0, 0]);
        let [vc, vi, va, cr, ir, ar] = self.vulnerable;
        let eq3 = if vc == 0 && vi == 0 {
            0
        } else if vc == 0 || vi == 0 || va == 0 {
            1
        } else {
            2
        };
        let [sc, si, sa] = self.subsequent;
        let eq4 = if si == 0 || sa == 0 {
            0
        } else if sc == 1 || si == 1 || sa == 1 {
            1
        } else {
            2
        };
        let eq6 = u8::from(!((cr == 0 && vc == 0) || (ir == 0 && vi == 0) || (ar == 0 && va == 0)));
        [eq1, eq2, eq3, eq4, self.exploit_maturity, eq6]
    }
}

/// The severity distance, in steps, of `vector` from a highest severity vector of `tops`
/// that is at least as severe in every metric; `None` if there is none. (The highest
/// severity vectors of one level are all the same number of steps from the most severe
/// values, so it does not matter which one is taken.)
fn v4_distance<const N: usize>(vector: [u8; N], tops: &[[u8; N]]) -> Option<i64> {
    let top = tops
        .iter()
        .find(|top| vector.iter().zip(top.iter()).all(|(v, t)| v >= t))?;
    Some(
        vector
            .iter()
            .zip(top.iter())
            .map(|(v, t)| i64::from(*v) - i64::from(*t))
            .sum(),
    )
}

/// The CVSS v4.0 score of a validated vector (section 8.2).
fn v4_score(metrics: &BTreeMap<String, String>) -> Option<f64> {
    let steps = V4Steps::new(metrics)?;
    if steps.no_impact() {
        return Some(0.0);
    }
    let eq = steps.macrovector();
    let score = v4_macrovector_score(eq)?;
    let [eq1, eq2, eq3, eq4, _, eq6] = eq;
    // The score of the MacroVector one level lower in equivalence set `i`, if there is one.
    let lower = |i: usize| {
        let mut next = eq;
        *next.get_mut(i)? += 1;
        v4_macrovector_score(next)
    };
    // EQ3 and EQ6 move together: from 00 either way (the higher score counts), 01 to 11,
    // 10 to 11, 11 to 21; 21 is the lowest.
    let lower_eq3_eq6 = match (eq3, eq6) {
        (0, 0) => lower(5).zip(lower(2)).map(|(a, b)| a.max(b)),
        (1, 0) => lower(5),
        (0 | 1, 1) => lower(2),
        _ => None,
    };
    // Per equivalence set: the lower MacroVector's score, the distance, the depth.
    let sets = [
        (
            lower(0),
            v4_distance(steps.exploitability, V4_TOP_EQ1.get(usize::from(eq1))?)?,
            *V4_DEPTH_EQ1.get(usize::from(eq1))?,
        ),
        (
            lower(1),
            v4_distance(steps.complexity, V4_TOP_EQ2.get(usize::from(eq2))?)?,
            *V4_DEPTH_EQ2.get(usize::from(eq2))?,
        ),
        (
            lower_eq3_eq6,
            v4_distance(steps.vulnerable, v4_top_eq3_eq6(eq3, eq6)?)?,
            v4_depth_eq3_eq6(eq3, eq6)?,
        ),
        (
            lower(3),
            v4_distance(steps.subsequent, V4_TOP_EQ4.get(usize::from(eq4))?)?,
            *V4_DEPTH_EQ4.get(usize::from(eq4))?,
        ),
        // EQ5 has one value per level: its distance is always 0, but a lower MacroVector
        // still counts in the mean.
        (lower(4), 0, 1),
    ];
    // sum = sum of (score - lower) * distance / depth, in tenths, times V4_DEPTH_LCM.
    let mut sum = 0i64;
    let mut count = 0i64;
    for (lower, distance, depth) in sets {
        if let Some(lower) = lower {
            count += 1;
            sum += (score - lower) * distance * (V4_DEPTH_LCM / depth);
        }
    }
    // The score in tenths is numerator / denominator; clamp it to 0..=10 and round half up.
    let denominator = V4_DEPTH_LCM * count.max(1);
    let numerator = (score * denominator - sum).clamp(0, 100 * denominator);
    let tenths = (2 * numerator + denominator) / (2 * denominator);
    Some(tenths as f64 / 10.0)
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
    fn v4_is_scored() {
        let c = parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").unwrap();
        assert_eq!(c.version, CvssVersion::V4);
        assert_eq!(c.base_score, Some(9.3));
        assert_eq!(rating(c.version, 9.3), "CRITICAL");
        let e = parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N").unwrap_err();
        assert_eq!(e.reason, "mandatory metric SA missing");
    }

    /// Vectors and scores from FIRST's calculator validation set: the CVSS SIG's
    /// `vectorFiles/reference-scores` in github.com/FIRSTdotorg/cvss-resources, scored by
    /// FIRST's reference calculator (cvss40.js, with its 2024-11-01 rounding fix).
    const V4_FIRST_REFERENCE: &[(&str, f64)] = &[
        // Highest severity vectors of their MacroVector: the score is the lookup table's.
        // All high, with and without Safety (MSI:S/MSA:S).
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:A/CR:H/IR:H/AR:H/MSI:S/MSA:S",
            10.0,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:A/CR:H/IR:H/AR:H",
            10.0,
        ),
        // E:P and E:U.
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:P/CR:H/IR:H/AR:H/MSI:S/MSA:S",
            9.8,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U/CR:H/IR:H/AR:H",
            9.1,
        ),
        // Security requirements Medium (EQ6 = 1).
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:L/SI:L/SA:L/E:U/CR:M/IR:M/AR:M",
            6.8,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:H/SC:L/SI:L/SA:L/E:U/CR:M/IR:H/AR:M",
            3.0,
        ),
        (
            "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U/CR:M/IR:M/AR:M",
            6.4,
        ),
        // The lowest MacroVector (212221).
        (
            "CVSS:4.0/AV:P/AC:L/AT:P/PR:N/UI:N/VC:L/VI:L/VA:L/SC:L/SI:L/SA:L/E:U/CR:H/IR:H/AR:H",
            0.1,
        ),
        // Interpolated, with Environmental metrics (no Supplemental metrics).
        (
            "CVSS:4.0/AV:A/AC:H/AT:N/PR:H/UI:A/VC:H/VI:H/VA:H/SC:N/SI:L/SA:N/E:A/CR:M/IR:M/AR:X/MAV:X/MAC:L/MAT:P/MPR:X/MUI:X/MVC:L/MVI:N/MVA:N/MSC:X/MSI:X/MSA:X",
            1.0,
        ),
        (
            "CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:N/VC:H/VI:L/VA:H/SC:N/SI:H/SA:N/E:P/CR:H/IR:H/AR:M/MAV:X/MAC:L/MAT:N/MPR:L/MUI:N/MVC:X/MVI:H/MVA:L/MSC:X/MSI:H/MSA:S",
            9.2,
        ),
        (
            "CVSS:4.0/AV:A/AC:H/AT:P/PR:L/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/E:A/CR:X/IR:M/AR:X/MAV:P/MAC:L/MAT:N/MPR:H/MUI:N/MVC:H/MVI:H/MVA:L/MSC:L/MSI:N/MSA:N",
            6.8,
        ),
        // Interpolated, with Environmental and Supplemental metrics: MAV, MAC, CR/IR/AR,
        // MSI:S / MSA:S, explicit E:X.
        (
            "CVSS:4.0/AV:P/AC:L/AT:N/PR:L/UI:A/VC:N/VI:H/VA:L/SC:H/SI:H/SA:H/E:P/CR:H/IR:H/AR:H/MAV:A/MAC:X/MAT:N/MPR:X/MUI:X/MVC:N/MVI:H/MVA:H/MSC:N/MSI:H/MSA:S/S:N/AU:X/R:I/V:X/RE:M/U:Clear",
            7.1,
        ),
        (
            "CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:P/VC:N/VI:N/VA:H/SC:H/SI:N/SA:N/E:A/CR:M/IR:X/AR:M/MAV:N/MAC:L/MAT:P/MPR:N/MUI:A/MVC:L/MVI:X/MVA:H/MSC:H/MSI:N/MSA:L/S:N/AU:N/R:A/V:X/RE:L/U:Red",
            5.7,
        ),
        (
            "CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:N/VC:N/VI:H/VA:L/SC:L/SI:H/SA:N/E:U/CR:X/IR:L/AR:H/MAV:P/MAC:L/MAT:P/MPR:X/MUI:A/MVC:N/MVI:X/MVA:X/MSC:L/MSI:H/MSA:X/S:N/AU:X/R:X/V:C/RE:H/U:Amber",
            0.6,
        ),
        (
            "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:P/VC:N/VI:H/VA:H/SC:H/SI:N/SA:L/E:A/CR:H/IR:M/AR:M/MAV:N/MAC:X/MAT:P/MPR:X/MUI:A/MVC:H/MVI:L/MVA:L/MSC:X/MSI:S/MSA:L/S:P/AU:X/R:X/V:C/RE:L/U:Clear",
            8.6,
        ),
        (
            "CVSS:4.0/AV:L/AC:L/AT:P/PR:N/UI:P/VC:H/VI:N/VA:N/SC:N/SI:N/SA:H/E:X/CR:H/IR:H/AR:X/MAV:L/MAC:L/MAT:X/MPR:N/MUI:X/MVC:N/MVI:X/MVA:H/MSC:L/MSI:S/MSA:S/S:N/AU:X/R:A/V:X/RE:H/U:Green",
            8.6,
        ),
        (
            "CVSS:4.0/AV:P/AC:H/AT:N/PR:L/UI:P/VC:H/VI:N/VA:N/SC:L/SI:L/SA:L/E:A/CR:X/IR:M/AR:X/MAV:L/MAC:L/MAT:X/MPR:N/MUI:P/MVC:N/MVI:N/MVA:H/MSC:L/MSI:S/MSA:H/S:N/AU:Y/R:U/V:X/RE:M/U:Amber",
            9.2,
        ),
        (
            "CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:P/VC:H/VI:N/VA:L/SC:L/SI:L/SA:L/E:U/CR:L/IR:H/AR:H/MAV:P/MAC:X/MAT:N/MPR:L/MUI:P/MVC:L/MVI:L/MVA:X/MSC:X/MSI:H/MSA:X/S:X/AU:X/R:A/V:X/RE:X/U:X",
            0.3,
        ),
        (
            "CVSS:4.0/AV:P/AC:H/AT:N/PR:L/UI:N/VC:N/VI:L/VA:N/SC:L/SI:N/SA:N/E:X/CR:M/IR:X/AR:H/MAV:X/MAC:L/MAT:X/MPR:X/MUI:A/MVC:H/MVI:H/MVA:X/MSC:H/MSI:X/MSA:L/S:P/AU:X/R:X/V:X/RE:M/U:X",
            8.2,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:N/VI:L/VA:L/SC:L/SI:N/SA:L/E:A/CR:L/IR:M/AR:X/MAV:L/MAC:L/MAT:N/MPR:X/MUI:N/MVC:H/MVI:H/MVA:X/MSC:L/MSI:H/MSA:H/S:N/AU:X/R:X/V:X/RE:X/U:Green",
            8.7,
        ),
        // Rounding: these land exactly on a .x5 tie and round half up. The first three are
        // 0.65, which binary floating point computes as 0.6499999999999999.
        (
            "CVSS:4.0/AV:N/AC:H/AT:P/PR:H/UI:N/VC:L/VI:N/VA:L/SC:H/SI:L/SA:L/E:P/CR:M/IR:H/AR:H/MAV:P/MAC:L/MAT:P/MPR:N/MUI:A/MVC:H/MVI:N/MVA:N/MSC:N/MSI:X/MSA:N/S:X/AU:Y/R:A/V:D/RE:L/U:Amber",
            0.7,
        ),
        (
            "CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:N/VC:H/VI:L/VA:H/SC:N/SI:N/SA:L/E:P/CR:H/IR:M/AR:M/MAV:A/MAC:X/MAT:N/MPR:H/MUI:P/MVC:N/MVI:H/MVA:L/MSC:X/MSI:L/MSA:X",
            0.7,
        ),
        (
            "CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:P/VC:L/VI:N/VA:N/SC:N/SI:L/SA:N/E:U/CR:X/IR:X/AR:X/MAV:L/MAC:H/MAT:P/MPR:H/MUI:A/MVC:L/MVI:X/MVA:H/MSC:X/MSI:N/MSA:N/S:X/AU:Y/R:I/V:C/RE:H/U:Red",
            0.7,
        ),
        (
            "CVSS:4.0/AV:A/AC:H/AT:P/PR:N/UI:A/VC:N/VI:H/VA:L/SC:N/SI:H/SA:N/E:U/CR:M/IR:H/AR:M/MAV:N/MAC:H/MAT:P/MPR:X/MUI:X/MVC:N/MVI:X/MVA:N/MSC:H/MSI:H/MSA:S/S:X/AU:N/R:I/V:X/RE:H/U:Clear",
            5.9,
        ),
        (
            "CVSS:4.0/AV:P/AC:L/AT:P/PR:H/UI:A/VC:N/VI:N/VA:L/SC:N/SI:H/SA:N/E:U/CR:H/IR:H/AR:L/MAV:A/MAC:L/MAT:P/MPR:N/MUI:P/MVC:H/MVI:N/MVA:N/MSC:L/MSI:L/MSA:X/S:P/AU:X/R:U/V:X/RE:H/U:Amber",
            2.0,
        ),
        (
            "CVSS:4.0/AV:A/AC:L/AT:N/PR:H/UI:P/VC:L/VI:N/VA:L/SC:N/SI:L/SA:L/E:P/CR:M/IR:X/AR:M/MAV:N/MAC:H/MAT:N/MPR:X/MUI:X/MVC:N/MVI:X/MVA:N/MSC:X/MSI:N/MSA:X/S:N/AU:N/R:A/V:X/RE:L/U:Green",
            1.1,
        ),
        (
            "CVSS:4.0/AV:P/AC:H/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:L/SI:L/SA:H/E:X/CR:M/IR:H/AR:L/MAV:A/MAC:L/MAT:P/MPR:L/MUI:P/MVC:X/MVI:L/MVA:H/MSC:L/MSI:L/MSA:N",
            1.8,
        ),
        // No impact left once the Environmental metrics apply (MVI:N, MVA:N, MSI:N, MSA:N):
        // 0.0. (This corpus entry is also quoted in google/osv.dev#5836.)
        (
            "CVSS:4.0/AV:A/AC:L/AT:P/PR:L/UI:N/VC:N/VI:H/VA:L/SC:N/SI:N/SA:L/E:P/CR:X/IR:L/AR:M/MAV:X/MAC:X/MAT:N/MPR:L/MUI:X/MVC:X/MVI:N/MVA:N/MSC:X/MSI:N/MSA:N/S:P/AU:X/R:A/V:X/RE:M/U:Clear",
            0.0,
        ),
    ];

    #[test]
    fn v4_first_reference_scores() {
        for (v, s) in V4_FIRST_REFERENCE {
            let c = parse(v).unwrap();
            assert_eq!(c.version, CvssVersion::V4, "{v}");
            assert_eq!(c.base_score, Some(*s), "{v}");
        }
    }

    #[test]
    fn v4_defaults_and_supplemental() {
        // No impact at all: 0.0, whatever else the vector says.
        assert_eq!(
            score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N"),
            Some(0.0)
        );
        // Missing Threat and Environmental metrics are X; E:X is E:A, CR/IR/AR:X are H.
        // FIRST's reference set scores `{base}/E:A/CR:H/IR:H/AR:H` 7.7, with E:P 6.8 and
        // with E:U 5.2.
        let base = "CVSS:4.0/AV:A/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:L/SI:L/SA:L";
        assert_eq!(score(&format!("{base}/E:P/CR:H/IR:H/AR:H")), Some(6.8));
        assert_eq!(score(&format!("{base}/E:U")), Some(5.2));
        for suffix in [
            "",
            "/E:X",
            "/E:A/CR:H/IR:H/AR:H",
            "/E:X/CR:X/IR:X/AR:X/MAV:X/MAC:X/MAT:X/MPR:X/MUI:X/MVC:X/MVI:X/MVA:X/MSC:X/MSI:X/MSA:X",
            // A Modified Base metric equal to its Base metric changes nothing.
            "/MAV:A/MAC:L/MAT:P/MPR:N/MUI:N/MVC:H/MVI:H/MVA:H/MSC:L/MSI:L/MSA:L",
            // Supplemental metrics never change a score.
            "/S:P/AU:Y/R:I/V:C/RE:H/U:Red",
            "/E:X/S:N/AU:N/R:A/V:D/RE:L/U:Clear",
        ] {
            assert_eq!(score(&format!("{base}{suffix}")), Some(7.7), "{suffix}");
        }
        // Safety raises EQ4 to its most severe level; lower security requirements lower it.
        assert!(score(&format!("{base}/MSI:S")) > Some(7.7));
        assert!(score(&format!("{base}/CR:L/IR:L/AR:L")) < Some(7.7));
    }

    /// Every one of the 104,976 base vectors gets a score of 0.0 to 10.0 in tenths, and so
    /// does a deterministic sample of vectors with Threat and Environmental metrics.
    #[test]
    fn v4_every_vector_is_scored() {
        const BASE: [(&str, &[&str]); 11] = [
            ("AV", &["N", "A", "L", "P"]),
            ("AC", &["L", "H"]),
            ("AT", &["N", "P"]),
            ("PR", &["N", "L", "H"]),
            ("UI", &["N", "P", "A"]),
            ("VC", &["H", "L", "N"]),
            ("VI", &["H", "L", "N"]),
            ("VA", &["H", "L", "N"]),
            ("SC", &["H", "L", "N"]),
            ("SI", &["H", "L", "N"]),
            ("SA", &["H", "L", "N"]),
        ];
        let check = |metrics: &BTreeMap<String, String>| {
            let s = v4_score(metrics).unwrap();
            assert!((0.0..=10.0).contains(&s), "{metrics:?}: {s}");
            assert_eq!(round1(s), s, "{metrics:?}: {s}");
        };
        let total: usize = BASE.iter().map(|(_, v)| v.len()).product();
        let mut metrics = BTreeMap::new();
        for mut n in 0..total {
            for (k, values) in BASE {
                metrics.insert(k.to_owned(), values[n % values.len()].to_owned());
                n /= values.len();
            }
            check(&metrics);
        }
        let mut rng = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            for (k, values, _) in V4 {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                metrics.insert(
                    (*k).to_owned(),
                    values[(rng % values.len() as u64) as usize].to_owned(),
                );
            }
            check(&metrics);
        }
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
        for (s, r) in [
            (0.0, "NONE"),
            (0.1, "LOW"),
            (3.9, "LOW"),
            (4.0, "MEDIUM"),
            (6.9, "MEDIUM"),
            (7.0, "HIGH"),
            (8.9, "HIGH"),
            (9.0, "CRITICAL"),
            (10.0, "CRITICAL"),
        ] {
            assert_eq!(rating(CvssVersion::V4, s), r, "{s}");
        }
    }
}
