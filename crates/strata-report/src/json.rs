//! strata's own JSON format: the [`Sbom`] structure serialised as is, with packages in
//! output order. Documented field by field in `docs/sbom-json.md`.

use std::borrow::Cow;
use std::io::Write;

use strata_types::{Sbom, compare_packages};

use crate::{ReportError, write_pretty};

/// Writes the strata JSON document (`"schema_version": "1.0"`), pretty-printed, with a
/// trailing newline.
pub fn write_json(sbom: &Sbom, out: &mut dyn Write) -> Result<(), ReportError> {
    let sorted = sbom
        .packages
        .is_sorted_by(|a, b| compare_packages(a, b).is_le());
    let doc: Cow<'_, Sbom> = if sorted {
        Cow::Borrowed(sbom)
    } else {
        let mut s = sbom.clone();
        s.sort_packages();
        Cow::Owned(s)
    };
    write_pretty(doc.as_ref(), "json", out)
}
