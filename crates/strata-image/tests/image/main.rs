//! Integration tests of strata-image: synthetic layers and layouts written by the tests,
//! bad input, the layer cache, `dir:` targets, and real images from the Docker daemon.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_input;
mod cache;
mod common;
mod daemon;
mod dir_source;
mod real_images;
mod registry;
mod synthetic;
mod targets;
