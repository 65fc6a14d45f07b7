//! The test images and services of strata-testkit, checked against the tools that made
//! them and against syft. Needs Docker, mmdebstrap, skopeo, rpm, docker-registry and syft
//! (see docs/testing.md); skips outside CI when they are missing.

#![allow(clippy::unwrap_used)]

mod images;
mod registry;
