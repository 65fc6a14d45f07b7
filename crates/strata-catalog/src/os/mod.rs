//! Operating-system package databases.

pub mod apk;
pub mod dpkg;
pub mod release;
pub mod rpm;
mod stanza;

use crate::Detector;

/// Every OS package detector.
pub fn detectors() -> Vec<Box<dyn Detector>> {
    let mut v: Vec<Box<dyn Detector>> =
        vec![Box::new(dpkg::DpkgDetector), Box::new(apk::ApkDetector)];
    v.extend(rpm::detectors());
    v
}
