//! Integration tests of the package detectors against real package databases from
//! `../shared/data` and, where one exists, the package manager's own tools as truth.
#![allow(clippy::unwrap_used)]

mod apk;
mod dpkg;
mod lang;
mod release;
mod rpm;
