//! Falco-compatible runtime detection rules.
