//! Integration tests of strata-sensor.
#![allow(clippy::unwrap_used)]

mod scenarios;
mod sock_diag;
