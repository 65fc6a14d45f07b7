//! Integration tests of strata-vulndb: imports of the real data in shared/data/vulndb,
//! malformed records, queries, status, atomic generations under SIGKILL, and updates from
//! a local HTTP server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod atomic;
mod import_real;
mod malformed;
mod query;
mod support;
mod update;
