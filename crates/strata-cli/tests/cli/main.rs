//! End-to-end tests of the `strata` binary on real images (built by strata-testkit with
//! mmdebstrap, docker build, rpmbuild; cached), through every target kind, against
//! independent truths (dpkg-query, rpm -qa, the apk database) and against syft 1.18.1.
//! Tests that need Docker, skopeo, a registry or syft skip outside CI when those are
//! missing and fail under CI=true; see docs/testing.md.

#![allow(clippy::unwrap_used)]

mod bad_input;
mod formats;
mod lang_images;
mod monitor;
mod os_images;
mod peers;
mod platforms;
mod policy;
mod rules;
mod scan_cli;
mod scan_formats;
mod skip_and_strict;
mod support;
mod targets;
