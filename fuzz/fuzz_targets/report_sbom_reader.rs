#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    strata_report::sbom_in::fuzz_sbom_reader(data);
});
