//! Integration tests for strata-version: every file in the shared version-vectors corpus
//! must agree 100%, and the orderings must be total orders on the corpus versions.
#![allow(clippy::unwrap_used)]

mod api;
mod harness;
mod properties;
mod realdata;
mod vectors;
